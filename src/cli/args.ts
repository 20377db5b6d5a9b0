/** Parsing of command-line values shared by the scripts, with errors that name the option. */
import { createHash } from "node:crypto";

/** A date "YYYY-MM-DD" (UTC) or an ISO timestamp, as unix seconds; `endOfDay` makes a bare date inclusive. */
export function parseDate(v: string, option: string, endOfDay = false): number {
  const bare = /^\d{4}-\d{2}-\d{2}$/.test(v);
  const ms = Date.parse(bare ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(ms)) throw new Error(`${option} must be a date YYYY-MM-DD or an ISO time, not "${v}"`);
  return Math.floor(ms / 1000) + (bare && endOfDay ? 86_399 : 0);
}

/** Chooses k of n indices, deterministically from a seed (a partial Fisher-Yates shuffle driven by SHA-256). */
export function samplePicker(seed: string): (n: number, k: number) => number[] {
  return (n, k) => {
    const idx = Array.from({ length: n }, (_, i) => i);
    let counter = 0;
    const next = (bound: number) => {
      const h = createHash("sha256").update(`${seed}:${counter++}`).digest();
      return h.readUInt32BE(0) % bound;
    };
    for (let i = 0; i < k; i++) {
      const j = i + next(n - i);
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    return idx.slice(0, k).sort((a, b) => a - b);
  };
}
