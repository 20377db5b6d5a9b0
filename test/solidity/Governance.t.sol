// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortiumRegistry} from "../../contracts/interfaces/IConsortiumRegistry.sol";
import {ConsortiumRegistry} from "../../contracts/ConsortiumRegistry.sol";
import {GovernanceHandler} from "./handlers/GovernanceHandler.sol";
import {InvariantTest} from "./lib/InvariantTest.sol";

/// @title GovernanceInvariants
/// @notice Invariants of membership and governance under random sequences of proposals, votes, executions, freezes
/// and institution changes by every kind of actor (see `GovernanceHandler`).
contract GovernanceInvariants is InvariantTest {
    GovernanceHandler internal handler;
    ConsortiumRegistry internal registry;

    function setUp() public {
        handler = new GovernanceHandler();
        registry = handler.registry();
        bytes4[] memory s = new bytes4[](9);
        s[0] = GovernanceHandler.propose.selector;
        s[1] = GovernanceHandler.vote.selector;
        s[2] = GovernanceHandler.voteUntilPassed.selector;
        s[3] = GovernanceHandler.execute.selector;
        s[4] = GovernanceHandler.setNodeFrozen.selector;
        s[5] = GovernanceHandler.registerInstitution.selector;
        s[6] = GovernanceHandler.setInstitutionStatus.selector;
        s[7] = GovernanceHandler.setInstitutionFrozen.selector;
        s[8] = GovernanceHandler.warp.selector;
        targetActions(address(handler), s);
    }

    /// @notice Only active members change state: no member-gated call (propose, vote, execute, register or
    /// suspend an institution) ever succeeded for a caller that was not an active, unfrozen node, and no freeze
    /// for anyone but the regulator.
    function invariant_onlyActiveMembersChangeState() public view {
        assertEq(handler.inactiveSuccesses(), 0, "member-gated calls that succeeded for a caller who could not act");
    }

    /// @notice Governance never passes below two thirds: every executed proposal had votes of at least two thirds
    /// of the voting nodes at the moment it passed, each from a distinct node, and the threshold itself is never
    /// below two thirds.
    function invariant_governanceNeverBelowTwoThirds() public view {
        assertEq(handler.executionsBelowTwoThirds(), 0, "proposals executed below two thirds");
        uint256 voting = registry.votingNodeCount();
        assertGe(uint256(registry.requiredVotes()) * 3, 2 * voting, "requiredVotes below two thirds");
        uint256 count = registry.proposalCount();
        uint16 nodes = registry.nodeCount();
        for (uint256 id = 1; id <= count; ++id) {
            IConsortiumRegistry.Proposal memory p = registry.proposal(id);
            uint256 voters;
            for (uint16 n = 1; n <= nodes; ++n) {
                if (registry.hasVoted(id, n)) ++voters;
            }
            assertEq(p.votes, voters, "votes differ from the number of distinct voting nodes");
            if (p.executed) {
                assertTrue(handler.executionSeen(id), "executed proposal the handler did not see pass");
                assertGe(uint256(p.votes) * 3, 2 * handler.votingAtExecution(id), "executed below two thirds");
            }
        }
    }

    /// @notice The two-thirds denominator is right: the registry's count of voting nodes is the number of nodes
    /// that are active and not frozen, and never 0.
    function invariant_votingCountIsActiveUnfrozenNodes() public view {
        uint256 active;
        uint16 nodes = registry.nodeCount();
        for (uint16 n = 1; n <= nodes; ++n) {
            IConsortiumRegistry.Node memory node = registry.node(n);
            if (node.status == IConsortiumRegistry.NodeStatus.Active && !node.frozen) ++active;
        }
        assertEq(registry.votingNodeCount(), active, "votingNodeCount");
        assertGe(active, 1, "voting nodes");
    }
}
