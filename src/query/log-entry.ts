/**
 * One entry of a node's query log: who queried which enterprise, when, for what purpose, under which
 * authorization, and what was delivered. Its canonical encoding is ABI-encoded (so Solidity can decode it);
 * its leaf hash in the node's RFC 6962 log is SHA-256(0x00 ‖ encoding).
 *
 * Layout (version 1): abi.encode(uint8 version, uint64 sequence, bytes18 enterprise, uint32 institution,
 * uint16 servingNode, uint8 purpose, uint8 categories, bytes32 authorizationId, uint64 time, uint8 outcome,
 * uint16 reason, bytes32 reportsDigest, uint256 liveQueryId).
 */
import { AbiCoder, getBytes, hexlify, keccak256 } from "ethers";
import { hashLeaf } from "../merkle/rfc6962.js";

export const LOG_ENTRY_VERSION = 1;

/** What happened to a query. */
export enum QueryOutcome {
  Fulfilled = 1,
  Denied = 2,
  /** Refused before reaching the serving node: no, expired or revoked authorization, wrong purpose … */
  Refused = 3,
}

export interface QueryLogEntry {
  /** Position in the serving node's log (0-based). */
  sequence: number;
  /** USCC as 0x-hex of its 18 ASCII bytes. */
  enterprise: string;
  institution: number;
  servingNode: number;
  purpose: number;
  categories: number;
  authorizationId: string;
  /** Unix time of the query. */
  time: number;
  outcome: QueryOutcome;
  /** Denied / Refused: reason code; else 0. */
  reason: number;
  /** keccak256(abi.encode(bytes32[] reportDigests)) as the QueryDesk stores it; zero when nothing was delivered. */
  reportsDigest: string;
  /** The QueryDesk query id of a live query; 0 for a query that exists only in the log. */
  liveQueryId: bigint;
}

const TYPES = ["uint8", "uint64", "bytes18", "uint32", "uint16", "uint8", "uint8", "bytes32", "uint64", "uint8", "uint16", "bytes32", "uint256"];
const coder = AbiCoder.defaultAbiCoder();

export function encodeLogEntry(e: QueryLogEntry): Uint8Array {
  return getBytes(
    coder.encode(TYPES, [
      LOG_ENTRY_VERSION,
      e.sequence,
      e.enterprise,
      e.institution,
      e.servingNode,
      e.purpose,
      e.categories,
      e.authorizationId,
      e.time,
      e.outcome,
      e.reason,
      e.reportsDigest,
      e.liveQueryId,
    ]),
  );
}

export function decodeLogEntry(bytes: Uint8Array): QueryLogEntry {
  const v = coder.decode(TYPES, bytes);
  if (Number(v[0]) !== LOG_ENTRY_VERSION) throw new Error(`query log entry version ${v[0]} is not supported (expected ${LOG_ENTRY_VERSION})`);
  return {
    sequence: Number(v[1]),
    enterprise: hexlify(v[2]),
    institution: Number(v[3]),
    servingNode: Number(v[4]),
    purpose: Number(v[5]),
    categories: Number(v[6]),
    authorizationId: v[7] as string,
    time: Number(v[8]),
    outcome: Number(v[9]) as QueryOutcome,
    reason: Number(v[10]),
    reportsDigest: v[11] as string,
    liveQueryId: BigInt(v[12]),
  };
}

/** The entry's leaf hash in the RFC 6962 log. */
export function logEntryLeafHash(encoding: Uint8Array): Uint8Array {
  return hashLeaf(encoding);
}

/** The digest the QueryDesk keeps of a fulfilment's report digests. */
export function reportsDigest(reportDigests: readonly string[]): string {
  return keccak256(coder.encode(["bytes32[]"], [reportDigests]));
}
