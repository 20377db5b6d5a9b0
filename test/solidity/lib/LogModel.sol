// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {RFC6962} from "../../../contracts/libraries/RFC6962.sol";

/// @title LogModel
/// @notice A plain RFC 6962 model of a query log for the tests (the definitions of §2.1, recursive, no caching):
/// the tree head MTH of the first n leaf hashes and the consistency proof PROOF(m, D[n]). Deliberately naive, so it
/// shares no code path with `RFC6962.sol`'s verifiers beyond the two hash functions.
library LogModel {
    /// @notice MTH(D[start : start + n]), n >= 1.
    function root(bytes32[] memory leaves, uint256 start, uint256 n) internal pure returns (bytes32) {
        if (n == 1) return leaves[start];
        uint256 k = _split(n);
        return RFC6962.hashChildren(root(leaves, start, k), root(leaves, start + k, n - k));
    }

    /// @notice PROOF(m, D[n]) of RFC 6962 §2.1.2 for the first n leaves, 0 < m < n.
    function consistencyProof(bytes32[] memory leaves, uint256 m, uint256 n) internal pure returns (bytes32[] memory) {
        bytes32[] memory out = new bytes32[](64);
        uint256 len = _subproof(leaves, 0, m, n, true, out, 0);
        bytes32[] memory proof = new bytes32[](len);
        for (uint256 i = 0; i < len; ++i) proof[i] = out[i];
        return proof;
    }

    /// @dev SUBPROOF(m, D[start : start + n], b), appended to `out` from `len`; returns the new length.
    function _subproof(
        bytes32[] memory leaves,
        uint256 start,
        uint256 m,
        uint256 n,
        bool b,
        bytes32[] memory out,
        uint256 len
    ) private pure returns (uint256) {
        if (m == n) {
            if (b) return len;
            out[len] = root(leaves, start, n);
            return len + 1;
        }
        uint256 k = _split(n);
        if (m <= k) {
            len = _subproof(leaves, start, m, k, b, out, len);
            out[len] = root(leaves, start + k, n - k);
        } else {
            len = _subproof(leaves, start + k, m - k, n - k, false, out, len);
            out[len] = root(leaves, start, k);
        }
        return len + 1;
    }

    /// @dev The largest power of two smaller than n (n >= 2).
    function _split(uint256 n) private pure returns (uint256 k) {
        k = 1;
        while (k << 1 < n) k <<= 1;
    }
}
