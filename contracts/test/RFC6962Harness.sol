// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {RFC6962} from "../libraries/RFC6962.sol";

/// @title RFC6962Harness
/// @notice Test helper, not deployed by the product: exposes the internal functions of the `RFC6962` library so
/// that `test/rfc6962.test.ts` can run the same vectors and generated proofs against them and the TypeScript
/// verifiers of `src/merkle/rfc6962.ts`.
contract RFC6962Harness {
    /// @notice `RFC6962.hashLeaf`.
    /// @param data the entry's bytes.
    /// @return The leaf hash.
    function hashLeaf(bytes memory data) external pure returns (bytes32) {
        return RFC6962.hashLeaf(data);
    }

    /// @notice `RFC6962.hashChildren`.
    /// @param left the hash of the left child.
    /// @param right the hash of the right child.
    /// @return The node hash.
    function hashChildren(bytes32 left, bytes32 right) external pure returns (bytes32) {
        return RFC6962.hashChildren(left, right);
    }

    /// @notice `RFC6962.rootFromInclusionProof`.
    /// @param index the leaf's index, below `size`.
    /// @param size the number of leaves of the tree.
    /// @param leafHash the leaf's hash.
    /// @param proof the audit path, leaf first.
    /// @return The tree head the proof leads to.
    function rootFromInclusionProof(
        uint256 index,
        uint256 size,
        bytes32 leafHash,
        bytes32[] memory proof
    ) external pure returns (bytes32) {
        return RFC6962.rootFromInclusionProof(index, size, leafHash, proof);
    }

    /// @notice `RFC6962.verifyInclusion`: returns if the proof holds, reverts naming the broken rule otherwise.
    /// @param index the leaf's index, below `size`.
    /// @param size the number of leaves of the tree.
    /// @param leafHash the leaf's hash.
    /// @param proof the audit path, leaf first.
    /// @param root the tree head the proof must lead to.
    function verifyInclusion(
        uint256 index,
        uint256 size,
        bytes32 leafHash,
        bytes32[] memory proof,
        bytes32 root
    ) external pure {
        RFC6962.verifyInclusion(index, size, leafHash, proof, root);
    }

    /// @notice `RFC6962.rootFromConsistencyProof`.
    /// @param size1 the number of leaves of the smaller tree.
    /// @param size2 the number of leaves of the larger tree.
    /// @param proof the consistency proof.
    /// @param root1 the head of the smaller tree.
    /// @return The head of the larger tree the proof implies.
    function rootFromConsistencyProof(
        uint256 size1,
        uint256 size2,
        bytes32[] memory proof,
        bytes32 root1
    ) external pure returns (bytes32) {
        return RFC6962.rootFromConsistencyProof(size1, size2, proof, root1);
    }

    /// @notice `RFC6962.verifyConsistency`: returns if the proof holds, reverts naming the broken rule otherwise.
    /// @param size1 the number of leaves of the smaller tree.
    /// @param size2 the number of leaves of the larger tree.
    /// @param proof the consistency proof.
    /// @param root1 the head of the smaller tree.
    /// @param root2 the head of the larger tree.
    function verifyConsistency(
        uint256 size1,
        uint256 size2,
        bytes32[] memory proof,
        bytes32 root1,
        bytes32 root2
    ) external pure {
        RFC6962.verifyConsistency(size1, size2, proof, root1, root2);
    }

    /// @notice Gas used by `RFC6962.verifyConsistency` for these arguments (reverts as it does), for the
    /// cost figures of anchoring a query-log head.
    /// @param size1 the number of leaves of the smaller tree.
    /// @param size2 the number of leaves of the larger tree.
    /// @param proof the consistency proof.
    /// @param root1 the head of the smaller tree.
    /// @param root2 the head of the larger tree.
    /// @return gasUsed the gas the verification used, as measured by `gasleft()` around the call.
    function verifyConsistencyGas(
        uint256 size1,
        uint256 size2,
        bytes32[] memory proof,
        bytes32 root1,
        bytes32 root2
    ) external view returns (uint256 gasUsed) {
        gasUsed = gasleft();
        RFC6962.verifyConsistency(size1, size2, proof, root1, root2);
        gasUsed -= gasleft();
    }
}
