/**
 * Relaying an institution's query: the institution signs `registerAuthorization` (carrying the enterprise's
 * EIP-712 authorization) and `requestQuery` itself; the service checks both raw transactions and the
 * authorization before anything reaches the chain, then sends them with eth_sendRawTransaction. The service
 * never signs for an institution and never holds its key.
 *
 * What is checked, in order (the first failure answers):
 * - 400, malformed: the enterprise code, a raw transaction that does not decode, a transaction for another
 *   chain or contract or function, one that does not carry the authorization given, nonces out of order;
 * - 404: an unknown enterprise (no signer bound on chain);
 * - 403, refused: an unsigned transaction or authorization, an authorization not signed by the enterprise's
 *   bound signer (mis-signed), transactions not signed by the institution the authorization names (wrong
 *   institution), a request outside what the authorization allows, and whatever the contracts would refuse
 *   (checked with eth_call, answered with the contract's named error; see `relayQuery` for when).
 */
import { Transaction, ZeroAddress, getBytes, hexlify } from "ethers";
import { fastRecoverAddress } from "../chain/signing.js";
import { authorizationId, consentDomain, type Authorization } from "../consent/authorization.js";
import { usccBytes } from "../ledger/leaf.js";
import type { Session } from "../session.js";
import { UsccError, validateUscc } from "../uscc.js";
import type { Mined, Sent } from "../chain/send.js";
import { minedOf, precheck, submitRaw } from "./chain.js";
import { BadRequest, Conflict, Forbidden, NotFound, ServiceError } from "./errors.js";
import { QueryOutcome, RefusalReason, type QueryLogEntry } from "../query/log-entry.js";

/** The body of `POST /institution/queries`. */
export interface QueryRelayBody {
  authorization: { enterprise: string; institution: number; purpose: number; categories: number; notBefore: number; notAfter: number; nonce: string };
  /** The enterprise signer's EIP-712 signature of the authorization. */
  signature: string;
  /** The institution's signed `registerAuthorization(authorization, signature)`; omitted when already registered. */
  registerTx?: string;
  /** The institution's signed `requestQuery({enterprise, categories, purpose, authorizationId})`. */
  requestTx: string;
}

export interface RelayResult {
  queryId: string;
  authorizationId: string;
  institution: number;
  enterprise: string;
  servingCity: string;
  crossCity: boolean;
  registerTx?: string;
  requestTx: string;
  block: number;
}

interface Checked {
  auth: Authorization;
  authId: string;
  from: string;
  register?: string;
  request: string;
  registerData?: { to: string; data: string };
  requestData: { to: string; data: string };
}

/** A decoded raw transaction and its signer (recovered once). */
type SignedTx = Transaction & { sender: string };

