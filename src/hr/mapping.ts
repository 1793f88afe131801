/**
 * The HR mapping: which export column holds which user field, how the HR system spells employment types
 * and statuses, its date format, and the sync's settings. Every key is optional; the defaults are a
 * column named as the field, the schema's own values (any letter case), and ISO dates.
 */
import type { EmploymentType, Limit, UserStatus } from "../model/access.ts";
import type { Diagnostic } from "../model/diagnostic.ts";
import { isObj } from "../load/read-data.ts";
import type { PathSegment } from "../load/locate.ts";
import { parseAccessFile } from "../load/parse.ts";

/** The user fields the HR system owns: a sync sets them and leaves every other field alone. */
export const HR_FIELDS = [
  "name",
  "email",
  "department",
  "title",
  "manager",
  "employmentType",
  "status",
  "startDate",
  "endDate",
] as const;
export type HrField = (typeof HR_FIELDS)[number];

/** What a column may hold: the HR-owned fields and the two keys. */
export const MAPPED_FIELDS = ["employeeNumber", "id", ...HR_FIELDS] as const;
export type MappedField = (typeof MAPPED_FIELDS)[number];

export const DATE_FORMATS = ["YYYY-MM-DD", "YYYY/MM/DD", "DD.MM.YYYY", "DD/MM/YYYY", "MM/DD/YYYY"] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

/** A guard's limit (model's Limit): a number of people, or a percentage of the people the files hold (rounded up). */
export type { Limit } from "../model/access.ts";

export type AbsentPolicy = "report" | "terminate";

export interface HrMapping {
  /** The export column of each field; a field without one is not synced. */
  readonly columns: ReadonlyMap<MappedField, string>;
  /** Fields whose column the mapping file names: the export must have it. */
  readonly required: ReadonlySet<MappedField>;
  /** HR's spelling, trimmed and lower-cased → the schema's value. */
  readonly employmentTypes: ReadonlyMap<string, EmploymentType>;
  readonly statuses: ReadonlyMap<string, UserStatus>;
  readonly dateFormat: DateFormat;
  /** What the manager column holds; undefined: employee numbers when the export has them, else user ids. */
  readonly managerKey?: "employeeNumber" | "id" | "email";
  /** Where joiners are appended, relative to the access folder. */
  readonly joinersFile: string;
  /** A JSON export that is an object: the key of its list of records. */
  readonly records?: string;
  readonly maxLeavers: Limit;
  readonly maxEmailChanges: Limit;
  /** People whose department, title, manager or employment type the export would clear (a blank cell). */
  readonly maxCleared: Limit;
  /** People the export would add; undefined: the default (guards.ts, 10% but at least 10). */
  readonly maxJoiners?: Limit;
  readonly maxMovers?: Limit;
  readonly absent: AbsentPolicy;
  /** Days a mover's owners have to re-approve grants the new role does not give; undefined: the default. */
  readonly moverReviewDays?: number;
}

const EMPLOYMENT_TYPES: readonly EmploymentType[] = ["employee", "contractor", "intern", "service"];
const STATUSES: readonly UserStatus[] = ["active", "leave", "terminated"];

/** HR spellings understood without a mapping, besides the schema's own values (any case). */
const DEFAULT_EMPLOYMENT_TYPES: Readonly<Record<string, EmploymentType>> = {
  "full-time": "employee",
  "full time": "employee",
  "part-time": "employee",
  "part time": "employee",
  permanent: "employee",
  contract: "contractor",
  internship: "intern",
};
const DEFAULT_STATUSES: Readonly<Record<string, UserStatus>> = {
  "on leave": "leave",
};

export const DEFAULT_JOINERS_FILE = "users/hr.yaml";

/** The mapping `hr sync` reads when no --mapping is given, where it exists (relative to the working directory). */
export const DEFAULT_MAPPING_FILE = "hr/mapping.yaml";
export const DEFAULT_MAX_LEAVERS: Limit = { kind: "percent", value: 5 };
export const DEFAULT_MAX_EMAIL_CHANGES: Limit = { kind: "percent", value: 10 };
export const DEFAULT_MAX_CLEARED: Limit = { kind: "percent", value: 5 };

