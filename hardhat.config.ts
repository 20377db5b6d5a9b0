import { createRequire } from "node:module";
import hardhatToolboxMochaEthersPlugin from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { ArgumentType } from "hardhat/types/arguments";
import { defineConfig, task } from "hardhat/config";
import { yrdPlugin } from "./scripts/plugin.js";
import { yrdNetworkConfig } from "./src/network/config.js";
import { isCoverageBuild } from "./src/coverage/build.js";

const require = createRequire(import.meta.url);

/**
 * `hardhat test --coverage` compiles the contracts instrumented. Hardhat builds them into the same artifacts/ and
 * cache/ as the normal build, and the commands that tests start (each compiling first, without --coverage) would
 * then rebuild the normal contracts over them in the middle of the run. The instrumented build goes under
 * coverage/build/ instead (git-ignored), so that both builds stay as they are.
 */
const COVERAGE_BUILD = isCoverageBuild();

/** Mnemonic of the in-process chain and of `hardhat node`: a public test mnemonic, never for real funds. */
export const TEST_MNEMONIC = "test test test test test test test test test test test junk";
/** Funded accounts: 0 deployer, 1 regulator, 2..26 the 25 node operators, the rest for tests and institutions. */
const ACCOUNT_COUNT = 64;

/**
 * The project's tasks, declared here and put under the namespace `yrd` by the project's plugin
 * (scripts/plugin.ts: `npx hardhat yrd attest`, each compiling first; the plain names stay as aliases).
 */
