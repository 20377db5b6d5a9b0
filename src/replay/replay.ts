/**
 * Replays a year of YRD volume on a chain: deploys the consortium, attests every enterprise's records in
 * Merkle batches anchored by its home-city node (with the year's corrections and revocations), logs every
 * query in the serving node's RFC 6962 log with periodic consistency-checked commitments, and files the
 * year's objections. Deterministic: the same seed, scale and batch size give the same roots at any worker
 * count. Resumable: every chain step is written to the node's store as pending before it is sent and marked
 * done after its receipt; a rerun with `--resume` settles pending steps against the chain and carries on, so
 * nothing is lost or done twice, even after `kill -9`.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hexlify, keccak256, toUtf8Bytes, type Signer } from "ethers";
import { institutionWallet, roles } from "../chain/accounts.js";
import { isInProcess, type ChainConnection } from "../chain/connection.js";
import { contractsOf, type Contracts } from "../chain/contracts.js";
import { deployConsortium } from "../chain/deploy.js";
import type { Manifest } from "../chain/manifest.js";
import { AUTHORIZATION_DAYS } from "../consent/authorization.js";
import { usccBytes } from "../ledger/leaf.js";
import { MerkleLog } from "../merkle/log.js";
import { NodeQueryLog } from "../query/querylog.js";
import { Category } from "../records/categories.js";
import { loadSeeds, type Seeds } from "../seeds.js";
import { NodeStores } from "../store/stores.js";
import { apportion, loadWorkloadConfig, type WorkloadConfig } from "../workload/config.js";
import { Population } from "../workload/enterprises.js";
import { generateQueries, generatedLeafHash, type QueryModel, type QueryPlan } from "../workload/queries.js";
import { YearProfile } from "../workload/time.js";
import { chunkCount, type ChunkResult, type ChunkSpec } from "./chunks.js";
import { ChunkPool } from "./pool.js";
import type { PopulationInit } from "./population.js";
import { PhaseProgress } from "./progress.js";
import { liveQueriesPhase, liveRecordsPhase, percentiles } from "./live.js";
import { ReplayStore, type ReplayStep } from "./store.js";
import { inOrderWindow } from "./window.js";

export const REPLAY_STATE_VERSION = 1;
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
  dataDir: string;
  resume: boolean;
  refusedShare?: number;
  /**
   * Live mode: the chain time (unix seconds) from which the replay's authorizations are valid. Default: the
   * chain's clock when the replay starts. The same seed and epoch give the same log roots.
   */
  epoch?: number;
  /** Stop (as if interrupted) after this many chain steps: for tests of --resume. */
  stopAfterSteps?: number;
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
  objectionsDone: boolean;
  /** Live mode: see ReplayOptions.epoch. */
  liveEpoch?: number;
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
  /** keccak256 of the node's batch roots in anchoring order. */
  batchRootsDigest: string;
  logSize: number;
  logRoot: string;
}

export interface ReplayReport {
  options: Omit<ReplayOptions, "log" | "progress" | "stopAfterSteps">;
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
  if (enterprises < seeds.cities.length || queries < 1) throw new Error(`--scale ${scale} is too small: at least ${seeds.cities.length} enterprises and one query are needed`);
  return { enterprises, reports: Math.round(v.reports * scale), queries, institutions: Math.max(seeds.nodes.length, Math.round(v.institutions * scale)) };
}

function statePath(dir: string): string {
  return join(dir, "replay.json");
}

export function writeState(dir: string, s: ReplayState): void {
  const tmp = statePath(dir) + ".tmp";
  writeFileSync(tmp, JSON.stringify(s, null, 2) + "\n");
  renameSync(tmp, statePath(dir));
}

export interface Ctx {
  conn: ChainConnection;
  manifest: Manifest;
  c: Contracts;
  stores: NodeStores;
  operators: Signer[];
  seeds: Seeds;
  cfg: WorkloadConfig;
  pop: Population;
  opts: ReplayOptions;
  state: ReplayState;
  dir: string;
  steps: number;
  /** city number → node ids of the city. */
  cityNodes: number[][];
}

