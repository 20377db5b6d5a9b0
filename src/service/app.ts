/**
 * The HTTP routes of a node service (Fastify). Every route's body, params and querystring has a JSON schema
 * (`schemas.ts`); a request that breaks one gets 400 naming the field. Errors are JSON `{ error, message,
 * field? }` with the status of their `ServiceError`.
 *
 *   operator (Authorization: Bearer <token>)
 *     POST /operator/records                       submit records (the JSON of `attest` files)
 *     GET  /operator/submissions/:id               a submission: status, and each record's proof once on chain
 *     POST /operator/revocations                   revoke record versions this node attested (reason codes)
 *   institution (its own signatures)
 *     POST /institution/queries                    relay a query: authorization + the institution's signed txs
 *     POST /institution/queries/:queryId/reports   the delivered reports with their proofs (signed challenge)
 *   public
 *     GET  /node                                   which node, chain, contracts, triggers
 *     GET  /records/:enterprise/:category/status   a record's status, as verify-record reports it
 *     POST /records/verify                         check any record and proof file against the chain
 *     GET  /log/commitments                        the node's query-log commitments
 *     GET  /log/entries/:sequence/proof            inclusion proof of a log entry against the latest commitment
 *     GET  /health                                 200 / 503 with the reasons
 *     GET  /metrics                                Prometheus text
 */
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { hexlify } from "ethers";
import { PROOF_FORMAT, toProofFile, verifyRecordProof, type ProofFile } from "../ledger/proof-file.js";
import type { AttestedRecord } from "../ledger/attest.js";
import { StandardTree } from "../merkle/standard.js";
import { CATEGORY_SLUGS, RecordValidationError, parseCategory, validateRecord, type Category, type CreditRecord } from "../records/index.js";
import { loadSeeds } from "../seeds.js";
import type { StoredRecord } from "../store/nodeStore.js";
import { UsccError, homeCity, validateUscc } from "../uscc.js";
import { checkOperator, checkReportsChallenge } from "./auth.js";
import { firstLine } from "./chain.js";
import { BadRequest, ChainUnavailable, Conflict, NotFound, ServiceError } from "./errors.js";
import { relayQuery, type QueryRelayBody } from "./relay.js";
import * as S from "./schemas.js";
import type { NodeService, RevocationItem } from "./service.js";
import type { Submission } from "./submissions.js";
import { deliveredReports } from "./watcher.js";

const QUERY_STATUS = ["none", "requested", "fulfilled", "denied", "expired"] as const;
/** Longest a live submission is held open before it is answered 202 (still landing), by default. */
export const LIVE_ANSWER_WITHIN_MS = 60_000;
/** Largest request body (a submission of 1,000 records fits easily). */
const BODY_LIMIT = 8 * 1024 * 1024;

