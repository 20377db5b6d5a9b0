import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { getBytes, hexlify } from "ethers";
import { fastRecordDigest, fastRecordLeaf, usccBytes } from "../src/ledger/leaf.js";
import {
  Category,
  RECORD_LEAF_ENCODING,
  RecordFileError,
  RecordValidationError,
  categoriesToMask,
  decodeRecord,
  encodeRecord,
  leafValues,
  maskToCategories,
  newSalt,
  readRecordFile,
  recordDigest,
  recordLeafHash,
  validateRecord,
} from "../src/records/index.js";
import { SEEDS_DIR } from "../src/seeds.js";

const EXAMPLES = join(SEEDS_DIR, "examples");
const [BASIC, STATUS, FINANCING] = readRecordFile(join(EXAMPLES, "hefei-enterprise.json"));
const raw = (r: object) => JSON.parse(JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));

function invalid(input: object, field: string, rule: RegExp): void {
  try {
    validateRecord(input);
  } catch (e) {
    expect(e).to.be.instanceOf(RecordValidationError);
    expect((e as RecordValidationError).field).to.equal(field);
    expect((e as RecordValidationError).rule).to.match(rule);
    return;
  }
  throw new Error(`accepted a record with a bad ${field}`);
}

describe("records", () => {
  it("reads the example files: JSON lists and CSV rows", () => {
    expect([BASIC.category, STATUS.category, FINANCING.category]).to.deep.equal([1, 2, 3]);
    const csv = readRecordFile(join(EXAMPLES, "hefei-status.csv"));
    expect(csv).to.have.length(12);
    expect(csv[3]).to.include({ abnormalListed: true, abnormalSince: "2024-07-01", taxCreditGrade: "M" });
    expect(csv[2].category === Category.OperatingStatus && csv[2].taxCreditGrade).to.equal("");
  });

  it("names the field of every kind of invalid basic-info record", () => {
    const b = raw(BASIC);
    invalid({ ...b, enterprise: "91340104MA2TXN4K1X" }, "enterprise", /check character/);
    invalid({ ...b, name: "  " }, "name", /must not be empty/);
    invalid({ ...b, registeredCapitalFen: "-5" }, "registeredCapitalFen", /whole number/);
    invalid({ ...b, registeredCapitalFen: 1.5 }, "registeredCapitalFen", /whole number/);
    invalid({ ...b, currency: "RMB1" }, "currency", /ISO 4217/);
    invalid({ ...b, establishedOn: "2023-02-30" }, "establishedOn", /not a calendar date/);
    invalid({ ...b, industryCode: "X12" }, "industryCode", /GB\/T 4754/);
    invalid({ ...b, enterpriseType: "llc" }, "enterpriseType", /must be one of/);
    invalid({ ...b, signer: "0x123" }, "signer", /address/);
    invalid({ ...b, color: "red" }, "color", /not a field/);
    invalid({ ...b, category: "credit-score" }, "category", /must be one of/);
  });

  it("names the field of invalid operating-status and financing records", () => {
    const s = raw(STATUS);
    invalid({ ...s, status: "closed" }, "status", /active/);
    invalid({ ...s, abnormalListed: true }, "abnormalSince", /date/);
    invalid({ ...s, abnormalListed: true, abnormalSince: "2025-01-01", abnormalReason: "x" }, "abnormalSince", /on or before asOf/);
    invalid({ ...s, abnormalSince: "2024-01-01" }, "abnormalSince", /empty when abnormalListed is false/);
    invalid({ ...s, taxCreditGrade: "E" }, "taxCreditGrade", /A, B, M, C, D/);
    const f = raw(FINANCING);
    const m = f.mortgages;
    invalid({ ...f, mortgages: [m[0], { ...m[1], expiresOn: "2024-01-01" }] }, "mortgages[1].expiresOn", /on or after registeredOn \(2024-06-10\)/);
    invalid({ ...f, mortgages: [{ ...m[0], amountFen: "0" }] }, "mortgages[0].amountFen", /positive/);
    invalid({ ...f, mortgages: [{ ...m[0], collateralKind: "gold" }] }, "mortgages[0].collateralKind", /real-estate/);
    invalid({ ...f, mortgages: Array(65).fill(m[0]) }, "mortgages", /at most 64/);
  });

  it("names the file and record of a bad record in a file", () => {
    const dir = mkdtempSync(join(tmpdir(), "yrd-records-"));
    const path = join(dir, "bad.json");
    writeFileSync(path, JSON.stringify([raw(BASIC), { ...raw(STATUS), revenueBand: "huge" }]));
    expect(() => readRecordFile(path)).to.throw(RecordFileError, /bad.json record 2: revenueBand: must be one of/);
    writeFileSync(join(dir, "x.csv"), "category,enterprise\noperating-status\n");
    expect(() => readRecordFile(join(dir, "x.csv"))).to.throw(RecordFileError, /record 1: has 1 cells, the header has 2/);
    writeFileSync(join(dir, "e.json"), "[]");
    expect(() => readRecordFile(join(dir, "e.json"))).to.throw(RecordFileError, /holds no record/);
  });

  it("encodes canonically: same record, same bytes; NFC and trimming applied; decode round-trips", () => {
    for (const r of [BASIC, STATUS, FINANCING]) {
      expect(hexlify(encodeRecord(r))).to.equal(hexlify(encodeRecord(validateRecord(raw(r)))));
      expect(decodeRecord(encodeRecord(r))).to.deep.equal(r);
    }
    const b = raw(BASIC);
    const decomposed = validateRecord({ ...b, name: "  Cafe\u0301 有限公司 " }); // e + combining accent
    const composed = validateRecord({ ...b, name: "Caf\u00e9 有限公司" });
    expect(hexlify(encodeRecord(decomposed))).to.equal(hexlify(encodeRecord(composed)));
    expect(getBytes(encodeRecord(BASIC))[31]).to.equal(1); // schema id first
  });

  it("commits with a fresh salt; the fast digest and leaf equal the readable ones and @openzeppelin/merkle-tree", () => {
    const enc = encodeRecord(FINANCING);
    const s1 = newSalt();
    const s2 = newSalt();
    expect(recordDigest(s1, enc)).to.not.equal(recordDigest(s2, enc));
    for (const r of [BASIC, STATUS, FINANCING]) {
      const e = encodeRecord(r);
      const d = recordDigest(s1, e);
      expect(hexlify(fastRecordDigest(s1, e))).to.equal(d);
      const leaf = recordLeafHash(r.enterprise, r.category, 7, d);
      expect(hexlify(fastRecordLeaf(usccBytes(r.enterprise), r.category, 7, getBytes(d)))).to.equal(leaf);
      const tree = StandardMerkleTree.of([leafValues(r.enterprise, r.category, 7, d)], [...RECORD_LEAF_ENCODING]);
      expect(tree.leafHash(leafValues(r.enterprise, r.category, 7, d))).to.equal(leaf);
    }
    expect(hexlify(fastRecordDigest(s1, new Uint8Array(0)))).to.equal(recordDigest(s1, new Uint8Array(0)));
    expect(hexlify(fastRecordDigest(s1, new Uint8Array(300).fill(1)))).to.equal(recordDigest(s1, new Uint8Array(300).fill(1)));
  });

  it("maps categories to authorization masks and back", () => {
    expect(categoriesToMask([Category.BasicInfo, Category.FinancingMortgage])).to.equal(0b1010);
    expect(maskToCategories(0b1110)).to.deep.equal([1, 2, 3]);
  });
});
