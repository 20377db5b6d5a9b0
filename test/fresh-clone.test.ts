/**
 * A fresh clone has no artifacts/, cache/ or typechain-types/ (all git-ignored): every project task must compile
 * first when they are missing or stale, and stay quiet when nothing changed (hardhat.config.ts, compilingFirst).
 */
import { expect } from "chai";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, runHardhat, type CliResult } from "./helpers/processes.js";

/** What `git clone` brings that the tasks need; node_modules comes from `npm install` (here: a symlink). */
const CLONED = ["contracts", "scripts", "src", "seeds", "hardhat.config.ts", "package.json", "tsconfig.json"];
const GENERATED = ["artifacts", "cache", "typechain-types"];

/** `hardhat <args>` in the clone, in a user's environment. */
const hardhatIn = (cwd: string, args: string[], timeoutMs: number): Promise<CliResult> => runHardhat(args, {}, timeoutMs, { cwd, bare: true });

/** Modification times of the artifacts and build infos (the .json files under `dir`), by path. */
function mtimes(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".json")) continue;
    const path = join(entry.parentPath, entry.name);
    out.set(path, statSync(path).mtimeMs);
  }
  return out;
}

describe("fresh clone", function () {
  this.timeout(300_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "yrd-fresh-clone-"));
    for (const name of CLONED) cpSync(join(ROOT, name), join(dir, name), { recursive: true });
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a task compiles first when nothing is compiled, then stays quiet when nothing changed", async () => {
    for (const name of GENERATED) expect(existsSync(join(dir, name)), name).to.equal(false);

    const deploy = await hardhatIn(dir, ["yrd", "deploy", "--institutions", "30"], 240_000);
    expect(deploy.code, `${deploy.stdout}\n${deploy.stderr}`).to.equal(0);
    expect(deploy.stdout).to.match(/New deployment on default/);
    for (const name of ["ConsortiumRegistry", "CreditLedger", "ConsentRegistry", "QueryDesk", "QueryLog"]) {
      expect(existsSync(join(dir, "artifacts", "contracts", `${name}.sol`, `${name}.json`)), name).to.equal(true);
      expect(existsSync(join(dir, "typechain-types", `${name}.ts`)), `typechain-types/${name}.ts`).to.equal(true);
    }

    // Nothing changed: the next task compiles nothing (no artifact rewritten) and prints nothing about it.
    const before = mtimes(join(dir, "artifacts"));
    // (by the name of before: the aliases run the same tasks, compiling first too)
    const audit = await hardhatIn(dir, ["audit", "--format", "json"], 120_000);
    expect(audit.code, `${audit.stdout}\n${audit.stderr}`).to.equal(0);
    expect(() => JSON.parse(audit.stdout), "stdout is the JSON report only").not.to.throw();
    expect(`${audit.stdout}\n${audit.stderr}`).not.to.match(/compil|solc/i);
    expect(before.size).to.be.greaterThan(10);
    expect(mtimes(join(dir, "artifacts"))).to.deep.equal(before);

    // the README's first command (`npm run demo`)
    const demo = await hardhatIn(dir, ["yrd", "demo"], 120_000);
    expect(demo.code, `${demo.stdout}\n${demo.stderr}`).to.equal(0);
    expect(demo.stdout).to.match(/verification: \d+ passed, 0 failed/);
  });

  it("the committed lockfile lists EDR's native package for every platform, so `npm install` leaves a clone clean", () => {
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { optionalDependencies?: Record<string, string> }>;
    };
    const edr = lock.packages["node_modules/@nomicfoundation/edr"];
    const natives = Object.keys(edr.optionalDependencies ?? {});
    expect(natives.length).to.be.greaterThan(3);
    for (const name of natives) expect(lock.packages[`node_modules/${name}`], name).to.not.equal(undefined);
  });
});
