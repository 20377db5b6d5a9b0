/**
 * The consortium as the explorer shows it: the 16 cities placed by their coordinates, each with its nodes
 * (status on the registry, head, query-log size, last commitment, the node service's health when one is
 * known) and the institutions by kind and sponsor. Everything is read: the registry, the node stores (opened
 * read-only) and, on the multi-node network, each validator's RPC and each node service's public `/health`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { NetworkNode } from "../network/manifest.js";
import { serviceHealth, serviceUrl } from "../network/services.js";
import type { Session } from "../session.js";
import { SEEDS_DIR, loadSeeds, seedsDir, type City } from "../seeds.js";
import type { CityView, ConsortiumResponse, DeploymentView, NodeView } from "./api.js";
import type { ChainWatch } from "./watch.js";

export interface CityCoordinates {
  source: string;
  byCode: Map<string, { lon: number; lat: number }>;
}

/** seeds/city-coordinates.json (of YRD_SEEDS_DIR when it has one), checked against the cities: every city placed once. */
export function loadCityCoordinates(cities: readonly City[]): CityCoordinates {
  const local = join(seedsDir(), "city-coordinates.json");
  const file = existsSync(local) ? local : join(SEEDS_DIR, "city-coordinates.json");
  const json = JSON.parse(readFileSync(file, "utf8")) as { source?: unknown; cities?: unknown };
  if (typeof json.source !== "string" || !Array.isArray(json.cities)) throw new Error(`${file}: must have "source" (text) and "cities" (a list)`);
  const byCode = new Map<string, { lon: number; lat: number }>();
  for (const [i, c] of (json.cities as { code?: unknown; lon?: unknown; lat?: unknown }[]).entries()) {
    if (typeof c.code !== "string" || typeof c.lon !== "number" || typeof c.lat !== "number" || Math.abs(c.lat) > 90 || Math.abs(c.lon) > 180)
      throw new Error(`${file}: cities[${i}]: must have a code and lon/lat in degrees`);
    if (byCode.has(c.code)) throw new Error(`${file}: cities[${i}].code: ${c.code} is listed twice`);
    byCode.set(c.code, { lon: c.lon, lat: c.lat });
  }
  for (const city of cities) if (!byCode.has(city.code)) throw new Error(`${file}: no coordinates for ${city.nameEn} (${city.code})`);
  return { source: json.source, byCode };
}

/** A node's loopback endpoints besides the chain the explorer reads: its validator's RPC, its service. */
export interface NodeEndpoints {
  rpc?: string;
  /** The node as the network manifest lists it, when it has a node service (port, process id). */
  service?: NetworkNode;
}

export interface ExplorerContext {
  session: Session;
  watch: ChainWatch;
  deployment: DeploymentView;
  /** Per node id (the multi-node network's manifest, read again at each call: `network up` may restart services). */
  endpoints: () => Map<number, NodeEndpoints>;
  coordinates: CityCoordinates;
}

const NODE_STATUS = ["unknown", "active", "suspended", "removed"] as const;

async function rpcHead(url: string): Promise<number> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
    signal: AbortSignal.timeout(3_000),
  });
  const j = (await r.json()) as { result?: string };
  if (typeof j.result !== "string") throw new Error("no result");
  return Number(j.result);
}

/** The service's health as `network status` reads it (`serviceHealth`: its process, then its /health). */
async function serviceView(n: NetworkNode): Promise<NonNullable<NodeView["service"]>> {
  const url = serviceUrl(n);
  const h = await serviceHealth(n);
  if (h === "ok") return { url, status: "ok", reasons: [] };
  if (h === "down") return { url, status: "unreachable", reasons: ["its process is not running"] };
  if (h.startsWith("no answer")) return { url, status: "unreachable", reasons: [h] };
  return { url, status: "unhealthy", reasons: [h] };
}

