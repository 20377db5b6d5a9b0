/** Runs a script's body: expected failures (bad input, bad seeds, a refused transaction) print one clear line and exit non-zero. */
import { SeedError } from "../seeds.js";

export async function runCli(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    const err = e as Error & { shortMessage?: string; reason?: string };
    const what = err instanceof SeedError ? "invalid seed" : "error";
    console.error(`${what}: ${err.reason ?? err.shortMessage ?? err.message}`);
    if (process.env.YRD_DEBUG) console.error(err.stack);
    process.exitCode = 1;
  }
}
