/**
 * A live replay through the node services of the multi-node network (`replay --mode live --network yrd` while
 * `network up` has the services running): the replay acts only as the services' clients, the way the credit
 * agencies' back offices and the institutions would, and each service is its node's only writer.
 *
 * - Records: each replayed city's records (the same contents the workload gives every replay, a basic-info record
 *   naming the enterprise's own signer) are submitted at the operator route of the city's serving node's service,
 *   1,000 to a submission (the most the route takes); the service validates them, salts them with its own secret, journals them and attests
 *   them live (`--live-chunk` records a transaction), then binds the signers.
 * - Queries: for each query the enterprise signs its authorization (EIP-712) and the institution signs its
 *   `registerAuthorization` and `requestQuery` transactions here; the sponsor node's service relays them (the
 *   serving city's when the sponsor runs none). A refused attempt of the workload (no authorization) is sent
 *   unsigned and must come back 403, logged by the service that refused it. The serving city's service sees each
 *   request on the QueryDesk and answers it by itself (fulfilled with the reports it holds), and commits its query
 *   log on its size-or-time trigger.
 *
 * What it measures (the figures Hyperledger Caliper reports): the transactions the chain took in each phase
 * (counted in the blocks, failures being reverted receipts), per second, and each submission's latency — a
 * record submitted → its proof returned (on chain, with the confirmations the chain needs), a query relayed →
 * its request mined.
 * - Revocations: after the records, each city's revoked records (operating status v1, entered in error) are
 *   revoked at its service's operator route.
 * - Objections: after the queries, each objecting enterprise files its objection with its own key over RPC (an
 *   objection is the enterprise's own transaction; its signer was bound by its city's service).
 *
 * The cities whose serving node runs no service (a small network) are not replayed.
 *
 * Resumable: the state file (`replay-state.json`, `throughServices`) counts the record submissions landed (a
 * rerun waits until the services' queues are empty, then submits the rest again, less the records a service
 * holds at their version already: nothing is attested twice) and the query blocks done; a block under way is settled against the chain (authorizations
 * registered, requests made) before its queries are relayed again.
 */
import { computeAddress, hexlify, type Wallet } from "ethers";
import { institutionWallet } from "../chain/accounts.js";
import type { ChainConnection } from "../chain/connection.js";
import { InstitutionCalldata } from "../chain/calldata.js";
import { signEip1559 } from "../chain/eip1559.js";
import { LocalAccount, feeParams, type RpcSender } from "../chain/send.js";
import { FastSigningKey } from "../chain/signing.js";
import { AuthorizationHasher, consentDomain, signAuthorizationId } from "../consent/authorization.js";
import { usccBytes } from "../ledger/leaf.js";
import { QueryOutcome } from "../query/log-entry.js";
import { Category } from "../records/categories.js";
import { CATEGORY_SLUGS, recordToJson, type CreditRecord } from "../records/index.js";
import { loadSeeds } from "../seeds.js";
import { runningServices, type NodeServiceClient } from "../service/remote.js";
import { Session } from "../session.js";
import { apportion, loadWorkloadConfig } from "../workload/config.js";
import { Population } from "../workload/enterprises.js";
import { generateQueryBlock, type GeneratedQuery } from "../workload/queries.js";
import { chunkCreditRecords, chunkCount } from "./chunks.js";
import { replayAuthorization } from "./live.js";
import { liveEpoch } from "./replay.js";
import { fileObjections, fundObjectors, notYetFiled, objectionList, objectors } from "./objections.js";
import {
  QUERY_BLOCK,
  REVOCATION_REASON_ENTERED_IN_ERROR,
  enterprisePrivateKey,
  newReplayState,
  queryModel,
  queryPlan,
  readState,
  scaledTargets,
  writeState,
  type ReplayState,
} from "./model.js";
import { PhaseProgress } from "./progress.js";
import { inOrderWindow, untilSettled } from "../concurrency.js";
import { pushTo } from "../collections.js";

/** Records in one submission at a service's operator route. */
const RECORDS_PER_SUBMISSION = 1_000; // the most the operator route takes
/** Submissions awaited at once at each service (each answered once its records are on chain). */
const SUBMISSIONS_IN_FLIGHT = 3;
/** Relays awaited at once, over all services. */
const RELAYS_IN_FLIGHT = 1024;
/**
 * Bound of the waits for the services' answers and commitments: a wait gives up once this long passes without
 * progress (a record landing at the service, a query answered), not after this long in all.
 */
