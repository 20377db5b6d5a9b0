import { AppShell, Badge, Group, Select, Tabs, Text, Title } from "@mantine/core";
import { lazy, Suspense, useEffect, useState } from "react";
import { get, type DeploymentsResponse } from "./api";
import { Consortium } from "./Consortium";
import { Counters } from "./Counters";
import { Institutions } from "./Institutions";
import { Search } from "./Search";

// the charts (Chart.js) load when their tab is first opened
const Charts = lazy(() => import("./Charts"));

const CHAIN_LABEL: Record<string, string> = { "in-process": "进程内链 in-process (demo)", localhost: "本地节点 hardhat node", "multi-node": "多节点网络 multi-node", other: "network" };

export function App() {
  const [deployments, setDeployments] = useState<DeploymentsResponse>();
  const [error, setError] = useState<string>();
  const [tab, setTab] = useState<string | null>("consortium");
  const [searchFor, setSearchFor] = useState<string>();

  useEffect(() => {
    get<DeploymentsResponse>("/api/deployments").then(setDeployments, (e: Error) => setError(e.message));
  }, []);
  const current = deployments?.deployments.find((d) => d.key === deployments.current);

  return (
    <AppShell header={{ height: 64 }} padding="md">
      <AppShell.Header px="md">
        <Group h="100%" justify="space-between" wrap="nowrap">
          <Group gap="xs" wrap="nowrap">
            <Title order={3}>长三角征信链 审计浏览器</Title>
            <Text c="dimmed" size="sm">
              YRD Credit Chain audit explorer
            </Text>
          </Group>
          <Group gap="xs" wrap="nowrap">
            {current && <Badge variant="light">{CHAIN_LABEL[current.chain]}</Badge>}
            <Select
              aria-label="deployment"
              w={340}
              size="xs"
              value={deployments?.current ?? null}
              data={(deployments?.deployments ?? []).map((d) => ({
                value: d.key,
                label: `${d.key} · ${d.nodes} nodes · ${d.institutions} institutions${d.key === deployments?.current ? "" : ` (npx hardhat --network ${d.network} yrd explorer)`}`,
                disabled: d.key !== deployments?.current,
              }))}
              allowDeselect={false}
            />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Main>
        {error && <Text c="red">{error}</Text>}
        <Counters />
        <Tabs value={tab} onChange={setTab} keepMounted={false} mt="sm">
          <Tabs.List>
            <Tabs.Tab value="consortium">联盟 Consortium</Tabs.Tab>
            <Tabs.Tab value="institutions">机构 Institutions</Tabs.Tab>
            <Tabs.Tab value="search">查询与证明 Search &amp; prove</Tabs.Tab>
            <Tabs.Tab value="charts">图表 Charts</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="consortium" pt="md">
            <Consortium
              onNode={(id) => {
                setSearchFor(id);
                setTab("search");
              }}
            />
          </Tabs.Panel>
          <Tabs.Panel value="institutions" pt="md">
            <Institutions
              onInstitution={(id) => {
                setSearchFor(String(id));
                setTab("search");
              }}
            />
          </Tabs.Panel>
          <Tabs.Panel value="search" pt="md">
            <Search initial={searchFor} />
          </Tabs.Panel>
          <Tabs.Panel value="charts" pt="md">
            <Suspense fallback={<Text>…</Text>}>
              <Charts />
            </Suspense>
          </Tabs.Panel>
        </Tabs>
      </AppShell.Main>
    </AppShell>
  );
}
