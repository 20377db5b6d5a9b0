// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Consortium registry of the YRD credit chain: cities, city nodes, institutions and the regulator.
/// @notice The consortium governs itself: after genesis, nodes are admitted, suspended, reinstated and removed
/// only by proposals that collect votes of at least two thirds of the active, unfrozen nodes.
/// @dev Lifecycle: during genesis the deployer (the genesis admin) registers cities and the initial nodes and
/// names the regulator, then closes genesis and keeps no power. Every other contract of the system asks the
/// registry whether an account may act (`requireActiveNode`, `requireActiveInstitution`, `requireRegulator`).
interface IConsortiumRegistry {
    // ------------------------------------------------------------------ types

    /// @notice Lifecycle of a city node. `None` means "no such node".
    enum NodeStatus {
        None,
        Active,
        Suspended,
        Removed
    }

    /// @notice Lifecycle of an institution, set by its sponsoring node. `None` means "no such institution".
    enum InstitutionStatus {
        None,
        Active,
        Suspended
    }

    /// @notice Kind of financial institution.
    enum InstitutionKind {
        Bank,
        Guarantee,
        Microloan,
        Other
    }

    /// @notice What a governance proposal does when it passes.
    enum ProposalKind {
        AdmitNode,
        SuspendNode,
        ReinstateNode,
        RemoveNode
    }

    /// @notice A city node as the registry keeps it.
    struct Node {
        uint32 city; // 6-digit division code of the node's city, e.g. 320100
        address operator; // the account that acts for the node
        NodeStatus status; // None (unknown), Active, Suspended or Removed
        bool frozen; // set by the regulator; a frozen node cannot act
        bytes32 metadataDigest; // digest of the node's off-chain metadata (id, operator label)
    }

    /// @notice An institution as the registry keeps it.
    struct Institution {
        uint16 sponsor; // id of the sponsoring node
        InstitutionKind kind; // bank, guarantee, microloan or other
        InstitutionStatus status; // None (unknown), Active or Suspended
        bool frozen; // set by the regulator; a frozen institution cannot act
        address signer; // the account that acts for the institution
        bytes32 nameDigest; // digest of the institution's name, kept off chain
    }

    /// @notice A node operator or the genesis admin registers one institution.
    struct InstitutionRequest {
        address signer; // the account that will act for the institution
        InstitutionKind kind; // bank, guarantee, microloan or other
        bytes32 nameDigest; // digest of the institution's name
    }

    /// @notice A governance proposal as the registry keeps it.
    struct Proposal {
        ProposalKind kind; // what the proposal does when it passes
        uint16 nodeId; // target node (for AdmitNode: the id the new node will get)
        uint16 proposer; // node id of the proposer
        uint16 votes; // number of distinct node votes so far
        uint64 expiry; // unix time after which no vote counts
        bool executed; // whether it has passed and been executed
        uint32 city; // AdmitNode: city of the new node
        address operator; // AdmitNode: operator of the new node
        bytes32 metadataDigest; // AdmitNode: metadata digest of the new node
    }

    // ------------------------------------------------------------------ errors

