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
import { basename, join } from "node:path";
import { network } from "hardhat";
import type { Locator, Page } from "playwright-core";
import { ensureWebBuild } from "../src/explorer/build.js";
import { launchChromium, type Chromium } from "../src/explorer/chromium.js";
import { openExplorerSession, type ExplorerSession } from "../src/explorer/command.js";
import { startExplorer, type RunningExplorer } from "../src/explorer/run.js";
import type { ChartsResponse, CountersResponse, DeploymentsResponse, ProveResponse, TimelineResponse } from "../src/explorer/api.js";
import { readManifest } from "../src/chain/manifest.js";
import { deployConsortium } from "../src/chain/deploy.js";
import { attestRecords } from "../src/ledger/attest.js";
import { encodeRecord, readRecordFile, recordToJson } from "../src/records/index.js";
import { replay, type ReplayReport } from "../src/replay/replay.js";
import { SEEDS_DIR } from "../src/seeds.js";
import { Session } from "../src/session.js";

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
    if (await page.getByTestId("prove-result").count()) await closeProof(); // left open by a failed step
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
    // 12 leaves in OpenZeppelin's complete-tree layout: a leaf is 3 or 4 levels below the root
    const path = await batch.locator("[data-evidence=record] ol li").count();
    await page.screenshot({ path: join(SCREENSHOTS, "explorer-prove-batch.png") });
    await closeProof();
    expect(path).to.be.within(3, 4);
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
    if (await page.getByTestId("prove-result").count()) await closeProof();
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

describe("audit explorer over a bulk replay (API)", function () {
  this.timeout(240_000);
  let dataDir: string;
  let session: Session;
  let running: RunningExplorer;
  let report: ReplayReport;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "yrd-explorer-replay-"));
    const conn = await network.create();
    report = await replay(conn, { scale: 0.00005, mode: "bulk", seed: "explorer-test", batchSize: 300, workers: 0, dataDir, resume: false, progress: false });
    const path = join(dataDir, "default-31337", "manifest.json");
    session = await Session.open(conn, { dataDir, readOnly: true, deployment: { manifest: readManifest(path)!, path } });
    running = await startExplorer(session, { port: 0 });
  });

  after(async () => {
    await running?.close();
    session?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const api = async <T>(path: string, body?: unknown): Promise<T> => {
    const r = await fetch(`${running.url}${path}`, body ? { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : {});
    expect(r.status, `${path}: ${r.status}`).to.equal(200);
    return (await r.json()) as T;
  };

  it("charts the replayed year: the queries regenerated from the seed add up to the replay's counts", async () => {
    const c = await api<ChartsResponse>("/api/charts");
    expect(c.source.replayedEntries).to.equal(report.counts.logEntries);
    const served = c.perCity.reduce((a, x) => a + x.count, 0);
    expect(served).to.equal(report.counts.queries);
    expect(c.perDay.reduce((a, x) => a + x.count, 0)).to.equal(served);
    expect(c.perDay.every((d) => d.day.startsWith("2024-"))).to.equal(true);
    expect(c.flows.reduce((a, x) => a + x.count, 0)).to.equal(served);
    expect(c.reportsPerQuery.reduce((a, x) => a + x.reports * x.queries, 0)).to.equal(report.counts.reports);
    expect(c.refusals.reduce((a, x) => a + x.count, 0)).to.equal(report.counts.refusedAttempts);
    const counters = await api<CountersResponse>("/api/counters");
    expect(counters.logEntries).to.equal(report.counts.logEntries);
    expect(counters.committedEntries).to.equal(report.counts.logEntries);
  });

  it("proves a node's log commitment (its whole log against the chain) and a replayed batch", async () => {
    const t = await api<TimelineResponse>("/api/timeline?node=sh-1");
    const commit = t.rows.find((r) => r.kind === "log-commit")!;
    const proof = await api<ProveResponse>("/api/prove", { node: "sh-1", key: commit.key });
    expect(proof.ok, JSON.stringify(proof.checks)).to.equal(true);
    expect(proof.checks.map((x) => x.evidence?.kind)).to.include("log");
    const batch = t.rows.find((r) => r.kind === "batch")!;
    const batchProof = await api<ProveResponse>("/api/prove", { node: "sh-1", key: batch.key });
    // a replayed batch keeps leaf hashes only: its root is rebuilt from the store
    expect(batchProof.checks[0]).to.include({ ok: true });
    expect(batchProof.checks[0].subject).to.match(/^batch \d+ of node sh-1 \(1\)$/);
  });

  it("refuses bad input by name", async () => {
    const bad = await fetch(`${running.url}/api/timeline?enterprise=91340104MA2TXN4K1X`);
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { field: string; message: string }).message).to.match(/^enterprise 91340104MA2TXN4K1X: /);
    const unknown = await fetch(`${running.url}/api/timeline?color=red`);
    expect(unknown.status).to.equal(400);
    const noRow = await fetch(`${running.url}/api/prove`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ node: "sh-1", key: "1:99" }),
    });
    expect(noRow.status).to.equal(404);
  });
});

