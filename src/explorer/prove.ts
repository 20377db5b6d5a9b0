/**
 * "Prove" on a timeline row: the audit's own verification (`verifyTrail`, as `audit --verify` runs it) over
 * exactly the rows and log entries the row stands for, with the evidence each check used — a record's digest,
 * leaf and Merkle path, a log entry's RFC 6962 inclusion proof and the commitment it was proven against — and
 * the consistency proof (RFC 9162) from that commitment to the node's latest one, rebuilt from the store and
 * checked against the roots on chain.
 */
import { getBytes, hexlify } from "ethers";
import { collectTrail, usccToBytes18, type TrailRow } from "../audit/trail.js";
import { verifyTrail, type VerifyOptions } from "../audit/verify.js";
import { LogTrees } from "../node/query-log.js";
import { verifyConsistency } from "../merkle/rfc6962.js";
import type { CheckView, ProveResponse } from "./api.js";
import type { ExplorerContext } from "./consortium.js";
import { rowKey, rowView, trailOf, type Subject } from "./timeline.js";

export class RowNotFound extends Error {}

/** Records of a batch checked when a batch is proven for no particular enterprise. */
const BATCH_SAMPLE = 16;

async function proveRecord(ctx: ExplorerContext, enterprise: string, category: number, version: number): Promise<CheckView[]> {
  const { session } = ctx;
  const all = await collectTrail(session.conn, session.manifest, session.contracts, { enterprise });
  const opts: VerifyOptions = { logNodes: [], evidence: true };
  const live = all.find((r) => r.kind === "attestation" && r.data.category === category && r.data.version === version);
  if (live) return verifyTrail(session.contracts, session.manifest, session.stores, [live], { enterprise }, opts);
  for (const id of session.stores.existing()) {
    const rec = session.stores.get(id).get(enterprise, category, version);
    if (rec?.mode !== "batched") continue;
    const batch = all.find((r) => r.kind === "batch" && r.nodes[0] === id && r.data.batchId === rec.batchId);
    if (batch) {
      const findings = await verifyTrail(session.contracts, session.manifest, session.stores, [batch], { enterprise }, opts);
      // the batch, and of its members this record only
      return findings.filter((f) => !f.subject.startsWith("record ") || f.subject === `record ${enterprise}/${category}/v${version}`);
    }
  }
  return [
    { subject: `record ${enterprise}/${category}/v${version}`, ok: false, failure: "record-missing-from-store", detail: "no node store holds this version" },
  ];
}

/** The consistency of node `nodeId`'s log from commitment `from` to commitment `to`, rebuilt from its store and checked against the roots on chain. */
async function proveConsistency(ctx: ExplorerContext, trees: LogTrees, nodeId: number, from: number, to: number): Promise<CheckView> {
  const { session } = ctx;
  const [a, b] = await Promise.all([session.contracts.queryLog.commitment(nodeId, from), session.contracts.queryLog.commitment(nodeId, to)]);
  const log = trees.of(session.stores.get(nodeId));
  const subject = `commitments ${from} → ${to} of node ${session.nodeName(nodeId)}`;
  const size1 = Number(a.size);
  const size2 = Number(b.size);
  if (size2 > log.size)
    return { subject, ok: false, failure: "log-shorter-than-commitment", detail: `commitment ${to} covers ${size2} entries, the store has ${log.size}` };
  const proof = log.consistencyProof(size1, size2);
  const evidence = {
    kind: "consistency" as const,
    nodeId,
    fromIndex: from,
    fromSize: size1,
    fromRoot: a.root,
    toIndex: to,
    toSize: size2,
    toRoot: b.root,
    proof: proof.map((p) => hexlify(p)),
  };
  try {
    verifyConsistency(size1, size2, proof, getBytes(a.root), getBytes(b.root));
    return { subject, ok: true, detail: `the log of ${size2} entries extends the one of ${size1}`, evidence };
  } catch (e) {
    return { subject, ok: false, failure: "consistency-proof-rejected", detail: (e as Error).message, evidence };
  }
}

/** A log entry of node `nodeId`: the audit's checks of the node's log and of the entry, then consistency up to the latest commitment. */
async function proveLogEntry(ctx: ExplorerContext, rows: TrailRow[], nodeId: number, sequence: number): Promise<CheckView[]> {
  const { session } = ctx;
  const trees = new LogTrees();
  const findings: CheckView[] = await verifyTrail(
    session.contracts,
    session.manifest,
    session.stores,
    rows,
    {},
    {
      logNodes: [nodeId],
      entry: (n, s) => n === nodeId && s === sequence,
      evidence: true,
      trees,
    },
  );
  const entry = findings.find((f) => f.evidence?.kind === "log-entry");
  const count = Number(await session.contracts.queryLog.commitmentCount(nodeId));
  if (entry?.ok && entry.evidence?.kind === "log-entry" && entry.evidence.commitmentIndex !== undefined && entry.evidence.commitmentIndex < count - 1)
    findings.push(await proveConsistency(ctx, trees, nodeId, entry.evidence.commitmentIndex, count - 1));
  return findings;
}

