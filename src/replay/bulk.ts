/**
 * The bulk driver of a replay: every node anchors one Merkle batch per category for each chunk of its
 * enterprises (with the chunk's corrections and revocations declared in batches of 500), and every query goes
 * into the serving node's log as a leaf hash, committed on chain after each block of queries. All chain
 * writes go through the nodes' journals: a chunk's steps are journaled (with its batches' leaves) before the
 * first is sent, so an interrupted run is settled when the nodes start again.
 */
import { hexlify, keccak256 } from "ethers";
import { isInProcess } from "../chain/connection.js";
import type { NewStep } from "../node/journal.js";
import { Category } from "../records/categories.js";
import { generateQueries, generatedLeafHash } from "../workload/queries.js";
import type { ChunkResult } from "./chunks.js";
import {
  DECLARATIONS_PER_TX,
  QUERY_BLOCK,
  REVOCATION_REASON_ENTERED_IN_ERROR,
  chunkDone,
  chunkSpecs,
  commitLogs,
  phaseMetrics,
  runQueryModel,
  tick,
  writeState,
  type PhaseMetrics,
  type Run,
  type Targets,
} from "./model.js";
import { ChunkPool } from "./pool.js";
import type { PopulationInit } from "./population.js";
import { PhaseProgress } from "./progress.js";

/** The journal steps of a chunk: its anchorings, then its supersede and revoke declarations. */
function stepsOf(key: string, result: ChunkResult): NewStep[] {
  const out: NewStep[] = result.batches.map((b) => ({
    key: `${key}/anchor/${b.category}/${b.version}`,
    kind: "anchor",
    payload: { category: b.category, root: hexlify(b.root), count: b.count, batchDigest: keccak256(b.leaves) },
  }));
  for (let i = 0; i < result.corrected.length; i += DECLARATIONS_PER_TX)
    out.push({
      key: `${key}/supersede/${i}`,
      kind: "supersede",
      payload: {
        items: result.corrected.slice(i, i + DECLARATIONS_PER_TX).map((enterprise) => ({ enterprise, category: Category.OperatingStatus, version: 2 })),
      },
    });
  for (let i = 0; i < result.revoked.length; i += DECLARATIONS_PER_TX)
    out.push({
      key: `${key}/revoke/${i}`,
      kind: "revoke",
      payload: {
        items: result.revoked
          .slice(i, i + DECLARATIONS_PER_TX)
          .map((enterprise) => ({ enterprise, category: Category.OperatingStatus, version: 1, reason: REVOCATION_REASON_ENTERED_IN_ERROR })),
      },
    });
  return out;
}

