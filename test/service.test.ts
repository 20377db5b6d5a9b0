import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Contract, Interface, JsonRpcProvider, Transaction, Wallet, hexlify, type Signer } from "ethers";
import { institutionWallet } from "../src/chain/accounts.js";
import { contractsOf, type Contracts } from "../src/chain/contracts.js";
import { Purpose, consentDomain, signAuthorization, type Authorization } from "../src/consent/authorization.js";
import { usccBytes } from "../src/ledger/leaf.js";
import { QueryOutcome, RefusalReason, decodeLogEntry } from "../src/query/log-entry.js";
import { checkReports } from "../src/query/live.js";
import type { CreditReport } from "../src/query/report.js";
import { signReportsChallenge } from "../src/service/auth.js";
import { signQueryRequest } from "../src/service/client.js";
import { startNodeService, type RunningService } from "../src/service/run.js";
import { Session } from "../src/session.js";
import { uscc } from "./helpers/codes.js";
import { deployedConsortium } from "./helpers/consortium.js";
import { ROOT, runHardhat, startHardhatNode, type HardhatNode } from "./helpers/processes.js";

const SH_1 = 1;
const HZ_1 = 14;
/** Institution 14 is sponsored by hz-1 (institutions are spread round-robin over the 25 nodes). */
const HZ_INSTITUTION = 14;
const ALL = (1 << 1) | (1 << 2) | (1 << 3);

/** The answer of `POST /institution/queries/:id/reports` for a fulfilled query. */
interface Served {
  status: string;
  servedBy: string;
  reports: CreditReport[];
  reportDigests: string[];
  log: { sequence: number; commitment: { size: number }; verifiedOnChain: boolean };
}

/** Polls `fn` every `everyMs` until it returns a value other than undefined; fails after `timeoutMs`. */
async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const basicInfo = (enterprise: string, signer: string) => ({
  category: "basic-info",
  enterprise,
  name: "上海示例科技有限公司",
  legalRepresentative: "李华",
  registeredCapitalFen: "100000000",
  currency: "CNY",
  establishedOn: "2018-03-12",
  address: "上海市浦东新区示例路 1 号",
  industryCode: "I6510",
  enterpriseType: "limited-liability",
  signer,
});
const operatingStatus = (enterprise: string, grade = "A") => ({
  category: "operating-status",
  enterprise,
  status: "active",
  abnormalListed: false,
  abnormalSince: "",
  abnormalReason: "",
  taxCreditGrade: grade,
  employeeBand: "50-299",
  revenueBand: "10M-100M",
  asOf: "2024-12-31",
});

