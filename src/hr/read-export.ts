/**
 * Reads an HR export, CSV (a header row, then one person a row) or JSON (a list of objects), into rows
 * of cells that each know where they sit. CSV goes through csv-parse; JSON through the access files'
 * own loader, which refuses what is hostile (prototype keys, deep nesting, duplicate keys) with a
 * position. Every problem is a diagnostic at `EXPORT:line:col`; nothing is thrown.
 */
import { parse as parseCsv, CsvError } from "csv-parse/sync";
import type { Diagnostic } from "../model/diagnostic.ts";
import type { Position } from "../load/locate.ts";
import { decode, parseAccessFile } from "../load/parse.ts";
import { isObj } from "../load/read-data.ts";
import { csvCellPositions } from "./csv-positions.ts";

/** One cell: its text ("" when empty, null or missing) and where it sits. */
export interface Cell {
  readonly value: string;
  readonly at: Position;
}

export interface ExportRow {
  /** Where the row starts. */
  readonly at: Position;
  /** By column name. A JSON record without a key has no cell for it. */
  readonly cells: ReadonlyMap<string, Cell>;
}

export interface ExportTable {
  readonly file: string;
  readonly columns: ReadonlySet<string>;
  /** The header row (CSV) or the list (JSON): where a missing column is reported. */
  readonly headerAt: Position;
  readonly rows: readonly ExportRow[];
}

export interface ReadExportResult {
  readonly table?: ExportTable;
  readonly diagnostics: readonly Diagnostic[];
}

/** An export larger than this is refused: 100,000 people take about 20 MB as CSV, 40 MB as JSON. */
export const MAX_EXPORT_BYTES = 64 * 1024 * 1024;
/** One CSV record longer than this is refused (a missing closing quote swallows the rest of the file). */
const MAX_RECORD_CHARS = 64 * 1024;

const START: Position = { line: 1, column: 1 };

function problem(file: string, at: Position, message: string): Diagnostic {
  return { severity: "error", code: "HR001", message, file, line: at.line, column: at.column };
}

/** The error for an export over MAX_EXPORT_BYTES: of `size` bytes, or (undefined) one that kept growing. */
export function exportTooLarge(file: string, size?: number): Diagnostic {
  const limit = `the ${String(MAX_EXPORT_BYTES)}-byte limit`;
  return problem(
    file,
    START,
    size === undefined ? `the export is over ${limit}` : `the export is ${String(size)} bytes, over ${limit}`,
  );
}

/** Size and encoding, for both kinds: the text, or why there is none. */
function readText(file: string, bytes: Uint8Array): { text: string } | { diagnostic: Diagnostic } {
  if (bytes.length > MAX_EXPORT_BYTES) return { diagnostic: exportTooLarge(file, bytes.length) };
  // Excel's "Unicode Text" and some HR systems write UTF-16, which reads as binary (every other byte NUL).
  const [b0, b1] = bytes;
  if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0xfe && b1 === 0xff))
    return {
      diagnostic: problem(
        file,
        START,
        'the export is UTF-16 (it starts with a UTF-16 byte order mark); export it as UTF-8 (in Excel: "CSV UTF-8")',
      ),
    };
  const decoded = decode(file, bytes);
  if ("text" in decoded) return decoded;
  const d = decoded.diagnostic;
  const message =
    d.code === "GH005"
      ? "the export is binary (it holds a NUL byte); export it as UTF-8 text"
      : 'the export is not valid UTF-8 (this is the first bad byte); export it as UTF-8 (a spreadsheet\'s plain "CSV" is often Windows-1252: in Excel, save as "CSV UTF-8")';
  return { diagnostic: problem(file, d, message) };
}

/**
 * The cell separator, from the header line: `,`, unless the header has none and has `;` (what spreadsheet
 * programs export in locales with a decimal comma) or tabs.
 */
function delimiterOf(text: string): string {
  const start = text.startsWith("\uFEFF") ? 1 : 0;
  const end = text.search(/[\r\n]/);
  const header = text.slice(start, end === -1 ? undefined : end);
  if (header.includes(",")) return ",";
  if (header.includes(";")) return ";";
  return header.includes("\t") ? "\t" : ",";
}

