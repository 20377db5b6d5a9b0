/**
 * Sending transactions with the fewest JSON-RPC round trips, for the hot paths of live replay: no
 * eth_estimateGas (fixed gas limits), no nonce or fee lookups per transaction, one receipt call on an
 * automining chain (a chain that seals blocks on a clock, such as the geth Clique network, is polled until the
 * receipt is there) and no signature recovery on the way back (ethers' contract calls do all of these, and
 * recovering the sender of a signed transaction alone costs more than signing it).
 *
 * Two kinds of sender:
 * - a node-managed account (`sendFromNodeAccount`): the chain holds the key and signs (eth_sendTransaction);
 * - a key held here (`LocalAccount`, an institution's): each transaction is signed locally with the next
 *   nonce and sent with eth_sendRawTransaction. An automining chain rejects a nonce ahead of the account's,
 *   so a `SendStream` submits raw transactions in the order they were signed.
 */
import { signEip1559 } from "./eip1559.js";
import type { FastSigningKey } from "./signing.js";

/** What a JSON-RPC call needs: `send(method, params)`, as ethers' JsonRpcProvider and Hardhat's provider have. */
export interface RpcSender {
  send(method: string, params: unknown[]): Promise<unknown>;
}

export interface Log {
  address: string;
  topics: string[];
  data: string;
}

/** A mined transaction, as much of its receipt as replay needs. */
export interface Mined {
  hash: string;
  gasUsed: bigint;
  blockNumber: number;
  logs: Log[];
}

/** A sent transaction: `wait()` fetches its receipt once (later calls share it) and throws if it reverted. */
export interface Sent {
  hash: string;
  wait(): Promise<Mined>;
}

/** A call to make: the contract, its calldata and a gas limit. */
export interface Call {
  to: string;
  data: string;
  gas: bigint;
}

interface RpcReceipt {
  status: string;
  gasUsed: string;
  blockNumber: string;
  blockHash: string;
  logs: Log[];
}

/**
 * Blocks a receipt must have on top of it, its own included, before it is taken (1: as soon as it is mined).
 * Clique validators that seal on a clock replace a block now and then (an out-of-turn block dropped for the
 * in-turn one: "Chain reorg detected", depth 1, seen on 4 validators), and a transaction re-included in another
 * block may emit other ids (batch, query); a session on such a chain asks for 2 (`YRD_CONFIRMATIONS` overrides).
 * Automining chains and engines with immediate finality (QBFT, PBFT) need 1.
 */
let confirmations = 1;

export function requireConfirmations(n: number): void {
  const v = Number(process.env.YRD_CONFIRMATIONS);
  confirmations = Number.isInteger(v) && v >= 1 ? v : Math.max(1, Math.floor(n));
}

/** The confirmations a chain needs: 2 on the multi-node network (geth Clique, network `yrd`), else 1. */
export function requireConfirmationsOn(networkName: string): void {
  requireConfirmations(networkName === "yrd" ? 2 : 1);
}

export function requiredConfirmations(): number {
  return confirmations;
}

