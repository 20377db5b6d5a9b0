/**
 * The institution's side of the node service: what it signs itself before it asks a node service to relay a
 * query. The enterprise signs the authorization (EIP-712); the institution signs two ordinary EIP-1559
 * transactions with its own key and consecutive nonces — `registerAuthorization(authorization, signature)` on
 * the ConsentRegistry and `requestQuery({enterprise, categories, purpose, authorizationId})` on the QueryDesk —
 * and hands the raw bytes to the service (`POST /institution/queries`). The service cannot change them.
 */
import { type Signer } from "ethers";
import type { Contracts } from "../chain/contracts.js";
import type { RpcSender } from "../chain/send.js";
import { authorizationId, consentDomain, type Authorization } from "../consent/authorization.js";
import type { QueryRelayBody } from "./relay.js";

/** Gas limits the institution signs (it pays only what is used). */
export const REGISTER_GAS = 300_000n;
export const REQUEST_GAS = 300_000n;

export interface SignQueryOptions {
  /** Sign `registerAuthorization` too (false when the authorization is already registered). */
  register?: boolean;
  /** The request's categories (default: all the authorization allows). */
  categories?: number;
}

/**
 * Signs the institution's transactions for one query under `auth` and returns the relay body. Nonce and fees
 * are read from `rpc` (the institution's own view of the chain).
 */
export async function signQueryRequest(
  institution: Signer,
  rpc: RpcSender,
  c: Pick<Contracts, "consents" | "desk">,
  deployment: { chainId: string | bigint; consentRegistry: string; queryDesk: string },
  uscc: string,
  auth: Authorization,
  enterpriseSignature: string,
  opts: SignQueryOptions = {},
): Promise<QueryRelayBody> {
  const chainId = BigInt(deployment.chainId);
  const from = await institution.getAddress();
  let nonce = Number(await rpc.send("eth_getTransactionCount", [from, "pending"]));
  const block = (await rpc.send("eth_getBlockByNumber", ["latest", false])) as { baseFeePerGas?: string };
  const tip = BigInt((await rpc.send("eth_maxPriorityFeePerGas", []).catch(() => "0x3b9aca00")) as string);
  const fees = { type: 2, chainId, maxPriorityFeePerGas: tip, maxFeePerGas: 2n * BigInt(block.baseFeePerGas ?? 0) + tip };
  const id = authorizationId(consentDomain(chainId, deployment.consentRegistry), auth);
  let registerTx: string | undefined;
  if (opts.register ?? true) {
    const data = c.consents.interface.encodeFunctionData("registerAuthorization", [auth, enterpriseSignature]);
    registerTx = await institution.signTransaction({ ...fees, nonce: nonce++, to: deployment.consentRegistry, data, gasLimit: REGISTER_GAS });
  }
  const data = c.desk.interface.encodeFunctionData("requestQuery", [
    { enterprise: auth.enterprise, categories: opts.categories ?? auth.categories, purpose: auth.purpose, authorizationId: id },
  ]);
  const requestTx = await institution.signTransaction({ ...fees, nonce, to: deployment.queryDesk, data, gasLimit: REQUEST_GAS });
  return {
    authorization: {
      enterprise: uscc,
      institution: auth.institution,
      purpose: auth.purpose,
      categories: auth.categories,
      notBefore: auth.notBefore,
      notAfter: auth.notAfter,
      nonce: auth.nonce.toString(),
    },
    signature: enterpriseSignature,
    ...(registerTx ? { registerTx } : {}),
    requestTx,
  };
}
