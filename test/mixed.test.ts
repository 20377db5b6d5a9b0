/**
 * The commands as a user mixes them on one `hardhat node`: nothing one command wrote is lost by another, an
 * interrupted command is settled by the next, stores and manifests are tied to their chain, and the audit
 * only reads and names every failure.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { JsonRpcProvider } from "ethers";
import { readManifest } from "../src/chain/manifest.js";
import { CATEGORY_SLUGS, Category, recordToJson } from "../src/records/index.js";
import { Random } from "../src/random.js";
import { SEEDS_DIR, loadSeeds } from "../src/seeds.js";
import { NodeStore } from "../src/store/nodeStore.js";
import { loadWorkloadConfig } from "../src/workload/config.js";
import { Population, generateRecord } from "../src/workload/enterprises.js";
import { CreditLedger__factory } from "../typechain-types/index.js";
import { ROOT, freePort, runHardhat, startHardhatNode, type HardhatNode } from "./helpers/processes.js";

const EXAMPLES = join(SEEDS_DIR, "examples");
const HEFEI_ENTERPRISE = "91340104MA2TXN4K1N";

/** `count` enterprises of Hefei with all three records each, as a JSON record file. */
function hefeiRecords(path: string, enterprises: number): void {
  const seeds = loadSeeds();
  const cfg = loadWorkloadConfig(seeds);
  const c = seeds.cities.findIndex((x) => x.code === "340100");
  const counts = seeds.cities.map((_, i) => (i === c ? enterprises : 0));
  const pop = new Population("mixed-test", seeds.cities, counts, cfg.financingShare, cfg.correctionShare, cfg.revocationShare, cfg.objectionShare);
  const rng = new Random("mixed-test records");
  const out: unknown[] = [];
  for (let i = 0; i < enterprises; i++)
    for (const category of [Category.BasicInfo, Category.OperatingStatus, Category.FinancingMortgage])
      out.push(JSON.parse(recordToJson(generateRecord(rng, seeds.cities[c].nameEn, pop.code(c, i), category, 1))));
  writeFileSync(path, JSON.stringify(out));
}

