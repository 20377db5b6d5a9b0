/**
 * What every part of a replay shares: its options, state file, targets and metrics, the run context the
 * drivers work in (a session, its city nodes, the workload), the order of the year's chunks, and the query
 * model. The drivers (`bulk.ts`, `live.ts`) and the orchestrator (`replay.ts`) import this, never each other.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { keccak256, solidityPacked, toUtf8Bytes } from "ethers";
import type { CityNode } from "../node/city-node.js";
import type { Session } from "../session.js";
import type { Seeds } from "../seeds.js";
import type { WorkloadConfig } from "../workload/config.js";
import type { Population } from "../workload/enterprises.js";
import type { QueryModel, QueryPlan } from "../workload/queries.js";
import { YearProfile } from "../workload/time.js";
import { chunkCount, type ChunkSpec } from "./chunks.js";
import { inOrderWindow } from "../concurrency.js";

/** 3: replayed records' salts come from each node's secret (before: from the seed's random stream). */
export const REPLAY_STATE_VERSION = 3;
/** Served queries per block: the unit of query work, of log storage and of a round of log commitments. */
export const QUERY_BLOCK = 100_000;
/** Enterprises per supersede / revoke transaction. */
export const DECLARATIONS_PER_TX = 500;
export const REVOCATION_REASON_ENTERED_IN_ERROR = 1;

export interface ReplayOptions {
  scale: number;
  mode: "bulk" | "live";
  seed: string;
  batchSize: number;
  workers: number;
  /** Folder of the node stores and the replay state (default: data/; a temporary folder on the in-process chain). */
  dataDir?: string;
  resume: boolean;
  /** Archive the network's deployment (manifest and stores) and replay on a fresh one. */
  fresh?: boolean;
  refusedShare?: number;
  /**
   * Live mode: the chain time (unix seconds) from which the replay's authorizations are valid. Default: the
   * chain's clock when the replay starts. The same seed and epoch give the same log roots.
   */
  epoch?: number;
  /** Stop (as if interrupted) after this many chain steps: for tests of --resume. */
  stopAfterSteps?: number;
  /**
   * For tests that compare runs on separate stores (worker counts, engines): the salt secret each node's store
   * takes when it has none yet (see `NodeStore.saltSecret`). Without it every new store makes a random one, so
   * two deployments replayed with the same seed have different batch roots.
   */
  saltSecrets?: (node: string) => Uint8Array;
  log?: (line: string) => void;
  progress?: boolean;
}

export interface ReplayState {
  version: number;
  seed: string;
  scale: number;
  mode: string;
  batchSize: number;
  refusedShare: number;
  institutions: number;
  network: string;
  chainId: string;
  recordsDone: boolean;
  queryBlocksDone: number;
  /** Live mode: the query block under way and the chain height when it began (a resumed run settles from there). */
  liveBlock?: { block: number; fromChainBlock: number };
  objectionsFiled: number;
  objectionsDone: boolean;
  /** Live mode: see ReplayOptions.epoch. */
  liveEpoch?: number;
}

/** The state of a replay that starts now (nothing done yet). */
export function newReplayState(
  s: Pick<ReplayState, "seed" | "scale" | "mode" | "batchSize" | "refusedShare" | "institutions" | "network" | "chainId"> & { liveEpoch?: number },
): ReplayState {
  const { liveEpoch, ...rest } = s;
  return {
    version: REPLAY_STATE_VERSION,
    ...rest,
    recordsDone: false,
    queryBlocksDone: 0,
    objectionsFiled: 0,
    objectionsDone: false,
    ...(liveEpoch !== undefined ? { liveEpoch } : {}),
  };
}

export interface PhaseMetrics {
  phase: string;
  /** Live mode: submit → receipt latency of the phase's transactions, in milliseconds. */
  latencyMs?: { p50: number; p95: number; p99: number };
  seconds: number;
  items: number;
  itemsPerSecond: number;
  transactions: number;
  transactionsPerSecond: number;
  gas: number;
}

