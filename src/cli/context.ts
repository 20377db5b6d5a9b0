/**
 * What every command needs: a connection to the selected network, the deployment's manifest and contracts,
 * the node stores and the signers. On the in-process chain (network "default"), which lives only as long
 * as the command, the consortium is deployed first, so each command can be tried without a server.
 */
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { roles } from "../chain/accounts.js";
import type { ChainConnection } from "../chain/connection.js";
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
  /** True when the chain lives only in this process. */
  ephemeral: boolean;
}

export async function openContext(hre: HardhatRuntimeEnvironment, dataDir: string = DEFAULT_DATA_DIR, log: (l: string) => void = () => {}): Promise<CliContext> {
  const conn = await hre.network.create();
  const ephemeral = (conn as unknown as { networkConfig?: { type?: string } }).networkConfig?.type === "edr-simulated";
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
    ephemeral,
  };
}
