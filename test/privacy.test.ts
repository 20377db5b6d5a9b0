/**
 * Issue 12, privacy: nothing on chain reveals a record's content. On one in-process chain we run a small bulk
 * replay, a small live replay and the demo, collect the plaintext of every record they attested (names, legal
 * representatives, addresses, secured creditors, listing reasons, amounts and dates as text and as 32-byte ABI
 * words) and every record's salt, then scan everything the chain holds for them:
 * - the calldata of every transaction of every block (contract creations included);
 * - every log's topics and data;
 * - every storage slot written and every code deployed, from each transaction's state diff
 *   (`debug_traceTransaction`, prestate tracer in diff mode: each slot whose value a transaction changed, with
 *   the new value; a value written unchanged was already in an earlier diff).
 * Text and salts are searched at every byte offset (their UTF-8 bytes, and their hex text); numbers as whole
 * 32-byte words where ABI data has words: calldata after the selector, log data, topics, storage values.
 * A control plants needles on purpose in a transaction's calldata, in an event and in a storage slot and checks
 * that the scanner finds each one.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getBytes, hexlify, toBeHex, toUtf8Bytes, zeroPadValue } from "ethers";
import { network } from "hardhat";
import { readManifest, type Manifest } from "../src/chain/manifest.js";
import { runDemo } from "../src/cli/demo.js";
import { usccBytes } from "../src/ledger/leaf.js";
import { Category } from "../src/records/categories.js";
import { dateToInt, decodeRecord } from "../src/records/encoding.js";
import type { CreditRecord } from "../src/records/schemas.js";
import { chunkRecords } from "../src/replay/chunks.js";
import { chunkSpecs, scaledTargets } from "../src/replay/model.js";
import { replay, type ReplayOptions } from "../src/replay/replay.js";
import { loadSeeds } from "../src/seeds.js";
import { Session } from "../src/session.js";
import type { NodeStores } from "../src/store/stores.js";
import { apportion, loadWorkloadConfig } from "../src/workload/config.js";
import { Population } from "../src/workload/enterprises.js";

/** The smallest scale the replay takes that still attests a few hundred records (232 enterprises, 536 records). */
const SCALE = 0.00001;
const SEED = "privacy";
const BATCH_SIZE = 100;
/** Byte needles are indexed by their first KEY bytes; every needle is at least this long. */
const KEY = 6;

type Provider = Awaited<ReturnType<typeof network.create>>["ethers"]["provider"];

/** What the chain must not contain: byte strings (anywhere) and numbers (as whole 32-byte words). */
class Needles {
  readonly bytes = new Map<number, { label: string; value: Buffer }[]>();
  readonly words = new Map<bigint, string>();
  count = 0;

  addBytes(label: string, value: Uint8Array): void {
    if (value.length < KEY) throw new Error(`needle ${label} is shorter than ${KEY} bytes`);
    const b = Buffer.from(value);
    const k = b.readUIntBE(0, KEY);
    const list = this.bytes.get(k) ?? [];
    if (!list.some((x) => x.value.equals(b))) {
      list.push({ label, value: b });
      this.bytes.set(k, list);
      this.count++;
    }
  }

  /** Text as its UTF-8 bytes and as the hex text of those bytes. */
  addText(label: string, text: string): void {
    const utf8 = toUtf8Bytes(text);
    this.addBytes(label, utf8);
    this.addBytes(`${label} (hex text)`, toUtf8Bytes(hexlify(utf8).slice(2)));
  }

  /** A number as decimal text and as a 32-byte word. */
  addNumber(label: string, n: bigint): void {
    if (n <= 0n || n >= 1n << 64n) throw new Error(`number needle ${label} out of range: ${n}`);
    this.addText(label, n.toString());
    if (!this.words.has(n)) this.count++;
    this.words.set(n, label);
  }

