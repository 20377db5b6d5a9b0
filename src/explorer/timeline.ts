/**
 * Search and timelines: what the chain (the audit's `collectTrail`) and the node stores (queries that exist
 * only in a node's log) hold about one enterprise, institution or node, in block order.
 */
import { loadSeeds } from "../seeds.js";
import { bytes18ToUscc, checkTrailFilter, collectTrail, resolveNode, usccToBytes18, type TrailFilter, type TrailKind, type TrailRow } from "../audit/trail.js";
import { decodeLogEntry, QueryOutcome } from "../query/log-entry.js";
import { PURPOSE_SLUGS, type Purpose } from "../consent/authorization.js";
import { homeCity, validateUscc } from "../uscc.js";
import type { ObjectionState, SearchResponse, TimelineResponse, TimelineRow, TrailKindName } from "./api.js";
import type { ExplorerContext } from "./consortium.js";

// the API's kind names are the library's
const _sameKinds: [TrailKind] extends [TrailKindName] ? ([TrailKindName] extends [TrailKind] ? true : never) : never = true;
void _sameKinds;

export type Subject = { kind: "enterprise"; value: string } | { kind: "institution"; value: number } | { kind: "node"; value: number };

/** A request's subject, checked like the audit's filters (throws one line naming the field and the rule). */
export function parseSubject(ctx: ExplorerContext, q: { enterprise?: string; institution?: number; node?: string }): Subject {
  const given = [q.enterprise !== undefined, q.institution !== undefined, q.node !== undefined].filter(Boolean).length;
  if (given !== 1) throw new SubjectError("query", "give exactly one of enterprise, institution or node");
  const cities = loadSeeds().cities;
  const m = ctx.session.manifest;
  try {
    if (q.enterprise !== undefined) return { kind: "enterprise", value: checkTrailFilter({ enterprise: q.enterprise }, cities, m).enterprise! };
    if (q.institution !== undefined) return { kind: "institution", value: checkTrailFilter({ institution: q.institution }, cities, m).institution! };
    return { kind: "node", value: checkTrailFilter({ node: q.node }, cities, m).node as number };
  } catch (e) {
    const field = q.enterprise !== undefined ? "enterprise" : q.institution !== undefined ? "institution" : "node";
    throw new SubjectError(`query.${field}`, (e as Error).message.replace(/^--[a-z]+ /, `${field} `));
  }
}

export class SubjectError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export function subjectFilter(s: Subject): TrailFilter {
  return s.kind === "enterprise" ? { enterprise: s.value } : s.kind === "institution" ? { institution: s.value } : { node: s.value };
}

const OUTCOME = ["none", "open", "corrected", "rejected", "could not be confirmed"] as const;

/**
 * The subject's rows: the chain's events (`collectTrail`), narrowed for an enterprise to the batches that hold
 * one of its records and the log commitments of the nodes that logged one of its queries, plus the whole log
 * entries of the stores that no QueryDesk event stands for ("logged-query").
 */
export async function trailOf(ctx: ExplorerContext, s: Subject): Promise<{ rows: TrailRow[]; filter: TrailFilter; replayedEntries: number }> {
  const { session } = ctx;
  const filter = subjectFilter(s);
  let rows = await collectTrail(session.conn, session.manifest, session.contracts, filter);
  const storeIds = session.stores.existing();
  let replayedEntries = 0;
  if (s.kind === "enterprise") {
    const batches = new Set<string>();
    const logging = new Set<number>();
    for (const id of storeIds) {
      const store = session.stores.get(id);
      for (const r of store.recordsOf(s.value)) if (r.mode === "batched" && r.batchId) batches.add(`${id}:${r.batchId}`);
      if (store.logEntriesOf(usccToBytes18(s.value)).length > 0) logging.add(id);
      replayedEntries += store.replayedLogEntries();
    }
    rows = rows.filter(
      (r) =>
        r.enterprise !== undefined ||
        (r.kind === "batch" && batches.has(`${r.nodes[0]}:${r.data.batchId}`)) ||
        (r.kind === "log-commit" && logging.has(r.nodes[0])),
    );
  }
  const nodeCity = new Map(session.manifest.nodes.map((n) => [n.nodeId, n.city]));
  const sponsorCity = new Map(session.manifest.institutions.map((i) => [i.institutionId, nodeCity.get(i.sponsorNodeId)]));
  const logged: TrailRow[] = [];
  for (const id of storeIds) {
    if (s.kind === "node" && s.value !== id) continue;
    const store = session.stores.get(id);
    const entries = s.kind === "enterprise" ? store.logEntriesOf(usccToBytes18(s.value)) : store.allLogEntries();
    for (const e of entries) {
      if (e.liveQueryId !== null) continue; // a live query: its QueryDesk events are in the trail
      if (s.kind === "institution" && e.institution !== s.value) continue;
      const d = decodeLogEntry(e.entry);
      const outcome =
        d.outcome === QueryOutcome.Fulfilled ? "fulfilled" : d.outcome === QueryOutcome.Denied ? `denied (reason ${d.reason})` : `refused (reason ${d.reason})`;
      logged.push({
        kind: "logged-query",
        block: 0,
        logIndex: 0,
        time: d.time,
        txHash: "",
        enterprise: bytes18ToUscc(d.enterprise),
        institution: d.institution,
        nodes: [id],
        cities: [...new Set([nodeCity.get(id)!, sponsorCity.get(d.institution)].filter((x): x is string => !!x))],
        detail: `query logged by node ${id} at position ${e.sequence}: institution ${d.institution}, ${PURPOSE_SLUGS[d.purpose as Purpose] ?? `purpose ${d.purpose}`}, ${outcome}`,
        data: { nodeId: id, sequence: e.sequence },
      });
    }
  }
  // logged entries go by their own time, after the chain rows of the same time
  rows = [...rows, ...logged].sort((a, b) =>
    a.block && b.block ? a.block - b.block || a.logIndex - b.logIndex : a.time - b.time || (a.block ? -1 : b.block ? 1 : 0),
  );
  return { rows, filter, replayedEntries };
}

