/** `npx hardhat deploy [--institutions N] [--objection-days D] [--fresh] [--data-dir DIR]`: deploy or verify the consortium. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { isInProcess } from "../src/chain/connection.js";
import { deployConsortium } from "../src/chain/deploy.js";
import { consortiumTable } from "../src/cli/consortium.js";
import { runCli } from "../src/cli/run.js";
import { runningServiceNames } from "../src/service/remote.js";

interface Args {
  institutions: number;
  objectionDays: number;
  fresh: boolean;
  dataDir: string | undefined;
}

export default async function deploy(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await runCli(async () => {
    const conn = await hre.network.create();
    // --fresh archives the node stores: not from under the node services that have them open
    const services = args.fresh ? runningServiceNames(conn.networkName) : [];
    if (services.length > 0)
      throw new Error(
        `--fresh would archive the node stores of the running node services (${services.join(", ")}): run \`npm run network -- down\` and \`npm run network -- up --skip-services\` first (the data is kept), then deploy --fresh`,
      );
    // the in-process chain is gone when the command ends: its manifest is not kept (nor one of an earlier run read)
    const scratch = isInProcess(conn) ? mkdtempSync(join(tmpdir(), "yrd-in-process-")) : undefined;
    try {
      const result = await deployConsortium(conn, {
        institutions: args.institutions,
        objectionDays: args.objectionDays,
        fresh: args.fresh,
        dataDir: scratch ?? (args.dataDir || undefined),
        manifestPath: scratch && join(scratch, "manifest.json"),
        log: (l) => console.log(l),
      });
      console.log(`\n${result.reused ? "Existing" : "New"} deployment on ${conn.networkName} (chain ${result.manifest.chainId}):`);
      for (const [name, c] of Object.entries(result.manifest.contracts)) console.log(`  ${name.padEnd(20)} ${c.address}  (block ${c.block})`);
      console.log(
        scratch
          ? "  manifest             (not kept: the in-process chain ends with this command; use --network localhost)\n"
          : `  manifest             ${result.path}\n`,
      );
      console.log(await consortiumTable(conn, result.manifest));
    } finally {
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    }
  });
}
