/**
 * Attesting records: the home-city node commits to each record with a fresh salt and puts the commitment on
 * chain, live (one digest per record version) or in Merkle batches (one root per batch). The node store gets
 * every record with its salt before the transaction is sent, and is told the outcome after, so nothing is
 * lost. Versions continue from the highest the chain or the store knows; a batch record above version 1 is
 * declared on chain with `multiSupersede` right after its batch is anchored.
 */
import { randomBytes } from "node:crypto";
import { hexlify, keccak256, type Signer } from "ethers";
import type { Contracts } from "../chain/contracts.js";
import type { Manifest } from "../chain/manifest.js";
import { StandardTree } from "../merkle/standard.js";
import { loadSeeds, type City } from "../seeds.js";
import { homeCity } from "../uscc.js";
import type { NodeStores } from "../store/stores.js";
import { fastRecordDigest, fastRecordLeaf, usccBytes } from "./leaf.js";

/** A record ready to attest: its canonical encoding and the JSON the node keeps. */
export interface EncodedRecord {
  /** USCC text. */
  enterprise: string;
  category: number;
  encoding: Uint8Array;
  recordJson: string;
  /** Basic info only: the account that signs for the enterprise, bound on chain with the attestation. */
  signer?: string;
}

export interface AttestedRecord {
  enterprise: string;
  category: number;
  version: number;
  nodeId: number;
  mode: "live" | "batch";
  salt: string;
  digest: string;
  leafHash: string;
  batchId?: number;
  proof?: string[];
  txHash: string;
  block: number;
}

export interface AttestOptions {
  mode: "live" | "batch";
  /** Attest through this node (must be in the enterprises' home city); default: the city's first active node. */
  nodeId?: number;
  /** Records per transaction (live) or per batch (batch). */
  chunkSize?: number;
}

export const DEFAULT_LIVE_CHUNK = 100;
export const DEFAULT_BATCH_SIZE = 1000;

async function attestingNode(c: Contracts, manifest: Manifest, city: City, requested?: number): Promise<number> {
  if (requested !== undefined) {
    const n = manifest.nodes.find((m) => m.nodeId === requested);
    if (!n) throw new Error(`unknown node ${requested}`);
    if (n.city !== city.code) throw new Error(`node ${n.id} is in city ${n.city}; ${city.nameEn} (${city.code}) records need a ${city.nameEn} node`);
    return requested;
  }
  for (const n of manifest.nodes.filter((m) => m.city === city.code)) if (await c.registry.isActiveNode(n.nodeId)) return n.nodeId;
  throw new Error(`no active node in ${city.nameEn} (${city.code})`);
}

/** Next version of (enterprise, category): above both the chain's declared version and the store's latest. */
async function nextVersions(c: Contracts, stores: NodeStores, nodeId: number, items: readonly EncodedRecord[]): Promise<number[]> {
  const seen = new Map<string, number>();
  const out: number[] = [];
  for (const it of items) {
    const key = `${it.enterprise}:${it.category}`;
    let v = seen.get(key);
    if (v === undefined) {
      const declared = Number(await c.ledger.declaredVersion(hexlify(usccBytes(it.enterprise)), it.category));
      v = Math.max(declared, stores.get(nodeId).latestVersion(it.enterprise, it.category));
    }
    seen.set(key, v + 1);
    out.push(v + 1);
  }
  return out;
}

