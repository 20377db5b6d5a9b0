// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ICreditLedger} from "../../../contracts/interfaces/ICreditLedger.sol";
import {ConsortiumFixture} from "../lib/ConsortiumFixture.sol";

/// @title LedgerHandler
/// @notice Drives the real CreditLedger through random valid and invalid calls — live attestations and
/// supersessions with versions around the current one, batches, revocations, objections by enterprises and by
/// others, resolutions with every outcome — by random actors (nodes of every city, frozen or not, institutions,
/// enterprises, the regulator, an outsider), while the regulator freezes and unfreezes nodes and time passes.
/// After each call it compares every record's version with the last one seen; ghost counters record what the
/// properties forbid.
contract LedgerHandler is ConsortiumFixture {
    address[] internal actors;

    /// @notice Node-gated ledger writes that succeeded for a caller that was not an active, unfrozen node, or
    /// objections filed by someone other than the enterprise's bound signer (ghost; must stay 0).
    uint256 public inactiveSuccesses;
    /// @notice Writes about an enterprise that succeeded for a node of another city (ghost; must stay 0).
    uint256 public wrongCitySuccesses;
    /// @notice Times a record's version went down, or up by more than one step in one call (ghost; must stay 0).
    uint256 public versionDecreases;
    uint256 public versionJumps;
    /// @notice Resolutions refused to an active home-city node before the deadline with Rejected or Unconfirmed
    /// (ghost; must stay 0).
    uint256 public refusedInTime;
    /// @notice Open objections whose home city had no node able to act at some point (seen, not a failure:
    /// the regulator and governance may stop every node of a city; see the test's note).
    uint256 public citiesWithoutActiveNode;
    mapping(bytes32 action => uint256) public successes;

    mapping(uint256 key => uint32) internal _lastVersion;
    mapping(uint256 key => uint32) internal _lastDeclared;

    constructor() {
        _deployConsortium();
        for (uint256 i = 1; i <= NODES; ++i) actors.push(nodeOperator(i));
        for (uint256 i = 1; i <= INSTITUTIONS; ++i) actors.push(institutionSigner(i));
        for (uint256 e = 0; e < ENTERPRISES; ++e) actors.push(vm.addr(enterpriseKey(e)));
        actors.push(regulator);
        actors.push(vm.addr(0xF000)); // an outsider
        _recordVersions();
    }

    // ------------------------------------------------------------------ actions

    function attest(uint256 actorSeed, uint256 enterpriseSeed, uint256 categorySeed, uint256 stepSeed) external {
        (address actor, bytes18 e, ICreditLedger.Category c) = _pick(actorSeed, enterpriseSeed, categorySeed);
        uint32 version = _aroundCurrent(e, c, stepSeed);
        (bool active, bool home) = _may(actor, e);
        vm.prank(actor);
        try ledger.attest(ICreditLedger.AttestationRequest(e, c, version, keccak256(abi.encode(stepSeed)))) {
            _succeeded("attest", active, home);
        } catch {}
        _afterCall();
    }

    function supersede(uint256 actorSeed, uint256 enterpriseSeed, uint256 categorySeed, uint256 stepSeed) external {
        (address actor, bytes18 e, ICreditLedger.Category c) = _pick(actorSeed, enterpriseSeed, categorySeed);
        uint32 version = _aroundCurrent(e, c, stepSeed);
        (bool active, bool home) = _may(actor, e);
        vm.prank(actor);
        try ledger.supersede(ICreditLedger.SupersedeRequest(e, c, version)) {
            _succeeded("supersede", active, home);
        } catch {}
        _afterCall();
    }

    function anchorBatch(uint256 actorSeed, uint256 categorySeed, bytes32 root, uint32 count) external {
        address actor = actors[actorSeed % actors.length];
        bool active = isActiveNodeAccount(actor);
        vm.prank(actor);
        try ledger.anchorBatch(ICreditLedger.BatchRequest(category(categorySeed), root, count, root)) {
            _succeeded("anchorBatch", active, true);
        } catch {}
        _afterCall();
    }

    function revoke(uint256 actorSeed, uint256 enterpriseSeed, uint256 categorySeed, uint256 versionSeed) external {
        (address actor, bytes18 e, ICreditLedger.Category c) = _pick(actorSeed, enterpriseSeed, categorySeed);
        uint32 version = uint32(versionSeed % (ledger.currentVersion(e, c) + 2));
        (bool active, bool home) = _may(actor, e);
        vm.prank(actor);
        try ledger.revoke(ICreditLedger.RevocationRequest(e, c, version, uint16(1 + (versionSeed % 3)))) {
            _succeeded("revoke", active, home);
        } catch {}
        _afterCall();
    }

    /// @dev By the enterprise's signer (usually) or by anyone else.
    function fileObjection(
        uint256 actorSeed,
        uint256 enterpriseSeed,
        uint256 categorySeed,
        uint256 versionSeed,
        bool bySigner
    ) external {
        (address actor, bytes18 e, ICreditLedger.Category c) = _pick(actorSeed, enterpriseSeed, categorySeed);
        if (bySigner) actor = ledger.enterpriseSigner(e);
        uint32 version = uint32(versionSeed % (ledger.currentVersion(e, c) + 2));
        bool mayObject = actor == ledger.enterpriseSigner(e);
        vm.prank(actor);
        try ledger.fileObjection(e, c, version, bytes32(versionSeed)) {
            _succeeded("fileObjection", mayObject, true);
        } catch {}
        _afterCall();
    }

    function resolveObjection(uint256 actorSeed, uint256 objectionSeed, uint8 outcomeSeed) external {
        uint256 count = ledger.objectionCount();
        if (count == 0) return;
        uint256 id = 1 + (objectionSeed % count);
        ICreditLedger.Objection memory o = ledger.objection(id);
        address actor = actorSeed % 4 == 0 ? actors[(actorSeed >> 2) % actors.length] : activeHomeNode(o.enterprise);
        if (actor == address(0)) actor = actors[(actorSeed >> 2) % actors.length];
        // mostly a real outcome (Corrected, Rejected, Unconfirmed); sometimes None or Open, which are refused
        ICreditLedger.ObjectionStatus outcome = ICreditLedger.ObjectionStatus(
            outcomeSeed % 8 == 0 ? outcomeSeed % 2 : 2 + (outcomeSeed % 3)
        );
        (bool active, bool home) = _may(actor, o.enterprise);
        bool answerable =
            active && home && o.status == ICreditLedger.ObjectionStatus.Open && block.timestamp <= o.deadline;
        vm.prank(actor);
        try ledger.resolveObjection(id, outcome, bytes32(uint256(outcomeSeed))) {
            _succeeded("resolveObjection", active, home);
        } catch {
            if (
                answerable &&
                (outcome == ICreditLedger.ObjectionStatus.Rejected ||
                    outcome == ICreditLedger.ObjectionStatus.Unconfirmed)
            ) {
                ++refusedInTime;
            }
        }
        _afterCall();
    }

    /// @dev The regulator freezes or unfreezes a node (so that nodes of every city become unable to act).
    function setNodeFrozen(uint256 nodeSeed, bool frozen) external {
        uint16 nodeId = uint16(1 + (nodeSeed % NODES));
        vm.prank(regulator);
        try registry.setNodeFrozen(nodeId, frozen) {} catch {}
        _afterCall();
    }

    /// @dev Time passes (up to 8 days; the objection window is 20).
    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + (secondsSeed % 8 days));
        _afterCall();
    }

    // ------------------------------------------------------------------ views for the invariants

    function lastVersion(bytes18 e, ICreditLedger.Category c) external view returns (uint32) {
        return _lastVersion[_key(e, c)];
    }

    function enterpriseCount() external view returns (uint256) {
        return enterprises.length;
    }

    function enterprise(uint256 i) external view returns (bytes18) {
        return enterprises[i];
    }

    /// @notice An active node of the home city of enterprise `e`, or address 0 when none can act.
    function activeHomeNode(bytes18 e) public view returns (address) {
        uint32 home = registry.cityOfDivision(_division(e));
        uint16 nodes = registry.nodeCount();
        for (uint16 n = 1; n <= nodes; ++n) {
            if (registry.isActiveNode(n) && registry.node(n).city == home) return registry.node(n).operator;
        }
        return address(0);
    }

    // ------------------------------------------------------------------ internals

    /// @dev An actor (three times in four a node of the enterprise's home city, frozen or not; else anyone), an
    /// enterprise and a category.
    function _pick(
        uint256 actorSeed,
        uint256 enterpriseSeed,
        uint256 categorySeed
    ) internal view returns (address, bytes18, ICreditLedger.Category) {
        uint256 ei = enterpriseSeed % enterprises.length;
        address actor =
            actorSeed % 4 == 0 ? actors[(actorSeed >> 2) % actors.length] : _homeNode(ei % 4, actorSeed >> 2);
        return (actor, enterprises[ei], category(categorySeed));
    }

    /// @dev Operator of one of the nodes of city index `city`, whatever its state.
    function _homeNode(uint256 city, uint256 seed) internal pure returns (address) {
        return homeNodeOperator(city, seed % 2);
    }

    /// @dev Half the time the next version; else one of current - 1, current, current + 1, current + 2 (only
    /// current + 1 may pass, and current + 2 when nothing was declared, since a batch's version 1 is then implicit).
    function _aroundCurrent(bytes18 e, ICreditLedger.Category c, uint256 stepSeed) internal view returns (uint32) {
        uint256 v = uint256(ledger.currentVersion(e, c)) + (stepSeed % 2 == 0 ? 2 : (stepSeed >> 1) % 4);
        return v == 0 ? 0 : uint32(v - 1);
    }

    /// @dev Whether `actor` can act as a node now, and whether its city is the enterprise's home city.
    function _may(address actor, bytes18 e) internal view returns (bool active, bool home) {
        active = isActiveNodeAccount(actor);
        uint16 id = registry.nodeIdOf(actor);
        home = id != 0 && registry.node(id).city == registry.cityOfDivision(_division(e));
    }

    function _division(bytes18 e) internal pure returns (uint32 d) {
        for (uint256 i = 2; i < 8; ++i) d = d * 10 + (uint8(e[i]) - 0x30);
    }

    function _succeeded(bytes32 action, bool callerMayAct, bool home) internal {
        ++successes[action];
        if (!callerMayAct) ++inactiveSuccesses;
        if (!home) ++wrongCitySuccesses;
    }

    function _key(bytes18 e, ICreditLedger.Category c) internal pure returns (uint256) {
        return (uint256(uint144(e)) << 8) | uint8(c);
    }

    function _afterCall() internal {
        _recordVersions();
        uint256 count = ledger.objectionCount();
        for (uint256 id = 1; id <= count; ++id) {
            ICreditLedger.Objection memory o = ledger.objection(id);
            if (
                o.status == ICreditLedger.ObjectionStatus.Open &&
                block.timestamp <= o.deadline &&
                activeHomeNode(o.enterprise) == address(0)
            ) ++citiesWithoutActiveNode;
        }
    }

    /// @dev Compares every record's current and declared versions with the last ones seen, then records them.
    function _recordVersions() internal {
        for (uint256 i = 0; i < enterprises.length; ++i) {
            for (uint8 c = 1; c <= 3; ++c) {
                uint256 key = _key(enterprises[i], ICreditLedger.Category(c));
                uint32 v = ledger.currentVersion(enterprises[i], ICreditLedger.Category(c));
                uint32 d = ledger.declaredVersion(enterprises[i], ICreditLedger.Category(c));
                uint32 last = _lastVersion[key];
                if (v < last || d < _lastDeclared[key]) ++versionDecreases;
                if (last != 0 && v > last + 1) ++versionJumps;
                _lastVersion[key] = v;
                _lastDeclared[key] = d;
            }
        }
    }
}
