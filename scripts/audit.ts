/** `npx hardhat audit [filters] [--verify [--sample N --seed S]] [--format table|json|csv]`. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { renderAudit, parseFormat } from "../src/audit/report.js";
import { collectTrail, resolveNode, type TrailFilter } from "../src/audit/trail.js";
import { verifyTrail } from "../src/audit/verify.js";
import { runCli } from "../src/cli/run.js";
import { dataDirOption, openSession } from "../src/cli/session.js";
import { parseDate, samplePicker } from "../src/cli/args.js";
import { proveReplaySample, replayStateIn } from "../src/replay/prove.js";

interface Args {
  enterprise: string;
  institution: number;
  node: string;
  city: string;
  from: string;
  to: string;
  verify: boolean;
  sample: number;
  seed: string;
  format: string;
  dataDir: string;
}

export default async function audit(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await runCli(async () => {
    const format = parseFormat(args.format);
    // the audit only reads: stores are opened read-only, nothing is created or settled
    const session = await openSession(hre, { dataDir: dataDirOption(args.dataDir), readOnly: true });
    try {
    const ctx = { conn: session.conn, manifest: session.manifest, contracts: session.contracts, stores: session.stores };
    const filter: TrailFilter = {
      enterprise: args.enterprise || undefined,
      institution: args.institution > 0 ? args.institution : undefined,
      node: args.node ? resolveNode(ctx.manifest, args.node) : undefined,
      city: args.city || undefined,
      from: args.from ? parseDate(args.from, "--from") : undefined,
      to: args.to ? parseDate(args.to, "--to", true) : undefined,
    };
    const rows = await collectTrail(ctx.conn, ctx.manifest, ctx.contracts, filter);
    let findings = args.verify
      ? await verifyTrail(ctx.contracts, ctx.manifest, ctx.stores, rows, filter, {
          sample: args.sample > 0 ? args.sample : undefined,
          pick: samplePicker(args.seed),
        })
      : undefined;
    // after a replay, the sample also proves replayed records and queries, regenerated from the replay's seed
    const replayed = replayStateIn(ctx.stores);
    if (findings && replayed && args.sample > 0)
      findings = [...findings, ...(await proveReplaySample(ctx.contracts, ctx.manifest, ctx.stores, replayed, args.sample, args.seed))];
    console.log(renderAudit(rows, findings, format));
    if (findings?.some((f) => !f.ok)) process.exitCode = 2;
    } finally {
      session.close();
    }
  });
}
