/**
 * A serving node's query log: entries in the node store, their RFC 6962 tree in memory, and the commitments
 * of (size, root) on chain. Entries are stored before any commitment that covers them is sent, and a
 * commitment found on chain but missing from the store (a crash after sending) is taken from the chain, so
 * nothing is lost or committed twice.
 */
import { hexlify, getBytes } from "ethers";
import type { QueryLog } from "../../typechain-types/index.js";
import { MerkleLog } from "../merkle/log.js";
import type { NodeStore, StoredCommitment, StoredLogEntry } from "../store/nodeStore.js";
import { encodeLogEntry, logEntryLeafHash, type QueryLogEntry } from "./log-entry.js";

export class NodeQueryLog {
  readonly log: MerkleLog;

  /** `log`: the tree of the node's entries when they are kept elsewhere than the store's query_log table (a replay). */
  constructor(
    readonly store: NodeStore,
    log?: MerkleLog,
  ) {
    this.log = log ?? MerkleLog.fromLeafHashes(store.logLeafHashes());
  }

  get size(): number {
    return this.log.size;
  }

  /** Appends entries (their `sequence` is assigned here, in order) to the store and the tree. */
  append(entries: readonly Omit<QueryLogEntry, "sequence">[]): StoredLogEntry[] {
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
    this.store.appendLogEntries(stored);
    for (const s of stored) this.log.append(s.leafHash);
    return stored;
  }

  /** Copies commitments the chain has and the store lacks (e.g. after a crash right after sending one). */
  async syncCommitments(contract: QueryLog, nodeId: number): Promise<void> {
    const onChain = Number(await contract.commitmentCount(nodeId));
    const known = this.store.commitments().length;
    if (onChain <= known) return;
    const events = await contract.queryFilter(contract.filters.LogCommitted(nodeId));
    for (let i = known; i < onChain; i++) {
      const c = await contract.commitment(nodeId, i);
      const ev = events.find((e) => Number(e.args.index) === i);
      if (hexlify(this.log.root(Number(c.size))) !== c.root)
        throw new Error(`node ${nodeId}: commitment ${i} on chain (size ${c.size}) does not match the store's log: the store lost entries`);
      this.store.putCommitment({ index: i, size: Number(c.size), root: getBytes(c.root), txHash: ev?.transactionHash ?? "", block: ev?.blockNumber ?? 0 });
    }
  }

  /**
   * Commits the current (size, root) on chain with a consistency proof against the last commitment.
   * Returns undefined when there is nothing new to commit. `contract` must be connected to the node's operator.
   */
  async commit(contract: QueryLog, nodeId: number): Promise<(StoredCommitment & { gasUsed: bigint }) | undefined> {
    await this.syncCommitments(contract, nodeId);
    const previous = this.store.commitments().at(-1);
    const size = this.log.size;
    if (size === 0 || (previous && previous.size === size)) return undefined;
    const root = this.log.root(size);
    const proof = previous ? this.log.consistencyProof(previous.size, size) : [];
    const tx = await contract.commitLog(size, root, proof);
    const receipt = await tx.wait();
    if (!receipt) throw new Error("commitLog: no receipt");
    const c: StoredCommitment = { index: previous ? previous.index + 1 : 0, size, root, txHash: receipt.hash, block: receipt.blockNumber };
    this.store.putCommitment(c);
    return { ...c, gasUsed: receipt.gasUsed };
  }

  /** Inclusion proof of entry `sequence` against commitment `c`. */
  inclusionProof(sequence: number, c: StoredCommitment): Uint8Array[] {
    return this.log.inclusionProof(sequence, c.size);
  }

  /** The first commitment that covers entry `sequence`, if any. */
  commitmentCovering(sequence: number): StoredCommitment | undefined {
    return this.store.commitments().find((c) => c.size > sequence);
  }
}
