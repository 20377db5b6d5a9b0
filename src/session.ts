/**
 * One session with a consortium on a network: the connection, the deployment's manifest and contracts, the
 * city nodes (each with its store and journal) and the roles' signers. Every command and the replay work
 * through one; it is the only place that decides which deployment and which stores a command uses.
 *
 * - A persistent network (`--network localhost`, the multi-node network) must have a deployment (`deploy`);
 *   a stale manifest (its contracts are gone: the chain was restarted) or a corrupt one is refused with the
 *   way out. `deployIfMissing` (the replay) deploys one when there is none; `fresh` archives the old one first.
 * - The in-process chain lives as long as the command: the session deploys a fresh consortium on it and keeps
 *   its stores (and manifest) in a temporary folder, removed at `close`, unless `dataDir` names one — then that
 *   folder must not hold another chain's stores.
 * - Stores belong to one chain: each is checked against the chain's genesis block and the deployment as it
 *   opens (`NodeStore.bindToChain`).
 */
import { requireConfirmationsOn } from "./chain/send.js";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Wallet } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { FIRST_OPERATOR_INDEX, hdAccountKey, institutionWallet, roles } from "./chain/accounts.js";
import { FastSigningKey } from "./chain/signing.js";
import { isInProcess, type ChainConnection } from "./chain/connection.js";
import { contractsOf, type Contracts } from "./chain/contracts.js";
import { deployConsortium, type DeployOptions } from "./chain/deploy.js";
import { ManifestError, manifestPath, readManifest, type Manifest } from "./chain/manifest.js";
import { CityNode, type SettleReport } from "./node/city-node.js";
import { loadSeeds } from "./seeds.js";
import { DEFAULT_DATA_DIR, NodeStores, storeDir } from "./store/stores.js";

export interface SessionOptions {
  /** Folder of the node stores (default: data/; on the in-process chain a temporary folder). */
  dataDir?: string;
  /** Open the stores read-only: nothing is created, changed or settled (the audit). */
  readOnly?: boolean;
  /** Deploy when a persistent network has no deployment (the replay). */
  deployIfMissing?: boolean;
  /** Archive the network's manifest and stores and deploy anew (deploy --fresh, replay --fresh). */
  fresh?: boolean;
  /** How to deploy when the session deploys (institutions, objection days). */
  deploy?: Pick<DeployOptions, "institutions" | "objectionDays">;
  /** Use this deployment (already made on `conn`, e.g. by a test) instead of finding or making one. */
  deployment?: { manifest: Manifest; path: string };
  /** With `deployment` and `readOnly`: read its stores from this folder (an archived deployment's, `<dataDir>/archive/…`). */
  storeDir?: string;
  log?: (line: string) => void;
}

/** Gas money an institution's key is topped up with when it runs low (local chains only). */
export const INSTITUTION_GAS_FLOOR = 10n ** 17n;
export const INSTITUTION_GAS_TOPUP = 10n ** 18n;

/** A network that does not answer: one line naming it and what to do. */
export class NetworkError extends Error {}

/** The URL of an HTTP network, for messages. */
async function networkUrl(conn: ChainConnection): Promise<string | undefined> {
  const url = (conn as unknown as { networkConfig?: { url?: unknown } }).networkConfig?.url;
  if (typeof url === "string") return url;
  const get = (url as { get?: () => Promise<string> } | undefined)?.get;
  return typeof get === "function" ? await get.call(url).catch(() => undefined) : undefined;
}

export class Session {
  private readonly started = new Map<number, Promise<CityNode>>();
  /** What settling found at each node's start (unfinished steps of earlier commands). */
  readonly settled = new Map<number, SettleReport>();

  private constructor(
    readonly conn: ChainConnection,
    readonly manifest: Manifest,
    readonly manifestPath: string,
    readonly contracts: Contracts,
    readonly stores: NodeStores,
    readonly ephemeral: boolean,
    private readonly temporary: string | undefined,
    readonly deployer: HardhatEthersSigner,
    readonly regulator: HardhatEthersSigner,
    /** operators[i] acts for node id i + 1. */
    readonly operators: HardhatEthersSigner[],
  ) {}

