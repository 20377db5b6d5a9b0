/**
 * Stateless 32-bit mixing for random access into the workload: a property of enterprise i (its code, whether
 * it has financing records, whether its status is corrected) is a pure function of (seed, stream, i), so any
 * part of the year can be regenerated without replaying what came before it.
 */
import { createHash } from "node:crypto";

/** A 32-bit key for a named stream of a seed. */
export function streamKey(seed: string, stream: string): number {
  return createHash("sha256").update(`${seed}/${stream}`).digest().readUInt32LE(0);
}

/** murmur3's 32-bit finaliser over key ^ (i * golden ratio): well mixed, fast, no state. */
export function mix32(key: number, i: number): number {
  let h = (key ^ Math.imul(i | 0, 0x9e3779b9) ^ Math.floor(i / 4294967296)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Uniform in [0, 1) from (key, i). */
export function unit(key: number, i: number): number {
  return mix32(key, i) / 4294967296;
}
