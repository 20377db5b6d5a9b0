/**
 * `audit --verify`: re-checks every digest and proof the audit lists against the chain, reading only the
 * chain and the node stores. Each check either passes or fails with a named reason, so one tampered byte
 * anywhere (a store row, a proof, a log entry) shows up as a named failure.
 */
import { hexlify, type TypedDataDomain } from "ethers";
import type { Contracts } from "../chain/contracts.js";
import type { Manifest } from "../chain/manifest.js";
import { authorizationId, consentDomain } from "../consent/authorization.js";
import { recordStatusName } from "../ledger/status.js";
import { fastRecordDigest, fastRecordLeaf, usccBytes } from "../ledger/leaf.js";
import type { MerkleLog } from "../merkle/log.js";
import { LogTrees } from "../node/query-log.js";
import { StandardTree } from "../merkle/standard.js";
import { decodeLogEntry, logEntryLeafHash, reportsDigest } from "../query/log-entry.js";
import type { StoredRecord } from "../store/nodeStore.js";
import type { NodeStores } from "../store/stores.js";
import { bytes18ToUscc, nodeLabel, type TrailFilter, type TrailRow, matches, usccToBytes18 } from "./trail.js";
import { pushTo } from "../collections.js";

export interface Finding {
  /** What was checked, e.g. "record 913201…/basic-info/v2" or "log sh-1#17". */
  subject: string;
  ok: boolean;
  /** Named reason of a failure, e.g. "store-digest-mismatch". */
  failure?: string;
  detail?: string;
  /** What was checked, with the proofs (only with `VerifyOptions.evidence`). */
  evidence?: Evidence;
}

/** The values and proofs a check used, for a reader who wants to see them (the explorer's "prove"). */
export type Evidence =
  | {
      kind: "record";
      mode: "live" | "batched";
      enterprise: string;
      category: number;
      version: number;
      /** keccak256(abi.encode(salt, encoding)), recomputed from the store. */
      digest: string;
      /** The commitment the store keeps, and the one attested on chain (live records). */
      storedDigest: string;
      chainDigest?: string;
      /** The StandardMerkleTree leaf of (enterprise, category, version, digest). */
      leafHash: string;
      batchId?: number;
      /** The batch's root rebuilt from the store's leaves (the chain holds the same root). */
      root?: string;
      /** The leaf's Merkle path (sibling hashes, leaf to root) given to `verifyRecord`. */
      proof?: string[];
      /** What the ledger answered. */
      status?: string;
    }
  | { kind: "log"; nodeId: number; size: number; committed: number; committedRoot?: string }
  | {
      kind: "log-entry";
      nodeId: number;
      sequence: number;
      leafHash: string;
      /** The commitment on chain the entry was proven against: its index and size, and the root the proof leads to. */
      commitmentIndex?: number;
      size?: number;
      root?: string;
      /** The RFC 6962 inclusion proof given to `QueryLog.verifyEntry`. */
      inclusionProof?: string[];
      liveQueryId?: string;
    };

export interface VerifyOptions {
  /** Check at most this many records and this many log entries, chosen by `pick` (default: all). */
  sample?: number;
  /** Chooses `k` of `n` indices (deterministic, e.g. from a seeded generator); default: the first k. */
  pick?: (n: number, k: number) => number[];
  /** The trees of the nodes' logs, shared with other readers of the same run (default: built here). */
  trees?: LogTrees;
  /** Attach what each check used (digests, leaves, roots, proofs) to its finding. */
  evidence?: boolean;
  /** Check the query logs of these nodes only (default: every node with a store); [] for a check of records only. */
  logNodes?: readonly number[];
  /** Of the log entries that pass the filter, check only those this accepts (default: all). */
  entry?: (nodeId: number, sequence: number) => boolean;
}

function errorName(e: unknown, c: Contracts): string {
  const data = (e as { data?: string }).data;
  for (const iface of [c.queryLog.interface, c.ledger.interface]) {
    try {
      const parsed = data ? iface.parseError(data) : null;
      if (parsed) return parsed.name;
    } catch {
      // not this contract's error
    }
  }
  return (e as Error).message.split("\n")[0];
}