function parseRaw(raw: string, field: string, chainId: bigint): SignedTx {
  let tx: Transaction;
  try {
    tx = Transaction.from(raw);
  } catch (e) {
    throw new BadRequest(field, `is not a raw transaction (${(e as Error).message.split(" (")[0]})`);
  }
  if (tx.chainId !== 0n && tx.chainId !== chainId) throw new BadRequest(field, `is for chain ${tx.chainId}, this node's chain is ${chainId}`);
  if (!tx.signature) throw new Forbidden("unsigned-transaction", `${field} is not signed: the institution signs its own transactions`, field);
  let sender: string;
  try {
    sender = fastRecoverAddress(tx.unsignedHash, tx.signature);
  } catch {
    throw new Forbidden("unsigned-transaction", `${field} carries a signature that recovers no signer`, field);
  }
  return Object.assign(tx, { sender });
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** A relay request as read before any lookup on chain: the authorization, its id, the decoded transactions. */
interface ReadRelay {
  auth: Authorization;
  authId: string;
  register?: SignedTx;
  request: SignedTx;
  /** What `requestTx` asks for. */
  asked: { enterprise: string; categories: bigint; purpose: bigint; authorizationId: string };
}

/** Reads a relay request; throws the ServiceError (400, or 403 for an unsigned transaction) that answers it. */
function readRelay(session: Session, body: QueryRelayBody): ReadRelay {
  const c = session.contracts;
  const at = session.manifest.contracts;
  const chainId = BigInt(session.manifest.chainId);
  const a = body.authorization;
  try {
    validateUscc(a.enterprise);
  } catch (e) {
    if (e instanceof UsccError) throw new BadRequest("body.authorization.enterprise", e.message);
    throw e;
  }
  if (a.notAfter <= a.notBefore) throw new BadRequest("body.authorization.notAfter", `must be after notBefore (${a.notBefore})`);
  const e18 = hexlify(usccBytes(a.enterprise));
  const auth: Authorization = {
    enterprise: e18,
    institution: a.institution,
    purpose: a.purpose,
    categories: a.categories,
    notBefore: a.notBefore,
    notAfter: a.notAfter,
    nonce: BigInt(a.nonce),
  };
  const authId = authorizationId(consentDomain(chainId, at.ConsentRegistry.address), auth);

  // malformed transactions (400) and unsigned ones (403)
  const register = body.registerTx ? parseRaw(body.registerTx, "body.registerTx", chainId) : undefined;
  const request = parseRaw(body.requestTx, "body.requestTx", chainId);
  if (register) {
    if (!register.to || !same(register.to, at.ConsentRegistry.address))
      throw new BadRequest("body.registerTx", `must call the ConsentRegistry at ${at.ConsentRegistry.address}, not ${register.to}`);
    const parsed = c.consents.interface.parseTransaction({ data: register.data });
    if (parsed?.name !== "registerAuthorization")
      throw new BadRequest("body.registerTx", `must call registerAuthorization, not ${parsed?.name ?? "an unknown function"}`);
    const [ra, rsig] = parsed.args as unknown as [Record<string, unknown>, string];
    const carried =
      same(String(ra.enterprise), e18) &&
      Number(ra.institution) === auth.institution &&
      Number(ra.purpose) === auth.purpose &&
      Number(ra.categories) === auth.categories &&
      Number(ra.notBefore) === auth.notBefore &&
      Number(ra.notAfter) === auth.notAfter &&
      BigInt(ra.nonce as bigint) === auth.nonce &&
      same(rsig, body.signature);
    if (!carried) throw new BadRequest("body.registerTx", "does not carry the authorization and signature given in the body");
    if (request.nonce !== register.nonce + 1)
      throw new BadRequest("body.requestTx", `must have the nonce after registerTx's (${register.nonce + 1}), has ${request.nonce}`);
  }
  if (!request.to || !same(request.to, at.QueryDesk.address))
    throw new BadRequest("body.requestTx", `must call the QueryDesk at ${at.QueryDesk.address}, not ${request.to}`);
  const parsedRequest = c.desk.interface.parseTransaction({ data: request.data });
  if (parsedRequest?.name !== "requestQuery")
    throw new BadRequest("body.requestTx", `must call requestQuery, not ${parsedRequest?.name ?? "an unknown function"}`);
  const asked = parsedRequest.args[0] as unknown as ReadRelay["asked"];
  if (!same(asked.authorizationId, authId))
    throw new BadRequest("body.requestTx", `asks under authorization ${asked.authorizationId}, not the one given (${authId})`);
  return { auth, authId, register, request, asked };
}

/** Checks a relay request read by `readRelay` against the chain; throws the ServiceError that answers it. */
async function checkRelay(session: Session, body: QueryRelayBody, { auth, authId, register, request, asked: q }: ReadRelay): Promise<Checked> {
  const c = session.contracts;
  const a = body.authorization;
  const e18 = auth.enterprise;

  // the enterprise and its signer (404, 403)
  const bound = await c.ledger.enterpriseSigner(e18);
  if (bound === ZeroAddress)
    throw new NotFound(
      "unknown-enterprise",
      `unknown enterprise ${a.enterprise}: no signer is bound to it on chain (its home-city node has attested no basic-info record naming one)`,
    );
  if (getBytes(body.signature).length === 0)
    throw new Forbidden(
      "unsigned-authorization",
      `the authorization carries no signature: the enterprise's signer ${bound} must sign it (EIP-712)`,
      "body.signature",
    );
  if ((await session.conn.ethers.provider.getCode(bound)) === "0x") {
    let recovered: string;
    try {
      recovered = fastRecoverAddress(authId, body.signature);
    } catch (e) {
      throw new Forbidden(
        "mis-signed-authorization",
        `the authorization's signature does not verify (${(e as Error).message.split(" (")[0]}); the enterprise's signer is ${bound}`,
        "body.signature",
      );
    }
    if (!same(recovered, bound))
      throw new Forbidden(
        "mis-signed-authorization",
        `the authorization is signed by ${recovered}, not by the enterprise's bound signer ${bound}`,
        "body.signature",
      );
  } // a contract wallet (ERC-1271) is checked by the eth_call below

  // the institution (403)
  const from = request.sender;
  if (register && !same(register.sender, from))
    throw new Forbidden("wrong-institution", `registerTx is signed by ${register.sender}, requestTx by ${from}: one institution signs both`);
  const inst = Number(await c.registry.institutionIdOf(from));
  if (inst === 0) throw new Forbidden("wrong-institution", `the transactions are signed by ${from}, which is no institution's signer`);
  if (inst !== auth.institution)
    throw new Forbidden(
      "wrong-institution",
      `the authorization is for institution ${auth.institution}; the transactions are signed by institution ${inst}'s signer ${from}`,
      "body.authorization.institution",
    );

  // the request within the authorization (403)
  if (!same(q.enterprise, e18))
    throw new Forbidden("wrong-enterprise", `requestTx asks about ${q.enterprise}, the authorization is for ${e18} (${a.enterprise})`, "body.requestTx");
  if (Number(q.purpose) !== auth.purpose)
    throw new Forbidden("wrong-purpose", `requestTx declares purpose ${q.purpose}, the authorization allows ${auth.purpose}`, "body.requestTx");
  const cats = Number(q.categories);
  if (cats === 0 || (cats & ~auth.categories) !== 0)
    throw new Forbidden(
      "categories-not-authorized",
      `requestTx asks for categories 0b${cats.toString(2)}, the authorization allows 0b${auth.categories.toString(2)}`,
      "body.requestTx",
    );

  const registered = (await c.consents.consent(authId)).enterprise !== "0x" + "00".repeat(18);
  if (registered && register) throw new Conflict("already-registered", `authorization ${authId} is already registered: send requestTx only`);
  if (!registered && !register) throw new BadRequest("body.registerTx", `is required: authorization ${authId} is not registered on chain`);
  return {
    auth,
    authId,
    from,
    register: body.registerTx,
    request: body.requestTx,
    registerData: register ? { to: register.to!, data: register.data } : undefined,
    requestData: { to: request.to!, data: request.data }, // checked by readRelay
  };
}

/** The refusals logged as query attempts, with their log reason codes. */
const LOGGED_REFUSALS: Record<string, number> = {
  "unsigned-authorization": RefusalReason.NoAuthorization,
  "mis-signed-authorization": RefusalReason.InvalidAuthorization,
  "refused-by-contract": RefusalReason.InvalidAuthorization,
  "wrong-enterprise": RefusalReason.OutsideAuthorization,
  "wrong-purpose": RefusalReason.OutsideAuthorization,
  "categories-not-authorized": RefusalReason.OutsideAuthorization,
};

/**
 * The query-log entry of a relay refused with `err`, when it is a query attempt to log: refused for its
 * authorization or for asking outside it (not a malformed request, an unknown enterprise, an unsigned transaction
 * or another institution's), and with `requestTx` signed by the registry's signer of the institution the
 * authorization names, so that only a registered institution's attempts can grow the log. Undefined otherwise.
 */
async function refusedAttempt(
  session: Session,
  { auth, authId, request }: ReadRelay,
  err: ServiceError,
  servingNode: number,
): Promise<Omit<QueryLogEntry, "sequence"> | undefined> {
  const reason = err.status === 403 ? LOGGED_REFUSALS[err.code] : undefined;
  if (reason === undefined) return undefined;
  if (Number(await session.contracts.registry.institutionIdOf(request.sender)) !== auth.institution) return undefined;
  return {
    enterprise: auth.enterprise,
    institution: auth.institution,
    servingNode,
    purpose: auth.purpose,
    categories: auth.categories,
    authorizationId: authId,
    time: Math.floor(Date.now() / 1000),
    outcome: QueryOutcome.Refused,
    reason,
    reportsDigest: "0x" + "00".repeat(32),
    liveQueryId: 0n,
  };
}

/** Where a relaying service logs the query attempts it refuses (see `refusedAttempt`). */
export interface RefusalLog {
  /** The relaying node's id (the entry's serving node). */
  nodeId: number;
  /** Appends the entry to the node's query log; where it went, for the answer. */
  append(entry: Omit<QueryLogEntry, "sequence">): { node: string; sequence: number };
}

/**
 * Checks, then relays: registerAuthorization (if given) checked with eth_call and sent, then requestQuery. A
 * request that comes with its registration is sent right behind it, without waiting for a block in between (it
 * can only be checked once the registration is on chain); should the chain refuse it, it is checked with a call
 * then, and the answer names the contract's error. A request alone is checked with eth_call first.
 */
export async function relayQuery(session: Session, body: QueryRelayBody, refusals?: RefusalLog): Promise<RelayResult> {
  const read = readRelay(session, body);
  try {
    return await checkAndSend(session, body, read);
  } catch (e) {
    // a query attempt refused for its authorization is logged by this node, as a serving node logs a refusal
    if (e instanceof ServiceError && refusals) {
      const entry = await refusedAttempt(session, read, e, refusals.nodeId).catch(() => undefined);
      if (entry) e.details = { logged: refusals.append(entry) };
    }
    throw e;
  }
}

async function checkAndSend(session: Session, body: QueryRelayBody, read: ReadRelay): Promise<RelayResult> {
  const c = session.contracts;
  const rpc = session.conn.ethers.provider;
  const k = await checkRelay(session, body, read);
  let registered: Sent | undefined;
  if (k.register) {
    await precheck(rpc, c, { from: k.from, ...k.registerData! }, "registerTx");
    registered = await submitRaw(rpc, k.register, "registerTx");
  } else await precheck(rpc, c, { from: k.from, ...k.requestData }, "requestTx");
  const requested = await submitRaw(rpc, k.request, "requestTx");
  if (registered) await minedOf(registered, "registerTx");
  let receipt: Mined;
  try {
    receipt = await minedOf(requested, "requestTx");
  } catch (e) {
    if (e instanceof Forbidden && registered) await precheck(rpc, c, { from: k.from, ...k.requestData }, "requestTx"); // names the contract's error
    throw e;
  }
  for (const l of receipt.logs) {
    if (!same(l.address, session.manifest.contracts.QueryDesk.address)) continue;
    const ev = c.desk.interface.parseLog({ topics: l.topics, data: l.data });
    if (ev?.name !== "QueryRequested") continue;
    return {
      queryId: String(ev.args.queryId),
      authorizationId: k.authId,
      institution: Number(ev.args.institution),
      enterprise: body.authorization.enterprise,
      servingCity: String(ev.args.servingCity),
      crossCity: Boolean(ev.args.crossCity),
      registerTx: registered?.hash,
      requestTx: receipt.hash,
      block: receipt.blockNumber,
    };
  }
  throw new Error(`requestTx ${receipt.hash} emitted no QueryRequested event`);
}
