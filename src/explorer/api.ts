/**
 * The explorer's read-only HTTP API: the shapes the server (`src/explorer/server.ts`) sends and the web app
 * (`explorer/src/`) reads. Types only, and self-contained (no imports), so the browser build can import them
 * without pulling in the node side; `server.ts` checks that they agree with the library's types.
 */

export type TrailKindName =
  | "attestation"
  | "batch"
  | "supersede"
  | "revocation"
  | "signer-bound"
  | "objection"
  | "objection-resolved"
  | "authorization"
  | "authorization-revoked"
  | "query"
  | "query-fulfilled"
  | "query-denied"
  | "query-expired"
  | "log-commit"
  | "logged-query";

export interface DeploymentView {
  /** `<network>-<chainId>`. */
  key: string;
  network: string;
  chainId: string;
  deployedAt: string;
  deployBlock: number;
  registry: string;
  contracts: Record<string, string>;
  nodes: number;
  institutions: number;
  /** Where the stores are read from ("" when not known here). */
  storeDir: string;
  /** Whether that folder holds node stores. */
  hasStores: boolean;
  /** What kind of chain: the in-process chain (with demo data), a local `hardhat node`, the multi-node network. */
  chain: "in-process" | "localhost" | "multi-node" | "other";
  /** When `deploy --fresh` / `replay --fresh` archived it (its manifest's name in deployments/archive/). */
  archived?: string;
  /** Its contracts are on the chain the explorer reads: picking it switches the explorer to it. */
  openHere: boolean;
  /** Why it cannot be opened here, or what it lacks (no node stores). */
  note?: string;
}

export interface DeploymentsResponse {
  current: string;
  deployments: DeploymentView[];
}

/** `POST /api/deployments/open`: switch the explorer to a deployment of its chain. */
export interface OpenDeploymentRequest {
  key: string;
}

export interface CommitmentView {
  index: number;
  size: number;
  root: string;
  block: number;
}

export interface NodeView {
  nodeId: number;
  id: string;
  city: string;
  operatorLabel: string;
  operator: string;
  /** On the registry. */
  status: "active" | "suspended" | "removed" | "unknown";
  frozen: boolean;
  /** The head block of the node's own RPC (its validator on the multi-node network), else of the chain. */
  head: number | null;
  /** Whose head: the node's own validator (multi-node network), or the chain the explorer reads (no validator of its own). */
  headOf: "validator" | "chain";
  /** Entries in the node's query log (its store), null without a store. */
  logSize: number | null;
  /** Records in its store (live and batched). */
  records: number | null;
  batches: number | null;
  lastCommitment: CommitmentView | null;
  commitments: number;
  /** The node service, when one is known (the multi-node network). */
  service: { url: string; status: "ok" | "unhealthy" | "unreachable"; reasons: string[] } | null;
  health: "ok" | "warn" | "down";
  reasons: string[];
}

export interface CityView {
  code: string;
  nameZh: string;
  nameEn: string;
  province: string;
  published: boolean;
  /** WGS 84 degrees (seeds/city-coordinates.json). */
  lon: number;
  lat: number;
  nodes: NodeView[];
}

export interface InstitutionView {
  institutionId: number;
  kind: string;
  sponsorNodeId: number;
  sponsor: string;
  sponsorCity: string;
  signer: string;
}

export interface ConsortiumResponse {
  deployment: DeploymentView;
  head: number;
  headTime: number;
  cities: CityView[];
  /** Attribution of the city coordinates. */
  coordinatesSource: string;
  institutions: {
    total: number;
    byKind: Record<string, number>;
    bySponsor: { nodeId: number; id: string; city: string; total: number; byKind: Record<string, number> }[];
  };
}

export interface CountersResponse {
  head: number;
  headTime: number;
  attestations: number;
  batches: number;
  batchedRecords: number;
  corrections: number;
  revocations: number;
  objections: number;
  objectionsResolved: number;
  authorizations: number;
  queries: number;
  queriesFulfilled: number;
  queriesDenied: number;
  logCommitments: number;
  /** Entries in the nodes' stores (live and replayed). */
  logEntries: number;
  /** Entries covered by the nodes' latest commitments on chain. */
  committedEntries: number;
}

export interface SearchResponse {
  kind: "enterprise" | "institution" | "node" | "none";
  /** The value to ask the timeline for (USCC, institution id, node id). */
  value: string;
  label: string;
  message?: string;
  /** Known enterprises starting with the query (from the chain's events). */
  suggestions: string[];
}

export interface ObjectionState {
  objectionId: number;
  deadline: number;
  outcome: "open" | "overdue" | "corrected" | "rejected" | "could not be confirmed";
}

export interface TimelineRow {
  /** `<block>:<logIndex>` for a chain event, `log:<nodeId>:<sequence>` for a query that exists only in a node's log. */
  key: string;
  kind: TrailKindName;
  block: number;
  time: number;
  txHash: string;
  enterprise?: string;
  institution?: number;
  nodes: string[];
  cities: string[];
  detail: string;
  provable: boolean;
  objection?: ObjectionState;
}

export interface TimelineResponse {
  subject: { kind: "enterprise" | "institution" | "node"; value: string; label: string };
  rows: TimelineRow[];
  /** Rows of a node store's bulk replay (leaf hashes only) are not listed by enterprise: how many entries that leaves out. */
  note?: string;
}

export type EvidenceView =
  | {
      kind: "record";
      mode: "live" | "batched";
      enterprise: string;
      category: number;
      version: number;
      digest: string;
      storedDigest: string;
      chainDigest?: string;
      leafHash: string;
      batchId?: number;
      root?: string;
      proof?: string[];
      status?: string;
    }
  | { kind: "log"; nodeId: number; size: number; committed: number; committedRoot?: string }
  | {
      kind: "log-entry";
      nodeId: number;
      sequence: number;
      leafHash: string;
      commitmentIndex?: number;
      size?: number;
      root?: string;
      inclusionProof?: string[];
      liveQueryId?: string;
    }
  | {
      kind: "consistency";
      nodeId: number;
      fromIndex: number;
      fromSize: number;
      fromRoot: string;
      toIndex: number;
      toSize: number;
      toRoot: string;
      proof: string[];
    };

export interface CheckView {
  subject: string;
  ok: boolean;
  failure?: string;
  detail?: string;
  evidence?: EvidenceView;
}

export interface ProveResponse {
  row: TimelineRow;
  ok: boolean;
  passed: number;
  failed: number;
  checks: CheckView[];
}

export interface ChartsResponse {
  /** What the figures come from. */
  source: { wholeEntries: number; replayedEntries: number; replay?: { seed: string; scale: number; mode: string } };
  /** Served queries per day (the queries' own time, Beijing time, UTC+8). */
  perDay: { day: string; count: number }[];
  /** Served queries per serving city. */
  perCity: { city: string; count: number }[];
  /** Served queries from the requesting institution's city (its sponsor's) to the serving city. */
  flows: { from: string; to: string; count: number }[];
  reportsPerQuery: { reports: number; queries: number }[];
  refusals: { outcome: "refused" | "denied"; reason: number; label: string; count: number }[];
  objections: { open: number; answered: number; overdue: number };
}

export interface ApiError {
  error: string;
  message: string;
  field?: string;
}
