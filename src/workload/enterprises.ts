/**
 * The enterprise population of a replay: for each city a number of enterprises (its share of the scaled
 * total), each identified by a valid USCC that is a pure function of (seed, city, index), and its three
 * records, generated from the stream of the batch it belongs to. Enterprise i of a city with n nodes is
 * attested and served by the city's node i mod n.
 */
import { Category } from "../records/categories.js";
import { fastEncodeRecord } from "../records/fast-encoding.js";
import {
  EMPLOYEE_BANDS,
  ENTERPRISE_TYPES,
  REVENUE_BANDS,
  TAX_GRADES,
  type BasicInfo,
  type CreditRecord,
  type FinancingMortgage,
  type OperatingStatus,
} from "../records/schemas.js";
import type { Random } from "../random.js";
import type { City } from "../seeds.js";
import { USCC_ALPHABET, usccCheckChar } from "../uscc.js";
import { mix32, streamKey, unit } from "./hash.js";

/** 31^6: the index space scrambled into six organization-code characters (≫ any city's enterprise count). */
const SPACE = 887_503_681;
/** Multiplier coprime to 31^6, so i → i·M mod 31^6 is a bijection: distinct enterprises, distinct codes. */
const SCRAMBLE = 582_350_693;

export class Population {
  private readonly codeKey: number;
  private readonly financeKey: number;
  private readonly correctKey: number;
  private readonly revokeKey: number;
  private readonly objectKey: number;

  constructor(
    readonly seed: string,
    readonly cities: readonly City[],
    /** Enterprises per city, in `cities` order. */
    readonly counts: readonly number[],
    readonly financingShare: number,
    readonly correctionShare: number,
    readonly revocationShare: number,
    readonly objectionShare: number,
  ) {
    this.codeKey = streamKey(seed, "uscc");
    this.financeKey = streamKey(seed, "financing");
    this.correctKey = streamKey(seed, "correction");
    this.revokeKey = streamKey(seed, "revocation");
    this.objectKey = streamKey(seed, "objection");
  }

  /** USCC of enterprise `i` of city number `c`. */
  code(c: number, i: number): string {
    const city = this.cities[c];
    const h = mix32(this.codeKey ^ Math.imul(c + 1, 0x27d4eb2d), i);
    const district = String(1 + (h % 18)).padStart(2, "0");
    const division = city.prefix.length === 2 ? `${city.prefix}01${district}` : `${city.prefix}${district}`;
    let v = Number((BigInt(i) * BigInt(SCRAMBLE)) % BigInt(SPACE));
    let org = "MA";
    for (let k = 0; k < 6; k++) {
      org += USCC_ALPHABET[v % 31];
      v = Math.floor(v / 31);
    }
    org += USCC_ALPHABET[(h >>> 8) % 31];
    const type = (h >>> 16) % 100 < 95 ? "1" : "3";
    const first17 = `9${type}${division}${org}`;
    return first17 + usccCheckChar(first17);
  }

  /** Global index of (city, i): a stable number for every enterprise. */
  private key(c: number, i: number): number {
    return c * SPACE + i;
  }

  hasFinancing(c: number, i: number): boolean {
    return unit(this.financeKey, this.key(c, i)) < this.financingShare;
  }

  isCorrected(c: number, i: number): boolean {
    return unit(this.correctKey, this.key(c, i)) < this.correctionShare;
  }

  /** Revoked (operating status v1, entered in error) — never a corrected one. */
  isRevoked(c: number, i: number): boolean {
    return !this.isCorrected(c, i) && unit(this.revokeKey, this.key(c, i)) < this.revocationShare;
  }

  hasObjection(c: number, i: number): boolean {
    return unit(this.objectKey, this.key(c, i)) < this.objectionShare;
  }

  /** Categories the enterprise has records of. */
  categories(c: number, i: number): Category[] {
    return this.hasFinancing(c, i)
      ? [Category.BasicInfo, Category.OperatingStatus, Category.FinancingMortgage]
      : [Category.BasicInfo, Category.OperatingStatus];
  }
}

