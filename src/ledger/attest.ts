/**
 * Attesting records: the home-city node commits to each record with a fresh salt and puts the commitment on
 * chain, live (one digest per record version) or in Merkle batches (one root per batch), through its
 * journal (`CityNode`): the records with their salts are stored and the write journaled before it is sent,
 * so an interrupted run is settled when the node next starts, and a rerun of the same file carries on.
 *
 * Versions continue from the highest the chain or the store knows; a record whose content is already the
 * node's current version is not attested again (it is reported unchanged, with its proof). A batch record
 * above version 1 is declared with `multiSupersede`, journaled together with its batch.
 */
import { randomBytes } from "node:crypto";
import { hexlify, keccak256 } from "ethers";
import type { CityNode } from "../node/city-node.js";
import type { NewStep } from "../node/journal.js";
import { StandardTree } from "../merkle/standard.js";
import type { Session } from "../session.js";
import { loadSeeds } from "../seeds.js";
import { homeCity } from "../uscc.js";
import type { StoredRecord } from "../store/nodeStore.js";
import { inOrderWindow } from "../concurrency.js";
import { fastRecordDigest, fastRecordLeaf, usccBytes } from "./leaf.js";
import { pushTo } from "../collections.js";

/** A record ready to attest: its canonical encoding and the JSON the node keeps. */
export interface EncodedRecord {
  /** USCC text. */
  enterprise: string;
  category: number;
  encoding: Uint8Array;
  recordJson: string;
  /** Basic info only: the account that signs for the enterprise, bound on chain with the attestation. */
  signer?: string;
}

export interface AttestedRecord {
  enterprise: string;
  category: number;
  version: number;
  nodeId: number;
  mode: "live" | "batch";
  salt: string;
  digest: string;
  leafHash: string;
  batchId?: number;
  proof?: string[];
  txHash: string;
  block: number;
  /** True when the record was already attested with this content (nothing sent for it). */
  unchanged?: boolean;
}

export interface AttestOptions {
  mode: "live" | "batch";
  /** Attest through this node (must be in the enterprises' home city); default: the city's first active node. */
  nodeId?: number;
  /** Records per transaction (live) or per batch (batch). */
  chunkSize?: number;
  /** Called as each chunk lands on chain (and for unchanged records), so proof files exist for what landed. */
  onAttested?: (records: AttestedRecord[]) => void;
  /**
   * Nodes whose own service runs (that node's only writer): their records are submitted there instead, and
   * land in the service's mode (live, or batched on its trigger).
   */
  services?: ReadonlyMap<number, { attest(items: readonly EncodedRecord[], log?: (line: string) => void): Promise<AttestedRecord[]> }>;
  log?: (line: string) => void;
}

export const DEFAULT_LIVE_CHUNK = 100;
/** A node's live steps in flight at once, on a node that pipelines (a chain that seals on a clock). */
const PIPELINE_WINDOW = 4096;
/** Chain reads side by side. */
const READ_WINDOW = 64;
export const DEFAULT_BATCH_SIZE = 1000;
const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

interface Prepared extends EncodedRecord {
  version: number;
  salt: Uint8Array;
  digest: Uint8Array;
  leafHash: Uint8Array;
}

async function attestingNode(session: Session, cityCode: string, cityName: string, requested?: number): Promise<number> {
  if (requested !== undefined) {
    const n = session.manifest.nodes.find((m) => m.nodeId === requested);
    if (!n) throw new Error(`unknown node ${requested}`);
    if (n.city !== cityCode) throw new Error(`node ${n.id} is in city ${n.city}; ${cityName} (${cityCode}) records need a ${cityName} node`);
    return requested;
  }
  return session.activeNodeOf(cityCode);
}

/** The record as attested before, from the store: its proof (for a batch member) rebuilt from the batch's leaves. */
function fromStore(node: CityNode, r: StoredRecord): AttestedRecord {
  const base = {
    enterprise: r.enterprise,
    category: r.category,
    version: r.version,
    nodeId: node.nodeId,
    salt: hexlify(r.salt),
    digest: hexlify(r.digest),
    leafHash: hexlify(r.leafHash),
    txHash: r.txHash ?? "",
    block: r.block ?? 0,
    unchanged: true,
  };
  if (r.mode === "live") return { ...base, mode: "live" };
  const tree = StandardTree.fromLeafHashes(node.store.batchLeafHashes(r.batchId!));
  return { ...base, mode: "batch", batchId: r.batchId!, proof: tree.proof(r.leafHash).map((p) => hexlify(p)) };
}

/**
 * Splits a node's items into those already attested with the same content (unchanged) and those to attest,
 * with their next versions: above both the chain's declared version and the store's latest.
 */
