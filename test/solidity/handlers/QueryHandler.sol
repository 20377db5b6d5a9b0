// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsentRegistry} from "../../../contracts/interfaces/IConsentRegistry.sol";
import {IConsortiumRegistry} from "../../../contracts/interfaces/IConsortiumRegistry.sol";
import {IQueryDesk} from "../../../contracts/interfaces/IQueryDesk.sol";
import {IQueryLog} from "../../../contracts/interfaces/IQueryLog.sol";
import {ConsortiumFixture} from "../lib/ConsortiumFixture.sol";
import {LogModel} from "../lib/LogModel.sol";

/// @title QueryHandler
/// @notice Drives the real ConsentRegistry, QueryDesk and QueryLog through random valid and invalid calls:
/// enterprises sign authorizations with random windows, institutions register them, enterprises (or others) revoke
/// them, institutions (active, suspended, frozen, or with a frozen sponsor) request queries, nodes of any city
/// fulfil or deny them, anyone expires them; nodes append entries to their RFC 6962 query logs and commit them
/// honestly, or try to commit a rewritten, truncated or otherwise forged log; the regulator freezes nodes and
/// institutions, sponsors suspend institutions, and time passes. Ghost variables record what the properties forbid.
contract QueryHandler is ConsortiumFixture {
    /// @notice The most entries a node's model log holds (a proof stays short).
    uint256 public constant MAX_LOG = 48;

    address[] internal actors;

    /// @notice Member-gated calls that succeeded for a caller who could not act (ghost; must stay 0).
    uint256 public inactiveSuccesses;
    /// @notice Queries admitted on an authorization that was revoked, expired or not yet valid (ghost; must stay 0).
    uint256 public admittedInvalid;
    /// @notice Forged log commitments (rewritten, truncated, replaced or badly proven) accepted (ghost; must stay 0).
    uint256 public forgedAccepted;
    mapping(bytes32 action => uint256) public successes;
    /// @notice Attempts the properties are about (to show the campaign tried them): forged commitments, and
    /// requests on a revoked or out-of-window authorization.
    uint256 public forgedTried;
    uint256 public invalidRequestsTried;

    /// @dev A step counter: orders revocations and requests that share a block time.
    uint256 internal _step;
    bytes32[] internal _authorizations;
    mapping(bytes32 id => uint256 step) public revokedAtStep;
    mapping(uint256 queryId => uint256 step) public requestedAtStep;

    /// @dev Each node's query log as the node keeps it (append-only), and the commitments it made.
    mapping(uint16 nodeId => bytes32[]) internal _log;
    mapping(uint16 nodeId => IQueryLog.Commitment[]) internal _commitments;

    constructor() {
        _deployConsortium();
        for (uint256 i = 1; i <= NODES; ++i) actors.push(nodeOperator(i));
        for (uint256 i = 1; i <= INSTITUTIONS; ++i) actors.push(institutionSigner(i));
        for (uint256 e = 0; e < ENTERPRISES; ++e) actors.push(vm.addr(enterpriseKey(e)));
        actors.push(regulator);
        actors.push(vm.addr(0xF000)); // an outsider
        vm.warp(1_700_000_000);
    }

    // ------------------------------------------------------------------ authorizations and queries

    function registerAuthorization(
        uint256 actorSeed,
        uint256 enterpriseSeed,
        uint32 institutionSeed,
        uint8 purposeSeed,
        uint8 categoriesSeed,
        uint64 startSeed,
        uint64 lengthSeed
    ) external {
        uint32 institution = uint32(1 + (institutionSeed % INSTITUTIONS));
        uint256 e = enterpriseSeed % ENTERPRISES;
        IConsentRegistry.Authorization memory a = IConsentRegistry.Authorization({
            enterprise: enterprises[e],
            institution: institution,
            purpose: IConsentRegistry.Purpose(1 + (purposeSeed % 4)),
            categories: uint8(2 + 2 * (categoriesSeed % 7)), // a non-empty subset of {2, 4, 8}
            notBefore: uint64(block.timestamp) + (startSeed % 3 days) - 1 days,
            notAfter: 0,
            nonce: ++_step
        });
        a.notAfter = a.notBefore + 1 + (lengthSeed % 4 days);
        bytes memory signature = signAuthorization(a, enterpriseKey(e));
        address actor = actorSeed % 4 == 0 ? _actor(actorSeed) : institutionSigner(institution);
        bool active = isActiveInstitutionAccount(actor);
        vm.prank(actor);
        try consents.registerAuthorization(a, signature) returns (bytes32 id) {
            _succeeded("registerAuthorization", active);
            _authorizations.push(id);
        } catch {}
    }

    /// @dev By the enterprise's signer (usually) or by anyone else.
    function revokeAuthorization(uint256 actorSeed, uint256 authorizationSeed) external {
        if (_authorizations.length == 0) return;
        bytes32 id = _authorizations[authorizationSeed % _authorizations.length];
        bytes18 enterprise = consents.consent(id).enterprise;
        address actor = actorSeed % 4 == 0 ? _actor(actorSeed) : ledger.enterpriseSigner(enterprise);
        bool mayRevoke = actor == ledger.enterpriseSigner(enterprise);
        vm.prank(actor);
        try consents.revokeAuthorization(id) {
            _succeeded("revokeAuthorization", mayRevoke);
            revokedAtStep[id] = ++_step;
        } catch {}
    }

    /// @dev Asks what an authorization allows (mostly), by the institution it names (mostly).
    function requestQuery(uint256 actorSeed, uint256 authorizationSeed, uint8 mismatchSeed) external {
        if (_authorizations.length == 0) return;
        bytes32 id = _authorizations[authorizationSeed % _authorizations.length];
        IConsentRegistry.Consent memory c = consents.consent(id);
        IQueryDesk.QueryRequest memory r = IQueryDesk.QueryRequest({
            enterprise: c.enterprise,
            categories: c.categories,
            purpose: c.purpose,
            authorizationId: id
        });
        if (mismatchSeed % 8 == 1) r.categories = 0x0E;
        if (mismatchSeed % 8 == 2) r.purpose = IConsentRegistry.Purpose(1 + (uint8(c.purpose) % 4));
        if (mismatchSeed % 8 == 3) r.enterprise = enterprises[mismatchSeed % ENTERPRISES];
        address actor = actorSeed % 4 == 0 ? _actor(actorSeed) : institutionSigner(c.institution);
        bool active = isActiveInstitutionAccount(actor);
        bool valid = revokedAtStep[id] == 0 && block.timestamp >= c.notBefore && block.timestamp <= c.notAfter;
        if (!valid) ++invalidRequestsTried;
        vm.prank(actor);
        try desk.requestQuery(r) returns (uint256 queryId) {
            _succeeded("requestQuery", active);
            if (!valid) ++admittedInvalid;
            requestedAtStep[queryId] = ++_step;
        } catch {}
    }

    /// @dev A node (usually of the serving city) fulfils or denies a query.
    function answerQuery(uint256 actorSeed, uint256 querySeed, bool fulfil) external {
        uint256 count = desk.queryCount();
        if (count == 0) return;
        uint256 queryId = 1 + (querySeed % count);
        address actor =
            actorSeed % 4 == 0 ? _actor(actorSeed) : _nodeOfCity(desk.query(queryId).servingCity, actorSeed);
        bool active = isActiveNodeAccount(actor);
        vm.prank(actor);
        if (fulfil) {
            bytes32[] memory reports = new bytes32[](1 + (querySeed % 3));
            for (uint256 i = 0; i < reports.length; ++i) reports[i] = keccak256(abi.encode(queryId, i));
            try desk.fulfilQuery(queryId, reports) {
                _succeeded("fulfilQuery", active);
            } catch {}
        } else {
            try desk.denyQuery(queryId, uint16(1 + (querySeed % 5))) {
                _succeeded("denyQuery", active);
            } catch {}
        }
    }

    /// @dev Anyone may expire an unanswered query after its deadline.
    function expireQuery(uint256 actorSeed, uint256 querySeed) external {
        uint256 count = desk.queryCount();
        if (count == 0) return;
        vm.prank(_actor(actorSeed));
        try desk.expireQuery(1 + (querySeed % count)) {
            ++successes["expireQuery"];
        } catch {}
    }

    // ------------------------------------------------------------------ query logs

    /// @dev Node `nodeSeed` appends 0-4 entries to its log and commits the whole log with a consistency proof from
    /// its previous commitment. Refused when the node cannot act (or nothing was appended).
    function commitLog(uint256 nodeSeed, uint256 appendSeed) external {
        uint16 nodeId = uint16(1 + (nodeSeed % NODES));
        bytes32[] storage log = _log[nodeId];
        for (uint256 i = 0; i < appendSeed % 5 && log.length < MAX_LOG; ++i) {
            log.push(keccak256(abi.encode(nodeId, log.length, appendSeed)));
        }
        if (log.length == 0) return;
        bytes32[] memory leaves = log;
        IQueryLog.Commitment[] storage made = _commitments[nodeId];
        uint256 previous = made.length == 0 ? 0 : made[made.length - 1].size;
        bytes32 root = LogModel.root(leaves, 0, leaves.length);
        bytes32[] memory proof =
            previous == 0 || previous == leaves.length
                ? new bytes32[](0)
                : LogModel.consistencyProof(leaves, previous, leaves.length);
        address actor = nodeOperator(nodeId);
        bool active = isActiveNodeAccount(actor);
        vm.prank(actor);
        try queryLog.commitLog(uint64(leaves.length), root, proof) {
            _succeeded("commitLog", active);
            made.push(
                IQueryLog.Commitment({size: uint64(leaves.length), root: root, committedAt: uint64(block.timestamp)})
            );
        } catch {}
    }

    /// @dev An active node tries to commit a log that does not extend its last commitment: an entry rewritten or
    /// dropped (with a proof made from the forged log), the log cut short, the same size with another head, or the
    /// honest head with a damaged proof. Every one must be refused.
    function commitForged(uint256 nodeSeed, uint8 modeSeed, uint256 indexSeed) external {
        uint16 nodeId = uint16(1 + (nodeSeed % NODES));
        IQueryLog.Commitment[] storage made = _commitments[nodeId];
        if (made.length == 0 || !isActiveNodeAccount(nodeOperator(nodeId))) return;
        uint256 committed = made[made.length - 1].size;
        bytes32[] memory honest = _log[nodeId];
        uint256 mode = modeSeed % 5;
        uint256 size;
        bytes32 root;
        bytes32[] memory proof;
        if (mode <= 1) {
            // rewrite (0) or drop (1) a committed entry, then extend: the forger proves against its own log
            bytes32[] memory forged = new bytes32[](committed + 1 + (indexSeed % 3));
            uint256 at = indexSeed % committed;
            for (uint256 i = 0; i < forged.length; ++i) {
                uint256 from = mode == 1 && i >= at ? i + 1 : i;
                forged[i] = from < honest.length ? honest[from] : keccak256(abi.encode("forged", nodeId, i));
            }
            if (mode == 0) forged[at] = keccak256(abi.encode("rewritten", forged[at]));
            size = forged.length;
            root = LogModel.root(forged, 0, size);
            proof = LogModel.consistencyProof(forged, committed, size);
        } else if (mode == 2) {
            // cut short
            if (committed < 2) return;
            size = 1 + (indexSeed % (committed - 1));
            root = LogModel.root(honest, 0, size);
        } else if (mode == 3) {
            // the same size again, another head
            size = committed;
            root = keccak256(abi.encode("other head", indexSeed));
        } else {
            // the honest extension with one proof hash damaged
            if (honest.length <= committed) return;
            size = honest.length;
            root = LogModel.root(honest, 0, size);
            proof = LogModel.consistencyProof(honest, committed, size);
            proof[indexSeed % proof.length] ^= bytes32(uint256(1));
        }
        ++forgedTried;
        vm.prank(nodeOperator(nodeId));
        try queryLog.commitLog(uint64(size), root, proof) {
            ++forgedAccepted;
        } catch {}
    }

    // ------------------------------------------------------------------ membership changes and time

    function setNodeFrozen(uint256 nodeSeed, bool frozen) external {
        vm.prank(regulator);
        try registry.setNodeFrozen(uint16(1 + (nodeSeed % NODES)), frozen) {} catch {}
    }

    function setInstitutionFrozen(uint256 institutionSeed, bool frozen) external {
        vm.prank(regulator);
        try registry.setInstitutionFrozen(uint32(1 + (institutionSeed % INSTITUTIONS)), frozen) {} catch {}
    }

    /// @dev The sponsor suspends or reinstates one of its institutions.
    function setInstitutionStatus(uint256 institutionSeed, bool suspend) external {
        uint32 id = uint32(1 + (institutionSeed % INSTITUTIONS));
        address sponsor = nodeOperator(registry.institution(id).sponsor);
        IConsortiumRegistry.InstitutionStatus status =
            suspend ? IConsortiumRegistry.InstitutionStatus.Suspended : IConsortiumRegistry.InstitutionStatus.Active;
        vm.prank(sponsor);
        try registry.setInstitutionStatus(id, status) {} catch {}
    }

    /// @dev Time passes (up to 2 days; authorizations last up to 4, queries must be answered within 1).
    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + (secondsSeed % 2 days));
    }

    // ------------------------------------------------------------------ views for the invariants

    function logOf(uint16 nodeId) external view returns (bytes32[] memory) {
        return _log[nodeId];
    }

    function commitmentsOf(uint16 nodeId) external view returns (IQueryLog.Commitment[] memory) {
        return _commitments[nodeId];
    }

    // ------------------------------------------------------------------ internals

    function _actor(uint256 seed) internal view returns (address) {
        return actors[(seed >> 2) % actors.length];
    }

    /// @dev Operator of a node of `city` (nodes 2c+1, 2c+2 serve city index c).
    function _nodeOfCity(uint32 city, uint256 seed) internal view returns (address) {
        for (uint256 c = 0; c < cityCodes.length; ++c) {
            if (cityCodes[c] == city) return homeNodeOperator(c, seed % 2);
        }
        return _actor(seed);
    }

    function _succeeded(bytes32 action, bool callerMayAct) internal {
        ++successes[action];
        if (!callerMayAct) ++inactiveSuccesses;
    }
}