describe("city node service", function () {
  this.timeout(120_000);
  let f: Awaited<ReturnType<typeof deployedConsortium>>;
  let c: Contracts;
  let dataDir: string;
  let sessions: Session[] = [];
  let sh: RunningService;
  let hz: RunningService;
  const enterpriseKey = Wallet.createRandom();
  const SH_ENTERPRISE = uscc("310115", "MA1FL0001");
  const HZ_ENTERPRISE = uscc("330106", "MA2CD0001");
  let auth: (over?: Partial<Authorization>, enterprise?: string) => Promise<Authorization>;

  before(async () => {
    f = await deployedConsortium(16);
    c = await contractsOf(f.conn, f.manifest);
    dataDir = mkdtempSync(join(tmpdir(), "yrd-service-"));
    const open = async () => {
      const s = await Session.open(f.conn, { dataDir, deployment: { manifest: f.manifest, path: join(f.deploymentsDir, "manifest.json") } });
      sessions.push(s);
      return s;
    };
    // sh-1 attests live, commits its log at every entry; hz-1 batches records by 2 or every second
    sh = await startNodeService(await open(), { nodeId: SH_1, commitSize: 1, commitSeconds: 60, pollMs: 100 });
    hz = await startNodeService(await open(), { nodeId: HZ_1, batchSize: 2, batchSeconds: 1, commitSize: 1, commitSeconds: 60, pollMs: 100 });
    auth = async (over = {}, enterprise = SH_ENTERPRISE) => {
      const now = (await f.conn.ethers.provider.getBlock("latest"))!.timestamp;
      return {
        enterprise: hexlify(usccBytes(enterprise)),
        institution: HZ_INSTITUTION,
        purpose: Purpose.CreditApproval,
        categories: ALL,
        notBefore: now - 60,
        notAfter: now + 86_400,
        nonce: BigInt(Date.now()) * 1000n + BigInt(Math.floor(Math.random() * 1000)),
        ...over,
      };
    };
  });
  after(async () => {
    await sh?.close();
    await hz?.close();
    for (const s of sessions) s.close();
    sessions = [];
    rmSync(dataDir, { recursive: true, force: true });
  });

  const operator = (svc: RunningService) => ({ authorization: `Bearer ${svc.service.token}` });
  const domain = () => consentDomain(f.manifest.chainId, f.manifest.contracts.ConsentRegistry.address);
  const deployment = () => ({
    chainId: f.manifest.chainId,
    consentRegistry: f.manifest.contracts.ConsentRegistry.address,
    queryDesk: f.manifest.contracts.QueryDesk.address,
  });
  /** The relay body of a query under `a`: the enterprise signs (or `signer` does), the institution signs both transactions. */
  async function relayBody(a: Authorization, enterprise: string, signer: Signer | "unsigned" = enterpriseKey, institution = HZ_INSTITUTION) {
    const inst = await f.institutionSigner(institution);
    const signature = signer === "unsigned" ? "0x" : await signAuthorization(signer, domain(), a);
    return signQueryRequest(inst, f.conn.ethers.provider, c, deployment(), enterprise, a, signature);
  }

  it("answers malformed requests with 400 naming the field, and operator routes without the token with 401", async () => {
    const post = (svc: RunningService, url: string, payload: unknown, headers = operator(svc)) =>
      svc.app.inject({ method: "POST", url, payload: payload as object, headers });
    let r = await post(sh, "/operator/records", { records: [{ enterprise: SH_ENTERPRISE }] });
    expect(r.statusCode).to.equal(400);
    expect(r.json()).to.include({ error: "bad-request", field: "body.records[0].category" });
    r = await post(sh, "/operator/records", { records: [{ ...operatingStatus(SH_ENTERPRISE), taxCreditGrade: "E" }] });
    expect([r.statusCode, r.json().field]).to.deep.equal([400, "body.records[0].taxCreditGrade"]);
    r = await post(sh, "/operator/records", { records: [operatingStatus(HZ_ENTERPRISE)] });
    expect([r.statusCode, r.json().field]).to.deep.equal([400, "body.records[0].enterprise"]);
    expect(r.json().message).to.match(/Hangzhou \(330100\) enterprise; node sh-1 attests Shanghai/);
    r = await post(sh, "/operator/records", { records: [], extra: 1 });
    expect([r.statusCode, r.json().field]).to.deep.equal([400, "body.extra"]);
    r = await post(sh, "/operator/records", { records: [operatingStatus(SH_ENTERPRISE)] }, { authorization: "Bearer nope" });
    expect([r.statusCode, r.json().error]).to.deep.equal([401, "unauthorized"]);

    const good = await relayBody(await auth(), SH_ENTERPRISE);
    r = await post(hz, "/institution/queries", { ...good, requestTx: undefined });
    expect([r.statusCode, r.json().field]).to.deep.equal([400, "body.requestTx"]);
    r = await post(hz, "/institution/queries", { ...good, authorization: { ...good.authorization, purpose: 9 } });
    expect([r.statusCode, r.json().field]).to.deep.equal([400, "body.authorization.purpose"]);
    r = await post(hz, "/institution/queries", { ...good, requestTx: "0x1234" });
    expect([r.statusCode, r.json().field]).to.deep.equal([400, "body.requestTx"]);
    r = await post(hz, "/institution/queries", { ...good, authorization: { ...good.authorization, enterprise: SH_ENTERPRISE.slice(0, 17) + "0" } });
    expect([r.statusCode, r.json().field]).to.deep.equal([400, "body.authorization.enterprise"]);
    r = await hz.app.inject({ method: "POST", url: "/institution/queries/abc/reports", payload: { issuedAt: 1, signature: "0x" } });
    expect([r.statusCode, r.json().field]).to.deep.equal([400, "params.queryId"]);
  });

  it("attests a record submitted at the Shanghai node's service live, with its proof file, and a Hangzhou batch on its trigger", async () => {
    const r = await sh.app.inject({
      method: "POST",
      url: "/operator/records",
      headers: operator(sh),
      payload: { records: [basicInfo(SH_ENTERPRISE, enterpriseKey.address), operatingStatus(SH_ENTERPRISE)] },
    });
    expect(r.statusCode, r.body).to.equal(200);
    const body = r.json();
    expect(body.status).to.equal("attested");
    expect(
      body.records.map((x: { category: string; proof: { version: number; mode: string; format: string; txHash: string } }) => [
        x.category,
        x.proof.version,
        x.proof.mode,
        x.proof.format,
      ]),
    ).to.deep.equal([
      ["basic-info", 1, "live", "yrd-record-proof/1"],
      ["operating-status", 1, "live", "yrd-record-proof/1"],
    ]);
    expect(await c.ledger.enterpriseSigner(hexlify(usccBytes(SH_ENTERPRISE)))).to.equal(enterpriseKey.address); // bound from the basic record
    const status = await sh.app.inject({ method: "GET", url: `/records/${SH_ENTERPRISE}/operating-status/status` });
    expect(status.json()).to.include({ verdict: "valid", version: 1, node: "sh-1", mode: "live" });
    const verify = await sh.app.inject({
      method: "POST",
      url: "/records/verify",
      payload: { record: operatingStatus(SH_ENTERPRISE), proof: body.records[1].proof },
    });
    expect(verify.json()).to.deep.equal({ verdict: "valid" });
    const changed = await sh.app.inject({
      method: "POST",
      url: "/records/verify",
      payload: { record: operatingStatus(SH_ENTERPRISE, "B"), proof: body.records[1].proof },
    });
    expect(changed.json().verdict).to.equal("not anchored");
    expect((await sh.app.inject({ method: "GET", url: `/records/${HZ_ENTERPRISE}/basic-info/status` })).statusCode).to.equal(404);

    // a live submission still landing when the service's answer time is up: 202, then followed at its route
    const opts = sh.service.opts;
    opts.liveAnswerWithinMs = 1;
    try {
      const slow = await sh.app.inject({
        method: "POST",
        url: "/operator/records",
        headers: operator(sh),
        payload: { records: [operatingStatus(uscc("310115", "MA1FL0009"))] },
      });
      expect([slow.statusCode, slow.json().status], slow.body).to.deep.equal([202, "queued"]);
      expect(slow.json().note).to.match(/still landing after 0.001 s; follow it at GET \/operator\/submissions\/\d+/);
      const landed = await waitFor("the slow live submission", async () => {
        const v = (await sh.app.inject({ method: "GET", url: `/operator/submissions/${slow.json().submission}`, headers: operator(sh) })).json();
        return v.status === "attested" ? v : undefined;
      });
      expect(landed.records[0].proof).to.include({ mode: "live", version: 1 });
    } finally {
      delete opts.liveAnswerWithinMs;
    }

    // batch mode: accepted at once, on chain in one Merkle batch when its trigger fires
    const queued = await hz.app.inject({
      method: "POST",
      url: "/operator/records",
      headers: operator(hz),
      payload: { records: [operatingStatus(HZ_ENTERPRISE)] },
    });
    expect([queued.statusCode, queued.json().status]).to.deep.equal([202, "queued"]);
    const id = queued.json().submission;
    const done = await waitFor("the Hangzhou batch", async () => {
      const s = (await hz.app.inject({ method: "GET", url: `/operator/submissions/${id}`, headers: operator(hz) })).json();
      if (s.status === "queued") expect(s.queuedRecords, "a queued submission counts the service's queue").to.be.at.least(1);
      else expect(s).to.not.have.property("queuedRecords");
      return s.status === "attested" ? s : undefined;
    });
    expect(done.records[0].proof).to.include({ mode: "batch", version: 1, enterprise: HZ_ENTERPRISE });
    expect((await hz.app.inject({ method: "GET", url: `/records/${HZ_ENTERPRISE}/operating-status/status` })).json().verdict).to.equal("valid");
  });

  it("revokes a record version it attested at the operator route, once however often asked; a refusal names the contract's error", async () => {
    const E = uscc("310115", "MA1FL0002");
    const E2 = uscc("310115", "MA1FL0003");
    const [E3, E4] = [uscc("310115", "MA1FL0004"), uscc("310115", "MA1FL0005")];
    const attested = await sh.app.inject({
      method: "POST",
      url: "/operator/records",
      headers: operator(sh),
      payload: { records: [operatingStatus(E), operatingStatus(E2), operatingStatus(E3), operatingStatus(E4)] },
    });
    expect(attested.statusCode, attested.body).to.equal(200);
    const revoke = (revocations: object[], headers = operator(sh)) =>
      sh.app.inject({ method: "POST", url: "/operator/revocations", headers, payload: { revocations } });
    const revokedEvents = async (enterprise: string) => (await c.ledger.queryFilter(c.ledger.filters.Revoked(hexlify(usccBytes(enterprise))))).length;

    // bad requests name the field; unknown versions and other cities' records are refused before anything is sent
    let r = await revoke([{ enterprise: E, category: "operating-status", version: 1, reason: 0 }]);
    expect([r.statusCode, r.json().field]).to.deep.equal([400, "body.revocations[0].reason"]);
    r = await revoke([{ enterprise: E, category: "rating", version: 1, reason: 1 }]);
    expect([r.statusCode, r.json().field]).to.deep.equal([400, "body.revocations[0].category"]);
    r = await revoke([{ enterprise: HZ_ENTERPRISE, category: "operating-status", version: 1, reason: 1 }]);
    expect([r.statusCode, r.json().field]).to.deep.equal([400, "body.revocations[0].enterprise"]);
    r = await revoke([
      { enterprise: E, category: "operating-status", version: 1, reason: 1 },
      { enterprise: E, category: 2, version: 1, reason: 2 },
    ]);
    expect([r.statusCode, r.json().field]).to.deep.equal([400, "body.revocations[1]"]);
    r = await revoke([{ enterprise: E, category: "operating-status", version: 2, reason: 1 }]);
    expect([r.statusCode, r.json().error]).to.deep.equal([404, "unknown-record"]);
    r = await revoke([{ enterprise: E, category: "operating-status", version: 1, reason: 1 }], { authorization: "Bearer nope" });
    expect(r.statusCode).to.equal(401);
    expect(await revokedEvents(E)).to.equal(0);

    r = await revoke([{ enterprise: E, category: "operating-status", version: 1, reason: 1 }]);
    expect(r.statusCode, r.body).to.equal(200);
    expect(r.json()).to.deep.include({ node: "sh-1", revoked: 1, refused: 0 });
    const first = r.json().revocations[0];
    expect(first).to.include({ enterprise: E, category: "operating-status", version: 1, reason: 1, status: "revoked" });
    expect(first.txHash).to.match(/^0x[0-9a-f]{64}$/);
    expect((await sh.app.inject({ method: "GET", url: `/records/${E}/operating-status/status` })).json().verdict).to.equal("revoked");
    // asked again: answered from the journal, not sent again
    r = await revoke([{ enterprise: E, category: "operating-status", version: 1, reason: 1 }]);
    expect([r.statusCode, r.json().revocations[0].txHash]).to.deep.equal([200, first.txHash]);
    expect(await revokedEvents(E)).to.equal(1);

    // several in one request, sent side by side
    r = await revoke([
      { enterprise: E3, category: "operating-status", version: 1, reason: 2 },
      { enterprise: E4, category: "operating-status", version: 1, reason: 3 },
    ]);
    expect(r.statusCode, r.body).to.equal(200);
    expect(r.json().revocations.map((x: { status: string; reason: number }) => [x.status, x.reason])).to.deep.equal([
      ["revoked", 2],
      ["revoked", 3],
    ]);
    expect([await revokedEvents(E3), await revokedEvents(E4)]).to.deep.equal([1, 1]);

    // revoked outside this route (the node's own step), the chain refuses it: 422 with the contract's error
    const node = sh.service.node;
    const outside = { key: "test/revoke-outside", kind: "revoke" as const, payload: { items: [{ enterprise: E2, category: 2, version: 1, reason: 3 }] } };
    await node.journalSteps([outside]);
    await node.execute(outside);
    r = await revoke([{ enterprise: E2, category: "operating-status", version: 1, reason: 1 }]);
    expect(r.statusCode, r.body).to.equal(422);
    expect(r.json()).to.deep.include({ revoked: 0, refused: 1 });
    expect(r.json().revocations[0]).to.include({ status: "refused" });
    expect(r.json().revocations[0].error).to.match(/AlreadyRevoked/);
    const metrics = (await sh.app.inject({ method: "GET", url: "/metrics" })).body;
    expect(metrics).to.match(/yrd_revocations_total\{[^}]*result="revoked"[^}]*\} 4/); // E asked twice, E3 and E4
    expect(metrics).to.match(/yrd_revocations_total\{[^}]*result="refused"[^}]*\} 1/);
  });

  it("refuses an unknown enterprise (404), and an unsigned or mis-signed authorization, an unsigned transaction or the wrong institution (403) with the reason", async () => {
    const send = (payload: object) => hz.app.inject({ method: "POST", url: "/institution/queries", payload });
    const unknown = uscc("310115", "MA1FL0099");
    let r = await send(await relayBody(await auth({}, unknown), unknown));
    expect([r.statusCode, r.json().error]).to.deep.equal([404, "unknown-enterprise"]);
    expect(r.json().message).to.contain(unknown);

    const a = await auth();
    const good = await relayBody(a, SH_ENTERPRISE);
    r = await send(await relayBody(a, SH_ENTERPRISE, "unsigned"));
    expect([r.statusCode, r.json().error]).to.deep.equal([403, "unsigned-authorization"]);
    const stranger = Wallet.createRandom();
    const misSigned = await relayBody(a, SH_ENTERPRISE, stranger);
    r = await send(misSigned);
    expect([r.statusCode, r.json().error]).to.deep.equal([403, "mis-signed-authorization"]);
    expect(r.json().message).to.contain(`signed by ${stranger.address}, not by the enterprise's bound signer ${enterpriseKey.address}`);
    r = await send({ ...good, requestTx: Transaction.from(good.requestTx).unsignedSerialized });
    expect([r.statusCode, r.json().error, r.json().field]).to.deep.equal([403, "unsigned-transaction", "body.requestTx"]);
    // institution 2 signs transactions carrying an authorization made out to institution 14
    r = await send(await relayBody(a, SH_ENTERPRISE, enterpriseKey, 2));
    expect([r.statusCode, r.json().error]).to.deep.equal([403, "wrong-institution"]);
    expect(r.json().message).to.match(/authorization is for institution 14; the transactions are signed by institution 2/);
    // an expired authorization: the contract's named error, from eth_call before anything is sent
    const now = (await f.conn.ethers.provider.getBlock("latest"))!.timestamp;
    r = await send(await relayBody(await auth({ notBefore: now - 7200, notAfter: now - 3600 }), SH_ENTERPRISE));
    expect([r.statusCode, r.json().error]).to.deep.equal([403, "refused-by-contract"]);
    expect(r.json().message).to.match(/AuthorizationExpired/);
    const expired = r.json().logged;

    // the attempts refused for their authorization are logged by the relaying node (Refused, with a reason code);
    // a request not signed by the institution the authorization names is not (anyone could grow the log)
    const logged = async (payload: object) => (await send(payload)).json().logged as { node: string; sequence: number } | undefined;
    const unsigned = await logged(await relayBody(a, SH_ENTERPRISE, "unsigned"));
    const misSignedAgain = await logged(misSigned);
    expect(await logged({ ...good, requestTx: Transaction.from(good.requestTx).unsignedSerialized })).to.equal(undefined);
    expect(await logged(await relayBody(a, SH_ENTERPRISE, enterpriseKey, 2))).to.equal(undefined);
    expect(await logged(await relayBody(await auth({}, unknown), unknown))).to.equal(undefined);
    expect([unsigned?.node, misSignedAgain?.node, expired?.node]).to.deep.equal(["hz-1", "hz-1", "hz-1"]);
    const node = hz.service.node;
    const entryOf = (seq: number) => decodeLogEntry(node.store.logEntry(seq)!.entry);
    for (const [at, reason] of [
      [unsigned!.sequence, RefusalReason.NoAuthorization],
      [misSignedAgain!.sequence, RefusalReason.InvalidAuthorization],
      [expired.sequence, RefusalReason.InvalidAuthorization],
    ] as const)
      expect(entryOf(at)).to.include({ outcome: QueryOutcome.Refused, reason, institution: HZ_INSTITUTION, servingNode: HZ_1, liveQueryId: 0n });
    expect(entryOf(unsigned!.sequence).enterprise).to.equal(hexlify(usccBytes(SH_ENTERPRISE)));
    // committed on the node's trigger (every entry here), so each can be proven against the chain
    await waitFor("the refusals committed", async () => ((node.store.commitments().at(-1)?.size ?? 0) > unsigned!.sequence ? true : undefined));
    const proof = (await hz.app.inject({ method: "GET", url: `/log/entries/${unsigned!.sequence}/proof` })).json();
    expect(proof).to.include({ node: "hz-1", sequence: unsigned!.sequence, verifiedOnChain: true });
  });

  it("relays a Hangzhou-sponsored institution's query; the Shanghai service serves it by itself; the reports and the log entry check out", async () => {
    const body = await relayBody(await auth(), SH_ENTERPRISE);
    const r = await hz.app.inject({ method: "POST", url: "/institution/queries", payload: body });
    expect(r.statusCode, r.body).to.equal(202);
    const relayed = r.json();
    expect(relayed).to.include({ servingCity: "310000", servingNode: "sh-1", crossCity: true, institution: HZ_INSTITUTION, status: "requested" });
    const inst = await f.institutionSigner(HZ_INSTITUTION);
    const fetchReports = async (svc: RunningService, signer: Signer = inst) =>
      svc.app.inject({
        method: "POST",
        url: `/institution/queries/${relayed.queryId}/reports`,
        payload: await signReportsChallenge(signer, f.manifest.chainId, f.manifest.contracts.QueryDesk.address, relayed.queryId),
      });
    const served: Served = await waitFor("sh-1 to serve the query", async () => {
      const x = await fetchReports(sh);
      return x.statusCode === 200 && x.json().log?.verifiedOnChain ? x.json() : undefined;
    });
    expect(served).to.include({ status: "fulfilled", servedBy: "sh-1" });
    expect(served.reports.map((x: { category: number }) => x.category)).to.deep.equal([1, 2]);
    const checks = await checkReports(c, served.reports, served.reportDigests);
    expect(checks.map((x) => x.result)).to.deep.equal(["valid", "valid"]);
    expect(served.log.commitment.size).to.be.greaterThan(served.log.sequence);
    const q = await c.desk.query(relayed.queryId);
    expect([q.status, q.servedBy]).to.deep.equal([2n, BigInt(SH_1)]);

    // only the requesting institution gets them; only the serving node has them
    const other = await fetchReports(sh, await f.institutionSigner(2));
    expect([other.statusCode, other.json().error]).to.deep.equal([403, "not-the-requester"]);
    const elsewhere = await fetchReports(hz);
    expect([elsewhere.statusCode, elsewhere.json().error]).to.deep.equal([404, "served-elsewhere"]);
    // public: the entry's inclusion proof against the latest commitment, and the commitments
    const proof = (await sh.app.inject({ method: "GET", url: `/log/entries/${served.log.sequence}/proof` })).json();
    expect(proof).to.include({ sequence: served.log.sequence, verifiedOnChain: true });
    expect(await c.queryLog.verifyEntry(SH_1, proof.commitment.index, proof.sequence, proof.leafHash, proof.proof)).to.equal(true);
    const commitments = (await sh.app.inject({ method: "GET", url: "/log/commitments" })).json();
    expect(commitments.onChainCount).to.equal(commitments.commitments.length);
    expect((await sh.app.inject({ method: "GET", url: "/log/entries/99/proof" })).statusCode).to.equal(404);
  });

  it("reports health, and metrics with the named series", async () => {
    const h = await sh.app.inject({ method: "GET", url: "/health" });
    expect([h.statusCode, h.json().status]).to.deep.equal([200, "ok"]);
    const m = await sh.app.inject({ method: "GET", url: "/metrics" });
    expect(m.statusCode).to.equal(200);
    for (const series of [
      "yrd_chain_head_block",
      "yrd_chain_peers",
      "yrd_journal_unfinished_steps",
      "yrd_records_queued",
      "yrd_record_flushes_total",
      "yrd_query_log_size",
      "yrd_query_log_committed_size",
      "yrd_query_log_last_commitment_index",
      "yrd_queries_answered_total",
      "yrd_http_request_duration_seconds_bucket",
    ])
      expect(m.body, series).to.match(new RegExp(`^${series}[{ ]`, "m"));
    expect(m.body).to.match(/^yrd_queries_answered_total\{(?=[^}]*outcome="fulfilled")(?=[^}]*node="sh-1")[^}]*\} 1$/m);
    expect(m.body).to.match(
      /^yrd_http_request_duration_seconds_count\{node="sh-1",network="default",method="POST",route="\/operator\/records",status="200"\} 2$/m, // the live submissions of the tests above
    );
  });
});

