/**
 * A city node: its store, its operator signer and the deployment's contracts, and the only code that writes
 * to the chain for that node. Every write (live attestation, batch anchoring, supersede, revoke, signer
 * binding, fulfilment or denial of a query, query-log commitment) is a step of the node's journal
 * (`journal.ts`): journaled as pending with the data it anchors, sent, and marked done with its receipt. When
 * the node starts, every step left unfinished by an interrupted command is settled against the chain: found
 * on chain → done; not found → sent again. So any command can be interrupted anywhere and rerun.
 *
 * Two ways to send the same steps: `checked` (ethers: the chain estimates the call first, so a refused write
 * fails with its custom error before anything is sent) and `fast` (the node account's eth_sendTransaction
 * with a fixed gas limit and one receipt call: the live replay's hot path). On a chain that seals on a clock,
 * steps go out in the order of the calls with a nonce counter of the node's own, signed here when the
 * operator's key is (`signingKey`), and `pipelined` ones are checked first, several at once.
 */
import { getBytes, hexlify, type Signer } from "ethers";
import { revertReason, type Contracts } from "../chain/contracts.js";
import { signEip1559 } from "../chain/eip1559.js";
import {
  feeParams,
  receiptOf,
  requiredConfirmations,
  sendFromNodeAccount,
  sendRawTransaction,
  type Call,
  type FeeParams,
  type Log,
  type Mined,
  type RpcSender,
  type Sent,
} from "../chain/send.js";
import type { FastSigningKey } from "../chain/signing.js";
import { usccBytes } from "../ledger/leaf.js";
import { Limiter } from "../concurrency.js";
import type { NodeStore } from "../store/nodeStore.js";
import { Journal, type NewStep, type Step, type StepKind, type StepPayloads } from "./journal.js";
import { NodeQueryLog } from "./query-log.js";

/** Fixed gas limits of the fast path, well above what each call uses (see README, Gas). */
const GAS: Record<StepKind, bigint> = {
  attest: 200_000n,
  anchor: 400_000n,
  supersede: 100_000n,
  revoke: 200_000n,
  "bind-signer": 150_000n,
  fulfil: 500_000n,
  deny: 200_000n,
  "commit-log": 600_000n,
};
/** Extra gas per item of a multi-item step on the fast path. */
const GAS_PER_ITEM = 80_000n;
/** A pipelined step whose fixed limit is above this is estimated rather than checked with one call. */
const ESTIMATE_ABOVE_GAS = 10_000_000n;
const QUERY_STATUS = { requested: 1n, fulfilled: 2n, denied: 3n, expired: 4n } as const;
/** Checks (eth_call) of pipelined steps at once. */
const CHECKS_AT_ONCE = 32;
/** How often the ordered path reads the chain's fees again (the base fee moves with every block). */
const FEE_REFRESH_MS = 2_000;
/** How long settling waits for the operator's transactions still in the chain's pool. */
const POOL_WAIT_MS = 60_000;

export interface CityNodeInit {
  nodeId: number;
  /** Text id, e.g. "hf-1". */
  id: string;
  /** Division code of the node's city. */
  city: string;
  operator: Signer;
  operatorAddress: string;
  contracts: Contracts;
  /** Addresses of the deployment's contracts. */
  addresses: { ledger: string; desk: string; queryLog: string };
  rpc: RpcSender;
  store: NodeStore;
  /**
   * Fast-path submissions one after another, each with the next nonce of a counter the node keeps. Needed
   * wherever the provider would pick the nonce of an eth_sendTransaction from the chain's pending count
   * (Hardhat's HTTP networks sign locally that way): on geth that count lags behind transactions just
   * submitted, so concurrent or quick successive submissions took the same nonce ("replacement transaction
   * underpriced", measured). The in-process chain takes them in call order and needs neither.
   */
  orderedSubmissions?: boolean;
  /**
   * The operator's key, when it is held here (the network's accounts come from a mnemonic this process
   * has): the ordered path signs each transaction itself and sends it with eth_sendRawTransaction, instead of
   * eth_sendTransaction through a provider that signs it and reads the fees for every transaction (on geth,
   * two to three round trips more each).
   */
  signingKey?: FastSigningKey;
}