describe("audit explorer: switching to an archived deployment of the same chain (headless Chromium)", function () {
  this.timeout(240_000);
  let dir: string;
  let session: Session;
  let running: RunningExplorer;
  let chromium: Chromium;
  let page: Page;
  let archivedKey: string;
  const consoleErrors: string[] = [];
  const records = readRecordFile(join(SEEDS_DIR, "examples", "hefei-enterprise.json"));
  const enterprise = records[0].enterprise;

  before(async () => {
    // as on a network: a deployment with stores, then `deploy --fresh` archives its manifest and its stores
    dir = mkdtempSync(join(tmpdir(), "yrd-explorer-switch-"));
    const deploymentsDir = join(dir, "deployments");
    const dataDir = join(dir, "data");
    const [webRoot, conn] = await Promise.all([ensureWebBuild(), network.create()]);
    const first = await deployConsortium(conn, { institutions: 2, deploymentsDir, dataDir });
    const writer = await Session.open(conn, { dataDir, deployment: { manifest: first.manifest, path: first.path } });
    try {
      await attestRecords(
        writer,
        records.map((r) => ({ enterprise: r.enterprise, category: r.category, encoding: encodeRecord(r), recordJson: recordToJson(r) })),
        { mode: "live" },
      );
    } finally {
      writer.close();
    }
    const second = await deployConsortium(conn, { institutions: 1, deploymentsDir, dataDir, fresh: true });
    expect(second.archived?.manifest, "the first manifest archived").to.be.a("string");
    expect(second.archived?.stores, "the first stores archived").to.be.a("string");
    archivedKey = basename(second.archived!.manifest!, ".json");
    session = await Session.open(conn, { dataDir, readOnly: true, deployment: { manifest: second.manifest, path: second.path } });
    running = await startExplorer(session, { port: 0, webRoot, deploymentsDir });
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
    session?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const attestations = () => page.locator('[data-counter="attestations"]').textContent();

  async function pick(label: RegExp, key: string): Promise<void> {
    await page.getByTestId("deployment-picker").click();
    await page.getByRole("option", { name: label }).click();
    await page.locator(`[data-testid=deployment-view][data-deployment="${key}"]`).waitFor();
  }

  it("lists the archived deployment and opens it without a restart: its records proven from its archived stores", async () => {
    await page.goto(running.url);
    await page.getByTestId("counters").waitFor();
    // the current deployment was never written to: the page says it has no stores
    expect(await page.getByTestId("deployment-note").textContent()).to.contain("no node stores");
    expect(await attestations()).to.match(/0$/);
    const listed = (await (await fetch(`${running.url}/api/deployments`)).json()) as DeploymentsResponse;
    expect(listed.deployments.map((d) => [d.key, d.openHere, d.hasStores])).to.deep.include.members([
      ["default-31337", true, false],
      [archivedKey, true, true],
    ]);

    await pick(/archived/, archivedKey);
    await page
      .getByTestId("deployment-note")
      .getByText(/archived deployment/)
      .waitFor();
    await page.locator('[data-counter="attestations"]', { hasText: /3$/ }).waitFor();
    await page.getByRole("tab", { name: /Search/ }).click();
    await page.getByTestId("search-input").fill(enterprise);
    await page.getByTestId("search-button").click();
    await page.getByTestId("timeline-subject").getByText(enterprise).waitFor();
    await page.locator('table[data-testid=timeline] tr[data-kind="attestation"]').first().locator("button.prove-btn").click();
    const result = page.getByTestId("prove-result");
    await result.waitFor({ timeout: 60_000 });
    expect(await result.getAttribute("data-ok")).to.equal("true");
    await page.screenshot({ path: join(SCREENSHOTS, "explorer-archived-deployment.png") });
    await page.locator(".mantine-Modal-close").click();
    await result.waitFor({ state: "detached" });
  });

  it("switches back to the current deployment, and refuses a key it does not list", async () => {
    await pick(/^default-31337 /, "default-31337");
    await page.locator('[data-counter="attestations"]', { hasText: /0$/ }).waitFor();
    const r = await fetch(`${running.url}/api/timeline?enterprise=${enterprise}`);
    expect(((await r.json()) as TimelineResponse).rows).to.deep.equal([]);
    const bad = await fetch(`${running.url}/api/deployments/open`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ key: "default-31337-nope" }),
    });
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { message: string }).message).to.match(/^deployment default-31337-nope: not among/);
    expect(consoleErrors).to.deep.equal([]);
  });
});
