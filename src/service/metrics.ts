/**
 * The service's Prometheus metrics (prom-client, its own registry): chain head and peers, the journal, batches,
 * the query log and its commitments, answers, relays, and request latencies per route. Gauges are read when
 * scraped; counters and the latency histogram as things happen.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** What the gauges read at scrape time. */
export interface MetricsSource {
  head(): Promise<number | undefined>;
  /** net_peerCount, or undefined when the chain does not report it. */
  peers(): Promise<number | undefined>;
  unfinishedSteps(): number;
  queuedRecords(): number;
  logSize(): number;
  lastCommitment(): { index: number; size: number; block: number } | undefined;
}

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly batches: Counter<"mode">;
  readonly recordsAttested: Counter;
  readonly revocations: Counter<"result">;
  readonly answers: Counter<"outcome">;
  readonly relayed: Counter<"result">;
  readonly commits: Counter;
  readonly errors: Counter;
  readonly latency: Histogram<"method" | "route" | "status">;

  constructor(source: MetricsSource, labels: { node: string; network: string }) {
    const registers = [this.registry];
    this.registry.setDefaultLabels(labels);
    collectDefaultMetrics({ register: this.registry, prefix: "yrd_service_" });
    new Gauge({
      name: "yrd_chain_head_block",
      help: "Latest block number the chain reports",
      registers,
      async collect() {
        const h = await source.head();
        if (h !== undefined) this.set(h);
      },
    });
    new Gauge({
      name: "yrd_chain_peers",
      help: "Peers of the chain's node (net_peerCount); -1 when the chain does not report it",
      registers,
      async collect() {
        this.set((await source.peers()) ?? -1);
      },
    });
    new Gauge({
      name: "yrd_journal_unfinished_steps",
      help: "Journal steps pending or sent (not yet done or failed)",
      registers,
      collect() {
        this.set(source.unfinishedSteps());
      },
    });
    new Gauge({
      name: "yrd_records_queued",
      help: "Records accepted and not yet on chain",
      registers,
      collect() {
        this.set(source.queuedRecords());
      },
    });
    new Gauge({
      name: "yrd_query_log_size",
      help: "Entries in the node's query log",
      registers,
      collect() {
        this.set(source.logSize());
      },
    });
    new Gauge({
      name: "yrd_query_log_committed_size",
      help: "Entries covered by the node's last log commitment",
      registers,
      collect() {
        this.set(source.lastCommitment()?.size ?? 0);
      },
    });
    new Gauge({
      name: "yrd_query_log_last_commitment_index",
      help: "Index of the node's last log commitment (-1: none)",
      registers,
      collect() {
        this.set(source.lastCommitment()?.index ?? -1);
      },
    });
    new Gauge({
      name: "yrd_query_log_last_commitment_block",
      help: "Block of the node's last log commitment (0: none)",
      registers,
      collect() {
        this.set(source.lastCommitment()?.block ?? 0);
      },
    });
    this.batches = new Counter({
      name: "yrd_record_flushes_total",
      help: "Flushes of queued records to the chain (a flush is one Merkle batch per category, or live transactions)",
      labelNames: ["mode"],
      registers,
    });
    this.recordsAttested = new Counter({ name: "yrd_records_attested_total", help: "Records that landed on chain (or were found there unchanged)", registers });
    this.revocations = new Counter({
      name: "yrd_revocations_total",
      help: "Record versions the operator asked this node to revoke, by result (revoked, refused)",
      labelNames: ["result"],
      registers,
    });
    this.answers = new Counter({
      name: "yrd_queries_answered_total",
      help: "Queries this node answered, by outcome (refused: the chain refused the answer; refused-at-relay: an attempt its relay refused and logged)",
      labelNames: ["outcome"],
      registers,
    });
    this.relayed = new Counter({ name: "yrd_queries_relayed_total", help: "Institution query requests relayed, by result", labelNames: ["result"], registers });
    this.commits = new Counter({ name: "yrd_query_log_commits_total", help: "Query-log commitments this service sent", registers });
    this.errors = new Counter({ name: "yrd_service_loop_errors_total", help: "Errors of the service's background loop (chain unreachable …)", registers });
    this.latency = new Histogram({
      name: "yrd_http_request_duration_seconds",
      help: "HTTP request latency per route",
      labelNames: ["method", "route", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
