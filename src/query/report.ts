/**
 * Credit reports a serving node delivers off chain: one report per record version it hands over, carrying
 * the record, its salt and where it is anchored, so the institution can check it against the chain. Only
 * the report digests go on chain (QueryDesk.fulfilQuery); the digest binds the report to its query.
 *
 * reportDigest = keccak256(abi.encode(uint256 queryId, bytes18 enterprise, uint8 category, uint32 version,
 * bytes32 recordDigest)).
 */
import { AbiCoder, keccak256 } from "ethers";

export interface CreditReport {
  queryId: string;
  /** USCC as 0x-hex of its 18 ASCII bytes. */
  enterprise: string;
  category: number;
  version: number;
  /** The record's salted commitment (hex). */
  recordDigest: string;
  /** Salt (hex) and canonical encoding (hex) that open the commitment. */
  salt: string;
  encoding: string;
  /** The record as the node holds it. */
  record: unknown;
  /** Where the record is anchored. */
  anchor: { mode: "live" } | { mode: "batch"; batchId: number; proof: string[] };
}

export function reportDigest(r: Pick<CreditReport, "queryId" | "enterprise" | "category" | "version" | "recordDigest">): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["uint256", "bytes18", "uint8", "uint32", "bytes32"],
      [BigInt(r.queryId), r.enterprise, r.category, r.version, r.recordDigest],
    ),
  );
}