export function tick(ctx: Ctx): void {
  ctx.steps++;
  if (ctx.opts.stopAfterSteps !== undefined && ctx.steps >= ctx.opts.stopAfterSteps) throw new ReplayInterrupted(`stopped after ${ctx.steps} chain steps`);
}

/** Runs (or resumes) a replay on `conn` and returns its report. */
export async function replay(conn: ChainConnection, opts: ReplayOptions): Promise<ReplayReport> {
  const log = opts.log ?? (() => {});
  const seeds = loadSeeds();
  const cfg = loadWorkloadConfig(seeds);
  const targets = scaledTargets(seeds, opts.scale);
  if (!Number.isSafeInteger(opts.batchSize) || opts.batchSize < 1) throw new Error(`--batch-size must be a whole number ≥ 1, got ${opts.batchSize}`);
  if (!Number.isSafeInteger(opts.workers) || opts.workers < 0 || opts.workers > 64) throw new Error(`--workers must be 0-64, got ${opts.workers}`);
  if (opts.mode !== "bulk" && opts.mode !== "live") throw new Error(`--mode must be bulk or live, not "${opts.mode}"`);
  if (opts.epoch !== undefined && opts.mode !== "live") throw new Error("--epoch applies to live mode only (bulk mode registers no authorizations)");
  const refusedShare = opts.refusedShare ?? cfg.refusedShare;
  if (!(refusedShare >= 0 && refusedShare < 0.5)) throw new Error(`--refused-share must be in [0, 0.5), got ${refusedShare}`);
  const { chainId } = await conn.ethers.provider.getNetwork();
  const dir = join(opts.dataDir, `${conn.networkName}-${chainId}`);
  const ephemeral = isInProcess(conn);

  let state: ReplayState;
  let manifest: Manifest;
  if (opts.resume) {
    if (ephemeral) throw new Error("--resume needs a chain that outlives the process: run `npx hardhat node --hostname 127.0.0.1` and pass --network localhost");
    if (!existsSync(statePath(dir))) throw new Error(`nothing to resume: no replay state in ${dir}`);
    state = JSON.parse(readFileSync(statePath(dir), "utf8")) as ReplayState;
    const same = [["seed", opts.seed], ["scale", opts.scale], ["mode", opts.mode], ["batchSize", opts.batchSize], ["refusedShare", refusedShare]] as [keyof ReplayState, unknown][];
    if (opts.epoch !== undefined) same.push(["liveEpoch", opts.epoch]);
    for (const [k, v] of same)
      if (state[k] !== v) throw new Error(`--resume: the replay in ${dir} was started with ${k} ${JSON.stringify(state[k])}, not ${JSON.stringify(v)}`);
    manifest = (await deployConsortium(conn, { institutions: state.institutions, log })).manifest;
    log(`resuming the replay in ${dir}`);
  } else {
    if (existsSync(statePath(dir)) && !ephemeral)
      throw new Error(`a replay already exists in ${dir}: pass --resume to continue it, or remove that folder to start over`);
    const epoch = opts.mode === "live" ? await liveEpoch(conn, opts.epoch) : undefined;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    manifest = (await deployConsortium(conn, { institutions: targets.institutions, fresh: true, log })).manifest;
    state = {
      version: REPLAY_STATE_VERSION,
      seed: opts.seed,
      scale: opts.scale,
      mode: opts.mode,
      batchSize: opts.batchSize,
      refusedShare,
      institutions: targets.institutions,
      network: conn.networkName,
      chainId: chainId.toString(),
      recordsDone: false,
      queryBlocksDone: 0,
      objectionsDone: false,
      ...(epoch !== undefined ? { liveEpoch: epoch } : {}),
    };
    writeState(dir, state);
  }

  const counts = apportion(targets.enterprises, seeds.cities.map((c) => cfg.enterpriseShares.get(c.code)!));
  const popInit: PopulationInit = {
    seed: opts.seed,
    counts,
    financingShare: cfg.financingShare,
    correctionShare: cfg.correctionShare,
    revocationShare: cfg.revocationShare,
    objectionShare: cfg.objectionShare,
  };
  const pop = new Population(opts.seed, seeds.cities, counts, cfg.financingShare, cfg.correctionShare, cfg.revocationShare, cfg.objectionShare);
  const r = await roles(conn, manifest.nodes.length);
  const ctx: Ctx = {
    conn,
    manifest,
    c: await contractsOf(conn, manifest),
    stores: new NodeStores(opts.dataDir, manifest),
    operators: r.operators,
    seeds,
    cfg,
    pop,
    opts,
    state,
    dir,
    steps: 0,
    cityNodes: seeds.cities.map((city) => manifest.nodes.filter((n) => n.city === city.code).map((n) => n.nodeId)),
  };
  const phases: PhaseMetrics[] = [];
  let completed = false;
  try {
    if (opts.mode === "live") {
      phases.push(await liveRecordsPhase(ctx, targets));
      phases.push(await liveQueriesPhase(ctx, queryModel(ctx, targets, refusedShare)));
    } else {
      phases.push(await recordsPhase(ctx, popInit, targets));
      phases.push(await queriesPhase(ctx, targets, refusedShare));
    }
    phases.push(await objectionsPhase(ctx));
    completed = true;
  } finally {
    ctx.stores.close();
  }
  return buildReport(ctx, targets, phases, completed, refusedShare);
}

