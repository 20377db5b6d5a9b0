// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortiumMember} from "./IConsortiumMember.sol";
import {IHomeCityErrors} from "./IHomeCityErrors.sol";

/// @title Credit ledger of the YRD credit chain: salted digests of enterprise credit records, Merkle roots of
/// record batches, corrections, revocations and objections (异议). Never plaintext company data.
/// @notice A record is identified by (enterprise, category, version). It is valid iff it is anchored (a live
/// attestation with the same digest, or an inclusion proof against an anchored batch root), it is the current
/// version of its (enterprise, category), and it has not been revoked. An open objection marks it disputed.
/// @dev Only an active node of an enterprise's home city (from characters 3-8 of its USCC) writes about it.
/// Batch leaves follow the StandardMerkleTree of OpenZeppelin's merkle-tree package (double keccak of the
/// ABI-encoded values). The membership errors of `IConsortiumRegistry` bubble up from the registry.
interface ICreditLedger is IConsortiumMember, IHomeCityErrors {
    // ------------------------------------------------------------------ types

    /// @notice The three categories of shared credit information.
    enum Category {
        None,
        BasicInfo, // 企业基础信息
        OperatingStatus, // 经营状态
        FinancingMortgage // 融资抵押信息
    }

    /// @notice What the chain says of one record.
    enum RecordStatus {
        NotAnchored, // no live attestation with this digest, or the proof does not verify against the batch root
        Valid, // anchored, current, not revoked, no open objection
        Disputed, // valid, but an objection is open or was recorded as "could not be confirmed"
        Superseded, // a newer version of the same (enterprise, category) has been declared
        Revoked, // revoked by the home-city node with a reason code
        Undeclared, // a batch leaf whose version (> 1) was never declared on chain by `supersede`
        WrongCity // a batch leaf of an enterprise outside the anchoring node's city
    }

    /// @notice Lifecycle of an objection. `None` means "no such objection".
    enum ObjectionStatus {
        None,
        Open,
        Corrected, // resolved by a newer version of the record
        Rejected, // checked and rejected with a reason: the dispute flag is removed
        Unconfirmed // could not be confirmed: recorded, and the objection stays on the record
    }

    /// @notice One live attestation.
    struct AttestationRequest {
        bytes18 enterprise; // USCC, 18 ASCII characters
        Category category; // which record
        uint32 version; // must exceed the current version of (enterprise, category)
        bytes32 digest; // salted commitment of the record's canonical encoding
    }

    /// @notice A newer version of a record is declared current; its content is attested live or in a later batch.
    struct SupersedeRequest {
        bytes18 enterprise; // USCC of the enterprise
        Category category; // which record
        uint32 version; // the new current version, greater than the present one
    }

    /// @notice A record version is withdrawn.
    struct RevocationRequest {
        bytes18 enterprise; // USCC of the enterprise
        Category category; // which record
        uint32 version; // the version withdrawn, at most the current one
        uint16 reason; // reason code (1 = entered in error, 2 = court order, 3 = data source withdrawn, ≥ 100 local)
    }

    /// @notice A Merkle batch of records (leaves as in the StandardMerkleTree of OpenZeppelin's merkle-tree package with
    /// encoding ["bytes18", "uint8", "uint32", "bytes32"] = (enterprise, category, version, digest)).
    struct BatchRequest {
        Category category; // every leaf of the batch has this category
        bytes32 root; // StandardMerkleTree root
        uint32 count; // number of leaves, at least 1
        bytes32 batchDigest; // digest of the node's off-chain batch file (lets anyone match it)
    }

    /// @notice An anchored batch as the ledger keeps it.
    struct Batch {
        bytes32 root; // StandardMerkleTree root
        uint16 nodeId; // the anchoring node
        uint32 city; // the anchoring node's city: every leaf must be of an enterprise of this city
        Category category; // every leaf of the batch has this category
        uint32 count; // number of leaves
        uint64 anchoredAt; // block time of the anchoring
        bytes32 batchDigest; // digest of the node's off-chain batch file
    }

    /// @notice The leaf of a batched record.
    struct RecordLeaf {
        bytes18 enterprise; // USCC of the enterprise
        Category category; // which record
        uint32 version; // the record's version
        bytes32 digest; // salted commitment of the record's canonical encoding
    }

