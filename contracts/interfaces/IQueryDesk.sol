// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsentRegistry} from "./IConsentRegistry.sol";
import {IConsortiumMember} from "./IConsortiumMember.sol";
import {IHomeCityErrors} from "./IHomeCityErrors.sol";

/// @title Query desk: live, one-transaction-per-step credit queries. An active institution requests a query with
/// the enterprise's authorization; a node of the enterprise's home city fulfils it with the digests of the
/// reports it delivers off chain, or denies it with a reason; a request not served in time expires.
/// @notice Every rule is checked at the moment of the call (institution and its sponsor active, authorization
/// registered, not revoked, in its time window, for this institution, purpose and categories). The errors of
/// `IConsentRegistry.checkAuthorization` and of the registry bubble up unchanged.
interface IQueryDesk is IConsortiumMember, IHomeCityErrors {
    // ------------------------------------------------------------------ types

    /// @notice Lifecycle of a query. `None` means "no such query".
    enum QueryStatus {
        None,
        Requested,
        Fulfilled,
        Denied,
        Expired
    }

    /// @notice What an institution asks for.
    struct QueryRequest {
        bytes18 enterprise; // USCC of the enterprise queried
        uint8 categories; // bit mask of record categories: 1 << category
        IConsentRegistry.Purpose purpose; // declared purpose, must match the authorization
        bytes32 authorizationId; // the registered authorization (its EIP-712 digest)
    }

    /// @notice A query as the desk keeps it.
    struct Query {
        bytes18 enterprise; // USCC of the enterprise queried
        uint32 institution; // requesting institution
        uint16 requesterNode; // the institution's sponsoring node
        uint32 servingCity; // the enterprise's home city: only its nodes serve the query
        uint8 categories; // bit mask of record categories: 1 << category
        IConsentRegistry.Purpose purpose; // declared purpose
        QueryStatus status; // Requested until fulfilled, denied or expired
        uint16 servedBy; // node id that fulfilled or denied it
        uint64 requestedAt; // block time of the request
        uint64 deadline; // after this the request expires
        bytes32 authorizationId; // the registered authorization (its EIP-712 digest)
        bytes32 reportsDigest; // Fulfilled: keccak256(abi.encode(reportDigests)); Denied: 0
    }

    // ------------------------------------------------------------------ errors

    /// @notice No query has this id.
    /// @param queryId the id given.
    error UnknownQuery(uint256 queryId);
    /// @notice The query is no longer pending.
    /// @param queryId the query.
    /// @param status its status.
    error QueryNotPending(uint256 queryId, QueryStatus status);
    /// @notice The deadline to serve the query has passed.
    /// @param queryId the query.
    /// @param deadline its deadline.
    error QueryDeadlinePassed(uint256 queryId, uint64 deadline);
    /// @notice The query can still be served, so it cannot expire yet.
    /// @param queryId the query.
    /// @param deadline its deadline.
    error QueryNotYetExpired(uint256 queryId, uint64 deadline);
    /// @notice The calling node is not of the query's serving city.
    /// @param queryId the query.
    /// @param servingCity the enterprise's home city.
    /// @param nodeCity the calling node's city.
    error NotServingNode(uint256 queryId, uint32 servingCity, uint32 nodeCity);
    /// @notice A fulfilment without report digests.
    error NoReports();
    /// @notice A fulfilment with more than `MAX_REPORTS` report digests.
    /// @param count the number given.
    error TooManyReports(uint256 count);
    /// @notice A service window of 0 seconds given at deployment.
    error ZeroServiceWindow();

    // ------------------------------------------------------------------ events

    /// @notice An institution requested a query.
    /// @param queryId the new query's id.
    /// @param enterprise USCC of the enterprise queried.
    /// @param institution the requesting institution.
    /// @param requesterNode the institution's sponsoring node.
    /// @param servingCity the enterprise's home city, whose nodes serve the query.
    /// @param categories bit mask of the categories queried.
    /// @param purpose the declared purpose.
    /// @param authorizationId the authorization it relies on.
    /// @param crossCity whether the requester node's city differs from the serving city.
    event QueryRequested(
        uint256 indexed queryId,
        bytes18 indexed enterprise,
        uint32 indexed institution,
        uint16 requesterNode,
        uint32 servingCity,
        uint8 categories,
        IConsentRegistry.Purpose purpose,
        bytes32 authorizationId,
        bool crossCity
    );
    /// @notice A node of the serving city delivered the query.
    /// @param queryId the query.
    /// @param nodeId the serving node.
    /// @param reportDigests digests of the reports delivered off chain.
    event QueryFulfilled(uint256 indexed queryId, uint16 indexed nodeId, bytes32[] reportDigests);
    /// @notice A node of the serving city refused the query.
    /// @param queryId the query.
    /// @param nodeId the refusing node.
    /// @param reason the reason code.
    event QueryDenied(uint256 indexed queryId, uint16 indexed nodeId, uint16 reason);
    /// @notice A request was not served before its deadline.
    /// @param queryId the query.
    event QueryExpired(uint256 indexed queryId);

    // ------------------------------------------------------------------ constants and settings

    /// @notice Most report digests one fulfilment may carry.
    /// @return The limit, 32.
    function MAX_REPORTS() external view returns (uint256);

    /// @notice The consent registry that holds authorizations.
    /// @return The consent registry, fixed at deployment.
    function consents() external view returns (IConsentRegistry);

    /// @notice Seconds a serving node has to answer a request.
    /// @return The window in seconds, set at deployment.
    function serviceWindow() external view returns (uint64);

    /// @notice Number of queries ever requested; query ids run from 1 to this number.
    /// @return The number of queries.
    function queryCount() external view returns (uint256);

    // ------------------------------------------------------------------ steps

    /// @notice An active institution requests a query under a registered authorization.
    /// @param request the enterprise, categories, purpose and authorization.
    /// @return queryId the new query's id (1-based).
    function requestQuery(QueryRequest calldata request) external returns (uint256 queryId);

    /// @notice A node of the enterprise's home city delivers the query: the digests of the reports sent off chain.
    /// @param queryId the query.
    /// @param reportDigests digests of the reports, 1 to `MAX_REPORTS` of them.
    function fulfilQuery(uint256 queryId, bytes32[] calldata reportDigests) external;

    /// @notice A node of the enterprise's home city refuses the query with a reason code.
    /// @param queryId the query.
    /// @param reason the reason code, not 0.
    function denyQuery(uint256 queryId, uint16 reason) external;

    /// @notice Anyone marks a request that was not served before its deadline as expired.
    /// @param queryId the query.
    function expireQuery(uint256 queryId) external;

    /// @notice The query with id `queryId` (status `None` when unknown).
    /// @param queryId the query.
    /// @return The query.
    function query(uint256 queryId) external view returns (Query memory);
}
