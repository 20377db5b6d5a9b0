/**
 * Starting the explorer over a session: the context (the deployment, the chain watcher, the multi-node
 * network's per-node endpoints, the city coordinates) and the server on 127.0.0.1.
 */
import type { FastifyInstance } from "fastify";
import { deploymentsDir } from "../chain/manifest.js";
import { NETWORK_NAME, readNetworkManifest, rpcUrl } from "../network/manifest.js";
import { loadSeeds } from "../seeds.js";
import type { Session } from "../session.js";
import type { DeploymentView } from "./api.js";
import { DeploymentError, deploymentView, listDeployments, openDeployment } from "./deployments.js";
import { loadCityCoordinates, type ExplorerContext, type NodeEndpoints } from "./consortium.js";
import { buildExplorer } from "./server.js";
import { ChainWatch } from "./watch.js";

export const EXPLORER_HOST = "127.0.0.1";

/** The multi-node network's validator RPC and node service of each node (from networks/yrd/network.json). */
function endpointsOf(session: Session): Map<number, NodeEndpoints> {
  const out = new Map<number, NodeEndpoints>();
  if (session.conn.networkName !== NETWORK_NAME) return out;
  const net = readNetworkManifest();
  if (!net || net.chainId !== session.manifest.chainId) return out;
  for (const n of net.nodes) out.set(n.nodeId, { rpc: rpcUrl(n), ...(n.apiPort ? { service: n } : {}) });
  return out;
}

export function explorerContext(session: Session, deployment: DeploymentView = deploymentView(session)): ExplorerContext {
  if (!session.stores.opts.readOnly) throw new Error("the explorer reads only: open its session with readOnly");
  return {
    session,
    watch: new ChainWatch(session.conn, session.manifest, session.contracts),
    deployment,
    endpoints: () => endpointsOf(session),
    coordinates: loadCityCoordinates(loadSeeds().cities),
  };
}

export interface RunningExplorer {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

/**
 * Serves the explorer over a read-only session on 127.0.0.1:`port` (0: any free port). The page can switch it
 * to another deployment of the same chain (listed from `deploymentsDir`, default deployments/): a read-only
 * session of its own, kept until the explorer closes (`session` stays the caller's to close).
 */
export async function startExplorer(session: Session, opts: { port: number; webRoot?: string; deploymentsDir?: string }): Promise<RunningExplorer> {
  const ctx = explorerContext(session);
  await ctx.watch.refresh();
  const dir = opts.deploymentsDir ?? deploymentsDir();
  const opened = new Map<string, Promise<ExplorerContext>>([[ctx.deployment.key, Promise.resolve(ctx)]]);
  const app = buildExplorer(ctx, {
    webRoot: opts.webRoot,
    deployments: async () => [ctx.deployment, ...(await listDeployments(session, dir)).map((c) => c.view)],
    open: async (key) => {
      let p = opened.get(key);
      if (!p) {
        const choice = (await listDeployments(session, dir)).find((c) => c.view.key === key);
        if (!choice) throw new DeploymentError(`deployment ${key}: not among the deployments in ${dir}`);
        p = openDeployment(session, choice).then((s) => explorerContext(s, deploymentView(s, choice.view.key, choice.view.archived)));
        opened.set(key, p);
        p.catch(() => opened.delete(key));
      }
      const next = await p;
      await next.watch.refresh();
      return next;
    },
  });
  await app.listen({ host: EXPLORER_HOST, port: opts.port });
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port;
  return {
    url: `http://${EXPLORER_HOST}:${port}`,
    app,
    close: async () => {
      await app.close();
      for (const p of opened.values()) {
        const c = await p.catch(() => undefined);
        if (c && c.session !== session) c.session.close();
      }
    },
  };
}
