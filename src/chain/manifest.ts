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
  for (const f of SEED_FILES) out[f] = createHash("sha256").update(readFileSync(join(dir, f))).digest("hex");
  return out;
}

export function readManifest(path: string): Manifest | undefined {
  if (!existsSync(path)) return undefined;
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, "utf8")) as Manifest;
  } catch (e) {
    throw new Error(`manifest ${path} is not valid JSON (${(e as Error).message}); move it away or deploy with --fresh`);
  }
  if (m.version !== MANIFEST_VERSION)
    throw new Error(`manifest ${path} has version ${m.version}, expected ${MANIFEST_VERSION}; deploy with --fresh`);
  return m;
}

/** Loads the manifest of a network or explains how to make one. */
export function requireManifest(path: string): Manifest {
  const m = readManifest(path);
  if (!m) throw new Error(`no deployment manifest at ${path}: run \`npx hardhat deploy\` for this network first`);
  return m;
}

/** Writes atomically (temp file + rename) so an interrupted write never leaves half a manifest. */
export function writeManifest(path: string, manifest: Manifest): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(manifest, null, 2) + "\n");
  renameSync(tmp, path);
}
