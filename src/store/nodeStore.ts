/**
 * A city node's off-chain store: its records (plaintext, salts, encodings), the batches it anchored and the
 * position of every record, enough to produce any proof later. One `node:sqlite` database file per node
 * (Node's built-in SQLite: no native build, no server).
 *
 * Writes are ordered so that nothing is lost: a record (with its salt) is stored as `pending` before its
 * digest is sent to the chain, and marked `live` or `batched` once the transaction has a receipt. A crash in
 * between leaves a pending row that `pending()` returns for a retry, never a digest on chain without its salt.
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";

export type RecordMode = "pending" | "live" | "batched";

export interface StoredRecord {
  enterprise: string;
  category: number;
  version: number;
  /** 32-byte salt of the commitment. */
  salt: Uint8Array;
  /** Canonical ABI encoding of the record. */
  encoding: Uint8Array;
  /** Salted commitment as attested or batched. */
  digest: Uint8Array;
  /** StandardMerkleTree leaf hash of (enterprise, category, version, digest). */
  leafHash: Uint8Array;
  /** The record as JSON (the plaintext the node serves off chain). */
  recordJson: string;
  mode: RecordMode;
  /** Local batch sequence (pending batch) or the on-chain batch id once anchored. */
  batchId: number | null;
  txHash: string | null;
  block: number | null;
}

export interface StoredBatch {
  batchId: number;
  category: number;
  root: Uint8Array;
  count: number;
  batchDigest: Uint8Array;
  txHash: string;
  block: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
  enterprise TEXT NOT NULL,
  category INTEGER NOT NULL,
  version INTEGER NOT NULL,
  salt BLOB NOT NULL,
  encoding BLOB NOT NULL,
  digest BLOB NOT NULL,
  leaf_hash BLOB NOT NULL,
  record_json TEXT NOT NULL,
  mode TEXT NOT NULL CHECK (mode IN ('pending', 'live', 'batched')),
  batch_id INTEGER,
  tx_hash TEXT,
  block INTEGER,
  PRIMARY KEY (enterprise, category, version)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_by_batch ON records (batch_id) WHERE mode = 'batched';
CREATE INDEX IF NOT EXISTS records_pending ON records (mode) WHERE mode = 'pending';
CREATE TABLE IF NOT EXISTS batches (
  batch_id INTEGER PRIMARY KEY,
  category INTEGER NOT NULL,
  root BLOB NOT NULL,
  count INTEGER NOT NULL,
  batch_digest BLOB NOT NULL,
  tx_hash TEXT NOT NULL,
  block INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS query_log (
  sequence INTEGER PRIMARY KEY,
  entry BLOB NOT NULL,
  leaf_hash BLOB NOT NULL,
  enterprise TEXT NOT NULL,
  institution INTEGER NOT NULL,
  time INTEGER NOT NULL,
  live_query_id TEXT
);
CREATE INDEX IF NOT EXISTS query_log_by_enterprise ON query_log (enterprise);
CREATE TABLE IF NOT EXISTS log_commitments (
  idx INTEGER PRIMARY KEY,
  size INTEGER NOT NULL,
  root BLOB NOT NULL,
  tx_hash TEXT NOT NULL,
  block INTEGER NOT NULL
);
`;

export interface StoredLogEntry {
  sequence: number;
  /** Canonical encoding (src/query/log-entry.ts). */
  entry: Uint8Array;
  leafHash: Uint8Array;
  enterprise: string;
  institution: number;
  time: number;
  /** QueryDesk id of a live query, or null. */
  liveQueryId: string | null;
}

export interface StoredCommitment {
  index: number;
  size: number;
  root: Uint8Array;
  txHash: string;
  block: number;
}

function toLogEntry(r: Record<string, unknown>): StoredLogEntry {
  return {
    sequence: Number(r.sequence),
    entry: new Uint8Array(r.entry as Uint8Array),
    leafHash: new Uint8Array(r.leaf_hash as Uint8Array),
    enterprise: r.enterprise as string,
    institution: Number(r.institution),
    time: Number(r.time),
    liveQueryId: (r.live_query_id as string | null) ?? null,
  };
}

type Row = Record<string, unknown>;

function toRecord(r: Row): StoredRecord {
  return {
    enterprise: r.enterprise as string,
    category: Number(r.category),
    version: Number(r.version),
    salt: new Uint8Array(r.salt as Uint8Array),
    encoding: new Uint8Array(r.encoding as Uint8Array),
    digest: new Uint8Array(r.digest as Uint8Array),
    leafHash: new Uint8Array(r.leaf_hash as Uint8Array),
    recordJson: r.record_json as string,
    mode: r.mode as RecordMode,
    batchId: r.batch_id === null ? null : Number(r.batch_id),
    txHash: (r.tx_hash as string | null) ?? null,
    block: r.block === null ? null : Number(r.block),
  };
}

function toBatch(r: Row): StoredBatch {
  return {
    batchId: Number(r.batch_id),
    category: Number(r.category),
    root: new Uint8Array(r.root as Uint8Array),
    count: Number(r.count),
    batchDigest: new Uint8Array(r.batch_digest as Uint8Array),
    txHash: r.tx_hash as string,
    block: Number(r.block),
  };
}

/** Path of a node's database: `<dataDir>/<network>-<chainId>/<node id>.sqlite`. */
export function nodeStorePath(dataDir: string, network: string, chainId: string | bigint, nodeId: string): string {
  return join(dataDir, `${network}-${chainId}`, `${nodeId}.sqlite`);
}

export class NodeStore {
  readonly db: DatabaseSync;
  private readonly stmts: Record<string, StatementSync> = {};

  private constructor(readonly path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    this.db.exec(SCHEMA);
  }

  /** Opens (creating if needed) the store at `path` (":memory:" for a throw-away store). */
  static open(path: string): NodeStore {
    return new NodeStore(path);
  }

  close(): void {
    this.db.close();
  }

  /** A prepared statement, cached: node:sqlite statements hold native memory the garbage collector does not see. */
  stmt(sql: string): StatementSync {
    return (this.stmts[sql] ??= this.db.prepare(sql));
  }

  /** Runs `fn` in one transaction (rolled back if it throws). */
  /** Runs `fn` in one SQLite transaction; a call inside another joins the outer one (all or nothing together). */
  transaction<T>(fn: () => T): T {
    if (this.db.isTransaction) return fn();
    this.db.exec("BEGIN");
    try {
      const out = fn();
      this.db.exec("COMMIT");
      return out;
    } catch (e) {
      this.db.exec("ROLLBACK");
      throw e;
    }
  }

  getMeta(key: string): string | undefined {
    const r = this.stmt("SELECT value FROM meta WHERE key = ?").get(key) as Row | undefined;
    return r?.value as string | undefined;
  }

  setMeta(key: string, value: string): void {
    this.stmt("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  /**
   * Stores records as pending, in one transaction. A record that is already stored is refused (the same
   * version is never written twice) unless it is still pending with the same digest.
   */
  putPending(records: readonly Omit<StoredRecord, "mode" | "txHash" | "block">[]): void {
    const insert = this.stmt(
      `INSERT INTO records (enterprise, category, version, salt, encoding, digest, leaf_hash, record_json, mode, batch_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
    );
    this.transaction(() => {
      for (const r of records) {
        const existing = this.get(r.enterprise, r.category, r.version);
        if (existing) {
          if (existing.mode === "pending" && Buffer.from(existing.digest).equals(Buffer.from(r.digest))) continue;
          throw new Error(`record ${r.enterprise} category ${r.category} version ${r.version} is already stored (${existing.mode})`);
        }
        insert.run(r.enterprise, r.category, r.version, r.salt, r.encoding, r.digest, r.leafHash, r.recordJson, r.batchId);
      }
    });
  }

