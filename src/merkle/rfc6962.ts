/**
 * Certificate Transparency Merkle trees (RFC 6962 §2.1, RFC 9162 §2.1): leaf and node hashing, the tree
 * head MTH, audit paths (PATH) and consistency proofs (PROOF/SUBPROOF), and their verifiers. This is the
 * tree kind of the query logs; `contracts/libraries/RFC6962.sol` verifies the same proofs on chain with the
 * same names and argument order, and `src/merkle/log.ts` produces them incrementally for large logs.
 *
 * Verification follows transparency-dev/merkle (`proof/verify.go`), whose test vectors it passes: a proof
 * is a list of 32-byte hashes, ordered from the leaf (or the smaller tree) towards the root. Verifiers
 * throw a `ProofError` naming the broken rule; its `rule` is the Solidity custom error without the
 * `RFC6962` prefix, so the two sides can be compared case by case. A proof binds tree heads, not sizes (the
 * head of 3 leaves with its proof also passes as "size 4"): pair a size only with the head recorded for it.
 *
 * Generation here is the plain recursive definition, O(n) per call: the reference that `MerkleLog` is
 * tested against, and enough for batches. Use `MerkleLog` for a growing log.
 */
import { createHash } from "node:crypto";
import { createSHA256 } from "hash-wasm";

/**
 * SHA-256 for the hot paths (a year's logs hash millions of leaves and nodes): the WebAssembly build of
 * `hash-wasm` with one reused hasher, about 2.9 times the rate of a `node:crypto` hash object per call for
 * these 33-to-500-byte inputs (README, Performance). Same digests; the tests' RFC 6962 vectors check them.
 */
const sha256 = await createSHA256();
const nodeInput = new Uint8Array(1 + 2 * 32);
nodeInput[0] = 0x01;

/** Bytes of a SHA-256 hash. */
export const HASH_SIZE = 32;
/** Longest proof accepted: a tree of fewer than 2^64 leaves never needs more (same bound on chain). */
export const MAX_PROOF_LENGTH = 64;
/** MTH({}) = SHA-256 of the empty string: the root of a log with no entries. */
export const EMPTY_ROOT: Uint8Array = new Uint8Array(createHash("sha256").digest());

const LEAF_PREFIX = new Uint8Array([0x00]);

/** A leaf index or tree size: a non-negative integer (a safe-integer number or a bigint). */
export type Size = bigint | number;

/** The rules a proof can break; each is also a custom error `RFC6962<Rule>` of the Solidity library. */
export type ProofRule =
  | "IndexOutOfRange"
  | "WrongHashSize"
  | "ProofTooLong"
  | "WrongProofSize"
  | "RootMismatch"
  | "SizeDecreased"
  | "ConsistencyFromEmptyTree"
  | "NonEmptyProofForEqualSizes";

/** A proof that does not prove what it claims; `rule` says which check failed. */
export class ProofError extends Error {
  constructor(
    readonly rule: ProofRule,
    message: string,
  ) {
    super(message);
    this.name = "ProofError";
  }
}

/** SHA-256(0x00 ‖ data): the hash of a log entry (RFC 6962 §2.1, the leaf prefix prevents second preimages). */
export function hashLeaf(data: Uint8Array): Uint8Array {
  sha256.init();
  sha256.update(LEAF_PREFIX);
  sha256.update(data);
  return sha256.digest("binary");
}

/** SHA-256(0x01 ‖ left ‖ right): the hash of an interior node. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  sha256.init();
  if (left.length === HASH_SIZE && right.length === HASH_SIZE) {
    nodeInput.set(left, 1);
    nodeInput.set(right, 1 + HASH_SIZE);
    sha256.update(nodeInput);
  } else {
    // not a tree's hash (e.g. a malformed root under verification): hashed as given, so the check fails
    sha256.update(nodeInput.subarray(0, 1));
    sha256.update(left);
    sha256.update(right);
  }
  return sha256.digest("binary");
}

// ---------------------------------------------------------------------------------------------------------
// Verification

/**
 * The root that `leafHash` at `index` and its audit path `proof` imply for a tree of `size` leaves.
 * Throws a `ProofError` if the index is out of range, the leaf hash is not 32 bytes, or the proof does not
 * have the length the RFC prescribes for this index and size; a wrong hash inside the proof only shows as a
 * different root.
 */
