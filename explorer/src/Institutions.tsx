import { Badge, Group, Pagination, SegmentedControl, Table, Text } from "@mantine/core";
import { useEffect, useMemo, useState } from "react";
import { get, type ConsortiumResponse, type InstitutionView } from "./api";
import { KINDS_OF_INSTITUTION, short } from "./labels";

const PAGE = 50;

export function Institutions({ onInstitution }: { onInstitution: (id: number) => void }) {
  const [all, setAll] = useState<InstitutionView[]>();
  const [summary, setSummary] = useState<ConsortiumResponse["institutions"]>();
  const [kind, setKind] = useState("all");
  const [sponsor, setSponsor] = useState<string>();
  const [page, setPage] = useState(1);
  const [error, setError] = useState<string>();
  useEffect(() => {
    get<InstitutionView[]>("/api/institutions").then(setAll, (e: Error) => setError(e.message));
    get<ConsortiumResponse>("/api/consortium").then(
      (c) => setSummary(c.institutions),
      (e: Error) => setError(e.message),
    );
  }, []);
  const rows = useMemo(() => (all ?? []).filter((i) => (kind === "all" || i.kind === kind) && (!sponsor || i.sponsor === sponsor)), [all, kind, sponsor]);
  if (error) return <Text c="red">{error}</Text>;
  return (
    <>
      <Group mb="sm">
        <SegmentedControl
          size="xs"
          value={kind}
          onChange={(v) => (setKind(v), setPage(1))}
          data={[{ value: "all", label: "全部 all" }, ...Object.entries(KINDS_OF_INSTITUTION).map(([value, label]) => ({ value, label }))]}
        />
        {sponsor && (
          <Badge onClick={() => setSponsor(undefined)} style={{ cursor: "pointer" }}>
            sponsor {sponsor} ✕
          </Badge>
        )}
      </Group>
      {summary && (
        <Table fz="xs" mb="md" withTableBorder>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>发起节点 sponsor</Table.Th>
              <Table.Th>合计 total</Table.Th>
              {Object.keys(KINDS_OF_INSTITUTION).map((k) => (
                <Table.Th key={k}>{KINDS_OF_INSTITUTION[k]}</Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {summary.bySponsor.map((s) => (
              <Table.Tr key={s.id} onClick={() => (setSponsor(s.id), setPage(1))} style={{ cursor: "pointer" }}>
                <Table.Td>{s.id}</Table.Td>
                <Table.Td>{s.total}</Table.Td>
                {Object.keys(KINDS_OF_INSTITUTION).map((k) => (
                  <Table.Td key={k}>{s.byKind[k] ?? 0}</Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Text size="sm" mb="xs">
        {rows.length} institutions
      </Text>
      <Table fz="xs" striped data-testid="institutions">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>id</Table.Th>
            <Table.Th>类别 kind</Table.Th>
            <Table.Th>发起节点 sponsor</Table.Th>
            <Table.Th>签名账户 signer</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.slice((page - 1) * PAGE, page * PAGE).map((i) => (
            <Table.Tr key={i.institutionId}>
              <Table.Td>
                <a href="#" onClick={(e) => (e.preventDefault(), onInstitution(i.institutionId))}>
                  {i.institutionId}
                </a>
              </Table.Td>
              <Table.Td>{KINDS_OF_INSTITUTION[i.kind] ?? i.kind}</Table.Td>
              <Table.Td>{i.sponsor}</Table.Td>
              <Table.Td className="mono">{short(i.signer, 14)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Pagination mt="sm" size="sm" total={Math.max(1, Math.ceil(rows.length / PAGE))} value={page} onChange={setPage} />
    </>
  );
}
