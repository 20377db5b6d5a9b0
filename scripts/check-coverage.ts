/**
 * `npx hardhat yrd check-coverage`: the contracts' coverage left by `hardhat test --coverage` (lines as Hardhat
 * counts them, statements and `if` branches from its recorded hits: src/coverage/contracts.ts), as a table and
 * coverage/contracts.json; exit code 1 when a total is below its threshold.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { runCli } from "../src/cli/run.js";
import { contractCoverage, formatCoverage, missedThresholds, percent } from "../src/coverage/contracts.js";

export default async function checkCoverage(args: { lines: number; statements: number; branches: number }, hre: HardhatRuntimeEnvironment): Promise<void> {
  await runCli(async () => {
    for (const key of ["lines", "statements", "branches"] as const) {
      if (!(args[key] >= 0 && args[key] <= 100)) throw new Error(`--${key} must be a percentage in [0, 100], got ${args[key]}`);
    }
    const root = hre.config.paths.root;
    const coverageDir = join(root, "coverage");
    const solcVersion = hre.config.solidity.profiles.default.compilers[0].version;
    const c = contractCoverage({ root, contractsDir: join(root, "contracts"), coverageDir, exclude: ["contracts/test"], solcVersion });
    console.log(formatCoverage(c));
    console.log(`hits of: ${c.runners.map((r) => `${r.runner} (${r.writtenAt})`).join(", ")}`);
    mkdirSync(coverageDir, { recursive: true });
    writeFileSync(join(coverageDir, "contracts.json"), JSON.stringify({ thresholds: args, ...c }, null, 2) + "\n");
    const t = c.total;
    console.log(
      `contract coverage: lines ${percent(t.lines).toFixed(2)} %, statements ${percent(t.statements).toFixed(2)} %, branches ${percent(t.branches).toFixed(2)} % (coverage/contracts.json)`,
    );
    const missed = missedThresholds(c, args);
    if (missed.length > 0) throw new Error(missed.join("; "));
  });
}
