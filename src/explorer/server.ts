/**
 * The explorer's HTTP server (Fastify): the read-only JSON API under /api (every route with a JSON schema;
 * unknown fields refused; errors `{ error, message, field? }`) and the built web app (explorer/dist/). It
 * reads the chain, the node stores (opened read-only) and the node services' public routes; it never writes.
 *
 *   GET  /api/deployments           the deployment shown, the others of this chain (current and archived), other networks'
 *   POST /api/deployments/open      { key }: switch to another deployment of this chain (read-only, no restart)
 *   GET  /api/consortium            cities with their nodes (status, head, log, last commitment, health), institutions
 *   GET  /api/counters              live counters of the chain's events and the nodes' logs
 *   GET  /api/institutions          institutions (kind, sponsor), optionally of one kind or sponsor
 *   GET  /api/search?q=             what a text names: a USCC, an institution, a node
 *   GET  /api/timeline?enterprise=|institution=|node=
 *   POST /api/prove                 { enterprise|institution|node, key }: the audit's verification of one row
 *   GET  /api/charts                queries per day / city, flows, reports per query, refusals, objections
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { extname, join, normalize, resolve, sep } from "node:path";
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { fieldOf } from "../service/app.js";
import type { DeploymentsResponse, DeploymentView, InstitutionView } from "./api.js";
import { Charts } from "./charts.js";
import { consortium, type ExplorerContext } from "./consortium.js";
import { prove, RowNotFound } from "./prove.js";
import { parseSubject, search, SubjectError, timeline } from "./timeline.js";

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
  ".woff2": "font/woff2",
  ".ico": "image/x-icon",
};

const subjectQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    enterprise: { type: "string", minLength: 1, maxLength: 64 },
    institution: { type: "integer", minimum: 1 },
    node: { type: "string", minLength: 1, maxLength: 32 },
  },
} as const;

export interface ExplorerServerOptions {
  /** The built web app (explorer/dist); without it only the API is served. */
  webRoot?: string;
  /** The deployments to list (the one shown is `ctx.deployment`, listed first whatever this says). */
  deployments?: () => Promise<DeploymentView[]>;
  /** The context of another deployment, by its key (`POST /api/deployments/open`); without it the explorer stays on `ctx`. */
  open?: (key: string) => Promise<ExplorerContext>;
}