async function prepare(session: Session, node: CityNode, items: readonly EncodedRecord[]): Promise<{ todo: Prepared[]; unchanged: AttestedRecord[] }> {
  // the chain's declared version of every record the store does not hold as it is, read side by side
  const declared = new Map<string, number>();
  const ask: EncodedRecord[] = [];
  for (const it of items) {
    const key = `${it.enterprise}:${it.category}`;
    if (declared.has(key)) continue;
    declared.set(key, 0);
    ask.push(it);
  }
  await inOrderWindow(ask, READ_WINDOW, async (it) => {
    const v = Number(await session.contracts.ledger.declaredVersion(hexlify(usccBytes(it.enterprise)), it.category));
    declared.set(`${it.enterprise}:${it.category}`, v);
  });
  const next = new Map<string, number>();
  const todo: Prepared[] = [];
  const unchanged: AttestedRecord[] = [];
  for (const it of items) {
    const key = `${it.enterprise}:${it.category}`;
    let v = next.get(key);
    if (v === undefined) {
      const latest = node.store.latestVersion(it.enterprise, it.category);
      const current = latest > 0 ? node.store.get(it.enterprise, it.category, latest) : undefined;
      if (current && current.mode !== "pending" && Buffer.from(current.encoding).equals(Buffer.from(it.encoding))) {
        unchanged.push(fromStore(node, current));
        continue;
      }
      v = Math.max(declared.get(key)!, latest);
    }
    next.set(key, v + 1);
    const salt = new Uint8Array(randomBytes(32));
    const digest = fastRecordDigest(salt, it.encoding);
    todo.push({ ...it, version: v + 1, salt, digest, leafHash: fastRecordLeaf(usccBytes(it.enterprise), it.category, v + 1, digest) });
  }
  return { todo, unchanged };
}

const stored = (p: Prepared, batchId: number | null) => ({ ...p, batchId });

