// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ConsortiumMember} from "./ConsortiumMember.sol";
import {IConsentRegistry} from "./interfaces/IConsentRegistry.sol";
import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";
import {ICreditLedger} from "./interfaces/ICreditLedger.sol";

/// @title ConsentRegistry
/// @notice Authorizations (授权) of enterprises for credit queries: signed off chain by the enterprise's signer
/// (an EOA, or a contract wallet through ERC-1271), registered on chain by the institution they name. The
/// EIP-712 digest is the authorization's id and the evidence (授权存证). Off-chain counterpart:
/// `src/consent/authorization.ts` (typed data, signing).
/// @dev The enterprise's signer is the one its home-city node bound in the CreditLedger.
contract ConsentRegistry is IConsentRegistry, EIP712, ConsortiumMember {
    /// @inheritdoc IConsentRegistry
    bytes32 public constant AUTHORIZATION_TYPEHASH = keccak256(
        "Authorization(bytes18 enterprise,uint32 institution,uint8 purpose,uint8 categories,uint64 notBefore,uint64 notAfter,uint256 nonce)"
    );
    /// @inheritdoc IConsentRegistry
    uint8 public constant ALL_CATEGORIES = 0x0E;

    /// @inheritdoc IConsentRegistry
    ICreditLedger public immutable ledger;

    mapping(bytes32 authorizationId => Consent) private _consents;
    /// @inheritdoc IConsentRegistry
    mapping(bytes18 enterprise => mapping(uint256 nonce => bool)) public nonceUsed;

    /// @notice Deploys the consent registry with its EIP-712 domain ("YRD Credit Chain Consent", version "1").
    /// @param registry_ the consortium registry.
    /// @param ledger_ the credit ledger, where enterprises' signers are bound.
    constructor(
        IConsortiumRegistry registry_,
        ICreditLedger ledger_
    ) EIP712("YRD Credit Chain Consent", "1") ConsortiumMember(registry_) {
        ledger = ledger_;
    }

    /// @inheritdoc IConsentRegistry
    function authorizationDigest(Authorization calldata a) public view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        AUTHORIZATION_TYPEHASH,
                        a.enterprise,
                        a.institution,
                        uint8(a.purpose),
                        a.categories,
                        a.notBefore,
                        a.notAfter,
                        a.nonce
                    )
                )
            );
    }

    /// @inheritdoc IConsentRegistry
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc IConsentRegistry
    function registerAuthorization(
        Authorization calldata a,
        bytes calldata signature
    ) external returns (bytes32 authorizationId) {
        uint32 caller = _requireActiveInstitution();
        if (caller != a.institution) revert NotAuthorizedInstitution(caller, a.institution);
        if (a.purpose == Purpose.None) revert InvalidPurpose(a.purpose);
        if (a.categories == 0 || a.categories & ~ALL_CATEGORIES != 0) revert InvalidCategories(a.categories);
        if (a.notAfter <= a.notBefore) revert InvalidValidityWindow(a.notBefore, a.notAfter);
        authorizationId = authorizationDigest(a);
        if (block.timestamp > a.notAfter) revert AuthorizationExpired(authorizationId, a.notAfter);
        if (nonceUsed[a.enterprise][a.nonce]) revert NonceAlreadyUsed(a.enterprise, a.nonce);
        address signer = ledger.enterpriseSigner(a.enterprise);
        if (signer == address(0)) revert NoEnterpriseSigner(a.enterprise);
        if (!SignatureChecker.isValidSignatureNow(signer, authorizationId, signature)) {
            revert InvalidSignature(a.enterprise, signer);
        }
        nonceUsed[a.enterprise][a.nonce] = true;
        _consents[authorizationId] = Consent({
            enterprise: a.enterprise,
            institution: a.institution,
            purpose: a.purpose,
            categories: a.categories,
            notBefore: a.notBefore,
            notAfter: a.notAfter,
            revoked: false,
            signer: signer
        });
        emit AuthorizationRegistered(
            authorizationId,
            a.enterprise,
            a.institution,
            a.purpose,
            a.categories,
            a.notBefore,
            a.notAfter,
            a.nonce
        );
    }

    /// @inheritdoc IConsentRegistry
    function revokeAuthorization(bytes32 authorizationId) external {
        Consent storage c = _consents[authorizationId];
        if (c.enterprise == bytes18(0)) revert UnknownAuthorization(authorizationId);
        _requireEnterpriseSigner(c.enterprise);
        if (c.revoked) revert AuthorizationIsRevoked(authorizationId);
        c.revoked = true;
        emit AuthorizationRevoked(authorizationId, c.enterprise);
    }

    /// @inheritdoc IConsentRegistry
    function cancelNonce(bytes18 enterprise, uint256 nonce) external {
        _requireEnterpriseSigner(enterprise);
        if (nonceUsed[enterprise][nonce]) revert NonceAlreadyUsed(enterprise, nonce);
        nonceUsed[enterprise][nonce] = true;
        emit NonceCancelled(enterprise, nonce);
    }

    /// @inheritdoc IConsentRegistry
    function consent(bytes32 authorizationId) external view returns (Consent memory) {
        return _consents[authorizationId];
    }

    /// @inheritdoc IConsentRegistry
    function checkAuthorization(
        bytes32 authorizationId,
        bytes18 enterprise,
        uint32 institution,
        Purpose purpose,
        uint8 categories
    ) external view {
        Consent storage c = _consents[authorizationId];
        if (c.enterprise == bytes18(0)) revert UnknownAuthorization(authorizationId);
        if (c.revoked) revert AuthorizationIsRevoked(authorizationId);
        if (c.enterprise != enterprise) revert WrongEnterprise(authorizationId, c.enterprise, enterprise);
        if (c.institution != institution) revert WrongInstitution(authorizationId, c.institution, institution);
        if (c.purpose != purpose) revert WrongPurpose(authorizationId, c.purpose, purpose);
        if (categories == 0 || categories & ~c.categories != 0) {
            revert CategoriesNotAuthorized(authorizationId, c.categories, categories);
        }
        if (block.timestamp < c.notBefore) revert AuthorizationNotYetValid(authorizationId, c.notBefore);
        if (block.timestamp > c.notAfter) revert AuthorizationExpired(authorizationId, c.notAfter);
    }

    function _requireEnterpriseSigner(bytes18 enterprise) private view {
        if (msg.sender != ledger.enterpriseSigner(enterprise)) revert NotEnterpriseSigner(msg.sender, enterprise);
    }
}
