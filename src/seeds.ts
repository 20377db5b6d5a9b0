/**
 * Seed data: the connected cities, the consortium's nodes and the 2024 volume targets.
 * Every seed file is read through one validator so that a corrupt seed stops a script before anything is
 * deployed, with an error naming the file, the field and the broken rule.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The seeds/ folder of this project. */
export const SEEDS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "seeds");

/** The seed folder in use: YRD_SEEDS_DIR when set (to try other seeds), else the project's seeds/. */
export function seedsDir(): string {
  return process.env.YRD_SEEDS_DIR ?? SEEDS_DIR;
}

export interface City {
  /** 6-digit GB/T 2260 administrative-division code of the city, e.g. "320100" for Nanjing. */
  code: string;
  /** Division-code prefix that maps a USCC's characters 3-8 to this city ("31" for Shanghai, "3201" for Nanjing). */
  prefix: string;
  nameZh: string;
  nameEn: string;
  province: string;
  /** True when the city is named in published sources; false when it is our modelling choice. */
  published: boolean;
}

export interface NodeSeed {
  /** Stable text id, e.g. "sh-1". Its position in the file (1-based) is the on-chain node id. */
  id: string;
  /** Division code of the node's city. */
  city: string;
  /** Role of the operating credit agency (not a real company name). */
  operator: string;
}

export interface Volumes {
  source: string;
  asOf: string;
  cities: number;
  nodes: number;
  enterprises: number;
  reports: number;
  queries: number;
  institutions: number;
}

/** Kinds of institution, in the order of the registry contract's `InstitutionKind` enum. */
export const INSTITUTION_KINDS = ["bank", "guarantee", "microloan", "other"] as const;
export type InstitutionKindName = (typeof INSTITUTION_KINDS)[number];

export interface InstitutionMix {
  source: string;
  kinds: { kind: InstitutionKindName; share: number }[];
}

export interface Seeds {
  cities: City[];
  nodes: NodeSeed[];
  volumes: Volumes;
  institutions: InstitutionMix;
}

/** A seed file broke a rule: names the file, the field (JSON path) and the rule. */
export class SeedError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly rule: string,
  ) {
    super(`seed ${file}: ${field}: ${rule}`);
    this.name = "SeedError";
  }
}

type Json = unknown;

