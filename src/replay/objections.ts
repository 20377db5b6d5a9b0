/**
 * The year's objections (异议): enterprises object to their operating-status record (a small share of them: 463
 * at scale 1), in enterprise order, in both modes. An objection is the information subject's right (art. 25 of
 * the 2013 regulation): the enterprise's signer files it, so its home-city node first binds that signer (a
 * journaled node step, unless the chain has it bound already). Objections are the enterprises' writes, not a node's: the
 * replay state counts those filed, and a resumed run checks the chain for the one that may have been sent
 * before the interruption.
 */
import { requiredConfirmations } from "../chain/send.js";
import { Wallet, computeAddress, hexlify, keccak256, toUtf8Bytes } from "ethers";
import { isInProcess } from "../chain/connection.js";
import { usccBytes } from "../ledger/leaf.js";
import type { NewStep } from "../node/journal.js";
import { Category } from "../records/categories.js";
import { enterprisePrivateKey, phaseMetrics, tick, writeState, type PhaseMetrics, type Run } from "./model.js";

/** Gas money of an objecting enterprise's key (local chains only). */
const ENTERPRISE_GAS_FLOOR = 10n ** 16n;
const ENTERPRISE_GAS_TOPUP = 10n ** 17n;

/** Objections filed side by side on a chain that seals on a clock (each would otherwise wait for its blocks). */
const SIDE_BY_SIDE = 64;

export async function objectionsPhase(run: Run): Promise<PhaseMetrics> {
  const started = performance.now();
  const { session } = run;
  const list: { city: number; i: number }[] = [];
  for (let c = 0; c < run.pop.counts.length; c++) for (let i = 0; i < run.pop.counts[c]; i++) if (run.pop.hasObjection(c, i)) list.push({ city: c, i });
  let txs = 0;
  let gas = 0;
  // one at a time on the in-process chain (it mines each at once) and in a run that must stop at an exact step;
  // a group side by side on a chain that seals on a clock, the group counted once all of it is filed
  const group = run.opts.stopAfterSteps === undefined && !isInProcess(session.conn) ? SIDE_BY_SIDE : 1;
  const ledger = session.contracts.ledger;
  for (let from = run.state.objectionsFiled; from < list.length; from += group) {
    const items = list.slice(from, from + group).map(({ city, i }, n) => {
      const code = run.pop.code(city, i);
      const key = enterprisePrivateKey(run.opts.seed, code);
      return { k: from + n, city, code, e18: hexlify(usccBytes(code)), version: run.pop.isCorrected(city, i) ? 2 : 1, key, signer: computeAddress(key) };
    });
    // what an interrupted run already did: each enterprise objects once, so a dispute on its version is its own
    const filed = await Promise.all(items.map(async (x) => (await ledger.disputeCount(x.e18, Category.OperatingStatus, x.version)) > 0n));
    const todo = items.filter((_, n) => !filed[n]);
    const bound = await Promise.all(todo.map(async (x) => (await ledger.enterpriseSigner(x.e18)) === x.signer));
    // 1. the home-city node binds each signer (journaled; one group of steps per node, sent in order)
    const binds = todo
      .filter((_, n) => !bound[n])
      .map((x) => ({
        node: run.nodes[run.cityNodes[x.city][0] - 1],
        step: { key: `r/bind/${x.code}`, kind: "bind-signer", payload: { enterprise: x.code, signer: x.signer } } as NewStep<"bind-signer">,
      }));
    for (const node of new Set(binds.map((b) => b.node)))
      await node.journalSteps(binds.filter((b) => b.node === node && node.journal.get(b.step.key) === undefined).map((b) => b.step));
    // 2. meanwhile each enterprise gets gas money (the deployer's transfers); then it files its objection
    const fast = group > 1;
    const [mined] = await Promise.all([
      Promise.all(
        binds.map(async ({ node, step }) => {
          tick(run);
          return node.execute(step, { fast });
        }),
      ),
      session.fundMany(
        todo.map((x) => x.signer),
        ENTERPRISE_GAS_FLOOR,
        ENTERPRISE_GAS_TOPUP,
      ),
    ]);
    for (const m of mined) {
      txs++;
      gas += Number(m.gasUsed);
    }
    const receipts = await Promise.all(
      todo.map(async (x) => {
        tick(run);
        const enterprise = new Wallet(x.key, session.conn.ethers.provider);
        const reason = keccak256(toUtf8Bytes(`objection ${x.k}: operating status disputed`));
        return (await (await ledger.connect(enterprise).fileObjection(x.e18, Category.OperatingStatus, x.version, reason)).wait(requiredConfirmations()))!;
      }),
    );
    for (const r of receipts) {
      txs++;
      gas += Number(r.gasUsed);
    }
    run.state.objectionsFiled = Math.min(list.length, from + group);
    writeState(run.dir, run.state);
  }
  run.state.objectionsDone = true;
  writeState(run.dir, run.state);
  const seconds = (performance.now() - started) / 1000;
  return phaseMetrics("objections", seconds, list.length, txs, gas);
}
