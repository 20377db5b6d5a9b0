/**
 * The explorer's benchmark: the weight of the built web app (JavaScript of the first load, gzipped: the entry
 * and the chunks it imports statically; lazily loaded chunks counted apart) and how long the timeline of an
 * enterprise with 1,000 events takes to render in headless Chromium — from the moment the page has the data
 * to the frame after React committed the rows (the page's own performance measure "timeline-render"), and
 * from the click to the rows being there (request, server and render).
 */
import { readFileSync, readdirSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { toUtf8Bytes } from "ethers";
import type { ChainConnection } from "../chain/connection.js";
import { ensureWebBuild, WEB_DIST } from "../explorer/build.js";
import { launchChromium } from "../explorer/chromium.js";
import { startExplorer } from "../explorer/run.js";
import { attestRecords, type EncodedRecord } from "../ledger/attest.js";
import { Session } from "../session.js";

export interface ExplorerBench {
  measuredAt: string;
  js: { file: string; bytes: number; gzipBytes: number; firstLoad: boolean }[];
  firstLoadJsGzipBytes: number;
  allJsGzipBytes: number;
  /** The 500 KB budget of the issue. */
  firstLoadBudgetBytes: number;
  timeline: { events: number; runs: number; renderMs: number[]; renderMedianMs: number; clickToRowsMs: number[]; clickToRowsMedianMs: number };
  chromium: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The JavaScript files of the build; those index.html loads (its module script and modulepreload links) are the first load. */
export function webAppWeight(dist = WEB_DIST): Pick<ExplorerBench, "js" | "firstLoadJsGzipBytes" | "allJsGzipBytes"> {
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const loaded = new Set([...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]));
  const js = readdirSync(join(dist, "assets"))
    .filter((f) => f.endsWith(".js"))
    .map((f) => {
      const bytes = readFileSync(join(dist, "assets", f));
      return { file: `assets/${f}`, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length, firstLoad: loaded.has(`assets/${f}`) };
    });
  return {
    js,
    firstLoadJsGzipBytes: js.filter((f) => f.firstLoad).reduce((a, f) => a + f.gzipBytes, 0),
    allJsGzipBytes: js.reduce((a, f) => a + f.gzipBytes, 0),
  };
}

/** An enterprise with `events` attestations (3 categories, versions advancing), attested live through its home-city node. */
async function enterpriseWithEvents(session: Session, uscc: string, events: number, log: (l: string) => void): Promise<void> {
  let version = 0;
  for (let done = 0; done < events;) {
    version++;
    const batch: EncodedRecord[] = [];
    for (let category = 1; category <= 3 && done < events; category++, done++)
      batch.push({
        enterprise: uscc,
        category,
        encoding: toUtf8Bytes(`bench record ${category} v${version}`),
        recordJson: JSON.stringify({ category, version }),
      });
    await attestRecords(session, batch, { mode: "live" });
    if (version % 50 === 0) log(`${done} of ${events} events attested`);
  }
}

export async function measureExplorer(conn: ChainConnection, opts: { events?: number; runs?: number; log?: (l: string) => void } = {}): Promise<ExplorerBench> {
  const log = opts.log ?? (() => {});
  const events = opts.events ?? 1000;
  const runs = opts.runs ?? 5;
  const webRoot = await ensureWebBuild(log);
  const weight = webAppWeight(webRoot);
  const dataDir = mkdtempSync(join(tmpdir(), "yrd-bench-explorer-"));
  const uscc = "91340104MA2TXN4K1N"; // a Hefei enterprise (seeds/examples)
  try {
    const writer = await Session.open(conn, { dataDir, deploy: { institutions: 25 }, log });
    try {
      await enterpriseWithEvents(writer, uscc, events, log);
    } finally {
      writer.close();
    }
    const session = await Session.open(conn, { dataDir, readOnly: true, deployment: { manifest: writer.manifest, path: writer.manifestPath } });
    const running = await startExplorer(session, { port: 0, webRoot });
    const chromium = await launchChromium();
    try {
      const page = await chromium.context.newPage();
      const renderMs: number[] = [];
      const clickToRowsMs: number[] = [];
      for (let i = 0; i <= runs; i++) {
        // a fresh page each run, so all rows mount anew
        await page.goto(running.url);
        await page.getByRole("tab", { name: /Search/ }).click();
        await page.getByTestId("search-input").fill(uscc);
        const t0 = Date.now();
        await page.getByTestId("search-button").click();
        await page.waitForFunction(
          `performance.getEntriesByName("timeline-render").length > 0 && document.querySelectorAll("table[data-testid=timeline] tbody tr").length === ${events}`,
          undefined,
          { timeout: 60_000 },
        );
        const t1 = Date.now();
        const render = await page.evaluate(() => performance.getEntriesByName("timeline-render")[0].duration);
        if (i === 0) continue; // the first run warms the server's and the browser's caches
        renderMs.push(Math.round(render * 10) / 10);
        clickToRowsMs.push(t1 - t0);
      }
      const version = chromium.context.browser()?.version() ?? "unknown";
      return {
        measuredAt: new Date().toISOString(),
        ...weight,
        firstLoadBudgetBytes: 500 * 1024,
        timeline: { events, runs, renderMs, renderMedianMs: median(renderMs), clickToRowsMs, clickToRowsMedianMs: median(clickToRowsMs) },
        chromium: version,
      };
    } finally {
      await chromium.close();
      await running.close();
      session.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

/** The benchmark's figures as a table (printed, and written as markdown beside the JSON). */
export function explorerTable(r: ExplorerBench, formatTable: (header: string[], rows: (string | number)[][]) => string): string {
  return formatTable(
    ["explorer (npm run bench -- --only explorer)", "figure"],
    [
      ["first load: JavaScript, gzipped", `${kb(r.firstLoadJsGzipBytes)} (budget ${kb(r.firstLoadBudgetBytes)})`],
      ["all JavaScript, gzipped (the charts load with their tab)", kb(r.allJsGzipBytes)],
      [
        `timeline of ${r.timeline.events} events: data → rows painted, median of ${r.timeline.runs}`,
        `${r.timeline.renderMedianMs} ms (${r.timeline.renderMs.join(", ")})`,
      ],
      ["timeline: click → rows painted (request, server, render), median", `${r.timeline.clickToRowsMedianMs} ms (${r.timeline.clickToRowsMs.join(", ")})`],
      ["browser", `Chromium ${r.chromium}, headless`],
    ],
  );
}