export function rootFromInclusionProof(index: Size, size: Size, leafHash: Uint8Array, proof: readonly Uint8Array[]): Uint8Array {
  const i = toBig(index, "index");
  const n = toBig(size, "size");
  if (i >= n) throw new ProofError("IndexOutOfRange", `index ${i} out of range for size ${n}`);
  checkHashSize(leafHash, "leaf hash");
  checkProof(proof);
  const { inner, border } = decomposeInclusion(i, n);
  if (proof.length !== inner + border) {
    throw new ProofError("WrongProofSize", `wrong proof size ${proof.length}, want ${inner + border}`);
  }
  let h = leafHash;
  for (let k = 0; k < inner; k++) h = bit(i, k) ? hashChildren(proof[k], h) : hashChildren(h, proof[k]);
  for (let k = inner; k < proof.length; k++) h = hashChildren(proof[k], h);
  return h;
}

/** Returns if `proof` shows that `leafHash` is entry `index` of the tree of `size` leaves with head `root`; throws a `ProofError` otherwise. */
export function verifyInclusion(index: Size, size: Size, leafHash: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): void {
  expectRoot(rootFromInclusionProof(index, size, leafHash, proof), root);
}

/**
 * The head of the tree of `size2` leaves that `proof` implies, given that the first `size1` leaves have head
 * `root1`; checks along the way that the proof is consistent with `root1`. Throws a `ProofError` if
 * size2 < size1, if size1 is 0 (nothing to be consistent with), if equal sizes come with a non-empty proof,
 * if the proof has the wrong length, or if it does not lead back to `root1`.
 */
export function rootFromConsistencyProof(size1: Size, size2: Size, proof: readonly Uint8Array[], root1: Uint8Array): Uint8Array {
  const m = toBig(size1, "size1");
  const n = toBig(size2, "size2");
  if (n < m) throw new ProofError("SizeDecreased", `size2 ${n} is smaller than size1 ${m}`);
  if (m === 0n) throw new ProofError("ConsistencyFromEmptyTree", "a consistency proof from the empty tree is meaningless");
  if (m === n) {
    if (proof.length > 0) {
      throw new ProofError("NonEmptyProofForEqualSizes", `sizes are equal (${m}) but the proof has ${proof.length} hashes`);
    }
    return root1;
  }
  checkProof(proof);
  // The proof is the tail of the audit path of leaf size1-1 in the larger tree, starting at the level of the
  // largest complete subtree that ends at size1; that subtree's root is sent first unless it is the whole
  // smaller tree, whose head the verifier already has.
  const { inner: fork, border } = decomposeInclusion(m - 1n, n);
  const shift = trailingZeros(m);
  const inner = fork - shift;
  const seedIsRoot1 = m === 1n << BigInt(shift);
  const start = seedIsRoot1 ? 0 : 1;
  if (proof.length !== start + inner + border) {
    throw new ProofError("WrongProofSize", `wrong proof size ${proof.length}, want ${start + inner + border}`);
  }
  const seed = seedIsRoot1 ? root1 : proof[0];
  const mask = (m - 1n) >> BigInt(shift);
  let hash1 = seed;
  let hash2 = seed;
  for (let k = 0; k < inner; k++) {
    const p = proof[start + k];
    if (bit(mask, k)) {
      hash1 = hashChildren(p, hash1);
      hash2 = hashChildren(p, hash2);
    } else {
      hash2 = hashChildren(hash2, p);
    }
  }
  for (let k = start + inner; k < proof.length; k++) {
    hash1 = hashChildren(proof[k], hash1);
    hash2 = hashChildren(proof[k], hash2);
  }
  expectRoot(hash1, root1);
  return hash2;
}

/** Returns if `proof` shows that the tree of `size2` leaves with head `root2` extends the tree of `size1` leaves with head `root1`; throws a `ProofError` otherwise. */
export function verifyConsistency(size1: Size, size2: Size, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array): void {
  expectRoot(rootFromConsistencyProof(size1, size2, proof, root1), root2);
}

// ---------------------------------------------------------------------------------------------------------
// Generation (RFC 6962 §2.1 MTH, §2.1.1 PATH, §2.1.2 PROOF), over a list of leaf hashes

/** MTH of the first `size` leaves (all by default); EMPTY_ROOT for size 0. */
export function rootHash(leafHashes: readonly Uint8Array[], size: Size = leafHashes.length): Uint8Array {
  const n = toCount(size, leafHashes.length, "size");
  return n === 0 ? EMPTY_ROOT.slice() : mth(leafHashes, 0, n);
}

