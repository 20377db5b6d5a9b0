/**
 * The multi-node chain: four geth Clique validators on 127.0.0.1 in a temporary folder (geth is built into
 * .tools/bin first if it is missing: a few minutes, once). Every wait is bounded; every geth is stopped at the
 * end, also when a test fails.
 */
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEST_MNEMONIC as CONFIG_MNEMONIC } from "../hardhat.config.js";
import { chooseValidators, cliqueGenesis, mnemonicWallet, TEST_MNEMONIC, YRD_CHAIN_ID } from "../src/network/genesis.js";
import { readNetworkManifest, networkManifestPath, type NetworkManifest } from "../src/network/manifest.js";
import { downNetwork, networkStatus, upNetwork } from "../src/network/network.js";
import { blockOf, headOf, isValidatorProcess, killValidator, signerOf, stopValidator } from "../src/network/validators.js";
import { loadSeeds } from "../src/seeds.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until `check` holds; returns its last value. */
async function until<T>(what: string, timeoutMs: number, get: () => Promise<T>, check: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await get();
  while (!check(v)) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(v)})`);
    await sleep(250);
    v = await get();
  }
  return v;
}

describe("genesis of the multi-node chain", () => {
  it("uses the config's test mnemonic, our own chain id, and the operators of the chosen nodes as signers", () => {
    expect(TEST_MNEMONIC).to.equal(CONFIG_MNEMONIC);
    const seeds = loadSeeds();
    const four = chooseValidators(seeds.nodes, seeds.cities, 4);
    expect(four.map((v) => v.seed.id)).to.deep.equal(["sh-1", "nj-1", "hz-1", "hf-1"]);
    expect(four.map((v) => v.accountIndex)).to.deep.equal([2, 6, 15, 24]); // account 2 + position in seeds/nodes.json
    const all = chooseValidators(seeds.nodes, seeds.cities, 25);
    expect(new Set(all.map((v) => v.seed.id)).size).to.equal(25);
    expect(all.slice(0, 16).map((v) => v.seed.city)).to.have.members(seeds.cities.map((c) => c.code)); // one per city first

    const g = cliqueGenesis({ signers: four.map((v) => mnemonicWallet(v.accountIndex).address), period: 2 }) as {
      config: Record<string, unknown> & { clique: { period: number } };
      extraData: string;
      alloc: Record<string, unknown>;
    };
    expect(g.config.chainId).to.equal(YRD_CHAIN_ID).and.not.equal(31337);
    expect(g.config.clique.period).to.equal(2);
    expect(g.config).to.not.have.any.keys("shanghaiTime", "cancunTime", "terminalTotalDifficulty");
    expect((g.extraData.length - 2) / 2).to.equal(32 + 4 * 20 + 65);
    for (const v of four) expect(g.extraData).to.include(mnemonicWallet(v.accountIndex).address.toLowerCase().slice(2));
    expect(Object.keys(g.alloc)).to.have.length(64);
  });
});

describe("multi-node chain: 4 geth Clique validators on 127.0.0.1", function () {
  // a cold geth build (first run on a machine) takes a few minutes; the tests themselves well under one
  this.timeout(120_000);
  let dir: string;
  let m: NetworkManifest;
  const nodeOf = (id: string) => m.nodes.find((n) => n.id === id)!;
  const up = async () => (m = (await upNetwork({ dir, timeoutMs: 90_000 })).manifest);
  const heads = () => Promise.all(m.nodes.filter((n) => isValidatorProcess(n.pid, n.dataDir)).map((n) => headOf(n.httpPort)));

  before(async function () {
    this.timeout(25 * 60_000);
    dir = mkdtempSync(join(tmpdir(), "yrd-network-"));
    m = (await upNetwork({ dir, nodes: 4, period: 1, timeoutMs: 90_000 })).manifest;
  });
  after(async function () {
    this.timeout(120_000);
    if (dir && readNetworkManifest(networkManifestPath(dir))) await downNetwork(dir);
    // nothing of ours may survive, whatever happened
    for (const n of m?.nodes ?? []) expect(isValidatorProcess(n.pid, n.dataDir), `${n.id} still running`).to.equal(false);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("comes up: four validators peered on loopback, with the chain id and signers of the genesis", async () => {
    expect(m.nodes.map((n) => n.id)).to.deep.equal(["sh-1", "nj-1", "hz-1", "hf-1"]);
    expect(m.chainId).to.equal(String(YRD_CHAIN_ID));
    expect(m.gethVersion).to.match(/^1\.13\./);
    const s = await networkStatus(dir);
    expect(s.ok, s.problems.join("; ")).to.equal(true);
    for (const n of s.nodes) expect(n.peers).to.equal(3);
    const cfg = readFileSync(join(m.nodes[0].dataDir, "geth.toml"), "utf8");
    expect(cfg).to.include(`ListenAddr = "127.0.0.1:${m.nodes[0].p2pPort}"`);
    expect(m.nodes.every((n) => n.enode.includes("@127.0.0.1:"))).to.equal(true);
  });

  it("advances with blocks sealed by different signers, and every node has the same head hash and state root", async () => {
    const start = (await headOf(m.nodes[0].httpPort)).number;
    await until(
      "8 more blocks",
      30_000,
      () => headOf(m.nodes[0].httpPort),
      (h) => h.number >= start + 8,
    );
    const top = (await headOf(m.nodes[0].httpPort)).number;
    const signers = new Set(await Promise.all(Array.from({ length: 8 }, (_, k) => signerOf(m.nodes[0].httpPort, top - k))));
    expect(signers.size).to.be.greaterThanOrEqual(3); // Clique: a signer may seal only one of any 3 consecutive blocks of 4 signers
    for (const s of signers) expect(m.nodes.map((n) => n.operator.toLowerCase())).to.include(s.toLowerCase());
    // all at the same block: same hash, same state root
    const low = Math.min(...(await heads()).map((h) => h.number));
    const blocks = await Promise.all(m.nodes.map((n) => blockOf(n.httpPort, low)));
    expect(new Set(blocks.map((b) => b!.hash)).size).to.equal(1);
    expect(new Set(blocks.map((b) => b!.stateRoot)).size).to.equal(1);
  });

  it("goes on when one validator of four is killed (kill -9); restarted, it catches up to the same head", async () => {
    const victim = nodeOf("hz-1");
    const others = m.nodes.filter((n) => n !== victim);
    expect(killValidator(victim.pid, victim.dataDir)).to.equal(true);
    await until(
      "the killed geth gone",
      10_000,
      async () => isValidatorProcess(victim.pid, victim.dataDir),
      (alive) => !alive,
    );
    const at = (await headOf(others[0].httpPort)).number;
    await until(
      "5 more blocks from 3 of 4",
      30_000,
      () => headOf(others[0].httpPort),
      (h) => h.number >= at + 5,
    );
    expect((await networkStatus(dir)).ok).to.equal(false); // a node is down: status says so

    await up(); // starts the killed node again; waits until all four agree on an advancing head
    const top = (await headOf(others[0].httpPort)).number;
    await until(
      "the restarted node at the others' head",
      30_000,
      () => headOf(nodeOf("hz-1").httpPort),
      (h) => h.number >= top,
    );
    expect((await blockOf(nodeOf("hz-1").httpPort, top))!.hash).to.equal((await blockOf(others[0].httpPort, top))!.hash);
    expect((await networkStatus(dir)).ok).to.equal(true);
  });

  it("halts with two of four validators stopped (Clique needs more than half), and goes on when they are back", async () => {
    const stopped = [nodeOf("nj-1"), nodeOf("hf-1")];
    const left = m.nodes.filter((n) => !stopped.includes(n));
    await Promise.all(stopped.map((n) => stopValidator(n.pid, n.dataDir)));
    // two signers may seal a block or two more (each may sign one of any 3 consecutive blocks), then none. The two
    // may briefly hold different forks of those last blocks, so the chain counts as halted once neither head moved
    // for 5 s.
    const leftHeads = async () => Promise.all(left.map(async (n) => (await headOf(n.httpPort)).number));
    let last = (await leftHeads()).join(",");
    let stillSince = Date.now();
    const deadline = Date.now() + 30_000;
    while (Date.now() - stillSince < 5_000) {
      if (Date.now() > deadline) throw new Error(`the chain did not halt with 2 of 4 validators (heads ${last})`);
      await sleep(250);
      const h = (await leftHeads()).join(",");
      if (h !== last) [last, stillSince] = [h, Date.now()];
    }
    await sleep(2_000); // two more block periods: still nothing sealed
    expect((await leftHeads()).join(",")).to.equal(last);
    const halted = Math.max(...last.split(",").map(Number));

    await up(); // the two come back
    await until(
      "blocks again",
      30_000,
      () => headOf(left[0].httpPort),
      (h) => h.number >= halted + 3,
    );
    const s = await networkStatus(dir);
    expect(s.ok, s.problems.join("; ")).to.equal(true);
  });
});
