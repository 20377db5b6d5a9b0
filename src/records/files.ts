/**
 * Record files for the `attest` command: JSON (one record, a list, or `{ "records": [...] }`) or CSV (a header
 * row of field names, one record per row; `abnormalListed` as true/false, `mortgages` as a JSON list). Every
 * record is validated before any is attested; an error names the file, the record and the field.
 */
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { RecordValidationError, validateRecord, type CreditRecord } from "./schemas.js";

/** A record file broke a rule: which file, which record (1-based) and what. */
export class RecordFileError extends Error {
  constructor(
    readonly file: string,
    readonly record: number | undefined,
    readonly problem: string,
  ) {
    super(`${file}${record === undefined ? "" : ` record ${record}`}: ${problem}`);
    this.name = "RecordFileError";
  }
}

/** Splits CSV text into rows of cells (RFC 4180: quoted cells may hold commas, quotes and newlines). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === "") quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      if (row.some((c) => c !== "")) rows.push(row);
      row = [];
      cell = "";
    } else cell += ch;
  }
  if (quoted) throw new Error("unterminated quoted cell");
  row.push(cell);
  if (row.some((c) => c !== "")) rows.push(row);
  return rows;
}

function csvRecords(text: string): Record<string, unknown>[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) return [];
  return rows.map((cells, r) => {
    if (cells.length !== header.length) throw new RecordFileError("", r + 1, `has ${cells.length} cells, the header has ${header.length}`);
    const o: Record<string, unknown> = {};
    header.forEach((h, i) => {
      const v = cells[i];
      if (h === "abnormalListed") o[h] = v === "true" ? true : v === "false" ? false : v;
      else if (h === "mortgages") {
        try {
          o[h] = v === "" ? [] : JSON.parse(v);
        } catch {
          throw new RecordFileError("", r + 1, "mortgages: must be a JSON list");
        }
      } else o[h] = v;
    });
    return o;
  });
}

/** Reads and validates every record of a JSON or CSV file. */
export function readRecordFile(path: string): CreditRecord[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new RecordFileError(path, undefined, `cannot be read (${(e as Error).message})`);
  }
  let raw: unknown[];
  try {
    if (extname(path).toLowerCase() === ".csv") raw = csvRecords(text);
    else {
      const parsed: unknown = JSON.parse(text);
      raw = Array.isArray(parsed)
        ? parsed
        : typeof parsed === "object" && parsed !== null && Array.isArray((parsed as { records?: unknown }).records)
          ? (parsed as { records: unknown[] }).records
          : [parsed];
    }
  } catch (e) {
    if (e instanceof RecordFileError) throw new RecordFileError(path, e.record, e.problem);
    throw new RecordFileError(path, undefined, `is not valid ${extname(path) === ".csv" ? "CSV" : "JSON"} (${(e as Error).message})`);
  }
  if (raw.length === 0) throw new RecordFileError(path, undefined, "holds no record");
  return raw.map((r, i) => {
    try {
      return validateRecord(r);
    } catch (e) {
      if (e instanceof RecordValidationError) throw new RecordFileError(path, i + 1, e.message);
      throw e;
    }
  });
}
