/**
 * A city node's one query log: every query it serves, whoever appends it (a live query, a replay, the node
 * service), in one RFC 6962 log. Entries are kept in the node store — whole (live queries) or, for a bulk
 * replay, as blocks of leaf hashes whose content is regenerated from the replay's seed — and their tree is
 * held in memory. Commitments of (size, root) go on chain through the node's journal (`CityNode.commitLog`).
 */
import { hexlify } from "ethers";
import { MerkleLog } from "../merkle/log.js";
import type { NodeStore, StoredLogEntry } from "../store/nodeStore.js";
import { encodeLogEntry, logEntryLeafHash, type QueryLogEntry } from "../query/log-entry.js";

/**
 * The RFC 6962 trees of stores' whole logs for one reader's run, each built once (the audit's checks and its
 * replay sample both need them; at scale 1 a node's log has millions of entries). A new run makes a new one:
 * the stores may have changed in between.
 */
export class LogTrees {
  private readonly trees = new Map<NodeStore, MerkleLog>();

  of(store: NodeStore): MerkleLog {
    let t = this.trees.get(store);
    if (!t) this.trees.set(store, (t = MerkleLog.importLeafHashes(store.logLeaves())));
    return t;
  }
}

export class NodeQueryLog {
  readonly log: MerkleLog;

  constructor(readonly store: NodeStore) {
    this.log = MerkleLog.importLeafHashes(store.logLeaves());
  }

  get size(): number {
    return this.log.size;
  }

  /**
   * Appends whole entries (their `sequence` is assigned here, in order) to the store and the tree.
   * `replayBlock`: the replay block the entries belong to (a live replay), kept with them.
   */
  append(entries: readonly Omit<QueryLogEntry, "sequence">[], replayBlock: number | null = null): StoredLogEntry[] {
    const start = this.log.size;
    const stored = entries.map((e, i): StoredLogEntry => {
      const entry = encodeLogEntry({ ...e, sequence: start + i });
      return {
        sequence: start + i,
        entry,
        leafHash: logEntryLeafHash(entry),
        enterprise: e.enterprise,
        institution: e.institution,
        time: e.time,
        liveQueryId: e.liveQueryId === 0n ? null : e.liveQueryId.toString(),
      };
    });
    this.store.appendLogEntries(stored, replayBlock);
    for (const s of stored) this.log.append(s.leafHash);
    return stored;
  }

  /** Appends a block of replayed entries kept as leaf hashes (32 bytes each, in order) with their attempt numbers. */
  appendBlock(replayBlock: number, attempts: Uint32Array, leaves: Uint8Array): void {
    this.store.appendLogBlock(replayBlock, this.log.size, attempts, leaves);
    for (let k = 0; k < attempts.length; k++) this.log.append(leaves.subarray(32 * k, 32 * k + 32));
  }

  /** What the next commitment would be: undefined when the last one already covers the whole log. */
  nextCommitment(): { index: number; size: number; root: string; proof: string[] } | undefined {
    const previous = this.store.commitments().at(-1);
    const size = this.log.size;
    if (size === 0 || (previous && previous.size >= size)) return undefined;
    return {
      index: previous ? previous.index + 1 : 0,
      size,
      root: hexlify(this.log.root(size)),
      proof: previous ? this.log.consistencyProof(previous.size, size).map((p) => hexlify(p)) : [],
    };
  }

  /** Inclusion proof of entry `sequence` in the tree of the first `size` entries. */
  inclusionProof(sequence: number, size: number): Uint8Array[] {
    return this.log.inclusionProof(sequence, size);
  }
}