async function checksOf(ctx: ExplorerContext, s: Subject, row: TrailRow): Promise<CheckView[]> {
  const { session } = ctx;
  const { contracts: c, manifest, stores } = session;
  const d = row.data;
  switch (row.kind) {
    case "attestation":
      return verifyTrail(c, manifest, stores, [row], { enterprise: row.enterprise }, { logNodes: [], evidence: true });
    case "batch":
      return s.kind === "enterprise"
        ? verifyTrail(c, manifest, stores, [row], { enterprise: s.value }, { logNodes: [], evidence: true })
        : verifyTrail(c, manifest, stores, [row], {}, { logNodes: [], evidence: true, sample: BATCH_SAMPLE });
    case "supersede":
    case "revocation":
    case "objection":
      return proveRecord(ctx, row.enterprise!, d.category as number, d.version as number);
    case "objection-resolved": {
      const o = ctx.watch.objections.get(d.objectionId as number);
      if (!o) return [{ subject: `objection ${d.objectionId}`, ok: false, failure: "objection-not-found" }];
      return proveRecord(ctx, o.enterprise, o.category, o.version);
    }
    case "authorization":
      return verifyTrail(c, manifest, stores, [row], {}, { logNodes: [], evidence: true });
    case "query":
    case "query-fulfilled":
    case "query-denied": {
      const queryId = d.queryId as number;
      const all = await collectTrail(session.conn, manifest, c, { enterprise: row.enterprise });
      const request = all.find((r) => r.kind === "query" && r.data.queryId === queryId);
      const related = all.filter(
        (r) =>
          (r.kind.startsWith("query") && r.data.queryId === queryId) ||
          (r.kind === "authorization" && request && r.data.authorizationId === request.data.authorizationId),
      );
      for (const id of stores.existing()) {
        const e = stores
          .get(id)
          .logEntriesOf(usccToBytes18(row.enterprise!))
          .find((x) => x.liveQueryId === String(queryId));
        if (e) return proveLogEntry(ctx, related, id, e.sequence);
      }
      const answered = all.some((r) => (r.kind === "query-fulfilled" || r.kind === "query-denied") && r.data.queryId === queryId);
      const auth = await verifyTrail(c, manifest, stores, related, {}, { logNodes: [], evidence: true });
      return [
        ...auth,
        answered
          ? {
              subject: `query ${queryId}`,
              ok: false,
              failure: "log-entry-missing-from-store",
              detail: "answered on chain, but no node store holds its log entry",
            }
          : { subject: `query ${queryId}`, ok: false, failure: "not-yet-answered", detail: "no node has answered it yet: there is no log entry to prove" },
      ];
    }
    case "logged-query":
      return proveLogEntry(ctx, [], d.nodeId as number, d.sequence as number);
    case "log-commit": {
      const nodeId = row.nodes[0];
      const index = d.index as number;
      const size = d.size as number;
      const trees = new LogTrees();
      // the node's whole log against its latest commitment, and the commitment's last entry when it is kept whole
      const findings: CheckView[] = await verifyTrail(
        c,
        manifest,
        stores,
        [],
        {},
        { logNodes: [nodeId], entry: (n, q) => n === nodeId && q === size - 1, evidence: true, trees },
      );
      if (!stores.existing().includes(nodeId)) return [{ subject: `query log of node ${session.nodeName(nodeId)}`, ok: false, failure: "store-missing" }];
      if (index > 0) findings.push(await proveConsistency(ctx, trees, nodeId, index - 1, index));
      return findings;
    }
    default:
      return [];
  }
}

export async function prove(ctx: ExplorerContext, s: Subject, key: string): Promise<ProveResponse> {
  await ctx.watch.refresh();
  const { rows } = await trailOf(ctx, s);
  const row = rows.find((r) => rowKey(r) === key);
  if (!row) throw new RowNotFound(`no row ${key} in the timeline of ${s.kind} ${s.value}`);
  const view = rowView(ctx, row);
  if (!view.provable) throw new RowNotFound(`row ${key} (${row.kind}) has nothing to prove off chain`);
  const findings = await checksOf(ctx, s, row);
  const checks: CheckView[] = findings.map((f) => JSON.parse(JSON.stringify(f, (_k, v) => (typeof v === "bigint" ? v.toString() : v))) as CheckView);
  const failed = checks.filter((f) => !f.ok).length;
  return { row: view, ok: checks.length > 0 && failed === 0, passed: checks.length - failed, failed, checks };
}
