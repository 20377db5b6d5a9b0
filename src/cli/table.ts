/** Plain-text tables for script output: right-aligns numbers, pads by display width (CJK counts as 2). */

function width(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1;
  return w;
}

export type Cell = string | number | bigint | boolean | null | undefined;

/** Renders rows under a header; numeric cells are right-aligned and grouped by thousands. */
export function formatTable(header: string[], rows: Cell[][]): string {
  const text = rows.map((r) => r.map(cellText));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === "number" || typeof r[c] === "bigint"));
  const widths = header.map((h, c) => Math.max(width(h), ...text.map((r) => width(r[c] ?? ""))));
  const pad = (s: string, c: number) => {
    const gap = " ".repeat(widths[c] - width(s));
    return numeric[c] ? gap + s : s + gap;
  };
  const line = (cells: string[]) => cells.map(pad).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...text.map(line)].join("\n");
}

function cellText(v: Cell): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? v.toLocaleString("en-US") : v.toLocaleString("en-US", { maximumFractionDigits: 2 });
  if (typeof v === "bigint") return v.toLocaleString("en-US");
  return String(v);
}
