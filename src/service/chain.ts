/** Small chain helpers of the node service: named revert reasons, raw transactions and bounded receipt waits. */
import { revertData, revertReason, type Contracts } from "../chain/contracts.js";
import type { RpcSender } from "../chain/send.js";
import { ChainUnavailable, Forbidden } from "./errors.js";

/** How long the service waits for a relayed transaction to be mined. */
export const RECEIPT_TIMEOUT_MS = 120_000;
const RECEIPT_POLL_MS = 200;

/** Whether `e` is the chain refusing a call (a revert), not the chain being unreachable. */
export function isRevert(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return err?.code === "CALL_EXCEPTION" || revertData(e) !== undefined || /revert/i.test(err?.message ?? "");
}

/** Calls `data` on `to` from `from` (eth_call) and throws 403 with the contract's named error if it would revert. */
export async function precheck(rpc: RpcSender, c: Contracts, call: { from: string; to: string; data: string }, what: string): Promise<void> {
  try {
    await rpc.send("eth_call", [call, "latest"]);
  } catch (e) {
    if (!isRevert(e)) throw new ChainUnavailable(`cannot check ${what} on the chain: ${firstLine(e)}`);
    const reason = revertReason(c, e) ?? firstLine(e);
    throw new Forbidden("refused-by-contract", `the chain would refuse ${what}: ${reason}`);
  }
}

export function firstLine(e: unknown): string {
  const err = e as { shortMessage?: string; message?: string };
  return (err?.shortMessage ?? err?.message ?? String(e)).split("\n")[0];
}

export interface RpcReceipt {
  transactionHash: string;
  status: string;
  blockNumber: string;
  logs: { address: string; topics: string[]; data: string }[];
}

/** Sends a signed raw transaction (eth_sendRawTransaction) and waits, bounded, for its receipt. */
export async function sendRaw(rpc: RpcSender, raw: string, what: string, timeoutMs = RECEIPT_TIMEOUT_MS): Promise<RpcReceipt> {
  let hash: string;
  try {
    hash = (await rpc.send("eth_sendRawTransaction", [raw])) as string;
  } catch (e) {
    throw new Forbidden("transaction-refused", `the chain did not take ${what}: ${firstLine(e)}`);
  }
  const started = Date.now();
  for (;;) {
    const r = (await rpc.send("eth_getTransactionReceipt", [hash])) as RpcReceipt | null;
    if (r) {
      if (r.status !== "0x1") throw new Forbidden("transaction-reverted", `${what} (${hash}) reverted on chain`);
      return r;
    }
    if (Date.now() - started > timeoutMs) throw new ChainUnavailable(`${what} (${hash}) was not mined within ${timeoutMs / 1000} s`);
    await new Promise((res) => setTimeout(res, RECEIPT_POLL_MS));
  }
}
