import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet, hexlify } from "ethers";
import { contractsOf, type Contracts } from "../src/chain/contracts.js";
import { collectTrail } from "../src/audit/trail.js";
import { verifyTrail } from "../src/audit/verify.js";
import { Purpose } from "../src/consent/authorization.js";
import { attestRecords, type EncodedRecord } from "../src/ledger/attest.js";
import { checkReports, liveQuery, planAnswer, registerAuthorization } from "../src/query/live.js";
import { QueryOutcome } from "../src/query/log-entry.js";
import { Random } from "../src/random.js";
import { encodeRecord, recordToJson, type Category } from "../src/records/index.js";
import { Session } from "../src/session.js";
import { generateRecord } from "../src/workload/enterprises.js";
import { deployedConsortium } from "./helpers/consortium.js";
import { b18, uscc } from "./helpers/codes.js";

/** A real record of `category` for `enterprise`, drawn from a stream named by `text` (each text its own content). */
const rec = (enterprise: string, category: number, text: string): EncodedRecord => {
  const r = generateRecord(new Random(text), "Hefei", enterprise, category as Category, 1);
  return { enterprise, category, encoding: encodeRecord(r), recordJson: recordToJson(r) };
};

describe("audit trail", function () {
  this.timeout(120_000);
  let f: Awaited<ReturnType<typeof deployedConsortium>>;
  let c: Contracts;
  let session: Session;
  let dataDir: string;
  const HEFEI = uscc("340104", "MA2TXN4K1");
  const HEFEI_2 = uscc("340111", "MA2TXN4K9");
  const enterpriseKey = Wallet.createRandom();

  before(async () => {
    f = await deployedConsortium(4);
    c = await contractsOf(f.conn, f.manifest);
    dataDir = mkdtempSync(join(tmpdir(), "yrd-data-"));
    session = await Session.open(f.conn, { dataDir, deployment: { manifest: f.manifest, path: join(f.deploymentsDir, "manifest.json") } });
    // hf-1 (node 23) attests live and in a batch; the enterprise binds its signer
    await attestRecords(session, [rec(HEFEI, 1, "basic v1"), rec(HEFEI, 2, "status v1")], { mode: "live" });
    await attestRecords(session, [rec(HEFEI, 3, "financing v1"), rec(HEFEI_2, 3, "other financing")], { mode: "batch" });
    await c.ledger.connect(f.operators[22]).bindEnterpriseSigner(b18(HEFEI), enterpriseKey.address);
  });
  after(() => {
    session.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("a cross-city live query: reports check out, the log is committed, and the audit proves it all", async () => {
    const inst = await f.institutionSigner(1); // sponsored by sh-1, Shanghai
    const now = Number(await f.conn.networkHelpers.time.latest());
    const authId = await registerAuthorization(c, f.manifest, inst, enterpriseKey, {
      enterprise: b18(HEFEI),
      institution: 1,
      purpose: Purpose.CreditApproval,
      categories: (1 << 1) | (1 << 3),
      notBefore: now - 10,
      notAfter: now + 86_400,
      nonce: 1n,
    });
    const q = await liveQuery(session, inst, {
      enterprise: b18(HEFEI),
      categories: (1 << 1) | (1 << 3),
      purpose: Purpose.CreditApproval,
      authorizationId: authId,
    });
    expect(q.outcome).to.equal(QueryOutcome.Fulfilled);
    expect(q.servingNode).to.equal(23);
    expect(q.reports.map((r) => [r.category, r.anchor.mode])).to.deep.equal([
      [1, "live"],
      [3, "batch"],
    ]);
    const fulfilled = (await c.desk.queryFilter(c.desk.filters.QueryFulfilled(q.queryId)))[0].args.reportDigests;
    expect((await checkReports(c, q.reports, [...fulfilled])).map((r) => r.result)).to.deep.equal(["valid", "valid"]);
    const forged = { ...q.reports[0], salt: hexlify(new Uint8Array(32).fill(9)) };
    expect((await checkReports(c, [forged], [...fulfilled]))[0].result).to.equal("commitment-mismatch");
    // the record shown beside a genuine commitment must be the one it opens
    const renamed = { ...q.reports[0], record: { ...(q.reports[0].record as object), name: "Another Name Co., Ltd." } };
    expect((await checkReports(c, [renamed], [...fulfilled]))[0].result).to.equal("record-differs-from-encoding");

    await (await session.node(23)).commitLog();

    const rows = await collectTrail(f.conn, f.manifest, c, { enterprise: HEFEI });
    const kinds = rows.map((r) => r.kind);
    for (const k of ["attestation", "batch", "signer-bound", "authorization", "query", "query-fulfilled", "log-commit"]) expect(kinds).to.include(k);
    const query = rows.find((r) => r.kind === "query")!;
    expect(query.data.crossCity).to.equal(true);
    expect(query.cities).to.include.members(["310000", "340100"]);

    const findings = await verifyTrail(c, f.manifest, session.stores, rows, { enterprise: HEFEI });
    expect(
      findings.filter((x) => !x.ok),
      JSON.stringify(findings.filter((x) => !x.ok)),
    ).to.deep.equal([]);
    expect(findings.length).to.be.greaterThan(4);
  });

  describe("a single tampered byte becomes a named failure", () => {
    async function failuresAfter(tamper: () => void, restore: () => void): Promise<string[]> {
      tamper();
      try {
        const rows = await collectTrail(f.conn, f.manifest, c, {});
        return (await verifyTrail(c, f.manifest, session.stores, rows, {})).filter((x) => !x.ok).map((x) => x.failure!);
      } finally {
        restore();
      }
    }
    const flip = (table: string, column: string, where: string) => {
      const db = session.stores.get(23).db;
      const row = db.prepare(`SELECT ${column} AS v FROM ${table} WHERE ${where}`).get() as { v: Uint8Array };
      const original = new Uint8Array(row.v);
      const changed = new Uint8Array(original);
      changed[changed.length - 1] ^= 1;
      return {
        tamper: () => db.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${where}`).run(changed),
        restore: () => db.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${where}`).run(original),
      };
    };

    it("in a live record's salt", async () => {
      const t = flip("records", "salt", "category = 1");
      expect(await failuresAfter(t.tamper, t.restore)).to.deep.equal(["store-digest-mismatch"]);
    });
    it("in a batched record's encoding", async () => {
      const t = flip("records", "encoding", "category = 3 AND enterprise = '" + HEFEI + "'");
      expect(await failuresAfter(t.tamper, t.restore)).to.deep.equal(["store-digest-mismatch"]);
    });
    it("in a batched record's leaf hash", async () => {
      const t = flip("records", "leaf_hash", "category = 3 AND enterprise = '" + HEFEI + "'");
      expect(await failuresAfter(t.tamper, t.restore)).to.deep.equal(["leaf-hash-mismatch"]);
    });
    it("in a batch's leaves (the batch no longer rebuilds its root)", async () => {
      const t = flip("batches", "leaves", "category = 3");
      expect(await failuresAfter(t.tamper, t.restore)).to.deep.equal(["batch-root-mismatch"]);
    });
    it("in a query log entry", async () => {
      const t = flip("query_log", "entry", "sequence = 0");
      expect(await failuresAfter(t.tamper, t.restore)).to.deep.equal(["log-entry-hash-mismatch"]);
    });
    it("in a query log leaf hash (the log no longer rebuilds the committed root)", async () => {
      const t = flip("query_log", "leaf_hash", "sequence = 0");
      const failures = await failuresAfter(t.tamper, t.restore);
      expect(failures).to.include("log-root-mismatch");
      expect(failures).to.include("log-entry-hash-mismatch");
    });
    it("and nothing fails once restored", async () => {
      const rows = await collectTrail(f.conn, f.manifest, c, {});
      expect((await verifyTrail(c, f.manifest, session.stores, rows, {})).filter((x) => !x.ok)).to.deep.equal([]);
    });
  });
  // last: it leaves a withheld answer behind
  describe("an answer held back from the log", () => {
    it("a query the serving node answered on chain but kept out of its log is named once the node commits after it", async () => {
      const inst = await f.institutionSigner(1);
      const categories = 1 << 1;
      const authorize = async (nonce: bigint) => {
        const now = Number(await f.conn.networkHelpers.time.latest());
        return registerAuthorization(c, f.manifest, inst, enterpriseKey, {
          enterprise: b18(HEFEI),
          institution: 1,
          purpose: Purpose.CreditApproval,
          categories,
          notBefore: now - 10,
          notAfter: now + 86_400,
          nonce,
        });
      };
      // hf-1 answers a query on chain through its journal, but with no log entry (a node holding it back)
      const withheldAuth = await authorize(2n);
      const request = { enterprise: b18(HEFEI), categories, purpose: Purpose.CreditApproval, authorizationId: withheldAuth };
      const receipt = (await (await c.desk.connect(inst).requestQuery(request)).wait())!;
      const queryId = receipt.logs.map((l) => c.desk.interface.parseLog(l)).find((p) => p?.name === "QueryRequested")!.args.queryId as bigint;
      const node = await session.node(23);
      const { step } = planAnswer(node.store, { queryId, institution: 1, ...request }, 23, (await receipt.getBlock()).timestamp);
      const withheld = { ...step, payload: { ...step.payload, logEntry: undefined } };
      await node.journalSteps([withheld]);
      await node.execute(withheld);
      const rowsBefore = await collectTrail(f.conn, f.manifest, c, {});
      // not yet a failure: the node has not committed since it answered
      expect((await verifyTrail(c, f.manifest, session.stores, rowsBefore, {})).filter((x) => !x.ok)).to.deep.equal([]);

      // a later query is logged and the log committed: the commitment came after the withheld answer and lacks it
      await liveQuery(session, inst, { ...request, authorizationId: await authorize(3n) });
      await node.commitLog();
      const rows = await collectTrail(f.conn, f.manifest, c, {});
      const failures = (await verifyTrail(c, f.manifest, session.stores, rows, {})).filter((x) => !x.ok);
      expect(failures.map((x) => [x.subject, x.failure])).to.deep.equal([[`query ${queryId}`, "answered-query-not-logged"]]);
      expect(failures[0].detail).to.match(/^node hf-1 \(23\) answered it in block \d+, before its latest commitment/);
    });
  });
});