    /// @notice Only the genesis admin may call this during genesis.
    /// @param account the caller.
    error NotGenesisAdmin(address account);
    /// @notice Genesis is closed: the genesis-only functions no longer work.
    error GenesisAlreadyClosed();
    /// @notice Genesis cannot close without at least one node and a regulator.
    /// @param nodeCount number of nodes registered so far.
    /// @param regulator the regulator named so far (0 when none).
    error GenesisIncomplete(uint16 nodeCount, address regulator);
    /// @notice Not a city code: 6 digits ending in "00", between 110000 and 829900.
    /// @param city the code given.
    error InvalidCityCode(uint32 city);
    /// @notice The city is already connected.
    /// @param city the city code.
    error CityAlreadyRegistered(uint32 city);
    /// @notice The city is not connected.
    /// @param city the city code.
    error UnknownCity(uint32 city);
    /// @notice An account given is the zero address.
    error ZeroAddress();
    /// @notice The account already operates a node or signs for an institution.
    /// @param account the account.
    error AccountAlreadyRegistered(address account);
    /// @notice The account is the operator named by a live (not executed, not expired) admission proposal, so no
    /// institution may take it: one member must not be able to block another's admission by registering an
    /// institution whose signer is the candidate's operator (the vote that passes would then fail).
    /// @param account the account.
    /// @param proposalId the latest admission proposal that names it.
    error AccountReservedForAdmission(address account, uint256 proposalId);
    /// @notice The account operates no node.
    /// @param account the account.
    error NotNodeOperator(address account);
    /// @notice The node is not active.
    /// @param nodeId the node.
    /// @param status its status.
    error NotActiveNode(uint16 nodeId, NodeStatus status);
    /// @notice The node is frozen by the regulator.
    /// @param nodeId the node.
    error NodeIsFrozen(uint16 nodeId);
    /// @notice No node has this id.
    /// @param nodeId the id given.
    error UnknownNode(uint16 nodeId);
    /// @notice The account signs for no institution.
    /// @param account the account.
    error NotInstitutionSigner(address account);
    /// @notice No institution has this id.
    /// @param institutionId the id given.
    error UnknownInstitution(uint32 institutionId);
    /// @notice The institution is not active.
    /// @param institutionId the institution.
    /// @param status its status.
    error NotActiveInstitution(uint32 institutionId, InstitutionStatus status);
    /// @notice The institution is frozen by the regulator.
    /// @param institutionId the institution.
    error InstitutionIsFrozen(uint32 institutionId);
    /// @notice The institution's sponsoring node is not active or is frozen.
    /// @param institutionId the institution.
    /// @param sponsor its sponsoring node.
    error SponsorNotActive(uint32 institutionId, uint16 sponsor);
    /// @notice Only the sponsoring node may change an institution's status.
    /// @param institutionId the institution.
    /// @param sponsor its sponsoring node.
    /// @param caller the calling node.
    error NotSponsor(uint32 institutionId, uint16 sponsor, uint16 caller);
    /// @notice An institution's status can only be set to `Active` or `Suspended`.
    /// @param status the status given.
    error InvalidInstitutionStatus(InstitutionStatus status);
    /// @notice The institution already has this status.
    /// @param institutionId the institution.
    /// @param status its status.
    error InstitutionStatusUnchanged(uint32 institutionId, InstitutionStatus status);
    /// @notice Only the regulator may call this.
    /// @param account the caller (or the account checked).
    error NotRegulator(address account);
    /// @notice The node or institution is already (un)frozen.
    /// @param frozen the state asked for.
    error FreezeUnchanged(bool frozen);
    /// @notice No proposal has this id.
    /// @param proposalId the id given.
    error UnknownProposal(uint256 proposalId);
    /// @notice The proposal no longer collects votes.
    /// @param proposalId the proposal.
    /// @param expiry unix time it expired.
    error ProposalExpired(uint256 proposalId, uint64 expiry);
    /// @notice The proposal has already passed and been executed.
    /// @param proposalId the proposal.
    error ProposalAlreadyExecuted(uint256 proposalId);
    /// @notice The node has already voted for this proposal.
    /// @param proposalId the proposal.
    /// @param nodeId the voting node.
    error AlreadyVoted(uint256 proposalId, uint16 nodeId);
    /// @notice The proposal does not have the votes the current threshold requires.
    /// @param proposalId the proposal.
    /// @param votes its votes.
    /// @param required votes required now.
    error NotEnoughVotes(uint256 proposalId, uint16 votes, uint16 required);
    /// @notice The target node's status does not allow this kind of proposal.
    /// @param kind the proposal kind.
    /// @param nodeId the target node.
    /// @param status its status.
    error InvalidProposalTarget(ProposalKind kind, uint16 nodeId, NodeStatus status);
    /// @notice The change would leave no voting node.
    error LastVotingNode();
    /// @notice The registry holds as many nodes as a `uint16` id allows.
    error TooManyNodes();

    // ------------------------------------------------------------------ events

