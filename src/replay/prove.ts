/**
 * `audit --verify --sample N` after a replay: proves N random records and N random query-log entries
 * against the chain. Each sampled item is regenerated from the seed, a record with the salt of its node's
 * secret (read from the node's store), so the store's leaf must be the leaf of the record or query they
 * define; it is located in the node store and proven on chain: a record with `CreditLedger.verifyRecord`, a
 * query-log entry with `QueryLog.verifyEntry` against the node's latest commitment.
 */
import { hexlify } from "ethers";
import type { Finding } from "../audit/verify.js";
import type { Contracts } from "../chain/contracts.js";
import type { Manifest } from "../chain/manifest.js";
import { usccBytes } from "../ledger/leaf.js";
import { recordStatusName } from "../ledger/status.js";
import { LogTrees } from "../node/query-log.js";
import { StandardTree } from "../merkle/standard.js";
import { Random } from "../random.js";
import { loadSeeds } from "../seeds.js";
import { splitHashes, type StoredBatch } from "../store/nodeStore.js";
import type { NodeStores } from "../store/stores.js";
import { apportion, loadWorkloadConfig } from "../workload/config.js";
import { Population } from "../workload/enterprises.js";
import { generateQueryBlock, generatedLeafHash, type GeneratedQuery } from "../workload/queries.js";
import { chunkRecords, type ChunkSpec } from "./chunks.js";
import { QUERY_BLOCK, queryModel, queryPlan, readState, scaledTargets, type ReplayState } from "./model.js";

/** The state of the replay that ran on a deployment, if one did. */
export function replayStateIn(stores: NodeStores): ReplayState | undefined {
  return readState(stores.dir);
}

