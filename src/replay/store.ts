/**
 * What a replay keeps in each node's store, next to the node's ordinary tables: every chain step it takes
 * (anchoring a batch, declaring corrections, revoking) with its payload, written as `pending` before the
 * transaction and `done` after, and the leaf hashes of every batch and every block of query-log entries.
 * Record and query contents are not stored: they are regenerated from the seed when a proof needs them.
 */
import type { NodeStore } from "../store/nodeStore.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS replay_steps (
  step TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('anchor', 'supersede', 'revoke')),
  category INTEGER NOT NULL,
  version INTEGER NOT NULL,
  count INTEGER NOT NULL,
  root BLOB,
  leaves BLOB,
  enterprises TEXT,
  status TEXT NOT NULL CHECK (status IN ('pending', 'done')),
  batch_id INTEGER,
  tx_hash TEXT,
  gas INTEGER
);
CREATE INDEX IF NOT EXISTS replay_steps_by_batch ON replay_steps (batch_id);
CREATE TABLE IF NOT EXISTS replay_log_blocks (
  block INTEGER PRIMARY KEY,
  first_sequence INTEGER NOT NULL,
  count INTEGER NOT NULL,
  attempts BLOB NOT NULL,
  leaves BLOB NOT NULL
);
`;

export interface ReplayStep {
  step: string;
  seq: number;
  kind: "anchor" | "supersede" | "revoke";
  category: number;
  version: number;
  count: number;
  root: Uint8Array | null;
  leaves: Uint8Array | null;
  enterprises: string[] | null;
  status: "pending" | "done";
  batchId: number | null;
  txHash: string | null;
  gas: number | null;
}

type Row = Record<string, unknown>;

function toStep(r: Row): ReplayStep {
  return {
    step: r.step as string,
    seq: Number(r.seq),
    kind: r.kind as ReplayStep["kind"],
    category: Number(r.category),
    version: Number(r.version),
    count: Number(r.count),
    root: r.root ? new Uint8Array(r.root as Uint8Array) : null,
    leaves: r.leaves ? new Uint8Array(r.leaves as Uint8Array) : null,
    enterprises: r.enterprises ? (JSON.parse(r.enterprises as string) as string[]) : null,
    status: r.status as ReplayStep["status"],
    batchId: r.batch_id === null ? null : Number(r.batch_id),
    txHash: (r.tx_hash as string | null) ?? null,
    gas: r.gas === null ? null : Number(r.gas),
  };
}

export class ReplayStore {
  private static readonly ready = new WeakSet<NodeStore>();

  constructor(readonly store: NodeStore) {
    if (!ReplayStore.ready.has(store)) {
      store.db.exec(SCHEMA);
      ReplayStore.ready.add(store);
    }
  }

  /** Steps of a chunk (by key prefix), in order. */
  stepsWithPrefix(prefix: string): ReplayStep[] {
    return (this.store.stmt("SELECT * FROM replay_steps WHERE step >= ? AND step < ? ORDER BY seq").all(prefix, prefix + "\uffff") as Row[]).map(toStep);
  }

  /** Every step, in order; without the leaf hashes unless `withLeaves` (they are most of a store's bytes). */
  allSteps(withLeaves = false): ReplayStep[] {
    const columns = withLeaves ? "*" : "step, seq, kind, category, version, count, root, NULL AS leaves, enterprises, status, batch_id, tx_hash, gas";
    return (this.store.stmt(`SELECT ${columns} FROM replay_steps ORDER BY seq`).all() as Row[]).map(toStep);
  }

  nextSeq(): number {
    const r = this.store.stmt("SELECT COALESCE(MAX(seq), -1) + 1 AS n FROM replay_steps").get() as Row;
    return Number(r.n);
  }

  /** Records the steps of a chunk as pending, in one transaction (before any of them is sent). */
  putPending(steps: readonly Omit<ReplayStep, "status" | "batchId" | "txHash" | "gas" | "seq">[]): void {
    const insert = this.store.stmt(
      "INSERT INTO replay_steps (step, seq, kind, category, version, count, root, leaves, enterprises, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
    );
    this.store.transaction(() => {
      let seq = this.nextSeq();
      for (const s of steps)
        insert.run(s.step, seq++, s.kind, s.category, s.version, s.count, s.root, s.leaves, s.enterprises ? JSON.stringify(s.enterprises) : null);
    });
  }

  markDone(step: string, batchId: number | null, txHash: string, gas: number): void {
    this.store.stmt("UPDATE replay_steps SET status = 'done', batch_id = ?, tx_hash = ?, gas = ? WHERE step = ?").run(batchId, txHash, gas, step);
  }

  /** The anchor step of an on-chain batch id. */
  stepOfBatch(batchId: number): ReplayStep | undefined {
    const r = this.store.stmt("SELECT * FROM replay_steps WHERE batch_id = ?").get(batchId) as Row | undefined;
    return r ? toStep(r) : undefined;
  }

  // ------------------------------------------------------------- query-log blocks

  hasLogBlock(block: number): boolean {
    return this.store.stmt("SELECT 1 FROM replay_log_blocks WHERE block = ?").get(block) !== undefined;
  }

  logSize(): number {
    const r = this.store.stmt("SELECT COALESCE(SUM(count), 0) AS n FROM replay_log_blocks").get() as Row;
    return Number(r.n);
  }

  putLogBlock(block: number, firstSequence: number, attempts: Uint32Array, leaves: Uint8Array): void {
    this.store.stmt("INSERT INTO replay_log_blocks (block, first_sequence, count, attempts, leaves) VALUES (?, ?, ?, ?, ?)")
      .run(block, firstSequence, attempts.length, new Uint8Array(attempts.buffer, attempts.byteOffset, attempts.byteLength), leaves);
  }

  /** Every log leaf hash in order, as one buffer (32 bytes each). */
  logLeaves(): Uint8Array {
    const rows = this.store.stmt("SELECT leaves FROM replay_log_blocks ORDER BY block").all() as Row[];
    const total = rows.reduce((a, r) => a + (r.leaves as Uint8Array).length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const r of rows) {
      out.set(r.leaves as Uint8Array, at);
      at += (r.leaves as Uint8Array).length;
    }
    return out;
  }

  /** The log block holding entry `sequence`: its first sequence and the attempt number of each entry. */
  logBlockOf(sequence: number): { block: number; firstSequence: number; attempts: Uint32Array } | undefined {
    const r = this.store.stmt("SELECT block, first_sequence, attempts FROM replay_log_blocks WHERE first_sequence <= ? AND first_sequence + count > ?")
      .get(sequence, sequence) as Row | undefined;
    if (!r) return undefined;
    const a = new Uint8Array(r.attempts as Uint8Array);
    return { block: Number(r.block), firstSequence: Number(r.first_sequence), attempts: new Uint32Array(a.buffer, a.byteOffset, a.byteLength / 4) };
  }
}
