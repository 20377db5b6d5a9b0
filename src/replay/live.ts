/**
 * Live mode of a replay: one transaction per attestation, per authorization and per query step, every rule
 * checked by the contracts at the moment of the call. Transactions are pipelined (a window of them in
 * flight) and each one's submit → receipt latency is recorded. Records and query-log entries go to the
 * ordinary node-store tables, so the ordinary audit proves them.
 *
 * Deterministic like bulk mode: the institutions' query requests go out in one stream, in attempt order, so
 * the QueryDesk numbers them in that order on a fresh deployment (checked for every request); authorizations
 * are valid from the replay's epoch (saved in its state) and log entries carry the replayed 2024 time. The
 * same seed and epoch give the same log roots, after any number of interruptions.
 *
 * Resumable: a chunk of records or a block of queries that was under way is settled against the chain
 * (what is anchored, registered, requested, fulfilled) before anything is sent again.
 */
import { computeAddress, hexlify, keccak256, solidityPacked, toUtf8Bytes } from "ethers";
import { institutionWallet } from "../chain/accounts.js";
import { isInProcess } from "../chain/connection.js";
import { LocalAccount, SendStream, feeParams, sendFromNodeAccount, type Call, type Mined, type RpcSender } from "../chain/send.js";
import { AUTHORIZATION_DAYS, AuthorizationHasher, consentDomain, signAuthorizationId, type Authorization } from "../consent/authorization.js";
import { InstitutionCalldata } from "../chain/calldata.js";
import { FastSigningKey } from "../chain/signing.js";
import { usccBytes } from "../ledger/leaf.js";
import { NodeQueryLog } from "../query/querylog.js";
import { QueryOutcome } from "../query/log-entry.js";
import { Category } from "../records/categories.js";
import { generateQueryBlock, type GeneratedQuery, type QueryModel } from "../workload/queries.js";
import { chunkIndices, chunkRecords } from "./chunks.js";
import { PhaseProgress } from "./progress.js";
import { QUERY_BLOCK, REVOCATION_REASON_ENTERED_IN_ERROR, chunkSpecs, commitLogs, ensureFunded, phaseMetrics, tick, writeState, type Ctx, type PhaseMetrics, type Targets } from "./replay.js";
import { ReplayStore } from "./store.js";
import { inOrderWindow, inSlices } from "./window.js";

/** Transactions (or queries) in flight at once. */
export const LIVE_WINDOW = 64;
/**
 * Fixed gas limits (well above what each call uses, see README) so that no transaction waits for an
 * eth_estimateGas round trip: half of a live transaction's cost on the in-process chain.
 */
const GAS = { attest: 200_000n, revoke: 200_000n, bind: 150_000n, register: 300_000n, request: 400_000n, fulfil: 500_000n } as const;
const STATUS_NOT_ANCHORED = 0n;
const QUERY_STATUS_REQUESTED = 1n;
const NO_ENTERPRISE = "0x" + "00".repeat(18);
/** Records marked anchored in the store per SQLite transaction. */
const MARK_EVERY = 1_000;