const tasks = [
  task("deploy", "Deploy the consortium (or find and verify an existing deployment) and write its manifest")
    .addOption({ name: "institutions", description: "Number of institutions to register", type: ArgumentType.INT, defaultValue: 899 })
    .addOption({ name: "objectionDays", description: "Days a node has to answer an objection", type: ArgumentType.INT, defaultValue: 20 })
    .addFlag({ name: "fresh", description: "Archive the network's manifest and node stores (to archive/ folders) and deploy anew" })
    .addOption({
      name: "dataDir",
      description: "Folder of the node stores that --fresh archives (default: data)",
      type: ArgumentType.FILE_WITHOUT_DEFAULT,
      defaultValue: undefined,
    })
    .setAction(() => import("./scripts/deploy.js"))
    .build(),
  task("attest", "Attest credit records from a JSON or CSV file (live, or in Merkle batches) and write proof files")
    .addOption({
      name: "file",
      description: "JSON or CSV file of records (see seeds/examples/); required",
      type: ArgumentType.FILE_WITHOUT_DEFAULT,
      defaultValue: undefined,
    })
    .addOption({ name: "mode", description: "live (one digest per record) or batch (one Merkle root per batch)", defaultValue: "live" })
    .addOption({ name: "batchSize", description: "Records per transaction (live) or per Merkle batch (batch)", type: ArgumentType.INT, defaultValue: 100 })
    .addOption({
      name: "node",
      description: "Attest through this node (default: the first active node of each record's city)",
      type: ArgumentType.STRING_WITHOUT_DEFAULT,
      defaultValue: undefined,
    })
    .addOption({ name: "out", description: "Folder for the proof files", type: ArgumentType.FILE, defaultValue: "proofs" })
    .addOption({
      name: "dataDir",
      description: "Folder of the node stores (default: data; on the in-process chain a temporary folder)",
      type: ArgumentType.FILE_WITHOUT_DEFAULT,
      defaultValue: undefined,
    })
    .setAction(() => import("./scripts/attest.js"))
    .build(),
  task("verify", "Check a record and its proof file against the chain: valid / superseded / revoked / disputed / not anchored")
    .addOption({ name: "record", description: "The record file (JSON or CSV); required", type: ArgumentType.FILE_WITHOUT_DEFAULT, defaultValue: undefined })
    .addOption({ name: "proof", description: "The proof file written by attest; required", type: ArgumentType.FILE_WITHOUT_DEFAULT, defaultValue: undefined })
    .addOption({ name: "index", description: "Which record of the file (1-based)", type: ArgumentType.INT, defaultValue: 1 })
    .addOption({
      name: "dataDir",
      description: "Folder of the node stores (default: data; on the in-process chain a temporary folder)",
      type: ArgumentType.FILE_WITHOUT_DEFAULT,
      defaultValue: undefined,
    })
    .setAction(() => import("./scripts/verify.js"))
    .build(),
  task("query", "Run one authorized live query: authorization, request, cross-city service, log commitment, report checks")
    .addOption({ name: "enterprise", description: "USCC of the enterprise; required", type: ArgumentType.STRING_WITHOUT_DEFAULT, defaultValue: undefined })
    .addOption({ name: "institution", description: "Querying institution id", type: ArgumentType.INT, defaultValue: 1 })
    .addOption({ name: "purpose", description: "credit-approval, post-loan, guarantee-review or supply-chain", defaultValue: "credit-approval" })
    .addOption({ name: "categories", description: "Comma-separated categories", defaultValue: "basic-info,operating-status,financing-mortgage" })
    .addOption({ name: "enterpriseAccount", description: "Network account index of the enterprise's bound signer", type: ArgumentType.INT, defaultValue: 40 })
    .addOption({
      name: "dataDir",
      description: "Folder of the node stores (default: data; on the in-process chain a temporary folder)",
      type: ArgumentType.FILE_WITHOUT_DEFAULT,
      defaultValue: undefined,
    })
    .setAction(() => import("./scripts/query.js"))
    .build(),
  task("audit", "List the audit trail (attestations, authorizations, queries, objections) and optionally prove it against the chain")
    .addOption({ name: "enterprise", description: "Only this enterprise (USCC)", type: ArgumentType.STRING_WITHOUT_DEFAULT, defaultValue: undefined })
    .addOption({ name: "institution", description: "Only this institution id (0: every institution)", type: ArgumentType.INT, defaultValue: 0 })
    .addOption({
      name: "node",
      description: "Only rows of this node (id such as sh-1, or number)",
      type: ArgumentType.STRING_WITHOUT_DEFAULT,
      defaultValue: undefined,
    })
    .addOption({
      name: "city",
      description: "Only rows of this city (division code, e.g. 340100)",
      type: ArgumentType.STRING_WITHOUT_DEFAULT,
      defaultValue: undefined,
    })
    .addOption({ name: "from", description: "From this date (YYYY-MM-DD, UTC)", type: ArgumentType.STRING_WITHOUT_DEFAULT, defaultValue: undefined })
    .addOption({ name: "to", description: "Up to this date (YYYY-MM-DD, inclusive)", type: ArgumentType.STRING_WITHOUT_DEFAULT, defaultValue: undefined })
    .addFlag({ name: "verify", description: "Re-check every listed digest and proof against the chain" })
    .addOption({ name: "sample", description: "With --verify: check N random records and N random log entries", type: ArgumentType.INT, defaultValue: 0 })
    .addOption({ name: "seed", description: "Seed of --sample (default: audit)", type: ArgumentType.STRING_WITHOUT_DEFAULT, defaultValue: undefined })
    .addOption({ name: "format", description: "table, json or csv", defaultValue: "table" })
    .addOption({
      name: "dataDir",
      description: "Folder of the node stores (default: data; on the in-process chain a temporary folder)",
      type: ArgumentType.FILE_WITHOUT_DEFAULT,
      defaultValue: undefined,
    })
    .setAction(() => import("./scripts/audit.js"))
    .build(),
  task("replay", "Replay a year of YRD volume (2024 totals at --scale 1): deterministic, resumable, with a JSON report")
    .addOption({ name: "scale", description: "Share of the 2024 volume, in (0, 1]", type: ArgumentType.FLOAT, defaultValue: 0.001 })
    .addOption({ name: "mode", description: "bulk (Merkle batches and log commitments) or live (one transaction per step)", defaultValue: "bulk" })
    .addOption({ name: "seed", description: "Workload seed: same seed and node stores, same roots", defaultValue: "yrd-2024" })
    .addOption({
      name: "batchSize",
      description: "Enterprises per Merkle chunk (each chunk anchors one batch per category)",
      type: ArgumentType.INT,
      defaultValue: 10000,
    })
    .addOption({ name: "workers", description: "Worker threads for record hashing (0 = main thread)", type: ArgumentType.INT, defaultValue: 2 })
    .addOption({
      name: "dataDir",
      description: "Folder of the node stores and the replay state (default: data; on the in-process chain a temporary folder)",
      type: ArgumentType.FILE_WITHOUT_DEFAULT,
      defaultValue: undefined,
    })
    .addOption({
      name: "refusedShare",
      description: "Share of refused query attempts, in [0, 0.5) (default from seeds/workload-2024.json)",
      type: ArgumentType.STRING_WITHOUT_DEFAULT,
      defaultValue: undefined,
    })
    .addOption({
      name: "epoch",
      description: "Live mode: unix time the authorizations are valid from (0: the chain's clock); same seed and epoch, same roots",
      type: ArgumentType.INT,
      defaultValue: 0,
    })
    .addOption({ name: "out", description: "Folder of the JSON report", type: ArgumentType.FILE, defaultValue: "bench/results" })
    .addFlag({ name: "resume", description: "Continue an interrupted replay from its last checkpoint" })
    .addFlag({ name: "fresh", description: "Archive the network's deployment (manifest and node stores) and replay on a new one" })
    .addOption({
      name: "saltSecretsFrom",
      description:
        "Folder of earlier node stores (e.g. data/yrd-862024) whose salt secrets the new stores take: same seed and secrets, same roots (to compare engines)",
      type: ArgumentType.FILE_WITHOUT_DEFAULT,
      defaultValue: undefined,
    })
    .setAction(() => import("./scripts/replay.js"))
    .build(),
  task("bench", "Run the benchmarks and write JSON and markdown under bench/results/")
    .addOption({
      name: "only",
      description: "Comma-separated subset: gas, replay, explorer, network (network is not in the default run: it needs Go and takes minutes)",
      defaultValue: "",
    })
    .addOption({ name: "scales", description: "Scales of the bulk replay benchmark", defaultValue: "0.001,0.01,0.1,1" })
    .addOption({ name: "liveScale", description: "Scale of the live replay benchmark", defaultValue: "0.0002" })
    .addOption({ name: "networkNodes", description: "Network benchmark: validators of the temporary network", type: ArgumentType.INT, defaultValue: 4 })
    .addOption({ name: "networkScales", description: "Network benchmark: scales of the bulk replays (on the network and in process)", defaultValue: "0.01" })
    .addOption({
      name: "networkLiveScale",
      description: "Network benchmark: scale of the live replays on the network, through the node services and over RPC (0: none)",
      type: ArgumentType.FLOAT,
      defaultValue: 0.0002,
    })
    .addOption({
      name: "networkLiveChunk",
      description: "Network benchmark: the node services' records per live transaction (up --live-chunk)",
      type: ArgumentType.INT,
      defaultValue: 1,
    })
    .addOption({ name: "out", description: "Output folder", defaultValue: "bench/results" })
    .setAction(() => import("./scripts/bench.js"))
    .build(),
  task("demo", "The whole story on the in-process chain: consortium, attestations, correction, objection, cross-city query, audit")
    .addOption({
      name: "dataDir",
      description: "Folder of the node stores (default: data; on the in-process chain a temporary folder)",
      type: ArgumentType.FILE_WITHOUT_DEFAULT,
      defaultValue: undefined,
    })
    .setAction(() => import("./scripts/demo.js"))
    .build(),
  task("network", "The multi-node chain: a geth Clique validator per city node on 127.0.0.1 — up [--nodes N] [--period S] [--gas-limit G], status, down")
    .addPositionalArgument({ name: "command", description: "up, status or down" })
    .addOption({
      name: "nodes",
      description: "up, new network: number of validators (default: all nodes of the seeds)",
      type: ArgumentType.INT,
      defaultValue: 0,
    })
    .addOption({ name: "period", description: "up, new network: block period in seconds (default 1)", type: ArgumentType.INT, defaultValue: 0 })
    .addOption({
      name: "gasLimit",
      description: "up, new network: block gas limit (default 200000000; at least 10000000)",
      type: ArgumentType.INT,
      defaultValue: 0,
    })
    .addFlag({ name: "skipDeploy", description: "up: start the validators only, do not deploy the consortium (nor start the node services)" })
    .addFlag({ name: "skipServices", description: "up: do not start the city nodes' services" })
    .addOption({
      name: "liveChunk",
      description: "up: the node services' records per live transaction, 1 to 100 (0: as before, else 100)",
      type: ArgumentType.INT,
      defaultValue: 0,
    })
    .addOption({
      name: "dataDir",
      description: "up: folder of the node stores the services use (default: data)",
      type: ArgumentType.FILE_WITHOUT_DEFAULT,
      defaultValue: undefined,
    })
    .setAction(() => import("./scripts/network.js"))
    .build(),
  task(
    "node-service",
    "Run a city node's service on 127.0.0.1 (records, relayed queries, automatic answers, log commitments, health, metrics) until SIGINT/SIGTERM",
  )
    .addOption({
      name: "node",
      description: "The node this service runs beside (id such as sh-1, or number); required",
      type: ArgumentType.STRING_WITHOUT_DEFAULT,
      defaultValue: undefined,
    })
    .addOption({ name: "port", description: "TCP port on 127.0.0.1 (0: any free port)", type: ArgumentType.INT, defaultValue: 0 })
    .addOption({
      name: "dataDir",
      description: "Folder of the node stores (default: data; on the in-process chain a temporary folder)",
      type: ArgumentType.FILE_WITHOUT_DEFAULT,
      defaultValue: undefined,
    })
    .addOption({
      name: "batchSize",
      description: "Attest records in Merkle batches of this many (0 and no --batch-seconds: live, as submitted)",
      type: ArgumentType.INT,
      defaultValue: 0,
    })
    .addOption({
      name: "batchSeconds",
      description: "… or when the oldest queued record has waited this long (batch mode)",
      type: ArgumentType.FLOAT,
      defaultValue: 0,
    })
    .addOption({
      name: "liveChunk",
      description: "Live mode: records per transaction, 1 to 100 (0: 100, a multiAttest each; 1: one attest each)",
      type: ArgumentType.INT,
      defaultValue: 0,
    })
    .addOption({ name: "commitSize", description: "Commit the query log at this many uncommitted entries (0: 100)", type: ArgumentType.INT, defaultValue: 0 })
    .addOption({
      name: "commitSeconds",
      description: "… or when the oldest uncommitted entry has waited this long (0: 60)",
      type: ArgumentType.FLOAT,
      defaultValue: 0,
    })
    .addOption({ name: "pollMs", description: "Period of the service's loop (QueryDesk watch, triggers), ms", type: ArgumentType.INT, defaultValue: 1000 })
    .addOption({
      name: "rpcUrl",
      description: "Talk to the network's chain at this URL instead (e.g. this node's own validator)",
      type: ArgumentType.STRING_WITHOUT_DEFAULT,
      defaultValue: undefined,
    })
    .setAction(() => import("./scripts/node-service.js"))
    .build(),
  task("explorer", "The audit explorer: a read-only web app on 127.0.0.1 over the network's deployment (on the in-process chain: the demo's data)")
    .addOption({ name: "port", description: "TCP port on 127.0.0.1 (0: any free port)", type: ArgumentType.INT, defaultValue: 8780 })
    .addOption({
      name: "dataDir",
      description: "Folder of the node stores, opened read-only (default: data; on the in-process chain a temporary folder)",
      type: ArgumentType.FILE_WITHOUT_DEFAULT,
      defaultValue: undefined,
    })
    .setAction(() => import("./scripts/explorer.js"))
    .build(),
  task("check-coverage", "Check the contracts' coverage left by `hardhat test --coverage`: lines, statements and if-branches per file, coverage/contracts.json")
    .addOption({ name: "lines", description: "Least share of lines covered, %", type: ArgumentType.FLOAT, defaultValue: 95 })
    .addOption({ name: "statements", description: "Least share of statements covered, %", type: ArgumentType.FLOAT, defaultValue: 95 })
    .addOption({ name: "branches", description: "Least share of if-branches covered, %", type: ArgumentType.FLOAT, defaultValue: 95 })
    .setAction(() => import("./scripts/check-coverage.js"))
    .build(),
];

