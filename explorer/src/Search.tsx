import { Alert, Badge, Button, Group, Loader, Modal, Table, Text, TextInput } from "@mantine/core";
import { memo, useEffect, useState } from "react";
import { get, post, type CheckView, type EvidenceView, type ProveResponse, type SearchResponse, type TimelineResponse, type TimelineRow } from "./api";
import { CATEGORY, iso, KIND, short } from "./labels";

type Subject = { kind: "enterprise" | "institution" | "node"; value: string };

function subjectParams(s: Subject): Record<string, string | number> {
  return s.kind === "institution" ? { institution: Number(s.value) } : { [s.kind]: s.value };
}

function Hashes({ title, list }: { title: string; list: string[] }) {
  return (
    <>
      <Text size="xs" fw={600}>
        {title} ({list.length})
      </Text>
      {list.length === 0 ? (
        <Text size="xs" c="dimmed">
          (empty: nothing to combine)
        </Text>
      ) : (
        <ol className="hash-list" start={0}>
          {list.map((h, i) => (
            <li key={i}>{h}</li>
          ))}
        </ol>
      )}
    </>
  );
}

function Field({ k, v }: { k: string; v: string | number | undefined }) {
  if (v === undefined) return null;
  return (
    <Text size="xs">
      <b>{k}</b> <span className="mono">{v}</span>
    </Text>
  );
}

function Evidence({ e }: { e: EvidenceView }) {
  switch (e.kind) {
    case "record":
      return (
        <div data-evidence="record">
          <Field k="mode 方式" v={e.mode} />
          <Field k="category 类别" v={`${CATEGORY[e.category] ?? e.category} v${e.version}`} />
          <Field k="digest 承诺 keccak256(salt, encoding)" v={e.digest} />
          {e.storedDigest !== e.digest && <Field k="digest the store keeps" v={e.storedDigest} />}
          <Field k="digest attested on chain" v={e.chainDigest} />
          <Field k="leaf 叶子" v={e.leafHash} />
          <Field k="batch 批次" v={e.batchId} />
          <Field k="root 默克尔根" v={e.root} />
          {e.proof && <Hashes title="Merkle path 默克尔路径 (leaf → root)" list={e.proof} />}
          <Field k="ledger says 链上状态" v={e.status} />
        </div>
      );
    case "log":
      return (
        <div data-evidence="log">
          <Field k="entries in the store" v={e.size} />
          <Field k="committed on chain" v={e.committed} />
          <Field k="committed root" v={e.committedRoot} />
        </div>
      );
    case "log-entry":
      return (
        <div data-evidence="log-entry">
          <Field k="position 序号" v={e.sequence} />
          <Field k="leaf SHA-256(0x00 ‖ entry)" v={e.leafHash} />
          <Field k="live query id" v={e.liveQueryId} />
          <Field k="commitment 承诺" v={e.commitmentIndex === undefined ? undefined : `#${e.commitmentIndex}, size ${e.size}`} />
          <Field k="root the proof leads to" v={e.root} />
          {e.inclusionProof && <Hashes title="RFC 6962 inclusion proof 包含证明" list={e.inclusionProof} />}
        </div>
      );
    case "consistency":
      return (
        <div data-evidence="consistency">
          <Field k="from" v={`#${e.fromIndex}, size ${e.fromSize}, root ${e.fromRoot}`} />
          <Field k="to" v={`#${e.toIndex}, size ${e.toSize}, root ${e.toRoot}`} />
          <Hashes title="RFC 9162 consistency proof 一致性证明" list={e.proof} />
        </div>
      );
  }
}

function Check({ c }: { c: CheckView }) {
  return (
    <Table.Tr data-check={c.subject} data-ok={String(c.ok)} data-failure={c.failure ?? ""}>
      <Table.Td>
        <Badge color={c.ok ? "green" : "red"} style={{ whiteSpace: "nowrap", overflow: "visible" }}>
          {c.ok ? "✓ 通过 ok" : "✗ 失败 failed"}
        </Badge>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{c.subject}</Text>
        {c.failure && (
          <Text size="sm" c="red" fw={600}>
            {c.failure}
          </Text>
        )}
        {c.detail && (
          <Text size="xs" c="dimmed">
            {c.detail}
          </Text>
        )}
      </Table.Td>
      <Table.Td>{c.evidence && <Evidence e={c.evidence} />}</Table.Td>
    </Table.Tr>
  );
}

function ProveView({ result }: { result: ProveResponse }) {
  return (
    <div data-testid="prove-result" data-ok={String(result.ok)}>
      <Alert color={result.ok ? "green" : "red"} mb="sm" title={result.ok ? "证明通过 Proven against the chain" : "证明失败 Verification failed"}>
        {result.passed} passed, {result.failed} failed — {KIND[result.row.kind][0]} {KIND[result.row.kind][1]}, block {result.row.block || "—"},{" "}
        {result.row.detail}
      </Alert>
      <Table fz="xs" verticalSpacing={4}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={130}>结果 result</Table.Th>
            <Table.Th w={260}>检查 what was checked</Table.Th>
            <Table.Th>证据 evidence</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {result.checks.map((c, i) => (
            <Check key={i} c={c} />
          ))}
        </Table.Tbody>
      </Table>
    </div>
  );
}

