import { expect } from "chai";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { network } from "hardhat";
import { deployConsortium, institutionKinds } from "../src/chain/deploy.js";
import { readManifest, writeManifest } from "../src/chain/manifest.js";
import { SEEDS_DIR, SeedError, loadSeeds } from "../src/seeds.js";
import { rejection } from "./helpers/expect.js";
import { runHardhat, startHardhatNode, type HardhatNode } from "./helpers/processes.js";

function corruptSeedsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "yrd-bad-seeds-"));
  cpSync(SEEDS_DIR, dir, { recursive: true });
  const nodes = JSON.parse(readFileSync(join(dir, "nodes.json"), "utf8"));
  nodes.nodes[3].id = nodes.nodes[0].id;
  writeFileSync(join(dir, "nodes.json"), JSON.stringify(nodes));
  return dir;
}

describe("deploy", function () {
  this.timeout(180_000);

  it("splits institutions into kinds exactly by the seed shares", () => {
    const kinds = institutionKinds(loadSeeds().institutions, 899);
    const count = (k: string) => kinds.filter((x) => x === k).length;
    expect(kinds).to.have.length(899);
    expect([count("bank"), count("guarantee"), count("microloan"), count("other")]).to.deep.equal([494, 180, 135, 90]);
    // interleaved, not in blocks: every run of 25 consecutive institutions (one per node) has at least 2 kinds
    for (let i = 0; i + 25 <= kinds.length; i += 25) expect(new Set(kinds.slice(i, i + 25)).size).to.be.greaterThan(1);
  });

  describe("on a hardhat node started on a free 127.0.0.1 port", () => {
    let node: HardhatNode;
    let dir: string;
    before(async () => {
      node = await startHardhatNode();
      dir = mkdtempSync(join(tmpdir(), "yrd-deployments-"));
    });
    after(async () => {
      await node?.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    const connect = () => network.create({ network: "localhost", override: { url: node.url } });

    it("deploys once, then finds and verifies the deployment instead of deploying again", async () => {
      const conn = await connect();
      const first = await deployConsortium(conn, { institutions: 30, deploymentsDir: dir });
      expect(first.reused).to.equal(false);
      expect(first.path).to.equal(join(dir, "localhost-31337.json"));
      expect(first.manifest.nodes).to.have.length(25);
      expect(new Set(first.manifest.nodes.map((n) => n.operator)).size).to.equal(25);
      expect(first.manifest.institutions).to.have.length(30);
      const blockAfterFirst = await conn.ethers.provider.getBlockNumber();

      const second = await deployConsortium(await connect(), { institutions: 30, deploymentsDir: dir });
      expect(second.reused).to.equal(true);
      expect(second.manifest.contracts).to.deep.equal(first.manifest.contracts);
      expect(await conn.ethers.provider.getBlockNumber()).to.equal(blockAfterFirst); // no transaction sent

      await rejection(deployConsortium(conn, { institutions: 31, deploymentsDir: dir }), /has 30 institutions, 31 were asked for/);

      const fresh = await deployConsortium(conn, { institutions: 30, deploymentsDir: dir, dataDir: join(dir, "data"), fresh: true });
      expect(fresh.reused).to.equal(false);
      expect(fresh.replacedBecause).to.equal("--fresh");
      // the old manifest is archived, not overwritten
      expect(readManifest(fresh.archived!.manifest!)!.contracts).to.deep.equal(first.manifest.contracts);
      expect(fresh.manifest.contracts.ConsortiumRegistry.address).to.not.equal(first.manifest.contracts.ConsortiumRegistry.address);
    });

    it("refuses a manifest that disagrees with the chain", async () => {
      const conn = await connect();
      const { path, manifest } = await deployConsortium(conn, { institutions: 30, deploymentsDir: dir });
      const tampered = structuredClone(manifest);
      tampered.nodes[4].operator = tampered.nodes[5].operator;
      writeManifest(path, tampered);
      await rejection(deployConsortium(conn, { institutions: 30, deploymentsDir: dir }), /node nj-1 \(id 5\) on chain differs from the manifest/);
      writeManifest(path, manifest);
    });

    it("a corrupt seed stops deployment before any transaction", async () => {
      const conn = await connect();
      const before = await conn.ethers.provider.getBlockNumber();
      const bad = corruptSeedsDir();
      const previous = process.env.YRD_SEEDS_DIR;
      process.env.YRD_SEEDS_DIR = bad;
      try {
        const own = mkdtempSync(join(tmpdir(), "yrd-deployments-"));
        const err = await rejection(deployConsortium(conn, { deploymentsDir: own, dataDir: own, fresh: true }), /duplicate node id sh-1/);
        expect(err).to.be.instanceOf(SeedError);
        expect(readdirSync(own)).to.deep.equal([]);
      } finally {
        if (previous === undefined) delete process.env.YRD_SEEDS_DIR;
        else process.env.YRD_SEEDS_DIR = previous;
        rmSync(bad, { recursive: true, force: true });
      }
      expect(await conn.ethers.provider.getBlockNumber()).to.equal(before);
    });

    it("the deploy task is idempotent from the command line", async () => {
      const env = { YRD_LOCALHOST_PORT: String(node.port), YRD_DEPLOYMENTS_DIR: join(dir, "cli") };
      const first = await runHardhat(["--network", "localhost", "deploy", "--institutions", "25"], env);
      expect(first.code, first.stderr).to.equal(0);
      expect(first.stdout).to.match(/New deployment on localhost \(chain 31337\)/);
      expect(first.stdout).to.match(/total\s+25\s+25/);
      const second = await runHardhat(["--network", "localhost", "deploy", "--institutions", "25"], env);
      expect(second.code, second.stderr).to.equal(0);
      expect(second.stdout).to.match(/verified, reusing it/);
      expect(second.stdout).to.match(/Existing deployment on localhost/);
      const m = readManifest(join(dir, "cli", "localhost-31337.json"));
      expect(m?.institutions).to.have.length(25);
    });
  });

  it("the deploy task exits non-zero on a corrupt seed and writes nothing", async () => {
    const bad = corruptSeedsDir();
    const out = mkdtempSync(join(tmpdir(), "yrd-deployments-"));
    try {
      const r = await runHardhat(["deploy"], { YRD_SEEDS_DIR: bad, YRD_DEPLOYMENTS_DIR: out });
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/invalid seed: seed nodes.json: nodes\[3\]\.id: duplicate node id sh-1/);
      expect(existsSync(join(out, "default-31337.json"))).to.equal(false);
    } finally {
      rmSync(bad, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  });
});
