/**
 * The one canonical encoding of a record: the bytes that are salted and hashed into the commitment on chain
 * (`commitment.ts`), so two implementations that follow this layout compute the same digests. It is a plain
 * Solidity `abi.encode(...)` of the fields below (head/tail layout of the Solidity ABI spec, strict: zero padding,
 * minimal offsets), so any EVM tool can decode it, and it begins with three static words that identify it:
 *
 *   word 0  uint8   schemaId       = the category number (1, 2, 3)
 *   word 1  uint16  schemaVersion  = 1
 *   word 2  bytes18 enterprise     the USCC's 18 ASCII bytes, left-aligned
 *
 * Schema version 1, field by field (after those three):
 *
 *   1 basic-info:         string name, string legalRepresentative, uint128 registeredCapitalFen, bytes3 currency
 *                         (ASCII, e.g. "CNY"), uint32 establishedOn, string address, string industryCode,
 *                         uint8 enterpriseType, address signer (zero address = none)
 *   2 operating-status:   uint8 status, bool abnormalListed, uint32 abnormalSince (0 = not listed),
 *                         string abnormalReason ("" = not listed), uint8 taxCreditGrade (0 = not rated),
 *                         uint8 employeeBand, uint8 revenueBand, uint32 asOf
 *   3 financing-mortgage: uint128 loansOutstandingFen, uint32 asOf,
 *                         (uint8 collateralKind, uint128 amountFen, string securedCreditor, uint32 registeredOn,
 *                          uint32 expiresOn, uint8 status)[] mortgages   (in the record's order, at most 64)
 *
 * Value rules:
 * - dates are the integer YYYYMMDD (2024-03-01 → 20240301), readable in a hex dump and ordered like dates;
 * - strings are UTF-8 of the NFC-normalised, trimmed text, without control characters;
 * - enumerations are indexes, 0-based, into these lists (which only ever grow at the end):
 *     enterpriseType  0 limited-liability, 1 joint-stock, 2 sole-proprietorship, 3 partnership, 4 state-owned,
 *                     5 collective, 6 foreign-invested, 7 individual-business, 8 cooperative, 9 other
 *     status          0 active, 1 suspended, 2 revoked, 3 deregistered
 *     taxCreditGrade  1 A, 2 B, 3 M, 4 C, 5 D  (0 = not rated; the only 1-based list, so 0 can mean "none")
 *     employeeBand    0 "0-9", 1 "10-49", 2 "50-299", 3 "300-999", 4 "1000+"
 *     revenueBand     0 "<1M", 1 "1M-10M", 2 "10M-100M", 3 "100M-1B", 4 ">1B"   (CNY per year)
 *     collateralKind  0 real-estate, 1 equipment, 2 receivables, 3 equity, 4 intellectual-property, 5 other
 *     pledge status   0 registered, 1 released, 2 cancelled
 *
 * `encodeRecord` validates (and so normalises) its input first, so it cannot emit a non-canonical encoding;
 * `decodeRecord` accepts only bytes that `encodeRecord` would produce.
 */
import { AbiCoder, getBytes, hexlify, toUtf8Bytes, type BytesLike } from "ethers";
import { Category, isCategory } from "./categories.js";
import {
  COLLATERAL_KINDS,
  EMPLOYEE_BANDS,
  ENTERPRISE_TYPES,
  OPERATING_STATUSES,
  PLEDGE_STATUSES,
  REVENUE_BANDS,
  SCHEMA_VERSION,
  TAX_GRADES,
  validateRecord,
  type CreditRecord,
  type RecordOf,
} from "./schemas.js";

const coder = AbiCoder.defaultAbiCoder();

/** The ABI types of each schema's encoding, in order (including the three header words). */
export const RECORD_ABI_TYPES: Readonly<Record<Category, readonly string[]>> = {
  [Category.BasicInfo]: ["uint8", "uint16", "bytes18", "string", "string", "uint128", "bytes3", "uint32", "string", "string", "uint8", "address"],
  [Category.OperatingStatus]: ["uint8", "uint16", "bytes18", "uint8", "bool", "uint32", "string", "uint8", "uint8", "uint8", "uint32"],
  [Category.FinancingMortgage]: ["uint8", "uint16", "bytes18", "uint128", "uint32", "tuple(uint8,uint128,string,uint32,uint32,uint8)[]"],
};

