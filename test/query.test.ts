import { expect } from "chai";
import { Wallet, ZeroHash, id, type Signer } from "ethers";
import type { ConsentRegistry, CreditLedger, QueryDesk } from "../typechain-types/index.js";
import { Purpose, authorizationId, consentDomain, signAuthorization, type Authorization } from "../src/consent/authorization.js";
import { b18, uscc } from "./helpers/codes.js";
import { deployedConsortium } from "./helpers/consortium.js";

const QueryStatus = { None: 0n, Requested: 1n, Fulfilled: 2n, Denied: 3n, Expired: 4n } as const;
const BASIC = 1 << 1;
const STATUS = 1 << 2;
const FINANCING = 1 << 3;
const HOUR = 3600;

describe("authorized queries", function () {
  let f: Awaited<ReturnType<typeof deployedConsortium>>;
  let ledger: CreditLedger;
  let consents: ConsentRegistry;
  let desk: QueryDesk;
  let snapshot: { restore(): Promise<void> };
  let domain: ReturnType<typeof consentDomain>;
  // A Hefei enterprise (hf-1 = node 23, operators[22]); institution 1 is sponsored by sh-1 (Shanghai): cross-city.
  const HEFEI = uscc("340104", "MA2TXN4K1");
  const enterpriseKey = Wallet.createRandom();
  let now: number;

  before(async () => {
    f = await deployedConsortium(4);
    const at = f.manifest.contracts;
    ledger = (await f.conn.ethers.getContractAt("CreditLedger", at.CreditLedger.address)) as unknown as CreditLedger;
    consents = (await f.conn.ethers.getContractAt("ConsentRegistry", at.ConsentRegistry.address)) as unknown as ConsentRegistry;
    desk = (await f.conn.ethers.getContractAt("QueryDesk", at.QueryDesk.address)) as unknown as QueryDesk;
    domain = consentDomain(f.manifest.chainId, at.ConsentRegistry.address);
    await ledger.connect(f.operators[22]).bindEnterpriseSigner(b18(HEFEI), enterpriseKey.address);
    snapshot = await f.conn.networkHelpers.takeSnapshot();
  });
  beforeEach(async () => {
    now = Number(await f.conn.networkHelpers.time.latest());
  });
  afterEach(async () => snapshot.restore());

  const hefeiNode = () => desk.connect(f.operators[22]);
  function auth(over: Partial<Authorization> = {}): Authorization {
    return {
      enterprise: b18(HEFEI),
      institution: 1,
      purpose: Purpose.CreditApproval,
      categories: BASIC | STATUS,
      notBefore: now - 60,
      notAfter: now + 30 * 24 * HOUR,
      nonce: 1n,
      ...over,
    };
  }
  async function register(a: Authorization, institutionIndex = a.institution, key: Signer = enterpriseKey) {
    const inst = await f.institutionSigner(institutionIndex);
    const sig = await signAuthorization(key, domain, a);
    await consents.connect(inst).registerAuthorization(a, sig);
    return { inst, authId: authorizationId(domain, a) };
  }
  const ask = (authId: string, over: Partial<{ categories: number; purpose: number; enterprise: string }> = {}) => ({
    enterprise: b18(HEFEI),
    categories: BASIC,
    purpose: Purpose.CreditApproval,
    authorizationId: authId,
    ...over,
  });

  describe("authorization (授权存证)", () => {
    it("registers a signed authorization whose id is the EIP-712 digest", async () => {
      const a = auth();
      const inst = await f.institutionSigner(1);
      const sig = await signAuthorization(enterpriseKey, domain, a);
      const expectedId = authorizationId(domain, a);
      expect(await consents.authorizationDigest(a)).to.equal(expectedId);
      await expect(consents.connect(inst).registerAuthorization(a, sig))
        .to.emit(consents, "AuthorizationRegistered")
        .withArgs(expectedId, b18(HEFEI), 1, Purpose.CreditApproval, BASIC | STATUS, a.notBefore, a.notAfter, 1n);
      expect((await consents.consent(expectedId)).signer).to.equal(enterpriseKey.address);
    });

    it("refuses a replayed nonce, a forged signature and another institution's registration", async () => {
      const { inst } = await register(auth());
      const again = auth({ notAfter: now + 99 * HOUR });
      await expect(consents.connect(inst).registerAuthorization(again, await signAuthorization(enterpriseKey, domain, again)))
        .to.be.revertedWithCustomError(consents, "NonceAlreadyUsed")
        .withArgs(b18(HEFEI), 1n);
      const other = auth({ nonce: 2n });
      const forger = Wallet.createRandom();
      await expect(consents.connect(inst).registerAuthorization(other, await signAuthorization(forger, domain, other)))
        .to.be.revertedWithCustomError(consents, "InvalidSignature")
        .withArgs(b18(HEFEI), enterpriseKey.address);
      const inst2 = await f.institutionSigner(2);
      await expect(consents.connect(inst2).registerAuthorization(other, await signAuthorization(enterpriseKey, domain, other)))
        .to.be.revertedWithCustomError(consents, "NotAuthorizedInstitution")
        .withArgs(2, 1);
      await expect(consents.connect(f.spare[0]).registerAuthorization(other, "0x")).to.be.revertedWithCustomError(f.registry, "NotInstitutionSigner");
    });

    it("refuses malformed and already expired authorizations", async () => {
      const inst = await f.institutionSigner(1);
      const send = async (a: Authorization) => consents.connect(inst).registerAuthorization(a, await signAuthorization(enterpriseKey, domain, a));
      await expect(send(auth({ purpose: 0 as Purpose }))).to.be.revertedWithCustomError(consents, "InvalidPurpose");
      await expect(send(auth({ categories: 0 }))).to.be.revertedWithCustomError(consents, "InvalidCategories");
      await expect(send(auth({ categories: 1 })))
        .to.be.revertedWithCustomError(consents, "InvalidCategories")
        .withArgs(1);
      await expect(send(auth({ notBefore: now, notAfter: now }))).to.be.revertedWithCustomError(consents, "InvalidValidityWindow");
      await expect(send(auth({ notBefore: now - 100, notAfter: now - 10 }))).to.be.revertedWithCustomError(consents, "AuthorizationExpired");
      const unbound = auth({ enterprise: b18(uscc("340104", "MA2TXN4K2")) });
      await expect(send(unbound)).to.be.revertedWithCustomError(consents, "NoEnterpriseSigner");
    });

    it("accepts a contract-wallet signer through ERC-1271", async () => {
      const owner = Wallet.createRandom();
      const wallet = await f.conn.ethers.deployContract("MockContractWallet", [owner.address]);
      const code = uscc("340104", "MA2TXN4K3");
      await ledger.connect(f.operators[22]).bindEnterpriseSigner(b18(code), await wallet.getAddress());
      const a = auth({ enterprise: b18(code) });
      const inst = await f.institutionSigner(1);
      await consents.connect(inst).registerAuthorization(a, await signAuthorization(owner, domain, a));
      const wrong = auth({ enterprise: b18(code), nonce: 5n });
      await expect(
        consents.connect(inst).registerAuthorization(wrong, await signAuthorization(Wallet.createRandom(), domain, wrong)),
      ).to.be.revertedWithCustomError(consents, "InvalidSignature");
    });

    it("lets only the enterprise revoke, and cancel an unused nonce", async () => {
      const { authId } = await register(auth());
      await expect(consents.connect(f.spare[0]).revokeAuthorization(authId))
        .to.be.revertedWithCustomError(consents, "NotEnterpriseSigner")
        .withArgs(f.spare[0].address, b18(HEFEI));
      const ent = enterpriseKey.connect(f.conn.ethers.provider);
      await f.conn.networkHelpers.setBalance(ent.address, 10n ** 18n);
      await expect(consents.connect(ent).revokeAuthorization(authId)).to.emit(consents, "AuthorizationRevoked").withArgs(authId, b18(HEFEI));
      await expect(consents.connect(ent).revokeAuthorization(authId)).to.be.revertedWithCustomError(consents, "AuthorizationIsRevoked");
      await expect(consents.connect(ent).revokeAuthorization(id("nothing"))).to.be.revertedWithCustomError(consents, "UnknownAuthorization");
      await consents.connect(ent).cancelNonce(b18(HEFEI), 7n);
      const a = auth({ nonce: 7n });
      const inst = await f.institutionSigner(1);
      await expect(consents.connect(inst).registerAuthorization(a, await signAuthorization(enterpriseKey, domain, a))).to.be.revertedWithCustomError(
        consents,
        "NonceAlreadyUsed",
      );
    });
  });

  describe("query workflow", () => {
    it("serves a cross-city query: requested in Shanghai, fulfilled by the Hefei node", async () => {
      const { inst, authId } = await register(auth());
      await expect(desk.connect(inst).requestQuery(ask(authId)))
        .to.emit(desk, "QueryRequested")
        .withArgs(1, b18(HEFEI), 1, 1, 340100, BASIC, Purpose.CreditApproval, authId, true);
      const reports = [id("report 1"), id("report 2"), id("report 3"), id("report 4")];
      await expect(hefeiNode().fulfilQuery(1, reports)).to.emit(desk, "QueryFulfilled").withArgs(1, 23, reports);
      const q = await desk.query(1);
      expect(q.status).to.equal(QueryStatus.Fulfilled);
      expect(q.servedBy).to.equal(23n);
      await expect(hefeiNode().fulfilQuery(1, reports)).to.be.revertedWithCustomError(desk, "QueryNotPending").withArgs(1, QueryStatus.Fulfilled);
    });

    it("refuses a query without a registered authorization", async () => {
      const inst = await f.institutionSigner(1);
      await expect(desk.connect(inst).requestQuery(ask(id("none"))))
        .to.be.revertedWithCustomError(consents, "UnknownAuthorization")
        .withArgs(id("none"));
    });

    it("refuses an expired and a not-yet-valid authorization", async () => {
      const { inst, authId } = await register(auth({ notAfter: now + HOUR }));
      await f.conn.networkHelpers.time.increase(2 * HOUR);
      await expect(desk.connect(inst).requestQuery(ask(authId))).to.be.revertedWithCustomError(consents, "AuthorizationExpired");
      const later = Number(await f.conn.networkHelpers.time.latest());
      const { authId: future } = await register(auth({ nonce: 2n, notBefore: later + HOUR, notAfter: later + 10 * HOUR }));
      await expect(desk.connect(inst).requestQuery(ask(future))).to.be.revertedWithCustomError(consents, "AuthorizationNotYetValid");
    });

    it("refuses a revoked authorization", async () => {
      const { inst, authId } = await register(auth());
      const ent = enterpriseKey.connect(f.conn.ethers.provider);
      await f.conn.networkHelpers.setBalance(ent.address, 10n ** 18n);
      await consents.connect(ent).revokeAuthorization(authId);
      await expect(desk.connect(inst).requestQuery(ask(authId)))
        .to.be.revertedWithCustomError(consents, "AuthorizationIsRevoked")
        .withArgs(authId);
    });

    it("refuses a wrong purpose, unauthorized categories, another enterprise and another institution's authorization", async () => {
      const { inst, authId } = await register(auth());
      await expect(desk.connect(inst).requestQuery(ask(authId, { purpose: Purpose.GuaranteeReview })))
        .to.be.revertedWithCustomError(consents, "WrongPurpose")
        .withArgs(authId, Purpose.CreditApproval, Purpose.GuaranteeReview);
      await expect(desk.connect(inst).requestQuery(ask(authId, { categories: BASIC | FINANCING })))
        .to.be.revertedWithCustomError(consents, "CategoriesNotAuthorized")
        .withArgs(authId, BASIC | STATUS, BASIC | FINANCING);
      await expect(desk.connect(inst).requestQuery(ask(authId, { enterprise: b18(uscc("340104", "MA2TXN4K2")) }))).to.be.revertedWithCustomError(
        consents,
        "WrongEnterprise",
      );
      const other = await f.institutionSigner(2);
      await expect(desk.connect(other).requestQuery(ask(authId)))
        .to.be.revertedWithCustomError(consents, "WrongInstitution")
        .withArgs(authId, 1, 2);
    });

    it("refuses a suspended institution and one whose sponsor node is frozen", async () => {
      const { inst, authId } = await register(auth());
      await f.registry.connect(f.operators[0]).setInstitutionStatus(1, 2);
      await expect(desk.connect(inst).requestQuery(ask(authId)))
        .to.be.revertedWithCustomError(f.registry, "NotActiveInstitution")
        .withArgs(1, 2);
      await f.registry.connect(f.operators[0]).setInstitutionStatus(1, 1);
      await f.registry.connect(f.regulator).setNodeFrozen(1, true);
      await expect(desk.connect(inst).requestQuery(ask(authId)))
        .to.be.revertedWithCustomError(f.registry, "SponsorNotActive")
        .withArgs(1, 1);
    });

    it("only an active node of the enterprise's city serves; a frozen one cannot", async () => {
      const { inst, authId } = await register(auth());
      await desk.connect(inst).requestQuery(ask(authId));
      await expect(desk.connect(f.operators[0]).fulfilQuery(1, [id("r")]))
        .to.be.revertedWithCustomError(desk, "NotServingNode")
        .withArgs(1, 340100, 310000);
      await expect(desk.connect(f.spare[0]).denyQuery(1, 1)).to.be.revertedWithCustomError(f.registry, "NotNodeOperator");
      await f.registry.connect(f.regulator).setNodeFrozen(23, true);
      await expect(hefeiNode().fulfilQuery(1, [id("r")]))
        .to.be.revertedWithCustomError(f.registry, "NodeIsFrozen")
        .withArgs(23);
      // hf-2 (node 24) is in Hefei too
      await expect(hefeiNode().connect(f.operators[23]).fulfilQuery(1, [])).to.be.revertedWithCustomError(desk, "NoReports");
      await expect(desk.connect(f.operators[23]).denyQuery(1, 0)).to.be.revertedWithCustomError(desk, "ZeroReason");
      await expect(desk.connect(f.operators[23]).denyQuery(1, 4)).to.emit(desk, "QueryDenied").withArgs(1, 24, 4);
    });

    it("a request not served in time expires and can no longer be fulfilled", async () => {
      const { inst, authId } = await register(auth());
      await desk.connect(inst).requestQuery(ask(authId));
      await expect(desk.expireQuery(1)).to.be.revertedWithCustomError(desk, "QueryNotYetExpired");
      const q = await desk.query(1);
      await f.conn.networkHelpers.time.increaseTo(q.deadline + 1n);
      await expect(hefeiNode().fulfilQuery(1, [id("r")]))
        .to.be.revertedWithCustomError(desk, "QueryDeadlinePassed")
        .withArgs(1, q.deadline);
      await expect(desk.connect(f.spare[3]).expireQuery(1)).to.emit(desk, "QueryExpired").withArgs(1);
      expect((await desk.query(1)).status).to.equal(QueryStatus.Expired);
      await expect(desk.expireQuery(2)).to.be.revertedWithCustomError(desk, "UnknownQuery");
    });
  });

  it("the desk rejects zero registry and zero service window at deployment", async () => {
    await expect(
      f.conn.ethers.deployContract("QueryDesk", [f.manifest.contracts.ConsortiumRegistry.address, f.manifest.contracts.ConsentRegistry.address, 0]),
    ).to.be.revertedWithCustomError(desk, "ZeroServiceWindow");
    await expect(
      f.conn.ethers.deployContract("QueryDesk", ["0x0000000000000000000000000000000000000000", ZeroHash.slice(0, 42), 1]),
    ).to.be.revertedWithCustomError(desk, "ZeroRegistry");
  });
});
