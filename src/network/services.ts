/**
 * The city nodes' services on the multi-node network: one `yrd node-service` process per validator, talking only
 * to its own validator's RPC, on a loopback port of its own. `network up` starts them once the consortium is
 * deployed, `network down` stops them (by process id, checked against the node they serve) before the
 * validators, and `network status` asks each for its health.
 */
import { closeSync, openSync, readFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { PROJECT_ROOT, rpcUrl, type NetworkManifest, type NetworkNode } from "./manifest.js";
import { isServiceProcess } from "./pid.js";
import { freePort, portIsFree } from "./validators.js";

/** Query logs on the network are committed at least this often (seconds), beside the services' size trigger. */
export const NETWORK_COMMIT_SECONDS = 10;
/** How long `up` waits for every service to answer /health with 200. */
const HEALTHY_WITHIN_MS = 180_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The last lines of a log file. */
function tail(path: string, lines = 15): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export function serviceUrl(n: Pick<NetworkNode, "apiPort">): string {
  return `http://127.0.0.1:${n.apiPort}`;
}

/** The health a node service reports: "ok", or why not ("down", the 503's reasons, the error). */
export async function serviceHealth(n: NetworkNode): Promise<string> {
  if (!isServiceProcess(n.servicePid, n.id) || !n.apiPort) return "down";
  try {
    const r = await fetch(`${serviceUrl(n)}/health`, { signal: AbortSignal.timeout(5_000) });
    if (r.ok) return "ok";
    const body = (await r.json().catch(() => ({}))) as { reasons?: string[] };
    return `${r.status}: ${(body.reasons ?? []).join("; ") || "unhealthy"}`;
  } catch (e) {
    return `no answer (${(e as Error).message.split("\n")[0]})`;
  }
}

/**
 * Starts the service of every validator that has none running (each with its validator's RPC URL and its last
 * port while free), records their ports and process ids in the manifest, and waits (bounded) until every one
 * answers /health with 200. `dataDir`: the node stores' folder (default: data/).
 */
export async function startServices(m: NetworkManifest, opts: { dataDir?: string; log?: (line: string) => void } = {}): Promise<string[]> {
  const log = opts.log ?? (() => {});
  const taken = new Set<number>(m.nodes.flatMap((n) => [n.p2pPort, n.httpPort, n.authrpcPort]));
  for (const n of m.nodes) if (isServiceProcess(n.servicePid, n.id) && n.apiPort) taken.add(n.apiPort);
  const started: string[] = [];
  const cli = join(PROJECT_ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
  for (const n of m.nodes) {
    if (isServiceProcess(n.servicePid, n.id)) continue;
    if (!(n.apiPort && !taken.has(n.apiPort) && (await portIsFree(n.apiPort)))) n.apiPort = await freePort(taken);
    taken.add(n.apiPort);
    const args = [
      cli,
      "--network",
      m.network,
      "yrd",
      "node-service",
      "--node",
      n.id,
      "--port",
      String(n.apiPort),
      "--rpc-url",
      rpcUrl(n),
      "--commit-seconds",
      String(NETWORK_COMMIT_SECONDS),
      ...(m.liveChunk ? ["--live-chunk", String(m.liveChunk)] : []),
    ];
    if (opts.dataDir) args.push("--data-dir", opts.dataDir);
    const fd = openSync(join(n.dataDir, "service.log"), "a", 0o600);
    try {
      const child = spawn(process.execPath, args, {
        cwd: PROJECT_ROOT,
        detached: true,
        stdio: ["ignore", fd, fd],
        env: { ...process.env, YRD_RPC_NODE: n.id, YRD_COMPILED: "1" },
      });
      if (child.pid === undefined) throw new Error(`could not start the node service of ${n.id}`);
      child.unref();
      n.servicePid = child.pid;
    } finally {
      closeSync(fd);
    }
    started.push(n.id);
  }
  if (started.length > 0) log(`started ${started.length} node service(s): ${started.join(", ")}; waiting for their health`);
  const deadline = Date.now() + HEALTHY_WITHIN_MS;
  for (const n of m.nodes) {
    for (;;) {
      const h = await serviceHealth(n);
      if (h === "ok") break;
      if (!isServiceProcess(n.servicePid, n.id))
        throw new Error(`the node service of ${n.id} exited while starting (${join(n.dataDir, "service.log")}):\n${tail(join(n.dataDir, "service.log"))}`);
      if (Date.now() > deadline)
        throw new Error(`the node service of ${n.id} is not healthy after ${HEALTHY_WITHIN_MS / 1000} s (${h}): see ${join(n.dataDir, "service.log")}`);
      await sleep(500);
    }
  }
  return started;
}

/** Stops the node services (SIGTERM: they flush and close; SIGKILL after `graceMs`). */
export async function stopServices(m: NetworkManifest, log: (line: string) => void = () => {}, graceMs = 40_000): Promise<void> {
  await Promise.all(
    m.nodes.map(async (n) => {
      if (!isServiceProcess(n.servicePid, n.id)) return;
      const pid = n.servicePid!;
      process.kill(pid, "SIGTERM");
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline && isServiceProcess(pid, n.id)) await sleep(100);
      const killed = isServiceProcess(pid, n.id);
      if (killed) process.kill(pid, "SIGKILL");
      log(`${n.id} service: ${killed ? "killed" : "stopped"} (pid ${pid})`);
    }),
  );
  for (const n of m.nodes) n.servicePid = 0;
}
