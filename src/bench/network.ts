/**
 * The multi-node network's figures (`npm run bench -- --only network`): for a network of N geth validators in a
 * temporary folder, the time of `network up` (validators, deployment, node services), the memory of the whole
 * network idle, a live replay through the node services on the deployment `up` made (transactions/s, submit →
 * answer latency, successes and failures, and every validator's block hash and state root at one block), bulk
 * replays on it (services stopped) beside the same replays on the in-process chain in the same run (seconds,
 * records/s, the ratio, and whether the roots agree), and a live replay over one validator's JSON-RPC. Everything
 * runs as the README's commands in child processes, on 127.0.0.1; the network is stopped and its folder removed
 * at the end.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { runHardhat, type CliResult } from "../cli/child.js";
import { networkManifestPath, readNetworkManifest, writeNetworkManifest, type NetworkManifest } from "../network/manifest.js";
import { stopServices } from "../network/services.js";
import { processRssBytes, residentBytes } from "../network/network.js";
import { isServiceProcess } from "../network/pid.js";
import { blockOf, rpc } from "../network/validators.js";
import type { ReplayReport } from "../replay/replay.js";
import type { ServiceReplayReport } from "../replay/services.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Bound of one child command (a scale-0.1 replay on 25 validators included). */
const COMMAND_TIMEOUT_MS = 90 * 60_000;
/** How long the network sits idle before its memory is read. */
const IDLE_MS = 15_000;

export interface NetworkBenchOptions {
  nodes: number;
  /** Scales of the bulk replays (on the network and in process). */
  scales: number[];
  /** Scale of the live replays on the network (through the services, and over RPC); 0: none. */
  liveScale: number;
  /** The node services' records per live transaction (`up --live-chunk`). */
  liveChunk: number;
  log?: (line: string) => void;
}

export interface ReplayComparison {
  scale: number;
  network: { seconds: number; recordsPerSecond: number; phases: Record<string, number>; rootsDigest: string; peakRssMB: number };
  inProcess: { seconds: number; recordsPerSecond: number; phases: Record<string, number>; rootsDigest: string; peakRssMB: number };
  /** Network seconds over in-process seconds (replay phases, deployment excluded). */
  ratio: number;
  sameRoots: boolean;
  /** The nodes whose batch roots or query log differ between the two chains (none when the roots agree). */
  differingNodes: { node: string; network: unknown; inProcess: unknown }[];
  records: number;
}

export interface LiveFigures {
  scale: number;
  /** How the transactions reach the chain. */
  path: string;
  seconds: number;
  transactions: number;
  transactionsPerSecond: number;
  phases: { phase: string; seconds: number; transactions: number; transactionsPerSecond: number; latencyMs?: { p50: number; p95: number; p99: number } }[];
  succeeded: number;
  failed: number;
  countsMatchTargets: boolean;
  /** Each validator's block hash and state root at one block after the run: one value each when they agree. */
  agreement: { block: number; hashes: string[]; stateRoots: string[]; agree: boolean };
}

export interface NetworkBenchReport {
  measuredAt: string;
  nodes: number;
  /** Load average of the machine when the run began (other work on its two cores slows every figure). */
  loadAverageAtStart: number[];
  up: { seconds: number; validatorsSeconds?: number; deploySeconds?: number; servicesSeconds?: number };
  idleMemoryMiB: { validators: number; services: number; total: number };
  replays: ReplayComparison[];
  /** The live replay through the node services (the services' own report, and the validators' agreement after it). */
  liveThroughServices?: ServiceReplayReport & { liveChunk: number; agreement: LiveFigures["agreement"] };
  /** The live replay over one validator's JSON-RPC (the replay writes as every node). */
  live?: LiveFigures;
}

