/**
 * Deploys the consortium (registry with cities, nodes, regulator and institutions) and writes the manifest.
 * Idempotent: when a manifest for the network exists and its contracts are still on chain, the deployment
 * is verified against it and reused instead of deployed again.
 */
import { receiptOf, requireConfirmationsOn, requiredConfirmations, type RpcSender } from "./send.js";
import { existsSync, mkdirSync, mkdtempSync, rmdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { getCreateAddress, keccak256, toUtf8Bytes } from "ethers";
import type { ConsortiumRegistry, CreditLedger } from "../../typechain-types/index.js";
import { DEFAULT_DATA_DIR } from "../store/stores.js";
import { INSTITUTION_KINDS, loadSeeds, type InstitutionKindName, type InstitutionMix, type NodeSeed, type Seeds } from "../seeds.js";
import { archiveDeployment, type Archived } from "../store/archive.js";
import { institutionWallet, roles } from "./accounts.js";
import type { ChainConnection } from "./connection.js";
import {
  MANIFEST_VERSION,
  manifestPath,
  readManifest,
  seedDigests,
  writeManifest,
  type Manifest,
  type ManifestInstitution,
  type ManifestNode,
} from "./manifest.js";

export interface DeployOptions {
  /** Number of institutions to register (default: the 2024 figure, 899). */
  institutions?: number;
  /**
   * Deploy anew even when a deployment exists: its manifest and its node stores (under `dataDir`) are first
   * moved to dated archive folders (`archive/` beside each), never deleted.
   */
  fresh?: boolean;
  /** Folder of the node stores, archived with the manifest by `fresh` (default: data/). */
  dataDir?: string;
  /** Write the manifest here instead of `<deploymentsDir>/<network>-<chainId>.json` (the in-process chain's, kept with its stores). */
  manifestPath?: string;
  /** Days a node has to answer an objection (default 20, the 2013 regulation's figure). */
  objectionDays?: number;
  /** Folder of manifests (default: deployments/). */
  deploymentsDir?: string;
  /** Progress messages. */
  log?: (line: string) => void;
  /**
   * The other validators' JSON-RPC endpoints (the multi-node network's): each institution registration is sent
   * once every one of them holds the one before, not once that one is in a block.
   */
  replicas?: RpcSender[];
}

export interface DeployResult {
  manifest: Manifest;
  path: string;
  /** True when an existing deployment was found, verified and reused. */
  reused: boolean;
  /** Why an existing manifest was not reused (--fresh), if there was one. */
  replacedBecause?: string;
  /** Where --fresh moved the old manifest and node stores. */
  archived?: Archived;
}

/** Contracts every deployment has, in deployment order. */
export const CONTRACTS = ["ConsortiumRegistry", "CreditLedger", "ConsentRegistry", "QueryDesk", "QueryLog"] as const;
export const DEFAULT_OBJECTION_DAYS = 20;
/** Hours a serving node has to answer a live query before it expires. */
export const DEFAULT_SERVICE_HOURS = 24;

/** Gas limit of each genesis transaction (a city, a node, the regulator, closing genesis: each well under 200,000). */
const GENESIS_GAS = 300_000n;

/** A transaction awaited until it is in a block, without confirmations (what the next send needs). */
const FIRST_SEEN = { confirmations: 1 };

/** Institutions registered per transaction: bounded so that no transaction nears the block gas limit. */
export const INSTITUTIONS_PER_TX = 100;

/**
 * Most institutions a deployment registers: 100,000, over 100 times the 899 of 2024. Not the registry's limit
 * (uint32 ids allow 4,294,967,295) nor the block gas (each transaction registers INSTITUTIONS_PER_TX, whatever
 * the total): the bound is the manifest, which lists every institution (~230 bytes each: ~23 MB at 100,000)
 * and which every command reads whole, and the deployment's memory and time (1,000 registration transactions).
 * 100,000,000 ran out of memory after the contracts were deployed.
 */
export const MAX_INSTITUTIONS = 100_000;

/**
 * Longest objection window in days. The ledger keeps a deadline as uint64 seconds, block time + window
 * (`CreditLedger.objectionWindow` is uint64; an overflow would make every objection revert): with at most
 * (2^64 - 1 - 2^32) / 86,400 = 213,503,982,284,891 days, every objection filed before 2106 (block time 2^32)
 * has a deadline that fits.
 */
export const MAX_OBJECTION_DAYS = Number((2n ** 64n - 1n - 2n ** 32n) / 86_400n);

/**
 * Makes sure `dir` exists (creating missing folders one level at a time) and can be written, or throws one line
 * naming it and `hint`. Checked before the first transaction, so that a deployment never ends without its manifest.
 */
export function checkWritableFolder(dir: string, hint: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  while (!existsSync(at) && dirname(at) !== at) {
    missing.unshift(at);
    at = dirname(at);
  }
  try {
    for (const d of missing) mkdirSync(d);
    rmdirSync(mkdtempSync(join(dir, ".write-check-")));
  } catch (e) {
    throw new Error(`the folder ${dir} cannot be created or written (${(e as Error).message}): ${hint}`, { cause: e });
  }
}

/** Digest of a node's public metadata as anchored on chain. */
export function nodeMetadataDigest(node: NodeSeed): string {
  return keccak256(toUtf8Bytes(JSON.stringify({ id: node.id, city: node.city, operator: node.operator })));
}

/**
 * Kinds for `count` institutions: exact counts by largest remainder, interleaved by smooth weighted
 * round-robin so that every node sponsors a mix of kinds. Deterministic.
 */
export function institutionKinds(mix: InstitutionMix, count: number): InstitutionKindName[] {
  const raw = mix.kinds.map((k) => k.share * count);
  const quota = raw.map(Math.floor);
  let left = count - quota.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) if (left-- > 0) quota[i]++;
  const current = quota.map(() => 0);
  const out: InstitutionKindName[] = [];
  for (let n = 0; n < count; n++) {
    let best = 0;
    for (let i = 0; i < quota.length; i++) {
      current[i] += quota[i];
      if (current[i] > current[best]) best = i;
    }
    current[best] -= count;
    out.push(mix.kinds[best].kind);
  }
  return out;
}