    /// @notice An objection as the ledger keeps it.
    struct Objection {
        bytes18 enterprise; // USCC of the enterprise whose record is objected to
        Category category; // which record
        uint32 version; // which version
        ObjectionStatus status; // Open until resolved
        address filer; // the enterprise's signer or an institution's signer
        uint64 filedAt; // block time of filing
        uint64 deadline; // the home-city node must answer by then
        bytes32 reasonDigest; // digest of the objector's statement
        uint64 resolvedAt; // block time of the answer (0 while open)
        uint16 resolvedBy; // node id
        uint32 correctedVersion; // Corrected: the version that answers the objection
        bytes32 resolutionDigest; // digest of the node's reasoned answer
    }

    // ------------------------------------------------------------------ errors

    /// @notice The category is `None`.
    /// @param category the category given.
    error InvalidCategory(Category category);
    /// @notice The calling node is not of the enterprise's home city.
    /// @param enterprise USCC of the enterprise.
    /// @param enterpriseCity its home city.
    /// @param nodeCity the calling node's city.
    error NotHomeCityNode(bytes18 enterprise, uint32 enterpriseCity, uint32 nodeCity);
    /// @notice A declared version must exceed the current one.
    /// @param enterprise USCC of the enterprise.
    /// @param category which record.
    /// @param version the version given.
    /// @param currentVersion the version it must exceed.
    error VersionNotIncreasing(bytes18 enterprise, Category category, uint32 version, uint32 currentVersion);
    /// @notice A live attestation with a zero digest.
    error ZeroDigest();
    /// @notice A batch of no leaves.
    error EmptyBatch();
    /// @notice A batch with a zero root.
    error ZeroRoot();
    /// @notice No batch has this id.
    /// @param batchId the id given.
    error UnknownBatch(uint256 batchId);
    /// @notice A proof longer than `MAX_PROOF_LENGTH`.
    /// @param length the proof's length.
    error ProofTooLong(uint256 length);
    /// @notice The version is 0 or above the current version of the record.
    /// @param enterprise USCC of the enterprise.
    /// @param category which record.
    /// @param version the version given.
    /// @param currentVersion the current version.
    error UnknownRecordVersion(bytes18 enterprise, Category category, uint32 version, uint32 currentVersion);
    /// @notice The record version is already revoked.
    /// @param enterprise USCC of the enterprise.
    /// @param category which record.
    /// @param version the version.
    error AlreadyRevoked(bytes18 enterprise, Category category, uint32 version);
    /// @notice An enterprise signer of the zero address.
    error ZeroSigner();
    /// @notice The objector is neither the enterprise's signer nor an institution's signer.
    /// @param account the caller.
    error NotEnterpriseOrInstitution(address account);
    /// @notice No objection has this id.
    /// @param objectionId the id given.
    error UnknownObjection(uint256 objectionId);
    /// @notice The objection is already resolved.
    /// @param objectionId the objection.
    /// @param status its status.
    error ObjectionNotOpen(uint256 objectionId, ObjectionStatus status);
    /// @notice The deadline to answer the objection has passed.
    /// @param objectionId the objection.
    /// @param deadline its deadline.
    error ObjectionDeadlinePassed(uint256 objectionId, uint64 deadline);
    /// @notice An objection can only be resolved as `Corrected`, `Rejected` or `Unconfirmed`.
    /// @param outcome the outcome given.
    error InvalidOutcome(ObjectionStatus outcome);
    /// @notice `Corrected` requires that a newer version of the record was declared first.
    /// @param objectionId the objection.
    /// @param objectedVersion the version objected to.
    /// @param currentVersion the current version, not above it.
    error CorrectionMissing(uint256 objectionId, uint32 objectedVersion, uint32 currentVersion);
    /// @notice An objection window of 0 seconds given at deployment.
    error ZeroObjectionWindow();

    // ------------------------------------------------------------------ events

