// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ConsentRegistry} from "../../contracts/ConsentRegistry.sol";
import {QueryDesk} from "../../contracts/QueryDesk.sol";
import {QueryLog} from "../../contracts/QueryLog.sol";
import {IConsentRegistry} from "../../contracts/interfaces/IConsentRegistry.sol";
import {IQueryDesk} from "../../contracts/interfaces/IQueryDesk.sol";
import {IQueryLog} from "../../contracts/interfaces/IQueryLog.sol";
import {QueryHandler} from "./handlers/QueryHandler.sol";
import {InvariantTest} from "./lib/InvariantTest.sol";
import {LogModel} from "./lib/LogModel.sol";

/// @title QueryInvariants
/// @notice Invariants of authorizations, queries and query logs under random sequences of calls by every kind of
/// actor, with forged log commitments, freezes, suspensions and time passing (see `QueryHandler`).
contract QueryInvariants is InvariantTest {
    QueryHandler internal handler;
    ConsentRegistry internal consents;
    QueryDesk internal desk;
    QueryLog internal queryLog;

    function setUp() public {
        handler = new QueryHandler();
        consents = handler.consents();
        desk = handler.desk();
        queryLog = handler.queryLog();
        bytes4[] memory s = new bytes4[](11);
        s[0] = QueryHandler.registerAuthorization.selector;
        s[1] = QueryHandler.revokeAuthorization.selector;
        s[2] = QueryHandler.requestQuery.selector;
        s[3] = QueryHandler.answerQuery.selector;
        s[4] = QueryHandler.expireQuery.selector;
        s[5] = QueryHandler.commitLog.selector;
        s[6] = QueryHandler.commitForged.selector;
        s[7] = QueryHandler.setNodeFrozen.selector;
        s[8] = QueryHandler.setInstitutionFrozen.selector;
        s[9] = QueryHandler.setInstitutionStatus.selector;
        s[10] = QueryHandler.warp.selector;
        targetActions(address(handler), s);
    }

    /// @notice Only active members change state: no authorization registered, query requested, fulfilled, denied
    /// or log committed by a caller that could not act (an institution suspended, frozen or with a sponsor that
    /// cannot act; a node suspended or frozen), and no authorization revoked but by its enterprise's signer.
    function invariant_onlyActiveMembersChangeState() public view {
        assertEq(handler.inactiveSuccesses(), 0, "member-gated calls that succeeded for a caller who could not act");
    }

    /// @notice A revoked or expired authorization never admits a query: every query on the desk was requested
    /// within its authorization's window, before any revocation, for that enterprise, institution and purpose and
    /// within its categories.
    function invariant_revokedOrExpiredAuthorizationNeverAdmitsAQuery() public view {
        assertEq(handler.admittedInvalid(), 0, "queries admitted on a revoked, expired or not yet valid authorization");
        uint256 count = desk.queryCount();
        for (uint256 id = 1; id <= count; ++id) {
            IQueryDesk.Query memory q = desk.query(id);
            IConsentRegistry.Consent memory c = consents.consent(q.authorizationId);
            assertGe(q.requestedAt, c.notBefore, "query before its authorization's window");
            assertGe(c.notAfter, q.requestedAt, "query after its authorization expired");
            uint256 revoked = handler.revokedAtStep(q.authorizationId);
            assertTrue(revoked == 0 || revoked > handler.requestedAtStep(id), "query on a revoked authorization");
            assertEq(bytes32(q.enterprise), bytes32(c.enterprise), "query enterprise");
            assertEq(q.institution, c.institution, "query institution");
            assertEq(uint8(q.purpose), uint8(c.purpose), "query purpose");
            assertEq(q.categories & ~c.categories, 0, "query categories outside the authorization");
        }
    }

    /// @notice A committed query log never shrinks or changes: each node's commitments on chain are exactly the
    /// honest ones it made, in order, with growing sizes, and each head is the RFC 6962 head of the first `size`
    /// entries of the node's append-only log; no forged commitment was ever accepted.
    function invariant_committedQueryLogNeverShrinksOrChanges() public view {
        assertEq(handler.forgedAccepted(), 0, "forged log commitments accepted");
        for (uint16 n = 1; n <= 7; ++n) {
            IQueryLog.Commitment[] memory made = handler.commitmentsOf(n);
            bytes32[] memory log = handler.logOf(n);
            assertEq(queryLog.commitmentCount(n), made.length, "commitments on chain");
            uint64 previous = 0;
            for (uint256 i = 0; i < made.length; ++i) {
                IQueryLog.Commitment memory c = queryLog.commitment(n, i);
                assertEq(c.size, made[i].size, "committed size changed");
                assertEq(c.root, made[i].root, "committed head changed");
                assertEq(c.committedAt, made[i].committedAt, "commitment time changed");
                assertTrue(c.size > previous, "committed log did not grow");
                assertEq(c.root, LogModel.root(log, 0, c.size), "head is not that of the log's first entries");
                previous = c.size;
            }
        }
    }
}