/** Checks one stored record: its commitment, its leaf, and what the chain says of it. */
async function checkRecord(c: Contracts, r: StoredRecord, tree: StandardTree | undefined, onChainDigest?: string, withEvidence = false): Promise<Finding> {
  const subject = `record ${r.enterprise}/${r.category}/v${r.version}`;
  const digest = fastRecordDigest(r.salt, r.encoding);
  const leaf = fastRecordLeaf(usccBytes(r.enterprise), r.category, r.version, digest);
  const evidence: Evidence & { kind: "record" } = {
    kind: "record",
    mode: r.mode === "live" ? "live" : "batched",
    enterprise: r.enterprise,
    category: r.category,
    version: r.version,
    digest: hexlify(digest),
    storedDigest: hexlify(r.digest),
    ...(onChainDigest !== undefined ? { chainDigest: onChainDigest } : {}),
    leafHash: hexlify(leaf),
    ...(r.batchId ? { batchId: r.batchId } : {}),
  };
  const withIt = (f: Finding): Finding => (withEvidence ? { ...f, evidence } : f);
  const fail = (failure: string, detail?: string): Finding => withIt({ subject, ok: false, failure, detail });
  if (hexlify(digest) !== hexlify(r.digest)) return fail("store-digest-mismatch", "salt and encoding do not open the stored commitment");
  if (onChainDigest !== undefined && onChainDigest !== hexlify(digest)) return fail("chain-digest-mismatch", "the store's commitment is not the attested one");
  if (hexlify(leaf) !== hexlify(r.leafHash)) return fail("leaf-hash-mismatch");
  const e18 = usccToBytes18(r.enterprise);
  let status: bigint;
  if (r.mode === "live") {
    status = await c.ledger.attestationStatus(e18, r.category, r.version, hexlify(digest));
  } else if (r.mode === "batched" && tree) {
    const i = tree.indexOf(leaf);
    if (i < 0) return fail("leaf-not-in-batch");
    const proof = tree.proofAt(i).map((p) => hexlify(p));
    evidence.root = hexlify(tree.root);
    evidence.proof = proof;
    status = await c.ledger.verifyRecord(r.batchId!, { enterprise: e18, category: r.category, version: r.version, digest: hexlify(digest) }, proof);
  } else {
    return fail("record-not-anchored", `mode ${r.mode}`);
  }
  if (status === 0n) return fail("not-anchored", "the chain does not accept the record's digest or proof");
  evidence.status = recordStatusName(status);
  return withIt({ subject, ok: true, detail: recordStatusName(status) });
}

function choose<T>(items: T[], opts: VerifyOptions): T[] {
  if (opts.sample === undefined || opts.sample >= items.length) return items;
  const pick = opts.pick ?? ((_n: number, k: number) => Array.from({ length: k }, (_, i) => i));
  return pick(items.length, opts.sample).map((i) => items[i]);
}

