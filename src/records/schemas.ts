/**
 * The records a node attests, one schema per category, and their validation. Every field is checked before
 * anything is encoded or written; an error names the field path and the rule, e.g.
 * `mortgages[2].expiresOn: must be on or after registeredOn (2024-03-01)`.
 *
 * Conventions: money is a whole number of fen (0.01 CNY; bigint, or an integer / decimal string on input, below
 * 2^128); dates are "YYYY-MM-DD" real calendar dates from 1900-01-01 to 2199-12-31; text is NFC-normalised and
 * trimmed here, so that `encodeRecord` sees one spelling of every string; enumerations are the string lists below,
 * whose order is part of the encoding (see `encoding.ts`), so new values are only ever appended.
 */
import { getAddress, isAddress, ZeroAddress } from "ethers";
import { parseUscc } from "../uscc.js";
import { Category, parseCategory } from "./categories.js";

/** Version of the schemas below, encoded in every record: bump it when a field is added or its meaning changes. */
export const SCHEMA_VERSION = 1;
/** Longest text field, in UTF-16 code units after normalisation (a 200-character Chinese address is generous). */
export const MAX_TEXT = 200;
/** Most mortgages and pledges in one financing record: keeps one record's encoding, and its gas, bounded. */
export const MAX_MORTGAGES = 64;
/** Money amounts must be below 2^128 fen (they are encoded as uint128). */
export const MAX_FEN = (1n << 128n) - 1n;
export const MIN_DATE = "1900-01-01";
export const MAX_DATE = "2199-12-31";

/** Legal forms of the registered subject (企业类型). */
export const ENTERPRISE_TYPES = [
  "limited-liability", // 有限责任公司
  "joint-stock", // 股份有限公司
  "sole-proprietorship", // 个人独资企业
  "partnership", // 合伙企业
  "state-owned", // 全民所有制企业
  "collective", // 集体所有制企业
  "foreign-invested", // 外商投资企业
  "individual-business", // 个体工商户 (USCC entity type 2)
  "cooperative", // 农民专业合作社 (USCC entity type 3)
  "other",
] as const;
/** 登记状态: in business (存续), suspended (停业), licence revoked (吊销), deregistered (注销). */
export const OPERATING_STATUSES = ["active", "suspended", "revoked", "deregistered"] as const;
/** Tax credit grades (纳税信用级别) of the State Taxation Administration, best first. */
export const TAX_GRADES = ["A", "B", "M", "C", "D"] as const;
export const EMPLOYEE_BANDS = ["0-9", "10-49", "50-299", "300-999", "1000+"] as const;
/** Annual revenue bands in CNY. */
export const REVENUE_BANDS = ["<1M", "1M-10M", "10M-100M", "100M-1B", ">1B"] as const;
export const COLLATERAL_KINDS = ["real-estate", "equipment", "receivables", "equity", "intellectual-property", "other"] as const;
/** Registration status of a mortgage or pledge: registered (登记), released on repayment (注销/解除), cancelled (撤销). */
export const PLEDGE_STATUSES = ["registered", "released", "cancelled"] as const;

/**
 * GB/T 4754-2017 sections and the two-digit divisions each covers (A 01-05 agriculture … C 13-43 manufacturing …
 * T 97 international organizations): an industry code's letter must match its first two digits.
 */
export const INDUSTRY_SECTIONS: Readonly<Record<string, readonly [number, number]>> = {
  A: [1, 5],
  B: [6, 12],
  C: [13, 43],
  D: [44, 46],
  E: [47, 50],
  F: [51, 52],
  G: [53, 60],
  H: [61, 62],
  I: [63, 65],
  J: [66, 69],
  K: [70, 70],
  L: [71, 72],
  M: [73, 75],
  N: [76, 79],
  O: [80, 82],
  P: [83, 83],
  Q: [84, 85],
  R: [86, 90],
  S: [91, 96],
  T: [97, 97],
};

export type EnterpriseType = (typeof ENTERPRISE_TYPES)[number];
export type OperatingStatusCode = (typeof OPERATING_STATUSES)[number];
export type TaxGrade = (typeof TAX_GRADES)[number];
export type EmployeeBand = (typeof EMPLOYEE_BANDS)[number];
export type RevenueBand = (typeof REVENUE_BANDS)[number];
export type CollateralKind = (typeof COLLATERAL_KINDS)[number];
export type PledgeStatus = (typeof PLEDGE_STATUSES)[number];

