/** `npm run bench`: the benchmarks; each writes JSON and a markdown table under bench/results/. */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { measureExplorer, explorerTable } from "../src/bench/explorer.js";
import { measureGas } from "../src/bench/gas.js";
import { measureNetwork } from "../src/bench/network.js";
import { runCli } from "../src/cli/run.js";
import { formatTable } from "../src/cli/table.js";
import type { ReplayReport } from "../src/replay/replay.js";

/** Runs `hardhat replay` in a child process (so each scale has its own peak RSS) and returns its JSON report. */
function replayInChild(scale: string, mode: string, out: string): ReplayReport {
  const dataDir = mkdtempSync(join(tmpdir(), "yrd-bench-replay-"));
  try {
    const r = spawnSync(process.execPath, [process.argv[1], "replay", "--scale", scale, "--mode", mode, "--data-dir", dataDir, "--out", out], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    if (r.status !== 0) throw new Error(`replay --scale ${scale} --mode ${mode} failed with exit code ${r.status}`);
    return JSON.parse(readFileSync(join(out, `replay-${mode}-${Number(scale)}-default.json`), "utf8")) as ReplayReport;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface Args {
  only: string;
  out: string;
  scales: string;
  liveScale: string;
  networkLiveChunk: number;
  networkNodes: number;
  networkScales: string;
  networkLiveScale: number;
}

export default async function bench(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await runCli(async () => {
    mkdirSync(args.out, { recursive: true });
    const only = args.only ? args.only.split(",") : [];
    const known = ["gas", "replay", "network", "explorer"];
    for (const o of only) if (!known.includes(o)) throw new Error(`--only: unknown benchmark "${o}" (known: ${known.join(", ")})`);
    // the network benchmark needs Go and geth and takes minutes: only when asked for
    const want = (name: string) => (only.length === 0 ? name !== "network" : only.includes(name));
    if (want("gas")) {
      const conn = await hre.network.create();
      const tmp = mkdtempSync(join(tmpdir(), "yrd-bench-"));
      const report = await measureGas(conn, tmp, (l) => console.error(`gas: ${l}`));
      rmSync(tmp, { recursive: true, force: true });
      const attest = formatTable(
        ["attestation", "records", "txs", "gas total", "gas per record"],
        report.attest.map((r) => [r.what, r.records, r.transactions, r.gasTotal, Math.round(r.gasPerRecord)]),
      );
      const verify = formatTable(
        ["verification (eth_estimateGas)", "proof hashes", "gas"],
        report.verify.map((v) => [v.what, v.proofLength, v.gas]),
      );
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
    if (want("network")) {
      if (!Number.isInteger(args.networkNodes) || args.networkNodes < 1 || args.networkNodes > 25)
        throw new Error(`--network-nodes must be 1..25, got ${args.networkNodes}`);
      const scales = args.networkScales ? args.networkScales.split(",").map(Number) : [];
      for (const s of scales) if (!(s > 0 && s <= 1)) throw new Error(`--network-scales: each scale must be in (0, 1], got ${args.networkScales}`);
      if (!(args.networkLiveScale >= 0 && args.networkLiveScale <= 1)) throw new Error(`--network-live-scale must be in [0, 1], got ${args.networkLiveScale}`);
      if (!Number.isInteger(args.networkLiveChunk) || args.networkLiveChunk < 1 || args.networkLiveChunk > 100)
        throw new Error(`--network-live-chunk must be 1..100, got ${args.networkLiveChunk}`);
      const r = await measureNetwork({
        nodes: args.networkNodes,
        scales,
        liveScale: args.networkLiveScale,
        liveChunk: args.networkLiveChunk,
        log: (l) => console.error(`network: ${l}`),
      });
      const s = r.liveThroughServices;
      const rows: (string | number)[][] = [
        [
          "network up (validators, deploy, node services)",
          `${r.up.seconds} s (${r.up.validatorsSeconds ?? "?"} / ${r.up.deploySeconds ?? "?"} / ${r.up.servicesSeconds ?? "?"})`,
        ],
        ["idle memory (validators + node services)", `${r.idleMemoryMiB.total} MiB (${r.idleMemoryMiB.validators} + ${r.idleMemoryMiB.services})`],
        ...(s
          ? [
              [
                `live replay --scale ${s.scale} through the node services (${s.liveChunk} record(s) a transaction)`,
                `${Math.round(s.totals.txPerSec)} tx/s (${s.totals.txs} txs in ${s.totals.seconds.toFixed(1)} s, ${s.totals.failedTxs} failed); validators agree at block ${s.agreement.block}: ${s.agreement.agree ? "yes" : "NO"}`,
              ],
              ...s.phases.map((p) => [
                `  ${p.phase}`,
                `${Math.round(p.txPerSec)} tx/s (${p.txs} txs, ${p.items} ${p.phase === "records" ? "records" : "attempts"}), latency p50/p95/p99 ${p.latencyMs.p50}/${p.latencyMs.p95}/${p.latencyMs.p99} ms`,
              ]),
            ]
          : []),
        ...r.replays.map((c) => [
          `bulk replay --scale ${c.scale}`,
          `network ${c.network.seconds} s (${c.network.recordsPerSecond} records/s), in process ${c.inProcess.seconds} s (${c.inProcess.recordsPerSecond} records/s): ${c.ratio}x, roots ${c.sameRoots ? "the same" : "DIFFERENT"}`,
        ]),
        ...(r.live
          ? [
              [
                `live replay --scale ${r.live.scale} over one validator's RPC`,
                `${r.live.transactionsPerSecond} tx/s (${r.live.transactions} txs, ${r.live.succeeded} ok, ${r.live.failed} failed); validators agree at block ${r.live.agreement.block}: ${r.live.agreement.agree ? "yes" : "NO"}`,
              ],
              ...r.live.phases
                .filter((p) => p.latencyMs)
                .map((p) => [
                  `  ${p.phase}`,
                  `${p.transactionsPerSecond} tx/s, latency p50/p95/p99 ${p.latencyMs!.p50}/${p.latencyMs!.p95}/${p.latencyMs!.p99} ms`,
                ]),
            ]
          : []),
      ];
      const table = formatTable([`${r.nodes} validators (load average at start ${r.loadAverageAtStart.join(" ")})`, "figure"], rows);
      console.log(table);
      writeFileSync(join(args.out, `network-${r.nodes}.json`), JSON.stringify(r, null, 2) + "\n");
      writeFileSync(join(args.out, `network-${r.nodes}.md`), "```\n" + table + "\n```\n");
    }
  });
}
