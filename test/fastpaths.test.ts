/**
 * The hot-path encoders and signers of live replay against the general ones they replace (ethers), and
 * the submission helpers against a real in-process chain.
 */
import { expect } from "chai";
import { AbiCoder, SigningKey, Transaction, Wallet, hexlify, keccak256, recoverAddress, toUtf8Bytes } from "ethers";
import { network } from "hardhat";
import { InstitutionCalldata } from "../src/chain/calldata.js";
import { signEip1559 } from "../src/chain/eip1559.js";
import { LocalAccount, SendStream, feeParams, receiptOf } from "../src/chain/send.js";
import { FastSigningKey, fastRecoverAddress } from "../src/chain/signing.js";
import {
  AuthorizationHasher,
  authorizationId,
  consentDomain,
  signAuthorization,
  signAuthorizationId,
  type Authorization,
  type Purpose,
} from "../src/consent/authorization.js";
import { LOG_ENTRY_VERSION, decodeLogEntry, encodeLogEntry } from "../src/query/log-entry.js";
import { Random } from "../src/random.js";
import { inOrderWindow, inSlices, untilSettled } from "../src/concurrency.js";
import { ConsentRegistry__factory, QueryDesk__factory } from "../typechain-types/index.js";
import { rejection } from "./helpers/expect.js";

const rng = new Random("fast paths");
const bytes = (n: number) => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rng.nextU32() & 0xff;
  return b;
};
const hex = (n: number) => hexlify(bytes(n));
const key = () => hexlify(new SigningKey(keccak256(bytes(32))).privateKey);
const anAuthorization = (i: number): Authorization => ({
  enterprise: hex(18),
  institution: rng.nextU32(),
  purpose: 1 + (i % 4),
  categories: 1 + (i % 7),
  notBefore: 1_700_000_000 + i,
  notAfter: 1_800_000_000 + i * 7,
  nonce: BigInt(hexlify(bytes(1 + (i % 32)))),
});

