// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";

/// @title ConsortiumRegistry
/// @notice Membership of the YRD credit-information consortium: connected cities, city nodes, the institutions
/// they sponsor, and the regulator. Every other contract of the system asks this one whether an account may act.
/// @dev Lifecycle: during genesis the deployer registers cities and the initial nodes and names the regulator,
/// then closes genesis and keeps no power. From then on nodes are admitted, suspended, reinstated and removed
/// only by proposals that reach votes of at least two thirds of the voting nodes (active and not frozen),
/// counted at the moment of each vote. Votes already cast stay counted if their voter later leaves.
/// Admission cannot be blocked by one member: the proposal checks that the candidate's operator account is new and
/// reserves it while the proposal is live, so no institution can be registered with it before the passing vote.
/// We reserve rather than let execution skip a taken account because an account must never act both as a node and
/// as an institution (every contract tells the two roles apart by account), and a proposal naming a different
/// account would need a new vote.
contract ConsortiumRegistry is IConsortiumRegistry {
    /// @inheritdoc IConsortiumRegistry
    uint64 public constant PROPOSAL_LIFETIME = 7 days;
    /// @inheritdoc IConsortiumRegistry
    uint16 public constant NO_NODE = 0;
    /// @inheritdoc IConsortiumRegistry
    uint32 public constant NO_INSTITUTION = 0;

    /// @inheritdoc IConsortiumRegistry
    address public genesisAdmin;
    /// @inheritdoc IConsortiumRegistry
    address public regulator;

    /// @inheritdoc IConsortiumRegistry
    mapping(uint32 city => bool) public isCity;
    uint32[] private _cities;

    mapping(uint16 nodeId => Node) private _nodes;
    /// @inheritdoc IConsortiumRegistry
    mapping(address operator => uint16 nodeId) public nodeIdOf;
    /// @inheritdoc IConsortiumRegistry
    uint16 public nodeCount;
    /// @inheritdoc IConsortiumRegistry
    uint16 public votingNodeCount;

    mapping(uint32 institutionId => Institution) private _institutions;
    /// @inheritdoc IConsortiumRegistry
    mapping(address signer => uint32 institutionId) public institutionIdOf;
    /// @inheritdoc IConsortiumRegistry
    uint32 public institutionCount;

    mapping(uint256 proposalId => Proposal) private _proposals;
    /// @inheritdoc IConsortiumRegistry
    mapping(uint256 proposalId => mapping(uint16 nodeId => bool)) public hasVoted;
    /// @inheritdoc IConsortiumRegistry
    uint256 public proposalCount;

    /// @dev operator account => the latest AdmitNode proposal naming it. Only the latest is kept: every proposal
    /// lives `PROPOSAL_LIFETIME`, so the latest expires last, and once any of them executes the account is a
    /// node's and `_checkNewAccount` refuses it anyway. One slot per proposal, no list, nothing to clean up.
    mapping(address operator => uint256 proposalId) private _candidateProposal;

    /// @notice The deployer becomes the genesis admin until `closeGenesis`.
    constructor() {
        genesisAdmin = msg.sender;
    }

    modifier onlyGenesis() {
        if (genesisAdmin == address(0)) revert GenesisAlreadyClosed();
        if (msg.sender != genesisAdmin) revert NotGenesisAdmin(msg.sender);
        _;
    }

    modifier onlyRegulator() {
        if (msg.sender != regulator) revert NotRegulator(msg.sender);
        _;
    }

    // ------------------------------------------------------------------ genesis

    /// @inheritdoc IConsortiumRegistry
    function registerCity(uint32 city) external onlyGenesis {
        _registerCity(city);
    }

    /// @inheritdoc IConsortiumRegistry
    function genesisAddNode(
        uint32 city,
        address operator,
        bytes32 metadataDigest
    ) external onlyGenesis returns (uint16 nodeId) {
        if (!isCity[city]) revert UnknownCity(city);
        return _addNode(city, operator, metadataDigest);
    }

    /// @inheritdoc IConsortiumRegistry
    function setRegulator(address newRegulator) external onlyGenesis {
        if (newRegulator == address(0)) revert ZeroAddress();
        emit RegulatorChanged(regulator, newRegulator);
        regulator = newRegulator;
    }

    /// @inheritdoc IConsortiumRegistry
    function closeGenesis() external onlyGenesis {
        if (nodeCount == 0 || regulator == address(0)) revert GenesisIncomplete(nodeCount, regulator);
        genesisAdmin = address(0);
        emit GenesisClosed(nodeCount, institutionCount);
    }

    // ------------------------------------------------------------------ governance

    /// @inheritdoc IConsortiumRegistry
    function requiredVotes() public view returns (uint16) {
        uint256 n = votingNodeCount;
        uint256 required = (2 * n + 2) / 3;
        return required == 0 ? 1 : uint16(required);
    }

    /// @inheritdoc IConsortiumRegistry
    function propose(
        ProposalKind kind,
        uint16 nodeId,
        uint32 city,
        address operator,
        bytes32 metadataDigest
    ) external returns (uint256 proposalId) {
        (uint16 proposer, ) = requireActiveNode(msg.sender);
        bool admission = kind == ProposalKind.AdmitNode;
        if (admission) {
            _checkCityCode(city);
            _checkNewAccount(operator);
            nodeId = NO_NODE;
        } else {
            _checkTarget(kind, nodeId);
        }
        proposalId = ++proposalCount;
        uint64 expiry = uint64(block.timestamp) + PROPOSAL_LIFETIME;
        _proposals[proposalId] = Proposal({
            kind: kind,
            nodeId: nodeId,
            proposer: proposer,
            votes: 0,
            expiry: expiry,
            executed: false,
            city: city,
            operator: operator,
            metadataDigest: metadataDigest
        });
        emit ProposalCreated(proposalId, kind, nodeId, proposer, expiry);
        if (admission) {
            // Reserve the candidate's operator account so that no member can take it with `registerInstitution`
            // before the vote that passes: the execution then depends on nothing a single member controls.
            // Other admission proposals naming the same account stay possible (a reservation must not let one
            // member lock a candidate out by proposing it first with a wrong city or metadata).
            _candidateProposal[operator] = proposalId;
            emit CandidateReserved(proposalId, operator, city, expiry);
        }
        _vote(proposalId, proposer);
    }

    /// @inheritdoc IConsortiumRegistry
    function vote(uint256 proposalId) external {
        (uint16 voter, ) = requireActiveNode(msg.sender);
        _vote(proposalId, voter);
    }

    /// @inheritdoc IConsortiumRegistry
    function execute(uint256 proposalId) external {
        requireActiveNode(msg.sender);
        Proposal storage p = _liveProposal(proposalId);
        uint16 required = requiredVotes();
        if (p.votes < required) revert NotEnoughVotes(proposalId, p.votes, required);
        _execute(proposalId, p);
    }

    /// @inheritdoc IConsortiumRegistry
    function admissionReservation(address account) public view returns (uint256 proposalId) {
        proposalId = _candidateProposal[account];
        if (proposalId == 0) return 0;
        Proposal storage p = _proposals[proposalId];
        if (p.executed || block.timestamp > p.expiry) return 0;
    }

    /// @inheritdoc IConsortiumRegistry
    function proposal(uint256 proposalId) external view returns (Proposal memory) {
        if (proposalId == 0 || proposalId > proposalCount) revert UnknownProposal(proposalId);
        return _proposals[proposalId];
    }

    // ------------------------------------------------------------------ institutions

    /// @inheritdoc IConsortiumRegistry
    function registerInstitution(InstitutionRequest calldata request) external returns (uint32 institutionId) {
        (uint16 sponsor, ) = requireActiveNode(msg.sender);
        return _registerInstitution(sponsor, request);
    }

    /// @inheritdoc IConsortiumRegistry
    function multiRegisterInstitutions(InstitutionRequest[] calldata requests) external returns (uint32 firstId) {
        (uint16 sponsor, ) = requireActiveNode(msg.sender);
        firstId = institutionCount + 1;
        for (uint256 i = 0; i < requests.length; ++i) {
            _registerInstitution(sponsor, requests[i]);
        }
    }

    /// @inheritdoc IConsortiumRegistry
    function setInstitutionStatus(uint32 institutionId, InstitutionStatus status) external {
        (uint16 caller, ) = requireActiveNode(msg.sender);
        Institution storage inst = _institutions[institutionId];
        if (inst.status == InstitutionStatus.None) revert UnknownInstitution(institutionId);
        if (inst.sponsor != caller) revert NotSponsor(institutionId, inst.sponsor, caller);
        if (status == InstitutionStatus.None) revert InvalidInstitutionStatus(status);
        if (inst.status == status) revert InstitutionStatusUnchanged(institutionId, status);
        inst.status = status;
        emit InstitutionStatusChanged(institutionId, status);
    }

    // ------------------------------------------------------------------ regulator

    /// @inheritdoc IConsortiumRegistry
    function setNodeFrozen(uint16 nodeId, bool frozen) external onlyRegulator {
        Node storage n = _nodes[nodeId];
        if (n.status == NodeStatus.None) revert UnknownNode(nodeId);
        if (n.frozen == frozen) revert FreezeUnchanged(frozen);
        bool wasVoting = _isVoting(n);
        n.frozen = frozen;
        _updateVoting(wasVoting, _isVoting(n));
        emit NodeFrozen(nodeId, frozen);
    }

    /// @inheritdoc IConsortiumRegistry
    function setInstitutionFrozen(uint32 institutionId, bool frozen) external onlyRegulator {
        Institution storage inst = _institutions[institutionId];
        if (inst.status == InstitutionStatus.None) revert UnknownInstitution(institutionId);
        if (inst.frozen == frozen) revert FreezeUnchanged(frozen);
        inst.frozen = frozen;
        emit InstitutionFrozen(institutionId, frozen);
    }

    // ------------------------------------------------------------------ views used by the other contracts

    /// @inheritdoc IConsortiumRegistry
    function requireActiveNode(address account) public view returns (uint16 nodeId, uint32 city) {
        nodeId = nodeIdOf[account];
        if (nodeId == NO_NODE) revert NotNodeOperator(account);
        Node storage n = _nodes[nodeId];
        if (n.status != NodeStatus.Active) revert NotActiveNode(nodeId, n.status);
        if (n.frozen) revert NodeIsFrozen(nodeId);
        return (nodeId, n.city);
    }

    /// @inheritdoc IConsortiumRegistry
    function requireActiveInstitution(address account) external view returns (uint32 institutionId) {
        institutionId = institutionIdOf[account];
        if (institutionId == NO_INSTITUTION) revert NotInstitutionSigner(account);
        Institution storage inst = _institutions[institutionId];
        if (inst.status != InstitutionStatus.Active) revert NotActiveInstitution(institutionId, inst.status);
        if (inst.frozen) revert InstitutionIsFrozen(institutionId);
        if (!_isVoting(_nodes[inst.sponsor])) revert SponsorNotActive(institutionId, inst.sponsor);
    }

    /// @inheritdoc IConsortiumRegistry
    function requireRegulator(address account) external view {
        if (account != regulator) revert NotRegulator(account);
    }

    /// @inheritdoc IConsortiumRegistry
    function cityOfDivision(uint32 divisionCode) external view returns (uint32 city) {
        uint32 prefecture = divisionCode - (divisionCode % 100);
        if (isCity[prefecture]) return prefecture;
        uint32 province = divisionCode - (divisionCode % 10000);
        if (isCity[province]) return province;
        return 0;
    }

    /// @inheritdoc IConsortiumRegistry
    function node(uint16 nodeId) external view returns (Node memory) {
        return _nodes[nodeId];
    }

    /// @inheritdoc IConsortiumRegistry
    function institution(uint32 institutionId) external view returns (Institution memory) {
        return _institutions[institutionId];
    }

    /// @inheritdoc IConsortiumRegistry
    function isActiveNode(uint16 nodeId) external view returns (bool) {
        return _isVoting(_nodes[nodeId]);
    }

    /// @inheritdoc IConsortiumRegistry
    function cities() external view returns (uint32[] memory) {
        return _cities;
    }

    // ------------------------------------------------------------------ internals

    function _checkCityCode(uint32 city) private pure {
        if (city < 110000 || city > 829900 || city % 100 != 0) revert InvalidCityCode(city);
    }

    function _registerCity(uint32 city) private {
        _checkCityCode(city);
        if (isCity[city]) revert CityAlreadyRegistered(city);
        isCity[city] = true;
        _cities.push(city);
        emit CityRegistered(city);
    }

    function _checkNewAccount(address account) private view {
        if (account == address(0)) revert ZeroAddress();
        if (nodeIdOf[account] != NO_NODE || institutionIdOf[account] != NO_INSTITUTION) {
            revert AccountAlreadyRegistered(account);
        }
    }

    function _addNode(uint32 city, address operator, bytes32 metadataDigest) private returns (uint16 nodeId) {
        _checkNewAccount(operator);
        if (nodeCount == type(uint16).max) revert TooManyNodes();
        nodeId = ++nodeCount;
        _nodes[nodeId] = Node({
            city: city,
            operator: operator,
            status: NodeStatus.Active,
            frozen: false,
            metadataDigest: metadataDigest
        });
        nodeIdOf[operator] = nodeId;
        ++votingNodeCount;
        emit NodeRegistered(nodeId, city, operator, metadataDigest);
        emit NodeStatusChanged(nodeId, NodeStatus.Active);
    }

    function _registerInstitution(
        uint16 sponsor,
        InstitutionRequest calldata request
    ) private returns (uint32 institutionId) {
        _checkNewAccount(request.signer);
        uint256 reservedBy = admissionReservation(request.signer);
        if (reservedBy != 0) revert AccountReservedForAdmission(request.signer, reservedBy);
        institutionId = ++institutionCount;
        _institutions[institutionId] = Institution({
            sponsor: sponsor,
            kind: request.kind,
            status: InstitutionStatus.Active,
            frozen: false,
            signer: request.signer,
            nameDigest: request.nameDigest
        });
        institutionIdOf[request.signer] = institutionId;
        emit InstitutionRegistered(institutionId, sponsor, request.signer, request.kind, request.nameDigest);
    }

    function _isVoting(Node storage n) private view returns (bool) {
        return n.status == NodeStatus.Active && !n.frozen;
    }

    function _updateVoting(bool wasVoting, bool isVoting) private {
        if (wasVoting && !isVoting) {
            if (votingNodeCount == 1) revert LastVotingNode();
            --votingNodeCount;
        } else if (!wasVoting && isVoting) {
            ++votingNodeCount;
        }
    }

    function _checkTarget(ProposalKind kind, uint16 nodeId) private view {
        NodeStatus status = _nodes[nodeId].status;
        bool ok =
            (kind == ProposalKind.SuspendNode && status == NodeStatus.Active) ||
                (kind == ProposalKind.ReinstateNode && status == NodeStatus.Suspended) ||
                (kind == ProposalKind.RemoveNode && (status == NodeStatus.Active || status == NodeStatus.Suspended));
        if (!ok) revert InvalidProposalTarget(kind, nodeId, status);
    }

    function _liveProposal(uint256 proposalId) private view returns (Proposal storage p) {
        if (proposalId == 0 || proposalId > proposalCount) revert UnknownProposal(proposalId);
        p = _proposals[proposalId];
        if (p.executed) revert ProposalAlreadyExecuted(proposalId);
        if (block.timestamp > p.expiry) revert ProposalExpired(proposalId, p.expiry);
    }

    function _vote(uint256 proposalId, uint16 voter) private {
        Proposal storage p = _liveProposal(proposalId);
        if (hasVoted[proposalId][voter]) revert AlreadyVoted(proposalId, voter);
        hasVoted[proposalId][voter] = true;
        uint16 votes = ++p.votes;
        uint16 required = requiredVotes();
        emit Voted(proposalId, voter, votes, required);
        if (votes >= required) _execute(proposalId, p);
    }

    function _execute(uint256 proposalId, Proposal storage p) private {
        p.executed = true;
        uint16 nodeId = p.nodeId;
        if (p.kind == ProposalKind.AdmitNode) {
            if (!isCity[p.city]) _registerCity(p.city);
            nodeId = _addNode(p.city, p.operator, p.metadataDigest);
            p.nodeId = nodeId;
        } else {
            _checkTarget(p.kind, nodeId);
            Node storage n = _nodes[nodeId];
            bool wasVoting = _isVoting(n);
            NodeStatus next =
                p.kind == ProposalKind.SuspendNode
                    ? NodeStatus.Suspended
                    : (p.kind == ProposalKind.ReinstateNode ? NodeStatus.Active : NodeStatus.Removed);
            n.status = next;
            _updateVoting(wasVoting, _isVoting(n));
            if (next == NodeStatus.Removed) delete nodeIdOf[n.operator];
            emit NodeStatusChanged(nodeId, next);
        }
        emit ProposalExecuted(proposalId, p.kind, nodeId);
    }
}
