/**
 * Live queries end to end: an institution registers the enterprise's authorization and requests a query; the
 * serving node (a node of the enterprise's home city) builds the reports from its store, fulfils the query on
 * chain with their digests through its journal, and the query enters its log; the institution checks every
 * report against the chain. Each step is one transaction, every rule enforced by the contracts.
 */
import { requiredConfirmations } from "../chain/send.js";
import { getBytes, hexlify, type Signer } from "ethers";
import type { Contracts } from "../chain/contracts.js";
import type { Manifest } from "../chain/manifest.js";
import type { LoggedQuery, NewStep } from "../node/journal.js";
import type { Session } from "../session.js";
import type { NodeStore } from "../store/nodeStore.js";
import { type Authorization, authorizationId, consentDomain, signAuthorization } from "../consent/authorization.js";
import { fastRecordDigest } from "../ledger/leaf.js";
import { recordStatusName, type RecordStatusName } from "../ledger/status.js";
import { StandardTree } from "../merkle/standard.js";
import { encodeRecord } from "../records/encoding.js";
import { validateRecord } from "../records/schemas.js";
import { QueryOutcome, reportsDigest } from "./log-entry.js";
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
export function buildReports(store: NodeStore, queryId: bigint, enterprise: string, mask: number): CreditReport[] {
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
        : {
            mode: "batch",
            batchId: r.batchId!,
            proof: StandardTree.fromLeafHashes(store.batchLeafHashes(r.batchId!))
              .proof(r.leafHash)
              .map((p) => hexlify(p)),
          };
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

/** A requested query as the serving node answers it (from the QueryRequested event). */
export interface RequestedQuery {
  queryId: bigint;
  /** USCC as 0x-hex of its 18 ASCII bytes. */
  enterprise: string;
  institution: number;
  purpose: number;
  categories: number;
  authorizationId: string;
}

/**
 * The serving node's answer to a requested query, not yet journaled: the reports it holds (the current version
 * of each requested category), and the journal step — a fulfilment with their digests, or a denial when it
 * holds none — carrying the query-log entry (`time`: the request's block time). Used by `liveQuery` and by the
 * node service's watcher, so that both answer and log a query the same way.
 */
export function planAnswer(
  store: NodeStore,
  q: RequestedQuery,
  servingNode: number,
  time: number,
): { step: NewStep; reports: CreditReport[]; logEntry: LoggedQuery } {
  const reports = buildReports(store, q.queryId, q.enterprise, q.categories);
  const digests = reports.map(reportDigest);
  const logEntry: LoggedQuery = {
    enterprise: q.enterprise,
    institution: q.institution,
    servingNode,
    purpose: q.purpose,
    categories: q.categories,
    authorizationId: q.authorizationId,
    time,
    outcome: reports.length > 0 ? QueryOutcome.Fulfilled : QueryOutcome.Denied,
    reason: reports.length > 0 ? 0 : DENY_NO_RECORD,
    reportsDigest: reports.length > 0 ? reportsDigest(digests) : "0x" + "00".repeat(32),
    liveQueryId: q.queryId.toString(),
  };
  const step: NewStep =
    reports.length > 0
      ? { key: `fulfil/${q.queryId}`, kind: "fulfil", payload: { queryId: q.queryId.toString(), reportDigests: digests, logEntry } }
      : { key: `deny/${q.queryId}`, kind: "deny", payload: { queryId: q.queryId.toString(), reason: DENY_NO_RECORD, logEntry } };
  return { step, reports, logEntry };
}

/**
 * Runs one live query: the institution requests it; the serving node (the first active node of the
 * enterprise's home city) answers through its journal — fulfils with the digests of the reports it holds, or
 * denies when it holds none — and the query enters the node's log when the answer is done.
 */
export async function liveQuery(
  session: Session,
  institution: Signer,
  request: { enterprise: string; categories: number; purpose: number; authorizationId: string },
): Promise<LiveQueryResult> {
  const c = session.contracts;
  const tx = await c.desk.connect(institution).requestQuery(request);
  const receipt = await tx.wait(requiredConfirmations());
  const ev = receipt!.logs.map((l) => c.desk.interface.parseLog(l)).find((p) => p?.name === "QueryRequested");
  if (!ev) throw new Error("requestQuery: no QueryRequested event");
  const queryId = ev.args.queryId as bigint;
  const servingNode = await session.activeNodeOf(String(ev.args.servingCity));
  const node = await session.node(servingNode);
  const time = (await receipt!.getBlock()).timestamp;
  const { step, reports, logEntry } = planAnswer(node.store, { queryId, institution: Number(ev.args.institution), ...request }, servingNode, time);
  await node.journalSteps([step]);
  const answer = await node.execute(step);
  return {
    queryId,
    servingNode,
    outcome: logEntry.outcome,
    reports,
    requestTx: receipt!.hash,
    answerTx: answer.hash,
    logSequence: node.journal.get(step.key)!.result!.logSequence as number,
  };
}

export interface ReportCheck {
  report: CreditReport;
  /** "valid", "disputed" (valid with an open objection) or the named failure. */
  result: RecordStatusName | "commitment-mismatch" | "digest-not-delivered" | "record-differs-from-encoding";
}

/** The institution checks each delivered report: it opens the commitment, finds its digest among those fulfilled on chain, and asks the ledger for the record's status. */
/**
 * The record a report shows is the one its commitment opens: a valid record whose canonical encoding is the
 * report's encoding. A report of a replayed record carries its encoding only (an empty record), which is then
 * the record itself.
 */
export function recordMatchesEncoding(report: Pick<CreditReport, "record" | "encoding">): boolean {
  const r = report.record;
  if (r === undefined || r === null || (typeof r === "object" && Object.keys(r).length === 0)) return true;
  try {
    return hexlify(encodeRecord(validateRecord(r))) === hexlify(getBytes(report.encoding));
  } catch {
    return false;
  }
}

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
    if (!recordMatchesEncoding(report)) {
      out.push({ report, result: "record-differs-from-encoding" });
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
