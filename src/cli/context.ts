/**
 * What every command needs: a connection to the selected network, the deployment's manifest and contracts,
 * the node stores and the signers. On the in-process chain (network "default"), which lives only as long
 * as the command, the consortium is deployed first, so each command can be tried without a server.
 */
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { Wallet } from "ethers";
import { institutionWallet, roles } from "../chain/accounts.js";
import { isInProcess, type ChainConnection } from "../chain/connection.js";
import { contractsOf, type Contracts } from "../chain/contracts.js";
import { deployConsortium } from "../chain/deploy.js";
import { manifestPath, requireManifest, type Manifest } from "../chain/manifest.js";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { DEFAULT_DATA_DIR, NodeStores } from "../store/stores.js";

export interface CliContext {
  conn: ChainConnection;
  manifest: Manifest;
  contracts: Contracts;
  stores: NodeStores;
  operators: HardhatEthersSigner[];
  regulator: HardhatEthersSigner;
  deployer: HardhatEthersSigner;
  /** True when the chain lives only in this process. */
  ephemeral: boolean;
}

/** The key of institution `id` on this deployment, funded by the deployer if it has no ether to pay for gas. */
export async function institutionSigner(ctx: CliContext, id: number): Promise<Wallet> {
  const inst = ctx.manifest.institutions.find((i) => i.institutionId === id);
  if (!inst) throw new Error(`unknown institution ${id}: this deployment has institutions 1-${ctx.manifest.institutions.length}`);
  const w = institutionWallet(inst.keyIndex).connect(ctx.conn.ethers.provider);
  if (w.address !== inst.signer) throw new Error(`institution ${id}'s key does not match the manifest (another YRD_INSTITUTION_KEY_SEED?)`);
  if ((await ctx.conn.ethers.provider.getBalance(w.address)) < INSTITUTION_GAS_FLOOR)
    await (await ctx.deployer.sendTransaction({ to: w.address, value: INSTITUTION_GAS_TOPUP })).wait();
  return w;
}

export const INSTITUTION_GAS_FLOOR = 10n ** 17n;
export const INSTITUTION_GAS_TOPUP = 10n ** 18n;

export async function openContext(hre: HardhatRuntimeEnvironment, dataDir: string = DEFAULT_DATA_DIR, log: (l: string) => void = () => {}): Promise<CliContext> {
  const conn = await hre.network.create();
  const ephemeral = isInProcess(conn);
  let manifest: Manifest;
  if (ephemeral) {
    log(`network ${conn.networkName} is the in-process chain: deploying a fresh consortium for this command (use --network localhost to keep state)`);
    manifest = (await deployConsortium(conn, { fresh: true })).manifest;
  } else {
    const { chainId } = await conn.ethers.provider.getNetwork();
    manifest = requireManifest(manifestPath(conn.networkName, chainId));
  }
  const stores = new NodeStores(dataDir, manifest);
  // a fresh in-process chain has none of the records an earlier run stored: start its stores afresh too
  if (ephemeral) rmSync(dirname(stores.path(1)), { recursive: true, force: true });
  const r = await roles(conn, manifest.nodes.length);
  return {
    conn,
    manifest,
    contracts: await contractsOf(conn, manifest),
    stores,
    operators: r.operators,
    regulator: r.regulator,
    deployer: r.deployer,
    ephemeral,
  };
}
