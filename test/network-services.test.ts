/**
 * The consortium on the multi-node chain, end to end, the way its members use it: `network up --nodes 4`
 * (four geth Clique validators, the deployment, a node service beside each validator), a record submitted at
 * the Shanghai node's service, a query by an institution sponsored by the Hangzhou node relayed by the
 * Hangzhou service and served by the Shanghai service by itself, the reports checked, and the audit run
 * against a third validator's RPC. Every wait is bounded; `network down` stops every process at the end.
 */
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HDNodeWallet, JsonRpcProvider, Mnemonic, Wallet, hexlify, type Signer } from "ethers";
import { TEST_MNEMONIC } from "../hardhat.config.js";
import { institutionWallet } from "../src/chain/accounts.js";
import { readManifest } from "../src/chain/manifest.js";
import { Purpose, consentDomain, signAuthorization, type Authorization } from "../src/consent/authorization.js";
import { usccBytes } from "../src/ledger/leaf.js";
import { readNetworkManifest, networkManifestPath, type NetworkNode } from "../src/network/manifest.js";
import { checkReports } from "../src/query/live.js";
import type { CreditReport } from "../src/query/report.js";
import { signReportsChallenge } from "../src/service/auth.js";
import { signQueryRequest } from "../src/service/client.js";
import { ConsentRegistry__factory, QueryDesk__factory, CreditLedger__factory } from "../typechain-types/index.js";
import { uscc } from "./helpers/codes.js";
import { runHardhat } from "./helpers/processes.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ALL = (1 << 1) | (1 << 2) | (1 << 3);

