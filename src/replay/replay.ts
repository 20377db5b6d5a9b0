/**
 * Replays a year of YRD volume on a chain: deploys the consortium, attests every enterprise's records in
 * Merkle batches anchored by its home-city node (with the year's corrections and revocations), logs every
 * query in the serving node's RFC 6962 log with periodic consistency-checked commitments, and files the
 * year's objections. Deterministic: the same seed, scale and batch size give the same roots at any worker
 * count. Resumable: every chain step is written to the node's store as pending before it is sent and marked
 * done after its receipt; a rerun with `--resume` settles pending steps against the chain and carries on, so
 * nothing is lost or done twice, even after `kill -9`.
 */
import { mkdirSync } from "node:fs";
import { hexlify, keccak256 } from "ethers";
import { isInProcess, type ChainConnection } from "../chain/connection.js";
import { runningServiceNames } from "../service/remote.js";
import { AUTHORIZATION_DAYS } from "../consent/authorization.js";
import { Category } from "../records/categories.js";
import { Session } from "../session.js";
import { loadSeeds } from "../seeds.js";
import { apportion, loadWorkloadConfig } from "../workload/config.js";
import { Population } from "../workload/enterprises.js";
import { bulkQueriesPhase, bulkRecordsPhase } from "./bulk.js";
import { liveQueriesPhase, liveRecordsPhase } from "./live.js";
import {
  QUERY_BLOCK,
  REPLAY_STATE_VERSION,
  newReplayState,
  queryPlan,
  readState,
  scaledTargets,
  writeState,
  type NodeRoots,
  type PhaseMetrics,
  type ReplayOptions,
  type ReplayReport,
  type ReplayState,
  type Run,
  type Targets,
} from "./model.js";
import { objectionsPhase } from "./objections.js";
import type { PopulationInit } from "./population.js";

export { ReplayInterrupted, type ReplayOptions, type ReplayReport, type ReplayState } from "./model.js";

/** Records and queries of a replay: bulk (Merkle batches, log blocks) or live (a transaction per step). */
interface ReplayDriver {
  records(run: Run, popInit: PopulationInit, targets: Targets): Promise<PhaseMetrics>;
  queries(run: Run): Promise<PhaseMetrics>;
}

const DRIVERS: Record<ReplayOptions["mode"], ReplayDriver> = {
  bulk: { records: bulkRecordsPhase, queries: bulkQueriesPhase },
  live: { records: (run, _popInit, targets) => liveRecordsPhase(run, targets), queries: liveQueriesPhase },
};

/**
 * Runs (or resumes) a replay on `conn` and returns its report. It replays onto the network's deployment
 * (deploying one when there is none; on the in-process chain always a fresh one), through the city nodes of
 * a session; `fresh` archives the network's manifest and stores first.
 */