export function buildExplorer(initial: ExplorerContext, opts: ExplorerServerOptions = {}): FastifyInstance {
  const app = Fastify({
    logger: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
  });
  // the deployment shown: every route reads these at its call, so a switch takes effect for the next request
  let ctx = initial;
  const chartsOf = new Map<ExplorerContext, Charts>([[ctx, new Charts(ctx)]]);
  let charts = chartsOf.get(ctx)!;

  app.setErrorHandler((err: FastifyError & { validationContext?: string; validation?: Parameters<typeof fieldOf>[1][] }, _req, reply) => {
    if (err.validation && err.validation.length > 0) {
      const field = fieldOf(err.validationContext ?? "request", err.validation[0]);
      return reply.code(400).send({ error: "bad-request", field, message: `${field}: ${err.validation[0].message ?? "invalid"}` });
    }
    if (err instanceof SubjectError) return reply.code(400).send({ error: "bad-request", field: err.field, message: err.message });
    if (err instanceof RowNotFound) return reply.code(404).send({ error: "not-found", message: err.message });
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 502;
    return reply.code(status).send({ error: status === 502 ? "chain-error" : "bad-request", message: err.message.split("\n")[0] });
  });

  const deployments = async (): Promise<DeploymentsResponse> => ({
    current: ctx.deployment.key,
    deployments: [ctx.deployment, ...((await opts.deployments?.()) ?? []).filter((d) => d.key !== ctx.deployment.key)],
  });
  app.get("/api/deployments", deployments);

  app.post(
    "/api/deployments/open",
    {
      schema: {
        body: { type: "object", additionalProperties: false, required: ["key"], properties: { key: { type: "string", minLength: 1, maxLength: 160 } } },
      },
    },
    async (req): Promise<DeploymentsResponse> => {
      const { key } = req.body as { key: string };
      if (key !== ctx.deployment.key) {
        if (!opts.open) throw Object.assign(new Error(`deployment ${key}: this explorer shows ${ctx.deployment.key} only`), { statusCode: 400 });
        const next = await opts.open(key);
        if (!chartsOf.has(next)) chartsOf.set(next, new Charts(next));
        ctx = next;
        charts = chartsOf.get(next)!;
      }
      return deployments();
    },
  );

  app.get("/api/consortium", async () => consortium(ctx));

  app.get("/api/counters", async () => {
    await ctx.watch.refresh();
    let logEntries = 0;
    for (const id of ctx.session.stores.existing()) logEntries += ctx.session.stores.get(id).logSize();
    let committedEntries = 0;
    for (const c of ctx.watch.lastCommitment.values()) committedEntries += c.size;
    return { head: ctx.watch.head, headTime: ctx.watch.headTime, ...ctx.watch.counts, logEntries, committedEntries };
  });

  app.get(
    "/api/institutions",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { kind: { type: "string", enum: ["bank", "guarantee", "microloan", "other"] }, sponsor: { type: "string", maxLength: 32 } },
        },
      },
    },
    async (req): Promise<InstitutionView[]> => {
      const q = req.query as { kind?: string; sponsor?: string };
      const m = ctx.session.manifest;
      const sponsor = q.sponsor === undefined ? undefined : parseSubject(ctx, { node: q.sponsor }).value;
      return m.institutions
        .filter((i) => (q.kind === undefined || i.kind === q.kind) && (sponsor === undefined || i.sponsorNodeId === sponsor))
        .map((i) => ({
          institutionId: i.institutionId,
          kind: i.kind,
          sponsorNodeId: i.sponsorNodeId,
          sponsor: ctx.session.nodeName(i.sponsorNodeId),
          sponsorCity: m.nodes.find((n) => n.nodeId === i.sponsorNodeId)?.city ?? "",
          signer: i.signer,
        }));
    },
  );

  app.get(
    "/api/search",
    {
      schema: {
        querystring: { type: "object", additionalProperties: false, required: ["q"], properties: { q: { type: "string", minLength: 1, maxLength: 64 } } },
      },
    },
    async (req) => search(ctx, (req.query as { q: string }).q),
  );

  app.get("/api/timeline", { schema: { querystring: subjectQuery } }, async (req) => timeline(ctx, parseSubject(ctx, req.query as never)));

  app.post(
    "/api/prove",
    {
      schema: {
        body: {
          ...subjectQuery,
          required: ["key"],
          properties: { ...subjectQuery.properties, key: { type: "string", minLength: 3, maxLength: 80, pattern: "^(\\d+:\\d+|log:\\d+:\\d+)$" } },
        },
      },
    },
    async (req) => {
      const { key, ...subject } = req.body as { key: string; enterprise?: string; institution?: number; node?: string };
      return prove(ctx, parseSubject(ctx, subject), key);
    },
  );

  app.get("/api/charts", async () => charts.get());

  app.get("/api/*", async (_req, reply) => reply.code(404).send({ error: "not-found", message: "no such API route" }));

  // the web app: files of the build, and index.html for every other path (the app's own views)
  if (opts.webRoot) {
    const root = resolve(opts.webRoot);
    app.get("/*", async (req, reply) => {
      const path = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
      let file = normalize(join(root, path));
      if (!(file === root || file.startsWith(root + sep))) return reply.code(404).send({ error: "not-found", message: path });
      if (!existsSync(file) || statSync(file).isDirectory()) file = join(root, "index.html");
      const type = MIME[extname(file)] ?? "application/octet-stream";
      // hashed assets never change; index.html always asks again
      reply.header("cache-control", file.includes(`${sep}assets${sep}`) ? "public, max-age=31536000, immutable" : "no-cache");
      return reply.type(type).send(readFileSync(file));
    });
  }
  return app;
}
