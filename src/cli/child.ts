/** The Hardhat CLI of this project in a child process, bounded in time (benchmarks and end-to-end tests). */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { PROJECT_ROOT } from "../network/manifest.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** True when `killWhen` stopped it (SIGKILL, as a crash would). */
  killed?: boolean;
}

/**
 * Runs `hardhat <args>` under this Node, bounded in time, in `cwd` (default: this repository) with `env` added to
 * this process's environment — or, with `bare`, to it less the HARDHAT_* and YRD_* variables (under `hardhat
 * test`, HARDHAT_CONFIG names this repository's config), as in a user's shell. `killWhen`: SIGKILL it as soon as
 * its output so far satisfies this (the tests of interruptions).
 */
export function runHardhat(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 120_000,
  opts: { cwd?: string; bare?: boolean; killWhen?: (stderr: string, stdout: string) => boolean } = {},
): Promise<CliResult> {
  const cwd = opts.cwd ?? PROJECT_ROOT;
  const base = opts.bare ? Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(HARDHAT|YRD)_/.test(k))) : process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(cwd, "node_modules", "hardhat", "dist", "src", "cli.js"), ...args], {
      cwd,
      env: { ...base, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let killed = false;
    const watch = () => {
      if (!killed && opts.killWhen?.(stderr, stdout)) {
        killed = true;
        child.kill("SIGKILL");
      }
    };
    child.stdout.on("data", (d) => {
      stdout += d;
      watch();
    });
    child.stderr.on("data", (d) => {
      stderr += d;
      watch();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`hardhat ${args.join(" ")} timed out after ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ...(killed ? { killed } : {}) });
    });
  });
}