    /// @notice A record version was attested live.
    /// @param enterprise USCC of the enterprise.
    /// @param category which record.
    /// @param version the version, now current.
    /// @param digest salted commitment of the record.
    /// @param nodeId the attesting node.
    event Attested(bytes18 indexed enterprise, Category category, uint32 version, bytes32 digest, uint16 indexed nodeId);
    /// @notice A node anchored the Merkle root of a batch of records.
    /// @param batchId the new batch's id.
    /// @param nodeId the anchoring node.
    /// @param category the category of every leaf.
    /// @param root StandardMerkleTree root.
    /// @param count number of leaves.
    /// @param batchDigest digest of the node's off-chain batch file.
    event BatchAnchored(
        uint256 indexed batchId, uint16 indexed nodeId, Category category, bytes32 root, uint32 count, bytes32 batchDigest
    );
    /// @notice A newer version of a record was declared current.
    /// @param enterprise USCC of the enterprise.
    /// @param category which record.
    /// @param previousVersion the version current before (1 when none was declared).
    /// @param version the new current version.
    /// @param nodeId the declaring node.
    event Superseded(bytes18 indexed enterprise, Category category, uint32 previousVersion, uint32 version, uint16 indexed nodeId);
    /// @notice A record version was revoked.
    /// @param enterprise USCC of the enterprise.
    /// @param category which record.
    /// @param version the version revoked.
    /// @param reason the reason code.
    /// @param nodeId the revoking node.
    event Revoked(bytes18 indexed enterprise, Category category, uint32 version, uint16 reason, uint16 indexed nodeId);
    /// @notice The home-city node bound the account that signs for an enterprise.
    /// @param enterprise USCC of the enterprise.
    /// @param signer the account (an EOA or an ERC-1271 contract wallet).
    /// @param nodeId the binding node.
    event EnterpriseSignerBound(bytes18 indexed enterprise, address indexed signer, uint16 indexed nodeId);
    /// @notice An objection was filed against a record version.
    /// @param objectionId the new objection's id.
    /// @param enterprise USCC of the enterprise.
    /// @param category which record.
    /// @param version which version.
    /// @param filer the enterprise's signer or an institution's signer.
    /// @param reasonDigest digest of the objector's statement.
    /// @param deadline unix time by which the home-city node must answer.
    event ObjectionFiled(
        uint256 indexed objectionId,
        bytes18 indexed enterprise,
        Category category,
        uint32 version,
        address indexed filer,
        bytes32 reasonDigest,
        uint64 deadline
    );
    /// @notice A node of the enterprise's home city answered an objection.
    /// @param objectionId the objection.
    /// @param outcome `Corrected`, `Rejected` or `Unconfirmed`.
    /// @param correctedVersion Corrected: the version that answers the objection; otherwise 0.
    /// @param resolutionDigest digest of the node's reasoned answer.
    /// @param nodeId the answering node.
    event ObjectionResolved(
        uint256 indexed objectionId, ObjectionStatus outcome, uint32 correctedVersion, bytes32 resolutionDigest, uint16 indexed nodeId
    );

    // ------------------------------------------------------------------ constants and settings

    /// @notice Version 0 means "no version declared on chain"; batch records then start at version 1.
    /// @return The version 0.
    function NO_VERSION() external view returns (uint32);

    /// @notice The longest proof `verifyRecord` accepts (a tree of 2^64 leaves is out of reach anyway).
    /// @return The length 64.
    function MAX_PROOF_LENGTH() external view returns (uint256);

    /// @notice Time a node has to answer an objection (20 days by the 2013 regulation; set at deployment).
    /// @return The window in seconds.
    function objectionWindow() external view returns (uint64);

    // ------------------------------------------------------------------ writes by the home-city node

    /// @notice The home-city node attests one record version live.
    /// @param request the enterprise, category, new version and digest.
    function attest(AttestationRequest calldata request) external;

    /// @notice The home-city node attests several record versions live (each checked as in `attest`).
    /// @param requests the attestations, in order.
    function multiAttest(AttestationRequest[] calldata requests) external;

    /// @notice A node anchors the Merkle root of a batch of records of its city.
    /// @param request the category, root, leaf count and batch-file digest.
    /// @return batchId the batch id (1-based).
    function anchorBatch(BatchRequest calldata request) external returns (uint256 batchId);

    /// @notice The home-city node declares a newer current version of a record (a correction).
    /// @param request the enterprise, category and new version.
    function supersede(SupersedeRequest calldata request) external;

    /// @notice The home-city node declares newer versions of several records.
    /// @param requests the declarations, each as in `supersede`, in order.
    function multiSupersede(SupersedeRequest[] calldata requests) external;

    /// @notice The home-city node revokes a record version with a reason code.
    /// @param request the enterprise, category, version and reason code.
    function revoke(RevocationRequest calldata request) external;

    /// @notice The home-city node revokes several record versions.
    /// @param requests the revocations, each as in `revoke`, in order.
    function multiRevoke(RevocationRequest[] calldata requests) external;

    /// @notice The home-city node binds the account that signs for an enterprise (authorizations, objections).
    /// @param enterprise USCC of the enterprise.
    /// @param signer the account (an EOA or an ERC-1271 contract wallet), not zero.
    function bindEnterpriseSigner(bytes18 enterprise, address signer) external;