    /// @notice A city was connected.
    /// @param city its 6-digit division code.
    event CityRegistered(uint32 indexed city);
    /// @notice A node was registered (at genesis, or by an `AdmitNode` proposal).
    /// @param nodeId the new node's id.
    /// @param city its city.
    /// @param operator the account that acts for it.
    /// @param metadataDigest digest of its off-chain metadata.
    event NodeRegistered(uint16 indexed nodeId, uint32 indexed city, address indexed operator, bytes32 metadataDigest);
    /// @notice A node's status changed (also emitted with `Active` when a node is registered).
    /// @param nodeId the node.
    /// @param status its new status.
    event NodeStatusChanged(uint16 indexed nodeId, NodeStatus status);
    /// @notice The regulator froze or unfroze a node.
    /// @param nodeId the node.
    /// @param frozen whether it is now frozen.
    event NodeFrozen(uint16 indexed nodeId, bool frozen);
    /// @notice A node registered an institution it sponsors.
    /// @param institutionId the new institution's id.
    /// @param sponsor the sponsoring node.
    /// @param signer the account that acts for the institution.
    /// @param kind its kind.
    /// @param nameDigest digest of its name.
    event InstitutionRegistered(
        uint32 indexed institutionId,
        uint16 indexed sponsor,
        address indexed signer,
        InstitutionKind kind,
        bytes32 nameDigest
    );
    /// @notice The sponsoring node suspended or reinstated an institution.
    /// @param institutionId the institution.
    /// @param status its new status.
    event InstitutionStatusChanged(uint32 indexed institutionId, InstitutionStatus status);
    /// @notice The regulator froze or unfroze an institution.
    /// @param institutionId the institution.
    /// @param frozen whether it is now frozen.
    event InstitutionFrozen(uint32 indexed institutionId, bool frozen);
    /// @notice The regulator account was named.
    /// @param previous the former regulator (0 at first).
    /// @param regulator the new regulator.
    event RegulatorChanged(address indexed previous, address indexed regulator);
    /// @notice Genesis ended; the genesis admin keeps no power.
    /// @param nodeCount number of nodes at the end of genesis.
    /// @param institutionCount number of institutions at the end of genesis.
    event GenesisClosed(uint16 nodeCount, uint32 institutionCount);
    /// @notice A node made a proposal.
    /// @param proposalId the new proposal's id.
    /// @param kind what it does.
    /// @param nodeId its target node (0 for AdmitNode until executed).
    /// @param proposer the proposing node.
    /// @param expiry unix time after which no vote counts.
    event ProposalCreated(
        uint256 indexed proposalId,
        ProposalKind kind,
        uint16 indexed nodeId,
        uint16 indexed proposer,
        uint64 expiry
    );
    /// @notice A node voted for a proposal.
    /// @param proposalId the proposal.
    /// @param voter the voting node.
    /// @param votes the proposal's votes now.
    /// @param required votes required at this moment.
    event Voted(uint256 indexed proposalId, uint16 indexed voter, uint16 votes, uint16 required);
    /// @notice A proposal passed and was executed.
    /// @param proposalId the proposal.
    /// @param kind what it did.
    /// @param nodeId the node it concerned (for AdmitNode: the new node's id).
    event ProposalExecuted(uint256 indexed proposalId, ProposalKind kind, uint16 indexed nodeId);
    /// @notice An admission proposal reserved its candidate's operator account: no institution can be registered
    /// with it while the proposal is live.
    /// @param proposalId the admission proposal.
    /// @param operator the candidate's operator account.
    /// @param city the candidate's city.
    /// @param until unix time the reservation lasts (the proposal's expiry), unless the proposal executes first.
    event CandidateReserved(uint256 indexed proposalId, address indexed operator, uint32 city, uint64 until);

    // ------------------------------------------------------------------ constants and counters

    /// @notice How long a proposal collects votes.
    /// @return The lifetime in seconds (7 days).
    function PROPOSAL_LIFETIME() external view returns (uint64);

    /// @notice Node id 0 means "no node".
    /// @return The id 0.
    function NO_NODE() external view returns (uint16);

    /// @notice Institution id 0 means "no institution".
    /// @return The id 0.
    function NO_INSTITUTION() external view returns (uint32);