const SETTLE_WITHIN_MS = 5 * 60_000;
/** Objections filed side by side (each the enterprise's own transaction). */
const OBJECTIONS_SIDE_BY_SIDE = 64;
const QUERY_FULFILLED = 2n;
const QUERY_DENIED = 3n;

export interface ServiceReplayOptions {
  scale: number;
  seed: string;
  dataDir?: string;
  resume: boolean;
  refusedShare?: number;
  /** Unix seconds the authorizations are valid from (default: the chain's clock). */
  epoch: number;
  batchSize: number;
  progress?: boolean;
  log?: (line: string) => void;
}

export interface ServicePhase {
  phase: "records" | "queries" | "objections";
  seconds: number;
  /** Records submitted and versions revoked, query attempts relayed, or objections filed. */
  items: number;
  /** Transactions the chain took in the phase's blocks, and how many of them reverted. */
  txs: number;
  failedTxs: number;
  txPerSec: number;
  /** Per submission or revocation request (records), relay (queries) or objection: submitted → answered (mined, for an objection), ms. */
  latencyMs: { p50: number; p95: number; p99: number; count: number };
  /** Requests the services refused (other than the workload's refused attempts, which must be). */
  refused: number;
  blocks: { from: number; to: number };
}

export interface ServiceReplayReport {
  mode: "live-through-services";
  scale: number;
  seed: string;
  network: string;
  chainId: string;
  services: string[];
  citiesReplayed: string[];
  citiesSkipped: string[];
  phases: ServicePhase[];
  /**
   * Over the whole replay (an interrupted run's part included): records of the workload; queries requested on
   * chain since the queries phase began, answered and logged; the refused attempts the services refused (and
   * logged); the entries the services' logs gained, all committed.
   */
  counts: {
    records: number;
    /** Record versions revoked at the services (the workload's "entered in error"), and objections the enterprises filed. */
    revocations: number;
    objections: number;
    queries: number;
    refusedAttempts: number;
    answered: number;
    fulfilled: number;
    denied: number;
    logEntries: number;
  };
  totals: { seconds: number; txs: number; failedTxs: number; txPerSec: number };
}

const pct = (sorted: number[], p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);

function latency(ms: number[]): ServicePhase["latencyMs"] {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: Math.round(pct(s, 50)), p95: Math.round(pct(s, 95)), p99: Math.round(pct(s, 99)), count: s.length };
}

/** Transactions in blocks [from, to] and how many reverted, from each block's receipts. */
async function txsIn(rpc: RpcSender, from: number, to: number): Promise<{ txs: number; failed: number }> {
  let txs = 0;
  let failed = 0;
  const blocks = Array.from({ length: Math.max(0, to - from + 1) }, (_, k) => from + k);
  await inOrderWindow(blocks, 8, async (n) => {
    const receipts = (await rpc.send("eth_getBlockReceipts", ["0x" + n.toString(16)])) as { status: string }[] | null;
    for (const r of receipts ?? []) {
      txs++;
      if (r.status !== "0x1") failed++;
    }
  });
  return { txs, failed };
}

/** A phase's figures: from `t0` (performance.now) and the chain block before it (`from`) to now. */
async function phaseOf(
  rpc: RpcSender,
  phase: ServicePhase["phase"],
  items: number,
  t0: number,
  from: number,
  lat: number[],
  refused: number,
): Promise<ServicePhase> {
  const seconds = (performance.now() - t0) / 1000;
  const to = Number(await rpc.send("eth_blockNumber", []));
  const t = await txsIn(rpc, from + 1, to);
  return {
    phase,
    seconds,
    items,
    txs: t.txs,
    failedTxs: t.failed,
    txPerSec: t.txs / seconds,
    latencyMs: latency(lat),
    refused,
    blocks: { from: from + 1, to },
  };
}

/** Records for one submission at a service, with the version each is in the workload. */
interface Submission {
  svc: NodeServiceClient;
  records: CreditRecord[];
  versions: number[];
  /** Records of the submission in the workload (`records` may have been cut down on a resumed run). */
  total: number;
}

