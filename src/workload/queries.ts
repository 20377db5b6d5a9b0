/**
 * The year's queries. Served queries are numbered s = 0 … Q-1 in time order; refused attempts (no, expired
 * or revoked authorization) are interleaved, ceil(s·F/Q) of them before served query s, so their number F is
 * exact. Served query s delivers floor((s+1)·R/Q) − floor(s·R/Q) reports, so the year has exactly R reports
 * (3 or 4 each for the 2024 ratio of 3.95). Queries are drawn in blocks, each from its own stream, in order.
 */
import { createHash } from "node:crypto";
import { keccak256Bytes } from "../hash/keccak.js";
import { hashLeaf } from "../merkle/rfc6962.js";
import { Random, WeightedPicker } from "../random.js";
import { LOG_ENTRY_VERSION, QueryOutcome } from "../query/log-entry.js";
import { usccBytes } from "../ledger/leaf.js";
import type { Population } from "./enterprises.js";
import type { YearProfile } from "./time.js";

export interface QueryPlan {
  served: number;
  refused: number;
  reports: number;
}

export interface GeneratedQuery {
  /** Attempt number in the year (served and refused together, in time order). */
  attempt: number;
  /** Served query number, or -1 for a refused attempt. */
  served: number;
  enterprise: string;
  city: number;
  enterpriseIndex: number;
  institution: number;
  servingNode: number;
  purpose: number;
  categories: number;
  time: number;
  outcome: QueryOutcome;
  reason: number;
  reports: number;
  authorizationId: Uint8Array;
  /** Digests of the delivered reports (synthetic: keccak of a seed secret, the attempt and the report number). */
  reportDigests: Uint8Array[];
  reportsDigest: Uint8Array;
}

export function refusedBefore(s: number, plan: QueryPlan): number {
  return plan.refused === 0 ? 0 : Math.ceil((s * plan.refused) / plan.served);
}

export function reportsOf(s: number, plan: QueryPlan): number {
  return Math.floor(((s + 1) * plan.reports) / plan.served) - Math.floor((s * plan.reports) / plan.served);
}

/** Shares of purposes: credit approval, post-loan management, guarantee review, supply-chain finance. */
const PURPOSES = new WeightedPicker([0.55, 0.3, 0.1, 0.05]);

export interface QueryModel {
  seed: string;
  plan: QueryPlan;
  population: Population;
  profile: YearProfile;
  /** institution id (1-based) → its sponsor node's city number (index into population.cities). */
  institutionCity: readonly number[];
  institutionZipf: number;
  crossCityShare: number;
  enterpriseShares: readonly number[];
  /** city number → node ids of the city, in node order. */
  cityNodes: readonly number[][];
}

/** Draws served queries [from, to) and the refused attempts among them, in attempt order. */
export function generateQueryBlock(m: QueryModel, block: number, from: number, to: number): GeneratedQuery[] {
  return [...generateQueries(m, block, from, to)];
}