/** How an HR value is looked up: trimmed, lower case. */
export const foldValue = (value: string): string => value.trim().toLowerCase();

function valueTable<T extends string>(own: readonly T[], extra: Readonly<Record<string, T>>): Map<string, T> {
  return new Map<string, T>([...own.map((v) => [v, v] as const), ...Object.entries(extra)]);
}

export function defaultMapping(): HrMapping {
  return {
    columns: new Map(MAPPED_FIELDS.map((f) => [f, f])),
    required: new Set(),
    employmentTypes: valueTable(EMPLOYMENT_TYPES, DEFAULT_EMPLOYMENT_TYPES),
    statuses: valueTable(STATUSES, DEFAULT_STATUSES),
    dateFormat: "YYYY-MM-DD",
    joinersFile: DEFAULT_JOINERS_FILE,
    maxLeavers: DEFAULT_MAX_LEAVERS,
    maxEmailChanges: DEFAULT_MAX_EMAIL_CHANGES,
    maxCleared: DEFAULT_MAX_CLEARED,
    absent: "report",
  };
}

/** The longest time a mover review may give the owners (`moverReviewDays`, `--mover-review-days`). */
export const MAX_REVIEW_DAYS = 365;

/** A whole number of days from 1 to MAX_REVIEW_DAYS. */
export const isReviewDays = (value: unknown): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_REVIEW_DAYS;

/** "5", 5 or "5%" → a limit; undefined when it is neither. */
export function parseLimit(value: unknown): Limit | undefined {
  if (typeof value === "number")
    return Number.isInteger(value) && value >= 0 ? { kind: "count", value } : undefined;
  if (typeof value !== "string") return undefined;
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(value.trim());
  if (!m?.[1]) return undefined;
  const n = Number(m[1]);
  if (m[2] === "%") return n <= 100 ? { kind: "percent", value: n } : undefined;
  return Number.isInteger(n) ? { kind: "count", value: n } : undefined;
}

const TOP_KEYS = new Set([
  "columns",
  "values",
  "dateFormat",
  "managerKey",
  "joinersFile",
  "records",
  "maxLeavers",
  "maxEmailChanges",
  "maxCleared",
  "maxJoiners",
  "maxMovers",
  "absent",
  "moverReviewDays",
]);