export interface SettleReport {
  /** Unfinished steps found done on chain. */
  found: number;
  /** Unfinished steps not on chain, sent again. */
  resent: number;
  /** Steps the chain refused when sent again. */
  failed: number;
}

export interface ExecuteOptions {
  /** Send on the fast path (fixed gas, no estimation). */
  fast?: boolean;
  /**
   * On a node with ordered submissions: checked first with one call (a large multi-item step estimated), so a
   * refused write fails with its custom error before it is sent, as on the checked path; then submitted on the
   * ordered path without waiting for the node's earlier steps' receipts, so several independent steps of one
   * node can share a block.
   */
  pipelined?: boolean;
  /** Mark the step done later, with others in one SQLite transaction (`flush`); a crash before leaves it to settling. */
  buffer?: boolean;
}

/** A chain write the chain refused: the step is marked failed and nothing of it is on chain. */
export class WriteRefused extends Error {
  constructor(
    readonly step: string,
    readonly reason: string,
  ) {
    super(`node write ${step} was refused by the chain: ${reason}`);
  }
}

/** The 0x-hex bytes18 of a USCC. */
const e18 = (uscc: string) => hexlify(usccBytes(uscc));

export class CityNode {
  readonly nodeId: number;
  readonly id: string;
  readonly city: string;
  readonly store: NodeStore;
  readonly journal: Journal;
  private log?: NodeQueryLog;
  private readonly buffered: { step: NewStep; mined: Mined }[] = [];
  /** The last fast-path submission, when submissions go one after another (`orderedSubmissions`). */
  private submissions: Promise<unknown> = Promise.resolve();
  /** The operator's next nonce on the ordered fast path; undefined: read it from the chain first. */
  private nextNonce?: number;
  /** The checks of pipelined steps running side by side (bounded: the chain executes each one). */
  private readonly checks = new Limiter(CHECKS_AT_ONCE);
  /** Fees of locally signed transactions, and when they were read. */
  private fees?: { params: FeeParams; at: number };

  private constructor(private readonly init: CityNodeInit) {
    this.nodeId = init.nodeId;
    this.id = init.id;
    this.city = init.city;
    this.store = init.store;
    this.journal = new Journal(init.store);
  }

  /** Opens the node and settles every step an earlier command left unfinished. */
  static async start(init: CityNodeInit): Promise<{ node: CityNode; settled: SettleReport }> {
    const node = new CityNode(init);
    const settled = await node.settle();
    return { node, settled };
  }

  /** Whether several of this node's steps can be in flight at once (ordered submissions, `pipelined`). */
  get pipelines(): boolean {
    return this.init.orderedSubmissions === true;
  }

  get operatorAddress(): string {
    return this.init.operatorAddress;
  }

  /** The node's one query log (loaded from the store on first use). */
  get queryLog(): NodeQueryLog {
    return (this.log ??= new NodeQueryLog(this.store));
  }

  // ------------------------------------------------------------------ the write path

  /** The current chain height, where a step's effect will be looked for. */
  async height(): Promise<number> {
    return Number(await this.init.rpc.send("eth_blockNumber", []));
  }

  /**
   * Journals steps as pending and runs `alsoStore` (the records, batch leaves … they anchor) in the same
   * SQLite transaction, before anything is sent.
   */
  async journalSteps(steps: readonly NewStep[], alsoStore?: () => void, fromBlock?: number): Promise<void> {
    const from = fromBlock ?? (await this.height());
    this.store.transaction(() => {
      alsoStore?.();
      this.journal.add(steps, from);
    });
  }

