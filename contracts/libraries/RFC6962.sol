// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title RFC6962
/// @notice Certificate Transparency Merkle trees (RFC 6962 §2.1, RFC 9162 §2.1): SHA-256 leaf and node hashing
/// and the verifiers of inclusion proofs (audit paths) and consistency proofs. The query logs anchor their
/// tree heads with it, so a consistency proof against the previous head shows that no entry was rewritten.
/// @dev The matching data comes from `src/merkle/log.ts` (`MerkleLog`) or `src/merkle/rfc6962.ts`, which
/// also holds the same verifiers with the same names and argument order; both pass the transparency-dev/merkle
/// test vectors, and the TypeScript `ProofError.rule` is the name of the error here without `RFC6962`.
/// Not for sorted-pair (OpenZeppelin `MerkleProof`) trees: these hashes are domain-separated SHA-256 and a
/// node's children keep their order. Hashes are `bytes32`; a proof of more than 64 hashes is rejected, which
/// covers every tree of fewer than 2^64 leaves. Verifiers revert rather than return false, naming the rule.
/// A proof binds tree heads, not sizes (a head with a wrong size can still pass, e.g. size 3's head claimed as
/// size 4): only pair a size with the head anchored for that very size.
library RFC6962 {
    /// @notice The longest proof accepted (enough for any tree of fewer than 2^64 leaves).
    uint256 internal constant MAX_PROOF_LENGTH = 64;
    /// @notice SHA-256 of the empty string: the tree head of an empty log.
    bytes32 internal constant EMPTY_ROOT = 0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855;

    /// @notice An inclusion proof for a leaf index not below the tree size.
    error RFC6962IndexOutOfRange(uint256 index, uint256 size);
    /// @notice A proof longer than `MAX_PROOF_LENGTH`.
    error RFC6962ProofTooLong(uint256 length, uint256 max);
    /// @notice A proof whose length is not the one the RFC prescribes for these sizes (or this index and size).
    error RFC6962WrongProofSize(uint256 got, uint256 want);
    /// @notice The proof leads to `computed`, not to the tree head `expected`.
    error RFC6962RootMismatch(bytes32 computed, bytes32 expected);
    /// @notice A consistency proof towards a smaller tree: logs only grow.
    error RFC6962SizeDecreased(uint256 size1, uint256 size2);
    /// @notice A consistency proof from the empty tree, which every tree trivially extends.
    error RFC6962ConsistencyFromEmptyTree();
    /// @notice A consistency proof between equal sizes must be empty (the heads must simply be equal).
    error RFC6962NonEmptyProofForEqualSizes(uint256 proofLength);

    /// @notice The hash of a log entry: SHA-256(0x00 ‖ data).
    /// @param data the entry's bytes.
    /// @return The leaf hash.
    function hashLeaf(bytes memory data) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x00), data));
    }

    /// @notice The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
    /// @param left the hash of the left child.
    /// @param right the hash of the right child.
    /// @return The node hash.
    function hashChildren(bytes32 left, bytes32 right) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x01), left, right));
    }

    /// @notice The tree head that `leafHash` at `index` and its audit path `proof` (leaf first) imply for a tree
    /// of `size` leaves.
    /// @dev Reverts with `RFC6962IndexOutOfRange`, `RFC6962ProofTooLong` or `RFC6962WrongProofSize`; a wrong hash
    /// inside the proof only shows as a different head.
    /// @param index the leaf's index, below `size`.
    /// @param size the number of leaves of the tree.
    /// @param leafHash the leaf's hash (`hashLeaf` of the entry).
    /// @param proof the audit path, sibling hashes from the leaf up.
    /// @return root the tree head the proof leads to.
    function rootFromInclusionProof(
        uint256 index,
        uint256 size,
        bytes32 leafHash,
        bytes32[] memory proof
    ) internal pure returns (bytes32 root) {
        if (index >= size) revert RFC6962IndexOutOfRange(index, size);
        if (proof.length > MAX_PROOF_LENGTH) revert RFC6962ProofTooLong(proof.length, MAX_PROOF_LENGTH);
        // Below level `inner` the paths to `index` and to the last leaf differ; above it `index` only has left
        // siblings, one per set bit of index >> inner.
        uint256 inner = _bitLength(index ^ (size - 1));
        uint256 want = inner + _popCount(index >> inner);
        if (proof.length != want) revert RFC6962WrongProofSize(proof.length, want);
        root = leafHash;
        for (uint256 i = 0; i < inner; ++i) {
            root = (index >> i) & 1 == 0 ? hashChildren(root, proof[i]) : hashChildren(proof[i], root);
        }
        for (uint256 i = inner; i < want; ++i) {
            root = hashChildren(proof[i], root);
        }
    }

    /// @notice Reverts unless `proof` shows that `leafHash` is entry `index` of the tree of `size` leaves with
    /// head `root`.
    /// @dev Reverts with the errors of `rootFromInclusionProof`, or `RFC6962RootMismatch`.
    /// @param index the leaf's index, below `size`.
    /// @param size the number of leaves of the tree.
    /// @param leafHash the leaf's hash (`hashLeaf` of the entry).
    /// @param proof the audit path, sibling hashes from the leaf up.
    /// @param root the tree head the proof must lead to.
    function verifyInclusion(
        uint256 index,
        uint256 size,
        bytes32 leafHash,
        bytes32[] memory proof,
        bytes32 root
    ) internal pure {
        bytes32 computed = rootFromInclusionProof(index, size, leafHash, proof);
        if (computed != root) revert RFC6962RootMismatch(computed, root);
    }

    /// @notice The head of the tree of `size2` leaves that `proof` implies, given that its first `size1` leaves
    /// have head `root1`; the proof is checked against `root1` on the way.
    /// @dev Reverts with `RFC6962SizeDecreased`, `RFC6962ConsistencyFromEmptyTree`,
    /// `RFC6962NonEmptyProofForEqualSizes`, `RFC6962ProofTooLong`, `RFC6962WrongProofSize`, or
    /// `RFC6962RootMismatch` when the proof does not lead back to `root1`.
    /// @param size1 the number of leaves of the smaller (earlier) tree, not 0.
    /// @param size2 the number of leaves of the larger (later) tree, not below `size1`.
    /// @param proof the consistency proof; empty when the sizes are equal.
    /// @param root1 the head of the smaller tree.
    /// @return root2 the head of the larger tree the proof implies.
    function rootFromConsistencyProof(
        uint256 size1,
        uint256 size2,
        bytes32[] memory proof,
        bytes32 root1
    ) internal pure returns (bytes32 root2) {
        if (size2 < size1) revert RFC6962SizeDecreased(size1, size2);
        if (size1 == 0) revert RFC6962ConsistencyFromEmptyTree();
        if (size1 == size2) {
            if (proof.length != 0) revert RFC6962NonEmptyProofForEqualSizes(proof.length);
            return root1;
        }
        if (proof.length > MAX_PROOF_LENGTH) revert RFC6962ProofTooLong(proof.length, MAX_PROOF_LENGTH);
        // The proof is the tail of the audit path of leaf size1-1 in the larger tree, from the level of the
        // largest complete subtree ending at size1; that subtree's head comes first unless it is the whole
        // smaller tree, whose head is root1.
        uint256 last = size1 - 1;
        uint256 fork = _bitLength(last ^ (size2 - 1));
        uint256 shift = _trailingZeros(size1);
        uint256 inner = fork - shift;
        uint256 start = size1 == (1 << shift) ? 0 : 1;
        uint256 want = start + inner + _popCount(last >> fork);
        if (proof.length != want) revert RFC6962WrongProofSize(proof.length, want);

        bytes32 hash1 = start == 0 ? root1 : proof[0];
        root2 = hash1;
        uint256 mask = last >> shift;
        for (uint256 i = 0; i < inner; ++i) {
            bytes32 p = proof[start + i];
            if ((mask >> i) & 1 == 1) {
                hash1 = hashChildren(p, hash1);
                root2 = hashChildren(p, root2);
            } else {
                root2 = hashChildren(root2, p);
            }
        }
        for (uint256 i = start + inner; i < want; ++i) {
            hash1 = hashChildren(proof[i], hash1);
            root2 = hashChildren(proof[i], root2);
        }
        if (hash1 != root1) revert RFC6962RootMismatch(hash1, root1);
    }

    /// @notice Reverts unless `proof` shows that the tree of `size2` leaves with head `root2` extends the tree of
    /// `size1` leaves with head `root1`.
    /// @dev Reverts with the errors of `rootFromConsistencyProof`, or `RFC6962RootMismatch`.
    /// @param size1 the number of leaves of the smaller (earlier) tree, not 0.
    /// @param size2 the number of leaves of the larger (later) tree, not below `size1`.
    /// @param proof the consistency proof; empty when the sizes are equal.
    /// @param root1 the head of the smaller tree.
    /// @param root2 the head of the larger tree.
    function verifyConsistency(
        uint256 size1,
        uint256 size2,
        bytes32[] memory proof,
        bytes32 root1,
        bytes32 root2
    ) internal pure {
        bytes32 computed = rootFromConsistencyProof(size1, size2, proof, root1);
        if (computed != root2) revert RFC6962RootMismatch(computed, root2);
    }

    /// @dev Number of bits needed to write `x` (0 for 0).
    function _bitLength(uint256 x) private pure returns (uint256 n) {
        while (x != 0) {
            x >>= 1;
            ++n;
        }
    }

    /// @dev Number of set bits of `x`.
    function _popCount(uint256 x) private pure returns (uint256 n) {
        while (x != 0) {
            x &= x - 1;
            ++n;
        }
    }

    /// @dev Number of trailing zero bits of `x`, which is not 0.
    function _trailingZeros(uint256 x) private pure returns (uint256 n) {
        while (x & 1 == 0) {
            x >>= 1;
            ++n;
        }
    }
}
