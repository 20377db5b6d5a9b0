/**
 * Starting the explorer over a session: the context (the deployment, the chain watcher, the multi-node
 * network's per-node endpoints, the city coordinates) and the server on 127.0.0.1.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { isInProcess } from "../chain/connection.js";
import { deploymentsDir, readManifest } from "../chain/manifest.js";
import { NETWORK_NAME, readNetworkManifest, rpcUrl } from "../network/manifest.js";
import { loadSeeds } from "../seeds.js";
import type { Session } from "../session.js";
import type { DeploymentView } from "./api.js";
import { loadCityCoordinates, type ExplorerContext, type NodeEndpoints } from "./consortium.js";
import { buildExplorer } from "./server.js";
import { ChainWatch } from "./watch.js";

export const EXPLORER_HOST = "127.0.0.1";

export function deploymentView(session: Session): DeploymentView {
  const m = session.manifest;
  const chain = isInProcess(session.conn) ? "in-process" : session.conn.networkName === "localhost" ? "localhost" : session.conn.networkName === NETWORK_NAME ? "multi-node" : "other";
  return {
    key: `${m.network}-${m.chainId}`,
    network: m.network,
    chainId: m.chainId,
    deployedAt: m.deployedAt,
    deployBlock: m.deployBlock,
    registry: m.contracts.ConsortiumRegistry.address,
    contracts: Object.fromEntries(Object.entries(m.contracts).map(([k, v]) => [k, v.address])),
    nodes: m.nodes.length,
    institutions: m.institutions.length,
    storeDir: session.storeDir,
    chain,
  };
}

/** The other deployments under deployments/ (other networks): listed, to be opened with their own `--network`. */
function otherDeployments(current: string): DeploymentView[] {
  let names: string[] = [];
  try {
    names = readdirSync(deploymentsDir()).filter((f) => /^[\w.-]+-\d+\.json$/.test(f));
  } catch {
    return [];
  }
  const out: DeploymentView[] = [];
  for (const f of names) {
    try {
      const m = readManifest(join(deploymentsDir(), f));
      if (!m || `${m.network}-${m.chainId}` === current) continue;
      out.push({
        key: `${m.network}-${m.chainId}`,
        network: m.network,
        chainId: m.chainId,
        deployedAt: m.deployedAt,
        deployBlock: m.deployBlock,
        registry: m.contracts.ConsortiumRegistry.address,
        contracts: Object.fromEntries(Object.entries(m.contracts).map(([k, v]) => [k, v.address])),
        nodes: m.nodes.length,
        institutions: m.institutions.length,
        storeDir: "",
        chain: m.network === "localhost" ? "localhost" : m.network === NETWORK_NAME ? "multi-node" : "other",
      });
    } catch {
      // a corrupt manifest: not listed
    }
  }
  return out;
}

/** The multi-node network's validator RPC and node service of each node (from networks/yrd/network.json). */
function endpointsOf(session: Session): Map<number, NodeEndpoints> {
  const out = new Map<number, NodeEndpoints>();
  if (session.conn.networkName !== NETWORK_NAME) return out;
  const net = readNetworkManifest();
  if (!net || net.chainId !== session.manifest.chainId) return out;
  for (const n of net.nodes) out.set(n.nodeId, { rpc: rpcUrl(n), ...(n.apiPort && n.servicePid ? { service: `http://127.0.0.1:${n.apiPort}` } : {}) });
  return out;
}

export function explorerContext(session: Session): ExplorerContext {
  if (!session.stores.opts.readOnly) throw new Error("the explorer reads only: open its session with readOnly");
  return {
    session,
    watch: new ChainWatch(session.conn, session.manifest, session.contracts),
    deployment: deploymentView(session),
    endpoints: endpointsOf(session),
    coordinates: loadCityCoordinates(loadSeeds().cities),
  };
}

export interface RunningExplorer {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Serves the explorer over a read-only session on 127.0.0.1:`port` (0: any free port). */
export async function startExplorer(session: Session, opts: { port: number; webRoot?: string }): Promise<RunningExplorer> {
  const ctx = explorerContext(session);
  await ctx.watch.refresh();
  const app = buildExplorer(ctx, { webRoot: opts.webRoot, deployments: otherDeployments(ctx.deployment.key) });
  await app.listen({ host: EXPLORER_HOST, port: opts.port });
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port;
  return { url: `http://${EXPLORER_HOST}:${port}`, app, close: () => app.close() };
}
