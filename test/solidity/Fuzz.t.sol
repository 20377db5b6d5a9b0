// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ConsortiumRegistry} from "../../contracts/ConsortiumRegistry.sol";
import {IConsentRegistry} from "../../contracts/interfaces/IConsentRegistry.sol";
import {IConsortiumRegistry} from "../../contracts/interfaces/IConsortiumRegistry.sol";
import {ICreditLedger} from "../../contracts/interfaces/ICreditLedger.sol";
import {IQueryDesk} from "../../contracts/interfaces/IQueryDesk.sol";
import {IQueryLog} from "../../contracts/interfaces/IQueryLog.sol";
import {USCC} from "../../contracts/libraries/USCC.sol";
import {ConsortiumFixture} from "./lib/ConsortiumFixture.sol";
import {LogModel} from "./lib/LogModel.sol";

/// @title ConsortiumFuzz
/// @notice Fuzz tests of the single-call properties: each test states the rule, lets the fuzzer pick the inputs and
/// checks that the call succeeds exactly when the rule allows it, and what it leaves behind.
contract ConsortiumFuzz is ConsortiumFixture {
    uint64 internal constant T0 = 1_700_000_000;

    function setUp() public {
        vm.warp(T0);
        _deployConsortium();
    }

    // ------------------------------------------------------------------ governance

    /// @notice With n voting nodes a proposal needs ceil(2n/3) votes: one vote fewer does not pass it, that vote
    /// does.
    function testFuzz_proposalPassesAtTwoThirdsExactly(uint8 nSeed) public {
        uint256 n = 1 + (uint256(nSeed) % 40);
        ConsortiumRegistry r = new ConsortiumRegistry();
        r.registerCity(320100);
        for (uint256 i = 1; i <= n; ++i) r.genesisAddNode(320100, vm.addr(0x50000 + i), bytes32(i));
        r.setRegulator(regulator);
        r.closeGenesis();
        uint256 required = r.requiredVotes();
        assertGe(required * 3, 2 * n, "requiredVotes below two thirds");
        assertTrue((required - 1) * 3 < 2 * n, "requiredVotes above two thirds rounded up");
        // node 1 proposes to admit a new node (its vote counts), nodes 2 .. required - 1 vote: not passed yet
        vm.prank(vm.addr(0x50001));
        uint256 id = r.propose(IConsortiumRegistry.ProposalKind.AdmitNode, 0, 320100, vm.addr(0x60000), bytes32(0));
        for (uint256 i = 2; i < required; ++i) {
            vm.prank(vm.addr(0x50000 + i));
            r.vote(id);
        }
        assertTrue(r.proposal(id).executed == (required == 1), "passed below two thirds");
        if (required > 1) {
            vm.prank(vm.addr(0x50000 + n));
            vm.expectRevert(
                abi.encodeWithSelector(IConsortiumRegistry.NotEnoughVotes.selector, id, required - 1, required)
            );
            r.execute(id);
            vm.prank(vm.addr(0x50000 + required));
            r.vote(id);
        }
        assertTrue(r.proposal(id).executed, "not passed at two thirds");
        assertEq(r.nodeCount(), n + 1, "admitted node");
    }

    /// @notice Nobody but an active node's operator proposes, votes, registers institutions, attests, anchors,
    /// supersedes, revokes, binds signers, answers objections or queries, or commits a query log.
    function testFuzz_onlyNodeOperatorsWrite(address caller) public {
        vm.assume(registry.nodeIdOf(caller) == 0 && caller != address(0) && caller != address(vm));
        bytes memory notNode = abi.encodeWithSelector(IConsortiumRegistry.NotNodeOperator.selector, caller);
        bytes18 e = enterprises[0];
        vm.startPrank(caller);
        vm.expectRevert(notNode);
        registry.propose(IConsortiumRegistry.ProposalKind.SuspendNode, 1, 0, address(0), 0);
        vm.expectRevert(notNode);
        registry.vote(1);
        vm.expectRevert(notNode);
        registry.registerInstitution(
            IConsortiumRegistry.InstitutionRequest(caller, IConsortiumRegistry.InstitutionKind.Bank, bytes32(0))
        );
        vm.expectRevert(notNode);
        ledger.attest(ICreditLedger.AttestationRequest(e, ICreditLedger.Category.BasicInfo, 1, bytes32(uint256(1))));
        vm.expectRevert(notNode);
        ledger.anchorBatch(ICreditLedger.BatchRequest(ICreditLedger.Category.BasicInfo, bytes32(uint256(1)), 1, 0));
        vm.expectRevert(notNode);
        ledger.supersede(ICreditLedger.SupersedeRequest(e, ICreditLedger.Category.BasicInfo, 2));
        vm.expectRevert(notNode);
        ledger.revoke(ICreditLedger.RevocationRequest(e, ICreditLedger.Category.BasicInfo, 1, 1));
        vm.expectRevert(notNode);
        ledger.bindEnterpriseSigner(e, caller);
        vm.expectRevert(notNode);
        ledger.resolveObjection(1, ICreditLedger.ObjectionStatus.Rejected, 0);
        vm.expectRevert(notNode);
        desk.fulfilQuery(1, new bytes32[](1));
        vm.expectRevert(notNode);
        queryLog.commitLog(1, bytes32(uint256(1)), new bytes32[](0));
        vm.stopPrank();
    }

    /// @notice A frozen or suspended node cannot act, whatever it tries; unfrozen, it can again.
    function testFuzz_frozenNodeCannotAct(uint8 nodeSeed, uint32 version) public {
        uint16 nodeId = uint16(1 + (nodeSeed % NODES));
        address op = nodeOperator(nodeId);
        bytes18 e = enterprises[(nodeId - 1) / 2]; // an enterprise of the node's city
        vm.prank(regulator);
        registry.setNodeFrozen(nodeId, true);
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.NodeIsFrozen.selector, nodeId));
        ledger.attest(
            ICreditLedger.AttestationRequest(e, ICreditLedger.Category.OperatingStatus, version, bytes32(uint256(1)))
        );
        vm.prank(regulator);
        registry.setNodeFrozen(nodeId, false);
        vm.prank(op);
        ledger.attest(
            ICreditLedger.AttestationRequest(e, ICreditLedger.Category.OperatingStatus, 1, bytes32(uint256(1)))
        );
        assertEq(ledger.currentVersion(e, ICreditLedger.Category.OperatingStatus), 1, "attested after unfreezing");
    }

    // ------------------------------------------------------------------ versions

    /// @notice From version k (0 = none declared), a live attestation is accepted exactly for k + 1 (or 2 when
    /// none was declared: a batch's version 1 is implicit), a supersession exactly for k + 1 above 1; anything else
    /// is refused and the version stays; an accepted one becomes the current version. It never decreases.
    function testFuzz_versionAdvancesOneStep(uint8 kSeed, uint32 requested, bool live, uint8 categorySeed) public {
        bytes18 e = enterprises[1];
        ICreditLedger.Category c = category(categorySeed);
        address node = homeNodeOperator(1, 0);
        uint32 k = kSeed % 4;
        for (uint32 v = 1; v <= k; ++v) {
            vm.prank(node);
            ledger.attest(ICreditLedger.AttestationRequest(e, c, v, keccak256(abi.encode(v))));
        }
        uint32 before = ledger.currentVersion(e, c);
        bool allowed = live ? (requested == k + 1 || (k == 0 && requested == 2)) : (requested == (k == 0 ? 2 : k + 1));
        vm.prank(node);
        bool ok;
        if (live) {
            try ledger.attest(ICreditLedger.AttestationRequest(e, c, requested, bytes32(uint256(7)))) {
                ok = true;
            } catch {}
        } else {
            try ledger.supersede(ICreditLedger.SupersedeRequest(e, c, requested)) {
                ok = true;
            } catch {}
        }
        assertTrue(ok == allowed, "accepted exactly the next version");
        assertEq(ledger.currentVersion(e, c), ok ? requested : before, "current version after the call");
        assertGe(ledger.currentVersion(e, c), before, "version decreased");
    }

    // ------------------------------------------------------------------ authorizations

    /// @notice A query is admitted exactly when its authorization is unrevoked and the request's time lies in
    /// [notBefore, notAfter]; otherwise the error names why.
    function testFuzz_authorizationAdmitsOnlyInWindowUnrevoked(
        uint64 startSeed,
        uint64 lengthSeed,
        uint64 atSeed,
        bool revoke
    ) public {
        uint256 e = 2; // Hefei enterprise, queried by institution 1 (Shanghai): cross-city
        IConsentRegistry.Authorization memory a = IConsentRegistry.Authorization({
            enterprise: enterprises[e],
            institution: 1,
            purpose: IConsentRegistry.Purpose.CreditApproval,
            categories: 0x0E,
            notBefore: T0 + (startSeed % 10 days),
            notAfter: 0,
            nonce: 1
        });
        a.notAfter = a.notBefore + 1 + (lengthSeed % 10 days);
        bytes memory sig = signAuthorization(a, enterpriseKey(e));
        vm.prank(institutionSigner(1));
        bytes32 id = consents.registerAuthorization(a, sig);
        if (revoke) {
            vm.prank(vm.addr(enterpriseKey(e)));
            consents.revokeAuthorization(id);
        }
        uint64 at = T0 + (atSeed % 25 days);
        vm.warp(at);
        IQueryDesk.QueryRequest memory r = IQueryDesk.QueryRequest(
            a.enterprise,
            0x02,
            IConsentRegistry.Purpose.CreditApproval,
            id
        );
        if (revoke) {
            vm.expectRevert(abi.encodeWithSelector(IConsentRegistry.AuthorizationIsRevoked.selector, id));
        } else if (at < a.notBefore) {
            vm.expectRevert(
                abi.encodeWithSelector(IConsentRegistry.AuthorizationNotYetValid.selector, id, a.notBefore)
            );
        } else if (at > a.notAfter) {
            vm.expectRevert(abi.encodeWithSelector(IConsentRegistry.AuthorizationExpired.selector, id, a.notAfter));
        }
        vm.prank(institutionSigner(1));
        desk.requestQuery(r);
    }

    // ------------------------------------------------------------------ objections

    /// @notice An objection can be answered by a home-city node at any time up to its deadline (the full window
    /// after filing), and not after; it is overdue exactly when still open after the deadline.
    function testFuzz_objectionAnswerableUntilDeadline(uint64 waitSeed, bool unconfirmed) public {
        uint256 e = 3; // a Hangzhou enterprise: node 7 answers
        vm.prank(vm.addr(enterpriseKey(e)));
        uint256 id = ledger.fileObjection(enterprises[e], ICreditLedger.Category.BasicInfo, 1, bytes32("reason"));
        ICreditLedger.Objection memory o = ledger.objection(id);
        assertEq(o.deadline, T0 + OBJECTION_WINDOW, "deadline");
        uint64 wait = waitSeed % (2 * OBJECTION_WINDOW);
        vm.warp(T0 + wait);
        assertTrue(ledger.isOverdue(id) == (wait > OBJECTION_WINDOW), "overdue exactly after the deadline");
        if (wait > OBJECTION_WINDOW) {
            vm.expectRevert(abi.encodeWithSelector(ICreditLedger.ObjectionDeadlinePassed.selector, id, o.deadline));
        }
        vm.prank(nodeOperator(7));
        ledger.resolveObjection(
            id,
            unconfirmed ? ICreditLedger.ObjectionStatus.Unconfirmed : ICreditLedger.ObjectionStatus.Rejected,
            bytes32(0)
        );
    }

    // ------------------------------------------------------------------ query logs

    /// @notice After a commitment of m entries, an extension to n > m entries is accepted with its RFC 6962
    /// consistency proof; the same extension in which one committed entry was rewritten is refused (whatever proof
    /// the forger makes from its own log), and so are a smaller size and the same size with another head.
    function testFuzz_queryLogOnlyGrows(uint8 mSeed, uint8 nSeed, uint8 flipSeed) public {
        uint256 m = 1 + (mSeed % 40);
        uint256 n = m + 1 + (nSeed % 24);
        bytes32[] memory leaves = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) leaves[i] = keccak256(abi.encode(mSeed, nSeed, i));
        address node = nodeOperator(1);
        // heads and proofs are computed before each prank: hashing calls the sha256 precompile, which would take it
        bytes32 rootM = LogModel.root(leaves, 0, m);
        bytes32 rootN = LogModel.root(leaves, 0, n);
        vm.prank(node);
        queryLog.commitLog(uint64(m), rootM, new bytes32[](0));

        bytes32[] memory forged = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) forged[i] = leaves[i];
        forged[flipSeed % m] = keccak256(abi.encode("rewritten", flipSeed));
        bytes32[] memory forgedProof = LogModel.consistencyProof(forged, m, n);
        bytes32 forgedRoot = LogModel.root(forged, 0, n);
        vm.prank(node);
        try queryLog.commitLog(uint64(n), forgedRoot, forgedProof) {
            revert AssertionFailed("a rewritten log was accepted", flipSeed % m, m);
        } catch {}

        bytes32[] memory proof = LogModel.consistencyProof(leaves, m, n);
        vm.prank(node);
        queryLog.commitLog(uint64(n), rootN, proof);
        assertEq(queryLog.commitmentCount(1), 2, "commitments");

        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(IQueryLog.LogShrinks.selector, uint16(1), uint64(n), uint64(m)));
        queryLog.commitLog(uint64(m), rootM, new bytes32[](0));
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(IQueryLog.LogUnchanged.selector, uint16(1), uint64(n)));
        queryLog.commitLog(uint64(n), bytes32(uint256(1)), new bytes32[](0));

        IQueryLog.Commitment memory last = queryLog.latestCommitment(1);
        assertEq(last.size, n, "latest size");
        assertEq(last.root, rootN, "latest head");
    }

    // ------------------------------------------------------------------ enterprise codes

    /// @notice The chain accepts a valid USCC and refuses any single-character substitution in its first 17
    /// characters (the weighted mod-31 check catches every one), naming the check character.
    function testFuzz_usccCheckCatchesEverySubstitution(uint256 orgSeed, uint8 posSeed, uint8 charSeed) public {
        bytes18 code = makeUscc(340103, orgSeed);
        vm.prank(homeNodeOperator(2, 0));
        ledger.bindEnterpriseSigner(code, address(1));
        bytes memory alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
        uint256 pos = 8 + (posSeed % 9); // the organization code: the division code must stay that of Hefei
        bytes1 replacement = alphabet[charSeed % 31];
        vm.assume(replacement != code[pos]);
        bytes memory changed = abi.encodePacked(code);
        changed[pos] = replacement;
        bytes18 bad = bytes18(changed);
        vm.prank(homeNodeOperator(2, 0));
        try ledger.bindEnterpriseSigner(bad, address(1)) {
            revert AssertionFailed("a code with a substituted character was accepted", pos, uint8(replacement));
        } catch (bytes memory reason) {
            assertEq(bytes32(bytes4(reason)), bytes32(USCC.USCCInvalidCheckCharacter.selector), "error");
        }
    }
}