describe("the consortium on the multi-node chain: validators, node services, a cross-city query", function () {
  // a cold geth build (first run on a machine) takes a few minutes; the scenario itself about two
  this.timeout(900_000);
  let dir: string;
  let env: Record<string, string>;
  let data: string;
  const hh = (args: string[], extra: Record<string, string> = {}, timeoutMs = 600_000) => runHardhat(args, { ...env, ...extra }, timeoutMs);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "yrd-network-services-"));
    data = join(dir, "data");
    env = { YRD_NETWORK_DIR: join(dir, "network"), YRD_DEPLOYMENTS_DIR: join(dir, "deployments") };
    const up = await hh(["network", "up", "--nodes", "4", "--data-dir", data]);
    expect(up.code, up.stdout.slice(-3000) + up.stderr.slice(-3000)).to.equal(0);
  });
  after(async () => {
    if (env) {
      const down = await hh(["network", "down"], {}, 120_000).catch((e: Error) => ({ code: -1, stdout: "", stderr: e.message }));
      expect(down.code, down.stderr).to.equal(0);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a Shanghai record, a Hangzhou-sponsored query served by the Shanghai service, and an audit from a third node", async () => {
    const net = readNetworkManifest(networkManifestPath(join(dir, "network")))!;
    const node = (id: string) => net.nodes.find((n) => n.id === id)! as NetworkNode;
    const [sh, hz] = [node("sh-1"), node("hz-1")];
    for (const n of net.nodes) expect(n.apiPort, `${n.id}'s service`).to.be.greaterThan(0);
    const manifest = readManifest(join(dir, "deployments", `yrd-${net.chainId}.json`))!;
    const provider = new JsonRpcProvider(`http://127.0.0.1:${hz.httpPort}`, Number(net.chainId), { staticNetwork: true });
    const api = (n: NetworkNode, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      fetch(`http://127.0.0.1:${n.apiPort}${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers: { "content-type": "application/json", ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(120_000),
      });

    // 1. the Shanghai operator submits an enterprise's records at its service (live: answered once on chain)
    const enterpriseKey = Wallet.createRandom();
    const enterprise = uscc("310115", "MA1NW0001");
    const token = readFileSync(join(data, `yrd-${net.chainId}`, "sh-1.service-token"), "utf8").trim();
    const records = [
      { category: "basic-info", enterprise, name: "上海示例网络科技有限公司", legalRepresentative: "李华", registeredCapitalFen: "100000000", currency: "CNY", establishedOn: "2019-03-01", address: "上海市浦东新区示例路 1 号", industryCode: "I6510", enterpriseType: "limited-liability", signer: enterpriseKey.address },
      { category: "operating-status", enterprise, status: "active", abnormalListed: false, abnormalSince: "", abnormalReason: "", taxCreditGrade: "A", employeeBand: "50-299", revenueBand: "10M-100M", asOf: "2024-12-31" },
    ];
    const submitted = await api(sh, "/operator/records", { records }, { authorization: `Bearer ${token}` });
    expect(submitted.status, await submitted.clone().text()).to.equal(200);
    const ledger = CreditLedger__factory.connect(manifest.contracts.CreditLedger.address, provider);
    expect(await ledger.enterpriseSigner(hexlify(usccBytes(enterprise)))).to.equal(enterpriseKey.address);

    // 2. an institution sponsored by the Hangzhou node, funded by the deployer, asks the Hangzhou service to relay its query
    const inst = manifest.institutions.find((i) => i.sponsorNodeId === hz.nodeId)!;
    const institution: Signer = institutionWallet(inst.keyIndex).connect(provider);
    const deployer = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(TEST_MNEMONIC), "m/44'/60'/0'/0/0").connect(provider);
    await (await deployer.sendTransaction({ to: await institution.getAddress(), value: 10n ** 18n })).wait();
    const now = (await provider.getBlock("latest"))!.timestamp;
    const auth: Authorization = { enterprise: hexlify(usccBytes(enterprise)), institution: inst.institutionId, purpose: Purpose.CreditApproval, categories: ALL, notBefore: now - 60, notAfter: now + 86_400, nonce: 1n };
    const deployment = { chainId: manifest.chainId, consentRegistry: manifest.contracts.ConsentRegistry.address, queryDesk: manifest.contracts.QueryDesk.address };
    const contracts = { consents: ConsentRegistry__factory.connect(deployment.consentRegistry, provider), desk: QueryDesk__factory.connect(deployment.queryDesk, provider) };
    const signature = await signAuthorization(enterpriseKey, consentDomain(manifest.chainId, deployment.consentRegistry), auth);
    const body = await signQueryRequest(institution, provider, contracts, deployment, enterprise, auth, signature);
    const relayed = await api(hz, "/institution/queries", body);
    expect(relayed.status, await relayed.clone().text()).to.equal(202);
    const { queryId, servingNode, crossCity } = (await relayed.json()) as { queryId: string; servingNode: string; crossCity: boolean };
    expect([servingNode, crossCity]).to.deep.equal(["sh-1", true]);

    // 3. the Shanghai service serves it by itself; the institution fetches the reports and checks them against the chain
    let served: { reports: CreditReport[]; reportDigests: string[] } | undefined;
    const deadline = Date.now() + 120_000;
    while (!served) {
      const r = await api(sh, `/institution/queries/${queryId}/reports`, await signReportsChallenge(institution, manifest.chainId, deployment.queryDesk, queryId));
      if (r.status === 200) served = (await r.json()) as typeof served;
      else if (r.status !== 409 || Date.now() > deadline) throw new Error(`reports of query ${queryId}: ${r.status} ${await r.text()}`);
      else await sleep(1_000);
    }
    expect(served!.reports.map((x) => x.category)).to.deep.equal([1, 2]);
    const c = { ledger } as unknown as Parameters<typeof checkReports>[0];
    expect((await checkReports(c, served!.reports, served!.reportDigests)).map((x) => x.result)).to.deep.equal(["valid", "valid"]);

    // 4. the audit against a third validator (Hefei's) proves every item: the records, the query, sh-1's log
    let findings: { subject: string; ok: boolean }[] = [];
    for (let attempt = 0; ; attempt++) {
      const audit = await hh(["--network", "yrd", "audit", "--enterprise", enterprise, "--verify", "--format", "json", "--data-dir", data], { YRD_RPC_NODE: "hf-1" });
      expect(audit.code, audit.stderr.slice(-2000) + audit.stdout.slice(-2000)).to.be.oneOf([0, 2]);
      findings = JSON.parse(audit.stdout).verification.findings;
      // the service commits its log on its own trigger: wait (bounded) until the entry is committed
      if (findings.every((f) => f.ok) || attempt >= 15) break;
      await sleep(6_000);
    }
    expect(findings.filter((f) => !f.ok)).to.deep.equal([]);
    const subjects = findings.map((f) => f.subject);
    expect(subjects.filter((s) => s.startsWith("record "))).to.have.length(2);
    expect(subjects.filter((s) => s.startsWith("log entry "))).to.have.length(1);
  });
});
