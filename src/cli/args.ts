/** Parsing of command-line values shared by the scripts, with errors that name the option and the rule. */
import { createHash } from "node:crypto";

const BARE_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))$/;

/** Why "YYYY-MM-DD" parts are not a calendar date, or undefined when they are one. */
function calendarProblem(y: number, m: number, d: number): string | undefined {
  if (m < 1 || m > 12) return `month ${m}`;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  if (d < 1 || d > days) return `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")} has ${days} days`;
  return undefined;
}

/**
 * A date "YYYY-MM-DD" (UTC) or an ISO time ("2024-05-01T08:00:00Z", "…+08:00"), as unix seconds; `endOfDay`
 * makes a bare date inclusive. The date must be a calendar date and the time a time of day: JavaScript's
 * `Date.parse` reads 2024-02-30 as 1 March, which would silently widen or shift the range.
 */
export function parseDate(v: string, option: string, endOfDay = false): number {
  const bare = BARE_DATE.exec(v);
  const time = bare ? undefined : ISO_TIME.exec(v);
  const parts = bare ?? time;
  if (!parts) throw new Error(`${option} ${v}: must be a date YYYY-MM-DD or an ISO time such as 2024-05-01T08:00:00Z`);
  const bad = calendarProblem(Number(parts[1]), Number(parts[2]), Number(parts[3]));
  if (bad) throw new Error(`${option} ${v}: not a calendar date (${bad})`);
  if (time) {
    const [h, min, s, zh, zm] = [time[4], time[5], time[6] ?? "0", time[8] ?? "0", time[9] ?? "0"].map(Number);
    if (h > 23) throw new Error(`${option} ${v}: not a time of day (hour ${h})`);
    if (min > 59) throw new Error(`${option} ${v}: not a time of day (minute ${min})`);
    if (s > 59) throw new Error(`${option} ${v}: not a time of day (second ${s})`);
    if (zh > 14 || zm > 59) throw new Error(`${option} ${v}: not a UTC offset (${time[7]})`);
  }
  const ms = Date.parse(bare ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(ms)) throw new Error(`${option} ${v}: must be a date YYYY-MM-DD or an ISO time such as 2024-05-01T08:00:00Z`);
  return Math.floor(ms / 1000) + (bare && endOfDay ? 86_399 : 0);
}

/**
 * `--from` and `--to` (either may be empty: no bound) as unix seconds, `--to` inclusive; refuses a range that
 * ends before it starts, which could match nothing.
 */
export function parseDateRange(from: string, to: string): { from?: number; to?: number } {
  const f = from ? parseDate(from, "--from") : undefined;
  const t = to ? parseDate(to, "--to", true) : undefined;
  if (f !== undefined && t !== undefined && f > t) throw new Error(`--from ${from} is after --to ${to}: no row can match`);
  return { from: f, to: t };
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
