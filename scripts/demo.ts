/** `npm run demo`: the whole story on the in-process chain, no server needed. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { deployConsortium } from "../src/chain/deploy.js";
import { consortiumTable } from "../src/cli/consortium.js";
import { runCli } from "../src/cli/run.js";

export default async function demo(_args: Record<string, unknown>, hre: HardhatRuntimeEnvironment): Promise<void> {
  await runCli(async () => {
    const conn = await hre.network.create();
    console.log("== 1. The consortium: 16 cities, 25 nodes, 899 institutions ==");
    const { manifest } = await deployConsortium(conn, { fresh: true, log: (l) => console.log(`   ${l}`) });
    console.log(await consortiumTable(conn, manifest));
  });
}
