/**
 * Live mode of a replay: one transaction per attestation, per authorization and per query step, every rule
 * checked by the contracts at the moment of the call. Transactions are pipelined (a window of them in
 * flight) and each one's submit → receipt latency is recorded. Records and query-log entries go to the
 * ordinary node-store tables, so the ordinary audit proves them. Resumable like bulk mode: a chunk or a block
 * of queries that was under way is settled against the chain before anything is sent again.
 */
import { NonceManager, Wallet, hexlify, keccak256, solidityPacked, toQuantity, toUtf8Bytes, type Signer } from "ethers";
import { institutionWallet } from "../chain/accounts.js";
import { authorizationId, consentDomain, signAuthorization, type Authorization } from "../consent/authorization.js";
import { usccBytes } from "../ledger/leaf.js";
import { NodeQueryLog } from "../query/querylog.js";
import { QueryOutcome, reportsDigest as digestOfReports } from "../query/log-entry.js";
import { Category } from "../records/categories.js";
import { generateQueryBlock, type GeneratedQuery, type QueryModel } from "../workload/queries.js";
import { chunkIndices, chunkRecords } from "./chunks.js";
import { PhaseProgress } from "./progress.js";
import { QUERY_BLOCK, REVOCATION_REASON_ENTERED_IN_ERROR, chunkSpecs, commitLogs, phaseMetrics, tick, writeState, type Ctx, type PhaseMetrics, type Targets } from "./replay.js";
import { ReplayStore } from "./store.js";

/** Transactions in flight at once. */
export const LIVE_WINDOW = 64;
/**
 * Fixed gas limits (well above what each call uses, see README) so that no transaction waits for an
 * eth_estimateGas round trip: half of a live transaction's cost on the in-process chain.
 */
const GAS = { attest: 200_000n, revoke: 200_000n, bind: 150_000n, register: 300_000n, request: 400_000n, fulfil: 500_000n } as const;
const STATUS_NOT_ANCHORED = 0n;

export function percentiles(xs: number[]): { p50: number; p95: number; p99: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => (s.length === 0 ? 0 : Number(s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(2)));
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

/** What the pipeline needs of a sent transaction. */
interface Sent {
  wait(): Promise<{ gasUsed: bigint; hash: string; blockNumber: number } | null>;
}

/**
 * Sends a transaction from a node-managed account with two JSON-RPC calls (eth_sendTransaction, then
 * eth_getTransactionReceipt) instead of the five or so of a contract call through ethers: the hot path of
 * live attestation. Throws if the transaction reverted.
 */
function sendRaw(ctx: Ctx, from: string, to: string, data: string, gas: bigint): Promise<Sent> {
  const provider = ctx.conn.ethers.provider;
  return provider.send("eth_sendTransaction", [{ from, to, data, gas: toQuantity(gas) }]).then((hash: string) => ({
    wait: async () => {
      const r = (await provider.send("eth_getTransactionReceipt", [hash])) as { status: string; gasUsed: string; blockNumber: string };
      if (r.status !== "0x1") throw new Error(`transaction ${hash} reverted`);
      return { gasUsed: BigInt(r.gasUsed), hash, blockNumber: Number(r.blockNumber) };
    },
  }));
}

/**
 * Runs `send` for every item with at most `window` items in flight. `send` returns the transactions it sent
 * for the item (in sequence); each is awaited, and the item's submit → receipt time per transaction is recorded.
 */
async function pipeline<T>(
  items: readonly T[],
  window: number,
  latencies: number[],
  send: (item: T) => Promise<Sent | Sent[] | undefined>,
): Promise<{ txs: number; gas: number }> {
  let next = 0;
  let txs = 0;
  let gas = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      const t0 = performance.now();
      const out = await send(item);
      const sent = out === undefined ? [] : Array.isArray(out) ? out : [out];
      for (const tx of sent) {
        const receipt = await tx.wait();
        gas += Number(receipt?.gasUsed ?? 0n);
        txs++;
      }
      if (sent.length > 0) latencies.push((performance.now() - t0) / sent.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, items.length) }, worker));
  return { txs, gas };
}

