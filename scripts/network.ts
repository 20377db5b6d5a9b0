/**
 * `npm run network -- up [--nodes N] [--period S] [--gas-limit G] [--live-chunk N] [--skip-deploy] [--skip-services]`, `… status`, `… down`: the multi-node chain,
 * one geth Clique validator per chosen city node on 127.0.0.1 (src/network/). `up` deploys the consortium
 * with the same code as `deploy`, on the Hardhat network `yrd`.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { deployConsortium } from "../src/chain/deploy.js";
import { manifestPath } from "../src/chain/manifest.js";
import { runCli } from "../src/cli/run.js";
import { formatTable } from "../src/cli/table.js";
import { rpcUrl, type NetworkManifest } from "../src/network/manifest.js";
import { downNetwork, networkStatus, residentBytes, upNetwork } from "../src/network/network.js";
import { serviceHealth, startServices } from "../src/network/services.js";
import { headOf, rpc } from "../src/network/validators.js";
import { LEGACY_GAS_LIMIT } from "../src/network/genesis.js";
import { MAX_LIVE_CHUNK } from "../src/service/service.js";
import { writeNetworkManifest } from "../src/network/manifest.js";
import { existsSync } from "node:fs";
import { resolve } from "node:path";

interface Args {
  command: string;
  nodes: number;
  period: number;
  gasLimit: number;
  liveChunk: number;
  skipDeploy: boolean;
  skipServices: boolean;
  dataDir: string | undefined;
}

const log = (line: string) => console.log(line);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The nodes' table: node, city, RPC port, API port (the node service), signer, head. */
async function table(m: NetworkManifest): Promise<string> {
  const rows = await Promise.all(
    m.nodes.map(async (n) => {
      const head = await headOf(n.httpPort).catch(() => undefined);
      return [n.id, `${n.cityName} (${n.city})`, String(n.httpPort), n.apiPort && n.servicePid ? String(n.apiPort) : "", n.operator, head?.number ?? "down"];
    }),
  );
  return formatTable(["node", "city", "RPC port", "API port", "signer", "head"], rows);
}

async function up(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  const started = Date.now();
  const r = await upNetwork({
    nodes: args.nodes > 0 ? args.nodes : undefined,
    period: args.period > 0 ? args.period : undefined,
    gasLimit: args.gasLimit > 0 ? args.gasLimit : undefined,
    log,
  });
  const validatorsMs = Date.now() - started;
  let deployMs = 0;
  if (!args.skipDeploy) {
    const t = Date.now();
    const conn = await hre.network.create({ network: "yrd", override: { url: rpcUrl(r.manifest.nodes[0]), chainId: Number(r.manifest.chainId) } });
    // a new chain: a deployment manifest of an earlier yrd chain (same chain id) is archived with its stores
    const fresh = !r.resumed && existsSync(manifestPath("yrd", r.manifest.chainId));
    // every other validator takes each institution registration too, so that all go out at once in plan order
    const replicas = r.manifest.nodes.slice(1).map((n) => ({ send: (method: string, params: unknown[]) => rpc(n.httpPort, method, params) }));
    const d = await deployConsortium(conn, { fresh, dataDir: args.dataDir || undefined, log, replicas });
    deployMs = Date.now() - t;
    log(`${d.reused ? "existing" : "new"} deployment: ConsortiumRegistry ${d.manifest.contracts.ConsortiumRegistry.address} (manifest ${d.path})`);
  }
  let servicesMs = 0;
  if (!args.skipDeploy && !args.skipServices) {
    // each city node's service beside its validator, talking to that validator only
    const t = Date.now();
    if (args.liveChunk > 0) {
      if (args.liveChunk > MAX_LIVE_CHUNK) throw new Error(`--live-chunk must be 1 to ${MAX_LIVE_CHUNK} records a transaction, got ${args.liveChunk}`);
      r.manifest.liveChunk = args.liveChunk; // kept: a later `up` restarts the services the same way
    }
    try {
      await startServices(r.manifest, { dataDir: args.dataDir ? resolve(args.dataDir) : undefined, log });
    } finally {
      writeNetworkManifest(r.manifest, r.path);
    }
    servicesMs = Date.now() - t;
  }
  console.log(`\n${await table(r.manifest)}\n`);
  console.log(
    `network yrd (chain ${r.manifest.chainId}, genesis ${r.manifest.genesisHash.slice(0, 18)}…, geth ${r.manifest.gethVersion}, block period ${r.manifest.period} s, block gas limit ${(r.manifest.gasLimit ?? LEGACY_GAS_LIMIT).toLocaleString("en-US")}): ` +
      `up in ${seconds(Date.now() - started)} (validators ${seconds(validatorsMs)}${args.skipDeploy ? "" : `, deploy ${seconds(deployMs)}`}${servicesMs ? `, node services ${seconds(servicesMs)}` : ""}); ` +
      `validators' memory ${(residentBytes(r.manifest) / 2 ** 20).toFixed(0)} MiB; manifest ${r.path}`,
  );
  console.log(`commands on it: npx hardhat --network yrd <task> (YRD_RPC_NODE=<node id> picks the node to talk to)`);
}

async function status(): Promise<void> {
  const s = await networkStatus();
  const name = new Map(s.manifest.nodes.map((n) => [n.operator.toLowerCase(), n.id]));
  const services = new Map(await Promise.all(s.manifest.nodes.map(async (n) => [n.id, n.apiPort ? await serviceHealth(n) : "none"] as const)));
  const rows = s.nodes.map((n) => [
    n.id,
    n.cityName,
    n.running ? String(n.pid) : "",
    String(n.httpPort),
    n.head ?? "",
    n.hash ? `${n.hash.slice(0, 12)}…` : "",
    n.peers ?? "",
    (n.recentSigners ?? []).map((a) => name.get(a.toLowerCase()) ?? a.slice(0, 8)).join(" "),
    n.health,
    `${s.manifest.nodes.find((m) => m.id === n.id)?.apiPort ?? ""} ${services.get(n.id)}`.trim(),
  ]);
  console.log(
    formatTable(["node", "city", "pid", "RPC port", "head", "hash", "peers", "signers of the last blocks", "health", "service (API port, health)"], rows),
  );
  console.log(
    `\nchain ${s.manifest.chainId}, ${s.manifest.nodes.length} validators (Clique: blocks need more than half, ${Math.floor(s.manifest.nodes.length / 2) + 1}, of them running)` +
      (s.agreed ? `; all answering nodes agree on block ${s.agreed.number} (${s.agreed.hash.slice(0, 18)}…)` : ""),
  );
  const serviceProblems = [...services].filter(([, h]) => h !== "ok" && h !== "none").map(([id, h]) => `${id}'s node service: ${h}`);
  if (!s.ok || serviceProblems.length > 0) {
    for (const p of [...s.problems, ...serviceProblems]) console.error(`problem: ${p}`);
    process.exitCode = 1;
  }
}

export default async function network(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await runCli(async () => {
    if (args.command === "up") await up(args, hre);
    else if (args.command === "status") await status();
    else if (args.command === "down") {
      const results = await downNetwork(undefined, log);
      console.log(
        `stopped the node services and ${results.filter((r) => r.result !== "not running").length} validator(s); their data is kept (\`npm run network -- up\` resumes the chain)`,
      );
    } else throw new Error(`unknown command "${args.command}": use up, status or down`);
  });
}
