// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ConsortiumRegistry} from "../../contracts/ConsortiumRegistry.sol";
import {CreditLedger} from "../../contracts/CreditLedger.sol";
import {IConsentRegistry} from "../../contracts/interfaces/IConsentRegistry.sol";
import {IConsortiumRegistry} from "../../contracts/interfaces/IConsortiumRegistry.sol";
import {ICreditLedger} from "../../contracts/interfaces/ICreditLedger.sol";
import {IQueryLog} from "../../contracts/interfaces/IQueryLog.sol";
import {USCC} from "../../contracts/libraries/USCC.sol";
import {ConsortiumFixture} from "./lib/ConsortiumFixture.sol";

/// @title ConsortiumRules
/// @notice Unit tests of rules that the campaigns and the mocha tests seldom or never reach: refusals of unknown
/// ids and zero values, the node-id cap, the EIP-712 domain, reads of what does not exist.
contract ConsortiumRules is ConsortiumFixture {
    function setUp() public {
        _deployConsortium();
    }

    function test_domainSeparatorIsTheEip712DomainOfTheConsentRegistry() public view {
        bytes32 expected = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("YRD Credit Chain Consent"),
                keccak256("1"),
                block.chainid,
                address(consents)
            )
        );
        assertEq(consents.domainSeparator(), expected, "domain separator");
    }

    function test_aNonceCanBeCancelledOnce() public {
        address signer = vm.addr(enterpriseKey(0));
        vm.prank(signer);
        consents.cancelNonce(enterprises[0], 7);
        assertTrue(consents.nonceUsed(enterprises[0], 7), "nonce used");
        vm.prank(signer);
        vm.expectRevert(abi.encodeWithSelector(IConsentRegistry.NonceAlreadyUsed.selector, enterprises[0], 7));
        consents.cancelNonce(enterprises[0], 7);
    }

    function test_unknownProposalsAndInstitutionsAreRefused() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.UnknownProposal.selector, 0));
        registry.proposal(0);
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.UnknownProposal.selector, 1));
        registry.proposal(1);
        vm.prank(regulator);
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.UnknownInstitution.selector, 99));
        registry.setInstitutionFrozen(99, true);
    }

    function test_requireRegulatorAcceptsTheRegulator() public view {
        registry.requireRegulator(regulator);
    }

    function test_requireRegulatorRefusesAnyoneElse() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.NotRegulator.selector, nodeOperator(1)));
        registry.requireRegulator(nodeOperator(1));
    }

    /// @notice Node ids are uint16: the 65,535th node is the last one. (The count is set in storage; the test first
    /// checks that the slot it writes holds nodeCount and votingNodeCount.)
    function test_nodeIdsStopAtTheUint16Maximum() public {
        ConsortiumRegistry r = new ConsortiumRegistry();
        r.registerCity(320100);
        r.genesisAddNode(320100, vm.addr(0x70001), bytes32(0));
        bytes32 slot = bytes32(uint256(6));
        bytes32 packed = vm.load(address(r), slot);
        assertEq(uint256(packed) & 0xffff, r.nodeCount(), "slot 6 holds nodeCount");
        assertEq((uint256(packed) >> 16) & 0xffff, r.votingNodeCount(), "slot 6 holds votingNodeCount");
        vm.store(address(r), slot, bytes32((uint256(packed) & ~uint256(0xffff)) | 0xfffe));
        r.genesisAddNode(320100, vm.addr(0x70002), bytes32(0));
        assertEq(r.nodeCount(), type(uint16).max, "last node id");
        vm.expectRevert(IConsortiumRegistry.TooManyNodes.selector);
        r.genesisAddNode(320100, vm.addr(0x70003), bytes32(0));
    }

    function test_aLedgerNeedsAnObjectionWindow() public {
        vm.expectRevert(ICreditLedger.ZeroObjectionWindow.selector);
        new CreditLedger(registry, 0);
    }

    function test_anEnterpriseSignerIsNotTheZeroAddress() public {
        vm.prank(homeNodeOperator(0, 0));
        vm.expectRevert(ICreditLedger.ZeroSigner.selector);
        ledger.bindEnterpriseSigner(enterprises[0], address(0));
    }

    /// @notice Without a bound query desk, no institution can object to a report (there is no fulfilled query).
    function test_reportObjectionsNeedTheQueryDesk() public {
        CreditLedger unbound = new CreditLedger(registry, OBJECTION_WINDOW);
        ICreditLedger.ReportObjection memory r;
        vm.prank(institutionSigner(1));
        vm.expectRevert(ICreditLedger.QueryDeskNotBound.selector);
        unbound.fileReportObjection(r);
    }

    function test_readsOfWhatDoesNotExist() public {
        assertEq(ledger.currentVersion(enterprises[0], ICreditLedger.Category.None), 0, "no version of category None");
        vm.expectRevert(abi.encodeWithSelector(ICreditLedger.UnknownBatch.selector, 0));
        ledger.batch(0);
        vm.expectRevert(abi.encodeWithSelector(ICreditLedger.UnknownBatch.selector, 1));
        ledger.batch(1);
        IQueryLog.Commitment memory none = queryLog.latestCommitment(1);
        assertEq(none.size, 0, "no commitment yet");
        assertEq(none.root, bytes32(0), "no head yet");
    }

    function test_aBatchReadsBackAsAnchored() public {
        vm.warp(1_700_000_000);
        vm.prank(nodeOperator(3));
        uint256 id = ledger.anchorBatch(
            ICreditLedger.BatchRequest(
                ICreditLedger.Category.OperatingStatus,
                bytes32(uint256(0xb0)),
                12,
                bytes32(uint256(0xd0))
            )
        );
        ICreditLedger.Batch memory b = ledger.batch(id);
        assertEq(b.root, bytes32(uint256(0xb0)), "root");
        assertEq(b.nodeId, 3, "node");
        assertEq(b.city, cityCodes[1], "city");
        assertEq(uint8(b.category), uint8(ICreditLedger.Category.OperatingStatus), "category");
        assertEq(b.count, 12, "count");
        assertEq(b.anchoredAt, 1_700_000_000, "time");
        assertEq(b.batchDigest, bytes32(uint256(0xd0)), "batch digest");
    }

    /// @notice A code whose positions 3-8 are not digits has a valid alphabet and check character but no division:
    /// the ledger refuses it, naming the rule.
    function test_aCodeWithoutDivisionDigitsIsRefused() public {
        bytes memory alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
        bytes memory code = bytes("91A201000000000000");
        uint256 sum;
        uint256 weight = 1;
        for (uint256 i = 0; i < 17; ++i) {
            sum += USCC.charValue(code[i]) * weight;
            weight = (weight * 3) % 31;
        }
        code[17] = alphabet[(31 - (sum % 31)) % 31];
        bytes18 bad = bytes18(code);
        vm.prank(vm.addr(enterpriseKey(0)));
        vm.expectRevert(abi.encodeWithSelector(USCC.USCCInvalidDivisionCode.selector, bad));
        ledger.fileObjection(bad, ICreditLedger.Category.BasicInfo, 1, bytes32(0));
    }
}
