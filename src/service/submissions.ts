/**
 * Records the operator submits, kept in the node store until they are on chain, so that a submission the
 * service accepted survives a crash (`kill -9` included).
 *
 * - Accepting a submission is one SQLite transaction: the submission (`service/submission/<id>` in the store's
 *   meta table) and one queue row per record (`service/queue/<seq>`, the validated record as JSON).
 * - Flushing takes queued records in order (at most one version per enterprise and category per flush) and
 *   attests them through the node's journal (`attestRecords`, live or in Merkle batches). As each chunk
 *   lands, its records leave the queue and their proof files join their submission, in one transaction.
 * - A crash between the journal step and that transaction leaves the records queued and the step unfinished:
 *   the node settles the step when it starts (found on chain, or sent again), and the next flush finds each
 *   record's content already the node's current version, so it is not attested again — the proof is rebuilt
 *   from the store. Nothing accepted is lost, nothing is attested twice.
 */
import type { Manifest } from "../chain/manifest.js";
import { attestRecords, type AttestedRecord, type EncodedRecord } from "../ledger/attest.js";
import { toProofFile, type ProofFile } from "../ledger/proof-file.js";
import { WriteRefused } from "../node/city-node.js";
import { encodeRecord, recordToJson, validateRecord, type CreditRecord } from "../records/index.js";
import type { Session } from "../session.js";
import type { NodeStore } from "../store/nodeStore.js";

export type SubmissionStatus = "queued" | "attested" | "failed";

export interface Submission {
  id: number;
  /** Unix ms when it was accepted. */
  receivedAt: number;
  records: { enterprise: string; category: number }[];
  status: SubmissionStatus;
  /** Proof file of each record (by position), once on chain. */
  proofs: (ProofFile | null)[];
  /** Why records of it were refused by the chain. */
  error?: string;
}

export interface Queued {
  seq: number;
  submission: number;
  index: number;
  enterprise: string;
  category: number;
  recordJson: string;
  receivedAt: number;
}

const pad = (n: number) => String(n).padStart(12, "0");
const SUB = "service/submission/";
const QUEUE = "service/queue/";
const NEXT = "service/next-submission";
const NEXT_SEQ = "service/next-queued";

export class SubmissionQueue {
  constructor(private readonly store: NodeStore) {}

  private rows(prefix: string, limit = 1_000_000): { key: string; value: string }[] {
    return this.store.stmt("SELECT key, value FROM meta WHERE key >= ? AND key < ? ORDER BY key LIMIT ?").all(prefix, prefix + "\uffff", limit) as {
      key: string;
      value: string;
    }[];
  }

  private put(s: Submission): void {
    this.store.setMeta(SUB + pad(s.id), JSON.stringify(s));
  }

  /** Accepts validated records: the submission and its queue rows in one SQLite transaction. */
  accept(records: readonly CreditRecord[], now = Date.now()): Submission {
    return this.store.transaction(() => {
      const id = Number(this.store.getMeta(NEXT) ?? "1");
      let seq = Number(this.store.getMeta(NEXT_SEQ) ?? "1");
      const s: Submission = {
        id,
        receivedAt: now,
        records: records.map((r) => ({ enterprise: r.enterprise, category: r.category })),
        status: "queued",
        proofs: records.map(() => null),
      };
      this.put(s);
      records.forEach((r, index) => {
        const q: Queued = { seq, submission: id, index, enterprise: r.enterprise, category: r.category, recordJson: recordToJson(r), receivedAt: now };
        this.store.setMeta(QUEUE + pad(seq++), JSON.stringify(q));
      });
      this.store.setMeta(NEXT, String(id + 1));
      this.store.setMeta(NEXT_SEQ, String(seq));
      return s;
    });
  }

  get(id: number): Submission | undefined {
    const v = this.store.getMeta(SUB + pad(id));
    return v === undefined ? undefined : (JSON.parse(v) as Submission);
  }

  /** Queued records, oldest first (at most `limit`). */
  queued(limit?: number): Queued[] {
    return this.rows(QUEUE, limit).map((r) => JSON.parse(r.value) as Queued);
  }

  size(): number {
    const r = this.store.stmt("SELECT COUNT(*) AS n FROM meta WHERE key >= ? AND key < ?").get(QUEUE, QUEUE + "\uffff") as { n: number };
    return Number(r.n);
  }

