// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ConsentRegistry} from "../../../contracts/ConsentRegistry.sol";
import {ConsortiumRegistry} from "../../../contracts/ConsortiumRegistry.sol";
import {CreditLedger} from "../../../contracts/CreditLedger.sol";
import {QueryDesk} from "../../../contracts/QueryDesk.sol";
import {QueryLog} from "../../../contracts/QueryLog.sol";
import {IConsentRegistry} from "../../../contracts/interfaces/IConsentRegistry.sol";
import {IConsortiumRegistry} from "../../../contracts/interfaces/IConsortiumRegistry.sol";
import {ICreditLedger} from "../../../contracts/interfaces/ICreditLedger.sol";
import {USCC} from "../../../contracts/libraries/USCC.sol";
import {TestBase} from "./TestBase.sol";

/// @title ConsortiumFixture
/// @notice A small consortium deployed the way `src/chain/deploy.ts` deploys it (registry, ledger, consent registry,
/// query desk binding itself to the ledger, query log; genesis closed, the deployer keeps no power), with actors
/// whose keys the tests know: 4 cities, 7 nodes (2, 2, 2, 1 per city), 4 institutions, 8 enterprises (2 per city)
/// with their signers bound by their home-city nodes.
abstract contract ConsortiumFixture is TestBase {
    uint64 internal constant OBJECTION_WINDOW = 20 days;
    uint64 internal constant SERVICE_WINDOW = 1 days;
    uint256 internal constant NODE_KEY = 0xA000; // node i (from 1) has key NODE_KEY + i
    uint256 internal constant REGULATOR_KEY = 0xB000;
    uint256 internal constant INSTITUTION_KEY = 0xC000; // institution i (from 1) has key INSTITUTION_KEY + i
    uint256 internal constant ENTERPRISE_KEY = 0xD000; // enterprise i (from 0) signs with ENTERPRISE_KEY + 1 + i
    uint256 internal constant NODES = 7;
    uint256 internal constant INSTITUTIONS = 4;
    uint256 internal constant ENTERPRISES = 8;

    ConsortiumRegistry public registry;
    CreditLedger public ledger;
    ConsentRegistry public consents;
    QueryDesk public desk;
    QueryLog public queryLog;
    address public regulator;

    /// @dev Shanghai (a municipality: its enterprises' prefecture prefix is not a city, the province is), Nanjing,
    /// Hefei, Hangzhou.
    uint32[4] internal cityCodes = [uint32(310000), 320100, 340100, 330100];
    uint32[4] internal divisionCodes = [uint32(310101), 320102, 340103, 330104];
    bytes18[] internal enterprises;

    function _deployConsortium() internal {
        registry = new ConsortiumRegistry();
        for (uint256 c = 0; c < cityCodes.length; ++c) {
            registry.registerCity(cityCodes[c]);
        }
        for (uint256 i = 1; i <= NODES; ++i) {
            registry.genesisAddNode(cityCodes[(i - 1) / 2], vm.addr(NODE_KEY + i), keccak256(abi.encode("node", i)));
        }
        regulator = vm.addr(REGULATOR_KEY);
        registry.setRegulator(regulator);
        registry.closeGenesis();
        for (uint256 i = 1; i <= INSTITUTIONS; ++i) {
            // institution i is sponsored by node 2i - 1 (one per city)
            vm.prank(vm.addr(NODE_KEY + 2 * i - 1));
            registry.registerInstitution(
                IConsortiumRegistry.InstitutionRequest({
                    signer: vm.addr(INSTITUTION_KEY + i),
                    kind: IConsortiumRegistry.InstitutionKind.Bank,
                    nameDigest: keccak256(abi.encode("institution", i))
                })
            );
        }
        ledger = new CreditLedger(registry, OBJECTION_WINDOW);
        consents = new ConsentRegistry(registry, ledger);
        desk = new QueryDesk(registry, consents, SERVICE_WINDOW);
        queryLog = new QueryLog(registry);
        for (uint256 e = 0; e < ENTERPRISES; ++e) {
            bytes18 code = makeUscc(divisionCodes[e % 4], e);
            enterprises.push(code);
            vm.prank(homeNodeOperator(e % 4, 0));
            ledger.bindEnterpriseSigner(code, vm.addr(ENTERPRISE_KEY + 1 + e));
        }
    }

    /// @dev Operator of node `nodeId` (1-based).
    function nodeOperator(uint256 nodeId) internal pure returns (address) {
        return vm.addr(NODE_KEY + nodeId);
    }

    /// @dev Operator of the `which`-th node (0 or 1) of city index `city`.
    function homeNodeOperator(uint256 city, uint256 which) internal pure returns (address) {
        uint256 id = 2 * city + 1 + which;
        if (id > NODES) id = NODES;
        return vm.addr(NODE_KEY + id);
    }

    function institutionSigner(uint256 institutionId) internal pure returns (address) {
        return vm.addr(INSTITUTION_KEY + institutionId);
    }

    function enterpriseKey(uint256 e) internal pure returns (uint256) {
        return ENTERPRISE_KEY + 1 + e;
    }

    /// @dev A valid USCC "91" + division + a 9-character organization code from `seed` + the check character.
    function makeUscc(uint32 division, uint256 seed) internal pure returns (bytes18) {
        bytes memory alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
        bytes memory code = new bytes(18);
        code[0] = "9";
        code[1] = "1";
        for (uint256 i = 0; i < 6; ++i) {
            code[7 - i] = bytes1(uint8(0x30 + ((division / 10 ** i) % 10)));
        }
        for (uint256 i = 8; i < 17; ++i) {
            code[i] = alphabet[uint256(keccak256(abi.encode(seed, i))) % 31];
        }
        uint256 sum;
        uint256 weight = 1;
        for (uint256 i = 0; i < 17; ++i) {
            sum += USCC.charValue(code[i]) * weight;
            weight = (weight * 3) % 31;
        }
        code[17] = alphabet[(31 - (sum % 31)) % 31];
        return bytes18(code);
    }

    /// @dev The nodes that may act now (active and not frozen).
    function isVotingNode(uint16 nodeId) internal view returns (bool) {
        return registry.isActiveNode(nodeId);
    }

    /// @dev Whether `account` may act as a node now (what `requireActiveNode` checks), without reverting.
    function isActiveNodeAccount(address account) internal view returns (bool) {
        uint16 id = registry.nodeIdOf(account);
        return id != 0 && registry.isActiveNode(id);
    }

    /// @dev Whether `account` may act as an institution now (what `requireActiveInstitution` checks).
    function isActiveInstitutionAccount(address account) internal view returns (bool) {
        uint32 id = registry.institutionIdOf(account);
        if (id == 0) return false;
        IConsortiumRegistry.Institution memory inst = registry.institution(id);
        return
            inst.status == IConsortiumRegistry.InstitutionStatus.Active &&
            !inst.frozen &&
            registry.isActiveNode(inst.sponsor);
    }

    /// @dev Signs an authorization with the enterprise's key (EIP-712, as `src/consent/authorization.ts` does).
    function signAuthorization(
        IConsentRegistry.Authorization memory a,
        uint256 key
    ) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, consents.authorizationDigest(a));
        return abi.encodePacked(r, s, v);
    }

    function category(uint256 seed) internal pure returns (ICreditLedger.Category) {
        return ICreditLedger.Category(1 + (seed % 3));
    }
}
