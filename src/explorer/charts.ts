/**
 * The charts' figures: served queries per day and per serving city, cross-city flows (the requesting
 * institution's sponsor city → the serving city), reports per query, refusals by reason, and objections open /
 * answered / overdue. Queries come from the node stores: whole log entries as they are, and the entries a bulk
 * replay keeps as leaf hashes regenerated from the replay's seed (as `audit --sample` does), so the figures
 * cover the whole replayed year. Computed once per state of the stores and the chain.
 */
import type { Manifest } from "../chain/manifest.js";
import { DENY_NO_RECORD } from "../query/live.js";
import { decodeLogEntry, QueryOutcome } from "../query/log-entry.js";
import { QUERY_BLOCK, queryModel, queryPlan, scaledTargets, type ReplayState } from "../replay/model.js";
import { replayStateIn } from "../replay/prove.js";
import { loadSeeds } from "../seeds.js";
import { apportion, loadWorkloadConfig } from "../workload/config.js";
import { Population } from "../workload/enterprises.js";
import { generateQueries } from "../workload/queries.js";
import type { ChartsResponse } from "./api.js";
import type { ExplorerContext } from "./consortium.js";

/**
 * Reasons of refused attempts, in the order the workload names them (src/workload/queries.ts: "no, expired or
 * revoked authorization", drawn as reasons 1-3), and of denials (the serving node holds no record).
 */
const REFUSAL_LABELS: Record<number, string> = { 1: "no authorization", 2: "expired authorization", 3: "revoked authorization" };
const DENIAL_LABELS: Record<number, string> = { [DENY_NO_RECORD]: "no record held" };

/** The day of a unix time in Beijing time (UTC+8), YYYY-MM-DD. */
export function beijingDay(t: number): string {
  return new Date((t + 8 * 3600) * 1000).toISOString().slice(0, 10);
}

interface Tally {
  perDay: Map<string, number>;
  perCity: Map<string, number>;
  flows: Map<string, number>;
  reports: Map<number, number>;
  refusals: Map<string, number>;
}

function add<K>(m: Map<K, number>, k: K, n = 1): void {
  m.set(k, (m.get(k) ?? 0) + n);
}

function count(t: Tally, q: { time: number; servingCity: string; fromCity?: string; outcome: QueryOutcome; reason: number; reports?: number }): void {
  if (q.outcome === QueryOutcome.Fulfilled) {
    add(t.perDay, beijingDay(q.time));
    add(t.perCity, q.servingCity);
    if (q.fromCity) add(t.flows, `${q.fromCity}>${q.servingCity}`);
    if (q.reports !== undefined) add(t.reports, q.reports);
  } else {
    add(t.refusals, `${q.outcome === QueryOutcome.Denied ? "denied" : "refused"}:${q.reason}`);
  }
}

/** The replayed (leaf-hash) entries regenerated from the seed: blocks 0 … queryBlocksDone-1 of the replay. */
function countReplayed(
  t: Tally,
  manifest: Manifest,
  state: ReplayState,
  nodeCity: (id: number) => string,
  sponsorCity: (inst: number) => string | undefined,
): number {
  const seeds = loadSeeds();
  const cfg = loadWorkloadConfig(seeds);
  const targets = scaledTargets(seeds, state.scale);
  const counts = apportion(
    targets.enterprises,
    seeds.cities.map((x) => cfg.enterpriseShares.get(x.code)!),
  );
  const pop = new Population(state.seed, seeds.cities, counts, cfg.financingShare, cfg.correctionShare, cfg.revocationShare, cfg.objectionShare);
  const cityNodes = seeds.cities.map((city) => manifest.nodes.filter((x) => x.city === city.code).map((x) => x.nodeId));
  const plan = queryPlan(targets, state.refusedShare);
  const model = queryModel({ seeds, cfg, pop, cityNodes, seed: state.seed, institutions: manifest.institutions.slice(0, state.institutions), nodeCity }, plan);
  let n = 0;
  for (let b = 0; b < state.queryBlocksDone; b++) {
    const from = b * QUERY_BLOCK;
    for (const q of generateQueries(model, b, from, Math.min(plan.served, from + QUERY_BLOCK))) {
      count(t, {
        time: q.time,
        servingCity: nodeCity(q.servingNode),
        fromCity: sponsorCity(q.institution),
        outcome: q.outcome,
        reason: q.reason,
        reports: q.served >= 0 ? q.reports : undefined,
      });
      n++;
    }
  }
  return n;
}

export class Charts {
  private cached: { key: string; value: ChartsResponse } | undefined;

  constructor(private readonly ctx: ExplorerContext) {}

  async get(): Promise<ChartsResponse> {
    const { session, watch } = this.ctx;
    await watch.refresh();
    const ids = session.stores.existing();
    const key = `${watch.head}/${ids.map((id) => session.stores.get(id).logSize()).join(",")}`;
    if (this.cached?.key === key) return this.cached.value;
    const manifest = session.manifest;
    const nodeCityMap = new Map(manifest.nodes.map((n) => [n.nodeId, n.city]));
    const nodeCity = (id: number) => nodeCityMap.get(id)!;
    const sponsorOf = new Map(manifest.institutions.map((i) => [i.institutionId, i.sponsorNodeId]));
    const sponsorCity = (inst: number) => nodeCityMap.get(sponsorOf.get(inst) ?? 0);
    const t: Tally = { perDay: new Map(), perCity: new Map(), flows: new Map(), reports: new Map(), refusals: new Map() };
    let whole = 0;
    for (const id of ids) {
      for (const e of session.stores.get(id).allLogEntries()) {
        const d = decodeLogEntry(e.entry);
        const reports = d.liveQueryId !== 0n ? watch.reportsOfQuery.get(Number(d.liveQueryId)) : undefined;
        count(t, { time: d.time, servingCity: nodeCity(id), fromCity: sponsorCity(d.institution), outcome: d.outcome, reason: d.reason, reports });
        whole++;
      }
    }
    const state = replayStateIn(session.stores);
    const replayed = state && state.mode === "bulk" ? countReplayed(t, manifest, state, nodeCity, sponsorCity) : 0;
    const value: ChartsResponse = {
      source: { wholeEntries: whole, replayedEntries: replayed, ...(state ? { replay: { seed: state.seed, scale: state.scale, mode: state.mode } } : {}) },
      perDay: [...t.perDay].sort(([a], [b]) => a.localeCompare(b)).map(([day, n]) => ({ day, count: n })),
      perCity: [...t.perCity].map(([city, n]) => ({ city, count: n })),
      flows: [...t.flows].map(([k, n]) => ({ from: k.split(">")[0], to: k.split(">")[1], count: n })),
      reportsPerQuery: [...t.reports].sort(([a], [b]) => a - b).map(([reports, queries]) => ({ reports, queries })),
      refusals: [...t.refusals].map(([k, n]) => {
        const [outcome, reason] = [k.split(":")[0] as "refused" | "denied", Number(k.split(":")[1])];
        const label = (outcome === "denied" ? DENIAL_LABELS : REFUSAL_LABELS)[reason] ?? `reason ${reason}`;
        return { outcome, reason, label: `${outcome}: ${label}`, count: n };
      }),
      objections: watch.objectionCounts(),
    };
    this.cached = { key, value };
    return value;
  }
}
