/** `npx hardhat attest --file <json|csv> [--mode live|batch] [--batch-size N] [--node ID] [--out DIR] [--data-dir DIR]`. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { resolveNode } from "../src/audit/trail.js";
import { runCli } from "../src/cli/run.js";
import { dataDirOption, openSession } from "../src/cli/session.js";
import { formatTable } from "../src/cli/table.js";
import { attestRecords } from "../src/ledger/attest.js";
import { writeProofFile } from "../src/ledger/proof-file.js";
import { CATEGORY_SLUGS, encodeRecord, readRecordFile, recordToJson } from "../src/records/index.js";
import { runningServices } from "../src/service/remote.js";

interface Args {
  file: string | undefined;
  mode: string;
  batchSize: number;
  node: string | undefined;
  out: string;
  dataDir: string | undefined;
}

export default async function attest(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await runCli(async () => {
    if (!args.file) throw new Error("--file is required: a JSON or CSV file of records (see seeds/examples/)");
    if (args.mode !== "live" && args.mode !== "batch") throw new Error(`--mode must be live or batch, not "${args.mode}"`);
    if (!Number.isSafeInteger(args.batchSize) || args.batchSize < 1) throw new Error(`--batch-size must be a whole number ≥ 1, got ${args.batchSize}`);
    const records = readRecordFile(args.file); // every record validated before anything is sent
    const session = await openSession(hre, { dataDir: dataDirOption(args.dataDir) });
    try {
      const items = records.map((r) => ({
        enterprise: r.enterprise,
        category: r.category,
        encoding: encodeRecord(r),
        recordJson: recordToJson(r),
        signer: "signer" in r ? r.signer : undefined,
      }));
      const nodeId = args.node ? resolveNode(session.manifest, args.node) : undefined;
      // on the multi-node network, a node whose service runs gets its records through that service
      const services = runningServices(session);
      const done = await attestRecords(session, items, {
        mode: args.mode,
        nodeId,
        chunkSize: args.batchSize,
        services,
        log: (line) => console.error(line),
        // proof files as each chunk lands, so an interrupted run leaves one for every record on chain
        onAttested: (landed) => {
          for (const r of landed) {
            const w = writeProofFile(args.out, session.manifest, r);
            if (w.archived) console.error(`an older ${w.path} was moved to ${w.archived}`);
          }
        },
      });
      for (const [id, s] of session.settled)
        if (s.found + s.resent + s.failed > 0)
          console.error(
            `node ${session.nodeName(id)}: settled ${s.found + s.resent + s.failed} chain write(s) an earlier run left unfinished (${s.found} found on chain, ${s.resent} sent again, ${s.failed} refused)`,
          );
      console.log(
        formatTable(
          ["enterprise", "category", "version", "node", "mode", "batch", "tx"],
          done.map((r) => [
            r.enterprise,
            CATEGORY_SLUGS[r.category as 1 | 2 | 3],
            r.version,
            session.nodeName(r.nodeId),
            r.unchanged ? `${r.mode} (unchanged)` : r.mode,
            r.batchId ?? "",
            r.txHash,
          ]),
        ),
      );
      const unchanged = done.filter((r) => r.unchanged).length;
      console.log(
        `\n${done.length - unchanged} record(s) attested${unchanged ? `, ${unchanged} unchanged (already attested with this content)` : ""}; proof files in ${args.out}/`,
      );
    } finally {
      session.close();
    }
  });
}
