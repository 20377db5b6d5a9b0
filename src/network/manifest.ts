/**
 * The network manifest (`networks/yrd/network.json`): what `npm run network -- up` started — chain id, genesis
 * hash, geth version, and per validator its node, data folder, ports, process id and enode. hardhat.config.ts
 * reads it when the config loads (the `yrd` network's RPC URL), so this module imports nothing but node:fs.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const NETWORK_NAME = "yrd";
export const NETWORK_MANIFEST_VERSION = 1;

/** The project root (this file is src/network/manifest.ts). */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Folder of the multi-node network: YRD_NETWORK_DIR when set, else networks/yrd/ of the project. */
export function networkDir(): string {
  return resolve(process.env.YRD_NETWORK_DIR ?? join(PROJECT_ROOT, "networks", NETWORK_NAME));
}

export function networkManifestPath(dir: string = networkDir()): string {
  return join(dir, "network.json");
}

export interface NetworkNode {
  /** Text id of the city node, e.g. "sh-1". */
  id: string;
  /** Division code of its city. */
  city: string;
  cityName: string;
  /** On-chain node id (1-based position in seeds/nodes.json). */
  nodeId: number;
  /** The operator's account: the node's Clique signer. */
  operator: string;
  dataDir: string;
  p2pPort: number;
  httpPort: number;
  authrpcPort: number;
  /** Process id of its geth while it runs (0 when stopped by `down`). */
  pid: number;
  enode: string;
  /** The node service's port on 127.0.0.1 (0 before its first start). */
  apiPort?: number;
  /** Process id of the node service while it runs (0 when stopped). */
  servicePid?: number;
}

export interface NetworkManifest {
  version: number;
  network: string;
  chainId: string;
  genesisHash: string;
  gethVersion: string;
  /** Clique block period, seconds. */
  period: number;
  /** The node services' records per live transaction (`up --live-chunk`; absent: the services' default). */
  liveChunk?: number;
  /** Block gas limit of the genesis (absent in manifests written before it was a choice: 30M). */
  gasLimit?: number;
  createdAt: string;
  updatedAt: string;
  nodes: NetworkNode[];
}

export function readNetworkManifest(path: string = networkManifestPath()): NetworkManifest | undefined {
  if (!existsSync(path)) return undefined;
  const m = JSON.parse(readFileSync(path, "utf8")) as NetworkManifest;
  if (m.version !== NETWORK_MANIFEST_VERSION || !Array.isArray(m.nodes) || m.nodes.length === 0)
    throw new Error(`network manifest ${path} is not one this version writes (version ${JSON.stringify(m.version)})`);
  return m;
}

/** Writes the manifest atomically (temporary file, then rename). */
export function writeNetworkManifest(m: NetworkManifest, path: string = networkManifestPath()): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(m, null, 2) + "\n", { mode: 0o644 });
  renameSync(tmp, path);
}

/** The loopback RPC URL of a node. */
export function rpcUrl(node: Pick<NetworkNode, "httpPort">): string {
  return `http://127.0.0.1:${node.httpPort}`;
}

/**
 * The node the `yrd` Hardhat network talks to: `which` (YRD_RPC_NODE: a node id such as hz-1, or a 1-based
 * position in the manifest) or the first one. Throws one line when the name is unknown.
 */
export function pickRpcNode(m: NetworkManifest, which: string | undefined = process.env.YRD_RPC_NODE): NetworkNode {
  if (which === undefined || which === "") return m.nodes[0];
  const byId = m.nodes.find((n) => n.id === which);
  if (byId) return byId;
  const pos = Number(which);
  if (Number.isInteger(pos) && pos >= 1 && pos <= m.nodes.length) return m.nodes[pos - 1];
  throw new Error(`YRD_RPC_NODE=${which} is not a node of the network (${m.nodes.map((n) => n.id).join(", ")})`);
}
