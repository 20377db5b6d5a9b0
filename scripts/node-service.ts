/**
 * `npx hardhat --network <net> node-service --node <id> --port <P> [--data-dir D] [--batch-size N] [--batch-seconds S]
 * [--live-chunk N] [--commit-size N] [--commit-seconds S] [--poll-ms MS] [--rpc-url URL]`: runs a city node's service (src/service/)
 * on 127.0.0.1 until SIGINT or SIGTERM, then closes it cleanly.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { runCli } from "../src/cli/run.js";
import { dataDirOption } from "../src/cli/session.js";
import { runNodeServiceCommand } from "../src/service/command.js";

interface Args {
  node: string | undefined;
  port: number;
  dataDir: string | undefined;
  batchSize: number;
  batchSeconds: number;
  liveChunk: number;
  commitSize: number;
  commitSeconds: number;
  pollMs: number;
  rpcUrl: string | undefined;
}

export default async function nodeService(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await runCli(() =>
    runNodeServiceCommand(hre, {
      node: args.node ?? "",
      port: args.port,
      dataDir: dataDirOption(args.dataDir),
      batchSize: args.batchSize,
      batchSeconds: args.batchSeconds,
      liveChunk: args.liveChunk,
      commitSize: args.commitSize,
      commitSeconds: args.commitSeconds,
      pollMs: args.pollMs,
      rpcUrl: args.rpcUrl || undefined,
    }),
  );
}
