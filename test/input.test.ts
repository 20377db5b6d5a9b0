/**
 * Issue 12, "holes found" 1-5: input that was accepted (or refused with a message naming nothing) is refused
 * before anything is sent, with a message naming the file or option, the record or line, the field and the rule.
 * Library behaviour is called directly; command behaviour runs the Hardhat CLI on the in-process chain.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { network } from "hardhat";
import { deployConsortium } from "../src/chain/deploy.js";
import { parseDate } from "../src/cli/args.js";
import { readProofFile } from "../src/ledger/proof-file.js";
import { readRecordFile, RecordFileError } from "../src/records/index.js";
import { SEEDS_DIR } from "../src/seeds.js";
import { NodeStore } from "../src/store/nodeStore.js";
import { rejection } from "./helpers/expect.js";
import { runHardhat } from "./helpers/processes.js";

const EXAMPLES = join(SEEDS_DIR, "examples");
const CSV_HEADER = "category,enterprise,status,abnormalListed,abnormalSince,abnormalReason,taxCreditGrade,employeeBand,revenueBand,asOf";
const ROW_1 = "operating-status,91340101MA2T00000E,active,false,,,A,10-49,1M-10M,2024-12-31";
const ROW_2 = "operating-status,91340102MA2T000010,active,false,,,B,10-49,1M-10M,2024-12-31";
const BASIC = JSON.parse(readFileSync(join(EXAMPLES, "basic-info.json"), "utf8")) as Record<string, unknown>;
const STATUS = {
  category: "operating-status",
  enterprise: "91340101MA2T00000E",
  status: "active",
  abnormalListed: false,
  employeeBand: "10-49",
  revenueBand: "1M-10M",
  asOf: "2024-12-31",
};

/** A folder this process cannot write, if the system lets us make one (chmod when not root, chattr +i as root). */
function readOnlyFolder(parent: string): { dir: string; restore: () => void } | undefined {
  const dir = join(parent, "read-only");
  mkdirSync(dir);
  if (process.getuid?.() !== 0) {
    chmodSync(dir, 0o555);
    return { dir, restore: () => chmodSync(dir, 0o755) };
  }
  const r = spawnSync("chattr", ["+i", dir], { timeout: 10_000 });
  if (r.status !== 0) return undefined;
  return { dir, restore: () => void spawnSync("chattr", ["-i", dir], { timeout: 10_000 }) };
}

