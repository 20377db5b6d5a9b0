/**
 * A city node's off-chain store: its records (plaintext, salts, encodings), the batches it anchored with
 * their leaf hashes (any proof can be rebuilt), its one query log and the log's commitments, and the
 * journal of every chain write the node makes (`src/node/journal.ts`). One `node:sqlite` database file per
 * node (Node's built-in SQLite: no native build, no server).
 *
 * Writes are ordered so that nothing is lost: a record (with its salt) is stored as `pending`, and the chain
 * write that will carry its digest is journaled, before anything is sent; both are marked done in one SQLite
 * transaction once the receipt is in. A crash in between leaves a pending journal step that the city node
 * settles against the chain when it next starts, never a digest on chain without its salt.
 *
 * A store belongs to one chain and one deployment: it records the chain's genesis block hash and the
 * deployment's registry address when first opened, and refuses to be opened against another
 * (`bindToChain`).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";

/** Meta key of the node's salt secret (hex), see `NodeStore.saltSecret`. */
const SALT_SECRET_KEY = "saltSecret";

/** Version of the store's tables; a store of another version is refused with a way out. */
export const STORE_SCHEMA_VERSION = 2;

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
  /** The on-chain batch id once anchored; minus the local batch number while the batch is pending. */
  batchId: number | null;
  txHash: string | null;
  block: number | null;
}

export interface StoredBatch {
  /** Key of the journal step that anchors the batch. */
  step: string;
  /** On-chain batch id, or null while the anchoring is pending. */
  batchId: number | null;
  category: number;
  root: Uint8Array;
  count: number;
  batchDigest: Uint8Array;
  /** The batch's leaf hashes, 32 bytes each, in the order they were given (the tree sorts them). */
  leaves: Uint8Array;
  /** Replayed batches: the workload chunk its records are regenerated from (`r/<city>/<slot>/<chunk>`). */
  chunk: string | null;
  /** Attested batches: the local batch number its pending records carry (as batch id -local). */
  local: number | null;
  txHash: string | null;
  block: number | null;
}

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

/** A block of replayed log entries kept as leaf hashes only (their content is regenerated from the seed). */
export interface StoredLogBlock {
  replayBlock: number;
  firstSequence: number;
  count: number;
  /** Attempt number (in the replay's query stream) of each entry. */
  attempts: Uint32Array;
}

