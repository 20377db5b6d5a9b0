// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

// A test double that must behave like a smart wallet: it forwards arbitrary calls and bubbles up their revert data
// unchanged (low-level call, assembly); its string require is test-only code.
/* solhint-disable avoid-low-level-calls, no-inline-assembly, gas-custom-errors */

/// @title MockContractWallet
/// @notice Test helper, not deployed by the product: a minimal ERC-1271 contract wallet whose signatures are
/// its owner's ECDSA signatures, so that tests can show enterprises signing through contract accounts.
contract MockContractWallet is IERC1271 {
    /// @notice The key that signs for this wallet.
    address public immutable owner;

    /// @notice Deploys a wallet that signs and acts for `owner_`.
    /// @param owner_ the key that signs for the wallet and may call `execute`.
    constructor(address owner_) {
        owner = owner_;
    }

    /// @notice ERC-1271: valid when `signature` is the owner's signature of `hash`.
    /// @param hash the signed digest.
    /// @param signature the owner's 65-byte ECDSA signature (r, s, v).
    /// @return The ERC-1271 magic value `0x1626ba7e` when valid, `0xffffffff` otherwise.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(hash, signature);
        return
            err == ECDSA.RecoverError.NoError && recovered == owner
                ? this.isValidSignature.selector
                : bytes4(0xffffffff);
    }

    /// @notice Forwards a call, so the wallet itself can act (e.g. revoke an authorization). Owner only.
    /// @dev Reverts with "not owner" for any other caller, and with the target's own revert data if its call fails.
    /// @param target the contract to call.
    /// @param data the calldata to send.
    /// @return The target's return data.
    function execute(address target, bytes calldata data) external returns (bytes memory) {
        require(msg.sender == owner, "not owner");
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }
}
