/**
 * Headless Chromium for the explorer's end-to-end test and benchmark: the system's /usr/bin/chromium (Debian
 * package `chromium`) driven by playwright-core, with a fresh profile folder, no sandbox (containers), no GPU,
 * and nothing that reaches the network on its own (first-run, background networking, component updates, sync).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";

export const CHROMIUM = process.env.YRD_CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Chromium> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install the Debian package (apt-get install chromium) or set YRD_CHROMIUM`);
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "yrd-chromium-"));
  try {
    // playwright passes --headless and this fresh --user-data-dir itself
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1440, height: 900 },
      timeout: 60_000,
    });
    return {
      context,
      close: async () => {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}