    /// @notice The genesis admin (the deployer) until `closeGenesis`, then the zero address.
    /// @return The genesis admin's account.
    function genesisAdmin() external view returns (address);

    /// @notice The regulator's account.
    /// @return The regulator (0 until named at genesis).
    function regulator() external view returns (address);

    /// @notice Whether `city` is a connected city.
    /// @param city a 6-digit division code ending in "00".
    /// @return Whether it is connected.
    function isCity(uint32 city) external view returns (bool);

    /// @notice Node id operated by `account`, or 0.
    /// @param account any account.
    /// @return The node id, 0 when `account` operates no node (or its node was removed).
    function nodeIdOf(address account) external view returns (uint16);

    /// @notice Number of nodes ever registered; node ids run from 1 to this number.
    /// @return The number of nodes.
    function nodeCount() external view returns (uint16);

    /// @notice Nodes whose status is Active and that are not frozen: the base of the two-thirds threshold.
    /// @return The number of voting nodes.
    function votingNodeCount() external view returns (uint16);

    /// @notice Institution id whose signer is `account`, or 0.
    /// @param account any account.
    /// @return The institution id, 0 when `account` signs for no institution.
    function institutionIdOf(address account) external view returns (uint32);

    /// @notice Number of institutions ever registered; institution ids run from 1 to this number.
    /// @return The number of institutions.
    function institutionCount() external view returns (uint32);

    /// @notice Whether node `nodeId` has voted for proposal `proposalId`.
    /// @param proposalId the proposal.
    /// @param nodeId the node.
    /// @return Whether it has voted.
    function hasVoted(uint256 proposalId, uint16 nodeId) external view returns (bool);

    /// @notice Number of proposals ever made; proposal ids run from 1 to this number.
    /// @return The number of proposals.
    function proposalCount() external view returns (uint256);

    /// @notice The live admission proposal that reserves `account` as its candidate's operator, or 0.
    /// @param account any account.
    /// @return proposalId the latest AdmitNode proposal naming `account` if it is neither executed nor expired, else 0.
    function admissionReservation(address account) external view returns (uint256 proposalId);

    // ------------------------------------------------------------------ genesis

    /// @notice Registers a connected city by its 6-digit division code (genesis only).
    /// @param city division code ending in "00", e.g. 310000 (Shanghai) or 320100 (Nanjing).
    function registerCity(uint32 city) external;

    /// @notice Registers one of the initial nodes, active from the start (genesis only).
    /// @param city the node's city, already registered.
    /// @param operator the account that will act for the node.
    /// @param metadataDigest digest of the node's off-chain metadata.
    /// @return nodeId the new node's id (1-based, in registration order).
    function genesisAddNode(uint32 city, address operator, bytes32 metadataDigest) external returns (uint16 nodeId);

    /// @notice Names the regulator account (genesis only).
    /// @param newRegulator the regulator's account, not zero.
    function setRegulator(address newRegulator) external;

    /// @notice Ends genesis: the deployer keeps no power; from now on the nodes govern by vote.
    /// @dev Requires at least one node and a regulator.
    function closeGenesis() external;

    // ------------------------------------------------------------------ governance

    /// @notice Number of votes a proposal needs now: at least two thirds of the voting nodes, rounded up.
    /// @return The number of votes (at least 1).
    function requiredVotes() external view returns (uint16);

    /// @notice An active node proposes a change of membership; the proposer's vote is counted at once.
    /// An AdmitNode proposal needs an operator account that is neither a node's nor an institution's
    /// (`AccountAlreadyRegistered`) and reserves it until it executes or expires (`CandidateReserved`): while
    /// reserved, no institution can be registered with it (`AccountReservedForAdmission`), so the execution of
    /// the admission cannot be made to fail by any single member.
    /// @param kind what the proposal does.
    /// @param nodeId the target node (ignored for AdmitNode, which assigns the next id on execution).
    /// @param city AdmitNode: the new node's city (a new connected city is registered on execution).
    /// @param operator AdmitNode: the new node's operator account.
    /// @param metadataDigest AdmitNode: digest of the new node's metadata.
    /// @return proposalId id of the new proposal (1-based).
    function propose(
        ProposalKind kind,
        uint16 nodeId,
        uint32 city,
        address operator,
        bytes32 metadataDigest
    ) external returns (uint256 proposalId);