/** Every file below `dir`, relative, sorted. */
function filesBelow(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

describe("commands mixed on one hardhat node", function () {
  this.timeout(900_000);
  let node: HardhatNode;
  let dir: string;
  let env: Record<string, string>;
  let data: string;
  const hh = (...args: string[]) => runHardhat(["--network", "localhost", ...args], env, 600_000);
  const manifestFile = () => join(dir, "deployments", "localhost-31337.json");

  before(async () => {
    node = await startHardhatNode();
    dir = mkdtempSync(join(tmpdir(), "yrd-mixed-"));
    data = join(dir, "data");
    env = { YRD_LOCALHOST_PORT: String(node.port), YRD_DEPLOYMENTS_DIR: join(dir, "deployments") };
  });
  after(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("deploy → attest (live and batch) → query → replay → query → audit --verify: nothing lost, zero failures", async () => {
    const proofs = join(dir, "proofs");
    expect((await hh("deploy", "--institutions", "30")).code).to.equal(0);
    const live = await hh("attest", "--file", join(EXAMPLES, "hefei-enterprise.json"), "--data-dir", data, "--out", proofs);
    expect(live.code, live.stderr).to.equal(0);
    const batch = await hh("attest", "--file", join(EXAMPLES, "hefei-status.csv"), "--mode", "batch", "--batch-size", "5", "--data-dir", data, "--out", proofs);
    expect(batch.code, batch.stderr).to.equal(0);
    const q1 = await hh("query", "--enterprise", HEFEI_ENTERPRISE, "--data-dir", data);
    expect(q1.code, q1.stderr + q1.stdout).to.equal(0);
    expect(q1.stdout).to.match(/log entry hf-1#0, committed at size 1/);
    const manifestBefore = readFileSync(manifestFile(), "utf8");

    // the replay runs on this deployment: it keeps the stores and the manifest, and appends to the same logs
    const replayArgs = [
      "replay",
      "--scale",
      "0.0002",
      "--seed",
      "mixed",
      "--batch-size",
      "300",
      "--workers",
      "0",
      "--data-dir",
      data,
      "--out",
      join(dir, "out"),
    ];
    const r = await hh(...replayArgs);
    expect(r.code, r.stderr.slice(-3000)).to.equal(0);
    expect(r.stdout).to.match(/counts match the targets: yes/);
    expect(readFileSync(manifestFile(), "utf8")).to.equal(manifestBefore);

    // the live query after the replay continues hf-1's log (entry 0 was the first query, then the replay's)
    const q2 = await hh("query", "--enterprise", HEFEI_ENTERPRISE, "--data-dir", data);
    expect(q2.code, q2.stderr + q2.stdout).to.equal(0);
    const [, seq, size] = q2.stdout.match(/log entry hf-1#(\d+), committed at size (\d+)/)!.map(Number);
    expect(seq).to.be.greaterThan(1);
    expect(size).to.equal(seq + 1);

    // what the first commands wrote still proves
    const basicProof = join(
      proofs,
      readdirSync(proofs).find((f) => f.includes("MA2TXN4K1N-basic-info-v1"))!,
    );
    const v = await hh("verify-record", "--record", join(EXAMPLES, "basic-info.json"), "--proof", basicProof, "--data-dir", data);
    expect(v.stdout.trim(), v.stderr).to.equal("valid");

    const audit = await hh("audit", "--verify", "--sample", "6", "--format", "json", "--data-dir", data);
    expect(audit.code, audit.stderr + audit.stdout.slice(-3000)).to.equal(0);
    const verification = JSON.parse(audit.stdout).verification;
    expect(verification.failed, JSON.stringify(verification.findings.filter((f: { ok: boolean }) => !f.ok))).to.equal(0);
    const subjects: string[] = verification.findings.map((f: { subject: string }) => f.subject);
    expect(subjects).to.include("query log of node hf-1 (23)");
    expect(subjects.filter((s) => s.startsWith("log entry 23#"))).to.have.length(2); // both live queries, whole
    expect(subjects.filter((s) => s.startsWith("replayed query"))).to.have.length(6);

    // a second replay onto the same deployment is refused, and says how to go on; nothing changes
    const again = await hh(...replayArgs);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.match(/a replay already ran on this deployment .*--resume .*--fresh/);
    expect(readFileSync(manifestFile(), "utf8")).to.equal(manifestBefore);

    // --fresh archives the manifest and the stores, and replays on a new deployment
    const fresh = await hh(...replayArgs, "--fresh");
    expect(fresh.code, fresh.stderr.slice(-3000)).to.equal(0);
    const archivedManifests = readdirSync(join(dir, "deployments", "archive"));
    expect(archivedManifests).to.have.length(1);
    expect(readFileSync(join(dir, "deployments", "archive", archivedManifests[0]), "utf8")).to.equal(manifestBefore);
    const archivedStores = readdirSync(join(data, "archive"));
    expect(archivedStores).to.have.length(1);
    expect(readdirSync(join(data, "archive", archivedStores[0]))).to.include.members(["hf-1.sqlite", "replay.json"]);
    expect(fresh.stderr).to.match(/archived the node stores to .*archive/);
  });

  it("attest killed with SIGKILL mid-run and rerun: nothing pending, versions continue from the chain, a proof file for every record on chain", async () => {
    const file = join(dir, "hefei-3000.json");
    hefeiRecords(file, 1_000);
    const out = join(dir, "proofs-3000");
    const args = ["--network", "localhost", "attest", "--file", file, "--batch-size", "1", "--data-dir", data, "--out", out];
    const child = spawn(process.execPath, [join(ROOT, "node_modules/hardhat/dist/src/cli.js"), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const closed = new Promise((r) => child.once("close", r));
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (existsSync(out) && readdirSync(out).length >= 300) {
          clearInterval(poll);
          child.kill("SIGKILL");
          resolve();
        } else if (Date.now() - started > 300_000 || child.exitCode !== null) {
          clearInterval(poll);
          reject(new Error(`the attestation did not get far enough before being killed: ${stderr.slice(-2000)}`));
        }
      }, 20);
    });
    await closed;
    const landed = readdirSync(out).length;
    expect(landed).to.be.within(300, 2_999);

    const rerun = await hh("attest", "--file", file, "--batch-size", "1", "--data-dir", data, "--out", out);
    expect(rerun.code, rerun.stderr.slice(-3000)).to.equal(0);
    expect(rerun.stdout).to.match(/unchanged \(already attested with this content\)/);

    // no journal step left unfinished, every record live at version 1
    const store = NodeStore.openReadOnly(join(data, "localhost-31337", "hf-1.sqlite"));
    try {
      const states = store.db.prepare("SELECT state, COUNT(*) AS n FROM journal GROUP BY state").all() as { state: string; n: number }[];
      expect(states.filter((s) => s.state === "pending" || s.state === "sent")).to.deep.equal([]);
      expect(store.counts()).to.deep.include({ pending: 0 });
      expect(
        store.db.prepare("SELECT MAX(version) AS v, COUNT(*) AS n FROM records WHERE mode = 'live' AND enterprise != ?").get(HEFEI_ENTERPRISE),
      ).to.deep.equal({ v: 1, n: 3_000 });
    } finally {
      store.close();
    }
    // one attestation on chain per record, none twice, and a proof file for each
    const manifest = readManifest(manifestFile())!;
    const ledger = CreditLedger__factory.connect(manifest.contracts.CreditLedger.address, new JsonRpcProvider(node.url));
    const events = await ledger.queryFilter(ledger.filters.Attested(undefined, undefined, undefined, undefined, 23), manifest.deployBlock);
    const keys = new Set(events.map((e) => `${e.args.enterprise}/${e.args.category}/${e.args.version}`));
    expect(events.length).to.equal(3_000);
    expect(keys.size).to.equal(3_000);
    const files = readdirSync(out).filter((f) => f.endsWith(".proof.json"));
    expect(files).to.have.length(3_000);
    for (const f of files.slice(0, 50)) expect(JSON.parse(readFileSync(join(out, f), "utf8")).version).to.equal(1);
    expect(files.every((f) => f.endsWith("-v1.proof.json") && Object.values(CATEGORY_SLUGS).some((s) => f.includes(`-${s}-`)))).to.equal(true);
  });

  it("the audit only reads: it creates no store, and a log shorter than its commitment is a named failure", async () => {
    const before = filesBelow(data);
    const audit = await hh("audit", "--verify", "--format", "json", "--data-dir", data);
    expect(audit.code, audit.stderr.slice(-2000)).to.equal(0);
    expect(filesBelow(data).filter((f) => !f.endsWith("-shm") && !f.endsWith("-wal"))).to.deep.equal(
      before.filter((f) => !f.endsWith("-shm") && !f.endsWith("-wal")),
    );

    // a copy of the stores in which node sh-1 lost a block of its replayed log
    const tampered = join(dir, "tampered");
    mkdirSync(tampered);
    cpSync(join(data, "localhost-31337"), join(tampered, "localhost-31337"), { recursive: true });
    const db = new DatabaseSync(join(tampered, "localhost-31337", "sh-1.sqlite"));
    expect(Number((db.prepare("DELETE FROM log_blocks WHERE replay_block = 0").run() as { changes: number }).changes)).to.equal(1);
    db.close();
    const bad = await hh("audit", "--verify", "--data-dir", tampered);
    expect(bad.code, bad.stderr).to.equal(2);
    expect(bad.stdout).to.match(/query log of node sh-1 \(1\)\s+log-shorter-than-commitment/);
  });

  it("a store of another chain is refused; a stale, corrupt or unreachable network is one clear line", async () => {
    // the chain restarted: a new hardhat node, the same manifest
    const other = await startHardhatNode();
    try {
      const otherEnv = { ...env, YRD_LOCALHOST_PORT: String(other.port) };
      const stale = await runHardhat(["--network", "localhost", "audit", "--data-dir", data], otherEnv);
      expect(stale.code).to.equal(1);
      expect(stale.stderr.trim()).to.match(/^error: manifest .*localhost-31337\.json is stale: no ConsortiumRegistry at 0x[0-9a-fA-F]{40} .*deploy --fresh/);
      expect(stale.stderr).to.not.match(/\n\s+at /); // no stack trace

      // redeployed elsewhere, with the old stores: refused, naming the store and the way out
      const elsewhere = { ...otherEnv, YRD_DEPLOYMENTS_DIR: join(dir, "deployments-other") };
      expect((await runHardhat(["--network", "localhost", "deploy", "--institutions", "25"], elsewhere)).code).to.equal(0);
      const reused = await runHardhat(
        ["--network", "localhost", "attest", "--file", join(EXAMPLES, "basic-info.json"), "--data-dir", data, "--out", join(dir, "p")],
        elsewhere,
      );
      expect(reused.code).to.equal(1);
      expect(reused.stderr).to.match(/node store .*hf-1\.sqlite belongs to a chain whose genesis block is .*use another --data-dir, or pass --fresh/);
    } finally {
      await other.stop();
    }

    const corruptDir = join(dir, "deployments-corrupt");
    mkdirSync(corruptDir);
    copyFileSync(manifestFile(), join(corruptDir, "localhost-31337.json"));
    const m = JSON.parse(readFileSync(manifestFile(), "utf8"));
    writeFileSync(join(corruptDir, "localhost-31337.json"), JSON.stringify({ ...m, nodes: { sh: 1 } }));
    const corrupt = await runHardhat(["--network", "localhost", "audit"], { ...env, YRD_DEPLOYMENTS_DIR: corruptDir });
    expect(corrupt.code).to.equal(1);
    expect(corrupt.stderr.trim()).to.match(/^error: manifest .*localhost-31337\.json is corrupt: nodes must be a non-empty list; deploy with --fresh/);

    const closed = await freePort();
    const down = await runHardhat(["--network", "localhost", "audit"], { ...env, YRD_LOCALHOST_PORT: String(closed) });
    expect(down.code).to.equal(1);
    expect(down.stderr.trim()).to.match(new RegExp(`^error: cannot reach network localhost at http://127\\.0\\.0\\.1:${closed}`));
  });
});
