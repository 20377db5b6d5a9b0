import { Alert, AppShell, Badge, Group, Select, Tabs, Text, Title } from "@mantine/core";
import { lazy, Suspense, useEffect, useState } from "react";
import { get, post, type DeploymentsResponse, type DeploymentView } from "./api";
import { Consortium } from "./Consortium";
import { Counters } from "./Counters";
import { Institutions } from "./Institutions";
import { Search } from "./Search";

// the charts (Chart.js) load when their tab is first opened
const Charts = lazy(() => import("./Charts"));

const CHAIN_LABEL: Record<string, string> = {
  "in-process": "进程内链 in-process (demo)",
  localhost: "本地节点 hardhat node",
  "multi-node": "多节点网络 multi-node",
  other: "network",
};

function optionLabel(d: DeploymentView, current: boolean): string {
  const what = `${d.key}${d.archived ? " (archived 已归档)" : ""} · ${d.nodes} nodes · ${d.institutions} institutions`;
  if (current || d.openHere) return d.hasStores ? what : `${what} · no stores 无节点存储`;
  return `${what} — open with npx hardhat --network ${d.network} yrd explorer`;
}

export function App() {
  const [deployments, setDeployments] = useState<DeploymentsResponse>();
  const [error, setError] = useState<string>();
  const [switching, setSwitching] = useState<string>();
  // bumped when the server switches deployment: every view mounts again and reads the new one
  const [generation, setGeneration] = useState(0);
  const [tab, setTab] = useState<string | null>("consortium");
  const [searchFor, setSearchFor] = useState<string>();

  useEffect(() => {
    get<DeploymentsResponse>("/api/deployments").then(setDeployments, (e: Error) => setError(e.message));
  }, []);
  const current = deployments?.deployments.find((d) => d.key === deployments.current);
  const here = (deployments?.deployments ?? []).filter(
    (d) => d.key === deployments?.current || d.openHere || (d.network === current?.network && d.chainId === current?.chainId),
  );
  const elsewhere = (deployments?.deployments ?? []).filter((d) => !here.includes(d));

  const open = (key: string | null) => {
    if (!key || key === deployments?.current) return;
    setSwitching(key);
    setError(undefined);
    post<DeploymentsResponse>("/api/deployments/open", { key }).then(
      (r) => {
        setDeployments(r);
        setSearchFor(undefined);
        setGeneration((g) => g + 1);
        setSwitching(undefined);
      },
      (e: Error) => {
        setError(e.message);
        setSwitching(undefined);
      },
    );
  };

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
              data-testid="deployment-picker"
              w={420}
              size="xs"
              value={deployments?.current ?? null}
              disabled={switching !== undefined}
              onChange={open}
              comboboxProps={{ width: 560, position: "bottom-end" }}
              data={[
                {
                  group: "此链上的部署 on this chain (pick to open)",
                  items: here.map((d) => ({
                    value: d.key,
                    label: optionLabel(d, d.key === deployments?.current),
                    disabled: d.key !== deployments?.current && !d.openHere,
                  })),
                },
                ...(elsewhere.length
                  ? [
                      {
                        group: "其他网络 other networks (open with --network X)",
                        items: elsewhere.map((d) => ({ value: d.key, label: optionLabel(d, false), disabled: true })),
                      },
                    ]
                  : []),
              ]}
              allowDeselect={false}
            />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Main>
        {error && (
          <Text c="red" data-testid="app-error">
            {error}
          </Text>
        )}
        {current && (current.archived || current.note) && (
          <Alert data-testid="deployment-note" color={current.hasStores ? "blue" : "yellow"} mb="sm" p="xs">
            {current.archived
              ? `已归档的部署 archived deployment ${current.archived} (deployed ${current.deployedAt}, block ${current.deployBlock}); its contracts are still on this chain. `
              : ""}
            {current.hasStores ? `Stores: ${current.storeDir} (read only).` : `无节点存储 ${current.note ?? "no node stores"}.`}
          </Alert>
        )}
        <div key={generation} data-testid="deployment-view" data-deployment={deployments?.current}>
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
        </div>
      </AppShell.Main>
    </AppShell>
  );
}
