/**
 * Enterprise authorizations (授权) as EIP-712 typed data: the exact type the ConsentRegistry contract hashes,
 * so a signature made here (or by any EIP-712 wallet) is accepted there.
 */
import { TypedDataEncoder, type Signer, type TypedDataDomain } from "ethers";

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
