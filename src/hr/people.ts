/**
 * Export rows → the people HR says exist, with their fields in the access files' terms: value mappings
 * applied, dates as YYYY-MM-DD, ids checked or derived. Every bad cell is a diagnostic at its position.
 */
import type { Diagnostic } from "../model/diagnostic.ts";
import type { SourceLocation } from "../model/source.ts";
import { userIdFromAccount } from "../engine/import-files.ts";
import type { Position } from "../load/locate.ts";
import {
  foldValue,
  HR_FIELDS,
  MAPPED_FIELDS,
  type DateFormat,
  type HrField,
  type HrMapping,
  type MappedField,
} from "./mapping.ts";
import type { ExportTable } from "./read-export.ts";

/** One person as the export has them. */
export interface HrPerson {
  /** What rows are matched by: the employee number when the export has them, else the user id. */
  readonly key: string;
  readonly employeeNumber?: string;
  /** The id column's value, else one derived from the e-mail's local part; undefined when neither. */
  readonly id?: string;
  readonly isIdDerived: boolean;
  /** Each HR field the export has a column for; undefined: an empty cell (HR has no value). */
  readonly fields: ReadonlyMap<HrField, string | undefined>;
  readonly at: SourceLocation;
  readonly cellAt: ReadonlyMap<MappedField, SourceLocation>;
}

export interface ExportPeople {
  readonly people: readonly HrPerson[];
  readonly keyedBy: "employeeNumber" | "id";
  /** The HR fields the export has columns for: the ones this sync sets. */
  readonly owned: readonly HrField[];
  readonly diagnostics: readonly Diagnostic[];
}

const USER_ID = /^[a-z0-9][a-z0-9._-]*$/;
// C0 controls, DEL, C1 controls and the Unicode line and paragraph separators: never part of a value.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const DATE_SHAPES: Readonly<Record<DateFormat, { re: RegExp; y: number; m: number; d: number }>> = {
  "YYYY-MM-DD": { re: /^(\d{4})-(\d{2})-(\d{2})$/, y: 1, m: 2, d: 3 },
  "YYYY/MM/DD": { re: /^(\d{4})\/(\d{2})\/(\d{2})$/, y: 1, m: 2, d: 3 },
  "DD.MM.YYYY": { re: /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/, y: 3, m: 2, d: 1 },
  "DD/MM/YYYY": { re: /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/, y: 3, m: 2, d: 1 },
  "MM/DD/YYYY": { re: /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/, y: 3, m: 1, d: 2 },
};

