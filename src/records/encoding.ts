/**
 * The one canonical encoding of a record: ABI-encoded, with the schema id (= category) and version first, so
 * any EVM tool can decode it and the same record gives the same bytes on every machine (strings are NFC
 * normalised and trimmed by validation; dates become YYYYMMDD integers; enums their index in the schema's list).
 *
 * Layout, schema version 1:
 *   basic-info (1):         (uint8 1, uint16 1, bytes18 enterprise, string name, string legalRepresentative,
 *                            uint128 registeredCapitalFen, bytes3 currency, uint32 establishedOn, string address,
 *                            string industryCode, uint8 enterpriseType, address signer)
 *   operating-status (2):   (uint8 2, uint16 1, bytes18 enterprise, uint8 status, bool abnormalListed,
 *                            uint32 abnormalSince (0 = none), string abnormalReason, uint8 taxCreditGrade (0 = not
 *                            rated, 1-5 = A B M C D), uint8 employeeBand, uint8 revenueBand, uint32 asOf)
 *   financing-mortgage (3): (uint8 3, uint16 1, bytes18 enterprise, uint128 loansOutstandingFen, uint32 asOf,
 *                            (uint8 collateralKind, uint128 amountFen, string securedCreditor, uint32 registeredOn,
 *                            uint32 expiresOn, uint8 status)[] mortgages)
 */
import { AbiCoder, getBytes, hexlify, toUtf8Bytes, toUtf8String } from "ethers";
import { Category } from "./categories.js";
import {
  COLLATERAL_KINDS,
  EMPLOYEE_BANDS,
  ENTERPRISE_TYPES,
  OPERATING_STATUSES,
  PLEDGE_STATUSES,
  REVENUE_BANDS,
  SCHEMA_VERSION,
  TAX_GRADES,
  type CreditRecord,
} from "./schemas.js";

const coder = AbiCoder.defaultAbiCoder();

export const RECORD_TYPES: Record<Category, string[]> = {
  [Category.BasicInfo]: ["uint8", "uint16", "bytes18", "string", "string", "uint128", "bytes3", "uint32", "string", "string", "uint8", "address"],
  [Category.OperatingStatus]: ["uint8", "uint16", "bytes18", "uint8", "bool", "uint32", "string", "uint8", "uint8", "uint8", "uint32"],
  [Category.FinancingMortgage]: ["uint8", "uint16", "bytes18", "uint128", "uint32", "tuple(uint8,uint128,string,uint32,uint32,uint8)[]"],
};

const date = (d: string) => (d === "" ? 0 : Number(d.replaceAll("-", "")));
const undate = (n: bigint | number) => {
  const s = String(n);
  return Number(n) === 0 ? "" : `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
};
const idx = (list: readonly string[], v: string) => list.indexOf(v);
const ascii = (code: string) => hexlify(toUtf8Bytes(code));

/** The record's canonical bytes. The record must have passed `validateRecord`. */
export function encodeRecord(r: CreditRecord): Uint8Array {
  const head = [r.category, SCHEMA_VERSION, ascii(r.enterprise)];
  switch (r.category) {
    case Category.BasicInfo:
      return getBytes(
        coder.encode(RECORD_TYPES[r.category], [
          ...head,
          r.name,
          r.legalRepresentative,
          r.registeredCapitalFen,
          ascii(r.currency),
          date(r.establishedOn),
          r.address,
          r.industryCode,
          idx(ENTERPRISE_TYPES, r.enterpriseType),
          r.signer,
        ]),
      );
    case Category.OperatingStatus:
      return getBytes(
        coder.encode(RECORD_TYPES[r.category], [
          ...head,
          idx(OPERATING_STATUSES, r.status),
          r.abnormalListed,
          date(r.abnormalSince),
          r.abnormalReason,
          r.taxCreditGrade === "" ? 0 : idx(TAX_GRADES, r.taxCreditGrade) + 1,
          idx(EMPLOYEE_BANDS, r.employeeBand),
          idx(REVENUE_BANDS, r.revenueBand),
          date(r.asOf),
        ]),
      );
    case Category.FinancingMortgage:
      return getBytes(
        coder.encode(RECORD_TYPES[r.category], [
          ...head,
          r.loansOutstandingFen,
          date(r.asOf),
          r.mortgages.map((m) => [idx(COLLATERAL_KINDS, m.collateralKind), m.amountFen, m.securedCreditor, date(m.registeredOn), date(m.expiresOn), idx(PLEDGE_STATUSES, m.status)]),
        ]),
      );
  }
}

/** Decodes canonical bytes back into the record. */
export function decodeRecord(bytes: Uint8Array): CreditRecord {
  const category = Number(coder.decode(["uint8"], bytes.slice(0, 32))[0]) as Category;
  if (!RECORD_TYPES[category]) throw new Error(`unknown record schema id ${category}`);
  const v = coder.decode(RECORD_TYPES[category], bytes);
  if (Number(v[1]) !== SCHEMA_VERSION) throw new Error(`record schema version ${v[1]} is not supported (expected ${SCHEMA_VERSION})`);
  const enterprise = toUtf8String(v[2]);
  switch (category) {
    case Category.BasicInfo:
      return {
        category,
        enterprise,
        name: v[3],
        legalRepresentative: v[4],
        registeredCapitalFen: BigInt(v[5]),
        currency: toUtf8String(v[6]),
        establishedOn: undate(v[7]),
        address: v[8],
        industryCode: v[9],
        enterpriseType: ENTERPRISE_TYPES[Number(v[10])],
        signer: v[11],
      };
    case Category.OperatingStatus:
      return {
        category,
        enterprise,
        status: OPERATING_STATUSES[Number(v[3])],
        abnormalListed: v[4],
        abnormalSince: undate(v[5]),
        abnormalReason: v[6],
        taxCreditGrade: Number(v[7]) === 0 ? "" : TAX_GRADES[Number(v[7]) - 1],
        employeeBand: EMPLOYEE_BANDS[Number(v[8])],
        revenueBand: REVENUE_BANDS[Number(v[9])],
        asOf: undate(v[10]),
      };
    case Category.FinancingMortgage:
      return {
        category,
        enterprise,
        loansOutstandingFen: BigInt(v[3]),
        asOf: undate(v[4]),
        mortgages: (v[5] as unknown as unknown[][]).map((m) => ({
          collateralKind: COLLATERAL_KINDS[Number(m[0])],
          amountFen: BigInt(m[1] as bigint),
          securedCreditor: m[2] as string,
          registeredOn: undate(m[3] as bigint),
          expiresOn: undate(m[4] as bigint),
          status: PLEDGE_STATUSES[Number(m[5])],
        })),
      };
  }
}
