/**
 * `npx hardhat [--network N] yrd explorer [--port P] [--data-dir D]`: the audit explorer on 127.0.0.1. On a
 * persistent network it reads the deployment that is there; on the in-process chain, which lives only as
 * long as the command, it first deploys a consortium and loads the demo's story into it (`runDemo`), then
 * reads that. The explorer itself only reads: its session opens the stores read-only.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isInProcess, type ChainConnection } from "../chain/connection.js";
import { runDemo } from "../cli/demo.js";
import type { DeployOptions } from "../chain/deploy.js";
import { readRecordFile } from "../records/index.js";
import { SEEDS_DIR } from "../seeds.js";
import { Session } from "../session.js";

export interface ExplorerSession {
  session: Session;
  /** The demo's enterprise, when the demo data was loaded. */
  demoEnterprise?: string;
  close(): void;
}

/** The demo's enterprise: the one of seeds/examples/hefei-enterprise.json. */
export function demoEnterprise(): string {
  return readRecordFile(join(SEEDS_DIR, "examples", "hefei-enterprise.json"))[0].enterprise;
}

/**
 * A read-only session for the explorer. On the in-process chain: a writing session deploys and runs the demo
 * into `dataDir` (a temporary folder when not given, removed at close), and is closed before the read-only one
 * opens on the same deployment.
 */
export async function openExplorerSession(
  conn: ChainConnection,
  opts: { dataDir?: string; deploy?: Pick<DeployOptions, "institutions" | "objectionDays">; log?: (line: string) => void } = {},
): Promise<ExplorerSession> {
  const log = opts.log ?? (() => {});
  if (!isInProcess(conn)) {
    const session = await Session.open(conn, { dataDir: opts.dataDir, readOnly: true, log });
    return { session, close: () => session.close() };
  }
  const temporary = opts.dataDir === undefined ? mkdtempSync(join(tmpdir(), "yrd-explorer-")) : undefined;
  const dataDir = opts.dataDir ?? temporary!;
  try {
    log("the in-process chain lives as long as this command: deploying a consortium and loading the demo's story (npm run demo) to explore…");
    const writer = await Session.open(conn, { dataDir, deploy: opts.deploy, log });
    try {
      await runDemo(writer, () => {});
    } finally {
      writer.close();
    }
    const session = await Session.open(conn, { dataDir, readOnly: true, deployment: { manifest: writer.manifest, path: writer.manifestPath } });
    return {
      session,
      demoEnterprise: demoEnterprise(),
      close: () => {
        session.close();
        if (temporary) rmSync(temporary, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (temporary) rmSync(temporary, { recursive: true, force: true });
    throw e;
  }
}
