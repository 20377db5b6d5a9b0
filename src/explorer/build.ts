/**
 * The explorer's web app (explorer/: Vite, React, Mantine, Chart.js) is built into explorer/dist/ (git-ignored)
 * when the build is missing or stale: its inputs (sources, config, the API types, the versions of the packages
 * it bundles) are hashed, and the hash is kept beside the build. The build type-checks first (`tsc -p explorer`).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { PROJECT_ROOT } from "../network/manifest.js";

export const WEB_DIR = join(PROJECT_ROOT, "explorer");
export const WEB_DIST = join(WEB_DIR, "dist");
const HASH_FILE = join(WEB_DIST, ".build-hash");
const BUNDLED = ["vite", "@vitejs/plugin-react", "react", "react-dom", "@mantine/core", "@mantine/hooks", "chart.js"];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

/** The hash of everything the build depends on. */
export function webInputsHash(): string {
  const h = createHash("sha256");
  const inputs = [
    ...["index.html", "vite.config.ts", "tsconfig.json"].map((f) => join(WEB_DIR, f)),
    ...files(join(WEB_DIR, "src")),
    join(PROJECT_ROOT, "src", "explorer", "api.ts"),
  ].sort();
  for (const f of inputs) h.update(relative(PROJECT_ROOT, f)).update("\0").update(readFileSync(f)).update("\0");
  for (const p of BUNDLED) {
    const pkg = join(PROJECT_ROOT, "node_modules", p, "package.json");
    h.update(`${p}@${existsSync(pkg) ? (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version : "missing"}\0`);
  }
  return h.digest("hex");
}

export function webBuildIsFresh(): boolean {
  return existsSync(HASH_FILE) && existsSync(join(WEB_DIST, "index.html")) && readFileSync(HASH_FILE, "utf8").trim() === webInputsHash();
}

function run(args: string[], what: string): Promise<void> {
  return new Promise((ok, fail) => {
    // always a production build (React's development build is larger and slower), whatever NODE_ENV the caller runs with (mocha sets "test")
    const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_ENV: "production" } });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", fail);
    child.on("close", (code) => (code === 0 ? ok() : fail(new Error(`${what} failed (exit code ${code}):\n${out.trim()}`))));
  });
}

/** Builds the web app unless the build is fresh; returns the folder to serve. One build at a time (a lock folder). */
export async function ensureWebBuild(log: (line: string) => void = () => {}): Promise<string> {
  if (webBuildIsFresh()) return WEB_DIST;
  const lock = join(WEB_DIR, ".build-lock");
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      if (Date.now() - statSync(lock).mtimeMs > 300_000) break; // left by a killed build
      if (Date.now() > deadline) throw new Error(`another build holds ${lock} for over 5 minutes; remove that folder if no build is running`, { cause: e });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (webBuildIsFresh()) return WEB_DIST; // built by the one we waited for
    log(`building the explorer's web app into ${relative(process.cwd(), WEB_DIST) || WEB_DIST} (its sources changed or it was never built)…`);
    const started = Date.now();
    await run(
      [join(PROJECT_ROOT, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", join(WEB_DIR, "tsconfig.json")],
      "type-checking the web app (tsc -p explorer)",
    );
    await run(
      [join(PROJECT_ROOT, "node_modules", "vite", "bin", "vite.js"), "build", "--config", join(WEB_DIR, "vite.config.ts"), "--logLevel", "warn"],
      "building the web app (vite build)",
    );
    writeFileSync(HASH_FILE, webInputsHash() + "\n");
    log(`web app built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return WEB_DIST;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