/**
 * The epoch of a live replay: `requested`, checked against the chain's clock (authorizations from it must
 * still be valid for the run), or the clock itself.
 */
async function liveEpoch(conn: ChainConnection, requested: number | undefined): Promise<number> {
  const now = (await conn.ethers.provider.getBlock("latest"))!.timestamp;
  if (requested === undefined) return now;
  if (!Number.isSafeInteger(requested) || requested > now || requested <= now - (AUTHORIZATION_DAYS - 1) * 86_400)
    throw new Error(`--epoch must be a unix time within the ${AUTHORIZATION_DAYS - 1} days before the chain's clock (${now}), got ${requested}`);
  return requested;
}

// ------------------------------------------------------------------ records

/**
 * Sends a pending step, or finds that it was already carried out. `maybeSent`: the step was pending before
 * this run started (an interruption may have come between sending it and marking it done).
 */
async function settle(ctx: Ctx, nodeId: number, rs: ReplayStore, step: ReplayStep, maybeSent: boolean): Promise<{ gas: number; tx: number }> {
  const ledger = ctx.c.ledger.connect(ctx.operators[nodeId - 1]);
  if (step.kind === "anchor") {
    // a crash after sending leaves a pending step whose batch may be on chain already: find it by root
    const found = maybeSent
      ? (await ctx.c.ledger.queryFilter(ctx.c.ledger.filters.BatchAnchored(undefined, nodeId))).find((e) => e.args.root === hexlify(step.root!))
      : undefined;
    if (found) {
      rs.markDone(step.step, Number(found.args.batchId), found.transactionHash, 0);
      return { gas: 0, tx: 0 };
    }
    tick(ctx);
    const receipt = (await (await ledger.anchorBatch({ category: step.category, root: hexlify(step.root!), count: step.count, batchDigest: keccak256(step.leaves!) })).wait())!;
    const ev = receipt.logs.map((l) => ctx.c.ledger.interface.parseLog(l)).find((p) => p?.name === "BatchAnchored");
    rs.markDone(step.step, Number(ev!.args.batchId), receipt.hash, Number(receipt.gasUsed));
    return { gas: Number(receipt.gasUsed), tx: 1 };
  }
  const first = hexlify(usccBytes(step.enterprises![0]));
  if (step.kind === "supersede") {
    if (maybeSent && (await ctx.c.ledger.declaredVersion(first, Category.OperatingStatus)) >= 2n) {
      rs.markDone(step.step, null, "", 0);
      return { gas: 0, tx: 0 };
    }
    tick(ctx);
    const receipt = (await (await ledger.multiSupersede(step.enterprises!.map((e) => ({ enterprise: hexlify(usccBytes(e)), category: Category.OperatingStatus, version: 2 })))).wait())!;
    rs.markDone(step.step, null, receipt.hash, Number(receipt.gasUsed));
    return { gas: Number(receipt.gasUsed), tx: 1 };
  }
  if (maybeSent && (await ctx.c.ledger.revocationReason(first, Category.OperatingStatus, 1)) !== 0n) {
    rs.markDone(step.step, null, "", 0);
    return { gas: 0, tx: 0 };
  }
  tick(ctx);
  const receipt = (await (
    await ledger.multiRevoke(step.enterprises!.map((e) => ({ enterprise: hexlify(usccBytes(e)), category: Category.OperatingStatus, version: 1, reason: REVOCATION_REASON_ENTERED_IN_ERROR })))
  ).wait())!;
  rs.markDone(step.step, null, receipt.hash, Number(receipt.gasUsed));
  return { gas: Number(receipt.gasUsed), tx: 1 };
}