  /** Sends a journaled step and records its outcome; throws `WriteRefused` when the chain refuses it. */
  async execute(step: NewStep, opts: ExecuteOptions = {}): Promise<Mined> {
    const call = this.callOf(step);
    let mined: Mined;
    try {
      const pipelined = opts.pipelined === true && this.init.orderedSubmissions === true;
      if (opts.fast || pipelined) {
        let sending: Promise<Sent>;
        if (this.init.orderedSubmissions) {
          // checked first: a refused write fails with its custom error before it is sent. One eth_call where the fast
          // path's fixed limit is small; a large multi-item step is estimated instead (the estimate, with a margin,
          // replaces the fixed limit, so that it fits a block), which costs the chain a dozen executions. The checks
          // of several steps run side by side; only the sending waits its turn
          const checked = pipelined ? this.checks.run(() => this.check(call)) : undefined;
          checked?.catch(() => undefined); // awaited in its turn below
          // in call order: the nonces (and so the order the chain applies them) follow the order of the calls
          sending = this.submissions.then(async () => {
            await checked;
            this.nextNonce ??= Number(await this.init.rpc.send("eth_getTransactionCount", [this.init.operatorAddress, "pending"]));
            try {
              const sent = await this.submit(call, this.nextNonce);
              this.nextNonce++;
              if (pipelined) this.journal.markSent(step.key, sent.hash);
              return sent;
            } catch (e) {
              this.nextNonce = undefined; // not submitted: read the count again before the next one
              throw e;
            }
          });
          this.submissions = sending.catch(() => undefined);
        } else sending = sendFromNodeAccount(this.init.rpc, this.init.operatorAddress, call);
        mined = await (await sending).wait();
      } else {
        this.nextNonce = undefined; // the signer picks its own nonce: the fast path reads the count again after it
        const tx = await this.init.operator.sendTransaction({ to: call.to, data: call.data });
        this.journal.markSent(step.key, tx.hash);
        const r = (await tx.wait(requiredConfirmations()))!;
        mined = {
          hash: r.hash,
          gasUsed: r.gasUsed,
          blockNumber: r.blockNumber,
          logs: r.logs.map((l) => ({ address: l.address, topics: [...l.topics], data: l.data })),
        };
      }
    } catch (e) {
      const reason = this.refusal(e);
      if (reason === undefined) throw e; // not a refusal (e.g. the chain is unreachable): left for settling
      this.fail(step, reason);
      throw new WriteRefused(step.key, reason);
    }
    if (opts.buffer) this.buffered.push({ step, mined });
    else this.complete(step, mined);
    return mined;
  }

  /**
   * Checks `call` against the chain's latest state (a refusal throws with the contract's error) within its fixed
   * limit; a large step, or one that needs more than its fixed limit (contracts built for coverage use several
   * times the gas: seen as "out of gas" in CI), is estimated and given the estimate with a margin.
   */
  private async check(call: Call): Promise<void> {
    const tx = { from: this.init.operatorAddress, to: call.to, data: call.data };
    if (call.gas <= ESTIMATE_ABOVE_GAS)
      try {
        await this.init.rpc.send("eth_call", [{ ...tx, gas: "0x" + call.gas.toString(16) }, "latest"]);
        return;
      } catch (e) {
        if (!/out of gas|gas required exceeds/i.test((e as Error).message ?? "")) throw e;
      }
    call.gas = (BigInt((await this.init.rpc.send("eth_estimateGas", [tx])) as string) * 5n) / 4n + 20_000n;
  }

  /** Submits `call` with `nonce` on the ordered path: signed here when the key is held, else by the provider. */
  private async submit(call: Call, nonce: number): Promise<Sent> {
    const key = this.init.signingKey;
    if (!key) return sendFromNodeAccount(this.init.rpc, this.init.operatorAddress, call, nonce);
    if (!this.fees || Date.now() - this.fees.at > FEE_REFRESH_MS) this.fees = { params: await feeParams(this.init.rpc), at: Date.now() };
    return sendRawTransaction(this.init.rpc, signEip1559({ ...this.fees.params, nonce, to: call.to, data: call.data, gasLimit: call.gas }, key));
  }

