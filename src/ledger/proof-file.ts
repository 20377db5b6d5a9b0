/**
 * Proof files: what a node hands out with an attested record so that anyone can check it later against the
 * chain (`verify`): the salt that opens the commitment, and where the commitment is anchored.
 */
import { getBytes, hexlify, isAddress } from "ethers";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { archiveStamp } from "../store/archive.js";
import type { Contracts } from "../chain/contracts.js";
import type { Manifest } from "../chain/manifest.js";
import { CATEGORY_SLUGS, isCategory, type Category } from "../records/categories.js";
import { parseUscc } from "../uscc.js";
import { encodeRecord } from "../records/encoding.js";
import type { CreditRecord } from "../records/schemas.js";
import type { AttestedRecord } from "./attest.js";
import { fastRecordDigest, usccBytes } from "./leaf.js";
import { recordStatusName } from "./status.js";

export const PROOF_FORMAT = "yrd-record-proof/1";

export interface ProofFile extends AttestedRecord {
  format: typeof PROOF_FORMAT;
  network: string;
  chainId: string;
  ledger: string;
}

export function toProofFile(manifest: Manifest, r: AttestedRecord): ProofFile {
  return { format: PROOF_FORMAT, network: manifest.network, chainId: manifest.chainId, ledger: manifest.contracts.CreditLedger.address, ...r };
}

export function proofFileName(r: AttestedRecord): string {
  return `${r.enterprise}-${CATEGORY_SLUGS[r.category as Category]}-v${r.version}.proof.json`;
}

/**
 * Writes the proof file of a record into `dir`. The same file already there is left as it is; a different one
 * of the same name (e.g. from another chain) is moved to `<dir>/archive/` first, never overwritten.
 */
export function writeProofFile(dir: string, manifest: Manifest, r: AttestedRecord): { path: string; archived?: string } {
  mkdirSync(dir, { recursive: true });
  const { unchanged: _unchanged, ...attested } = r;
  const text = JSON.stringify(toProofFile(manifest, attested), null, 2) + "\n";
  const path = join(dir, proofFileName(r));
  let archived: string | undefined;
  if (existsSync(path)) {
    if (readFileSync(path, "utf8") === text) return { path };
    mkdirSync(join(dir, "archive"), { recursive: true });
    archived = join(dir, "archive", proofFileName(r).replace(/\.proof\.json$/, `-${archiveStamp()}.proof.json`));
    renameSync(path, archived);
  }
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
  return { path, archived };
}

/** A proof file broke a rule: the file, the field and the rule. */
export class ProofFileError extends Error {
  constructor(
    readonly file: string,
    readonly field: string | undefined,
    readonly rule: string,
  ) {
    super(`proof file ${file}: ${field === undefined ? "" : `${field}: `}${rule}`);
    this.name = "ProofFileError";
  }
}

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const MAX_UINT32 = 2 ** 32 - 1;
const MAX_UINT16 = 2 ** 16 - 1;

/**
 * Checks every field of a parsed proof file (its shape, and the ranges the contracts take: uint32 versions, uint16
 * node ids, bytes32 hashes, batch ids ≥ 1), so that a broken file is refused naming the field, before any call.
 */
