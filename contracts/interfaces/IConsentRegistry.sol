// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Consent registry (授权存证): enterprises' EIP-712 authorizations of credit queries, registered on
/// chain by the authorized institution, revocable by the enterprise at any time.
interface IConsentRegistry {
    /// @notice Declared purpose of a query.
    enum Purpose {
        None,
        CreditApproval, // 贷前审批: loan or credit-line approval
        PostLoanManagement, // 贷后管理: monitoring of an outstanding loan
        GuaranteeReview, // 担保资格审查: guarantee eligibility review
        SupplyChainFinance // 供应链融资审查: factoring and supply-chain finance review
    }

    /// @notice The authorization an enterprise signs (EIP-712 type `Authorization`).
    struct Authorization {
        bytes18 enterprise; // USCC of the authorizing enterprise
        uint32 institution; // registry id of the authorized institution
        Purpose purpose; // the one purpose it may query for
        uint8 categories; // bit mask of authorized record categories: 1 << category
        uint64 notBefore; // unix time from which it is valid
        uint64 notAfter; // unix time after which it is expired
        uint256 nonce; // any number the enterprise has not used before
    }

    /// @notice What the chain keeps of a registered authorization (its id is the EIP-712 digest).
    struct Consent {
        bytes18 enterprise;
        uint32 institution;
        Purpose purpose;
        uint8 categories;
        uint64 notBefore;
        uint64 notAfter;
        bool revoked;
        address signer; // the enterprise signer that signed it
    }

    event AuthorizationRegistered(
        bytes32 indexed authorizationId,
        bytes18 indexed enterprise,
        uint32 indexed institution,
        Purpose purpose,
        uint8 categories,
        uint64 notBefore,
        uint64 notAfter,
        uint256 nonce
    );
    event AuthorizationRevoked(bytes32 indexed authorizationId, bytes18 indexed enterprise);
    event NonceCancelled(bytes18 indexed enterprise, uint256 nonce);

    /// @notice The authorized institution registers a signed authorization; returns its id (the EIP-712 digest).
    function registerAuthorization(Authorization calldata authorization, bytes calldata signature)
        external
        returns (bytes32 authorizationId);

    /// @notice The enterprise's signer revokes a registered authorization.
    function revokeAuthorization(bytes32 authorizationId) external;

    /// @notice The enterprise's signer burns a nonce so that an authorization signed with it can never be registered.
    function cancelNonce(bytes18 enterprise, uint256 nonce) external;

    /// @notice Reverts with the rule that fails unless `authorizationId` lets `institution` query `enterprise`
    /// now, for `purpose`, for every category in `categories`.
    function checkAuthorization(
        bytes32 authorizationId,
        bytes18 enterprise,
        uint32 institution,
        Purpose purpose,
        uint8 categories
    ) external view;
}