function stepsOf(key: string, result: ChunkResult): Omit<ReplayStep, "status" | "batchId" | "txHash" | "gas" | "seq">[] {
  const out: Omit<ReplayStep, "status" | "batchId" | "txHash" | "gas" | "seq">[] = result.batches.map((b) => ({
    step: `${key}/anchor/${b.category}/${b.version}`,
    kind: "anchor",
    category: b.category,
    version: b.version,
    count: b.count,
    root: b.root,
    leaves: b.leaves,
    enterprises: null,
  }));
  for (const [kind, list] of [["supersede", result.corrected], ["revoke", result.revoked]] as const)
    for (let i = 0; i < list.length; i += DECLARATIONS_PER_TX) {
      const part = list.slice(i, i + DECLARATIONS_PER_TX);
      out.push({ step: `${key}/${kind}/${i}`, kind, category: Category.OperatingStatus, version: kind === "supersede" ? 2 : 1, count: part.length, root: null, leaves: null, enterprises: part });
    }
  return out;
}

async function recordsPhase(ctx: Ctx, popInit: PopulationInit, targets: Targets): Promise<PhaseMetrics> {
  const specs = chunkSpecs(ctx);
  const progress = new PhaseProgress("records", targets.enterprises, "enterprises", undefined, ctx.opts.progress);
  let enterprises = 0;
  let records = 0;
  let gas = 0;
  let txs = 0;
  const todo: typeof specs = [];
  for (const s of specs) {
    const steps = new ReplayStore(ctx.stores.get(s.nodeId)).stepsWithPrefix(s.key + "/");
    if (steps.length > 0 && steps.every((x) => x.status === "done")) {
      enterprises += Math.min(s.batchSize, Math.max(0, Math.ceil((ctx.pop.counts[s.city] - s.slot) / s.slots) - s.chunk * s.batchSize));
      records += steps.filter((x) => x.kind === "anchor").reduce((a, x) => a + x.count, 0);
    } else todo.push(s);
  }
  progress.update(enterprises);
  const pool = new ChunkPool(popInit, ctx.opts.workers);
  const ahead = Math.max(2, 2 * ctx.opts.workers);
  const queue: Promise<ChunkResult>[] = [];
  try {
    let next = 0;
    for (let k = 0; k < todo.length; k++) {
      while (next < todo.length && queue.length < ahead) queue.push(pool.run(todo[next++]));
      const result = await queue.shift()!;
      const s = todo[k];
      const rs = new ReplayStore(ctx.stores.get(s.nodeId));
      const existed = rs.stepsWithPrefix(s.key + "/").length > 0;
      if (!existed) rs.putPending(stepsOf(s.key, result));
      for (const step of rs.stepsWithPrefix(s.key + "/")) {
        if (step.status === "done") continue;
        const spent = await settle(ctx, s.nodeId, rs, step, existed);
        gas += spent.gas;
        txs += spent.tx;
      }
      enterprises += result.enterprises;
      records += result.records;
      progress.update(enterprises);
    }
  } finally {
    await pool.close();
  }
  const seconds = progress.stop();
  ctx.state.recordsDone = true;
  writeState(ctx.dir, ctx.state);
  return phaseMetrics("records", seconds, records, txs, gas);
}