  static async open(conn: ChainConnection, opts: SessionOptions = {}): Promise<Session> {
    const log = opts.log ?? (() => {});
    let chainId: bigint;
    let genesis: string;
    try {
      chainId = (await conn.ethers.provider.getNetwork()).chainId;
      genesis = (await conn.ethers.provider.getBlock(0))!.hash!;
    } catch (e) {
      const url = await networkUrl(conn);
      const hint =
        conn.networkName === "localhost"
          ? "start `npx hardhat node --hostname 127.0.0.1` (or set YRD_LOCALHOST_PORT to its port)"
          : conn.networkName === "yrd"
            ? "bring the network up: `npm run network -- up` (`npm run network -- status` shows which node is down)"
            : "is its node running?";
      throw new NetworkError(`cannot reach network ${conn.networkName}${url ? ` at ${url}` : ""} (${(e as Error).message.split("\n")[0]}): ${hint}`);
    }
    requireConfirmationsOn(conn.networkName);
    const ephemeral = isInProcess(conn);
    let dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
    let temporary: string | undefined;
    let manifest: Manifest;
    let path: string;
    if (opts.deployment) {
      ({ manifest, path } = opts.deployment);
      if (ephemeral && opts.dataDir === undefined) dataDir = temporary = mkdtempSync(join(tmpdir(), "yrd-in-process-"));
    } else if (ephemeral) {
      if (opts.dataDir === undefined) dataDir = temporary = mkdtempSync(join(tmpdir(), "yrd-in-process-"));
      const dir = storeDir(dataDir, conn.networkName, chainId);
      if (existsSync(dir) && readdirSync(dir).length > 0)
        throw new ManifestError(`${dir} holds the stores of an earlier in-process chain (that chain is gone): use another --data-dir`);
      path = join(dir, "manifest.json");
      log(`network ${conn.networkName} is the in-process chain: deploying a fresh consortium for this command (use --network localhost to keep state)`);
      manifest = (await deployConsortium(conn, { ...opts.deploy, manifestPath: path, fresh: true, dataDir })).manifest;
    } else {
      path = manifestPath(conn.networkName, chainId);
      if (opts.fresh || (opts.deployIfMissing && !existsSync(path))) {
        manifest = (await deployConsortium(conn, { ...opts.deploy, fresh: opts.fresh, dataDir, log })).manifest;
      } else {
        const m = readManifest(path);
        if (!m) throw new ManifestError(`no deployment manifest at ${path}: run \`npx hardhat --network ${conn.networkName} deploy\` first`);
        manifest = m;
        const registry = manifest.contracts.ConsortiumRegistry;
        if (!registry || (await conn.ethers.provider.getCode(registry.address)) === "0x")
          throw new ManifestError(
            `manifest ${path} is stale: no ConsortiumRegistry at ${registry?.address} on network ${conn.networkName} (the chain was restarted?): run \`npx hardhat --network ${conn.networkName} deploy --fresh\` (it archives the manifest and its node stores)`,
          );
      }
    }
    if (opts.storeDir !== undefined && !(opts.deployment && opts.readOnly))
      throw new Error("storeDir: only for reading a given deployment (deployment and readOnly)");
    const stores = new NodeStores(dataDir, manifest, {
      readOnly: opts.readOnly,
      dir: opts.storeDir,
      binding: { chainId: chainId.toString(), genesis, registry: manifest.contracts.ConsortiumRegistry.address, deployBlock: manifest.deployBlock },
    });
    const r = await roles(conn, manifest.nodes.length);
    return new Session(conn, manifest, path, await contractsOf(conn, manifest), stores, ephemeral, temporary, r.deployer, r.regulator, r.operators);
  }

  get dataDir(): string {
    return this.stores.dataDir;
  }

  /** The folder of this deployment's node stores (and replay state). */
  get storeDir(): string {
    return this.stores.dir;
  }

