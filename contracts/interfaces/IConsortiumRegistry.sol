// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Consortium registry of the YRD credit chain: cities, city nodes, institutions and the regulator.
/// @notice The consortium governs itself: after genesis, nodes are admitted, suspended, reinstated and removed
/// only by proposals that collect votes of at least two thirds of the active, unfrozen nodes.
interface IConsortiumRegistry {
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

    struct Node {
        uint32 city; // 6-digit division code of the node's city, e.g. 320100
        address operator; // the account that acts for the node
        NodeStatus status;
        bool frozen; // set by the regulator; a frozen node cannot act
        bytes32 metadataDigest; // digest of the node's off-chain metadata (id, operator label)
    }

    struct Institution {
        uint16 sponsor; // id of the sponsoring node
        InstitutionKind kind;
        InstitutionStatus status;
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

    struct Proposal {
        ProposalKind kind;
        uint16 nodeId; // target node (for AdmitNode: the id the new node will get)
        uint16 proposer; // node id of the proposer
        uint16 votes; // number of distinct node votes so far
        uint64 expiry; // unix time after which no vote counts
        bool executed;
        uint32 city; // AdmitNode: city of the new node
        address operator; // AdmitNode: operator of the new node
        bytes32 metadataDigest; // AdmitNode: metadata digest of the new node
    }

    event CityRegistered(uint32 indexed city);
    event NodeRegistered(uint16 indexed nodeId, uint32 indexed city, address indexed operator, bytes32 metadataDigest);
    event NodeStatusChanged(uint16 indexed nodeId, NodeStatus status);
    event NodeFrozen(uint16 indexed nodeId, bool frozen);
    event InstitutionRegistered(
        uint32 indexed institutionId,
        uint16 indexed sponsor,
        address indexed signer,
        InstitutionKind kind,
        bytes32 nameDigest
    );
    event InstitutionStatusChanged(uint32 indexed institutionId, InstitutionStatus status);
    event InstitutionFrozen(uint32 indexed institutionId, bool frozen);
    event RegulatorChanged(address indexed previous, address indexed regulator);
    event GenesisClosed(uint16 nodeCount, uint32 institutionCount);
    event ProposalCreated(
        uint256 indexed proposalId,
        ProposalKind kind,
        uint16 indexed nodeId,
        uint16 indexed proposer,
        uint64 expiry
    );
    event Voted(uint256 indexed proposalId, uint16 indexed voter, uint16 votes, uint16 required);
    event ProposalExecuted(uint256 indexed proposalId, ProposalKind kind, uint16 indexed nodeId);

    /// @notice Reverts unless `account` operates an active, unfrozen node; returns the node id and its city.
    function requireActiveNode(address account) external view returns (uint16 nodeId, uint32 city);

    /// @notice Reverts unless `account` is the signer of an active, unfrozen institution whose sponsoring node
    /// is active and unfrozen; returns the institution id.
    function requireActiveInstitution(address account) external view returns (uint32 institutionId);

    /// @notice Reverts unless `account` is the regulator.
    function requireRegulator(address account) external view;

    /// @notice Home city of a 6-digit division code (the code of an enterprise's registering authority).
    /// @return city the registered city's code, or 0 when the code belongs to no connected city.
    function cityOfDivision(uint32 divisionCode) external view returns (uint32 city);

    /// @notice The node with id `nodeId` (status `None` when unknown).
    function node(uint16 nodeId) external view returns (Node memory);

    /// @notice The institution with id `institutionId` (status `None` when unknown).
    function institution(uint32 institutionId) external view returns (Institution memory);

    /// @notice Node id operated by `account`, or 0.
    function nodeIdOf(address account) external view returns (uint16);

    /// @notice Institution id whose signer is `account`, or 0.
    function institutionIdOf(address account) external view returns (uint32);

    /// @notice Whether `nodeId` is active and unfrozen.
    function isActiveNode(uint16 nodeId) external view returns (bool);

    /// @notice The regulator's account.
    function regulator() external view returns (address);
}