export async function bulkRecordsPhase(run: Run, popInit: PopulationInit, targets: Targets): Promise<PhaseMetrics> {
  const specs = chunkSpecs(run);
  const progress = new PhaseProgress("records", targets.enterprises, "enterprises", undefined, run.opts.progress);
  let enterprises = 0;
  let records = 0;
  let gas = 0;
  let txs = 0;
  const todo: typeof specs = [];
  for (const s of specs) {
    const node = run.nodes[s.nodeId - 1];
    if (chunkDone(node, s.key)) {
      enterprises += Math.min(s.batchSize, Math.max(0, Math.ceil((run.pop.counts[s.city] - s.slot) / s.slots) - s.chunk * s.batchSize));
      records += node.journal.withPrefix(s.key + "/anchor/").reduce((a, x) => a + (x.payload as { count: number }).count, 0);
    } else todo.push(s);
  }
  progress.update(enterprises);
  const pool = new ChunkPool(popInit, run.opts.workers);
  const ahead = Math.max(2, 2 * run.opts.workers);
  const queue: Promise<ChunkResult>[] = [];
  // On a chain that seals on a clock (the geth network) the nodes send side by side: one node after another
  // would wait a block per transaction. Each node's own steps stay in order, behind its previous chunk's. The
  // in-process chain mines each transaction at once, so there a chunk is sent at a time, as the year's order
  // has it (side by side gained nothing there and cost ~7 % of peak memory at scale 0.1); so is a run that
  // must stop at an exact step (`stopAfterSteps`, the tests of --resume).
  const sideBySide = run.opts.stopAfterSteps === undefined && !isInProcess(run.session.conn) ? run.nodes.length : 1;
  const tails = new Map<number, Promise<void>>();
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  try {
    let next = 0;
    for (let k = 0; k < todo.length && !failure; k++) {
      while (next < todo.length && queue.length < ahead) {
        const spec = todo[next++];
        queue.push(pool.run(spec, run.saltSecrets[spec.nodeId - 1]));
      }
      const result = await queue.shift()!;
      const s = todo[k];
      const node = run.nodes[s.nodeId - 1];
      const steps = stepsOf(s.key, result);
      const fresh = node.journal.withPrefix(s.key + "/").length === 0;
      if (fresh)
        await node.journalSteps(steps, () => {
          for (const b of result.batches)
            node.store.putPendingBatch({
              step: `${s.key}/anchor/${b.category}/${b.version}`,
              category: b.category,
              root: b.root,
              count: b.count,
              batchDigest: Buffer.from(keccak256(b.leaves).slice(2), "hex"),
              leaves: b.leaves,
              chunk: s.key,
              local: null,
            });
        });
      const send = async () => {
        const open: NewStep[] = [];
        for (const step of steps) {
          const state = node.journal.get(step.key)?.state;
          if (state === "done") continue;
          if (state === "failed") throw new Error(`replay: node ${node.id}'s step ${step.key} was refused by the chain: ${node.journal.get(step.key)!.error}`);
          open.push(step);
        }
        const sendOne = async (step: NewStep) => {
          if (failure) return;
          tick(run);
          // side by side, a chunk's steps (independent of each other: anchorings, declarations, revocations) are
          // all in flight at once, each estimated first and submitted in the node's nonce order
          const mined = await node.execute(step, { pipelined: sideBySide > 1 });
          gas += Number(mined.gasUsed);
          txs++;
        };
        if (sideBySide > 1) await Promise.all(open.map(sendOne));
        else for (const step of open) await sendOne(step);
        enterprises += result.enterprises;
        records += result.records;
        progress.update(enterprises);
      };
      const done: Promise<void> = (tails.get(s.nodeId) ?? Promise.resolve()).then(send).catch((error: unknown) => {
        failure ??= { error };
      });
      tails.set(s.nodeId, done);
      inFlight.add(done);
      void done.finally(() => inFlight.delete(done));
      if (inFlight.size >= sideBySide) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    await Promise.all(inFlight);
    await pool.close();
  }
  if (failure) throw failure.error;
  const seconds = progress.stop();
  run.state.recordsDone = true;
  writeState(run.dir, run.state);
  return phaseMetrics("records", seconds, records, txs, gas);
}

export async function bulkQueriesPhase(run: Run): Promise<PhaseMetrics> {
  const model = runQueryModel(run);
  const plan = model.plan;
  const blocks = Math.ceil(plan.served / QUERY_BLOCK);
  const progress = new PhaseProgress("queries", plan.served, "queries", undefined, run.opts.progress);
  let gas = 0;
  let txs = 0;
  progress.update(Math.min(plan.served, run.state.queryBlocksDone * QUERY_BLOCK));
  for (let b = run.state.queryBlocksDone; b < blocks; b++) {
    const from = b * QUERY_BLOCK;
    const to = Math.min(plan.served, from + QUERY_BLOCK);
    // one pass over the block's queries, in attempt order, keeping only each entry's leaf and attempt
    const written = new Map<number, { first: number; leaves: Uint8Array; attempts: number[] }>();
    const before = new Set(run.nodes.filter((n) => n.store.hasReplayBlock(b)).map((n) => n.nodeId)); // written before an interruption
    for (const q of generateQueries(model, b, from, to)) {
      if (before.has(q.servingNode)) continue;
      let w = written.get(q.servingNode);
      if (!w) written.set(q.servingNode, (w = { first: run.nodes[q.servingNode - 1].queryLog.size, leaves: new Uint8Array(32 * 1024), attempts: [] }));
      const k = w.attempts.length;
      const leaf = generatedLeafHash(q, w.first + k);
      if (32 * (k + 1) > w.leaves.length) {
        const grown = new Uint8Array(2 * w.leaves.length);
        grown.set(w.leaves);
        w.leaves = grown;
      }
      w.leaves.set(leaf, 32 * k);
      w.attempts.push(q.attempt);
    }
    for (const [nodeId, w] of written)
      run.nodes[nodeId - 1].queryLog.appendBlock(b, Uint32Array.from(w.attempts), w.leaves.subarray(0, 32 * w.attempts.length));
    const spent = await commitLogs(run);
    txs += spent.txs;
    gas += spent.gas;
    run.state.queryBlocksDone = b + 1;
    writeState(run.dir, run.state);
    progress.update(to);
  }
  const seconds = progress.stop();
  return phaseMetrics("queries", seconds, plan.served + plan.refused, txs, gas);
}
