/**
 * Issue 12, "holes found" 6-10 (contracts): for each hole, the attack as it was possible, the custom error that
 * now refuses it, and the contract state asserted unchanged by the attempt.
 */
import { expect } from "chai";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { ZeroHash, id } from "ethers";
import type { ConsentRegistry, CreditLedger, QueryDesk } from "../typechain-types/index.js";
import { Purpose, consentDomain, signAuthorization, authorizationId, type Authorization } from "../src/consent/authorization.js";
import { reportDigest } from "../src/query/report.js";
import { b18, uscc } from "./helpers/codes.js";
import { deployedConsortium } from "./helpers/consortium.js";

const Category = { None: 0, BasicInfo: 1, OperatingStatus: 2, FinancingMortgage: 3 } as const;
const Status = { NotAnchored: 0n, Valid: 1n, Disputed: 2n, Superseded: 3n, Revoked: 4n, Undeclared: 5n, WrongCity: 6n } as const;
const QueryStatus = { None: 0, Requested: 1, Fulfilled: 2, Denied: 3, Expired: 4 } as const;
const Kind = { AdmitNode: 0 } as const;
const ENCODING = ["bytes18", "uint8", "uint32", "bytes32"];
const ZERO18 = "0x" + "00".repeat(18);
const BASIC = 1 << 1;
const STATUS = 1 << 2;
const HOUR = 3600;
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe("issue 12: holes 6-10", function () {
  let f: Awaited<ReturnType<typeof deployedConsortium>>;
  let ledger: CreditLedger;
  let consents: ConsentRegistry;
  let desk: QueryDesk;
  let snapshot: { restore(): Promise<void> };
  // Hefei: hf-1 is node 23 (operators[22]); Nanjing: nj-1 is node 5 (operators[4]); Beijing is not connected.
  const HEFEI = uscc("340104", "MA2TXN4K1");
  const NANJING = uscc("320106", "MA1MX0J8X");
  const BEIJING = uscc("110105", "101100060");

  before(async () => {
    f = await deployedConsortium(4);
    const at = f.manifest.contracts;
    ledger = (await f.conn.ethers.getContractAt("CreditLedger", at.CreditLedger.address)) as unknown as CreditLedger;
    consents = (await f.conn.ethers.getContractAt("ConsentRegistry", at.ConsentRegistry.address)) as unknown as ConsentRegistry;
    desk = (await f.conn.ethers.getContractAt("QueryDesk", at.QueryDesk.address)) as unknown as QueryDesk;
    snapshot = await f.conn.networkHelpers.takeSnapshot();
  });
  afterEach(async () => snapshot.restore());

  const hf = () => ledger.connect(f.operators[22]);
  const nj = () => ledger.connect(f.operators[4]);
  const req = (code: string, category: number, version: number, digest: string) => ({ enterprise: b18(code), category, version, digest });

  it("hole 6: an objection on bytes18(0) or on an enterprise outside the consortium is refused at filing", async () => {
    const inst = await f.institutionSigner(1);
    await expect(ledger.connect(inst).fileObjection(ZERO18, Category.BasicInfo, 1, id("nobody can answer this")))
      .to.be.revertedWithCustomError(ledger, "USCCInvalidCharacter")
      .withArgs(ZERO18, 1);
    await expect(ledger.connect(inst).fileObjection(b18(BEIJING), Category.OperatingStatus, 1, id("nor this")))
      .to.be.revertedWithCustomError(ledger, "EnterpriseCityNotConnected")
      .withArgs(b18(BEIJING), 110105);
    // the same enterprise checks come first for anyone, and an unconnected enterprise can never get a bound signer
    await expect(ledger.connect(f.spare[0]).fileObjection(b18(BEIJING), Category.BasicInfo, 1, id("x"))).to.be.revertedWithCustomError(
      ledger,
      "EnterpriseCityNotConnected",
    );
    expect(await ledger.objectionCount()).to.equal(0n);
    expect(await ledger.disputeCount(ZERO18, Category.BasicInfo, 1)).to.equal(0n);
    expect(await ledger.disputeCount(b18(BEIJING), Category.OperatingStatus, 1)).to.equal(0n);
    expect(await ledger.isOverdue(1)).to.equal(false);
  });

  describe("hole 7: admission", () => {
    it("a member cannot block an admission by registering the candidate's operator as an institution", async () => {
      const candidate = f.spare[0];
      const digest = id("xz-1");
      await expect(f.registry.connect(f.operators[0]).propose(Kind.AdmitNode, 0, 320300, candidate.address, digest))
        .to.emit(f.registry, "CandidateReserved")
        .withArgs(1, candidate.address, 320300, (v: bigint) => v > 0n);
      const [reserved] = await f.registry.queryFilter(f.registry.filters.CandidateReserved(1));
      expect(reserved.args.until).to.equal((await f.registry.proposal(1)).expiry);
      expect(await f.registry.admissionReservation(candidate.address)).to.equal(1n);

      // the attack: node 2 takes the candidate's account before the vote that would pass
      const attacker = f.registry.connect(f.operators[1]);
      await expect(attacker.registerInstitution({ signer: candidate.address, kind: 0, nameDigest: id("blocker") }))
        .to.be.revertedWithCustomError(f.registry, "AccountReservedForAdmission")
        .withArgs(candidate.address, 1);
      await expect(attacker.multiRegisterInstitutions([{ signer: candidate.address, kind: 0, nameDigest: id("blocker") }]))
        .to.be.revertedWithCustomError(f.registry, "AccountReservedForAdmission")
        .withArgs(candidate.address, 1);
      expect(await f.registry.institutionCount()).to.equal(4n);
      expect(await f.registry.institutionIdOf(candidate.address)).to.equal(0n);

      // so the vote that reaches 17 of 25 admits the candidate
      for (const v of range(1, 16)) await f.registry.connect(f.operators[v]).vote(1);
      await expect(f.registry.connect(f.operators[16]).vote(1)).to.emit(f.registry, "NodeRegistered").withArgs(26, 320300, candidate.address, digest);
      expect(await f.registry.nodeIdOf(candidate.address)).to.equal(26n);
      expect(await f.registry.admissionReservation(candidate.address)).to.equal(0n);
    });

    it("the reservation lapses with the proposal, and the account is still checked at proposal time", async () => {
      const candidate = f.spare[1];
      await f.registry.connect(f.operators[0]).propose(Kind.AdmitNode, 0, 320300, candidate.address, ZeroHash);
      const p = await f.registry.proposal(1);
      await f.conn.networkHelpers.time.increaseTo(p.expiry + 1n);
      expect(await f.registry.admissionReservation(candidate.address)).to.equal(0n);
      await expect(f.registry.connect(f.operators[1]).registerInstitution({ signer: candidate.address, kind: 0, nameDigest: ZeroHash })).to.emit(
        f.registry,
        "InstitutionRegistered",
      );
      await expect(f.registry.connect(f.operators[0]).propose(Kind.AdmitNode, 0, 320300, candidate.address, ZeroHash))
        .to.be.revertedWithCustomError(f.registry, "AccountAlreadyRegistered")
        .withArgs(candidate.address);
    });
  });

  describe("hole 8: institutions object only to a record version they received in a fulfilled query", () => {
    const recordDigest = id("hefei basic v1");
    let enterprise: (typeof f.spare)[number];

    async function fulfilledQuery() {
      enterprise = f.spare[2];
      await hf().attest(req(HEFEI, Category.BasicInfo, 1, recordDigest));
      await hf().bindEnterpriseSigner(b18(HEFEI), enterprise.address);
      const domain = consentDomain(f.manifest.chainId, await consents.getAddress());
      const now = Number(await f.conn.networkHelpers.time.latest());
      const a: Authorization = {
        enterprise: b18(HEFEI),
        institution: 1,
        purpose: Purpose.CreditApproval,
        categories: BASIC | STATUS,
        notBefore: now - 60,
        notAfter: now + 30 * 24 * HOUR,
        nonce: 1n,
      };
      const inst = await f.institutionSigner(1);
      await consents.connect(inst).registerAuthorization(a, await signAuthorization(enterprise, domain, a));
      const authId = authorizationId(domain, a);
      const ask = { enterprise: b18(HEFEI), categories: BASIC, purpose: Purpose.CreditApproval, authorizationId: authId };
      await desk.connect(inst).requestQuery(ask);
      const report = { queryId: "1", enterprise: b18(HEFEI), category: Category.BasicInfo, version: 1, recordDigest };
      const reportDigests = [reportDigest(report), id("another report")];
      await desk.connect(f.operators[22]).fulfilQuery(1, reportDigests);
      await desk.connect(inst).requestQuery(ask); // query 2 stays pending
      const objection = (
        over: Partial<{ queryId: number; reportDigests: string[]; reportIndex: number; category: number; version: number; recordDigest: string }> = {},
      ) => ({
        queryId: 1,
        reportDigests,
        reportIndex: 0,
        category: Category.BasicInfo,
        version: 1,
        recordDigest,
        reasonDigest: id("registered capital is wrong"),
        ...over,
      });
      return { inst, objection, reportDigests };
    }
    const unchanged = async () => {
      expect(await ledger.objectionCount()).to.equal(0n);
      expect(await ledger.disputeCount(b18(HEFEI), Category.BasicInfo, 1)).to.equal(0n);
      expect(await ledger.attestationStatus(b18(HEFEI), Category.BasicInfo, 1, recordDigest)).to.equal(Status.Valid);
    };

    it("an institution cannot dispute a valid record with no query behind it", async () => {
      await hf().attest(req(HEFEI, Category.BasicInfo, 1, recordDigest));
      const inst = await f.institutionSigner(2);
      await expect(ledger.connect(inst).fileObjection(b18(HEFEI), Category.BasicInfo, 1, id("I say it is wrong")))
        .to.be.revertedWithCustomError(ledger, "ObjectionNotByEnterprise")
        .withArgs(inst.address, b18(HEFEI));
      await unchanged();
    });

    it("refuses another institution's query, a pending query, forged report lists and reports of other versions", async () => {
      const { inst, objection, reportDigests } = await fulfilledQuery();
      const other = await f.institutionSigner(2);
      await expect(ledger.connect(other).fileReportObjection(objection())).to.be.revertedWithCustomError(ledger, "NotQueryRequester").withArgs(1, 1, 2);
      await expect(ledger.connect(inst).fileReportObjection(objection({ queryId: 2 })))
        .to.be.revertedWithCustomError(ledger, "QueryNotFulfilled")
        .withArgs(2, QueryStatus.Requested);
      await expect(ledger.connect(inst).fileReportObjection(objection({ queryId: 9 })))
        .to.be.revertedWithCustomError(ledger, "QueryNotFulfilled")
        .withArgs(9, QueryStatus.None);
      await expect(ledger.connect(inst).fileReportObjection(objection({ reportDigests: [reportDigests[0]] })))
        .to.be.revertedWithCustomError(ledger, "ReportsMismatch")
        .withArgs(1);
      await expect(ledger.connect(inst).fileReportObjection(objection({ category: Category.OperatingStatus })))
        .to.be.revertedWithCustomError(ledger, "ReportNotInQuery")
        .withArgs(1, 0);
      await expect(ledger.connect(inst).fileReportObjection(objection({ recordDigest: id("something else") })))
        .to.be.revertedWithCustomError(ledger, "ReportNotInQuery")
        .withArgs(1, 0);
      await expect(ledger.connect(inst).fileReportObjection(objection({ reportIndex: 2 })))
        .to.be.revertedWithCustomError(ledger, "ReportNotInQuery")
        .withArgs(1, 2);
      await expect(ledger.connect(f.spare[5]).fileReportObjection(objection())).to.be.revertedWithCustomError(f.registry, "NotInstitutionSigner");
      await unchanged();
    });

    it("the requesting institution objects once per report received; the enterprise's own objections are unchanged", async () => {
      const { inst, objection, reportDigests } = await fulfilledQuery();
      const tx = ledger.connect(inst).fileReportObjection(objection());
      await expect(tx).to.emit(ledger, "ObjectionFiled");
      await expect(tx).to.emit(ledger, "ReportObjectionFiled").withArgs(1, 1, reportDigests[0], 1);
      expect((await ledger.objection(1)).filer).to.equal(inst.address);
      expect(await ledger.objectionOfReport(reportDigests[0])).to.equal(1n);
      expect(await ledger.attestationStatus(b18(HEFEI), Category.BasicInfo, 1, recordDigest)).to.equal(Status.Disputed);
      await expect(ledger.connect(inst).fileReportObjection(objection()))
        .to.be.revertedWithCustomError(ledger, "ReportAlreadyObjected")
        .withArgs(reportDigests[0], 1);
      expect(await ledger.objectionCount()).to.equal(1n);

      await expect(ledger.connect(enterprise).fileObjection(b18(HEFEI), Category.BasicInfo, 1, id("our own objection")))
        .to.emit(ledger, "ObjectionFiled")
        .withArgs(2, b18(HEFEI), Category.BasicInfo, 1, enterprise.address, id("our own objection"), (v: bigint) => v > 0n);
      expect(await ledger.disputeCount(b18(HEFEI), Category.BasicInfo, 1)).to.equal(2n);
    });

    it("the desk bound itself once at deployment; nobody else can bind a desk", async () => {
      expect(await ledger.queryDesk()).to.equal(await desk.getAddress());
      expect(await ledger.deployer()).to.equal(f.deployer.address);
      await expect(ledger.connect(f.deployer).bindQueryDesk())
        .to.be.revertedWithCustomError(ledger, "QueryDeskAlreadyBound")
        .withArgs(await desk.getAddress());
      // a fresh ledger: an outsider's desk, or its deployer calling directly, cannot bind; the deployer's desk can
      const registry = f.manifest.contracts.ConsortiumRegistry.address;
      const owner = f.spare[6];
      const outsider = f.spare[7];
      const fresh = await f.conn.ethers.deployContract("CreditLedger", [registry, 86_400], owner);
      const freshConsents = await f.conn.ethers.deployContract("ConsentRegistry", [registry, await fresh.getAddress()], owner);
      await expect(f.conn.ethers.deployContract("QueryDesk", [registry, await freshConsents.getAddress(), 3600], outsider)).to.be.revertedWithCustomError(
        fresh,
        "QueryDeskBindingRefused",
      );
      await expect(fresh.connect(owner).getFunction("bindQueryDesk")())
        .to.be.revertedWithCustomError(fresh, "QueryDeskBindingRefused")
        .withArgs(owner.address, owner.address);
      expect(await fresh.getFunction("queryDesk")()).to.equal("0x0000000000000000000000000000000000000000");
      const freshDesk = await f.conn.ethers.deployContract("QueryDesk", [registry, await freshConsents.getAddress(), 3600], owner);
      expect(await fresh.getFunction("queryDesk")()).to.equal(await freshDesk.getAddress());
    });
  });

  describe("hole 9: one version, one content", () => {
    const leafOf = (v: unknown[]) => ({ enterprise: v[0] as string, category: v[1] as number, version: v[2] as number, digest: v[3] as string });

    it("a version attested live cannot also be verified from a batch leaf with other content", async () => {
      const liveA = id("content A");
      const tree = StandardMerkleTree.of(
        [
          [b18(NANJING), Category.OperatingStatus, 1, id("content B")],
          [b18(uscc("320102", "7331848C5")), Category.OperatingStatus, 1, id("neighbour")],
        ],
        ENCODING,
      );
      await nj().anchorBatch({ category: Category.OperatingStatus, root: tree.root, count: 2, batchDigest: ZeroHash });
      await nj().attest(req(NANJING, Category.OperatingStatus, 1, liveA));
      const at = [...tree.entries()].find(([, v]) => v[0] === b18(NANJING))!;
      // the attack: the batch leaf (content B) of the live version 1 (content A) was Valid too
      expect(await ledger.attestationStatus(b18(NANJING), Category.OperatingStatus, 1, liveA)).to.equal(Status.Valid);
      expect(await ledger.verifyRecord(1, leafOf(at[1]), tree.getProof(at[0]))).to.equal(Status.NotAnchored);
      const neighbour = [...tree.entries()].find(([, v]) => v[0] !== b18(NANJING))!;
      expect(await ledger.verifyRecord(1, leafOf(neighbour[1]), tree.getProof(neighbour[0]))).to.equal(Status.Valid);
    });

    it("a version declared for a batch (supersede) cannot be attested live with other content", async () => {
      await nj().attest(req(NANJING, Category.OperatingStatus, 1, id("live v1")));
      const tree = StandardMerkleTree.of(
        [
          [b18(NANJING), Category.OperatingStatus, 2, id("batch v2")],
          [b18(NANJING), Category.OperatingStatus, 1, id("batch v1, never the content of v1")],
        ],
        ENCODING,
      );
      await nj().anchorBatch({ category: Category.OperatingStatus, root: tree.root, count: 2, batchDigest: ZeroHash });
      await nj().supersede({ enterprise: b18(NANJING), category: Category.OperatingStatus, version: 2 });
      await expect(nj().attest(req(NANJING, Category.OperatingStatus, 2, id("live v2"))))
        .to.be.revertedWithCustomError(ledger, "VersionNotIncreasing")
        .withArgs(b18(NANJING), Category.OperatingStatus, 2, 2);
      const status = (v: number) => {
        const [i, leaf] = [...tree.entries()].find(([, x]) => x[2] === v)!;
        return ledger.verifyRecord(1, leafOf(leaf), tree.getProof(i));
      };
      expect(await status(2)).to.equal(Status.Valid);
      expect(await status(1)).to.equal(Status.NotAnchored); // v1 is live: its batch leaf is not its content
      expect(await ledger.attestationStatus(b18(NANJING), Category.OperatingStatus, 1, id("live v1"))).to.equal(Status.Superseded);
      expect(await ledger.attestationStatus(b18(NANJING), Category.OperatingStatus, 2, id("live v2"))).to.equal(Status.NotAnchored);
      expect(await ledger.currentVersion(b18(NANJING), Category.OperatingStatus)).to.equal(2n);
    });
  });

  describe("hole 10: bounded version steps", () => {
    const MAX = 2 ** 32 - 1;

    it("a live attestation of version 2^32-1 is refused, so corrections stay possible", async () => {
      expect(await ledger.MAX_VERSION_STEP()).to.equal(1n);
      await nj().attest(req(NANJING, Category.BasicInfo, 1, id("v1")));
      await expect(nj().attest(req(NANJING, Category.BasicInfo, MAX, id("blocker"))))
        .to.be.revertedWithCustomError(ledger, "VersionStepTooLarge")
        .withArgs(b18(NANJING), Category.BasicInfo, MAX, 2);
      await expect(nj().multiAttest([req(NANJING, Category.BasicInfo, 2, id("v2")), req(NANJING, Category.BasicInfo, 4, id("v4"))]))
        .to.be.revertedWithCustomError(ledger, "VersionStepTooLarge")
        .withArgs(b18(NANJING), Category.BasicInfo, 4, 3);
      expect(await ledger.currentVersion(b18(NANJING), Category.BasicInfo)).to.equal(1n);
      expect(await ledger.attestationStatus(b18(NANJING), Category.BasicInfo, MAX, id("blocker"))).to.equal(Status.NotAnchored);
      expect(await ledger.attestationStatus(b18(NANJING), Category.BasicInfo, 1, id("v1"))).to.equal(Status.Valid);
      // the correction goes through
      await nj().attest(req(NANJING, Category.BasicInfo, 2, id("v2")));
      expect(await ledger.attestationStatus(b18(NANJING), Category.BasicInfo, 2, id("v2"))).to.equal(Status.Valid);
    });

    it("supersede and a first declaration are bounded the same way", async () => {
      await expect(nj().supersede({ enterprise: b18(NANJING), category: Category.OperatingStatus, version: MAX }))
        .to.be.revertedWithCustomError(ledger, "VersionStepTooLarge")
        .withArgs(b18(NANJING), Category.OperatingStatus, MAX, 2);
      // nothing declared yet: version 1 (live) or 2 (correcting a batch version 1), no further
      await expect(nj().attest(req(NANJING, Category.FinancingMortgage, 3, id("v3"))))
        .to.be.revertedWithCustomError(ledger, "VersionStepTooLarge")
        .withArgs(b18(NANJING), Category.FinancingMortgage, 3, 2);
      expect(await ledger.declaredVersion(b18(NANJING), Category.OperatingStatus)).to.equal(0n);
      expect(await ledger.declaredVersion(b18(NANJING), Category.FinancingMortgage)).to.equal(0n);
      await nj().supersede({ enterprise: b18(NANJING), category: Category.OperatingStatus, version: 2 });
      await nj().attest(req(NANJING, Category.FinancingMortgage, 2, id("v2 corrects a batch v1")));
      expect(await ledger.currentVersion(b18(NANJING), Category.FinancingMortgage)).to.equal(2n);
    });
  });
});
