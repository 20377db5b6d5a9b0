/**
 * Live mode of a replay: one transaction per attestation, per authorization and per query step, every rule
 * checked by the contracts at the moment of the call. Transactions are pipelined (a window of them in
 * flight) and each one's submit → receipt latency is recorded. Records and query-log entries go to the
 * ordinary node-store tables, so the ordinary audit proves them.
 *
 * Deterministic like bulk mode: the institutions' query requests go out in one stream, in attempt order, so
 * the QueryDesk numbers them in that order on a fresh deployment (checked for every request on the in-process
 * chain); authorizations are valid from the replay's epoch (saved in its state) and log entries carry the
 * replayed 2024 time. The same seed and epoch give the same log roots, after any number of interruptions. On
 * validators that seal on a clock (the multi-node network) a block's requests of different institutions are
 * ordered by the sealer, so the query ids, and the log roots that carry them, follow its order.
 *
 * Resumable: a chunk of records or a block of queries that was under way is settled against the chain
 * (what is anchored, registered, requested, fulfilled) before anything is sent again.
 */
import { computeAddress, hexlify } from "ethers";
import { institutionWallet } from "../chain/accounts.js";
import { isInProcess } from "../chain/connection.js";
import { LocalAccount, SendStream, feeParams, requiredConfirmations, type Call, type Mined } from "../chain/send.js";
import { AUTHORIZATION_DAYS, AuthorizationHasher, consentDomain, signAuthorizationId, type Authorization } from "../consent/authorization.js";
import { InstitutionCalldata } from "../chain/calldata.js";
import { FastSigningKey } from "../chain/signing.js";
import { usccBytes } from "../ledger/leaf.js";
import type { CityNode } from "../node/city-node.js";
import type { NewStep } from "../node/journal.js";
import { QueryOutcome } from "../query/log-entry.js";
import { Category } from "../records/categories.js";
import { generateQueryBlock, type GeneratedQuery } from "../workload/queries.js";
import { chunkIndices, chunkRecords } from "./chunks.js";
import { PhaseProgress } from "./progress.js";
import {
  QUERY_BLOCK,
  REVOCATION_REASON_ENTERED_IN_ERROR,
  chunkDone,
  chunkSpecs,
  commitLogs,
  enterprisePrivateKey,
  phaseMetrics,
  replayInstitutions,
  runQueryModel,
  tick,
  writeState,
  type PhaseMetrics,
  type Run,
  type Targets,
} from "./model.js";
import { inOrderWindow, inSlices } from "../concurrency.js";
import { pushTo } from "../collections.js";

/** Transactions (or queries) in flight at once. */
export const LIVE_WINDOW = 64;
/**
 * … on a chain that seals on a clock, where each waits a block or two with its confirmations: 64 in flight made
 * blocks of 64 transactions and two empty ones (21 tx/s on 4 geth validators, measured).
 */
const CLOCK_WINDOW = 2048;

/** The window of a run: the wide one where receipts wait for confirmations (the clock-sealed network). */
const liveWindow = () => (requiredConfirmations() > 1 ? CLOCK_WINDOW : LIVE_WINDOW);
/**
 * Fixed gas limits of the institutions' transactions (well above what each call uses, see README) so that
 * none waits for an eth_estimateGas round trip. The nodes' own limits live with their journal (`CityNode`).
 */
const GAS = { register: 300_000n, request: 400_000n } as const;
const QUERY_STATUS_REQUESTED = 1n;
const NO_ENTERPRISE = "0x" + "00".repeat(18);
/** Steps marked done in the journal per SQLite transaction. */
const MARK_EVERY = 1_000;

/** Transactions and gas spent, and each transaction's submit → receipt latency. */
class Spent {
  txs = 0;
  gas = 0;
  readonly latencies: number[] = [];

  add(m: Mined, submittedAt: number): Mined {
    this.txs++;
    this.gas += Number(m.gasUsed);
    this.latencies.push(performance.now() - submittedAt);
    return m;
  }
}

/** Sends a journaled node step on the fast path (marked done later, in groups), counting it in `spent`. */
async function nodeStep(node: CityNode, spent: Spent, step: NewStep): Promise<Mined> {
  const t0 = performance.now();
  const m = spent.add(await node.execute(step, { fast: true, buffer: true }), t0);
  return m;
}

