/**
 * Salted commitments and Merkle leaves of records, in their readable form (ethers' ABI coder and keccak).
 * `src/ledger/leaf.ts` computes the same bytes faster for bulk work; tests keep the two equal.
 *
 *   digest = keccak256(abi.encode(bytes32 salt, bytes encoding))       fresh random salt per record version
 *   leaf   = StandardMerkleTree leaf of [enterprise, category, version, digest] with RECORD_LEAF_ENCODING
 */
import { randomBytes } from "node:crypto";
import { AbiCoder, getBytes, hexlify, keccak256, toUtf8Bytes } from "ethers";

export const RECORD_LEAF_ENCODING = ["bytes18", "uint8", "uint32", "bytes32"] as const;

/** A fresh 32-byte salt: the commitment reveals nothing of the record, not even its equality to another. */
export function newSalt(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

export function recordDigest(salt: Uint8Array, encoding: Uint8Array): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes"], [salt, encoding]));
}

/** Leaf values as `@openzeppelin/merkle-tree` takes them. */
export function leafValues(enterprise: string, category: number, version: number, digest: string): [string, number, number, string] {
  return [hexlify(toUtf8Bytes(enterprise)), category, version, digest];
}

export function recordLeafHash(enterprise: string, category: number, version: number, digest: string): string {
  return keccak256(getBytes(keccak256(AbiCoder.defaultAbiCoder().encode([...RECORD_LEAF_ENCODING], leafValues(enterprise, category, version, digest)))));
}
