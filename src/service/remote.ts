/**
 * Commands on the multi-node network go through the node services, the way an operator or an institution would:
 * while a node's service runs it is that node's only writer, so `attest` submits the node's records at its
 * operator route and `query` has its request relayed and served by the services. A node without a running
 * service (a city node that is not a validator of a small network, or every node before `up` starts the
 * services) is written by the command itself, through its journal, as on any other chain.
 */
import { existsSync } from "node:fs";
import type { AttestedRecord, EncodedRecord } from "../ledger/attest.js";
import type { ProofFile } from "../ledger/proof-file.js";
import { networkDir, networkManifestPath, readNetworkManifest, type NetworkNode } from "../network/manifest.js";
import { isServiceProcess } from "../network/pid.js";
import type { Session } from "../session.js";
import { operatorToken, tokenPath } from "./auth.js";
import type { QueryRelayBody, RelayResult } from "./relay.js";
import type { RevocationResult } from "./service.js";
import { untilSettled } from "../concurrency.js";

/** How long a command waits for its records to land through a service (a batch waits for its trigger). */
const LAND_WITHIN_MS = 10 * 60_000;
/** Records per submission (the service's own bound is higher). */
const RECORDS_PER_SUBMISSION = 1_000;
const REQUEST_TIMEOUT_MS = 120_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RemoteError extends Error {}

export interface SubmissionView {
  submission: number;
  status: "queued" | "attested" | "failed";
  records: { enterprise: string; category: string; proof?: ProofFile }[];
  error?: string;
  note?: string;
  /** At `GET /operator/submissions/:id` while queued: the records the service has queued in all. */
  queuedRecords?: number;
}

/** A running node service of the network the session is on. */
export class NodeServiceClient {
  constructor(
    readonly nodeId: number,
    readonly name: string,
    readonly url: string,
    private readonly tokenFile: string,
  ) {}

  private async call<T>(method: "GET" | "POST", path: string, body?: unknown, operator = false): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (operator) {
      if (!existsSync(this.tokenFile))
        throw new RemoteError(
          `the node service of ${this.name} runs at ${this.url}, but its operator token is not at ${this.tokenFile}: give this command the same --data-dir as \`network up\``,
        );
      headers.authorization = `Bearer ${operatorToken(this.tokenFile)}`;
    }
    let r: Response;
    try {
      r = await fetch(this.url + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (e) {
      throw new RemoteError(`the node service of ${this.name} (${this.url}) did not answer ${method} ${path}: ${(e as Error).message}`);
    }
    const text = await r.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { message: text };
    }
    return { status: r.status, body: parsed as T };
  }

  private static refusal(status: number, body: unknown): string {
    const b = body as { error?: string; message?: string; field?: string };
    return `${status}${b.error ? ` ${b.error}` : ""}${b.field ? ` (${b.field})` : ""}: ${b.message ?? JSON.stringify(body)}`;
  }

  /** Submits records at the operator route: the submission as the service answered it (queued, or on chain). */
  async submit(records: readonly unknown[]): Promise<SubmissionView> {
    const sent = await this.call<SubmissionView>("POST", "/operator/records", { records }, true);
    if (sent.status !== 200 && sent.status !== 202)
      throw new RemoteError(`the node service of ${this.name} refused the records: ${NodeServiceClient.refusal(sent.status, sent.body)}`);
    return sent.body;
  }

  /**
   * Waits until submission `id` is no longer queued, polling every `pollMs`. The bound is on progress, not in
   * all: it gives up once `withinMs` pass without the service's queue of records getting shorter (a submission
   * queued behind others on a slow network waits as long as the records before it land).
   */
  waitForSubmission(id: number, withinMs: number = LAND_WITHIN_MS, pollMs = 1_000): Promise<SubmissionView> {
    return untilSettled<SubmissionView>(
      async () => {
        const r = await this.call<SubmissionView>("GET", `/operator/submissions/${id}`, undefined, true);
        if (r.status !== 200) throw new RemoteError(`submission ${id} at ${this.name}: ${NodeServiceClient.refusal(r.status, r.body)}`);
        if (r.body.status !== "queued") return { done: true, value: r.body };
        if (typeof r.body.queuedRecords !== "number")
          throw new RemoteError(`submission ${id} at ${this.name}: the service's answer has no queuedRecords: ${JSON.stringify(r.body).slice(0, 200)}`);
        return { done: false, left: r.body.queuedRecords };
      },
      withinMs,
      (left) =>
        new RemoteError(
          `submission ${id} at the node service of ${this.name} is still queued, and no record of the ${left} queued there landed in ${Math.round(withinMs / 1000)} s; it stays queued there (GET ${this.url}/operator/submissions/${id})`,
        ),
      pollMs,
    );
  }

  /**
   * Submits records at the operator route and waits (bounded) until every one is on chain; returns them as
   * attested, in submission order. A refusal by the service or the chain throws with its reason.
   */
  async attest(items: readonly EncodedRecord[], log: (line: string) => void = () => {}): Promise<AttestedRecord[]> {
    const out: AttestedRecord[] = [];
    log(`node ${this.name}: its service runs (${this.url}), its only writer: ${items.length} record(s) submitted there, to land in the service's mode`);
    for (let s = 0; s < items.length; s += RECORDS_PER_SUBMISSION) {
      const chunk = items.slice(s, s + RECORDS_PER_SUBMISSION);
      let view = await this.submit(chunk.map((i) => JSON.parse(i.recordJson) as unknown));
      if (view.status === "queued") {
        log(`${this.name}: submission ${view.submission} queued at its service (${view.note ?? "batched on its trigger"}); waiting until it is on chain`);
        view = await this.waitForSubmission(view.submission);
      }
      if (view.status === "failed")
        throw new RemoteError(`the chain refused records of submission ${view.submission} at ${this.name}: ${view.error ?? "no reason given"}`);
      for (const r of view.records) {
        const { format: _f, network: _n, chainId: _c, ledger: _l, ...attested } = r.proof!;
        out.push(attested);
      }
    }
    return out;
  }

