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
    .addFlag({ name: "fresh", description: "Deploy anew even if a valid deployment exists" })
    .setAction(() => import("./scripts/deploy.js"))
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
