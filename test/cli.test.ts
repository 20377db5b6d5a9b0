import { expect } from "chai";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SEEDS_DIR } from "../src/seeds.js";
import { runHardhat, startHardhatNode, type HardhatNode } from "./helpers/processes.js";

const EXAMPLES = join(SEEDS_DIR, "examples");

describe("commands end to end on a hardhat node", function () {
  this.timeout(300_000);
  let node: HardhatNode;
  let dir: string;
  let env: Record<string, string>;
  const hh = (...args: string[]) => runHardhat(["--network", "localhost", ...args], env);

  before(async () => {
    node = await startHardhatNode();
    dir = mkdtempSync(join(tmpdir(), "yrd-cli-"));
    env = { YRD_LOCALHOST_PORT: String(node.port), YRD_DEPLOYMENTS_DIR: join(dir, "deployments") };
    const d = await hh("deploy", "--institutions", "50");
    expect(d.code, d.stderr).to.equal(0);
  });
  after(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("attest (live and batch), verify-record, query and audit --verify", async () => {
    const data = join(dir, "data");
    const proofs = join(dir, "proofs");
    const live = await hh("yrd", "attest", "--file", join(EXAMPLES, "hefei-enterprise.json"), "--data-dir", data, "--out", proofs);
    expect(live.code, live.stderr).to.equal(0);
    expect(live.stdout).to.match(/3 record\(s\) attested/);
    const batch = await hh("attest", "--file", join(EXAMPLES, "hefei-status.csv"), "--mode", "batch", "--batch-size", "5", "--data-dir", data, "--out", proofs);
    expect(batch.code, batch.stderr).to.equal(0);
    expect(batch.stdout).to.match(/12 record\(s\) attested/);
    expect(readdirSync(proofs)).to.have.length(15);

    const basicProof = join(
      proofs,
      readdirSync(proofs).find((f) => f.includes("MA2TXN4K1N-basic-info-v1"))!,
    );
    const ok = await hh("yrd", "verify", "--record", join(EXAMPLES, "basic-info.json"), "--proof", basicProof);
    expect(ok.stdout.trim(), ok.stderr).to.equal("valid");
    expect(ok.code).to.equal(0);

    const csvProof = join(
      proofs,
      readdirSync(proofs).find((f) => f.startsWith("91340104MA2T000033"))!,
    );
    const okBatch = await hh("verify-record", "--record", join(EXAMPLES, "hefei-status.csv"), "--index", "4", "--proof", csvProof);
    expect(okBatch.stdout.trim(), okBatch.stderr).to.equal("valid");

    const altered = JSON.parse(readFileSync(join(EXAMPLES, "basic-info.json"), "utf8"));
    altered.registeredCapitalFen = "500000001";
    writeFileSync(join(dir, "altered.json"), JSON.stringify(altered));
    const bad = await hh("verify-record", "--record", join(dir, "altered.json"), "--proof", basicProof);
    expect(bad.code).to.equal(2);
    expect(bad.stdout).to.match(/^not anchored: the record does not open the proof's commitment/);

    // the same record again is not attested again: it is reported unchanged, with its proof
    const same = await hh("attest", "--file", join(EXAMPLES, "basic-info.json"), "--data-dir", data, "--out", proofs);
    expect(same.code, same.stderr).to.equal(0);
    expect(same.stdout).to.match(/basic-info\s+1\s+hf-1\s+live \(unchanged\)/);
    expect(same.stdout).to.match(/0 record\(s\) attested, 1 unchanged/);
    // a correction: attesting a changed basic record makes version 2 current and version 1 superseded
    const changed = { ...JSON.parse(readFileSync(join(EXAMPLES, "basic-info.json"), "utf8")), address: "安徽省合肥市蜀山区示例路 99 号" };
    writeFileSync(join(dir, "moved.json"), JSON.stringify(changed));
    const again = await hh("attest", "--file", join(dir, "moved.json"), "--data-dir", data, "--out", proofs);
    expect(again.stdout).to.match(/basic-info\s+2\s+hf-1/);
    const old = await hh("verify-record", "--record", join(EXAMPLES, "basic-info.json"), "--proof", basicProof);
    expect(old.stdout).to.match(/^superseded: a newer version \(v2\) is current/);

    // institution 1 is sponsored by sh-1 (Shanghai); the enterprise is in Hefei: cross-city
    const q = await hh(
      "query",
      "--enterprise",
      "91340104MA2TXN4K1N",
      "--institution",
      "1",
      "--categories",
      "basic-info,financing-mortgage",
      "--data-dir",
      data,
    );
    expect(q.code, q.stderr + q.stdout).to.equal(0);
    expect(q.stdout).to.match(/institution 1 \(sponsor sh-1\) → served by hf-1; outcome fulfilled/);
    expect(q.stdout).to.match(/basic-info\s+2\s+live\s+\S+\s+valid/);
    expect(q.stdout).to.match(/financing-mortgage\s+1\s+live\s+\S+\s+valid/);

    const audit = await hh("audit", "--enterprise", "91340104MA2TXN4K1N", "--verify", "--data-dir", data);
    expect(audit.code, audit.stderr + audit.stdout).to.equal(0);
    expect(audit.stdout).to.match(/query-fulfilled/);
    expect(audit.stdout).to.match(/verification: \d+ passed, 0 failed/);

    const json = await hh("audit", "--city", "340100", "--format", "json", "--data-dir", data);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.rows.some((r: { kind: string }) => r.kind === "batch")).to.equal(true);
    const csv = await hh("audit", "--institution", "1", "--format", "csv", "--data-dir", data);
    expect(csv.stdout.split("\n")[0]).to.equal("block,time,kind,enterprise,institution,nodes,detail,tx");
    expect(csv.stdout).to.match(/,authorization,91340104MA2TXN4K1N,1,/);
  });

  it("refuses bad input with a clear error and sends nothing", async () => {
    const r = await hh("attest", "--file", join(EXAMPLES, "nope.json"));
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/nope.json: cannot be read/);
    const m = await hh("attest", "--file", join(EXAMPLES, "basic-info.json"), "--mode", "fast");
    expect(m.stderr).to.match(/--mode must be live or batch/);
    const a = await hh("audit", "--format", "xml");
    expect(a.stderr).to.match(/--format must be table, json or csv/);
    const q = await hh("query", "--enterprise", "91340104MA2TXN4K1X");
    expect(q.stderr).to.match(/USCC check character is 'X', expected 'N'/);
  });
});
