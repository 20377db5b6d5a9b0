/** One live query as a user runs it: authorize, request, serve, commit the serving node's log, check reports. */
import { hexlify, randomBytes, type Signer } from "ethers";
import type { Session } from "../session.js";
import { AUTHORIZATION_DAYS, PURPOSE_SLUGS, Purpose } from "../consent/authorization.js";
import { usccBytes } from "../ledger/leaf.js";
import { checkReports, liveQuery, registerAuthorization, type LiveQueryResult, type ReportCheck } from "./live.js";
import type { StoredCommitment } from "../store/nodeStore.js";

const PURPOSES: Record<string, Purpose> = Object.fromEntries(Object.entries(PURPOSE_SLUGS).map(([p, slug]) => [slug, Number(p) as Purpose]));

export function parsePurpose(v: string): Purpose {
  const p = PURPOSES[v];
  if (!p) throw new Error(`--purpose must be one of ${Object.keys(PURPOSES).join(", ")}, not "${v}"`);
  return p;
}

export async function runLiveQuery(
  session: Session,
  institution: Signer,
  enterpriseSigner: Signer,
  q: { enterprise: string; institution: number; purpose: Purpose; categories: number },
): Promise<{ authorizationId: string; result: LiveQueryResult; checks: ReportCheck[]; commitment?: StoredCommitment }> {
  const e18 = hexlify(usccBytes(q.enterprise));
  const now = (await session.conn.ethers.provider.getBlock("latest"))!.timestamp;
  const authorizationId = await registerAuthorization(session.contracts, session.manifest, institution, enterpriseSigner, {
    enterprise: e18,
    institution: q.institution,
    purpose: q.purpose,
    categories: q.categories,
    notBefore: now - 60,
    notAfter: now + AUTHORIZATION_DAYS * 86_400,
    nonce: BigInt(hexlify(randomBytes(16))),
  });
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
