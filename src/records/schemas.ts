/**
 * The records a node attests, one schema per category, and their validation. Every field is checked before
 * anything is written; an error names the field path and the rule, e.g.
 * `mortgages[2].expiresOn: must be on or after registeredOn (2024-03-01)`.
 * Money is in fen (0.01 CNY) as a decimal string or integer; dates are "YYYY-MM-DD".
 */
import { isAddress } from "ethers";
import { validateUscc } from "../uscc.js";
import { Category, parseCategory } from "./categories.js";

export const SCHEMA_VERSION = 1;
export const MAX_TEXT = 200;
export const MAX_MORTGAGES = 64;

export const ENTERPRISE_TYPES = [
  "limited-liability",
  "joint-stock",
  "sole-proprietorship",
  "partnership",
  "state-owned",
  "collective",
  "foreign-invested",
  "individual-business",
  "cooperative",
  "other",
] as const;
export const OPERATING_STATUSES = ["active", "suspended", "revoked", "deregistered"] as const;
export const TAX_GRADES = ["A", "B", "M", "C", "D"] as const;
export const EMPLOYEE_BANDS = ["0-9", "10-49", "50-299", "300-999", "1000+"] as const;
export const REVENUE_BANDS = ["<1M", "1M-10M", "10M-100M", "100M-1B", ">1B"] as const;
export const COLLATERAL_KINDS = ["real-estate", "equipment", "receivables", "equity", "intellectual-property", "other"] as const;
export const PLEDGE_STATUSES = ["registered", "released", "cancelled"] as const;

export interface BasicInfo {
  category: Category.BasicInfo;
  enterprise: string;
  name: string;
  legalRepresentative: string;
  registeredCapitalFen: bigint;
  currency: string;
  establishedOn: string;
  address: string;
  /** GB/T 4754 industry: section letter and 2-4 digits, e.g. "C3311". */
  industryCode: string;
  enterpriseType: (typeof ENTERPRISE_TYPES)[number];
  /** Account that signs authorizations and objections for the enterprise (zero address if none). */
  signer: string;
}

export interface OperatingStatus {
  category: Category.OperatingStatus;
  enterprise: string;
  status: (typeof OPERATING_STATUSES)[number];
  abnormalListed: boolean;
  /** Date of the abnormal-operation listing ("" when not listed). */
  abnormalSince: string;
  abnormalReason: string;
  /** Tax credit grade, or "" when not rated. */
  taxCreditGrade: (typeof TAX_GRADES)[number] | "";
  employeeBand: (typeof EMPLOYEE_BANDS)[number];
  revenueBand: (typeof REVENUE_BANDS)[number];
  asOf: string;
}

export interface Pledge {
  collateralKind: (typeof COLLATERAL_KINDS)[number];
  amountFen: bigint;
  securedCreditor: string;
  registeredOn: string;
  expiresOn: string;
  status: (typeof PLEDGE_STATUSES)[number];
}

export interface FinancingMortgage {
  category: Category.FinancingMortgage;
  enterprise: string;
  loansOutstandingFen: bigint;
  asOf: string;
  mortgages: Pledge[];
}

export type CreditRecord = BasicInfo | OperatingStatus | FinancingMortgage;

/** A record field breaks a rule; `field` is its path. */
export class RecordValidationError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${field}: ${rule}`);
    this.name = "RecordValidationError";
  }
}

type Obj = Record<string, unknown>;

function text(o: Obj, field: string, path = field, opts: { allowEmpty?: boolean } = {}): string {
  const v = o[field];
  if (typeof v !== "string") throw new RecordValidationError(path, "must be a string");
  const s = v.normalize("NFC").trim();
  if (!opts.allowEmpty && s.length === 0) throw new RecordValidationError(path, "must not be empty");
  if (s.length > MAX_TEXT) throw new RecordValidationError(path, `must be at most ${MAX_TEXT} characters`);
  return s;
}

function oneOf<T extends string>(o: Obj, field: string, allowed: readonly T[], path = field): T {
  const v = o[field];
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v))
    throw new RecordValidationError(path, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`);
  return v as T;
}

function fen(o: Obj, field: string, path = field): bigint {
  const v = o[field];
  let n: bigint;
  if (typeof v === "bigint") n = v;
  else if (typeof v === "number" && Number.isSafeInteger(v)) n = BigInt(v);
  else if (typeof v === "string" && /^\d+$/.test(v)) n = BigInt(v);
  else throw new RecordValidationError(path, "must be a whole number of fen (integer or decimal string)");
  if (n < 0n) throw new RecordValidationError(path, "must not be negative");
  if (n >= 1n << 128n) throw new RecordValidationError(path, "is too large");
  return n;
}

