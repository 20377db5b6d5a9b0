/**
 * An append-only Certificate Transparency log of leaf hashes (RFC 6962/9162 trees, see `rfc6962.ts`): the
 * query log a city node keeps, whose heads it anchors on chain with a consistency proof against the
 * previous head (verified by `contracts/libraries/RFC6962.sol`).
 *
 * The log keeps every complete subtree: level k holds the hashes of the subtrees of 2^k leaves that start at
 * multiples of 2^k, added as soon as their last leaf arrives. Any tree head of a past size is the right fold of
 * at most log2(n) such subtrees, and every proof node is one, or a fold of a few; so `append` is O(1)
 * amortized and heads and proofs for any size are O(log² n) hashes at worst, never a rehash of the log.
 * Memory: about 64 bytes per entry (32 for the leaf, 32 for the levels above). Results equal the plain
 * recursive definitions in `rfc6962.ts`.
 */
import { EMPTY_ROOT, HASH_SIZE, hashChildren, splitPoint } from "./rfc6962.js";

/** A growable list of 32-byte hashes in one buffer (an array of small Uint8Arrays costs 3-4x the memory). */
class HashList {
  private bytes: Uint8Array;
  length = 0;

  constructor(capacity = 16) {
    this.bytes = new Uint8Array(Math.max(1, capacity) * HASH_SIZE);
  }

  push(h: Uint8Array): void {
    if ((this.length + 1) * HASH_SIZE > this.bytes.length) {
      // grow by half (not double): a year's logs hold millions of hashes, and unused room is resident memory
      const grown = new Uint8Array(Math.max(this.bytes.length + HASH_SIZE, Math.floor(this.bytes.length / HASH_SIZE / 2) * 3 * HASH_SIZE));
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes.set(h, this.length * HASH_SIZE);
    this.length++;
  }

  /** A view of entry `i`: valid until the next push, never to be written through. */
  view(i: number): Uint8Array {
    return this.bytes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
  }

  /** All entries, concatenated (a copy). */
  toBytes(): Uint8Array {
    return this.bytes.slice(0, this.length * HASH_SIZE);
  }
}

export class MerkleLog {
  /** levels[k] holds the hashes of the complete subtrees of 2^k leaves; levels[0] the leaf hashes. */
  private readonly levels: HashList[] = [new HashList()];

  /** Number of entries. */
  get size(): number {
    return this.levels[0].length;
  }

  /** A log holding `hashes` in order. */
  static fromLeafHashes(hashes: Iterable<Uint8Array>): MerkleLog {
    const log = new MerkleLog();
    for (const h of hashes) log.append(h);
    return log;
  }

  /** Rebuilds a log from `exportLeafHashes()` output: the leaf hashes concatenated, 32 bytes each. */
  static importLeafHashes(bytes: Uint8Array): MerkleLog {
    if (bytes.length % HASH_SIZE !== 0) {
      throw new RangeError(`leaf hash bytes: length ${bytes.length} is not a multiple of ${HASH_SIZE}`);
    }
    const log = new MerkleLog();
    for (let off = 0; off < bytes.length; off += HASH_SIZE) log.append(bytes.subarray(off, off + HASH_SIZE));
    return log;
  }

  /** The leaf hashes concatenated, 32 bytes each, in log order: what a node store keeps to rebuild the log. */
  exportLeafHashes(): Uint8Array {
    return this.levels[0].toBytes();
  }

  /** Appends one entry's leaf hash (see `hashLeaf`) and returns its index. */
  append(leafHash: Uint8Array): number {
    if (leafHash.length !== HASH_SIZE) throw new RangeError(`leaf hash is ${leafHash.length} bytes, want ${HASH_SIZE}`);
    const index = this.size;
    this.levels[0].push(leafHash);
    // Each trailing 1 bit of the new count closes a subtree one level up.
    let h = leafHash;
    for (let level = 0, count = index + 1; count % 2 === 0; level++, count /= 2) {
      const below = this.levels[level];
      h = hashChildren(below.view(below.length - 2), h);
      if (this.levels.length === level + 1) this.levels.push(new HashList());
      this.levels[level + 1].push(h);
    }
    return index;
  }

  /** The leaf hash of entry `index`. */
  leafHash(index: number): Uint8Array {
    checkRange(index, 0, this.size - 1, "index");
    return this.levels[0].view(index).slice();
  }

  /** The tree head (MTH) of the first `size` entries; EMPTY_ROOT for 0. */
  root(size: number = this.size): Uint8Array {
    checkRange(size, 0, this.size, "size");
    return size === 0 ? EMPTY_ROOT.slice() : this.rangeHash(0, size).slice();
  }

  /** The audit path (RFC 6962 PATH) of entry `index` in the tree of the first `size` entries, leaf first. */
  inclusionProof(index: number, size: number = this.size): Uint8Array[] {
    checkRange(size, 1, this.size, "size");
    checkRange(index, 0, size - 1, "index");
    const path: Uint8Array[] = [];
    let lo = 0;
    let hi = size;
    while (hi - lo > 1) {
      const k = lo + splitPoint(hi - lo);
      if (index < k) {
        path.push(this.rangeHash(k, hi));
        hi = k;
      } else {
        path.push(this.rangeHash(lo, k));
        lo = k;
      }
    }
    return path.reverse().map((h) => h.slice());
  }

  /**
   * The consistency proof (RFC 6962 PROOF) that the tree of the first `size1` entries is a prefix of the tree
   * of the first `size2`, smaller tree first; empty for equal sizes. size1 must be at least 1.
   */
  consistencyProof(size1: number, size2: number = this.size): Uint8Array[] {
    checkRange(size2, 1, this.size, "size2");
    checkRange(size1, 1, size2, "size1");
    const proof: Uint8Array[] = [];
    let lo = 0;
    let hi = size2;
    let complete = true;
    while (size1 !== hi) {
      const k = lo + splitPoint(hi - lo);
      if (size1 <= k) {
        proof.push(this.rangeHash(k, hi));
        hi = k;
      } else {
        proof.push(this.rangeHash(lo, k));
        lo = k;
        complete = false;
      }
    }
    if (!complete) proof.push(this.rangeHash(lo, hi));
    return proof.reverse().map((h) => h.slice());
  }

  /**
   * MTH(D[lo:hi]) for a range the RFC's recursion produces (lo a multiple of the largest power of two below
   * hi - lo): the right fold of the complete subtrees given by the bits of hi - lo, smallest (rightmost) first.
   */
  private rangeHash(lo: number, hi: number): Uint8Array {
    let h: Uint8Array | undefined;
    let end = hi;
    for (let level = 0, width = 1, rest = hi - lo; rest > 0; level++, width *= 2, rest = Math.floor(rest / 2)) {
      if (rest % 2 === 0) continue;
      end -= width;
      if (end % width !== 0) throw new Error(`internal: range [${lo}, ${hi}) is not aligned at level ${level}`);
      const node = this.levels[level].view(end / width);
      h = h === undefined ? node : hashChildren(node, h);
    }
    if (h === undefined) throw new Error(`internal: empty range [${lo}, ${hi})`);
    return h;
  }
}

function checkRange(x: number, min: number, max: number, name: string): void {
  if (!Number.isSafeInteger(x) || x < min || x > max) throw new RangeError(`${name} ${x} out of range [${min}, ${max}]`);
}
