/**
 * The year's objections (异议): enterprises object to their operating-status record (a small share of them: 463
 * at scale 1), in enterprise order, in both modes. An objection is the information subject's right (art. 25 of
 * the 2013 regulation): the enterprise's signer files it, so its home-city node first binds that signer (a
 * journaled node step, unless the chain has it bound already). Objections are the enterprises' writes, not a node's: the
 * replay state counts those filed, and a resumed run checks the chain for the one that may have been sent
 * before the interruption.
 */
import { Wallet, computeAddress, hexlify, keccak256, toUtf8Bytes } from "ethers";
import { usccBytes } from "../ledger/leaf.js";
import type { NewStep } from "../node/journal.js";
import { Category } from "../records/categories.js";
import { enterprisePrivateKey, phaseMetrics, tick, writeState, type PhaseMetrics, type Run } from "./model.js";

/** Gas money of an objecting enterprise's key (local chains only). */
const ENTERPRISE_GAS_FLOOR = 10n ** 16n;
const ENTERPRISE_GAS_TOPUP = 10n ** 17n;

export async function objectionsPhase(run: Run): Promise<PhaseMetrics> {
  const started = performance.now();
  const { session } = run;
  const list: { city: number; i: number }[] = [];
  for (let c = 0; c < run.pop.counts.length; c++) for (let i = 0; i < run.pop.counts[c]; i++) if (run.pop.hasObjection(c, i)) list.push({ city: c, i });
  let txs = 0;
  let gas = 0;
  for (let k = run.state.objectionsFiled; k < list.length; k++) {
    const { city, i } = list[k];
    const code = run.pop.code(city, i);
    const e18 = hexlify(usccBytes(code));
    const version = run.pop.isCorrected(city, i) ? 2 : 1;
    // the first objection of a resumed run may have been filed just before the interruption
    const filed = k === run.state.objectionsFiled && (await session.contracts.ledger.disputeCount(e18, Category.OperatingStatus, version)) > 0n;
    if (!filed) {
      const key = enterprisePrivateKey(run.opts.seed, code);
      const node = run.nodes[run.cityNodes[city][0] - 1];
      const bind: NewStep<"bind-signer"> = { key: `r/bind/${code}`, kind: "bind-signer", payload: { enterprise: code, signer: computeAddress(key) } };
      if ((await session.contracts.ledger.enterpriseSigner(e18)) !== bind.payload.signer) {
        await node.journalSteps([bind]);
        tick(run);
        const mined = await node.execute(bind);
        txs++;
        gas += Number(mined.gasUsed);
      }
      const enterprise = new Wallet(key, session.conn.ethers.provider);
      await session.fund(enterprise.address, ENTERPRISE_GAS_FLOOR, ENTERPRISE_GAS_TOPUP);
      tick(run);
      const receipt = (await (
        await session.contracts.ledger
          .connect(enterprise)
          .fileObjection(e18, Category.OperatingStatus, version, keccak256(toUtf8Bytes(`objection ${k}: operating status disputed`)))
      ).wait())!;
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