export async function liveRecordsPhase(ctx: Ctx, targets: Targets): Promise<PhaseMetrics> {
  const progress = new PhaseProgress("records", targets.enterprises, "enterprises", undefined, ctx.opts.progress);
  const latencies: number[] = [];
  let enterprises = 0;
  let records = 0;
  let txs = 0;
  let gas = 0;
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
    const ledger = ctx.c.ledger.connect(ctx.operators[s.nodeId - 1]);
    const operator = await ctx.operators[s.nodeId - 1].getAddress();
    const ledgerAddress = ctx.manifest.contracts.CreditLedger.address;
    const todo = generated.filter((g) => store.get(g.enterprise, g.category, g.version)?.mode !== "live");
    const spent = await pipeline(todo, LIVE_WINDOW, latencies, async (g) => {
      const e18 = hexlify(usccBytes(g.enterprise));
      if (maybeSent && (await ctx.c.ledger.attestationStatus(e18, g.category, g.version, hexlify(g.digest))) !== STATUS_NOT_ANCHORED) {
        store.markLive([g], "", 0);
        return undefined;
      }
      tick(ctx);
      const data = ctx.c.ledger.interface.encodeFunctionData("attest", [{ enterprise: e18, category: g.category, version: g.version, digest: hexlify(g.digest) }]);
      const tx = await sendRaw(ctx, operator, ledgerAddress, data, GAS.attest);
      return {
        wait: async () => {
          const r = await tx.wait();
          store.markLive([g], r!.hash, r!.blockNumber);
          return r;
        },
      };
    });
    txs += spent.txs;
    gas += spent.gas;
    const toRevoke = chunkIndices(ctx.pop, s)
      .filter((i) => ctx.pop.isRevoked(s.city, i))
      .map((i) => ctx.pop.code(s.city, i));
    const r2 = await pipeline(toRevoke, LIVE_WINDOW, latencies, async (e) => {
      const e18 = hexlify(usccBytes(e));
      if (maybeSent && (await ctx.c.ledger.revocationReason(e18, Category.OperatingStatus, 1)) !== 0n) return undefined;
      tick(ctx);
      return ledger.revoke({ enterprise: e18, category: Category.OperatingStatus, version: 1, reason: REVOCATION_REASON_ENTERED_IN_ERROR }, { gasLimit: GAS.revoke });
    });
    txs += r2.txs;
    gas += r2.gas;
    rs.markDone(`${s.key}/live`, null, "", spent.gas + r2.gas);
    enterprises += chunkEnterprises;
    records += generated.length;
    progress.update(enterprises);
  }
  const seconds = progress.stop();
  ctx.state.recordsDone = true;
  writeState(ctx.dir, ctx.state);
  return phaseMetrics("records", seconds, records, txs, gas, latencies);
}

/** The enterprise's signing key in a live replay (derived from the seed: test use only). */
export function enterpriseKey(seed: string, enterprise: string): Wallet {
  return new Wallet(keccak256(solidityPacked(["bytes", "string"], [toUtf8Bytes(`${seed}/enterprise-key`), enterprise])));
}