export async function replay(conn: ChainConnection, opts: ReplayOptions): Promise<ReplayReport> {
  const log = opts.log ?? (() => {});
  const seeds = loadSeeds();
  const cfg = loadWorkloadConfig(seeds);
  const targets = scaledTargets(seeds, opts.scale);
  if (!Number.isSafeInteger(opts.batchSize) || opts.batchSize < 1) throw new Error(`--batch-size must be a whole number ≥ 1, got ${opts.batchSize}`);
  if (!Number.isSafeInteger(opts.workers) || opts.workers < 0 || opts.workers > 64) throw new Error(`--workers must be 0-64, got ${opts.workers}`);
  if (opts.mode !== "bulk" && opts.mode !== "live") throw new Error(`--mode must be bulk or live, not "${opts.mode}"`);
  if (opts.epoch !== undefined && opts.mode !== "live") throw new Error("--epoch applies to live mode only (bulk mode registers no authorizations)");
  if (opts.resume && opts.fresh) throw new Error("--resume continues a replay and --fresh archives it: pass one of them");
  const refusedShare = opts.refusedShare ?? cfg.refusedShare;
  if (!(refusedShare >= 0 && refusedShare < 0.5)) throw new Error(`--refused-share must be in [0, 0.5), got ${refusedShare}`);
  if (opts.resume && isInProcess(conn))
    throw new Error("--resume needs a chain that outlives the process: run `npx hardhat node --hostname 127.0.0.1` and pass --network localhost");

  // a replay writes as every city node: a node service running beside its validator is that node's only writer
  const services = runningServiceNames(conn.networkName);
  if (services.length > 0)
    throw new Error(
      `the node services of the network are running (${services.join(", ")}), each its node's only writer, and a bulk replay writes as every node: run \`npm run network -- down\` and \`npm run network -- up --skip-services\` first (the data is kept), then replay (a live replay, \`--mode live\`, goes through the running services)`,
    );

  const session = await Session.open(conn, {
    dataDir: opts.dataDir,
    deployIfMissing: !opts.resume,
    fresh: opts.fresh,
    deploy: { institutions: targets.institutions },
    log,
  });
  const phases: PhaseMetrics[] = [];
  let run: Run | undefined;
  try {
    const dir = session.storeDir;
    let state = readState(dir);
    if (opts.resume) {
      if (!state) throw new Error(`nothing to resume: no replay state in ${dir}`);
      const same = [
        ["seed", opts.seed],
        ["scale", opts.scale],
        ["mode", opts.mode],
        ["batchSize", opts.batchSize],
        ["refusedShare", refusedShare],
      ] as [keyof ReplayState, unknown][];
      if (opts.epoch !== undefined) same.push(["liveEpoch", opts.epoch]);
      for (const [k, v] of same)
        if (state[k] !== v) throw new Error(`--resume: the replay in ${dir} was started with ${k} ${JSON.stringify(state[k])}, not ${JSON.stringify(v)}`);
      if (state.version !== REPLAY_STATE_VERSION)
        throw new Error(`--resume: the replay state in ${dir} is of version ${state.version}, not ${REPLAY_STATE_VERSION}: replay with --fresh`);
      log(`resuming the replay in ${dir}`);
    } else {
      if (state)
        throw new Error(
          `a replay already ran on this deployment (state in ${dir}): pass --resume to continue it, or --fresh to archive the deployment (manifest and node stores) and replay on a new one`,
        );
      if (session.manifest.institutions.length < targets.institutions)
        throw new Error(
          `the deployment in ${session.manifestPath} has ${session.manifest.institutions.length} institutions; a replay at scale ${opts.scale} needs ${targets.institutions}: replay with --fresh to archive it and deploy one with ${targets.institutions}`,
        );
      const epoch = opts.mode === "live" ? await liveEpoch(conn, opts.epoch) : undefined;
      mkdirSync(dir, { recursive: true });
      state = newReplayState({
        seed: opts.seed,
        scale: opts.scale,
        mode: opts.mode,
        batchSize: opts.batchSize,
        refusedShare,
        institutions: targets.institutions,
        network: session.manifest.network,
        chainId: session.manifest.chainId,
        liveEpoch: epoch,
      });
      writeState(dir, state);
    }

    const counts = apportion(
      targets.enterprises,
      seeds.cities.map((c) => cfg.enterpriseShares.get(c.code)!),
    );
    const popInit: PopulationInit = {
      seed: opts.seed,
      counts,
      financingShare: cfg.financingShare,
      correctionShare: cfg.correctionShare,
      revocationShare: cfg.revocationShare,
      objectionShare: cfg.objectionShare,
    };
    const nodes = await session.allNodes();
    run = {
      session,
      nodes,
      saltSecrets: nodes.map((n) => n.store.saltSecret(opts.saltSecrets?.(n.id))),
      seeds,
      cfg,
      pop: new Population(opts.seed, seeds.cities, counts, cfg.financingShare, cfg.correctionShare, cfg.revocationShare, cfg.objectionShare),
      opts,
      state,
      dir,
      steps: 0,
      cityNodes: seeds.cities.map((city) => session.nodesOfCity(city.code)),
    };
    const driver = DRIVERS[opts.mode];
    phases.push(await driver.records(run, popInit, targets));
    phases.push(await driver.queries(run));
    phases.push(await objectionsPhase(run));
    return buildReport(run, targets, phases, true);
  } finally {
    session.close();
  }
}

