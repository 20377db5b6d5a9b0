/** `npm run demo`: the whole story on the in-process chain, no server needed. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { runDemo } from "../src/cli/demo.js";
import { runCli } from "../src/cli/run.js";
import { dataDirOption, openSession } from "../src/cli/session.js";

export default async function demo(args: { dataDir: string | undefined }, hre: HardhatRuntimeEnvironment): Promise<void> {
  await runCli(async () => {
    const session = await openSession(hre, { dataDir: dataDirOption(args.dataDir) });
    try {
      await runDemo(session, (s) => console.log(s));
    } finally {
      session.close();
    }
  });
}
