/** Shared test fixture: a fresh chain with the seeded consortium deployed (few institutions, for speed). */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { network } from "hardhat";
import type { ConsortiumRegistry } from "../../typechain-types/index.js";
import { institutionWallet } from "../../src/chain/accounts.js";
import { deployConsortium } from "../../src/chain/deploy.js";

export type Connection = Awaited<ReturnType<typeof network.create>>;

export async function deployedConsortium(institutions = 4) {
  const conn = await network.create();
  const deploymentsDir = mkdtempSync(join(tmpdir(), "yrd-deploy-"));
  const { manifest } = await deployConsortium(conn, { institutions, deploymentsDir });
  const signers = await conn.ethers.getSigners();
  const registry = (await conn.ethers.getContractAt("ConsortiumRegistry", manifest.contracts.ConsortiumRegistry.address)) as unknown as ConsortiumRegistry;
  const operators = signers.slice(2, 2 + manifest.nodes.length);
  /** Accounts with no role, for outsiders and new members. */
  const spare = signers.slice(2 + manifest.nodes.length);
  /** A funded signer of institution `id` (its key is derived, so it starts with no ether). */
  async function institutionSigner(id: number) {
    const inst = manifest.institutions.find((i) => i.institutionId === id)!;
    const w = institutionWallet(inst.keyIndex).connect(conn.ethers.provider);
    await conn.networkHelpers.setBalance(w.address, 10n ** 20n);
    return w;
  }
  return { conn, manifest, registry, deployer: signers[0], regulator: signers[1], operators, spare, institutionSigner, deploymentsDir };
}