/** Verifies the rows of a trail (and the node stores behind them) against the chain. */
export async function verifyTrail(
  c: Contracts,
  manifest: Manifest,
  stores: NodeStores,
  rows: readonly TrailRow[],
  filter: TrailFilter,
  opts: VerifyOptions = {},
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const logTrees = opts.trees ?? new LogTrees();
  const domain: TypedDataDomain = consentDomain(manifest.chainId, manifest.contracts.ConsentRegistry.address);

  // authorizations: the id is the EIP-712 digest of exactly the fields the event shows
  for (const r of rows.filter((x) => x.kind === "authorization")) {
    const d = r.data;
    const id = authorizationId(domain, {
      enterprise: d.enterprise as string,
      institution: d.institution as number,
      purpose: d.purpose as number,
      categories: d.categories as number,
      notBefore: d.notBefore as number,
      notAfter: d.notAfter as number,
      nonce: d.nonce as bigint,
    });
    findings.push(
      id === d.authorizationId
        ? { subject: `authorization ${String(id).slice(0, 10)}…`, ok: true }
        : { subject: `authorization ${String(d.authorizationId).slice(0, 10)}…`, ok: false, failure: "authorization-digest-mismatch" },
    );
  }

  // records: live attestations and batch members, from the attesting node's store
  const records: { nodeId: number; record: StoredRecord; onChainDigest?: string }[] = [];
  for (const r of rows.filter((x) => x.kind === "attestation")) {
    const nodeId = r.nodes[0];
    const rec = stores.existing().includes(nodeId) ? stores.get(nodeId).get(r.enterprise!, r.data.category as number, r.data.version as number) : undefined;
    if (!rec) findings.push({ subject: `record ${r.enterprise}/${r.data.category}/v${r.data.version}`, ok: false, failure: "record-missing-from-store" });
    else records.push({ nodeId, record: rec, onChainDigest: r.data.digest as string });
  }
  const trees = new Map<string, StandardTree>();
  for (const r of choose(
    rows.filter((x) => x.kind === "batch"),
    opts,
  )) {
    const nodeId = r.nodes[0];
    const batchId = r.data.batchId as number;
    const subject = `batch ${batchId} of node ${nodeLabel(manifest, nodeId)}`;
    if (!stores.existing().includes(nodeId)) {
      findings.push({ subject, ok: false, failure: "store-missing", detail: `no store of node ${nodeId} at ${stores.path(nodeId)}` });
      continue;
    }
    const store = stores.get(nodeId);
    const leaves = store.batchLeafHashes(batchId);
    if (leaves.length !== r.data.count) {
      findings.push({ subject, ok: false, failure: "batch-count-mismatch", detail: `store has ${leaves.length} records, chain says ${r.data.count}` });
      continue;
    }
    const tree = StandardTree.fromLeafHashes(leaves);
    if (hexlify(tree.root) !== r.data.root) {
      findings.push({ subject, ok: false, failure: "batch-root-mismatch", detail: "the store's records do not rebuild the anchored root" });
      continue;
    }
    findings.push({ subject, ok: true });
    trees.set(`${nodeId}:${batchId}`, tree);
    const members = (filter.enterprise ? store.recordsOf(filter.enterprise) : store.recordsInBatch(batchId)).filter(
      (m) => m.mode === "batched" && m.batchId === batchId,
    );
    for (const m of members) records.push({ nodeId, record: m });
  }
  for (const { nodeId, record, onChainDigest } of choose(records, opts))
    findings.push(
      await checkRecord(c, record, record.batchId ? trees.get(`${nodeId}:${record.batchId}`) : undefined, onChainDigest, opts.evidence).catch(
        (e: unknown): Finding => ({
          subject: `record ${record.enterprise}/${record.category}/v${record.version}`,
          ok: false,
          failure: "check-error",
          detail: errorName(e, c),
        }),
      ),
    );

  // query logs: every listed entry is in a committed log; live ones agree with the QueryDesk events
  const liveQueries = new Map<number, TrailRow[]>();
  for (const r of rows.filter((x) => x.kind.startsWith("query"))) pushTo(liveQueries, r.data.queryId as number, r);
  const entries: { nodeId: number; seq: number; log: MerkleLog }[] = [];
  // per node: the time of its latest commitment, and the live queries its committed entries name
  const committedAt = new Map<number, number>();
  const loggedLive = new Map<number, Set<number>>();
  const unknownEntries = new Set<number>();
  for (const nodeId of stores.existing().filter((id) => !opts.logNodes || opts.logNodes.includes(id))) {
    const store = stores.get(nodeId);
    const log = logTrees.of(store);
    const latest = await c.queryLog.latestCommitment(nodeId);
    const committed = Number(latest.size);
    if (committed > log.size) {
      findings.push({
        subject: `query log of node ${nodeLabel(manifest, nodeId)}`,
        ok: false,
        failure: "log-shorter-than-commitment",
        detail: `the chain's latest commitment covers ${committed} entries, the store has ${log.size}`,
      });
      continue;
    }
    committedAt.set(nodeId, Number(latest.committedAt));
    const logged = new Set<number>();
    loggedLive.set(nodeId, logged);
    const logEvidence = opts.evidence
      ? { evidence: { kind: "log" as const, nodeId, size: log.size, committed, ...(committed > 0 ? { committedRoot: latest.root } : {}) } }
      : {};
    if (committed > 0 && hexlify(log.root(committed)) !== latest.root)
      findings.push({
        subject: `query log of node ${nodeLabel(manifest, nodeId)}`,
        ok: false,
        failure: "log-root-mismatch",
        detail: `the store's first ${committed} entries do not rebuild the committed root`,
        ...logEvidence,
      });
    else if (log.size > 0)
      findings.push({
        subject: `query log of node ${nodeLabel(manifest, nodeId)}`,
        ok: true,
        detail: `${committed} of ${log.size} entries committed`,
        ...logEvidence,
      });
    for (const e of store.allLogEntries()) {
      const decoded = decodeLogEntry(e.entry);
      if (e.sequence < committed) {
        // an entry that no longer hashes to its leaf is reported by its own check: what it named is unknown
        if (!Buffer.from(logEntryLeafHash(e.entry)).equals(Buffer.from(log.leafHash(e.sequence)))) unknownEntries.add(nodeId);
        else if (decoded.liveQueryId !== 0n) logged.add(Number(decoded.liveQueryId));
      }
      const row: TrailRow = {
        kind: "logged-query",
        block: 0,
        logIndex: 0,
        time: decoded.time,
        txHash: "",
        enterprise: bytes18ToUscc(decoded.enterprise),
        institution: decoded.institution,
        nodes: [nodeId],
        cities: [manifest.nodes.find((n) => n.nodeId === nodeId)!.city],
        detail: "",
        data: {},
      };
      if (matches(row, manifest, filter) && (!opts.entry || opts.entry(nodeId, e.sequence))) entries.push({ nodeId, seq: e.sequence, log });
    }
  }
  // every query a node answered on chain in a block before its latest commitment is in that commitment (a node
  // may hold an answer back from its log only until it next commits); answers after it are not checked yet
  for (const r of rows.filter((x) => x.kind === "query-fulfilled" || x.kind === "query-denied")) {
    const nodeId = r.data.nodeId as number | undefined;
    const at = nodeId === undefined ? undefined : committedAt.get(nodeId);
    if (nodeId === undefined || at === undefined || r.time >= at || unknownEntries.has(nodeId)) continue;
    const queryId = r.data.queryId as number;
    if (!loggedLive.get(nodeId)!.has(queryId))
      findings.push({
        subject: `query ${queryId}`,
        ok: false,
        failure: "answered-query-not-logged",
        detail: `node ${nodeLabel(manifest, nodeId)} answered it in block ${r.block}, before its latest commitment (at ${new Date(at * 1000).toISOString()}), which holds no entry of it`,
      });
  }
  const sizes = commitmentSizes(c);
  for (const { nodeId, seq, log } of choose(entries, opts)) {
    findings.push(
      await checkLogEntry(c, stores, sizes, liveQueries, nodeId, seq, log, opts.evidence).catch((e: unknown): Finding => ({
        subject: `log entry ${nodeId}#${seq}`,
        ok: false,
        failure: "check-error",
        detail: errorName(e, c),
      })),
    );
  }
  return findings;
}