// ------------------------------------------------------------------ queries

/** The year's query model for this replay. */
export function queryModel(ctx: Ctx, targets: Targets, refusedShare: number): QueryModel {
  const plan: QueryPlan = { served: targets.queries, refused: Math.round((targets.queries * refusedShare) / (1 - refusedShare)), reports: targets.reports };
  const cityIndex = new Map(ctx.seeds.cities.map((c, i) => [c.code, i]));
  return {
    seed: ctx.opts.seed,
    plan,
    population: ctx.pop,
    profile: new YearProfile(ctx.cfg.holidays, ctx.cfg.makeUpWorkdays),
    institutionCity: [0, ...ctx.manifest.institutions.map((i) => cityIndex.get(ctx.manifest.nodes[i.sponsorNodeId - 1].city)!)],
    institutionZipf: ctx.cfg.institutionZipf,
    crossCityShare: ctx.cfg.crossCityShare,
    enterpriseShares: ctx.seeds.cities.map((c) => ctx.cfg.enterpriseShares.get(c.code)!),
    cityNodes: ctx.cityNodes,
  };
}

/** Every chunk of the year in replay order: chunk 0 of every node, then chunk 1 …, so nodes progress together. */
export function chunkSpecs(ctx: Ctx): (ChunkSpec & { nodeId: number; key: string })[] {
  const specs: (ChunkSpec & { nodeId: number; key: string })[] = [];
  const perNode = ctx.seeds.cities.flatMap((_, c) =>
    ctx.cityNodes[c].map((nodeId, slot) => ({ c, slot, nodeId, chunks: chunkCount(ctx.pop, c, slot, ctx.cityNodes[c].length, ctx.opts.batchSize) })),
  );
  const maxChunks = Math.max(...perNode.map((n) => n.chunks));
  for (let j = 0; j < maxChunks; j++)
    for (const n of perNode)
      if (j < n.chunks)
        specs.push({ city: n.c, slot: n.slot, slots: ctx.cityNodes[n.c].length, chunk: j, batchSize: ctx.opts.batchSize, nodeId: n.nodeId, key: `r/${n.c}/${n.slot}/${j}` });
  return specs;
}

/**
 * Commits every node's log that grew since its last commitment, the nodes side by side (each commits its
 * own log from its own account); returns transactions and gas.
 */
export async function commitLogs(ctx: Ctx, logs: Map<number, NodeQueryLog>): Promise<{ txs: number; gas: number }> {
  let txs = 0;
  let gas = 0;
  await inOrderWindow(ctx.manifest.nodes, ctx.manifest.nodes.length, async (n) => {
    const q = logs.get(n.nodeId)!;
    await q.syncCommitments(ctx.c.queryLog, n.nodeId);
    if (q.size === 0 || ctx.stores.get(n.nodeId).commitments().at(-1)?.size === q.size) return;
    tick(ctx);
    const committed = await q.commit(ctx.c.queryLog.connect(ctx.operators[n.nodeId - 1]), n.nodeId);
    if (committed) {
      txs++;
      gas += Number(committed.gasUsed);
    }
  });
  return { txs, gas };
}