/** Attests records, grouped by attesting node. `operators[i]` acts for node i + 1. */
export async function attestRecords(
  c: Contracts,
  manifest: Manifest,
  stores: NodeStores,
  operators: readonly Signer[],
  items: readonly EncodedRecord[],
  opts: AttestOptions,
): Promise<AttestedRecord[]> {
  const cities = loadSeeds().cities;
  const groups = new Map<number, EncodedRecord[]>();
  for (const it of items) {
    const nodeId = await attestingNode(c, manifest, homeCity(it.enterprise, cities), opts.nodeId);
    groups.set(nodeId, [...(groups.get(nodeId) ?? []), it]);
  }
  const out: AttestedRecord[] = [];
  for (const [nodeId, group] of groups) {
    const store = stores.get(nodeId);
    const versions = await nextVersions(c, stores, nodeId, group);
    const prepared = group.map((it, i) => {
      const salt = new Uint8Array(randomBytes(32));
      const digest = fastRecordDigest(salt, it.encoding);
      const leafHash = fastRecordLeaf(usccBytes(it.enterprise), it.category, versions[i], digest);
      return { ...it, version: versions[i], salt, digest, leafHash };
    });
    const ledger = c.ledger.connect(operators[nodeId - 1]);
    if (opts.mode === "live") {
      const size = opts.chunkSize ?? DEFAULT_LIVE_CHUNK;
      for (let s = 0; s < prepared.length; s += size) {
        const chunk = prepared.slice(s, s + size);
        store.putPending(chunk.map((p) => ({ ...p, batchId: null })));
        const tx = await ledger.multiAttest(
          chunk.map((p) => ({ enterprise: hexlify(usccBytes(p.enterprise)), category: p.category, version: p.version, digest: hexlify(p.digest) })),
        );
        const receipt = (await tx.wait())!;
        store.markLive(chunk, receipt.hash, receipt.blockNumber);
        for (const p of chunk)
          out.push({ enterprise: p.enterprise, category: p.category, version: p.version, nodeId, mode: "live", salt: hexlify(p.salt), digest: hexlify(p.digest), leafHash: hexlify(p.leafHash), txHash: receipt.hash, block: receipt.blockNumber });
      }
    } else {
      const size = opts.chunkSize ?? DEFAULT_BATCH_SIZE;
      for (const category of [1, 2, 3]) {
        const ofCategory = prepared.filter((p) => p.category === category);
        for (let s = 0; s < ofCategory.length; s += size) {
          const chunk = ofCategory.slice(s, s + size);
          const local = Number(store.getMeta("localBatch") ?? "0") + 1;
          store.setMeta("localBatch", String(local));
          store.putPending(chunk.map((p) => ({ ...p, batchId: -local })));
          const tree = StandardTree.fromLeafHashes(chunk.map((p) => p.leafHash));
          const batchDigest = keccak256(Buffer.concat(chunk.map((p) => Buffer.from(p.leafHash))));
          const tx = await ledger.anchorBatch({ category, root: hexlify(tree.root), count: chunk.length, batchDigest });
          const receipt = (await tx.wait())!;
          const ev = receipt.logs.map((l) => c.ledger.interface.parseLog(l)).find((p) => p?.name === "BatchAnchored");
          const batchId = Number(ev!.args.batchId);
          store.markBatched(local, { batchId, category, root: tree.root, count: chunk.length, batchDigest: Buffer.from(batchDigest.slice(2), "hex"), txHash: receipt.hash, block: receipt.blockNumber });
          const corrections = chunk.filter((p) => p.version > 1);
          if (corrections.length > 0)
            await (await ledger.multiSupersede(corrections.map((p) => ({ enterprise: hexlify(usccBytes(p.enterprise)), category, version: p.version })))).wait();
          for (const p of chunk)
            out.push({
              enterprise: p.enterprise,
              category,
              version: p.version,
              nodeId,
              mode: "batch",
              salt: hexlify(p.salt),
              digest: hexlify(p.digest),
              leafHash: hexlify(p.leafHash),
              batchId,
              proof: tree.proof(p.leafHash).map((x) => hexlify(x)),
              txHash: receipt.hash,
              block: receipt.blockNumber,
            });
        }
      }
    }
  }
  for (const [nodeId, group] of groups) await bindSigners(c, operators[nodeId - 1], group);
  return out;
}

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/** Binds the signers named in basic-info records, where the chain does not have them bound already. */
async function bindSigners(c: Contracts, operator: Signer, items: readonly EncodedRecord[]): Promise<void> {
  const latest = new Map<string, string>();
  for (const it of items) if (it.signer && it.signer !== ZERO_ADDRESS) latest.set(it.enterprise, it.signer);
  for (const [enterprise, signer] of latest) {
    const e18 = hexlify(usccBytes(enterprise));
    if ((await c.ledger.enterpriseSigner(e18)).toLowerCase() !== signer.toLowerCase())
      await (await c.ledger.connect(operator).bindEnterpriseSigner(e18, signer)).wait();
  }
}
