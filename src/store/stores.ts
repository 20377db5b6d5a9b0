/** The node stores of one deployment, opened on demand: `<dataDir>/<network>-<chainId>/<node id>.sqlite`. */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Manifest } from "../chain/manifest.js";
import { NodeStore, StoreError, nodeStorePath, type ChainBinding } from "./nodeStore.js";

export const DEFAULT_DATA_DIR = "data";

/** The folder of a deployment's node stores (and of its replay state). */
export function storeDir(dataDir: string, network: string, chainId: string | bigint): string {
  return join(dataDir, `${network}-${chainId}`);
}

export interface NodeStoresOptions {
  /** Open existing stores for reading only; a node without a store has none (`get` throws, `existing` omits it). */
  readOnly?: boolean;
  /** What the stores must belong to: checked (and recorded on first use) as each store opens. */
  binding?: Omit<ChainBinding, "node">;
  /** The stores' folder instead of `<dataDir>/<network>-<chainId>` (an archived deployment's, `<dataDir>/archive/…`). */
  dir?: string;
}

export class NodeStores {
  private readonly open = new Map<number, NodeStore>();

  constructor(
    readonly dataDir: string,
    readonly manifest: Manifest,
    readonly opts: NodeStoresOptions = {},
  ) {}

  get dir(): string {
    return this.opts.dir ?? storeDir(this.dataDir, this.manifest.network, this.manifest.chainId);
  }

  path(nodeId: number): string {
    const node = this.manifest.nodes.find((n) => n.nodeId === nodeId);
    if (!node) throw new StoreError(`no node ${nodeId} in the manifest`);
    return this.opts.dir ? join(this.opts.dir, `${node.id}.sqlite`) : nodeStorePath(this.dataDir, this.manifest.network, this.manifest.chainId, node.id);
  }

  /** The store of node `nodeId` (created if needed, unless read-only), checked to belong to this chain. */
  get(nodeId: number): NodeStore {
    let s = this.open.get(nodeId);
    if (!s) {
      const path = this.path(nodeId);
      s = this.opts.readOnly ? NodeStore.openReadOnly(path) : NodeStore.open(path);
      try {
        if (this.opts.binding) s.bindToChain({ ...this.opts.binding, node: this.manifest.nodes.find((n) => n.nodeId === nodeId)!.id });
      } catch (e) {
        s.close();
        throw e;
      }
      this.open.set(nodeId, s);
    }
    return s;
  }

  /** Node ids whose store file exists (for readers that must not create empty stores). */
  existing(): number[] {
    return this.manifest.nodes.map((n) => n.nodeId).filter((id) => this.open.has(id) || existsSync(this.path(id)));
  }

  close(): void {
    for (const s of this.open.values()) s.close();
    this.open.clear();
  }
}

/**
 * The salt secrets of the node stores in `dir` (a folder `<data-dir>/<network>-<chainId>/` of an earlier
 * deployment), each read when asked for: `replay --salt-secrets-from` gives a new deployment's stores the
 * secrets of an earlier one, so that the same seed gives the same batch roots there (to compare engines).
 * The secrets are the operators' own: copy them only between stores of the same nodes.
 */
export function saltSecretsIn(dir: string): (node: string) => Uint8Array {
  if (!existsSync(dir) || !readdirSync(dir).some((f) => f.endsWith(".sqlite")))
    throw new StoreError(`${dir} holds no node stores (a folder such as data/localhost-31337 is expected)`);
  return (node) => {
    const store = NodeStore.openReadOnly(join(dir, `${node}.sqlite`));
    try {
      return store.saltSecret();
    } finally {
      store.close();
    }
  };
}
