/** `npx hardhat verify-record --record <file> --proof <file> [--index N]`: valid / superseded / revoked / disputed / not anchored. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { openContext } from "../src/cli/context.js";
import { runCli } from "../src/cli/run.js";
import { readProofFile, verifyRecordProof } from "../src/ledger/proof-file.js";
import { readRecordFile } from "../src/records/index.js";

interface Args {
  record: string;
  proof: string;
  index: number;
  dataDir: string;
}

export default async function verify(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await runCli(async () => {
    if (!args.record || !args.proof) throw new Error("--record and --proof are required");
    const records = readRecordFile(args.record);
    if (args.index < 1 || args.index > records.length) throw new Error(`--index must be 1-${records.length} for ${args.record}`);
    const proof = readProofFile(args.proof);
    const ctx = await openContext(hre, args.dataDir, (l) => console.error(l));
    const { verdict, reason } = await verifyRecordProof(ctx.contracts, ctx.manifest, records[args.index - 1], proof);
    console.log(`${verdict}${reason ? `: ${reason}` : ""}`);
    ctx.stores.close();
    if (verdict !== "valid") process.exitCode = 2;
  });
}
