/**
 * A small deterministic pseudo-random generator for workloads: the same seed gives the same sequence on every
 * machine, Node version and worker count, so a replay with the same seed produces the same roots.
 *
 * Algorithm: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state, passes PractRand and
 * BigCrush), whose state is the first 16 bytes of SHA-256 of the seed text (little-endian words; the counter
 * word is forced odd so it is never all zero), followed by 12 discarded outputs. SHA-256 rather than a
 * splitmix mix of the text keeps nearby seeds ("city/1", "city/2") unrelated and is specified everywhere.
 * The generator uses only 32-bit integer additions, shifts and xors, so no floating-point rounding can differ
 * between machines.
 *
 * Streams are named by a path: `new Random("replay").fork("320100").fork(7)` is the same stream as
 * `new Random("replay/320100/7")`, and does not depend on how much of its parent was consumed. A workload gives
 * every city, batch or worker its own fork so its output does not depend on scheduling.
 *
 * Not for secrets: salts and keys come from `crypto.randomBytes` (see `newSalt` in `src/records/commitment.ts`).
 */
import { createHash } from "node:crypto";

/** Separates the labels of a stream's path; a label may not contain it, so every path names one stream. */
const PATH_SEPARATOR = "/";
/** 2^32 as a float, to turn a 32-bit integer into [0, 1). */
const TWO_POW_32 = 4294967296;

export class Random {
  /** The stream's path, e.g. "replay/320100/7"; `new Random(seed)` reproduces the stream from the start. */
  readonly seed: string;
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string | number) {
    if (typeof seed === "number" && !Number.isFinite(seed)) throw new RangeError(`Random seed must be finite, got ${seed}`);
    this.seed = String(seed);
    const h = createHash("sha256").update(this.seed, "utf8").digest();
    this.a = h.readUInt32LE(0) | 0;
    this.b = h.readUInt32LE(4) | 0;
    this.c = h.readUInt32LE(8) | 0;
    this.d = h.readUInt32LE(12) | 1;
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /**
   * An independent stream named `label` under this one. It depends only on this stream's seed and the label,
   * never on how many numbers this stream has produced. `fork(1)` and `fork("1")` are the same stream.
   */
  fork(label: string | number): Random {
    const l = String(label);
    if (l.length === 0 || l.includes(PATH_SEPARATOR))
      throw new RangeError(`Random.fork label must be non-empty and without '${PATH_SEPARATOR}', got ${JSON.stringify(l)}`);
    return new Random(this.seed + PATH_SEPARATOR + l);
  }

  /** Uniform integer in [0, 2^32). */
  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1), with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextU32() / TWO_POW_32;
  }

  /** Uniform integer in [min, max], both inclusive integers with max - min < 2^32. */
  int(min: number, max: number): number {
    if (!(max >= min)) throw new RangeError(`Random.int needs min <= max, got [${min}, ${max}]`);
    // floor(u · n / 2^32) rather than u % n: same cost, and the bias is spread instead of piled on small values.
    return min + Math.floor(this.nextFloat() * (max - min + 1));
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("Random.pick needs a non-empty array");
    return items[Math.floor(this.nextFloat() * items.length)];
  }

  /** Index chosen with probability proportional to `weights`. Builds the table each call: in hot paths keep a `WeightedPicker`. */
  weighted(weights: readonly number[]): number {
    return new WeightedPicker(weights).pick(this);
  }

  /** `n` pseudo-random bytes (each 32-bit output gives 4 bytes, least significant first). */
  bytes(n: number): Uint8Array {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`Random.bytes needs a whole number of bytes, got ${n}`);
    const out = new Uint8Array(n);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const v = this.nextU32();
      out[i] = v & 0xff;
      out[i + 1] = (v >>> 8) & 0xff;
      out[i + 2] = (v >>> 16) & 0xff;
      out[i + 3] = v >>> 24;
    }
    if (i < n) {
      const v = this.nextU32();
      for (let k = 0; i < n; i++, k++) out[i] = (v >>> (8 * k)) & 0xff;
    }
    return out;
  }
}

/** Picks indices with probability proportional to fixed weights, in O(log n) per pick. */
export class WeightedPicker {
  private readonly cumulative: Float64Array;

  constructor(weights: readonly number[]) {
    if (weights.length === 0) throw new RangeError("WeightedPicker needs at least one weight");
    this.cumulative = new Float64Array(weights.length);
    let sum = 0;
    weights.forEach((w, i) => {
      if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`weight ${i} must be a finite number >= 0, got ${w}`);
      sum += w;
      this.cumulative[i] = sum;
    });
    if (sum <= 0) throw new RangeError("weights must not all be 0");
  }

  /** Number of weights. */
  get length(): number {
    return this.cumulative.length;
  }

  pick(rng: Random): number {
    const x = rng.nextFloat() * this.cumulative[this.cumulative.length - 1];
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
