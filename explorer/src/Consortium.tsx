import { Badge, Card, Grid, Group, Loader, Table, Text, Title, Tooltip } from "@mantine/core";
import { useEffect, useState } from "react";
import { get, type CityView, type ConsortiumResponse, type NodeView } from "./api";
import { HEALTH_COLOR, PROVINCE_COLOR, short } from "./labels";

const W = 520;
const H = 560;
const LON0 = 116.8;
const LON1 = 122.2;
const LAT0 = 27.6;
const LAT1 = 34.4;
// equirectangular at the delta's latitude: a degree of longitude is cos(31°) of a degree of latitude
const KX = Math.cos((31 * Math.PI) / 180);
const SCALE = Math.min(W / ((LON1 - LON0) * KX), H / (LAT1 - LAT0));
const px = (lon: number) => (lon - LON0) * KX * SCALE;
const py = (lat: number) => (LAT1 - lat) * SCALE;

/** A schematic of the Yangtze's lower course (Wuhu → Nanjing → Zhenjiang → Jiangyin → its mouth), for orientation only. */
const RIVER: [number, number][] = [
  [117.9, 30.9],
  [118.4, 31.35],
  [118.75, 32.1],
  [119.4, 32.25],
  [120.3, 31.95],
  [120.9, 31.85],
  [121.9, 31.35],
];

function DeltaMap({ cities, selected, onSelect }: { cities: CityView[]; selected?: string; onSelect: (code: string) => void }) {
  return (
    <svg viewBox={`0 0 ${W} ${H}`} width="100%" style={{ maxWidth: W, background: "#f8fbff", border: "1px solid #dee2e6", borderRadius: 8 }} data-testid="map">
      <polyline points={RIVER.map(([lo, la]) => `${px(lo)},${py(la)}`).join(" ")} fill="none" stroke="#a5d8ff" strokeWidth={6} strokeLinecap="round" />
      <text x={px(119.0)} y={py(32.45)} fill="#74c0fc" fontSize={11}>
        长江 Yangtze
      </text>
      <text x={px(121.85)} y={py(30.4)} fill="#adb5bd" fontSize={11}>
        东海 East China Sea
      </text>
      {cities.map((c) => {
        const x = px(c.lon);
        const y = py(c.lat);
        const sel = c.code === selected;
        return (
          <g key={c.code} onClick={() => onSelect(c.code)} style={{ cursor: "pointer" }} data-city={c.code}>
            <title>{`${c.nameZh} ${c.nameEn} (${c.code}), ${c.province}: ${c.nodes.map((n) => `${n.id} ${n.health}`).join(", ")}`}</title>
            <circle
              cx={x}
              cy={y}
              r={sel ? 13 : 10}
              fill={PROVINCE_COLOR[c.province] ?? "#868e96"}
              fillOpacity={c.published ? 0.9 : 0.55}
              stroke={sel ? "#000" : "#fff"}
              strokeWidth={2}
            />
            {c.nodes.map((n, i) => {
              const a = -Math.PI / 2 + (i * 2 * Math.PI) / Math.max(c.nodes.length, 1);
              return (
                <circle
                  key={n.id}
                  cx={x + 16 * Math.cos(a)}
                  cy={y + 16 * Math.sin(a)}
                  r={4}
                  fill={`var(--mantine-color-${HEALTH_COLOR[n.health]}-6)`}
                  stroke="#fff"
                  data-node={n.id}
                  data-health={n.health}
                />
              );
            })}
            <text x={x + 20} y={y + 4} className="city-label">
              {c.nameZh} {c.nameEn}
            </text>
          </g>
        );
      })}
      <g transform={`translate(10, ${H - 78})`}>
        {Object.entries(PROVINCE_COLOR).map(([p, color], i) => (
          <g key={p} transform={`translate(0, ${i * 16})`}>
            <circle cx={6} cy={6} r={5} fill={color} />
            <text x={16} y={10} fontSize={11}>
              {p}
            </text>
          </g>
        ))}
      </g>
    </svg>
  );
}

