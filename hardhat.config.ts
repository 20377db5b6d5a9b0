import { createRequire } from "node:module";
import hardhatToolboxMochaEthersPlugin from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

/** Mnemonic of the in-process chain and of `hardhat node`: a public test mnemonic, never for real funds. */
export const TEST_MNEMONIC = "test test test test test test test test test test test junk";
/** Funded accounts: 0 deployer, 1 regulator, 2..26 the 25 node operators, the rest for tests and institutions. */
const ACCOUNT_COUNT = 64;

export default defineConfig({
  plugins: [hardhatToolboxMochaEthersPlugin],
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
      url: "http://127.0.0.1:8545",
    },
  },
  typechain: { outDir: "typechain-types" },
  paths: { tests: { mocha: "test" } },
});
