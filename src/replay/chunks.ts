/**
 * One unit of record work: the enterprises a node attests in one chunk, their records of every category, the
 * Merkle batches over them (one per category, plus one of corrections), and which records the chunk corrects
 * or revokes. A pure function of (seed, city, node slot, chunk, batch size) and the node's salt secret: workers
 * compute chunks in any order and the roots are the same. The records' contents follow from the seed; their
 * salts from the node's secret (`derivedSalt`), so nobody without the node's store can rebuild a commitment.
 */
import { derivedSalt, fastRecordDigest, fastRecordLeaf, usccBytes } from "../ledger/leaf.js";
import { StandardTree } from "../merkle/standard.js";
import { Random } from "../random.js";
import { Category } from "../records/categories.js";
import type { CreditRecord } from "../records/index.js";
import { encodeGenerated, generateRecord, type Population } from "../workload/enterprises.js";

export interface ChunkSpec {
  /** City number (index into the population's cities). */
  city: number;
  /** Node's position among its city's nodes, and their number. */
  slot: number;
  slots: number;
  /** Chunk number within the node's enterprises. */
  chunk: number;
  batchSize: number;
}

export interface ChunkBatch {
  category: Category;
  version: number;
  count: number;
  root: Uint8Array;
  /** Leaf hashes, 32 bytes each, in the order the records were generated. */
  leaves: Uint8Array;
}

export interface ChunkResult {
  spec: ChunkSpec;
  enterprises: number;
  records: number;
  batches: ChunkBatch[];
  /** Enterprises whose operating status gets version 2 in this chunk (declared with multiSupersede). */
  corrected: string[];
  /** Enterprises whose operating status v1 is revoked. */
  revoked: string[];
}

/** Enterprise indices of a chunk. */
export function chunkIndices(pop: Population, s: ChunkSpec): number[] {
  const out: number[] = [];
  for (let t = s.chunk * s.batchSize; t < (s.chunk + 1) * s.batchSize; t++) {
    const i = s.slot + s.slots * t;
    if (i >= pop.counts[s.city]) break;
    out.push(i);
  }
  return out;
}

/** Number of chunks of a node. */
export function chunkCount(pop: Population, city: number, slot: number, slots: number, batchSize: number): number {
  const mine = pop.counts[city] > slot ? Math.ceil((pop.counts[city] - slot) / slots) : 0;
  return Math.ceil(mine / batchSize);
}

export interface GeneratedRecordLeaf {
  enterprise: string;
  category: Category;
  version: number;
  salt: Uint8Array;
  encoding: Uint8Array;
  digest: Uint8Array;
  leaf: Uint8Array;
}

/**
 * Every record of a chunk in generation order (also what an audit regenerates to prove one); `secret` is the
 * attesting node's salt secret (`NodeStore.saltSecret`).
 */
export function* chunkRecords(pop: Population, s: ChunkSpec, secret: Uint8Array): Generator<GeneratedRecordLeaf> {
  for (const { record, version } of chunkCreditRecords(pop, s)) {
    const code = record.enterprise;
    const e18 = usccBytes(code);
    const encoding = encodeGenerated(record);
    const salt = derivedSalt(secret, e18, record.category, version);
    const digest = fastRecordDigest(salt, encoding);
    yield { enterprise: code, category: record.category, version, salt, encoding, digest, leaf: fastRecordLeaf(e18, record.category, version, digest) };
  }
}

/** Every record of a chunk in generation order, as the record itself (what a node service is given). */
export function* chunkCreditRecords(pop: Population, s: ChunkSpec): Generator<{ record: CreditRecord; version: number }> {
  const city = pop.cities[s.city];
  const rng = new Random(`${pop.seed}/records/${city.code}/${s.slot}/${s.chunk}/${s.batchSize}`);
  for (const i of chunkIndices(pop, s)) {
    const code = pop.code(s.city, i);
    const versions: [Category, number][] = pop.categories(s.city, i).map((c) => [c, 1]);
    if (pop.isCorrected(s.city, i)) versions.push([Category.OperatingStatus, 2]);
    for (const [category, version] of versions) yield { record: generateRecord(rng, city.nameEn, code, category, version), version };
  }
}

export function computeChunk(pop: Population, s: ChunkSpec, secret: Uint8Array): ChunkResult {
  const groups = new Map<string, Uint8Array[]>();
  let records = 0;
  for (const r of chunkRecords(pop, s, secret)) {
    const key = `${r.category}:${r.version}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(r.leaf);
    records++;
  }
  const batches: ChunkBatch[] = [];
  for (const key of ["1:1", "2:1", "3:1", "2:2"]) {
    const leaves = groups.get(key);
    if (!leaves || leaves.length === 0) continue;
    const [category, version] = key.split(":").map(Number);
    const flat = new Uint8Array(32 * leaves.length);
    leaves.forEach((l, k) => flat.set(l, 32 * k));
    batches.push({ category, version, count: leaves.length, root: StandardTree.fromLeafHashes(leaves).root, leaves: flat });
  }
  const indices = chunkIndices(pop, s);
  return {
    spec: s,
    enterprises: indices.length,
    records,
    batches,
    corrected: indices.filter((i) => pop.isCorrected(s.city, i)).map((i) => pop.code(s.city, i)),
    revoked: indices.filter((i) => pop.isRevoked(s.city, i)).map((i) => pop.code(s.city, i)),
  };
}