export async function liveRecordsPhase(run: Run, targets: Targets): Promise<PhaseMetrics> {
  const progress = new PhaseProgress("records", targets.enterprises, "enterprises", undefined, run.opts.progress);
  const spent = new Spent();
  let enterprises = 0;
  let records = 0;
  // On a chain that seals on a clock (the geth network) the nodes send side by side, each its own chunks in
  // order (one node at a time would leave the others' streams idle while it waits for its blocks); the
  // in-process chain takes a chunk at a time, as the year's order has it, and so does a run that must stop at
  // an exact step (`stopAfterSteps`, the tests of --resume).
  const sideBySide = run.opts.stopAfterSteps === undefined && !isInProcess(run.session.conn) ? run.nodes.length : 1;
  const tails = new Map<number, Promise<void>>();
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const chunk = async (s: ReturnType<typeof chunkSpecs>[number]) => {
    const node = run.nodes[s.nodeId - 1];
    const generated = [...chunkRecords(run.pop, s, run.saltSecrets[s.nodeId - 1])];
    const chunkEnterprises = new Set(generated.map((g) => g.enterprise)).size;
    if (!chunkDone(node, s.key)) {
      const revoked = chunkIndices(run.pop, s)
        .filter((i) => run.pop.isRevoked(s.city, i))
        .map((i) => run.pop.code(s.city, i));
      const attests: NewStep<"attest">[] = generated.map((g) => ({
        key: `${s.key}/attest/${g.enterprise}/${g.category}/v${g.version}`,
        kind: "attest",
        payload: { items: [{ enterprise: g.enterprise, category: g.category, version: g.version, digest: hexlify(g.digest) }] },
      }));
      const revokes: NewStep<"revoke">[] = revoked.map((enterprise) => ({
        key: `${s.key}/revoke/${enterprise}`,
        kind: "revoke",
        payload: { items: [{ enterprise, category: Category.OperatingStatus, version: 1, reason: REVOCATION_REASON_ENTERED_IN_ERROR }] },
      }));
      const resumed = node.journal.withPrefix(s.key + "/").length > 0;
      if (!resumed)
        await node.journalSteps([...attests, ...revokes], () =>
          node.store.putPending(
            generated.map((g) => ({
              enterprise: g.enterprise,
              category: g.category,
              version: g.version,
              salt: g.salt,
              encoding: g.encoding,
              digest: g.digest,
              leafHash: g.leaf,
              recordJson: "{}",
              batchId: null,
            })),
          ),
        );
      // steps a resumed node settled when it started are done; send the others
      const open = (steps: NewStep[]) => (resumed ? steps.filter((x) => node.journal.get(x.key)?.state !== "done") : steps);
      let sinceFlush = 0;
      try {
        for (const list of [open(attests), open(revokes)])
          await inOrderWindow(list, liveWindow(), async (step) => {
            if (failure) return;
            tick(run);
            await nodeStep(node, spent, step);
            if (++sinceFlush >= MARK_EVERY) {
              sinceFlush = 0;
              node.flush();
            }
          });
      } finally {
        node.flush();
      }
    }
    enterprises += chunkEnterprises;
    records += generated.length;
    progress.update(enterprises);
  };
  try {
    for (const s of chunkSpecs(run)) {
      if (failure) break;
      const done: Promise<void> = (tails.get(s.nodeId) ?? Promise.resolve())
        .then(() => (failure ? undefined : chunk(s)))
        .catch((error: unknown) => {
          failure ??= { error };
        });
      tails.set(s.nodeId, done);
      inFlight.add(done);
      void done.finally(() => inFlight.delete(done));
      if (inFlight.size >= sideBySide) await Promise.race(inFlight);
    }
  } finally {
    await Promise.all(inFlight);
  }
  if (failure) throw failure.error;
  const seconds = progress.stop();
  run.state.recordsDone = true;
  writeState(run.dir, run.state);
  return phaseMetrics("records", seconds, records, spent.txs, spent.gas, spent.latencies);
}