/** The institutions a fresh deployment registers, in id order. */
export function planInstitutions(seeds: Seeds, count: number): (Omit<ManifestInstitution, "signer" | "keyIndex"> & { name: string; index: number })[] {
  const kinds = institutionKinds(seeds.institutions, count);
  return kinds.map((kind, i) => {
    const sponsorNodeId = (i % seeds.nodes.length) + 1;
    const name = `${kind} institution ${String(i + 1).padStart(4, "0")} sponsored by ${seeds.nodes[sponsorNodeId - 1].id}`;
    return { institutionId: i + 1, index: i + 1, sponsorNodeId, kind, name, nameDigest: keccak256(toUtf8Bytes(name)) };
  });
}

async function hasCode(conn: ChainConnection, address: string): Promise<boolean> {
  return (await conn.ethers.provider.getCode(address)) !== "0x";
}

/**
 * Checks an existing deployment against the chain and the seeds. Returns a reason when the manifest is stale
 * (its contracts are gone: the chain was restarted); throws when the chain disagrees with the manifest.
 */
export async function verifyDeployment(conn: ChainConnection, manifest: Manifest, seeds: Seeds, institutions: number): Promise<string | undefined> {
  for (const name of CONTRACTS) if (!manifest.contracts[name]) throw new Error(`manifest lists no ${name} (an older deployment); deploy with --fresh`);
  const registryEntry = manifest.contracts.ConsortiumRegistry;
  for (const [name, c] of Object.entries(manifest.contracts))
    if (!(await hasCode(conn, c.address))) return `no code at ${name} ${c.address} (the chain was restarted)`;
  const digests = seedDigests();
  for (const [file, d] of Object.entries(digests))
    if (manifest.seedDigests[file] !== d) throw new Error(`seeds/${file} changed since the deployment in the manifest; deploy with --fresh`);
  if (manifest.institutions.length !== institutions)
    throw new Error(`existing deployment has ${manifest.institutions.length} institutions, ${institutions} were asked for; deploy with --fresh`);
  const registry = (await conn.ethers.getContractAt("ConsortiumRegistry", registryEntry.address)) as unknown as ConsortiumRegistry;
  const nodeCount = Number(await registry.nodeCount());
  if (nodeCount < seeds.nodes.length) throw new Error(`registry at ${registryEntry.address} has ${nodeCount} nodes, seeds have ${seeds.nodes.length}`);
  for (const n of manifest.nodes) {
    const onChain = await registry.node(n.nodeId);
    if (onChain.operator.toLowerCase() !== n.operator.toLowerCase() || onChain.metadataDigest !== n.metadataDigest)
      throw new Error(`node ${n.id} (id ${n.nodeId}) on chain differs from the manifest; deploy with --fresh`);
  }
  const ledger = (await conn.ethers.getContractAt("CreditLedger", manifest.contracts.CreditLedger.address)) as unknown as CreditLedger;
  if ((await ledger.registry()).toLowerCase() !== registryEntry.address.toLowerCase())
    throw new Error(`CreditLedger at ${manifest.contracts.CreditLedger.address} does not use the registry in the manifest`);
  const instCount = Number(await registry.institutionCount());
  if (instCount < manifest.institutions.length) throw new Error(`registry has ${instCount} institutions, the manifest lists ${manifest.institutions.length}`);
  if ((await registry.genesisAdmin()) !== "0x0000000000000000000000000000000000000000")
    throw new Error("registry genesis was never closed (an interrupted deployment); deploy with --fresh");
  return undefined;
}

