/**
 * ABI words written directly, for the encoders that skip ethers' general coder on hot paths (query-log
 * entries, EIP-712 struct hashes, calldata). Each checks its value as the coder would and names it in errors
 * (`what`, e.g. "calldata: purpose").
 */
import { getBytes } from "ethers";

/** `v` as a bigint, if it is a uint of `bits` bits; else an error naming it. */
export function checkUint(v: number | bigint, bits: number, what: string): bigint {
  const b = BigInt(v);
  if (b < 0n || b >> BigInt(bits) !== 0n) throw new Error(`${what} ${v} is not a uint${bits}`);
  return b;
}

/** Writes `v` (a uint of at most `bits` bits) as ABI word `word` of `out` (which must be zeroed there). */
export function putUint(out: Uint8Array, word: number, v: number | bigint, bits: number, what: string): void {
  let b = checkUint(v, bits, what);
  for (let i = word * 32 + 31; b > 0n; i--, b >>= 8n) out[i] = Number(b & 0xffn);
}

/** Writes the bytesN value `hex` (exactly n bytes) left-aligned into ABI word `word` of `out`. */
export function putBytes(out: Uint8Array, word: number, hex: string, n: number, what: string): void {
  const b = getBytes(hex, what);
  if (b.length !== n) throw new Error(`${what} must be ${n} bytes, got ${b.length}`);
  out.set(b, word * 32);
}
