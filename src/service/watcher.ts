/**
 * The service's watch on the QueryDesk: it reads `QueryRequested` events block range by block range and
 * answers the queries addressed to its city when its node is the city's serving node (the first active node
 * of the city, as `liveQuery` chooses): it fulfils with the reports it holds or denies when it holds none,
 * through the node's journal (the fulfil/deny step carries the query-log entry, appended when the answer is
 * done), and keeps the delivered reports in the store for the institution to fetch.
 *
 * Resuming after a crash: the cursor (the last block whose events are all handled) is kept in the store's meta
 * table. Each answer is journaled in one SQLite transaction with its reports and with the cursor moved to the
 * block before its own; the cursor moves past a range once every answer in it is journaled. A restart reads the
 * range again from the cursor: an event whose step is journaled (`fulfil/<id>`, `deny/<id>`) or whose query is
 * no longer pending is passed over, and the node has already settled the unfinished steps when it started.
 * So no request is missed and none is answered twice.
 */
import { requiredConfirmations } from "../chain/send.js";
import type { CityNode } from "../node/city-node.js";
import { WriteRefused } from "../node/city-node.js";
import { planAnswer } from "../query/live.js";
import type { CreditReport } from "../query/report.js";
import type { Session } from "../session.js";
import { inOrderWindow } from "../concurrency.js";

const CURSOR = "service/watcher-block";
const REPORTS = "service/reports/";
const REQUESTED = 1n;
/** Queries read from the chain side by side. */
const READ_WINDOW = 32;
/** Answers in flight at once, on a node that pipelines. */
const SEND_WINDOW = 4096;

export type AnswerOutcome = "fulfilled" | "denied" | "refused" | "not-serving" | "already-answered";

/** The reports a node delivered for a query it fulfilled (kept when it was journaled). */
export function deliveredReports(node: CityNode, queryId: bigint | string): CreditReport[] | undefined {
  const v = node.store.getMeta(REPORTS + String(queryId));
  return v === undefined ? undefined : (JSON.parse(v) as CreditReport[]);
}

export class QueryWatcher {
  constructor(
    private readonly session: Session,
    private readonly node: CityNode,
    /** Runs a node write alone (the service's one writer). */
    private readonly serial: <T>(fn: () => Promise<T>) => Promise<T>,
    private readonly opts: { maxBlocks: number; onAnswer?: (outcome: AnswerOutcome, queryId: bigint) => void; log?: (line: string) => void },
  ) {}

  /** The last block whose QueryRequested events are all handled. */
  cursor(): number {
    const v = this.node.store.getMeta(CURSOR);
    return v === undefined ? this.session.manifest.contracts.QueryDesk.block - 1 : Number(v);
  }

  private moveCursor(block: number): void {
    if (block > this.cursor()) this.node.store.setMeta(CURSOR, String(block));
  }

  /** Handles the events of the next range of blocks (at most `maxBlocks`): the queries answered, and whether blocks are left. */
  async poll(): Promise<{ answered: number; behind: boolean }> {
    const desk = this.session.contracts.desk;
    // only blocks with the confirmations the chain needs: a replaced block renumbers the queries it requested
    // (seen on Clique under load: a node answered "its" query 7, which the replacing block gave to another city)
    const head = (await this.session.conn.ethers.provider.getBlockNumber()) - (requiredConfirmations() - 1);
    const from = this.cursor() + 1;
    if (from > head) return { answered: 0, behind: false };
    const to = Math.min(head, from + this.opts.maxBlocks - 1);
    const events = (await desk.queryFilter(desk.filters.QueryRequested(), from, to)).filter((ev) => String(ev.args.servingCity) === this.node.city);
    let answered = 0;
    if (events.length > 0) {
      const outcomes = await this.serial(() => this.answer(events.map((ev) => ({ queryId: ev.args.queryId, block: ev.blockNumber }))));
      outcomes.forEach((outcome, i) => {
        this.opts.onAnswer?.(outcome, events[i].args.queryId);
        if (outcome === "fulfilled" || outcome === "denied") answered++;
      });
    }
    this.moveCursor(to);
    return { answered, behind: to < head };
  }

  /**
   * Answers the queries (requested in the blocks given, in event order) that this node serves and that are still
   * pending. The chain is read for all of them side by side; each answer is journaled in event order (with the
   * cursor before its block), then the answers go out together on a node that pipelines (one at a time otherwise).
   */
  private async answer(requests: readonly { queryId: bigint; block: number }[]): Promise<AnswerOutcome[]> {
    const node = this.node;
    const provider = this.session.conn.ethers.provider;
    const serving = await this.session.activeNodeOf(node.city).catch(() => undefined);
    if (serving !== node.nodeId) return requests.map(() => "not-serving");
    const times = new Map<number, Promise<number>>();
    const timeOf = (block: number) => {
      let t = times.get(block);
      if (!t) times.set(block, (t = provider.getBlock(block).then((b) => b!.timestamp)));
      return t;
    };
    const outcomes: AnswerOutcome[] = requests.map(() => "already-answered");
    const planned: { i: number; step: ReturnType<typeof planAnswer>["step"]; reports: CreditReport[]; block: number }[] = [];
    await inOrderWindow(
      requests.map((r, i) => ({ ...r, i })),
      READ_WINDOW,
      async ({ queryId, block, i }) => {
        if (node.journal.get(`fulfil/${queryId}`) || node.journal.get(`deny/${queryId}`)) return;
        const [q, time] = await Promise.all([this.session.contracts.desk.query(queryId), timeOf(block)]);
        if (q.status !== REQUESTED || String(q.servingCity) !== node.city) return;
        const { step, reports } = planAnswer(
          node.store,
          {
            queryId,
            enterprise: q.enterprise,
            institution: Number(q.institution),
            purpose: Number(q.purpose),
            categories: Number(q.categories),
            authorizationId: q.authorizationId,
          },
          node.nodeId,
          time,
        );
        planned.push({ i, step, reports, block });
      },
    );
    planned.sort((a, b) => a.i - b.i);
    const from = await node.height();
    await inOrderWindow(planned, node.pipelines ? SEND_WINDOW : 1, async ({ i, step, reports, block }) => {
      const queryId = requests[i].queryId;
      await node.journalSteps(
        [step],
        () => {
          if (reports.length > 0) node.store.setMeta(REPORTS + queryId, JSON.stringify(reports));
          this.moveCursor(block - 1);
        },
        from,
      );
      try {
        await node.execute(step, { pipelined: true });
      } catch (e) {
        if (!(e instanceof WriteRefused)) throw e; // the chain unreachable: the step stays unfinished, settled later
        this.opts.log?.(`query ${queryId}: ${e.message}`);
        outcomes[i] = "refused";
        return;
      }
      this.opts.log?.(`query ${queryId}: ${step.kind === "fulfil" ? `fulfilled with ${reports.length} report(s)` : "denied (no record)"}`);
      outcomes[i] = step.kind === "fulfil" ? "fulfilled" : "denied";
    });
    return outcomes;
  }
}