  /** Marks the buffered steps done, in one SQLite transaction. */
  flush(): void {
    if (this.buffered.length === 0) return;
    const list = this.buffered.splice(0);
    this.store.transaction(() => {
      for (const { step, mined } of list) this.complete(step, mined);
    });
  }

  /**
   * Settles every unfinished step against the chain, in journal order: a step whose transaction is known is
   * looked up by hash; otherwise its effect is looked for on chain; not found, it is sent again.
   */
  async settle(): Promise<SettleReport> {
    const report: SettleReport = { found: 0, resent: 0, failed: 0 };
    const steps = this.journal.unfinished();
    if (steps.length === 0) return report;
    await this.waitForPool();
    for (const step of steps) {
      if (step.txHash) {
        const receipt = (await this.init.rpc.send("eth_getTransactionReceipt", [step.txHash])) as { status: string } | null;
        if (receipt) {
          if (receipt.status === "0x1") {
            this.complete(step, await receiptOf(this.init.rpc, step.txHash));
            report.found++;
          } else {
            this.fail(step, `transaction ${step.txHash} reverted`);
            report.failed++;
          }
          continue;
        }
      }
      const found = await this.findOnChain(step);
      if (found === null) {
        report.failed++;
        continue;
      }
      if (found) {
        this.complete(step, found);
        report.found++;
        continue;
      }
      try {
        await this.execute(step);
        report.resent++;
      } catch (e) {
        if (!(e instanceof WriteRefused)) throw e;
        report.failed++;
      }
    }
    return report;
  }

