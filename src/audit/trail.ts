/**
 * The audit trail as the chain tells it: attestations, batches, corrections, revocations, objections,
 * authorizations, live queries and query-log commitments, from the contracts' events, filtered by
 * enterprise, institution, node, city and time. Entries of the nodes' query logs (queries that exist only
 * in the logs) come from the node stores and are proven against the committed roots by `verify.ts`.
 */
import { hexlify, toUtf8String, type EventLog, type Log } from "ethers";
import { PURPOSE_SLUGS, type Purpose } from "../consent/authorization.js";
import { usccBytes } from "../ledger/leaf.js";
import { CATEGORY_SLUGS, type Category } from "../records/categories.js";
import type { ChainConnection } from "../chain/connection.js";
import type { Contracts } from "../chain/contracts.js";
import type { Manifest } from "../chain/manifest.js";
import { loadSeeds, type City } from "../seeds.js";
import { homeCity as homeCityOf, validateUscc } from "../uscc.js";

export type TrailKind =
  | "attestation"
  | "batch"
  | "supersede"
  | "revocation"
  | "signer-bound"
  | "objection"
  | "objection-resolved"
  | "authorization"
  | "authorization-revoked"
  | "query"
  | "query-fulfilled"
  | "query-denied"
  | "query-expired"
  | "log-commit"
  | "logged-query";

export interface TrailRow {
  kind: TrailKind;
  block: number;
  logIndex: number;
  /** Block time (unix seconds). */
  time: number;
  txHash: string;
  /** USCC text, when the row concerns one enterprise. */
  enterprise?: string;
  institution?: number;
  /** Node ids the row concerns (attesting, serving, requesting, committing). */
  nodes: number[];
  /** City codes the row concerns. */
  cities: string[];
  /** Human-readable details. */
  detail: string;
  /** Raw values the verifier re-checks. */
  data: Record<string, unknown>;
}

export interface TrailFilter {
  enterprise?: string;
  institution?: number;
  /** Node id (number) or text id ("sh-1"). */
  node?: number | string;
  city?: string;
  /** Unix seconds, inclusive. */
  from?: number;
  to?: number;
}

const categoryName = (c: unknown) => CATEGORY_SLUGS[Number(c) as Category] ?? `category ${c}`;
const purposeName = (p: unknown) => PURPOSE_SLUGS[Number(p) as Purpose] ?? `purpose ${p}`;

/** A USCC as the contracts take it: 0x-hex of its 18 ASCII bytes. */
export function usccToBytes18(code: string): string {
  return hexlify(usccBytes(code));
}

export function bytes18ToUscc(b: string): string {
  return toUtf8String(b);
}

/** Resolves a `--node` value (id number or text id) to the node id, or throws naming the valid ids. */
/** How the audit names a node: its text id and registry id ("hf-1 (23)"), or the bare id when unknown. */
export function nodeLabel(manifest: Pick<Manifest, "nodes">, nodeId: number): string {
  const id = manifest.nodes.find((n) => n.nodeId === nodeId)?.id;
  return id ? `${id} (${nodeId})` : String(nodeId);
}

export function resolveNode(manifest: Manifest, node: number | string): number {
  const byText = manifest.nodes.find((n) => n.id === String(node));
  if (byText) return byText.nodeId;
  const n = Number(node);
  if (Number.isInteger(n) && manifest.nodes.some((m) => m.nodeId === n)) return n;
  throw new Error(`unknown node ${node}: use an id such as ${manifest.nodes[0]?.id} or a number 1-${manifest.nodes.length}`);
}

/**
 * Checks each filter as `attest` checks records, throwing one line that names the option and the rule: the
 * enterprise a valid USCC (`validateUscc`: a wrong check character would only list unrelated rows) of a
 * connected city, the city one of the seeds' cities, the institution and the node ones of the deployment, the
 * range not ending before it starts. Without a manifest, the institution and the node are checked only for
 * shape (call again once the deployment is known). Returns the filter with the node resolved to its id.
 */
