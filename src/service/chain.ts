/** Small chain helpers of the node service: named revert reasons, raw transactions and bounded receipt waits (`receiptOf`). */
import { revertData, revertReason, type Contracts } from "../chain/contracts.js";
import { sendRawTransaction, type Mined, type RpcSender, type Sent } from "../chain/send.js";
import { ChainUnavailable, Forbidden } from "./errors.js";

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

/** Sends a signed raw transaction (eth_sendRawTransaction); 403 when the chain does not take it. */
export async function submitRaw(rpc: RpcSender, raw: string, what: string): Promise<Sent> {
  try {
    return await sendRawTransaction(rpc, raw);
  } catch (e) {
    throw new Forbidden("transaction-refused", `the chain did not take ${what}: ${firstLine(e)}`);
  }
}

/** Waits (bounded) for a sent transaction's receipt: 403 when it reverted, 503 when it is not mined in time. */
export async function minedOf(tx: Sent, what: string): Promise<Mined> {
  try {
    return await tx.wait();
  } catch (e) {
    if (/reverted/.test((e as Error).message)) throw new Forbidden("transaction-reverted", `${what} (${tx.hash}) reverted on chain`);
    throw new ChainUnavailable(`${what} (${tx.hash}): ${firstLine(e)}`);
  }
}