describe("node-service task on a hardhat node", function () {
  this.timeout(180_000);
  let chain: HardhatNode;
  let dir: string;
  let env: Record<string, string>;
  const children: ChildProcess[] = [];

  before(async () => {
    chain = await startHardhatNode();
    dir = mkdtempSync(join(tmpdir(), "yrd-service-e2e-"));
    env = { YRD_LOCALHOST_PORT: String(chain.port), YRD_DEPLOYMENTS_DIR: join(dir, "deployments") };
    const d = await runHardhat(["--network", "localhost", "deploy", "--institutions", "4", "--data-dir", join(dir, "data")], env);
    expect(d.code, d.stderr).to.equal(0);
  });
  after(async () => {
    for (const ch of children) if (ch.exitCode === null && ch.signalCode === null) ch.kill("SIGKILL");
    await chain?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the task; resolves with its URL once it listens (bounded). */
  function startService(): Promise<{ child: ChildProcess; url: string; out: () => string }> {
    const child = spawn(
      process.execPath,
      [
        join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js"),
        "--network",
        "localhost",
        "node-service",
        "--node",
        "sh-1",
        "--port",
        "0",
        "--data-dir",
        join(dir, "data"),
        "--batch-size",
        "3",
        "--batch-seconds",
        "30",
        "--commit-size",
        "1",
        "--poll-ms",
        "200",
      ],
      { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    children.push(child);
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node-service did not start within 60 s:\n${out}`)), 60_000);
      const check = () => {
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve({ child, url: m[1], out: () => out });
        }
      };
      child.stdout!.on("data", check);
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`node-service exited with ${code}:\n${out}`));
      });
    });
  }

  it("runs on --network localhost; after kill -9 in the middle of a batch it settles its journal on restart: nothing lost, nothing sent twice; a query requested while it was down is served", async () => {
    const rpc = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true });
    const manifest = JSON.parse(readFileSync(join(dir, "deployments", "localhost-31337.json"), "utf8"));
    const abi = (name: string) => JSON.parse(readFileSync(join(ROOT, "artifacts", "contracts", `${name}.sol`, `${name}.json`), "utf8")).abi;
    const c = {
      ledger: new Contract(manifest.contracts.CreditLedger.address, abi("CreditLedger"), rpc),
      consents: new Contract(manifest.contracts.ConsentRegistry.address, abi("ConsentRegistry"), rpc),
      desk: new Contract(manifest.contracts.QueryDesk.address, abi("QueryDesk"), rpc),
    } as unknown as Contracts;
    const operatorAccount = manifest.nodes[0].operator as string;
    let svc = await startService();
    const token = readFileSync(join(dir, "data", "localhost-31337", "sh-1.service-token"), "utf8").trim();
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const submit = async (records: object[]) => {
      const r = await fetch(`${svc.url}/operator/records`, { method: "POST", headers, body: JSON.stringify({ records }) });
      expect(r.status).to.equal(202);
      return ((await r.json()) as { submission: number }).submission;
    };
    const attested = (id: number) =>
      waitFor(`submission ${id}`, async () => {
        const s = (await (await fetch(`${svc.url}/operator/submissions/${id}`, { headers })).json()) as {
          status: string;
          records: { proof: { batchId: number; version: number; txHash: string } }[];
        };
        return s.status === "attested" ? s : undefined;
      });
    expect((await fetch(`${svc.url}/health`)).status).to.equal(200);

    // a first batch of 3 (its trigger): an enterprise with its signer, for the query below
    const enterpriseKey = Wallet.createRandom();
    const E0 = uscc("310104", "MA1E2E000");
    await attested(await submit([basicInfo(E0, enterpriseKey.address), operatingStatus(E0), operatingStatus(uscc("310104", "MA1E2E009"))]));

    // the chain stops mining: the next batch's anchoring will sit in the pool, sent but not mined
    await rpc.send("evm_setAutomine", [false]);
    const enterprises = ["MA1E2E001", "MA1E2E002", "MA1E2E003"].map((o) => uscc("310104", o));
    const submission = await submit(enterprises.map((e) => operatingStatus(e)));
    await waitFor("the anchoring in the pool", async () => {
      const [pending, latest] = await Promise.all([
        rpc.send("eth_getTransactionCount", [operatorAccount, "pending"]),
        rpc.send("eth_getTransactionCount", [operatorAccount, "latest"]),
      ]);
      return Number(pending) > Number(latest) ? true : undefined;
    });
    svc.child.kill("SIGKILL");
    await new Promise((r) => svc.child.once("exit", r));
    await rpc.send("evm_setAutomine", [true]);
    await rpc.send("evm_mine", []);

    // while the service is down, institution 1 requests a query on chain itself
    const inst = manifest.institutions[0];
    const institution = institutionWallet(inst.keyIndex).connect(rpc);
    await rpc.send("hardhat_setBalance", [institution.address, "0x56BC75E2D63100000"]);
    const now = (await rpc.getBlock("latest"))!.timestamp;
    const a: Authorization = {
      enterprise: hexlify(usccBytes(E0)),
      institution: inst.institutionId,
      purpose: Purpose.CreditApproval,
      categories: ALL,
      notBefore: now - 60,
      notAfter: now + 86_400,
      nonce: 1n,
    };
    const dom = consentDomain(manifest.chainId, manifest.contracts.ConsentRegistry.address);
    const body = await signQueryRequest(
      institution,
      rpc,
      c,
      { chainId: manifest.chainId, consentRegistry: manifest.contracts.ConsentRegistry.address, queryDesk: manifest.contracts.QueryDesk.address },
      E0,
      a,
      await signAuthorization(enterpriseKey, dom, a),
    );
    for (const raw of [body.registerTx!, body.requestTx]) expect((await (await rpc.broadcastTransaction(raw)).wait())!.status).to.equal(1);
    const queryId = Number(await (c.desk as unknown as { queryCount(): Promise<bigint> }).queryCount());

    svc = await startService();
    expect(svc.out()).to.match(/settled 1 chain write\(s\) left unfinished \(1 found on chain, 0 sent again, 0 refused\)/);
    const done = await attested(submission);
    const proofs = done.records.map((x) => x.proof);
    expect(proofs.map((p) => p.version)).to.deep.equal([1, 1, 1]);
    expect(new Set(proofs.map((p) => p.batchId)).size).to.equal(1);
    // the crashed anchoring was found on chain, not sent again: the first submission's two batches (one per category), then one of these three
    const ledger = new Interface(abi("CreditLedger"));
    const logs = await rpc.getLogs({ address: manifest.contracts.CreditLedger.address, topics: [ledger.getEvent("BatchAnchored")!.topicHash], fromBlock: 0 });
    expect(logs.map((l) => Number(ledger.parseLog(l)!.args.count))).to.deep.equal([1, 2, 3]);
    expect(logs[2].transactionHash).to.equal(proofs[0].txHash);
    for (const e of enterprises) {
      const s = (await (await fetch(`${svc.url}/records/${e}/operating-status/status`)).json()) as { verdict: string };
      expect(s.verdict).to.equal("valid");
    }

    // the query requested while it was down: served after the restart, once, and its reports check out
    const served = await waitFor("the query requested while the service was down", async () => {
      const r = await fetch(`${svc.url}/institution/queries/${queryId}/reports`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(await signReportsChallenge(institution, manifest.chainId, manifest.contracts.QueryDesk.address, queryId)),
      });
      return r.status === 200 ? ((await r.json()) as Served) : undefined;
    });
    expect((await checkReports(c, served.reports, served.reportDigests)).map((x) => x.result)).to.deep.equal(["valid", "valid"]);
    const fulfilled = await rpc.getLogs({
      address: manifest.contracts.QueryDesk.address,
      topics: [(c.desk.interface as Interface).getEvent("QueryFulfilled")!.topicHash],
      fromBlock: 0,
    });
    expect(fulfilled).to.have.length(1);
    const health = await waitFor("health", async () => {
      const h = (await (await fetch(`${svc.url}/health`)).json()) as { status: string; journal: { pending: number; sent: number } };
      return h.status === "ok" ? h : undefined;
    });
    expect(health.journal).to.include({ pending: 0, sent: 0 });

    // SIGTERM: closes cleanly
    svc.child.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => svc.child.once("exit", (c) => r(c)));
    expect(code, svc.out()).to.equal(0);
    expect(svc.out()).to.match(/node service sh-1 closed: 0 record\(s\) still queued, 0 journal step\(s\) unfinished/);
    rpc.destroy();
  });
});