/** The authorization an enterprise signs for a replayed query: valid for AUTHORIZATION_DAYS from the epoch. */
export function replayAuthorization(q: GeneratedQuery, epoch: number): Authorization {
  return {
    enterprise: hexlify(usccBytes(q.enterprise)),
    institution: q.institution,
    purpose: q.purpose,
    categories: q.categories,
    notBefore: epoch,
    notAfter: epoch + AUTHORIZATION_DAYS * 86_400,
    nonce: BigInt(q.attempt),
  };
}

/** What a block of queries that was under way before an interruption had already done on chain. */
interface Settled {
  registered: boolean;
  queryId?: bigint;
  fulfilled: boolean;
}

async function settleBlock(run: Run, served: readonly GeneratedQuery[], ids: Map<number, string>, fromBlock: number): Promise<Map<number, Settled>> {
  const c = run.session.contracts;
  const requested = new Map<string, bigint>();
  for (const ev of await c.desk.queryFilter(c.desk.filters.QueryRequested(), fromBlock)) requested.set(ev.args.authorizationId, ev.args.queryId);
  const out = new Map<number, Settled>();
  await inOrderWindow(served, LIVE_WINDOW, async (q) => {
    const id = ids.get(q.attempt)!;
    const queryId = requested.get(id);
    const registered = queryId !== undefined || (await c.consents.consent(id)).enterprise !== NO_ENTERPRISE;
    const fulfilled = queryId !== undefined && (await c.desk.query(queryId)).status !== QUERY_STATUS_REQUESTED;
    out.set(q.attempt, { registered, queryId, fulfilled });
  });
  return out;
}

/**
 * The queries phase of a live replay, a block of queries at a time:
 * 1. the home-city node binds the signer of every enterprise the block queries for the first time;
 * 2. each institution registers the enterprise's signed authorization of each of its queries;
 * 3. each institution requests its queries, all in one stream in attempt order (the QueryDesk numbers them
 *    in that order), and the serving node fulfils each request once it is mined; refused attempts are
 *    checked with a call (the contracts must reject them) and send nothing;
 * 4. every serving node appends the block's entries to its log and commits it on chain.
 * The institutions' transactions of steps 2 and 3 are signed while step 1 runs. The nodes' writes (1, 3 and
 * 4) go through their journals; the institutions' (2, 3) are settled against the chain on a resumed run.
 */
