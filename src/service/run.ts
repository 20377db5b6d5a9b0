/**
 * Starting and stopping a node service: the node, its background loop and its HTTP server, bound to
 * 127.0.0.1 only. `node-service` (scripts/node-service.ts) runs one until SIGINT or SIGTERM; tests start them
 * in process.
 */
import type { FastifyInstance } from "fastify";
import type { Session } from "../session.js";
import { buildApp } from "./app.js";
import { ServiceConfigError } from "./errors.js";
import { NodeService, type NodeServiceOptions } from "./service.js";

/** The only address a node service listens on. */
export const SERVICE_HOST = "127.0.0.1";

export interface RunningService {
  service: NodeService;
  app: FastifyInstance;
  /** http://127.0.0.1:<port> */
  url: string;
  /** Stops the server (no new requests; those under way finish), then the loop (last flush and commitment, bounded). Idempotent. */
  close(): Promise<void>;
}

/** Opens the node's service and its routes; `port` undefined: not listening (tests use `app.inject`); 0: any free port. */
export async function startNodeService(session: Session, opts: NodeServiceOptions & { port?: number; loop?: boolean }): Promise<RunningService> {
  if (opts.port !== undefined && (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535))
    throw new ServiceConfigError(`--port must be 0-65535, got ${opts.port}`);
  const service = await NodeService.open(session, opts);
  const app = buildApp(service);
  let url = "";
  if (opts.port !== undefined) {
    try {
      url = await app.listen({ host: SERVICE_HOST, port: opts.port });
    } catch (e) {
      await service.stop();
      throw new ServiceConfigError(`cannot listen on ${SERVICE_HOST}:${opts.port}: ${(e as Error).message}`);
    }
  } else await app.ready();
  if (opts.loop ?? true) service.start();
  let closing: Promise<void> | undefined;
  return {
    service,
    app,
    url,
    close: () =>
      (closing ??= (async () => {
        await app.close();
        await service.stop();
      })()),
  };
}
