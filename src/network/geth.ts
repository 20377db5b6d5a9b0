/**
 * geth for the multi-node network: go-ethereum 1.13 (the last line that seals Clique proof-of-authority
 * blocks), built once with the local Go toolchain into the project's git-ignored `.tools/bin/` and reused.
 *
 * Go fetches the module through the Go module proxy. Go ≥ 1.23 refuses to link geth 1.13's
 * github.com/fjl/memsize (it reaches into the runtime by `go:linkname`); that library only backs a debug
 * endpoint we never enable, so the build passes `-ldflags=-checklinkname=0`.
 */
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "./manifest.js";

export const GETH_VERSION = "1.13.15";
export const GETH_MODULE = "github.com/ethereum/go-ethereum/cmd/geth";
/** Bound of a build (a cold build with the module download takes 2-3 minutes). */
const BUILD_TIMEOUT_MS = 20 * 60_000;

export class GethError extends Error {}

export function toolsBinDir(): string {
  return join(PROJECT_ROOT, ".tools", "bin");
}

/** The version geth reports ("1.13.15-stable"), or undefined if it does not run. */
export function gethVersionOf(path: string): string | undefined {
  const r = spawnSync(path, ["version"], { encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0) return undefined;
  return /^Version:\s*(\S+)/m.exec(r.stdout)?.[1];
}

/** The Go toolchain's version as [major, minor], or undefined when `go` is not on PATH. */
function goVersion(): [number, number] | undefined {
  const r = spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8", timeout: 30_000 });
  if (r.error || r.status !== 0) return undefined;
  const m = /go(\d+)\.(\d+)/.exec(r.stdout);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function acceptable(version: string | undefined): boolean {
  return version !== undefined && /^1\.13\.\d+/.test(version);
}

export interface Geth {
  path: string;
  version: string;
  built: boolean;
}

/**
 * The geth to run: YRD_GETH when set (it must be a 1.13.x), else `.tools/bin/geth`, built first if missing.
 * Throws one line when it cannot be had (no Go, a failed build: the build log is named).
 */
export async function ensureGeth(log: (line: string) => void = () => {}): Promise<Geth> {
  const override = process.env.YRD_GETH;
  if (override) {
    const v = gethVersionOf(override);
    if (!acceptable(v)) throw new GethError(`YRD_GETH=${override} is not a runnable geth 1.13.x (it reports ${v ?? "nothing"}): Clique needs geth 1.13`);
    return { path: override, version: v!, built: false };
  }
  const bin = toolsBinDir();
  const path = join(bin, "geth");
  if (existsSync(path)) {
    const v = gethVersionOf(path);
    if (acceptable(v)) return { path, version: v!, built: false };
    log(`${path} reports version ${v ?? "nothing"}: rebuilding geth v${GETH_VERSION}`);
  }
  const go = goVersion();
  if (!go)
    throw new GethError(
      `the multi-node network needs geth v${GETH_VERSION}, built from source with Go (≥ 1.21), and \`go\` is not on PATH: install Go, or set YRD_GETH to a geth 1.13 binary (everything else in the project works without Go)`,
    );
  mkdirSync(bin, { recursive: true });
  const buildLog = join(PROJECT_ROOT, ".tools", "geth-build.log");
  const args = ["install"];
  if (go[0] > 1 || go[1] >= 23) args.push("-ldflags=-checklinkname=0");
  args.push(`${GETH_MODULE}@v${GETH_VERSION}`);
  log(`building geth v${GETH_VERSION} with Go ${go.join(".")} (first time only, a few minutes; output in ${buildLog})…`);
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(buildLog);
    const child = spawn("go", args, {
      cwd: PROJECT_ROOT,
      // GOTOOLCHAIN=local: build with the installed Go, never fetch another toolchain
      env: { ...process.env, GOBIN: bin, GOTOOLCHAIN: "local", CGO_ENABLED: process.env.CGO_ENABLED ?? "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    const timer = setTimeout(() => child.kill("SIGKILL"), BUILD_TIMEOUT_MS);
    child.on("error", (e) => {
      clearTimeout(timer);
      out.end();
      reject(new GethError(`could not run go: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      out.end();
      if (code === 0) resolve();
      else
        reject(
          new GethError(
            `building geth v${GETH_VERSION} failed (${signal ? `stopped after ${BUILD_TIMEOUT_MS / 60_000} min` : `exit code ${code}`}): see ${buildLog}`,
          ),
        );
    });
  });
  const v = gethVersionOf(path);
  if (!acceptable(v)) throw new GethError(`the geth built at ${path} reports version ${v ?? "nothing"}, expected ${GETH_VERSION}`);
  log(`built geth ${v} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { path, version: v!, built: true };
}