export async function liveQueriesPhase(run: Run): Promise<PhaseMetrics> {
  const model = runQueryModel(run);
  const plan = model.plan;
  const progress = new PhaseProgress("queries", plan.served, "queries", undefined, run.opts.progress);
  const { session } = run;
  const c = session.contracts;
  const rpc = session.conn.ethers.provider;
  const spent = new Spent();
  const at = { consents: session.manifest.contracts.ConsentRegistry.address, desk: session.manifest.contracts.QueryDesk.address };
  const calldata = new InstitutionCalldata(c.consents.interface, c.desk.interface);
  const hasher = new AuthorizationHasher(consentDomain(session.manifest.chainId, at.consents));
  const requestedTopic = c.desk.interface.getEvent("QueryRequested")!.topicHash;
  const epoch = run.state.liveEpoch!;
  const inSubmissionOrder = isInProcess(session.conn);
  const sendMode = inSubmissionOrder ? "pipelined" : "sequential";
  const institutions = replayInstitutions(run);
  const accounts = new Map<number, LocalAccount>();
  const blocks = Math.ceil(plan.served / QUERY_BLOCK);
  for (let b = run.state.queryBlocksDone; b < blocks; b++) {
    const from = b * QUERY_BLOCK;
    const to = Math.min(plan.served, from + QUERY_BLOCK);
    const queries = generateQueryBlock(model, b, from, to);
    // the block under way and the chain height when it began: a rerun settles from that chain block on
    const resumedFrom = run.state.liveBlock?.block === b ? run.state.liveBlock.fromChainBlock : undefined;
    if (resumedFrom === undefined) {
      run.state.liveBlock = { block: b, fromChainBlock: await rpc.getBlockNumber() };
      writeState(run.dir, run.state);
    }

    // the block's institutions: funded, and their nonces read, before anything is signed
    for (const id of new Set(queries.map((q) => q.institution))) {
      if (accounts.has(id)) continue;
      const w = institutionWallet(institutions[id - 1].keyIndex);
      await session.fund(w.address, 10n ** 18n, 10n ** 20n);
      accounts.set(id, await LocalAccount.open(rpc, w.address, new FastSigningKey(w.privateKey)));
    }
    const served = queries.filter((q) => q.outcome !== QueryOutcome.Refused);
    const auths = new Map(served.map((q) => [q.attempt, replayAuthorization(q, epoch)]));
    const ids = new Map(served.map((q) => [q.attempt, hasher.id(auths.get(q.attempt)!)]));
    const settled = resumedFrom === undefined ? undefined : await settleBlock(run, served, ids, resumedFrom);
    const toRegister = served.filter((q) => !settled?.get(q.attempt)?.registered);
    const toRequest = served.filter((q) => settled?.get(q.attempt)?.queryId === undefined);

    // sign the institutions' transactions in send order (registrations, then requests) while signers are bound
    const fees = await feeParams(rpc);
    const signing = inSlices([...toRegister.map((q) => ({ q, register: true })), ...toRequest.map((q) => ({ q, register: false }))], ({ q, register }) => {
      const e18 = hexlify(usccBytes(q.enterprise));
      const id = ids.get(q.attempt)!;
      const call: Call = register
        ? {
            to: at.consents,
            data: calldata.registerAuthorization(
              auths.get(q.attempt)!,
              signAuthorizationId(new FastSigningKey(enterprisePrivateKey(run.opts.seed, q.enterprise)), id),
            ),
            gas: GAS.register,
          }
        : {
            to: at.desk,
            data: calldata.requestQuery({ enterprise: e18, categories: q.categories, purpose: q.purpose, authorizationId: id }),
            gas: GAS.request,
          };
      return accounts.get(q.institution)!.sign(call, fees);
    });
    signing.catch(() => undefined); // awaited below; a failure of step 1 must not leave it unhandled

    // 1. bind the signers of the enterprises this block queries (one journaled step each, by a home-city node)
    const toBind = new Map<number, NewStep<"bind-signer">[]>();
    for (const q of new Map(served.map((x) => [x.enterprise, x])).values()) {
      const step: NewStep<"bind-signer"> = {
        key: `r/bind/${q.enterprise}`,
        kind: "bind-signer",
        payload: { enterprise: q.enterprise, signer: computeAddress(enterprisePrivateKey(run.opts.seed, q.enterprise)) },
      };
      const list = toBind.get(q.servingNode);
      if (list) list.push(step);
      else toBind.set(q.servingNode, [step]);
    }
    const binds: { node: CityNode; step: NewStep }[] = [];
    for (const [nodeId, steps] of toBind) {
      const node = run.nodes[nodeId - 1];
      const open = steps.filter((x) => node.journal.get(x.key) === undefined);
      await node.journalSteps(open, undefined, run.state.liveBlock!.fromChainBlock);
      for (const step of steps) if (node.journal.get(step.key)?.state !== "done") binds.push({ node, step });
    }
    try {
      await inOrderWindow(binds, liveWindow(), async ({ node, step }) => {
        tick(run);
        await nodeStep(node, spent, step);
      });
    } finally {
      for (const node of new Set(binds.map((x) => x.node))) node.flush();
    }
    const raws = await signing;
    const registerRaw = new Map(toRegister.map((q, k) => [q.attempt, raws[k]]));
    const requestRaw = new Map(toRequest.map((q, k) => [q.attempt, raws[toRegister.length + k]]));

    // 2. authorizations: each institution's in its own nonce order, institutions side by side
    const own = new Map<number, SendStream>();
    await inOrderWindow(toRegister, liveWindow(), async (q) => {
      tick(run);
      let stream = own.get(q.institution);
      if (!stream) own.set(q.institution, (stream = new SendStream(rpc, sendMode)));
      const t0 = performance.now();
      spent.add(await (await stream.push(registerRaw.get(q.attempt)!)).wait(), t0);
    });

    // 3. requests in one stream, in attempt order; fulfilments through the serving nodes' journals; refusals
    const stream = new SendStream(rpc, sendMode);
    const results = new Map<number, { liveQueryId: bigint; authId: string; reason: number }>();
    let nextQueryId = (await c.desk.queryCount()) + 1n;
    const answering = new Set<CityNode>();
    try {
      await inOrderWindow(queries, liveWindow(), async (q) => {
        if (q.outcome === QueryOutcome.Refused) {
          // the generated authorization id of a refused attempt was never registered
          const unknown = hexlify(q.authorizationId);
          const data = calldata.requestQuery({
            enterprise: hexlify(usccBytes(q.enterprise)),
            categories: q.categories,
            purpose: q.purpose,
            authorizationId: unknown,
          });
          const accepted = await rpc
            .send("eth_call", [{ from: accounts.get(q.institution)!.address, to: at.desk, data, gas: "0x" + GAS.request.toString(16) }, "latest"])
            .then(
              () => true,
              () => false,
            );
          if (accepted) throw new Error(`live replay: a query without authorization was not refused (attempt ${q.attempt})`);
          results.set(q.attempt, { liveQueryId: 0n, authId: unknown, reason: q.reason });
          return;
        }
        const prior = settled?.get(q.attempt);
        let queryId = prior?.queryId;
        let minedAt: number | undefined;
        if (queryId === undefined) {
          tick(run);
          const t0 = performance.now();
          const tx = stream.push(requestRaw.get(q.attempt)!); // before any await: in attempt order
          const expected = nextQueryId++;
          const mined = spent.add(await (await tx).wait(), t0);
          minedAt = mined.blockNumber;
          const log = mined.logs.find((l) => l.address.toLowerCase() === at.desk.toLowerCase() && l.topics[0] === requestedTopic);
          if (!log) throw new Error(`live replay: the request of attempt ${q.attempt} emitted no QueryRequested`);
          queryId = BigInt(log.topics[1]);
          // the in-process chain mines in submission order, so the same seed and epoch give the same query ids and
          // log roots; validators sealing on a clock order a block's transactions of different senders their own
          // way (measured on geth Clique: ids swapped within a block), so there the ids follow the sealer's order
          if (queryId !== expected && inSubmissionOrder)
            throw new Error(
              `live replay: the request of attempt ${q.attempt} got query id ${queryId}, not ${expected}: the chain mined requests out of submission order (or another client sent requests), so the log would not be reproducible`,
            );
        }
        const node = run.nodes[q.servingNode - 1];
        const step: NewStep<"fulfil"> = {
          key: `fulfil/${queryId}`,
          kind: "fulfil",
          payload: { queryId: queryId.toString(), reportDigests: q.reportDigests.map((d) => hexlify(d)) },
        };
        if (!prior?.fulfilled && node.journal.get(step.key)?.state !== "done") {
          await node.journalSteps([step], undefined, minedAt ?? run.state.liveBlock!.fromChainBlock);
          answering.add(node);
          tick(run);
          await nodeStep(node, spent, step);
        }
        results.set(q.attempt, { liveQueryId: queryId, authId: ids.get(q.attempt)!, reason: 0 });
      });
    } finally {
      for (const node of answering) node.flush();
    }

    // 4. log entries in attempt order (each node's in one SQLite transaction), then one commitment per grown log
    const byNode = new Map<number, GeneratedQuery[]>();
    for (const q of queries) pushTo(byNode, q.servingNode, q);
    for (const [nodeId, list] of byNode) {
      const node = run.nodes[nodeId - 1];
      if (node.store.hasReplayBlock(b)) continue; // appended before an interruption
      node.queryLog.append(
        list.map((q) => {
          const r = results.get(q.attempt)!;
          return {
            enterprise: hexlify(usccBytes(q.enterprise)),
            institution: q.institution,
            servingNode: q.servingNode,
            purpose: q.purpose,
            categories: q.categories,
            authorizationId: r.authId,
            time: q.time,
            outcome: q.outcome,
            reason: r.reason,
            reportsDigest: hexlify(q.reportsDigest),
            liveQueryId: r.liveQueryId,
          };
        }),
        b,
      );
    }
    const committed = await commitLogs(run);
    spent.txs += committed.txs;
    spent.gas += committed.gas;
    run.state.queryBlocksDone = b + 1;
    delete run.state.liveBlock;
    writeState(run.dir, run.state);
    progress.update(to);
  }
  const seconds = progress.stop();
  return phaseMetrics("queries", seconds, plan.served + plan.refused, spent.txs, spent.gas, spent.latencies);
}