function readJson(dir: string, file: string): Json {
  let text: string;
  try {
    text = readFileSync(join(dir, file), "utf8");
  } catch (e) {
    throw new SeedError(file, "(file)", `cannot be read: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SeedError(file, "(file)", `is not valid JSON: ${(e as Error).message}`);
  }
}

function obj(file: string, field: string, v: Json): Record<string, Json> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new SeedError(file, field, "must be an object");
  return v as Record<string, Json>;
}

function str(file: string, field: string, v: Json, pattern?: RegExp, patternRule?: string): string {
  if (typeof v !== "string" || v.length === 0) throw new SeedError(file, field, "must be a non-empty string");
  if (pattern && !pattern.test(v)) throw new SeedError(file, field, patternRule ?? `must match ${pattern}`);
  return v;
}

function posInt(file: string, field: string, v: Json): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v <= 0) throw new SeedError(file, field, "must be a positive integer");
  return v;
}

function arr(file: string, field: string, v: Json): Json[] {
  if (!Array.isArray(v)) throw new SeedError(file, field, "must be an array");
  return v;
}

const PROVINCES = new Set(["Shanghai", "Jiangsu", "Zhejiang", "Anhui"]);

/** Validates the parsed contents of cities.json. */
export function validateCities(json: Json, file = "cities.json"): City[] {
  const root = obj(file, "$", json);
  str(file, "source", root.source);
  const list = arr(file, "cities", root.cities);
  const seenCodes = new Set<string>();
  const seenPrefixes: string[] = [];
  const cities = list.map((raw, i): City => {
    const at = `cities[${i}]`;
    const c = obj(file, at, raw);
    const code = str(file, `${at}.code`, c.code, /^[1-9]\d{5}$/, "must be a 6-digit GB/T 2260 division code");
    const prefix = str(file, `${at}.prefix`, c.prefix, /^(\d{2}|\d{4})$/, "must be 2 or 4 digits");
    if (!code.startsWith(prefix)) throw new SeedError(file, `${at}.prefix`, `must be a prefix of code ${code}`);
    if (code.slice(prefix.length).replace(/0/g, "") !== "") throw new SeedError(file, `${at}.code`, `must be its prefix ${prefix} padded with zeros`);
    if (seenCodes.has(code)) throw new SeedError(file, `${at}.code`, `duplicate city code ${code}`);
    for (const p of seenPrefixes)
      if (p.startsWith(prefix) || prefix.startsWith(p)) throw new SeedError(file, `${at}.prefix`, `prefix ${prefix} overlaps prefix ${p} of another city`);
    seenCodes.add(code);
    seenPrefixes.push(prefix);
    const province = str(file, `${at}.province`, c.province);
    if (!PROVINCES.has(province)) throw new SeedError(file, `${at}.province`, `must be one of ${[...PROVINCES].join(", ")} (a YRD province)`);
    if (typeof c.published !== "boolean") throw new SeedError(file, `${at}.published`, "must be true or false");
    return {
      code,
      prefix,
      nameZh: str(file, `${at}.nameZh`, c.nameZh),
      nameEn: str(file, `${at}.nameEn`, c.nameEn),
      province,
      published: c.published,
    };
  });
  return cities;
}

/** Validates nodes.json against the cities. */
export function validateNodes(json: Json, cities: readonly City[], file = "nodes.json"): NodeSeed[] {
  const root = obj(file, "$", json);
  str(file, "source", root.source);
  const list = arr(file, "nodes", root.nodes);
  const cityCodes = new Set(cities.map((c) => c.code));
  const ids = new Set<string>();
  const nodes = list.map((raw, i): NodeSeed => {
    const at = `nodes[${i}]`;
    const n = obj(file, at, raw);
    const id = str(file, `${at}.id`, n.id, /^[a-z0-9-]{1,32}$/, "must be 1-32 characters of a-z, 0-9 and '-'");
    if (ids.has(id)) throw new SeedError(file, `${at}.id`, `duplicate node id ${id}`);
    ids.add(id);
    const city = str(file, `${at}.city`, n.city);
    if (!cityCodes.has(city)) throw new SeedError(file, `${at}.city`, `unknown city ${city} (not in cities.json)`);
    return { id, city, operator: str(file, `${at}.operator`, n.operator) };
  });
  for (const c of cities) if (!nodes.some((n) => n.city === c.code)) throw new SeedError(file, "nodes", `city ${c.code} (${c.nameEn}) has no node`);
  return nodes;
}

/** Validates volumes-2024.json. */
export function validateVolumes(json: Json, file = "volumes-2024.json"): Volumes {
  const v = obj(file, "$", json);
  return {
    source: str(file, "source", v.source),
    asOf: str(file, "asOf", v.asOf, /^\d{4}-\d{2}-\d{2}$/, "must be a date YYYY-MM-DD"),
    cities: posInt(file, "cities", v.cities),
    nodes: posInt(file, "nodes", v.nodes),
    enterprises: posInt(file, "enterprises", v.enterprises),
    reports: posInt(file, "reports", v.reports),
    queries: posInt(file, "queries", v.queries),
    institutions: posInt(file, "institutions", v.institutions),
  };
}

/** Validates institutions.json: each kind once, shares in (0, 1] summing to 1. */
export function validateInstitutionMix(json: Json, file = "institutions.json"): InstitutionMix {
  const root = obj(file, "$", json);
  const source = str(file, "source", root.source);
  const seen = new Set<string>();
  let total = 0;
  const kinds = arr(file, "kinds", root.kinds).map((raw, i) => {
    const at = `kinds[${i}]`;
    const k = obj(file, at, raw);
    const kind = str(file, `${at}.kind`, k.kind);
    if (!(INSTITUTION_KINDS as readonly string[]).includes(kind)) throw new SeedError(file, `${at}.kind`, `must be one of ${INSTITUTION_KINDS.join(", ")}`);
    if (seen.has(kind)) throw new SeedError(file, `${at}.kind`, `duplicate kind ${kind}`);
    seen.add(kind);
    const share = k.share;
    if (typeof share !== "number" || !(share > 0 && share <= 1)) throw new SeedError(file, `${at}.share`, "must be a number in (0, 1]");
    total += share;
    return { kind: kind as InstitutionKindName, share };
  });
  if (kinds.length === 0) throw new SeedError(file, "kinds", "must not be empty");
  if (Math.abs(total - 1) > 1e-9) throw new SeedError(file, "kinds", `shares must sum to 1, they sum to ${total}`);
  return { source, kinds };
}

/** Validates the seed files together, including their cross-file counts. */
export function validateSeeds(files: { cities: Json; nodes: Json; volumes: Json; institutions: Json }): Seeds {
  const cities = validateCities(files.cities);
  const nodes = validateNodes(files.nodes, cities);
  const volumes = validateVolumes(files.volumes);
  const institutions = validateInstitutionMix(files.institutions);
  if (cities.length !== volumes.cities) throw new SeedError("cities.json", "cities", `has ${cities.length} cities, volumes-2024.json says ${volumes.cities}`);
  if (nodes.length !== volumes.nodes) throw new SeedError("nodes.json", "nodes", `has ${nodes.length} nodes, volumes-2024.json says ${volumes.nodes}`);
  return { cities, nodes, volumes, institutions };
}

/** Reads and validates every seed file in `dir` (default: `seedsDir()`). Throws SeedError. */
export function loadSeeds(dir: string = seedsDir()): Seeds {
  return validateSeeds({
    cities: readJson(dir, "cities.json"),
    nodes: readJson(dir, "nodes.json"),
    volumes: readJson(dir, "volumes-2024.json"),
    institutions: readJson(dir, "institutions.json"),
  });
}
