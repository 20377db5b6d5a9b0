/** One live query as a user runs it: authorize, request, serve, commit the serving node's log, check reports. */
import { hexlify, randomBytes, type Signer } from "ethers";
import type { Session } from "../session.js";
import { AUTHORIZATION_DAYS, PURPOSE_SLUGS, Purpose, consentDomain, signAuthorization, type Authorization } from "../consent/authorization.js";
import { usccBytes } from "../ledger/leaf.js";
import { loadSeeds } from "../seeds.js";
import { signReportsChallenge } from "../service/auth.js";
import { signQueryRequest } from "../service/client.js";
import { RemoteError, type NodeServiceClient } from "../service/remote.js";
import { homeCity } from "../uscc.js";
import { checkReports, liveQuery, registerAuthorization, type LiveQueryResult, type ReportCheck } from "./live.js";
import { QueryOutcome } from "./log-entry.js";
import type { CreditReport } from "./report.js";
import type { StoredCommitment } from "../store/nodeStore.js";

/** How long a query relayed through the services may take to be answered. */
const ANSWERED_WITHIN_MS = 120_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const PURPOSES: Record<string, Purpose> = Object.fromEntries(Object.entries(PURPOSE_SLUGS).map(([p, slug]) => [slug, Number(p) as Purpose]));

export function parsePurpose(v: string): Purpose {
  const p = PURPOSES[v];
  if (!p) throw new Error(`--purpose must be one of ${Object.keys(PURPOSES).join(", ")}, not "${v}"`);
  return p;
}

export interface LiveQueryRun {
  authorizationId: string;
  result: LiveQueryResult;
  checks: ReportCheck[];
  commitment?: StoredCommitment;
  /** The node services that relayed and served it, when it went through them. */
  via?: { relayedBy: string; servedBy: string; logCommitted: boolean };
}

/**
 * One query as an institution runs it. When the serving node's service runs (the multi-node network), the
 * query goes through the services: the institution signs its transactions, a service relays them (its
 * sponsor's when that one runs, else the serving node's), the serving service answers by itself, and the
 * institution fetches the reports from it. Otherwise the command serves it as the serving node, through its
 * journal.
 */
export async function runLiveQuery(
  session: Session,
  institution: Signer,
  enterpriseSigner: Signer,
  q: { enterprise: string; institution: number; purpose: Purpose; categories: number },
  services: ReadonlyMap<number, NodeServiceClient> = new Map(),
): Promise<LiveQueryRun> {
  const e18 = hexlify(usccBytes(q.enterprise));
  const now = (await session.conn.ethers.provider.getBlock("latest"))!.timestamp;
  const auth: Authorization = {
    enterprise: e18,
    institution: q.institution,
    purpose: q.purpose,
    categories: q.categories,
    notBefore: now - 60,
    notAfter: now + AUTHORIZATION_DAYS * 86_400,
    nonce: BigInt(hexlify(randomBytes(16))),
  };
  const serving = services.size > 0 ? services.get(await session.activeNodeOf(homeCity(q.enterprise, loadSeeds().cities).code)) : undefined;
  if (serving) return queryThroughServices(session, institution, enterpriseSigner, q, auth, serving, services);
  const authorizationId = await registerAuthorization(session.contracts, session.manifest, institution, enterpriseSigner, auth);
  const result = await liveQuery(session, institution, {
    enterprise: e18,
    categories: q.categories,
    purpose: q.purpose,
    authorizationId,
  });
  const node = await session.node(result.servingNode);
  await node.commitLog();
  const commitment = node.store.commitments().at(-1);
  const fulfilled = await session.contracts.desk.queryFilter(session.contracts.desk.filters.QueryFulfilled(result.queryId));
  const checks = await checkReports(session.contracts, result.reports, fulfilled.length ? [...fulfilled[0].args.reportDigests] : []);
  return { authorizationId, result, checks, commitment };
}

interface ServedReports {
  status: "fulfilled" | "denied";
  reportDigests?: string[];
  reports?: CreditReport[];
  log?: { sequence: number; pending?: string; commitment?: { size: number } };
}

async function queryThroughServices(
  session: Session,
  institution: Signer,
  enterpriseSigner: Signer,
  q: { enterprise: string; institution: number },
  auth: Authorization,
  serving: NodeServiceClient,
  services: ReadonlyMap<number, NodeServiceClient>,
): Promise<LiveQueryRun> {
  const m = session.manifest;
  const sponsor = m.institutions[q.institution - 1]?.sponsorNodeId;
  const relayer = (sponsor !== undefined ? services.get(sponsor) : undefined) ?? serving;
  const signature = await signAuthorization(enterpriseSigner, consentDomain(m.chainId, m.contracts.ConsentRegistry.address), auth);
  const deployment = { chainId: m.chainId, consentRegistry: m.contracts.ConsentRegistry.address, queryDesk: m.contracts.QueryDesk.address };
  const body = await signQueryRequest(institution, session.conn.ethers.provider, session.contracts, deployment, q.enterprise, auth, signature);
  const relayed = await relayer.relay(body);
  if (relayed.servingNode !== undefined && relayed.servingNode !== serving.name)
    throw new RemoteError(`query ${relayed.queryId} is served by ${relayed.servingNode}, not by ${serving.name} as expected`);
  const deadline = Date.now() + ANSWERED_WITHIN_MS;
  let served: ServedReports | undefined;
  // answered on chain first; the service then records the answer (and its log entry) once it has the receipt
  for (;;) {
    served = await serving.reports<ServedReports>(
      relayed.queryId,
      await signReportsChallenge(institution, m.chainId, m.contracts.QueryDesk.address, relayed.queryId),
    );
    if (served?.log !== undefined) break;
    if (Date.now() > deadline) {
      if (served) break; // answered; its log entry not reported yet
      throw new RemoteError(
        `query ${relayed.queryId} was not answered by the service of ${serving.name} within ${ANSWERED_WITHIN_MS / 1000} s; it stays requested on chain`,
      );
    }
    await sleep(served ? 250 : 1_000);
  }
  const queryId = BigInt(relayed.queryId);
  const answered = served.status === "fulfilled" ? session.contracts.desk.filters.QueryFulfilled(queryId) : session.contracts.desk.filters.QueryDenied(queryId);
  const answer = (await session.contracts.desk.queryFilter(answered))[0];
  const reports = served.reports ?? [];
  return {
    authorizationId: relayed.authorizationId,
    result: {
      queryId,
      servingNode: serving.nodeId,
      outcome: served.status === "fulfilled" ? QueryOutcome.Fulfilled : QueryOutcome.Denied,
      reports,
      requestTx: relayed.requestTx,
      answerTx: answer?.transactionHash ?? "",
      logSequence: served.log?.sequence ?? -1,
    },
    checks: await checkReports(session.contracts, reports, served.reportDigests ?? []),
    via: { relayedBy: relayer.name, servedBy: serving.name, logCommitted: served.log !== undefined && served.log.pending === undefined },
  };
}
