/**
 * Coverage of the contracts from what `hardhat test --coverage` leaves under coverage/: Hardhat's own line figures
 * (coverage/lcov.info), and statements and branches computed here from the hits it recorded (coverage/data/<runner>/
 * *.json: statement tag → hit count) and the statements of each source, instrumented the way Hardhat instruments
 * them (EDR's `addStatementCoverageInstrumentation`: same source name, same tags).
 *
 * Branches: Hardhat 3 (EDR) reports no branch coverage, so we count the two branches of every `if` statement, the
 * only branching statement of our contracts: taken when its body ran; not taken when its `else` ran, or (no
 * `else`) when the `if` ran more often than its body. The hit counts are summed over what Hardhat records (each
 * transaction of a mocha test, each run of a Solidity test), within which a statement may count once however often
 * it ran: "not taken" is then seen only when some recorded run passed the `if` without entering its body, and a
 * run that did both counts for "taken" only (conservative).
 * Conditional expressions (`?:`) and short-circuits (`&&`, `||`) are expressions, not statements, and are not
 * counted.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { addStatementCoverageInstrumentation, latestSupportedSolidityVersion } from "@nomicfoundation/edr";
import { formatTable } from "../cli/table.js";

/** Covered and total counts. */
export interface Ratio {
  covered: number;
  total: number;
}

export interface FileCoverage {
  file: string;
  lines: Ratio;
  statements: Ratio;
  branches: Ratio;
  uncoveredLines: number[];
  /** `line:taken` or `line:not taken` of each branch never taken. */
  uncoveredBranches: string[];
}

export interface ContractCoverage {
  files: FileCoverage[];
  total: { lines: Ratio; statements: Ratio; branches: Ratio };
  /** The runners whose hits were merged, with the time their data was written. */
  runners: { runner: string; writtenAt: string }[];
}

/** One instrumented statement: its tag and its place in the source (UTF-16 offsets, as JavaScript strings). */
export interface Statement {
  tag: string;
  start: number;
  end: number;
}

/** Per file (path relative to the project root): the line numbers Hardhat found and those it saw run. */
export function parseLcov(text: string): Map<string, { found: Set<number>; hit: Set<number> }> {
  const files = new Map<string, { found: Set<number>; hit: Set<number> }>();
  let current: { found: Set<number>; hit: Set<number> } | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("SF:")) {
      current = { found: new Set(), hit: new Set() };
      files.set(line.slice(3), current);
    } else if (line.startsWith("DA:") && current) {
      const [n, count] = line.slice(3).split(",").map(Number);
      if (!Number.isInteger(n) || !Number.isFinite(count)) throw new Error(`lcov: malformed line "${line}"`);
      current.found.add(n);
      if (count > 0) current.hit.add(n);
    }
  }
  return files;
}

/** The statements Hardhat instruments in `source`, named `sourceName` in the compilation (project/<path>). */
export function statementsOf(source: string, sourceName: string, solcVersion: string): Statement[] {
  const latest = latestSupportedSolidityVersion();
  const version = compareVersions(solcVersion, latest) <= 0 ? solcVersion : latest;
  const { metadata } = addStatementCoverageInstrumentation(source, sourceName, version);
  return metadata
    .filter((m) => m.kind === "statement")
    .map((m) => ({ tag: Buffer.from(m.tag).toString("hex"), start: m.startUtf16, end: m.endUtf16 }));
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; ++i) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

/** The hits of every runner under `dataDir` (coverage/data), summed, with when each runner's data was written. */
export function readHits(dataDir: string): { hits: Map<string, number>; runners: { runner: string; writtenAt: string }[] } {
  const hits = new Map<string, number>();
  const runners: { runner: string; writtenAt: string }[] = [];
  for (const runner of readdirSync(dataDir).sort()) {
    const dir = join(dataDir, runner);
    let latest = 0;
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".json"))) {
      const path = join(dir, f);
      latest = Math.max(latest, statSync(path).mtimeMs);
      const data = JSON.parse(readFileSync(path, "utf8")) as Record<string, number>;
      for (const [tag, count] of Object.entries(data)) hits.set(tag, (hits.get(tag) ?? 0) + count);
    }
    if (latest > 0) runners.push({ runner, writtenAt: new Date(latest).toISOString() });
  }
  return { hits, runners };
}

/** 1-based line of each UTF-16 offset of `source`. */
function lineOf(source: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < source.length; ++i) if (source[i] === "\n") starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/**
 * The branches of the `if` statements among `statements`: for each, whether its body ran ("taken") and whether
 * it was passed over ("not taken"), from the statement hits.
 */