async function queriesPhase(ctx: Ctx, targets: Targets, refusedShare: number): Promise<PhaseMetrics> {
  const model = queryModel(ctx, targets, refusedShare);
  const plan = model.plan;
  const blocks = Math.ceil(plan.served / QUERY_BLOCK);
  const progress = new PhaseProgress("queries", plan.served, "queries", undefined, ctx.opts.progress);
  const logs = new Map<number, { rs: ReplayStore; log: MerkleLog; q: NodeQueryLog }>();
  for (const n of ctx.manifest.nodes) {
    const store = ctx.stores.get(n.nodeId);
    const rs = new ReplayStore(store);
    const log = MerkleLog.importLeafHashes(rs.logLeaves());
    logs.set(n.nodeId, { rs, log, q: new NodeQueryLog(store, log) });
  }
  let gas = 0;
  let txs = 0;
  progress.update(Math.min(plan.served, ctx.state.queryBlocksDone * QUERY_BLOCK));
  for (let b = ctx.state.queryBlocksDone; b < blocks; b++) {
    const from = b * QUERY_BLOCK;
    const to = Math.min(plan.served, from + QUERY_BLOCK);
    // one pass over the block's queries, in attempt order, keeping only each entry's leaf and attempt
    const written = new Map<number, { first: number; leaves: Uint8Array; attempts: number[] }>();
    const before = new Set([...logs].filter(([, l]) => l.rs.hasLogBlock(b)).map(([id]) => id)); // written before an interruption
    for (const q of generateQueries(model, b, from, to)) {
      if (before.has(q.servingNode)) continue;
      const { log } = logs.get(q.servingNode)!;
      let w = written.get(q.servingNode);
      if (!w) {
        written.set(q.servingNode, (w = { first: log.size, leaves: new Uint8Array(32 * 1024), attempts: [] }));
      }
      const k = w.attempts.length;
      const leaf = generatedLeafHash(q, w.first + k);
      if (32 * (k + 1) > w.leaves.length) {
        const grown = new Uint8Array(2 * w.leaves.length);
        grown.set(w.leaves);
        w.leaves = grown;
      }
      w.leaves.set(leaf, 32 * k);
      w.attempts.push(q.attempt);
      log.append(leaf);
    }
    for (const [nodeId, w] of written) logs.get(nodeId)!.rs.putLogBlock(b, w.first, Uint32Array.from(w.attempts), w.leaves.subarray(0, 32 * w.attempts.length));
    const spent = await commitLogs(ctx, new Map([...logs].map(([id, l]) => [id, l.q])));
    txs += spent.txs;
    gas += spent.gas;
    ctx.state.queryBlocksDone = b + 1;
    writeState(ctx.dir, ctx.state);
    progress.update(to);
  }
  const seconds = progress.stop();
  return phaseMetrics("queries", seconds, plan.served + plan.refused, txs, gas);
}

/** Tops `address` up by `amount` from the deployer when its balance is below `min` (institutions pay their gas). */
export async function ensureFunded(ctx: Ctx, address: string, min: bigint, amount: bigint): Promise<void> {
  if ((await ctx.conn.ethers.provider.getBalance(address)) >= min) return;
  const deployer = (await ctx.conn.ethers.getSigners())[0];
  await (await deployer.sendTransaction({ to: address, value: amount })).wait();
}

// ------------------------------------------------------------------ objections

/**
 * The year's objections (异议): institutions object to the operating-status records of a small share of
 * enterprises, one live transaction each in both modes (they are few: 463 at scale 1). In enterprise order;
 * the ledger's objection count tells a resumed run how many were already filed.
 */
async function objectionsPhase(ctx: Ctx): Promise<PhaseMetrics> {
  const started = performance.now();
  const list: { city: number; i: number }[] = [];
  for (let c = 0; c < ctx.pop.counts.length; c++) for (let i = 0; i < ctx.pop.counts[c]; i++) if (ctx.pop.hasObjection(c, i)) list.push({ city: c, i });
  const filed = Number(await ctx.c.ledger.objectionCount());
  const funded = new Set<number>();
  let txs = 0;
  let gas = 0;
  for (let k = filed; k < list.length; k++) {
    const { city, i } = list[k];
    const code = ctx.pop.code(city, i);
    const institutionId = 1 + (k % ctx.manifest.institutions.length);
    const inst = institutionWallet(ctx.manifest.institutions[institutionId - 1].keyIndex).connect(ctx.conn.ethers.provider);
    if (!funded.has(institutionId)) await ensureFunded(ctx, inst.address, 10n ** 17n, 10n ** 18n);
    funded.add(institutionId);
    const version = ctx.pop.isCorrected(city, i) ? 2 : 1;
    tick(ctx);
    const receipt = (await (await ctx.c.ledger.connect(inst).fileObjection(hexlify(usccBytes(code)), Category.OperatingStatus, version, keccak256(toUtf8Bytes(`objection ${k}: operating status disputed`)))).wait())!;
    txs++;
    gas += Number(receipt.gasUsed);
  }
  ctx.state.objectionsDone = true;
  writeState(ctx.dir, ctx.state);
  const seconds = (performance.now() - started) / 1000;
  return phaseMetrics("objections", seconds, list.length, txs, gas);
}