/** Attests records, grouped by attesting node, through each node's journal. */
export async function attestRecords(session: Session, items: readonly EncodedRecord[], opts: AttestOptions): Promise<AttestedRecord[]> {
  const cities = loadSeeds().cities;
  const groups = new Map<number, EncodedRecord[]>();
  for (const it of items) {
    const city = homeCity(it.enterprise, cities);
    const nodeId = await attestingNode(session, city.code, city.nameEn, opts.nodeId);
    pushTo(groups, nodeId, it);
  }
  const out: AttestedRecord[] = [];
  const landed = (records: AttestedRecord[]) => {
    out.push(...records);
    opts.onAttested?.(records);
  };
  for (const [nodeId, group] of groups) {
    const service = opts.services?.get(nodeId);
    if (service) {
      landed(await service.attest(group, opts.log));
      continue;
    }
    const node = await session.node(nodeId);
    let binds: NewStep<"bind-signer">[] | undefined;
    const { todo, unchanged } = await prepare(session, node, group);
    if (unchanged.length > 0) landed(unchanged);
    if (opts.mode === "live") {
      const size = opts.chunkSize ?? DEFAULT_LIVE_CHUNK;
      const chunks: { chunk: Prepared[]; step: NewStep<"attest"> }[] = [];
      for (let s = 0; s < todo.length; s += size) {
        const chunk = todo.slice(s, s + size);
        const first = chunk[0];
        chunks.push({
          chunk,
          step: {
            key: `attest/${first.enterprise}/${first.category}/v${first.version}${chunk.length > 1 ? `+${chunk.length - 1}` : ""}`,
            kind: "attest",
            payload: { items: chunk.map((p) => ({ enterprise: p.enterprise, category: p.category, version: p.version, digest: hexlify(p.digest) })) },
          },
        });
      }
      // on a node that pipelines, the chunks go out together, each journaled with its records just before it is
      // checked and sent, in nonce order (after a refusal none is started), unless two versions of one record are
      // among them (the second is valid only once the first is mined)
      const together = node.pipelines && new Set(todo.map((p) => `${p.enterprise}:${p.category}`)).size === todo.length ? PIPELINE_WINDOW : 1;
      // a signer binding does not need its record on chain: where the chunks go out together, the bindings follow
      // them at once (else after every chunk landed, below)
      binds = together > 1 ? await signerBindings(session, node, group, todo) : undefined;
      const from = await node.height();
      const work: ({ chunk: Prepared[]; step: NewStep<"attest"> } | NewStep<"bind-signer">)[] = [...chunks, ...(binds ?? [])];
      await inOrderWindow(work, together, async (item) => {
        if (!("chunk" in item)) {
          await node.journalSteps([item], undefined, from);
          await node.execute(item, { pipelined: true });
          return;
        }
        const { chunk, step } = item;
        await node.journalSteps([step], () => node.store.putPending(chunk.map((p) => stored(p, null))), from);
        const mined = await node.execute(step, { pipelined: true });
        landed(
          chunk.map((p) => ({
            enterprise: p.enterprise,
            category: p.category,
            version: p.version,
            nodeId,
            mode: "live",
            salt: hexlify(p.salt),
            digest: hexlify(p.digest),
            leafHash: hexlify(p.leafHash),
            txHash: mined.hash,
            block: mined.blockNumber,
          })),
        );
      });
    } else {
      const size = opts.chunkSize ?? DEFAULT_BATCH_SIZE;
      for (const category of [1, 2, 3]) {
        const ofCategory = todo.filter((p) => p.category === category);
        for (let s = 0; s < ofCategory.length; s += size) {
          const chunk = ofCategory.slice(s, s + size);
          const local = node.store.nextLocalBatch();
          const tree = StandardTree.fromLeafHashes(chunk.map((p) => p.leafHash));
          const leaves = Buffer.concat(chunk.map((p) => Buffer.from(p.leafHash)));
          const anchor: NewStep<"anchor"> = {
            key: `anchor/${local}`,
            kind: "anchor",
            payload: { category, root: hexlify(tree.root), count: chunk.length, batchDigest: keccak256(leaves) },
          };
          const corrections = chunk.filter((p) => p.version > 1);
          const supersede: NewStep<"supersede"> = {
            key: `anchor/${local}/supersede`,
            kind: "supersede",
            payload: { items: corrections.map((p) => ({ enterprise: p.enterprise, category, version: p.version })) },
          };
          await node.journalSteps(corrections.length > 0 ? [anchor, supersede] : [anchor], () => {
            node.store.putPendingBatch({
              step: anchor.key,
              category,
              root: tree.root,
              count: chunk.length,
              batchDigest: Buffer.from(anchor.payload.batchDigest.slice(2), "hex"),
              leaves,
              chunk: null,
              local,
            });
            node.store.putPending(chunk.map((p) => stored(p, -local)));
          });
          const mined = await node.execute(anchor);
          if (corrections.length > 0) await node.execute(supersede);
          const batchId = node.store.batchOfStep(anchor.key)!.batchId!;
          landed(
            chunk.map((p) => ({
              enterprise: p.enterprise,
              category,
              version: p.version,
              nodeId,
              mode: "batch",
              salt: hexlify(p.salt),
              digest: hexlify(p.digest),
              leafHash: hexlify(p.leafHash),
              batchId,
              proof: tree.proof(p.leafHash).map((x) => hexlify(x)),
              txHash: mined.hash,
              block: mined.blockNumber,
            })),
          );
        }
      }
    }
    if (!binds) {
      const steps = await signerBindings(session, node, group);
      if (steps.length > 0) await node.journalSteps(steps);
      await inOrderWindow(steps, node.pipelines ? PIPELINE_WINDOW : 1, async (step) => {
        await node.execute(step, { pipelined: true });
      });
    }
  }
  return out;
}

/**
 * The bindings of the signers named in basic-info records, where the chain does not have them bound already;
 * keyed by the record's version (`todo`'s, when it is being attested now, else the store's latest).
 */
async function signerBindings(
  session: Session,
  node: CityNode,
  items: readonly EncodedRecord[],
  todo: readonly Prepared[] = [],
): Promise<NewStep<"bind-signer">[]> {
  const latest = new Map<string, string>();
  for (const it of items) if (it.signer && it.signer !== ZERO_ADDRESS) latest.set(it.enterprise, it.signer);
  const versions = new Map<string, number>();
  for (const p of todo) if (p.category === 1) versions.set(p.enterprise, Math.max(versions.get(p.enterprise) ?? 0, p.version));
  const steps: NewStep<"bind-signer">[] = [];
  await inOrderWindow([...latest], READ_WINDOW, async ([enterprise, signer]) => {
    if ((await session.contracts.ledger.enterpriseSigner(hexlify(usccBytes(enterprise)))).toLowerCase() === signer.toLowerCase()) return;
    const version = versions.get(enterprise) ?? node.store.latestVersion(enterprise, 1);
    steps.push({ key: `bind-signer/${enterprise}/v${version}/${signer.toLowerCase()}`, kind: "bind-signer", payload: { enterprise, signer } });
  });
  // in the items' order, whatever order the reads came back in
  const order = new Map([...latest.keys()].map((e, i) => [e, i]));
  return steps.sort((a, b) => order.get(a.payload.enterprise)! - order.get(b.payload.enterprise)!);
}
