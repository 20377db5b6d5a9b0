/**
 * The deployments the explorer can show. Those of the chain it runs on — the network's current manifest and the
 * ones `deploy --fresh` / `replay --fresh` archived (`<deployments>/archive/<network>-<chainId>-<stamp>.json`,
 * their stores moved to `<data-dir>/archive/<network>-<chainId>-<stamp>/`, src/store/archive.ts) — are still on
 * that chain: picking one opens a read-only session over its manifest and its archived stores, if any. Other
 * networks' deployments are listed with the command that opens them.
 */
import { readdirSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { isInProcess } from "../chain/connection.js";
import { deploymentsDir, readManifest, type Manifest } from "../chain/manifest.js";
import { NETWORK_NAME } from "../network/manifest.js";
import { Session } from "../session.js";
import { storeDir } from "../store/stores.js";
import type { DeploymentView } from "./api.js";

export interface DeploymentChoice {
  view: DeploymentView;
  manifest: Manifest;
  path: string;
  /** Where its node stores are (or would be). */
  storeDir: string;
}

/** Thrown for a deployment that cannot be opened here: names it and why. */
export class DeploymentError extends Error {
  readonly statusCode = 400;
}

function hasStores(dir: string): boolean {
  try {
    return readdirSync(dir).some((f) => f.endsWith(".sqlite"));
  } catch {
    return false;
  }
}

function chainOf(network: string): DeploymentView["chain"] {
  return network === "localhost" ? "localhost" : network === NETWORK_NAME ? "multi-node" : "other";
}

function viewOf(m: Manifest, v: Pick<DeploymentView, "key" | "storeDir" | "chain" | "openHere" | "archived" | "note">): DeploymentView {
  return {
    key: v.key,
    network: m.network,
    chainId: m.chainId,
    deployedAt: m.deployedAt,
    deployBlock: m.deployBlock,
    registry: m.contracts.ConsortiumRegistry.address,
    contracts: Object.fromEntries(Object.entries(m.contracts).map(([k, c]) => [k, c.address])),
    nodes: m.nodes.length,
    institutions: m.institutions.length,
    storeDir: v.storeDir,
    hasStores: v.storeDir !== "" && hasStores(v.storeDir),
    chain: v.chain,
    openHere: v.openHere,
    ...(v.archived ? { archived: v.archived } : {}),
    ...(v.note ? { note: v.note } : {}),
  };
}

const NO_STORES = (dir: string) =>
  `no node stores in ${dir}: only what the chain has (its events, commitments and roots), nothing to prove records or log entries against`;

/** The deployment a session reads, under `key` (default `<network>-<chainId>`). */
export function deploymentView(session: Session, key = `${session.manifest.network}-${session.manifest.chainId}`, archived?: string): DeploymentView {
  const m = session.manifest;
  const chain = isInProcess(session.conn) ? "in-process" : chainOf(session.conn.networkName);
  const view = viewOf(m, { key, storeDir: session.storeDir, chain, openHere: true, archived });
  return view.hasStores ? view : { ...view, note: NO_STORES(session.storeDir) };
}

/**
 * The deployments under `dir` (default deployments/, or YRD_DEPLOYMENTS_DIR) besides the one `session` reads:
 * its chain's (current and archived; openable when their registry has code on this chain) and, not archived,
 * other networks'.
 */
export async function listDeployments(session: Session, dir: string = deploymentsDir()): Promise<DeploymentChoice[]> {
  const files = (sub: string) => {
    try {
      return readdirSync(join(dir, sub))
        .filter((f) => f.endsWith(".json"))
        .sort();
    } catch {
      return [];
    }
  };
  const head = await session.conn.ethers.provider.getBlockNumber();
  const here = session.manifest;
  const out: DeploymentChoice[] = [];
  for (const [sub, f] of [...files("").map((f) => ["", f] as const), ...files("archive").map((f) => ["archive", f] as const)]) {
    const path = join(dir, sub, f);
    let m: Manifest | undefined;
    try {
      m = readManifest(path);
    } catch {
      m = undefined; // a corrupt manifest: not listed
    }
    if (!m) continue;
    const archived = sub === "archive" ? basename(f, ".json") : undefined;
    const registry = m.contracts.ConsortiumRegistry.address.toLowerCase();
    // the session's own deployment, wherever its manifest is now (a `deploy --fresh` may have archived it since)
    if (m.network === here.network && m.chainId === here.chainId && registry === here.contracts.ConsortiumRegistry.address.toLowerCase()) continue;
    // a manifest written since at the session's own path (a newer deployment): a key of its own
    const key = archived ?? (resolve(path) === resolve(session.manifestPath) ? `${basename(f, ".json")}@${registry.slice(0, 10)}` : basename(f, ".json"));
    const sameChain = m.network === here.network && m.chainId === here.chainId;
    if (!sameChain) {
      if (archived) continue; // another network's archive: open that network first
      out.push({
        view: viewOf(m, {
          key: basename(f, ".json"),
          storeDir: "",
          chain: chainOf(m.network),
          openHere: false,
          note: `another network: open it with \`npx hardhat --network ${m.network} yrd explorer\``,
        }),
        manifest: m,
        path,
        storeDir: "",
      });
      continue;
    }
    const stores = archived ? join(session.dataDir, "archive", archived) : storeDir(session.dataDir, m.network, m.chainId);
    const onChain = m.deployBlock <= head && (await session.conn.ethers.provider.getCode(m.contracts.ConsortiumRegistry.address)) !== "0x";
    const view = viewOf(m, {
      key,
      storeDir: stores,
      chain: isInProcess(session.conn) ? "in-process" : chainOf(m.network),
      openHere: onChain,
      archived,
      note: onChain
        ? undefined
        : `its contracts are not on this chain (no ConsortiumRegistry at ${m.contracts.ConsortiumRegistry.address}: the chain was restarted since)`,
    });
    if (onChain && !view.hasStores) view.note = NO_STORES(stores);
    out.push({ view, manifest: m, path, storeDir: stores });
  }
  return out;
}

/** A read-only session over `choice` on `base`'s chain and data folder, its stores checked to belong to it as they open. */
export async function openDeployment(base: Session, choice: DeploymentChoice): Promise<Session> {
  if (!choice.view.openHere) throw new DeploymentError(`deployment ${choice.view.key}: ${choice.view.note ?? "cannot be opened here"}`);
  const session = await Session.open(base.conn, {
    dataDir: base.dataDir,
    readOnly: true,
    deployment: { manifest: choice.manifest, path: choice.path },
    storeDir: choice.storeDir,
  });
  try {
    for (const id of session.stores.existing()) session.stores.get(id);
  } catch (e) {
    session.close();
    throw new DeploymentError(`deployment ${choice.view.key}: its stores in ${choice.storeDir} do not belong to it: ${(e as Error).message.split("\n")[0]}`);
  }
  return session;
}