/**
 * On a resumed run, before submitting again: waits (bounded) until no service has records queued (what an
 * interrupted run submitted lands first), then leaves out of each submission the records the service already
 * holds at their version. Submitted twice, a record corrected in the workload (operating status v1, then v2)
 * would come back as versions 3 and 4, since the service compares a record with its latest version only.
 */
async function leaveOutLanded(submissions: Submission[], services: Set<NodeServiceClient>, log: (line: string) => void): Promise<void> {
  for (const svc of services)
    await untilSettled(
      async () => {
        const left = await svc.queuedRecords();
        return left === 0 ? { done: true, value: undefined } : { done: false, left };
      },
      SETTLE_WITHIN_MS,
      (left) => new Error(`the node service of ${svc.name} still has ${left} records queued, none of which landed in ${SETTLE_WITHIN_MS / 60_000} minutes`),
    );
  let left = 0;
  for (const s of submissions) {
    const keep: boolean[] = [];
    await inOrderWindow(
      s.records.map((r, i) => ({ r, i })),
      32,
      async ({ r, i }) => {
        keep[i] = (await s.svc.latestVersion(r.enterprise, CATEGORY_SLUGS[r.category])) < s.versions[i];
      },
    );
    left += s.records.filter((_, i) => !keep[i]).length;
    s.records = s.records.filter((_, i) => keep[i]);
    s.versions = s.versions.filter((_, i) => keep[i]);
  }
  if (left > 0) log(`${left} record(s) of the interrupted run are on chain already: not submitted again`);
}

/** The services' replay state: the ordinary state file, marked, with its own counters. */
interface ServiceState extends ReplayState {
  throughServices: true;
  /** Record submissions landed (a prefix of the run's submissions, in order). */
  submissionsLanded: number;
  /** Where the queries phase began: the chain block before it, and each serving service's log size. */
  queriesFrom?: { block: number; logSizes: Record<string, number> };
  /** The workload's refused attempts refused by the services, in the query blocks done. */
  refusedAttempts?: number;
}

