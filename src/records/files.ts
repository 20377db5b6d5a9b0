/**
 * Record files for the `attest` command: JSON (one record, a list, or `{ "records": [...] }`) or CSV (a header
 * row of field names, one record per row; `abnormalListed` as true/false, `mortgages` as a JSON list). Every
 * record is validated before any is attested; an error names the file, the line (CSV, or where a byte is not
 * UTF-8), the record and the field.
 *
 * Files are UTF-8 (a byte-order mark is allowed and dropped): a byte that is not UTF-8 is refused, never
 * replaced by U+FFFD, so nothing but the file's own text reaches the chain. One file holds at most one record
 * per enterprise and category: a second one would silently become a correction of the first.
 */
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { CATEGORY_SLUGS } from "./categories.js";
import { RecordValidationError, validateRecord, type CreditRecord } from "./schemas.js";

/** A record file broke a rule: which file, which record (1-based), which line (CSV, or a byte that is not UTF-8) and what. */
export class RecordFileError extends Error {
  constructor(
    readonly file: string,
    readonly record: number | undefined,
    readonly problem: string,
    readonly line?: number,
    /** How the record is named in the message, when not "record N" (e.g. "record 3 (index 2)", "header"). */
    where?: string,
  ) {
    const at = [line === undefined ? "" : `line ${line}`, where ?? (record === undefined ? "" : `record ${record}`)].filter((x) => x).join(", ");
    super(`${file}${at ? ` ${at}` : ""}: ${problem}`);
    this.name = "RecordFileError";
  }
}

/** A row of a CSV file with the (1-based) line it starts on. */
export interface CsvRow {
  cells: string[];
  line: number;
}

/** Splits CSV text into rows of cells with their line numbers (RFC 4180: quoted cells may hold commas, quotes and newlines). */
export function parseCsvRows(text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let quoteLine = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === "\n" || (ch === "\r" && text[i + 1] !== "\n")) line++;
        cell += ch;
      }
    } else if (ch === '"' && cell === "") {
      quoted = true;
      quoteLine = line;
    } else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      if (row.some((c) => c !== "")) rows.push({ cells: row, line: rowLine });
      row = [];
      cell = "";
      line++;
      rowLine = line;
    } else cell += ch;
  }
  if (quoted) throw new RecordFileError("", undefined, 'unterminated quoted cell (a " that is never closed)', quoteLine);
  row.push(cell);
  if (row.some((c) => c !== "")) rows.push({ cells: row, line: rowLine });
  return rows;
}

/** Splits CSV text into rows of cells (RFC 4180: quoted cells may hold commas, quotes and newlines). */
export function parseCsv(text: string): string[][] {
  return parseCsvRows(text).map((r) => r.cells);
}

/** A raw record of a file and where it is: its line (CSV) and how messages name it. */
interface RawRecord {
  value: unknown;
  line?: number;
}

function csvRecords(text: string): RawRecord[] {
  const [header, ...rows] = parseCsvRows(text);
  if (!header) return [];
  return rows.map(({ cells, line }, r) => {
    if (cells.length !== header.cells.length) throw new RecordFileError("", r + 1, `has ${cells.length} cells, the header has ${header.cells.length}`, line);
    const o: Record<string, unknown> = {};
    header.cells.forEach((h, i) => {
      const v = cells[i];
      if (h === "abnormalListed") o[h] = v === "true" ? true : v === "false" ? false : v;
      else if (h === "mortgages") {
        try {
          o[h] = v === "" ? [] : JSON.parse(v);
        } catch {
          throw new RecordFileError("", r + 1, "mortgages: must be a JSON list", line);
        }
      } else o[h] = v;
    });
    return { value: o, line };
  });
}

/** The records of a parsed JSON file: one record, a list, or `{ "records": [...] }`. */
function jsonRecords(parsed: unknown): unknown[] {
  return Array.isArray(parsed)
    ? parsed
    : typeof parsed === "object" && parsed !== null && Array.isArray((parsed as { records?: unknown }).records)
      ? (parsed as { records: unknown[] }).records
      : [parsed];
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence (as the WHATWG decoder reads it), or -1. */
export function invalidUtf8Offset(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let more: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) more = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      more = 2;
      if (c === 0xe0) lo = 0xa0; // overlong
      if (c === 0xed) hi = 0x9f; // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      more = 3;
      if (c === 0xf0) lo = 0x90; // overlong
      if (c === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    if (i + more >= b.length) return i; // a sequence cut short by the end of the file
    if (b[i + 1] < lo || b[i + 1] > hi) return i;
    for (let k = 2; k <= more; k++) if (b[i + k] < 0x80 || b[i + k] > 0xbf) return i;
    i += more + 1;
  }
  return -1;
}