  /** Waits (bounded) until the operator has no transaction left in the chain's pool, so none is sent twice. */
  private async waitForPool(): Promise<void> {
    const count = async (tag: string) => Number(await this.init.rpc.send("eth_getTransactionCount", [this.init.operatorAddress, tag]));
    const started = Date.now();
    while ((await count("pending")) > (await count("latest"))) {
      if (Date.now() - started > POOL_WAIT_MS)
        throw new Error(
          `node ${this.id}: transactions of ${this.init.operatorAddress} stayed in the chain's pool for ${POOL_WAIT_MS / 1000} s; is the chain producing blocks?`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The named reason when `e` is the chain refusing the call (it reverted), else undefined. */
  private refusal(e: unknown): string | undefined {
    const err = e as { code?: string; shortMessage?: string; message?: string };
    const reverted = err.code === "CALL_EXCEPTION" || /reverted/.test(err.message ?? "");
    if (!reverted) return undefined;
    return revertReason(this.init.contracts, e) ?? err.shortMessage ?? err.message?.split("\n")[0] ?? "reverted";
  }

  /** The transaction of a step. */
  private callOf(step: NewStep): Call {
    const { ledger, desk, queryLog } = this.init.contracts;
    const at = this.init.addresses;
    const p = step.payload;
    switch (step.kind) {
      case "attest": {
        const reqs = (p as StepPayloads["attest"]).items.map((i) => ({
          enterprise: e18(i.enterprise),
          category: i.category,
          version: i.version,
          digest: i.digest,
        }));
        return reqs.length === 1
          ? { to: at.ledger, data: ledger.interface.encodeFunctionData("attest", [reqs[0]]), gas: GAS.attest }
          : { to: at.ledger, data: ledger.interface.encodeFunctionData("multiAttest", [reqs]), gas: GAS.attest + GAS_PER_ITEM * BigInt(reqs.length) };
      }
      case "anchor": {
        const a = p as StepPayloads["anchor"];
        return { to: at.ledger, data: ledger.interface.encodeFunctionData("anchorBatch", [a]), gas: GAS.anchor };
      }
      case "supersede": {
        const items = (p as StepPayloads["supersede"]).items.map((i) => ({ ...i, enterprise: e18(i.enterprise) }));
        return {
          to: at.ledger,
          data: ledger.interface.encodeFunctionData("multiSupersede", [items]),
          gas: GAS.supersede + GAS_PER_ITEM * BigInt(items.length),
        };
      }
      case "revoke": {
        const items = (p as StepPayloads["revoke"]).items.map((i) => ({ ...i, enterprise: e18(i.enterprise) }));
        return items.length === 1
          ? { to: at.ledger, data: ledger.interface.encodeFunctionData("revoke", [items[0]]), gas: GAS.revoke }
          : { to: at.ledger, data: ledger.interface.encodeFunctionData("multiRevoke", [items]), gas: GAS.revoke + GAS_PER_ITEM * BigInt(items.length) };
      }
      case "bind-signer": {
        const b = p as StepPayloads["bind-signer"];
        return { to: at.ledger, data: ledger.interface.encodeFunctionData("bindEnterpriseSigner", [e18(b.enterprise), b.signer]), gas: GAS["bind-signer"] };
      }
      case "fulfil": {
        const f = p as StepPayloads["fulfil"];
        return { to: at.desk, data: desk.interface.encodeFunctionData("fulfilQuery", [BigInt(f.queryId), f.reportDigests]), gas: GAS.fulfil };
      }
      case "deny": {
        const d = p as StepPayloads["deny"];
        return { to: at.desk, data: desk.interface.encodeFunctionData("denyQuery", [BigInt(d.queryId), d.reason]), gas: GAS.deny };
      }
      case "commit-log": {
        const c = p as StepPayloads["commit-log"];
        return { to: at.queryLog, data: queryLog.interface.encodeFunctionData("commitLog", [c.size, c.root, c.proof]), gas: GAS["commit-log"] };
      }
    }
  }

  /** What a done step leaves in the store, and the step marked done (in one SQLite transaction). */
  private complete(step: NewStep, mined: Mined & { batchId?: number }): void {
    this.store.transaction(() => {
      let result: Record<string, unknown> | undefined;
      if (step.kind === "attest") {
        this.store.markLiveEach((step.payload as StepPayloads["attest"]).items.map((i) => ({ ...i, txHash: mined.hash, block: mined.blockNumber })));
      } else if (step.kind === "anchor") {
        const batchId = mined.batchId ?? this.batchIdIn(mined.logs);
        this.store.markBatchAnchored(step.key, batchId, mined.hash, mined.blockNumber);
        result = { batchId };
      } else if (step.kind === "fulfil" || step.kind === "deny") {
        const e = (step.payload as StepPayloads["fulfil"]).logEntry;
        if (e) result = { logSequence: this.queryLog.append([{ ...e, liveQueryId: BigInt(e.liveQueryId) }])[0].sequence };
      } else if (step.kind === "commit-log") {
        const c = step.payload as StepPayloads["commit-log"];
        this.store.putCommitment({ index: c.index, size: c.size, root: getBytes(c.root), txHash: mined.hash, block: mined.blockNumber });
      }
      this.journal.markDone(step.key, { txHash: mined.hash, block: mined.blockNumber, gas: Number(mined.gasUsed), result });
    });
  }

  /** A refused step: marked failed, and what it would have anchored leaves the store's pending state. */
  private fail(step: NewStep, reason: string): void {
    this.store.transaction(() => {
      if (step.kind === "attest") this.store.dropPending((step.payload as StepPayloads["attest"]).items);
      if (step.kind === "anchor") this.store.dropPendingBatch(step.key);
      this.journal.markFailed(step.key, reason);
    });
  }

  private batchIdIn(logs: readonly Log[]): number {
    const ledger = this.init.contracts.ledger;
    for (const l of logs) {
      if (l.address.toLowerCase() !== this.init.addresses.ledger.toLowerCase()) continue;
      const parsed = ledger.interface.parseLog({ topics: [...l.topics], data: l.data });
      if (parsed?.name === "BatchAnchored") return Number(parsed.args.batchId);
    }
    throw new Error(`node ${this.id}: an anchoring transaction emitted no BatchAnchored event`);
  }

  /**
   * Looks for a step's effect on chain: where it happened (tx hash "" when the transaction is not found),
   * undefined when it is not on chain, null when it can no longer be (the step is marked failed).
   */
  private async findOnChain(step: Step): Promise<(Mined & { batchId?: number }) | undefined | null> {
    const { ledger, desk, queryLog } = this.init.contracts;
    const at = (hash = "", blockNumber = 0) => ({ hash, blockNumber, gasUsed: 0n, logs: [] });
    const p = step.payload;
    switch (step.kind) {
      case "attest": {
        const first = (p as StepPayloads["attest"]).items[0];
        if ((await ledger.attestationStatus(e18(first.enterprise), first.category, first.version, first.digest)) === 0n) return undefined;
        const ev = (
          await ledger.queryFilter(ledger.filters.Attested(e18(first.enterprise), undefined, undefined, undefined, this.nodeId), step.fromBlock)
        ).find((x) => Number(x.args.category) === first.category && Number(x.args.version) === first.version);
        return at(ev?.transactionHash, ev?.blockNumber);
      }
      case "anchor": {
        const a = p as StepPayloads["anchor"];
        const ev = (await ledger.queryFilter(ledger.filters.BatchAnchored(undefined, this.nodeId), step.fromBlock)).find((x) => x.args.root === a.root);
        return ev ? { ...at(ev.transactionHash, ev.blockNumber), batchId: Number(ev.args.batchId) } : undefined;
      }
      case "supersede": {
        const first = (p as StepPayloads["supersede"]).items[0];
        return (await ledger.declaredVersion(e18(first.enterprise), first.category)) >= BigInt(first.version) ? at() : undefined;
      }
      case "revoke": {
        const first = (p as StepPayloads["revoke"]).items[0];
        return (await ledger.revocationReason(e18(first.enterprise), first.category, first.version)) !== 0n ? at() : undefined;
      }
      case "bind-signer": {
        const b = p as StepPayloads["bind-signer"];
        return (await ledger.enterpriseSigner(e18(b.enterprise))).toLowerCase() === b.signer.toLowerCase() ? at() : undefined;
      }
      case "fulfil":
      case "deny": {
        const status = (await desk.query(BigInt((p as StepPayloads["fulfil"]).queryId))).status;
        if (status === QUERY_STATUS.requested) return undefined;
        if (status === QUERY_STATUS.expired) {
          this.fail(step, "the query expired before it was answered");
          return null;
        }
        return at();
      }
      case "commit-log": {
        const c = p as StepPayloads["commit-log"];
        if (Number(await queryLog.commitmentCount(this.nodeId)) <= c.index) return undefined;
        const onChain = await queryLog.commitment(this.nodeId, c.index);
        if (onChain.root !== c.root || Number(onChain.size) !== c.size)
          throw new Error(
            `node ${this.id}: commitment ${c.index} on chain (size ${onChain.size}) is not the one journaled (size ${c.size}): the store does not match the chain`,
          );
        const ev = (await queryLog.queryFilter(queryLog.filters.LogCommitted(this.nodeId, c.index), step.fromBlock))[0];
        return at(ev?.transactionHash, ev?.blockNumber);
      }
    }
  }

  // ------------------------------------------------------------------ query log

  /**
   * Commits the query log's current (size, root) with a consistency proof against the last commitment;
   * undefined when the last commitment already covers the log.
   */
  async commitLog(opts: ExecuteOptions = {}): Promise<Mined | undefined> {
    const next = this.queryLog.nextCommitment();
    if (!next) return undefined;
    const step: NewStep<"commit-log"> = { key: `commit-log/${next.index}`, kind: "commit-log", payload: next };
    await this.journalSteps([step]);
    return this.execute(step, opts);
  }
}