const SURNAMES = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu", "Xu", "Sun", "Zhu", "Ma", "Hu", "Guo"];
const GIVEN = ["Wei", "Fang", "Min", "Jing", "Lei", "Qiang", "Yan", "Jun", "Tao", "Ming", "Hui", "Ping", "Gang", "Hong", "Bin", "Xin"];
const STREETS = ["Renmin Rd", "Zhongshan Rd", "Jiefang Rd", "Jianshe Rd", "Hubin Rd", "Changjiang Rd", "Huaihai Rd", "Xinhua Rd"];
const INDUSTRIES = ["C3311", "C3491", "C3971", "F5171", "I6510", "L7212", "E4710", "M7320", "G5430", "C2929", "K7010", "A0141"];
const CREDITORS = [
  "Bank of Jiangsu",
  "Bank of Ningbo",
  "Shanghai Pudong Development Bank",
  "Huishang Bank",
  "Hangzhou Bank",
  "rural commercial bank",
  "guarantee company",
  "financial leasing company",
];
const COLLATERAL = ["real-estate", "equipment", "receivables", "equity", "intellectual-property", "other"] as const;

function isoDate(year: number, dayOfYear: number): string {
  return new Date(Date.UTC(year, 0, 1 + dayOfYear)).toISOString().slice(0, 10);
}

/** The record of `category`, version `version`, of enterprise `code`, drawn from `rng`. */
export function generateRecord(rng: Random, cityName: string, code: string, category: Category, version: number): CreditRecord {
  switch (category) {
    case Category.BasicInfo: {
      const r: BasicInfo = {
        category,
        enterprise: code,
        name: `${cityName} ${code.slice(10, 16)} Co., Ltd.`,
        legalRepresentative: `${rng.pick(SURNAMES)} ${rng.pick(GIVEN)}`,
        registeredCapitalFen: BigInt(rng.int(1, 5000)) * 1_000_000n,
        currency: "CNY",
        establishedOn: isoDate(1995 + rng.int(0, 28), rng.int(0, 364)),
        address: `${rng.int(1, 999)} ${rng.pick(STREETS)}, ${cityName}`,
        industryCode: rng.pick(INDUSTRIES),
        // the type must agree with the code's entity-type character (3 = farmers' co-operative)
        enterpriseType: code[1] === "3" ? "cooperative" : ENTERPRISE_TYPES[rng.nextU32() % 3],
        signer: "0x0000000000000000000000000000000000000000",
      };
      return r;
    }
    case Category.OperatingStatus: {
      const abnormal = rng.nextFloat() < 0.03;
      const r: OperatingStatus = {
        category,
        enterprise: code,
        status: version > 1 ? "suspended" : "active",
        abnormalListed: abnormal,
        abnormalSince: abnormal ? isoDate(2024, rng.int(0, 300)) : "",
        abnormalReason: abnormal ? "annual report not filed" : "",
        taxCreditGrade: rng.nextFloat() < 0.2 ? "" : TAX_GRADES[rng.nextU32() % 5],
        employeeBand: EMPLOYEE_BANDS[rng.nextU32() % 5],
        revenueBand: REVENUE_BANDS[rng.nextU32() % 5],
        asOf: "2024-12-31",
      };
      return r;
    }
    case Category.FinancingMortgage: {
      const n = 1 + (rng.nextU32() % 3);
      const r: FinancingMortgage = {
        category,
        enterprise: code,
        loansOutstandingFen: BigInt(rng.int(1, 100_000)) * 100_000n,
        asOf: "2024-12-31",
        mortgages: Array.from({ length: n }, () => {
          const reg = rng.int(0, 364);
          return {
            collateralKind: COLLATERAL[rng.nextU32() % COLLATERAL.length],
            amountFen: BigInt(rng.int(1, 50_000)) * 100_000n,
            securedCreditor: rng.pick(CREDITORS),
            registeredOn: isoDate(2024, reg),
            expiresOn: isoDate(2025 + rng.int(0, 4), reg),
            status: "registered" as const,
          };
        }),
      };
      return r;
    }
  }
}

/** Canonical encoding of a generated record (the fast writer of the canonical layout). */
export function encodeGenerated(r: CreditRecord): Uint8Array {
  return fastEncodeRecord(r);
}