const utf8 = () => new TextDecoder("utf-8", { fatal: true });

/**
 * The error for a file whose bytes are not UTF-8: the line and column of the first bad byte and, when it is
 * inside a record's field, the record and the field.
 */
function notUtf8(path: string, bytes: Uint8Array, csv: boolean): RecordFileError {
  let at = invalidUtf8Offset(bytes);
  if (at < 0) at = 0;
  const before = utf8().decode(bytes.subarray(0, at));
  const line = before.split(/\r\n|\r|\n/).length;
  const column = before.length - Math.max(before.lastIndexOf("\n"), before.lastIndexOf("\r"));
  const problem = `is not valid UTF-8 (byte 0x${bytes[at].toString(16).toUpperCase().padStart(2, "0")} at column ${column}): save the file as UTF-8`;
  // find the field: decode leniently with a marker character (one the file does not hold) in place of the bad byte
  const rest = new TextDecoder("utf-8").decode(bytes.subarray(at + 1));
  let mark = 0xe000;
  while (before.includes(String.fromCharCode(mark)) || rest.includes(String.fromCharCode(mark))) mark++;
  const M = String.fromCharCode(mark);
  const text = (before + M + rest).replace(/^\uFEFF/, "");
  try {
    if (csv) {
      const [header, ...rows] = parseCsvRows(text);
      if (header.cells.some((c) => c.includes(M))) return new RecordFileError(path, undefined, problem, line, "header");
      const r = rows.findIndex((row) => row.cells.some((c) => c.includes(M)));
      if (r >= 0) {
        const field = header.cells[rows[r].cells.findIndex((c) => c.includes(M))] ?? "(a cell beyond the header)";
        return new RecordFileError(path, r + 1, `${field}: ${problem}`, line);
      }
    } else {
      const records = jsonRecords(JSON.parse(text));
      for (let r = 0; r < records.length; r++) {
        const field = pathOf(records[r], M, "");
        if (field !== undefined) return new RecordFileError(path, r + 1, `${field || "(record)"}: ${problem}`, line);
      }
    }
  } catch {
    // the bad byte broke the file's syntax too: the line and column are all there is to say
  }
  return new RecordFileError(path, undefined, problem, line);
}

/** The path ("mortgages[0].securedCreditor") of the string (or key) in `v` that contains `mark`, or undefined. */
function pathOf(v: unknown, mark: string, prefix: string): string | undefined {
  if (typeof v === "string") return v.includes(mark) ? prefix : undefined;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = pathOf(v[i], mark, `${prefix}[${i}]`);
      if (p !== undefined) return p;
    }
  } else if (typeof v === "object" && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (k.includes(mark)) return key;
      const p = pathOf(x, mark, key);
      if (p !== undefined) return p;
    }
  }
  return undefined;
}

/** Reads and validates every record of a JSON or CSV file. */
export function readRecordFile(path: string): CreditRecord[] {
  const csv = extname(path).toLowerCase() === ".csv";
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new RecordFileError(path, undefined, `cannot be read (${(e as Error).message})`);
  }
  let text: string;
  try {
    text = utf8().decode(bytes); // fatal: a byte that is not UTF-8 throws; a leading byte-order mark is dropped
  } catch {
    throw notUtf8(path, bytes, csv);
  }
  let raw: RawRecord[];
  try {
    raw = csv ? csvRecords(text) : jsonRecords(JSON.parse(text)).map((value) => ({ value }));
  } catch (e) {
    if (e instanceof RecordFileError) throw new RecordFileError(path, e.record, e.problem, e.line);
    throw new RecordFileError(path, undefined, `is not valid ${csv ? "CSV" : "JSON"} (${(e as Error).message})`);
  }
  if (raw.length === 0) throw new RecordFileError(path, undefined, "holds no record");
  const seen = new Map<string, number>();
  const name = (i: number) => (csv ? `line ${raw[i].line} (record ${i + 1})` : `record ${i + 1} (index ${i})`);
  return raw.map(({ value, line }, i) => {
    let record: CreditRecord;
    try {
      record = validateRecord(value);
    } catch (e) {
      if (e instanceof RecordValidationError) throw new RecordFileError(path, i + 1, e.message, line);
      throw e;
    }
    const key = `${record.enterprise} ${CATEGORY_SLUGS[record.category]}`;
    const first = seen.get(key);
    if (first !== undefined)
      throw new RecordFileError(
        path,
        i + 1,
        `${key} is already ${csv ? `on ${name(first)}` : name(first)}: a file holds one version of each record (attest a correction from a file of its own)`,
        line,
        csv ? undefined : `record ${i + 1} (index ${i})`,
      );
    seen.set(key, i);
    return record;
  });
}
