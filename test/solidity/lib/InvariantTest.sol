// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {TestBase} from "./TestBase.sol";

/// @title InvariantTest
/// @notice What the invariant runner asks a test contract (the forge-std `StdInvariant` interface, declared here
/// because forge-std is not a dependency): the contracts and the selectors it may call. Each test targets only
/// its handler's actions, never the real contracts directly nor the handler's views.
abstract contract InvariantTest is TestBase {
    /// @dev forge-std's `FuzzSelector`.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    address[] private _targetContracts;
    FuzzSelector[] private _targetSelectors;

    function targetActions(address handler, bytes4[] memory selectors) internal {
        _targetContracts.push(handler);
        _targetSelectors.push(FuzzSelector({addr: handler, selectors: selectors}));
    }

    function targetContracts() public view returns (address[] memory) {
        return _targetContracts;
    }

    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _targetSelectors;
    }
}