function NodeRows({ nodes, cities, onNode }: { nodes: NodeView[]; cities: Map<string, CityView>; onNode: (id: string) => void }) {
  const withValidators = nodes.some((n) => n.headOf === "validator");
  return (
    <Table striped highlightOnHover fz="xs" data-testid="nodes">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>节点 node</Table.Th>
          <Table.Th>城市 city</Table.Th>
          <Table.Th>状态 status</Table.Th>
          <Table.Th>健康 health</Table.Th>
          <Table.Th>区块 head</Table.Th>
          <Table.Th>日志 log size</Table.Th>
          <Table.Th>最近承诺 last commitment</Table.Th>
          <Table.Th>记录 records</Table.Th>
          <Table.Th>服务 service</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {nodes.map((n) => (
          <Table.Tr key={n.id} data-node-row={n.id}>
            <Table.Td>
              <a href="#" onClick={(e) => (e.preventDefault(), onNode(n.id))}>
                {n.id}
              </a>
            </Table.Td>
            <Table.Td>
              {cities.get(n.city)?.nameZh} {cities.get(n.city)?.nameEn}
            </Table.Td>
            <Table.Td>
              {n.status}
              {n.frozen ? " (frozen)" : ""}
            </Table.Td>
            <Table.Td>
              <Tooltip label={n.reasons.join("; ") || "ok"} disabled={n.reasons.length === 0}>
                <Badge color={HEALTH_COLOR[n.health]} size="sm">
                  {n.health}
                </Badge>
              </Tooltip>
            </Table.Td>
            <Table.Td data-head-of={n.headOf}>
              {withValidators && n.headOf === "chain" ? (
                <Text span fz="xs" c="dimmed" title="no validator of its own on this network: the chain's head">
                  {n.head ?? "—"}
                </Text>
              ) : (
                (n.head ?? "—")
              )}
            </Table.Td>
            <Table.Td>{n.logSize ?? "—"}</Table.Td>
            <Table.Td className="mono">
              {n.lastCommitment ? `#${n.lastCommitment.index} size ${n.lastCommitment.size} @${n.lastCommitment.block} ${short(n.lastCommitment.root)}` : "—"}
            </Table.Td>
            <Table.Td>
              {n.records ?? "—"}
              {n.batches ? ` (${n.batches} batches)` : ""}
            </Table.Td>
            <Table.Td>
              {n.service ? (
                <Text
                  span
                  fz="xs"
                  title={`${n.service.url}${n.service.reasons.length ? `: ${n.service.reasons.join("; ")}` : ""}`}
                  c={n.service.status === "ok" ? undefined : "red"}
                >
                  {n.service.status}
                </Text>
              ) : (
                "—"
              )}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
      {withValidators && (
        <Table.Caption>
          区块 head: each validator&apos;s own; greyed, a node with no validator of its own on this network (the chain&apos;s head). 服务 service: its node
          service&apos;s /health.
        </Table.Caption>
      )}
    </Table>
  );
}

export function Consortium({ onNode }: { onNode: (id: string) => void }) {
  const [data, setData] = useState<ConsortiumResponse>();
  const [error, setError] = useState<string>();
  const [selected, setSelected] = useState<string>();
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout>;
    const load = () =>
      get<ConsortiumResponse>("/api/consortium").then(
        (d) => {
          if (stop) return;
          setData(d);
          timer = setTimeout(load, 10_000);
        },
        (e: Error) => !stop && setError(e.message),
      );
    void load();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, []);
  if (error) return <Text c="red">{error}</Text>;
  if (!data) return <Loader />;
  const cities = new Map(data.cities.map((c) => [c.code, c]));
  const allNodes = data.cities.flatMap((c) => c.nodes);
  const shown = selected ? cities.get(selected)!.nodes : allNodes;
  const healthy = allNodes.filter((n) => n.health === "ok").length;
  return (
    <Grid>
      <Grid.Col span={{ base: 12, md: 5 }}>
        <Title order={5} mb="xs">
          16 个城市 · {allNodes.length} 个节点 — 16 cities, {allNodes.length} nodes ({healthy} healthy)
        </Title>
        <DeltaMap cities={data.cities} selected={selected} onSelect={(c) => setSelected(c === selected ? undefined : c)} />
        <Text size="xs" c="dimmed" mt={4}>
          Schematic: cities placed by their coordinates ({data.coordinatesSource.split(",")[0]}; see seeds/city-coordinates.json). Pale: cities not in the
          published list. Click a city for its nodes.
        </Text>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 7 }}>
        <Card withBorder mb="md">
          <Group justify="space-between">
            <Text fw={600}>{selected ? `${cities.get(selected)!.nameZh} ${cities.get(selected)!.nameEn} (${selected})` : "全部节点 all nodes"}</Text>
            <Text size="xs" c="dimmed">
              chain {data.deployment.chainId} · head {data.head} · registry {short(data.deployment.registry, 12)}
            </Text>
          </Group>
          <NodeRows nodes={shown} cities={cities} onNode={onNode} />
        </Card>
        <Card withBorder>
          <Text fw={600} mb="xs">
            机构 {data.institutions.total} institutions
          </Text>
          <Group gap="xs">
            {Object.entries(data.institutions.byKind).map(([k, n]) => (
              <Badge key={k} variant="light">
                {k}: {n}
              </Badge>
            ))}
          </Group>
        </Card>
      </Grid.Col>
    </Grid>
  );
}
