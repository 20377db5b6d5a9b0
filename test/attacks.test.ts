/**
 * Issue 12: a scenario suite of named attacks on the consortium's contracts and on the proofs the library checks.
 * Each attack is sent as an attacker would send it — a transaction with its own gas limit, so that it is mined
 * and reverts on chain rather than being stopped by gas estimation — and each asserts the exact custom error
 * (with its arguments) and that the attempt changed no contract state: the transaction's state diff
 * (`debug_traceTransaction` with the prestate tracer in diff mode) shows no storage and no code written in any
 * account, only the sender's nonce and gas and the block's fee. Attacks on views (forged proofs) assert the exact
 * error or verdict and that no block was mined and the state root did not move. Off-chain proofs are checked with
 * the library's verifiers (`src/merkle/rfc6962.ts`, `src/ledger/proof-file.ts`), naming the rule that fails.
 *
 * One deployment for the whole suite (four institutions, a bound enterprise signer, a fulfilled and a pending
 * query, a batch, a committed query log, an open objection); every attack starts from its snapshot.
 */
import { expect } from "chai";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { Wallet, ZeroHash, getBytes, hexlify, id, toUtf8Bytes, type BaseContract, type Overrides } from "ethers";
import type { ConsentRegistry, CreditLedger, QueryDesk, QueryLog } from "../typechain-types/index.js";
import { contractsOf, type Contracts } from "../src/chain/contracts.js";
import { Purpose, authorizationId, consentDomain, signAuthorization, type Authorization } from "../src/consent/authorization.js";
import { fastRecordDigest } from "../src/ledger/leaf.js";
import { verifyRecordProof, toProofFile, type ProofFile } from "../src/ledger/proof-file.js";
import { MerkleLog } from "../src/merkle/log.js";
import { ProofError, hashLeaf, rootFromConsistencyProof, rootFromInclusionProof, verifyConsistency, verifyInclusion } from "../src/merkle/rfc6962.js";
import { reportDigest } from "../src/query/report.js";
import { encodeRecord, validateRecord, type CreditRecord } from "../src/records/index.js";
import { b18, uscc } from "./helpers/codes.js";
import { deployedConsortium } from "./helpers/consortium.js";

const Category = { None: 0, BasicInfo: 1, OperatingStatus: 2, FinancingMortgage: 3 } as const;
const RecordStatus = { NotAnchored: 0n, Valid: 1n } as const;
const QueryStatus = { Requested: 1, Fulfilled: 2 } as const;
const NodeStatus = { Suspended: 2 } as const;
const InstitutionStatus = { Suspended: 2 } as const;
const Outcome = { Corrected: 2, Rejected: 3 } as const;
const Kind = { AdmitNode: 0, SuspendNode: 1, RemoveNode: 3 } as const;
const ENCODING = ["bytes18", "uint8", "uint32", "bytes32"];
const ZERO18 = "0x" + "00".repeat(18);
const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const BASIC = 1 << Category.BasicInfo;
const STATUS = 1 << Category.OperatingStatus;
const FINANCING = 1 << Category.FinancingMortgage;
const HOUR = 3600;
const DAY = 24 * HOUR;
const MAX_VERSION = 2 ** 32 - 1;
/** Gas of every attack transaction: given, so the transaction is sent and mined instead of failing estimation. */
const ATTACK_GAS = 3_000_000n;
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
const hex = (xs: Uint8Array[]) => xs.map((x) => hexlify(x));
const flipLastByte = (h: string) => h.slice(0, -2) + (parseInt(h.slice(-2), 16) ^ 1).toString(16).padStart(2, "0");

interface StateDiff {
  pre: Record<string, Record<string, unknown>>;
  post: Record<string, { balance?: string; nonce?: number; code?: string; storage?: Record<string, string> }>;
}

