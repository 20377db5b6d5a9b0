/** `npm run bench`: the benchmarks; each writes JSON and a markdown table under bench/results/. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { measureGas } from "../src/bench/gas.js";
import { runCli } from "../src/cli/run.js";
import { formatTable } from "../src/cli/table.js";

export default async function bench(args: { only: string; out: string }, hre: HardhatRuntimeEnvironment): Promise<void> {
  await runCli(async () => {
    mkdirSync(args.out, { recursive: true });
    const want = (name: string) => !args.only || args.only.split(",").includes(name);
    if (want("gas")) {
      const conn = await hre.network.create();
      const tmp = mkdtempSync(join(tmpdir(), "yrd-bench-"));
      const report = await measureGas(conn, tmp, (l) => console.error(`gas: ${l}`));
      rmSync(tmp, { recursive: true, force: true });
      const attest = formatTable(["attestation", "records", "txs", "gas total", "gas per record"], report.attest.map((r) => [r.what, r.records, r.transactions, r.gasTotal, Math.round(r.gasPerRecord)]));
      const verify = formatTable(["verification (eth_estimateGas)", "proof hashes", "gas"], report.verify.map((v) => [v.what, v.proofLength, v.gas]));
      console.log(`${attest}\n\n${verify}`);
      writeFileSync(join(args.out, "gas.json"), JSON.stringify({ measuredAt: new Date().toISOString(), ...report }, null, 2) + "\n");
      writeFileSync(join(args.out, "gas.md"), "```\n" + attest + "\n\n" + verify + "\n```\n");
    }
  });
}
