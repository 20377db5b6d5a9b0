/**
 * The multi-node network: one geth Clique validator per chosen city node, all on 127.0.0.1.
 *
 * - `upNetwork`: builds geth if needed, writes the genesis and prepares every validator (first time), starts
 *   the ones not running, waits (bounded) until all answer, are peered with every other and agree on an
 *   advancing head, and records everything in the network manifest. Run again on a stopped network, it
 *   resumes the same chain from the same data folders.
 * - `networkStatus`: each validator's head, peers, recent signers and health; `ok` is false when a node is
 *   down, or the heads disagree.
 * - `downNetwork`: stops exactly the processes `up` started, by process id, keeping the data.
 *
 * Deploying the contracts is the caller's (scripts/network.ts: the same deploy code as `deploy`).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { loadSeeds } from "../seeds.js";
import { ensureGeth } from "./geth.js";
import { stopServices } from "./services.js";
import { chooseValidators, cliqueGenesis, DEFAULT_PERIOD, LEGACY_GAS_LIMIT, mnemonicWallet, YRD_CHAIN_ID } from "./genesis.js";
import {
  NETWORK_MANIFEST_VERSION,
  NETWORK_NAME,
  networkDir,
  networkManifestPath,
  readNetworkManifest,
  writeNetworkManifest,
  type NetworkManifest,
  type NetworkNode,
} from "./manifest.js";
import {
  blockOf,
  enodeId,
  enodeUrl,
  freePort,
  headOf,
  isValidatorProcess,
  peerCount,
  portIsFree,
  prepareValidator,
  rpc,
  signerOf,
  startSealing,
  startValidator,
  stopValidator,
  writeConfig,
  type Head,
} from "./validators.js";

export interface UpOptions {
  /** Number of validators of a new network (default: every node of the seeds). */
  nodes?: number;
  /** Block period of a new network, seconds (default 1). */
  period?: number;
  /** Block gas limit of a new network (default `BLOCK_GAS_LIMIT`). */
  gasLimit?: number;
  /** Folder of the network (default: networkDir()). */
  dir?: string;
  /** Bound of the wait for the validators (default: 60 s + 2 s per validator). */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface UpResult {
  manifest: NetworkManifest;
  path: string;
  /** True when the network existed (its data was reused). */
  resumed: boolean;
  /** Validators started by this call. */
  started: string[];
  gethBuilt: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Beyond one block period, how long a validator that starts sealing gets to seal before the next one starts. */
const TURN_WAIT_MS = 750;

/** Brings the network up (creating it the first time); resolves once every validator agrees on an advancing head. */
export async function upNetwork(opts: UpOptions = {}): Promise<UpResult> {
  const log = opts.log ?? (() => {});
  const dir = opts.dir ?? networkDir();
  const path = networkManifestPath(dir);
  const geth = await ensureGeth(log);
  const seeds = loadSeeds();
  const existing = readNetworkManifest(path);
  let manifest: NetworkManifest;
  if (existing) {
    if (opts.nodes !== undefined && opts.nodes !== existing.nodes.length)
      throw new Error(
        `the network in ${dir} has ${existing.nodes.length} validators, not ${opts.nodes}: its signers are fixed in its genesis. Run \`npm run network -- down\`, move that folder away, and \`up\` again for another size`,
      );
    if (opts.period !== undefined && opts.period !== existing.period)
      throw new Error(`the network in ${dir} has a block period of ${existing.period} s, fixed in its genesis; move the folder away to make another`);
    if (opts.gasLimit !== undefined && opts.gasLimit !== (existing.gasLimit ?? LEGACY_GAS_LIMIT))
      throw new Error(
        `the network in ${dir} has a block gas limit of ${existing.gasLimit ?? LEGACY_GAS_LIMIT}, fixed in its genesis; move the folder away to make another`,
      );
    manifest = existing;
    manifest.gethVersion = geth.version;
    log(`resuming the network in ${dir}: ${manifest.nodes.length} validators, chain ${manifest.chainId}`);
  } else {
    const period = opts.period ?? DEFAULT_PERIOD;
    const chosen = chooseValidators(seeds.nodes, seeds.cities, opts.nodes ?? seeds.nodes.length);
    const wallets = chosen.map((v) => mnemonicWallet(v.accountIndex));
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const genesisPath = join(dir, "genesis.json");
    // an interrupted first `up` left a genesis: keep it, so the data folders already initialised stay valid
    if (!existsSync(genesisPath))
      writeFileSync(genesisPath, JSON.stringify(cliqueGenesis({ signers: wallets.map((w) => w.address), period, gasLimit: opts.gasLimit }), null, 2) + "\n");
    const genesis = JSON.parse(readFileSync(genesisPath, "utf8")) as { config: { chainId: number; clique: { period: number } }; gasLimit: string };
    log(
      `new network in ${dir}: ${chosen.length} validators (${chosen.map((v) => v.seed.id).join(", ")}), chain ${genesis.config.chainId}, block period ${genesis.config.clique.period} s, block gas limit ${Number(genesis.gasLimit).toLocaleString("en-US")}`,
    );
    const now = new Date().toISOString();
    manifest = {
      version: NETWORK_MANIFEST_VERSION,
      network: NETWORK_NAME,
      chainId: String(genesis.config.chainId ?? YRD_CHAIN_ID),
      genesisHash: "",
      gethVersion: geth.version,
      period: genesis.config.clique.period,
      gasLimit: Number(genesis.gasLimit),
      createdAt: now,
      updatedAt: now,
      nodes: chosen.map((v, i) => {
        const dataDir = join(dir, "nodes", v.seed.id);
        prepareValidator(geth.path, dataDir, wallets[i].privateKey, wallets[i].address, genesisPath);
        const city = seeds.cities.find((c) => c.code === v.seed.city);
        return {
          id: v.seed.id,
          city: v.seed.city,
          cityName: city?.nameEn ?? v.seed.city,
          nodeId: v.nodeId,
          operator: wallets[i].address,
          dataDir,
          p2pPort: 0,
          httpPort: 0,
          authrpcPort: 0,
          pid: 0,
          enode: "",
        };
      }),
    };
  }

  // ports: a running validator keeps its own; a stopped one keeps its last ports while they are free
  const running = new Set(manifest.nodes.filter((n) => isValidatorProcess(n.pid, n.dataDir)).map((n) => n.id));
  const taken = new Set<number>();
  for (const n of manifest.nodes) if (running.has(n.id)) [n.p2pPort, n.httpPort, n.authrpcPort].forEach((p) => taken.add(p));
  for (const n of manifest.nodes) {
    if (running.has(n.id)) continue;
    for (const k of ["p2pPort", "httpPort", "authrpcPort"] as const) {
      const p = n[k];
      if (p > 0 && !taken.has(p) && (await portIsFree(p))) taken.add(p);
      else n[k] = await freePort(taken);
    }
  }
  for (const n of manifest.nodes) n.enode = enodeUrl(enodeId(n.dataDir), n.p2pPort);
  const started: string[] = [];
  for (const n of manifest.nodes) {
    if (running.has(n.id)) continue;
    writeConfig(
      n.dataDir,
      n.p2pPort,
      manifest.nodes.filter((m) => m !== n).map((m) => m.enode),
    );
    n.pid = startValidator({
      geth: geth.path,
      dataDir: n.dataDir,
      chainId: manifest.chainId,
      sealer: n.operator,
      p2pPort: n.p2pPort,
      httpPort: n.httpPort,
      authrpcPort: n.authrpcPort,
      peers: manifest.nodes.length - 1,
      gasLimit: manifest.gasLimit ?? LEGACY_GAS_LIMIT,
    });
    started.push(n.id);
  }
  manifest.updatedAt = new Date().toISOString();
  writeNetworkManifest(manifest, path);
  log(started.length > 0 ? `started ${started.length} geth validator(s): ${started.join(", ")}` : "every validator was already running");

  // 25 validators resumed on 2 cores took over 110 s to be peered all with all (measured): 6 s per validator
  await waitUntilAgreed(manifest, opts.timeoutMs ?? 60_000 + 6_000 * manifest.nodes.length, log);
  const genesis = await blockOf(manifest.nodes[0].httpPort, 0);
  manifest.genesisHash = genesis!.hash;
  manifest.updatedAt = new Date().toISOString();
  writeNetworkManifest(manifest, path);
  return { manifest, path, resumed: existing !== undefined, started, gethBuilt: geth.built };
}

/** What every validator reports, gathered at once. */
interface Probe {
  node: NetworkNode;
  alive: boolean;
  head?: Head;
  peers?: number;
  error?: string;
}

async function probe(n: NetworkNode): Promise<Probe> {
  const alive = isValidatorProcess(n.pid, n.dataDir);
  if (!alive) return { node: n, alive, error: "not running" };
  try {
    const [head, peers] = await Promise.all([headOf(n.httpPort), peerCount(n.httpPort)]);
    return { node: n, alive, head, peers };
  } catch (e) {
    return { node: n, alive, error: (e as Error).message.split("\n")[0] };
  }
}

/**
 * Whether the heads agree: every node has, at the lowest head among them, the same block. Returns that block
 * number and hash, or the first disagreement.
 */
async function agreement(probes: Probe[]): Promise<{ ok: boolean; number: number; hash?: string; detail?: string }> {
  const heads = probes.filter((p) => p.head).map((p) => p.head!);
  if (heads.length === 0) return { ok: false, number: 0, detail: "no node answers" };
  const low = Math.min(...heads.map((h) => h.number));
  const blocks = await Promise.all(
    probes.filter((p) => p.head).map(async (p) => ({ id: p.node.id, block: await blockOf(p.node.httpPort, low).catch(() => undefined) })),
  );
  const hashes = new Set(blocks.map((b) => b.block?.hash));
  if (hashes.size === 1 && blocks[0].block) return { ok: true, number: low, hash: blocks[0].block.hash };
  return { ok: false, number: low, detail: `block ${low}: ${blocks.map((b) => `${b.id} ${b.block?.hash.slice(0, 10) ?? "missing"}`).join(", ")}` };
}

/**
 * Starts the validators that are not sealing yet: one at a time until a majority (⌊N/2⌋ + 1) seals, each once
 * every validator agrees on a block above the one before it began or a block period and a bit have passed (geth
 * discards propagated blocks until it has synced or sealed one itself, so the first ones seal a block 1 each,
 * one after another; the in-turn one weighs more and wins), then the rest together. Started all at once, 4 signers split at block 2 into two halves of 2
 * with blocks of equal difficulty, neither of which may seal block 3 (a Clique signer seals at most one block of
 * any ⌊N/2⌋ + 1 in a row), so the chain stopped for good (seen twice here). Returns the ids started.
 */
async function startSealingInTurns(m: NetworkManifest, log: (line: string) => void): Promise<string[]> {
  const idle = (await Promise.all(m.nodes.map(async (n) => ((await rpc<boolean>(n.httpPort, "eth_mining")) ? undefined : n)))).filter(
    (n): n is NetworkNode => n !== undefined,
  );
  if (idle.length === 0) return [];
  const majority = Math.floor(m.nodes.length / 2) + 1;
  const alreadySealing = m.nodes.length - idle.length;
  const oneByOne = idle.slice(0, Math.max(0, majority - alreadySealing));
  const started: string[] = [];
  for (const n of oneByOne) {
    const before = await agreement(await Promise.all(m.nodes.map(probe)));
    if (await startSealing(n.httpPort)) started.push(n.id);
    const until = Date.now() + m.period * 1000 + TURN_WAIT_MS;
    while (Date.now() < until) {
      const a = await agreement(await Promise.all(m.nodes.map(probe)));
      if (a.ok && a.number > before.number) break;
      await sleep(200);
    }
  }
  for (const n of idle.slice(oneByOne.length)) if (await startSealing(n.httpPort)) started.push(n.id);
  if (oneByOne.length > 1) log(`sealing started one validator at a time: ${oneByOne.map((n) => n.id).join(", ")}`);
  return started;
}

/**
 * Waits until every validator answers with the network's chain id, is peered with every other, and all agree
 * on a head that has advanced since the wait began (so blocks are being sealed). Bounded by `timeoutMs`.
 */
export async function waitUntilAgreed(m: NetworkManifest, timeoutMs: number, log: (line: string) => void = () => {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const want = m.nodes.length - 1;
  let first: number | undefined;
  let last = "";
  while (Date.now() < deadline) {
    const probes = await Promise.all(m.nodes.map(probe));
    const dead = probes.filter((p) => !p.alive);
    if (dead.length > 0)
      throw new Error(
        `geth of ${dead.map((p) => p.node.id).join(", ")} exited: see ${dead.map((p) => relative(process.cwd(), join(p.node.dataDir, "geth.log"))).join(", ")}`,
      );
    const answering = probes.filter((p) => p.head);
    const peered = answering.filter((p) => (p.peers ?? 0) >= want);
    if (answering.length === m.nodes.length && peered.length === m.nodes.length) {
      // every validator sees every other: now they may seal (see startSealing)
      const sealing = await startSealingInTurns(m, log);
      if (sealing.length > 0) log(`peered: ${sealing.join(", ")} start(s) sealing`);
      const a = await agreement(probes);
      first ??= a.number;
      if (a.ok && a.number > first) {
        log(`all ${m.nodes.length} validators peered and agree on block ${a.number} (${a.hash})`);
        return;
      }
      last = a.ok ? `agree on block ${a.number}, waiting for the next` : `heads disagree: ${a.detail}`;
    } else {
      last = `${answering.length}/${m.nodes.length} answer, ${peered.length}/${m.nodes.length} have all ${want} peers`;
    }
    await sleep(500);
  }
  throw new Error(
    `the validators did not come up and agree within ${Math.round(timeoutMs / 1000)} s (${last}); see the geth.log files under ${m.nodes[0].dataDir}/..`,
  );
}

export interface NodeStatus {
  id: string;
  city: string;
  cityName: string;
  operator: string;
  httpPort: number;
  pid: number;
  running: boolean;
  head?: number;
  hash?: string;
  peers?: number;
  /** Signers of the node's last blocks (newest first). */
  recentSigners?: string[];
  health: string;
}

export interface NetworkStatus {
  manifest: NetworkManifest;
  nodes: NodeStatus[];
  /** Block number and hash every answering node has (at the lowest head). */
  agreed?: { number: number; hash: string };
  ok: boolean;
  problems: string[];
}

/** The network's status; `recent` is how many of the last blocks' signers to read from each node. */
export async function networkStatus(dir: string = networkDir(), recent = 5): Promise<NetworkStatus> {
  const m = readNetworkManifest(networkManifestPath(dir));
  if (!m) throw new Error(`no network in ${dir}: run \`npm run network -- up\``);
  const probes = await Promise.all(m.nodes.map(probe));
  const a = await agreement(probes);
  const problems: string[] = [];
  const nodes: NodeStatus[] = [];
  for (const p of probes) {
    const n = p.node;
    let recentSigners: string[] | undefined;
    if (p.head)
      recentSigners = await Promise.all(
        Array.from({ length: Math.min(recent, p.head.number) }, (_, k) => signerOf(n.httpPort, p.head!.number - k).catch(() => "?")),
      );
    let health = "ok";
    if (!p.alive) health = "down";
    else if (!p.head) health = `not answering (${p.error})`;
    else if ((p.peers ?? 0) < m.nodes.length - 1) health = `${p.peers}/${m.nodes.length - 1} peers`;
    if (health !== "ok") problems.push(`${n.id}: ${health}`);
    nodes.push({
      id: n.id,
      city: n.city,
      cityName: n.cityName,
      operator: n.operator,
      httpPort: n.httpPort,
      pid: n.pid,
      running: p.alive,
      head: p.head?.number,
      hash: p.head?.hash,
      peers: p.peers,
      recentSigners,
      health,
    });
  }
  if (!a.ok && probes.some((p) => p.head)) problems.push(`heads disagree: ${a.detail}`);
  return { manifest: m, nodes, agreed: a.ok ? { number: a.number, hash: a.hash! } : undefined, ok: problems.length === 0, problems };
}

/** Stops every node service and validator `up` started (by process id, checked against its node), keeping the data. */
export async function downNetwork(dir: string = networkDir(), log: (line: string) => void = () => {}): Promise<{ id: string; result: string }[]> {
  const path = networkManifestPath(dir);
  const m = readNetworkManifest(path);
  if (!m) throw new Error(`no network in ${dir}: nothing to stop`);
  await stopServices(m, log);
  writeNetworkManifest(m, path);
  const results = await Promise.all(
    m.nodes.map(async (n) => {
      const result = n.pid > 0 ? await stopValidator(n.pid, n.dataDir) : "not running";
      log(`${n.id}: ${result}${n.pid > 0 ? ` (pid ${n.pid})` : ""}`);
      return { id: n.id, result };
    }),
  );
  for (const n of m.nodes) n.pid = 0;
  m.updatedAt = new Date().toISOString();
  writeNetworkManifest(m, path);
  return results;
}

/** Resident memory of a process, bytes (from /proc; 0 once it is gone). */
export function processRssBytes(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return Number(kb ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** Sum of the resident memory of the running validators, bytes. */
export function residentBytes(m: NetworkManifest): number {
  return m.nodes.filter((n) => isValidatorProcess(n.pid, n.dataDir)).reduce((sum, n) => sum + processRssBytes(n.pid), 0);
}

/** Raw JSON-RPC to one validator (for the tests and the status command). */
export { rpc };
