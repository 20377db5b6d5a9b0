/**
 * One entry of a node's query log: who queried which enterprise, when, for what purpose, under which
 * authorization, and what was delivered. Its canonical encoding is ABI-encoded (so Solidity can decode it);
 * its leaf hash in the node's RFC 6962 log is SHA-256(0x00 ‖ encoding).
 *
 * Layout (version 1): abi.encode(uint8 version, uint64 sequence, bytes18 enterprise, uint32 institution,
 * uint16 servingNode, uint8 purpose, uint8 categories, bytes32 authorizationId, uint64 time, uint8 outcome,
 * uint16 reason, bytes32 reportsDigest, uint256 liveQueryId).
 */
import { AbiCoder, hexlify, keccak256 } from "ethers";
import { putBytes, putUint } from "../abi-words.js";
import { hashLeaf } from "../merkle/rfc6962.js";

export const LOG_ENTRY_VERSION = 1;

/** What happened to a query. */
export enum QueryOutcome {
  Fulfilled = 1,
  Denied = 2,
  /** Refused before reaching the serving node: no, expired or revoked authorization, wrong purpose … */
  Refused = 3,
}

/**
 * Reason codes of a Refused entry (the replays draw them from 1-3). A node service logs these for a relay it
 * refused before anything reached the chain.
 */
export const RefusalReason = {
  /** The enterprise did not sign the authorization. */
  NoAuthorization: 1,
  /** The authorization is not the enterprise's (mis-signed), or the contracts refuse it (expired, revoked …). */
  InvalidAuthorization: 2,
  /** The request asks for another enterprise, purpose or categories than the authorization allows. */
  OutsideAuthorization: 3,
} as const;

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

/** The canonical encoding: the layout above, written word by word (what AbiCoder gives; tests cross-check). */
export function encodeLogEntry(e: QueryLogEntry): Uint8Array {
  const out = new Uint8Array(TYPES.length * 32);
  putUint(out, 0, LOG_ENTRY_VERSION, 8, "query log entry: version");
  putUint(out, 1, e.sequence, 64, "query log entry: sequence");
  putBytes(out, 2, e.enterprise, 18, "query log entry: enterprise");
  putUint(out, 3, e.institution, 32, "query log entry: institution");
  putUint(out, 4, e.servingNode, 16, "query log entry: servingNode");
  putUint(out, 5, e.purpose, 8, "query log entry: purpose");
  putUint(out, 6, e.categories, 8, "query log entry: categories");
  putBytes(out, 7, e.authorizationId, 32, "query log entry: authorizationId");
  putUint(out, 8, e.time, 64, "query log entry: time");
  putUint(out, 9, e.outcome, 8, "query log entry: outcome");
  putUint(out, 10, e.reason, 16, "query log entry: reason");
  putBytes(out, 11, e.reportsDigest, 32, "query log entry: reportsDigest");
  putUint(out, 12, e.liveQueryId, 256, "query log entry: liveQueryId");
  return out;
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