/** `text` in `format` as YYYY-MM-DD, or undefined when it is not a day of the calendar in that form. */
export function parseHrDate(text: string, format: DateFormat): string | undefined {
  const shape = DATE_SHAPES[format];
  const m = shape.re.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[shape.y]), Number(m[shape.m]), Number(m[shape.d])];
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate(); // day 0 of the next month: this month's last
  if (y < 1900 || mo < 1 || mo > 12 || d < 1 || d > days) return undefined;
  return `${String(y)}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** The people of an export, read with `mapping`. */
export function readExportPeople(table: ExportTable, mapping: HrMapping): ExportPeople {
  const { file } = table;
  const diagnostics: Diagnostic[] = [];
  const at = (pos: Position): SourceLocation => ({ file, line: pos.line, column: pos.column });
  const report = (code: string, pos: Position, message: string, related?: SourceLocation): void => {
    diagnostics.push({
      severity: "error",
      code,
      message,
      ...at(pos),
      ...(related === undefined ? {} : { related: [related] }),
    });
  };
  const present = new Map<MappedField, string>();
  for (const field of MAPPED_FIELDS) {
    const column = mapping.columns.get(field);
    if (column === undefined) continue;
    if (table.columns.has(column)) present.set(field, column);
    else if (mapping.required.has(field))
      report(
        "HR002",
        table.headerAt,
        `the export has no column "${column}" (the mapping's columns.${field})`,
      );
  }
  const keyedBy = present.has("employeeNumber") ? "employeeNumber" : "id";
  if (!present.has("name"))
    report(
      "HR002",
      table.headerAt,
      `the export has no name column ("${mapping.columns.get("name") ?? "name"}")`,
    );
  if (!present.has("employeeNumber") && !present.has("id") && !present.has("email"))
    report(
      "HR002",
      table.headerAt,
      "the export has no employee number, id or email column to tell people apart",
    );
  // No one at all: an HR system always has someone, so the export was cut short or filtered; synced, it
  // would list everyone as absent (and a scheduled job would pass it with "No changes").
  if (diagnostics.length === 0 && table.rows.length === 0)
    report(
      "HR007",
      table.headerAt,
      "the export has no rows, only its header: an HR system always has someone, so it was cut short or filtered; check the export",
    );
  if (diagnostics.length > 0) return { people: [], keyedBy, owned: [], diagnostics };

  const owned = HR_FIELDS.filter((f) => present.has(f));
  const people: HrPerson[] = [];
  const byKey = new Map<string, SourceLocation>();
  const byId = new Map<string, SourceLocation>();
  for (const row of table.rows) {
    const cellAt = new Map<MappedField, SourceLocation>();
    const problemsBefore = diagnostics.length;
    const isRowBad = (): boolean => diagnostics.length > problemsBefore;
    /** The trimmed text of a field's cell ("" when empty), or undefined when it holds a control character. */
    const cell = (field: MappedField): string => {
      const column = present.get(field);
      if (column === undefined) return "";
      const found = row.cells.get(column);
      cellAt.set(field, at(found?.at ?? row.at));
      const value = found?.value.trim() ?? "";
      if (CONTROL.test(value)) {
        report("HR003", found?.at ?? row.at, `${field} holds a control character (a line break, a tab, ...)`);
        return "";
      }
      return value;
    };
    const bad = (field: MappedField, message: string): void => {
      report("HR003", cellAt.get(field) ?? row.at, message);
    };
    const fields = new Map<HrField, string | undefined>();
    for (const field of owned) {
      const value = cell(field);
      if (field === "employmentType" || field === "status") {
        const table = field === "status" ? mapping.statuses : mapping.employmentTypes;
        const mapped = table.get(foldValue(value));
        if (mapped !== undefined) fields.set(field, mapped);
        else if (value === "")
          bad(
            field,
            `${field} is empty; map "" under values.${field} in the mapping if that means something`,
          );
        else
          bad(
            field,
            `unknown ${field} "${value}"; map it under values.${field} in the mapping (known: ${[...table.keys()].map((k) => (k === "" ? '""' : k)).join(", ")})`,
          );
      } else if ((field === "startDate" || field === "endDate") && value !== "") {
        const date = parseHrDate(value, mapping.dateFormat);
        if (date !== undefined) fields.set(field, date);
        else bad(field, `${field} "${value}" is not a date in the form ${mapping.dateFormat}`);
      } else fields.set(field, value === "" ? undefined : value);
    }
    if (!isRowBad() && fields.get("name") === undefined) bad("name", "name is empty");
    const employeeNumber = cell("employeeNumber");
    const explicitId = cell("id");
    const email = fields.get("email");
    if (keyedBy === "employeeNumber" && employeeNumber === "")
      bad("employeeNumber", "the employee number is empty");
    if (explicitId !== "" && (!USER_ID.test(explicitId) || explicitId.length > 64))
      bad(
        "id",
        `id "${explicitId}" is not a user id (lowercase letters, digits, . _ -, at most 64 characters)`,
      );
    const id = explicitId !== "" ? explicitId : email === undefined ? undefined : userIdFromAccount(email);
    if (keyedBy === "id" && id === undefined) bad("id", "no id, and no e-mail to derive one from");
    // Duplicates are looked for in bad rows too: the export is wrong either way.
    const key = keyedBy === "employeeNumber" ? employeeNumber : (id ?? "");
    const keyField = keyedBy === "employeeNumber" ? "employeeNumber" : present.has("id") ? "id" : "email";
    const keyAt = cellAt.get(keyField) ?? at(row.at);
    const first = key === "" ? undefined : byKey.get(key);
    if (first !== undefined) {
      const what = keyedBy === "employeeNumber" ? "employee number" : "id";
      report(
        "HR004",
        keyAt,
        `${what} "${key}" appears twice in the export (first at line ${String(first.line)})`,
        first,
      );
    } else if (key !== "") byKey.set(key, keyAt);
    const firstId = explicitId === "" || keyedBy === "id" ? undefined : byId.get(explicitId);
    if (firstId !== undefined) {
      const message = `id "${explicitId}" appears twice in the export (first at line ${String(firstId.line)})`;
      report("HR004", cellAt.get("id") ?? at(row.at), message, firstId);
    } else if (explicitId !== "") byId.set(explicitId, cellAt.get("id") ?? at(row.at));
    if (isRowBad()) continue;
    people.push({
      key,
      ...(employeeNumber === "" ? {} : { employeeNumber }),
      ...(id === undefined ? {} : { id }),
      isIdDerived: explicitId === "",
      fields,
      at: at(row.at),
      cellAt,
    });
  }
  return { people, keyedBy, owned, diagnostics };
}