export function percentiles(xs: number[]): { p50: number; p95: number; p99: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => (s.length === 0 ? 0 : Number(s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(2)));
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

/** The metrics of a finished phase. */
export function phaseMetrics(phase: string, seconds: number, items: number, transactions: number, gas: number, latencies?: number[]): PhaseMetrics {
  return {
    phase,
    seconds,
    items,
    itemsPerSecond: items / seconds,
    transactions,
    transactionsPerSecond: transactions / seconds,
    gas,
    ...(latencies ? { latencyMs: percentiles(latencies) } : {}),
  };
}

export interface NodeRoots {
  node: string;
  batches: number;
  /** keccak256 of the node's replayed batch roots in anchoring order. */
  batchRootsDigest: string;
  logSize: number;
  logRoot: string;
}

export interface ReplayReport {
  options: Omit<ReplayOptions, "log" | "progress" | "stopAfterSteps" | "saltSecrets">;
  network: string;
  chainId: string;
  completed: boolean;
  phases: PhaseMetrics[];
  targets: Record<string, number>;
  counts: Record<string, number>;
  countsMatchTargets: boolean;
  gas: { total: number; perRecord: number };
  peakRssMB: number;
  roots: NodeRoots[];
  /** keccak256 over every node's roots: one value to compare runs by. */
  rootsDigest: string;
}

/** Thrown when a run stops early on purpose (`stopAfterSteps`). */
export class ReplayInterrupted extends Error {}

export interface Targets {
  // scaled end-2024 totals
  enterprises: number;
  reports: number;
  queries: number;
  institutions: number;
}

export function scaledTargets(seeds: Seeds, scale: number): Targets {
  if (!(scale > 0 && scale <= 1)) throw new Error(`--scale must be in (0, 1], got ${scale}`);
  const v = seeds.volumes;
  const enterprises = Math.round(v.enterprises * scale);
  const queries = Math.round(v.queries * scale);
  if (enterprises < seeds.cities.length || queries < 1)
    throw new Error(`--scale ${scale} is too small: at least ${seeds.cities.length} enterprises and one query are needed`);
  return { enterprises, reports: Math.round(v.reports * scale), queries, institutions: Math.max(seeds.nodes.length, Math.round(v.institutions * scale)) };
}

/** The year's split of query attempts for `targets`. */
export function queryPlan(targets: Targets, refusedShare: number): QueryPlan {
  return { served: targets.queries, refused: Math.round((targets.queries * refusedShare) / (1 - refusedShare)), reports: targets.reports };
}

export function statePath(dir: string): string {
  return join(dir, "replay.json");
}

export function readState(dir: string): ReplayState | undefined {
  const path = statePath(dir);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as ReplayState;
  } catch (e) {
    throw new Error(`replay state ${path} is not valid JSON (${(e as Error).message}): replay with --fresh to archive it and start anew`, { cause: e });
  }
}

export function writeState(dir: string, s: ReplayState): void {
  const tmp = statePath(dir) + ".tmp";
  writeFileSync(tmp, JSON.stringify(s, null, 2) + "\n");
  renameSync(tmp, statePath(dir));
}

/** A replay under way: the session and its city nodes, the workload, the options and the state. */
export interface Run {
  session: Session;
  /** nodes[i] is city node i + 1, started (its unfinished steps settled). */
  nodes: CityNode[];
  /** saltSecrets[i] is the salt secret of city node i + 1 (from its store), for the records it regenerates. */
  saltSecrets: Uint8Array[];
  seeds: Seeds;
  cfg: WorkloadConfig;
  pop: Population;
  opts: ReplayOptions;
  state: ReplayState;
  /** Folder of the stores and the state file. */
  dir: string;
  steps: number;
  /** city number → node ids of the city. */
  cityNodes: number[][];
}

/** Counts one chain step; stops the run when `stopAfterSteps` is reached (tests of --resume). */
export function tick(run: Run): void {
  run.steps++;
  if (run.opts.stopAfterSteps !== undefined && run.steps >= run.opts.stopAfterSteps) throw new ReplayInterrupted(`stopped after ${run.steps} chain steps`);
}

