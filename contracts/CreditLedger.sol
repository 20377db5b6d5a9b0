// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ConsortiumMember} from "./ConsortiumMember.sol";
import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";
import {ICreditLedger} from "./interfaces/ICreditLedger.sol";
import {IQueryDesk} from "./interfaces/IQueryDesk.sol";
import {USCC} from "./libraries/USCC.sol";

/// @title CreditLedger
/// @notice Attestations of enterprise credit records by the city nodes: live (one digest per record version)
/// or bulk (a Merkle root per batch), corrections by newer versions, revocations, and objections (异议) with a
/// deadline. Off-chain counterpart: `src/records/` (encoding, commitment, leaf) and `src/store/` (node store).
/// @dev Only an active node of an enterprise's home city (from characters 3-8 of its USCC) writes about it.
/// Batch leaves follow the StandardMerkleTree of OpenZeppelin's merkle-tree package (double keccak of the ABI-encoded
/// values), so 64-byte internal nodes can never pass as leaves.
/// One version, one content: with versions declared one step at a time, each version is declared exactly once,
/// live (its digest is kept) or for a batch (`supersede`, or version 1 never attested live); `verifyRecord` refuses
/// a batch leaf of a live version and `attestationStatus` only knows live digests.
/// Institutions object only to what they received: the query desk (bound once, from its constructor) tells the
/// ledger which queries were fulfilled and the digest of their reports.
contract CreditLedger is ICreditLedger, ConsortiumMember {
    /// @inheritdoc ICreditLedger
    uint32 public constant NO_VERSION = 0;
    /// @inheritdoc ICreditLedger
    uint256 public constant MAX_PROOF_LENGTH = 64;
    /// @inheritdoc ICreditLedger
    /// @dev 1 rather than a larger step: a skipped version would be a version nobody declared, whose batch leaves
    /// show as Superseded with no content ever stated for it; and the tooling (src/ledger/attest.ts) always asks
    /// for the next version anyway. 2^32 - 1 versions at one step each can never be exhausted in practice.
    uint32 public constant MAX_VERSION_STEP = 1;

    /// @inheritdoc ICreditLedger
    uint64 public immutable objectionWindow;
    /// @inheritdoc ICreditLedger
    address public immutable deployer;
    /// @inheritdoc ICreditLedger
    IQueryDesk public queryDesk;

    /// @dev record key = enterprise (144 bits) << 8 | category
    mapping(uint256 key => uint32) private _currentVersion;
    mapping(uint256 key => mapping(uint32 version => bytes32)) private _liveDigest;
    mapping(uint256 key => mapping(uint32 version => uint16)) private _revocationReason;
    mapping(uint256 key => mapping(uint32 version => uint32)) private _disputes;
    /// @inheritdoc ICreditLedger
    mapping(bytes18 enterprise => address) public enterpriseSigner;

    mapping(uint256 batchId => Batch) private _batches;
    /// @inheritdoc ICreditLedger
    uint256 public batchCount;

    mapping(uint256 objectionId => Objection) private _objections;
    /// @inheritdoc ICreditLedger
    uint256 public objectionCount;
    /// @inheritdoc ICreditLedger
    mapping(bytes32 reportDigest => uint256 objectionId) public objectionOfReport;

    /// @notice Deploys the ledger with a fixed objection window and records the sender of the deployment
    /// transaction as `deployer`, the only account that may later bind the query desk.
    /// @param registry_ the consortium registry.
    /// @param objectionWindow_ seconds a node has to answer an objection (20 days = 1,728,000).
    constructor(IConsortiumRegistry registry_, uint64 objectionWindow_) ConsortiumMember(registry_) {
        if (objectionWindow_ == 0) revert ZeroObjectionWindow();
        objectionWindow = objectionWindow_;
        // the sender of the deployment transaction (not msg.sender, so that a deployment through a factory works too)
        // solhint-disable-next-line avoid-tx-origin
        deployer = tx.origin;
    }

    /// @inheritdoc ICreditLedger
    /// @dev The desk is deployed after the ledger (its consent registry needs the ledger), so it binds itself from
    /// its constructor and the TypeScript deployment needs no extra step. Guard: the caller has no code yet (it is
    /// a contract under construction, not an account calling directly) and the transaction was sent by the ledger's
    /// deployer; binding happens once. `tx.origin` is used only here, at deployment, for a one-shot binding.
    function bindQueryDesk() external {
        if (address(queryDesk) != address(0)) revert QueryDeskAlreadyBound(address(queryDesk));
        // tx.origin below: one-shot binding by the deployer at deployment, see above
        // solhint-disable-next-line avoid-tx-origin
        if (tx.origin != deployer || msg.sender == tx.origin || msg.sender.code.length != 0) {
            // solhint-disable-next-line avoid-tx-origin
            revert QueryDeskBindingRefused(msg.sender, tx.origin);
        }
        queryDesk = IQueryDesk(msg.sender);
        // solhint-disable-next-line avoid-tx-origin
        emit QueryDeskBound(msg.sender, tx.origin);
    }

    // ------------------------------------------------------------------ writes by the home-city node

    /// @inheritdoc ICreditLedger
    function attest(AttestationRequest calldata request) external {
        (uint16 nodeId, uint32 city) = _requireActiveNode();
        _attest(request, nodeId, city);
    }

    /// @inheritdoc ICreditLedger
    function multiAttest(AttestationRequest[] calldata requests) external {
        (uint16 nodeId, uint32 city) = _requireActiveNode();
        for (uint256 i = 0; i < requests.length; ++i) {
            _attest(requests[i], nodeId, city);
        }
    }

    /// @inheritdoc ICreditLedger
    function anchorBatch(BatchRequest calldata request) external returns (uint256 batchId) {
        (uint16 nodeId, uint32 city) = _requireActiveNode();
        _checkCategory(request.category);
        if (request.count == 0) revert EmptyBatch();
        if (request.root == bytes32(0)) revert ZeroRoot();
        batchId = ++batchCount;
        _batches[batchId] = Batch({
            root: request.root,
            nodeId: nodeId,
            city: city,
            category: request.category,
            count: request.count,
            anchoredAt: uint64(block.timestamp),
            batchDigest: request.batchDigest
        });
        emit BatchAnchored(batchId, nodeId, request.category, request.root, request.count, request.batchDigest);
    }

    /// @inheritdoc ICreditLedger
    function supersede(SupersedeRequest calldata request) external {
        (uint16 nodeId, uint32 city) = _requireActiveNode();
        _supersede(request, nodeId, city);
    }

    /// @inheritdoc ICreditLedger
    function multiSupersede(SupersedeRequest[] calldata requests) external {
        (uint16 nodeId, uint32 city) = _requireActiveNode();
        for (uint256 i = 0; i < requests.length; ++i) {
            _supersede(requests[i], nodeId, city);
        }
    }

    /// @inheritdoc ICreditLedger
    function revoke(RevocationRequest calldata request) external {
        (uint16 nodeId, uint32 city) = _requireActiveNode();
        _revoke(request, nodeId, city);
    }

    /// @inheritdoc ICreditLedger
    function multiRevoke(RevocationRequest[] calldata requests) external {
        (uint16 nodeId, uint32 city) = _requireActiveNode();
        for (uint256 i = 0; i < requests.length; ++i) {
            _revoke(requests[i], nodeId, city);
        }
    }

    /// @inheritdoc ICreditLedger
    function bindEnterpriseSigner(bytes18 enterprise, address signer) external {
        (uint16 nodeId, uint32 city) = _requireActiveNode();
        _requireHomeCity(enterprise, city);
        if (signer == address(0)) revert ZeroSigner();
        enterpriseSigner[enterprise] = signer;
        emit EnterpriseSignerBound(enterprise, signer, nodeId);
    }

    // ------------------------------------------------------------------ objections

    /// @inheritdoc ICreditLedger
    /// @dev Only the enterprise (the information subject) files here; institutions go through
    /// `fileReportObjection`. The enterprise is checked first: an objection no node can answer (on an invalid code
    /// or an enterprise of a city outside the consortium) would become a permanent overdue mark.
    function fileObjection(
        bytes18 enterprise,
        Category category,
        uint32 version,
        bytes32 reasonDigest
    ) external returns (uint256 objectionId) {
        _homeCity(enterprise);
        if (msg.sender != enterpriseSigner[enterprise]) revert ObjectionNotByEnterprise(msg.sender, enterprise);
        return _fileObjection(enterprise, category, version, reasonDigest);
    }

    /// @inheritdoc ICreditLedger
    function fileReportObjection(ReportObjection calldata r) external returns (uint256 objectionId) {
        uint32 institutionId = _requireActiveInstitution();
        IQueryDesk desk = queryDesk;
        if (address(desk) == address(0)) revert QueryDeskNotBound();
        IQueryDesk.Query memory q = desk.query(r.queryId);
        if (q.status != IQueryDesk.QueryStatus.Fulfilled) revert QueryNotFulfilled(r.queryId, q.status);
        if (q.institution != institutionId) revert NotQueryRequester(r.queryId, q.institution, institutionId);
        if (keccak256(abi.encode(r.reportDigests)) != q.reportsDigest) revert ReportsMismatch(r.queryId);
        bytes32 reportDigest = keccak256(
            abi.encode(r.queryId, q.enterprise, uint8(r.category), r.version, r.recordDigest)
        );
        if (r.reportIndex >= r.reportDigests.length || r.reportDigests[r.reportIndex] != reportDigest) {
            revert ReportNotInQuery(r.queryId, r.reportIndex);
        }
        uint256 earlier = objectionOfReport[reportDigest];
        if (earlier != 0) revert ReportAlreadyObjected(reportDigest, earlier);
        _homeCity(q.enterprise);
        objectionId = _fileObjection(q.enterprise, r.category, r.version, r.reasonDigest);
        objectionOfReport[reportDigest] = objectionId;
        emit ReportObjectionFiled(objectionId, r.queryId, reportDigest, institutionId);
    }

    /// @dev Records an objection on (enterprise, category, version) filed by the caller, whose right to object
    /// and the enterprise's home city the callers have checked.
    function _fileObjection(
        bytes18 enterprise,
        Category category,
        uint32 version,
        bytes32 reasonDigest
    ) private returns (uint256 objectionId) {
        _checkCategory(category);
        uint256 key = _key(enterprise, category);
        uint32 current = _effectiveVersion(key);
        if (version == NO_VERSION || version > current)
            revert UnknownRecordVersion(enterprise, category, version, current);
        objectionId = ++objectionCount;
        uint64 deadline = uint64(block.timestamp) + objectionWindow;
        _objections[objectionId] = Objection({
            enterprise: enterprise,
            category: category,
            version: version,
            status: ObjectionStatus.Open,
            filer: msg.sender,
            filedAt: uint64(block.timestamp),
            deadline: deadline,
            reasonDigest: reasonDigest,
            resolvedAt: 0,
            resolvedBy: 0,
            correctedVersion: NO_VERSION,
            resolutionDigest: bytes32(0)
        });
        ++_disputes[key][version];
        emit ObjectionFiled(objectionId, enterprise, category, version, msg.sender, reasonDigest, deadline);
    }

    /// @inheritdoc ICreditLedger
    /// @dev `Corrected` requires that a newer version was declared first (by `attest` or `supersede`);
    /// `Rejected` removes the dispute flag; `Unconfirmed` keeps the objection on the record.
    function resolveObjection(uint256 objectionId, ObjectionStatus outcome, bytes32 resolutionDigest) external {
        (uint16 nodeId, uint32 city) = _requireActiveNode();
        Objection storage o = _objections[objectionId];
        if (o.status == ObjectionStatus.None) revert UnknownObjection(objectionId);
        _requireHomeCity(o.enterprise, city);
        if (o.status != ObjectionStatus.Open) revert ObjectionNotOpen(objectionId, o.status);
        if (block.timestamp > o.deadline) revert ObjectionDeadlinePassed(objectionId, o.deadline);
        uint256 key = _key(o.enterprise, o.category);
        uint32 corrected = NO_VERSION;
        if (outcome == ObjectionStatus.Corrected) {
            corrected = _effectiveVersion(key);
            if (corrected <= o.version) revert CorrectionMissing(objectionId, o.version, corrected);
            --_disputes[key][o.version];
        } else if (outcome == ObjectionStatus.Rejected) {
            --_disputes[key][o.version];
        } else if (outcome != ObjectionStatus.Unconfirmed) {
            revert InvalidOutcome(outcome);
        }
        o.status = outcome;
        o.resolvedAt = uint64(block.timestamp);
        o.resolvedBy = nodeId;
        o.correctedVersion = corrected;
        o.resolutionDigest = resolutionDigest;
        emit ObjectionResolved(objectionId, outcome, corrected, resolutionDigest, nodeId);
    }

    /// @inheritdoc ICreditLedger
    function objection(uint256 objectionId) external view returns (Objection memory) {
        return _objections[objectionId];
    }

    /// @inheritdoc ICreditLedger
    function isOverdue(uint256 objectionId) external view returns (bool) {
        Objection storage o = _objections[objectionId];
        return o.status == ObjectionStatus.Open && block.timestamp > o.deadline;
    }

    // ------------------------------------------------------------------ reads

    /// @inheritdoc ICreditLedger
    function currentVersion(bytes18 enterprise, Category category) external view returns (uint32) {
        if (category == Category.None || uint8(category) > uint8(Category.FinancingMortgage)) return NO_VERSION;
        return _effectiveVersion(_key(enterprise, category));
    }

    /// @inheritdoc ICreditLedger
    function declaredVersion(bytes18 enterprise, Category category) external view returns (uint32) {
        return _currentVersion[_key(enterprise, category)];
    }

    /// @inheritdoc ICreditLedger
    function batch(uint256 batchId) external view returns (Batch memory) {
        if (batchId == 0 || batchId > batchCount) revert UnknownBatch(batchId);
        return _batches[batchId];
    }

    /// @inheritdoc ICreditLedger
    function revocationReason(bytes18 enterprise, Category category, uint32 version) external view returns (uint16) {
        return _revocationReason[_key(enterprise, category)][version];
    }

    /// @inheritdoc ICreditLedger
    function attestationStatus(
        bytes18 enterprise,
        Category category,
        uint32 version,
        bytes32 digest
    ) external view returns (RecordStatus) {
        uint256 key = _key(enterprise, category);
        if (digest == bytes32(0) || _liveDigest[key][version] != digest) return RecordStatus.NotAnchored;
        return _lifecycleStatus(key, version);
    }

    /// @inheritdoc ICreditLedger
    function verifyRecord(
        uint256 batchId,
        RecordLeaf calldata leaf,
        bytes32[] calldata proof
    ) external view returns (RecordStatus) {
        if (batchId == 0 || batchId > batchCount) revert UnknownBatch(batchId);
        if (proof.length > MAX_PROOF_LENGTH) revert ProofTooLong(proof.length);
        // the same codes as the live path (`attest` validates them): a batch is checked off chain only, so a leaf
        // with a bad character or check character would otherwise verify as a valid record of no enterprise
        USCC.validate(leaf.enterprise);
        Batch storage b = _batches[batchId];
        if (leaf.category != b.category) return RecordStatus.NotAnchored;
        bytes32 leafHash = keccak256(
            bytes.concat(keccak256(abi.encode(leaf.enterprise, uint8(leaf.category), leaf.version, leaf.digest)))
        );
        if (!MerkleProof.verifyCalldata(proof, b.root, leafHash)) return RecordStatus.NotAnchored;
        if (registry.cityOfDivision(USCC.divisionCode(leaf.enterprise)) != b.city) return RecordStatus.WrongCity;
        uint256 key = _key(leaf.enterprise, leaf.category);
        // one version, one content: a version attested live is anchored by its live digest, not by any batch leaf
        if (_liveDigest[key][leaf.version] != bytes32(0)) return RecordStatus.NotAnchored;
        if (leaf.version > _effectiveVersion(key)) return RecordStatus.Undeclared;
        return _lifecycleStatus(key, leaf.version);
    }

    /// @inheritdoc ICreditLedger
    function disputeCount(bytes18 enterprise, Category category, uint32 version) external view returns (uint32) {
        return _disputes[_key(enterprise, category)][version];
    }

    // ------------------------------------------------------------------ internals

    function _key(bytes18 enterprise, Category category) private pure returns (uint256) {
        return (uint256(uint144(enterprise)) << 8) | uint8(category);
    }

    function _effectiveVersion(uint256 key) private view returns (uint32) {
        uint32 v = _currentVersion[key];
        return v == NO_VERSION ? 1 : v;
    }

    function _lifecycleStatus(uint256 key, uint32 version) private view returns (RecordStatus) {
        if (_revocationReason[key][version] != 0) return RecordStatus.Revoked;
        if (version < _effectiveVersion(key)) return RecordStatus.Superseded;
        if (_disputes[key][version] != 0) return RecordStatus.Disputed;
        return RecordStatus.Valid;
    }

    function _checkCategory(Category category) private pure {
        if (category == Category.None) revert InvalidCategory(category);
    }

    /// @dev The home city of a valid USCC of a connected city; reverts with the rule that fails otherwise.
    function _homeCity(bytes18 enterprise) private view returns (uint32 home) {
        USCC.validate(enterprise);
        uint32 division = USCC.divisionCode(enterprise);
        home = registry.cityOfDivision(division);
        if (home == 0) revert EnterpriseCityNotConnected(enterprise, division);
    }

    function _requireHomeCity(bytes18 enterprise, uint32 nodeCity) private view {
        uint32 home = _homeCity(enterprise);
        if (home != nodeCity) revert NotHomeCityNode(enterprise, home, nodeCity);
    }

    /// @dev Raises the declared version of (enterprise, category) to `version`, which must exceed the current one
    /// by at most `MAX_VERSION_STEP` (the current one counts as 1 when none was declared).
    function _declareVersion(
        bytes18 enterprise,
        Category category,
        uint32 version,
        uint32 city
    ) private returns (uint256 key, uint32 previous) {
        _checkCategory(category);
        _requireHomeCity(enterprise, city);
        key = _key(enterprise, category);
        previous = _currentVersion[key];
        if (version <= previous) revert VersionNotIncreasing(enterprise, category, version, previous);
        // in 256 bits: no overflow when previous is 2^32 - 1 (then no version passes the check above anyway)
        uint256 highest = uint256(previous == NO_VERSION ? 1 : previous) + MAX_VERSION_STEP;
        if (version > highest) revert VersionStepTooLarge(enterprise, category, version, uint32(highest));
        _currentVersion[key] = version;
    }

    function _attest(AttestationRequest calldata r, uint16 nodeId, uint32 city) private {
        if (r.digest == bytes32(0)) revert ZeroDigest();
        (uint256 key, ) = _declareVersion(r.enterprise, r.category, r.version, city);
        _liveDigest[key][r.version] = r.digest;
        emit Attested(r.enterprise, r.category, r.version, r.digest, nodeId);
    }

    function _supersede(SupersedeRequest calldata r, uint16 nodeId, uint32 city) private {
        // a batch record is version 1 without any declaration, so the first correction must be above 1
        uint32 floor = _currentVersion[_key(r.enterprise, r.category)] == NO_VERSION ? 1 : 0;
        if (r.version <= floor) revert VersionNotIncreasing(r.enterprise, r.category, r.version, floor);
        (, uint32 previous) = _declareVersion(r.enterprise, r.category, r.version, city);
        emit Superseded(r.enterprise, r.category, previous == NO_VERSION ? 1 : previous, r.version, nodeId);
    }

    function _revoke(RevocationRequest calldata r, uint16 nodeId, uint32 city) private {
        _checkCategory(r.category);
        _requireHomeCity(r.enterprise, city);
        if (r.reason == 0) revert ZeroReason();
        uint256 key = _key(r.enterprise, r.category);
        uint32 current = _effectiveVersion(key);
        if (r.version == NO_VERSION || r.version > current) {
            revert UnknownRecordVersion(r.enterprise, r.category, r.version, current);
        }
        if (_revocationReason[key][r.version] != 0) revert AlreadyRevoked(r.enterprise, r.category, r.version);
        _revocationReason[key][r.version] = r.reason;
        emit Revoked(r.enterprise, r.category, r.version, r.reason, nodeId);
    }
}
