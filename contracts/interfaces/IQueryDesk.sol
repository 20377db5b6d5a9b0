// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsentRegistry} from "./IConsentRegistry.sol";

/// @title Query desk: live, one-transaction-per-step credit queries. An active institution requests a query with
/// the enterprise's authorization; a node of the enterprise's home city fulfils it with the digests of the
/// reports it delivers off chain, or denies it with a reason; a request not served in time expires.
interface IQueryDesk {
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

    struct Query {
        bytes18 enterprise;
        uint32 institution; // requesting institution
        uint16 requesterNode; // the institution's sponsoring node
        uint32 servingCity; // the enterprise's home city: only its nodes serve the query
        uint8 categories;
        IConsentRegistry.Purpose purpose;
        QueryStatus status;
        uint16 servedBy; // node id that fulfilled or denied it
        uint64 requestedAt;
        uint64 deadline; // after this the request expires
        bytes32 authorizationId;
        bytes32 reportsDigest; // Fulfilled: keccak256(abi.encode(reportDigests)); Denied: 0
    }

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
    event QueryFulfilled(uint256 indexed queryId, uint16 indexed nodeId, bytes32[] reportDigests);
    event QueryDenied(uint256 indexed queryId, uint16 indexed nodeId, uint16 reason);
    event QueryExpired(uint256 indexed queryId);

    /// @notice An active institution requests a query under a registered authorization; returns the query id.
    function requestQuery(QueryRequest calldata request) external returns (uint256 queryId);

    /// @notice A node of the enterprise's home city delivers the query: the digests of the reports sent off chain.
    function fulfilQuery(uint256 queryId, bytes32[] calldata reportDigests) external;

    /// @notice A node of the enterprise's home city refuses the query with a reason code.
    function denyQuery(uint256 queryId, uint16 reason) external;

    /// @notice Anyone marks a request that was not served before its deadline as expired.
    function expireQuery(uint256 queryId) external;
}
