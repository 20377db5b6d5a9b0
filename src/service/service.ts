/**
 * A city node's service: the node (`CityNode`, through a `Session` on the network the service was started
 * with) plus what the credit agency runs beside its validator — the operator's record intake (live, or in
 * Merkle batches on a size-or-time trigger), the watch on the QueryDesk that serves the city's queries, the
 * query-log commitments (on a size-or-time trigger), health and metrics. The HTTP routes are in `app.ts`.
 *
 * One writer: every chain write of the node (a flush of records, an answer, a commitment, settling) runs alone,
 * in order, so the journal's rule holds — each step is journaled before it is sent and settled only when
 * nothing is in flight. A background loop (every `pollMs`, each pass bounded) settles what a chain error left
 * unfinished, reads the next blocks of QueryDesk events, and fires the batch and commit triggers.
 */
import { DEFAULT_LIVE_CHUNK } from "../ledger/attest.js";
import { WriteRefused, type CityNode } from "../node/city-node.js";
import type { NewStep } from "../node/journal.js";
import type { QueryLogEntry } from "../query/log-entry.js";
import { CATEGORY_SLUGS, type Category } from "../records/index.js";
import type { Session } from "../session.js";
import { operatorToken, tokenPath } from "./auth.js";
import { firstLine } from "./chain.js";
import { ServiceMetrics } from "./metrics.js";
import { SubmissionQueue, flushQueue } from "./submissions.js";
import { QueryWatcher } from "./watcher.js";

export interface NodeServiceOptions {
  /** Registry id of the node this service runs beside. */
  nodeId: number;
  /** Batch mode: flush when this many records are queued … */
  batchSize?: number;
  /** … or when the oldest queued record has waited this long. Neither given: every submission is attested live at once. */
  batchSeconds?: number;
  /** Live mode: records per transaction (default 100: a multiAttest of up to 100; 1: one attest each). */
  liveChunk?: number;
  /** Commit the query log when this many entries are uncommitted … */
  commitSize: number;
  /** … or when the oldest uncommitted entry has waited this long. */
  commitSeconds: number;
  /** Period of the background loop. */
  pollMs: number;
  /** Live mode: longest a submission is held open before it is answered 202, still landing (default 60 s). */
  liveAnswerWithinMs?: number;
  /** Most blocks of QueryDesk events read per pass. */
  maxBlocks?: number;
  log?: (line: string) => void;
}

export const DEFAULT_BATCH_SIZE = 1000;
export const DEFAULT_BATCH_SECONDS = 10;
export const DEFAULT_COMMIT_SIZE = 100;
export const DEFAULT_COMMIT_SECONDS = 60;
export const DEFAULT_POLL_MS = 1000;
/** Most records of one live transaction (a multiAttest of 100 uses ~6.7M gas). */
export const MAX_LIVE_CHUNK = 100;
/** Records of one live flush (`liveChunk` records a transaction). */
const LIVE_FLUSH = 5000;
/** Flushes of one trigger pass at most (each bounded in records). */
const MAX_FLUSHES_PER_PASS = 16;
/** Block ranges of QueryDesk events read in one pass at most (a service far behind catches up over several passes). */
const MAX_RANGES_PER_PASS = 10;
/** How long `stop` waits for the last flush and commitment. */
const STOP_TIMEOUT_MS = 30_000;
const HEALTH_RPC_TIMEOUT_MS = 3_000;

