// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Vm} from "./Vm.sol";

/// @title TestBase
/// @notice The cheatcode handle, assertions and `bound` for our Solidity tests (forge-std is not a dependency).
/// An assertion that fails reverts with `AssertionFailed`, which fails the test (or breaks the invariant).
abstract contract TestBase {
    /// @dev The runner's cheatcode address, as in every Foundry-compatible runner (named `vm` as they all do).
    // solhint-disable-next-line const-name-snakecase
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @notice An assertion failed: what was checked, the value found and the value wanted.
    error AssertionFailed(string what, uint256 found, uint256 wanted);
    /// @notice An assertion on hashes or addresses failed.
    error AssertionFailedBytes32(string what, bytes32 found, bytes32 wanted);

    function assertTrue(bool condition, string memory what) internal pure {
        if (!condition) revert AssertionFailed(what, 0, 1);
    }

    function assertEq(uint256 found, uint256 wanted, string memory what) internal pure {
        if (found != wanted) revert AssertionFailed(what, found, wanted);
    }

    function assertEq(bytes32 found, bytes32 wanted, string memory what) internal pure {
        if (found != wanted) revert AssertionFailedBytes32(what, found, wanted);
    }

    function assertEq(address found, address wanted, string memory what) internal pure {
        if (found != wanted)
            revert AssertionFailedBytes32(what, bytes32(uint256(uint160(found))), bytes32(uint256(uint160(wanted))));
    }

    function assertGe(uint256 found, uint256 atLeast, string memory what) internal pure {
        if (found < atLeast) revert AssertionFailed(what, found, atLeast);
    }

    /// @dev `x` mapped into [lo, hi] (inclusive), spreading the fuzzer's values evenly; lo <= hi.
    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        return lo + (x % (hi - lo + 1));
    }
}