describe("input checks (issue 12)", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "yrd-input-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string | Uint8Array) => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };

  describe("record files", () => {
    it("1. refuses bytes that are not UTF-8 in a CSV or JSON file, naming the file, line and field", () => {
      // "\xC3(" is not UTF-8: a lenient decoder makes it U+FFFD and the corrupted text was attested
      const bad = Buffer.from([0xc3, 0x28]);
      const csv = file(
        "latin.csv",
        Buffer.concat([
          Buffer.from(`${CSV_HEADER}\n${ROW_1}\noperating-status,91340104MA2T000033,active,true,2024-07-01,未按规定`),
          bad,
          Buffer.from(`报送,M,10-49,1M-10M,2024-12-31\n`),
        ]),
      );
      expect(() => readRecordFile(csv)).to.throw(
        RecordFileError,
        /latin\.csv line 3, record 2: abnormalReason: is not valid UTF-8 \(byte 0xC3 at column \d+\)/,
      );
      const text = JSON.stringify([STATUS, BASIC], null, 2);
      const at = text.indexOf("示例智能");
      const json = file("latin.json", Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0xff]), Buffer.from(text.slice(at))]));
      expect(() => readRecordFile(json)).to.throw(RecordFileError, /latin\.json line 14, record 2: name: is not valid UTF-8 \(byte 0xFF at column \d+\)/);
      // a byte outside any string still names the file and the line
      const outside = file("outside.json", Buffer.concat([Buffer.from("[\n"), Buffer.from([0xfe]), Buffer.from("\n]")]));
      expect(() => readRecordFile(outside)).to.throw(RecordFileError, /outside\.json line 2: is not valid UTF-8 \(byte 0xFE at column 1\)/);
    });

    it("2. refuses the same enterprise and category twice in one file, naming both positions", () => {
      const csv = file("twice.csv", `${CSV_HEADER}\n${ROW_1}\n${ROW_2}\n\n${ROW_1.replace(",A,", ",B,")}\n`);
      expect(() => readRecordFile(csv)).to.throw(
        RecordFileError,
        /twice\.csv line 5, record 3: 91340101MA2T00000E operating-status is already on line 2 \(record 1\)/,
      );
      const json = file("twice.json", JSON.stringify({ records: [STATUS, BASIC, { ...STATUS, status: "suspended" }] }));
      expect(() => readRecordFile(json)).to.throw(
        RecordFileError,
        /twice\.json record 3 \(index 2\): 91340101MA2T00000E operating-status is already record 1 \(index 0\)/,
      );
      // other categories of the same enterprise, or the same category of other enterprises, are fine
      expect(readRecordFile(join(EXAMPLES, "hefei-enterprise.json"))).to.have.length(3);
      expect(readRecordFile(join(EXAMPLES, "hefei-status.csv")).length).to.be.greaterThan(1);
    });

    it("5. accepts a byte-order mark at the start of a CSV or JSON file", () => {
      const bom = Buffer.from([0xef, 0xbb, 0xbf]);
      const csv = file("bom.csv", Buffer.concat([bom, Buffer.from(`${CSV_HEADER}\r\n${ROW_1}\r\n${ROW_2}\r\n`)]));
      const plain = file("plain.csv", `${CSV_HEADER}\n${ROW_1}\n${ROW_2}\n`);
      expect(readRecordFile(csv)).to.deep.equal(readRecordFile(plain));
      const json = file("bom.json", Buffer.concat([bom, Buffer.from(JSON.stringify(BASIC))]));
      expect(readRecordFile(json)).to.deep.equal(readRecordFile(join(EXAMPLES, "basic-info.json")));
    });

    it("5. names the file, record and field of a lone surrogate in JSON", () => {
      const text = JSON.stringify([STATUS, BASIC]).replace("王明", "王\\ud800明");
      expect(() => readRecordFile(file("surrogate.json", text))).to.throw(
        RecordFileError,
        /surrogate\.json record 2: legalRepresentative: must not contain a lone surrogate \(U\+D800 at 1\)/,
      );
      const pledges = {
        category: "financing-mortgage",
        enterprise: "91340104MA2TXN4K1N",
        loansOutstandingFen: "1",
        asOf: "2024-12-31",
        mortgages: [
          { collateralKind: "equipment", amountFen: "1", securedCreditor: "X", registeredOn: "2024-01-01", expiresOn: "2025-01-01", status: "registered" },
        ],
      };
      const low = JSON.stringify(pledges).replace('"X"', '"\\udc00X"');
      expect(() => readRecordFile(file("low.json", low))).to.throw(
        RecordFileError,
        /low\.json record 1: mortgages\[0\]\.securedCreditor: must not contain a lone surrogate \(U\+DC00 at 0\)/,
      );
      // a proper pair (an emoji) is text like any other
      expect(readRecordFile(file("pair.json", JSON.stringify({ ...BASIC, name: "示例😀公司" })))[0]).to.have.property("name", "示例😀公司");
    });
  });

  describe("proof files, stores and folders", () => {
    it("5. names the file and the field of a broken proof file", () => {
      const good = {
        format: "yrd-record-proof/1",
        network: "localhost",
        chainId: "31337",
        ledger: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        enterprise: "91340104MA2TXN4K1N",
        category: 1,
        version: 1,
        nodeId: 23,
        mode: "batch",
        salt: `0x${"11".repeat(32)}`,
        digest: `0x${"22".repeat(32)}`,
        leafHash: `0x${"33".repeat(32)}`,
        batchId: 1,
        proof: [`0x${"44".repeat(32)}`],
        txHash: `0x${"55".repeat(32)}`,
        block: 7,
      };
      expect(readProofFile(file("good.proof.json", JSON.stringify(good)))).to.deep.equal(good);
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ salt: "0x12" }, /broken\.proof\.json: salt: must be 0x and 64 hex digits \(32 bytes\), got "0x12"/],
        [{ digest: undefined }, /broken\.proof\.json: digest: must be 0x and 64 hex digits \(32 bytes\), got undefined/],
        [{ version: 2 ** 40 }, /broken\.proof\.json: version: must be a whole number 1-4294967295, got 1099511627776/],
        [{ category: 9 }, /broken\.proof\.json: category: must be 1, 2 or 3/],
        [{ batchId: "abc" }, /broken\.proof\.json: batchId: must be a batch id ≥ 1/],
        [{ proof: [`0x${"44".repeat(32)}`, "zz"] }, /broken\.proof\.json: proof\[1\]: must be 0x and 64 hex digits/],
        [{ ledger: "0x1234" }, /broken\.proof\.json: ledger: must be a 0x-prefixed 20-byte address/],
        [{ enterprise: "91340104MA2TXN4K1X" }, /broken\.proof\.json: enterprise: USCC check character is 'X', expected 'N'/],
        [{ mode: "fast" }, /broken\.proof\.json: mode: must be "live" or "batch"/],
        [{ chainId: 31337 }, /broken\.proof\.json: chainId: must be a decimal string/],
      ];
      for (const [change, message] of cases) {
        const p = file("broken.proof.json", JSON.stringify({ ...good, ...change }));
        expect(() => readProofFile(p), JSON.stringify(change)).to.throw(message);
      }
    });

    it("5. SQLite errors name the store's path", () => {
      const path = join(dir, "stores", "hf-1.sqlite");
      const a = NodeStore.open(path);
      const b = NodeStore.open(path);
      try {
        a.putCommitment({ index: 0, size: 1, root: new Uint8Array(32), txHash: "0x", block: 1 });
        const dup = () => a.putCommitment({ index: 0, size: 1, root: new Uint8Array(32), txHash: "0x", block: 1 });
        expect(dup).to.throw(`node store ${path}: UNIQUE constraint failed: log_commitments.idx`);
        a.db.exec("BEGIN IMMEDIATE"); // another process holds the write lock
        expect(() => b.setMeta("k", "v")).to.throw(`node store ${path}: database is locked`);
        expect(() => b.transaction(() => b.setMeta("k", "v"))).to.throw(`node store ${path}: database is locked`);
        a.db.exec("ROLLBACK");
      } finally {
        a.close();
        b.close();
      }
    });

    it("5. a store folder that cannot be written is named, with the way out", () => {
      const notAFolder = file("plain-file", "x");
      const path = join(notAFolder, "localhost-31337", "hf-1.sqlite");
      expect(() => NodeStore.open(path)).to.throw(
        `node store ${path}: the folder ${join(notAFolder, "localhost-31337")} cannot be created or written (ENOTDIR`,
      );
      expect(() => NodeStore.open(path)).to.throw(/use a writable --data-dir$/);
      const ro = readOnlyFolder(dir);
      if (!ro) return; // neither chmod nor chattr can make a read-only folder here
      try {
        const inside = join(ro.dir, "localhost-31337", "hf-1.sqlite");
        expect(() => NodeStore.open(inside)).to.throw(`node store ${inside}: the folder ${join(ro.dir, "localhost-31337")} cannot be created or written (`);
      } finally {
        ro.restore();
      }
    });
  });

  describe("deploy options", () => {
    it("3. every option is checked before the first transaction", async () => {
      const conn = await network.create();
      const deploymentsDir = join(dir, "deployments");
      await rejection(
        deployConsortium(conn, { institutions: 100_000_000, deploymentsDir }),
        /^--institutions must be a whole number 0-100000, got 100000000 \(/,
      );
      await rejection(
        deployConsortium(conn, { objectionDays: 300_000_000_000_000, fresh: true, deploymentsDir }),
        /^--objection-days must be a whole number 1-213503982284891, got 300000000000000: the ledger keeps an objection's deadline as uint64 seconds/,
      );
      await rejection(deployConsortium(conn, { objectionDays: 1.5, deploymentsDir }), /^--objection-days must be a whole number 1-213503982284891, got 1.5/);
      const notAFolder = file("deployments-file", "x");
      await rejection(
        deployConsortium(conn, { institutions: 1, deploymentsDir: join(notAFolder, "d") }),
        new RegExp(`^the folder ${join(notAFolder, "d").replace(/[/\\.]/g, "\\$&")} cannot be created or written \\(ENOTDIR`),
      );
      expect(await conn.ethers.provider.getBlockNumber(), "no transaction was sent").to.equal(0);
    });

    it("3. a deploy that fails part-way says what happened and exactly what to do", async () => {
      const conn = await network.create();
      const deploymentsDir = join(dir, "deployments-partway");
      // a fault injected once the registry, cities and nodes are on chain (the RPC going away, say)
      const log = (line: string) => {
        if (line.startsWith("registered 16 cities")) throw new Error("connection reset by peer");
      };
      const e = await rejection(deployConsortium(conn, { institutions: 30, deploymentsDir, log }));
      expect(e.message).to.match(
        /^deployment stopped after 44 transactions \(connection reset by peer\): no manifest was written to .*default-31337\.json; the contracts sent so far \(ConsortiumRegistry at 0x[0-9a-fA-F]{40}\) stay on chain, unused\. Fix the cause and run deploy again with the same options: with no manifest it deploys anew$/,
      );
      expect(await conn.ethers.provider.getBlockNumber()).to.equal(44);
    });
  });

  describe("commands on the in-process chain", () => {
    const hh = (args: string[], timeoutMs = 90_000) => runHardhat(args, { YRD_DEPLOYMENTS_DIR: join(dir, "cli-deployments") }, timeoutMs);
    const oneLineError = (r: { code: number | null; stderr: string }, message: RegExp) => {
      expect(r.code, r.stderr).to.equal(1);
      const lines = r.stderr.trim().split("\n");
      expect(lines.at(-1), r.stderr).to.match(message);
      expect(lines.at(-1)!.startsWith("error: "), r.stderr).to.equal(true);
    };

    it("3. deploy refuses out-of-range options at once, sending nothing", async () => {
      // today: out of memory after 48 transactions (bounded here at 60 s so that today's code fails fast)
      const many = await hh(["deploy", "--institutions", "100000000"], 60_000);
      oneLineError(many, /^error: --institutions must be a whole number 0-100000, got 100000000/);
      expect(many.stdout).not.to.match(/deploying ConsortiumRegistry/);
      // today: "value out-of-bounds" after 44 transactions
      const days = await hh(["deploy", "--objection-days", "300000000000000", "--fresh"]);
      oneLineError(days, /^error: --objection-days must be a whole number 1-213503982284891, got 300000000000000/);
      expect(days.stdout).not.to.match(/deploying ConsortiumRegistry/);
    });

    it("3, 4. options are typed: a value of the wrong type is refused by Hardhat, naming the option, before anything runs", async () => {
      for (const [args, message] of [
        [["deploy", "--institutions", "1.5"], /Invalid value "1\.5" for argument "institutions" of type "INT"/],
        [["replay", "--scale", "a tenth"], /Invalid value "a tenth" for argument "scale" of type "FLOAT"/],
        [["audit", "--sample", "-1"], /Invalid value "-1" for argument "sample" of type "INT"/],
      ] as [string[], RegExp][]) {
        const r = await hh(args);
        expect(r.code, r.stderr).to.equal(1);
        expect(r.stderr + r.stdout).to.match(message);
        expect(r.stdout).not.to.match(/deploying ConsortiumRegistry/);
      }
    });

    it("4. audit refuses every bad filter with exit code 1, naming the option and the rule", async () => {
      const cases: [string[], RegExp][] = [
        [["--enterprise", "91340104MA2TXN4K1X"], /^error: --enterprise 91340104MA2TXN4K1X: USCC check character is 'X', expected 'N'$/],
        [["--from", "2024-02-30"], /^error: --from 2024-02-30: not a calendar date \(2024-02 has 29 days\)$/],
        [["--to", "2026-11-31"], /^error: --to 2026-11-31: not a calendar date \(2026-11 has 30 days\)$/],
        [
          ["--city", "abc"],
          /^error: --city abc: must be the 6-digit division code of a connected city: 310000 \(Shanghai\), 320100 \(Nanjing\), .*340200 \(Wuhu\)$/,
        ],
        [["--city", "999999"], /^error: --city 999999: not a connected city; the connected cities are 310000 \(Shanghai\), .*$/],
        [["--from", "2024-05-02", "--to", "2024-05-01"], /^error: --from 2024-05-02 is after --to 2024-05-01: no row can match$/],
        [["--sample", "3"], /^error: --sample needs --verify \(it chooses what --verify proves\)$/],
        [["--institution", "99999"], /^error: --institution 99999: this deployment has institutions 1-899$/],
      ];
      for (const [args, message] of cases) oneLineError(await hh(["audit", ...args]), message);
    });

    it("1, 5. attest and verify-record name the file and the field before anything is deployed", async () => {
      const csv = file(
        "latin-cli.csv",
        Buffer.concat([
          Buffer.from(`${CSV_HEADER}\noperating-status,91340101MA2T00000E,active,true,2024-07-01,caf`),
          Buffer.from([0xe9]),
          Buffer.from(",A,10-49,1M-10M,2024-12-31\n"),
        ]),
      );
      const utf8 = await hh(["attest", "--file", csv]);
      oneLineError(utf8, /^error: .*latin-cli\.csv line 2, record 1: abnormalReason: is not valid UTF-8 \(byte 0xE9 at column \d+\)/);
      expect(utf8.stderr).not.to.match(/deploying/);
      const proof = file(
        "cli.proof.json",
        JSON.stringify({
          format: "yrd-record-proof/1",
          network: "default",
          chainId: "31337",
          ledger: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
          enterprise: "91340104MA2TXN4K1N",
          category: 1,
          version: 1,
          nodeId: 23,
          mode: "live",
          salt: "0xzz",
          digest: `0x${"22".repeat(32)}`,
          leafHash: `0x${"33".repeat(32)}`,
          txHash: `0x${"55".repeat(32)}`,
          block: 7,
        }),
      );
      const v = await hh(["verify-record", "--record", join(EXAMPLES, "basic-info.json"), "--proof", proof]);
      oneLineError(v, /^error: proof file .*cli\.proof\.json: salt: must be 0x and 64 hex digits \(32 bytes\), got "0xzz"$/);
    });

    it("5. a --data-dir that cannot be written is one line naming the folder, before anything is deployed", async () => {
      const notAFolder = file("data-file", "x");
      const r = await hh(["attest", "--file", join(EXAMPLES, "basic-info.json"), "--data-dir", join(notAFolder, "data")]);
      oneLineError(
        r,
        new RegExp(
          `^error: the folder ${join(notAFolder, "data", "default-31337").replace(/[/\\.]/g, "\\$&")} cannot be created or written \\(ENOTDIR.*\\): use a writable --data-dir$`,
        ),
      );
      expect(r.stdout + r.stderr).not.to.match(/registered \d+ institutions/);
    });
  });

  it("4. dates are calendar dates (and ISO times real times)", () => {
    expect(parseDate("2024-02-29", "--from")).to.equal(Date.UTC(2024, 1, 29) / 1000);
    expect(parseDate("2024-02-29", "--to", true)).to.equal(Date.UTC(2024, 1, 29) / 1000 + 86_399);
    expect(parseDate("2024-05-01T08:30:00+08:00", "--from")).to.equal(Date.UTC(2024, 4, 1, 0, 30) / 1000);
    expect(() => parseDate("2024-02-30", "--from")).to.throw("--from 2024-02-30: not a calendar date (2024-02 has 29 days)");
    expect(() => parseDate("2023-02-29", "--from")).to.throw("--from 2023-02-29: not a calendar date (2023-02 has 28 days)");
    expect(() => parseDate("2026-11-31", "--to", true)).to.throw("--to 2026-11-31: not a calendar date (2026-11 has 30 days)");
    expect(() => parseDate("2024-13-01", "--to")).to.throw("--to 2024-13-01: not a calendar date (month 13)");
    expect(() => parseDate("2024-04-31T10:00:00Z", "--to")).to.throw("--to 2024-04-31T10:00:00Z: not a calendar date (2024-04 has 30 days)");
    expect(() => parseDate("2024-04-30T24:30:00Z", "--to")).to.throw("--to 2024-04-30T24:30:00Z: not a time of day (hour 24)");
    expect(() => parseDate("yesterday", "--from")).to.throw("--from yesterday: must be a date YYYY-MM-DD or an ISO time such as 2024-05-01T08:00:00Z");
  });
});
