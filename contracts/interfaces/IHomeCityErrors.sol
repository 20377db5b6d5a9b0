// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Errors shared by the contracts in which the nodes of an enterprise's home city act on it.
/// @notice The home city of an enterprise comes from characters 3-8 of its USCC (the division code of its
/// registering authority); only the nodes of that city write its records (`ICreditLedger`) or serve queries about
/// it (`IQueryDesk`), and both take a reason code from the node when it says no.
/// @dev Inherited by `ICreditLedger` and `IQueryDesk` only, so that each of the two is declared once.
interface IHomeCityErrors {
    /// @notice The enterprise's division code belongs to no city connected to the consortium.
    /// @param enterprise USCC of the enterprise.
    /// @param divisionCode its 6-digit division code (characters 3-8 of the USCC).
    error EnterpriseCityNotConnected(bytes18 enterprise, uint32 divisionCode);

    /// @notice A reason code of 0 (a revocation or a denial must say why).
    error ZeroReason();
}