  /** Unix ms of the oldest queued record, or undefined when none is queued. */
  oldest(): number | undefined {
    return this.queued(1)[0]?.receivedAt;
  }

  /** Records that landed: out of the queue, proof files into their submissions (one SQLite transaction). */
  landed(items: readonly { queued: Queued; proof: ProofFile }[]): void {
    this.store.transaction(() => {
      const touched = new Map<number, Submission | undefined>();
      for (const { queued, proof } of items) {
        if (!touched.has(queued.submission)) touched.set(queued.submission, this.get(queued.submission));
        const s = touched.get(queued.submission);
        if (s) s.proofs[queued.index] = proof;
        this.store.stmt("DELETE FROM meta WHERE key = ?").run(QUEUE + pad(queued.seq));
      }
      for (const s of touched.values()) {
        if (!s) continue;
        if (s.proofs.every((p) => p !== null)) s.status = s.error ? "failed" : "attested";
        this.put(s);
      }
    });
  }

  /** Records the chain refused: out of the queue, their submissions failed with the reason. */
  refused(items: readonly Queued[], reason: string): void {
    this.store.transaction(() => {
      for (const q of items) {
        const s = this.get(q.submission);
        if (s) {
          s.status = "failed";
          s.error = `${s.records[q.index].enterprise} category ${s.records[q.index].category}: ${reason}`;
          this.put(s);
        }
        this.store.stmt("DELETE FROM meta WHERE key = ?").run(QUEUE + pad(q.seq));
      }
    });
  }
}

export interface FlushOptions {
  mode: "live" | "batch";
  nodeId: number;
  /** Most records in one flush (one Merkle batch per category, or live transactions of `chunk` records). */
  max: number;
  chunk: number;
}

const key = (r: { enterprise: string; category: number }) => `${r.enterprise}:${r.category}`;
/** Landed records written out of the queue together. */
const LANDED_GROUP = 250;

/**
 * Attests queued records (one flush): returns how many records landed. A refusal by the chain fails the
 * records not yet landed; any other error (the chain unreachable) leaves them queued for the next flush.
 */
export async function flushQueue(
  session: Session,
  manifest: Manifest,
  queue: SubmissionQueue,
  opts: FlushOptions,
): Promise<{ landed: number; refused: number }> {
  const picked: Queued[] = [];
  const seen = new Set<string>();
  for (const q of queue.queued(opts.max * 4)) {
    if (picked.length >= opts.max) break;
    if (seen.has(key(q))) continue; // a later version of the same record waits for the next flush
    seen.add(key(q));
    picked.push(q);
  }
  if (picked.length === 0) return { landed: 0, refused: 0 };
  const byKey = new Map(picked.map((q) => [key(q), q]));
  const items: EncodedRecord[] = picked.map((q) => {
    const r = validateRecord(JSON.parse(q.recordJson));
    return {
      enterprise: r.enterprise,
      category: r.category,
      encoding: encodeRecord(r),
      recordJson: recordToJson(r),
      signer: "signer" in r ? r.signer : undefined,
    };
  });
  let landed = 0;
  // what landed leaves the queue in groups (one SQLite transaction, each submission rewritten once): a crash
  // before a group is written leaves its records queued, and the next flush finds them attested (see above)
  let pending: { queued: Queued; proof: ProofFile }[] = [];
  const write = () => {
    if (pending.length === 0) return;
    queue.landed(pending);
    landed += pending.length;
    pending = [];
  };
  const onAttested = (records: AttestedRecord[]) => {
    for (const { unchanged: _u, ...r } of records) {
      pending.push({ queued: byKey.get(key(r))!, proof: toProofFile(manifest, r) });
      byKey.delete(key(r));
    }
    if (pending.length >= LANDED_GROUP) write();
  };
  try {
    await attestRecords(session, items, { mode: opts.mode, nodeId: opts.nodeId, chunkSize: opts.chunk, onAttested });
  } catch (e) {
    write();
    if (!(e instanceof WriteRefused)) throw e;
    const rest = [...byKey.values()];
    queue.refused(rest, e.reason);
    return { landed, refused: rest.length };
  }
  write();
  return { landed, refused: 0 };
}
