import { Group, Paper, Text } from "@mantine/core";
import { useEffect, useRef, useState } from "react";
import { get, type CountersResponse } from "./api";

const SHOWN: [keyof CountersResponse, string][] = [
  ["head", "区块 head"],
  ["attestations", "存证 attestations"],
  ["batchedRecords", "批量记录 batched records"],
  ["corrections", "更正 corrections"],
  ["objections", "异议 objections"],
  ["authorizations", "授权 authorizations"],
  ["queries", "链上查询 live queries"],
  ["logEntries", "日志条目 log entries"],
  ["committedEntries", "已承诺 committed"],
  ["logCommitments", "承诺 commitments"],
];

/** Live counters: polled every 2 s, a changed figure flashes (a replay running elsewhere moves them). */
export function Counters() {
  const [c, setC] = useState<CountersResponse>();
  const [error, setError] = useState<string>();
  const previous = useRef<CountersResponse>(undefined);
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      try {
        const next = await get<CountersResponse>("/api/counters");
        if (stop) return;
        setC((old) => {
          previous.current = old;
          return next;
        });
        setError(undefined);
      } catch (e) {
        if (!stop) setError((e as Error).message);
      }
      if (!stop) timer = setTimeout(tick, 2000);
    };
    void tick();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, []);
  if (error) return <Text c="red">{error}</Text>;
  if (!c) return null;
  return (
    <Group gap="xs" data-testid="counters">
      {SHOWN.map(([k, label]) => {
        const changed = previous.current !== undefined && previous.current[k] !== c[k];
        return (
          <Paper key={`${k}-${c[k]}`} withBorder px="sm" py={4} className={changed ? "counter-changed" : undefined} data-counter={k}>
            <Text size="xs" c="dimmed">
              {label}
            </Text>
            <Text fw={600}>{c[k].toLocaleString("en-US")}</Text>
          </Paper>
        );
      })}
    </Group>
  );
}
