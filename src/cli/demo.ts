/**
 * The demo story on the in-process chain: the consortium, attestations (live and batched), a correction, an
 * objection, a cross-city authorized query, and an audit that proves it all against the chain.
 */
import { hexlify, id } from "ethers";
import { collectTrail } from "../audit/trail.js";
import { renderAudit } from "../audit/report.js";
import { verifyTrail } from "../audit/verify.js";
import { attestRecords, type EncodedRecord } from "../ledger/attest.js";
import { usccBytes } from "../ledger/leaf.js";
import { recordStatusName } from "../ledger/status.js";
import { Purpose } from "../consent/authorization.js";
import { runLiveQuery } from "../query/session.js";
import { Category, CATEGORY_SLUGS, encodeRecord, readRecordFile, recordToJson, validateRecord, type CreditRecord } from "../records/index.js";
import { SEEDS_DIR } from "../seeds.js";
import { consortiumTable } from "./consortium.js";
import type { Session } from "../session.js";
import { formatTable } from "./table.js";
import { join } from "node:path";

function encoded(r: CreditRecord): EncodedRecord {
  return {
    enterprise: r.enterprise,
    category: r.category,
    encoding: encodeRecord(r),
    recordJson: recordToJson(r),
    signer: "signer" in r ? r.signer : undefined,
  };
}

export async function runDemo(ctx: Session, print: (s: string) => void): Promise<void> {
  print("== 1. The consortium: 16 cities, 25 nodes, 899 institutions ==");
  print(await consortiumTable(ctx.conn, ctx.manifest));

  print("\n== 2. Attestations by the Hefei node: one enterprise live, twelve in a Merkle batch ==");
  const examples = join(SEEDS_DIR, "examples");
  const [basic, status, financing] = readRecordFile(join(examples, "hefei-enterprise.json"));
  const enterprise = basic.enterprise;
  const signers = await ctx.conn.ethers.getSigners();
  const enterpriseSigner = signers[40];
  const live = await attestRecords(ctx, [basic, status, financing].map(encoded), { mode: "live" });
  const batch = await attestRecords(ctx, readRecordFile(join(examples, "hefei-status.csv")).map(encoded), {
    mode: "batch",
    chunkSize: 12,
  });
  print(`   ${live.length} live attestations, batch ${batch[0].batchId} of ${batch.length} records (root anchored in tx ${batch[0].txHash.slice(0, 12)}…)`);

  print("\n== 3. A correction and an objection ==");
  const corrected = validateRecord({ ...JSON.parse(recordToJson(status)), taxCreditGrade: "B" });
  const [v2] = await attestRecords(ctx, [encoded(corrected)], { mode: "live" });
  print(`   operating status corrected: version ${v2.version} supersedes version 1`);
  const e18 = hexlify(usccBytes(enterprise));
  await (
    await ctx.contracts.ledger
      .connect(enterpriseSigner)
      .fileObjection(e18, Category.FinancingMortgage, 1, id("the enterprise: mortgage 2 was released in 2025"))
  ).wait();
  print("   the enterprise objects to its financing record (异议, with its bound signer): the record is disputed until the Hefei node answers (20 days)");
  const rows = [];
  for (const r of [...live, v2]) {
    const s = await ctx.contracts.ledger.attestationStatus(e18, r.category, r.version, r.digest);
    rows.push([CATEGORY_SLUGS[r.category as Category], r.version, r.mode, recordStatusName(s).replace("-", " ")]);
  }
  print(formatTable(["category", "version", "anchor", "state on chain"], rows));

  print("\n== 4. A cross-city query: a Shanghai-sponsored bank asks about the Hefei enterprise, with its authorization ==");
  const inst1 = await ctx.institution(1);
  const q = await runLiveQuery(ctx, inst1, enterpriseSigner, {
    enterprise,
    institution: 1,
    purpose: Purpose.CreditApproval,
    categories: (1 << Category.BasicInfo) | (1 << Category.OperatingStatus) | (1 << Category.FinancingMortgage),
  });
  print(
    `   authorization ${q.authorizationId.slice(0, 18)}… registered; query ${q.result.queryId} served by node hf-1 with ${q.result.reports.length} reports`,
  );
  print(
    formatTable(
      ["report", "version", "institution's check"],
      q.checks.map((c) => [CATEGORY_SLUGS[c.report.category as Category], c.report.version, c.result]),
    ),
  );
  print(`   hf-1's query log committed on chain at size ${q.commitment?.size}`);

  print(`\n== 5. Audit of ${enterprise}: everything the chain holds about it, each item proven ==`);
  const trail = await collectTrail(ctx.conn, ctx.manifest, ctx.contracts, { enterprise });
  const findings = await verifyTrail(ctx.contracts, ctx.manifest, ctx.stores, trail, { enterprise });
  print(renderAudit(trail, findings, "table"));
}