/** Deploys (or finds and verifies) the consortium on `conn`'s network. Seeds are validated before anything is sent. */
export async function deployConsortium(conn: ChainConnection, opts: DeployOptions = {}): Promise<DeployResult> {
  const log = opts.log ?? (() => {});
  requireConfirmationsOn(conn.networkName);
  const seeds = loadSeeds();
  const institutions = opts.institutions ?? seeds.volumes.institutions;
  const objectionDays = opts.objectionDays ?? DEFAULT_OBJECTION_DAYS;
  // every option is checked before anything is archived or sent
  if (!Number.isSafeInteger(objectionDays) || objectionDays < 1 || objectionDays > MAX_OBJECTION_DAYS)
    throw new Error(
      `--objection-days must be a whole number 1-${MAX_OBJECTION_DAYS}, got ${objectionDays}: the ledger keeps an objection's deadline as uint64 seconds (block time + window), which must fit for objections filed until 2106`,
    );
  if (!Number.isSafeInteger(institutions) || institutions < 0 || institutions > MAX_INSTITUTIONS)
    throw new Error(
      `--institutions must be a whole number 0-${MAX_INSTITUTIONS}, got ${institutions} (2024 had ${seeds.volumes.institutions}; the manifest lists every institution and every command reads it)`,
    );
  const { chainId } = await conn.ethers.provider.getNetwork();
  const path = opts.manifestPath ?? manifestPath(conn.networkName, chainId, opts.deploymentsDir);
  const manifestDir = dirname(path);
  const inDataDir = opts.dataDir !== undefined && !relative(resolve(opts.dataDir), resolve(manifestDir)).startsWith("..");
  const writable = () =>
    checkWritableFolder(
      manifestDir,
      inDataDir
        ? "use a writable --data-dir"
        : opts.manifestPath
          ? "the manifest is written there"
          : "set YRD_DEPLOYMENTS_DIR to a writable folder, or make this one writable",
    );

  let replacedBecause: string | undefined;
  let archived: Archived | undefined;
  if (opts.fresh) {
    writable();
    let existing: Manifest | undefined;
    try {
      existing = readManifest(path);
    } catch {
      existing = undefined; // a corrupt manifest is archived as it is
    }
    archived = archiveDeployment(path, join(opts.dataDir ?? DEFAULT_DATA_DIR, `${existing?.network ?? conn.networkName}-${existing?.chainId ?? chainId}`));
    if (archived.manifest) {
      replacedBecause = "--fresh";
      log(`archived the manifest ${path} to ${archived.manifest}`);
    }
    if (archived.stores) log(`archived the node stores to ${archived.stores}`);
  } else {
    const existing = readManifest(path);
    if (existing) {
      const stale = await verifyDeployment(conn, existing, seeds, institutions);
      if (stale)
        throw new Error(
          `manifest ${path} is stale: ${stale}. Deploy with --fresh: it moves the manifest and its node stores to archive folders and deploys anew`,
        );
      log(`found the deployment in ${path}: verified, reusing it`);
      return { manifest: existing, path, reused: true };
    }
    writable();
  }

  // From here on transactions are sent: a failure part-way says how far it got and what to do.
  let sent = 0;
  let registryAt: string | undefined;
  try {
    const r = await roles(conn, seeds.nodes.length);
    log(`deploying ConsortiumRegistry from ${r.deployer.address}`);
    const registry = (await conn.ethers.deployContract("ConsortiumRegistry", r.deployer)) as unknown as ConsortiumRegistry;
    await registry.waitForDeployment();
    sent++;
    const deployTx = registry.deploymentTransaction();
    const deployBlock = (await deployTx?.wait())?.blockNumber ?? (await conn.ethers.provider.getBlockNumber());
    const registryAddress = (registryAt = await registry.getAddress());
    const asDeployer = registry.connect(r.deployer);
    // On a chain that seals blocks on a clock (the geth network) waiting for each transaction costs a block
    // each: the genesis transactions go out back to back (one sender, so the chain runs them in nonce order;
    // fixed gas limits, since each depends on the ones before it), then all their receipts are awaited.
    const inFlight: Promise<unknown>[] = [];
    const fire = async (tx: Promise<{ wait: () => Promise<unknown> }>) => {
      const sentTx = await tx;
      sent++;
      inFlight.push(sentTx.wait());
    };
    const settled = async () => {
      await Promise.all(inFlight.splice(0));
    };

    for (const c of seeds.cities) await fire(asDeployer.registerCity(BigInt(c.code), { gasLimit: GENESIS_GAS }));
    const nodes: ManifestNode[] = [];
    for (const [i, n] of seeds.nodes.entries()) {
      const metadataDigest = nodeMetadataDigest(n);
      await fire(asDeployer.genesisAddNode(BigInt(n.city), r.operators[i].address, metadataDigest, { gasLimit: GENESIS_GAS }));
      nodes.push({ nodeId: i + 1, id: n.id, city: n.city, operatorLabel: n.operator, operator: r.operators[i].address, metadataDigest });
    }
    await fire(asDeployer.setRegulator(r.regulator.address, { gasLimit: GENESIS_GAS }));
    await fire(asDeployer.closeGenesis({ gasLimit: GENESIS_GAS }));
    await settled();
    log(`registered ${seeds.cities.length} cities and ${nodes.length} nodes; genesis closed`);

    // The four contracts from one sender with consecutive nonces, so that each runs after the contracts its
    // constructor names (their addresses follow from the deployer's nonce). The first three go out together;
    // QueryDesk's constructor calls the ledger through ConsentRegistry, so its gas is estimated once they are
    // in a block. Then all are awaited with the chain's confirmations.
    const names = ["CreditLedger", "ConsentRegistry", "QueryLog", "QueryDesk"] as const;
    const firstNonce = await conn.ethers.provider.getTransactionCount(r.deployer.address, "pending");
    const at = Object.fromEntries(names.map((n, i) => [n, getCreateAddress({ from: r.deployer.address, nonce: firstNonce + i })])) as Record<
      (typeof names)[number],
      string
    >;
    const constructorArgs: Record<(typeof names)[number], unknown[]> = {
      CreditLedger: [registryAddress, BigInt(objectionDays) * 86_400n],
      ConsentRegistry: [registryAddress, at.CreditLedger],
      QueryLog: [registryAddress],
      QueryDesk: [registryAddress, at.ConsentRegistry, BigInt(DEFAULT_SERVICE_HOURS) * 3600n],
    };
    const deployments = [];
    for (const [i, name] of names.entries()) {
      if (name === "QueryDesk")
        await Promise.all(deployments.map((c) => receiptOf(conn.ethers.provider, c.deploymentTransaction()!.hash, undefined, FIRST_SEEN)));
      deployments.push(await conn.ethers.deployContract(name, constructorArgs[name], { signer: r.deployer, nonce: firstNonce + i }));
      sent++;
    }
    const blocks = await Promise.all(deployments.map(async (c) => (await c.deploymentTransaction()!.wait(requiredConfirmations()))!.blockNumber));
    const addresses = await Promise.all(deployments.map((c) => c.getAddress()));
    for (const [i, name] of names.entries())
      if (addresses[i].toLowerCase() !== at[name].toLowerCase()) throw new Error(`${name} was deployed at ${addresses[i]}, not at ${at[name]} as planned`);
    const [ledger, consents, queryLog, desk] = names.map((_, i) => ({ address: addresses[i], block: blocks[i] }));
    log(`deployed CreditLedger (objections answered within ${objectionDays} days), ConsentRegistry, QueryDesk, QueryLog`);

    // Institutions, node by node. The registry numbers them in the order the chain runs the transactions, and
    // the replay's workload is drawn from those ids, so they must follow the plan on every chain; each id is
    // checked against it once every transaction has its confirmations.
    // - Each transaction has a tip 1 wei below the one before and the same gas limit: a block takes the pool's
    //   transactions by tip, and once one does not fit none after it does, so every block holds the next ones
    //   in plan order, also when a replaced block puts its transactions back in the pool.
    // - With the other validators' RPCs given (`replicas`: `network up`), each transaction is sent to this
    //   connection's validator, and the next one once every other validator holds it: no pool ever holds a
    //   later registration without the earlier ones. They are sent to one validator only: geth seals the
    //   transactions it took over its own RPC ("local") before those from its peers, whatever their tips, so
    //   a validator must not take some of them each way (tried: ids out of order at once).
    // - Otherwise each is sent once the one before is in a block (on a chain that seals on a clock, a block
    //   or two each).
    const plan = planInstitutions(seeds, institutions);
    const keyIndexOf = new Map(plan.map((p) => [institutionWallet(p.index).address, p]));
    const chunks = nodes.flatMap(({ nodeId }) => {
      const mine = plan.filter((p) => p.sponsorNodeId === nodeId);
      const out: { nodeId: number; data: string; signers: string[] }[] = [];
      for (let start = 0; start < mine.length; start += INSTITUTIONS_PER_TX) {
        const chunk = mine.slice(start, start + INSTITUTIONS_PER_TX).map((p) => ({ ...p, signer: institutionWallet(p.index).address }));
        out.push({
          nodeId,
          data: registry.interface.encodeFunctionData("multiRegisterInstitutions", [chunk.map(toRequest)]),
          signers: chunk.map((c) => c.signer),
        });
      }
      return out;
    });
    // a fresh registry numbers from 1, in the order of the chunks
    const expectedId = new Map(chunks.flatMap((c) => c.signers).map((signer, i) => [signer, i + 1]));
    const operatorOf = (nodeId: number) => r.operators[nodeId - 1];
    const estimates = await Promise.all(
      chunks.map((c) => conn.ethers.provider.estimateGas({ from: operatorOf(c.nodeId).address, to: registryAddress, data: c.data })),
    );
    const gasLimit = (estimates.reduce((a, b) => (a > b ? a : b), 0n) * 6n) / 5n;
    const fees = await conn.ethers.provider.getFeeData();
    const tipOf = (k: number) => (fees.maxPriorityFeePerGas ?? 1_000_000_000n) + BigInt(chunks.length - k);
    const maxFeePerGas = (fees.maxFeePerGas ?? 2_000_000_000n) + tipOf(0);
    const replicas = opts.replicas ?? [];
    const hashes: string[] = [];
    for (const [k, c] of chunks.entries()) {
      const sentTx = await operatorOf(c.nodeId).sendTransaction({ to: registryAddress, data: c.data, gasLimit, maxFeePerGas, maxPriorityFeePerGas: tipOf(k) });
      sent++;
      if (replicas.length > 0) await heldByAll(replicas, sentTx.hash);
      else await receiptOf(conn.ethers.provider, sentTx.hash, undefined, FIRST_SEEN);
      hashes.push(sentTx.hash);
    }
    const registered: ManifestInstitution[] = [];
    const receipts = await Promise.all(hashes.map((h) => receiptOf(conn.ethers.provider, h)));
    for (const [k, receipt] of receipts.entries()) {
      for (const l of receipt.logs) {
        const ev = registry.interface.parseLog({ topics: [...l.topics], data: l.data });
        if (ev?.name !== "InstitutionRegistered") continue;
        const signer = ev.args.signer as string;
        const p = keyIndexOf.get(signer)!;
        const institutionId = Number(ev.args.institutionId);
        if (institutionId !== expectedId.get(signer))
          throw new Error(
            `institution ${p.name} was registered as ${institutionId}, not ${expectedId.get(signer)}: the chain ran the registrations out of order, so the ids do not follow the plan the replay draws from`,
          );
        registered.push({ institutionId, sponsorNodeId: chunks[k].nodeId, kind: p.kind, signer, nameDigest: p.nameDigest, keyIndex: p.index });
      }
    }
    if (registered.length !== plan.length) throw new Error(`${registered.length} institutions registered, ${plan.length} planned`);
    registered.sort((a, b) => a.institutionId - b.institutionId);
    log(`registered ${registered.length} institutions`);

    const manifest: Manifest = {
      version: MANIFEST_VERSION,
      network: conn.networkName,
      chainId: chainId.toString(),
      deployer: r.deployer.address,
      regulator: r.regulator.address,
      deployBlock,
      deployedAt: new Date().toISOString(),
      contracts: {
        ConsortiumRegistry: { address: registryAddress, block: deployBlock },
        CreditLedger: ledger,
        ConsentRegistry: consents,
        QueryDesk: desk,
        QueryLog: queryLog,
      },
      nodes,
      institutions: registered,
      seedDigests: seedDigests(),
    };
    writeManifest(path, manifest);
    log(`manifest written to ${path}`);
    return { manifest, path, reused: false, replacedBecause, archived };
  } catch (e) {
    const err = e as Error & { shortMessage?: string; reason?: string };
    const cause = (err.reason ?? err.shortMessage ?? err.message).split("\n")[0];
    throw new Error(
      `deployment stopped after ${sent} transaction${sent === 1 ? "" : "s"} (${cause}): no manifest was written to ${path}; ` +
        (registryAt ? `the contracts sent so far (ConsortiumRegistry at ${registryAt}) stay on chain, unused. ` : "no contract was deployed. ") +
        (archived?.manifest || archived?.stores
          ? `The earlier deployment stays archived (${[archived.manifest, archived.stores].filter((x) => x).join(", ")}). `
          : "") +
        "Fix the cause and run deploy again with the same options: with no manifest it deploys anew",
      { cause: e },
    );
  }
}

/** Waits (bounded) until every one of `rpcs` knows transaction `hash`: in its pool, or mined. */
async function heldByAll(rpcs: RpcSender[], hash: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let missing = rpcs;
  while (missing.length > 0) {
    const known = await Promise.all(missing.map(async (rpc) => (await rpc.send("eth_getTransactionByHash", [hash])) !== null));
    missing = missing.filter((_, i) => !known[i]);
    if (missing.length === 0) return;
    if (Date.now() > deadline) throw new Error(`transaction ${hash} did not reach ${missing.length} of the other validators within ${timeoutMs / 1000} s`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

function toRequest(p: { signer: string; kind: string; nameDigest: string }) {
  return { signer: p.signer, kind: BigInt(INSTITUTION_KINDS.indexOf(p.kind as InstitutionKindName)), nameDigest: p.nameDigest };
}
