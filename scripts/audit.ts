/** `npx hardhat audit [filters] [--verify [--sample N --seed S]] [--format table|json|csv]`. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { renderAudit, parseFormat } from "../src/audit/report.js";
import { checkTrailFilter, collectTrail, type TrailFilter } from "../src/audit/trail.js";
import { verifyTrail } from "../src/audit/verify.js";
import { runCli } from "../src/cli/run.js";
import { dataDirOption, openSession } from "../src/cli/session.js";
import { parseDateRange, samplePicker } from "../src/cli/args.js";
import { loadSeeds } from "../src/seeds.js";
import { LogTrees } from "../src/node/query-log.js";
import { proveReplaySample, replayStateIn } from "../src/replay/prove.js";

interface Args {
  enterprise: string | undefined;
  institution: number;
  node: string | undefined;
  city: string | undefined;
  from: string | undefined;
  to: string | undefined;
  verify: boolean;
  sample: number;
  seed: string | undefined;
  format: string;
  dataDir: string | undefined;
}

/** The seed of --sample when --seed is not given. */
const DEFAULT_SEED = "audit";

export default async function audit(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await runCli(async () => {
    const format = parseFormat(args.format);
    // every option is checked before the chain is asked (on the in-process chain, before a consortium is deployed)
    // Hardhat has parsed --sample and --institution as whole numbers ≥ 0 (naming the option otherwise)
    if (!Number.isSafeInteger(args.sample)) throw new Error(`--sample must be a whole number ≥ 1, got ${args.sample}`);
    if (args.sample > 0 && !args.verify) throw new Error("--sample needs --verify (it chooses what --verify proves)");
    if (args.seed !== undefined && args.sample === 0) throw new Error("--seed needs --sample (it chooses the sample)");
    if (!Number.isSafeInteger(args.institution)) throw new Error(`--institution ${args.institution}: must be an institution id ≥ 1`);
    const cities = loadSeeds().cities;
    const given: TrailFilter = {
      enterprise: args.enterprise || undefined,
      institution: args.institution > 0 ? args.institution : undefined,
      node: args.node || undefined,
      city: args.city || undefined,
      ...parseDateRange(args.from ?? "", args.to ?? ""),
    };
    checkTrailFilter(given, cities);
    // the audit only reads: stores are opened read-only, nothing is created or settled
    const session = await openSession(hre, { dataDir: dataDirOption(args.dataDir), readOnly: true });
    try {
      const ctx = { conn: session.conn, manifest: session.manifest, contracts: session.contracts, stores: session.stores };
      const filter = checkTrailFilter(given, cities, ctx.manifest); // the institution and the node against the deployment
      const rows = await collectTrail(ctx.conn, ctx.manifest, ctx.contracts, filter);
      const trees = new LogTrees(); // each node's log tree, built once for both checks below
      let findings = args.verify
        ? await verifyTrail(ctx.contracts, ctx.manifest, ctx.stores, rows, filter, {
            sample: args.sample > 0 ? args.sample : undefined,
            pick: samplePicker(args.seed ?? DEFAULT_SEED),
            trees,
          })
        : undefined;
      // after a replay, the sample also proves replayed records and queries, regenerated from the replay's seed
      const replayed = replayStateIn(ctx.stores);
      if (findings && replayed && args.sample > 0)
        findings = [
          ...findings,
          ...(await proveReplaySample(ctx.contracts, ctx.manifest, ctx.stores, replayed, args.sample, args.seed ?? DEFAULT_SEED, trees)),
        ];
      console.log(renderAudit(rows, findings, format));
      if (findings?.some((f) => !f.ok)) process.exitCode = 2;
    } finally {
      session.close();
    }
  });
}
