/**
 * The audit explorer end to end: the server in process over an in-process deployment with the demo's data
 * (as `npm run explorer` makes it), the built web app in headless Chromium (playwright-core, /usr/bin/chromium):
 * the consortium, finding the demo enterprise, proving a record, a batched record and a query, a tampered store
 * row and a tampered log entry reported as failed, the charts, and no console errors. Screenshots go to
 * bench/screenshots/.
 */
import { expect } from "chai";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { network } from "hardhat";
import type { Locator, Page } from "playwright-core";
import { ensureWebBuild } from "../src/explorer/build.js";
import { launchChromium, type Chromium } from "../src/explorer/chromium.js";
import { openExplorerSession, type ExplorerSession } from "../src/explorer/command.js";
import { startExplorer, type RunningExplorer } from "../src/explorer/run.js";
import { readRecordFile } from "../src/records/index.js";
import { SEEDS_DIR } from "../src/seeds.js";

const SCREENSHOTS = join("bench", "screenshots");

describe("audit explorer (headless Chromium)", function () {
  this.timeout(240_000);
  let dataDir: string;
  let opened: ExplorerSession;
  let running: RunningExplorer;
  let chromium: Chromium;
  let page: Page;
  const consoleErrors: string[] = [];
  let enterprise: string;
  const batched = readRecordFile(join(SEEDS_DIR, "examples", "hefei-status.csv"))[0].enterprise;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "yrd-explorer-test-"));
    mkdirSync(SCREENSHOTS, { recursive: true });
    const [webRoot, session] = await Promise.all([
      ensureWebBuild(),
      network.create().then((conn) => openExplorerSession(conn, { dataDir, deploy: { institutions: 25 } })),
    ]);
    opened = session;
    enterprise = opened.demoEnterprise!;
    running = await startExplorer(opened.session, { port: 0, webRoot });
    chromium = await launchChromium();
    page = await chromium.context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => consoleErrors.push(e.message));
  });

  after(async () => {
    await chromium?.close();
    await running?.close();
    opened?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function openTimeline(text: string): Promise<void> {
    await page.getByRole("tab", { name: /Search/ }).click();
    await page.getByTestId("search-input").fill(text);
    await page.getByTestId("search-button").click();
  }

  async function prove(kind: string, nth = 0): Promise<Locator> {
    await page.locator(`table[data-testid=timeline] tr[data-kind="${kind}"]`).nth(nth).locator("button.prove-btn").click();
    const result = page.getByTestId("prove-result");
    await result.waitFor({ timeout: 60_000 });
    return result;
  }

  async function closeProof(): Promise<void> {
    await page.locator(".mantine-Modal-close").click();
    await page.getByTestId("prove-result").waitFor({ state: "detached" });
  }

  it("shows the consortium: 16 cities on the map, 25 nodes with their health, live counters", async () => {
    await page.goto(running.url);
    await page.getByTestId("counters").waitFor();
    await page.getByTestId("map").waitFor();
    expect(await page.locator("[data-city]").count()).to.equal(16);
    expect(await page.locator("[data-node-row]").count()).to.equal(25);
    expect(await page.locator('[data-node][data-health="ok"]').count()).to.equal(25);
    // hf-1 attested the demo's records and answered its query: its log holds one committed entry
    const hf1 = page.locator('[data-node-row="hf-1"]');
    expect(await hf1.textContent()).to.match(/#0 size 1 @\d+/);
    expect(await page.locator('[data-counter="queries"]').textContent()).to.contain("1");
    await page.screenshot({ path: join(SCREENSHOTS, "explorer-consortium.png") });
  });

  it("finds the demo enterprise and proves a record and a query with the audit's checks", async () => {
    await openTimeline(enterprise.slice(0, 6)); // a prefix: the page offers the enterprises that match
    await page.getByTestId("suggestions").getByText(enterprise).click();
    await page.getByTestId("timeline-subject").getByText(enterprise).waitFor();
    const kinds = await page.locator("table[data-testid=timeline] tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-kind")));
    expect(kinds).to.include.members(["attestation", "signer-bound", "objection", "authorization", "query", "query-fulfilled", "log-commit"]);
    expect(await page.locator('tr[data-kind="objection"]').textContent()).to.match(/open \(deadline \d{4}-\d\d-\d\d\)/);

    const record = await prove("attestation");
    expect(await record.getAttribute("data-ok")).to.equal("true");
    expect(await record.locator("[data-evidence=record]").textContent()).to.contain("digest");
    await page.screenshot({ path: join(SCREENSHOTS, "explorer-prove-record.png") });
    await closeProof();

    const query = await prove("query");
    expect(await query.getAttribute("data-ok")).to.equal("true");
    expect(await query.locator('[data-check^="log entry"]').getAttribute("data-ok")).to.equal("true");
    expect(await query.locator("[data-evidence=log-entry]").textContent()).to.contain("RFC 6962 inclusion proof");
    await page.screenshot({ path: join(SCREENSHOTS, "explorer-prove-query.png") });
    await closeProof();
  });

  it("proves a batched record with its Merkle path", async () => {
    await openTimeline(batched);
    await page.getByTestId("timeline-subject").getByText(batched).waitFor();
    const batch = await prove("batch");
    expect(await batch.getAttribute("data-ok")).to.equal("true");
    const path = batch.locator("[data-evidence=record] ol li");
    expect(await path.count()).to.equal(4); // 12 leaves: a path of 4 siblings (3 or 4 in an unbalanced tree; here 4)
    await closeProof();
  });

  it("reports a tampered store row and a tampered log entry as failed, by name", async () => {
    const hf1 = opened.session.manifest.nodes.find((n) => n.id === "hf-1")!.nodeId;
    const db = new DatabaseSync(opened.session.stores.path(hf1));
    try {
      const row = db.prepare("SELECT salt FROM records WHERE enterprise = ? AND category = 1 AND version = 1").get(enterprise) as { salt: Uint8Array };
      const salt = Uint8Array.from(row.salt);
      salt[0] ^= 1;
      db.prepare("UPDATE records SET salt = ? WHERE enterprise = ? AND category = 1 AND version = 1").run(salt, enterprise);
      const entry = Uint8Array.from((db.prepare("SELECT entry FROM query_log WHERE sequence = 0").get() as { entry: Uint8Array }).entry);
      entry[8 * 32 + 31] ^= 1; // the entry's time
      db.prepare("UPDATE query_log SET entry = ? WHERE sequence = 0").run(entry);
    } finally {
      db.close();
    }
    await openTimeline(enterprise);
    await page.getByTestId("timeline-subject").getByText(enterprise).waitFor();
    const record = await prove("attestation");
    expect(await record.getAttribute("data-ok")).to.equal("false");
    expect(await record.locator('[data-ok="false"]').first().getAttribute("data-failure")).to.equal("store-digest-mismatch");
    await page.screenshot({ path: join(SCREENSHOTS, "explorer-tampered-record.png") });
    await closeProof();
    const query = await prove("query");
    expect(await query.getAttribute("data-ok")).to.equal("false");
    expect(await query.locator('[data-check^="log entry"]').getAttribute("data-failure")).to.equal("log-entry-hash-mismatch");
    await page.screenshot({ path: join(SCREENSHOTS, "explorer-tampered-query.png") });
    await closeProof();
  });

  it("draws the charts", async () => {
    await page.getByRole("tab", { name: /Charts/ }).click();
    for (const id of ["chart-per-day", "chart-per-city", "chart-reports", "chart-refusals", "chart-objections", "flows"]) await page.getByTestId(id).waitFor();
    expect(await page.getByTestId("charts-source").textContent()).to.contain("1 served queries from 1 whole log entries");
    // the demo's query: a Shanghai-sponsored bank about a Hefei enterprise
    expect(await page.getByTestId("flows").locator('td[title*="Shanghai → 合肥 Hefei: 1"]').count()).to.equal(1);
    await page.screenshot({ path: join(SCREENSHOTS, "explorer-charts.png") });
  });

  it("logged no console errors", () => {
    expect(consoleErrors).to.deep.equal([]);
  });
});