export async function liveQueriesPhase(ctx: Ctx, model: QueryModel): Promise<PhaseMetrics> {
  const plan = model.plan;
  const progress = new PhaseProgress("queries", plan.served, "queries", undefined, ctx.opts.progress);
  const latencies: number[] = [];
  const domain = consentDomain(ctx.manifest.chainId, ctx.manifest.contracts.ConsentRegistry.address);
  // one NonceManager per institution key, created once (concurrent queries share it)
  const institutions = new Map<number, Promise<Signer>>();
  const deployer = (await ctx.conn.ethers.getSigners())[0];
  const institution = (id: number): Promise<Signer> => {
    let s = institutions.get(id);
    if (!s) {
      s = (async () => {
        const w = institutionWallet(ctx.manifest.institutions[id - 1].keyIndex).connect(ctx.conn.ethers.provider);
        if ((await ctx.conn.ethers.provider.getBalance(w.address)) < 10n ** 18n) await (await deployer.sendTransaction({ to: w.address, value: 10n ** 20n })).wait();
        return new NonceManager(w);
      })();
      institutions.set(id, s);
    }
    return s;
  };
  // an automining chain cannot queue a transaction whose nonce is ahead: submit each institution's in order
  const queues = new Map<number, Promise<unknown>>();
  const inOrder = <T>(id: number, send: () => Promise<T>): Promise<T> => {
    const p = (queues.get(id) ?? Promise.resolve()).then(send, send);
    queues.set(id, p.catch(() => undefined));
    return p;
  };
  const logs = new Map<number, NodeQueryLog>(ctx.manifest.nodes.map((n) => [n.nodeId, new NodeQueryLog(ctx.stores.get(n.nodeId))]));
  let txs = 0;
  let gas = 0;
  const blocks = Math.ceil(plan.served / QUERY_BLOCK);
  for (let b = ctx.state.queryBlocksDone; b < blocks; b++) {
    const from = b * QUERY_BLOCK;
    const to = Math.min(plan.served, from + QUERY_BLOCK);
    const queries = generateQueryBlock(model, b, from, to);
    const maybeSent = ctx.stores.get(1).getMeta(`live-query-block`) === String(b);
    ctx.stores.get(1).setMeta(`live-query-block`, String(b));
    // bind the signers of the enterprises this block queries (one transaction each, by their home node)
    const bind = [...new Map(queries.map((q) => [q.enterprise, q])).values()];
    const bound = await pipeline(bind, LIVE_WINDOW, latencies, async (q) => {
      const e18 = hexlify(usccBytes(q.enterprise));
      const key = enterpriseKey(ctx.opts.seed, q.enterprise);
      if ((await ctx.c.ledger.enterpriseSigner(e18)) === key.address) return undefined;
      tick(ctx);
      const data = ctx.c.ledger.interface.encodeFunctionData("bindEnterpriseSigner", [e18, key.address]);
      return sendRaw(ctx, await ctx.operators[q.servingNode - 1].getAddress(), ctx.manifest.contracts.CreditLedger.address, data, GAS.bind);
    });
    txs += bound.txs;
    gas += bound.gas;
    const results = new Map<number, { q: GeneratedQuery; time: number; liveQueryId: bigint; authId: string; reason: number }>();
    const now = (await ctx.conn.ethers.provider.getBlock("latest"))!.timestamp;
    const spent = await pipeline(queries, LIVE_WINDOW, latencies, async (q) => {
      const e18 = hexlify(usccBytes(q.enterprise));
      const inst = await institution(q.institution);
      const auth: Authorization = { enterprise: e18, institution: q.institution, purpose: q.purpose, categories: q.categories, notBefore: now - 60, notAfter: now + 30 * 86_400, nonce: BigInt(q.attempt) };
      const id = authorizationId(domain, auth);
      const steps: Sent[] = [];
      if (q.outcome === QueryOutcome.Refused) {
        // refused before reaching the serving node: the contracts reject the request, nothing is written
        const unknown = keccak256(toUtf8Bytes(`refused/${q.attempt}`));
        const refusedBy = await ctx.c.desk.connect(inst).requestQuery.staticCall({ enterprise: e18, categories: q.categories, purpose: q.purpose, authorizationId: unknown }).then(
          () => undefined,
          (e: Error) => e,
        );
        if (!refusedBy) throw new Error(`live replay: a query without authorization was not refused (attempt ${q.attempt})`);
        results.set(q.attempt, { q, time: now, liveQueryId: 0n, authId: unknown, reason: 1 });
        return steps;
      }
      if (!maybeSent || (await ctx.c.consents.consent(id)).enterprise === "0x" + "00".repeat(18)) {
        tick(ctx);
        const signature = await signAuthorization(enterpriseKey(ctx.opts.seed, q.enterprise), domain, auth);
        steps.push(await inOrder(q.institution, () => ctx.c.consents.connect(inst).registerAuthorization(auth, signature, { gasLimit: GAS.register })));
        await steps.at(-1)!.wait();
      }
      let queryId = maybeSent ? await findQuery(ctx, e18, q.institution, id) : undefined;
      let time = now;
      if (queryId === undefined) {
        tick(ctx);
        const tx = await inOrder(q.institution, () => ctx.c.desk.connect(inst).requestQuery({ enterprise: e18, categories: q.categories, purpose: q.purpose, authorizationId: id }, { gasLimit: GAS.request }));
        steps.push(tx);
        const receipt = await tx.wait();
        queryId = ctx.c.desk.interface.parseLog(receipt!.logs.find((l) => l.address.toLowerCase() === ctx.manifest.contracts.QueryDesk.address.toLowerCase())!)!.args.queryId as bigint;
        time = (await receipt!.getBlock()).timestamp;
      }
      if (!maybeSent || (await ctx.c.desk.query(queryId)).status === 1n) {
        tick(ctx);
        const data = ctx.c.desk.interface.encodeFunctionData("fulfilQuery", [queryId, q.reportDigests.map((d) => hexlify(d))]);
        steps.push(await sendRaw(ctx, await ctx.operators[q.servingNode - 1].getAddress(), ctx.manifest.contracts.QueryDesk.address, data, GAS.fulfil));
      }
      results.set(q.attempt, { q, time, liveQueryId: queryId, authId: id, reason: 0 });
      return steps;
    });
    txs += spent.txs;
    gas += spent.gas;
    // log entries in attempt order, then one commitment per grown log
    for (const r of [...results.values()].sort((a, b) => a.q.attempt - b.q.attempt)) {
      const log = logs.get(r.q.servingNode)!;
      if (maybeSent && r.liveQueryId !== 0n && ctx.stores.get(r.q.servingNode).logEntriesOf(r.q.enterprise).some((e) => e.liveQueryId === r.liveQueryId.toString())) continue;
      log.append([
        {
          enterprise: hexlify(usccBytes(r.q.enterprise)),
          institution: r.q.institution,
          servingNode: r.q.servingNode,
          purpose: r.q.purpose,
          categories: r.q.categories,
          authorizationId: r.authId,
          time: r.time,
          outcome: r.q.outcome,
          reason: r.reason,
          reportsDigest: r.q.reports > 0 ? digestOfReports(r.q.reportDigests.map((d) => hexlify(d))) : "0x" + "00".repeat(32),
          liveQueryId: r.liveQueryId,
        },
      ]);
    }
    const committed = await commitLogs(ctx, logs);
    txs += committed.txs;
    gas += committed.gas;
    ctx.state.queryBlocksDone = b + 1;
    writeState(ctx.dir, ctx.state);
    progress.update(to);
  }
  const seconds = progress.stop();
  return phaseMetrics("queries", seconds, plan.served + plan.refused, txs, gas, latencies);
}

/** The QueryDesk id of a request this institution already made under this authorization, if any. */
async function findQuery(ctx: Ctx, e18: string, institution: number, authId: string): Promise<bigint | undefined> {
  const events = await ctx.c.desk.queryFilter(ctx.c.desk.filters.QueryRequested(undefined, e18, institution));
  return events.find((e) => e.args.authorizationId === authId)?.args.queryId;
}
