/**
 * Merkle trees that `@openzeppelin/merkle-tree`'s StandardMerkleTree (and OpenZeppelin's MerkleProof.sol)
 * accept: node = keccak256(sorted(a, b)), leaves sorted by hash, laid out as that library lays them out
 * (a complete binary tree in one array, leaves at the end in reverse order). We build them ourselves because
 * the library's pure-JS keccak is too slow for tens of millions of records; tests check that our roots and
 * proofs equal the library's.
 *
 * Leaf hashes are computed by the caller (see `src/records/commitment.ts`); this module only sees 32-byte
 * hashes. The tree is one flat Uint8Array: 32 bytes per node, (2n - 1) nodes.
 */
import { keccak256Pair } from "../hash/keccak.js";

const HASH = 32;

/** Byte-wise comparison of two 32-byte hashes (the order the library sorts by). */
export function compareHashes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < HASH; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** The library's node hash: keccak256 of the two children in ascending byte order. */
export function hashPair(a: Uint8Array, b: Uint8Array): Uint8Array {
  return compareHashes(a, b) <= 0 ? keccak256Pair(a, b) : keccak256Pair(b, a);
}

/** Root implied by a leaf hash and its proof (same as MerkleProof.processProof). */
export function processProof(leafHash: Uint8Array, proof: readonly Uint8Array[]): Uint8Array {
  let h = leafHash;
  for (const p of proof) h = hashPair(h, p);
  return h;
}

export class StandardTree {
  private constructor(
    /** All nodes, 32 bytes each; node 0 is the root. */
    private readonly nodes: Uint8Array,
    /** Number of leaves. */
    readonly length: number,
  ) {}

  /**
   * Builds the tree over `leafHashes` (any order: they are sorted, as the library does by default).
   * Throws on an empty list: a batch has at least one record.
   */
  static fromLeafHashes(leafHashes: readonly Uint8Array[]): StandardTree {
    const n = leafHashes.length;
    if (n === 0) throw new Error("a Merkle tree needs at least one leaf");
    const sorted = [...leafHashes].sort(compareHashes);
    const total = 2 * n - 1;
    const nodes = new Uint8Array(total * HASH);
    for (let i = 0; i < n; i++) {
      if (sorted[i].length !== HASH) throw new Error(`leaf ${i} is ${sorted[i].length} bytes, expected 32`);
      nodes.set(sorted[i], (total - 1 - i) * HASH);
    }
    for (let i = total - 1 - n; i >= 0; i--) {
      const l = nodes.subarray((2 * i + 1) * HASH, (2 * i + 2) * HASH);
      const r = nodes.subarray((2 * i + 2) * HASH, (2 * i + 3) * HASH);
      nodes.set(hashPair(l, r), i * HASH);
    }
    return new StandardTree(nodes, n);
  }

  get root(): Uint8Array {
    return this.nodes.slice(0, HASH);
  }

  private node(i: number): Uint8Array {
    return this.nodes.subarray(i * HASH, (i + 1) * HASH);
  }

  /** Position (0-based, in sorted order) of a leaf hash, or -1. Binary search over the sorted leaves. */
  indexOf(leafHash: Uint8Array): number {
    const total = 2 * this.length - 1;
    let lo = 0;
    let hi = this.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareHashes(this.node(total - 1 - mid), leafHash);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Proof for the leaf at sorted position `index` (sibling hashes from the leaf up). */
  proofAt(index: number): Uint8Array[] {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) throw new Error(`leaf index ${index} out of range 0..${this.length - 1}`);
    let i = 2 * this.length - 2 - index;
    const proof: Uint8Array[] = [];
    while (i > 0) {
      const sibling = i % 2 === 1 ? i + 1 : i - 1;
      proof.push(this.node(sibling).slice());
      i = Math.floor((i - 1) / 2);
    }
    return proof;
  }

  /** Proof for a leaf hash; throws if the tree does not contain it. */
  proof(leafHash: Uint8Array): Uint8Array[] {
    const i = this.indexOf(leafHash);
    if (i < 0) throw new Error("leaf is not in this tree");
    return this.proofAt(i);
  }
}
