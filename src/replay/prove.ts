/**
 * `audit --verify --sample N` after a replay: proves N random records and N random query-log entries
 * against the chain. Each sampled item is regenerated from the seed (so the store's leaf must be the leaf of
 * the record or query the seed defines), located in the node store, and proven on chain: a record with
 * `CreditLedger.verifyRecord`, a query-log entry with `QueryLog.verifyEntry` against the node's latest
 * commitment.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { hexlify } from "ethers";
import type { Finding } from "../audit/verify.js";
import type { Contracts } from "../chain/contracts.js";
import type { Manifest } from "../chain/manifest.js";
import { usccBytes } from "../ledger/leaf.js";
import { recordStatusName } from "../ledger/status.js";
import { MerkleLog } from "../merkle/log.js";
import { StandardTree } from "../merkle/standard.js";
import { Random } from "../random.js";
import { loadSeeds } from "../seeds.js";
import { NodeStores } from "../store/stores.js";
import { apportion, loadWorkloadConfig } from "../workload/config.js";
import { Population } from "../workload/enterprises.js";
import { generateQueryBlock, generatedLeafHash, type GeneratedQuery, type QueryModel } from "../workload/queries.js";
import { YearProfile } from "../workload/time.js";
import { chunkRecords, type ChunkSpec } from "./chunks.js";
import { QUERY_BLOCK, scaledTargets, type ReplayState } from "./replay.js";
import { ReplayStore } from "./store.js";


export function replayStateIn(dataDir: string, manifest: Manifest): ReplayState | undefined {
  const path = join(dataDir, `${manifest.network}-${manifest.chainId}`, "replay.json");
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as ReplayState) : undefined;
}

export async function proveReplaySample(c: Contracts, manifest: Manifest, dataDir: string, state: ReplayState, n: number, seed: string): Promise<Finding[]> {
  const seeds = loadSeeds();
  const cfg = loadWorkloadConfig(seeds);
  const targets = scaledTargets(seeds, state.scale);
  const counts = apportion(targets.enterprises, seeds.cities.map((x) => cfg.enterpriseShares.get(x.code)!));
  const pop = new Population(state.seed, seeds.cities, counts, cfg.financingShare, cfg.correctionShare, cfg.revocationShare, cfg.objectionShare);
  const cityNodes = seeds.cities.map((city) => manifest.nodes.filter((x) => x.city === city.code).map((x) => x.nodeId));
  const stores = new NodeStores(dataDir, manifest);
  const rng = new Random(`audit-sample/${seed}`);
  const findings: Finding[] = [];
  try {
    const anchors = manifest.nodes.flatMap((node) =>
      new ReplayStore(stores.get(node.nodeId)).allSteps().filter((s) => s.kind === "anchor" && s.status === "done").map((s) => ({ node, s })),
    );
    for (let k = 0; k < n && anchors.length > 0; k++) {
      const picked = anchors[rng.int(0, anchors.length - 1)];
      const node = picked.node;
      const s = new ReplayStore(stores.get(node.nodeId)).stepsWithPrefix(picked.s.step)[0]; // with its leaves
      const i = rng.int(0, s.count - 1);
      const stored = s.leaves!.slice(32 * i, 32 * i + 32);
      const [, city, slot, chunk] = s.step.split("/").map(Number);
      const spec: ChunkSpec = { city, slot, slots: cityNodes[city].length, chunk, batchSize: state.batchSize };
      const subject = `replayed record ${node.id} batch ${s.batchId} leaf ${i}`;
      const regenerated = [...chunkRecords(pop, spec)].filter((r) => r.category === s.category && r.version === s.version)[i];
      if (!regenerated || hexlify(regenerated.leaf) !== hexlify(stored)) {
        findings.push({ subject, ok: false, failure: "leaf-differs-from-seed", detail: "the store's leaf is not the one the seed defines" });
        continue;
      }
      const leaves = Array.from({ length: s.count }, (_, j) => s.leaves!.slice(32 * j, 32 * j + 32));
      const proof = StandardTree.fromLeafHashes(leaves).proof(stored).map((p) => hexlify(p));
      const status = await c.ledger.verifyRecord(s.batchId!, { enterprise: hexlify(usccBytes(regenerated.enterprise)), category: s.category, version: s.version, digest: hexlify(regenerated.digest) }, proof);
      findings.push(status === 0n ? { subject, ok: false, failure: "not-anchored" } : { subject: `${subject} (${regenerated.enterprise})`, ok: true, detail: recordStatusName(status) });
    }

    const plan = { served: targets.queries, refused: Math.round((targets.queries * state.refusedShare) / (1 - state.refusedShare)), reports: targets.reports };
    const cityIndex = new Map(seeds.cities.map((x, i) => [x.code, i]));
    const model: QueryModel = {
      seed: state.seed,
      plan,
      population: pop,
      profile: new YearProfile(cfg.holidays, cfg.makeUpWorkdays),
      institutionCity: [0, ...manifest.institutions.map((i) => cityIndex.get(manifest.nodes[i.sponsorNodeId - 1].city)!)],
      institutionZipf: cfg.institutionZipf,
      crossCityShare: cfg.crossCityShare,
      enterpriseShares: seeds.cities.map((x) => cfg.enterpriseShares.get(x.code)!),
      cityNodes,
    };
    const blocks = new Map<number, Map<number, GeneratedQuery>>();
    const logs = new Map<number, MerkleLog>();
    const withLogs = manifest.nodes.filter((node) => new ReplayStore(stores.get(node.nodeId)).logSize() > 0);
    for (let k = 0; k < n && withLogs.length > 0; k++) {
      const node = withLogs[rng.int(0, withLogs.length - 1)];
      const rs = new ReplayStore(stores.get(node.nodeId));
      let log = logs.get(node.nodeId);
      if (!log) logs.set(node.nodeId, (log = MerkleLog.importLeafHashes(rs.logLeaves())));
      const seq = rng.int(0, log.size - 1);
      const subject = `replayed query ${node.id}#${seq}`;
      const where = rs.logBlockOf(seq)!;
      let block = blocks.get(where.block);
      if (!block) {
        const from = where.block * QUERY_BLOCK;
        block = new Map(generateQueryBlock(model, where.block, from, Math.min(plan.served, from + QUERY_BLOCK)).map((q) => [q.attempt, q]));
        blocks.set(where.block, block);
      }
      const q = block.get(where.attempts[seq - where.firstSequence]);
      const stored = log.leafHash(seq);
      if (!q || q.servingNode !== node.nodeId || hexlify(generatedLeafHash(q, seq)) !== hexlify(stored)) {
        findings.push({ subject, ok: false, failure: "log-entry-differs-from-seed" });
        continue;
      }
      const latest = await c.queryLog.latestCommitment(node.nodeId);
      const index = Number(await c.queryLog.commitmentCount(node.nodeId)) - 1;
      if (index < 0 || Number(latest.size) <= seq) {
        findings.push({ subject, ok: false, failure: "entry-not-committed" });
        continue;
      }
      try {
        await c.queryLog.verifyEntry(node.nodeId, index, seq, stored, log.inclusionProof(seq, Number(latest.size)).map((p) => hexlify(p)));
        findings.push({ subject: `${subject} (${q.enterprise}, institution ${q.institution})`, ok: true });
      } catch (e) {
        findings.push({ subject, ok: false, failure: "inclusion-proof-rejected", detail: (e as Error).message.split("\n")[0] });
      }
    }
  } finally {
    stores.close();
  }
  return findings;
}
