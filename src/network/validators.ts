/**
 * One geth validator per chosen city node: its data folder (chain, keystore, node key, password file, config
 * with its static peers, log), its process, and what it answers over JSON-RPC.
 *
 * - The sealer key (the node operator's account) is imported into an encrypted JSON keystore with
 *   `geth account import`; the plaintext key file exists only during the import (0600, removed after). The
 *   keystore's password is random, in a 0600 file that geth reads (`--password`), never on a command line.
 * - A node key made once per data folder (0600) fixes the node's enode, so peers are known before start.
 * - Loopback only: no discovery, no NAT, p2p restricted to 127.0.0.1 with static peers, HTTP JSON-RPC and the
 *   engine API (authrpc, which geth 1.13 always opens) on 127.0.0.1, no IPC socket.
 * - Started detached with its own log file; stopped by process id, after checking that the process is the
 *   geth of that data folder.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { SigningKey } from "ethers";
import { isValidatorProcess } from "./pid.js";

export { isValidatorProcess };

/** Bound of one JSON-RPC request to a validator. */
const RPC_TIMEOUT_MS = 5_000;

export interface ValidatorFiles {
  dataDir: string;
  password: string;
  nodekey: string;
  config: string;
  log: string;
}

export function filesOf(dataDir: string): ValidatorFiles {
  return {
    dataDir,
    password: join(dataDir, "password"),
    nodekey: join(dataDir, "nodekey"),
    config: join(dataDir, "geth.toml"),
    log: join(dataDir, "geth.log"),
  };
}