/** Bytes that are not a canonical record encoding. */
export class RecordDecodingError extends Error {
  constructor(readonly problem: string) {
    super(`not a canonical record encoding: ${problem}`);
    this.name = "RecordDecodingError";
  }
}

/** "2024-03-01" → 20240301; "" → 0. */
export function dateToInt(d: string): number {
  return d === "" ? 0 : Number(d.slice(0, 4)) * 10000 + Number(d.slice(5, 7)) * 100 + Number(d.slice(8, 10));
}

/** 20240301 → "2024-03-01"; 0 → "". Whether it is a calendar date is left to validation. */
export function intToDate(n: number): string {
  if (n === 0) return "";
  const s = String(n).padStart(8, "0");
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
}

const ascii = (s: string) => hexlify(toUtf8Bytes(s));

/** The record's canonical bytes. Validates the record first (throws RecordValidationError). */
export function encodeRecord(record: CreditRecord): Uint8Array {
  const r = validateRecord(record);
  const types = RECORD_ABI_TYPES[r.category];
  const head = [r.category, SCHEMA_VERSION, ascii(r.enterprise)];
  switch (r.category) {
    case Category.BasicInfo:
      return getBytes(
        coder.encode(types, [
          ...head,
          r.name,
          r.legalRepresentative,
          r.registeredCapitalFen,
          ascii(r.currency),
          dateToInt(r.establishedOn),
          r.address,
          r.industryCode,
          ENTERPRISE_TYPES.indexOf(r.enterpriseType),
          r.signer,
        ]),
      );
    case Category.OperatingStatus:
      return getBytes(
        coder.encode(types, [
          ...head,
          OPERATING_STATUSES.indexOf(r.status),
          r.abnormalListed,
          dateToInt(r.abnormalSince),
          r.abnormalReason,
          r.taxCreditGrade === "" ? 0 : TAX_GRADES.indexOf(r.taxCreditGrade) + 1,
          EMPLOYEE_BANDS.indexOf(r.employeeBand),
          REVENUE_BANDS.indexOf(r.revenueBand),
          dateToInt(r.asOf),
        ]),
      );
    case Category.FinancingMortgage:
      return getBytes(
        coder.encode(types, [
          ...head,
          r.loansOutstandingFen,
          dateToInt(r.asOf),
          r.mortgages.map((m) => [
            COLLATERAL_KINDS.indexOf(m.collateralKind),
            m.amountFen,
            m.securedCreditor,
            dateToInt(m.registeredOn),
            dateToInt(m.expiresOn),
            PLEDGE_STATUSES.indexOf(m.status),
          ]),
        ]),
      );
  }
}