    /// @notice The account that signs for an enterprise, bound by its home-city node.
    /// @param enterprise USCC of the enterprise.
    /// @return The signer, or 0 when none is bound.
    function enterpriseSigner(bytes18 enterprise) external view returns (address);

    // ------------------------------------------------------------------ objections

    /// @notice The enterprise's signer or an active institution objects to a record version.
    /// @param enterprise USCC of the enterprise.
    /// @param category which record.
    /// @param version which version (1 up to the current one).
    /// @param reasonDigest digest of the objector's statement.
    /// @return objectionId the new objection's id (1-based).
    function fileObjection(bytes18 enterprise, Category category, uint32 version, bytes32 reasonDigest)
        external
        returns (uint256 objectionId);

    /// @notice A node of the enterprise's home city answers an objection before its deadline.
    /// @param objectionId the objection.
    /// @param outcome `Corrected`, `Rejected` or `Unconfirmed`.
    /// @param resolutionDigest digest of the node's reasoned answer.
    function resolveObjection(uint256 objectionId, ObjectionStatus outcome, bytes32 resolutionDigest) external;

    /// @notice The objection with id `objectionId` (status `None` when unknown).
    /// @param objectionId the objection.
    /// @return The objection.
    function objection(uint256 objectionId) external view returns (Objection memory);

    /// @notice Whether an objection is still open after its deadline: what the regulator looks for.
    /// @param objectionId the objection.
    /// @return Whether it is overdue.
    function isOverdue(uint256 objectionId) external view returns (bool);

    /// @notice Number of objections ever filed; objection ids run from 1 to this number.
    /// @return The number of objections.
    function objectionCount() external view returns (uint256);

    /// @notice Number of open or unconfirmed objections on a record version.
    /// @param enterprise USCC of the enterprise.
    /// @param category which record.
    /// @param version which version.
    /// @return The number of objections that mark it disputed.
    function disputeCount(bytes18 enterprise, Category category, uint32 version) external view returns (uint32);

    // ------------------------------------------------------------------ reads

    /// @notice The current version of (enterprise, category): the highest declared on chain, or 1 when none
    /// was declared (then version 1 may live in a batch), or 0 for an invalid category.
    /// @param enterprise USCC of the enterprise.
    /// @param category which record.
    /// @return The current version.
    function currentVersion(bytes18 enterprise, Category category) external view returns (uint32);

    /// @notice The highest version of (enterprise, category) declared on chain by `attest` or `supersede`,
    /// 0 when none was (batch records then count as version 1).
    /// @param enterprise USCC of the enterprise.
    /// @param category which record.
    /// @return The declared version.
    function declaredVersion(bytes18 enterprise, Category category) external view returns (uint32);

    /// @notice Revocation reason code of a record version (0 when not revoked).
    /// @param enterprise USCC of the enterprise.
    /// @param category which record.
    /// @param version which version.
    /// @return The reason code.
    function revocationReason(bytes18 enterprise, Category category, uint32 version) external view returns (uint16);

    /// @notice The batch with id `batchId`; reverts with `UnknownBatch` when there is none.
    /// @param batchId the batch.
    /// @return The batch.
    function batch(uint256 batchId) external view returns (Batch memory);

    /// @notice Number of batches ever anchored; batch ids run from 1 to this number.
    /// @return The number of batches.
    function batchCount() external view returns (uint256);

    /// @notice Status of a live-attested record version with this digest.
    /// @param enterprise USCC of the enterprise.
    /// @param category which record.
    /// @param version which version.
    /// @param digest the salted commitment of the record to check.
    /// @return The record's status (`NotAnchored` when no live attestation has this digest).
    function attestationStatus(bytes18 enterprise, Category category, uint32 version, bytes32 digest)
        external
        view
        returns (RecordStatus);

    /// @notice Status of a batched record, given its leaf and its StandardMerkleTree proof.
    /// @param batchId the batch the record was anchored in.
    /// @param leaf the record's leaf.
    /// @param proof the StandardMerkleTree proof of the leaf, at most `MAX_PROOF_LENGTH` hashes.
    /// @return The record's status (`NotAnchored` when the proof does not lead to the batch root).
    function verifyRecord(uint256 batchId, RecordLeaf calldata leaf, bytes32[] calldata proof)
        external
        view
        returns (RecordStatus);
}