interface AjvError {
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/** "body" + "/records/0" + missing "category" → "body.records[0].category". */
export function fieldOf(context: string, v: AjvError): string {
  let path = context + v.instancePath.replace(/\/(\d+)(?=\/|$)/g, "[$1]").replace(/\//g, ".");
  const extra = (v.params.missingProperty ?? v.params.additionalProperty) as string | undefined;
  if (extra) path += `.${extra}`;
  return path;
}

function submissionView(s: Submission) {
  return {
    submission: s.id,
    status: s.status,
    receivedAt: new Date(s.receivedAt).toISOString(),
    records: s.records.map((r, i) => ({ enterprise: r.enterprise, category: CATEGORY_SLUGS[r.category as Category], proof: s.proofs[i] ?? undefined })),
    ...(s.error ? { error: s.error } : {}),
  };
}

function usccParam(v: string, field: string): void {
  try {
    validateUscc(v);
  } catch (e) {
    if (e instanceof UsccError) throw new BadRequest(field, e.message);
    throw e;
  }
}

export function buildApp(svc: NodeService): FastifyInstance {
  const { session, node } = svc;
  const manifest = session.manifest;
  const c = session.contracts;
  const cities = loadSeeds().cities;
  const cityName = (code: string) => cities.find((x) => x.code === code)?.nameEn ?? code;
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: "array", allErrors: false, allowUnionTypes: true } },
  });

  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (err instanceof ServiceError)
      return reply.code(err.status).send({ error: err.code, message: err.message, ...(err.field ? { field: err.field } : {}), ...(err.details ?? {}) });
    if (err.validation && err.validation.length > 0) {
      const v = err.validation[0] as AjvError;
      const field = fieldOf(err.validationContext ?? "request", v);
      return reply.code(400).send({ error: "bad-request", field, message: `${field}: ${v.message ?? "is invalid"}` });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
      return reply.code(err.statusCode).send({ error: "bad-request", field: "body", message: `body: ${err.message}` });
    svc.opts.log?.(`node service ${node.id}: ${err.stack ?? err.message}`);
    return reply.code(500).send({ error: "internal", message: firstLine(err) });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: "no-such-route", message: `no route ${req.method} ${req.url.split("?")[0]}` }));
  app.addHook("onResponse", async (req, reply) => {
    svc.metrics.latency.observe({ method: req.method, route: req.routeOptions.url ?? "unmatched", status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  const operator = async (req: { headers: { authorization?: string } }) => checkOperator(req.headers.authorization, svc.token);

  /** A stored record's proof file (a batch member's proof rebuilt from the batch's leaves). */
  const proofOf = (r: StoredRecord): ProofFile => {
    const base: AttestedRecord = {
      enterprise: r.enterprise,
      category: r.category,
      version: r.version,
      nodeId: node.nodeId,
      mode: "live",
      salt: hexlify(r.salt),
      digest: hexlify(r.digest),
      leafHash: hexlify(r.leafHash),
      txHash: r.txHash ?? "",
      block: r.block ?? 0,
    };
    if (r.mode === "batched") {
      const proof = StandardTree.fromLeafHashes(node.store.batchLeafHashes(r.batchId!))
        .proof(r.leafHash)
        .map((p) => hexlify(p));
      return toProofFile(manifest, { ...base, mode: "batch", batchId: r.batchId!, proof });
    }
    return toProofFile(manifest, base);
  };

  /** Inclusion proof of log entry `sequence` against the node's latest commitment. */
  const entryProof = async (sequence: number) => {
    const commitment = node.store.commitments().at(-1);
    const size = node.queryLog.size;
    if (sequence >= size) throw new NotFound("no-such-entry", `node ${node.id}'s query log has ${size} entries; there is no entry ${sequence}`);
    if (!commitment || sequence >= commitment.size)
      throw new Conflict(
        "not-yet-committed",
        `entry ${sequence} is not covered by node ${node.id}'s latest commitment (${commitment ? `size ${commitment.size}` : "none yet"}); it will be after the next commitment`,
      );
    const leafHash = hexlify(node.queryLog.log.leafHash(sequence));
    const proof = node.queryLog.inclusionProof(sequence, commitment.size).map((p) => hexlify(p));
    const stored = node.store.logEntry(sequence);
    let onChain: boolean;
    try {
      onChain = await c.queryLog.verifyEntry(node.nodeId, commitment.index, sequence, leafHash, proof);
    } catch {
      onChain = false;
    }
    return {
      node: node.id,
      nodeId: node.nodeId,
      sequence,
      leafHash,
      entry: stored ? hexlify(stored.entry) : undefined,
      commitment: { index: commitment.index, size: commitment.size, root: hexlify(commitment.root), txHash: commitment.txHash, block: commitment.block },
      proof,
      verifiedOnChain: onChain,
    };
  };

  // ------------------------------------------------------------------ public

  app.get("/health", { schema: { querystring: S.emptyQuery } }, async (_req, reply) => {
    const h = await svc.health();
    return reply.code(h.status === "ok" ? 200 : 503).send(h);
  });

  app.get("/metrics", { schema: { querystring: S.emptyQuery } }, async (_req, reply) => {
    return reply.type(svc.metrics.contentType).send(await svc.metrics.text());
  });

  app.get("/node", { schema: { querystring: S.emptyQuery } }, async () => ({
    node: node.id,
    nodeId: node.nodeId,
    city: node.city,
    cityName: cityName(node.city),
    operator: node.operatorAddress,
    network: session.conn.networkName,
    chainId: manifest.chainId,
    contracts: Object.fromEntries(Object.entries(manifest.contracts).map(([k, v]) => [k, v.address])),
    records: svc.batchMode ? { mode: "batch", batchSize: svc.batchSize, batchSeconds: svc.batchSeconds } : { mode: "live", perTransaction: svc.liveChunk },
    queryLog: { commitSize: svc.opts.commitSize, commitSeconds: svc.opts.commitSeconds },
  }));

  app.get<{ Params: { enterprise: string; category: string }; Querystring: { version?: number } }>(
    "/records/:enterprise/:category/status",
    { schema: { params: S.recordParams, querystring: S.recordQuery } },
    async (req) => {
      const { enterprise } = req.params;
      usccParam(enterprise, "params.enterprise");
      const category = parseCategory(req.params.category);
      const version = req.query.version ?? node.store.latestVersion(enterprise, category);
      const r = version > 0 ? node.store.get(enterprise, category, version) : undefined;
      if (!r)
        throw new NotFound(
          "unknown-record",
          `node ${node.id} holds no ${CATEGORY_SLUGS[category]} record of ${enterprise}${req.query.version ? ` version ${version}` : ""}`,
        );
      if (r.mode === "pending")
        return { enterprise, category: CATEGORY_SLUGS[category], version, node: node.id, verdict: "pending", reason: "its chain write is under way" };
      const proof = proofOf(r);
      const { verdict, reason } = await verifyRecordProof(c, manifest, validateRecord(JSON.parse(r.recordJson)), proof);
      return {
        enterprise,
        category: CATEGORY_SLUGS[category],
        version,
        node: node.id,
        mode: proof.mode,
        batchId: proof.batchId,
        txHash: proof.txHash,
        verdict,
        ...(reason ? { reason } : {}),
      };
    },
  );

  app.post<{ Body: { record: unknown; proof: ProofFile } }>("/records/verify", { schema: { body: S.verifyBody, querystring: S.emptyQuery } }, async (req) => {
    let record: CreditRecord;
    try {
      record = validateRecord(req.body.record);
    } catch (e) {
      if (e instanceof RecordValidationError) throw new BadRequest(`body.record.${e.field}`, e.rule);
      throw e;
    }
    const p = req.body.proof;
    if (p.format !== PROOF_FORMAT) throw new BadRequest("body.proof.format", `must be ${PROOF_FORMAT}`);
    for (const f of ["chainId", "ledger", "enterprise", "salt", "digest", "mode"] as const)
      if (typeof p[f] !== "string") throw new BadRequest(`body.proof.${f}`, "must be a string (a proof file written by attest or this service)");
    if (!Number.isSafeInteger(p.category) || !Number.isSafeInteger(p.version))
      throw new BadRequest("body.proof.version", "category and version must be whole numbers");
    try {
      return await verifyRecordProof(c, manifest, record, p);
    } catch (e) {
      if (e instanceof ServiceError) throw e;
      throw new BadRequest("body.proof", firstLine(e));
    }
  });

  app.get("/log/commitments", { schema: { querystring: S.emptyQuery } }, async () => {
    const list = node.store.commitments();
    return {
      node: node.id,
      nodeId: node.nodeId,
      logSize: node.queryLog.size,
      onChainCount: Number(await c.queryLog.commitmentCount(node.nodeId)),
      commitments: list.map((x) => ({ index: x.index, size: x.size, root: hexlify(x.root), txHash: x.txHash, block: x.block })),
    };
  });

  app.get<{ Params: { sequence: number } }>("/log/entries/:sequence/proof", { schema: { params: S.entryParams, querystring: S.emptyQuery } }, async (req) =>
    entryProof(req.params.sequence),
  );

  // ------------------------------------------------------------------ operator

  app.post<{ Body: { records: unknown[] } }>(
    "/operator/records",
    { onRequest: operator, schema: { body: S.recordsBody, querystring: S.emptyQuery } },
    async (req, reply) => {
      const records = req.body.records.map((raw, i) => {
        let r: CreditRecord;
        try {
          r = validateRecord(raw);
        } catch (e) {
          if (e instanceof RecordValidationError) throw new BadRequest(`body.records[${i}].${e.field}`, e.rule);
          throw e;
        }
        const city = homeCity(r.enterprise, cities);
        if (city.code !== node.city)
          throw new BadRequest(
            `body.records[${i}].enterprise`,
            `${r.enterprise} is a ${city.nameEn} (${city.code}) enterprise; node ${node.id} attests ${cityName(node.city)} (${node.city}) records only`,
          );
        return r;
      });
      const accepted = svc.queue.accept(records);
      if (svc.batchMode) return reply.code(202).send(submissionView(accepted));
      let note: string | undefined;
      // answered once on chain, or after `liveAnswerWithinMs` at most (a slow chain): the flush goes on, and the
      // submission is followed at its own route
      const within = svc.opts.liveAnswerWithinMs ?? LIVE_ANSWER_WITHIN_MS;
      let timer: NodeJS.Timeout | undefined;
      const flushing = svc.flushNow().then(
        () => undefined,
        (e: unknown) => e,
      );
      const outcome = await Promise.race([flushing, new Promise<"later">((resolve) => (timer = setTimeout(() => resolve("later"), within)))]);
      clearTimeout(timer);
      if (outcome === "later") {
        note = `still landing after ${within / 1000} s; follow it at GET /operator/submissions/${accepted.id}`;
        void flushing.then((e) => {
          if (e !== undefined)
            svc.opts.log?.(`node service ${node.id}: submission ${accepted.id}: not on chain yet (${firstLine(e)}); the records stay queued`);
        });
      } else if (outcome !== undefined) {
        // not a refusal (that fails the submission): the chain did not answer; the records stay queued and are retried
        note = `not on chain yet (${firstLine(outcome)}); the records stay queued and are retried: GET /operator/submissions/${accepted.id}`;
        svc.opts.log?.(`node service ${node.id}: submission ${accepted.id}: ${note}`);
      }
      const s = svc.queue.get(accepted.id)!;
      return reply.code(s.status === "attested" ? 200 : s.status === "failed" ? 422 : 202).send({ ...submissionView(s), ...(note ? { note } : {}) });
    },
  );

  app.get<{ Params: { id: number } }>(
    "/operator/submissions/:id",
    { onRequest: operator, schema: { params: S.submissionParams, querystring: S.emptyQuery } },
    async (req) => {
      const s = svc.queue.get(req.params.id);
      if (!s) throw new NotFound("unknown-submission", `node ${node.id} has no submission ${req.params.id}`);
      // while it is queued: how many records the service has queued in all (a client waiting on it sees progress)
      return { ...submissionView(s), ...(s.status === "queued" ? { queuedRecords: svc.queue.size() } : {}) };
    },
  );

  app.post<{ Body: { revocations: { enterprise: string; category: string | number; version: number; reason: number }[] } }>(
    "/operator/revocations",
    { onRequest: operator, schema: { body: S.revocationsBody, querystring: S.emptyQuery } },
    async (req, reply) => {
      const seen = new Set<string>();
      const items = req.body.revocations.map((raw, i): RevocationItem => {
        const at = `body.revocations[${i}]`;
        usccParam(raw.enterprise, `${at}.enterprise`);
        const city = homeCity(raw.enterprise, cities);
        if (city.code !== node.city)
          throw new BadRequest(
            `${at}.enterprise`,
            `${raw.enterprise} is a ${city.nameEn} (${city.code}) enterprise; node ${node.id} revokes ${cityName(node.city)} (${node.city}) records only`,
          );
        let category: Category;
        try {
          category = parseCategory(raw.category);
        } catch (e) {
          throw new BadRequest(`${at}.category`, firstLine(e));
        }
        const key = `${raw.enterprise}/${category}/${raw.version}`;
        if (seen.has(key)) throw new BadRequest(at, `${CATEGORY_SLUGS[category]} version ${raw.version} of ${raw.enterprise} is listed twice`);
        seen.add(key);
        const held = node.store.get(raw.enterprise, category, raw.version);
        if (!held)
          throw new NotFound("unknown-record", `node ${node.id} holds no ${CATEGORY_SLUGS[category]} record of ${raw.enterprise} version ${raw.version}`);
        if (held.mode === "pending")
          throw new Conflict(
            "record-pending",
            `${CATEGORY_SLUGS[category]} version ${raw.version} of ${raw.enterprise} is not on chain yet; revoke it once it is`,
          );
        return { enterprise: raw.enterprise, category, version: raw.version, reason: raw.reason };
      });
      let results;
      try {
        results = await svc.revoke(items);
      } catch (e) {
        throw new ChainUnavailable(
          `revocations not settled (${firstLine(e)}); they stay journaled and are settled by the service: send the same request again shortly`,
        );
      }
      for (const r of results) svc.metrics.revocations.inc({ result: r.status });
      const refused = results.filter((r) => r.status === "refused").length;
      return reply.code(refused > 0 ? 422 : 200).send({ node: node.id, revoked: results.length - refused, refused, revocations: results });
    },
  );

  // ------------------------------------------------------------------ institution

  app.post<{ Body: QueryRelayBody }>("/institution/queries", { schema: { body: S.relayBody, querystring: S.emptyQuery } }, async (req, reply) => {
    try {
      // a query attempt refused for its authorization is logged by this node, as a serving node logs a refusal
      const r = await relayQuery(session, req.body, { nodeId: node.nodeId, append: (entry) => ({ node: node.id, sequence: svc.logRefused(entry) }) });
      svc.metrics.relayed.inc({ result: "relayed" });
      const serving = await session.activeNodeOf(r.servingCity).catch(() => undefined);
      return reply
        .code(202)
        .send({ ...r, servingCityName: cityName(r.servingCity), servingNode: serving ? session.nodeName(serving) : undefined, status: "requested" });
    } catch (e) {
      svc.metrics.relayed.inc({ result: e instanceof ServiceError ? e.code : "error" });
      throw e;
    }
  });

  app.post<{ Params: { queryId: string }; Body: { issuedAt: number; signature: string } }>(
    "/institution/queries/:queryId/reports",
    { schema: { params: S.queryParams, body: S.reportsBody, querystring: S.emptyQuery } },
    async (req, reply) => {
      const queryId = BigInt(req.params.queryId);
      const q = await c.desk.query(queryId);
      if (q.status === 0n) throw new NotFound("unknown-query", `no query ${queryId} on this chain`);
      const institution = Number(q.institution);
      const signer = (await c.registry.institution(institution)).signer;
      checkReportsChallenge(
        { chainId: manifest.chainId, desk: manifest.contracts.QueryDesk.address, queryId, issuedAt: req.body.issuedAt, signature: req.body.signature },
        signer,
        institution,
      );
      const status = QUERY_STATUS[Number(q.status)];
      const servedBy = Number(q.servedBy);
      if (status === "requested")
        return reply.code(409).send({ error: "not-yet-answered", message: `query ${queryId} is not answered yet; ask again shortly`, status });
      if (status === "expired") return reply.code(409).send({ error: "expired", message: `query ${queryId} expired unanswered`, status });
      if (servedBy !== node.nodeId)
        throw new NotFound("served-elsewhere", `query ${queryId} was answered by node ${session.nodeName(servedBy)}, not ${node.id}: ask that node's service`);
      const step = node.journal.get(`fulfil/${queryId}`) ?? node.journal.get(`deny/${queryId}`);
      const sequence = step?.result?.logSequence as number | undefined;
      const log =
        sequence === undefined
          ? undefined
          : await entryProof(sequence).catch((e) => (e instanceof ServiceError ? { sequence, pending: e.message } : Promise.reject(e)));
      if (status === "denied") return { queryId: String(queryId), status, servedBy: node.id, log };
      const reports = deliveredReports(node, queryId);
      if (!reports) throw new NotFound("reports-not-kept", `node ${node.id} fulfilled query ${queryId} outside this service and kept no copy of its reports`);
      const fulfilled = await c.desk.queryFilter(c.desk.filters.QueryFulfilled(queryId));
      return { queryId: String(queryId), status, servedBy: node.id, reportDigests: fulfilled.length ? [...fulfilled[0].args.reportDigests] : [], reports, log };
    },
  );

  return app;
}
