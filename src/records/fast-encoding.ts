/**
 * The canonical encoding of `encoding.ts`, written byte by byte without an ABI coder: the same bytes (tests
 * compare both on generated records), about 20x faster, for the tens of millions of records of a replay.
 * Only the three record layouts are supported; see `encoding.ts` for the layout.
 */
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

const utf8 = new TextEncoder();
const padded = (n: number) => Math.ceil(n / 32) * 32;

type Head =
  | { k: 0; v: number } // small integer
  | { k: 1; v: bigint } // big integer
  | { k: 2; v: Uint8Array; at: number } // bytes placed at an offset of the word
  | { k: 3; tail: Uint8Array }; // dynamic: offset in the head, data in the tail

/** A head-and-tail ABI writer for one tuple of static words and dynamic strings / arrays; one allocation. */
class Tuple {
  private readonly heads: Head[] = [];
  private tails = 0;

  word(value: bigint | number): this {
    this.heads.push(typeof value === "number" ? { k: 0, v: value } : value < 2n ** 53n ? { k: 0, v: Number(value) } : { k: 1, v: value });
    return this;
  }

  /** A small non-negative integer (< 2^53). */
  small(value: number): this {
    this.heads.push({ k: 0, v: value });
    return this;
  }

  /** bytesN, left-aligned. */
  fixedBytes(b: Uint8Array): this {
    this.heads.push({ k: 2, v: b, at: 0 });
    return this;
  }

  address(hex: string): this {
    this.heads.push({ k: 2, v: Buffer.from(hex.slice(2), "hex"), at: 12 });
    return this;
  }

  string(s: string): this {
    const bytes = utf8.encode(s);
    const tail = new Uint8Array(32 + padded(bytes.length));
    writeLength(tail, bytes.length);
    tail.set(bytes, 32);
    return this.dynamic(tail);
  }

  /** A dynamic array of dynamic tuples. */
  tupleArray(items: Tuple[]): this {
    const encoded = items.map((t) => t.encode());
    const tail = new Uint8Array(32 + 32 * items.length + encoded.reduce((a, e) => a + e.length, 0));
    writeLength(tail, items.length);
    let offset = 32 * items.length;
    encoded.forEach((e, i) => {
      writeLength(tail.subarray(32 + 32 * i), offset);
      tail.set(e, 32 + offset);
      offset += e.length;
    });
    return this.dynamic(tail);
  }

  private dynamic(tail: Uint8Array): this {
    this.heads.push({ k: 3, tail });
    this.tails += tail.length;
    return this;
  }

  encode(): Uint8Array {
    const headSize = 32 * this.heads.length;
    const out = new Uint8Array(headSize + this.tails);
    let tailAt = headSize;
    for (let i = 0; i < this.heads.length; i++) {
      const h = this.heads[i];
      const word = out.subarray(32 * i, 32 * i + 32);
      if (h.k === 0) writeLength(word, h.v);
      else if (h.k === 1) for (let j = 31, v = h.v; v > 0n; j--, v >>= 8n) word[j] = Number(v & 0xffn);
      else if (h.k === 2) word.set(h.v, h.at);
      else {
        writeLength(word, tailAt);
        out.set(h.tail, tailAt);
        tailAt += h.tail.length;
      }
    }
    return out;
  }
}

function writeLength(into: Uint8Array, n: number): void {
  for (let i = 31, v = n; v > 0; i--, v = Math.floor(v / 256)) into[i] = v % 256;
}

const ascii = (s: string) => {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
};
const date = (d: string) => (d === "" ? 0 : Number(d.replaceAll("-", "")));

/** Same bytes as `encodeRecord(r)`. */
export function fastEncodeRecord(r: CreditRecord): Uint8Array {
  const t = new Tuple().small(r.category).small(SCHEMA_VERSION).fixedBytes(ascii(r.enterprise));
  switch (r.category) {
    case Category.BasicInfo:
      return t
        .string(r.name)
        .string(r.legalRepresentative)
        .word(r.registeredCapitalFen)
        .fixedBytes(ascii(r.currency))
        .small(date(r.establishedOn))
        .string(r.address)
        .string(r.industryCode)
        .small(ENTERPRISE_TYPES.indexOf(r.enterpriseType))
        .address(r.signer)
        .encode();
    case Category.OperatingStatus:
      return t
        .small(OPERATING_STATUSES.indexOf(r.status))
        .small(r.abnormalListed ? 1 : 0)
        .small(date(r.abnormalSince))
        .string(r.abnormalReason)
        .small(r.taxCreditGrade === "" ? 0 : TAX_GRADES.indexOf(r.taxCreditGrade) + 1)
        .small(EMPLOYEE_BANDS.indexOf(r.employeeBand))
        .small(REVENUE_BANDS.indexOf(r.revenueBand))
        .small(date(r.asOf))
        .encode();
    case Category.FinancingMortgage:
      return t
        .word(r.loansOutstandingFen)
        .small(date(r.asOf))
        .tupleArray(
          r.mortgages.map((m) =>
            new Tuple()
              .small(COLLATERAL_KINDS.indexOf(m.collateralKind))
              .word(m.amountFen)
              .string(m.securedCreditor)
              .small(date(m.registeredOn))
              .small(date(m.expiresOn))
              .small(PLEDGE_STATUSES.indexOf(m.status)),
          ),
        )
        .encode();
  }
}