export default defineConfig({
  plugins: [hardhatToolboxMochaEthersPlugin, yrdPlugin(tasks)],
  solidity: {
    // Compiled offline by the npm `solc` wasm build: keep `solc` in devDependencies at exactly this version.
    version: "0.8.30",
    path: require.resolve("solc/soljson.js"),
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "paris" },
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
    // The multi-node chain (`npm run network -- up`): a validator's loopback RPC from networks/yrd/network.json
    // (YRD_RPC_NODE=<node id> picks which); Hardhat signs with the test mnemonic's accounts.
    yrd: yrdNetworkConfig({ mnemonic: TEST_MNEMONIC, count: ACCOUNT_COUNT }),
  },
  typechain: { outDir: COVERAGE_BUILD ? "coverage/build/typechain-types" : "typechain-types" },
  paths: {
    tests: { mocha: "test", solidity: "test/solidity" },
    ...(COVERAGE_BUILD ? { artifacts: "coverage/build/artifacts", cache: "coverage/build/cache" } : {}),
  },
  // The contracts' coverage counts the product's contracts: contracts/test/ holds helpers of the mocha tests.
  coverage: { skipFiles: ["contracts/test/**"] },
  // Solidity tests (test/solidity/*.t.sol): fuzz and invariant campaigns (each invariant runs its own campaign of
  // `runs` sequences of `depth` handler calls), sized so that the suite takes well under a minute on 2 cores. The
  // fuzz seed is Hardhat's fixed default, so a run is reproducible; set test.solidity.fuzz.seed to explore others.
  test: {
    solidity: {
      fuzz: { runs: 256 },
      invariant: { runs: 64, depth: 100, failOnRevert: false },
    },
  },
});