  /** City node `nodeId`, started once per session (settling what earlier commands left unfinished). */
  node(nodeId: number): Promise<CityNode> {
    let p = this.started.get(nodeId);
    if (!p) {
      const m = this.manifest.nodes.find((n) => n.nodeId === nodeId);
      if (!m) throw new Error(`unknown node ${nodeId}: this deployment has nodes 1-${this.manifest.nodes.length}`);
      if (this.stores.opts.readOnly) throw new Error("a read-only session has no city nodes to write through");
      const operator = this.operators[nodeId - 1];
      const ordered = !isInProcess(this.conn);
      p = (ordered ? hdAccountKey(this.conn, FIRST_OPERATOR_INDEX + nodeId - 1, m.operator) : Promise.resolve(undefined))
        .then((key) =>
          CityNode.start({
            nodeId,
            id: m.id,
            city: m.city,
            operator,
            operatorAddress: m.operator,
            contracts: this.contracts,
            addresses: {
              ledger: this.manifest.contracts.CreditLedger.address,
              desk: this.manifest.contracts.QueryDesk.address,
              queryLog: this.manifest.contracts.QueryLog.address,
            },
            rpc: this.conn.ethers.provider,
            orderedSubmissions: ordered,
            signingKey: key ? new FastSigningKey(key) : undefined,
            store: this.stores.get(nodeId),
          }),
        )
        .then(({ node, settled }) => {
          this.settled.set(nodeId, settled);
          return node;
        });
      this.started.set(nodeId, p);
    }
    return p;
  }

  /** Every city node of the deployment, started. */
  async allNodes(): Promise<CityNode[]> {
    const out: CityNode[] = [];
    for (const n of this.manifest.nodes) out.push(await this.node(n.nodeId));
    return out;
  }

  /** Node ids of a city, in manifest order. */
  nodesOfCity(city: string): number[] {
    return this.manifest.nodes.filter((n) => n.city === city).map((n) => n.nodeId);
  }

  /** The first active node of a city, or throws naming the city. */
  async activeNodeOf(city: string): Promise<number> {
    for (const id of this.nodesOfCity(city)) if (await this.contracts.registry.isActiveNode(id)) return id;
    const name = loadSeeds().cities.find((c) => c.code === city)?.nameEn;
    throw new Error(`no active node in ${name ? `${name} (${city})` : `city ${city}`}`);
  }

  /** Text id of a node ("hf-1"). */
  nodeName(nodeId: number): string {
    return this.manifest.nodes.find((n) => n.nodeId === nodeId)?.id ?? `node ${nodeId}`;
  }

  /** The key of institution `id` on this deployment, funded by the deployer if it has no ether to pay for gas. */
  async institution(id: number, floor = INSTITUTION_GAS_FLOOR, topUp = INSTITUTION_GAS_TOPUP): Promise<Wallet> {
    const inst = this.manifest.institutions.find((i) => i.institutionId === id);
    if (!inst) throw new Error(`unknown institution ${id}: this deployment has institutions 1-${this.manifest.institutions.length}`);
    const w = institutionWallet(inst.keyIndex).connect(this.conn.ethers.provider);
    if (w.address !== inst.signer) throw new Error(`institution ${id}'s key does not match the manifest (another YRD_INSTITUTION_KEY_SEED?)`);
    await this.fund(w.address, floor, topUp);
    return w;
  }

  /** Tops `address` up by `amount` from the deployer when its balance is below `min`. */
  fund(address: string, min: bigint, amount: bigint): Promise<void> {
    return this.fundMany([address], min, amount);
  }

  /**
   * Funds several accounts below `min` with `amount` each: the deployer's transfers sent back to back (nonces
   * counted here, not read per transfer), then every receipt awaited.
   */
  async fundMany(addresses: readonly string[], min: bigint, amount: bigint): Promise<void> {
    const provider = this.conn.ethers.provider;
    const balances = await Promise.all(addresses.map((a) => provider.getBalance(a)));
    const poor = addresses.filter((_, i) => balances[i] < min);
    if (poor.length === 0) return;
    let nonce = await provider.getTransactionCount(this.deployer.address, "pending");
    const sent = [];
    for (const to of poor) sent.push(await this.deployer.sendTransaction({ to, value: amount, nonce: nonce++ }));
    await Promise.all(sent.map((tx) => tx.wait()));
  }

  /** Closes the stores (flushing nothing: every write was journaled); removes the in-process chain's temporary folder. */
  close(): void {
    this.stores.close();
    if (this.temporary) rmSync(this.temporary, { recursive: true, force: true });
  }
}
