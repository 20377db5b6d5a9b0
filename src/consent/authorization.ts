/**
 * Enterprise authorizations (授权) as EIP-712 typed data: the exact type the ConsentRegistry contract hashes,
 * so a signature made here (or by any EIP-712 wallet) is accepted there.
 */
import { TypedDataEncoder, concat, getBytes, hexlify, keccak256, toBeHex, zeroPadBytes, zeroPadValue, type Signer, type TypedDataDomain } from "ethers";
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
    if (getBytes(a.enterprise).length !== 18) throw new Error(`authorization: enterprise must be 18 bytes, got ${a.enterprise}`);
    for (const [name, v, bits] of [["institution", a.institution, 32], ["purpose", a.purpose, 8], ["categories", a.categories, 8], ["notBefore", a.notBefore, 64], ["notAfter", a.notAfter, 64], ["nonce", a.nonce, 256]] as const)
      if (BigInt(v) < 0n || BigInt(v) >> BigInt(bits) !== 0n) throw new Error(`authorization: ${name} ${v} is not a uint${bits}`);
    const words = [
      this.#typeHash,
      getBytes(zeroPadBytes(a.enterprise, 32)),
      ...[a.institution, a.purpose, a.categories, a.notBefore, a.notAfter, a.nonce].map((v) => getBytes(zeroPadValue(toBeHex(v), 32))),
    ];
    const struct = new Uint8Array(32 * words.length);
    words.forEach((w, i) => struct.set(w, 32 * i));
    const digest = new Uint8Array(66);
    digest.set(this.#prefix);
    digest.set(keccak256Bytes(struct), 34);
    return hexlify(keccak256Bytes(digest));
  }
}