    /// @notice An active node votes for a proposal; the vote that reaches the threshold executes it.
    /// @param proposalId the proposal.
    function vote(uint256 proposalId) external;

    /// @notice Executes a proposal whose votes already reach the current threshold (e.g. after the threshold
    /// fell because a node left). Callable by any active node.
    /// @param proposalId the proposal.
    function execute(uint256 proposalId) external;

    /// @notice The proposal with id `proposalId`; reverts with `UnknownProposal` when there is none.
    /// @param proposalId the proposal.
    /// @return The proposal.
    function proposal(uint256 proposalId) external view returns (Proposal memory);

    // ------------------------------------------------------------------ institutions

    /// @notice An active node registers an institution it sponsors. The signer must be a new account
    /// (`AccountAlreadyRegistered`) not reserved by a live admission proposal (`AccountReservedForAdmission`).
    /// @param request the institution's signer, kind and name digest.
    /// @return institutionId the new institution's id (1-based).
    function registerInstitution(InstitutionRequest calldata request) external returns (uint32 institutionId);

    /// @notice An active node registers several institutions it sponsors, in order.
    /// @param requests the institutions, each as in `registerInstitution`.
    /// @return firstId id of the first one; the others follow consecutively.
    function multiRegisterInstitutions(InstitutionRequest[] calldata requests) external returns (uint32 firstId);

    /// @notice The sponsoring node suspends (`Suspended`) or reinstates (`Active`) one of its institutions.
    /// @param institutionId the institution.
    /// @param status its new status.
    function setInstitutionStatus(uint32 institutionId, InstitutionStatus status) external;

    // ------------------------------------------------------------------ regulator

    /// @notice The regulator freezes or unfreezes a node; a frozen node cannot act and does not vote.
    /// @param nodeId the node.
    /// @param frozen whether it is to be frozen.
    function setNodeFrozen(uint16 nodeId, bool frozen) external;

    /// @notice The regulator freezes or unfreezes an institution; a frozen institution cannot act.
    /// @param institutionId the institution.
    /// @param frozen whether it is to be frozen.
    function setInstitutionFrozen(uint32 institutionId, bool frozen) external;

    // ------------------------------------------------------------------ views used by the other contracts

    /// @notice Reverts unless `account` operates an active, unfrozen node; returns the node id and its city.
    /// @param account the account to check (usually the caller of the asking contract).
    /// @return nodeId the node `account` operates.
    /// @return city the node's city.
    function requireActiveNode(address account) external view returns (uint16 nodeId, uint32 city);

    /// @notice Reverts unless `account` is the signer of an active, unfrozen institution whose sponsoring node
    /// is active and unfrozen; returns the institution id.
    /// @param account the account to check.
    /// @return institutionId the institution `account` signs for.
    function requireActiveInstitution(address account) external view returns (uint32 institutionId);

    /// @notice Reverts unless `account` is the regulator.
    /// @param account the account to check.
    function requireRegulator(address account) external view;

    /// @notice Home city of a 6-digit division code (the code of an enterprise's registering authority).
    /// @param divisionCode the 6-digit division code.
    /// @return city the registered city's code, or 0 when the code belongs to no connected city.
    function cityOfDivision(uint32 divisionCode) external view returns (uint32 city);

    /// @notice The node with id `nodeId` (status `None` when unknown).
    /// @param nodeId the node.
    /// @return The node.
    function node(uint16 nodeId) external view returns (Node memory);

    /// @notice The institution with id `institutionId` (status `None` when unknown).
    /// @param institutionId the institution.
    /// @return The institution.
    function institution(uint32 institutionId) external view returns (Institution memory);

    /// @notice Whether `nodeId` is active and unfrozen.
    /// @param nodeId the node.
    /// @return Whether it is a voting node.
    function isActiveNode(uint16 nodeId) external view returns (bool);

    /// @notice All connected cities, in registration order (bounded by the number of cities, a few dozen).
    /// @return The city codes.
    function cities() external view returns (uint32[] memory);
}
