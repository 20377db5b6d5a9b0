// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortiumMember} from "./interfaces/IConsortiumMember.sol";
import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";

/// @title ConsortiumMember
/// @notice Base of every contract that lets consortium members act: the one place that asks the registry
/// whether the caller is an active node, an active institution or the regulator. The registry's own custom
/// errors (`NotNodeOperator`, `NotActiveNode`, `NodeIsFrozen`, `NotActiveInstitution` …) bubble up unchanged.
abstract contract ConsortiumMember is IConsortiumMember {
    /// @inheritdoc IConsortiumMember
    IConsortiumRegistry public immutable registry;

    /// @notice Sets the registry that every membership check asks.
    /// @param registry_ the consortium registry, not the zero address.
    constructor(IConsortiumRegistry registry_) {
        if (address(registry_) == address(0)) revert ZeroRegistry();
        registry = registry_;
    }

    /// @dev Reverts unless the caller operates an active, unfrozen node; returns its id and city.
    function _requireActiveNode() internal view returns (uint16 nodeId, uint32 city) {
        return registry.requireActiveNode(msg.sender);
    }

    /// @dev Reverts unless the caller signs for an active, unfrozen institution with an active sponsor.
    function _requireActiveInstitution() internal view returns (uint32 institutionId) {
        return registry.requireActiveInstitution(msg.sender);
    }

    /// @dev Reverts unless the caller is the regulator.
    function _requireRegulator() internal view {
        registry.requireRegulator(msg.sender);
    }
}