/** 企业基础信息: the registration facts of the business licence. */
export interface BasicInfo {
  category: Category.BasicInfo;
  /** The enterprise's USCC. */
  enterprise: string;
  name: string;
  legalRepresentative: string;
  registeredCapitalFen: bigint;
  /** ISO 4217 code of the registered capital, e.g. "CNY". */
  currency: string;
  establishedOn: string;
  address: string;
  /** GB/T 4754 industry: section letter and 2-4 digits, e.g. "C3311". */
  industryCode: string;
  enterpriseType: EnterpriseType;
  /** Account that signs authorizations and objections for the enterprise (the zero address if none). */
  signer: string;
}

/** 经营状态: standing with the registry and the tax authority, as of a date. */
export interface OperatingStatus {
  category: Category.OperatingStatus;
  enterprise: string;
  status: OperatingStatusCode;
  /** Listed in the directory of abnormal operations (经营异常名录). */
  abnormalListed: boolean;
  /** Date of the listing ("" when not listed). */
  abnormalSince: string;
  /** Reason of the listing ("" when not listed). */
  abnormalReason: string;
  /** Tax credit grade, or "" when not rated. */
  taxCreditGrade: TaxGrade | "";
  employeeBand: EmployeeBand;
  revenueBand: RevenueBand;
  asOf: string;
}

/** One registered mortgage (抵押) or pledge (质押). */
export interface Pledge {
  collateralKind: CollateralKind;
  amountFen: bigint;
  securedCreditor: string;
  registeredOn: string;
  expiresOn: string;
  status: PledgeStatus;
}

/** 融资抵押信息: loans outstanding and registered security interests, as of a date. */
export interface FinancingMortgage {
  category: Category.FinancingMortgage;
  enterprise: string;
  loansOutstandingFen: bigint;
  asOf: string;
  mortgages: Pledge[];
}

export type CreditRecord = BasicInfo | OperatingStatus | FinancingMortgage;
/** The record type of one category. */
export type RecordOf<C extends Category> = Extract<CreditRecord, { category: C }>;

/** A record field breaks a rule; `field` is its path ("mortgages[2].expiresOn"), `rule` says what is wrong. */
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

const FIELDS: Record<Category, readonly string[]> = {
  [Category.BasicInfo]: [
    "category",
    "enterprise",
    "name",
    "legalRepresentative",
    "registeredCapitalFen",
    "currency",
    "establishedOn",
    "address",
    "industryCode",
    "enterpriseType",
    "signer",
  ],
  [Category.OperatingStatus]: [
    "category",
    "enterprise",
    "status",
    "abnormalListed",
    "abnormalSince",
    "abnormalReason",
    "taxCreditGrade",
    "employeeBand",
    "revenueBand",
    "asOf",
  ],
  [Category.FinancingMortgage]: ["category", "enterprise", "loansOutstandingFen", "asOf", "mortgages"],
};
const PLEDGE_FIELDS = ["collateralKind", "amountFen", "securedCreditor", "registeredOn", "expiresOn", "status"] as const;

/** Normalised text: NFC, trimmed, without control characters, 1-MAX_TEXT long (0 allowed with `allowEmpty`). */
function text(v: unknown, path: string, allowEmpty = false): string {
  if (typeof v !== "string") throw new RecordValidationError(path, "must be a string");
  const s = v.normalize("NFC").trim();
  if (!allowEmpty && s.length === 0) throw new RecordValidationError(path, "must not be empty");
  if (s.length > MAX_TEXT) throw new RecordValidationError(path, `must be at most ${MAX_TEXT} characters, got ${s.length}`);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c < 0xa0))
      throw new RecordValidationError(path, `must not contain control characters (U+${c.toString(16).padStart(4, "0").toUpperCase()} at ${i})`);
    // a high surrogate must be followed by a low one, and a low one preceded by a high one: a lone half (JSON
    // allows "\ud800") is no character and cannot be encoded as UTF-8
    if (c >= 0xd800 && c <= 0xdfff) {
      const paired = c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff;
      if (!paired)
        throw new RecordValidationError(path, `must not contain a lone surrogate (U+${c.toString(16).toUpperCase()} at ${i}): it is not a Unicode character`);
      i++;
    }
  }
  return s;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], path: string): T {
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v))
    throw new RecordValidationError(path, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${JSON.stringify(v)}`);
  return v as T;
}

function fen(v: unknown, path: string): bigint {
  let n: bigint;
  if (typeof v === "bigint") n = v;
  else if (typeof v === "number" && Number.isSafeInteger(v)) n = BigInt(v);
  else if (typeof v === "string" && /^\d{1,40}$/.test(v)) n = BigInt(v);
  else throw new RecordValidationError(path, "must be a whole number of fen (integer or decimal string)");
  if (n < 0n) throw new RecordValidationError(path, "must not be negative");
  if (n > MAX_FEN) throw new RecordValidationError(path, "must be below 2^128 fen");
  return n;
}

/** Checks that `v` is "YYYY-MM-DD", a real calendar date between MIN_DATE and MAX_DATE, and returns it. */
export function checkDate(v: unknown, path: string): string {
  if (typeof v !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new RecordValidationError(path, `must be a date YYYY-MM-DD, got ${JSON.stringify(v)}`);
  const d = new Date(`${v}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) throw new RecordValidationError(path, `${v} is not a calendar date`);
  if (v < MIN_DATE || v > MAX_DATE) throw new RecordValidationError(path, `must be between ${MIN_DATE} and ${MAX_DATE}`);
  return v;
}

