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

/** First and longest pause between receipt polls: short at first (an automining chain never waits at all). */
const POLL_FIRST_MS = 25;
const POLL_MAX_MS = 250;

/**
 * The receipt of a transaction that was sent to `rpc`; throws if it reverted, or is still not mined after
 * `timeoutMs`. An automining chain has it at once (one call); a chain that seals blocks on a clock (geth
 * Clique) is polled, the pause doubling from 25 ms to 250 ms.
 */
export async function receiptOf(rpc: RpcSender, hash: string, timeoutMs: number = receiptTimeoutMs()): Promise<Mined> {
  const deadline = Date.now() + timeoutMs;
  let pause = POLL_FIRST_MS;
  let seen: RpcReceipt | undefined;
  for (;;) {
    const r = (await rpc.send("eth_getTransactionReceipt", [hash])) as RpcReceipt | null;
    if (r !== null) {
      if (r.status !== "0x1") throw new Error(`transaction ${hash} reverted`);
      // taken once deep enough and still in the same block (a replaced block moves it: look again)
      const deep = confirmations <= 1 || Number(await rpc.send("eth_blockNumber", [])) >= Number(r.blockNumber) + confirmations - 1;
      if (deep && (confirmations <= 1 || seen?.blockHash === r.blockHash))
        return { hash, gasUsed: BigInt(r.gasUsed), blockNumber: Number(r.blockNumber), logs: r.logs };
      if (deep) {
        seen = r; // confirm it once more, from a fresh receipt
        continue;
      }
      seen = undefined;
    }
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`transaction ${hash} has no receipt after ${(timeoutMs / 1000).toFixed(0)} s: not mined (is the chain sealing blocks?)`);
    await new Promise((r) => setTimeout(r, Math.min(pause, left)));
    pause = Math.min(pause * 2, POLL_MAX_MS);
  }
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
    const submit = async () => sent(this.rpc, (await this.rpc.send("eth_sendRawTransaction", [raw])) as string);
    if (this.mode === "pipelined") return submit();
    const p = this.tail.then(submit);
    this.tail = p;
    return p;
  }
}
