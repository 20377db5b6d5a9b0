import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hexlify, keccak256, toUtf8Bytes } from "ethers";
import { contractsOf, type Contracts } from "../src/chain/contracts.js";
import { attestRecords, type EncodedRecord } from "../src/ledger/attest.js";
import { fastRecordDigest, fastRecordLeaf, usccBytes } from "../src/ledger/leaf.js";
import { WriteRefused } from "../src/node/city-node.js";
import type { NewStep } from "../src/node/journal.js";
import { Session } from "../src/session.js";
import { NodeStore } from "../src/store/nodeStore.js";
import { deployedConsortium } from "./helpers/consortium.js";
import { uscc } from "./helpers/codes.js";
import { rejection } from "./helpers/expect.js";

const HEFEI_NODE = 23;

describe("city node and its journal", function () {
  this.timeout(120_000);
  let f: Awaited<ReturnType<typeof deployedConsortium>>;
  let c: Contracts;
  let dataDir: string;
  const open = () => Session.open(f.conn, { dataDir, deployment: { manifest: f.manifest, path: join(f.deploymentsDir, "manifest.json") } });

  before(async () => {
    f = await deployedConsortium(4);
    c = await contractsOf(f.conn, f.manifest);
    dataDir = mkdtempSync(join(tmpdir(), "yrd-journal-"));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  /** A record of a Hefei enterprise, journaled with its pending row exactly as `attestRecords` does, but not sent. */
  async function journalOnly(session: Session, enterprise: string, text: string) {
    const node = await session.node(HEFEI_NODE);
    const salt = new Uint8Array(32).fill(7);
    const encoding = toUtf8Bytes(text);
    const digest = fastRecordDigest(salt, encoding);
    const record = {
      enterprise,
      category: 2,
      version: 1,
      salt,
      encoding,
      digest,
      leafHash: fastRecordLeaf(usccBytes(enterprise), 2, 1, digest),
      recordJson: "{}",
      batchId: null,
    };
    const step: NewStep<"attest"> = {
      key: `attest/${enterprise}/2/v1`,
      kind: "attest",
      payload: { items: [{ enterprise, category: 2, version: 1, digest: hexlify(digest) }] },
    };
    await node.journalSteps([step], () => node.store.putPending([record]));
    return { step, digest };
  }

  it("a write journaled but never sent is sent when the node next starts", async () => {
    const enterprise = uscc("340104", "MA2TJN001");
    const first = await open();
    const { digest } = await journalOnly(first, enterprise, "never sent");
    first.close(); // as if the command died before sending
    const second = await open();
    try {
      const node = await second.node(HEFEI_NODE);
      expect(second.settled.get(HEFEI_NODE)).to.deep.equal({ found: 0, resent: 1, failed: 0 });
      expect(node.journal.unfinished()).to.deep.equal([]);
      expect(node.store.get(enterprise, 2, 1)!.mode).to.equal("live");
      expect(await c.ledger.attestationStatus(hexlify(usccBytes(enterprise)), 2, 1, hexlify(digest))).to.equal(1n); // Valid
    } finally {
      second.close();
    }
  });

  it("a write that reached the chain before the crash is found there and not sent again", async () => {
    const enterprise = uscc("340104", "MA2TJN002");
    const first = await open();
    const { digest } = await journalOnly(first, enterprise, "sent, never marked");
    // the transaction goes out, then the command dies before recording anything
    await (
      await c.ledger
        .connect(f.operators[HEFEI_NODE - 1])
        .attest({ enterprise: hexlify(usccBytes(enterprise)), category: 2, version: 1, digest: hexlify(digest) })
    ).wait();
    first.close();
    const second = await open();
    try {
      const node = await second.node(HEFEI_NODE);
      expect(second.settled.get(HEFEI_NODE)).to.deep.equal({ found: 1, resent: 0, failed: 0 });
      const stored = node.store.get(enterprise, 2, 1)!;
      expect(stored.mode).to.equal("live");
      expect(stored.txHash).to.match(/^0x[0-9a-f]{64}$/); // found by its Attested event
      expect(await c.ledger.queryFilter(c.ledger.filters.Attested(hexlify(usccBytes(enterprise))))).to.have.length(1);
    } finally {
      second.close();
    }
  });

  it("a write the chain refuses is marked failed, its pending records dropped, and the error named", async () => {
    const enterprise = uscc("340104", "MA2TJN003");
    const session = await open();
    try {
      const rec = (text: string): EncodedRecord => ({ enterprise, category: 1, encoding: toUtf8Bytes(text), recordJson: "{}" });
      await attestRecords(session, [rec("v1")], { mode: "live" });
      const node = await session.node(HEFEI_NODE);
      // a step carrying version 1 again: the ledger refuses it before anything is mined
      const salt = new Uint8Array(32).fill(1);
      const digest = fastRecordDigest(salt, toUtf8Bytes("again"));
      const step: NewStep<"attest"> = {
        key: `attest/${enterprise}/1/v1-again`,
        kind: "attest",
        payload: { items: [{ enterprise, category: 1, version: 1, digest: hexlify(digest) }] },
      };
      await node.journalSteps([step]);
      const err = await rejection(node.execute(step), /refused by the chain: VersionNotIncreasing/);
      expect(err).to.be.instanceOf(WriteRefused);
      expect(node.journal.get(step.key)!.state).to.equal("failed");
      expect(node.journal.unfinished()).to.deep.equal([]);
      // unchanged content is not attested again; changed content continues from the chain's version
      const again = await attestRecords(session, [rec("v1")], { mode: "live" });
      expect(again.map((r) => [r.version, r.unchanged])).to.deep.equal([[1, true]]);
      const next = await attestRecords(session, [rec("v2")], { mode: "live" });
      expect(next.map((r) => r.version)).to.deep.equal([2]);
    } finally {
      session.close();
    }
  });

  it("a corrected record in a batch: the batch anchored, then the correction declared, nothing left pending", async () => {
    const a = uscc("340104", "MA2TJN004");
    const session = await open();
    const rec = (text: string): EncodedRecord => ({ enterprise: a, category: 2, encoding: toUtf8Bytes(text), recordJson: "{}" });
    try {
      await attestRecords(session, [rec("status v1")], { mode: "batch" });
      const [v2] = await attestRecords(session, [rec("status v2")], { mode: "batch" });
      expect(v2.version).to.equal(2);
      expect(await c.ledger.declaredVersion(hexlify(usccBytes(a)), 2)).to.equal(2n);
      const node = await session.node(HEFEI_NODE);
      expect(node.journal.counts()).to.include({ pending: 0, sent: 0 });
      expect(node.store.batch(v2.batchId!)!.count).to.equal(1);
    } finally {
      session.close();
    }
  });

  it("a store belongs to one chain and one deployment: another is refused with the store's path and the way out", () => {
    const store = NodeStore.open(":memory:");
    try {
      const b = { chainId: "31337", genesis: keccak256(toUtf8Bytes("chain a")), registry: "0x" + "11".repeat(20), deployBlock: 1, node: "hf-1" };
      store.bindToChain(b);
      store.bindToChain(b); // the same chain again: fine
      expect(() => store.bindToChain({ ...b, genesis: keccak256(toUtf8Bytes("chain b")) })).to.throw(
        /node store :memory: belongs to a chain whose genesis block is .*use another --data-dir, or pass --fresh/,
      );
      expect(() => store.bindToChain({ ...b, registry: "0x" + "22".repeat(20) })).to.throw(/belongs to the deployment with registry 0x1111/);
    } finally {
      store.close();
    }
  });
});