function run(geth: string, args: string[], what: string): string {
  const r = spawnSync(geth, args, { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${what} failed (exit code ${r.status ?? r.signal}): ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ")}`);
  return r.stdout;
}

/** Whether the data folder holds an initialised chain. */
export function isInitialised(dataDir: string): boolean {
  return existsSync(join(dataDir, "geth", "chaindata"));
}

/**
 * Prepares a data folder once: password file, node key, the sealer key in the keystore, `geth init` with the
 * genesis. Each part is skipped when already there, so an interrupted preparation is finished by the next `up`.
 */
export function prepareValidator(geth: string, dataDir: string, sealerKey: string, sealer: string, genesisPath: string): void {
  const f = filesOf(dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  if (!existsSync(f.password)) writeFileSync(f.password, randomBytes(32).toString("hex"), { mode: 0o600 });
  if (!existsSync(f.nodekey)) writeFileSync(f.nodekey, randomBytes(32).toString("hex"), { mode: 0o600 });
  const keystore = join(dataDir, "keystore");
  const imported = existsSync(keystore) && readdirSync(keystore).some((n) => n.toLowerCase().includes(sealer.toLowerCase().slice(2)));
  if (!imported) {
    const keyFile = join(dataDir, "sealer.key");
    writeFileSync(keyFile, sealerKey.replace(/^0x/, ""), { mode: 0o600 });
    try {
      // --lightkdf: a cheap scrypt, so that 25 validators unlocking at once do not need 256 MB each
      run(geth, ["account", "import", "--datadir", dataDir, "--password", f.password, "--lightkdf", keyFile], `importing the sealer key of ${dataDir}`);
    } finally {
      rmSync(keyFile, { force: true });
    }
  }
  if (!isInitialised(dataDir)) run(geth, ["init", "--datadir", dataDir, genesisPath], `geth init of ${dataDir}`);
}

/** The enode id (uncompressed public key without its 0x04 prefix) of the node key in `dataDir`. */
export function enodeId(dataDir: string): string {
  const key = readFileSync(filesOf(dataDir).nodekey, "utf8").trim();
  return new SigningKey("0x" + key).publicKey.slice(4);
}

export function enodeUrl(id: string, p2pPort: number): string {
  return `enode://${id}@127.0.0.1:${p2pPort}?discport=0`;
}

/**
 * Writes the node's TOML config: the p2p listening address on loopback (geth's `--port` flag would listen on
 * every interface) and its static peers (every other validator, on loopback).
 */
export function writeConfig(dataDir: string, p2pPort: number, peers: readonly string[]): void {
  const list = peers.map((p) => `  "${p}",`).join("\n");
  writeFileSync(
    filesOf(dataDir).config,
    `# written by \`npm run network -- up\`: p2p on 127.0.0.1 only, static peers, no discovery\n[Node.P2P]\nListenAddr = "127.0.0.1:${p2pPort}"\nStaticNodes = [\n${list}\n]\n`,
    { mode: 0o600 },
  );
}

export interface StartOptions {
  geth: string;
  dataDir: string;
  chainId: string | number;
  sealer: string;
  p2pPort: number;
  httpPort: number;
  authrpcPort: number;
  peers: number;
  /** Block gas limit the miner keeps (the genesis figure). */
  gasLimit: number;
}

/**
 * Transaction pool room: geth's defaults (5,120 executable transactions in all, 16 guaranteed per account)
 * are for a public network of many senders; here a few node operators and institutions each keep hundreds
 * of transactions in flight, and a validator that dropped another node's transactions could not seal them.
 */
const TXPOOL = { globalslots: 65_536, accountslots: 16_384, globalqueue: 16_384, accountqueue: 4_096 } as const;

/** The command line of a validator (no secret on it: the password is read from its file). */
export function gethArgs(o: StartOptions): string[] {
  const f = filesOf(o.dataDir);
  return [
    "--datadir",
    o.dataDir,
    "--config",
    f.config,
    "--networkid",
    String(o.chainId),
    "--syncmode",
    "full",
    "--nodiscover",
    "--nat",
    "none",
    "--netrestrict",
    "127.0.0.1/32",
    "--maxpeers",
    String(Math.max(50, o.peers + 5)),
    "--nodekey",
    f.nodekey,
    "--ipcdisable",
    "--http",
    "--http.addr",
    "127.0.0.1",
    "--http.port",
    String(o.httpPort),
    "--http.api",
    "eth,net,web3,clique,txpool,miner",
    "--http.vhosts",
    "localhost,127.0.0.1",
    "--authrpc.addr",
    "127.0.0.1",
    "--authrpc.port",
    String(o.authrpcPort),
    "--unlock",
    o.sealer,
    "--password",
    f.password,
    // geth refuses to unlock an account while HTTP is on unless told: the HTTP server is on loopback only
    "--allow-insecure-unlock",
    "--miner.etherbase",
    o.sealer,
    "--miner.gaslimit",
    String(o.gasLimit),
    ...Object.entries(TXPOOL).flatMap(([k, v]) => [`--txpool.${k}`, String(v)]),
    "--verbosity",
    "3",
  ];
}

/** Starts a validator detached, logging to its geth.log; returns its process id. */
export function startValidator(o: StartOptions): number {
  const f = filesOf(o.dataDir);
  const fd = openSync(f.log, "a", 0o600);
  try {
    const child = spawn(o.geth, gethArgs(o), { detached: true, stdio: ["ignore", fd, fd] });
    if (child.pid === undefined) throw new Error(`could not start geth for ${o.dataDir}`);
    child.unref();
    writeFileSync(join(o.dataDir, "geth.pid"), String(child.pid));
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stops the validator process `pid` of `dataDir`: SIGTERM, then SIGKILL when it has not exited within
 * `graceMs`. A process id that is not that data folder's geth (gone, or reused) is left alone.
 */
export async function stopValidator(pid: number, dataDir: string, graceMs = 20_000): Promise<"stopped" | "killed" | "not running"> {
  if (!isValidatorProcess(pid, dataDir)) return "not running";
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(100);
    if (!isValidatorProcess(pid, dataDir)) return "stopped";
  }
  if (isValidatorProcess(pid, dataDir)) process.kill(pid, "SIGKILL");
  for (let i = 0; i < 50 && isValidatorProcess(pid, dataDir); i++) await sleep(100);
  return "killed";
}

/**
 * Starts sealing on a validator that is not sealing yet. Validators start without `--mine` and are told to seal
 * only once they are peered with every other: Clique signers that seal before they see each other fork at the
 * first blocks, and with an even number of signers two halves can each get stuck (no signer of either may seal
 * the next block) — measured on 4 validators started together with `--mine`.
 */
export async function startSealing(port: number): Promise<boolean> {
  if (await rpc<boolean>(port, "eth_mining")) return false;
  await rpc(port, "miner_start", []);
  return true;
}

/** Kills a validator at once (SIGKILL), as a crash would; for tests. */
export function killValidator(pid: number, dataDir: string): boolean {
  if (!isValidatorProcess(pid, dataDir)) return false;
  process.kill(pid, "SIGKILL");
  return true;
}

/** Whether `port` can be bound on 127.0.0.1 (TCP). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** A free TCP port on 127.0.0.1 not in `taken`. */
export async function freePort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => {
        const a = srv.address();
        srv.close(() => (typeof a === "object" && a ? resolve(a.port) : reject(new Error("no port"))));
      });
    });
    if (!taken.has(port)) {
      taken.add(port);
      return port;
    }
  }
  throw new Error("no free port on 127.0.0.1 after 100 tries");
}

/** One JSON-RPC call to a validator on loopback, bounded in time. */
export async function rpc<T = unknown>(port: number, method: string, params: unknown[] = [], timeoutMs = RPC_TIMEOUT_MS): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

export interface Head {
  number: number;
  hash: string;
  stateRoot: string;
  miner: string;
}

/** The node's latest block. */
export async function headOf(port: number): Promise<Head> {
  const b = await rpc<{ number: string; hash: string; stateRoot: string; miner: string }>(port, "eth_getBlockByNumber", ["latest", false]);
  return { number: Number(b.number), hash: b.hash, stateRoot: b.stateRoot, miner: b.miner };
}

/** The node's block `n`, or undefined when it does not have it. */
export async function blockOf(port: number, n: number): Promise<Head | undefined> {
  const b = await rpc<{ number: string; hash: string; stateRoot: string; miner: string } | null>(port, "eth_getBlockByNumber", ["0x" + n.toString(16), false]);
  return b ? { number: Number(b.number), hash: b.hash, stateRoot: b.stateRoot, miner: b.miner } : undefined;
}

/** The Clique signer of block `n` (the `miner` field of a Clique block is empty: the signer is in the seal). */
export async function signerOf(port: number, n: number): Promise<string> {
  return rpc<string>(port, "clique_getSigner", ["0x" + n.toString(16)]);
}

export async function peerCount(port: number): Promise<number> {
  return Number(await rpc<string>(port, "net_peerCount"));
}
