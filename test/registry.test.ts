import { expect } from "chai";
import { network } from "hardhat";
import { ZeroHash, id } from "ethers";
import type { ConsortiumRegistry } from "../typechain-types/index.js";
import { deployedConsortium } from "./helpers/consortium.js";

const Kind = { AdmitNode: 0, SuspendNode: 1, ReinstateNode: 2, RemoveNode: 3 } as const;
const NodeStatus = { None: 0n, Active: 1n, Suspended: 2n, Removed: 3n } as const;
const InstStatus = { None: 0, Active: 1, Suspended: 2 } as const;

describe("ConsortiumRegistry", function () {
  let f: Awaited<ReturnType<typeof deployedConsortium>>;
  let snapshot: { restore(): Promise<void> };

  before(async () => {
    f = await deployedConsortium(4);
    snapshot = await f.conn.networkHelpers.takeSnapshot();
  });
  afterEach(async () => snapshot.restore());

  const as = (i: number) => f.registry.connect(f.operators[i]);

  /** Node (index) proposes to act on `target`; nodes `voters` (indices) vote after it. */
  async function proposeAndVote(kind: number, target: number, voters: number[], proposer = 0) {
    await as(proposer).propose(kind, target, 0, "0x0000000000000000000000000000000000000000", ZeroHash);
    const pid = await f.registry.proposalCount();
    for (const v of voters) await as(v).vote(pid);
    return pid;
  }
  const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

  describe("genesis", () => {
    it("is closed after deployment: the deployer keeps no power", async () => {
      expect(await f.registry.genesisAdmin()).to.equal("0x0000000000000000000000000000000000000000");
      await expect(f.registry.connect(f.deployer).registerCity(320300)).to.be.revertedWithCustomError(f.registry, "GenesisAlreadyClosed");
      await expect(f.registry.connect(f.deployer).genesisAddNode(310000, f.spare[0].address, ZeroHash)).to.be.revertedWithCustomError(
        f.registry,
        "GenesisAlreadyClosed",
      );
    });

    it("admits only the genesis admin, checks city codes and cannot close without nodes and a regulator", async () => {
      const { ethers } = await network.create();
      const [admin, other] = await ethers.getSigners();
      const reg = (await ethers.deployContract("ConsortiumRegistry", admin)) as unknown as ConsortiumRegistry;
      await expect(reg.connect(other).registerCity(310000)).to.be.revertedWithCustomError(reg, "NotGenesisAdmin").withArgs(other.address);
      await expect(reg.closeGenesis()).to.be.revertedWithCustomError(reg, "GenesisIncomplete");
      await expect(reg.registerCity(310001)).to.be.revertedWithCustomError(reg, "InvalidCityCode").withArgs(310001);
      await expect(reg.registerCity(90000)).to.be.revertedWithCustomError(reg, "InvalidCityCode");
      await reg.registerCity(310000);
      await expect(reg.registerCity(310000)).to.be.revertedWithCustomError(reg, "CityAlreadyRegistered");
      await expect(reg.genesisAddNode(320100, other.address, ZeroHash))
        .to.be.revertedWithCustomError(reg, "UnknownCity")
        .withArgs(320100);
      await reg.genesisAddNode(310000, other.address, ZeroHash);
      await expect(reg.genesisAddNode(310000, other.address, ZeroHash)).to.be.revertedWithCustomError(reg, "AccountAlreadyRegistered");
      await expect(reg.closeGenesis()).to.be.revertedWithCustomError(reg, "GenesisIncomplete");
      await expect(reg.setRegulator("0x0000000000000000000000000000000000000000")).to.be.revertedWithCustomError(reg, "ZeroAddress");
      await reg.setRegulator(admin.address);
      await expect(reg.closeGenesis()).to.emit(reg, "GenesisClosed").withArgs(1, 0);
    });

    it("maps division codes to connected cities", async () => {
      expect(await f.registry.cityOfDivision(310115)).to.equal(310000n); // Pudong → Shanghai
      expect(await f.registry.cityOfDivision(320106)).to.equal(320100n); // Gulou, Nanjing
      expect(await f.registry.cityOfDivision(331082)).to.equal(331000n); // Linhai → Taizhou (Zhejiang)
      expect(await f.registry.cityOfDivision(321282)).to.equal(0n); // Jingjiang → Taizhou (Jiangsu): not connected
      expect(await f.registry.cityOfDivision(110105)).to.equal(0n); // Beijing
      expect((await f.registry.cities()).length).to.equal(16);
    });
  });

  describe("governance threshold", () => {
    it("needs 17 of 25: 16 votes leave a proposal open, the 17th executes it", async () => {
      expect(await f.registry.requiredVotes()).to.equal(17n);
      const pid = await proposeAndVote(Kind.SuspendNode, 25, range(1, 16)); // proposer + 15 = 16 votes
      let p = await f.registry.proposal(pid);
      expect(p.votes).to.equal(16n);
      expect(p.executed).to.equal(false);
      expect((await f.registry.node(25)).status).to.equal(NodeStatus.Active);
      await expect(as(16).vote(pid)).to.emit(f.registry, "NodeStatusChanged").withArgs(25, NodeStatus.Suspended);
      p = await f.registry.proposal(pid);
      expect(p.executed).to.equal(true);
      expect(await f.registry.votingNodeCount()).to.equal(24n);
      expect(await f.registry.requiredVotes()).to.equal(16n);
    });

    it("after a removal the threshold follows the smaller consortium, and a waiting proposal can be executed", async () => {
      const waiting = await proposeAndVote(Kind.SuspendNode, 24, range(1, 16)); // 16 votes, needs 17
      await expect(f.registry.connect(f.operators[0]).execute(waiting)).to.be.revertedWithCustomError(f.registry, "NotEnoughVotes").withArgs(waiting, 16, 17);
      await proposeAndVote(Kind.RemoveNode, 25, range(1, 17));
      expect((await f.registry.node(25)).status).to.equal(NodeStatus.Removed);
      expect(await f.registry.requiredVotes()).to.equal(16n); // ceil(2 * 24 / 3)
      await expect(as(3).execute(waiting)).to.emit(f.registry, "NodeStatusChanged").withArgs(24, NodeStatus.Suspended);
      // the removed node's operator is no longer a node at all
      await expect(as(24).propose(Kind.SuspendNode, 1, 0, f.spare[0].address, ZeroHash))
        .to.be.revertedWithCustomError(f.registry, "NotNodeOperator")
        .withArgs(f.operators[24].address);
    });

    it("counts a node once: a second vote is refused", async () => {
      const pid = await proposeAndVote(Kind.SuspendNode, 25, [1]);
      await expect(as(1).vote(pid)).to.be.revertedWithCustomError(f.registry, "AlreadyVoted").withArgs(pid, 2);
      await expect(as(0).vote(pid)).to.be.revertedWithCustomError(f.registry, "AlreadyVoted").withArgs(pid, 1);
    });

    it("refuses votes after expiry, on unknown and on executed proposals", async () => {
      const pid = await proposeAndVote(Kind.SuspendNode, 25, []);
      const p = await f.registry.proposal(pid);
      await f.conn.networkHelpers.time.increaseTo(p.expiry + 1n);
      await expect(as(1).vote(pid)).to.be.revertedWithCustomError(f.registry, "ProposalExpired").withArgs(pid, p.expiry);
      await expect(as(1).vote(999)).to.be.revertedWithCustomError(f.registry, "UnknownProposal").withArgs(999);
      const done = await proposeAndVote(Kind.SuspendNode, 23, range(1, 17));
      await expect(as(20).vote(done)).to.be.revertedWithCustomError(f.registry, "ProposalAlreadyExecuted").withArgs(done);
    });

    it("admits a node in a new city by vote, which can then act", async () => {
      const newOp = f.spare[0];
      const digest = id("xz-1");
      await as(0).propose(Kind.AdmitNode, 0, 320300, newOp.address, digest);
      const pid = await f.registry.proposalCount();
      for (const v of range(1, 16)) await as(v).vote(pid);
      await expect(as(16).vote(pid))
        .to.emit(f.registry, "CityRegistered")
        .withArgs(320300)
        .and.to.emit(f.registry, "NodeRegistered")
        .withArgs(26, 320300, newOp.address, digest);
      expect(await f.registry.nodeCount()).to.equal(26n);
      expect(await f.registry.requiredVotes()).to.equal(18n); // ceil(2 * 26 / 3)
      expect(await f.registry.cityOfDivision(320311)).to.equal(320300n);
      const [nodeId, city] = await f.registry.requireActiveNode(newOp.address);
      expect([nodeId, city]).to.deep.equal([26n, 320300n]);
    });

    it("refuses proposals that do not fit the target's state", async () => {
      await expect(as(0).propose(Kind.ReinstateNode, 5, 0, f.spare[0].address, ZeroHash))
        .to.be.revertedWithCustomError(f.registry, "InvalidProposalTarget")
        .withArgs(Kind.ReinstateNode, 5, NodeStatus.Active);
      await expect(as(0).propose(Kind.SuspendNode, 99, 0, f.spare[0].address, ZeroHash))
        .to.be.revertedWithCustomError(f.registry, "InvalidProposalTarget")
        .withArgs(Kind.SuspendNode, 99, NodeStatus.None);
      await expect(as(0).propose(Kind.AdmitNode, 0, 320301, f.spare[0].address, ZeroHash)).to.be.revertedWithCustomError(f.registry, "InvalidCityCode");
      await expect(as(0).propose(Kind.AdmitNode, 0, 320300, f.operators[3].address, ZeroHash))
        .to.be.revertedWithCustomError(f.registry, "AccountAlreadyRegistered")
        .withArgs(f.operators[3].address);
    });

    it("a suspended node cannot propose, vote or register institutions until reinstated", async () => {
      await proposeAndVote(Kind.SuspendNode, 25, range(1, 17));
      const suspended = as(24);
      await expect(suspended.propose(Kind.SuspendNode, 1, 0, f.spare[0].address, ZeroHash))
        .to.be.revertedWithCustomError(f.registry, "NotActiveNode")
        .withArgs(25, NodeStatus.Suspended);
      const pid = await proposeAndVote(Kind.SuspendNode, 23, []);
      await expect(suspended.vote(pid)).to.be.revertedWithCustomError(f.registry, "NotActiveNode");
      await expect(suspended.registerInstitution({ signer: f.spare[1].address, kind: 0, nameDigest: ZeroHash })).to.be.revertedWithCustomError(
        f.registry,
        "NotActiveNode",
      );
      await proposeAndVote(Kind.ReinstateNode, 25, range(1, 16)); // 16 of 24 voting nodes suffice now
      expect((await f.registry.node(25)).status).to.equal(NodeStatus.Active);
      await expect(suspended.registerInstitution({ signer: f.spare[1].address, kind: 0, nameDigest: ZeroHash })).to.emit(f.registry, "InstitutionRegistered");
    });

    it("an outsider can neither propose, vote nor execute", async () => {
      const outsider = f.registry.connect(f.spare[0]);
      await expect(outsider.propose(Kind.SuspendNode, 1, 0, f.spare[0].address, ZeroHash))
        .to.be.revertedWithCustomError(f.registry, "NotNodeOperator")
        .withArgs(f.spare[0].address);
      const pid = await proposeAndVote(Kind.SuspendNode, 25, []);
      await expect(outsider.vote(pid)).to.be.revertedWithCustomError(f.registry, "NotNodeOperator");
      await expect(outsider.execute(pid)).to.be.revertedWithCustomError(f.registry, "NotNodeOperator");
    });
  });

  describe("institutions and the regulator", () => {
    it("registers institutions for their sponsor only; an outsider cannot", async () => {
      expect(await f.registry.institutionCount()).to.equal(4n);
      const inst = await f.registry.institution(1);
      expect(inst.sponsor).to.equal(1n);
      expect(inst.status).to.equal(1n);
      await expect(f.registry.connect(f.spare[0]).registerInstitution({ signer: f.spare[1].address, kind: 1, nameDigest: ZeroHash }))
        .to.be.revertedWithCustomError(f.registry, "NotNodeOperator")
        .withArgs(f.spare[0].address);
      await expect(as(2).registerInstitution({ signer: f.manifest.institutions[0].signer, kind: 1, nameDigest: ZeroHash })).to.be.revertedWithCustomError(
        f.registry,
        "AccountAlreadyRegistered",
      );
      await expect(
        as(2).registerInstitution({ signer: "0x0000000000000000000000000000000000000000", kind: 1, nameDigest: ZeroHash }),
      ).to.be.revertedWithCustomError(f.registry, "ZeroAddress");
      await expect(as(2).setInstitutionStatus(1, InstStatus.Suspended)).to.be.revertedWithCustomError(f.registry, "NotSponsor").withArgs(1, 1, 3);
      await expect(f.registry.connect(f.spare[0]).setInstitutionStatus(1, InstStatus.Suspended)).to.be.revertedWithCustomError(f.registry, "NotNodeOperator");
      await expect(as(0).setInstitutionStatus(77, InstStatus.Suspended)).to.be.revertedWithCustomError(f.registry, "UnknownInstitution");
    });

    it("a suspended institution cannot act until its sponsor reinstates it", async () => {
      const signer = f.manifest.institutions[0].signer;
      expect(await f.registry.requireActiveInstitution(signer)).to.equal(1n);
      await expect(as(0).setInstitutionStatus(1, InstStatus.Suspended)).to.emit(f.registry, "InstitutionStatusChanged").withArgs(1, InstStatus.Suspended);
      await expect(f.registry.requireActiveInstitution(signer))
        .to.be.revertedWithCustomError(f.registry, "NotActiveInstitution")
        .withArgs(1, InstStatus.Suspended);
      await expect(as(0).setInstitutionStatus(1, InstStatus.Suspended)).to.be.revertedWithCustomError(f.registry, "InstitutionStatusUnchanged");
      await expect(as(0).setInstitutionStatus(1, InstStatus.None)).to.be.revertedWithCustomError(f.registry, "InvalidInstitutionStatus");
      await as(0).setInstitutionStatus(1, InstStatus.Active);
      expect(await f.registry.requireActiveInstitution(signer)).to.equal(1n);
      await expect(f.registry.requireActiveInstitution(f.spare[3].address)).to.be.revertedWithCustomError(f.registry, "NotInstitutionSigner");
    });

    it("the regulator freezes institutions and nodes; a frozen node cannot act, vote or sponsor", async () => {
      const reg = f.registry.connect(f.regulator);
      await expect(f.registry.connect(f.spare[0]).setInstitutionFrozen(2, true)).to.be.revertedWithCustomError(f.registry, "NotRegulator");
      await expect(as(0).setNodeFrozen(2, true)).to.be.revertedWithCustomError(f.registry, "NotRegulator").withArgs(f.operators[0].address);
      await expect(reg.setInstitutionFrozen(2, true)).to.emit(f.registry, "InstitutionFrozen").withArgs(2, true);
      await expect(f.registry.requireActiveInstitution(f.manifest.institutions[1].signer))
        .to.be.revertedWithCustomError(f.registry, "InstitutionIsFrozen")
        .withArgs(2);
      await expect(reg.setInstitutionFrozen(2, true)).to.be.revertedWithCustomError(f.registry, "FreezeUnchanged");

      // institution 3 is sponsored by node 3
      await expect(reg.setNodeFrozen(3, true)).to.emit(f.registry, "NodeFrozen").withArgs(3, true);
      expect(await f.registry.votingNodeCount()).to.equal(24n);
      await expect(f.registry.requireActiveNode(f.operators[2].address)).to.be.revertedWithCustomError(f.registry, "NodeIsFrozen").withArgs(3);
      await expect(f.registry.requireActiveInstitution(f.manifest.institutions[2].signer))
        .to.be.revertedWithCustomError(f.registry, "SponsorNotActive")
        .withArgs(3, 3);
      const pid = await proposeAndVote(Kind.SuspendNode, 25, []);
      await expect(as(2).vote(pid)).to.be.revertedWithCustomError(f.registry, "NodeIsFrozen");
      await expect(reg.setNodeFrozen(99, true)).to.be.revertedWithCustomError(f.registry, "UnknownNode");
      await reg.setNodeFrozen(3, false);
      expect(await f.registry.votingNodeCount()).to.equal(25n);
      expect(await f.registry.requireActiveInstitution(f.manifest.institutions[2].signer)).to.equal(3n);
    });

    it("the last voting node cannot be frozen away", async () => {
      const { ethers } = await network.create();
      const [admin, op, regulator] = await ethers.getSigners();
      const reg = (await ethers.deployContract("ConsortiumRegistry", admin)) as unknown as ConsortiumRegistry;
      await reg.registerCity(310000);
      await reg.genesisAddNode(310000, op.address, ZeroHash);
      await reg.setRegulator(regulator.address);
      await reg.closeGenesis();
      await expect(reg.connect(regulator).setNodeFrozen(1, true)).to.be.revertedWithCustomError(reg, "LastVotingNode");
    });
  });
});