/** Thrown when a store cannot be used as asked: names the file and the way out. */
export class StoreError extends Error {}

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
  step TEXT PRIMARY KEY,
  batch_id INTEGER UNIQUE,
  category INTEGER NOT NULL,
  root BLOB NOT NULL,
  count INTEGER NOT NULL,
  batch_digest BLOB NOT NULL,
  leaves BLOB NOT NULL,
  chunk TEXT,
  local INTEGER,
  tx_hash TEXT,
  block INTEGER
);
CREATE TABLE IF NOT EXISTS journal (
  key TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'done', 'failed')),
  from_block INTEGER NOT NULL,
  tx_hash TEXT,
  block INTEGER,
  gas INTEGER,
  result TEXT,
  error TEXT
);
CREATE INDEX IF NOT EXISTS journal_unfinished ON journal (state) WHERE state IN ('pending', 'sent');
CREATE INDEX IF NOT EXISTS journal_by_seq ON journal (seq);
CREATE TABLE IF NOT EXISTS query_log (
  sequence INTEGER PRIMARY KEY,
  entry BLOB NOT NULL,
  leaf_hash BLOB NOT NULL,
  enterprise TEXT NOT NULL,
  institution INTEGER NOT NULL,
  time INTEGER NOT NULL,
  live_query_id TEXT,
  replay_block INTEGER
);
CREATE INDEX IF NOT EXISTS query_log_by_enterprise ON query_log (enterprise);
CREATE INDEX IF NOT EXISTS query_log_by_replay_block ON query_log (replay_block) WHERE replay_block IS NOT NULL;
CREATE TABLE IF NOT EXISTS log_blocks (
  replay_block INTEGER PRIMARY KEY,
  first_sequence INTEGER NOT NULL UNIQUE,
  count INTEGER NOT NULL,
  attempts BLOB NOT NULL,
  leaves BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS log_commitments (
  idx INTEGER PRIMARY KEY,
  size INTEGER NOT NULL,
  root BLOB NOT NULL,
  tx_hash TEXT NOT NULL,
  block INTEGER NOT NULL
);
`;

type Row = Record<string, unknown>;
const bytes = (v: unknown) => new Uint8Array(v as Uint8Array);
const intOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function toLogEntry(r: Row): StoredLogEntry {
  return {
    sequence: Number(r.sequence),
    entry: bytes(r.entry),
    leafHash: bytes(r.leaf_hash),
    enterprise: r.enterprise as string,
    institution: Number(r.institution),
    time: Number(r.time),
    liveQueryId: (r.live_query_id as string | null) ?? null,
  };
}

function toRecord(r: Row): StoredRecord {
  return {
    enterprise: r.enterprise as string,
    category: Number(r.category),
    version: Number(r.version),
    salt: bytes(r.salt),
    encoding: bytes(r.encoding),
    digest: bytes(r.digest),
    leafHash: bytes(r.leaf_hash),
    recordJson: r.record_json as string,
    mode: r.mode as RecordMode,
    batchId: intOrNull(r.batch_id),
    txHash: (r.tx_hash as string | null) ?? null,
    block: intOrNull(r.block),
  };
}

function toBatch(r: Row): StoredBatch {
  return {
    step: r.step as string,
    batchId: intOrNull(r.batch_id),
    category: Number(r.category),
    root: bytes(r.root),
    count: Number(r.count),
    batchDigest: bytes(r.batch_digest),
    leaves: r.leaves ? bytes(r.leaves) : new Uint8Array(0),
    chunk: (r.chunk as string | null) ?? null,
    local: intOrNull(r.local),
    txHash: (r.tx_hash as string | null) ?? null,
    block: intOrNull(r.block),
  };
}

/** Splits a buffer of 32-byte hashes. */
export function splitHashes(buf: Uint8Array): Uint8Array[] {
  return Array.from({ length: buf.length / 32 }, (_, k) => buf.subarray(32 * k, 32 * k + 32));
}

/** Path of a node's database: `<dataDir>/<network>-<chainId>/<node id>.sqlite`. */
export function nodeStorePath(dataDir: string, network: string, chainId: string | bigint, nodeId: string): string {
  return join(dataDir, `${network}-${chainId}`, `${nodeId}.sqlite`);
}

/** What ties a store to its chain and deployment. */
export interface ChainBinding {
  chainId: string;
  /** Hash of the chain's block 0. */
  genesis: string;
  /** The deployment's ConsortiumRegistry address and its deployment block. */
  registry: string;
  deployBlock: number;
  /** The node this store belongs to (text id, e.g. "sh-1"). */
  node: string;
}

export class NodeStore {
  readonly db: DatabaseSync;
  private readonly stmts: Record<string, StatementSync> = {};

  private constructor(
    readonly path: string,
    readonly readOnly: boolean,
  ) {
    if (!readOnly && path !== ":memory:") {
      try {
        mkdirSync(dirname(path), { recursive: true });
      } catch (e) {
        throw new StoreError(
          `node store ${path}: the folder ${dirname(path)} cannot be created or written (${(e as Error).message}): use a writable --data-dir`,
        );
      }
    }
    try {
      this.db = new DatabaseSync(path, { readOnly });
      if (!readOnly) {
        this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
        this.db.exec(SCHEMA);
      }
    } catch (e) {
      throw this.storeError(e);
    }
    const version = this.getMeta("schemaVersion");
    if (version === undefined && !readOnly) this.setMeta("schemaVersion", String(STORE_SCHEMA_VERSION));
    else if (version !== undefined && Number(version) !== STORE_SCHEMA_VERSION)
      throw new StoreError(
        `node store ${path} has schema version ${version}, this version of the tools reads ${STORE_SCHEMA_VERSION}: use another --data-dir, or pass --fresh to archive it`,
      );
    else if (version === undefined && readOnly) throw new StoreError(`node store ${path} is not a node store of these tools (no schema version)`);
  }

  /** Opens (creating if needed) the store at `path` (":memory:" for a throw-away store). */
  static open(path: string): NodeStore {
    return new NodeStore(path, false);
  }

  /** Opens an existing store for reading only: nothing is created or changed. */
  static openReadOnly(path: string): NodeStore {
    if (!existsSync(path)) throw new StoreError(`node store ${path} does not exist`);
    return new NodeStore(path, true);
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  /**
   * An SQLite error as a StoreError naming this store's file (errors that already are StoreErrors, or are not
   * SQLite's, pass unchanged). A file that cannot be written, or is not a database, also gets the way out.
   */
  storeError(e: unknown): unknown {
    if (e instanceof StoreError || !(e instanceof Error)) return e;
    const sqlite = (e as { code?: unknown }).code === "ERR_SQLITE_ERROR" || !this.db;
    if (!sqlite) return e;
    const m = e.message;
    const hint = /unable to open database file|readonly database|read-only/i.test(m)
      ? `: the file or its folder ${dirname(this.path)} cannot be written; use a writable --data-dir`
      : /file is not a database|malformed/i.test(m)
        ? ": it is not a node store of these tools, or it is damaged; use another --data-dir"
        : "";
    return new StoreError(`node store ${this.path}: ${m}${hint}`, { cause: e });
  }

  /** A prepared statement, cached: node:sqlite statements hold native memory the garbage collector does not see. Its errors name the store. */
  stmt(sql: string): StatementSync {
    let s = this.stmts[sql];
    if (s === undefined) {
      let prepared: StatementSync;
      try {
        prepared = this.db.prepare(sql);
      } catch (e) {
        throw this.storeError(e);
      }
      s = this.stmts[sql] = this.naming(prepared);
    }
    return s;
  }

  /** The statement with each method's SQLite errors re-thrown as StoreErrors naming the store. */
  private naming(st: StatementSync): StatementSync {
    const wrapped = new Map<PropertyKey, unknown>();
    return new Proxy(st, {
      get: (target, prop) => {
        const v = Reflect.get(target, prop, target) as unknown;
        if (typeof v !== "function") return v;
        let w = wrapped.get(prop);
        if (w === undefined) {
          const f = v as (...a: unknown[]) => unknown;
          w = (...args: unknown[]) => {
            try {
              return f.apply(target, args);
            } catch (e) {
              throw this.storeError(e);
            }
          };
          wrapped.set(prop, w);
        }
        return w;
      },
    });
  }

  /** Runs `fn` in one SQLite transaction; a call inside another joins the outer one (all or nothing together). */
  transaction<T>(fn: () => T): T {
    if (this.db.isTransaction) return fn();
    this.exec("BEGIN");
    try {
      const out = fn();
      this.exec("COMMIT");
      return out;
    } catch (e) {
      if (this.db.isTransaction) this.exec("ROLLBACK");
      throw e;
    }
  }

  /** `db.exec`, its errors naming the store. */
  private exec(sql: string): void {
    try {
      this.db.exec(sql);
    } catch (e) {
      throw this.storeError(e);
    }
  }

  getMeta(key: string): string | undefined {
    const r = this.stmt("SELECT value FROM meta WHERE key = ?").get(key) as Row | undefined;
    return r?.value as string | undefined;
  }

  setMeta(key: string, value: string): void {
    this.stmt("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  // ---------------------------------------------------------------- salt secret

  /**
   * The node's salt secret: 32 random bytes (`crypto.randomBytes`) made once, the first time it is asked for,
   * and kept in the store's meta table; it never goes on chain. Records the node regenerates instead of storing
   * (the bulk replay's) take their salts from it (`derivedSalt`), so a resumed run rebuilds the same salts while
   * nobody without the store can, even with the replay's seed. Whoever can read the store can read every
   * stored salt anyway. `initial` (tests comparing runs on separate stores) is the secret a store without one
   * takes; a store that has another one is refused.
   */
  saltSecret(initial?: Uint8Array): Uint8Array {
    if (initial !== undefined && initial.length !== 32) throw new RangeError(`salt secret must be 32 bytes, got ${initial.length}`);
    const have = this.getMeta(SALT_SECRET_KEY);
    if (have === undefined) {
      if (this.readOnly)
        throw new StoreError(
          `node store ${this.path} has no salt secret: its replayed records (if any) were salted before salts came from a per-node secret; replay again with --fresh`,
        );
      const secret = initial ?? new Uint8Array(randomBytes(32));
      // another process may make one at the same moment: the first written wins and both read it back
      this.stmt("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING").run(SALT_SECRET_KEY, Buffer.from(secret).toString("hex"));
      return this.saltSecret(initial);
    }
    const secret = new Uint8Array(Buffer.from(have, "hex"));
    if (initial !== undefined && Buffer.compare(secret, initial) !== 0)
      throw new StoreError(`node store ${this.path} already has its own salt secret, not the one given: use another --data-dir`);
    return secret;
  }

  // ---------------------------------------------------------------- chain binding

  binding(): ChainBinding | undefined {
    const raw = this.getMeta("chainBinding");
    return raw === undefined ? undefined : (JSON.parse(raw) as ChainBinding);
  }

  /**
   * Ties the store to `b` on first use; afterwards refuses any other chain or deployment, naming the store
   * and the way out.
   */
  bindToChain(b: ChainBinding): void {
    const have = this.binding();
    if (!have) {
      if (this.readOnly) return;
      this.setMeta("chainBinding", JSON.stringify(b));
      return;
    }
    const differs =
      have.chainId !== b.chainId
        ? `chain id ${have.chainId}, not ${b.chainId}`
        : have.genesis !== b.genesis
          ? `a chain whose genesis block is ${have.genesis.slice(0, 18)}…, not ${b.genesis.slice(0, 18)}… (the chain was restarted or is another one)`
          : have.registry.toLowerCase() !== b.registry.toLowerCase() || have.deployBlock !== b.deployBlock
            ? `the deployment with registry ${have.registry} (block ${have.deployBlock}), not ${b.registry} (block ${b.deployBlock})`
            : have.node !== b.node
              ? `node ${have.node}, not ${b.node}`
              : undefined;
    if (differs)
      throw new StoreError(
        `node store ${this.path} belongs to ${differs}: use another --data-dir, or pass --fresh (deploy, replay) to archive the old stores and start anew`,
      );
  }

  // ---------------------------------------------------------------- records

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
          throw new StoreError(
            `node store ${this.path}: record ${r.enterprise} category ${r.category} version ${r.version} is already stored (${existing.mode})`,
          );
        }
        insert.run(r.enterprise, r.category, r.version, r.salt, r.encoding, r.digest, r.leafHash, r.recordJson, r.batchId);
      }
    });
  }

  /** Marks records anchored live, each by its transaction. */
  markLiveEach(rows: readonly { enterprise: string; category: number; version: number; txHash: string; block: number }[]): void {
    const upd = this.stmt("UPDATE records SET mode = 'live', tx_hash = ?, block = ?, batch_id = NULL WHERE enterprise = ? AND category = ? AND version = ?");
    this.transaction(() => {
      for (const k of rows) upd.run(k.txHash, k.block, k.enterprise, k.category, k.version);
    });
  }

  /** Drops pending records whose chain write was refused (nothing of them reached the chain). */
  dropPending(keys: readonly { enterprise: string; category: number; version: number }[]): void {
    const del = this.stmt("DELETE FROM records WHERE mode = 'pending' AND enterprise = ? AND category = ? AND version = ?");
    this.transaction(() => {
      for (const k of keys) del.run(k.enterprise, k.category, k.version);
    });
  }

  get(enterprise: string, category: number, version: number): StoredRecord | undefined {
    const r = this.stmt("SELECT * FROM records WHERE enterprise = ? AND category = ? AND version = ?").get(enterprise, category, version) as Row | undefined;
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
    return (this.stmt("SELECT * FROM records WHERE mode = 'pending' ORDER BY batch_id, enterprise, category, version").all() as Row[]).map(toRecord);
  }

  /** The records of an anchored batch. */
  recordsInBatch(batchId: number): StoredRecord[] {
    return (this.stmt("SELECT * FROM records WHERE mode = 'batched' AND batch_id = ?").all(batchId) as Row[]).map(toRecord);
  }

  /** Counts of records by mode. */
  counts(): Record<RecordMode, number> {
    const out: Record<RecordMode, number> = { pending: 0, live: 0, batched: 0 };
    for (const r of this.stmt("SELECT mode, COUNT(*) AS n FROM records GROUP BY mode").all() as Row[]) out[r.mode as RecordMode] = Number(r.n);
    return out;
  }

  // ---------------------------------------------------------------- batches

  /** Stores a batch before its anchoring is sent (batch id unknown yet). */
  putPendingBatch(b: Omit<StoredBatch, "batchId" | "txHash" | "block">): void {
    this.stmt("INSERT INTO batches (step, category, root, count, batch_digest, leaves, chunk, local) VALUES (?, ?, ?, ?, ?, ?, ?, ?)").run(
      b.step,
      b.category,
      b.root,
      b.count,
      b.batchDigest,
      b.leaves,
      b.chunk,
      b.local,
    );
  }

  /** Records the batch's on-chain id and moves its pending records (if any) to it. */
  markBatchAnchored(step: string, batchId: number, txHash: string, block: number): void {
    this.transaction(() => {
      const b = this.batchOfStep(step);
      if (!b) throw new StoreError(`node store ${this.path}: no batch for journal step ${step}`);
      this.stmt("UPDATE batches SET batch_id = ?, tx_hash = ?, block = ? WHERE step = ?").run(batchId, txHash, block, step);
      if (b.local !== null) {
        const r = this.stmt("UPDATE records SET mode = 'batched', batch_id = ?, tx_hash = ?, block = ? WHERE mode = 'pending' AND batch_id = ?").run(
          batchId,
          txHash,
          block,
          -b.local,
        );
        if (Number(r.changes) !== b.count)
          throw new StoreError(`node store ${this.path}: batch ${batchId}: ${r.changes} pending records moved, ${b.count} expected`);
      }
    });
  }

  /** Drops a batch whose anchoring was refused, and its pending records (nothing of them reached the chain). */
  dropPendingBatch(step: string): void {
    this.transaction(() => {
      const b = this.batchOfStep(step);
      if (!b || b.batchId !== null) return;
      if (b.local !== null) this.stmt("DELETE FROM records WHERE mode = 'pending' AND batch_id = ?").run(-b.local);
      this.stmt("DELETE FROM batches WHERE step = ?").run(step);
    });
  }

  /** The next local batch number (for the pending records of an attested batch). */
  nextLocalBatch(): number {
    const r = this.stmt("SELECT COALESCE(MAX(local), 0) + 1 AS n FROM batches").get() as Row;
    return Number(r.n);
  }

  batchOfStep(step: string): StoredBatch | undefined {
    const r = this.stmt("SELECT * FROM batches WHERE step = ?").get(step) as Row | undefined;
    return r ? toBatch(r) : undefined;
  }

  batch(batchId: number): StoredBatch | undefined {
    const r = this.stmt("SELECT * FROM batches WHERE batch_id = ?").get(batchId) as Row | undefined;
    return r ? toBatch(r) : undefined;
  }

  /** Anchored batches in anchoring order; without their leaves unless `withLeaves`. */
  batches(withLeaves = false): StoredBatch[] {
    const cols = withLeaves ? "*" : "step, batch_id, category, root, count, batch_digest, NULL AS leaves, chunk, local, tx_hash, block";
    return (this.stmt(`SELECT ${cols} FROM batches WHERE batch_id IS NOT NULL ORDER BY batch_id`).all() as Row[]).map(toBatch);
  }

  /** Leaf hashes of an anchored batch (in the order given; the tree sorts them). */
  batchLeafHashes(batchId: number): Uint8Array[] {
    const b = this.batch(batchId);
    return b ? splitHashes(b.leaves) : [];
  }

  // ---------------------------------------------------------------- query log

  /** Number of entries in the node's query log (entries kept whole and replayed blocks). */
  logSize(): number {
    const a = this.stmt("SELECT COUNT(*) AS n FROM query_log").get() as Row;
    const b = this.stmt("SELECT COALESCE(SUM(count), 0) AS n FROM log_blocks").get() as Row;
    return Number(a.n) + Number(b.n);
  }

  /** Appends entries; each must carry the next sequence number (the log is append-only, no gaps). */
  appendLogEntries(entries: readonly StoredLogEntry[], replayBlock: number | null = null): void {
    const insert = this.stmt(
      "INSERT INTO query_log (sequence, entry, leaf_hash, enterprise, institution, time, live_query_id, replay_block) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    this.transaction(() => {
      let next = this.logSize();
      for (const e of entries) {
        if (e.sequence !== next)
          throw new StoreError(`node store ${this.path}: query log entry ${e.sequence} appended at position ${next}: the log is append-only`);
        insert.run(e.sequence, e.entry, e.leafHash, e.enterprise, e.institution, e.time, e.liveQueryId, replayBlock);
        next++;
      }
    });
  }

  /** Appends a block of replayed entries kept as leaf hashes (32 bytes each) with their attempt numbers. */
  appendLogBlock(replayBlock: number, firstSequence: number, attempts: Uint32Array, leaves: Uint8Array): void {
    this.transaction(() => {
      const next = this.logSize();
      if (firstSequence !== next)
        throw new StoreError(`node store ${this.path}: replayed log block ${replayBlock} starts at ${firstSequence}, the log has ${next} entries`);
      this.stmt("INSERT INTO log_blocks (replay_block, first_sequence, count, attempts, leaves) VALUES (?, ?, ?, ?, ?)").run(
        replayBlock,
        firstSequence,
        attempts.length,
        new Uint8Array(attempts.buffer, attempts.byteOffset, attempts.byteLength),
        leaves,
      );
    });
  }

  /** Every leaf hash of the log in order, as one buffer (32 bytes each). */
  logLeaves(): Uint8Array {
    const rows = this.stmt(
      "SELECT first_sequence AS s, leaves AS l FROM log_blocks UNION ALL SELECT sequence AS s, leaf_hash AS l FROM query_log ORDER BY s",
    ).all() as Row[];
    const total = rows.reduce((a, r) => a + (r.l as Uint8Array).length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const r of rows) {
      out.set(r.l as Uint8Array, at);
      at += (r.l as Uint8Array).length;
    }
    return out;
  }

  /** Entries kept whole (live queries), in order; replayed blocks are read with `logBlocks`. */
  logEntry(sequence: number): StoredLogEntry | undefined {
    const r = this.stmt("SELECT * FROM query_log WHERE sequence = ?").get(sequence) as Row | undefined;
    return r ? toLogEntry(r) : undefined;
  }

  logEntriesOf(enterprise: string): StoredLogEntry[] {
    return (this.stmt("SELECT * FROM query_log WHERE enterprise = ? ORDER BY sequence").all(enterprise) as Row[]).map(toLogEntry);
  }

  /** Every entry kept whole, in order (for audits over a whole node). */
  allLogEntries(): StoredLogEntry[] {
    return (this.stmt("SELECT * FROM query_log ORDER BY sequence").all() as Row[]).map(toLogEntry);
  }

  /** Entries a replay appended (whole entries of a live replay, and replayed blocks). */
  replayedLogEntries(): number {
    const a = this.stmt("SELECT COUNT(*) AS n FROM query_log WHERE replay_block IS NOT NULL").get() as Row;
    const b = this.stmt("SELECT COALESCE(SUM(count), 0) AS n FROM log_blocks").get() as Row;
    return Number(a.n) + Number(b.n);
  }

  /** Whether a replay already appended its query block `block` to this log. */
  hasReplayBlock(block: number): boolean {
    return (
      this.stmt("SELECT 1 FROM log_blocks WHERE replay_block = ?").get(block) !== undefined ||
      this.stmt("SELECT 1 FROM query_log WHERE replay_block = ? LIMIT 1").get(block) !== undefined
    );
  }

  /** The replayed block holding entry `sequence`. */
  logBlockOf(sequence: number): StoredLogBlock | undefined {
    const r = this.stmt("SELECT replay_block, first_sequence, count, attempts FROM log_blocks WHERE first_sequence <= ? AND first_sequence + count > ?").get(
      sequence,
      sequence,
    ) as Row | undefined;
    if (!r) return undefined;
    const a = bytes(r.attempts);
    return {
      replayBlock: Number(r.replay_block),
      firstSequence: Number(r.first_sequence),
      count: Number(r.count),
      attempts: new Uint32Array(a.buffer, a.byteOffset, a.byteLength / 4),
    };
  }

  /** Sequence numbers of the replayed entries (blocks kept as leaf hashes). */
  logBlocks(): { firstSequence: number; count: number }[] {
    return (this.stmt("SELECT first_sequence, count FROM log_blocks ORDER BY first_sequence").all() as Row[]).map((r) => ({
      firstSequence: Number(r.first_sequence),
      count: Number(r.count),
    }));
  }

  putCommitment(c: StoredCommitment): void {
    this.stmt("INSERT INTO log_commitments (idx, size, root, tx_hash, block) VALUES (?, ?, ?, ?, ?)").run(c.index, c.size, c.root, c.txHash, c.block);
  }

  commitments(): StoredCommitment[] {
    return (this.stmt("SELECT * FROM log_commitments ORDER BY idx").all() as Row[]).map((r) => ({
      index: Number(r.idx),
      size: Number(r.size),
      root: bytes(r.root),
      txHash: r.tx_hash as string,
      block: Number(r.block),
    }));
  }
}