function known(o: Obj, fields: readonly string[], prefix = ""): void {
  for (const k of Object.keys(o)) if (!fields.includes(k)) throw new RecordValidationError(prefix + k, "is not a field of this schema");
}

function object(v: unknown, path: string): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new RecordValidationError(path, "must be an object");
  return v as Obj;
}

/** USCC entity type (position 2) of market-regulation codes → the enterprise types it allows. */
function checkEnterpriseType(uscc: string, type: EnterpriseType): void {
  if (uscc[0] !== "9") return;
  const required = uscc[1] === "2" ? "individual-business" : uscc[1] === "3" ? "cooperative" : undefined;
  if (required !== undefined && type !== required)
    throw new RecordValidationError("enterpriseType", `must be "${required}" for a USCC of entity type ${uscc[1]} (${uscc})`);
  if (required === undefined && (type === "individual-business" || type === "cooperative"))
    throw new RecordValidationError("enterpriseType", `"${type}" needs a USCC of entity type ${type === "cooperative" ? 3 : 2}, ${uscc} is of type ${uscc[1]}`);
}

function validateBasicInfo(o: Obj): BasicInfo {
  const enterprise = enterpriseCode(o.enterprise);
  const currency = text(o.currency, "currency");
  if (!/^[A-Z]{3}$/.test(currency))
    throw new RecordValidationError("currency", `must be a 3-letter ISO 4217 code such as CNY, got ${JSON.stringify(currency)}`);
  const industryCode = text(o.industryCode, "industryCode");
  if (!/^[A-T]\d{2,4}$/.test(industryCode))
    throw new RecordValidationError(
      "industryCode",
      `must be a GB/T 4754 code: a section letter A-T and 2-4 digits, e.g. C3311, got ${JSON.stringify(industryCode)}`,
    );
  const [lo, hi] = INDUSTRY_SECTIONS[industryCode[0]];
  const division = Number(industryCode.slice(1, 3));
  if (division < lo || division > hi)
    throw new RecordValidationError(
      "industryCode",
      `division ${industryCode.slice(1, 3)} is not in section ${industryCode[0]} (${String(lo).padStart(2, "0")}-${String(hi).padStart(2, "0")}) of GB/T 4754-2017`,
    );
  const signer = o.signer ?? ZeroAddress;
  if (typeof signer !== "string" || !isAddress(signer))
    throw new RecordValidationError("signer", `must be a 0x-prefixed 20-byte account address, got ${JSON.stringify(signer)}`);
  const enterpriseType = oneOf(o.enterpriseType, ENTERPRISE_TYPES, "enterpriseType");
  checkEnterpriseType(enterprise, enterpriseType);
  return {
    category: Category.BasicInfo,
    enterprise,
    name: text(o.name, "name"),
    legalRepresentative: text(o.legalRepresentative, "legalRepresentative"),
    registeredCapitalFen: fen(o.registeredCapitalFen, "registeredCapitalFen"),
    currency,
    establishedOn: checkDate(o.establishedOn, "establishedOn"),
    address: text(o.address, "address"),
    industryCode,
    enterpriseType,
    signer: getAddress(signer),
  };
}