export function checkTrailFilter(f: TrailFilter, cities: readonly City[], manifest?: Manifest): TrailFilter {
  const cityList = () => cities.map((c) => `${c.code} (${c.nameEn})`).join(", ");
  if (f.enterprise !== undefined) {
    try {
      validateUscc(f.enterprise);
      homeCityOf(f.enterprise, cities);
    } catch (e) {
      throw new Error(
        `--enterprise ${f.enterprise}: ${(e as Error).message}${(e as { rule?: string }).rule === "city" ? ": nothing of it can be on this chain" : ""}`,
        { cause: e },
      );
    }
  }
  if (f.city !== undefined) {
    if (!/^\d{6}$/.test(f.city)) throw new Error(`--city ${f.city}: must be the 6-digit division code of a connected city: ${cityList()}`);
    if (!cities.some((c) => c.code === f.city)) throw new Error(`--city ${f.city}: not a connected city; the connected cities are ${cityList()}`);
  }
  if (f.institution !== undefined) {
    if (!Number.isSafeInteger(f.institution) || f.institution < 1) throw new Error(`--institution ${f.institution}: must be an institution id ≥ 1`);
    if (manifest && !manifest.institutions.some((i) => i.institutionId === f.institution))
      throw new Error(
        `--institution ${f.institution}: ${manifest.institutions.length ? `this deployment has institutions 1-${manifest.institutions.length}` : "this deployment has no institutions"}`,
      );
  }
  let node = f.node;
  if (node !== undefined && manifest) {
    try {
      node = resolveNode(manifest, node);
    } catch (e) {
      throw new Error(`--node ${f.node}: ${(e as Error).message}`, { cause: e });
    }
  }
  if (f.from !== undefined && f.to !== undefined && f.from > f.to)
    throw new Error(`--from ${new Date(f.from * 1000).toISOString()} is after --to ${new Date(f.to * 1000).toISOString()}: no row can match`);
  return { ...f, node };
}

