/** `npx hardhat attest --file <json|csv> [--mode live|batch] [--batch-size N] [--node ID] [--out DIR]`. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { resolveNode } from "../src/audit/trail.js";
import { openContext } from "../src/cli/context.js";
import { runCli } from "../src/cli/run.js";
import { formatTable } from "../src/cli/table.js";
import { attestRecords } from "../src/ledger/attest.js";
import { proofFileName, toProofFile } from "../src/ledger/proof-file.js";
import { CATEGORY_SLUGS, encodeRecord, readRecordFile, recordToJson } from "../src/records/index.js";

interface Args {
  file: string;
  mode: string;
  batchSize: number;
  node: string;
  out: string;
  dataDir: string;
}

export default async function attest(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await runCli(async () => {
    if (!args.file) throw new Error("--file is required: a JSON or CSV file of records (see seeds/examples/)");
    if (args.mode !== "live" && args.mode !== "batch") throw new Error(`--mode must be live or batch, not "${args.mode}"`);
    if (!Number.isSafeInteger(args.batchSize) || args.batchSize < 1) throw new Error(`--batch-size must be ≥ 1, got ${args.batchSize}`);
    const records = readRecordFile(args.file); // every record validated before anything is sent
    const ctx = await openContext(hre, args.dataDir, (l) => console.error(l));
    const items = records.map((r) => ({ enterprise: r.enterprise, category: r.category, encoding: encodeRecord(r), recordJson: recordToJson(r), signer: "signer" in r ? r.signer : undefined }));
    const done = await attestRecords(ctx.contracts, ctx.manifest, ctx.stores, ctx.operators, items, {
      mode: args.mode,
      nodeId: args.node ? resolveNode(ctx.manifest, args.node) : undefined,
      chunkSize: args.batchSize,
    });
    mkdirSync(args.out, { recursive: true });
    for (const r of done) writeFileSync(join(args.out, proofFileName(r)), JSON.stringify(toProofFile(ctx.manifest, r), null, 2) + "\n");
    const nodeName = (id: number) => ctx.manifest.nodes.find((n) => n.nodeId === id)!.id;
    console.log(
      formatTable(
        ["enterprise", "category", "version", "node", "mode", "batch", "tx"],
        done.map((r) => [r.enterprise, CATEGORY_SLUGS[r.category as 1 | 2 | 3], r.version, nodeName(r.nodeId), r.mode, r.batchId ?? "", r.txHash]),
      ),
    );
    console.log(`\n${done.length} record(s) attested; proof files in ${args.out}/`);
    ctx.stores.close();
  });
}
