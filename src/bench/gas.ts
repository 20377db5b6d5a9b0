/**
 * Gas per attested record, live and in Merkle batches of 100 / 1,000 / 10,000, and gas of verifying one
 * record (live status check, batch proof). Runs on a fresh in-process chain; results are exact gas figures
 * (deterministic for a given compiler and EVM version).
 */
import { hexlify } from "ethers";
import type { ChainConnection } from "../chain/connection.js";
import { contractsOf } from "../chain/contracts.js";
import { deployConsortium } from "../chain/deploy.js";
import { roles } from "../chain/accounts.js";
import { fastRecordDigest, fastRecordLeaf, usccBytes } from "../ledger/leaf.js";
import { StandardTree } from "../merkle/standard.js";
import { Random } from "../random.js";
import { loadSeeds } from "../seeds.js";
import { generateUscc } from "../uscc.js";

export interface GasRow {
  what: string;
  records: number;
  transactions: number;
  gasTotal: number;
  gasPerRecord: number;
}

export interface GasReport {
  attest: GasRow[];
  verify: { what: string; proofLength: number; gas: number }[];
}

export async function measureGas(conn: ChainConnection, deploymentsDir: string, log: (s: string) => void = () => {}): Promise<GasReport> {
  const { manifest } = await deployConsortium(conn, { institutions: 0, fresh: true, deploymentsDir, dataDir: deploymentsDir });
  const c = await contractsOf(conn, manifest);
  const r = await roles(conn, manifest.nodes.length);
  const hefei = loadSeeds().cities.find((x) => x.code === "340100")!;
  const node = manifest.nodes.find((n) => n.city === hefei.code)!;
  const ledger = c.ledger.connect(r.operators[node.nodeId - 1]);
  const rng = new Random("gas-bench");
  const record = () => {
    const enterprise = generateUscc(rng, hefei);
    const digest = fastRecordDigest(rng.bytes(32), rng.bytes(320));
    return { enterprise, e18: hexlify(usccBytes(enterprise)), digest };
  };
  const attest: GasRow[] = [];
  const verify: GasReport["verify"] = [];

  // live, one record per transaction
  let gas = 0n;
  const singles = Array.from({ length: 20 }, record);
  for (const s of singles) gas += (await (await ledger.attest({ enterprise: s.e18, category: 2, version: 1, digest: hexlify(s.digest) })).wait())!.gasUsed;
  attest.push({
    what: "live, 1 record per tx",
    records: singles.length,
    transactions: singles.length,
    gasTotal: Number(gas),
    gasPerRecord: Number(gas) / singles.length,
  });
  log("live single done");

  // live, 100 records per multiAttest
  const many = Array.from({ length: 100 }, record);
  gas = (await (await ledger.multiAttest(many.map((s) => ({ enterprise: s.e18, category: 2, version: 1, digest: hexlify(s.digest) })))).wait())!.gasUsed;
  attest.push({ what: "live, 100 records per multiAttest", records: 100, transactions: 1, gasTotal: Number(gas), gasPerRecord: Number(gas) / 100 });
  verify.push({
    what: "attestationStatus (live record)",
    proofLength: 0,
    gas: Number(await c.ledger.attestationStatus.estimateGas(many[0].e18, 2, 1, hexlify(many[0].digest))),
  });

  for (const size of [100, 1_000, 10_000]) {
    const recs = Array.from({ length: size }, record);
    const leaves = recs.map((s) => fastRecordLeaf(usccBytes(s.enterprise), 3, 1, s.digest));
    const tree = StandardTree.fromLeafHashes(leaves);
    const receipt = (await (await ledger.anchorBatch({ category: 3, root: hexlify(tree.root), count: size, batchDigest: hexlify(tree.root) })).wait())!;
    attest.push({
      what: `batch of ${size.toLocaleString("en-US")}`,
      records: size,
      transactions: 1,
      gasTotal: Number(receipt.gasUsed),
      gasPerRecord: Number(receipt.gasUsed) / size,
    });
    const batchId = await c.ledger.batchCount();
    const proof = tree.proof(leaves[0]).map((p) => hexlify(p));
    verify.push({
      what: `verifyRecord, batch of ${size.toLocaleString("en-US")}`,
      proofLength: proof.length,
      gas: Number(
        await c.ledger.verifyRecord.estimateGas(batchId, { enterprise: recs[0].e18, category: 3, version: 1, digest: hexlify(recs[0].digest) }, proof),
      ),
    });
    log(`batch ${size} done`);
  }
  return { attest, verify };
}