  /** Marks records live after their attestation transaction was mined. */
  markLive(keys: readonly { enterprise: string; category: number; version: number }[], txHash: string, block: number): void {
    this.markLiveEach(keys.map((k) => ({ ...k, txHash, block })));
  }

  /** Marks records anchored live, each by its own transaction, in one SQLite transaction. */
  markLiveEach(rows: readonly { enterprise: string; category: number; version: number; txHash: string; block: number }[]): void {
    const upd = this.stmt(
      "UPDATE records SET mode = 'live', tx_hash = ?, block = ?, batch_id = NULL WHERE enterprise = ? AND category = ? AND version = ?",
    );
    this.transaction(() => {
      for (const k of rows) upd.run(k.txHash, k.block, k.enterprise, k.category, k.version);
    });
  }

  /** Records the anchored batch and moves its pending records (local sequence `localBatch`) to it. */
  markBatched(localBatch: number, batch: StoredBatch): void {
    this.transaction(() => {
      this.stmt(
        "INSERT INTO batches (batch_id, category, root, count, batch_digest, tx_hash, block) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ).run(batch.batchId, batch.category, batch.root, batch.count, batch.batchDigest, batch.txHash, batch.block);
      const r = this.stmt(
        "UPDATE records SET mode = 'batched', batch_id = ?, tx_hash = ?, block = ? WHERE mode = 'pending' AND batch_id = ?",
      ).run(batch.batchId, batch.txHash, batch.block, -localBatch);
      if (Number(r.changes) !== batch.count)
        throw new Error(`batch ${batch.batchId}: ${r.changes} pending records moved, ${batch.count} expected`);
    });
  }

  get(enterprise: string, category: number, version: number): StoredRecord | undefined {
    const r = this.stmt("SELECT * FROM records WHERE enterprise = ? AND category = ? AND version = ?").get(enterprise, category, version) as
      | Row
      | undefined;
    return r ? toRecord(r) : undefined;
  }

  /** Highest stored version of (enterprise, category), or 0. */
  latestVersion(enterprise: string, category: number): number {
    const r = this.stmt("SELECT MAX(version) AS v FROM records WHERE enterprise = ? AND category = ?").get(enterprise, category) as Row;
    return r.v === null ? 0 : Number(r.v);
  }

  /** Every stored version of an enterprise's records, oldest first. */
  recordsOf(enterprise: string): StoredRecord[] {
    return (this.stmt("SELECT * FROM records WHERE enterprise = ? ORDER BY category, version").all(enterprise) as Row[]).map(toRecord);
  }

  /** Records not yet confirmed on chain. */
  pending(): StoredRecord[] {
    return (this.stmt("SELECT * FROM records WHERE mode = 'pending' ORDER BY batch_id, enterprise, category, version").all() as Row[]).map(
      toRecord,
    );
  }

  batch(batchId: number): StoredBatch | undefined {
    const r = this.stmt("SELECT * FROM batches WHERE batch_id = ?").get(batchId) as Row | undefined;
    return r ? toBatch(r) : undefined;
  }

  batches(): StoredBatch[] {
    return (this.stmt("SELECT * FROM batches ORDER BY batch_id").all() as Row[]).map(toBatch);
  }

  /** The records of an anchored batch. */
  recordsInBatch(batchId: number): StoredRecord[] {
    return (this.stmt("SELECT * FROM records WHERE mode = 'batched' AND batch_id = ?").all(batchId) as Row[]).map(toRecord);
  }

  /** Leaf hashes of an anchored batch (any order; the tree sorts them). */
  batchLeafHashes(batchId: number): Uint8Array[] {
    return (this.stmt("SELECT leaf_hash FROM records WHERE mode = 'batched' AND batch_id = ?").all(batchId) as Row[]).map(
      (r) => new Uint8Array(r.leaf_hash as Uint8Array),
    );
  }

  // ---------------------------------------------------------------- query log

  /** Number of entries in the node's query log. */
  logSize(): number {
    const r = this.stmt("SELECT COUNT(*) AS n FROM query_log").get() as Row;
    return Number(r.n);
  }

  /** Appends entries; each must carry the next sequence number (the log is append-only, no gaps). */
  appendLogEntries(entries: readonly StoredLogEntry[]): void {
    const insert = this.stmt(
      "INSERT INTO query_log (sequence, entry, leaf_hash, enterprise, institution, time, live_query_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    this.transaction(() => {
      let next = this.logSize();
      for (const e of entries) {
        if (e.sequence !== next) throw new Error(`query log entry ${e.sequence} appended at position ${next}: the log is append-only`);
        insert.run(e.sequence, e.entry, e.leafHash, e.enterprise, e.institution, e.time, e.liveQueryId);
        next++;
      }
    });
  }

