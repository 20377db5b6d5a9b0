/**
 * Hot-path hashing of record commitments and Merkle leaves, byte-for-byte the same as the readable versions
 * in `src/records/commitment.ts` (tests compare them) but built without an ABI coder and hashed with the
 * WebAssembly keccak, for the tens of millions of records of a replay.
 *
 * digest = keccak256(abi.encode(bytes32 salt, bytes encoding))
 * leaf   = keccak256(keccak256(abi.encode(bytes18 enterprise, uint8 category, uint32 version, bytes32 digest)))
 * salt of a replayed record = keccak256("yrd-record-salt/1" ‖ node secret ‖ enterprise ‖ category ‖ version)
 */
import { keccak256Bytes } from "../hash/keccak.js";

/** The USCC's 18 ASCII bytes. */
export function usccBytes(code: string): Uint8Array {
  const out = new Uint8Array(18);
  for (let i = 0; i < 18; i++) out[i] = code.charCodeAt(i);
  return out;
}

/** keccak256(abi.encode(bytes32 salt, bytes encoding)). */
export function fastRecordDigest(salt: Uint8Array, encoding: Uint8Array): Uint8Array {
  const padded = Math.ceil(encoding.length / 32) * 32;
  const buf = new Uint8Array(96 + padded);
  buf.set(salt, 0);
  buf[63] = 0x40; // offset of the bytes argument
  let len = encoding.length;
  for (let i = 95; len > 0; i--, len = Math.floor(len / 256)) buf[i] = len % 256;
  buf.set(encoding, 96);
  return keccak256Bytes(buf);
}

const leafBuf = new Uint8Array(128);

/** StandardMerkleTree leaf of (enterprise, category, version, digest). */
export function fastRecordLeaf(enterprise: Uint8Array, category: number, version: number, digest: Uint8Array): Uint8Array {
  leafBuf.fill(0);
  leafBuf.set(enterprise, 0);
  leafBuf[63] = category;
  leafBuf[92] = (version >>> 24) & 0xff;
  leafBuf[93] = (version >>> 16) & 0xff;
  leafBuf[94] = (version >>> 8) & 0xff;
  leafBuf[95] = version & 0xff;
  leafBuf.set(digest, 96);
  return keccak256Bytes(keccak256Bytes(leafBuf));
}

/** Domain tag of derived salts (17 ASCII bytes): no other keccak input of the project starts with it. */
const SALT_TAG = new TextEncoder().encode("yrd-record-salt/1");
const saltBuf = new Uint8Array(SALT_TAG.length + 32 + 18 + 1 + 4);
saltBuf.set(SALT_TAG, 0);

/**
 * The salt of a record version that a node regenerates instead of storing (the bulk replay's records):
 * keccak256(tag ‖ secret ‖ enterprise ‖ category ‖ uint32 version), where `secret` is the node's own 32 random
 * bytes, kept in its store and never on chain (`NodeStore.saltSecret`). keccak256 with a secret prefix is a
 * MAC (no length extension for keccak), so without the secret the salts are unpredictable, as fresh random
 * ones are; with it, the node rebuilds the same salt for the same record on every run.
 */
export function derivedSalt(secret: Uint8Array, enterprise: Uint8Array, category: number, version: number): Uint8Array {
  if (secret.length !== 32) throw new RangeError(`salt secret must be 32 bytes, got ${secret.length}`);
  const t = SALT_TAG.length;
  saltBuf.set(secret, t);
  saltBuf.set(enterprise, t + 32);
  saltBuf[t + 50] = category;
  saltBuf[t + 51] = (version >>> 24) & 0xff;
  saltBuf[t + 52] = (version >>> 16) & 0xff;
  saltBuf[t + 53] = (version >>> 8) & 0xff;
  saltBuf[t + 54] = version & 0xff;
  return keccak256Bytes(saltBuf);
}
