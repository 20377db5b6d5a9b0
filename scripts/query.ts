/**
 * `npx hardhat query --enterprise <USCC> --institution N [--purpose P] [--categories a,b] [--enterprise-account K]`:
 * one live, authorized, cross-city query end to end, then the institution's check of every report.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { runCli } from "../src/cli/run.js";
import { dataDirOption, openSession } from "../src/cli/session.js";
import { formatTable } from "../src/cli/table.js";
import { runLiveQuery, parsePurpose } from "../src/query/session.js";
import { CATEGORY_SLUGS, categoriesToMask, parseCategory } from "../src/records/index.js";
import { runningServices } from "../src/service/remote.js";
import { validateUscc } from "../src/uscc.js";

interface Args {
  enterprise: string | undefined;
  institution: number;
  purpose: string;
  categories: string;
  enterpriseAccount: number;
  dataDir: string | undefined;
}

export default async function query(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await runCli(async () => {
    if (!args.enterprise) throw new Error("--enterprise is required: the USCC of the enterprise to query");
    validateUscc(args.enterprise);
    const purpose = parsePurpose(args.purpose);
    const mask = categoriesToMask(args.categories.split(",").map((s) => parseCategory(s.trim())));
    const session = await openSession(hre, { dataDir: dataDirOption(args.dataDir) });
    try {
      const signers = await session.conn.ethers.getSigners();
      const enterpriseSigner = signers[args.enterpriseAccount];
      if (!enterpriseSigner) throw new Error(`--enterprise-account ${args.enterpriseAccount}: the network has ${signers.length} accounts`);
      const inst = await session.institution(args.institution);
      // on the multi-node network with the node services running, the query goes through them
      const r = await runLiveQuery(
        session,
        inst,
        enterpriseSigner,
        { enterprise: args.enterprise, institution: args.institution, purpose, categories: mask },
        runningServices(session),
      );
      if (r.via) console.log(`through the node services: relayed by ${r.via.relayedBy}, served by ${r.via.servedBy} by itself`);
      const node = (id: number) => session.manifest.nodes.find((n) => n.nodeId === id)!;
      console.log(`authorization ${r.authorizationId}`);
      console.log(
        `query ${r.result.queryId}: institution ${args.institution} (sponsor ${node(session.manifest.institutions[args.institution - 1].sponsorNodeId).id}) → served by ${node(r.result.servingNode).id}; outcome ${r.result.outcome === 1 ? "fulfilled" : "denied (the node holds no record)"}`,
      );
      const committed = r.via
        ? r.via.logCommitted
          ? "committed"
          : "committed on the service's next trigger"
        : `committed at size ${r.commitment?.size ?? "(not yet)"}`;
      const entry =
        r.result.logSequence >= 0
          ? `${node(r.result.servingNode).id}#${r.result.logSequence}, ${committed}`
          : `in ${node(r.result.servingNode).id}'s log (its sequence not reported yet by the service)`;
      console.log(`request tx ${r.result.requestTx}\nanswer tx  ${r.result.answerTx}\nlog entry ${entry}`);
      if (r.checks.length > 0)
        console.log(
          "\n" +
            formatTable(
              ["category", "version", "anchor", "record digest", "check"],
              r.checks.map((c) => [
                CATEGORY_SLUGS[c.report.category as 1 | 2 | 3],
                c.report.version,
                c.report.anchor.mode,
                c.report.recordDigest.slice(0, 18) + "…",
                c.result,
              ]),
            ),
        );
      if (r.checks.some((c) => c.result !== "valid" && c.result !== "disputed")) process.exitCode = 2;
    } finally {
      session.close();
    }
  });
}
