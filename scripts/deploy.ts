/** `npx hardhat deploy [--institutions N] [--fresh] [--network localhost]`: deploy or verify the consortium. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { deployConsortium } from "../src/chain/deploy.js";
import { consortiumTable } from "../src/cli/consortium.js";
import { runCli } from "../src/cli/run.js";

interface Args {
  institutions: number;
  objectionDays: number;
  fresh: boolean;
}

export default async function deploy(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await runCli(async () => {
    const conn = await hre.network.create();
    const result = await deployConsortium(conn, { institutions: args.institutions, objectionDays: args.objectionDays, fresh: args.fresh, log: (l) => console.log(l) });
    console.log(`\n${result.reused ? "Existing" : "New"} deployment on ${conn.networkName} (chain ${result.manifest.chainId}):`);
    for (const [name, c] of Object.entries(result.manifest.contracts)) console.log(`  ${name.padEnd(20)} ${c.address}  (block ${c.block})`);
    console.log(`  manifest             ${result.path}\n`);
    console.log(await consortiumTable(conn, result.manifest));
  });
}