async function nodeView(ctx: ExplorerContext, endpoints: Map<number, NodeEndpoints>, nodeId: number, chainHead: number): Promise<NodeView> {
  const { session, watch } = ctx;
  const m = session.manifest.nodes.find((n) => n.nodeId === nodeId)!;
  const reasons: string[] = [];
  const onChain = await session.contracts.registry.node(nodeId);
  const status = NODE_STATUS[Number(onChain.status)] ?? "unknown";
  if (status !== "active") reasons.push(`${status} on the registry`);
  if (onChain.frozen) reasons.push("frozen by the regulator");
  const ep = endpoints.get(nodeId) ?? {};
  let head: number | null = chainHead;
  let down = false;
  if (ep.rpc) {
    head = await rpcHead(ep.rpc).catch(() => null);
    if (head === null) {
      reasons.push(`its validator does not answer at ${ep.rpc}`);
      down = true;
    } else if (chainHead - head > 5) reasons.push(`its validator is ${chainHead - head} blocks behind`);
  }
  let logSize: number | null = null;
  let records: number | null = null;
  let batches: number | null = null;
  if (session.stores.existing().includes(nodeId)) {
    const store = session.stores.get(nodeId);
    logSize = store.logSize();
    const counts = store.counts();
    records = counts.live + counts.batched;
    batches = store.batches().length;
  }
  const last = watch.lastCommitment.get(nodeId) ?? null;
  if (logSize !== null && last && last.size > logSize) reasons.push(`its store has ${logSize} log entries, fewer than the ${last.size} committed`);
  const service = ep.service ? await serviceView(ep.service) : null;
  if (service && service.status !== "ok") reasons.push(`service ${service.status}${service.reasons.length ? `: ${service.reasons.join("; ")}` : ""}`);
  return {
    nodeId,
    id: m.id,
    city: m.city,
    operatorLabel: m.operatorLabel,
    operator: m.operator,
    status,
    frozen: onChain.frozen,
    head,
    headOf: ep.rpc ? "validator" : "chain",
    logSize,
    records,
    batches,
    lastCommitment: last,
    commitments: last ? last.index + 1 : 0,
    service,
    health: down || status === "removed" || service?.status === "unreachable" ? "down" : reasons.length ? "warn" : "ok",
    reasons,
  };
}

export async function consortium(ctx: ExplorerContext): Promise<ConsortiumResponse> {
  await ctx.watch.refresh();
  const { session, watch } = ctx;
  const cities = loadSeeds().cities;
  const endpoints = ctx.endpoints();
  const nodes = await Promise.all(session.manifest.nodes.map((n) => nodeView(ctx, endpoints, n.nodeId, watch.head)));
  const cityViews: CityView[] = cities.map((c) => ({
    code: c.code,
    nameZh: c.nameZh,
    nameEn: c.nameEn,
    province: c.province,
    published: c.published,
    ...ctx.coordinates.byCode.get(c.code)!,
    nodes: nodes.filter((n) => n.city === c.code),
  }));
  const byKind: Record<string, number> = {};
  const sponsors = new Map<number, { total: number; byKind: Record<string, number> }>();
  for (const i of session.manifest.institutions) {
    byKind[i.kind] = (byKind[i.kind] ?? 0) + 1;
    const s = sponsors.get(i.sponsorNodeId) ?? { total: 0, byKind: {} };
    s.total++;
    s.byKind[i.kind] = (s.byKind[i.kind] ?? 0) + 1;
    sponsors.set(i.sponsorNodeId, s);
  }
  return {
    deployment: ctx.deployment,
    head: watch.head,
    headTime: watch.headTime,
    cities: cityViews,
    coordinatesSource: ctx.coordinates.source,
    institutions: {
      total: session.manifest.institutions.length,
      byKind,
      bySponsor: session.manifest.nodes
        .filter((n) => sponsors.has(n.nodeId))
        .map((n) => ({ nodeId: n.nodeId, id: n.id, city: n.city, ...sponsors.get(n.nodeId)! })),
    },
  };
}