/** Sizes of a node's commitments on chain, in order, read once per audit. */
type CommitmentSizes = (nodeId: number) => Promise<number[]>;

function commitmentSizes(c: Contracts): CommitmentSizes {
  const cache = new Map<number, Promise<number[]>>();
  return (nodeId) => {
    let p = cache.get(nodeId);
    if (!p) {
      p = (async () => {
        const count = Number(await c.queryLog.commitmentCount(nodeId));
        const out: number[] = [];
        for (let i = 0; i < count; i++) out.push(Number((await c.queryLog.commitment(nodeId, i)).size));
        return out;
      })();
      cache.set(nodeId, p);
    }
    return p;
  };
}

/** Checks one whole entry of a node's log: its leaf, its inclusion in a commitment on chain, and its agreement with the QueryDesk. */
async function checkLogEntry(
  c: Contracts,
  stores: NodeStores,
  sizes: CommitmentSizes,
  liveQueries: Map<number, TrailRow[]>,
  nodeId: number,
  seq: number,
  log: MerkleLog,
  withEvidence = false,
): Promise<Finding> {
  const e = stores.get(nodeId).logEntry(seq)!;
  const subject = `log entry ${nodeId}#${seq}`;
  const evidence: Evidence & { kind: "log-entry" } = {
    kind: "log-entry",
    nodeId,
    sequence: seq,
    leafHash: hexlify(logEntryLeafHash(e.entry)),
    ...(e.liveQueryId ? { liveQueryId: e.liveQueryId } : {}),
  };
  const withIt = (f: Finding): Finding => (withEvidence ? { ...f, evidence } : f);
  if (hexlify(logEntryLeafHash(e.entry)) !== hexlify(e.leafHash))
    return withIt({ subject, ok: false, failure: "log-entry-hash-mismatch", detail: "the entry's bytes do not hash to its stored leaf" });
  // the first commitment on chain that covers the entry
  const index = (await sizes(nodeId)).findIndex((size) => size > seq);
  if (index < 0) return withIt({ subject, ok: false, failure: "entry-not-committed", detail: "no commitment on chain covers this entry yet" });
  const size = (await sizes(nodeId))[index];
  if (size > log.size)
    return withIt({
      subject,
      ok: false,
      failure: "log-shorter-than-commitment",
      detail: `commitment ${index} covers ${size} entries, the store has ${log.size}`,
    });
  const proof = log.inclusionProof(seq, size);
  Object.assign(evidence, { commitmentIndex: index, size, root: hexlify(log.root(size)), inclusionProof: proof.map((p) => hexlify(p)) });
  try {
    await c.queryLog.verifyEntry(nodeId, index, seq, e.leafHash, proof);
  } catch (err) {
    return withIt({ subject, ok: false, failure: "inclusion-proof-rejected", detail: errorName(err, c) });
  }
  const d = decodeLogEntry(e.entry);
  if (d.liveQueryId !== 0n) {
    const evs = liveQueries.get(Number(d.liveQueryId)) ?? [];
    const req = evs.find((x) => x.kind === "query");
    const ful = evs.find((x) => x.kind === "query-fulfilled");
    const agrees =
      req !== undefined &&
      req.enterprise === bytes18ToUscc(d.enterprise) &&
      req.institution === d.institution &&
      req.data.purpose === d.purpose &&
      req.data.categories === d.categories &&
      req.data.authorizationId === d.authorizationId &&
      (ful ? reportsDigest(ful.data.reportDigests as string[]) === d.reportsDigest : true);
    if (!agrees && req !== undefined) return withIt({ subject, ok: false, failure: "log-entry-disagrees-with-chain", detail: `live query ${d.liveQueryId}` });
  }
  return withIt({ subject, ok: true });
}
