import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { AbiCoder, concat, getBytes, hexlify, keccak256, toBeHex, toUtf8Bytes } from "ethers";
import { fastRecordDigest, fastRecordLeaf, usccBytes } from "../src/ledger/leaf.js";
import { Random } from "../src/random.js";
import {
  ALL_CATEGORIES_MASK,
  CATEGORIES,
  CATEGORY_NAMES,
  Category,
  RECORD_ABI_TYPES,
  RECORD_LEAF_ENCODING,
  RecordDecodingError,
  RecordFileError,
  RecordValidationError,
  SCHEMA_VERSION,
  categoriesToMask,
  categoryBit,
  decodeRecord,
  decodeRecordOf,
  encodeRecord,
  maskToCategories,
  newSalt,
  parseCategory,
  readRecordFile,
  recordDigest,
  recordLeafHash,
  recordLeafValues,
  recordToJson,
  validateRecord,
  type BasicInfo,
  type CreditRecord,
  type FinancingMortgage,
  type OperatingStatus,
} from "../src/records/index.js";
import { SEEDS_DIR } from "../src/seeds.js";
import { usccCheckChar } from "../src/uscc.js";

const coder = AbiCoder.defaultAbiCoder();
const EXAMPLES = join(SEEDS_DIR, "examples");

function uscc(head8: string, org: string): string {
  return head8 + org + usccCheckChar(head8 + org);
}
const HEFEI = uscc("91340104", "MA2TXN4K1");

/** Plain JSON-like inputs, as a file or a caller would give them. */
const BASIC = {
  category: "basic-info",
  enterprise: HEFEI,
  name: "合肥示例智能装备有限公司",
  legalRepresentative: "王明",
  registeredCapitalFen: "500000000",
  currency: "CNY",
  establishedOn: "2016-05-18",
  address: "安徽省合肥市蜀山区示例路 88 号",
  industryCode: "C3491",
  enterpriseType: "limited-liability",
  signer: "0x9eF6c02FB2ECc446146E05F1fF687a788a8BF76d",
};
const STATUS = {
  category: "operating-status",
  enterprise: HEFEI,
  status: "active",
  abnormalListed: true,
  abnormalSince: "2024-07-01",
  abnormalReason: "通过登记的住所无法联系",
  taxCreditGrade: "M",
  employeeBand: "50-299",
  revenueBand: "10M-100M",
  asOf: "2024-12-31",
};
const PLEDGE = {
  collateralKind: "real-estate",
  amountFen: "800000000",
  securedCreditor: "某商业银行合肥分行",
  registeredOn: "2023-03-01",
  expiresOn: "2026-02-28",
  status: "registered",
};
const FINANCING = {
  category: "financing-mortgage",
  enterprise: HEFEI,
  loansOutstandingFen: "1200000000",
  asOf: "2024-12-31",
  mortgages: [
    PLEDGE,
    { ...PLEDGE, collateralKind: "receivables", amountFen: "300000000", securedCreditor: "某保理公司", registeredOn: "2024-06-10", expiresOn: "2025-06-09" },
  ],
};

/** Asserts that `input` is refused with a RecordValidationError naming `field` and matching `rule`. */
function invalid(input: unknown, field: string, rule: RegExp, category?: Category): void {
  try {
    if (category === undefined) validateRecord(input);
    else validateRecord(category, input);
  } catch (e) {
    expect(e, field).to.be.instanceOf(RecordValidationError);
    const err = e as RecordValidationError;
    expect(err.field, err.message).to.equal(field);
    expect(err.rule, err.message).to.match(rule);
    expect(err.message).to.equal(`${err.field}: ${err.rule}`);
    return;
  }
  throw new Error(`accepted a record with a bad ${field}`);
}

const hex = (r: CreditRecord) => hexlify(encodeRecord(r));

