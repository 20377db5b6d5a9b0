/** The summary table a replay prints at the end. */
import { formatTable } from "../cli/table.js";
import type { ReplayReport } from "./model.js";

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
