/** `npm run demo`: the whole story on the in-process chain, no server needed. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { openContext } from "../src/cli/context.js";
import { runDemo } from "../src/cli/demo.js";
import { runCli } from "../src/cli/run.js";

export default async function demo(args: { dataDir: string }, hre: HardhatRuntimeEnvironment): Promise<void> {
  await runCli(async () => {
    const ctx = await openContext(hre, args.dataDir);
    try {
      await runDemo(ctx, (s) => console.log(s));
    } finally {
      ctx.stores.close();
    }
  });
}