export function readCsvExport(file: string, bytes: Uint8Array): ReadExportResult {
  const read = readText(file, bytes);
  if ("diagnostic" in read) return { diagnostics: [read.diagnostic] };
  // Excel writes its separator as a first line of its own where asked to ("sep=;"): not the header.
  const hint = /^\uFEFF?(sep=.)\r?$/im.exec(read.text.split("\n", 1)[0] ?? "");
  if (hint !== null)
    return {
      diagnostics: [
        problem(
          file,
          START,
          `the first line ("${hint[1] ?? ""}") is a spreadsheet's separator hint, not the header: remove it (the separator is read from the header line)`,
        ),
      ],
    };
  const delimiter = delimiterOf(read.text);
  let records: string[][];
  try {
    records = parseCsv(read.text, {
      delimiter,
      bom: true,
      skip_empty_lines: true,
      max_record_size: MAX_RECORD_CHARS,
    });
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const line = (error as CsvError & { lines?: unknown }).lines;
    const at = { line: typeof line === "number" && line > 0 ? line : 1, column: 1 };
    return { diagnostics: [problem(file, at, `the CSV cannot be read: ${error.message}`)] };
  }
  const [header, ...body] = records;
  if (header === undefined)
    return { diagnostics: [problem(file, START, "the export is empty: no header row")] };
  const positions = csvCellPositions(read.text, delimiter);
  // Both readings must agree on the shape, or the positions would point at the wrong cells.
  const isShapeAgreed =
    positions.length === records.length && positions.every((p, i) => p.length === records[i]?.length);
  if (!isShapeAgreed)
    return {
      diagnostics: [
        problem(
          file,
          START,
          "the CSV's records could not be located (line breaks or quotes of an unusual kind)",
        ),
      ],
    };
  const diagnostics: Diagnostic[] = [];
  const names = header.map((h) => h.trim());
  const seen = new Map<string, Position>();
  names.forEach((name, i) => {
    const at = positions[0]?.[i] ?? START;
    const first = seen.get(name);
    if (name !== "" && first !== undefined)
      diagnostics.push({
        ...problem(file, at, `column "${name}" appears twice in the header`),
        code: "HR002",
        related: [{ file, ...first }],
      });
    seen.set(name, at);
  });
  const rows = body.map((record, r): ExportRow => {
    const where = positions[r + 1] ?? [];
    const cells = new Map<string, Cell>();
    record.forEach((value, i) => {
      const name = names[i];
      if (name !== undefined && name !== "") cells.set(name, { value, at: where[i] ?? START });
    });
    return { at: where[0] ?? START, cells };
  });
  return {
    table: {
      file,
      columns: new Set(names.filter((n) => n !== "")),
      headerAt: positions[0]?.[0] ?? START,
      rows,
    },
    diagnostics,
  };
}

/** A JSON export: a list of objects, or an object whose `records` key holds that list. */
export function readJsonExport(file: string, bytes: Uint8Array, records?: string): ReadExportResult {
  const read = readText(file, bytes);
  if ("diagnostic" in read) return { diagnostics: [read.diagnostic] };
  const parsed = parseAccessFile(file, bytes, { maxFileBytes: MAX_EXPORT_BYTES, maxAliasCount: 0 });
  if (!parsed.document) {
    // The loader is the YAML one (JSON is YAML): its "YAML error" would puzzle the reader of a JSON
    // export, and a cut-off file gives several at one place (an unclosed quote, then each bracket).
    const places = new Set<string>();
    const diagnostics = parsed.diagnostics.flatMap((d): Diagnostic[] => {
      const place = `${String(d.line)}:${String(d.column)}`;
      if (places.has(place)) return [];
      places.add(place);
      const message = d.message.replace(/^YAML error: /, "the JSON cannot be read (cut short?): ");
      return [{ ...d, code: "HR001", message }];
    });
    return { diagnostics };
  }
  const { data, locator } = parsed.document;
  const path = records === undefined ? [] : [records];
  const list = records === undefined ? data : isObj(data) ? data[records] : undefined;
  if (!Array.isArray(list))
    return {
      diagnostics: [
        problem(
          file,
          locator.locate(path),
          records === undefined
            ? "a JSON export is a list of objects, one a person (or set records: in the mapping to the key that holds the list)"
            : `the export has no list under "${records}"`,
        ),
      ],
    };
  const items: readonly unknown[] = list;
  const diagnostics: Diagnostic[] = [];
  const columns = new Set<string>();
  const rows: ExportRow[] = [];
  items.forEach((item, i) => {
    const at = locator.locate([...path, i]);
    if (!isObj(item)) {
      diagnostics.push(problem(file, at, "each record of the export is an object"));
      return;
    }
    const cells = new Map<string, Cell>();
    for (const [key, value] of Object.entries(item)) {
      const name = key.trim();
      columns.add(name);
      const cellAt = locator.locate([...path, i, key]);
      if (typeof value === "string") cells.set(name, { value, at: cellAt });
      else if (typeof value === "number" && Number.isFinite(value))
        cells.set(name, { value: String(value), at: cellAt });
      else if (value === null) cells.set(name, { value: "", at: cellAt });
      else
        diagnostics.push({
          ...problem(
            file,
            cellAt,
            `"${name}" is ${typeof value === "boolean" ? String(value) : typeof value === "number" ? "not a finite number" : "a list or an object"}: a value is text or a number`,
          ),
          code: "HR003",
        });
    }
    rows.push({ at, cells });
  });
  return { table: { file, columns, headerAt: locator.locate(path), rows }, diagnostics };
}
