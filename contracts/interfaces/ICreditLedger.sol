// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Credit ledger of the YRD credit chain: salted digests of enterprise credit records, Merkle roots of
/// record batches, corrections, revocations and objections (异议). Never plaintext company data.
/// @notice A record is identified by (enterprise, category, version). It is valid iff it is anchored (a live
/// attestation with the same digest, or an inclusion proof against an anchored batch root), it is the current
/// version of its (enterprise, category), and it has not been revoked. An open objection marks it disputed.
interface ICreditLedger {
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
        bytes18 enterprise;
        Category category;
        uint32 version; // the new current version, greater than the present one
    }

    /// @notice A record version is withdrawn.
    struct RevocationRequest {
        bytes18 enterprise;
        Category category;
        uint32 version;
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

    struct Batch {
        bytes32 root;
        uint16 nodeId;
        uint32 city;
        Category category;
        uint32 count;
        uint64 anchoredAt;
        bytes32 batchDigest;
    }

    /// @notice The leaf of a batched record.
    struct RecordLeaf {
        bytes18 enterprise;
        Category category;
        uint32 version;
        bytes32 digest;
    }

    struct Objection {
        bytes18 enterprise;
        Category category;
        uint32 version;
        ObjectionStatus status;
        address filer;
        uint64 filedAt;
        uint64 deadline;
        bytes32 reasonDigest; // digest of the objector's statement
        uint64 resolvedAt;
        uint16 resolvedBy; // node id
        uint32 correctedVersion; // Corrected: the version that answers the objection
        bytes32 resolutionDigest; // digest of the node's reasoned answer
    }

    event Attested(bytes18 indexed enterprise, Category category, uint32 version, bytes32 digest, uint16 indexed nodeId);
    event BatchAnchored(
        uint256 indexed batchId, uint16 indexed nodeId, Category category, bytes32 root, uint32 count, bytes32 batchDigest
    );
    event Superseded(bytes18 indexed enterprise, Category category, uint32 previousVersion, uint32 version, uint16 indexed nodeId);
    event Revoked(bytes18 indexed enterprise, Category category, uint32 version, uint16 reason, uint16 indexed nodeId);
    event EnterpriseSignerBound(bytes18 indexed enterprise, address indexed signer, uint16 indexed nodeId);
    event ObjectionFiled(
        uint256 indexed objectionId,
        bytes18 indexed enterprise,
        Category category,
        uint32 version,
        address indexed filer,
        bytes32 reasonDigest,
        uint64 deadline
    );
    event ObjectionResolved(
        uint256 indexed objectionId, ObjectionStatus outcome, uint32 correctedVersion, bytes32 resolutionDigest, uint16 indexed nodeId
    );

    /// @notice The home-city node attests one record version live.
    function attest(AttestationRequest calldata request) external;

    /// @notice The home-city node attests several record versions live (each checked as in `attest`).
    function multiAttest(AttestationRequest[] calldata requests) external;

    /// @notice A node anchors the Merkle root of a batch of records; returns the batch id (1-based).
    function anchorBatch(BatchRequest calldata request) external returns (uint256 batchId);

    /// @notice The home-city node declares a newer current version of a record (a correction).
    function supersede(SupersedeRequest calldata request) external;

    /// @notice The home-city node declares newer versions of several records.
    function multiSupersede(SupersedeRequest[] calldata requests) external;

    /// @notice The home-city node revokes a record version with a reason code.
    function revoke(RevocationRequest calldata request) external;

    /// @notice The home-city node revokes several record versions.
    function multiRevoke(RevocationRequest[] calldata requests) external;

    /// @notice The home-city node binds the account that signs for an enterprise (authorizations, objections).
    function bindEnterpriseSigner(bytes18 enterprise, address signer) external;

    /// @notice The enterprise's signer or an active institution objects to a record version; returns its id.
    function fileObjection(bytes18 enterprise, Category category, uint32 version, bytes32 reasonDigest)
        external
        returns (uint256 objectionId);

    /// @notice A node of the enterprise's home city answers an objection before its deadline.
    function resolveObjection(uint256 objectionId, ObjectionStatus outcome, bytes32 resolutionDigest) external;

    /// @notice Status of a live-attested record version with this digest.
    function attestationStatus(bytes18 enterprise, Category category, uint32 version, bytes32 digest)
        external
        view
        returns (RecordStatus);

    /// @notice Status of a batched record, given its leaf and its StandardMerkleTree proof.
    function verifyRecord(uint256 batchId, RecordLeaf calldata leaf, bytes32[] calldata proof)
        external
        view
        returns (RecordStatus);
}
