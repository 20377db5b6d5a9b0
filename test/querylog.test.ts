import { expect } from "chai";
import { hexlify, toUtf8Bytes } from "ethers";
import type { QueryLog } from "../typechain-types/index.js";
import { MerkleLog } from "../src/merkle/log.js";
import { hashLeaf } from "../src/merkle/rfc6962.js";
import { deployedConsortium } from "./helpers/consortium.js";

const leaves = (n: number, tag = "q") => Array.from({ length: n }, (_, i) => hashLeaf(toUtf8Bytes(`${tag}${i}`)));
const hex = (xs: Uint8Array[]) => xs.map((x) => hexlify(x));

describe("QueryLog (CT-style commitments)", function () {
  let f: Awaited<ReturnType<typeof deployedConsortium>>;
  let ql: QueryLog;
  let snapshot: { restore(): Promise<void> };
  before(async () => {
    f = await deployedConsortium(0);
    ql = (await f.conn.ethers.getContractAt("QueryLog", f.manifest.contracts.QueryLog.address)) as unknown as QueryLog;
    snapshot = await f.conn.networkHelpers.takeSnapshot();
  });
  afterEach(async () => snapshot.restore());
  const node = () => ql.connect(f.operators[0]);

  it("accepts a growing log with consistency proofs and proves entries", async () => {
    const all = leaves(21);
    const log = MerkleLog.fromLeafHashes(all.slice(0, 8));
    await expect(node().commitLog(8, log.root(), []))
      .to.emit(ql, "LogCommitted")
      .withArgs(1, 0, 8, hexlify(log.root()), 0);
    for (const h of all.slice(8)) log.append(h);
    await node().commitLog(21, log.root(), hex(log.consistencyProof(8, 21)));
    expect((await ql.latestCommitment(1)).size).to.equal(21n);
    for (const i of [0, 7, 8, 20]) expect(await ql.verifyEntry(1, 1, i, all[i], hex(log.inclusionProof(i, 21)))).to.equal(true);
    expect(await ql.verifyEntry(1, 0, 3, all[3], hex(log.inclusionProof(3, 8)))).to.equal(true);
  });

  it("rejects a commitment that drops or changes an entry", async () => {
    const all = leaves(12);
    const log = MerkleLog.fromLeafHashes(all.slice(0, 6));
    await node().commitLog(6, log.root(), []);
    // drop entry 2: the new log's first 6 entries differ from the committed ones
    const dropped = MerkleLog.fromLeafHashes([...all.slice(0, 2), ...all.slice(3, 12)]);
    await expect(node().commitLog(11, dropped.root(), hex(dropped.consistencyProof(6, 11)))).to.be.revertedWithCustomError(ql, "RFC6962RootMismatch");
    // change entry 4
    const changed = [...all];
    changed[4] = hashLeaf(toUtf8Bytes("rewritten"));
    const rewritten = MerkleLog.fromLeafHashes(changed);
    await expect(node().commitLog(12, rewritten.root(), hex(rewritten.consistencyProof(6, 12)))).to.be.revertedWithCustomError(ql, "RFC6962RootMismatch");
    // a proof for the honest log does not carry a dishonest root either
    const honest = MerkleLog.fromLeafHashes(all);
    await expect(node().commitLog(12, rewritten.root(), hex(honest.consistencyProof(6, 12)))).to.be.revertedWithCustomError(ql, "RFC6962RootMismatch");
    await node().commitLog(12, honest.root(), hex(honest.consistencyProof(6, 12)));
  });

  it("rejects a shrinking, unchanged or empty log, and outsiders", async () => {
    const log = MerkleLog.fromLeafHashes(leaves(5));
    await expect(node().commitLog(0, log.root(), [])).to.be.revertedWithCustomError(ql, "EmptyLog");
    await node().commitLog(5, log.root(), []);
    await expect(node().commitLog(5, log.root(), []))
      .to.be.revertedWithCustomError(ql, "LogUnchanged")
      .withArgs(1, 5);
    await expect(node().commitLog(4, log.root(4), []))
      .to.be.revertedWithCustomError(ql, "LogShrinks")
      .withArgs(1, 5, 4);
    await expect(ql.connect(f.spare[0]).commitLog(5, log.root(), [])).to.be.revertedWithCustomError(f.registry, "NotNodeOperator");
  });

  it("rejects a forged inclusion proof and unknown commitments", async () => {
    const all = leaves(9);
    const log = MerkleLog.fromLeafHashes(all);
    await node().commitLog(9, log.root(), []);
    const proof = hex(log.inclusionProof(4, 9));
    const forged = [...proof];
    forged[1] = forged[1].slice(0, -1) + (forged[1].endsWith("0") ? "1" : "0");
    await expect(ql.verifyEntry(1, 0, 4, all[4], forged)).to.be.revertedWithCustomError(ql, "RFC6962RootMismatch");
    await expect(ql.verifyEntry(1, 0, 5, all[4], proof)).to.be.revertedWithCustomError(ql, "RFC6962RootMismatch");
    await expect(ql.verifyEntry(1, 0, 9, all[4], proof)).to.be.revertedWithCustomError(ql, "RFC6962IndexOutOfRange");
    await expect(ql.verifyEntry(1, 1, 4, all[4], proof))
      .to.be.revertedWithCustomError(ql, "UnknownCommitment")
      .withArgs(1, 1);
  });
});