/** An enterprise's private key in a replay (derived from the seed: test use only). It signs authorizations and objections. */
export function enterprisePrivateKey(seed: string, enterprise: string): string {
  return keccak256(solidityPacked(["bytes", "string"], [toUtf8Bytes(`${seed}/enterprise-key`), enterprise]));
}

/** One workload chunk with the node that attests it and the prefix of its journal keys. */
export type NodeChunk = ChunkSpec & { nodeId: number; key: string };

/** Every chunk of the year in replay order: chunk 0 of every node, then chunk 1 …, so nodes progress together. */
export function chunkSpecs(run: Pick<Run, "seeds" | "cityNodes" | "pop" | "opts">): NodeChunk[] {
  const specs: NodeChunk[] = [];
  const perNode = run.seeds.cities.flatMap((_, c) =>
    run.cityNodes[c].map((nodeId, slot) => ({ c, slot, nodeId, chunks: chunkCount(run.pop, c, slot, run.cityNodes[c].length, run.opts.batchSize) })),
  );
  const maxChunks = Math.max(...perNode.map((n) => n.chunks));
  for (let j = 0; j < maxChunks; j++)
    for (const n of perNode)
      if (j < n.chunks)
        specs.push({
          city: n.c,
          slot: n.slot,
          slots: run.cityNodes[n.c].length,
          chunk: j,
          batchSize: run.opts.batchSize,
          nodeId: n.nodeId,
          key: `r/${n.c}/${n.slot}/${j}`,
        });
  return specs;
}

/** Whether every journaled step of a chunk is done (and it has some). */
export function chunkDone(node: CityNode, key: string): boolean {
  const steps = node.journal.withPrefix(key + "/");
  return steps.length > 0 && steps.every((x) => x.state === "done");
}

/** The year's query model of a replay on a deployment. */
export function queryModel(
  run: Pick<Run, "seeds" | "cfg" | "pop" | "cityNodes"> & { seed: string; institutions: { sponsorNodeId: number }[]; nodeCity: (nodeId: number) => string },
  plan: QueryPlan,
): QueryModel {
  const cityIndex = new Map(run.seeds.cities.map((c, i) => [c.code, i]));
  return {
    seed: run.seed,
    plan,
    population: run.pop,
    profile: new YearProfile(run.cfg.holidays, run.cfg.makeUpWorkdays),
    institutionCity: [0, ...run.institutions.map((i) => cityIndex.get(run.nodeCity(i.sponsorNodeId))!)],
    institutionZipf: run.cfg.institutionZipf,
    crossCityShare: run.cfg.crossCityShare,
    enterpriseShares: run.seeds.cities.map((c) => run.cfg.enterpriseShares.get(c.code)!),
    cityNodes: run.cityNodes,
  };
}

/** The replay's institutions: the first `state.institutions` of the deployment. */
export function replayInstitutions(run: Run): { sponsorNodeId: number; keyIndex: number; institutionId: number }[] {
  return run.session.manifest.institutions.slice(0, run.state.institutions);
}

/** The query model of a running replay. */
export function runQueryModel(run: Run): QueryModel {
  const manifest = run.session.manifest;
  return queryModel(
    { ...run, seed: run.opts.seed, institutions: replayInstitutions(run), nodeCity: (id) => manifest.nodes[id - 1].city },
    queryPlan(scaledTargets(run.seeds, run.opts.scale), run.state.refusedShare),
  );
}

/**
 * Commits every node's log that grew since its last commitment, the nodes side by side (each through its own
 * journal, from its own account); returns transactions and gas.
 */
export async function commitLogs(run: Run): Promise<{ txs: number; gas: number }> {
  let txs = 0;
  let gas = 0;
  await inOrderWindow(run.nodes, run.nodes.length, async (node) => {
    if (!node.queryLog.nextCommitment()) return;
    tick(run);
    const mined = await node.commitLog();
    if (mined) {
      txs++;
      gas += Number(mined.gasUsed);
    }
  });
  return { txs, gas };
}
