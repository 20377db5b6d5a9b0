import { expect } from "chai";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { hexlify } from "ethers";
import { network } from "hardhat";
import { encodeRecord } from "../src/records/encoding.js";
import { fastEncodeRecord } from "../src/records/fast-encoding.js";
import { Random } from "../src/random.js";
import { ReplayInterrupted, replay, type ReplayOptions } from "../src/replay/replay.js";
import { loadSeeds } from "../src/seeds.js";
import { homeCity, validateUscc } from "../src/uscc.js";
import { apportion, loadWorkloadConfig } from "../src/workload/config.js";
import { Population, generateRecord } from "../src/workload/enterprises.js";
import { refusedBefore, reportsOf } from "../src/workload/queries.js";
import { YEAR_START, YearProfile } from "../src/workload/time.js";
import { collectTrail } from "../src/audit/trail.js";
import { verifyTrail } from "../src/audit/verify.js";
import { samplePicker } from "../src/cli/args.js";
import { contractsOf } from "../src/chain/contracts.js";
import { manifestPath, readManifest } from "../src/chain/manifest.js";
import { NodeStore, splitHashes } from "../src/store/nodeStore.js";
import { NodeStores } from "../src/store/stores.js";
import { chunkRecords, computeChunk, type ChunkSpec } from "../src/replay/chunks.js";
import { rejection } from "./helpers/expect.js";
import { ROOT, runHardhat, startHardhatNode, type HardhatNode } from "./helpers/processes.js";

const seeds = loadSeeds();
const cfg = loadWorkloadConfig(seeds);

function population(seed: string, total: number): Population {
  const counts = apportion(
    total,
    seeds.cities.map((c) => cfg.enterpriseShares.get(c.code)!),
  );
  return new Population(seed, seeds.cities, counts, cfg.financingShare, cfg.correctionShare, cfg.revocationShare, cfg.objectionShare);
}

describe("workload generator", () => {
  it("gives every enterprise a valid, unique code in its city, as a pure function of the seed", () => {
    const pop = population("w", 200_000);
    expect(pop.counts.reduce((a, b) => a + b, 0)).to.equal(200_000);
    for (let c = 0; c < seeds.cities.length; c++) {
      const codes = new Set<string>();
      for (let i = 0; i < Math.min(pop.counts[c], 5_000); i++) {
        const code = pop.code(c, i);
        validateUscc(code);
        expect(homeCity(code, seeds.cities).code).to.equal(seeds.cities[c].code);
        codes.add(code);
      }
      expect(codes.size).to.equal(Math.min(pop.counts[c], 5_000));
    }
    expect(population("w", 200_000).code(3, 77)).to.equal(pop.code(3, 77));
    expect(population("other", 200_000).code(3, 77)).to.not.equal(pop.code(3, 77));
  });

  it("generates valid records whose fast encoding is the canonical one", () => {
    const rng = new Random("records");
    const pop = population("w", 10_000);
    for (let k = 0; k < 600; k++) {
      const code = pop.code(k % 16, k);
      const r = generateRecord(rng, seeds.cities[k % 16].nameEn, code, 1 + (k % 3), 1 + (k % 2));
      expect(hexlify(fastEncodeRecord(r)), `record ${k}`).to.equal(hexlify(encodeRecord(r)));
    }
  });

  it("splits queries exactly: refused attempts and reports add up to the targets", () => {
    const plan = { served: 7_944, refused: 162, reports: 31_345 };
    let reports = 0;
    for (let s = 0; s < plan.served; s++) {
      const r = reportsOf(s, plan);
      expect(r).to.be.within(3, 4);
      reports += r;
    }
    expect(reports).to.equal(plan.reports);
    expect(refusedBefore(plan.served, plan)).to.equal(plan.refused);
  });

  it("puts queries in 2024 business hours on working days", () => {
    const p = new YearProfile(cfg.holidays, cfg.makeUpWorkdays);
    const times = Array.from({ length: 10_000 }, (_, i) => p.timeAt((i + 0.5) / 10_000));
    expect(times[0]).to.be.at.least(YEAR_START);
    expect(times.at(-1)!).to.be.below(YEAR_START + 366 * 86_400);
    for (let i = 1; i < times.length; i++) expect(times[i]).to.be.at.least(times[i - 1]);
    const local = (t: number) => new Date((t + 8 * 3600) * 1000);
    const business = times.filter((t) => local(t).getUTCHours() >= 9 && local(t).getUTCHours() < 17).length;
    expect(business / times.length).to.be.above(0.75);
    const springFestival = times.filter((t) => local(t).toISOString().slice(0, 10) === "2024-02-12").length;
    const ordinary = times.filter((t) => local(t).toISOString().slice(0, 10) === "2024-03-12").length;
    expect(springFestival * 5).to.be.below(ordinary);
  });
});