describe("fast paths", () => {
  it("FastSigningKey signs exactly as ethers' SigningKey (RFC 6979, low s) and refuses bad input", () => {
    for (let i = 0; i < 100; i++) {
      const k = key();
      const digest = hex(32);
      expect(new FastSigningKey(k).sign(digest).serialized).to.equal(new SigningKey(k).sign(digest).serialized);
    }
    expect(() => new FastSigningKey("0x" + "00".repeat(32))).to.throw(/not a secp256k1 private key/);
    expect(() => new FastSigningKey("0x1234")).to.throw(/not a secp256k1 private key/);
    expect(() => new FastSigningKey(key()).sign("0x1234")).to.throw(/must be 32 bytes/);
  });

  it("fastRecoverAddress recovers what ethers' recoverAddress does, from signatures and signed transactions, and refuses bad input", async () => {
    const rng = new Random("fast-recover");
    for (let i = 0; i < 50; i++) {
      const w = new Wallet(hexlify(rng.bytes(32)));
      const digest = keccak256(rng.bytes(40));
      const sig = w.signingKey.sign(digest);
      expect(fastRecoverAddress(digest, sig)).to.equal(recoverAddress(digest, sig));
      expect(fastRecoverAddress(digest, sig.serialized)).to.equal(w.address);
      // another digest recovers another address, as with ethers
      const other = keccak256(rng.bytes(40));
      expect(fastRecoverAddress(other, sig)).to.equal(recoverAddress(other, sig)).and.not.equal(w.address);
    }
    const w = new Wallet(hexlify(rng.bytes(32)));
    const tx = Transaction.from(
      await w.signTransaction({
        chainId: 862024,
        nonce: 7,
        to: w.address,
        data: "0x1234",
        gasLimit: 50_000,
        maxFeePerGas: 10n ** 9n,
        maxPriorityFeePerGas: 1n,
        type: 2,
      }),
    );
    expect(fastRecoverAddress(tx.unsignedHash, tx.signature!)).to.equal(tx.from).and.equal(w.address);
    expect(() => fastRecoverAddress("0x1234", tx.signature!)).to.throw(/must be 32 bytes/);
  });

  it("signEip1559 gives the bytes of ethers' signed type-2 transaction", () => {
    for (let i = 0; i < 100; i++) {
      const k = key();
      const fields = {
        chainId: BigInt(1 + rng.nextU32()),
        nonce: i * 1_013,
        maxPriorityFeePerGas: BigInt(i),
        maxFeePerGas: BigInt(i) + 10n ** BigInt(i % 15),
        gasLimit: 21_000n + BigInt(rng.nextU32()),
        to: hexlify(bytes(20)),
        data: hex(i * 7), // empty, short and long (> 55 bytes) payloads
      };
      const tx = Transaction.from({ type: 2, ...fields });
      tx.signature = new SigningKey(k).sign(tx.unsignedHash);
      expect(signEip1559(fields, new FastSigningKey(k))).to.equal(tx.serialized);
    }
    const f = { chainId: 1n, nonce: 0, maxPriorityFeePerGas: 2n, maxFeePerGas: 1n, gasLimit: 21_000n, to: hex(20), data: "0x" };
    expect(() => signEip1559(f, new FastSigningKey(key()))).to.throw(/priority fee 2 is above the max fee 1/);
    expect(() => signEip1559({ ...f, maxPriorityFeePerGas: 0n, to: hex(19) }, new FastSigningKey(key()))).to.throw(/20-byte address/);
  });

  it("InstitutionCalldata encodes registerAuthorization and requestQuery as ethers' ABI coder does", () => {
    const consents = ConsentRegistry__factory.createInterface();
    const desk = QueryDesk__factory.createInterface();
    const calldata = new InstitutionCalldata(consents, desk);
    for (let i = 0; i < 100; i++) {
      const a = anAuthorization(i);
      const signature = hex(i % 3 === 0 ? 65 : i % 70);
      expect(calldata.registerAuthorization(a, signature)).to.equal(consents.encodeFunctionData("registerAuthorization", [a, signature]));
      const r = { enterprise: a.enterprise, categories: a.categories, purpose: a.purpose, authorizationId: hex(32) };
      expect(calldata.requestQuery(r)).to.equal(desk.encodeFunctionData("requestQuery", [r]));
    }
    expect(() => calldata.requestQuery({ enterprise: hex(17), categories: 1, purpose: 1, authorizationId: hex(32) })).to.throw(/enterprise must be 18 bytes/);
    expect(() => calldata.registerAuthorization({ ...anAuthorization(1), purpose: 256 as Purpose }, hex(65))).to.throw(/purpose 256 is not a uint8/);
  });

  it("AuthorizationHasher gives the EIP-712 digest of ethers' typed-data encoder, and signatures over it verify", async () => {
    const domain = consentDomain(31337n, hexlify(bytes(20)));
    const hasher = new AuthorizationHasher(domain);
    for (let i = 0; i < 100; i++) {
      const a = anAuthorization(i);
      expect(hasher.id(a)).to.equal(authorizationId(domain, a));
    }
    const wallet = new Wallet(key());
    const a = anAuthorization(5);
    expect(signAuthorizationId(new FastSigningKey(wallet.privateKey), hasher.id(a))).to.equal(await signAuthorization(wallet, domain, a));
    expect(() => hasher.id({ ...a, notAfter: 2 ** 64 })).to.throw(/notAfter \d+ is not a uint64/);
    expect(() => hasher.id({ ...a, enterprise: hex(20) })).to.throw(/enterprise must be 18 bytes/);
  });

  it("encodeLogEntry writes the ABI layout word by word (AbiCoder's bytes), and decodes back", () => {
    const types = ["uint8", "uint64", "bytes18", "uint32", "uint16", "uint8", "uint8", "bytes32", "uint64", "uint8", "uint16", "bytes32", "uint256"];
    for (let i = 0; i < 100; i++) {
      const e = {
        sequence: rng.nextU32() * 3,
        enterprise: hex(18),
        institution: rng.nextU32(),
        servingNode: i % 65_536,
        purpose: i % 5,
        categories: i % 8,
        authorizationId: hex(32),
        time: 1_704_067_200 + rng.nextU32(),
        outcome: 1 + (i % 3),
        reason: i % 4,
        reportsDigest: hex(32),
        liveQueryId: BigInt(i) ** 9n,
      };
      const encoded = encodeLogEntry(e);
      const values = [
        LOG_ENTRY_VERSION,
        e.sequence,
        e.enterprise,
        e.institution,
        e.servingNode,
        e.purpose,
        e.categories,
        e.authorizationId,
        e.time,
        e.outcome,
        e.reason,
        e.reportsDigest,
        e.liveQueryId,
      ];
      expect(hexlify(encoded)).to.equal(AbiCoder.defaultAbiCoder().encode(types, values));
      expect(decodeLogEntry(encoded)).to.deep.equal(e);
    }
  });

  it("inOrderWindow starts items in order, bounds what is in flight, and after a failure starts nothing more but waits for the rest", async () => {
    const started: number[] = [];
    let inFlight = 0;
    let most = 0;
    await inOrderWindow([...Array(50).keys()], 5, async (i) => {
      started.push(i);
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, (i * 7) % 5));
      inFlight--;
    });
    expect(started).to.deep.equal([...Array(50).keys()]);
    expect(most).to.equal(5);
    const settled: number[] = [];
    const begun: number[] = [];
    const failure = await inOrderWindow([...Array(50).keys()], 4, async (i) => {
      begun.push(i);
      await new Promise((r) => setTimeout(r, i === 10 ? 1 : 5));
      if (i === 10) throw new Error("item 10 failed");
      settled.push(i);
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(failure?.message).to.equal("item 10 failed");
    expect(Math.max(...begun)).to.be.at.most(13); // nothing started once the failure was seen
    expect([...settled].sort((a, b) => a - b)).to.deep.equal(begun.filter((i) => i !== 10)); // every other started item finished first
    expect(await inSlices([...Array(10).keys()], (i) => i * i, 3)).to.deep.equal([0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
  });

  it("untilSettled waits as long as what is open keeps getting smaller, and gives up once it stalls for the bound", async () => {
    // 12 polls 10 ms apart, each closing one item: 120 ms in all, far past the 40 ms bound, and no failure
    let left = 12;
    const started = Date.now();
    const value = await untilSettled(
      async () => (--left === 0 ? { done: true, value: "settled" } : { done: false, left }),
      40,
      (n) => new Error(`stalled with ${n}`),
      10,
    );
    expect(value).to.equal("settled");
    expect(Date.now() - started).to.be.at.least(100);
    // stuck at 3 after two polls: stops with the error naming what is open, after about the bound
    let polls = 0;
    const stalled = await untilSettled(
      async () => ({ done: false, left: Math.max(3, 5 - polls++) }),
      40,
      (n) => new Error(`stalled with ${n}`),
      10,
    ).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(stalled?.message).to.equal("stalled with 3");
    expect(polls).to.be.within(4, 20);
  });

  for (const mode of ["sequential", "pipelined"] as const) {
    it(`LocalAccount and a ${mode} SendStream get dependent nonces mined in order on the in-process chain`, async () => {
      const conn = await network.create();
      const rpc = conn.ethers.provider;
      const [funder, to] = await conn.ethers.getSigners();
      const senders = [Wallet.createRandom(), Wallet.createRandom()];
      for (const w of senders) await (await funder.sendTransaction({ to: w.address, value: 10n ** 20n })).wait();
      const accounts = await Promise.all(senders.map((w) => LocalAccount.open(rpc, w.address, new FastSigningKey(w.privateKey))));
      const fees = await feeParams(rpc);
      const stream = new SendStream(rpc, mode);
      // 2 × 100 transactions, interleaved, each carrying its number as calldata, none awaited before the next
      const sent = [];
      for (let i = 0; i < 200; i++) sent.push(stream.push(accounts[i % 2].sign({ to: to.address, data: hexlify(toUtf8Bytes(`tx ${i}`)), gas: 30_000n }, fees)));
      const mined = await Promise.all(sent.map(async (s) => (await s).wait()));
      const blocks = mined.map((m) => m.blockNumber);
      expect(blocks).to.deep.equal([...blocks].sort((a, b) => a - b)); // one block each, in push order
      expect(new Set(blocks).size).to.equal(200);
      for (const w of senders) expect(await rpc.getTransactionCount(w.address)).to.equal(100);
      // a transaction whose nonce is ahead is refused, loudly
      accounts[0].sign({ to: to.address, data: "0x", gas: 21_000n }, fees); // signed, never sent: a nonce skipped
      await rejection(stream.push(accounts[0].sign({ to: to.address, data: "0x", gas: 21_000n }, fees)), /[Nn]once too high/);
      await rejection(receiptOf(rpc, "0x" + "00".repeat(32), 300), /has no receipt after 0 s: not mined/);
    });
  }
});
