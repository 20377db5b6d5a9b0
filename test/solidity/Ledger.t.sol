// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {CreditLedger} from "../../contracts/CreditLedger.sol";
import {ICreditLedger} from "../../contracts/interfaces/ICreditLedger.sol";
import {LedgerHandler} from "./handlers/LedgerHandler.sol";
import {InvariantTest} from "./lib/InvariantTest.sol";

/// @title LedgerInvariants
/// @notice Invariants of the credit ledger under random sequences of attestations, supersessions, batches,
/// revocations, objections and resolutions by every kind of actor, with nodes frozen and unfrozen and time passing
/// (see `LedgerHandler`).
/// @dev "Every objection can be answered before its deadline" holds while the enterprise's home city has a node
/// that can act. When the regulator freezes, or governance suspends or removes, every node of a city, nobody can
/// answer that city's objections and they run overdue: the contracts allow it (it is the regulator's and the
/// consortium's call), and the handler does reach that state (`citiesWithoutActiveNode`).
contract LedgerInvariants is InvariantTest {
    /// @notice A probe resolution succeeded (and was rolled back).
    error ProbeSucceeded();

    LedgerHandler internal handler;
    CreditLedger internal ledger;

    function setUp() public {
        handler = new LedgerHandler();
        ledger = handler.ledger();
        bytes4[] memory s = new bytes4[](8);
        s[0] = LedgerHandler.attest.selector;
        s[1] = LedgerHandler.supersede.selector;
        s[2] = LedgerHandler.anchorBatch.selector;
        s[3] = LedgerHandler.revoke.selector;
        s[4] = LedgerHandler.fileObjection.selector;
        s[5] = LedgerHandler.resolveObjection.selector;
        s[6] = LedgerHandler.setNodeFrozen.selector;
        s[7] = LedgerHandler.warp.selector;
        targetActions(address(handler), s);
    }

    /// @notice Only active members change state: no attestation, supersession, batch, revocation or resolution
    /// succeeded for a caller that was not an active, unfrozen node of the enterprise's home city, and no objection
    /// was filed here by anyone but the enterprise's bound signer.
    function invariant_onlyActiveMembersChangeState() public view {
        assertEq(handler.inactiveSuccesses(), 0, "ledger writes that succeeded for a caller who could not act");
        assertEq(handler.wrongCitySuccesses(), 0, "ledger writes that succeeded for a node of another city");
    }

    /// @notice A version never decreases: after every call, each record's current and declared versions are at
    /// least what they were, and rose by at most one step; the current version is the declared one (1 if none).
    function invariant_versionNeverDecreases() public view {
        assertEq(handler.versionDecreases(), 0, "record versions that went down");
        assertEq(handler.versionJumps(), 0, "record versions that rose by more than one step in one call");
        uint256 n = handler.enterpriseCount();
        for (uint256 i = 0; i < n; ++i) {
            bytes18 e = handler.enterprise(i);
            for (uint8 c = 1; c <= 3; ++c) {
                ICreditLedger.Category cat = ICreditLedger.Category(c);
                uint32 current = ledger.currentVersion(e, cat);
                uint32 declared = ledger.declaredVersion(e, cat);
                assertEq(current, declared == 0 ? 1 : declared, "current version is the declared one");
                assertGe(current, handler.lastVersion(e, cat), "current version below the last one seen");
            }
        }
    }

    /// @notice Every objection can be answered before its deadline: each has the full window from its filing, and
    /// while it is open and its deadline has not passed, an active node of the enterprise's home city can answer it
    /// (Rejected and Unconfirmed always, Corrected once a newer version is declared); no such answer was ever
    /// refused during the campaign.
    function invariant_everyObjectionCanBeAnsweredBeforeItsDeadline() public {
        assertEq(handler.refusedInTime(), 0, "answers refused to a home-city node before the deadline");
        uint64 window = ledger.objectionWindow();
        uint256 count = ledger.objectionCount();
        for (uint256 id = 1; id <= count; ++id) {
            ICreditLedger.Objection memory o = ledger.objection(id);
            assertEq(o.deadline, o.filedAt + window, "objection deadline is the full window after filing");
            if (o.status != ICreditLedger.ObjectionStatus.Open || block.timestamp > o.deadline) continue;
            address node = handler.activeHomeNode(o.enterprise);
            if (node == address(0)) continue;
            _assertAnswers(node, id, ICreditLedger.ObjectionStatus.Rejected);
            _assertAnswers(node, id, ICreditLedger.ObjectionStatus.Unconfirmed);
            if (ledger.currentVersion(o.enterprise, o.category) > o.version) {
                _assertAnswers(node, id, ICreditLedger.ObjectionStatus.Corrected);
            }
        }
    }

    /// @dev Resolves objection `id` as `node` and rolls it back: not a test target (only the handler is).
    function probeResolve(address node, uint256 id, ICreditLedger.ObjectionStatus outcome) external {
        vm.prank(node);
        ledger.resolveObjection(id, outcome, bytes32(0));
        revert ProbeSucceeded();
    }

    function _assertAnswers(address node, uint256 id, ICreditLedger.ObjectionStatus outcome) internal {
        try this.probeResolve(node, id, outcome) {} catch (bytes memory reason) {
            assertEq(bytes32(bytes4(reason)), bytes32(ProbeSucceeded.selector), "an answer in time was refused");
        }
    }
}