export function percentiles(xs: number[]): { p50: number; p95: number; p99: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => (s.length === 0 ? 0 : Number(s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(2)));
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

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

/** Sends `call` from a node's account and waits for its receipt, counting it in `spent`. */
async function nodeTx(rpc: RpcSender, spent: Spent, from: string, call: Call): Promise<Mined> {
  const t0 = performance.now();
  return spent.add(await (await sendFromNodeAccount(rpc, from, call)).wait(), t0);
}

export async function liveRecordsPhase(ctx: Ctx, targets: Targets): Promise<PhaseMetrics> {
  const progress = new PhaseProgress("records", targets.enterprises, "enterprises", undefined, ctx.opts.progress);
  const rpc = ctx.conn.ethers.provider;
  const spent = new Spent();
  const ledger = ctx.manifest.contracts.CreditLedger.address;
  const iface = ctx.c.ledger.interface;
  const operators = await Promise.all(ctx.operators.map((o) => o.getAddress()));
  let enterprises = 0;
  let records = 0;
  for (const s of chunkSpecs(ctx)) {
    const store = ctx.stores.get(s.nodeId);
    const rs = new ReplayStore(store);
    const existing = rs.stepsWithPrefix(s.key + "/");
    const generated = [...chunkRecords(ctx.pop, s)];
    const chunkEnterprises = new Set(generated.map((g) => g.enterprise)).size;
    if (existing.length > 0 && existing.every((x) => x.status === "done")) {
      enterprises += chunkEnterprises;
      records += generated.length;
      continue;
    }
    const maybeSent = existing.length > 0;
    if (!maybeSent) {
      store.putPending(generated.map((g) => ({ enterprise: g.enterprise, category: g.category, version: g.version, salt: g.salt, encoding: g.encoding, digest: g.digest, leafHash: g.leaf, recordJson: "{}", batchId: null })));
      rs.putPending([{ step: `${s.key}/live`, kind: "anchor", category: 0, version: 0, count: generated.length, root: null, leaves: null, enterprises: null }]);
    }
    const operator = operators[s.nodeId - 1];
    const todo = maybeSent ? generated.filter((g) => store.get(g.enterprise, g.category, g.version)?.mode !== "live") : generated;
    const anchored: { enterprise: string; category: number; version: number; txHash: string; block: number }[] = [];
    const mark = () => store.markLiveEach(anchored.splice(0));
    const gasBefore = spent.gas;
    try {
      await inOrderWindow(todo, LIVE_WINDOW, async (g) => {
        const e18 = hexlify(usccBytes(g.enterprise));
        const key = { enterprise: g.enterprise, category: g.category, version: g.version };
        if (maybeSent && (await ctx.c.ledger.attestationStatus(e18, g.category, g.version, hexlify(g.digest))) !== STATUS_NOT_ANCHORED) {
          anchored.push({ ...key, txHash: "", block: 0 });
          return;
        }
        tick(ctx);
        const data = iface.encodeFunctionData("attest", [{ enterprise: e18, category: g.category, version: g.version, digest: hexlify(g.digest) }]);
        const m = await nodeTx(rpc, spent, operator, { to: ledger, data, gas: GAS.attest });
        anchored.push({ ...key, txHash: m.hash, block: m.blockNumber });
        if (anchored.length >= MARK_EVERY) mark();
      });
      const toRevoke = chunkIndices(ctx.pop, s)
        .filter((i) => ctx.pop.isRevoked(s.city, i))
        .map((i) => hexlify(usccBytes(ctx.pop.code(s.city, i))));
      await inOrderWindow(toRevoke, LIVE_WINDOW, async (e18) => {
        if (maybeSent && (await ctx.c.ledger.revocationReason(e18, Category.OperatingStatus, 1)) !== 0n) return;
        tick(ctx);
        const data = iface.encodeFunctionData("revoke", [{ enterprise: e18, category: Category.OperatingStatus, version: 1, reason: REVOCATION_REASON_ENTERED_IN_ERROR }]);
        await nodeTx(rpc, spent, operator, { to: ledger, data, gas: GAS.revoke });
      });
    } finally {
      mark();
    }
    rs.markDone(`${s.key}/live`, null, "", spent.gas - gasBefore);
    enterprises += chunkEnterprises;
    records += generated.length;
    progress.update(enterprises);
  }
  const seconds = progress.stop();
  ctx.state.recordsDone = true;
  writeState(ctx.dir, ctx.state);
  return phaseMetrics("records", seconds, records, spent.txs, spent.gas, spent.latencies);
}

/** The enterprise's private key in a live replay (derived from the seed: test use only). */
export function enterprisePrivateKey(seed: string, enterprise: string): string {
  return keccak256(solidityPacked(["bytes", "string"], [toUtf8Bytes(`${seed}/enterprise-key`), enterprise]));
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

async function settleBlock(ctx: Ctx, served: readonly GeneratedQuery[], ids: Map<number, string>, fromBlock: number): Promise<Map<number, Settled>> {
  const requested = new Map<string, bigint>();
  for (const ev of await ctx.c.desk.queryFilter(ctx.c.desk.filters.QueryRequested(), fromBlock)) requested.set(ev.args.authorizationId, ev.args.queryId);
  const out = new Map<number, Settled>();
  await inOrderWindow(served, LIVE_WINDOW, async (q) => {
    const id = ids.get(q.attempt)!;
    const queryId = requested.get(id);
    const registered = queryId !== undefined || (await ctx.c.consents.consent(id)).enterprise !== NO_ENTERPRISE;
    const fulfilled = queryId !== undefined && (await ctx.c.desk.query(queryId)).status !== QUERY_STATUS_REQUESTED;
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
 * The institutions' transactions of steps 2 and 3 are signed while step 1 runs.
 */
export async function liveQueriesPhase(ctx: Ctx, model: QueryModel): Promise<PhaseMetrics> {
  const plan = model.plan;
  const progress = new PhaseProgress("queries", plan.served, "queries", undefined, ctx.opts.progress);
  const rpc = ctx.conn.ethers.provider;
  const spent = new Spent();
  const at = { ledger: ctx.manifest.contracts.CreditLedger.address, consents: ctx.manifest.contracts.ConsentRegistry.address, desk: ctx.manifest.contracts.QueryDesk.address };
  const { ledger, consents, desk } = { ledger: ctx.c.ledger.interface, consents: ctx.c.consents.interface, desk: ctx.c.desk.interface };
  const calldata = new InstitutionCalldata(consents, desk);
  const hasher = new AuthorizationHasher(consentDomain(ctx.manifest.chainId, at.consents));
  const operators = await Promise.all(ctx.operators.map((o) => o.getAddress()));
  const requestedTopic = desk.getEvent("QueryRequested")!.topicHash;
  const epoch = ctx.state.liveEpoch!;
  const sendMode = isInProcess(ctx.conn) ? "pipelined" : "sequential";
  const accounts = new Map<number, LocalAccount>();
  /** Enterprises whose signer is bound (by this process, or found bound on a resumed run). */
  const bound = new Set<string>();
  const logs = new Map<number, NodeQueryLog>(ctx.manifest.nodes.map((n) => [n.nodeId, new NodeQueryLog(ctx.stores.get(n.nodeId))]));
  const home = ctx.stores.get(1);
  const blocks = Math.ceil(plan.served / QUERY_BLOCK);
  for (let b = ctx.state.queryBlocksDone; b < blocks; b++) {
    const from = b * QUERY_BLOCK;
    const to = Math.min(plan.served, from + QUERY_BLOCK);
    const queries = generateQueryBlock(model, b, from, to);
    // `b@chain block` once the block is begun: a rerun settles from that chain block on
    const begun = home.getMeta("live-query-block")?.split("@");
    const resumedFrom = begun?.[0] === String(b) ? Number(begun[1]) : undefined;
    if (resumedFrom === undefined) home.setMeta("live-query-block", `${b}@${await rpc.getBlockNumber()}`);

    // the block's institutions: funded, and their nonces read, before anything is signed
    for (const id of new Set(queries.map((q) => q.institution))) {
      if (accounts.has(id)) continue;
      const w = institutionWallet(ctx.manifest.institutions[id - 1].keyIndex);
      await ensureFunded(ctx, w.address, 10n ** 18n, 10n ** 20n);
      accounts.set(id, await LocalAccount.open(rpc, w.address, new FastSigningKey(w.privateKey)));
    }
    const served = queries.filter((q) => q.outcome !== QueryOutcome.Refused);
    const auths = new Map(served.map((q) => [q.attempt, replayAuthorization(q, epoch)]));
    const ids = new Map(served.map((q) => [q.attempt, hasher.id(auths.get(q.attempt)!)]));
    const settled = resumedFrom === undefined ? undefined : await settleBlock(ctx, served, ids, resumedFrom);
    const toRegister = served.filter((q) => !settled?.get(q.attempt)?.registered);
    const toRequest = served.filter((q) => settled?.get(q.attempt)?.queryId === undefined);

    // sign the institutions' transactions in send order (registrations, then requests) while signers are bound
    const fees = await feeParams(rpc);
    const signing = inSlices([...toRegister.map((q) => ({ q, register: true })), ...toRequest.map((q) => ({ q, register: false }))], ({ q, register }) => {
      const e18 = hexlify(usccBytes(q.enterprise));
      const id = ids.get(q.attempt)!;
      const call: Call = register
        ? { to: at.consents, data: calldata.registerAuthorization(auths.get(q.attempt)!, signAuthorizationId(new FastSigningKey(enterprisePrivateKey(ctx.opts.seed, q.enterprise)), id)), gas: GAS.register }
        : { to: at.desk, data: calldata.requestQuery({ enterprise: e18, categories: q.categories, purpose: q.purpose, authorizationId: id }), gas: GAS.request };
      return accounts.get(q.institution)!.sign(call, fees);
    });
    signing.catch(() => undefined); // awaited below; a failure of step 1 must not leave it unhandled

    // 1. bind the signers of the enterprises this block queries (one transaction each, by a home-city node)
    const toBind = [...new Map(served.filter((q) => !bound.has(q.enterprise)).map((q) => [q.enterprise, q])).values()];
    await inOrderWindow(toBind, LIVE_WINDOW, async (q) => {
      const e18 = hexlify(usccBytes(q.enterprise));
      const signer = computeAddress(enterprisePrivateKey(ctx.opts.seed, q.enterprise));
      if (ctx.opts.resume && (await ctx.c.ledger.enterpriseSigner(e18)) === signer) {
        bound.add(q.enterprise);
        return;
      }
      tick(ctx);
      await nodeTx(rpc, spent, operators[q.servingNode - 1], { to: at.ledger, data: ledger.encodeFunctionData("bindEnterpriseSigner", [e18, signer]), gas: GAS.bind });
      bound.add(q.enterprise);
    });
    const raws = await signing;
    const registerRaw = new Map(toRegister.map((q, k) => [q.attempt, raws[k]]));
    const requestRaw = new Map(toRequest.map((q, k) => [q.attempt, raws[toRegister.length + k]]));

    // 2. authorizations: each institution's in its own nonce order, institutions side by side
    const own = new Map<number, SendStream>();
    await inOrderWindow(toRegister, LIVE_WINDOW, async (q) => {
      tick(ctx);
      let stream = own.get(q.institution);
      if (!stream) own.set(q.institution, (stream = new SendStream(rpc, sendMode)));
      const t0 = performance.now();
      spent.add(await (await stream.push(registerRaw.get(q.attempt)!)).wait(), t0);
    });

    // 3. requests in one stream, in attempt order; fulfilments; refusals
    const stream = new SendStream(rpc, sendMode);
    const results = new Map<number, { liveQueryId: bigint; authId: string; reason: number }>();
    let nextQueryId = (await ctx.c.desk.queryCount()) + 1n;
    await inOrderWindow(queries, LIVE_WINDOW, async (q) => {
      if (q.outcome === QueryOutcome.Refused) {
        // the generated authorization id of a refused attempt was never registered
        const unknown = hexlify(q.authorizationId);
        const data = calldata.requestQuery({ enterprise: hexlify(usccBytes(q.enterprise)), categories: q.categories, purpose: q.purpose, authorizationId: unknown });
        const accepted = await rpc.send("eth_call", [{ from: accounts.get(q.institution)!.address, to: at.desk, data, gas: "0x" + GAS.request.toString(16) }, "latest"]).then(
          () => true,
          () => false,
        );
        if (accepted) throw new Error(`live replay: a query without authorization was not refused (attempt ${q.attempt})`);
        results.set(q.attempt, { liveQueryId: 0n, authId: unknown, reason: q.reason });
        return;
      }
      const prior = settled?.get(q.attempt);
      let queryId = prior?.queryId;
      if (queryId === undefined) {
        tick(ctx);
        const t0 = performance.now();
        const tx = stream.push(requestRaw.get(q.attempt)!); // before any await: in attempt order
        const expected = nextQueryId++;
        const mined = spent.add(await (await tx).wait(), t0);
        const log = mined.logs.find((l) => l.address.toLowerCase() === at.desk.toLowerCase() && l.topics[0] === requestedTopic);
        if (!log) throw new Error(`live replay: the request of attempt ${q.attempt} emitted no QueryRequested`);
        queryId = BigInt(log.topics[1]);
        if (queryId !== expected)
          throw new Error(
            `live replay: the request of attempt ${q.attempt} got query id ${queryId}, not ${expected}: the chain mined requests out of submission order (or another client sent requests), so the log would not be reproducible`,
          );
      }
      if (!prior?.fulfilled) {
        tick(ctx);
        await nodeTx(rpc, spent, operators[q.servingNode - 1], { to: at.desk, data: desk.encodeFunctionData("fulfilQuery", [queryId, q.reportDigests.map((d) => hexlify(d))]), gas: GAS.fulfil });
      }
      results.set(q.attempt, { liveQueryId: queryId, authId: ids.get(q.attempt)!, reason: 0 });
    });

    // 4. log entries in attempt order (each node's in one SQLite transaction), then one commitment per grown log
    const byNode = new Map<number, GeneratedQuery[]>();
    for (const q of queries) {
      const list = byNode.get(q.servingNode);
      if (list) list.push(q);
      else byNode.set(q.servingNode, [q]);
    }
    for (const [nodeId, list] of byNode) {
      const store = ctx.stores.get(nodeId);
      if (Number(store.getMeta("live-log-block") ?? -1) >= b) continue; // appended before an interruption
      store.transaction(() => {
        logs.get(nodeId)!.append(
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
        );
        store.setMeta("live-log-block", String(b));
      });
    }
    const committed = await commitLogs(ctx, logs);
    spent.txs += committed.txs;
    spent.gas += committed.gas;
    ctx.state.queryBlocksDone = b + 1;
    writeState(ctx.dir, ctx.state);
    progress.update(to);
  }
  const seconds = progress.stop();
  return phaseMetrics("queries", seconds, plan.served + plan.refused, spent.txs, spent.gas, spent.latencies);
}
