/**
 * Receipts on a chain that seals on a clock (`receiptOf` and its block-by-block watch, src/chain/send.ts),
 * against a scripted JSON-RPC chain: a receipt is taken only with the confirmations the chain needs (or those
 * asked for) and only from the block still at its height (a replaced block sends the watch back), a reverted
 * transaction fails, a transaction never mined times out, and a chain without `eth_getBlockReceipts` is asked per transaction.
 */
import { expect } from "chai";
import { receiptOf, requireConfirmations, type RpcSender } from "../src/chain/send.js";

interface FakeReceipt {
  transactionHash: string;
  status: string;
  gasUsed: string;
  blockNumber: string;
  blockHash: string;
  logs: never[];
}

/** A chain of blocks the test advances by hand; counts the calls of each method. */
class ScriptedChain implements RpcSender {
  readonly blocks: { hash: string; txs: { hash: string; status: string }[] }[] = [{ hash: "0xgenesis", txs: [] }];
  readonly calls = new Map<string, number>();
  blockReceipts = true;

  seal(txs: { hash: string; status?: string }[] = [], hash = `0xblock${this.blocks.length}`): void {
    this.blocks.push({ hash, txs: txs.map((t) => ({ hash: t.hash, status: t.status ?? "0x1" })) });
  }

  /** Replaces block `n` (and drops the blocks above it). */
  replace(n: number, txs: { hash: string }[]): void {
    this.blocks.length = n;
    this.seal(txs, `0xreplaced${n}`);
  }

  private receipt(n: number, t: { hash: string; status: string }): FakeReceipt {
    return { transactionHash: t.hash, status: t.status, gasUsed: "0x5208", blockNumber: "0x" + n.toString(16), blockHash: this.blocks[n].hash, logs: [] };
  }

  async send(method: string, params: unknown[]): Promise<unknown> {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    const head = this.blocks.length - 1;
    switch (method) {
      case "eth_blockNumber":
        return "0x" + head.toString(16);
      case "eth_getTransactionReceipt":
        for (let n = 0; n <= head; n++) {
          const t = this.blocks[n].txs.find((x) => x.hash === params[0]);
          if (t) return this.receipt(n, t);
        }
        return null;
      case "eth_getBlockReceipts": {
        if (!this.blockReceipts) throw new Error("the method eth_getBlockReceipts does not exist/is not available");
        const n = Number(params[0]);
        return n <= head ? this.blocks[n].txs.map((t) => this.receipt(n, t)) : null;
      }
      case "eth_getBlockByNumber": {
        const n = Number(params[0]);
        return n <= head ? { hash: this.blocks[n].hash } : null;
      }
      default:
        throw new Error(`unexpected method ${method}`);
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The error a promise fails with (a test failure if it does not). */
const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail("expected a failure"),
    (e: Error) => e,
  );

describe("receipts on a chain that seals on a clock", () => {
  afterEach(() => requireConfirmations(1));

  it("takes a receipt only once it has the confirmations the chain needs", async () => {
    requireConfirmations(2);
    const chain = new ScriptedChain();
    chain.seal();
    let settled = false;
    const waiting = receiptOf(chain, "0xa", 10_000).then((m) => ((settled = true), m));
    await sleep(250);
    chain.seal([{ hash: "0xa" }]); // block 2: mined, no confirmation yet
    await sleep(400);
    expect(settled, "taken with only its own block").to.equal(false);
    chain.seal(); // block 3 on top
    const m = await waiting;
    expect([m.hash, m.blockNumber]).to.deep.equal(["0xa", 2]);
  });

  it("with one confirmation asked for, takes a receipt from the block it is first seen in, on a chain that needs two", async () => {
    requireConfirmations(2);
    const chain = new ScriptedChain();
    const first = receiptOf(chain, "0xf", 10_000, { confirmations: 1 });
    const deep = receiptOf(chain, "0x10", 10_000);
    let deepSettled = false;
    void deep.then(() => (deepSettled = true));
    await sleep(150);
    chain.seal([{ hash: "0xf" }, { hash: "0x10" }]); // block 1, nothing on top
    expect((await first).blockNumber).to.equal(1);
    expect(deepSettled, "the chain's two confirmations still hold for the other").to.equal(false);
    chain.seal();
    expect((await deep).blockNumber).to.equal(1);
  });

  it("a replaced block sends the watch back: the receipt is taken from the block the transaction is in now", async () => {
    requireConfirmations(2);
    const chain = new ScriptedChain();
    chain.seal([{ hash: "0xb" }]); // block 1
    const waiting = receiptOf(chain, "0xb", 10_000);
    await sleep(150);
    chain.replace(1, []); // block 1 replaced: the transaction is back in the pool
    await sleep(300);
    chain.seal([{ hash: "0xb" }]); // block 2 holds it now
    chain.seal();
    const m = await waiting;
    expect(m.blockNumber).to.equal(2);
  });

  it("a transaction that reverted fails, one never mined times out", async () => {
    requireConfirmations(2);
    const chain = new ScriptedChain();
    const reverted = receiptOf(chain, "0xc", 10_000);
    chain.seal([{ hash: "0xc", status: "0x0" }]);
    chain.seal();
    expect((await failure(reverted)).message).to.match(/0xc reverted/);
    expect((await failure(receiptOf(chain, "0xnever", 400))).message).to.match(/0xnever has no receipt after 0 s: not mined/);
  });

  it("reads a block's receipts once for every transaction awaited in it; falls back to one call per transaction without eth_getBlockReceipts", async () => {
    requireConfirmations(2);
    const chain = new ScriptedChain();
    const hashes = Array.from({ length: 200 }, (_, i) => `0x${(i + 1).toString(16)}`);
    const all = Promise.all(hashes.map((h) => receiptOf(chain, h, 10_000)));
    await sleep(150);
    chain.seal(hashes.map((hash) => ({ hash })));
    chain.seal();
    expect((await all).map((m) => m.blockNumber)).to.deep.equal(hashes.map(() => 1));
    // 200 direct reads when each was sent, then the block's receipts read in a handful of passes, not 200 a pass
    expect(chain.calls.get("eth_getTransactionReceipt")).to.equal(200);
    expect(chain.calls.get("eth_getBlockReceipts")!).to.be.below(20);

    const old = new ScriptedChain();
    old.blockReceipts = false;
    const one = receiptOf(old, "0xd", 10_000);
    await sleep(150);
    old.seal([{ hash: "0xd" }]);
    old.seal();
    expect((await one).blockNumber).to.equal(1);
  });

  it("on a chain that needs one confirmation (automining), the first read is the answer", async () => {
    const chain = new ScriptedChain();
    chain.seal([{ hash: "0xe" }]);
    expect((await receiptOf(chain, "0xe")).blockNumber).to.equal(1);
    expect(chain.calls.get("eth_getTransactionReceipt")).to.equal(1);
    expect(chain.calls.get("eth_blockNumber")).to.equal(undefined);
  });
});
