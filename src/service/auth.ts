/**
 * Who may call what.
 *
 * - The operator (the credit agency that runs the node) holds a bearer token kept in a file beside the node's
 *   store, `<store dir>/<node id>.service-token`, mode 0600: whoever can read that file can already read the
 *   store itself, so the token adds no new secret to guard. It is made (32 random bytes, hex) on first start;
 *   a token file readable by group or others is refused, as ssh refuses a private key.
 * - An institution proves itself per request with its own key, the account the registry holds as its signer:
 *   it signs (EIP-191 personal message) a challenge naming the chain, the QueryDesk, the query and the time,
 *   so a signature is good for one query of one deployment for a few minutes only.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { verifyMessage, type Signer } from "ethers";
import { BadRequest, Forbidden, ServiceConfigError, Unauthorized } from "./errors.js";

/** How far the time in a challenge may be from the service's clock. */
export const CHALLENGE_WINDOW_SECONDS = 300;

export function tokenPath(storeDir: string, nodeId: string): string {
  return join(storeDir, `${nodeId}.service-token`);
}

/** Reads the operator token, making it (mode 0600) when there is none; refuses a file others can read. */
export function operatorToken(path: string): string {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, randomBytes(32).toString("hex") + "\n", { mode: 0o600, flag: "wx" });
    chmodSync(path, 0o600); // whatever the umask
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0)
    throw new ServiceConfigError(
      `operator token file ${path} has mode ${mode.toString(8)}: others can read it; run \`chmod 600 ${path}\` (or delete it to make a new token)`,
    );
  const token = readFileSync(path, "utf8").trim();
  if (!/^[0-9a-f]{32,}$/i.test(token)) throw new ServiceConfigError(`operator token file ${path} holds no token (expected hex); delete it to make a new one`);
  return token;
}

/** Checks an `Authorization: Bearer <token>` header in constant time. */
export function checkOperator(header: string | undefined, token: string): void {
  if (!header) throw new Unauthorized("operator routes need the header `Authorization: Bearer <token>` (the token is in the node's .service-token file)");
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  const given = Buffer.from(m?.[1] ?? "");
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Unauthorized("wrong operator token");
}

/** The text an institution signs to fetch the reports of a query. */
export function reportsChallenge(chainId: string | bigint, desk: string, queryId: bigint | number | string, issuedAt: number): string {
  return `YRD Credit Chain: reports of query ${queryId}\nchain: ${chainId}\nquery desk: ${desk.toLowerCase()}\nissued at: ${issuedAt}`;
}

/** The institution's side: signs the challenge for a query's reports now. */
export async function signReportsChallenge(
  institution: Signer,
  chainId: string | bigint,
  desk: string,
  queryId: bigint | number | string,
  now = Math.floor(Date.now() / 1000),
) {
  return { issuedAt: now, signature: await institution.signMessage(reportsChallenge(chainId, desk, queryId, now)) };
}

/** Checks a signed challenge: recent, and signed by `expected` (the institution's registered signer). */
export function checkReportsChallenge(
  c: { chainId: string; desk: string; queryId: bigint; issuedAt: number; signature: string },
  expected: string,
  institution: number,
  now = Math.floor(Date.now() / 1000),
): void {
  if (Math.abs(now - c.issuedAt) > CHALLENGE_WINDOW_SECONDS)
    throw new Forbidden(
      "stale-challenge",
      `the challenge was issued at ${c.issuedAt}, ${now - c.issuedAt} s from the service's clock (${now}); sign it anew (window ±${CHALLENGE_WINDOW_SECONDS} s)`,
      "body.issuedAt",
    );
  let signer: string;
  try {
    signer = verifyMessage(reportsChallenge(c.chainId, c.desk, c.queryId, c.issuedAt), c.signature);
  } catch (e) {
    throw new BadRequest("body.signature", `is not a signature (${(e as Error).message.split(" (")[0]})`);
  }
  if (signer.toLowerCase() !== expected.toLowerCase())
    throw new Forbidden(
      "not-the-requester",
      `the challenge is signed by ${signer}, not by the signer of institution ${institution} that requested query ${c.queryId} (${expected})`,
      "body.signature",
    );
}