/** `generateQueryBlock` one query at a time: a consumer that keeps only what it needs of each holds no block. */
export function* generateQueries(m: QueryModel, block: number, from: number, to: number): Generator<GeneratedQuery> {
  const rng = new Random(`${m.seed}/queries/${block}`);
  const institutions = new WeightedPicker(m.institutionCity.map((_, k) => (k === 0 ? 0 : 1 / Math.pow(k, m.institutionZipf))));
  const cities = new WeightedPicker(m.enterpriseShares);
  const secret = createHash("sha256").update(`${m.seed}/reports`).digest();
  // scratch inputs, reused for every query (the hashes are fresh arrays)
  const authInput = new Uint8Array(18 + 4 + 4 + 4);
  const authView = new DataView(authInput.buffer);
  const reportInput = new Uint8Array(40);
  reportInput.set(secret);
  const reportView = new DataView(reportInput.buffer);
  for (let s = from; s < to; s++) {
    const refusedHere = refusedBefore(s + 1, m.plan) - refusedBefore(s, m.plan);
    for (let k = 0; k < refusedHere + 1; k++) {
      const served = k === refusedHere ? s : -1;
      const attempt = s + refusedBefore(s, m.plan) + k;
      const institution = institutions.pick(rng);
      const home = m.institutionCity[institution];
      let city = home;
      if (rng.nextFloat() < m.crossCityShare) while (city === home && m.enterpriseShares.length > 1) city = cities.pick(rng);
      const enterpriseIndex = Math.floor(rng.nextFloat() * m.population.counts[city]);
      const enterprise = m.population.code(city, enterpriseIndex);
      const nodes = m.cityNodes[city];
      const purpose = 1 + PURPOSES.pick(rng);
      const categories = m.population.hasFinancing(city, enterpriseIndex) ? 0b1110 : 0b0110;
      const reports = served >= 0 ? reportsOf(served, m.plan) : 0;
      authInput.set(usccBytes(enterprise));
      authView.setUint32(18, institution);
      authView.setUint32(22, purpose);
      authView.setUint32(26, attempt);
      const authorizationId = keccak256Bytes(authInput);
      let reportsDigest: Uint8Array = new Uint8Array(32);
      const reportDigests: Uint8Array[] = [];
      if (reports > 0) {
        // keccak256(abi.encode(bytes32[] reportDigests)), as the QueryDesk stores a fulfilment; the digests
        // themselves are views into this one buffer (one allocation per query, not one per report)
        const buf = new Uint8Array(64 + 32 * reports);
        buf[31] = 0x20;
        buf[63] = reports;
        reportView.setUint32(32, attempt);
        for (let r = 0; r < reports; r++) {
          reportView.setUint32(36, r);
          buf.set(keccak256Bytes(reportInput), 64 + 32 * r);
          reportDigests.push(buf.subarray(64 + 32 * r, 96 + 32 * r));
        }
        reportsDigest = keccak256Bytes(buf);
      }
      yield {
        attempt,
        served,
        enterprise,
        city,
        enterpriseIndex,
        institution,
        servingNode: nodes[enterpriseIndex % nodes.length],
        purpose,
        categories,
        time: m.profile.timeAt((attempt + 0.5) / (m.plan.served + m.plan.refused)),
        outcome: served >= 0 ? QueryOutcome.Fulfilled : QueryOutcome.Refused,
        reason: served >= 0 ? 0 : 1 + (rng.nextU32() % 3),
        reports,
        authorizationId,
        reportDigests,
        reportsDigest,
      };
    }
  }
}

/** Writes the canonical log-entry encoding (src/query/log-entry.ts layout) into `out` (13 zeroed words). */
function writeGeneratedEntry(out: Uint8Array, dv: DataView, q: GeneratedQuery, sequence: number): void {
  const u = (word: number, v: number) => {
    dv.setUint32(word * 32 + 28, v >>> 0);
    dv.setUint32(word * 32 + 24, Math.floor(v / 4294967296));
  };
  u(0, LOG_ENTRY_VERSION);
  u(1, sequence);
  out.set(usccBytes(q.enterprise), 2 * 32);
  u(3, q.institution);
  u(4, q.servingNode);
  u(5, q.purpose);
  u(6, q.categories);
  out.set(q.authorizationId, 7 * 32);
  u(8, q.time);
  u(9, q.outcome);
  u(10, q.reason);
  out.set(q.reportsDigest, 11 * 32);
  // word 12 stays 0: not a live QueryDesk query
}

/** The canonical log-entry encoding (src/query/log-entry.ts layout) written directly: 13 words. */
export function encodeGeneratedEntry(q: GeneratedQuery, sequence: number): Uint8Array {
  const out = new Uint8Array(13 * 32);
  writeGeneratedEntry(out, new DataView(out.buffer), q, sequence);
  return out;
}

/** One scratch entry for leaf hashes (hashed at once, never kept): no allocation per entry. */
const scratch = new Uint8Array(13 * 32);
const scratchView = new DataView(scratch.buffer);

export function generatedLeafHash(q: GeneratedQuery, sequence: number): Uint8Array {
  scratch.fill(0);
  writeGeneratedEntry(scratch, scratchView, q, sequence);
  return hashLeaf(scratch);
}