describe("records", () => {
  describe("categories", () => {
    it("numbers, names and parses the three categories", () => {
      expect(CATEGORIES).to.deep.equal([1, 2, 3]);
      expect(CATEGORY_NAMES[Category.FinancingMortgage]).to.deep.equal({ zh: "融资抵押信息", en: "financing & mortgage info" });
      expect([parseCategory("basic-info"), parseCategory(2), parseCategory("3")]).to.deep.equal([1, 2, 3]);
      for (const bad of [0, 4, "credit-score", null, 1.5])
        expect(() => parseCategory(bad)).to.throw(/category must be one of basic-info, operating-status, financing-mortgage/);
    });

    it("maps categories to authorization masks and back, refusing stray bits", () => {
      expect(categoriesToMask([Category.BasicInfo, Category.FinancingMortgage])).to.equal(0b1010);
      expect(categoriesToMask(CATEGORIES)).to.equal(ALL_CATEGORIES_MASK);
      expect(ALL_CATEGORIES_MASK).to.equal(0b1110);
      expect(categoryBit(Category.OperatingStatus)).to.equal(0b100);
      expect(maskToCategories(0b1110)).to.deep.equal([1, 2, 3]);
      expect(maskToCategories(0)).to.deep.equal([]);
      for (let mask = 0; mask < 16; mask += 2) expect(categoriesToMask(maskToCategories(mask))).to.equal(mask);
      for (const bad of [0b1, 0b10000, 0b1111, -2, 2.5]) expect(() => maskToCategories(bad)).to.throw(RangeError, /bits outside the categories/);
      expect(() => categoryBit(4 as Category)).to.throw(RangeError);
    });
  });

  describe("validation", () => {
    it("accepts valid records and normalises them", () => {
      const b = validateRecord({ ...BASIC, name: `  ${BASIC.name}\t`, signer: BASIC.signer.toLowerCase(), registeredCapitalFen: 500000000 });
      expect(b).to.deep.equal({ ...BASIC, category: Category.BasicInfo, registeredCapitalFen: 500_000_000n });
      const s = validateRecord(STATUS);
      expect(s).to.include({ category: 2, abnormalListed: true, taxCreditGrade: "M" });
      const f = validateRecord(FINANCING) as FinancingMortgage;
      expect(f.mortgages[1].amountFen).to.equal(300_000_000n);
      // optional fields: no signer → zero address; no tax grade → not rated; no mortgages → none
      const { signer: _s, ...noSigner } = BASIC;
      expect((validateRecord(noSigner) as BasicInfo).signer).to.equal("0x0000000000000000000000000000000000000000");
      const { taxCreditGrade: _g, ...noGrade } = STATUS;
      expect((validateRecord(noGrade) as OperatingStatus).taxCreditGrade).to.equal("");
      const { mortgages: _m, ...noMortgages } = FINANCING;
      expect((validateRecord(noMortgages) as FinancingMortgage).mortgages).to.deep.equal([]);
    });

    it("takes the category as an argument, which the input may omit but not contradict", () => {
      const { category: _c, ...body } = BASIC;
      const r: BasicInfo = validateRecord(Category.BasicInfo, body);
      expect(r.category).to.equal(1);
      expect(validateRecord(Category.BasicInfo, BASIC).name).to.equal(BASIC.name);
      invalid(BASIC, "category", /is "basic-info", but a record of category 2 was expected/, Category.OperatingStatus);
      invalid(body, "category", /category must be one of/, 7 as Category);
      invalid(body, "category", /category must be one of/);
      invalid("text", "(record)", /must be an object/);
      invalid([BASIC], "(record)", /must be an object/);
    });

    it("names the field of every kind of invalid basic-info record", () => {
      const b = BASIC;
      invalid({ ...b, enterprise: HEFEI.slice(0, 17) + (HEFEI[17] === "X" ? "Y" : "X") }, "enterprise", /USCC check character is '.', expected/);
      invalid({ ...b, enterprise: "91340104MA2TXN4K1" }, "enterprise", /18 characters/);
      invalid({ ...b, enterprise: 42 }, "enterprise", /must be a string/);
      invalid({ ...b, name: "  " }, "name", /must not be empty/);
      invalid({ ...b, name: "合肥\u0000公司" }, "name", /control characters \(U\+0000 at 2\)/);
      invalid({ ...b, name: "x".repeat(201) }, "name", /at most 200 characters, got 201/);
      invalid({ ...b, legalRepresentative: undefined }, "legalRepresentative", /must be a string/);
      invalid({ ...b, registeredCapitalFen: "-5" }, "registeredCapitalFen", /whole number/);
      invalid({ ...b, registeredCapitalFen: -5 }, "registeredCapitalFen", /must not be negative/);
      invalid({ ...b, registeredCapitalFen: 1.5 }, "registeredCapitalFen", /whole number/);
      invalid({ ...b, registeredCapitalFen: "5e8" }, "registeredCapitalFen", /whole number/);
      invalid({ ...b, registeredCapitalFen: (1n << 128n).toString() }, "registeredCapitalFen", /below 2\^128/);
      invalid({ ...b, currency: "RMB1" }, "currency", /ISO 4217/);
      invalid({ ...b, currency: "cny" }, "currency", /ISO 4217/);
      invalid({ ...b, establishedOn: "2023-02-29" }, "establishedOn", /2023-02-29 is not a calendar date/);
      invalid({ ...b, establishedOn: "2016/05/18" }, "establishedOn", /must be a date YYYY-MM-DD/);
      invalid({ ...b, establishedOn: "1899-12-31" }, "establishedOn", /between 1900-01-01 and 2199-12-31/);
      invalid({ ...b, address: "" }, "address", /must not be empty/);
      invalid({ ...b, industryCode: "X12" }, "industryCode", /GB\/T 4754/);
      invalid({ ...b, industryCode: "C3" }, "industryCode", /GB\/T 4754/);
      invalid({ ...b, industryCode: "C05" }, "industryCode", /division 05 is not in section C \(13-43\)/);
      invalid({ ...b, industryCode: "K7110" }, "industryCode", /section K \(70-70\)/);
      invalid({ ...b, enterpriseType: "llc" }, "enterpriseType", /must be one of "limited-liability"/);
      invalid({ ...b, enterpriseType: "cooperative" }, "enterpriseType", /needs a USCC of entity type 3/);
      invalid({ ...b, enterprise: uscc("92340104", "MA2TXN4K1") }, "enterpriseType", /must be "individual-business" for a USCC of entity type 2/);
      invalid({ ...b, signer: "0x123" }, "signer", /account address/);
      invalid({ ...b, signer: "0x9EF6c02FB2ECc446146E05F1fF687a788a8BF76d" }, "signer", /account address/); // bad checksum
      invalid({ ...b, color: "red" }, "color", /not a field of this schema/);
      invalid({ ...b, asOf: "2024-12-31" }, "asOf", /not a field/);
      // leap day and the individual-business pairing are fine
      expect(() => validateRecord({ ...b, establishedOn: "2024-02-29" })).not.to.throw();
      expect(() => validateRecord({ ...b, enterprise: uscc("92340104", "MA2TXN4K1"), enterpriseType: "individual-business" })).not.to.throw();
      expect(() => validateRecord({ ...b, industryCode: "I6513" })).not.to.throw();
    });

    it("names the field of every kind of invalid operating-status record", () => {
      const s = STATUS;
      const notListed = { ...s, abnormalListed: false, abnormalSince: "", abnormalReason: "" };
      expect(() => validateRecord(notListed)).not.to.throw();
      invalid({ ...s, status: "closed" }, "status", /"active", "suspended", "revoked", "deregistered"/);
      invalid({ ...s, abnormalListed: "yes" }, "abnormalListed", /true or false/);
      invalid({ ...s, abnormalSince: undefined }, "abnormalSince", /must be a date/);
      invalid({ ...s, abnormalSince: "2025-01-01" }, "abnormalSince", /on or before asOf \(2024-12-31\)/);
      invalid({ ...s, abnormalReason: " " }, "abnormalReason", /must not be empty/);
      invalid({ ...notListed, abnormalSince: "2024-01-01" }, "abnormalSince", /empty when abnormalListed is false/);
      invalid({ ...notListed, abnormalReason: "x" }, "abnormalReason", /empty when abnormalListed is false/);
      invalid({ ...s, taxCreditGrade: "E" }, "taxCreditGrade", /"A", "B", "M", "C", "D"/);
      invalid({ ...s, employeeBand: "50-300" }, "employeeBand", /must be one of/);
      invalid({ ...s, revenueBand: "huge" }, "revenueBand", /must be one of/);
      invalid({ ...s, asOf: "2024-13-01" }, "asOf", /not a calendar date/);
    });

    it("names the field of every kind of invalid financing record, with the mortgage's index", () => {
      const f = FINANCING;
      const m = f.mortgages;
      invalid({ ...f, loansOutstandingFen: "1,200" }, "loansOutstandingFen", /whole number/);
      invalid({ ...f, asOf: "" }, "asOf", /must be a date/);
      invalid({ ...f, mortgages: "none" }, "mortgages", /must be a list/);
      invalid({ ...f, mortgages: Array(65).fill(m[0]) }, "mortgages", /at most 64 entries, got 65/);
      expect(() => validateRecord({ ...f, mortgages: Array(64).fill(m[0]) })).not.to.throw();
      invalid({ ...f, mortgages: [m[0], null] }, "mortgages[1]", /must be an object/);
      invalid({ ...f, mortgages: [{ ...m[0], colour: "red" }] }, "mortgages[0].colour", /not a field/);
      invalid(
        { ...f, mortgages: [{ ...m[0], collateralKind: "gold" }] },
        "mortgages[0].collateralKind",
        /"real-estate", "equipment", "receivables", "equity", "intellectual-property", "other"/,
      );
      invalid({ ...f, mortgages: [{ ...m[0], amountFen: "0" }] }, "mortgages[0].amountFen", /must be positive/);
      invalid({ ...f, mortgages: [m[0], { ...m[1], securedCreditor: "" }] }, "mortgages[1].securedCreditor", /must not be empty/);
      invalid({ ...f, mortgages: [{ ...m[0], registeredOn: "2023-02-30" }] }, "mortgages[0].registeredOn", /not a calendar date/);
      invalid(
        { ...f, mortgages: [{ ...m[0], registeredOn: "2025-01-01", expiresOn: "2026-01-01" }] },
        "mortgages[0].registeredOn",
        /on or before asOf \(2024-12-31\)/,
      );
      invalid(
        { ...f, mortgages: [m[0], m[1], { ...m[1], expiresOn: "2024-01-01" }] },
        "mortgages[2].expiresOn",
        /^must be on or after registeredOn \(2024-06-10\)$/,
      );
      invalid({ ...f, mortgages: [{ ...m[0], status: "paid" }] }, "mortgages[0].status", /"registered", "released", "cancelled"/);
    });
  });

  describe("canonical encoding", () => {
    it("follows the documented layout word by word (a test vector for other implementations)", () => {
      const r = validateRecord({ ...STATUS, abnormalReason: "x" });
      const bytes = encodeRecord(r);
      const word = (i: number) => hexlify(bytes.subarray(32 * i, 32 * i + 32));
      const uint = (n: number) => toBeHex(n, 32);
      expect(word(0)).to.equal(uint(Category.OperatingStatus)); // schema id
      expect(word(1)).to.equal(uint(SCHEMA_VERSION)); // schema version
      expect(word(2)).to.equal(hexlify(concat([toUtf8Bytes(HEFEI), new Uint8Array(14)]))); // bytes18, left-aligned
      expect(word(3)).to.equal(uint(0)); // status: active
      expect(word(4)).to.equal(uint(1)); // abnormalListed
      expect(word(5)).to.equal(uint(20240701)); // abnormalSince as YYYYMMDD
      expect(word(6)).to.equal(uint(11 * 32)); // offset of abnormalReason
      expect(word(7)).to.equal(uint(3)); // tax grade M (1-based: A=1 B=2 M=3)
      expect(word(8)).to.equal(uint(2)); // employees 50-299
      expect(word(9)).to.equal(uint(2)); // revenue 10M-100M
      expect(word(10)).to.equal(uint(20241231)); // asOf
      expect(word(11)).to.equal(uint(1)); // string length
      expect(word(12)).to.equal(hexlify(concat([toUtf8Bytes("x"), new Uint8Array(31)])));
      expect(bytes.length).to.equal(13 * 32);
      // and the same through a generic ABI decoder with the published types
      const v = coder.decode([...RECORD_ABI_TYPES[Category.OperatingStatus]], bytes);
      expect(v.map(String)).to.deep.equal(["2", "1", hexlify(toUtf8Bytes(HEFEI)), "0", "true", "20240701", "x", "3", "2", "2", "20241231"]);
    });

    it("pins the digest of each example encoding", () => {
      // Any change to the layout, the enumerations or the normalisation shows up here (and needs SCHEMA_VERSION + 1).
      expect(keccak256(encodeRecord(validateRecord(BASIC)))).to.equal("0x1a3c1e847c66f0badda455e5ada6edb8a523ea2c31eb190c134445a76815165c");
      expect(keccak256(encodeRecord(validateRecord(FINANCING)))).to.equal("0x2c7c4ea5af157cd73b387627b2549992fba37dacd769a2a2ad3e57cb0191bf97");
    });

    it("gives the same bytes for every spelling of the same record", () => {
      const base = hex(validateRecord(BASIC));
      const spellings = [
        { ...BASIC, category: 1 },
        { ...BASIC, registeredCapitalFen: 500000000 },
        { ...BASIC, registeredCapitalFen: 500_000_000n },
        { ...BASIC, signer: BASIC.signer.toLowerCase() },
        { ...BASIC, name: `\u3000 ${BASIC.name}  ` }, // ideographic and ASCII spaces trimmed
        Object.fromEntries(Object.entries(BASIC).reverse()), // key order
      ];
      for (const s of spellings) expect(hex(validateRecord(s))).to.equal(base);
      // NFC: "é" as e + combining acute (NFD) and as one code point
      const decomposed = validateRecord({ ...BASIC, name: "Cafe\u0301 有限公司" });
      const composed = validateRecord({ ...BASIC, name: "Caf\u00e9 有限公司" });
      expect(hex(decomposed)).to.equal(hex(composed));
      expect(hex(composed)).to.not.equal(base);
      // encodeRecord normalises and validates by itself, whatever the caller built
      const typed = validateRecord(BASIC) as BasicInfo;
      expect(hex({ ...typed, name: `  Cafe\u0301 有限公司` })).to.equal(hex(composed));
      expect(() => encodeRecord({ ...typed, name: "" })).to.throw(RecordValidationError, /^name: must not be empty$/);
      expect(() => encodeRecord({ ...typed, enterpriseType: "llc" as BasicInfo["enterpriseType"] })).to.throw(RecordValidationError, /enterpriseType/);
    });

    it("differs when any field differs", () => {
      const base = hex(validateRecord(FINANCING));
      const variants = [
        { ...FINANCING, loansOutstandingFen: "1200000001" },
        { ...FINANCING, asOf: "2024-12-30" },
        { ...FINANCING, mortgages: [...FINANCING.mortgages].reverse() },
        { ...FINANCING, mortgages: FINANCING.mortgages.slice(0, 1) },
        { ...FINANCING, mortgages: [{ ...PLEDGE, status: "released" }, FINANCING.mortgages[1]] },
        { ...FINANCING, enterprise: uscc("91340104", "MA2TXN4K2") },
      ];
      const all = new Set([base, ...variants.map((v) => hex(validateRecord(v)))]);
      expect(all.size).to.equal(variants.length + 1);
    });

    it("decodes what it encodes, for the examples and for generated records", () => {
      for (const input of [BASIC, STATUS, FINANCING, { ...STATUS, abnormalListed: false, abnormalSince: "", abnormalReason: "", taxCreditGrade: "" }]) {
        const r = validateRecord(input);
        expect(decodeRecord(encodeRecord(r))).to.deep.equal(r);
        expect(decodeRecord(hexlify(encodeRecord(r)))).to.deep.equal(r);
      }
      const rng = new Random("records-roundtrip");
      for (let i = 0; i < 200; i++) {
        const r = validateRecord({
          ...FINANCING,
          loansOutstandingFen: BigInt(rng.nextU32()) * BigInt(rng.nextU32()),
          mortgages: Array.from({ length: rng.int(0, 5) }, () => ({
            ...PLEDGE,
            collateralKind: rng.pick(["real-estate", "equipment", "receivables", "equity", "intellectual-property", "other"]),
            amountFen: String(rng.int(1, 2 ** 31)),
            securedCreditor: rng.pick(["中国银行合肥分行", "Bank of Shanghai", "某担保公司"]),
            status: rng.pick(["registered", "released", "cancelled"]),
          })),
        });
        expect(decodeRecord(encodeRecord(r))).to.deep.equal(r);
      }
      const typed = decodeRecordOf(Category.OperatingStatus, encodeRecord(validateRecord(STATUS)));
      expect(typed.taxCreditGrade).to.equal("M");
      expect(() => decodeRecordOf(Category.BasicInfo, encodeRecord(validateRecord(STATUS)))).to.throw(RecordDecodingError, /schema id 2, expected 1/);
    });

    it("refuses bytes that are not a canonical encoding", () => {
      const good = encodeRecord(validateRecord(STATUS));
      const types = [...RECORD_ABI_TYPES[Category.OperatingStatus]];
      const values = [2, 1, hexlify(toUtf8Bytes(HEFEI)), 0, true, 20240701, "x", 3, 2, 2, 20241231];
      const craft = (i: number, v: unknown) =>
        coder.encode(
          types,
          values.map((x, k) => (k === i ? v : x)),
        );
      expect(() => decodeRecord(craft(0, 2))).not.to.throw();
      expect(() => decodeRecord(concat([good, new Uint8Array(32)]))).to.throw(RecordDecodingError, /not what encodeRecord produces/);
      expect(() => decodeRecord(good.subarray(0, good.length - 32))).to.throw(RecordDecodingError);
      expect(() => decodeRecord(good.subarray(0, 40))).to.throw(RecordDecodingError, /length 40/);
      expect(() => decodeRecord(craft(0, 4))).to.throw(RecordDecodingError, /unknown schema id 4/);
      expect(() => decodeRecord(craft(1, 2))).to.throw(RecordDecodingError, /schema version 2/);
      expect(() => decodeRecord(craft(3, 9))).to.throw(RecordDecodingError, /status index 9 is not defined/);
      expect(() => decodeRecord(craft(7, 6))).to.throw(RecordDecodingError, /taxCreditGrade index 5/);
      expect(() => decodeRecord(craft(6, " x"))).to.throw(RecordDecodingError, /not what encodeRecord produces/); // untrimmed text
      expect(() => decodeRecord(craft(5, 20240231))).to.throw(RecordValidationError, /abnormalSince: 2024-02-31 is not a calendar date/);
      const dirty = new Uint8Array(good);
      dirty[32 * 3] = 1; // a high byte of the uint8 status word
      expect(() => decodeRecord(dirty)).to.throw(RecordDecodingError);
    });
  });

  describe("commitments and leaves", () => {
    const encodings = [BASIC, STATUS, FINANCING].map((r) => encodeRecord(validateRecord(r)));

    it("salts every digest: a fresh salt per version gives a new digest for the same record", () => {
      const s1 = newSalt();
      const s2 = newSalt();
      expect(s1).to.have.length(32);
      expect(hexlify(s1)).to.not.equal(hexlify(s2));
      expect(recordDigest(s1, encodings[0])).to.equal(recordDigest(new Uint8Array(s1), encodings[0]));
      expect(recordDigest(s1, encodings[0])).to.not.equal(recordDigest(s2, encodings[0]));
      expect(recordDigest(s1, encodings[0])).to.equal(keccak256(coder.encode(["bytes32", "bytes"], [s1, encodings[0]])));
      expect(() => recordDigest(new Uint8Array(31), encodings[0])).to.throw(RangeError, /salt must be 32 bytes, got 31/);
    });

    it("the fast hot-path digest and leaf equal the readable ones", () => {
      const salt = newSalt();
      for (const [i, e] of encodings.entries()) {
        const d = recordDigest(salt, e);
        expect(hexlify(fastRecordDigest(salt, e))).to.equal(d);
        const category = (i + 1) as Category;
        expect(hexlify(fastRecordLeaf(usccBytes(HEFEI), category, 70_000, getBytes(d)))).to.equal(recordLeafHash(HEFEI, category, 70_000, d));
      }
      for (const n of [0, 1, 31, 32, 33, 300]) {
        const e = new Uint8Array(n).fill(7);
        expect(hexlify(fastRecordDigest(salt, e)), `${n} bytes`).to.equal(recordDigest(salt, e));
      }
    });

    it("leaves are @openzeppelin/merkle-tree StandardMerkleTree leaves, and its proofs hold", () => {
      const rng = new Random("leaves");
      const values = Array.from({ length: 40 }, (_, i) => {
        const enterprise = uscc(`91${rng.pick(["310115", "320106", "330106", "340104"])}`, `MA${String(i).padStart(7, "0")}`);
        const digest = recordDigest(newSalt(), encodings[i % 3]);
        return recordLeafValues(enterprise, ((i % 3) + 1) as Category, 1 + (i % 5), digest);
      });
      expect([...RECORD_LEAF_ENCODING]).to.deep.equal(["bytes18", "uint8", "uint32", "bytes32"]);
      const tree = StandardMerkleTree.of(values, [...RECORD_LEAF_ENCODING]);
      for (const v of values) {
        const [enterpriseHex, category, version, digest] = v;
        const enterprise = new TextDecoder().decode(getBytes(enterpriseHex));
        expect(recordLeafHash(enterprise, category as Category, version, digest)).to.equal(tree.leafHash(v));
        expect(StandardMerkleTree.verify(tree.root, [...RECORD_LEAF_ENCODING], v, tree.getProof(v))).to.equal(true);
      }
    });

    it("refuses leaf values the chain would not accept", () => {
      const d = recordDigest(newSalt(), encodings[0]);
      expect(() => recordLeafValues(HEFEI.slice(0, 17) + "I", 1, 1, d)).to.throw(/position 18/);
      expect(() => recordLeafValues(HEFEI, 4 as Category, 1, d)).to.throw(RangeError, /not a category/);
      expect(() => recordLeafValues(HEFEI, 1, 0, d)).to.throw(RangeError, /version/);
      expect(() => recordLeafValues(HEFEI, 1, 2 ** 32, d)).to.throw(RangeError, /version/);
      expect(() => recordLeafValues(HEFEI, 1, 1, d.slice(0, 40))).to.throw(RangeError, /digest must be 32 bytes/);
    });
  });

  describe("record files", () => {
    it("reads the example files: JSON lists and CSV rows", () => {
      const [basic, status, financing] = readRecordFile(join(EXAMPLES, "hefei-enterprise.json"));
      expect([basic.category, status.category, financing.category]).to.deep.equal([1, 2, 3]);
      const csv = readRecordFile(join(EXAMPLES, "hefei-status.csv"));
      expect(csv.length).to.be.greaterThan(1);
      for (const r of csv) expect(r.category).to.equal(Category.OperatingStatus);
      for (const r of [basic, status, financing, ...csv]) expect(decodeRecord(encodeRecord(r))).to.deep.equal(r);
    });

    it("names the file, the record and the field of a bad record", () => {
      const dir = mkdtempSync(join(tmpdir(), "yrd-records-"));
      const path = join(dir, "bad.json");
      writeFileSync(path, JSON.stringify([BASIC, { ...STATUS, revenueBand: "huge" }]));
      expect(() => readRecordFile(path)).to.throw(RecordFileError, /bad.json record 2: revenueBand: must be one of/);
      writeFileSync(join(dir, "x.csv"), "category,enterprise\noperating-status\n");
      expect(() => readRecordFile(join(dir, "x.csv"))).to.throw(RecordFileError, /record 1: has 1 cells, the header has 2/);
      writeFileSync(join(dir, "e.json"), "[]");
      expect(() => readRecordFile(join(dir, "e.json"))).to.throw(RecordFileError, /holds no record/);
    });

    it("writes records as JSON that validates back to the same record", () => {
      for (const input of [BASIC, STATUS, FINANCING]) {
        const r = validateRecord(input);
        expect(validateRecord(JSON.parse(recordToJson(r)))).to.deep.equal(r);
      }
    });
  });
});