  /**
   * Revokes record versions the node attested (`POST /operator/revocations`, at most 1,000 a call): each one's
   * outcome. Asked again, the service answers from its journal; a version the chain refuses comes back
   * "refused" with the contract's error. A malformed request, or a record the node does not hold, throws.
   */
  async revoke(revocations: readonly { enterprise: string; category: string; version: number; reason: number }[]): Promise<RevocationResult[]> {
    const r = await this.call<{ revocations: RevocationResult[] }>("POST", "/operator/revocations", { revocations }, true);
    if (r.status !== 200 && r.status !== 422)
      throw new RemoteError(`the node service of ${this.name} did not revoke: ${NodeServiceClient.refusal(r.status, r.body)}`);
    return r.body.revocations;
  }

  /** Records queued at the service, not yet on chain (from /health). */
  async queuedRecords(): Promise<number> {
    const r = await this.call<{ queuedRecords?: number }>("GET", "/health");
    if (typeof r.body.queuedRecords !== "number")
      throw new RemoteError(`the node service of ${this.name}: /health: ${NodeServiceClient.refusal(r.status, r.body)}`);
    return r.body.queuedRecords;
  }

  /** The latest version of a record the node holds (0: none), from its public status route. */
  async latestVersion(enterprise: string, categorySlug: string): Promise<number> {
    const r = await this.call<{ version?: number }>("GET", `/records/${enterprise}/${categorySlug}/status`);
    if (r.status === 404) return 0;
    if (typeof r.body.version !== "number")
      throw new RemoteError(`the node service of ${this.name}: status of ${enterprise} ${categorySlug}: ${NodeServiceClient.refusal(r.status, r.body)}`);
    return r.body.version;
  }

  /** Posts a relay request as it is: the service's status and answer (202 relayed, 4xx refused with the reason). */
  async relayRaw(body: unknown): Promise<{ status: number; body: unknown }> {
    return this.call("POST", "/institution/queries", body);
  }

  /** The node's query log: its size and the size its latest commitment covers. */
  async logState(): Promise<{ size: number; committed: number }> {
    const r = await this.call<{ logSize: number; commitments: { size: number }[] }>("GET", "/log/commitments");
    if (r.status !== 200) throw new RemoteError(`the node service of ${this.name}: log commitments: ${NodeServiceClient.refusal(r.status, r.body)}`);
    return { size: r.body.logSize, committed: r.body.commitments.at(-1)?.size ?? 0 };
  }

  /** Waits (bounded) until the node's query log has at least `size` entries, all covered by its latest commitment. */
  async waitForCommittedLog(size: number, withinMs: number, pollMs = 1_000): Promise<{ size: number; committed: number }> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const s = await this.logState();
      if (s.size >= size && s.committed >= s.size) return s;
      if (Date.now() > deadline)
        throw new RemoteError(
          `the query log of ${this.name} has ${s.size} entries (${size} awaited), ${s.committed} committed, after ${Math.round(withinMs / 1000)} s`,
        );
      await sleep(pollMs);
    }
  }

  /** Relays an institution's signed query (`POST /institution/queries`). */
  async relay(body: QueryRelayBody): Promise<RelayResult & { servingNode?: string }> {
    const r = await this.call<RelayResult & { servingNode?: string }>("POST", "/institution/queries", body);
    if (r.status !== 202) throw new RemoteError(`the node service of ${this.name} refused the query: ${NodeServiceClient.refusal(r.status, r.body)}`);
    return r.body;
  }

  /** The reports of an answered query (`POST /institution/queries/:id/reports`): undefined while it is not answered yet. */
  async reports<T>(queryId: string, challenge: { issuedAt: number; signature: string }): Promise<T | undefined> {
    const r = await this.call<T>("POST", `/institution/queries/${queryId}/reports`, challenge);
    if (r.status === 409 && (r.body as { error?: string }).error === "not-yet-answered") return undefined;
    if (r.status !== 200)
      throw new RemoteError(`the node service of ${this.name}: reports of query ${queryId}: ${NodeServiceClient.refusal(r.status, r.body)}`);
    return r.body;
  }
}

/** The network manifest's nodes whose service runs, when `networkName` is the multi-node network (of chain `chainId`, if given). */
function runningServiceNodes(networkName: string, chainId?: string): NetworkNode[] {
  if (networkName !== "yrd") return [];
  const m = readNetworkManifest(networkManifestPath(networkDir()));
  if (!m || (chainId !== undefined && m.chainId !== chainId)) return [];
  return m.nodes.filter((n) => n.apiPort && isServiceProcess(n.servicePid, n.id));
}

/**
 * The node services running beside the validators of the multi-node network the session is on, by node id
 * (none on any other network, or when the network manifest is of another chain).
 */
export function runningServices(session: Session): Map<number, NodeServiceClient> {
  const out = new Map<number, NodeServiceClient>();
  for (const n of runningServiceNodes(session.manifest.network, session.manifest.chainId)) {
    const node = session.manifest.nodes.find((x) => x.id === n.id);
    if (node) out.set(node.nodeId, new NodeServiceClient(node.nodeId, n.id, `http://127.0.0.1:${n.apiPort}`, tokenPath(session.storeDir, n.id)));
  }
  return out;
}

/** Ids of the node services running on the multi-node network, when `networkName` is that network. */
export function runningServiceNames(networkName: string): string[] {
  return runningServiceNodes(networkName).map((n) => n.id);
}