/** PATH(index, D[0:size]): the audit path of leaf `index` in the tree of the first `size` leaves, leaf first. */
export function inclusionProof(leafHashes: readonly Uint8Array[], index: Size, size: Size): Uint8Array[] {
  const n = toCount(size, leafHashes.length, "size");
  if (n === 0) throw new RangeError("the empty tree has no inclusion proofs");
  const m = toCount(index, n - 1, "index");
  const path: Uint8Array[] = [];
  let lo = 0;
  let hi = n;
  // Walk down from the root; each step records the sibling subtree, so the path is built root first.
  while (hi - lo > 1) {
    const k = lo + splitPoint(hi - lo);
    if (m < k) {
      path.push(mth(leafHashes, k, hi));
      hi = k;
    } else {
      path.push(mth(leafHashes, lo, k));
      lo = k;
    }
  }
  return path.reverse();
}

/**
 * PROOF(size1, D[0:size2]): the hashes that show the tree of the first `size1` leaves is a prefix of the tree
 * of the first `size2` leaves, smaller tree first. Empty when the sizes are equal; size1 must be at least 1.
 */
export function consistencyProof(leafHashes: readonly Uint8Array[], size1: Size, size2: Size): Uint8Array[] {
  const n = toCount(size2, leafHashes.length, "size2");
  const m = toCount(size1, n, "size1");
  if (m === 0) throw new RangeError("a consistency proof from the empty tree is meaningless");
  const proof: Uint8Array[] = [];
  let lo = 0;
  let hi = n;
  let complete = true; // SUBPROOF's b: the subtree [lo, lo+m) is a whole tree head the verifier knows
  while (m !== hi) {
    const k = lo + splitPoint(hi - lo);
    if (m <= k) {
      proof.push(mth(leafHashes, k, hi));
      hi = k;
    } else {
      proof.push(mth(leafHashes, lo, k));
      lo = k;
      complete = false;
    }
  }
  if (!complete) proof.push(mth(leafHashes, lo, hi));
  return proof.reverse();
}

/** The largest power of two smaller than `n` (n ≥ 2): where MTH splits a list of n leaves. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[lo:hi]) for hi > lo, by the RFC's recursion. */
function mth(leafHashes: readonly Uint8Array[], lo: number, hi: number): Uint8Array {
  if (hi - lo === 1) return leafHashes[lo];
  const k = lo + splitPoint(hi - lo);
  return hashChildren(mth(leafHashes, lo, k), mth(leafHashes, k, hi));
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

/** Lengths of the two parts of the audit path of `index` in a tree of `size` leaves: below and above the level where the paths to `index` and to the last leaf meet. */
function decomposeInclusion(index: bigint, size: bigint): { inner: number; border: number } {
  const inner = bitLength(index ^ (size - 1n));
  return { inner, border: popCount(index >> BigInt(inner)) };
}

function expectRoot(computed: Uint8Array, expected: Uint8Array): void {
  if (!equalBytes(computed, expected)) {
    throw new ProofError("RootMismatch", `root mismatch: computed ${hex(computed)}, expected ${hex(expected)}`);
  }
}

function checkHashSize(h: Uint8Array, what: string): void {
  if (h.length !== HASH_SIZE) throw new ProofError("WrongHashSize", `${what} is ${h.length} bytes, want ${HASH_SIZE}`);
}

function checkProof(proof: readonly Uint8Array[]): void {
  if (proof.length > MAX_PROOF_LENGTH) {
    throw new ProofError("ProofTooLong", `proof has ${proof.length} hashes, at most ${MAX_PROOF_LENGTH} allowed`);
  }
  proof.forEach((h, k) => checkHashSize(h, `proof hash ${k}`));
}

function toBig(x: Size, name: string): bigint {
  if (typeof x === "number" && !Number.isSafeInteger(x)) throw new RangeError(`${name} ${x} is not an integer`);
  const b = BigInt(x);
  if (b < 0n) throw new RangeError(`${name} ${x} is negative`);
  return b;
}

/** `x` as a number in [0, max]; generation works on in-memory lists, so indices are numbers. */
function toCount(x: Size, max: number, name: string): number {
  const b = toBig(x, name);
  if (b > BigInt(max)) throw new RangeError(`${name} ${b} out of range [0, ${max}]`);
  return Number(b);
}

function bit(x: bigint, k: number): boolean {
  return ((x >> BigInt(k)) & 1n) === 1n;
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

function popCount(x: bigint): number {
  let c = 0;
  for (; x > 0n; x &= x - 1n) c++;
  return c;
}

function trailingZeros(x: bigint): number {
  let c = 0;
  for (; (x & 1n) === 0n; x >>= 1n) c++;
  return c;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hex(b: Uint8Array): string {
  return `0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex")}`;
}