  addRecord(r: CreditRecord, salt: Uint8Array): void {
    const at = `${r.enterprise}/${r.category}`;
    this.addBytes(`${at} salt`, salt);
    switch (r.category) {
      case Category.BasicInfo:
        this.addText(`${at} name`, r.name);
        this.addText(`${at} legal representative`, r.legalRepresentative);
        this.addText(`${at} address`, r.address);
        this.addNumber(`${at} registered capital`, r.registeredCapitalFen);
        this.addDate(`${at} established`, r.establishedOn);
        break;
      case Category.OperatingStatus:
        if (r.abnormalReason !== "") this.addText(`${at} abnormal reason`, r.abnormalReason);
        this.addDate(`${at} abnormal since`, r.abnormalSince);
        this.addDate(`${at} as of`, r.asOf);
        break;
      case Category.FinancingMortgage:
        this.addNumber(`${at} loans outstanding`, r.loansOutstandingFen);
        this.addDate(`${at} as of`, r.asOf);
        r.mortgages.forEach((m, i) => {
          this.addNumber(`${at} mortgage ${i} amount`, m.amountFen);
          this.addText(`${at} mortgage ${i} creditor`, m.securedCreditor);
          this.addDate(`${at} mortgage ${i} registered`, m.registeredOn);
          this.addDate(`${at} mortgage ${i} expires`, m.expiresOn);
        });
        break;
    }
  }

  /** A date as ISO text and as the encoding's YYYYMMDD integer. */
  private addDate(label: string, date: string): void {
    if (date === "") return;
    this.addText(label, date);
    this.addNumber(`${label} (YYYYMMDD)`, BigInt(dateToInt(date)));
  }
}

interface Finding {
  needle: string;
  where: string;
}

/** Searches blobs of chain data for the needles; `wordsFrom` is the offset of the first 32-byte word (or none). */
class Scanner {
  readonly findings: Finding[] = [];
  bytesScanned = 0;
  wordsChecked = 0;

  constructor(private readonly needles: Needles) {}

  scan(where: string, data: string | Uint8Array, wordsFrom?: number): void {
    const b = Buffer.from(typeof data === "string" ? getBytes(data) : data);
    this.bytesScanned += b.length;
    for (let i = 0; i + KEY <= b.length; i++) {
      const list = this.needles.bytes.get(b.readUIntBE(i, KEY));
      if (!list) continue;
      for (const n of list) if (b.subarray(i, i + n.value.length).equals(n.value)) this.findings.push({ needle: n.label, where: `${where} at byte ${i}` });
    }
    if (wordsFrom === undefined) return;
    for (let i = wordsFrom; i + 32 <= b.length; i += 32) {
      this.wordsChecked++;
      let high = true;
      for (let k = i; k < i + 24 && high; k++) high = b[k] === 0;
      if (!high) continue;
      const label = this.needles.words.get(b.readBigUInt64BE(i + 24));
      if (label !== undefined) this.findings.push({ needle: label, where: `${where}, word at byte ${i}` });
    }
  }
}

interface Coverage {
  blocks: number;
  transactions: number;
  logs: number;
  storageSlots: number;
  codes: number;
}

