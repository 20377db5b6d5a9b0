import { Button, Card, Grid, Group, Loader, Text } from "@mantine/core";
import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from "chart.js";
import { useEffect, useRef, useState } from "react";
import { get, type ChartsResponse, type ConsortiumResponse } from "./api";

Chart.register(
  LineController,
  BarController,
  DoughnutController,
  CategoryScale,
  LinearScale,
  PointElement,
  LineElement,
  BarElement,
  ArcElement,
  Tooltip,
  Legend,
);

function ChartBox({ config, testId }: { config: ChartConfiguration; testId: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const chart = new Chart(ref.current!, config);
    return () => chart.destroy();
  }, [config]);
  return (
    <div style={{ position: "relative", height: 260 }}>
      <canvas ref={ref} data-testid={testId} />
    </div>
  );
}

function Flows({ data, names }: { data: ChartsResponse["flows"]; names: Map<string, string> }) {
  const cities = [...names.keys()];
  const at = new Map(data.map((f) => [`${f.from}>${f.to}`, f.count]));
  const max = Math.max(1, ...data.map((f) => f.count));
  return (
    <div style={{ overflowX: "auto" }}>
      <table className="flows" data-testid="flows">
        <thead>
          <tr>
            <th>请求 → 服务 from \ to</th>
            {cities.map((c) => (
              <th key={c}>{names.get(c)}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {cities.map((from) => (
            <tr key={from}>
              <th>{names.get(from)}</th>
              {cities.map((to) => {
                const n = at.get(`${from}>${to}`) ?? 0;
                return (
                  <td
                    key={to}
                    title={`${names.get(from)} → ${names.get(to)}: ${n}`}
                    style={{ background: n ? `rgba(76, 110, 245, ${0.1 + (0.9 * n) / max})` : undefined, color: n / max > 0.5 ? "#fff" : undefined }}
                  >
                    {n || ""}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function Charts() {
  const [data, setData] = useState<ChartsResponse>();
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(false);
  const load = () => {
    setLoading(true);
    Promise.all([get<ChartsResponse>("/api/charts"), get<ConsortiumResponse>("/api/consortium")])
      .then(
        ([c, con]) => {
          setData(c);
          setNames(new Map(con.cities.map((x) => [x.code, `${x.nameZh} ${x.nameEn}`])));
          setError(undefined);
        },
        (e: Error) => setError(e.message),
      )
      .finally(() => setLoading(false));
  };
  useEffect(load, []);
  if (error) return <Text c="red">{error}</Text>;
  if (!data) return <Loader />;
  const name = (c: string) => names.get(c) ?? c;
  const opts = { responsive: true, maintainAspectRatio: false, animation: false as const, plugins: { legend: { display: false } } };
  const axes = { ...opts, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } };
  const perDay: ChartConfiguration = {
    type: "line",
    data: {
      labels: data.perDay.map((d) => d.day),
      datasets: [
        { label: "queries", data: data.perDay.map((d) => d.count), borderColor: "#4c6ef5", pointRadius: data.perDay.length < 40 ? 3 : 0, borderWidth: 1.5 },
      ],
    },
    options: axes,
  };
  const perCity: ChartConfiguration = {
    type: "bar",
    data: {
      labels: data.perCity.map((d) => name(d.city)),
      datasets: [{ label: "queries", data: data.perCity.map((d) => d.count), backgroundColor: "#12b886" }],
    },
    options: axes,
  };
  const reports: ChartConfiguration = {
    type: "bar",
    data: {
      labels: data.reportsPerQuery.map((d) => `${d.reports}`),
      datasets: [{ label: "queries", data: data.reportsPerQuery.map((d) => d.queries), backgroundColor: "#7950f2" }],
    },
    options: axes,
  };
  const refusals: ChartConfiguration = {
    type: "bar",
    data: { labels: data.refusals.map((d) => d.label), datasets: [{ label: "attempts", data: data.refusals.map((d) => d.count), backgroundColor: "#fa5252" }] },
    options: { ...opts, indexAxis: "y" as const, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  };
  const objections: ChartConfiguration = {
    type: "doughnut",
    data: {
      labels: ["未决 open", "已答复 answered", "逾期 overdue"],
      datasets: [{ data: [data.objections.open, data.objections.answered, data.objections.overdue], backgroundColor: ["#fab005", "#40c057", "#fa5252"] }],
    },
    options: { ...opts, plugins: { legend: { display: true, position: "right" as const } } },
  };
  const total = data.perCity.reduce((a, c) => a + c.count, 0);
  return (
    <>
      <Group justify="space-between" mb="sm">
        <Text size="sm" c="dimmed" data-testid="charts-source">
          {total.toLocaleString("en-US")} served queries from {data.source.wholeEntries.toLocaleString("en-US")} whole log entries
          {data.source.replayedEntries
            ? ` and ${data.source.replayedEntries.toLocaleString("en-US")} replayed entries regenerated from seed "${data.source.replay?.seed}" (scale ${data.source.replay?.scale})`
            : ""}
        </Text>
        <Button size="xs" variant="light" onClick={load} loading={loading}>
          刷新 refresh
        </Button>
      </Group>
      <Grid>
        <Grid.Col span={{ base: 12, md: 8 }}>
          <Card withBorder>
            <Text fw={600} size="sm">
              每日查询 queries per day (Beijing time)
            </Text>
            <ChartBox config={perDay} testId="chart-per-day" />
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 4 }}>
          <Card withBorder>
            <Text fw={600} size="sm">
              异议 objections: open / answered / overdue
            </Text>
            <ChartBox config={objections} testId="chart-objections" />
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Card withBorder>
            <Text fw={600} size="sm">
              各城市查询 queries per serving city
            </Text>
            <ChartBox config={perCity} testId="chart-per-city" />
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 3 }}>
          <Card withBorder>
            <Text fw={600} size="sm">
              每次查询报告数 reports per query
            </Text>
            <ChartBox config={reports} testId="chart-reports" />
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 3 }}>
          <Card withBorder>
            <Text fw={600} size="sm">
              拒绝原因 refusals by reason
            </Text>
            <ChartBox config={refusals} testId="chart-refusals" />
          </Card>
        </Grid.Col>
        <Grid.Col span={12}>
          <Card withBorder>
            <Text fw={600} size="sm" mb="xs">
              跨城流向 cross-city flows (requesting institution's city → serving city)
            </Text>
            <Flows data={data.flows} names={names} />
          </Card>
        </Grid.Col>
      </Grid>
    </>
  );
}
