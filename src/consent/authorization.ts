/**
 * Enterprise authorizations (授权) as EIP-712 typed data: the exact type the ConsentRegistry contract hashes,
 * so a signature made here (or by any EIP-712 wallet) is accepted there.
 */
import { TypedDataEncoder, concat, getBytes, hexlify, keccak256, type Signer, type TypedDataDomain } from "ethers";
import { putBytes, putUint } from "../abi-words.js";
import type { DigestSigner } from "../chain/signing.js";
import { keccak256Bytes } from "../hash/keccak.js";

/** Query purposes, in the order of `IConsentRegistry.Purpose`. */
export enum Purpose {
  CreditApproval = 1,
  PostLoanManagement = 2,
  GuaranteeReview = 3,
  SupplyChainFinance = 4,
}

export const PURPOSE_NAMES: Record<Purpose, string> = {
  [Purpose.CreditApproval]: "credit approval (贷前审批)",
  [Purpose.PostLoanManagement]: "post-loan management (贷后管理)",
  [Purpose.GuaranteeReview]: "guarantee review (担保资格审查)",
  [Purpose.SupplyChainFinance]: "supply-chain finance review (供应链融资审查)",
};

/** Names of purposes on the command line and in audit output. */
export const PURPOSE_SLUGS: Record<Purpose, string> = {
  [Purpose.CreditApproval]: "credit-approval",
  [Purpose.PostLoanManagement]: "post-loan",
  [Purpose.GuaranteeReview]: "guarantee-review",
  [Purpose.SupplyChainFinance]: "supply-chain",
};

export const AUTHORIZATION_TYPES = {
  Authorization: [
    { name: "enterprise", type: "bytes18" },
    { name: "institution", type: "uint32" },
    { name: "purpose", type: "uint8" },
    { name: "categories", type: "uint8" },
    { name: "notBefore", type: "uint64" },
    { name: "notAfter", type: "uint64" },
    { name: "nonce", type: "uint256" },
  ],
};

/** Days an authorization is valid for, as the `query` command and live replays grant them. */
export const AUTHORIZATION_DAYS = 30;

/** An authorization as signed: `enterprise` is the USCC as 0x-hex of its 18 ASCII bytes. */
export interface Authorization {
  enterprise: string;
  institution: number;
  purpose: Purpose;
  /** Bit mask of categories: 1 << category. */
  categories: number;
  notBefore: number;
  notAfter: number;
  nonce: bigint;
}

/** The ConsentRegistry's EIP-712 domain on a given chain. */
export function consentDomain(chainId: bigint | string, verifyingContract: string): TypedDataDomain {
  return { name: "YRD Credit Chain Consent", version: "1", chainId: BigInt(chainId), verifyingContract };
}

/** The authorization's id: its EIP-712 digest, as the contract computes it. */
export function authorizationId(domain: TypedDataDomain, a: Authorization): string {
  return TypedDataEncoder.hash(domain, AUTHORIZATION_TYPES, a);
}

/** The enterprise's signer signs an authorization (EIP-712 `eth_signTypedData_v4`). */
export async function signAuthorization(signer: Signer, domain: TypedDataDomain, a: Authorization): Promise<string> {
  return signer.signTypedData(domain, AUTHORIZATION_TYPES, a);
}

/**
 * Signs an authorization whose id (its EIP-712 digest, `authorizationId`) is already computed: the same
 * signature as `signAuthorization` with this key, without hashing the typed data again.
 */
export function signAuthorizationId(key: DigestSigner, id: string): string {
  return key.sign(id).serialized;
}

/**
 * `authorizationId` for many authorizations under one domain: the domain separator and type hash are
 * computed once, and each id is two keccak-256 of fixed-size encodings (the EIP-712 definitions of
 * hashStruct and the digest) instead of ethers' general typed-data encoder. Tests cross-check the two.
 */
export class AuthorizationHasher {
  readonly #prefix: Uint8Array;
  readonly #typeHash: Uint8Array;

  constructor(domain: TypedDataDomain) {
    this.#prefix = getBytes(concat(["0x1901", TypedDataEncoder.hashDomain(domain)]));
    this.#typeHash = getBytes(keccak256(new TextEncoder().encode(TypedDataEncoder.from(AUTHORIZATION_TYPES).encodeType("Authorization"))));
  }

  id(a: Authorization): string {
    const struct = new Uint8Array(8 * 32);
    struct.set(this.#typeHash);
    putBytes(struct, 1, a.enterprise, 18, "authorization: enterprise");
    putUint(struct, 2, a.institution, 32, "authorization: institution");
    putUint(struct, 3, a.purpose, 8, "authorization: purpose");
    putUint(struct, 4, a.categories, 8, "authorization: categories");
    putUint(struct, 5, a.notBefore, 64, "authorization: notBefore");
    putUint(struct, 6, a.notAfter, 64, "authorization: notAfter");
    putUint(struct, 7, a.nonce, 256, "authorization: nonce");
    const digest = new Uint8Array(66);
    digest.set(this.#prefix);
    digest.set(keccak256Bytes(struct), 34);
    return hexlify(keccak256Bytes(digest));
  }
}
