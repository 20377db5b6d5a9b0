/** `npm run bench`: the benchmarks; each writes JSON and a markdown table under bench/results/. */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { measureExplorer, explorerTable } from "../src/bench/explorer.js";
import { measureGas } from "../src/bench/gas.js";
import { runCli } from "../src/cli/run.js";
import { formatTable } from "../src/cli/table.js";
import type { ReplayReport } from "../src/replay/replay.js";

/** Runs `hardhat replay` in a child process (so each scale has its own peak RSS) and returns its JSON report. */
function replayInChild(scale: string, mode: string, out: string): ReplayReport {
  const dataDir = mkdtempSync(join(tmpdir(), "yrd-bench-replay-"));
  try {
    const r = spawnSync(process.execPath, [process.argv[1], "replay", "--scale", scale, "--mode", mode, "--data-dir", dataDir, "--out", out], { stdio: ["ignore", "ignore", "inherit"] });
    if (r.status !== 0) throw new Error(`replay --scale ${scale} --mode ${mode} failed with exit code ${r.status}`);
    return JSON.parse(readFileSync(join(out, `replay-${mode}-${Number(scale)}-default.json`), "utf8")) as ReplayReport;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export default async function bench(args: { only: string; out: string; scales: string; liveScale: string }, hre: HardhatRuntimeEnvironment): Promise<void> {
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
    if (want("replay")) {
      const rows = [];
      const runs: ReplayReport[] = [];
      for (const scale of args.scales.split(",")) {
        console.error(`replay bulk --scale ${scale} …`);
        runs.push(replayInChild(scale, "bulk", args.out));
      }
      console.error(`replay live --scale ${args.liveScale} …`);
      runs.push(replayInChild(args.liveScale, "live", args.out));
      for (const r of runs) {
        const seconds = r.phases.reduce((a, p) => a + p.seconds, 0);
        const txs = r.phases.reduce((a, p) => a + p.transactions, 0);
        const lat = r.phases.find((p) => p.latencyMs)?.latencyMs;
        rows.push([
          r.options.mode,
          String(r.options.scale),
          Number(seconds.toFixed(1)),
          r.counts.records,
          Math.round(r.counts.records / r.phases[0].seconds),
          r.counts.queries + r.counts.refusedAttempts,
          txs,
          Math.round(txs / seconds),
          lat ? `${lat.p50}/${lat.p95}/${lat.p99}` : "",
          Number(r.gas.perRecord.toFixed(1)),
          r.peakRssMB,
          r.countsMatchTargets ? "yes" : "NO",
        ]);
      }
      const table = formatTable(
        ["mode", "scale", "seconds", "records", "records/s", "queries", "txs", "txs/s", "latency ms p50/p95/p99", "gas/record", "peak RSS MB", "targets met"],
        rows,
      );
      console.log(table);
      writeFileSync(join(args.out, "replay-scales.json"), JSON.stringify({ measuredAt: new Date().toISOString(), runs }, null, 2) + "\n");
      writeFileSync(join(args.out, "replay-scales.md"), "```\n" + table + "\n```\n");
    }
    if (want("explorer")) {
      const r = await measureExplorer(await hre.network.create(), { log: (l) => console.error(`explorer: ${l}`) });
      const table = explorerTable(r, formatTable);
      console.log(table);
      writeFileSync(join(args.out, "explorer.json"), JSON.stringify(r, null, 2) + "\n");
      writeFileSync(join(args.out, "explorer.md"), "```\n" + table + "\n```\n");
    }
  });
}
