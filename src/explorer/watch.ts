/**
 * The explorer's view of the chain's events, kept up to date by scanning new blocks (`eth_getLogs` over the
 * deployment's five contracts, from the last block seen to the head): the live counters, the enterprises the
 * chain has seen (for search suggestions), each node's last log commitment, and the objections with their
 * deadline and outcome. It only reads.
 */
import type { Log } from "ethers";
import type { ChainConnection } from "../chain/connection.js";
import type { Contracts } from "../chain/contracts.js";
import type { Manifest } from "../chain/manifest.js";
import { bytes18ToUscc } from "../audit/trail.js";
import type { CommitmentView, CountersResponse } from "./api.js";

/** Blocks per `eth_getLogs` call. */
const WINDOW = 5_000;

export interface ObjectionInfo {
  objectionId: number;
  enterprise: string;
  category: number;
  version: number;
  deadline: number;
  /** 0 while open; else the ledger's outcome code (2 corrected, 3 rejected, 4 could not be confirmed). */
  outcome: number;
}

type Counts = Omit<CountersResponse, "head" | "headTime" | "logEntries" | "committedEntries">;

const EVENT_COUNTER: Record<string, keyof Counts> = {
  Attested: "attestations",
  BatchAnchored: "batches",
  Superseded: "corrections",
  Revoked: "revocations",
  ObjectionFiled: "objections",
  ObjectionResolved: "objectionsResolved",
  AuthorizationRegistered: "authorizations",
  QueryRequested: "queries",
  QueryFulfilled: "queriesFulfilled",
  QueryDenied: "queriesDenied",
  LogCommitted: "logCommitments",
};

export class ChainWatch {
  private scanned: number;
  private running: Promise<void> | undefined;
  readonly counts: Counts = {
    attestations: 0,
    batches: 0,
    batchedRecords: 0,
    corrections: 0,
    revocations: 0,
    objections: 0,
    objectionsResolved: 0,
    authorizations: 0,
    queries: 0,
    queriesFulfilled: 0,
    queriesDenied: 0,
    logCommitments: 0,
  };
  readonly enterprises = new Set<string>();
  readonly lastCommitment = new Map<number, CommitmentView>();
  readonly objections = new Map<number, ObjectionInfo>();
  /** Report digests delivered per live query id. */
  readonly reportsOfQuery = new Map<number, number>();
  head = 0;
  headTime = 0;

  constructor(
    private readonly conn: ChainConnection,
    private readonly manifest: Manifest,
    private readonly c: Contracts,
  ) {
    this.scanned = manifest.deployBlock - 1;
  }

  /** Reads the blocks since the last call (one scan at a time; concurrent callers share it). */
  refresh(): Promise<void> {
    if (!this.running) this.running = this.scan().finally(() => (this.running = undefined));
    return this.running;
  }

  private async scan(): Promise<void> {
    const provider = this.conn.ethers.provider;
    const head = await provider.getBlockNumber();
    const addresses = [this.c.registry, this.c.ledger, this.c.consents, this.c.desk, this.c.queryLog].map((x) => x.target as string);
    const ifaces = [this.c.ledger.interface, this.c.consents.interface, this.c.desk.interface, this.c.queryLog.interface];
    while (this.scanned < head) {
      const from = this.scanned + 1;
      const to = Math.min(head, from + WINDOW - 1);
      const logs: Log[] = await provider.getLogs({ address: addresses, fromBlock: from, toBlock: to });
      for (const log of logs) {
        for (const iface of ifaces) {
          let ev;
          try {
            ev = iface.parseLog({ topics: [...log.topics], data: log.data });
          } catch {
            ev = null;
          }
          if (!ev) continue;
          this.apply(ev.name, ev.args.toObject() as Record<string, unknown>, log.blockNumber);
          break;
        }
      }
      this.scanned = to;
    }
    if (head !== this.head || this.headTime === 0) {
      this.head = head;
      this.headTime = (await provider.getBlock(head))?.timestamp ?? 0;
    }
  }

  private apply(name: string, a: Record<string, unknown>, block: number): void {
    const counter = EVENT_COUNTER[name];
    if (counter) this.counts[counter]++;
    if (name === "BatchAnchored") this.counts.batchedRecords += Number(a.count);
    if ("enterprise" in a && typeof a.enterprise === "string" && a.enterprise.length === 38) {
      try {
        this.enterprises.add(bytes18ToUscc(a.enterprise));
      } catch {
        // not text: not a USCC the tools wrote
      }
    }
    if (name === "LogCommitted") this.lastCommitment.set(Number(a.nodeId), { index: Number(a.index), size: Number(a.size), root: String(a.root), block });
    if (name === "ObjectionFiled")
      this.objections.set(Number(a.objectionId), {
        objectionId: Number(a.objectionId),
        enterprise: bytes18ToUscc(String(a.enterprise)),
        category: Number(a.category),
        version: Number(a.version),
        deadline: Number(a.deadline),
        outcome: 0,
      });
    if (name === "ObjectionResolved") {
      const o = this.objections.get(Number(a.objectionId));
      if (o) o.outcome = Number(a.outcome);
    }
    if (name === "QueryFulfilled") this.reportsOfQuery.set(Number(a.queryId), (a.reportDigests as unknown[]).length);
  }

  /** Objections open (deadline not passed), answered, and overdue (deadline passed, unanswered), at the chain's time. */
  objectionCounts(): { open: number; answered: number; overdue: number } {
    let open = 0;
    let answered = 0;
    let overdue = 0;
    for (const o of this.objections.values()) {
      if (o.outcome !== 0) answered++;
      else if (this.headTime > o.deadline) overdue++;
      else open++;
    }
    return { open, answered, overdue };
  }
}
