/** `npx hardhat replay [--scale S] [--mode bulk|live] [--seed X] [--batch-size N] [--workers W] [--data-dir D] [--epoch T] [--salt-secrets-from DIR] [--resume | --fresh]`. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { runCli } from "../src/cli/run.js";
import { replaySummary, serviceReplaySummary } from "../src/replay/summary.js";
import { serviceLiveReplay } from "../src/replay/services.js";
import { runningServiceNames } from "../src/service/remote.js";
import { replay } from "../src/replay/replay.js";
import { saltSecretsIn } from "../src/store/stores.js";

interface Args {
  scale: number;
  mode: string;
  seed: string;
  batchSize: number;
  workers: number;
  dataDir: string | undefined;
  resume: boolean;
  fresh: boolean;
  refusedShare: string | undefined;
  /** 0: the chain's clock. */
  epoch: number;
  out: string;
  saltSecretsFrom: string | undefined;
}

export default async function replayTask(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await runCli(async () => {
    // Hardhat has parsed --scale as a number and --epoch as a whole number (naming the option otherwise); the
    // ranges are the replay's to check
    const scale = args.scale;
    const epoch = args.epoch === 0 ? undefined : args.epoch;
    const refusedShare = args.refusedShare === undefined || args.refusedShare === "" ? undefined : Number(args.refusedShare);
    if (refusedShare !== undefined && !Number.isFinite(refusedShare))
      throw new Error(`--refused-share must be a number in [0, 0.5), not "${args.refusedShare}"`);
    const saltSecrets = args.saltSecretsFrom ? saltSecretsIn(args.saltSecretsFrom) : undefined;
    const conn = await hre.network.create();
    if (args.mode === "live" && runningServiceNames(conn.networkName).length > 0) {
      // the network's node services run: each is its node's only writer, so the live replay goes through them
      if (args.fresh || saltSecrets)
        throw new Error(
          "a live replay through the running node services uses the deployment and the services' own salt secrets: --fresh and --salt-secrets-from do not apply",
        );
      const r = await serviceLiveReplay(conn, {
        scale,
        seed: args.seed,
        dataDir: args.dataDir || undefined,
        resume: args.resume,
        refusedShare,
        epoch: epoch ?? 0,
        batchSize: args.batchSize,
        log: (l) => console.error(l),
      });
      console.log(serviceReplaySummary(r));
      mkdirSync(args.out, { recursive: true });
      const file = join(args.out, `replay-live-services-${scale}-${r.network}.json`);
      writeFileSync(file, JSON.stringify(r, null, 2) + "\n");
      console.log(`\nreport written to ${file}`);
      return;
    }
    const report = await replay(conn, {
      scale,
      mode: args.mode as "bulk" | "live",
      seed: args.seed,
      batchSize: args.batchSize,
      workers: args.workers,
      dataDir: args.dataDir || undefined,
      resume: args.resume,
      fresh: args.fresh,
      refusedShare,
      epoch,
      saltSecrets,
      log: (l) => console.error(l),
    });
    console.log(replaySummary(report));
    mkdirSync(args.out, { recursive: true });
    const file = join(args.out, `replay-${report.options.mode}-${scale}-${report.network}.json`);
    writeFileSync(file, JSON.stringify(report, null, 2) + "\n");
    console.log(`\nreport written to ${file}`);
    if (!report.countsMatchTargets) process.exitCode = 2;
  });
}
