/** The workload model of a replay (seeds/workload-2024.json), validated like every seed file. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SeedError, loadSeeds, seedsDir, type Seeds } from "../seeds.js";

export interface WorkloadConfig {
  /** City code → share of enterprises (normalised to sum 1), in seeds/cities.json order. */
  enterpriseShares: Map<string, number>;
  financingShare: number;
  correctionShare: number;
  revocationShare: number;
  objectionShare: number;
  crossCityShare: number;
  refusedShare: number;
  institutionZipf: number;
  holidays: Set<string>;
  makeUpWorkdays: Set<string>;
}

const FILE = "workload-2024.json";

function share(root: Record<string, unknown>, field: string, max = 1): number {
  const v = (root[field] as { value?: unknown } | undefined)?.value;
  if (typeof v !== "number" || !(v >= 0 && v <= max)) throw new SeedError(FILE, `${field}.value`, `must be a number in [0, ${max}]`);
  return v;
}

function dates(v: unknown, field: string): Set<string> {
  if (!Array.isArray(v) || !v.every((d) => typeof d === "string" && /^2024-\d{2}-\d{2}$/.test(d)))
    throw new SeedError(FILE, field, "must be a list of 2024 dates YYYY-MM-DD");
  return new Set(v as string[]);
}

export function loadWorkloadConfig(seeds: Seeds = loadSeeds(), dir: string = seedsDir()): WorkloadConfig {
  let root: Record<string, unknown>;
  try {
    root = JSON.parse(readFileSync(join(dir, FILE), "utf8"));
  } catch (e) {
    throw new SeedError(FILE, "(file)", `cannot be read as JSON: ${(e as Error).message}`);
  }
  const weights = (root.enterpriseShares as { weights?: Record<string, unknown> } | undefined)?.weights;
  if (!weights || typeof weights !== "object") throw new SeedError(FILE, "enterpriseShares.weights", "must be an object of city code → weight");
  const shares = new Map<string, number>();
  let total = 0;
  for (const c of seeds.cities) {
    const w = weights[c.code];
    if (typeof w !== "number" || !(w > 0)) throw new SeedError(FILE, `enterpriseShares.weights.${c.code}`, `must be a positive number (city ${c.nameEn})`);
    total += w;
  }
  for (const k of Object.keys(weights))
    if (!seeds.cities.some((c) => c.code === k)) throw new SeedError(FILE, `enterpriseShares.weights.${k}`, "unknown city (not in cities.json)");
  for (const c of seeds.cities) shares.set(c.code, (weights[c.code] as number) / total);
  const profile = root.timeProfile as Record<string, unknown> | undefined;
  if (!profile) throw new SeedError(FILE, "timeProfile", "is missing");
  return {
    enterpriseShares: shares,
    financingShare: share(root, "financingShare"),
    correctionShare: share(root, "correctionShare"),
    revocationShare: share(root, "revocationShare"),
    objectionShare: share(root, "objectionShare"),
    crossCityShare: share(root, "crossCityShare"),
    refusedShare: share(root, "refusedShare", 0.5),
    institutionZipf: share(root, "institutionZipf", 5),
    holidays: dates(profile.holidays, "timeProfile.holidays"),
    makeUpWorkdays: dates(profile.makeUpWorkdays, "timeProfile.makeUpWorkdays"),
  };
}

/** Splits `total` into integer parts proportional to `weights` (largest remainder; exact sum). */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const raw = weights.map((w) => (total * w) / sum);
  const out = raw.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) if (left-- > 0) out[i]++;
  return out;
}