/** Checks "YYYY-MM-DD" is a real calendar date between 1949-10-01 and 2199-12-31. */
export function checkDate(v: unknown, path: string): string {
  if (typeof v !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new RecordValidationError(path, "must be a date YYYY-MM-DD");
  const d = new Date(`${v}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) throw new RecordValidationError(path, `${v} is not a calendar date`);
  if (v < "1949-10-01" || v > "2199-12-31") throw new RecordValidationError(path, "must be between 1949-10-01 and 2199-12-31");
  return v;
}

function enterprise(o: Obj): string {
  const v = o.enterprise;
  if (typeof v !== "string") throw new RecordValidationError("enterprise", "must be an 18-character USCC");
  try {
    validateUscc(v);
  } catch (e) {
    throw new RecordValidationError("enterprise", (e as Error).message);
  }
  return v;
}

function known(o: Obj, fields: readonly string[], prefix = ""): void {
  for (const k of Object.keys(o)) if (!fields.includes(k)) throw new RecordValidationError(prefix + k, "is not a field of this schema");
}

/** Validates a record (its `category` names the schema) and returns it normalised and typed. */
export function validateRecord(input: unknown): CreditRecord {
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw new RecordValidationError("(record)", "must be an object");
  const o = input as Obj;
  let category: Category;
  try {
    category = parseCategory(o.category);
  } catch (e) {
    throw new RecordValidationError("category", (e as Error).message);
  }
  switch (category) {
    case Category.BasicInfo: {
      known(o, ["category", "enterprise", "name", "legalRepresentative", "registeredCapitalFen", "currency", "establishedOn", "address", "industryCode", "enterpriseType", "signer"]);
      const currency = text(o, "currency");
      if (!/^[A-Z]{3}$/.test(currency)) throw new RecordValidationError("currency", "must be a 3-letter ISO 4217 code such as CNY");
      const industryCode = text(o, "industryCode");
      if (!/^[A-T]\d{2,4}$/.test(industryCode)) throw new RecordValidationError("industryCode", "must be a GB/T 4754 code: a section letter A-T and 2-4 digits, e.g. C3311");
      const signer = o.signer === undefined ? "0x0000000000000000000000000000000000000000" : o.signer;
      if (typeof signer !== "string" || !isAddress(signer)) throw new RecordValidationError("signer", "must be a 0x-prefixed account address");
      return {
        category,
        enterprise: enterprise(o),
        name: text(o, "name"),
        legalRepresentative: text(o, "legalRepresentative"),
        registeredCapitalFen: fen(o, "registeredCapitalFen"),
        currency,
        establishedOn: checkDate(o.establishedOn, "establishedOn"),
        address: text(o, "address"),
        industryCode,
        enterpriseType: oneOf(o, "enterpriseType", ENTERPRISE_TYPES),
        signer,
      };
    }
    case Category.OperatingStatus: {
      known(o, ["category", "enterprise", "status", "abnormalListed", "abnormalSince", "abnormalReason", "taxCreditGrade", "employeeBand", "revenueBand", "asOf"]);
      if (typeof o.abnormalListed !== "boolean") throw new RecordValidationError("abnormalListed", "must be true or false");
      const asOf = checkDate(o.asOf, "asOf");
      let abnormalSince = "";
      let abnormalReason = "";
      if (o.abnormalListed) {
        abnormalSince = checkDate(o.abnormalSince, "abnormalSince");
        if (abnormalSince > asOf) throw new RecordValidationError("abnormalSince", `must be on or before asOf (${asOf})`);
        abnormalReason = text(o, "abnormalReason");
      } else if ((o.abnormalSince ?? "") !== "" || (o.abnormalReason ?? "") !== "") {
        throw new RecordValidationError("abnormalSince", "must be empty when abnormalListed is false");
      }
      const grade = o.taxCreditGrade ?? "";
      if (grade !== "" && !(TAX_GRADES as readonly unknown[]).includes(grade))
        throw new RecordValidationError("taxCreditGrade", `must be one of ${TAX_GRADES.join(", ")} or "" (not rated)`);
      return {
        category,
        enterprise: enterprise(o),
        status: oneOf(o, "status", OPERATING_STATUSES),
        abnormalListed: o.abnormalListed,
        abnormalSince,
        abnormalReason,
        taxCreditGrade: grade as OperatingStatus["taxCreditGrade"],
        employeeBand: oneOf(o, "employeeBand", EMPLOYEE_BANDS),
        revenueBand: oneOf(o, "revenueBand", REVENUE_BANDS),
        asOf,
      };
    }
    case Category.FinancingMortgage: {
      known(o, ["category", "enterprise", "loansOutstandingFen", "asOf", "mortgages"]);
      const list = o.mortgages ?? [];
      if (!Array.isArray(list)) throw new RecordValidationError("mortgages", "must be a list");
      if (list.length > MAX_MORTGAGES) throw new RecordValidationError("mortgages", `must have at most ${MAX_MORTGAGES} entries`);
      const mortgages = list.map((raw, i): Pledge => {
        const p = `mortgages[${i}].`;
        if (typeof raw !== "object" || raw === null) throw new RecordValidationError(`mortgages[${i}]`, "must be an object");
        const m = raw as Obj;
        known(m, ["collateralKind", "amountFen", "securedCreditor", "registeredOn", "expiresOn", "status"], p);
        const registeredOn = checkDate(m.registeredOn, p + "registeredOn");
        const expiresOn = checkDate(m.expiresOn, p + "expiresOn");
        if (expiresOn < registeredOn) throw new RecordValidationError(p + "expiresOn", `must be on or after registeredOn (${registeredOn})`);
        const amountFen = fen(m, "amountFen", p + "amountFen");
        if (amountFen === 0n) throw new RecordValidationError(p + "amountFen", "must be positive");
        return {
          collateralKind: oneOf(m, "collateralKind", COLLATERAL_KINDS, p + "collateralKind"),
          amountFen,
          securedCreditor: text(m, "securedCreditor", p + "securedCreditor"),
          registeredOn,
          expiresOn,
          status: oneOf(m, "status", PLEDGE_STATUSES, p + "status"),
        };
      });
      return { category, enterprise: enterprise(o), loansOutstandingFen: fen(o, "loansOutstandingFen"), asOf: checkDate(o.asOf, "asOf"), mortgages };
    }
  }
}

/** The record as JSON (fen amounts as decimal strings), as files and stores keep it. */
export function recordToJson(r: CreditRecord): string {
  return JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}