export function checkProofFile(path: string, raw: unknown): ProofFile {
  const fail = (field: string | undefined, rule: string) => new ProofFileError(path, field, rule);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw fail(undefined, "must be a JSON object");
  const p = raw as Record<string, unknown>;
  const got = (v: unknown) => (v === undefined ? "undefined" : JSON.stringify(v));
  const bytes32 = (field: string, v: unknown) => {
    if (typeof v !== "string" || !BYTES32.test(v)) throw fail(field, `must be 0x and 64 hex digits (32 bytes), got ${got(v)}`);
  };
  const whole = (field: string, v: unknown, min: number, max: number, what = "a whole number") => {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) throw fail(field, `must be ${what} ${min}-${max}, got ${got(v)}`);
  };
  if (p.format !== PROOF_FORMAT) throw fail("format", `is ${got(p.format)}, expected ${PROOF_FORMAT}`);
  if (typeof p.network !== "string" || p.network === "") throw fail("network", `must be a network name, got ${got(p.network)}`);
  if (typeof p.chainId !== "string" || !/^\d{1,78}$/.test(p.chainId)) throw fail("chainId", `must be a decimal string such as "31337", got ${got(p.chainId)}`);
  if (typeof p.ledger !== "string" || !isAddress(p.ledger)) throw fail("ledger", `must be a 0x-prefixed 20-byte address, got ${got(p.ledger)}`);
  try {
    parseUscc(p.enterprise);
  } catch (e) {
    throw fail("enterprise", (e as Error).message);
  }
  if (!isCategory(p.category)) throw fail("category", `must be 1, 2 or 3 (basic-info, operating-status, financing-mortgage), got ${got(p.category)}`);
  whole("version", p.version, 1, MAX_UINT32);
  whole("nodeId", p.nodeId, 1, MAX_UINT16);
  if (p.mode !== "live" && p.mode !== "batch") throw fail("mode", `must be "live" or "batch", got ${got(p.mode)}`);
  bytes32("salt", p.salt);
  bytes32("digest", p.digest);
  bytes32("leafHash", p.leafHash);
  if (p.mode === "batch" || p.batchId !== undefined) {
    if (typeof p.batchId !== "number" || !Number.isSafeInteger(p.batchId) || p.batchId < 1)
      throw fail("batchId", `must be a batch id ≥ 1${p.mode === "batch" ? " (the proof is of a batch)" : ""}, got ${got(p.batchId)}`);
  }
  if (p.mode === "batch" || p.proof !== undefined) {
    if (!Array.isArray(p.proof)) throw fail("proof", `must be a list of 32-byte hashes, got ${got(p.proof)}`);
    if (p.proof.length > 256) throw fail("proof", `must have at most 256 hashes (a tree of 2^256 leaves), got ${p.proof.length}`);
    p.proof.forEach((h, i) => bytes32(`proof[${i}]`, h));
  }
  if (p.txHash !== "" && (typeof p.txHash !== "string" || !BYTES32.test(p.txHash)))
    throw fail("txHash", `must be a transaction hash (0x and 64 hex digits), got ${got(p.txHash)}`);
  whole("block", p.block, 0, Number.MAX_SAFE_INTEGER);
  return p as unknown as ProofFile;
}

/** Reads a proof file and checks every field (`checkProofFile`); errors name the file and the field. */
export function readProofFile(path: string): ProofFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ProofFileError(path, undefined, `cannot be read (${(e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    throw new ProofFileError(path, undefined, `is not valid JSON (${(e as Error).message})`);
  }
  return checkProofFile(path, raw);
}

export type VerifyVerdict = "valid" | "disputed" | "superseded" | "revoked" | "not anchored" | "undeclared" | "wrong city";
/** The status as `verify-record` prints it ("not anchored", "wrong city"). */
const verdictOf = (status: bigint): VerifyVerdict => recordStatusName(status).replace("-", " ") as VerifyVerdict;

/** Checks a record and its proof file against the chain: the verdict, and why when it is not valid. */
export async function verifyRecordProof(
  c: Contracts,
  manifest: Manifest,
  record: CreditRecord,
  p: ProofFile,
): Promise<{ verdict: VerifyVerdict; reason?: string }> {
  if (p.chainId !== manifest.chainId || p.ledger.toLowerCase() !== manifest.contracts.CreditLedger.address.toLowerCase())
    return {
      verdict: "not anchored",
      reason: `the proof is for the ledger ${p.ledger} on chain ${p.chainId}, not this deployment's ${manifest.contracts.CreditLedger.address} on chain ${manifest.chainId}`,
    };
  if (record.enterprise !== p.enterprise || record.category !== p.category)
    return {
      verdict: "not anchored",
      reason: `the proof is for ${p.enterprise} category ${p.category}, the record is ${record.enterprise} category ${record.category}`,
    };
  const digest = hexlify(fastRecordDigest(getBytes(p.salt), encodeRecord(record)));
  if (digest !== p.digest) return { verdict: "not anchored", reason: "the record does not open the proof's commitment: it differs from the attested record" };
  const e18 = hexlify(usccBytes(p.enterprise));
  const status =
    p.mode === "live"
      ? await c.ledger.attestationStatus(e18, p.category, p.version, digest)
      : await c.ledger.verifyRecord(p.batchId!, { enterprise: e18, category: p.category, version: p.version, digest }, p.proof ?? []);
  const verdict = verdictOf(status);
  if (verdict === "not anchored")
    return {
      verdict,
      reason:
        p.mode === "live" ? "no attestation with this digest on chain" : "the Merkle proof does not lead to the batch root, or this version was attested live",
    };
  if (verdict === "superseded") return { verdict, reason: `a newer version (v${await c.ledger.currentVersion(e18, p.category)}) is current` };
  if (verdict === "revoked") return { verdict, reason: `revoked with reason code ${await c.ledger.revocationReason(e18, p.category, p.version)}` };
  if (verdict === "disputed") return { verdict, reason: `${await c.ledger.disputeCount(e18, p.category, p.version)} objection(s) open or unconfirmed` };
  return { verdict };
}
