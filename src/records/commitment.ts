/**
 * What the chain learns about a record: a salted commitment to its canonical encoding, and, for bulk batches, a
 * Merkle leaf binding that commitment to the enterprise, category and version. Readable reference versions built
 * on ethers' ABI coder and keccak; `src/ledger/leaf.ts` computes the same bytes faster for tens of millions of
 * records, and tests keep the two equal.
 *
 *   digest = keccak256(abi.encode(bytes32 salt, bytes encoding))
 *   leaf   = keccak256(bytes.concat(keccak256(abi.encode(bytes18 enterprise, uint8 category, uint32 version, bytes32 digest))))
 *
 * The leaf is exactly `StandardMerkleTree.of(values, RECORD_LEAF_ENCODING).leafHash(values)` of
 * `@openzeppelin/merkle-tree`, so its proofs verify with OpenZeppelin's MerkleProof.sol. The double hash keeps a
 * 64-byte inner node from ever passing as a leaf (the second-preimage warning of MerkleProof.sol).
 *
 * Why a fresh random salt per record version: records come from small domains (a tax grade, a status), so an
 * unsalted hash could be reversed by trying every value, and two equal records would have equal digests. The
 * salt stays off chain with the record; whoever is shown the record and the salt can check the digest. Records a
 * node regenerates rather than stores (the bulk replay's) get salts derived from a secret of the node's own
 * (`derivedSalt` in `src/ledger/leaf.ts`): as unpredictable to others, reproducible for the node.
 */
import { randomBytes } from "node:crypto";
import { AbiCoder, getBytes, hexlify, keccak256, toUtf8Bytes, type BytesLike } from "ethers";
import { parseUscc } from "../uscc.js";
import { isCategory, type Category } from "./categories.js";

/** Leaf encoding of record batches, as `@openzeppelin/merkle-tree` takes it. */
export const RECORD_LEAF_ENCODING: readonly ["bytes18", "uint8", "uint32", "bytes32"] = ["bytes18", "uint8", "uint32", "bytes32"];
export const SALT_BYTES = 32;
/** Versions are uint32 on chain; version 0 means "no record". */
export const MAX_RECORD_VERSION = 0xffffffff;

const coder = AbiCoder.defaultAbiCoder();

/** A fresh 32-byte salt from the operating system's CSPRNG, for one record version. Never reuse one. */
export function newSalt(): Uint8Array {
  return new Uint8Array(randomBytes(SALT_BYTES));
}

/** keccak256(abi.encode(bytes32 salt, bytes encoding)), as 0x-hex. */
export function recordDigest(salt: BytesLike, encoding: BytesLike): string {
  const s = getBytes(salt);
  if (s.length !== SALT_BYTES) throw new RangeError(`salt must be ${SALT_BYTES} bytes, got ${s.length}`);
  return keccak256(coder.encode(["bytes32", "bytes"], [s, getBytes(encoding)]));
}

/** The leaf values [enterprise as bytes18 0x-hex, category, version, digest] in RECORD_LEAF_ENCODING order. */
export type RecordLeafValues = [enterprise: string, category: number, version: number, digest: string];

/** Leaf values of one record version, checked, in the form `StandardMerkleTree.of` takes them. */
export function recordLeafValues(enterprise: string, category: Category, version: number, digest: BytesLike): RecordLeafValues {
  parseUscc(enterprise);
  if (!isCategory(category)) throw new RangeError(`not a category: ${String(category)}`);
  if (!Number.isInteger(version) || version < 1 || version > MAX_RECORD_VERSION)
    throw new RangeError(`record version must be an integer in [1, ${MAX_RECORD_VERSION}], got ${version}`);
  const d = getBytes(digest);
  if (d.length !== 32) throw new RangeError(`digest must be 32 bytes, got ${d.length}`);
  return [hexlify(toUtf8Bytes(enterprise)), category, version, hexlify(d)];
}

/** The StandardMerkleTree leaf hash of one record version, as 0x-hex. */
export function recordLeafHash(enterprise: string, category: Category, version: number, digest: BytesLike): string {
  return keccak256(keccak256(coder.encode(RECORD_LEAF_ENCODING, recordLeafValues(enterprise, category, version, digest))));
}
