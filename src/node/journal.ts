/**
 * A city node's journal of chain writes: one table of its store, one row per write (a step), keyed, with
 * the kind of write, its payload, and its state:
 *
 *   pending ── sent (tx hash known) ── done (receipt: tx hash, block, gas, result)
 *          └────────────────────────── failed (the chain refused it before it was mined; nothing on chain)
 *
 * A step is written as pending before anything is sent, in the same SQLite transaction as the data it will
 * anchor (records, batch leaves), so no digest can reach the chain without its salt in the store. Steps that
 * are not done when the node starts are settled against the chain by the city node (`CityNode.settle`).
 */
import type { NodeStore } from "../store/nodeStore.js";
import type { QueryLogEntry } from "../query/log-entry.js";

/** A query-log entry as a journal payload carries it (the QueryDesk id as a decimal string). */
export type LoggedQuery = Omit<QueryLogEntry, "sequence" | "liveQueryId"> & { liveQueryId: string };

export type StepKind = "attest" | "anchor" | "supersede" | "revoke" | "bind-signer" | "fulfil" | "deny" | "commit-log";
export type StepState = "pending" | "sent" | "done" | "failed";

export interface AttestItem {
  /** USCC text. */
  enterprise: string;
  category: number;
  version: number;
  /** 0x-hex salted commitment. */
  digest: string;
}

/** What each kind of step carries: everything needed to send it again and to find it on chain. */
export interface StepPayloads {
  attest: { items: AttestItem[] };
  anchor: { category: number; root: string; count: number; batchDigest: string };
  supersede: { items: { enterprise: string; category: number; version: number }[] };
  revoke: { items: { enterprise: string; category: number; version: number; reason: number }[] };
  "bind-signer": { enterprise: string; signer: string };
  /** `logEntry`: the query-log entry appended when the answer is done (live queries; a replay logs by block). */
  fulfil: { queryId: string; reportDigests: string[]; logEntry?: LoggedQuery };
  deny: { queryId: string; reason: number; logEntry?: LoggedQuery };
  "commit-log": { index: number; size: number; root: string; proof: string[] };
}

export interface NewStep<K extends StepKind = StepKind> {
  key: string;
  kind: K;
  payload: StepPayloads[K];
}

export interface Step<K extends StepKind = StepKind> extends NewStep<K> {
  seq: number;
  state: StepState;
  /** Chain height when the step was journaled: where to look for it on chain. */
  fromBlock: number;
  txHash: string | null;
  block: number | null;
  gas: number | null;
  /** Kind-specific result (e.g. the batch id of an anchoring). */
  result: Record<string, unknown> | null;
  error: string | null;
}

export interface StepDone {
  txHash: string;
  block: number;
  gas: number;
  result?: Record<string, unknown>;
}

type Row = Record<string, unknown>;

function toStep(r: Row): Step {
  return {
    key: r.key as string,
    seq: Number(r.seq),
    kind: r.kind as StepKind,
    payload: JSON.parse(r.payload as string),
    state: r.state as StepState,
    fromBlock: Number(r.from_block),
    txHash: (r.tx_hash as string | null) ?? null,
    block: r.block === null ? null : Number(r.block),
    gas: r.gas === null ? null : Number(r.gas),
    result: r.result ? (JSON.parse(r.result as string) as Record<string, unknown>) : null,
    error: (r.error as string | null) ?? null,
  };
}

export class Journal {
  constructor(readonly store: NodeStore) {}

  /**
   * Journals steps as pending (in the caller's SQLite transaction if there is one). A key that is already
   * journaled is left as it is and not added twice (a rerun finds the step it wrote before), unless that step
   * failed: a refused write may be tried again.
   */
  add(steps: readonly NewStep[], fromBlock: number): void {
    const insert = this.store.stmt(
      `INSERT INTO journal (key, seq, kind, payload, state, from_block) VALUES (?, ?, ?, ?, 'pending', ?)
       ON CONFLICT (key) DO UPDATE SET seq = excluded.seq, kind = excluded.kind, payload = excluded.payload, state = 'pending',
         from_block = excluded.from_block, tx_hash = NULL, block = NULL, gas = NULL, result = NULL, error = NULL
       WHERE journal.state = 'failed'`,
    );
    this.store.transaction(() => {
      let seq = this.nextSeq();
      for (const s of steps) insert.run(s.key, seq++, s.kind, JSON.stringify(s.payload), fromBlock);
    });
  }

  private nextSeq(): number {
    const r = this.store.stmt("SELECT COALESCE(MAX(seq), -1) + 1 AS n FROM journal").get() as Row;
    return Number(r.n);
  }

  get(key: string): Step | undefined {
    const r = this.store.stmt("SELECT * FROM journal WHERE key = ?").get(key) as Row | undefined;
    return r ? toStep(r) : undefined;
  }

  /** Steps whose key starts with `prefix`, in journal order. */
  withPrefix(prefix: string): Step[] {
    return (this.store.stmt("SELECT * FROM journal WHERE key >= ? AND key < ? ORDER BY seq").all(prefix, prefix + "\uffff") as Row[]).map(toStep);
  }

  /** Steps not yet done nor failed, in journal order. */
  unfinished(): Step[] {
    return (this.store.stmt("SELECT * FROM journal WHERE state IN ('pending', 'sent') ORDER BY seq").all() as Row[]).map(toStep);
  }

  /** Counts of steps by state. */
  counts(): Record<StepState, number> {
    const out: Record<StepState, number> = { pending: 0, sent: 0, done: 0, failed: 0 };
    for (const r of this.store.stmt("SELECT state, COUNT(*) AS n FROM journal GROUP BY state").all() as Row[]) out[r.state as StepState] = Number(r.n);
    return out;
  }

  markSent(key: string, txHash: string): void {
    this.store.stmt("UPDATE journal SET state = 'sent', tx_hash = ? WHERE key = ? AND state IN ('pending', 'sent')").run(txHash, key);
  }

  markDone(key: string, d: StepDone): void {
    this.store
      .stmt("UPDATE journal SET state = 'done', tx_hash = ?, block = ?, gas = ?, result = ? WHERE key = ?")
      .run(d.txHash, d.block, d.gas, d.result ? JSON.stringify(d.result) : null, key);
  }

  markFailed(key: string, error: string): void {
    this.store.stmt("UPDATE journal SET state = 'failed', error = ? WHERE key = ?").run(error, key);
  }
}
