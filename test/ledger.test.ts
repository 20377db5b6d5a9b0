import { expect } from "chai";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { ZeroHash, hexlify, id } from "ethers";
import type { CreditLedger } from "../typechain-types/index.js";
import { b18, uscc } from "./helpers/codes.js";
import { deployedConsortium } from "./helpers/consortium.js";

const Category = { None: 0, BasicInfo: 1, OperatingStatus: 2, FinancingMortgage: 3 } as const;
const Status = { NotAnchored: 0n, Valid: 1n, Disputed: 2n, Superseded: 3n, Revoked: 4n, Undeclared: 5n, WrongCity: 6n } as const;
const Outcome = { None: 0, Open: 1, Corrected: 2, Rejected: 3, Unconfirmed: 4 } as const;
const ENCODING = ["bytes18", "uint8", "uint32", "bytes32"];
const DAY = 86_400;

describe("CreditLedger", function () {
  let f: Awaited<ReturnType<typeof deployedConsortium>>;
  let ledger: CreditLedger;
  let snapshot: { restore(): Promise<void> };
  // nj-1 is node 5 (operators[4]) in Nanjing 320100; sh-1 is node 1 in Shanghai
  const NANJING = uscc("320106", "MA1MX0J8X");
  const NANJING_2 = uscc("320102", "7331848C5");
  const SHANGHAI = uscc("310115", "607216345");
  const BEIJING = uscc("110105", "101100060");

  before(async () => {
    f = await deployedConsortium(4);
    ledger = (await f.conn.ethers.getContractAt("CreditLedger", f.manifest.contracts.CreditLedger.address)) as unknown as CreditLedger;
    snapshot = await f.conn.networkHelpers.takeSnapshot();
  });
  afterEach(async () => snapshot.restore());

  const nj = () => ledger.connect(f.operators[4]);
  const sh = () => ledger.connect(f.operators[0]);
  const req = (code: string, category: number, version: number, digest: string) => ({ enterprise: b18(code), category, version, digest });

  describe("live attestation", () => {
    it("lets the home-city node attest and reports the record valid", async () => {
      const d = id("record v1");
      await expect(nj().attest(req(NANJING, Category.BasicInfo, 1, d)))
        .to.emit(ledger, "Attested")
        .withArgs(b18(NANJING), Category.BasicInfo, 1, d, 5);
      expect(await ledger.attestationStatus(b18(NANJING), Category.BasicInfo, 1, d)).to.equal(Status.Valid);
      expect(await ledger.attestationStatus(b18(NANJING), Category.BasicInfo, 1, id("other"))).to.equal(Status.NotAnchored);
      expect(await ledger.currentVersion(b18(NANJING), Category.BasicInfo)).to.equal(1n);
    });

    it("refuses a node of another city, naming both cities", async () => {
      await expect(sh().attest(req(NANJING, Category.BasicInfo, 1, id("x"))))
        .to.be.revertedWithCustomError(ledger, "NotHomeCityNode")
        .withArgs(b18(NANJING), 320100, 310000);
      await expect(sh().attest(req(BEIJING, Category.BasicInfo, 1, id("x"))))
        .to.be.revertedWithCustomError(ledger, "EnterpriseCityNotConnected")
        .withArgs(b18(BEIJING), 110105);
    });

    it("refuses stale versions: versions strictly increase", async () => {
      await nj().attest(req(NANJING, Category.OperatingStatus, 1, id("v1")));
      await expect(nj().attest(req(NANJING, Category.OperatingStatus, 1, id("v1 again"))))
        .to.be.revertedWithCustomError(ledger, "VersionNotIncreasing")
        .withArgs(b18(NANJING), Category.OperatingStatus, 1, 1);
      // issue 12 hole 10: versions go one step at a time (was: v3 straight after v1)
      await nj().attest(req(NANJING, Category.OperatingStatus, 2, id("v2")));
      await expect(nj().attest(req(NANJING, Category.OperatingStatus, 2, id("v2 again")))).to.be.revertedWithCustomError(ledger, "VersionNotIncreasing");
      await expect(nj().attest(req(NANJING, Category.OperatingStatus, 0, id("v0")))).to.be.revertedWithCustomError(ledger, "VersionNotIncreasing");
      expect(await ledger.attestationStatus(b18(NANJING), Category.OperatingStatus, 1, id("v1"))).to.equal(Status.Superseded);
    });

    it("refuses a bad code, a missing category and a zero digest", async () => {
      const bad = NANJING.slice(0, 17) + (NANJING[17] === "0" ? "1" : "0");
      await expect(nj().attest(req(bad, Category.BasicInfo, 1, id("x")))).to.be.revertedWithCustomError(ledger, "USCCInvalidCheckCharacter");
      await expect(nj().attest(req("91320106MA1MX0J8IX", Category.BasicInfo, 1, id("x"))))
        .to.be.revertedWithCustomError(ledger, "USCCInvalidCharacter")
        .withArgs(b18("91320106MA1MX0J8IX"), 17);
      await expect(nj().attest(req(NANJING, Category.None, 1, id("x")))).to.be.revertedWithCustomError(ledger, "InvalidCategory");
      await expect(nj().attest(req(NANJING, Category.BasicInfo, 1, ZeroHash))).to.be.revertedWithCustomError(ledger, "ZeroDigest");
    });

    it("multiAttest checks every request and is all-or-nothing", async () => {
      await nj().multiAttest([req(NANJING, 1, 1, id("a")), req(NANJING_2, 1, 1, id("b"))]);
      expect(await ledger.attestationStatus(b18(NANJING_2), 1, 1, id("b"))).to.equal(Status.Valid);
      await expect(nj().multiAttest([req(NANJING, 2, 1, id("c")), req(SHANGHAI, 1, 1, id("d"))])).to.be.revertedWithCustomError(ledger, "NotHomeCityNode");
      expect(await ledger.attestationStatus(b18(NANJING), 2, 1, id("c"))).to.equal(Status.NotAnchored);
    });

    it("revokes with a reason and refuses outsiders, suspended and frozen nodes", async () => {
      await nj().attest(req(NANJING, 1, 1, id("a")));
      await expect(nj().revoke({ enterprise: b18(NANJING), category: 1, version: 1, reason: 0 })).to.be.revertedWithCustomError(ledger, "ZeroReason");
      await expect(nj().revoke({ enterprise: b18(NANJING), category: 1, version: 2, reason: 1 }))
        .to.be.revertedWithCustomError(ledger, "UnknownRecordVersion")
        .withArgs(b18(NANJING), 1, 2, 1);
      await expect(nj().revoke({ enterprise: b18(NANJING), category: 1, version: 1, reason: 1 }))
        .to.emit(ledger, "Revoked")
        .withArgs(b18(NANJING), 1, 1, 1, 5);
      expect(await ledger.attestationStatus(b18(NANJING), 1, 1, id("a"))).to.equal(Status.Revoked);
      expect(await ledger.revocationReason(b18(NANJING), 1, 1)).to.equal(1n);
      await expect(nj().revoke({ enterprise: b18(NANJING), category: 1, version: 1, reason: 2 })).to.be.revertedWithCustomError(ledger, "AlreadyRevoked");

      await expect(ledger.connect(f.spare[0]).attest(req(NANJING, 2, 1, id("x"))))
        .to.be.revertedWithCustomError(f.registry, "NotNodeOperator")
        .withArgs(f.spare[0].address);
      await f.registry.connect(f.regulator).setNodeFrozen(5, true);
      await expect(nj().attest(req(NANJING, 2, 1, id("x"))))
        .to.be.revertedWithCustomError(f.registry, "NodeIsFrozen")
        .withArgs(5);
      // nj-2 (node 6) is in the same city and can still attest
      await ledger.connect(f.operators[5]).attest(req(NANJING, 2, 1, id("x")));
    });
  });

  describe("Merkle batches", () => {
    function batchOf(rows: [string, number, number, string][]) {
      const values = rows.map(([code, cat, v, d]) => [b18(code), cat, v, d]);
      return { values, tree: StandardMerkleTree.of(values, ENCODING) };
    }
    const leafOf = (v: unknown[]) => ({ enterprise: v[0] as string, category: v[1] as number, version: v[2] as number, digest: v[3] as string });

    it("anchors a root and verifies every record with the library's proofs", async () => {
      const rows: [string, number, number, string][] = Array.from({ length: 40 }, (_, i) => [
        uscc("320106", `MA1${String(i).padStart(5, "0")}X`),
        Category.FinancingMortgage,
        1,
        id(`r${i}`),
      ]);
      const { values, tree } = batchOf(rows);
      await expect(nj().anchorBatch({ category: Category.FinancingMortgage, root: tree.root, count: values.length, batchDigest: id("file") }))
        .to.emit(ledger, "BatchAnchored")
        .withArgs(1, 5, Category.FinancingMortgage, tree.root, 40, id("file"));
      for (const [i, v] of tree.entries()) expect(await ledger.verifyRecord(1, leafOf(v), tree.getProof(i))).to.equal(Status.Valid);
    });

    it("rejects forged and mismatched proofs", async () => {
      const { values, tree } = batchOf([
        [NANJING, 1, 1, id("a")],
        [NANJING_2, 1, 1, id("b")],
        [uscc("320104", "MA1N00001"), 1, 1, id("c")],
      ]);
      await nj().anchorBatch({ category: 1, root: tree.root, count: 3, batchDigest: ZeroHash });
      const proof = tree.getProof(0);
      const forged = [...proof];
      forged[0] = forged[0].slice(0, -2) + (forged[0].endsWith("00") ? "01" : "00");
      expect(await ledger.verifyRecord(1, leafOf(values[0]), forged)).to.equal(Status.NotAnchored);
      expect(await ledger.verifyRecord(1, { ...leafOf(values[0]), digest: id("tampered") }, proof)).to.equal(Status.NotAnchored);
      expect(await ledger.verifyRecord(1, { ...leafOf(values[0]), version: 2 }, proof)).to.equal(Status.NotAnchored);
      expect(await ledger.verifyRecord(1, { ...leafOf(values[0]), category: 2 }, proof)).to.equal(Status.NotAnchored);
      expect(await ledger.verifyRecord(1, leafOf(values[1]), proof)).to.equal(Status.NotAnchored); // another leaf's proof
      await expect(ledger.verifyRecord(2, leafOf(values[0]), proof))
        .to.be.revertedWithCustomError(ledger, "UnknownBatch")
        .withArgs(2);
      await expect(ledger.verifyRecord(1, leafOf(values[0]), Array(65).fill(ZeroHash))).to.be.revertedWithCustomError(ledger, "ProofTooLong");
    });

    it("refuses a batch with zero records or a zero root", async () => {
      await expect(nj().anchorBatch({ category: 1, root: id("r"), count: 0, batchDigest: ZeroHash })).to.be.revertedWithCustomError(ledger, "EmptyBatch");
      await expect(nj().anchorBatch({ category: 1, root: ZeroHash, count: 1, batchDigest: ZeroHash })).to.be.revertedWithCustomError(ledger, "ZeroRoot");
      await expect(nj().anchorBatch({ category: 0, root: id("r"), count: 1, batchDigest: ZeroHash })).to.be.revertedWithCustomError(ledger, "InvalidCategory");
    });

    it("a leaf of another city's enterprise is not valid in a node's batch", async () => {
      const { values, tree } = batchOf([
        [SHANGHAI, 1, 1, id("a")],
        [NANJING, 1, 1, id("b")],
      ]);
      await sh().anchorBatch({ category: 1, root: tree.root, count: 2, batchDigest: ZeroHash });
      const i = values.findIndex((v) => v[0] === b18(NANJING));
      expect(await ledger.verifyRecord(1, leafOf(values[i]), tree.getProof(i))).to.equal(Status.WrongCity);
      expect(await ledger.verifyRecord(1, leafOf(values[1 - i]), tree.getProof(1 - i))).to.equal(Status.Valid);
    });

    it("supersedes and revokes batched records; undeclared versions are not valid", async () => {
      const { values, tree } = batchOf([
        [NANJING, 2, 1, id("v1")],
        [NANJING, 2, 2, id("v2")],
        [NANJING_2, 2, 1, id("w1")],
      ]);
      await nj().anchorBatch({ category: 2, root: tree.root, count: 3, batchDigest: ZeroHash });
      const at = (code: string, v: number) => values.findIndex((x) => x[0] === b18(code) && x[2] === v);
      const status = (code: string, v: number) => ledger.verifyRecord(1, leafOf(values[at(code, v)]), tree.getProof(at(code, v)));
      expect(await status(NANJING, 1)).to.equal(Status.Valid);
      expect(await status(NANJING, 2)).to.equal(Status.Undeclared);
      await expect(nj().supersede({ enterprise: b18(NANJING), category: 2, version: 1 }))
        .to.be.revertedWithCustomError(ledger, "VersionNotIncreasing")
        .withArgs(b18(NANJING), 2, 1, 1);
      await expect(nj().supersede({ enterprise: b18(NANJING), category: 2, version: 2 }))
        .to.emit(ledger, "Superseded")
        .withArgs(b18(NANJING), 2, 1, 2, 5);
      expect(await status(NANJING, 1)).to.equal(Status.Superseded);
      expect(await status(NANJING, 2)).to.equal(Status.Valid);
      await expect(sh().supersede({ enterprise: b18(NANJING_2), category: 2, version: 2 })).to.be.revertedWithCustomError(ledger, "NotHomeCityNode");
      await nj().multiRevoke([{ enterprise: b18(NANJING_2), category: 2, version: 1, reason: 3 }]);
      expect(await status(NANJING_2, 1)).to.equal(Status.Revoked);
    });

    it("our leaf encoding and trees match @openzeppelin/merkle-tree", async () => {
      const { StandardTree } = await import("../src/merkle/standard.js");
      const { getBytes } = await import("ethers");
      for (const n of [1, 2, 3, 7, 64, 101]) {
        const { values, tree } = batchOf(
          Array.from({ length: n }, (_, i) => [uscc("310104", `MA1${String(i).padStart(6, "0")}`), 1 + (i % 3), 1 + (i % 2), id(`${n}:${i}`)]),
        );
        const ours = StandardTree.fromLeafHashes(values.map((v) => getBytes(tree.leafHash(v))));
        expect(hexlify(ours.root)).to.equal(tree.root);
        for (const [i, v] of tree.entries()) expect(ours.proof(getBytes(tree.leafHash(v))).map((p) => hexlify(p))).to.deep.equal(tree.getProof(i));
      }
    });
  });

  // issue 12 hole 8: institutions no longer object through fileObjection (they need a fulfilled query, see
  // test/holes.test.ts), so these tests file as the enterprise's bound signer where they filed as institutions
  describe("objections", () => {
    const enterpriseSigner = () => f.spare[0];
    beforeEach(async () => {
      await nj().attest(req(NANJING, 1, 1, id("basic v1")));
    });
    const bind = () => nj().bindEnterpriseSigner(b18(NANJING), enterpriseSigner().address);
    const asEnterprise = () => ledger.connect(enterpriseSigner());

    it("the enterprise's bound signer may object; institutions and outsiders may not file here", async () => {
      await expect(ledger.connect(enterpriseSigner()).fileObjection(b18(NANJING), 1, 1, id("wrong capital")))
        .to.be.revertedWithCustomError(ledger, "ObjectionNotByEnterprise")
        .withArgs(enterpriseSigner().address, b18(NANJING));
      await expect(sh().bindEnterpriseSigner(b18(NANJING), enterpriseSigner().address)).to.be.revertedWithCustomError(ledger, "NotHomeCityNode");
      await expect(nj().bindEnterpriseSigner(b18(NANJING), enterpriseSigner().address))
        .to.emit(ledger, "EnterpriseSignerBound")
        .withArgs(b18(NANJING), enterpriseSigner().address, 5);
      const tx = ledger.connect(enterpriseSigner()).fileObjection(b18(NANJING), 1, 1, id("wrong capital"));
      await expect(tx).to.emit(ledger, "ObjectionFiled");
      expect(await ledger.attestationStatus(b18(NANJING), 1, 1, id("basic v1"))).to.equal(Status.Disputed);

      const inst = await f.institutionSigner(1);
      await expect(ledger.connect(inst).fileObjection(b18(NANJING), 1, 1, id("institution view")))
        .to.be.revertedWithCustomError(ledger, "ObjectionNotByEnterprise")
        .withArgs(inst.address, b18(NANJING));
      await ledger.connect(enterpriseSigner()).fileObjection(b18(NANJING), 1, 1, id("second statement"));
      expect(await ledger.disputeCount(b18(NANJING), 1, 1)).to.equal(2n);
      await expect(ledger.connect(enterpriseSigner()).fileObjection(b18(NANJING), 1, 2, id("no such version")))
        .to.be.revertedWithCustomError(ledger, "UnknownRecordVersion")
        .withArgs(b18(NANJING), 1, 2, 1);
    });

    it("a rejection with reasons clears the dispute; only a home-city node resolves, once", async () => {
      await bind();
      await expect(asEnterprise().fileObjection(b18(NANJING), 1, 2, id("x")))
        .to.be.revertedWithCustomError(ledger, "UnknownRecordVersion")
        .withArgs(b18(NANJING), 1, 2, 1);
      await asEnterprise().fileObjection(b18(NANJING), 1, 1, id("x"));
      await expect(sh().resolveObjection(1, Outcome.Rejected, id("checked"))).to.be.revertedWithCustomError(ledger, "NotHomeCityNode");
      await expect(nj().resolveObjection(1, Outcome.Open, id("checked"))).to.be.revertedWithCustomError(ledger, "InvalidOutcome");
      await expect(nj().resolveObjection(1, Outcome.Rejected, id("checked")))
        .to.emit(ledger, "ObjectionResolved")
        .withArgs(1, Outcome.Rejected, 0, id("checked"), 5);
      expect(await ledger.attestationStatus(b18(NANJING), 1, 1, id("basic v1"))).to.equal(Status.Valid);
      await expect(nj().resolveObjection(1, Outcome.Rejected, id("again")))
        .to.be.revertedWithCustomError(ledger, "ObjectionNotOpen")
        .withArgs(1, Outcome.Rejected);
      await expect(nj().resolveObjection(9, Outcome.Rejected, id("x"))).to.be.revertedWithCustomError(ledger, "UnknownObjection");
    });

    it("a correction needs a newer version first; 'could not be confirmed' keeps the record disputed", async () => {
      await bind();
      await asEnterprise().fileObjection(b18(NANJING), 1, 1, id("a"));
      await asEnterprise().fileObjection(b18(NANJING), 1, 1, id("b"));
      await expect(nj().resolveObjection(1, Outcome.Corrected, id("fixed")))
        .to.be.revertedWithCustomError(ledger, "CorrectionMissing")
        .withArgs(1, 1, 1);
      await nj().resolveObjection(2, Outcome.Unconfirmed, id("cannot confirm"));
      expect(await ledger.attestationStatus(b18(NANJING), 1, 1, id("basic v1"))).to.equal(Status.Disputed);
      await nj().attest(req(NANJING, 1, 2, id("basic v2")));
      await expect(nj().resolveObjection(1, Outcome.Corrected, id("fixed")))
        .to.emit(ledger, "ObjectionResolved")
        .withArgs(1, Outcome.Corrected, 2, id("fixed"), 5);
      expect(await ledger.attestationStatus(b18(NANJING), 1, 1, id("basic v1"))).to.equal(Status.Superseded);
      expect(await ledger.attestationStatus(b18(NANJING), 1, 2, id("basic v2"))).to.equal(Status.Valid);
      expect((await ledger.objection(2)).status).to.equal(BigInt(Outcome.Unconfirmed));
    });

    it("resolution after the 20-day deadline is refused and the objection shows as overdue", async () => {
      expect(await ledger.objectionWindow()).to.equal(BigInt(20 * DAY));
      await bind();
      await asEnterprise().fileObjection(b18(NANJING), 1, 1, id("late"));
      const o = await ledger.objection(1);
      expect(o.deadline - o.filedAt).to.equal(BigInt(20 * DAY));
      expect(await ledger.isOverdue(1)).to.equal(false);
      await f.conn.networkHelpers.time.increaseTo(o.deadline + 1n);
      expect(await ledger.isOverdue(1)).to.equal(true);
      await expect(nj().resolveObjection(1, Outcome.Rejected, id("too late")))
        .to.be.revertedWithCustomError(ledger, "ObjectionDeadlinePassed")
        .withArgs(1, o.deadline);
      expect(await ledger.attestationStatus(b18(NANJING), 1, 1, id("basic v1"))).to.equal(Status.Disputed);
    });
  });
});
