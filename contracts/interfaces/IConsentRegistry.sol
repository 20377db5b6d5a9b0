// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";
import {IConsortiumMember} from "./IConsortiumMember.sol";
import {ICreditLedger} from "./ICreditLedger.sol";

/// @title Consent registry (授权存证): enterprises' EIP-712 authorizations of credit queries, registered on
/// chain by the authorized institution, revocable by the enterprise at any time.
/// @notice An authorization is signed off chain by the enterprise's signer (an EOA, or a contract wallet through
/// ERC-1271), the account its home-city node bound in the credit ledger. Its EIP-712 digest is its id and the
/// evidence (授权存证). The EIP-712 domain is "YRD Credit Chain Consent", version "1" (see `eip712Domain`).
interface IConsentRegistry is IConsortiumMember, IERC5267 {
    // ------------------------------------------------------------------ types

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
        bytes18 enterprise; // USCC of the authorizing enterprise (0 when unknown)
        uint32 institution; // registry id of the authorized institution
        Purpose purpose; // the one purpose it may query for
        uint8 categories; // bit mask of authorized record categories: 1 << category
        uint64 notBefore; // unix time from which it is valid
        uint64 notAfter; // unix time after which it is expired
        bool revoked; // whether the enterprise has revoked it
        address signer; // the enterprise signer that signed it
    }

    // ------------------------------------------------------------------ errors

    /// @notice No signer is bound to the enterprise in the credit ledger.
    /// @param enterprise USCC of the enterprise.
    error NoEnterpriseSigner(bytes18 enterprise);
    /// @notice The signature is not the enterprise signer's (ECDSA or ERC-1271).
    /// @param enterprise USCC of the enterprise.
    /// @param signer the bound signer.
    error InvalidSignature(bytes18 enterprise, address signer);
    /// @notice Only the authorized institution may register an authorization.
    /// @param callerInstitution the caller's institution.
    /// @param authorizedInstitution the institution the authorization names.
    error NotAuthorizedInstitution(uint32 callerInstitution, uint32 authorizedInstitution);
    /// @notice The enterprise has already used or cancelled this nonce.
    /// @param enterprise USCC of the enterprise.
    /// @param nonce the nonce.
    error NonceAlreadyUsed(bytes18 enterprise, uint256 nonce);
    /// @notice The purpose is `None`.
    /// @param purpose the purpose given.
    error InvalidPurpose(Purpose purpose);
    /// @notice The category mask is empty or has bits outside the three categories.
    /// @param categories the mask given.
    error InvalidCategories(uint8 categories);
    /// @notice `notAfter` is not after `notBefore`.
    /// @param notBefore start of the window.
    /// @param notAfter end of the window.
    error InvalidValidityWindow(uint64 notBefore, uint64 notAfter);
    /// @notice The authorization has expired.
    /// @param authorizationId the authorization.
    /// @param notAfter the time it expired.
    error AuthorizationExpired(bytes32 authorizationId, uint64 notAfter);
    /// @notice The authorization is not valid yet.
    /// @param authorizationId the authorization.
    /// @param notBefore the time it becomes valid.
    error AuthorizationNotYetValid(bytes32 authorizationId, uint64 notBefore);
    /// @notice No authorization with this id is registered.
    /// @param authorizationId the id given.
    error UnknownAuthorization(bytes32 authorizationId);
    /// @notice The enterprise has revoked the authorization.
    /// @param authorizationId the authorization.
    error AuthorizationIsRevoked(bytes32 authorizationId);
    /// @notice Only the enterprise's bound signer may do this.
    /// @param account the caller.
    /// @param enterprise USCC of the enterprise.
    error NotEnterpriseSigner(address account, bytes18 enterprise);
    /// @notice The authorization is for another enterprise.
    /// @param authorizationId the authorization.
    /// @param authorized the enterprise it names.
    /// @param requested the enterprise asked about.
    error WrongEnterprise(bytes32 authorizationId, bytes18 authorized, bytes18 requested);
    /// @notice The authorization is for another institution.
    /// @param authorizationId the authorization.
    /// @param authorized the institution it names.
    /// @param requesting the institution asking.
    error WrongInstitution(bytes32 authorizationId, uint32 authorized, uint32 requesting);
    /// @notice The authorization is for another purpose.
    /// @param authorizationId the authorization.
    /// @param authorized the purpose it names.
    /// @param requested the purpose asked for.
    error WrongPurpose(bytes32 authorizationId, Purpose authorized, Purpose requested);
    /// @notice Some requested category is not authorized (or none is requested).
    /// @param authorizationId the authorization.
    /// @param authorized the authorized category mask.
    /// @param requested the requested category mask.
    error CategoriesNotAuthorized(bytes32 authorizationId, uint8 authorized, uint8 requested);

    // ------------------------------------------------------------------ events

    /// @notice The authorized institution registered a signed authorization.
    /// @param authorizationId its id, the EIP-712 digest.
    /// @param enterprise USCC of the authorizing enterprise.
    /// @param institution the authorized institution.
    /// @param purpose the purpose it allows.
    /// @param categories bit mask of the categories it allows.
    /// @param notBefore unix time from which it is valid.
    /// @param notAfter unix time after which it is expired.
    /// @param nonce the enterprise's nonce, now used.
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
    /// @notice The enterprise's signer revoked an authorization.
    /// @param authorizationId the authorization.
    /// @param enterprise USCC of the enterprise.
    event AuthorizationRevoked(bytes32 indexed authorizationId, bytes18 indexed enterprise);
    /// @notice The enterprise's signer burnt a nonce.
    /// @param enterprise USCC of the enterprise.
    /// @param nonce the nonce, now used.
    event NonceCancelled(bytes18 indexed enterprise, uint256 nonce);

    // ------------------------------------------------------------------ constants and settings

    /// @notice The EIP-712 type hash of an authorization: `Authorization(bytes18 enterprise,uint32 institution,
    /// uint8 purpose,uint8 categories,uint64 notBefore,uint64 notAfter,uint256 nonce)`.
    /// @return The type hash.
    function AUTHORIZATION_TYPEHASH() external view returns (bytes32);

    /// @notice Bit mask of the three record categories (1 << 1 | 1 << 2 | 1 << 3).
    /// @return The mask 0x0E.
    function ALL_CATEGORIES() external view returns (uint8);

    /// @notice Where enterprises' signers are bound.
    /// @return The credit ledger, fixed at deployment.
    function ledger() external view returns (ICreditLedger);

    /// @notice The EIP-712 domain separator of this contract.
    /// @return The domain separator.
    function domainSeparator() external view returns (bytes32);

    /// @notice The EIP-712 digest (and id) of an authorization.
    /// @param a the authorization.
    /// @return The digest the enterprise's signer signs.
    function authorizationDigest(Authorization calldata a) external view returns (bytes32);

    /// @notice Whether the enterprise has used (or cancelled) `nonce`.
    /// @param enterprise USCC of the enterprise.
    /// @param nonce the nonce.
    /// @return Whether it is used.
    function nonceUsed(bytes18 enterprise, uint256 nonce) external view returns (bool);

    // ------------------------------------------------------------------ authorizations

    /// @notice The authorized institution registers a signed authorization.
    /// @param authorization the authorization, as signed.
    /// @param signature the enterprise signer's signature of its EIP-712 digest (ECDSA, or ERC-1271 data).
    /// @return authorizationId its id, the EIP-712 digest.
    function registerAuthorization(
        Authorization calldata authorization,
        bytes calldata signature
    ) external returns (bytes32 authorizationId);

    /// @notice The enterprise's signer revokes a registered authorization.
    /// @param authorizationId the authorization.
    function revokeAuthorization(bytes32 authorizationId) external;

    /// @notice The enterprise's signer burns a nonce so that an authorization signed with it can never be registered.
    /// @param enterprise USCC of the enterprise.
    /// @param nonce the nonce.
    function cancelNonce(bytes18 enterprise, uint256 nonce) external;

    /// @notice The registered authorization with id `authorizationId` (enterprise 0 when unknown).
    /// @param authorizationId the authorization.
    /// @return The registered authorization.
    function consent(bytes32 authorizationId) external view returns (Consent memory);

    /// @notice Reverts with the rule that fails unless `authorizationId` lets `institution` query `enterprise`
    /// now, for `purpose`, for every category in `categories`.
    /// @param authorizationId the authorization.
    /// @param enterprise USCC of the enterprise queried.
    /// @param institution the querying institution.
    /// @param purpose the declared purpose of the query.
    /// @param categories bit mask of the categories queried.
    function checkAuthorization(
        bytes32 authorizationId,
        bytes18 enterprise,
        uint32 institution,
        Purpose purpose,
        uint8 categories
    ) external view;
}