function validateOperatingStatus(o: Obj): OperatingStatus {
  const enterprise = enterpriseCode(o.enterprise);
  const status = oneOf(o.status, OPERATING_STATUSES, "status");
  if (typeof o.abnormalListed !== "boolean") throw new RecordValidationError("abnormalListed", "must be true or false");
  const asOf = checkDate(o.asOf, "asOf");
  let abnormalSince = "";
  let abnormalReason = "";
  if (o.abnormalListed) {
    abnormalSince = checkDate(o.abnormalSince, "abnormalSince");
    if (abnormalSince > asOf) throw new RecordValidationError("abnormalSince", `must be on or before asOf (${asOf})`);
    abnormalReason = text(o.abnormalReason, "abnormalReason");
  } else {
    // A listing date or reason without the flag is a contradiction, not a detail to drop silently.
    if ((o.abnormalSince ?? "") !== "") throw new RecordValidationError("abnormalSince", "must be empty when abnormalListed is false");
    if ((o.abnormalReason ?? "") !== "") throw new RecordValidationError("abnormalReason", "must be empty when abnormalListed is false");
  }
  const grade = o.taxCreditGrade ?? "";
  const taxCreditGrade = grade === "" ? "" : oneOf(grade, TAX_GRADES, "taxCreditGrade");
  return {
    category: Category.OperatingStatus,
    enterprise,
    status,
    abnormalListed: o.abnormalListed,
    abnormalSince,
    abnormalReason,
    taxCreditGrade,
    employeeBand: oneOf(o.employeeBand, EMPLOYEE_BANDS, "employeeBand"),
    revenueBand: oneOf(o.revenueBand, REVENUE_BANDS, "revenueBand"),
    asOf,
  };
}

function validatePledge(raw: unknown, i: number, asOf: string): Pledge {
  const p = `mortgages[${i}]`;
  const m = object(raw, p);
  known(m, PLEDGE_FIELDS, `${p}.`);
  const collateralKind = oneOf(m.collateralKind, COLLATERAL_KINDS, `${p}.collateralKind`);
  const amountFen = fen(m.amountFen, `${p}.amountFen`);
  if (amountFen === 0n) throw new RecordValidationError(`${p}.amountFen`, "must be positive");
  const securedCreditor = text(m.securedCreditor, `${p}.securedCreditor`);
  const registeredOn = checkDate(m.registeredOn, `${p}.registeredOn`);
  if (registeredOn > asOf) throw new RecordValidationError(`${p}.registeredOn`, `must be on or before asOf (${asOf})`);
  const expiresOn = checkDate(m.expiresOn, `${p}.expiresOn`);
  if (expiresOn < registeredOn) throw new RecordValidationError(`${p}.expiresOn`, `must be on or after registeredOn (${registeredOn})`);
  return { collateralKind, amountFen, securedCreditor, registeredOn, expiresOn, status: oneOf(m.status, PLEDGE_STATUSES, `${p}.status`) };
}

function validateFinancingMortgage(o: Obj): FinancingMortgage {
  const enterprise = enterpriseCode(o.enterprise);
  const loansOutstandingFen = fen(o.loansOutstandingFen, "loansOutstandingFen");
  const asOf = checkDate(o.asOf, "asOf");
  const list = o.mortgages ?? [];
  if (!Array.isArray(list)) throw new RecordValidationError("mortgages", "must be a list");
  if (list.length > MAX_MORTGAGES) throw new RecordValidationError("mortgages", `must have at most ${MAX_MORTGAGES} entries, got ${list.length}`);
  return { category: Category.FinancingMortgage, enterprise, loansOutstandingFen, asOf, mortgages: list.map((m, i) => validatePledge(m, i, asOf)) };
}

function enterpriseCode(v: unknown): string {
  try {
    return parseUscc(v).code;
  } catch (e) {
    throw new RecordValidationError("enterprise", (e as Error).message);
  }
}

/**
 * Validates a record and returns it normalised (text NFC and trimmed, amounts as bigint, signer checksummed) and
 * typed. `input.category` names the schema ("basic-info" or 1 …); with a `category` argument the input may omit
 * it, and must not name another. Throws a RecordValidationError naming the first field that breaks a rule.
 */
export function validateRecord(input: unknown): CreditRecord;
export function validateRecord<C extends Category>(category: C, input: unknown): RecordOf<C>;
export function validateRecord(a: unknown, b?: unknown): CreditRecord {
  const withCategory = arguments.length >= 2;
  const o = object(withCategory ? b : a, "(record)");
  let category: Category;
  try {
    category = parseCategory(withCategory ? a : o.category);
  } catch (e) {
    throw new RecordValidationError("category", (e as Error).message);
  }
  if (withCategory && o.category !== undefined) {
    let named: Category | undefined;
    try {
      named = parseCategory(o.category);
    } catch {
      named = undefined;
    }
    if (named !== category) throw new RecordValidationError("category", `is ${JSON.stringify(o.category)}, but a record of category ${category} was expected`);
  }
  known(o, FIELDS[category]);
  switch (category) {
    case Category.BasicInfo:
      return validateBasicInfo(o);
    case Category.OperatingStatus:
      return validateOperatingStatus(o);
    case Category.FinancingMortgage:
      return validateFinancingMortgage(o);
  }
}

/** The record as JSON, as files and stores keep it (fen amounts as decimal strings, category as its number). */
export function recordToJson(r: CreditRecord): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}