// Typed readers of ABI-decoded values: the coder returns `bigint` for integers, `string` for strings, bytes and
// addresses, `boolean` for bool, and array-like Results for tuples and arrays.
function int(v: unknown): number {
  if (typeof v !== "bigint" || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RecordDecodingError(`expected a small integer, got ${String(v)}`);
  return Number(v);
}
function big(v: unknown): bigint {
  if (typeof v !== "bigint") throw new RecordDecodingError(`expected an integer, got ${String(v)}`);
  return v;
}
function str(v: unknown): string {
  if (typeof v !== "string") throw new RecordDecodingError(`expected a string, got ${String(v)}`);
  return v;
}
function bool(v: unknown): boolean {
  if (typeof v !== "boolean") throw new RecordDecodingError(`expected a bool, got ${String(v)}`);
  return v;
}
function list(v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new RecordDecodingError("expected a list");
  return [...(v as unknown[])];
}
function asciiText(hex: unknown): string {
  const bytes = getBytes(str(hex));
  let s = "";
  for (const b of bytes) {
    if (b < 0x20 || b > 0x7e) throw new RecordDecodingError(`expected printable ASCII, got byte 0x${b.toString(16).padStart(2, "0")}`);
    s += String.fromCharCode(b);
  }
  return s;
}
function entry<T extends string>(items: readonly T[], i: number, what: string): T {
  if (i < 0 || i >= items.length) throw new RecordDecodingError(`${what} index ${i} is not defined (0-${items.length - 1})`);
  return items[i];
}

/** The record type of schema `category`, read from ABI-decoded values (not yet validated). */
function fromValues(category: Category, v: unknown[]): Record<string, unknown> {
  const enterprise = asciiText(v[2]);
  switch (category) {
    case Category.BasicInfo:
      return {
        category,
        enterprise,
        name: str(v[3]),
        legalRepresentative: str(v[4]),
        registeredCapitalFen: big(v[5]),
        currency: asciiText(v[6]),
        establishedOn: intToDate(int(v[7])),
        address: str(v[8]),
        industryCode: str(v[9]),
        enterpriseType: entry(ENTERPRISE_TYPES, int(v[10]), "enterpriseType"),
        signer: str(v[11]),
      };
    case Category.OperatingStatus: {
      const grade = int(v[7]);
      return {
        category,
        enterprise,
        status: entry(OPERATING_STATUSES, int(v[3]), "status"),
        abnormalListed: bool(v[4]),
        abnormalSince: intToDate(int(v[5])),
        abnormalReason: str(v[6]),
        taxCreditGrade: grade === 0 ? "" : entry(TAX_GRADES, grade - 1, "taxCreditGrade"),
        employeeBand: entry(EMPLOYEE_BANDS, int(v[8]), "employeeBand"),
        revenueBand: entry(REVENUE_BANDS, int(v[9]), "revenueBand"),
        asOf: intToDate(int(v[10])),
      };
    }
    case Category.FinancingMortgage:
      return {
        category,
        enterprise,
        loansOutstandingFen: big(v[3]),
        asOf: intToDate(int(v[4])),
        mortgages: list(v[5]).map((raw) => {
          const m = list(raw);
          return {
            collateralKind: entry(COLLATERAL_KINDS, int(m[0]), "collateralKind"),
            amountFen: big(m[1]),
            securedCreditor: str(m[2]),
            registeredOn: intToDate(int(m[3])),
            expiresOn: intToDate(int(m[4])),
            status: entry(PLEDGE_STATUSES, int(m[5]), "pledge status"),
          };
        }),
      };
  }
}

/**
 * The record of canonical bytes: the inverse of `encodeRecord`. Throws a RecordDecodingError for bytes that
 * are not an encoding (unknown schema id or version, malformed ABI, undefined enumeration index, trailing or
 * non-canonical bytes) and a RecordValidationError for a well-formed encoding of an invalid record.
 */
export function decodeRecord(bytes: BytesLike): CreditRecord {
  const data = getBytes(bytes);
  if (data.length < 96 || data.length % 32 !== 0) throw new RecordDecodingError(`length ${data.length} is not a whole number of 32-byte words (at least 3)`);
  let schemaId: number;
  let version: number;
  try {
    [schemaId, version] = coder.decode(["uint256", "uint256"], data.subarray(0, 64)).map((x: unknown) => int(x));
  } catch (e) {
    throw e instanceof RecordDecodingError ? e : new RecordDecodingError((e as Error).message);
  }
  if (!isCategory(schemaId)) throw new RecordDecodingError(`unknown schema id ${schemaId} (word 0)`);
  if (version !== SCHEMA_VERSION)
    throw new RecordDecodingError(`schema version ${version} (word 1) is not supported (this code reads version ${SCHEMA_VERSION})`);
  let values: unknown[];
  try {
    values = [...coder.decode(RECORD_ABI_TYPES[schemaId], data)];
  } catch (e) {
    throw new RecordDecodingError(`schema ${schemaId}: ${(e as Error).message}`);
  }
  const record = validateRecord(schemaId, fromValues(schemaId, values));
  // Lenient ABI decoding ignores trailing bytes and dirty padding; canonical means "what encodeRecord emits".
  if (hexlify(encodeRecord(record)) !== hexlify(data))
    throw new RecordDecodingError("the bytes decode, but are not what encodeRecord produces for the decoded record");
  return record;
}

/** Typed variant of `decodeRecord` that also demands the category. */
export function decodeRecordOf<C extends Category>(category: C, bytes: BytesLike): RecordOf<C> {
  const r = decodeRecord(bytes);
  if (r.category !== category) throw new RecordDecodingError(`schema id ${r.category}, expected ${category}`);
  return r as RecordOf<C>;
}