export function rowKey(r: TrailRow): string {
  return r.kind === "logged-query" ? `log:${r.data.nodeId}:${r.data.sequence}` : `${r.block}:${r.logIndex}`;
}

const PROVABLE = new Set<TrailKind>([
  "attestation",
  "batch",
  "supersede",
  "revocation",
  "objection",
  "objection-resolved",
  "authorization",
  "query",
  "query-fulfilled",
  "query-denied",
  "log-commit",
  "logged-query",
]);

export function rowView(ctx: ExplorerContext, r: TrailRow): TimelineRow {
  const name = (id: number) => ctx.session.nodeName(id);
  let objection: ObjectionState | undefined;
  if (r.kind === "objection" || r.kind === "objection-resolved") {
    const o = ctx.watch.objections.get(r.data.objectionId as number);
    if (o)
      objection = {
        objectionId: o.objectionId,
        deadline: o.deadline,
        outcome: o.outcome === 0 ? (ctx.watch.headTime > o.deadline ? "overdue" : "open") : (OUTCOME[o.outcome] as ObjectionState["outcome"]),
      };
  }
  return {
    key: rowKey(r),
    kind: r.kind,
    block: r.block,
    time: r.time,
    txHash: r.txHash,
    ...(r.enterprise ? { enterprise: r.enterprise } : {}),
    ...(r.institution !== undefined ? { institution: r.institution } : {}),
    nodes: r.nodes.map(name),
    cities: r.cities,
    detail: r.detail.replace(/\bnode (\d+)\b/g, (_m, id: string) => `node ${name(Number(id))}`),
    provable: PROVABLE.has(r.kind),
    ...(objection ? { objection } : {}),
  };
}

export async function timeline(ctx: ExplorerContext, s: Subject): Promise<TimelineResponse> {
  await ctx.watch.refresh();
  const { rows, replayedEntries } = await trailOf(ctx, s);
  const label =
    s.kind === "enterprise"
      ? `${s.value} (${homeCity(s.value, loadSeeds().cities).nameEn})`
      : s.kind === "institution"
        ? `institution ${s.value}`
        : `node ${ctx.session.nodeName(s.value)}`;
  return {
    subject: { kind: s.kind, value: String(s.value), label },
    rows: rows.map((r) => rowView(ctx, r)),
    ...(s.kind === "enterprise" && replayedEntries > 0
      ? { note: `${replayedEntries} replayed query-log entries are kept as leaf hashes only and are not listed by enterprise (see the charts)` }
      : {}),
  };
}

/** What a search box text names: a USCC, an institution id, a node id; with known enterprises that start with it. */
export async function search(ctx: ExplorerContext, q: string): Promise<SearchResponse> {
  await ctx.watch.refresh();
  const text = q.trim().toUpperCase();
  const m = ctx.session.manifest;
  const suggestions =
    text.length >= 2
      ? [...ctx.watch.enterprises]
          .filter((e) => e.startsWith(text))
          .sort()
          .slice(0, 10)
      : [];
  if (/^[0-9A-Z]{18}$/.test(text)) {
    try {
      validateUscc(text);
      const city = homeCity(text, loadSeeds().cities);
      return { kind: "enterprise", value: text, label: `enterprise ${text} (${city.nameZh} ${city.nameEn})`, suggestions };
    } catch (e) {
      return { kind: "none", value: text, label: text, message: (e as Error).message, suggestions };
    }
  }
  const inst = /^(?:I|INST|INSTITUTION)?\s*#?(\d+)$/.exec(text);
  if (inst) {
    const id = Number(inst[1]);
    const found = m.institutions.find((i) => i.institutionId === id);
    if (found)
      return {
        kind: "institution",
        value: String(id),
        label: `institution ${id} (${found.kind}, sponsor ${ctx.session.nodeName(found.sponsorNodeId)})`,
        suggestions,
      };
    if (suggestions.length === 0)
      return {
        kind: "none",
        value: text,
        label: text,
        message: `no institution ${id}: this deployment has institutions 1-${m.institutions.length}`,
        suggestions,
      };
  }
  try {
    const nodeId = resolveNode(
      m,
      q
        .trim()
        .toLowerCase()
        .replace(/^node\s*/, ""),
    );
    return { kind: "node", value: String(nodeId), label: `node ${ctx.session.nodeName(nodeId)}`, suggestions };
  } catch {
    // not a node
  }
  return {
    kind: "none",
    value: text,
    label: text,
    message: suggestions.length ? "choose one of the enterprises below" : "not a USCC (18 characters), an institution id or a node id such as sh-1",
    suggestions,
  };
}