/** Reads a mapping file (YAML, read as the access files are: size, encoding, aliases, prototype keys). */
export function readMapping(
  file: string,
  bytes: Uint8Array,
): { mapping?: HrMapping; diagnostics: Diagnostic[] } {
  const parsed = parseAccessFile(file, bytes);
  if (!parsed.document) return { diagnostics: parsed.diagnostics };
  const { data, locator } = parsed.document;
  const diagnostics: Diagnostic[] = [];
  const problem = (path: PathSegment[], message: string, at: "value" | "key" = "value"): void => {
    const pos = locator.locate(path, at);
    diagnostics.push({ severity: "error", code: "HR010", message, file, line: pos.line, column: pos.column });
  };
  if (data === null || data === undefined) return { mapping: defaultMapping(), diagnostics };
  if (!isObj(data)) {
    problem([], "an HR mapping is a mapping of settings (columns, values, dateFormat, ...)");
    return { diagnostics };
  }
  const base = defaultMapping();
  const columns = new Map(base.columns);
  const required = new Set<MappedField>();
  let employmentTypes = base.employmentTypes;
  let statuses = base.statuses;
  for (const key of Object.keys(data))
    if (!TOP_KEYS.has(key))
      problem([key], `unknown key "${key}"; one of: ${[...TOP_KEYS].join(", ")}`, "key");

  const columnsData = data["columns"];
  if (columnsData !== undefined && !isObj(columnsData))
    problem(["columns"], "columns maps a field to its column");
  if (isObj(columnsData))
    for (const [field, column] of Object.entries(columnsData)) {
      const known = MAPPED_FIELDS.find((f) => f === field);
      if (known === undefined)
        problem(
          ["columns", field],
          `"${field}" is no field hr sync writes; one of: ${MAPPED_FIELDS.join(", ")}`,
          "key",
        );
      else if (column === null) columns.delete(known);
      else if (typeof column === "string" && column.trim() !== "") {
        columns.set(known, column.trim());
        required.add(known);
      } else
        problem(["columns", field], `the column of ${field} is a column name (text), or null: not synced`);
    }

  const values = data["values"];
  if (values !== undefined && !isObj(values))
    problem(["values"], "values maps employmentType and status spellings");
  if (isObj(values))
    for (const [field, table] of Object.entries(values)) {
      if (field === "employmentType")
        employmentTypes = readValues(table, ["values", field], EMPLOYMENT_TYPES, employmentTypes, problem);
      else if (field === "status")
        statuses = readValues(table, ["values", field], STATUSES, statuses, problem);
      else
        problem(
          ["values", field],
          `values are mapped for employmentType and status only, not "${field}"`,
          "key",
        );
    }

  const choice = <T extends string>(key: string, choices: readonly T[]): T | undefined => {
    const v = data[key];
    if (v === undefined) return undefined;
    const hit = choices.find((c) => c === v);
    if (hit === undefined) problem([key], `${key} is one of: ${choices.join(", ")}`);
    return hit;
  };
  const limit = (key: string): Limit | undefined => {
    const v = data[key];
    if (v === undefined) return undefined;
    const parsedLimit = parseLimit(v);
    if (parsedLimit === undefined) problem([key], `${key} is a number of people or a percentage ("5%")`);
    return parsedLimit;
  };
  const text = (key: string): string | undefined => {
    const v = data[key];
    if (v === undefined) return undefined;
    if (typeof v === "string" && v.trim() !== "") return v.trim();
    problem([key], `${key} is text`);
    return undefined;
  };
  const managerKey = choice("managerKey", ["employeeNumber", "id", "email"] as const);
  const moverReviewDays = data["moverReviewDays"];
  const isDays = isReviewDays(moverReviewDays);
  const records = text("records");
  const maxJoiners = limit("maxJoiners");
  const maxMovers = limit("maxMovers");
  const mapping: HrMapping = {
    columns,
    required,
    employmentTypes,
    statuses,
    dateFormat: choice("dateFormat", DATE_FORMATS) ?? base.dateFormat,
    ...(managerKey === undefined ? {} : { managerKey }),
    joinersFile: text("joinersFile") ?? base.joinersFile,
    ...(records === undefined ? {} : { records }),
    maxLeavers: limit("maxLeavers") ?? base.maxLeavers,
    maxEmailChanges: limit("maxEmailChanges") ?? base.maxEmailChanges,
    maxCleared: limit("maxCleared") ?? base.maxCleared,
    ...(maxJoiners === undefined ? {} : { maxJoiners }),
    ...(maxMovers === undefined ? {} : { maxMovers }),
    absent: choice("absent", ["report", "terminate"] as const) ?? base.absent,
    ...(isDays ? { moverReviewDays } : {}),
  };
  if (moverReviewDays !== undefined && !isDays)
    problem(
      ["moverReviewDays"],
      `moverReviewDays is a whole number of days, 1 to ${String(MAX_REVIEW_DAYS)}`,
    );
  return diagnostics.length > 0 ? { diagnostics } : { mapping, diagnostics };
}

/** A value table from the mapping file, on top of the defaults. */
function readValues<T extends string>(
  table: unknown,
  path: PathSegment[],
  allowed: readonly T[],
  defaults: ReadonlyMap<string, T>,
  problem: (path: PathSegment[], message: string) => void,
): ReadonlyMap<string, T> {
  if (!isObj(table)) {
    problem(path, `maps the HR system's values to ${allowed.join(", ")}`);
    return defaults;
  }
  const out = new Map(defaults);
  for (const [hr, ours] of Object.entries(table)) {
    const hit = allowed.find((a) => a === ours);
    if (hit === undefined) problem([...path, hr], `"${hr}" must map to one of: ${allowed.join(", ")}`);
    else out.set(foldValue(hr), hit);
  }
  return out;
}
