/** `npx hardhat [--network N] yrd explorer [--port P] [--data-dir D]`: the audit explorer (src/explorer/) on 127.0.0.1 until SIGINT/SIGTERM. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { runCli } from "../src/cli/run.js";
import { dataDirOption } from "../src/cli/session.js";
import { ensureWebBuild } from "../src/explorer/build.js";
import { openExplorerSession } from "../src/explorer/command.js";
import { startExplorer } from "../src/explorer/run.js";

export default async function explorer(args: { port: number; dataDir?: string }, hre: HardhatRuntimeEnvironment): Promise<void> {
  await runCli(async () => {
    if (!Number.isSafeInteger(args.port) || args.port < 0 || args.port > 65_535)
      throw new Error(`--port ${args.port}: must be a TCP port 0-65535 (0: any free port)`);
    const log = (l: string) => console.error(l);
    const webRoot = await ensureWebBuild(log);
    const opened = await openExplorerSession(await hre.network.create(), { dataDir: dataDirOption(args.dataDir), log });
    try {
      const running = await startExplorer(opened.session, { port: args.port, webRoot });
      const m = opened.session.manifest;
      console.log(`explorer on ${running.url} (network ${m.network}, chain ${m.chainId}, stores ${opened.session.storeDir}, read only)`);
      if (opened.demoEnterprise) console.log(`demo data loaded: search for ${opened.demoEnterprise}`);
      console.log("Ctrl-C to stop");
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await running.close();
    } finally {
      opened.close();
    }
  });
}
