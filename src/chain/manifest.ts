/**
 * The deployment manifest: the one place that knows where the contracts of a network live, which account
 * operates which node, and which seed files the deployment was made from.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { seedsDir } from "../seeds.js";

export const MANIFEST_VERSION = 1;
export const DEFAULT_DEPLOYMENTS_DIR = "deployments";

/** Folder of manifests: YRD_DEPLOYMENTS_DIR when set, else deployments/ under the working directory. */
export function deploymentsDir(): string {
  return process.env.YRD_DEPLOYMENTS_DIR ?? DEFAULT_DEPLOYMENTS_DIR;
}
export const SEED_FILES = ["cities.json", "nodes.json", "volumes-2024.json", "institutions.json"] as const;

export interface ManifestNode {
  nodeId: number;
  id: string;
  city: string;
  operatorLabel: string;
  operator: string;
  metadataDigest: string;
}

export interface ManifestInstitution {
  institutionId: number;
  sponsorNodeId: number;
  kind: string;
  signer: string;
  nameDigest: string;
  /** Index of the institution's derived key (`institutionWallet(keyIndex)`). */
  keyIndex: number;
}

export interface Manifest {
  version: number;
  network: string;
  chainId: string;
  deployer: string;
  regulator: string;
  deployBlock: number;
  deployedAt: string;
  contracts: Record<string, { address: string; block: number }>;
  nodes: ManifestNode[];
  institutions: ManifestInstitution[];
  /** sha-256 of each seed file's bytes, so a deployment can be matched to the seeds it came from. */
  seedDigests: Record<string, string>;
}

export function manifestPath(network: string, chainId: bigint | string, dir = deploymentsDir()): string {
  return join(dir, `${network}-${chainId}.json`);
}

export function seedDigests(dir: string = seedsDir()): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of SEED_FILES)
    out[f] = createHash("sha256")
      .update(readFileSync(join(dir, f)))
      .digest("hex");
  return out;
}

/** Thrown for a manifest that cannot be used: names the file and what to do. */
export class ManifestError extends Error {}

const isAddress = (v: unknown) => typeof v === "string" && /^0x[0-9a-fA-F]{40}$/.test(v);

/** Checks the shape of a parsed manifest; returns the first problem found, naming the field. */
export function manifestProblem(m: unknown): string | undefined {
  if (typeof m !== "object" || m === null || Array.isArray(m)) return "it is not a JSON object";
  const o = m as Record<string, unknown>;
  if (o.version !== MANIFEST_VERSION) return `version is ${JSON.stringify(o.version)}, expected ${MANIFEST_VERSION}`;
  for (const f of ["network", "chainId", "deployedAt"]) if (typeof o[f] !== "string") return `${f} must be a string`;
  for (const f of ["deployer", "regulator"]) if (!isAddress(o[f])) return `${f} must be an address`;
  if (!Number.isSafeInteger(o.deployBlock)) return "deployBlock must be a whole number";
  if (typeof o.contracts !== "object" || o.contracts === null) return "contracts must be an object";
  for (const [name, c] of Object.entries(o.contracts as Record<string, unknown>)) {
    const e = c as { address?: unknown; block?: unknown } | null;
    if (!e || !isAddress(e.address) || !Number.isSafeInteger(e.block)) return `contracts.${name} must have an address and a block`;
  }
  if (!Array.isArray(o.nodes) || o.nodes.length === 0) return "nodes must be a non-empty list";
  for (const [i, n] of (o.nodes as Record<string, unknown>[]).entries()) {
    if (typeof n !== "object" || n === null) return `nodes[${i}] must be an object`;
    if (!Number.isSafeInteger(n.nodeId) || typeof n.id !== "string" || typeof n.city !== "string" || !isAddress(n.operator))
      return `nodes[${i}] must have nodeId, id, city and operator`;
  }
  if (!Array.isArray(o.institutions)) return "institutions must be a list";
  for (const [i, n] of (o.institutions as Record<string, unknown>[]).entries()) {
    if (typeof n !== "object" || n === null) return `institutions[${i}] must be an object`;
    if (!Number.isSafeInteger(n.institutionId) || !Number.isSafeInteger(n.sponsorNodeId) || !isAddress(n.signer) || !Number.isSafeInteger(n.keyIndex))
      return `institutions[${i}] must have institutionId, sponsorNodeId, signer and keyIndex`;
  }
  if (typeof o.seedDigests !== "object" || o.seedDigests === null) return "seedDigests must be an object";
  return undefined;
}

/** Reads and checks a manifest; undefined when there is none. */
export function readManifest(path: string): Manifest | undefined {
  if (!existsSync(path)) return undefined;
  let m: unknown;
  try {
    m = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ManifestError(`manifest ${path} is not valid JSON (${(e as Error).message}): deploy with --fresh to archive it and deploy anew`);
  }
  const problem = manifestProblem(m);
  if (problem) throw new ManifestError(`manifest ${path} is corrupt: ${problem}; deploy with --fresh to archive it and deploy anew`);
  return m as Manifest;
}

/** Loads the manifest of a network or explains how to make one. */
export function requireManifest(path: string): Manifest {
  const m = readManifest(path);
  if (!m) throw new ManifestError(`no deployment manifest at ${path}: run \`npx hardhat deploy\` for this network first`);
  return m;
}

/** Writes atomically (temp file + rename) so an interrupted write never leaves half a manifest. */
export function writeManifest(path: string, manifest: Manifest): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(manifest, null, 2) + "\n");
  renameSync(tmp, path);
}
