/** The summary table a replay prints at the end. */
import { formatTable } from "../cli/table.js";
import type { ReplayReport } from "./model.js";
import type { ServiceReplayReport } from "./services.js";

export function replaySummary(r: ReplayReport): string {
  const phases = formatTable(
    ["phase", "seconds", "items", "items/s", "txs", "txs/s", "gas"],
    r.phases.map((p) => [
      p.phase,
      Number(p.seconds.toFixed(1)),
      p.items,
      Math.round(p.itemsPerSecond),
      p.transactions,
      Math.round(p.transactionsPerSecond),
      p.gas,
    ]),
  );
  const counts = formatTable(
    ["count", "target", "replayed"],
    [
      ["enterprises", r.targets.enterprises, r.counts.enterprises],
      ["queries served", r.targets.queries, r.counts.queries],
      ["reports", r.targets.reports, r.counts.reports],
      ["institutions", r.targets.institutions, r.counts.institutions],
      ["records attested", "", r.counts.records],
      ["refused attempts", "", r.counts.refusedAttempts],
      ["query-log entries", "", r.counts.logEntries],
      ["objections", "", r.counts.objections],
    ],
  );
  const roots = formatTable(
    ["node", "batches", "batch roots digest", "log size", "log root"],
    r.roots.map((n) => [n.node, n.batches, n.batchRootsDigest.slice(0, 18) + "…", n.logSize, n.logRoot.slice(0, 18) + "…"]),
  );
  return [
    `replay ${r.options.mode}, scale ${r.options.scale}, seed "${r.options.seed}", batch size ${r.options.batchSize}, ${r.options.workers} worker(s) on ${r.network}`,
    "",
    phases,
    "",
    counts,
    `counts match the targets: ${r.countsMatchTargets ? "yes" : "NO"}`,
    `gas: ${r.gas.total.toLocaleString("en-US")} in total, ${r.gas.perRecord.toFixed(1)} per record; peak RSS ${r.peakRssMB} MB`,
    "",
    roots,
    `roots digest ${r.rootsDigest}`,
  ].join("\n");
}

/** The summary table of a live replay through the node services. */
export function serviceReplaySummary(r: ServiceReplayReport): string {
  const phases = formatTable(
    ["phase", "seconds", "items", "txs", "failed txs", "txs/s", "latency ms p50", "p95", "p99", "refused"],
    r.phases.map((p) => [
      p.phase,
      Number(p.seconds.toFixed(1)),
      p.items,
      p.txs,
      p.failedTxs,
      Math.round(p.txPerSec),
      p.latencyMs.p50,
      p.latencyMs.p95,
      p.latencyMs.p99,
      p.refused,
    ]),
  );
  const c = r.counts;
  return [
    `replay live through the node services (${r.services.join(", ")}), scale ${r.scale}, seed "${r.seed}" on ${r.network} (chain ${r.chainId})`,
    `cities replayed: ${r.citiesReplayed.join(", ")}${r.citiesSkipped.length > 0 ? `; not replayed (their serving node runs no service): ${r.citiesSkipped.join(", ")}` : ""}`,
    "",
    phases,
    "",
    `records ${c.records.toLocaleString("en-US")}, revoked ${c.revocations}, objections ${c.objections}; queries relayed ${c.queries.toLocaleString("en-US")} (answered ${c.answered}: ${c.fulfilled} fulfilled, ${c.denied} denied), refused attempts ${c.refusedAttempts} (403 from the services, as the workload wants, each logged by the service that refused it); query-log entries committed ${c.logEntries}`,
    `in all: ${r.totals.txs.toLocaleString("en-US")} transactions in ${r.totals.seconds.toFixed(1)} s = ${Math.round(r.totals.txPerSec)} tx/s, ${r.totals.failedTxs} failed`,
  ].join("\n");
}
