/** `npx hardhat verify-record --record <file> --proof <file> [--index N]`: valid / superseded / revoked / disputed / not anchored. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { runCli } from "../src/cli/run.js";
import { dataDirOption, openSession } from "../src/cli/session.js";
import { readProofFile, verifyRecordProof } from "../src/ledger/proof-file.js";
import { readRecordFile } from "../src/records/index.js";

interface Args {
  record: string | undefined;
  proof: string | undefined;
  index: number;
  dataDir: string | undefined;
}

export default async function verify(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await runCli(async () => {
    if (!args.record || !args.proof) throw new Error("--record and --proof are required");
    const records = readRecordFile(args.record);
    if (args.index < 1 || args.index > records.length) throw new Error(`--index must be 1-${records.length} for ${args.record}`);
    const proof = readProofFile(args.proof);
    const session = await openSession(hre, { dataDir: dataDirOption(args.dataDir), readOnly: true });
    try {
      const { verdict, reason } = await verifyRecordProof(session.contracts, session.manifest, records[args.index - 1], proof);
      console.log(`${verdict}${reason ? `: ${reason}` : ""}`);
      if (verdict !== "valid") process.exitCode = 2;
    } finally {
      session.close();
    }
  });
}
