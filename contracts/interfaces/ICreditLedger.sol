// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortiumMember} from "./IConsortiumMember.sol";
import {IHomeCityErrors} from "./IHomeCityErrors.sol";
import {IQueryDesk} from "./IQueryDesk.sol";

/// @title Credit ledger of the YRD credit chain: salted digests of enterprise credit records, Merkle roots of
/// record batches, corrections, revocations and objections (异议). Never plaintext company data.
/// @notice A record is identified by (enterprise, category, version). It is valid iff it is anchored (a live
/// attestation with the same digest, or an inclusion proof against an anchored batch root), it is the current
/// version of its (enterprise, category), and it has not been revoked. An open objection marks it disputed.
/// One version has one content: a version declared live (`attest`) is anchored by its live digest only, never by a
/// batch leaf; the other versions (version 1 never attested live, and versions declared by `supersede`) are
/// anchored by batch leaves only. Versions are declared one step at a time (`MAX_VERSION_STEP`), so every version
/// up to the current one is declared exactly once. Objections come from the enterprise (the information subject,
/// `fileObjection`) or from an institution about a record version it received in a fulfilled query
/// (`fileReportObjection`).
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
        NotAnchored, // no live attestation with this digest, or the proof does not verify against the batch root,
        // or (batch leaf) the version was declared live, so its one content is the live digest
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

    /// @notice An institution's objection to a record version it received in a fulfilled query: the report that
    /// carried the record, as the serving node committed to it in `IQueryDesk.fulfilQuery`.
    struct ReportObjection {
        uint256 queryId; // the fulfilled query, requested by the objecting institution
        bytes32[] reportDigests; // every report digest of the fulfilment, in order (as in `QueryFulfilled`)
        uint256 reportIndex; // position of the report that carried the record
        Category category; // the record's category, as in the report
        uint32 version; // the record's version, as in the report
        bytes32 recordDigest; // the record's salted commitment, as in the report
        bytes32 reasonDigest; // digest of the institution's statement
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
    /// @notice A declared version may exceed the current one by at most `MAX_VERSION_STEP` (the current one is 1
    /// when none was declared): a huge version (up to 2^32 - 1) would otherwise block every later correction.
    /// @param enterprise USCC of the enterprise.
    /// @param category which record.
    /// @param version the version given.
    /// @param highestAllowed the highest version that may be declared now.
    error VersionStepTooLarge(bytes18 enterprise, Category category, uint32 version, uint32 highestAllowed);
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
    /// @notice `fileObjection` is the enterprise's own objection (the information subject's right, art. 25 of the
    /// 2013 credit-reporting regulation): only its bound signer may file it. An institution objects with
    /// `fileReportObjection`, to a record version it received in a fulfilled query.
    /// @param account the caller.
    /// @param enterprise USCC of the enterprise.
    error ObjectionNotByEnterprise(address account, bytes18 enterprise);
    /// @notice `fileReportObjection` before a query desk was bound to the ledger.
    error QueryDeskNotBound();
    /// @notice The ledger's query desk is already bound; it is bound once, for good.
    /// @param queryDesk the bound desk.
    error QueryDeskAlreadyBound(address queryDesk);
    /// @notice Only a contract under construction (the desk, from its constructor) in a transaction sent by the
    /// account that deployed the ledger may bind the query desk.
    /// @param caller the caller.
    /// @param origin the transaction's sender.
    error QueryDeskBindingRefused(address caller, address origin);
    /// @notice The query was not fulfilled (unknown, still requested, denied or expired): no report to object to.
    /// @param queryId the query.
    /// @param status its status.
    error QueryNotFulfilled(uint256 queryId, IQueryDesk.QueryStatus status);
    /// @notice The query was requested by another institution.
    /// @param queryId the query.
    /// @param requester the institution that requested it.
    /// @param caller the objecting institution.
    error NotQueryRequester(uint256 queryId, uint32 requester, uint32 caller);
    /// @notice The report digests given are not those the serving node committed to for the query.
    /// @param queryId the query.
    error ReportsMismatch(uint256 queryId);
    /// @notice The report at `reportIndex` is not the report of this record version (or there is none).
    /// @param queryId the query.
    /// @param reportIndex the index given.
    error ReportNotInQuery(uint256 queryId, uint256 reportIndex);
    /// @notice An institution objects once per report received.
    /// @param reportDigest the report.
    /// @param objectionId the objection already filed on it.
    error ReportAlreadyObjected(bytes32 reportDigest, uint256 objectionId);
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
    event Attested(
        bytes18 indexed enterprise,
        Category category,
        uint32 version,
        bytes32 digest,
        uint16 indexed nodeId
    );
    /// @notice A node anchored the Merkle root of a batch of records.
    /// @param batchId the new batch's id.
    /// @param nodeId the anchoring node.
    /// @param category the category of every leaf.
    /// @param root StandardMerkleTree root.
    /// @param count number of leaves.
    /// @param batchDigest digest of the node's off-chain batch file.
    event BatchAnchored(
        uint256 indexed batchId,
        uint16 indexed nodeId,
        Category category,
        bytes32 root,
        uint32 count,
        bytes32 batchDigest
    );
    /// @notice A newer version of a record was declared current.
    /// @param enterprise USCC of the enterprise.
    /// @param category which record.
    /// @param previousVersion the version current before (1 when none was declared).
    /// @param version the new current version.
    /// @param nodeId the declaring node.
    event Superseded(
        bytes18 indexed enterprise,
        Category category,
        uint32 previousVersion,
        uint32 version,
        uint16 indexed nodeId
    );
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
    /// @notice An institution's objection (filed with `ObjectionFiled`) rests on a report of a fulfilled query.
    /// @param objectionId the objection.
    /// @param queryId the fulfilled query.
    /// @param reportDigest the report that carried the record.
    /// @param institution the objecting institution.
    event ReportObjectionFiled(
        uint256 indexed objectionId,
        uint256 indexed queryId,
        bytes32 reportDigest,
        uint32 indexed institution
    );
    /// @notice The query desk bound itself to the ledger (once, from its constructor).
    /// @param queryDesk the desk.
    /// @param deployer the account that deployed the ledger and the desk.
    event QueryDeskBound(address indexed queryDesk, address indexed deployer);
    /// @notice A node of the enterprise's home city answered an objection.
    /// @param objectionId the objection.
    /// @param outcome `Corrected`, `Rejected` or `Unconfirmed`.
    /// @param correctedVersion Corrected: the version that answers the objection; otherwise 0.
    /// @param resolutionDigest digest of the node's reasoned answer.
    /// @param nodeId the answering node.
    event ObjectionResolved(
        uint256 indexed objectionId,
        ObjectionStatus outcome,
        uint32 correctedVersion,
        bytes32 resolutionDigest,
        uint16 indexed nodeId
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

    /// @notice How far above the current version a new version may be declared: 1, so a new version is exactly
    /// the next one (or version 1 or 2 when none was declared: version 1 may live in a batch).
    /// @return The step 1.
    function MAX_VERSION_STEP() external view returns (uint32);

    /// @notice The account that sent the ledger's deployment transaction: only a desk deployed by it can bind.
    /// @return The deployer.
    function deployer() external view returns (address);

    /// @notice The query desk whose fulfilled queries let institutions object (`fileReportObjection`).
    /// @return The desk, 0 until bound.
    function queryDesk() external view returns (IQueryDesk);

    /// @notice The query desk binds itself, once, from its constructor, in a transaction sent by the ledger's
    /// deployer (the desk is deployed after the ledger, which cannot know its address beforehand).
    function bindQueryDesk() external;

    // ------------------------------------------------------------------ writes by the home-city node

    /// @notice The home-city node attests one record version live: the next version (at most `MAX_VERSION_STEP`
    /// above the current one). The version is then live: batch leaves of it are not anchored.
    /// @param request the enterprise, category, new version and digest.
    function attest(AttestationRequest calldata request) external;

    /// @notice The home-city node attests several record versions live (each checked as in `attest`).
    /// @param requests the attestations, in order.
    function multiAttest(AttestationRequest[] calldata requests) external;

    /// @notice A node anchors the Merkle root of a batch of records of its city.
    /// @param request the category, root, leaf count and batch-file digest.
    /// @return batchId the batch id (1-based).
    function anchorBatch(BatchRequest calldata request) external returns (uint256 batchId);

    /// @notice The home-city node declares the next version of a record (a correction) whose content lives in a
    /// batch, at most `MAX_VERSION_STEP` above the current one.
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

    /// @notice The enterprise's bound signer objects to a record version of the enterprise (an institution uses
    /// `fileReportObjection`). The enterprise must be a valid USCC of a connected city, so a node can answer.
    /// @param enterprise USCC of the enterprise.
    /// @param category which record.
    /// @param version which version (1 up to the current one).
    /// @param reasonDigest digest of the objector's statement.
    /// @return objectionId the new objection's id (1-based).
    function fileObjection(
        bytes18 enterprise,
        Category category,
        uint32 version,
        bytes32 reasonDigest
    ) external returns (uint256 objectionId);

    /// @notice An active institution objects to a record version it received in a query it requested and that
    /// was fulfilled: the report is proven against the fulfilment's digest kept by the query desk, with
    /// reportDigest = keccak256(abi.encode(uint256 queryId, bytes18 enterprise, uint8 category, uint32 version,
    /// bytes32 recordDigest)). One objection per report.
    /// @param objection the query, its report digests, the report's index and record, and the reason.
    /// @return objectionId the new objection's id.
    function fileReportObjection(ReportObjection calldata objection) external returns (uint256 objectionId);

    /// @notice The objection an institution filed on a report, 0 when none.
    /// @param reportDigest the report.
    /// @return The objection's id.
    function objectionOfReport(bytes32 reportDigest) external view returns (uint256);

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
    function attestationStatus(
        bytes18 enterprise,
        Category category,
        uint32 version,
        bytes32 digest
    ) external view returns (RecordStatus);

    /// @notice Status of a batched record, given its leaf and its StandardMerkleTree proof.
    /// @param batchId the batch the record was anchored in.
    /// @param leaf the record's leaf.
    /// @param proof the StandardMerkleTree proof of the leaf, at most `MAX_PROOF_LENGTH` hashes.
    /// @return The record's status (`NotAnchored` when the proof does not lead to the batch root, or when the
    /// leaf's version was attested live: a live version is anchored by its live digest only).
    /// @dev Reverts with the USCC library's error (`USCCInvalidCharacter`, `USCCInvalidCheckCharacter`) when the
    /// leaf's enterprise is not a valid code, as `attest` does: no batch leaf of an invalid code verifies.
    function verifyRecord(
        uint256 batchId,
        RecordLeaf calldata leaf,
        bytes32[] calldata proof
    ) external view returns (RecordStatus);
}
