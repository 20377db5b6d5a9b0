// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ConsortiumMember} from "./ConsortiumMember.sol";
import {IConsentRegistry} from "./interfaces/IConsentRegistry.sol";
import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";
import {IQueryDesk} from "./interfaces/IQueryDesk.sol";
import {USCC} from "./libraries/USCC.sol";

/// @title QueryDesk
/// @notice Live credit queries across cities: every rule is checked at the moment of the call (institution and
/// its sponsor active, authorization registered, not revoked, in its time window, for this institution, purpose
/// and categories). The serving node is a node of the enterprise's home city, often not the requester's.
/// @dev Each step is one transaction with an event, so the chain alone tells who asked what, when, why, with
/// whose permission, and who answered. Off-chain counterpart: `src/query/`.
contract QueryDesk is IQueryDesk, ConsortiumMember {
    /// @inheritdoc IQueryDesk
    uint256 public constant MAX_REPORTS = 32;

    /// @inheritdoc IQueryDesk
    IConsentRegistry public immutable consents;
    /// @inheritdoc IQueryDesk
    uint64 public immutable serviceWindow;

    mapping(uint256 queryId => Query) private _queries;
    /// @inheritdoc IQueryDesk
    uint256 public queryCount;

    /// @notice Deploys the query desk with a fixed service window and binds it to the credit ledger.
    /// @param registry_ the consortium registry.
    /// @param consents_ the consent registry that holds authorizations.
    /// @param serviceWindow_ seconds a serving node has to answer a request.
    /// @dev Binds itself to the consent registry's credit ledger (`ICreditLedger.bindQueryDesk`), which accepts
    /// it once and only in a transaction sent by the ledger's deployer: the ledger then knows which queries were
    /// fulfilled, the only ground on which an institution may object to a record. Needs no extra deployment step.
    constructor(
        IConsortiumRegistry registry_,
        IConsentRegistry consents_,
        uint64 serviceWindow_
    ) ConsortiumMember(registry_) {
        if (serviceWindow_ == 0) revert ZeroServiceWindow();
        consents = consents_;
        serviceWindow = serviceWindow_;
        consents_.ledger().bindQueryDesk();
    }

    /// @inheritdoc IQueryDesk
    function requestQuery(QueryRequest calldata r) external returns (uint256 queryId) {
        uint32 institutionId = _requireActiveInstitution();
        consents.checkAuthorization(r.authorizationId, r.enterprise, institutionId, r.purpose, r.categories);
        uint32 division = USCC.divisionCode(r.enterprise);
        uint32 servingCity = registry.cityOfDivision(division);
        if (servingCity == 0) revert EnterpriseCityNotConnected(r.enterprise, division);
        uint16 requesterNode = registry.institution(institutionId).sponsor;
        queryId = ++queryCount;
        uint64 deadline = uint64(block.timestamp) + serviceWindow;
        _queries[queryId] = Query({
            enterprise: r.enterprise,
            institution: institutionId,
            requesterNode: requesterNode,
            servingCity: servingCity,
            categories: r.categories,
            purpose: r.purpose,
            status: QueryStatus.Requested,
            servedBy: 0,
            requestedAt: uint64(block.timestamp),
            deadline: deadline,
            authorizationId: r.authorizationId,
            reportsDigest: bytes32(0)
        });
        bool crossCity = registry.node(requesterNode).city != servingCity;
        emit QueryRequested(
            queryId,
            r.enterprise,
            institutionId,
            requesterNode,
            servingCity,
            r.categories,
            r.purpose,
            r.authorizationId,
            crossCity
        );
    }

    /// @inheritdoc IQueryDesk
    function fulfilQuery(uint256 queryId, bytes32[] calldata reportDigests) external {
        if (reportDigests.length == 0) revert NoReports();
        if (reportDigests.length > MAX_REPORTS) revert TooManyReports(reportDigests.length);
        (Query storage q, uint16 nodeId) = _serve(queryId);
        q.status = QueryStatus.Fulfilled;
        q.servedBy = nodeId;
        q.reportsDigest = keccak256(abi.encode(reportDigests));
        emit QueryFulfilled(queryId, nodeId, reportDigests);
    }

    /// @inheritdoc IQueryDesk
    function denyQuery(uint256 queryId, uint16 reason) external {
        if (reason == 0) revert ZeroReason();
        (Query storage q, uint16 nodeId) = _serve(queryId);
        q.status = QueryStatus.Denied;
        q.servedBy = nodeId;
        emit QueryDenied(queryId, nodeId, reason);
    }

    /// @inheritdoc IQueryDesk
    function expireQuery(uint256 queryId) external {
        Query storage q = _pending(queryId);
        if (block.timestamp <= q.deadline) revert QueryNotYetExpired(queryId, q.deadline);
        q.status = QueryStatus.Expired;
        emit QueryExpired(queryId);
    }

    /// @inheritdoc IQueryDesk
    function query(uint256 queryId) external view returns (Query memory) {
        return _queries[queryId];
    }

    function _pending(uint256 queryId) private view returns (Query storage q) {
        q = _queries[queryId];
        if (q.status == QueryStatus.None) revert UnknownQuery(queryId);
        if (q.status != QueryStatus.Requested) revert QueryNotPending(queryId, q.status);
    }

    /// @dev Checks that the caller is an active node of the query's serving city and the query is still open.
    function _serve(uint256 queryId) private view returns (Query storage q, uint16 nodeId) {
        uint32 city;
        (nodeId, city) = _requireActiveNode();
        q = _pending(queryId);
        if (city != q.servingCity) revert NotServingNode(queryId, q.servingCity, city);
        if (block.timestamp > q.deadline) revert QueryDeadlinePassed(queryId, q.deadline);
    }
}