export function branchesOf(source: string, statements: Statement[], hits: Map<string, number>): { line: number; side: "taken" | "not taken"; covered: boolean }[] {
  const line = lineOf(source);
  const sorted = [...statements].sort((a, b) => a.start - b.start || b.end - a.end);
  // the statement directly containing each statement (statements nest: a block holds its statements)
  const parent = new Map<Statement, Statement | undefined>();
  const stack: Statement[] = [];
  for (const s of sorted) {
    while (stack.length > 0 && stack[stack.length - 1].end <= s.start) stack.pop();
    parent.set(s, stack[stack.length - 1]);
    stack.push(s);
  }
  const out: { line: number; side: "taken" | "not taken"; covered: boolean }[] = [];
  for (const s of sorted) {
    if (!/^\s*if\s*\(/.test(source.slice(s.start, s.end))) continue;
    const children = sorted.filter((c) => parent.get(c) === s);
    if (children.length === 0) throw new Error(`coverage: the if statement at line ${line(s.start)} has no instrumented body`);
    const [body, orElse] = children;
    const ifHits = hits.get(s.tag) ?? 0;
    const bodyHits = hits.get(body.tag) ?? 0;
    out.push({ line: line(s.start), side: "taken", covered: bodyHits > 0 });
    out.push({ line: line(s.start), side: "not taken", covered: orElse ? (hits.get(orElse.tag) ?? 0) > 0 : ifHits > bodyHits });
  }
  return out;
}

/**
 * The coverage of every Solidity file under `contractsDir` (but `exclude`d folders), from Hardhat's lcov and the
 * recorded hits under `coverageDir`.
 */
export function contractCoverage(opts: { root: string; contractsDir: string; coverageDir: string; exclude: string[]; solcVersion: string }): ContractCoverage {
  const lcovPath = join(opts.coverageDir, "lcov.info");
  let lcovText: string;
  try {
    lcovText = readFileSync(lcovPath, "utf8");
  } catch {
    throw new Error(`${relative(opts.root, lcovPath)} not found: run \`npx hardhat test --coverage\` first`);
  }
  const lcov = parseLcov(lcovText);
  const { hits, runners } = readHits(join(opts.coverageDir, "data"));
  const files: FileCoverage[] = [];
  for (const path of solidityFiles(opts.contractsDir)) {
    const file = relative(opts.root, path);
    if (opts.exclude.some((dir) => file === dir || file.startsWith(dir.endsWith("/") ? dir : `${dir}/`))) continue;
    const source = readFileSync(path, "utf8");
    const statements = statementsOf(source, `project/${file}`, opts.solcVersion);
    if (statements.length === 0) continue; // interfaces, declarations only
    const lines = lcov.get(file);
    if (!lines) throw new Error(`${relative(opts.root, lcovPath)} has no record of ${file}: was it compiled by the coverage run?`);
    const branches = branchesOf(source, statements, hits);
    files.push({
      file,
      lines: { covered: lines.hit.size, total: lines.found.size },
      statements: { covered: statements.filter((s) => (hits.get(s.tag) ?? 0) > 0).length, total: statements.length },
      branches: { covered: branches.filter((b) => b.covered).length, total: branches.length },
      uncoveredLines: [...lines.found].filter((n) => !lines.hit.has(n)).sort((a, b) => a - b),
      uncoveredBranches: branches.filter((b) => !b.covered).map((b) => `${b.line}:${b.side}`),
    });
  }
  const sum = (pick: (f: FileCoverage) => Ratio): Ratio => ({
    covered: files.reduce((s, f) => s + pick(f).covered, 0),
    total: files.reduce((s, f) => s + pick(f).total, 0),
  });
  return { files, total: { lines: sum((f) => f.lines), statements: sum((f) => f.statements), branches: sum((f) => f.branches) }, runners };
}

function solidityFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...solidityFiles(path));
    else if (entry.name.endsWith(".sol")) out.push(path);
  }
  return out.sort();
}

/** A ratio in percent (100 when there is nothing to cover). */
export function percent(r: Ratio): number {
  return r.total === 0 ? 100 : (100 * r.covered) / r.total;
}

/** The table of files and total, with what is not covered. */
export function formatCoverage(c: ContractCoverage): string {
  const pct = (r: Ratio) => `${percent(r).toFixed(2)} (${r.covered}/${r.total})`;
  const rows = c.files.map((f) => [f.file, pct(f.lines), pct(f.statements), pct(f.branches), [...f.uncoveredLines.map(String), ...f.uncoveredBranches.map((b) => `branch ${b}`)].join(", ").slice(0, 70)]);
  rows.push(["total", pct(c.total.lines), pct(c.total.statements), pct(c.total.branches), ""]);
  return formatTable(["file", "lines %", "statements %", "branches %", "not covered (line, branch line:side)"], rows);
}

/** The thresholds `c` misses, one message each (empty when it meets them all). */
export function missedThresholds(c: ContractCoverage, min: { lines: number; statements: number; branches: number }): string[] {
  const out: string[] = [];
  for (const key of ["lines", "statements", "branches"] as const) {
    const p = percent(c.total[key]);
    if (p < min[key]) out.push(`contract ${key}: ${p.toFixed(2)} % is below the required ${min[key]} %`);
  }
  return out;
}