describe("issue 12: named attacks", function () {
  this.timeout(120_000);
  let f: Awaited<ReturnType<typeof deployedConsortium>>;
  let c: Contracts;
  let ledger: CreditLedger;
  let consents: ConsentRegistry;
  let desk: QueryDesk;
  let qlog: QueryLog;
  let snapshot: { restore(): Promise<void> };
  let domain: ReturnType<typeof consentDomain>;
  let inst1: Wallet;
  let inst2: Wallet;
  let auth1: Authorization;
  let auth1Id: string;
  let query2Deadline: bigint;
  let objection1Deadline: bigint;
  let report1: string;
  const reports1: string[] = [];

  // Hefei: hf-1 is node 23 (operators[22]); Nanjing: nj-1 is node 5 (operators[4]); Shanghai: sh-1 is node 1,
  // the sponsor of institution 1 (sh-2, node 2, sponsors institution 2); Wuhu: wh-1 is node 25 (operators[24]).
  const HEFEI = uscc("340104", "MA2TXN4K1");
  const HEFEI_B = uscc("340111", "MA2TXN4K9");
  const NANJING = uscc("320106", "MA1MX0J8X");
  const NANJING_2 = uscc("320102", "7331848C5");
  const WUHU = uscc("340202", "MA2TXN4K5");
  const BEIJING = uscc("110105", "101100060");
  const HEFEI_CITY = 340100;
  const SHANGHAI_CITY = 310000;
  const basicDigest = id("hefei basic-info v1");
  const statusDigest = id("hefei operating-status v1");
  // the Nanjing batch holds a real record, so that a proof file of it can be checked by the library
  const nanjingStatus = validateRecord({
    category: "operating-status",
    enterprise: NANJING,
    status: "active",
    abnormalListed: false,
    taxCreditGrade: "A",
    employeeBand: "10-49",
    revenueBand: "1M-10M",
    asOf: "2024-12-31",
  }) as CreditRecord;
  const nanjingSalt = hexlify(new Uint8Array(32).fill(7));
  const nanjingDigest = hexlify(fastRecordDigest(getBytes(nanjingSalt), encodeRecord(nanjingStatus)));
  let tree: StandardMerkleTree<(string | number)[]>;
  const logLeaves = range(0, 12).map((i) => hashLeaf(toUtf8Bytes(`query log entry ${i}`)));
  const log8 = MerkleLog.fromLeafHashes(logLeaves.slice(0, 8));

  const op = (nodeId: number) => f.operators[nodeId - 1];
  const hf = () => ledger.connect(op(23));
  const nj = () => ledger.connect(op(5));
  const sh = () => ledger.connect(op(1));
  const enterprise = () => f.spare[2];
  const outsider = () => f.spare[5];
  const req = (code: string, category: number, version: number, digest: string) => ({ enterprise: b18(code), category, version, digest });
  const ask = (over: Partial<{ enterprise: string; categories: number; purpose: number; authorizationId: string }> = {}) => ({
    enterprise: b18(HEFEI),
    categories: BASIC,
    purpose: Purpose.CreditApproval,
    authorizationId: auth1Id,
    ...over,
  });
  const auth = (over: Partial<Authorization> = {}): Authorization => ({ ...auth1, ...over });
  const reportObjection = (
    over: Partial<{
      queryId: number;
      reportDigests: string[];
      reportIndex: number;
      category: number;
      version: number;
      recordDigest: string;
      reasonDigest: string;
    }> = {},
  ) => ({
    queryId: 1,
    reportDigests: reports1,
    reportIndex: 0,
    category: Category.BasicInfo,
    version: 1,
    recordDigest: basicDigest,
    reasonDigest: id("the registered capital is wrong"),
    ...over,
  });

  /** Node `proposer` proposes; nodes 1..25 other than it vote until the proposal passes (17 of 25). */
  async function passProposal(kind: number, target: number, proposer = 1) {
    await f.registry.connect(op(proposer)).propose(kind, target, 0, ZERO_ADDRESS, ZeroHash);
    const pid = await f.registry.proposalCount();
    for (const voter of range(1, 26).filter((n) => n !== proposer)) {
      if ((await f.registry.proposal(pid)).executed) break;
      await f.registry.connect(op(voter)).vote(pid);
    }
    expect((await f.registry.proposal(pid)).executed).to.equal(true);
  }

  const provider = () => f.conn.ethers.provider;
  const latestBlock = (): Promise<{ number: string; stateRoot: string; transactions: string[]; miner: string }> =>
    provider().send("eth_getBlockByNumber", ["latest", false]);

  /**
   * The attack `send` (given the attack's gas limit) is mined and reverts with `error` of `by`'s ABI (and `args`,
   * when given); its state diff shows no contract storage or code written: only the sender's nonce and balance
   * and the fee recipient's balance change.
   */
  async function refused(send: (o: Overrides) => Promise<unknown>, by: BaseContract, error: string, ...args: unknown[]): Promise<void> {
    const before = Number((await latestBlock()).number);
    const matcher = expect(send({ gasLimit: ATTACK_GAS })).to.be.revertedWithCustomError(by, error);
    await (args.length > 0 ? matcher.withArgs(...args) : matcher);
    const block = await latestBlock();
    expect(Number(block.number), "the attack was mined in the next block").to.equal(before + 1);
    expect(block.transactions).to.have.length(1);
    const receipt = await provider().send("eth_getTransactionReceipt", [block.transactions[0]]);
    expect(receipt.status, "the attack reverted").to.equal("0x0");
    expect(receipt.logs).to.deep.equal([]);
    await expectNoContractWrites(block.transactions[0]);
  }

  /**
   * The transaction's state diff (prestate tracer, diff mode) holds no storage and no code in any account: only
   * the sender's nonce and balance and the fee recipient's balance changed.
   */
  async function expectNoContractWrites(hash: string): Promise<void> {
    const tx = await provider().send("eth_getTransactionByHash", [hash]);
    const block = await provider().send("eth_getBlockByNumber", [tx.blockNumber, false]);
    const diff: StateDiff = await provider().send("debug_traceTransaction", [hash, { tracer: "prestateTracer", tracerConfig: { diffMode: true } }]);
    const sender = String(tx.from).toLowerCase();
    expect(Object.keys(diff.post).map((a) => a.toLowerCase())).to.include(sender);
    for (const [account, state] of Object.entries(diff.post)) {
      expect(state.storage, `storage written at ${account}`).to.equal(undefined);
      expect(state.code, `code written at ${account}`).to.equal(undefined);
      expect(
        Object.keys(state).filter((k) => k !== "balance" && k !== "nonce"),
        `fields changed at ${account}`,
      ).to.deep.equal([]);
      if (account.toLowerCase() !== sender) {
        expect(account.toLowerCase(), "only the sender and the fee recipient change").to.equal(String(block.miner).toLowerCase());
        expect(state.nonce).to.equal(undefined);
      }
    }
  }

  /** An attack on a view: `check` asserts its error or verdict; no block is mined and the state root stays. */
  async function refusedView(check: () => Promise<void>): Promise<void> {
    const before = await latestBlock();
    await check();
    const after = await latestBlock();
    expect(after.number).to.equal(before.number);
    expect(after.stateRoot).to.equal(before.stateRoot);
  }

  /** The library's verifier throws a `ProofError` naming `rule`. */
  function libraryRefuses(verify: () => void, rule: string): void {
    let error: unknown;
    try {
      verify();
    } catch (e) {
      error = e;
    }
    expect(error, "the library accepted a forged proof").to.be.instanceOf(ProofError);
    expect((error as ProofError).rule).to.equal(rule);
  }

  before(async () => {
    f = await deployedConsortium(4);
    c = await contractsOf(f.conn, f.manifest);
    ({ ledger, consents, desk, queryLog: qlog } = c);
    domain = consentDomain(f.manifest.chainId, await consents.getAddress());
    inst1 = await f.institutionSigner(1);
    inst2 = await f.institutionSigner(2);

    // a Hefei enterprise with two live records and its signer bound by hf-1
    await hf().multiAttest([req(HEFEI, Category.BasicInfo, 1, basicDigest), req(HEFEI, Category.OperatingStatus, 1, statusDigest)]);
    await hf().bindEnterpriseSigner(b18(HEFEI), enterprise().address);
    // its authorization for institution 1 (sponsored in Shanghai): query 1 fulfilled by hf-1, query 2 pending
    const now = Number(await f.conn.networkHelpers.time.latest());
    auth1 = {
      enterprise: b18(HEFEI),
      institution: 1,
      purpose: Purpose.CreditApproval,
      categories: BASIC | STATUS,
      notBefore: now - 60,
      notAfter: now + 30 * DAY,
      nonce: 1n,
    };
    auth1Id = authorizationId(domain, auth1);
    await consents.connect(inst1).registerAuthorization(auth1, await signAuthorization(enterprise(), domain, auth1));
    await desk.connect(inst1).requestQuery(ask());
    report1 = reportDigest({ queryId: "1", enterprise: b18(HEFEI), category: Category.BasicInfo, version: 1, recordDigest: basicDigest });
    reports1.push(report1);
    await desk.connect(op(23)).fulfilQuery(1, reports1);
    await desk.connect(inst1).requestQuery(ask());
    query2Deadline = (await desk.query(2)).deadline;
    // a Nanjing batch of operating statuses (batch 1)
    tree = StandardMerkleTree.of(
      [
        [b18(NANJING), Category.OperatingStatus, 1, nanjingDigest],
        [b18(NANJING_2), Category.OperatingStatus, 1, id("nanjing 2 operating-status v1")],
      ],
      ENCODING,
    );
    await nj().anchorBatch({ category: Category.OperatingStatus, root: tree.root, count: 2, batchDigest: ZeroHash });
    // hf-1's query log, committed at size 8
    await qlog.connect(op(23)).commitLog(8, log8.root(), []);
    // the enterprise objects to its operating status (objection 1, open)
    await ledger.connect(enterprise()).fileObjection(b18(HEFEI), Category.OperatingStatus, 1, id("we are not suspended"));
    objection1Deadline = (await ledger.objection(1)).deadline;
    snapshot = await f.conn.networkHelpers.takeSnapshot();
  });
  afterEach(async () => snapshot.restore());

  describe("the checks themselves", () => {
    it("control: a write that succeeds shows up in its state diff, so the no-write check can fail", async () => {
      const tx = await hf().attest(req(HEFEI, Category.FinancingMortgage, 1, id("financing v1")), { gasLimit: ATTACK_GAS });
      const diff: StateDiff = await provider().send("debug_traceTransaction", [tx.hash, { tracer: "prestateTracer", tracerConfig: { diffMode: true } }]);
      expect(Object.keys(diff.post[(await ledger.getAddress()).toLowerCase()]?.storage ?? {})).to.have.length.greaterThan(0);
      let caught: unknown;
      try {
        await expectNoContractWrites(tx.hash);
      } catch (e) {
        caught = e;
      }
      expect(caught, "a transaction that wrote storage fails the check").to.be.instanceOf(Error);
      expect((caught as Error).message).to.match(/storage written at/);
    });
  });

  describe("membership: outsiders, suspended, removed and frozen members", () => {
    it("A01 outsider attests a record", async () => {
      await refused(
        (o) => ledger.connect(outsider()).attest(req(HEFEI, Category.FinancingMortgage, 1, id("made up")), o),
        f.registry,
        "NotNodeOperator",
        outsider().address,
      );
      expect(await ledger.currentVersion(b18(HEFEI), Category.FinancingMortgage)).to.equal(1n);
      expect(await ledger.declaredVersion(b18(HEFEI), Category.FinancingMortgage)).to.equal(0n);
    });

    it("A02 outsider registers itself as an institution", async () => {
      await refused(
        (o) => f.registry.connect(outsider()).registerInstitution({ signer: outsider().address, kind: 0, nameDigest: id("shadow bank") }, o),
        f.registry,
        "NotNodeOperator",
        outsider().address,
      );
      expect(await f.registry.institutionIdOf(outsider().address)).to.equal(0n);
    });

    it("A03 outsider votes a proposal through", async () => {
      await f.registry.connect(op(1)).propose(Kind.SuspendNode, 25, 0, ZERO_ADDRESS, ZeroHash);
      await refused((o) => f.registry.connect(outsider()).vote(1, o), f.registry, "NotNodeOperator", outsider().address);
      expect((await f.registry.proposal(1)).votes).to.equal(1n);
    });

    it("A04 suspended member attests", async () => {
      await passProposal(Kind.SuspendNode, 25);
      await refused(
        (o) => ledger.connect(op(25)).attest(req(WUHU, Category.BasicInfo, 1, id("wuhu basic")), o),
        f.registry,
        "NotActiveNode",
        25,
        NodeStatus.Suspended,
      );
    });

    it("A05 removed member commits its query log", async () => {
      await passProposal(Kind.RemoveNode, 25);
      const log = MerkleLog.fromLeafHashes(logLeaves.slice(0, 3));
      await refused((o) => qlog.connect(op(25)).commitLog(3, log.root(), [], o), f.registry, "NotNodeOperator", op(25).address);
      expect(await qlog.commitmentCount(25)).to.equal(0n);
    });

    it("A06 frozen member attests", async () => {
      await f.registry.connect(f.regulator).setNodeFrozen(23, true);
      await refused((o) => hf().attest(req(HEFEI, Category.OperatingStatus, 2, id("status v2")), o), f.registry, "NodeIsFrozen", 23);
      expect(await ledger.currentVersion(b18(HEFEI), Category.OperatingStatus)).to.equal(1n);
    });

    it("A07 frozen member votes", async () => {
      await f.registry.connect(op(1)).propose(Kind.SuspendNode, 25, 0, ZERO_ADDRESS, ZeroHash);
      await f.registry.connect(f.regulator).setNodeFrozen(2, true);
      await refused((o) => f.registry.connect(op(2)).vote(1, o), f.registry, "NodeIsFrozen", 2);
      expect(await f.registry.hasVoted(1, 2)).to.equal(false);
    });

    it("A08 frozen institution requests a query", async () => {
      await f.registry.connect(f.regulator).setInstitutionFrozen(1, true);
      await refused((o) => desk.connect(inst1).requestQuery(ask(), o), f.registry, "InstitutionIsFrozen", 1);
      expect(await desk.queryCount()).to.equal(2n);
    });

    it("A09 suspended institution registers an authorization", async () => {
      await f.registry.connect(op(1)).setInstitutionStatus(1, InstitutionStatus.Suspended);
      const a = auth({ nonce: 2n });
      const sig = await signAuthorization(enterprise(), domain, a);
      await refused((o) => consents.connect(inst1).registerAuthorization(a, sig, o), f.registry, "NotActiveInstitution", 1, InstitutionStatus.Suspended);
      expect(await consents.nonceUsed(b18(HEFEI), 2n)).to.equal(false);
    });

    it("A10 institution of a frozen sponsor requests a query", async () => {
      await f.registry.connect(f.regulator).setNodeFrozen(1, true);
      await refused((o) => desk.connect(inst1).requestQuery(ask(), o), f.registry, "SponsorNotActive", 1, 1);
    });

    it("A11 member freezes a rival node (only the regulator may)", async () => {
      await refused((o) => f.registry.connect(op(1)).setNodeFrozen(23, true, o), f.registry, "NotRegulator", op(1).address);
      expect((await f.registry.node(23)).frozen).to.equal(false);
    });

    it("A12 member suspends an institution it does not sponsor", async () => {
      await refused((o) => f.registry.connect(op(5)).setInstitutionStatus(1, InstitutionStatus.Suspended, o), f.registry, "NotSponsor", 1, 1, 5);
      expect((await f.registry.institution(1)).status).to.equal(1n);
    });

    it("A13 member votes twice", async () => {
      await f.registry.connect(op(1)).propose(Kind.SuspendNode, 25, 0, ZERO_ADDRESS, ZeroHash);
      await refused((o) => f.registry.connect(op(1)).vote(1, o), f.registry, "AlreadyVoted", 1, 1);
      expect((await f.registry.proposal(1)).votes).to.equal(1n);
    });

    it("A14 deployer adds a node after genesis closed", async () => {
      await refused((o) => f.registry.connect(f.deployer).genesisAddNode(SHANGHAI_CITY, outsider().address, ZeroHash, o), f.registry, "GenesisAlreadyClosed");
      expect(await f.registry.nodeCount()).to.equal(25n);
    });

    it("A15 member blocks an admission by registering the candidate's operator as an institution (hole 7)", async () => {
      const candidate = f.spare[0];
      await f.registry.connect(op(1)).propose(Kind.AdmitNode, 0, 320300, candidate.address, id("xz-1"));
      await refused(
        (o) => f.registry.connect(op(2)).registerInstitution({ signer: candidate.address, kind: 0, nameDigest: id("blocker") }, o),
        f.registry,
        "AccountReservedForAdmission",
        candidate.address,
        1,
      );
      expect(await f.registry.institutionIdOf(candidate.address)).to.equal(0n);
    });
  });

  describe("authorizations: forged, replayed, expired, cross-institution", () => {
    it("A16 forged authorization (signed by a key that is not the enterprise's)", async () => {
      const a = auth({ nonce: 2n });
      const sig = await signAuthorization(Wallet.createRandom(), domain, a);
      await refused((o) => consents.connect(inst1).registerAuthorization(a, sig, o), consents, "InvalidSignature", b18(HEFEI), enterprise().address);
      expect((await consents.consent(authorizationId(domain, a))).enterprise).to.equal(ZERO18);
    });

    it("A17 replayed authorization (registered again with its nonce)", async () => {
      const sig = await signAuthorization(enterprise(), domain, auth1);
      await refused((o) => consents.connect(inst1).registerAuthorization(auth1, sig, o), consents, "NonceAlreadyUsed", b18(HEFEI), 1n);
    });

    it("A18 authorization replayed from another chain or another consent registry", async () => {
      const a = auth({ nonce: 3n });
      const otherChain = { ...domain, chainId: 1n };
      const otherRegistry = { ...domain, verifyingContract: await ledger.getAddress() };
      for (const d of [otherChain, otherRegistry]) {
        const sig = await signAuthorization(enterprise(), d, a);
        await refused((o) => consents.connect(inst1).registerAuthorization(a, sig, o), consents, "InvalidSignature", b18(HEFEI), enterprise().address);
      }
      expect(await consents.nonceUsed(b18(HEFEI), 3n)).to.equal(false);
    });

    it("A19 expired authorization used for a query", async () => {
      await f.conn.networkHelpers.time.increaseTo(auth1.notAfter + 1);
      await refused((o) => desk.connect(inst1).requestQuery(ask(), o), consents, "AuthorizationExpired", auth1Id, auth1.notAfter);
      expect(await desk.queryCount()).to.equal(2n);
    });

    it("A20 authorization used before it is valid", async () => {
      const notBefore = auth1.notBefore + 10 * DAY;
      const a = auth({ nonce: 4n, notBefore });
      await consents.connect(inst1).registerAuthorization(a, await signAuthorization(enterprise(), domain, a));
      const early = authorizationId(domain, a);
      await refused((o) => desk.connect(inst1).requestQuery(ask({ authorizationId: early }), o), consents, "AuthorizationNotYetValid", early, notBefore);
    });

    it("A21 cross-institution: institution 2 queries with institution 1's authorization", async () => {
      await refused((o) => desk.connect(inst2).requestQuery(ask(), o), consents, "WrongInstitution", auth1Id, 1, 2);
      expect(await desk.queryCount()).to.equal(2n);
    });

    it("A22 cross-institution: institution 2 registers an authorization made out to institution 1", async () => {
      const a = auth({ nonce: 5n });
      const sig = await signAuthorization(enterprise(), domain, a);
      await refused((o) => consents.connect(inst2).registerAuthorization(a, sig, o), consents, "NotAuthorizedInstitution", 2, 1);
      expect(await consents.nonceUsed(b18(HEFEI), 5n)).to.equal(false);
    });

    it("A23 authorization for one enterprise used to query another", async () => {
      await refused(
        (o) => desk.connect(inst1).requestQuery(ask({ enterprise: b18(HEFEI_B) }), o),
        consents,
        "WrongEnterprise",
        auth1Id,
        b18(HEFEI),
        b18(HEFEI_B),
      );
    });

    it("A24 query for categories the enterprise did not authorize", async () => {
      await refused(
        (o) => desk.connect(inst1).requestQuery(ask({ categories: BASIC | FINANCING }), o),
        consents,
        "CategoriesNotAuthorized",
        auth1Id,
        BASIC | STATUS,
        BASIC | FINANCING,
      );
    });

    it("A25 query for another purpose than the authorized one", async () => {
      await refused(
        (o) => desk.connect(inst1).requestQuery(ask({ purpose: Purpose.GuaranteeReview }), o),
        consents,
        "WrongPurpose",
        auth1Id,
        Purpose.CreditApproval,
        Purpose.GuaranteeReview,
      );
    });

    it("A26 revoked authorization used for a query", async () => {
      await consents.connect(enterprise()).revokeAuthorization(auth1Id);
      await refused((o) => desk.connect(inst1).requestQuery(ask(), o), consents, "AuthorizationIsRevoked", auth1Id);
    });

    it("A27 outsider revokes the enterprise's authorization", async () => {
      await refused((o) => consents.connect(outsider()).revokeAuthorization(auth1Id, o), consents, "NotEnterpriseSigner", outsider().address, b18(HEFEI));
      expect((await consents.consent(auth1Id)).revoked).to.equal(false);
    });
  });

  describe("queries: double fulfilment, wrong city, oversized, late", () => {
    it("A28 double fulfilment of a query", async () => {
      await refused((o) => desk.connect(op(23)).fulfilQuery(1, [id("a second answer")], o), desk, "QueryNotPending", 1, QueryStatus.Fulfilled);
      expect((await desk.query(1)).reportsDigest).to.not.equal(ZeroHash);
    });

    it("A29 a node of another city answers a query", async () => {
      await refused((o) => desk.connect(op(1)).fulfilQuery(2, [id("shanghai answers for hefei")], o), desk, "NotServingNode", 2, HEFEI_CITY, SHANGHAI_CITY);
      expect((await desk.query(2)).status).to.equal(BigInt(QueryStatus.Requested));
    });

    it("A30 oversized fulfilment (33 reports)", async () => {
      const reports = range(0, 33).map((i) => id(`report ${i}`));
      await refused((o) => desk.connect(op(23)).fulfilQuery(2, reports, o), desk, "TooManyReports", 33);
    });

    it("A31 fulfilment after the service deadline", async () => {
      await f.conn.networkHelpers.time.increaseTo(query2Deadline + 1n);
      await refused((o) => desk.connect(op(23)).fulfilQuery(2, [id("late")], o), desk, "QueryDeadlinePassed", 2, query2Deadline);
    });

    it("A32 outsider expires a pending query early", async () => {
      await refused((o) => desk.connect(outsider()).expireQuery(2, o), desk, "QueryNotYetExpired", 2, query2Deadline);
    });
  });

  describe("records: wrong-city writes, stale versions, one content per version", () => {
    it("A33 wrong-city write: a Shanghai node attests a Hefei record", async () => {
      await refused(
        (o) => sh().attest(req(HEFEI, Category.OperatingStatus, 2, id("shanghai's version")), o),
        ledger,
        "NotHomeCityNode",
        b18(HEFEI),
        HEFEI_CITY,
        SHANGHAI_CITY,
      );
    });

    it("A34 wrong-city signer binding: a Shanghai node binds itself as a Hefei enterprise's signer", async () => {
      await refused((o) => sh().bindEnterpriseSigner(b18(HEFEI), op(1).address, o), ledger, "NotHomeCityNode", b18(HEFEI), HEFEI_CITY, SHANGHAI_CITY);
      expect(await ledger.enterpriseSigner(b18(HEFEI))).to.equal(enterprise().address);
    });

    it("A35 stale version: version 1 attested again with other content", async () => {
      await refused(
        (o) => hf().attest(req(HEFEI, Category.BasicInfo, 1, id("rewritten v1")), o),
        ledger,
        "VersionNotIncreasing",
        b18(HEFEI),
        Category.BasicInfo,
        1,
        1,
      );
      expect(await ledger.attestationStatus(b18(HEFEI), Category.BasicInfo, 1, basicDigest)).to.equal(RecordStatus.Valid);
    });

    it("A36 live version 2^32-1 to block every correction (hole 10)", async () => {
      await refused(
        (o) => hf().attest(req(HEFEI, Category.BasicInfo, MAX_VERSION, id("blocker")), o),
        ledger,
        "VersionStepTooLarge",
        b18(HEFEI),
        Category.BasicInfo,
        MAX_VERSION,
        2,
      );
      expect(await ledger.currentVersion(b18(HEFEI), Category.BasicInfo)).to.equal(1n);
    });

    it("A37 one version, two contents: a live digest for a version declared for a batch (hole 9)", async () => {
      await nj().supersede({ enterprise: b18(NANJING), category: Category.OperatingStatus, version: 2 });
      await refused(
        (o) => nj().attest(req(NANJING, Category.OperatingStatus, 2, id("live v2")), o),
        ledger,
        "VersionNotIncreasing",
        b18(NANJING),
        Category.OperatingStatus,
        2,
        2,
      );
      // and the other way round: once version 1 of an enterprise is live, its batch leaf of other content is not anchored
      await nj().attest(req(NANJING_2, Category.OperatingStatus, 1, id("live v1 of nanjing 2")));
      const [i, leaf] = [...tree.entries()].find(([, v]) => v[0] === b18(NANJING_2))!;
      await refusedView(async () => {
        const status = await ledger.verifyRecord(
          1,
          { enterprise: leaf[0] as string, category: leaf[1] as number, version: leaf[2] as number, digest: leaf[3] as string },
          tree.getProof(i),
        );
        expect(status).to.equal(RecordStatus.NotAnchored);
      });
    });

    it("A38 revocation replayed", async () => {
      await hf().revoke({ enterprise: b18(HEFEI), category: Category.BasicInfo, version: 1, reason: 1 });
      await refused(
        (o) => hf().revoke({ enterprise: b18(HEFEI), category: Category.BasicInfo, version: 1, reason: 2 }, o),
        ledger,
        "AlreadyRevoked",
        b18(HEFEI),
        Category.BasicInfo,
        1,
      );
      expect(await ledger.revocationReason(b18(HEFEI), Category.BasicInfo, 1)).to.equal(1n);
    });

    it("A39 empty batch anchored", async () => {
      await refused(
        (o) => nj().anchorBatch({ category: Category.OperatingStatus, root: id("root of nothing"), count: 0, batchDigest: ZeroHash }, o),
        ledger,
        "EmptyBatch",
      );
      expect(await ledger.batchCount()).to.equal(1n);
    });
  });

  describe("objections: outside the consortium, without a query, replayed, late", () => {
    it("A40 objection on bytes18(0) (hole 6)", async () => {
      await refused(
        (o) => ledger.connect(inst1).fileObjection(ZERO18, Category.BasicInfo, 1, id("nobody can answer"), o),
        ledger,
        "USCCInvalidCharacter",
        ZERO18,
        1,
      );
      expect(await ledger.objectionCount()).to.equal(1n);
    });

    it("A41 objection on an enterprise outside the consortium (hole 6)", async () => {
      await refused(
        (o) => ledger.connect(inst1).fileObjection(b18(BEIJING), Category.BasicInfo, 1, id("no node answers"), o),
        ledger,
        "EnterpriseCityNotConnected",
        b18(BEIJING),
        110105,
      );
    });

    it("A42 institution disputes a record with no query behind it (hole 8)", async () => {
      await refused(
        (o) => ledger.connect(inst2).fileObjection(b18(HEFEI), Category.BasicInfo, 1, id("I say it is wrong"), o),
        ledger,
        "ObjectionNotByEnterprise",
        inst2.address,
        b18(HEFEI),
      );
      expect(await ledger.attestationStatus(b18(HEFEI), Category.BasicInfo, 1, basicDigest)).to.equal(RecordStatus.Valid);
    });

    it("A43 institution disputes a record of a query that was never fulfilled (hole 8)", async () => {
      await refused(
        (o) => ledger.connect(inst1).fileReportObjection(reportObjection({ queryId: 2 }), o),
        ledger,
        "QueryNotFulfilled",
        2,
        QueryStatus.Requested,
      );
    });

    it("A44 institution disputes with a forged list of reports (hole 8)", async () => {
      const forged = [reportDigest({ queryId: "1", enterprise: b18(HEFEI), category: Category.OperatingStatus, version: 1, recordDigest: statusDigest })];
      await refused(
        (o) =>
          ledger
            .connect(inst1)
            .fileReportObjection(reportObjection({ reportDigests: forged, category: Category.OperatingStatus, recordDigest: statusDigest }), o),
        ledger,
        "ReportsMismatch",
        1,
      );
    });

    it("A45 institution disputes with another institution's query (hole 8)", async () => {
      await refused((o) => ledger.connect(inst2).fileReportObjection(reportObjection(), o), ledger, "NotQueryRequester", 1, 1, 2);
    });

    it("A46 institution objects twice to one report", async () => {
      await ledger.connect(inst1).fileReportObjection(reportObjection());
      await refused(
        (o) => ledger.connect(inst1).fileReportObjection(reportObjection({ reasonDigest: id("again") }), o),
        ledger,
        "ReportAlreadyObjected",
        report1,
        2,
      );
      expect(await ledger.disputeCount(b18(HEFEI), Category.BasicInfo, 1)).to.equal(1n);
    });

    it("A47 node answers an objection after its deadline", async () => {
      await f.conn.networkHelpers.time.increaseTo(objection1Deadline + 1n);
      await refused((o) => hf().resolveObjection(1, Outcome.Rejected, id("too late"), o), ledger, "ObjectionDeadlinePassed", 1, objection1Deadline);
      expect(await ledger.isOverdue(1)).to.equal(true);
    });

    it("A48 node answers 'corrected' without a newer version", async () => {
      await refused((o) => hf().resolveObjection(1, Outcome.Corrected, id("fixed, trust us"), o), ledger, "CorrectionMissing", 1, 1, 1);
      expect((await ledger.objection(1)).status).to.equal(1n);
    });

    it("A49 node of another city answers an objection", async () => {
      await refused((o) => sh().resolveObjection(1, Outcome.Rejected, id("not our city"), o), ledger, "NotHomeCityNode", b18(HEFEI), HEFEI_CITY, SHANGHAI_CITY);
    });

    it("A50 outsider binds its own query desk to the ledger", async () => {
      await refused((o) => ledger.connect(outsider()).bindQueryDesk(o), ledger, "QueryDeskAlreadyBound", await desk.getAddress());
      expect(await ledger.queryDesk()).to.equal(await desk.getAddress());
    });
  });

  describe("proofs: forged inclusion and consistency proofs, oversized proofs, rollbacks", () => {
    const nanjingLeaf = () => [...tree.entries()].find(([, v]) => v[0] === b18(NANJING))!;
    const proofFile = (proof: string[]): ProofFile =>
      toProofFile(f.manifest, {
        enterprise: NANJING,
        category: Category.OperatingStatus,
        version: 1,
        nodeId: 5,
        mode: "batch",
        salt: nanjingSalt,
        digest: nanjingDigest,
        leafHash: tree.leafHash(nanjingLeaf()[1]),
        batchId: 1,
        proof,
        txHash: ZeroHash,
        block: 0,
      });

    it("A51 forged batch inclusion proof (on chain and in a proof file)", async () => {
      const [i, leaf] = nanjingLeaf();
      const proof = tree.getProof(i);
      const forged = [flipLastByte(proof[0]), ...proof.slice(1)];
      const asLeaf = { enterprise: leaf[0] as string, category: leaf[1] as number, version: leaf[2] as number, digest: leaf[3] as string };
      await refusedView(async () => {
        expect(await ledger.verifyRecord(1, asLeaf, proof)).to.equal(RecordStatus.Valid); // the honest proof
        expect(await ledger.verifyRecord(1, asLeaf, forged)).to.equal(RecordStatus.NotAnchored);
        expect((await verifyRecordProof(c, f.manifest, nanjingStatus, proofFile(proof))).verdict).to.equal("valid");
        expect(await verifyRecordProof(c, f.manifest, nanjingStatus, proofFile(forged))).to.deep.equal({
          verdict: "not anchored",
          reason: "the Merkle proof does not lead to the batch root, or this version was attested live",
        });
        // a forged record with the genuine proof: one field changed no longer opens the commitment
        const altered = { ...nanjingStatus, taxCreditGrade: "D" } as CreditRecord;
        expect((await verifyRecordProof(c, f.manifest, altered, proofFile(proof))).verdict).to.equal("not anchored");
      });
    });

    it("A52 oversized batch proof (65 hashes)", async () => {
      const [, leaf] = nanjingLeaf();
      const asLeaf = { enterprise: leaf[0] as string, category: leaf[1] as number, version: leaf[2] as number, digest: leaf[3] as string };
      const long = range(0, 65).map((i) => id(`padding ${i}`));
      await refusedView(async () => {
        await expect(ledger.verifyRecord(1, asLeaf, long))
          .to.be.revertedWithCustomError(ledger, "ProofTooLong")
          .withArgs(65);
      });
    });

    it("A53 forged log inclusion proof (on chain and in the library)", async () => {
      const proof = log8.inclusionProof(4, 8);
      const forged = proof.map((h, k) => (k === 1 ? getBytes(flipLastByte(hexlify(h))) : h));
      const computed = hexlify(rootFromInclusionProof(4, 8, logLeaves[4], forged));
      await refusedView(async () => {
        expect(await qlog.verifyEntry(23, 0, 4, logLeaves[4], hex(proof))).to.equal(true); // the honest proof
        await expect(qlog.verifyEntry(23, 0, 4, logLeaves[4], hex(forged)))
          .to.be.revertedWithCustomError(qlog, "RFC6962RootMismatch")
          .withArgs(computed, hexlify(log8.root()));
        // a genuine proof presented for another entry
        await expect(qlog.verifyEntry(23, 0, 5, logLeaves[4], hex(proof))).to.be.revertedWithCustomError(qlog, "RFC6962RootMismatch");
      });
      verifyInclusion(4, 8, logLeaves[4], proof, log8.root());
      libraryRefuses(() => verifyInclusion(4, 8, logLeaves[4], forged, log8.root()), "RootMismatch");
    });

    it("A54 forged consistency proof: a commitment that rewrites a committed entry", async () => {
      const rewritten = [...logLeaves];
      rewritten[3] = hashLeaf(toUtf8Bytes("a query the node wants forgotten"));
      const forgedLog = MerkleLog.fromLeafHashes(rewritten);
      const proof = forgedLog.consistencyProof(8, 12);
      await refused(
        (o) => qlog.connect(op(23)).commitLog(12, forgedLog.root(), hex(proof), o),
        qlog,
        "RFC6962RootMismatch",
        // what the committed head and the proof imply for size 12, not the forged head
        hexlify(rootFromConsistencyProof(8, 12, proof, log8.root())),
        hexlify(forgedLog.root()),
      );
      expect(await qlog.commitmentCount(23)).to.equal(1n);
      libraryRefuses(() => verifyConsistency(8, 12, proof, log8.root(), forgedLog.root()), "RootMismatch");
    });

    it("A55 oversized consistency proof (65 hashes)", async () => {
      const honest = MerkleLog.fromLeafHashes(logLeaves);
      const long = range(0, 65).map((i) => getBytes(id(`padding ${i}`)));
      await refused((o) => qlog.connect(op(23)).commitLog(12, honest.root(), hex(long), o), qlog, "RFC6962ProofTooLong", 65, 64);
      libraryRefuses(() => verifyConsistency(8, 12, long, log8.root(), honest.root()), "ProofTooLong");
    });

    it("A56 truncated consistency proof", async () => {
      const honest = MerkleLog.fromLeafHashes(logLeaves);
      const proof = honest.consistencyProof(8, 12);
      await refused(
        (o) => qlog.connect(op(23)).commitLog(12, honest.root(), hex(proof.slice(0, -1)), o),
        qlog,
        "RFC6962WrongProofSize",
        proof.length - 1,
        proof.length,
      );
      libraryRefuses(() => verifyConsistency(8, 12, proof.slice(0, -1), log8.root(), honest.root()), "WrongProofSize");
      // the honest proof passes both verifiers
      verifyConsistency(8, 12, proof, log8.root(), honest.root());
      await qlog.connect(op(23)).commitLog(12, honest.root(), hex(proof));
    });

    it("A57 log rollback: a commitment of a shorter log", async () => {
      await refused((o) => qlog.connect(op(23)).commitLog(4, log8.root(4), [], o), qlog, "LogShrinks", 23, 8, 4);
      expect((await qlog.latestCommitment(23)).size).to.equal(8n);
    });

    it("A58 replayed log commitment", async () => {
      await refused((o) => qlog.connect(op(23)).commitLog(8, log8.root(), [], o), qlog, "LogUnchanged", 23, 8);
      expect(await qlog.commitmentCount(23)).to.equal(1n);
    });

    it("A59 inclusion proof of an entry beyond the committed log", async () => {
      const proof = hex(log8.inclusionProof(7, 8));
      await refusedView(async () => {
        await expect(qlog.verifyEntry(23, 0, 8, logLeaves[8], proof))
          .to.be.revertedWithCustomError(qlog, "RFC6962IndexOutOfRange")
          .withArgs(8, 8);
        await expect(qlog.verifyEntry(23, 1, 0, logLeaves[0], proof))
          .to.be.revertedWithCustomError(qlog, "UnknownCommitment")
          .withArgs(23, 1);
      });
      libraryRefuses(() => verifyInclusion(8, 8, logLeaves[8], log8.inclusionProof(7, 8), log8.root()), "IndexOutOfRange");
    });

    it("A60 batch leaf of a code with a wrong check character (a record of no enterprise)", async () => {
      // the live path refuses the code; a batch is checked off chain only, so hf-1 anchors a leaf of it
      const good = HEFEI_B;
      const bad = good.slice(0, 17) + (good[17] === "0" ? "1" : "0");
      await refused(
        (o) => hf().attest(req(bad, Category.BasicInfo, 1, id("typo")), o),
        ledger,
        "USCCInvalidCheckCharacter",
        b18(bad),
        hexlify(toUtf8Bytes(bad[17])),
        hexlify(toUtf8Bytes(good[17])),
      );
      const batch = StandardMerkleTree.of(
        [
          [b18(bad), Category.BasicInfo, 1, id("typo")],
          [b18(good), Category.BasicInfo, 1, id("hefei b basic-info v1")],
        ],
        ENCODING,
      );
      await hf().anchorBatch({ category: Category.BasicInfo, root: batch.root, count: 2, batchDigest: ZeroHash });
      const leafAt = (code: string) => {
        const [i, v] = [...batch.entries()].find(([, x]) => x[0] === b18(code))!;
        return { leaf: { enterprise: v[0] as string, category: v[1] as number, version: v[2] as number, digest: v[3] as string }, proof: batch.getProof(i) };
      };
      await refusedView(async () => {
        const typo = leafAt(bad);
        await expect(ledger.verifyRecord(2, typo.leaf, typo.proof))
          .to.be.revertedWithCustomError(ledger, "USCCInvalidCheckCharacter")
          .withArgs(b18(bad), hexlify(toUtf8Bytes(bad[17])), hexlify(toUtf8Bytes(good[17])));
        const honest = leafAt(good);
        expect(await ledger.verifyRecord(2, honest.leaf, honest.proof)).to.equal(RecordStatus.Valid);
      });
    });
  });
});