/** Reads every event of the deployment, newest last, and keeps the rows that pass the filter. */
export async function collectTrail(conn: ChainConnection, manifest: Manifest, c: Contracts, filter: TrailFilter = {}): Promise<TrailRow[]> {
  const fromBlock = manifest.deployBlock;
  const nodeCity = new Map(manifest.nodes.map((n) => [n.nodeId, n.city]));
  const sponsorOf = new Map(manifest.institutions.map((i) => [i.institutionId, i.sponsorNodeId]));
  const cityOf = (nodes: number[], extra: (string | undefined)[] = []) => [
    ...new Set([...nodes.map((n) => nodeCity.get(n)).filter((x): x is string => !!x), ...extra.filter((x): x is string => !!x)]),
  ];
  const rows: TrailRow[] = [];
  const times = new Map<number, number>();
  const timeOf = async (block: number) => {
    let t = times.get(block);
    if (t === undefined) {
      t = (await conn.ethers.provider.getBlock(block))?.timestamp ?? 0;
      times.set(block, t);
    }
    return t;
  };
  const cities = loadSeeds().cities;
  const homeCity = (uscc: string) => {
    try {
      return homeCityOf(uscc, cities).code;
    } catch {
      return undefined; // the chain only holds codes of connected cities; be lenient when reading
    }
  };
  const push = async (ev: Log, kind: TrailKind, r: Omit<TrailRow, "kind" | "block" | "logIndex" | "time" | "txHash">) => {
    rows.push({ kind, block: ev.blockNumber, logIndex: ev.index, time: await timeOf(ev.blockNumber), txHash: ev.transactionHash, ...r });
  };
  const events = async (contract: { queryFilter: (f: string, from: number) => Promise<(EventLog | Log)[]> }, name: string) =>
    (await contract.queryFilter(name, fromBlock)).filter((e): e is EventLog => "args" in e);

  const ledger = c.ledger as unknown as { queryFilter: (f: string, from: number) => Promise<(EventLog | Log)[]> };
  for (const e of await events(ledger, "Attested")) {
    const u = bytes18ToUscc(e.args.enterprise);
    const node = Number(e.args.nodeId);
    await push(e, "attestation", {
      enterprise: u,
      nodes: [node],
      cities: cityOf([node]),
      detail: `${categoryName(e.args.category)} v${e.args.version} digest ${String(e.args.digest).slice(0, 10)}…`,
      data: { category: Number(e.args.category), version: Number(e.args.version), digest: e.args.digest },
    });
  }
  for (const e of await events(ledger, "BatchAnchored")) {
    const node = Number(e.args.nodeId);
    await push(e, "batch", {
      nodes: [node],
      cities: cityOf([node]),
      detail: `batch ${e.args.batchId}: ${e.args.count} ${categoryName(e.args.category)} records, root ${String(e.args.root).slice(0, 10)}…`,
      data: { batchId: Number(e.args.batchId), root: e.args.root, count: Number(e.args.count), category: Number(e.args.category) },
    });
  }
  for (const e of await events(ledger, "Superseded")) {
    const node = Number(e.args.nodeId);
    await push(e, "supersede", {
      enterprise: bytes18ToUscc(e.args.enterprise),
      nodes: [node],
      cities: cityOf([node]),
      detail: `${categoryName(e.args.category)} v${e.args.previousVersion} → v${e.args.version}`,
      data: { category: Number(e.args.category), version: Number(e.args.version) },
    });
  }
  for (const e of await events(ledger, "Revoked")) {
    const node = Number(e.args.nodeId);
    await push(e, "revocation", {
      enterprise: bytes18ToUscc(e.args.enterprise),
      nodes: [node],
      cities: cityOf([node]),
      detail: `${categoryName(e.args.category)} v${e.args.version} revoked, reason ${e.args.reason}`,
      data: { category: Number(e.args.category), version: Number(e.args.version), reason: Number(e.args.reason) },
    });
  }
  for (const e of await events(ledger, "EnterpriseSignerBound")) {
    const node = Number(e.args.nodeId);
    await push(e, "signer-bound", {
      enterprise: bytes18ToUscc(e.args.enterprise),
      nodes: [node],
      cities: cityOf([node]),
      detail: `signer ${e.args.signer}`,
      data: { signer: e.args.signer },
    });
  }
  for (const e of await events(ledger, "ObjectionFiled")) {
    const u = bytes18ToUscc(e.args.enterprise);
    const inst = manifest.institutions.find((i) => i.signer.toLowerCase() === String(e.args.filer).toLowerCase());
    await push(e, "objection", {
      enterprise: u,
      institution: inst?.institutionId,
      nodes: [],
      cities: cityOf([], [homeCity(u)]),
      detail: `objection ${e.args.objectionId} to ${categoryName(e.args.category)} v${e.args.version} by ${inst ? `institution ${inst.institutionId}` : "the enterprise"}, due ${new Date(Number(e.args.deadline) * 1000).toISOString().slice(0, 10)}`,
      data: { objectionId: Number(e.args.objectionId), category: Number(e.args.category), version: Number(e.args.version), deadline: Number(e.args.deadline) },
    });
  }
  const objectionEnterprise = new Map(rows.filter((r) => r.kind === "objection").map((r) => [r.data.objectionId as number, r.enterprise]));
  for (const e of await events(ledger, "ObjectionResolved")) {
    const node = Number(e.args.nodeId);
    const outcome = ["none", "open", "corrected", "rejected", "could not be confirmed"][Number(e.args.outcome)];
    await push(e, "objection-resolved", {
      enterprise: objectionEnterprise.get(Number(e.args.objectionId)),
      nodes: [node],
      cities: cityOf([node]),
      detail: `objection ${e.args.objectionId}: ${outcome}${Number(e.args.correctedVersion) ? ` by v${e.args.correctedVersion}` : ""}`,
      data: { objectionId: Number(e.args.objectionId), outcome: Number(e.args.outcome) },
    });
  }

  const consents = c.consents as unknown as { queryFilter: (f: string, from: number) => Promise<(EventLog | Log)[]> };
  const authEnterprise = new Map<string, string>();
  for (const e of await events(consents, "AuthorizationRegistered")) {
    const u = bytes18ToUscc(e.args.enterprise);
    const inst = Number(e.args.institution);
    authEnterprise.set(e.args.authorizationId, u);
    const sponsor = sponsorOf.get(inst);
    await push(e, "authorization", {
      enterprise: u,
      institution: inst,
      nodes: sponsor ? [sponsor] : [],
      cities: cityOf(sponsor ? [sponsor] : [], [homeCity(u)]),
      detail: `authorization ${String(e.args.authorizationId).slice(0, 10)}… for institution ${inst}, ${purposeName(e.args.purpose)}, categories 0x${Number(e.args.categories).toString(16)}, ${new Date(Number(e.args.notBefore) * 1000).toISOString().slice(0, 10)} to ${new Date(Number(e.args.notAfter) * 1000).toISOString().slice(0, 10)}`,
      data: {
        authorizationId: e.args.authorizationId,
        enterprise: e.args.enterprise,
        institution: inst,
        purpose: Number(e.args.purpose),
        categories: Number(e.args.categories),
        notBefore: Number(e.args.notBefore),
        notAfter: Number(e.args.notAfter),
        nonce: BigInt(e.args.nonce),
      },
    });
  }
  for (const e of await events(consents, "AuthorizationRevoked")) {
    const u = bytes18ToUscc(e.args.enterprise);
    await push(e, "authorization-revoked", {
      enterprise: u,
      nodes: [],
      cities: cityOf([], [homeCity(u)]),
      detail: `authorization ${String(e.args.authorizationId).slice(0, 10)}… revoked by the enterprise`,
      data: { authorizationId: e.args.authorizationId },
    });
  }

  const desk = c.desk as unknown as { queryFilter: (f: string, from: number) => Promise<(EventLog | Log)[]> };
  const queries = new Map<number, { enterprise: string; institution: number; nodes: number[]; cities: string[] }>();
  for (const e of await events(desk, "QueryRequested")) {
    const u = bytes18ToUscc(e.args.enterprise);
    const inst = Number(e.args.institution);
    const requester = Number(e.args.requesterNode);
    const serving = String(e.args.servingCity);
    const q = { enterprise: u, institution: inst, nodes: [requester], cities: cityOf([requester], [serving]) };
    queries.set(Number(e.args.queryId), q);
    await push(e, "query", {
      ...q,
      detail: `query ${e.args.queryId} by institution ${inst} (node ${requester}) for ${purposeName(e.args.purpose)}, served in city ${serving}${e.args.crossCity ? " (cross-city)" : ""}`,
      data: {
        queryId: Number(e.args.queryId),
        purpose: Number(e.args.purpose),
        categories: Number(e.args.categories),
        authorizationId: e.args.authorizationId,
        crossCity: Boolean(e.args.crossCity),
      },
    });
  }
  for (const [name, kind] of [
    ["QueryFulfilled", "query-fulfilled"],
    ["QueryDenied", "query-denied"],
    ["QueryExpired", "query-expired"],
  ] as const) {
    for (const e of await events(desk, name)) {
      const id = Number(e.args.queryId);
      const q = queries.get(id);
      const node = e.args.nodeId === undefined ? undefined : Number(e.args.nodeId);
      const nodes = [...(q?.nodes ?? []), ...(node ? [node] : [])];
      await push(e, kind, {
        enterprise: q?.enterprise,
        institution: q?.institution,
        nodes,
        cities: cityOf(nodes, q?.cities ?? []),
        detail:
          kind === "query-fulfilled"
            ? `query ${id} fulfilled by node ${node} with ${e.args.reportDigests.length} report digests`
            : kind === "query-denied"
              ? `query ${id} denied by node ${node}, reason ${e.args.reason}`
              : `query ${id} expired unanswered`,
        data: { queryId: id, reportDigests: kind === "query-fulfilled" ? [...e.args.reportDigests] : [], ...(node ? { nodeId: node } : {}) },
      });
    }
  }

  const qlog = c.queryLog as unknown as { queryFilter: (f: string, from: number) => Promise<(EventLog | Log)[]> };
  for (const e of await events(qlog, "LogCommitted")) {
    const node = Number(e.args.nodeId);
    await push(e, "log-commit", {
      nodes: [node],
      cities: cityOf([node]),
      detail: `query log of node ${nodeLabel(manifest, node)}: size ${e.args.previousSize} → ${e.args.size}, root ${String(e.args.root).slice(0, 10)}…`,
      data: { index: Number(e.args.index), size: Number(e.args.size), root: e.args.root },
    });
  }

  rows.sort((a, b) => a.block - b.block || a.logIndex - b.logIndex);
  return rows.filter((r) => matches(r, manifest, filter));
}

/** Whether a row passes the filter (rows about no single enterprise pass an enterprise filter only if they are batches or log commits). */
export function matches(r: TrailRow, manifest: Manifest, f: TrailFilter): boolean {
  if (f.enterprise !== undefined && r.enterprise !== f.enterprise && !(r.enterprise === undefined && (r.kind === "batch" || r.kind === "log-commit")))
    return false;
  if (f.institution !== undefined && r.institution !== f.institution) return false;
  if (f.node !== undefined && !r.nodes.includes(resolveNode(manifest, f.node))) return false;
  if (f.city !== undefined && !r.cities.includes(f.city)) return false;
  if (f.from !== undefined && r.time < f.from) return false;
  if (f.to !== undefined && r.time > f.to) return false;
  return true;
}