const Row = memo(function Row({ r, onProve }: { r: TimelineRow; onProve: (r: TimelineRow) => void }) {
  const [zh, en, color] = KIND[r.kind];
  return (
    <tr data-kind={r.kind} data-key={r.key}>
      <td>{r.block || "—"}</td>
      <td className="mono">{iso(r.time)}</td>
      <td>
        <span className="kind" style={{ background: `var(--mantine-color-${color}-6)` }}>
          {zh} {en}
        </span>
      </td>
      <td>{r.institution ?? ""}</td>
      <td>{r.nodes.join(" ")}</td>
      <td>
        {r.detail}
        {r.objection && (
          <span>
            {" "}
            · <b>{r.objection.outcome}</b> (deadline {iso(r.objection.deadline).slice(0, 10)})
          </span>
        )}
      </td>
      <td className="mono" title={r.txHash}>
        {short(r.txHash, 12)}
      </td>
      <td>
        {r.provable && (
          <button className="prove-btn" onClick={() => onProve(r)}>
            证明 prove
          </button>
        )}
      </td>
    </tr>
  );
});

/** Marks the time the rows reached the DOM (read by the benchmark: performance measure "timeline-render"). */
function useRenderMark(rows: TimelineRow[] | undefined) {
  useEffect(() => {
    if (!rows) return;
    requestAnimationFrame(() => {
      performance.mark("timeline-rendered");
      try {
        performance.measure("timeline-render", "timeline-data", "timeline-rendered");
      } catch {
        // no data mark: nothing to measure
      }
    });
  }, [rows]);
}

export function Search({ initial }: { initial?: string }) {
  const [text, setText] = useState(initial ?? "");
  const [found, setFound] = useState<SearchResponse>();
  const [timeline, setTimeline] = useState<TimelineResponse>();
  const [subject, setSubject] = useState<Subject>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [proving, setProving] = useState<TimelineRow>();
  const [proof, setProof] = useState<ProveResponse>();
  const [proofError, setProofError] = useState<string>();
  useRenderMark(timeline?.rows);

  const open = async (s: Subject) => {
    setBusy(true);
    setError(undefined);
    try {
      const q = new URLSearchParams(Object.entries(subjectParams(s)).map(([k, v]) => [k, String(v)]));
      const t = await get<TimelineResponse>(`/api/timeline?${q}`);
      performance.clearMarks();
      performance.clearMeasures();
      performance.mark("timeline-data");
      setSubject(s);
      setTimeline(t);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const run = async (q: string) => {
    if (!q.trim()) return;
    setError(undefined);
    try {
      const r = await get<SearchResponse>(`/api/search?${new URLSearchParams({ q: q.trim() })}`);
      setFound(r);
      if (r.kind !== "none") await open({ kind: r.kind, value: r.value });
      else setTimeline(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  useEffect(() => {
    if (initial) void run(initial);
  }, [initial]); // run only when the initial query changes (it is not a dependency to track)

  const prove = async (r: TimelineRow) => {
    if (!subject) return;
    setProving(r);
    setProof(undefined);
    setProofError(undefined);
    try {
      setProof(await post<ProveResponse>("/api/prove", { ...subjectParams(subject), key: r.key }));
    } catch (e) {
      setProofError((e as Error).message);
    }
  };

  return (
    <>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(text);
        }}
      >
        <Group align="end">
          <TextInput
            label="统一社会信用代码、机构或节点 USCC, institution or node"
            placeholder="91340104MA2TXN4K1N · 1 · sh-1"
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
            w={420}
            data-testid="search-input"
          />
          <Button type="submit" loading={busy} data-testid="search-button">
            查询 Search
          </Button>
        </Group>
      </form>
      {found?.message && (
        <Text c="orange" size="sm" mt="xs">
          {found.message}
        </Text>
      )}
      {found && found.suggestions.length > 0 && found.kind === "none" && (
        <Group gap={6} mt="xs" data-testid="suggestions">
          {found.suggestions.map((s) => (
            <Badge key={s} variant="outline" style={{ cursor: "pointer", textTransform: "none" }} onClick={() => (setText(s), void run(s))}>
              {s}
            </Badge>
          ))}
        </Group>
      )}
      {error && (
        <Text c="red" mt="xs">
          {error}
        </Text>
      )}
      {timeline && (
        <>
          <Group mt="md" mb="xs" justify="space-between">
            <Text fw={600} data-testid="timeline-subject">
              {timeline.subject.label}
            </Text>
            <Text size="sm" c="dimmed" data-testid="timeline-count">
              {timeline.rows.length} events
            </Text>
          </Group>
          {timeline.note && (
            <Text size="xs" c="dimmed" mb="xs">
              {timeline.note}
            </Text>
          )}
          <table className="timeline" data-testid="timeline" data-rows={timeline.rows.length}>
            <thead>
              <tr>
                <th>区块 block</th>
                <th>时间 time (UTC)</th>
                <th>事件 event</th>
                <th>机构 inst.</th>
                <th>节点 nodes</th>
                <th>详情 detail</th>
                <th>交易 tx</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {timeline.rows.map((r) => (
                <Row key={r.key} r={r} onProve={prove} />
              ))}
            </tbody>
          </table>
        </>
      )}
      <Modal
        opened={proving !== undefined}
        onClose={() => setProving(undefined)}
        size="85%"
        transitionProps={{ duration: 0 }}
        title={<b>证明 Prove — the audit's verification (audit --verify)</b>}
      >
        {!proof && !proofError && <Loader />}
        {proofError && <Text c="red">{proofError}</Text>}
        {proof && <ProveView result={proof} />}
      </Modal>
    </>
  );
}