/**
 * The epoch of a live replay: `requested`, checked against the chain's clock (authorizations from it must
 * still be valid for the run), or the clock itself.
 */
export async function liveEpoch(conn: ChainConnection, requested: number | undefined): Promise<number> {
  const now = (await conn.ethers.provider.getBlock("latest"))!.timestamp;
  if (requested === undefined) return now;
  if (!Number.isSafeInteger(requested) || requested > now || requested <= now - (AUTHORIZATION_DAYS - 1) * 86_400)
    throw new Error(`--epoch must be a unix time within the ${AUTHORIZATION_DAYS - 1} days before the chain's clock (${now}), got ${requested}`);
  return requested;
}

// ------------------------------------------------------------------ report

function buildReport(run: Run, targets: Targets, phases: PhaseMetrics[], completed: boolean): ReplayReport {
  const roots: NodeRoots[] = [];
  let enterprisesAttested = 0;
  let records = 0;
  let logEntries = 0;
  for (const node of run.nodes) {
    const anchors = node.store.batches().filter((b) => b.chunk !== null);
    if (run.opts.mode === "live") {
      const attested = node.store
        .stmt("SELECT COUNT(*) AS n, SUM(key LIKE '%/1/v1') AS e FROM journal WHERE key >= 'r/' AND key < 'r/\uffff' AND kind = 'attest' AND state = 'done'")
        .get() as { n: number; e: number | null };
      records += Number(attested.n);
      enterprisesAttested += Number(attested.e ?? 0);
    } else {
      records += anchors.reduce((a, b) => a + b.count, 0);
      enterprisesAttested += anchors.filter((b) => b.category === Category.BasicInfo).reduce((a, b) => a + b.count, 0);
    }
    logEntries += node.store.replayedLogEntries();
    const log = node.queryLog.log;
    roots.push({
      node: node.id,
      batches: anchors.length,
      batchRootsDigest: keccak256(Buffer.concat(anchors.map((b) => Buffer.from(b.root)))),
      logSize: log.size,
      logRoot: hexlify(log.root()),
    });
  }
  // counts of queries follow from the plan, which the log blocks realise exactly; recount them from the blocks
  const plan = queryPlan(targets, run.state.refusedShare);
  const served = Math.min(plan.served, run.state.queryBlocksDone * QUERY_BLOCK);
  const refused = Math.ceil((served * plan.refused) / plan.served);
  const reports = Math.floor((served * plan.reports) / plan.served);
  const counts = {
    enterprises: enterprisesAttested,
    records,
    queries: served,
    refusedAttempts: refused,
    reports,
    logEntries,
    objections: phases.find((p) => p.phase === "objections")?.items ?? 0,
    institutions: run.state.institutions,
  };
  const rssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  const o = run.opts;
  return {
    options: {
      scale: o.scale,
      mode: o.mode,
      seed: o.seed,
      batchSize: o.batchSize,
      workers: o.workers,
      dataDir: run.session.dataDir,
      resume: o.resume,
      refusedShare: run.state.refusedShare,
      ...(run.state.liveEpoch !== undefined ? { epoch: run.state.liveEpoch } : {}),
    },
    network: run.session.manifest.network,
    chainId: run.session.manifest.chainId,
    completed,
    phases,
    targets: { ...targets },
    counts,
    countsMatchTargets:
      counts.enterprises === targets.enterprises &&
      counts.queries === targets.queries &&
      counts.reports === targets.reports &&
      counts.institutions === targets.institutions &&
      counts.logEntries === served + refused,
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
