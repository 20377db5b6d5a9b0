/** The node stores of one deployment, opened on demand: `<dataDir>/<network>-<chainId>/<node id>.sqlite`. */
import { existsSync } from "node:fs";
import type { Manifest } from "../chain/manifest.js";
import { NodeStore, nodeStorePath } from "./nodeStore.js";

export const DEFAULT_DATA_DIR = "data";

export class NodeStores {
  private readonly open = new Map<number, NodeStore>();

  constructor(
    readonly dataDir: string,
    readonly manifest: Manifest,
  ) {}

  path(nodeId: number): string {
    const node = this.manifest.nodes.find((n) => n.nodeId === nodeId);
    if (!node) throw new Error(`no node ${nodeId} in the manifest`);
    return nodeStorePath(this.dataDir, this.manifest.network, this.manifest.chainId, node.id);
  }

  /** The store of node `nodeId`, created if needed. */
  get(nodeId: number): NodeStore {
    let s = this.open.get(nodeId);
    if (!s) {
      s = NodeStore.open(this.path(nodeId));
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
