/** Renders an audit (trail rows and verification findings) as a table, JSON or CSV. */
import { formatTable } from "../cli/table.js";
import type { Finding } from "./verify.js";
import type { TrailRow } from "./trail.js";

export type AuditFormat = "table" | "json" | "csv";

export function parseFormat(v: string): AuditFormat {
  if (v === "table" || v === "json" || v === "csv") return v;
  throw new Error(`--format must be table, json or csv, not "${v}"`);
}

const iso = (t: number) => new Date(t * 1000).toISOString().replace(".000Z", "Z");

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? "" : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderAudit(rows: readonly TrailRow[], findings: readonly Finding[] | undefined, format: AuditFormat): string {
  const passed = findings?.filter((f) => f.ok).length ?? 0;
  const failed = findings?.filter((f) => !f.ok) ?? [];
  if (format === "json")
    return JSON.stringify(
      {
        rows: rows.map((r) => ({ ...r, time: iso(r.time), data: undefined })),
        verification: findings ? { passed, failed: failed.length, findings } : undefined,
      },
      (_k, v) => (typeof v === "bigint" ? v.toString() : v),
      2,
    );
  const header = ["block", "time", "kind", "enterprise", "institution", "nodes", "detail", "tx"];
  const body = rows.map((r) => [r.block, iso(r.time), r.kind, r.enterprise ?? "", r.institution ?? "", r.nodes.join(" "), r.detail, r.txHash]);
  if (format === "csv") {
    const lines = [header, ...body].map((l) => l.map(csvCell).join(","));
    if (findings) lines.push("", "subject,ok,failure,detail", ...findings.map((f) => [f.subject, f.ok, f.failure, f.detail].map(csvCell).join(",")));
    return lines.join("\n");
  }
  let out = formatTable(
    header,
    body.map((b) => [...b.slice(0, 7), String(b[7]).slice(0, 12) + "…"]),
  );
  if (findings) {
    out += `\n\nverification: ${passed} passed, ${failed.length} failed`;
    if (failed.length > 0)
      out +=
        "\n" +
        formatTable(
          ["subject", "failure", "detail"],
          failed.map((f) => [f.subject, f.failure, f.detail]),
        );
  }
  return out;
}