/** Salt secrets the stores of runs that are compared with each other take (each store otherwise makes a random one). */
const testSecrets = (node: string) => new Uint8Array(createHash("sha256").update(`test salt secret/${node}`).digest());

describe("replay salts: a secret of each node, not the seed", () => {
  const pop = population("salts", 20_000);
  const spec: ChunkSpec = { city: 0, slot: 0, slots: 1, chunk: 0, batchSize: 200 };

  it("two fresh stores make different secrets, so the same seed gives other salts and roots; one store always the same", () => {
    const [a, b] = [NodeStore.open(":memory:"), NodeStore.open(":memory:")];
    try {
      const secretA = a.saltSecret();
      expect(secretA).to.have.length(32);
      expect(hexlify(a.saltSecret()), "kept, not made again").to.equal(hexlify(secretA));
      expect(hexlify(b.saltSecret())).to.not.equal(hexlify(secretA));
      const [ra, rb] = [computeChunk(pop, spec, secretA), computeChunk(pop, spec, b.saltSecret())];
      expect(ra.batches.map((x) => hexlify(x.root))).to.deep.equal(computeChunk(pop, spec, a.saltSecret()).batches.map((x) => hexlify(x.root)));
      for (let k = 0; k < ra.batches.length; k++) expect(hexlify(rb.batches[k].root)).to.not.equal(hexlify(ra.batches[k].root));
      const [first] = chunkRecords(pop, spec, secretA);
      const [other] = chunkRecords(pop, spec, b.saltSecret());
      expect(hexlify(other.encoding), "the content still follows from the seed").to.equal(hexlify(first.encoding));
      expect(hexlify(other.salt)).to.not.equal(hexlify(first.salt));
      // a given secret is taken by a store without one, and refused by a store that has another
      const c = NodeStore.open(":memory:");
      expect(hexlify(c.saltSecret(testSecrets("sh-1")))).to.equal(hexlify(testSecrets("sh-1")));
      expect(() => c.saltSecret(testSecrets("sh-2"))).to.throw(/already has its own salt secret/);
      c.close();
    } finally {
      a.close();
      b.close();
    }
  });
});

