/**
 * The `node-service` command: opens a session on the network Hardhat was given (`--network`; with `--rpc-url`,
 * that network's chain at another URL, e.g. this node's own geth), starts the node's service on 127.0.0.1 and
 * runs it until SIGINT or SIGTERM, then closes it: the server stops taking requests, the queued records are
 * flushed and the query log committed (bounded), and the stores are closed.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { resolveNode } from "../audit/trail.js";
import { Session } from "../session.js";
import { ServiceConfigError } from "./errors.js";
import { startNodeService } from "./run.js";
import { DEFAULT_COMMIT_SECONDS, DEFAULT_COMMIT_SIZE, DEFAULT_POLL_MS, MAX_LIVE_CHUNK } from "./service.js";

export interface NodeServiceArgs {
  node: string;
  port: number;
  dataDir?: string;
  /** 0: not given. */
  batchSize: number;
  /** 0: not given. */
  batchSeconds: number;
  /** 0: not given. */
  liveChunk: number;
  commitSize: number;
  commitSeconds: number;
  pollMs: number;
  rpcUrl?: string;
}

function positive(v: number, option: string, integer: boolean): void {
  if (!Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v)))
    throw new ServiceConfigError(`${option} must be a ${integer ? "whole " : ""}number ≥ 0, got ${v}`);
}

export async function runNodeServiceCommand(
  hre: HardhatRuntimeEnvironment,
  a: NodeServiceArgs,
  log: (line: string) => void = (l) => console.error(l),
): Promise<void> {
  if (!a.node) throw new ServiceConfigError("--node is required: the node this service runs beside, e.g. sh-1");
  positive(a.port, "--port", true);
  positive(a.batchSize, "--batch-size", true);
  positive(a.batchSeconds, "--batch-seconds", false);
  positive(a.liveChunk, "--live-chunk", true);
  if (a.liveChunk > MAX_LIVE_CHUNK) throw new ServiceConfigError(`--live-chunk must be at most ${MAX_LIVE_CHUNK} records a transaction, got ${a.liveChunk}`);
  positive(a.commitSize, "--commit-size", true);
  positive(a.commitSeconds, "--commit-seconds", false);
  if (!Number.isInteger(a.pollMs) || a.pollMs < 50) throw new ServiceConfigError(`--poll-ms must be a whole number ≥ 50, got ${a.pollMs}`);
  const network = hre.globalOptions.network;
  if (a.rpcUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(a.rpcUrl)) throw new ServiceConfigError(`--rpc-url must be an http(s) URL, got ${a.rpcUrl}`);
  const conn = a.rpcUrl ? await hre.network.create({ network, override: { url: a.rpcUrl } }) : await hre.network.create();
  const session = await Session.open(conn, { dataDir: a.dataDir, log });
  try {
    const nodeId = resolveNode(session.manifest, a.node);
    const running = await startNodeService(session, {
      nodeId,
      port: a.port,
      batchSize: a.batchSize > 0 ? a.batchSize : undefined,
      batchSeconds: a.batchSeconds > 0 ? a.batchSeconds : undefined,
      liveChunk: a.liveChunk > 0 ? a.liveChunk : undefined,
      commitSize: a.commitSize > 0 ? a.commitSize : DEFAULT_COMMIT_SIZE,
      commitSeconds: a.commitSeconds > 0 ? a.commitSeconds : DEFAULT_COMMIT_SECONDS,
      pollMs: a.pollMs || DEFAULT_POLL_MS,
      log,
    });
    const s = running.service;
    const records = s.batchMode
      ? `Merkle batches of up to ${s.batchSize} records, or every ${s.batchSeconds} s`
      : `live, as submitted (${s.liveChunk} record(s) a transaction)`;
    console.log(
      `node service ${s.node.id} listening on ${running.url} (network ${conn.networkName}, chain ${session.manifest.chainId}); records: ${records}; ` +
        `query log committed every ${s.opts.commitSize} entries or ${s.opts.commitSeconds} s; operator token in ${s.tokenFile}`,
    );
    const signal = await new Promise<string>((resolve) => {
      process.once("SIGINT", () => resolve("SIGINT"));
      process.once("SIGTERM", () => resolve("SIGTERM"));
    });
    log(`${signal}: node service ${s.node.id} closing (flushing queued records and the query log)`);
    await running.close();
    const h = s.node.journal.counts();
    console.log(`node service ${s.node.id} closed: ${s.queue.size()} record(s) still queued, ${h.pending + h.sent} journal step(s) unfinished`);
  } finally {
    session.close();
  }
}
