/**
 * Live queries end to end: an institution registers the enterprise's authorization and requests a query; the
 * serving node (a node of the enterprise's home city) builds the reports from its store, fulfils the query on
 * chain with their digests and appends the query to its log; the institution checks every report against
 * the chain. Each step is one transaction, every rule enforced by the contracts.
 */
import { getBytes, hexlify, type Signer } from "ethers";
import type { Contracts } from "../chain/contracts.js";
import type { Manifest } from "../chain/manifest.js";
import { type Authorization, authorizationId, consentDomain, signAuthorization } from "../consent/authorization.js";
import { fastRecordDigest } from "../ledger/leaf.js";
import { recordStatusName, type RecordStatusName } from "../ledger/status.js";
import { StandardTree } from "../merkle/standard.js";
import type { NodeStores } from "../store/stores.js";
import { QueryOutcome, reportsDigest } from "./log-entry.js";
import { NodeQueryLog } from "./querylog.js";
import { type CreditReport, reportDigest } from "./report.js";

/** Reason codes of a denial. */
export const DENY_NO_RECORD = 1;

export interface LiveQueryResult {
  queryId: bigint;
  servingNode: number;
  outcome: QueryOutcome;
  reports: CreditReport[];
  requestTx: string;
  answerTx: string;
  logSequence: number;
}

/** The institution registers an authorization signed by the enterprise's signer; returns its id. */
export async function registerAuthorization(
  c: Contracts,
  manifest: Manifest,
  institution: Signer,
  enterpriseSigner: Signer,
  auth: Authorization,
): Promise<string> {
  const domain = consentDomain(manifest.chainId, manifest.contracts.ConsentRegistry.address);
  const signature = await signAuthorization(enterpriseSigner, domain, auth);
  await (await c.consents.connect(institution).registerAuthorization(auth, signature)).wait();
  return authorizationId(domain, auth);
}

/** Categories named in a bit mask (1 << category). */
export function categoriesOf(mask: number): number[] {
  return [1, 2, 3].filter((cat) => mask & (1 << cat));
}

/** Reports for every requested category: the current version the serving node holds of each. */
export function buildReports(stores: NodeStores, servingNode: number, queryId: bigint, enterprise: string, mask: number): CreditReport[] {
  const store = stores.get(servingNode);
  const uscc = Buffer.from(getBytes(enterprise)).toString("latin1");
  const reports: CreditReport[] = [];
  for (const category of categoriesOf(mask)) {
    const version = store.latestVersion(uscc, category);
    if (version === 0) continue;
    const r = store.get(uscc, category, version);
    if (!r || r.mode === "pending") continue;
    const anchor: CreditReport["anchor"] =
      r.mode === "live"
        ? { mode: "live" }
        : { mode: "batch", batchId: r.batchId!, proof: StandardTree.fromLeafHashes(store.batchLeafHashes(r.batchId!)).proof(r.leafHash).map((p) => hexlify(p)) };
    reports.push({
      queryId: queryId.toString(),
      enterprise,
      category,
      version,
      recordDigest: hexlify(r.digest),
      salt: hexlify(r.salt),
      encoding: hexlify(r.encoding),
      record: JSON.parse(r.recordJson),
      anchor,
    });
  }
  return reports;
}

/** Picks the first active node of a city, or throws. */
export async function servingNodeFor(c: Contracts, manifest: Manifest, city: bigint | string): Promise<number> {
  for (const n of manifest.nodes.filter((m) => m.city === String(city))) if (await c.registry.isActiveNode(n.nodeId)) return n.nodeId;
  throw new Error(`no active node in city ${city} can serve the query`);
}

/**
 * Runs one live query: request (by the institution), answer (by the serving node: fulfil with reports, or
 * deny when it holds no record), and the log entry. `operators[i]` acts for node i + 1.
 */
export async function liveQuery(
  c: Contracts,
  manifest: Manifest,
  stores: NodeStores,
  operators: readonly Signer[],
  institution: Signer,
  request: { enterprise: string; categories: number; purpose: number; authorizationId: string },
): Promise<LiveQueryResult> {
  const tx = await c.desk.connect(institution).requestQuery(request);
  const receipt = await tx.wait();
  const ev = receipt!.logs.map((l) => c.desk.interface.parseLog(l)).find((p) => p?.name === "QueryRequested");
  if (!ev) throw new Error("requestQuery: no QueryRequested event");
  const queryId = ev.args.queryId as bigint;
  const servingNode = await servingNodeFor(c, manifest, ev.args.servingCity as bigint);
  const reports = buildReports(stores, servingNode, queryId, request.enterprise, request.categories);
  const desk = c.desk.connect(operators[servingNode - 1]);
  const digests = reports.map(reportDigest);
  const answer = reports.length > 0 ? await desk.fulfilQuery(queryId, digests) : await desk.denyQuery(queryId, DENY_NO_RECORD);
  const answerReceipt = await answer.wait();
  const block = await answerReceipt!.getBlock();
  const log = new NodeQueryLog(stores.get(servingNode));
  const [entry] = log.append([
    {
      enterprise: request.enterprise,
      institution: Number(ev.args.institution),
      servingNode,
      purpose: request.purpose,
      categories: request.categories,
      authorizationId: request.authorizationId,
      time: block.timestamp,
      outcome: reports.length > 0 ? QueryOutcome.Fulfilled : QueryOutcome.Denied,
      reason: reports.length > 0 ? 0 : DENY_NO_RECORD,
      reportsDigest: reports.length > 0 ? reportsDigest(digests) : "0x" + "00".repeat(32),
      liveQueryId: queryId,
    },
  ]);
  return {
    queryId,
    servingNode,
    outcome: reports.length > 0 ? QueryOutcome.Fulfilled : QueryOutcome.Denied,
    reports,
    requestTx: receipt!.hash,
    answerTx: answerReceipt!.hash,
    logSequence: entry.sequence,
  };
}

export interface ReportCheck {
  report: CreditReport;
  /** "valid", "disputed" (valid with an open objection) or the named failure. */
  result: RecordStatusName | "commitment-mismatch" | "digest-not-delivered";
}


/** The institution checks each delivered report: it opens the commitment, finds its digest among those fulfilled on chain, and asks the ledger for the record's status. */
export async function checkReports(c: Contracts, reports: readonly CreditReport[], fulfilledDigests: readonly string[]): Promise<ReportCheck[]> {
  const out: ReportCheck[] = [];
  for (const report of reports) {
    if (hexlify(fastRecordDigest(getBytes(report.salt), getBytes(report.encoding))) !== report.recordDigest) {
      out.push({ report, result: "commitment-mismatch" });
      continue;
    }
    if (!fulfilledDigests.includes(reportDigest(report))) {
      out.push({ report, result: "digest-not-delivered" });
      continue;
    }
    const status =
      report.anchor.mode === "live"
        ? await c.ledger.attestationStatus(report.enterprise, report.category, report.version, report.recordDigest)
        : await c.ledger.verifyRecord(
            report.anchor.batchId,
            { enterprise: report.enterprise, category: report.category, version: report.version, digest: report.recordDigest },
            report.anchor.proof,
          );
    out.push({ report, result: recordStatusName(status) });
  }
  return out;
}