export async function proveReplaySample(
  c: Contracts,
  manifest: Manifest,
  stores: NodeStores,
  state: ReplayState,
  n: number,
  seed: string,
  trees: LogTrees = new LogTrees(),
): Promise<Finding[]> {
  const seeds = loadSeeds();
  const cfg = loadWorkloadConfig(seeds);
  const targets = scaledTargets(seeds, state.scale);
  const counts = apportion(
    targets.enterprises,
    seeds.cities.map((x) => cfg.enterpriseShares.get(x.code)!),
  );
  const pop = new Population(state.seed, seeds.cities, counts, cfg.financingShare, cfg.correctionShare, cfg.revocationShare, cfg.objectionShare);
  const cityNodes = seeds.cities.map((city) => manifest.nodes.filter((x) => x.city === city.code).map((x) => x.nodeId));
  const rng = new Random(`audit-sample/${seed}`);
  const findings: Finding[] = [];
  const withStores = manifest.nodes.filter((node) => stores.existing().includes(node.nodeId));
  const anchors: { node: (typeof manifest.nodes)[number]; b: StoredBatch }[] = withStores.flatMap((node) =>
    stores
      .get(node.nodeId)
      .batches()
      .filter((b) => b.chunk !== null)
      .map((b) => ({ node, b })),
  );
  for (let k = 0; k < n && anchors.length > 0; k++) {
    const { node, b: picked } = anchors[rng.int(0, anchors.length - 1)];
    const b = stores.get(node.nodeId).batch(picked.batchId!)!; // with its leaves
    const i = rng.int(0, b.count - 1);
    const leaves = splitHashes(b.leaves);
    const stored = leaves[i];
    const [, city, slot, chunk] = b.chunk!.split("/").map(Number);
    const spec: ChunkSpec = { city, slot, slots: cityNodes[city].length, chunk, batchSize: state.batchSize };
    const subject = `replayed record ${node.id} batch ${b.batchId} leaf ${i}`;
    const version = Number(b.step.split("/").at(-1));
    let secret: Uint8Array;
    try {
      secret = stores.get(node.nodeId).saltSecret(); // the salts come from the node's own secret, not the seed
    } catch (e) {
      findings.push({ subject, ok: false, failure: "leaf-differs-from-seed", detail: (e as Error).message });
      continue;
    }
    const regenerated = [...chunkRecords(pop, spec, secret)].filter((r) => r.category === b.category && r.version === version)[i];
    if (!regenerated || hexlify(regenerated.leaf) !== hexlify(stored)) {
      findings.push({
        subject,
        ok: false,
        failure: "leaf-differs-from-seed",
        detail: "the store's leaf is not the one the seed and the node's salt secret define",
      });
      continue;
    }
    const proof = StandardTree.fromLeafHashes(leaves)
      .proof(stored)
      .map((p) => hexlify(p));
    const status = await c.ledger.verifyRecord(
      b.batchId!,
      { enterprise: hexlify(usccBytes(regenerated.enterprise)), category: b.category, version, digest: hexlify(regenerated.digest) },
      proof,
    );
    findings.push(
      status === 0n
        ? { subject, ok: false, failure: "not-anchored" }
        : { subject: `${subject} (${regenerated.enterprise})`, ok: true, detail: recordStatusName(status) },
    );
  }

  const model = queryModel(
    {
      seeds,
      cfg,
      pop,
      cityNodes,
      seed: state.seed,
      institutions: manifest.institutions.slice(0, state.institutions),
      nodeCity: (id) => manifest.nodes[id - 1].city,
    },
    queryPlan(targets, state.refusedShare),
  );
  const plan = model.plan;
  const blocks = new Map<number, Map<number, GeneratedQuery>>();
  const withLogs = withStores.filter((node) => stores.get(node.nodeId).logBlocks().length > 0);
  for (let k = 0; k < n && withLogs.length > 0; k++) {
    const node = withLogs[rng.int(0, withLogs.length - 1)];
    const store = stores.get(node.nodeId);
    const log = trees.of(store);
    // a replayed entry: one of a replayed block (whole entries of live queries are proven by the audit itself)
    const ranges = store.logBlocks();
    const total = ranges.reduce((a, r) => a + r.count, 0);
    let pickAt = rng.int(0, total - 1);
    const range = ranges.find((r) => (pickAt < r.count ? true : ((pickAt -= r.count), false)))!;
    const seq = range.firstSequence + pickAt;
    const subject = `replayed query ${node.id}#${seq}`;
    const where = store.logBlockOf(seq)!;
    let block = blocks.get(where.replayBlock);
    if (!block) {
      const from = where.replayBlock * QUERY_BLOCK;
      block = new Map(generateQueryBlock(model, where.replayBlock, from, Math.min(plan.served, from + QUERY_BLOCK)).map((q) => [q.attempt, q]));
      blocks.set(where.replayBlock, block);
    }
    const q = block.get(where.attempts[seq - where.firstSequence]);
    const stored = log.leafHash(seq);
    if (!q || q.servingNode !== node.nodeId || hexlify(generatedLeafHash(q, seq)) !== hexlify(stored)) {
      findings.push({ subject, ok: false, failure: "log-entry-differs-from-seed" });
      continue;
    }
    const latest = await c.queryLog.latestCommitment(node.nodeId);
    const index = Number(await c.queryLog.commitmentCount(node.nodeId)) - 1;
    if (index < 0 || Number(latest.size) <= seq || Number(latest.size) > log.size) {
      findings.push({
        subject,
        ok: false,
        failure: "entry-not-committed",
        detail: `latest commitment covers ${latest.size} entries, the store has ${log.size}`,
      });
      continue;
    }
    try {
      await c.queryLog.verifyEntry(
        node.nodeId,
        index,
        seq,
        stored,
        log.inclusionProof(seq, Number(latest.size)).map((p) => hexlify(p)),
      );
      findings.push({ subject: `${subject} (${q.enterprise}, institution ${q.institution})`, ok: true });
    } catch (e) {
      findings.push({ subject, ok: false, failure: "inclusion-proof-rejected", detail: (e as Error).message.split("\n")[0] });
    }
  }
  return findings;
}