function must(r: CliResult, what: string): CliResult {
  if (r.code !== 0) throw new Error(`${what} failed (exit code ${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return r;
}

function idleMemory(m: NetworkManifest): NetworkBenchReport["idleMemoryMiB"] {
  const validators = residentBytes(m) / 2 ** 20;
  const services = m.nodes.filter((n) => isServiceProcess(n.servicePid, n.id)).reduce((a, n) => a + processRssBytes(n.servicePid) / 2 ** 20, 0);
  return { validators: Math.round(validators), services: Math.round(services), total: Math.round(validators + services) };
}

const phaseSeconds = (r: ReplayReport) => r.phases.reduce((a, p) => a + p.seconds, 0);
const phaseMap = (r: ReplayReport) => Object.fromEntries(r.phases.map((p) => [p.phase, Number(p.seconds.toFixed(2))]));
const side = (r: ReplayReport) => ({
  seconds: Number(phaseSeconds(r).toFixed(2)),
  recordsPerSecond: Math.round(r.counts.records / r.phases[0].seconds),
  phases: phaseMap(r),
  rootsDigest: r.rootsDigest,
  peakRssMB: r.peakRssMB,
});

/** Every validator's block hash and state root at one block that all of them have. */
async function agreementAt(m: NetworkManifest): Promise<LiveFigures["agreement"]> {
  const heads = await Promise.all(m.nodes.map(async (n) => Number(await rpc<string>(n.httpPort, "eth_blockNumber", []))));
  const block = Math.min(...heads);
  const blocks = await Promise.all(m.nodes.map((n) => blockOf(n.httpPort, block)));
  const hashes = [...new Set(blocks.map((b) => b?.hash ?? "missing"))];
  const stateRoots = [...new Set(blocks.map((b) => b?.stateRoot ?? "missing"))];
  return { block, hashes, stateRoots, agree: hashes.length === 1 && stateRoots.length === 1 };
}

export async function measureNetwork(opts: NetworkBenchOptions): Promise<NetworkBenchReport> {
  const log = opts.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), "yrd-bench-network-"));
  const data = join(dir, "data");
  const out = join(dir, "out");
  const env = { YRD_NETWORK_DIR: join(dir, "network"), YRD_DEPLOYMENTS_DIR: join(dir, "deployments") };
  const hh = (args: string[], extra: Record<string, string> = {}) => runHardhat(args, { ...env, ...extra }, COMMAND_TIMEOUT_MS);
  const manifest = () => readNetworkManifest(networkManifestPath(env.YRD_NETWORK_DIR))!;
  const report: NetworkBenchReport = {
    measuredAt: new Date().toISOString(),
    nodes: opts.nodes,
    loadAverageAtStart: loadavg().map((x) => Number(x.toFixed(2))),
    up: { seconds: 0 },
    idleMemoryMiB: { validators: 0, services: 0, total: 0 },
    replays: [],
  };
  let started = false;
  try {
    log(`network up --nodes ${opts.nodes} (validators, deployment, node services) …`);
    const t0 = performance.now();
    started = true;
    const up = must(await hh(["network", "up", "--nodes", String(opts.nodes), "--data-dir", data, "--live-chunk", String(opts.liveChunk)]), "network up");
    report.up.seconds = Number(((performance.now() - t0) / 1000).toFixed(1));
    const parts = /up in [\d.]+ s \(validators ([\d.]+) s, deploy ([\d.]+) s(?:, node services ([\d.]+) s)?\)/.exec(up.stdout);
    if (parts)
      Object.assign(report.up, {
        validatorsSeconds: Number(parts[1]),
        deploySeconds: Number(parts[2]),
        ...(parts[3] ? { servicesSeconds: Number(parts[3]) } : {}),
      });
    await sleep(IDLE_MS);
    report.idleMemoryMiB = idleMemory(manifest());
    log(
      `up in ${report.up.seconds} s; idle memory ${report.idleMemoryMiB.total} MiB (validators ${report.idleMemoryMiB.validators}, node services ${report.idleMemoryMiB.services})`,
    );

    if (opts.liveScale > 0) {
      // through the services, on the deployment `up` made (a replay there needs no --fresh)
      log(`replay --mode live --scale ${opts.liveScale} through the node services …`);
      must(
        await hh(["--network", "yrd", "replay", "--mode", "live", "--scale", String(opts.liveScale), "--data-dir", data, "--out", out]),
        "live replay through the node services",
      );
      const r = JSON.parse(readFileSync(join(out, `replay-live-services-${opts.liveScale}-yrd.json`), "utf8")) as ServiceReplayReport;
      report.liveThroughServices = { ...r, liveChunk: opts.liveChunk, agreement: await agreementAt(manifest()) };
      log(
        `live through the services: ${Math.round(r.totals.txPerSec)} tx/s over ${r.totals.txs} transactions (${r.totals.failedTxs} failed); validators agree at block ${report.liveThroughServices.agreement.block}: ${report.liveThroughServices.agreement.agree}`,
      );
    }

    // a bulk replay writes as every node: the services (each its node's only writer) stop, the validators go on
    const m = manifest();
    await stopServices(m, log);
    writeNetworkManifest(m, networkManifestPath(env.YRD_NETWORK_DIR));
    for (const scale of opts.scales) {
      // on a deployment of its own, as in process: the workload's institutions (and so who asks whom) are the
      // deployment's first ones, and `up` deployed the full 899
      log(`replay --scale ${scale} on the network …`);
      must(
        await hh(["--network", "yrd", "replay", "--scale", String(scale), "--data-dir", data, "--out", out, "--fresh"]),
        `replay --scale ${scale} on the network`,
      );
      const onNet = JSON.parse(readFileSync(join(out, `replay-bulk-${scale}-yrd.json`), "utf8")) as ReplayReport;
      log(`replay --scale ${scale} in process …`);
      const local = join(dir, `in-process-${scale}`);
      // the same seed and the network's nodes' salt secrets: the same roots, if both chains agree
      const secrets = join(data, `yrd-${manifest().chainId}`);
      must(
        await hh(["replay", "--scale", String(scale), "--data-dir", local, "--out", local, "--salt-secrets-from", secrets]),
        `replay --scale ${scale} in process`,
      );
      const inProc = JSON.parse(readFileSync(join(local, `replay-bulk-${scale}-default.json`), "utf8")) as ReplayReport;
      const differingNodes = onNet.roots
        .map((r, i) => ({ node: r.node, network: r, inProcess: inProc.roots[i] }))
        .filter((d) => JSON.stringify(d.network) !== JSON.stringify(d.inProcess));
      const c: ReplayComparison = {
        scale,
        network: side(onNet),
        inProcess: side(inProc),
        ratio: Number((phaseSeconds(onNet) / phaseSeconds(inProc)).toFixed(2)),
        sameRoots: onNet.rootsDigest === inProc.rootsDigest,
        differingNodes,
        records: onNet.counts.records,
      };
      report.replays.push(c);
      log(`scale ${scale}: network ${c.network.seconds} s, in process ${c.inProcess.seconds} s, ratio ${c.ratio}, same roots: ${c.sameRoots}`);
    }
    if (opts.liveScale > 0) {
      log(`replay --mode live --scale ${opts.liveScale} over one validator's JSON-RPC …`);
      must(
        await hh(["--network", "yrd", "replay", "--mode", "live", "--scale", String(opts.liveScale), "--data-dir", data, "--out", out, "--fresh"]),
        "live replay on the network",
      );
      const r = JSON.parse(readFileSync(join(out, `replay-live-${opts.liveScale}-yrd.json`), "utf8")) as ReplayReport;
      const seconds = phaseSeconds(r);
      const transactions = r.phases.reduce((a, p) => a + p.transactions, 0);
      report.live = {
        scale: opts.liveScale,
        path: "replay --mode live --network yrd: each node's journal and the institutions' signed transactions, over one validator's JSON-RPC (not through the node services)",
        seconds: Number(seconds.toFixed(2)),
        transactions,
        transactionsPerSecond: Math.round(transactions / seconds),
        phases: r.phases.map((p) => ({
          phase: p.phase,
          seconds: Number(p.seconds.toFixed(2)),
          transactions: p.transactions,
          transactionsPerSecond: Math.round(p.transactions / p.seconds),
          ...(p.latencyMs ? { latencyMs: p.latencyMs } : {}),
        })),
        // the replay stops at the first refused or failed transaction: a completed run had none
        succeeded: r.completed ? transactions : 0,
        failed: r.completed ? 0 : 1,
        countsMatchTargets: r.countsMatchTargets,
        agreement: await agreementAt(manifest()),
      };
      log(
        `live: ${report.live.transactionsPerSecond} tx/s over ${transactions} transactions; validators agree at block ${report.live.agreement.block}: ${report.live.agreement.agree}`,
      );
    }
  } finally {
    if (started) await hh(["network", "down"]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  return report;
}
