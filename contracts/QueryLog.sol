// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ConsortiumMember} from "./ConsortiumMember.sol";
import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";
import {IQueryLog} from "./interfaces/IQueryLog.sol";
import {RFC6962} from "./libraries/RFC6962.sol";

/// @title QueryLog
/// @notice Each node's query log is an append-only Merkle log in the style of Certificate Transparency
/// (RFC 6962 hashing, RFC 9162 proofs). A node periodically commits (tree size, root); every commitment after
/// the first must come with a consistency proof against the node's previous one, checked here, so a node can
/// add entries but never rewrite or drop what it already committed. Anyone proves an entry with an inclusion
/// proof against a commitment. Off-chain counterpart: `src/merkle/log.ts` and `src/query/log-entry.ts`.
contract QueryLog is IQueryLog, ConsortiumMember {
    mapping(uint16 nodeId => Commitment[]) private _commitments;

    /// @notice Deploys the query logs of the consortium's nodes, all empty.
    /// @param registry_ the consortium registry.
    constructor(IConsortiumRegistry registry_) ConsortiumMember(registry_) {}

    /// @inheritdoc IQueryLog
    function commitLog(
        uint64 size,
        bytes32 root,
        bytes32[] calldata consistencyProof
    ) external returns (uint256 index) {
        (uint16 nodeId, ) = _requireActiveNode();
        Commitment[] storage list = _commitments[nodeId];
        if (size == 0) revert EmptyLog();
        uint64 previousSize = 0;
        if (list.length > 0) {
            Commitment storage prev = list[list.length - 1];
            previousSize = prev.size;
            if (size < previousSize) revert LogShrinks(nodeId, previousSize, size);
            if (size == previousSize) revert LogUnchanged(nodeId, size);
            RFC6962.verifyConsistency(previousSize, size, consistencyProof, prev.root, root);
        }
        index = list.length;
        list.push(Commitment({size: size, root: root, committedAt: uint64(block.timestamp)}));
        emit LogCommitted(nodeId, index, size, root, previousSize);
    }

    /// @inheritdoc IQueryLog
    function verifyEntry(
        uint16 nodeId,
        uint256 index,
        uint64 leafIndex,
        bytes32 leafHash,
        bytes32[] calldata proof
    ) external view returns (bool) {
        Commitment storage c = _commitment(nodeId, index);
        RFC6962.verifyInclusion(leafIndex, c.size, leafHash, proof, c.root);
        return true;
    }

    /// @inheritdoc IQueryLog
    function commitmentCount(uint16 nodeId) external view returns (uint256) {
        return _commitments[nodeId].length;
    }

    /// @inheritdoc IQueryLog
    function commitment(uint16 nodeId, uint256 index) external view returns (Commitment memory) {
        return _commitment(nodeId, index);
    }

    /// @inheritdoc IQueryLog
    function latestCommitment(uint16 nodeId) external view returns (Commitment memory c) {
        Commitment[] storage list = _commitments[nodeId];
        if (list.length > 0) c = list[list.length - 1];
    }

    function _commitment(uint16 nodeId, uint256 index) private view returns (Commitment storage) {
        Commitment[] storage list = _commitments[nodeId];
        if (index >= list.length) revert UnknownCommitment(nodeId, index);
        return list[index];
    }
}