describe("replay", function () {
  this.timeout(600_000);
  const base = (dataDir: string, over: Partial<ReplayOptions> = {}): ReplayOptions => ({
    scale: 0.0002,
    mode: "bulk",
    seed: "test-seed",
    batchSize: 300,
    workers: 0,
    dataDir,
    resume: false,
    progress: false,
    saltSecrets: testSecrets,
    ...over,
  });
  let reference: Awaited<ReturnType<typeof replay>>;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), "yrd-replay-"));
    reference = await replay(await network.create(), base(dir));
    rmSync(dir, { recursive: true, force: true });
  });

  it("meets the scaled targets exactly", () => {
    expect(reference.completed).to.equal(true);
    expect(reference.countsMatchTargets).to.equal(true);
    expect(reference.counts.enterprises).to.equal(4_631);
    expect(reference.counts.queries).to.equal(1_589);
    expect(reference.counts.reports).to.equal(6_269);
    expect(reference.counts.logEntries).to.equal(reference.counts.queries + reference.counts.refusedAttempts);
    expect(reference.roots).to.have.length(25);
  });

  it("same seed and salt secrets, same roots, at any worker count; another seed, other roots", async () => {
    const dir = mkdtempSync(join(tmpdir(), "yrd-replay-"));
    try {
      const withWorker = await replay(await network.create(), base(join(dir, "a"), { workers: 1 }));
      expect(withWorker.rootsDigest).to.equal(reference.rootsDigest);
      const other = await replay(await network.create(), base(join(dir, "b"), { seed: "another seed" }));
      expect(other.rootsDigest).to.not.equal(reference.rootsDigest);
      // an in-process chain is new each time: a folder holding an earlier one's stores is refused, not reused
      await rejection(replay(await network.create(), base(join(dir, "b"))), /holds the stores of an earlier in-process chain/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fresh stores with the same seed: other batch roots, the same query logs; an outsider with the seed cannot rebuild a leaf", async () => {
    const dir = mkdtempSync(join(tmpdir(), "yrd-replay-"));
    try {
      const own = await replay(await network.create(), base(join(dir, "own"), { saltSecrets: undefined }));
      expect(own.countsMatchTargets).to.equal(true);
      own.roots.forEach((r, k) => {
        expect(r.batchRootsDigest, r.node).to.not.equal(reference.roots[k].batchRootsDigest);
        expect(r.logRoot, r.node).to.equal(reference.roots[k].logRoot); // queries do not depend on record salts
      });
      const store = NodeStore.openReadOnly(join(dir, "own", "default-31337", "sh-1.sqlite"));
      try {
        const b = store.batches().find((x) => x.chunk !== null)!;
        const [, city, slot, chunk] = b.chunk!.split("/").map(Number);
        const spec: ChunkSpec = { city, slot, slots: seeds.nodes.filter((n) => n.city === seeds.cities[city].code).length, chunk, batchSize: 300 };
        const pop = population("test-seed", reference.counts.enterprises);
        const version = Number(b.step.split("/").at(-1));
        const leaves = (secret: Uint8Array) =>
          [...chunkRecords(pop, spec, secret)].filter((r) => r.category === b.category && r.version === version).map((r) => hexlify(r.leaf));
        const stored = splitHashes(store.batch(b.batchId!)!.leaves).map((l) => hexlify(l));
        // the node rebuilds its batch from the seed and its own secret …
        expect(leaves(store.saltSecret())).to.deep.equal(stored);
        // … an outsider with the seed and any other secret (the test secrets, a seed-derived one) matches no leaf
        for (const guess of [testSecrets("sh-1"), new Uint8Array(createHash("sha256").update("test-seed").digest())])
          expect(leaves(guess).filter((l) => stored.includes(l))).to.deep.equal([]);
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses bad options and a resume on the in-process chain", async () => {
    const dir = mkdtempSync(join(tmpdir(), "yrd-replay-"));
    await rejection(replay(await network.create(), base(dir, { scale: 2 })), /--scale must be in \(0, 1\]/);
    await rejection(replay(await network.create(), base(dir, { scale: 1e-7 })), /too small/);
    await rejection(replay(await network.create(), base(dir, { batchSize: 0 })), /--batch-size/);
    await rejection(replay(await network.create(), base(dir, { mode: "fast" as "live" })), /--mode must be bulk or live/);
    await rejection(replay(await network.create(), base(dir, { resume: true })), /--resume needs a chain that outlives the process/);
    rmSync(dir, { recursive: true, force: true });
  });

  describe("live mode", () => {
    const liveScale = 0.00005;
    let live: Awaited<ReturnType<typeof replay>>;
    let liveDir: string;
    before(async () => {
      liveDir = mkdtempSync(join(tmpdir(), "yrd-replay-"));
      process.env.YRD_DEPLOYMENTS_DIR = join(liveDir, "deployments");
      live = await replay(await network.create(), base(liveDir, { mode: "live", scale: liveScale }));
    });
    after(() => {
      delete process.env.YRD_DEPLOYMENTS_DIR;
      rmSync(liveDir, { recursive: true, force: true });
    });

    it("one transaction per step, the same counts, and an audit that proves what it sent", async () => {
      const conn = await network.create(); // the replay's chain is gone: check its stores against a rerun's chain below
      expect(live.countsMatchTargets, JSON.stringify(live.counts)).to.equal(true);
      const [records, queries] = live.phases;
      expect(records.transactions).to.be.at.least(live.counts.records); // one attest per record (+ revocations)
      expect(queries.transactions).to.be.at.least(3 * live.counts.queries); // authorization, request, fulfilment
      expect(records.latencyMs!.p99).to.be.at.least(records.latencyMs!.p50);
      expect(live.options.epoch).to.be.a("number");
      // same seed and epoch on a fresh chain: the same roots; the audit proves the rerun's records and queries
      const dir = mkdtempSync(join(tmpdir(), "yrd-replay-"));
      process.env.YRD_DEPLOYMENTS_DIR = join(dir, "deployments");
      try {
        const again = await replay(conn, base(dir, { mode: "live", scale: liveScale, epoch: live.options.epoch }));
        expect(again.rootsDigest).to.equal(live.rootsDigest);
        expect(again.counts).to.deep.equal(live.counts);
        const manifest = readManifest(join(dir, "default-31337", "manifest.json"))!;
        const c = await contractsOf(conn, manifest);
        expect(await c.desk.queryCount()).to.equal(BigInt(live.counts.queries)); // each query requested once
        const stores = new NodeStores(dir, manifest);
        try {
          const rows = await collectTrail(conn, manifest, c, {});
          expect(rows.filter((r) => r.kind === "attestation")).to.have.length(live.counts.records);
          expect(rows.filter((r) => r.kind === "query-fulfilled")).to.have.length(live.counts.queries);
          const findings = await verifyTrail(c, manifest, stores, rows, {}, { sample: 30, pick: samplePicker("live") });
          expect(findings.filter((f) => !f.ok)).to.deep.equal([]);
          expect(findings.filter((f) => f.subject.startsWith("record "))).to.have.length(30);
          expect(findings.filter((f) => f.subject.startsWith("log entry "))).to.have.length(30);
        } finally {
          stores.close();
        }
      } finally {
        process.env.YRD_DEPLOYMENTS_DIR = join(liveDir, "deployments");
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("refuses an epoch in bulk mode or outside the chain's authorization window", async () => {
      const dir = mkdtempSync(join(tmpdir(), "yrd-replay-"));
      try {
        await rejection(replay(await network.create(), base(dir, { epoch: 1_700_000_000 })), /--epoch applies to live mode only/);
        const future = Math.floor(Date.now() / 1000) + 86_400;
        await rejection(
          replay(await network.create(), base(dir, { mode: "live", scale: liveScale, epoch: future })),
          /--epoch must be a unix time within the 29 days before the chain's clock/,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("on a hardhat node, stopped while attesting, authorizing and requesting, it resumes to the uninterrupted run's roots", async () => {
      const node = await startHardhatNode();
      const dir = mkdtempSync(join(tmpdir(), "yrd-replay-"));
      process.env.YRD_DEPLOYMENTS_DIR = join(dir, "deployments");
      try {
        const connect = () => network.create({ network: "localhost", override: { url: node.url } });
        const opts = (over: Partial<ReplayOptions>) => base(dir, { mode: "live", scale: liveScale, ...over });
        const [records, queries] = live.phases.map((p) => p.transactions);
        await rejection(replay(await connect(), opts({ epoch: live.options.epoch, stopAfterSteps: 40 })), /stopped after 40 chain steps/);
        // ~35% into the queries phase: binding signers or registering authorizations; then ~75%: requesting and fulfilling
        const manifest = readManifest(manifestPath("localhost", "31337"))!;
        const c = await contractsOf(await connect(), manifest);
        const state = () => JSON.parse(readFileSync(join(dir, "localhost-31337", "replay.json"), "utf8"));
        await rejection(replay(await connect(), opts({ resume: true, stopAfterSteps: records - 40 + Math.floor(0.35 * queries) })), /stopped after/);
        expect(state().recordsDone).to.equal(true);
        expect(await c.desk.queryCount()).to.equal(0n); // stopped before the requests
        await rejection(replay(await connect(), opts({ resume: true, stopAfterSteps: Math.floor(0.4 * queries) })), /stopped after/);
        const requested = await c.desk.queryCount();
        expect(requested > 0n && requested < BigInt(live.counts.queries), `stopped among the requests (${requested})`).to.equal(true);
        expect(state().queryBlocksDone).to.equal(0);
        const resumed = await replay(await connect(), opts({ resume: true }));
        expect(resumed.rootsDigest).to.equal(live.rootsDigest);
        expect(resumed.counts).to.deep.equal(live.counts);
        expect(await c.desk.queryCount()).to.equal(BigInt(live.counts.queries)); // nothing requested twice
      } finally {
        process.env.YRD_DEPLOYMENTS_DIR = join(liveDir, "deployments");
        await node.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("interrupted and resumed on a hardhat node", () => {
    let node: HardhatNode;
    let dir: string;
    beforeEach(async () => {
      node = await startHardhatNode();
      dir = mkdtempSync(join(tmpdir(), "yrd-replay-"));
    });
    afterEach(async () => {
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    const connect = () => network.create({ network: "localhost", override: { url: node.url } });

    it("stopped inside the records phase and again inside the queries phase, it resumes to the same roots", async () => {
      process.env.YRD_DEPLOYMENTS_DIR = join(dir, "deployments");
      try {
        const err = await rejection(replay(await connect(), base(dir, { stopAfterSteps: 40 })), /stopped after 40 chain steps/);
        expect(err).to.be.instanceOf(ReplayInterrupted);
        await rejection(replay(await connect(), base(dir)), /a replay already ran on this deployment .*pass --resume to continue it, or --fresh/);
        await rejection(replay(await connect(), base(dir, { resume: true, seed: "x" })), /started with seed "test-seed", not "x"/);
        const recordSteps = reference.phases[0].transactions;
        await rejection(replay(await connect(), base(dir, { resume: true, stopAfterSteps: recordSteps - 40 + 5 })), /stopped after/);
        const state = JSON.parse(readFileSync(join(dir, "localhost-31337", "replay.json"), "utf8"));
        expect(state.recordsDone).to.equal(true);
        const resumed = await replay(await connect(), base(dir, { resume: true }));
        expect(resumed.rootsDigest).to.equal(reference.rootsDigest);
        expect(resumed.counts).to.deep.equal(reference.counts);
      } finally {
        delete process.env.YRD_DEPLOYMENTS_DIR;
      }
    });

    it("killed with SIGKILL from the command line, `--resume` finishes with the same roots, and the audit proves samples", async () => {
      const env = { YRD_LOCALHOST_PORT: String(node.port), YRD_DEPLOYMENTS_DIR: join(dir, "deployments") };
      const args = [
        "--network",
        "localhost",
        "replay",
        "--scale",
        "0.0002",
        "--seed",
        "test-seed",
        "--batch-size",
        "300",
        "--workers",
        "0",
        "--data-dir",
        join(dir, "data"),
        "--out",
        join(dir, "out"),
      ];
      const child = spawn(process.execPath, [join(ROOT, "node_modules/hardhat/dist/src/cli.js"), ...args], {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const state = join(dir, "data", "localhost-31337", "replay.json");
      // kill once a few batches are anchored (the state file exists and the first store has steps)
      await new Promise<void>((resolve, reject) => {
        const started = Date.now();
        const poll = setInterval(() => {
          const store = join(dir, "data", "localhost-31337", "sh-1.sqlite");
          if (existsSync(state) && existsSync(store) && Date.now() - started > 500) {
            clearInterval(poll);
            setTimeout(() => {
              child.kill("SIGKILL");
              resolve();
            }, 300);
          } else if (Date.now() - started > 120_000) {
            clearInterval(poll);
            reject(new Error("the replay did not start"));
          }
        }, 50);
      });
      await new Promise((r) => child.once("close", r));
      const before = JSON.parse(readFileSync(state, "utf8"));
      expect(before.queryBlocksDone, "killed before the end").to.equal(0);
      const resumed = await runHardhat([...args, "--resume"], env);
      expect(resumed.code, resumed.stderr).to.equal(0);
      // the command's stores made their own salt secrets: an uninterrupted run (in process) with those secrets
      // gives the same roots, and without them other batch roots
      const uninterrupted = await runHardhat(
        [
          "replay",
          ...args.slice(3, 11),
          "--out",
          join(dir, "out"),
          "--data-dir",
          join(dir, "again"),
          "--salt-secrets-from",
          join(dir, "data", "localhost-31337"),
        ],
        {},
      );
      expect(uninterrupted.code, uninterrupted.stderr).to.equal(0);
      const digest = /roots digest (0x[0-9a-f]{64})/.exec(uninterrupted.stdout)![1];
      expect(resumed.stdout).to.include(`roots digest ${digest}`);
      expect(digest).to.not.equal(reference.rootsDigest);
      expect(resumed.stdout).to.match(/counts match the targets: yes/);
      const audit = await runHardhat(
        ["--network", "localhost", "audit", "--verify", "--sample", "8", "--format", "json", "--data-dir", join(dir, "data")],
        env,
      );
      expect(audit.code, audit.stderr + audit.stdout.slice(-2000)).to.equal(0);
      const v = JSON.parse(audit.stdout).verification;
      expect(v.failed).to.equal(0);
      const subjects: string[] = v.findings.map((f: { subject: string }) => f.subject);
      expect(subjects.filter((x) => x.startsWith("replayed record"))).to.have.length(8);
      expect(subjects.filter((x) => x.startsWith("replayed query"))).to.have.length(8);
      expect(subjects.filter((x) => x.startsWith("batch "))).to.have.length(8);
    });
  });
});
