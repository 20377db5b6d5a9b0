/**
 * Proof files: what a node hands out with an attested record so that anyone can check it later against the
 * chain (`verify`): the salt that opens the commitment, and where the commitment is anchored.
 */
import { getBytes, hexlify } from "ethers";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { archiveStamp } from "../store/archive.js";
import type { Contracts } from "../chain/contracts.js";
import type { Manifest } from "../chain/manifest.js";
import { CATEGORY_SLUGS, type Category } from "../records/categories.js";
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

export function readProofFile(path: string): ProofFile {
  let p: ProofFile;
  try {
    p = JSON.parse(readFileSync(path, "utf8")) as ProofFile;
  } catch (e) {
    throw new Error(`proof file ${path}: ${(e as Error).message}`);
  }
  if (p.format !== PROOF_FORMAT) throw new Error(`proof file ${path}: format is ${JSON.stringify(p.format)}, expected ${PROOF_FORMAT}`);
  return p;
}

export type VerifyVerdict = "valid" | "disputed" | "superseded" | "revoked" | "not anchored" | "undeclared" | "wrong city";
/** The status as `verify-record` prints it ("not anchored", "wrong city"). */
const verdictOf = (status: bigint): VerifyVerdict => recordStatusName(status).replace("-", " ") as VerifyVerdict;

/** Checks a record and its proof file against the chain: the verdict, and why when it is not valid. */
export async function verifyRecordProof(c: Contracts, manifest: Manifest, record: CreditRecord, p: ProofFile): Promise<{ verdict: VerifyVerdict; reason?: string }> {
  if (p.chainId !== manifest.chainId || p.ledger.toLowerCase() !== manifest.contracts.CreditLedger.address.toLowerCase())
    return { verdict: "not anchored", reason: `the proof is for the ledger ${p.ledger} on chain ${p.chainId}, not this deployment's ${manifest.contracts.CreditLedger.address} on chain ${manifest.chainId}` };
  if (record.enterprise !== p.enterprise || record.category !== p.category)
    return { verdict: "not anchored", reason: `the proof is for ${p.enterprise} category ${p.category}, the record is ${record.enterprise} category ${record.category}` };
  const digest = hexlify(fastRecordDigest(getBytes(p.salt), encodeRecord(record)));
  if (digest !== p.digest) return { verdict: "not anchored", reason: "the record does not open the proof's commitment: it differs from the attested record" };
  const e18 = hexlify(usccBytes(p.enterprise));
  const status =
    p.mode === "live"
      ? await c.ledger.attestationStatus(e18, p.category, p.version, digest)
      : await c.ledger.verifyRecord(p.batchId!, { enterprise: e18, category: p.category, version: p.version, digest }, p.proof ?? []);
  const verdict = verdictOf(status);
  if (verdict === "not anchored") return { verdict, reason: p.mode === "live" ? "no attestation with this digest on chain" : "the Merkle proof does not lead to the batch root" };
  if (verdict === "superseded") return { verdict, reason: `a newer version (v${await c.ledger.currentVersion(e18, p.category)}) is current` };
  if (verdict === "revoked") return { verdict, reason: `revoked with reason code ${await c.ledger.revocationReason(e18, p.category, p.version)}` };
  if (verdict === "disputed") return { verdict, reason: `${await c.ledger.disputeCount(e18, p.category, p.version)} objection(s) open or unconfirmed` };
  return { verdict };
}
