import { expect } from "chai";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SEEDS_DIR, SeedError, loadSeeds } from "../src/seeds.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests reach into the seeds' JSON freely to break it
type Mutator = (files: Record<string, any>) => void;

/** Copies the seeds to a temp folder, applies `mutate` to their parsed JSON and loads them. */
function loadMutated(mutate: Mutator): ReturnType<typeof loadSeeds> {
  const dir = mkdtempSync(join(tmpdir(), "yrd-seeds-"));
  try {
    cpSync(SEEDS_DIR, dir, { recursive: true });
    const names = ["cities.json", "nodes.json", "volumes-2024.json", "institutions.json"];
    const files: Parameters<Mutator>[0] = {};
    for (const n of names) files[n] = JSON.parse(readFileSync(join(dir, n), "utf8"));
    mutate(files);
    for (const n of names) writeFileSync(join(dir, n), JSON.stringify(files[n]));
    return loadSeeds(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function expectSeedError(mutate: Mutator, file: string, field: string, rule: RegExp): void {
  let err: unknown;
  try {
    loadMutated(mutate);
  } catch (e) {
    err = e;
  }
  expect(err, "a SeedError").to.be.instanceOf(SeedError);
  const se = err as SeedError;
  expect(se.file).to.equal(file);
  expect(se.field).to.equal(field);
  expect(se.rule).to.match(rule);
}

describe("seeds", () => {
  it("loads the shipped seeds: 16 cities, 25 nodes, the 2024 volumes", () => {
    const s = loadSeeds();
    expect(s.cities).to.have.length(16);
    expect(s.nodes).to.have.length(25);
    expect(s.volumes).to.include({ enterprises: 23_156_000, reports: 31_345_000, queries: 7_944_000, institutions: 899 });
    expect(
      s.cities
        .filter((c) => c.published)
        .map((c) => c.nameEn)
        .sort(),
    ).to.deep.equal(["Changzhou", "Hangzhou", "Hefei", "Nanjing", "Shanghai", "Suqian", "Suzhou", "Taizhou"]);
    expect(new Set(s.nodes.map((n) => n.city)).size).to.equal(16);
  });

  it("rejects a duplicate node id", () => {
    expectSeedError((f) => (f["nodes.json"].nodes[3].id = f["nodes.json"].nodes[0].id), "nodes.json", "nodes[3].id", /duplicate node id sh-1/);
  });

  it("rejects a node in an unknown city", () => {
    expectSeedError((f) => (f["nodes.json"].nodes[5].city = "110100"), "nodes.json", "nodes[5].city", /unknown city 110100/);
  });

  it("rejects a node count that is not the published 25", () => {
    expectSeedError((f) => f["nodes.json"].nodes.splice(1, 1), "nodes.json", "nodes", /has 24 nodes, volumes-2024.json says 25/);
  });

  it("rejects a city without a node", () => {
    expectSeedError(
      (f) => (f["nodes.json"].nodes = f["nodes.json"].nodes.filter((n: { city: string }) => n.city !== "340200")),
      "nodes.json",
      "nodes",
      /city 340200 \(Wuhu\) has no node/,
    );
  });

  it("rejects a malformed division code and a prefix that does not match it", () => {
    expectSeedError((f) => (f["cities.json"].cities[2].code = "32020"), "cities.json", "cities[2].code", /6-digit/);
    expectSeedError((f) => (f["cities.json"].cities[2].prefix = "3203"), "cities.json", "cities[2].prefix", /prefix of code 320200/);
  });

  it("rejects overlapping city prefixes and duplicate cities", () => {
    expectSeedError(
      (f) => {
        f["cities.json"].cities[1].code = "310100";
        f["cities.json"].cities[1].prefix = "3101";
      },
      "cities.json",
      "cities[1].prefix",
      /overlaps prefix 31/,
    );
    expectSeedError((f) => (f["cities.json"].cities[3] = { ...f["cities.json"].cities[2] }), "cities.json", "cities[3].code", /duplicate city code/);
  });

  it("rejects a province outside the YRD and a missing name", () => {
    expectSeedError((f) => (f["cities.json"].cities[0].province = "Beijing"), "cities.json", "cities[0].province", /YRD province/);
    expectSeedError((f) => delete f["cities.json"].cities[4].nameZh, "cities.json", "cities[4].nameZh", /non-empty string/);
  });

  it("rejects volumes that are not positive integers and a city count that disagrees", () => {
    expectSeedError((f) => (f["volumes-2024.json"].queries = -1), "volumes-2024.json", "queries", /positive integer/);
    expectSeedError((f) => (f["volumes-2024.json"].cities = 17), "cities.json", "cities", /has 16 cities, volumes-2024.json says 17/);
  });

  it("rejects an institution mix whose shares do not sum to 1 or name an unknown kind", () => {
    expectSeedError((f) => (f["institutions.json"].kinds[0].share = 0.5), "institutions.json", "kinds", /sum to 1/);
    expectSeedError((f) => (f["institutions.json"].kinds[1].kind = "insurer"), "institutions.json", "kinds[1].kind", /must be one of/);
  });

  it("rejects a file that is not JSON, naming the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "yrd-seeds-"));
    try {
      cpSync(SEEDS_DIR, dir, { recursive: true });
      writeFileSync(join(dir, "nodes.json"), "{ not json");
      expect(() => loadSeeds(dir)).to.throw(SeedError, /seed nodes.json: \(file\): is not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
