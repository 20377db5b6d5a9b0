import { createRequire } from "node:module";
import hardhatToolboxMochaEthersPlugin from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { ArgumentType } from "hardhat/types/arguments";
import { defineConfig, task } from "hardhat/config";

const require = createRequire(import.meta.url);

/** Mnemonic of the in-process chain and of `hardhat node`: a public test mnemonic, never for real funds. */
export const TEST_MNEMONIC = "test test test test test test test test test test test junk";
/** Funded accounts: 0 deployer, 1 regulator, 2..26 the 25 node operators, the rest for tests and institutions. */
const ACCOUNT_COUNT = 64;

const tasks = [
  task("deploy", "Deploy the consortium (or find and verify an existing deployment) and write its manifest")
    .addOption({ name: "institutions", description: "Number of institutions to register", type: ArgumentType.INT, defaultValue: 899 })
    .addOption({ name: "objectionDays", description: "Days a node has to answer an objection", type: ArgumentType.INT, defaultValue: 20 })
    .addFlag({ name: "fresh", description: "Deploy anew even if a valid deployment exists" })
    .setAction(() => import("./scripts/deploy.js"))
    .build(),
  task("audit", "List the audit trail (attestations, authorizations, queries, objections) and optionally prove it against the chain")
    .addOption({ name: "enterprise", description: "Only this enterprise (USCC)", defaultValue: "" })
    .addOption({ name: "institution", description: "Only this institution id", type: ArgumentType.INT, defaultValue: 0 })
    .addOption({ name: "node", description: "Only rows of this node (id such as sh-1, or number)", defaultValue: "" })
    .addOption({ name: "city", description: "Only rows of this city (division code, e.g. 340100)", defaultValue: "" })
    .addOption({ name: "from", description: "From this date (YYYY-MM-DD, UTC)", defaultValue: "" })
    .addOption({ name: "to", description: "Up to this date (YYYY-MM-DD, inclusive)", defaultValue: "" })
    .addFlag({ name: "verify", description: "Re-check every listed digest and proof against the chain" })
    .addOption({ name: "sample", description: "With --verify: check N random records and N random log entries", type: ArgumentType.INT, defaultValue: 0 })
    .addOption({ name: "seed", description: "Seed of --sample", defaultValue: "audit" })
    .addOption({ name: "format", description: "table, json or csv", defaultValue: "table" })
    .addOption({ name: "dataDir", description: "Folder of the node stores", defaultValue: "data" })
    .setAction(() => import("./scripts/audit.js"))
    .build(),
  task("demo", "Deploy on the in-process chain and walk through the consortium").setAction(() => import("./scripts/demo.js")).build(),
];

export default defineConfig({
  plugins: [hardhatToolboxMochaEthersPlugin],
  tasks,
  solidity: {
    // Compiled offline by the npm `solc` wasm build: keep `solc` in devDependencies at exactly this version.
    version: "0.8.30",
    path: require.resolve("solc/soljson.js"),
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun" },
  },
  networks: {
    default: {
      type: "edr-simulated",
      chainType: "l1",
      accounts: { mnemonic: TEST_MNEMONIC, count: ACCOUNT_COUNT },
      allowUnlimitedContractSize: false,
      blockGasLimit: 120_000_000n,
    },
    node: {
      type: "edr-simulated",
      chainType: "l1",
      accounts: { mnemonic: TEST_MNEMONIC, count: ACCOUNT_COUNT },
      blockGasLimit: 120_000_000n,
    },
    localhost: {
      type: "http",
      chainType: "l1",
      // Always loopback; YRD_LOCALHOST_PORT picks another port of a local `hardhat node`.
      url: `http://127.0.0.1:${process.env.YRD_LOCALHOST_PORT ?? "8545"}`,
    },
  },
  typechain: { outDir: "typechain-types" },
  paths: { tests: { mocha: "test" } },
});
