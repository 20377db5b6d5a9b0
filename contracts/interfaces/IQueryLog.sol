// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortiumMember} from "./IConsortiumMember.sol";

/// @title Query log: each node's query log as an append-only Merkle log in the style of Certificate Transparency
/// (RFC 6962 hashing, RFC 9162 proofs).
/// @notice A node periodically commits (tree size, root); every commitment after the first must come with a
/// consistency proof against the node's previous one, checked on chain, so a node can add entries but never
/// rewrite or drop what it already committed. Anyone proves an entry with an inclusion proof against a commitment.
/// @dev Proof failures revert with the errors of the `RFC6962` library (`RFC6962RootMismatch` …), which name the
/// rule that fails.
interface IQueryLog is IConsortiumMember {
    /// @notice One committed state of a node's log.
    struct Commitment {
        uint64 size; // number of entries the root covers
        bytes32 root; // RFC 6962 Merkle tree hash of the first `size` entries
        uint64 committedAt; // block time of the commitment
    }

    /// @notice A commitment of an empty log (size 0).
    error EmptyLog();
    /// @notice A commitment smaller than the node's previous one: logs only grow.
    /// @param nodeId the committing node.
    /// @param previousSize the size of its previous commitment.
    /// @param size the size given.
    error LogShrinks(uint16 nodeId, uint64 previousSize, uint64 size);
    /// @notice A commitment of the same size as the node's previous one.
    /// @param nodeId the committing node.
    /// @param size the size of both.
    error LogUnchanged(uint16 nodeId, uint64 size);
    /// @notice The node has no commitment at this index.
    /// @param nodeId the node.
    /// @param index the index given.
    error UnknownCommitment(uint16 nodeId, uint256 index);

    /// @notice A node committed the state of its log.
    /// @param nodeId the committing node.
    /// @param index position of this commitment in the node's list (0-based).
    /// @param size number of entries the root covers.
    /// @param root RFC 6962 Merkle tree hash of the first `size` entries.
    /// @param previousSize the size of the node's previous commitment (0 for its first).
    event LogCommitted(uint16 indexed nodeId, uint256 indexed index, uint64 size, bytes32 root, uint64 previousSize);

    /// @notice An active node commits the state of its log. After its first commitment, `consistencyProof`
    /// must prove (RFC 9162 §2.1.4) that the new tree extends the previously committed one.
    /// @param size number of entries of the log, greater than at the previous commitment.
    /// @param root RFC 6962 Merkle tree hash of the first `size` entries.
    /// @param consistencyProof consistency proof from the previous commitment (empty for the first one).
    /// @return index position of this commitment in the node's list.
    function commitLog(uint64 size, bytes32 root, bytes32[] calldata consistencyProof) external returns (uint256 index);

    /// @notice Proves that `leafHash` is entry `leafIndex` of node `nodeId`'s log as committed at `index`.
    /// Reverts with the RFC6962 library's error that names what is wrong; returns true otherwise.
    /// @param nodeId the node.
    /// @param index which of its commitments.
    /// @param leafIndex position of the entry in the log (0-based).
    /// @param leafHash RFC 6962 leaf hash of the entry.
    /// @param proof RFC 9162 inclusion proof of the entry against the commitment.
    /// @return Always true (a failing proof reverts).
    function verifyEntry(
        uint16 nodeId,
        uint256 index,
        uint64 leafIndex,
        bytes32 leafHash,
        bytes32[] calldata proof
    ) external view returns (bool);

    /// @notice Number of commitments node `nodeId` has made.
    /// @param nodeId the node.
    /// @return The number of its commitments.
    function commitmentCount(uint16 nodeId) external view returns (uint256);

    /// @notice Commitment number `index` of node `nodeId`; reverts with `UnknownCommitment` when there is none.
    /// @param nodeId the node.
    /// @param index which of its commitments (0-based).
    /// @return The commitment.
    function commitment(uint16 nodeId, uint256 index) external view returns (Commitment memory);

    /// @notice The latest commitment of node `nodeId` (size 0 when it has none).
    /// @param nodeId the node.
    /// @return c the latest commitment.
    function latestCommitment(uint16 nodeId) external view returns (Commitment memory c);
}