export async function serviceLiveReplay(conn: ChainConnection, opts: ServiceReplayOptions): Promise<ServiceReplayReport> {
  const log = opts.log ?? (() => {});
  const seeds = loadSeeds();
  const cfg = loadWorkloadConfig(seeds);
  const targets = scaledTargets(seeds, opts.scale);
  const refusedShare = opts.refusedShare ?? cfg.refusedShare;
  const session = await Session.open(conn, { dataDir: opts.dataDir, readOnly: true, log });
  try {
    const services = runningServices(session);
    if (services.size === 0) throw new Error("no node service of the network runs: `npm run network -- up` starts them");
    const rpc = session.conn.ethers.provider;
    const c = session.contracts;
    const dir = session.storeDir;
    if (session.manifest.institutions.length < targets.institutions)
      throw new Error(
        `the deployment on the network has ${session.manifest.institutions.length} institutions; a replay at scale ${opts.scale} needs ${targets.institutions}`,
      );

    // the cities replayed: those whose serving node (the first active node) runs a service
    const serving = new Map<number, NodeServiceClient>();
    const skipped: string[] = [];
    for (const [ci, city] of seeds.cities.entries()) {
      const id = await session.activeNodeOf(city.code).catch(() => undefined);
      const svc = id === undefined ? undefined : services.get(id);
      if (svc) serving.set(ci, svc);
      else skipped.push(city.nameEn);
    }
    if (serving.size === 0) throw new Error("no city's serving node runs a node service: nothing to replay through the services");

    let state = readState(dir) as ServiceState | undefined;
    if (opts.resume) {
      if (!state || !state.throughServices) throw new Error(`nothing to resume: no replay through the node services in ${dir}`);
      if (state.seed !== opts.seed || state.scale !== opts.scale)
        throw new Error(`--resume: the replay in ${dir} was started with seed ${state.seed} and scale ${state.scale}`);
      log(`resuming the replay through the node services in ${dir}`);
    } else {
      if (state)
        throw new Error(
          `a replay already ran on this deployment (state in ${dir}): pass --resume to continue it. Another one needs a new deployment: \`npm run network -- down\`, \`npm run network -- up --skip-services\`, \`npx hardhat --network yrd yrd deploy --fresh\`, \`npm run network -- down\`, then \`npm run network -- up\` (the services start on the new deployment)`,
        );
      state = {
        ...newReplayState({
          seed: opts.seed,
          scale: opts.scale,
          mode: "live",
          batchSize: opts.batchSize,
          refusedShare,
          institutions: targets.institutions,
          network: session.manifest.network,
          chainId: session.manifest.chainId,
          liveEpoch: await liveEpoch(conn, opts.epoch > 0 ? opts.epoch : undefined),
        }),
        throughServices: true,
        submissionsLanded: 0,
      };
      writeState(dir, state);
    }
    const st = state;
    const counts = apportion(
      targets.enterprises,
      seeds.cities.map((x) => cfg.enterpriseShares.get(x.code)!),
    );
    const pop = new Population(opts.seed, seeds.cities, counts, cfg.financingShare, cfg.correctionShare, cfg.revocationShare, cfg.objectionShare);
    const cityNodes = seeds.cities.map((x) => session.nodesOfCity(x.code));
    const phases: ServicePhase[] = [];

    // the queries of the blocks to come, and their institutions funded and their nonces read: set-up, not timed
    const institutions = session.manifest.institutions.slice(0, st.institutions);
    const model = queryModel(
      { seeds, cfg, pop, cityNodes, seed: opts.seed, institutions, nodeCity: (id) => session.manifest.nodes[id - 1].city },
      queryPlan(targets, st.refusedShare),
    );
    const plan = model.plan;
    const calldata = new InstitutionCalldata(c.consents.interface, c.desk.interface);
    const at = { consents: session.manifest.contracts.ConsentRegistry.address, desk: session.manifest.contracts.QueryDesk.address };
    const hasher = new AuthorizationHasher(consentDomain(session.manifest.chainId, at.consents));
    const sponsorOf = (institution: number) => institutions[institution - 1].sponsorNodeId;
    const blocks = Math.ceil(plan.served / QUERY_BLOCK);
    const queryBlocks = new Map<number, GeneratedQuery[]>();
    for (let b = st.queryBlocksDone; b < blocks; b++)
      queryBlocks.set(
        b,
        generateQueryBlock(model, b, b * QUERY_BLOCK, Math.min(plan.served, (b + 1) * QUERY_BLOCK)).filter((q) => serving.has(q.city)),
      );
    const asking = [
      ...new Set(
        [...queryBlocks.values()]
          .flat()
          .filter((q) => q.outcome !== QueryOutcome.Refused)
          .map((q) => q.institution),
      ),
    ];
    // each institution's key derived once (a Wallet computes its public key when made)
    const wallets = new Map<number, Wallet>();
    const walletOf = (i: number) => {
      let w = wallets.get(i);
      if (!w) wallets.set(i, (w = institutionWallet(institutions[i - 1].keyIndex)));
      return w;
    };
    await session.fundMany(
      asking.map((i) => walletOf(i).address),
      10n ** 18n,
      10n ** 20n,
    );
    const accounts = new Map<number, LocalAccount>();
    const openAccounts = (ids: readonly number[]) =>
      inOrderWindow(ids, 32, async (i) => {
        accounts.set(i, await LocalAccount.open(rpc, walletOf(i).address, new FastSigningKey(walletOf(i).privateKey)));
      });
    if (st.liveBlock === undefined) await openAccounts(asking);

    // ------------------------------------------------------------------ records
    const submissions: Submission[] = [];
    for (const [ci, svc] of serving) {
      const slots = cityNodes[ci].length;
      let pending: CreditRecord[] = [];
      let versions: number[] = [];
      const cut = () => {
        if (pending.length > 0) submissions.push({ svc, records: pending, versions, total: pending.length });
        pending = [];
        versions = [];
      };
      for (let slot = 0; slot < slots; slot++)
        for (let chunk = 0; chunk < chunkCount(pop, ci, slot, slots, opts.batchSize); chunk++)
          for (const { record, version } of chunkCreditRecords(pop, { city: ci, slot, slots, chunk, batchSize: opts.batchSize })) {
            // the enterprise's own signer, bound by the service with its basic-info record
            const r =
              record.category === Category.BasicInfo ? { ...record, signer: computeAddress(enterprisePrivateKey(opts.seed, record.enterprise)) } : record;
            pending.push(r);
            versions.push(version);
            if (pending.length >= RECORDS_PER_SUBMISSION) cut();
          }
      cut();
    }
    const totalRecords = submissions.reduce((a, s) => a + s.total, 0);
    const revocationsBy = new Map<NodeServiceClient, { enterprise: string; category: string; version: number; reason: number }[]>();
    for (const [ci, svc] of serving)
      for (let i = 0; i < pop.counts[ci]; i++)
        if (pop.isRevoked(ci, i))
          pushTo(revocationsBy, svc, {
            enterprise: pop.code(ci, i),
            category: CATEGORY_SLUGS[Category.OperatingStatus],
            version: 1,
            reason: REVOCATION_REASON_ENTERED_IN_ERROR,
          });
    const revocationCount = [...revocationsBy.values()].reduce((a, l) => a + l.length, 0);
    if (!st.recordsDone) {
      const progress = new PhaseProgress("records", totalRecords, "records", undefined, opts.progress);
      const from = await rpc.getBlockNumber();
      const lat: number[] = [];
      let refused = 0;
      let done = submissions.slice(0, st.submissionsLanded).reduce((a, s) => a + s.total, 0);
      const t0 = performance.now();
      // each service's submissions in order, a few awaited at once; the services side by side
      const byService = new Map<NodeServiceClient, number[]>();
      submissions.forEach((s, k) => {
        if (k < st.submissionsLanded) return;
        pushTo(byService, s.svc, k);
      });
      if (opts.resume) await leaveOutLanded(submissions.slice(st.submissionsLanded), new Set(serving.values()), log);
      let landedPrefix = st.submissionsLanded;
      const landedSet = new Set<number>();
      // the year's revocations (operating status v1, entered in error), each at its city's service once that
      // service's submissions have landed; a resumed run asks for all of them again, and the services answer what
      // they revoked before from their journals
      const revokeAt = async (svc: NodeServiceClient) => {
        const list = revocationsBy.get(svc) ?? [];
        for (let i = 0; i < list.length; i += RECORDS_PER_SUBMISSION) {
          const started = performance.now();
          for (const v of await svc.revoke(list.slice(i, i + RECORDS_PER_SUBMISSION)))
            if (v.status === "refused") {
              refused++;
              log(`revocation of ${v.category} v${v.version} of ${v.enterprise} at ${svc.name}: ${v.error ?? "refused"}`);
            }
          lat.push(performance.now() - started);
        }
      };
      await Promise.all(
        [...new Set(serving.values())].map(async (svc) => {
          await inOrderWindow(byService.get(svc) ?? [], SUBMISSIONS_IN_FLIGHT, async (k) => {
            const started = performance.now();
            if (submissions[k].records.length > 0) {
              const r = await svc.submit(submissions[k].records.map((x) => JSON.parse(recordToJson(x)) as unknown));
              const landed = r.status === "attested" ? r : await svc.waitForSubmission(r.submission, SETTLE_WITHIN_MS);
              if (landed.status === "failed") {
                refused++;
                log(`submission ${r.submission} at ${svc.name}: ${landed.error ?? "refused"}`);
              }
            }
            // landed, in submission order: the state counts a prefix (a rerun submits the rest again, less what
            // the services hold already: `leaveOutLanded`)
            landedSet.add(k);
            while (landedSet.has(landedPrefix)) landedPrefix++;
            st.submissionsLanded = landedPrefix;
            writeState(dir, st);
            lat.push(performance.now() - started);
            done += submissions[k].total;
            progress.update(done);
          });
          await revokeAt(svc);
        }),
      );
      progress.stop();
      phases.push(await phaseOf(rpc, "records", totalRecords + revocationCount, t0, from, lat, refused));
      st.recordsDone = true;
      writeState(dir, st);
    }

    // ------------------------------------------------------------------ queries
    const epoch = st.liveEpoch!;
    // each serving service's log before the phase (kept in the state: a resumed run counts from there too) and the
    // chain block the phase began at (every query requested since is the replay's)
    if (st.queriesFrom === undefined) {
      st.queriesFrom = { block: await rpc.getBlockNumber(), logSizes: {} };
      // every running service: the serving ones log their answers, the relaying ones the attempts they refused
      for (const svc of services.values()) st.queriesFrom.logSizes[svc.name] = (await svc.logState()).size;
      writeState(dir, st);
    }
    const queriesFrom = st.queriesFrom;
    const progress = new PhaseProgress("queries", plan.served, "queries", undefined, opts.progress);
    const from = await rpc.getBlockNumber();
    const lat: number[] = [];
    let refused = 0;
    let attempts = 0;
    const t0 = performance.now();
    for (let b = st.queryBlocksDone; b < blocks; b++) {
      const hi = Math.min(plan.served, (b + 1) * QUERY_BLOCK);
      const queries = queryBlocks.get(b)!;
      const resumedFrom = st.liveBlock?.block === b ? st.liveBlock.fromChainBlock : undefined;
      if (resumedFrom === undefined) {
        st.liveBlock = { block: b, fromChainBlock: await rpc.getBlockNumber() };
        writeState(dir, st);
      }
      // settle a block under way: requests made before the interruption are not relayed again, and the nonces are
      // read again (its transactions are signed anew)
      const requestedBefore = new Set<string>();
      if (resumedFrom !== undefined) {
        for (const ev of await c.desk.queryFilter(c.desk.filters.QueryRequested(), resumedFrom)) requestedBefore.add(ev.args.authorizationId);
        await openAccounts(asking);
      }
      const fees = await feeParams(rpc);
      let refusedInBlock = 0;
      await inOrderWindow(queries, RELAYS_IN_FLIGHT, async (q) => {
        attempts++;
        const svc = services.get(sponsorOf(q.institution)) ?? serving.get(q.city)!;
        const auth = replayAuthorization(q, epoch);
        const id = hasher.id(auth);
        const e18 = hexlify(usccBytes(q.enterprise));
        const body = {
          authorization: {
            enterprise: q.enterprise,
            institution: q.institution,
            purpose: q.purpose,
            categories: q.categories,
            notBefore: auth.notBefore,
            notAfter: auth.notAfter,
            nonce: auth.nonce.toString(),
          },
          signature: "0x",
          requestTx: "",
          registerTx: undefined as string | undefined,
        };
        const request = {
          to: at.desk,
          data: calldata.requestQuery({ enterprise: e18, categories: q.categories, purpose: q.purpose, authorizationId: id }),
          gas: 400_000n,
        };
        if (q.outcome === QueryOutcome.Refused) {
          // no authorization from the enterprise: the service must refuse before anything reaches the chain
          const w = walletOf(q.institution);
          body.requestTx = signEip1559({ ...fees, nonce: 0, to: request.to, data: request.data, gasLimit: request.gas }, new FastSigningKey(w.privateKey));
          const started = performance.now();
          const r = await svc.relayRaw(body);
          lat.push(performance.now() - started);
          if (r.status !== 403) throw new Error(`a query without the enterprise's signature was not refused by ${svc.name} (HTTP ${r.status})`);
          if ((r.body as { logged?: unknown }).logged === undefined)
            throw new Error(`${svc.name} refused query attempt ${q.attempt} (no authorization) but did not log it: ${JSON.stringify(r.body)}`);
          refusedInBlock++;
          return;
        }
        if (requestedBefore.has(id)) return;
        const acct = accounts.get(q.institution)!;
        body.signature = signAuthorizationId(new FastSigningKey(enterprisePrivateKey(opts.seed, q.enterprise)), id);
        const registered = resumedFrom !== undefined && (await c.consents.consent(id)).enterprise !== "0x" + "00".repeat(18);
        if (!registered) body.registerTx = acct.sign({ to: at.consents, data: calldata.registerAuthorization(auth, body.signature), gas: 300_000n }, fees);
        body.requestTx = acct.sign(request, fees);
        const started = performance.now();
        const r = await svc.relayRaw(body);
        lat.push(performance.now() - started);
        if (r.status !== 202) {
          refused++;
          throw new Error(`the node service of ${svc.name} refused query attempt ${q.attempt}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
        }
      });
      st.refusedAttempts = (st.refusedAttempts ?? 0) + refusedInBlock;
      st.queryBlocksDone = b + 1;
      delete st.liveBlock;
      writeState(dir, st);
      progress.update(hi);
    }

    // the services answer by themselves: every query requested since the phase began (this run's and an
    // interrupted one's) is waited for (bounded) until answered, then each serving log until it is committed
    // with one entry per query it answered
    const requested = await c.desk.queryFilter(c.desk.filters.QueryRequested(), queriesFrom.block + 1);
    const answered = { fulfilled: 0, denied: 0 };
    let open = requested.map((ev) => ev.args.queryId);
    await untilSettled(
      async () => {
        const still: bigint[] = [];
        await inOrderWindow(open, 32, async (id) => {
          const s = (await c.desk.query(id)).status;
          if (s === QUERY_FULFILLED) answered.fulfilled++;
          else if (s === QUERY_DENIED) answered.denied++;
          else still.push(id);
        });
        open = still;
        return open.length === 0 ? { done: true, value: undefined } : { done: false, left: open.length };
      },
      SETTLE_WITHIN_MS,
      (left) => new Error(`${left} relayed queries still unanswered, none of them answered in ${SETTLE_WITHIN_MS / 60_000} minutes (first: ${open[0]})`),
      500,
    );
    const servedBy = new Map<string, number>();
    for (const ev of requested) {
      const city = seeds.cities.findIndex((x) => x.code === String(ev.args.servingCity));
      const svc = serving.get(city);
      if (svc) servedBy.set(svc.name, (servedBy.get(svc.name) ?? 0) + 1);
    }
    let logEntries = 0;
    for (const svc of services.values()) {
      const before = queriesFrom.logSizes[svc.name] ?? 0;
      const s = await svc.waitForCommittedLog(before + (servedBy.get(svc.name) ?? 0), SETTLE_WITHIN_MS);
      logEntries += s.size - before;
    }
    progress.stop();
    phases.push(await phaseOf(rpc, "queries", attempts, t0, from, lat, refused));

    // ------------------------------------------------------------------ objections
    // an objection is the enterprise's own transaction (no node writes it): each objecting enterprise of the
    // replayed cities, whose signer its city's service bound with the basic-info record, files it over RPC
    const objecting = objectionList(pop, (ci) => serving.has(ci));
    if (!st.objectionsDone) {
      const oProgress = new PhaseProgress("objections", objecting.length, "objections", undefined, opts.progress);
      const oFrom = await rpc.getBlockNumber();
      const oLat: number[] = [];
      const o0 = performance.now();
      for (let k = st.objectionsFiled; k < objecting.length; k += OBJECTIONS_SIDE_BY_SIDE) {
        const todo = await notYetFiled(c.ledger, objectors(pop, opts.seed, objecting, k, OBJECTIONS_SIDE_BY_SIDE));
        for (const x of todo)
          if ((await c.ledger.enterpriseSigner(x.e18)) !== x.signer)
            throw new Error(
              `the signer of ${x.code} is not bound on chain: its city's service binds it with the enterprise's basic-info record, which has not landed`,
            );
        await fundObjectors(session, todo);
        for (const r of await fileObjections(session, todo)) oLat.push(r.ms);
        st.objectionsFiled = Math.min(objecting.length, k + OBJECTIONS_SIDE_BY_SIDE);
        writeState(dir, st);
        oProgress.update(st.objectionsFiled);
      }
      oProgress.stop();
      if (objecting.length > 0) phases.push(await phaseOf(rpc, "objections", objecting.length, o0, oFrom, oLat, 0));
      st.objectionsDone = true;
      writeState(dir, st);
    }
    const total = {
      seconds: phases.reduce((a, p) => a + p.seconds, 0),
      txs: phases.reduce((a, p) => a + p.txs, 0),
      failed: phases.reduce((a, p) => a + p.failedTxs, 0),
    };
    return {
      mode: "live-through-services",
      scale: opts.scale,
      seed: opts.seed,
      network: session.manifest.network,
      chainId: session.manifest.chainId,
      services: [...services.values()].map((s) => s.name),
      citiesReplayed: [...serving.keys()].map((ci) => seeds.cities[ci].nameEn),
      citiesSkipped: skipped,
      phases,
      counts: {
        records: totalRecords,
        revocations: revocationCount,
        objections: objecting.length,
        queries: requested.length,
        refusedAttempts: st.refusedAttempts ?? 0,
        answered: answered.fulfilled + answered.denied,
        fulfilled: answered.fulfilled,
        denied: answered.denied,
        logEntries,
      },
      totals: { seconds: total.seconds, txs: total.txs, failedTxs: total.failed, txPerSec: total.txs / total.seconds },
    };
  } finally {
    session.close();
  }
}