// ------------------------------------------------------------------ report

function buildReport(ctx: Ctx, targets: Targets, phases: PhaseMetrics[], completed: boolean, refusedShare: number): ReplayReport {
  const stores = new NodeStores(ctx.opts.dataDir, ctx.manifest);
  const roots: NodeRoots[] = [];
  let enterprisesAttested = 0;
  let records = 0;
  let served = 0;
  let refused = 0;
  let reports = 0;
  for (const n of ctx.manifest.nodes) {
    const store = stores.get(n.nodeId);
    const rs = new ReplayStore(store);
    const steps = rs.allSteps();
    const anchors = steps.filter((s) => s.kind === "anchor" && s.status === "done" && s.root !== null);
    let leaves: Uint8Array;
    if (ctx.opts.mode === "live") {
      const c = store.stmt("SELECT COUNT(*) AS n, SUM(category = 1 AND version = 1) AS e FROM records WHERE mode = 'live'").get() as { n: number; e: number | null };
      records += Number(c.n);
      enterprisesAttested += Number(c.e ?? 0);
      leaves = Buffer.concat(store.logLeafHashes());
    } else {
      records += anchors.reduce((a, s) => a + s.count, 0);
      enterprisesAttested += anchors.filter((s) => s.category === Category.BasicInfo).reduce((a, s) => a + s.count, 0);
      leaves = rs.logLeaves();
    }
    const log = MerkleLog.importLeafHashes(leaves);
    roots.push({
      node: n.id,
      batches: anchors.length,
      batchRootsDigest: keccak256(Buffer.concat(anchors.map((s) => Buffer.from(s.root!)))),
      logSize: log.size,
      logRoot: hexlify(log.root()),
    });
  }
  stores.close();
  // counts of queries follow from the plan, which the log blocks realise exactly; recount them from the blocks
  const plan: QueryPlan = { served: targets.queries, refused: Math.round((targets.queries * refusedShare) / (1 - refusedShare)), reports: targets.reports };
  const blocksDone = ctx.state.queryBlocksDone;
  served = Math.min(plan.served, blocksDone * QUERY_BLOCK);
  refused = Math.ceil((served * plan.refused) / plan.served);
  reports = Math.floor((served * plan.reports) / plan.served);
  const counts = {
    enterprises: enterprisesAttested,
    records,
    queries: served,
    refusedAttempts: refused,
    reports,
    logEntries: roots.reduce((a, r) => a + r.logSize, 0),
    objections: phases.find((p) => p.phase === "objections")?.items ?? 0,
    institutions: ctx.manifest.institutions.length,
  };
  const rssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  return {
    options: { scale: ctx.opts.scale, mode: ctx.opts.mode, seed: ctx.opts.seed, batchSize: ctx.opts.batchSize, workers: ctx.opts.workers, dataDir: ctx.opts.dataDir, resume: ctx.opts.resume, refusedShare, ...(ctx.state.liveEpoch !== undefined ? { epoch: ctx.state.liveEpoch } : {}) },
    network: ctx.manifest.network,
    chainId: ctx.manifest.chainId,
    completed,
    phases,
    targets: { ...targets },
    counts,
    countsMatchTargets:
      counts.enterprises === targets.enterprises && counts.queries === targets.queries && counts.reports === targets.reports && counts.institutions === targets.institutions && counts.logEntries === served + refused,
    // gas spent by this run (a resumed run counts only what it sent); per record: the records phase's gas
    gas: {
      total: phases.reduce((a, p) => a + p.gas, 0),
      perRecord: phases[0] && phases[0].items > 0 ? phases[0].gas / phases[0].items : 0,
    },
    peakRssMB: rssMB,
    roots,
    rootsDigest: keccak256(Buffer.from(JSON.stringify(roots))),
  };
}