/** Scans blocks `from`..`to` of the chain: calldata, logs, and the storage and code each transaction wrote. */
async function scanChain(provider: Provider, scanner: Scanner, from: number, to: number): Promise<Coverage> {
  const cov: Coverage = { blocks: 0, transactions: 0, logs: 0, storageSlots: 0, codes: 0 };
  for (let n = from; n <= to; n++) {
    const block = await provider.send("eth_getBlockByNumber", [toBeHex(n), true]);
    cov.blocks++;
    for (const tx of block.transactions as { hash: string; input: string; to: string | null }[]) {
      cov.transactions++;
      // a call's arguments are words after its 4-byte selector; a creation's constructor arguments are the words
      // that end its init code
      const length = (tx.input.length - 2) / 2;
      scanner.scan(`calldata of ${tx.hash}`, tx.input, tx.to === null ? length % 32 : 4);
      const diff = await provider.send("debug_traceTransaction", [tx.hash, { tracer: "prestateTracer", tracerConfig: { diffMode: true } }]);
      for (const [account, state] of Object.entries(diff.post as Record<string, { code?: string; storage?: Record<string, string> }>)) {
        if (state.code) {
          cov.codes++;
          scanner.scan(`code deployed at ${account} by ${tx.hash}`, state.code, 0);
        }
        for (const [slot, value] of Object.entries(state.storage ?? {})) {
          cov.storageSlots++;
          scanner.scan(`storage slot ${slot} of ${account} written by ${tx.hash}`, value, 0);
          scanner.scan(`storage slot key ${slot} of ${account}`, slot, 0);
        }
      }
    }
  }
  const logs = await provider.send("eth_getLogs", [{ fromBlock: toBeHex(from), toBlock: toBeHex(to) }]);
  for (const log of logs as { transactionHash: string; logIndex: string; data: string; topics: string[] }[]) {
    cov.logs++;
    const where = `log ${Number(log.logIndex)} of ${log.transactionHash}`;
    scanner.scan(`${where} data`, log.data, 0);
    log.topics.forEach((t, i) => scanner.scan(`${where} topic ${i}`, t, 0));
  }
  return cov;
}

/** The records of every store of a session or replay: their plaintext (decoded from the stored encoding) and salt. */
function storedRecords(stores: NodeStores): { record: CreditRecord; salt: Uint8Array }[] {
  const out: { record: CreditRecord; salt: Uint8Array }[] = [];
  for (const nodeId of stores.existing()) {
    const rows = stores.get(nodeId).db.prepare("SELECT salt, encoding FROM records").all() as { salt: Uint8Array; encoding: Uint8Array }[];
    for (const r of rows) out.push({ record: decodeRecord(r.encoding), salt: new Uint8Array(r.salt) });
  }
  return out;
}

