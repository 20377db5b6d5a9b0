// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortiumRegistry} from "./IConsortiumRegistry.sol";

/// @title Consortium member: what every contract that lets consortium members act has in common.
/// @notice Such a contract trusts one consortium registry to say whether the caller is an active node, an active
/// institution or the regulator. The registry's own custom errors (`NotNodeOperator`, `NotActiveNode`,
/// `NodeIsFrozen`, `NotActiveInstitution` …, declared in `IConsortiumRegistry`) bubble up from it unchanged.
/// @dev Inherited by `ICreditLedger`, `IConsentRegistry`, `IQueryDesk` and `IQueryLog`.
interface IConsortiumMember {
    /// @notice The registry given at deployment is the zero address.
    error ZeroRegistry();

    /// @notice The consortium registry this contract trusts for membership.
    /// @return The registry, fixed at deployment.
    function registry() external view returns (IConsortiumRegistry);
}