/** How long `receiptOf` waits for a transaction to be mined (YRD_RECEIPT_TIMEOUT_MS, default 2 minutes). */
export function receiptTimeoutMs(): number {
  const v = Number(process.env.YRD_RECEIPT_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : 120_000;
}

/** Pause between polls of the chain's head while receipts are awaited on a chain that seals on a clock. */
const HEAD_POLL_MS = 100;
/** Blocks looked back at most when a watch starts or falls behind (a receipt older than that is read directly). */
const LOOKBACK_BLOCKS = 64;
/** Blocks read again when a transaction begins to be awaited. */
const REREAD_BLOCKS = 2;
/** Transactions unseen this long are asked for one by one (at most `DIRECT_AT_MOST` a time), as a safety net. */
const DIRECT_EVERY_MS = 5_000;
const DIRECT_AT_MOST = 256;

interface Waiter {
  resolve(m: Mined): void;
  reject(e: Error): void;
  deadline: number;
  timeoutMs: number;
  /** Blocks it needs on top of its receipt, its own included. */
  confirmations: number;
  /** The receipt as last seen in a block (not yet deep enough, or to be confirmed in that block). */
  seen?: RpcReceipt;
  /** When it began to wait. */
  since: number;
}

const toMined = (hash: string, r: RpcReceipt): Mined => ({ hash, gasUsed: BigInt(r.gasUsed), blockNumber: Number(r.blockNumber), logs: r.logs });

/**
 * The receipts awaited on one JSON-RPC connection, read a block at a time: one loop polls the head and reads
 * each new block's receipts with one `eth_getBlockReceipts` call, however many transactions are awaited (with
 * a thousand transactions in flight, polling each one's receipt was a thousand calls a pass). A receipt is taken
 * once its confirmations (the chain's, or those asked for) are on it and its block is still the chain's block at
 * that height (a replaced block sends the watch back to read that height again). A chain without
 * `eth_getBlockReceipts` is asked for each awaited receipt once per new head.
 */
class ReceiptWatch {
  private readonly waiting = new Map<string, Waiter>();
  /** Next block whose receipts are to be read, and the last one read. */
  private next?: number;
  private readUpTo?: number;
  /** When unseen transactions were last asked for one by one. */
  private lastDirect = Date.now();
  private running = false;
  private blockReceipts = true;

  constructor(private readonly rpc: RpcSender) {}

  wait(hash: string, timeoutMs: number, confirmations: number, seen?: RpcReceipt): Promise<Mined> {
    return new Promise<Mined>((resolve, reject) => {
      this.waiting.set(hash.toLowerCase(), { resolve, reject, deadline: Date.now() + timeoutMs, timeoutMs, confirmations, seen, since: Date.now() });
      // the caller read no receipt a moment ago, but a pass under way may have read the block that mined it since
      // (and moved on): the last blocks read are read again
      const back = seen ? Number(seen.blockNumber) : this.readUpTo === undefined ? undefined : this.readUpTo - REREAD_BLOCKS;
      if (back !== undefined) this.next = Math.min(this.next ?? Infinity, back);
      if (!this.running) {
        this.running = true;
        void this.loop();
      }
    });
  }

  private async loop(): Promise<void> {
    try {
      while (this.waiting.size > 0) {
        try {
          await this.pass();
        } catch (e) {
          // the chain unreachable for a moment: waiters time out on their own deadlines
          this.expire(e as Error);
        }
        if (this.waiting.size > 0) await new Promise((r) => setTimeout(r, HEAD_POLL_MS));
      }
    } finally {
      this.running = false;
      this.next = undefined;
      this.readUpTo = undefined;
    }
  }

  private expire(cause?: Error): void {
    const now = Date.now();
    for (const [hash, w] of this.waiting) {
      if (now < w.deadline) continue;
      this.waiting.delete(hash);
      w.reject(
        new Error(
          `transaction ${hash} has no receipt after ${(w.timeoutMs / 1000).toFixed(0)} s: not mined (is the chain sealing blocks?)${cause ? ` (last error: ${cause.message.split("\n")[0]})` : ""}`,
        ),
      );
    }
  }

  private async pass(): Promise<void> {
    const head = Number(await this.rpc.send("eth_blockNumber", []));
    let from = this.next ?? head - confirmations;
    if (from < head - LOOKBACK_BLOCKS) {
      // fell behind (or a watch starts late): the older ones are read one by one
      from = head - LOOKBACK_BLOCKS;
      for (const [hash, w] of this.waiting)
        if (!w.seen) {
          const r = (await this.rpc.send("eth_getTransactionReceipt", [hash])) as RpcReceipt | null;
          if (r) w.seen = r;
        }
    }
    for (let n = Math.max(0, from); n <= head; n++) {
      if (this.blockReceipts) {
        let receipts: RpcReceipt[] | null;
        try {
          receipts = (await this.rpc.send("eth_getBlockReceipts", ["0x" + n.toString(16)])) as (RpcReceipt & { transactionHash: string })[] | null;
        } catch (e) {
          if (!/not (exist|available|supported|found)|unknown method|method not found/i.test((e as Error).message)) throw e;
          this.blockReceipts = false;
          break;
        }
        for (const r of (receipts ?? []) as (RpcReceipt & { transactionHash: string })[]) {
          const w = this.waiting.get(r.transactionHash.toLowerCase());
          if (w) w.seen = r;
        }
      }
    }
    // without block receipts, every awaited transaction is asked for; with them, as a safety net, those unseen for
    // a while (a few, now and then)
    const direct = !this.blockReceipts
      ? [...this.waiting]
      : Date.now() - this.lastDirect >= DIRECT_EVERY_MS
        ? [...this.waiting].filter(([, w]) => !w.seen && Date.now() - w.since >= DIRECT_EVERY_MS).slice(0, DIRECT_AT_MOST)
        : [];
    if (this.blockReceipts && direct.length > 0) this.lastDirect = Date.now();
    for (const [hash, w] of direct) {
      const r = (await this.rpc.send("eth_getTransactionReceipt", [hash])) as RpcReceipt | null;
      if (r) w.seen = r;
    }
    this.next = head + 1;
    this.readUpTo = head;
    // take what is deep enough and still in the chain's block at its height
    const canonical = new Map<number, string | undefined>();
    for (const [hash, w] of this.waiting) {
      const r = w.seen;
      if (!r) continue;
      const n = Number(r.blockNumber);
      if (head < n + w.confirmations - 1) continue;
      if (!canonical.has(n)) canonical.set(n, ((await this.rpc.send("eth_getBlockByNumber", ["0x" + n.toString(16), false])) as { hash: string } | null)?.hash);
      this.waiting.delete(hash);
      if (canonical.get(n) !== r.blockHash) {
        // its block was replaced: read that height again, and wait for the transaction wherever it lands now
        w.seen = undefined;
        this.waiting.set(hash, w);
        this.next = Math.min(this.next, n);
        continue;
      }
      if (r.status !== "0x1") w.reject(new Error(`transaction ${hash} reverted`));
      else w.resolve(toMined(hash, r));
    }
    this.expire();
  }
}

const watches = new WeakMap<RpcSender, ReceiptWatch>();

/**
 * The receipt of a transaction that was sent to `rpc`; throws if it reverted, or is still not mined after
 * `timeoutMs`. An automining chain has it at once (one call); on a chain that seals blocks on a clock (geth
 * Clique) the connection's `ReceiptWatch` reads it from its block, with the confirmations the chain needs, or
 * `opts.confirmations` (1: the block it is first seen in, as the deployment orders the institutions' registrations).
 */
export async function receiptOf(rpc: RpcSender, hash: string, timeoutMs: number = receiptTimeoutMs(), opts: { confirmations?: number } = {}): Promise<Mined> {
  const needs = opts.confirmations ?? confirmations;
  const r = (await rpc.send("eth_getTransactionReceipt", [hash])) as RpcReceipt | null;
  if (r !== null && needs <= 1) {
    if (r.status !== "0x1") throw new Error(`transaction ${hash} reverted`);
    return toMined(hash, r);
  }
  let watch = watches.get(rpc);
  if (!watch) watches.set(rpc, (watch = new ReceiptWatch(rpc)));
  return watch.wait(hash, timeoutMs, needs, r ?? undefined);
}

function sent(rpc: RpcSender, hash: string): Sent {
  let receipt: Promise<Mined> | undefined;
  return { hash, wait: () => (receipt ??= receiptOf(rpc, hash)) };
}

/**
 * Sends `call` from an account the chain (or the provider) manages (eth_sendTransaction): two round trips with
 * the receipt. `nonce`: the one to use, else the chain's (or the provider's) choice.
 */
export async function sendFromNodeAccount(rpc: RpcSender, from: string, call: Call, nonce?: number): Promise<Sent> {
  const tx = { from, to: call.to, data: call.data, gas: "0x" + call.gas.toString(16), ...(nonce === undefined ? {} : { nonce: "0x" + nonce.toString(16) }) };
  const hash = (await rpc.send("eth_sendTransaction", [tx])) as string;
  return sent(rpc, hash);
}

/** Sends a transaction signed here (eth_sendRawTransaction): one round trip, and the receipt when awaited. */
export async function sendRawTransaction(rpc: RpcSender, raw: string): Promise<Sent> {
  return sent(rpc, (await rpc.send("eth_sendRawTransaction", [raw])) as string);
}

/** Fee and chain parameters of locally signed (EIP-1559) transactions, read once per run of sends. */
export interface FeeParams {
  chainId: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/**
 * Reads the chain id and prices transactions at twice the latest base fee plus the suggested tip: room for
 * the base fee to rise for several full blocks (on an automining chain of one transaction per block it
 * only falls).
 */
export async function feeParams(rpc: RpcSender): Promise<FeeParams> {
  const [chainId, block, tip] = (await Promise.all([
    rpc.send("eth_chainId", []),
    rpc.send("eth_getBlockByNumber", ["latest", false]),
    rpc.send("eth_maxPriorityFeePerGas", []),
  ])) as [string, { baseFeePerGas?: string }, string];
  const base = BigInt(block.baseFeePerGas ?? 0);
  return { chainId: BigInt(chainId), maxFeePerGas: 2n * base + BigInt(tip), maxPriorityFeePerGas: BigInt(tip) };
}

/** An account whose key is held here; signs with consecutive nonces starting at the chain's count. */
export class LocalAccount {
  private constructor(
    readonly address: string,
    private readonly key: FastSigningKey,
    private nonce: number,
  ) {}

  static async open(rpc: RpcSender, address: string, key: FastSigningKey): Promise<LocalAccount> {
    const count = (await rpc.send("eth_getTransactionCount", [address, "pending"])) as string;
    return new LocalAccount(address, key, Number(count));
  }

  /** Signs `call` with this account's next nonce: the raw transaction to send. */
  sign(call: Call, fees: FeeParams): string {
    const raw = signEip1559({ ...fees, nonce: this.nonce, to: call.to, data: call.data, gasLimit: call.gas }, this.key);
    this.nonce++;
    return raw;
  }
}

/**
 * Submits raw transactions in the order `push` is called, so that each account's nonces reach the chain in
 * order (and an automining chain mines them in this order).
 *
 * - `sequential` (any chain): each submission starts when the previous one has returned. Over HTTP this is
 *   the only way to keep the order: concurrent requests may overtake each other.
 * - `pipelined` (Hardhat's in-process chain): each submission starts at once. The in-process provider takes
 *   requests in call order (measured: 20,000 concurrent submissions of dependent nonces, none out of order),
 *   so the chain stays busy while the next transaction is signed. Should a chain ever reorder them, the
 *   next nonce is refused ("nonce too high") and the replay stops with that error: never a silent reorder.
 *
 * A failed submission fails its own promise; in sequential mode every later one fails too (their nonces
 * can no longer be valid).
 */
export class SendStream {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly rpc: RpcSender,
    private readonly mode: "sequential" | "pipelined",
  ) {}

  push(raw: string): Promise<Sent> {
    const submit = () => sendRawTransaction(this.rpc, raw);
    if (this.mode === "pipelined") return submit();
    const p = this.tail.then(submit);
    this.tail = p;
    return p;
  }
}
