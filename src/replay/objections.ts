/**
 * The year's objections (异议): institutions object to the operating-status records of a small share of
 * enterprises, one live transaction each in both modes (they are few: 463 at scale 1), in enterprise order.
 * Objections are the institutions' writes, not a node's: the replay state counts those filed, and a resumed
 * run checks the chain for the one that may have been sent before the interruption.
 */
import { hexlify, keccak256, toUtf8Bytes } from "ethers";
import { institutionWallet } from "../chain/accounts.js";
import { usccBytes } from "../ledger/leaf.js";
import { Category } from "../records/categories.js";
import { phaseMetrics, replayInstitutions, tick, writeState, type PhaseMetrics, type Run } from "./model.js";

export async function objectionsPhase(run: Run): Promise<PhaseMetrics> {
  const started = performance.now();
  const { session } = run;
  const list: { city: number; i: number }[] = [];
  for (let c = 0; c < run.pop.counts.length; c++) for (let i = 0; i < run.pop.counts[c]; i++) if (run.pop.hasObjection(c, i)) list.push({ city: c, i });
  const institutions = replayInstitutions(run);
  const funded = new Set<number>();
  let txs = 0;
  let gas = 0;
  for (let k = run.state.objectionsFiled; k < list.length; k++) {
    const { city, i } = list[k];
    const e18 = hexlify(usccBytes(run.pop.code(city, i)));
    const version = run.pop.isCorrected(city, i) ? 2 : 1;
    // the first objection of a resumed run may have been filed just before the interruption
    const filed = k === run.state.objectionsFiled && (await session.contracts.ledger.disputeCount(e18, Category.OperatingStatus, version)) > 0n;
    if (!filed) {
      const institutionId = 1 + (k % institutions.length);
      const inst = institutionWallet(institutions[institutionId - 1].keyIndex).connect(session.conn.ethers.provider);
      if (!funded.has(institutionId)) await session.fund(inst.address, 10n ** 17n, 10n ** 18n);
      funded.add(institutionId);
      tick(run);
      const receipt = (await (await session.contracts.ledger.connect(inst).fileObjection(e18, Category.OperatingStatus, version, keccak256(toUtf8Bytes(`objection ${k}: operating status disputed`)))).wait())!;
      txs++;
      gas += Number(receipt.gasUsed);
    }
    run.state.objectionsFiled = k + 1;
    writeState(run.dir, run.state);
  }
  run.state.objectionsDone = true;
  writeState(run.dir, run.state);
  const seconds = (performance.now() - started) / 1000;
  return phaseMetrics("objections", seconds, list.length, txs, gas);
}
