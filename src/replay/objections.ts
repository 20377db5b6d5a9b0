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
import type { CreditLedger } from "../../typechain-types/index.js";
import type { Session } from "../session.js";
import type { Population } from "../workload/enterprises.js";
import { enterprisePrivateKey, phaseMetrics, tick, writeState, type PhaseMetrics, type Run } from "./model.js";

/** Gas money of an objecting enterprise's key (local chains only). */
const ENTERPRISE_GAS_FLOOR = 10n ** 16n;
const ENTERPRISE_GAS_TOPUP = 10n ** 17n;

/** Objections filed side by side on a chain that seals on a clock (each would otherwise wait for its blocks). */
const SIDE_BY_SIDE = 64;

/** An enterprise that objects to its operating-status record, with the key it signs with. */
export interface Objector {
  /** Position in the year's list of objections. */
  k: number;
  city: number;
  code: string;
  e18: string;
  /** The version objected to: the current one (2 when the record was corrected). */
  version: number;
  key: string;
  signer: string;
}

/** The year's objections, in enterprise order (city by city), of the cities `include` accepts (default: all). */
export function objectionList(pop: Population, include: (city: number) => boolean = () => true): { city: number; i: number }[] {
  const list: { city: number; i: number }[] = [];
  for (let c = 0; c < pop.counts.length; c++) if (include(c)) for (let i = 0; i < pop.counts[c]; i++) if (pop.hasObjection(c, i)) list.push({ city: c, i });
  return list;
}

/** The objectors of `list[from, from + count)`. */
export function objectors(pop: Population, seed: string, list: readonly { city: number; i: number }[], from: number, count: number): Objector[] {
  return list.slice(from, from + count).map(({ city, i }, n) => {
    const code = pop.code(city, i);
    const key = enterprisePrivateKey(seed, code);
    return { k: from + n, city, code, e18: hexlify(usccBytes(code)), version: pop.isCorrected(city, i) ? 2 : 1, key, signer: computeAddress(key) };
  });
}

/** Those of `items` whose objection is not on chain yet (each enterprise objects once: a dispute on its version is its own). */
export async function notYetFiled(ledger: CreditLedger, items: readonly Objector[]): Promise<Objector[]> {
  const filed = await Promise.all(items.map(async (x) => (await ledger.disputeCount(x.e18, Category.OperatingStatus, x.version)) > 0n));
  return items.filter((_, n) => !filed[n]);
}

/** Gas money for each objector that needs it (the deployer's transfers; local chains only). */
export function fundObjectors(session: Session, items: readonly Objector[]): Promise<void> {
  return session.fundMany(
    items.map((x) => x.signer),
    ENTERPRISE_GAS_FLOOR,
    ENTERPRISE_GAS_TOPUP,
  );
}

/**
 * Each enterprise files its objection with its own key (side by side), once its signer is bound and it has gas
 * money; resolves with each one's receipt (with the chain's confirmations) and submit → receipt milliseconds.
 */
export async function fileObjections(session: Session, items: readonly Objector[], onSend?: () => void): Promise<{ gasUsed: bigint; ms: number }[]> {
  const ledger = session.contracts.ledger;
  return Promise.all(
    items.map(async (x) => {
      onSend?.();
      const enterprise = new Wallet(x.key, session.conn.ethers.provider);
      const reason = keccak256(toUtf8Bytes(`objection ${x.k}: operating status disputed`));
      const started = performance.now();
      const r = (await (await ledger.connect(enterprise).fileObjection(x.e18, Category.OperatingStatus, x.version, reason)).wait(requiredConfirmations()))!;
      return { gasUsed: r.gasUsed, ms: performance.now() - started };
    }),
  );
}

export async function objectionsPhase(run: Run): Promise<PhaseMetrics> {
  const started = performance.now();
  const { session } = run;
  const list = objectionList(run.pop);
  let txs = 0;
  let gas = 0;
  // one at a time on the in-process chain (it mines each at once) and in a run that must stop at an exact step;
  // a group side by side on a chain that seals on a clock, the group counted once all of it is filed
  const group = run.opts.stopAfterSteps === undefined && !isInProcess(session.conn) ? SIDE_BY_SIDE : 1;
  const ledger = session.contracts.ledger;
  for (let from = run.state.objectionsFiled; from < list.length; from += group) {
    // what an interrupted run already did is not done again
    const todo = await notYetFiled(ledger, objectors(run.pop, run.opts.seed, list, from, group));
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
    // 2. meanwhile each enterprise gets gas money; then it files its objection
    const fast = group > 1;
    const [mined] = await Promise.all([
      Promise.all(
        binds.map(async ({ node, step }) => {
          tick(run);
          return node.execute(step, { fast });
        }),
      ),
      fundObjectors(session, todo),
    ]);
    for (const m of mined) {
      txs++;
      gas += Number(m.gasUsed);
    }
    for (const r of await fileObjections(session, todo, () => tick(run))) {
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