describe("privacy: no record plaintext on chain (issue 12)", function () {
  this.timeout(600_000);
  let dir: string;
  let conn: Awaited<ReturnType<typeof network.create>>;
  const needles = new Needles();
  const records = { bulk: 0, live: 0, demo: 0 };
  let lastBlock: number;
  /** The deployment a replay made on this chain (its manifest is in the replay's data folder). */
  const manifestOf = (mode: string): { manifest: Manifest; path: string } => {
    const path = join(dir, mode, "default-31337", "manifest.json");
    return { manifest: readManifest(path)!, path };
  };
  const reopen = (mode: string) => Session.open(conn, { dataDir: join(dir, mode), deployment: manifestOf(mode) });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "yrd-privacy-"));
    conn = await network.create();
    const seeds = loadSeeds();
    const cfg = loadWorkloadConfig(seeds);
    const base = (mode: "bulk" | "live"): ReplayOptions => ({
      scale: SCALE,
      mode,
      seed: SEED,
      batchSize: BATCH_SIZE,
      workers: 0,
      dataDir: join(dir, mode),
      resume: false,
      progress: false,
    });

    // a bulk replay: its records are regenerated here from the seed and each node's salt secret, as the replay made them
    await replay(conn, base("bulk"));
    const targets = scaledTargets(seeds, SCALE);
    const counts = apportion(
      targets.enterprises,
      seeds.cities.map((c) => cfg.enterpriseShares.get(c.code)!),
    );
    const pop = new Population(SEED, seeds.cities, counts, cfg.financingShare, cfg.correctionShare, cfg.revocationShare, cfg.objectionShare);
    const bulk = await reopen("bulk");
    try {
      const cityNodes = seeds.cities.map((c) => bulk.nodesOfCity(c.code));
      for (const spec of chunkSpecs({ seeds, cityNodes, pop, opts: base("bulk") })) {
        for (const g of chunkRecords(pop, spec, bulk.stores.get(spec.nodeId).saltSecret())) {
          needles.addRecord(decodeRecord(g.encoding), g.salt);
          records.bulk++;
        }
      }
    } finally {
      bulk.close();
    }

    // a live replay (a transaction per record, authorization, request, fulfilment): its stores keep its records
    await replay(conn, base("live"));
    const live = await reopen("live");
    try {
      for (const r of storedRecords(live.stores)) {
        needles.addRecord(r.record, r.salt);
        records.live++;
      }
    } finally {
      live.close();
    }

    // the demo, on its own deployment on the same chain
    const demo = await Session.open(conn, { dataDir: join(dir, "demo") });
    try {
      await runDemo(demo, () => {});
      for (const r of storedRecords(demo.stores)) {
        needles.addRecord(r.record, r.salt);
        records.demo++;
      }
    } finally {
      demo.close();
    }
    lastBlock = await conn.ethers.provider.getBlockNumber();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("finds none of the records' plaintext or salts in any calldata, event or storage slot", async () => {
    expect(records.bulk, "bulk replay records").to.be.within(300, 1000);
    expect(records.live, "live replay records").to.be.within(300, 1000);
    expect(records.demo, "demo records").to.be.at.least(15);
    const scanner = new Scanner(needles);
    const cov = await scanChain(conn.ethers.provider, scanner, 0, lastBlock);
    console.log(
      `      scanned ${cov.blocks} blocks, ${cov.transactions} transactions, ${cov.logs} logs, ${cov.storageSlots} storage writes, ${cov.codes} contract codes ` +
        `(${(scanner.bytesScanned / 1e6).toFixed(1)} MB, ${scanner.wordsChecked} words) for ${needles.count} needles of ${records.bulk} + ${records.live} + ${records.demo} records (bulk, live, demo)`,
    );
    expect(cov.transactions).to.be.greaterThan(1000);
    expect(cov.storageSlots).to.be.greaterThan(1000);
    expect(scanner.findings.slice(0, 20), `${scanner.findings.length} findings`).to.deep.equal([]);
  });

  it("control: needles planted in a transaction's calldata, an event and a storage slot are found", async () => {
    const signers = await conn.ethers.getSigners();
    const [name] = [...needles.bytes.values()].flat().filter((n) => n.label.endsWith(" name"));
    const [amount] = [...needles.words.entries()].filter(([, label]) => label.endsWith("registered capital"));
    const [salt] = [...needles.bytes.values()].flat().filter((n) => n.label.endsWith(" salt"));
    // calldata: a plain transfer whose data carries a name and an amount word
    await (
      await signers[50].sendTransaction({
        to: signers[51].address,
        data: hexlify(Buffer.concat([Buffer.from("c0ffee00", "hex"), zeroPadBytes(amount[0]), name.value])),
      })
    ).wait();
    // an event and a storage slot: a node attests a live digest equal to a record's salt (a leak on purpose)
    const ledger = await conn.ethers.getContractAt("CreditLedger", manifestOf("bulk").manifest.contracts.CreditLedger.address);
    const hefei = hexlify(usccBytes("91340104MA2TXN4K1N"));
    await (
      await ledger.connect(signers[2 + 22]).getFunction("attest")({
        enterprise: hefei,
        category: Category.FinancingMortgage,
        version: 1,
        digest: hexlify(salt.value),
      })
    ).wait();
    const scanner = new Scanner(needles);
    await scanChain(conn.ethers.provider, scanner, lastBlock + 1, await conn.ethers.provider.getBlockNumber());
    const where = (label: string) => scanner.findings.filter((x) => x.needle === label).map((x) => x.where.split(" ")[0]);
    expect(where(name.label)).to.include("calldata");
    expect(where(amount[1])).to.include("calldata");
    expect(where(salt.label)).to.include.members(["calldata", "storage", "log"]);
  });
});

function zeroPadBytes(n: bigint): Buffer {
  return Buffer.from(getBytes(zeroPadValue(toBeHex(n), 32)));
}
