// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortiumRegistry} from "../../../contracts/interfaces/IConsortiumRegistry.sol";
import {ConsortiumFixture} from "../lib/ConsortiumFixture.sol";

/// @title GovernanceHandler
/// @notice Drives the real ConsortiumRegistry through random valid and invalid calls — proposals, votes, executions,
/// freezes, institution registrations and status changes — by random actors: node operators (active, suspended,
/// removed, frozen, newly admitted), institutions, the regulator and an outsider. Each call is tried as that actor;
/// the handler never reverts, it records in ghost variables what the properties forbid.
contract GovernanceHandler is ConsortiumFixture {
    uint256 internal constant CANDIDATE_KEY = 0xE000;
    uint256 internal constant CANDIDATES = 6;

    address[] internal actors;

    /// @notice Member-gated calls that succeeded although their caller could not act (ghost; must stay 0).
    uint256 public inactiveSuccesses;
    /// @notice Proposals executed with fewer than two thirds of the voting nodes' votes (ghost; must stay 0).
    uint256 public executionsBelowTwoThirds;
    /// @notice Voting nodes at the moment each proposal was executed (ghost).
    mapping(uint256 proposalId => uint256) public votingAtExecution;
    mapping(uint256 proposalId => bool) public executionSeen;
    /// @notice How many calls of each kind succeeded (to show the campaign did more than revert).
    mapping(bytes32 action => uint256) public successes;
    uint256 public executions;

    constructor() {
        _deployConsortium();
        for (uint256 i = 1; i <= NODES; ++i) actors.push(nodeOperator(i));
        for (uint256 i = 1; i <= INSTITUTIONS; ++i) actors.push(institutionSigner(i));
        for (uint256 i = 0; i < CANDIDATES; ++i) actors.push(vm.addr(CANDIDATE_KEY + i));
        actors.push(regulator);
        actors.push(vm.addr(0xF000)); // an outsider
    }

    // ------------------------------------------------------------------ actions

    function propose(uint256 actorSeed, uint8 kindSeed, uint256 targetSeed, uint256 citySeed) external {
        address actor = _actor(actorSeed);
        IConsortiumRegistry.ProposalKind kind = IConsortiumRegistry.ProposalKind(kindSeed % 4);
        uint16 target = uint16(1 + (targetSeed % registry.nodeCount()));
        // a known city, or Suzhou (admitted with its first node)
        uint32 city = citySeed % 5 == 4 ? 320500 : cityCodes[citySeed % 4];
        address operator = vm.addr(CANDIDATE_KEY + (targetSeed % CANDIDATES));
        bool active = isActiveNodeAccount(actor);
        uint256 voting = registry.votingNodeCount();
        vm.prank(actor);
        try registry.propose(kind, target, city, operator, keccak256(abi.encode(targetSeed))) {
            _succeeded("propose", active);
        } catch {}
        _afterCall(voting);
    }

    function vote(uint256 actorSeed, uint256 proposalSeed) external {
        uint256 count = registry.proposalCount();
        if (count == 0) return;
        address actor = _actor(actorSeed);
        bool active = isActiveNodeAccount(actor);
        uint256 voting = registry.votingNodeCount();
        vm.prank(actor);
        try registry.vote(1 + (proposalSeed % count)) {
            _succeeded("vote", active);
        } catch {}
        _afterCall(voting);
    }

    /// @dev Votes with every active node that has not voted yet, until the proposal passes: so that campaigns
    /// reach executions often, not only by chance.
    function voteUntilPassed(uint256 proposalSeed) external {
        uint256 count = registry.proposalCount();
        if (count == 0) return;
        uint256 id = 1 + (proposalSeed % count);
        for (uint16 n = 1; n <= registry.nodeCount(); ++n) {
            if (registry.proposal(id).executed) break;
            address op = registry.node(n).operator;
            bool active = isActiveNodeAccount(op);
            uint256 voting = registry.votingNodeCount();
            vm.prank(op);
            try registry.vote(id) {
                _succeeded("vote", active);
            } catch {}
            _afterCall(voting);
        }
    }

    function execute(uint256 actorSeed, uint256 proposalSeed) external {
        uint256 count = registry.proposalCount();
        if (count == 0) return;
        address actor = _actor(actorSeed);
        bool active = isActiveNodeAccount(actor);
        uint256 voting = registry.votingNodeCount();
        vm.prank(actor);
        try registry.execute(1 + (proposalSeed % count)) {
            _succeeded("execute", active);
        } catch {}
        _afterCall(voting);
    }

    function setNodeFrozen(uint256 actorSeed, uint256 nodeSeed, bool frozen, bool byRegulator) external {
        address actor = byRegulator ? regulator : _actor(actorSeed);
        uint16 nodeId = uint16(1 + (nodeSeed % registry.nodeCount()));
        uint256 voting = registry.votingNodeCount();
        vm.prank(actor);
        try registry.setNodeFrozen(nodeId, frozen) {
            _succeeded("setNodeFrozen", actor == regulator);
        } catch {}
        _afterCall(voting);
    }

    function registerInstitution(uint256 actorSeed, uint256 signerSeed) external {
        address actor = _actor(actorSeed);
        // a candidate operator (maybe reserved for admission or already a node) or a fresh account
        address signer =
            signerSeed % 2 == 0
                ? vm.addr(CANDIDATE_KEY + (signerSeed % CANDIDATES))
                : vm.addr(0x10000 + (signerSeed % 1000));
        bool active = isActiveNodeAccount(actor);
        uint256 voting = registry.votingNodeCount();
        vm.prank(actor);
        try
            registry.registerInstitution(
                IConsortiumRegistry.InstitutionRequest({
                    signer: signer,
                    kind: IConsortiumRegistry.InstitutionKind.Other,
                    nameDigest: bytes32(signerSeed)
                })
            )
        {
            _succeeded("registerInstitution", active);
            actors.push(signer);
        } catch {}
        _afterCall(voting);
    }

    function setInstitutionStatus(uint256 actorSeed, uint256 institutionSeed, bool suspend) external {
        address actor = _actor(actorSeed);
        uint32 id = uint32(1 + (institutionSeed % registry.institutionCount()));
        IConsortiumRegistry.InstitutionStatus status =
            suspend ? IConsortiumRegistry.InstitutionStatus.Suspended : IConsortiumRegistry.InstitutionStatus.Active;
        bool active = isActiveNodeAccount(actor);
        uint256 voting = registry.votingNodeCount();
        vm.prank(actor);
        try registry.setInstitutionStatus(id, status) {
            _succeeded("setInstitutionStatus", active);
        } catch {}
        _afterCall(voting);
    }

    function setInstitutionFrozen(uint256 actorSeed, uint256 institutionSeed, bool frozen, bool byRegulator) external {
        address actor = byRegulator ? regulator : _actor(actorSeed);
        uint32 id = uint32(1 + (institutionSeed % registry.institutionCount()));
        uint256 voting = registry.votingNodeCount();
        vm.prank(actor);
        try registry.setInstitutionFrozen(id, frozen) {
            _succeeded("setInstitutionFrozen", actor == regulator);
        } catch {}
        _afterCall(voting);
    }

    /// @dev Time passes (up to 3 days): proposals expire after 7.
    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + (secondsSeed % 3 days));
    }

    // ------------------------------------------------------------------ internals

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % actors.length];
    }

    function _succeeded(bytes32 action, bool callerMayAct) internal {
        ++successes[action];
        if (!callerMayAct) ++inactiveSuccesses;
    }

    /// @dev Records any proposal executed by the last call, with the number of voting nodes at that moment.
    function _afterCall(uint256 votingBefore) internal {
        uint256 count = registry.proposalCount();
        for (uint256 id = 1; id <= count; ++id) {
            if (executionSeen[id]) continue;
            IConsortiumRegistry.Proposal memory p = registry.proposal(id);
            if (!p.executed) continue;
            executionSeen[id] = true;
            votingAtExecution[id] = votingBefore;
            ++executions;
            if (uint256(p.votes) * 3 < 2 * votingBefore) ++executionsBelowTwoThirds;
        }
    }
}