  /** Leaf hashes of the log in order (from `from`, default 0). */
  logLeafHashes(from = 0): Uint8Array[] {
    return (this.stmt("SELECT leaf_hash FROM query_log WHERE sequence >= ? ORDER BY sequence").all(from) as Row[]).map(
      (r) => new Uint8Array(r.leaf_hash as Uint8Array),
    );
  }

  logEntry(sequence: number): StoredLogEntry | undefined {
    const r = this.stmt("SELECT * FROM query_log WHERE sequence = ?").get(sequence) as Row | undefined;
    return r ? toLogEntry(r) : undefined;
  }

  logEntriesOf(enterprise: string): StoredLogEntry[] {
    return (this.stmt("SELECT * FROM query_log WHERE enterprise = ? ORDER BY sequence").all(enterprise) as Row[]).map(toLogEntry);
  }

  /** Every log entry, in order (for audits over a whole node). */
  allLogEntries(): StoredLogEntry[] {
    return (this.stmt("SELECT * FROM query_log ORDER BY sequence").all() as Row[]).map(toLogEntry);
  }

  putCommitment(c: StoredCommitment): void {
    this.stmt("INSERT INTO log_commitments (idx, size, root, tx_hash, block) VALUES (?, ?, ?, ?, ?)").run(c.index, c.size, c.root, c.txHash, c.block);
  }

  commitments(): StoredCommitment[] {
    return (this.stmt("SELECT * FROM log_commitments ORDER BY idx").all() as Row[]).map((r) => ({
      index: Number(r.idx),
      size: Number(r.size),
      root: new Uint8Array(r.root as Uint8Array),
      txHash: r.tx_hash as string,
      block: Number(r.block),
    }));
  }

  /** Counts of records by mode. */
  counts(): Record<RecordMode, number> {
    const out: Record<RecordMode, number> = { pending: 0, live: 0, batched: 0 };
    for (const r of this.stmt("SELECT mode, COUNT(*) AS n FROM records GROUP BY mode").all() as Row[]) out[r.mode as RecordMode] = Number(r.n);
    return out;
  }
}