/** Runs async work one at a time, in call order. */
class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  run<T>(fn: () => Promise<T>): Promise<T> {
    this.waiting++;
    const p = this.tail.then(fn).finally(() => this.waiting--);
    this.tail = p.catch(() => undefined);
    return p;
  }

  get idle(): boolean {
    return this.waiting === 0;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

/** A record version the node withdraws (`POST /operator/revocations`). */
export interface RevocationItem {
  enterprise: string;
  category: Category;
  version: number;
  /** 1 entered in error, 2 court order, 3 data source withdrawn, 100 and above the node's own codes. */
  reason: number;
}

export interface RevocationResult {
  enterprise: string;
  category: string;
  version: number;
  reason: number;
  status: "revoked" | "refused";
  txHash?: string;
  block?: number;
  /** Why the chain refused it (its custom error). */
  error?: string;
}

/** The journal key of a revocation: one per record version, so that asking again never sends it twice. */
export const revocationKey = (r: Pick<RevocationItem, "enterprise" | "category" | "version">) => `revoke/${r.enterprise}/${r.category}/v${r.version}`;

export interface Health {
  status: "ok" | "unhealthy";
  node: string;
  head?: number;
  journal: { pending: number; sent: number; done: number; failed: number };
  queuedRecords: number;
  reasons: string[];
}

export class NodeService {
  readonly queue: SubmissionQueue;
  readonly watcher: QueryWatcher;
  readonly metrics: ServiceMetrics;
  readonly token: string;
  readonly tokenFile: string;
  private readonly writer = new Serial();
  private timer?: NodeJS.Timeout;
  private passing?: Promise<void>;
  private stopped = false;
  private lastError?: string;
  private uncommittedSince?: number;

  private constructor(
    readonly session: Session,
    readonly node: CityNode,
    readonly opts: NodeServiceOptions,
  ) {
    this.queue = new SubmissionQueue(node.store);
    this.tokenFile = tokenPath(session.storeDir, node.id);
    this.token = operatorToken(this.tokenFile);
    const provider = session.conn.ethers.provider;
    this.metrics = new ServiceMetrics(
      {
        head: () => provider.getBlockNumber().catch(() => undefined),
        peers: async () => {
          try {
            return Number(await provider.send("net_peerCount", []));
          } catch {
            return undefined;
          }
        },
        unfinishedSteps: () => node.journal.unfinished().length,
        queuedRecords: () => this.queue.size(),
        logSize: () => node.queryLog.size,
        lastCommitment: () => node.store.commitments().at(-1),
      },
      { node: node.id, network: session.conn.networkName },
    );
    this.watcher = new QueryWatcher(session, node, (fn) => this.writer.run(fn), {
      maxBlocks: opts.maxBlocks ?? 2000,
      onAnswer: (outcome) => {
        if (outcome === "fulfilled" || outcome === "denied" || outcome === "refused") this.metrics.answers.inc({ outcome });
      },
      log: opts.log,
    });
  }

  /** Starts the node (settling what an earlier run left unfinished) and the service around it; the loop is not running yet. */
  static async open(session: Session, opts: NodeServiceOptions): Promise<NodeService> {
    const node = await session.node(opts.nodeId);
    const s = session.settled.get(opts.nodeId);
    if (s && s.found + s.resent + s.failed > 0)
      opts.log?.(
        `node ${node.id}: settled ${s.found + s.resent + s.failed} chain write(s) left unfinished (${s.found} found on chain, ${s.resent} sent again, ${s.failed} refused)`,
      );
    return new NodeService(session, node, opts);
  }

  get batchMode(): boolean {
    return this.opts.batchSize !== undefined || this.opts.batchSeconds !== undefined;
  }

  get batchSize(): number {
    return this.opts.batchSize ?? DEFAULT_BATCH_SIZE;
  }

  get liveChunk(): number {
    return this.opts.liveChunk ?? DEFAULT_LIVE_CHUNK;
  }

  get batchSeconds(): number {
    return this.opts.batchSeconds ?? DEFAULT_BATCH_SECONDS;
  }

  /** Runs the background loop every `pollMs` until `stop`. */
  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.passing = this.pass().finally(() => {
        this.passing = undefined;
        if (!this.stopped) this.timer = setTimeout(loop, this.opts.pollMs);
      });
    };
    loop();
  }

  /** One pass of the loop: settle, watch, batch trigger, commit trigger. Errors are kept for /health. */
  async pass(): Promise<void> {
    try {
      await this.settleIfIdle();
      for (let i = 0; i < MAX_RANGES_PER_PASS && (await this.watcher.poll()).behind; i++); // catching up, bounded
      await this.batchTrigger();
      await this.commitTrigger();
      this.lastError = undefined;
    } catch (e) {
      this.lastError = firstLine(e);
      this.metrics.errors.inc();
      this.opts.log?.(`node service ${this.node.id}: ${this.lastError}`);
    }
  }

  /** Steps left unfinished by a chain error (nothing in flight): settled against the chain, as at start. */
  private async settleIfIdle(): Promise<void> {
    if (!this.writer.idle || this.node.journal.unfinished().length === 0) return;
    await this.writer.run(async () => {
      if (this.node.journal.unfinished().length > 0) await this.node.settle();
    });
  }

  /** Flushes queued records: in batch mode when `batchSize` are queued or the oldest waited `batchSeconds`. */
  private async batchTrigger(force = false): Promise<void> {
    for (let i = 0; i < MAX_FLUSHES_PER_PASS; i++) {
      const size = this.queue.size();
      if (size === 0) return;
      const oldest = this.queue.oldest() ?? Date.now();
      const due = force || !this.batchMode || size >= this.batchSize || Date.now() - oldest >= this.batchSeconds * 1000;
      if (!due) return;
      const r = await this.writer.run(() => this.flushOnce());
      if (r.landed + r.refused === 0) return;
    }
  }

  private async flushOnce(): Promise<{ landed: number; refused: number }> {
    // steps an earlier flush left unfinished (the chain did not take them) are settled first: a record still
    // pending would not be found as the node's current version, and would be attested again as the next one
    if (this.node.journal.unfinished().length > 0) await this.node.settle();
    const mode = this.batchMode ? "batch" : "live";
    const r = await flushQueue(this.session, this.session.manifest, this.queue, {
      mode,
      nodeId: this.node.nodeId,
      max: this.batchMode ? this.batchSize : LIVE_FLUSH,
      chunk: this.batchMode ? this.batchSize : this.liveChunk,
    });
    if (r.landed + r.refused > 0) {
      this.metrics.batches.inc({ mode });
      this.metrics.recordsAttested.inc(r.landed);
      this.opts.log?.(`node ${this.node.id}: ${r.landed} record(s) on chain (${mode})${r.refused ? `, ${r.refused} refused` : ""}`);
    }
    return r;
  }

  /** Attests what is queued now (live mode, or an operator's explicit flush), in order behind other writes. */
  flushNow(): Promise<void> {
    return this.batchTrigger(true);
  }

  /**
   * Revokes record versions this node attested: each a journaled `revoke` step, sent side by side in the
   * writer's turn. A version revoked by an earlier request is answered from the journal, not sent again; one the
   * chain refuses (already revoked by another writer, a version the chain does not have) comes back "refused"
   * with the contract's error. Throws when the chain does not answer: the steps stay journaled and the loop
   * settles them, so asking again later finds them done.
   */
  revoke(items: readonly RevocationItem[]): Promise<RevocationResult[]> {
    return this.writer.run(async () => {
      if (this.node.journal.unfinished().length > 0) await this.node.settle();
      const steps = items.map((i): NewStep<"revoke"> => ({
        key: revocationKey(i),
        kind: "revoke",
        payload: { items: [{ enterprise: i.enterprise, category: i.category, version: i.version, reason: i.reason }] },
      }));
      const fresh = steps.filter((st) => this.node.journal.get(st.key) === undefined);
      if (fresh.length > 0) await this.node.journalSteps(fresh);
      await Promise.all(
        steps.map(async (st) => {
          if (this.node.journal.get(st.key)?.state !== "pending") return;
          try {
            await this.node.execute(st, { pipelined: true });
          } catch (e) {
            if (!(e instanceof WriteRefused)) throw e;
          }
        }),
      );
      return items.map((i, k) => {
        const st = this.node.journal.get(steps[k].key)!;
        const base = { enterprise: i.enterprise, category: CATEGORY_SLUGS[i.category], version: i.version, reason: i.reason };
        if (st.state === "done") return { ...base, status: "revoked", txHash: st.txHash ?? undefined, block: st.block ?? undefined };
        if (st.state === "failed") return { ...base, status: "refused", error: st.error ?? "refused by the chain" };
        throw new Error(`the revocation ${st.key} is still under way (${st.state}); ask again shortly`);
      });
    });
  }

  /**
   * Appends the entry of a query attempt this service refused at its relay (nothing reached the chain) to the
   * node's query log; it is committed with the next commitment. Returns its sequence.
   */
  logRefused(entry: Omit<QueryLogEntry, "sequence">): number {
    const [stored] = this.node.queryLog.append([entry]);
    this.metrics.answers.inc({ outcome: "refused-at-relay" });
    return stored.sequence;
  }

  /** Commits the query log when `commitSize` entries are uncommitted or the oldest waited `commitSeconds`. */
  private async commitTrigger(force = false): Promise<void> {
    const committed = this.node.store.commitments().at(-1)?.size ?? 0;
    const uncommitted = this.node.queryLog.size - committed;
    if (uncommitted <= 0) {
      this.uncommittedSince = undefined;
      return;
    }
    this.uncommittedSince ??= Date.now();
    if (!force && uncommitted < this.opts.commitSize && Date.now() - this.uncommittedSince < this.opts.commitSeconds * 1000) return;
    await this.writer.run(async () => {
      const mined = await this.node.commitLog();
      if (mined) {
        this.metrics.commits.inc();
        this.opts.log?.(`node ${this.node.id}: query log committed at size ${this.node.queryLog.size} (tx ${mined.hash})`);
      }
    });
    this.uncommittedSince = undefined;
  }

  async health(): Promise<Health> {
    const reasons: string[] = [];
    let head: number | undefined;
    try {
      head = await withTimeout(
        this.session.conn.ethers.provider.getBlockNumber(),
        HEALTH_RPC_TIMEOUT_MS,
        `the chain (network ${this.session.conn.networkName})`,
      );
    } catch (e) {
      reasons.push(`chain unreachable: ${firstLine(e)}`);
    }
    const unfinished = this.node.journal.unfinished();
    if (unfinished.length > 0 && this.writer.idle)
      reasons.push(
        `${unfinished.length} journal step(s) unfinished: ${unfinished
          .slice(0, 5)
          .map((s) => `${s.key} (${s.state})`)
          .join(", ")}${unfinished.length > 5 ? " …" : ""}`,
      );
    if (this.lastError) reasons.push(`last background pass failed: ${this.lastError}`);
    if (this.stopped) reasons.push("stopping");
    return {
      status: reasons.length === 0 ? "ok" : "unhealthy",
      node: this.node.id,
      head,
      journal: this.node.journal.counts(),
      queuedRecords: this.queue.size(),
      reasons,
    };
  }

  /**
   * Stops the loop, then (bounded) flushes the queued records and commits the query log, and waits for the
   * writes in flight. Whatever does not finish in time stays in the store and the journal for the next start.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    const finish = async () => {
      await this.passing;
      try {
        await this.batchTrigger(true);
        await this.commitTrigger(true);
      } catch (e) {
        this.opts.log?.(`node service ${this.node.id}: could not flush before stopping (${firstLine(e)}); it stays queued for the next start`);
      }
      await this.writer.run(async () => undefined);
    };
    await withTimeout(finish(), STOP_TIMEOUT_MS, "the last flush").catch((e) => this.opts.log?.(`node service ${this.node.id}: ${firstLine(e)}`));
    this.node.flush();
  }
}
