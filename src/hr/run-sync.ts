/**
 * `hr sync`: export → plan → guard rails → text edits → the whole edited tree validated → files written
 * all or none (io/write-all.ts). Anything wrong before the writes stops the sync with nothing written.
 */
import { lstat, readFile } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_LIMITS } from "../load/parse.ts";
import { isOver, readAtMost } from "../io/read-at-most.ts";
import { ConfigError, UsageError } from "../errors.ts";
import type { AccessModel, User } from "../model/access.ts";
import { hasErrors, type Diagnostic } from "../model/diagnostic.ts";
import { displayPath } from "../load/discover.ts";
import { DEFAULT_CACHE_DIR, type LoadOptions } from "../load/load-tree.ts";
import { schemaFor } from "../engine/import-files.ts";
import { editRefusal, writeEdits, type FileEdit } from "../engine/file-edits.ts";
import { whereIn } from "../engine/yaml-text.ts";
import { validateAccessTree } from "../validate/validate-tree.ts";
import {
  appendPendingsText,
  openReviewsText,
  type ReviewEditResult,
  type ReviewOpening,
} from "../engine/review-edit.ts";
import { groupBy } from "../model/lists.ts";
import { editUsersText, type EntryEdit, type EntryPlace, type NewEntry } from "./edit-users.ts";
import { validateEditedTree } from "../engine/edited-tree.ts";
import { checkSyncGuards, type GuardViolation } from "./guards.ts";
import {
  defaultMapping,
  readMapping,
  type AbsentPolicy,
  type HrField,
  type HrMapping,
  type Limit,
} from "./mapping.ts";
import { DEFAULT_MOVER_REVIEW_DAYS, planMoverReviews, type MoverFlag } from "./mover-reviews.ts";
import { readExportPeople } from "./people.ts";
import { cannotRead, readExportBytes } from "./export-bytes.ts";
import { readCsvExport, readJsonExport } from "./read-export.ts";
import { exportRows, newWarnings } from "./edited-diagnostics.ts";
import { planHrSync } from "./sync-plan.ts";
import type { HrSyncPlan } from "./sync-types.ts";

export interface HrSyncOptions {
  readonly cwd: string;
  readonly dir: string;
  /** The export file (relative to cwd): `.json` is read as JSON, anything else as CSV. */
  readonly exportFile: string;
  readonly mappingFile?: string;
  /** Overrides of the mapping's settings (command-line options). */
  readonly joinersFile?: string;
  readonly absent?: AbsentPolicy;
  readonly maxLeavers?: Limit;
  readonly maxEmailChanges?: Limit;
  readonly maxCleared?: Limit;
  readonly maxJoiners?: Limit;
  readonly maxMovers?: Limit;
  /** Days a mover's group owners have to re-approve a grant the new role does not give. */
  readonly moverReviewDays?: number;
  readonly isCheck: boolean;
  readonly now: Date;
  readonly load: Pick<LoadOptions, "parseWorkers" | "trustFileTimes">;
}

export interface ChangedFile {
  /** As shown: relative to the working directory. */
  readonly file: string;
  readonly isNew: boolean;
}

/** A group a leaver of the sync owns. */
export interface LeaverOwnership {
  readonly id: string;
  readonly group: string;
  /** The file defining the group, as the model names it. */
  readonly file: string;
}

export interface HrSyncResult {
  readonly plan: HrSyncPlan;
  readonly rows: number;
  /** The HR fields the export has columns for. */
  readonly owned: readonly HrField[];
  readonly files: readonly ChangedFile[];
  /** Movers put to the owners of groups they list directly that their new roles do not give. */
  readonly flagged: readonly MoverFlag[];
  /**
   * Groups the sync's leavers own, in model order: `gatehouse handover` gives them to a manager once the
   * leavers are in the files (a pull request of its own: this one never waits for it).
   */
  readonly leaversOwn: readonly LeaverOwnership[];
  /** Guard rails that refused the sync (then nothing was written). */
  readonly refused: readonly GuardViolation[];
  /** Warnings of the tree as edited that it did not have before (shown on stderr): what the sync brings. */
  readonly warnings: readonly Diagnostic[];
  readonly isWritten: boolean;
  /** Where joiners go, as shown. */
  readonly joinersFile: string;
}

/** The mapping's bytes, read as far as the access files' size limit (past it: refused, at file:1:1). */
async function readMappingBytes(cwd: string, file: string): Promise<Uint8Array> {
  const max = DEFAULT_LIMITS.maxFileBytes;
  let read;
  try {
    read = await readAtMost(path.resolve(cwd, file), max);
  } catch (error) {
    throw cannotRead("HR mapping", file, error);
  }
  if (!isOver(read, max)) return read.bytes;
  const size = read.size === undefined ? "over" : `${String(read.size)} bytes, over`;
  throw new ConfigError("the HR mapping has errors; nothing was changed", [
    {
      severity: "error",
      code: "HR010",
      message: `the mapping is ${size} the ${String(max)}-byte limit`,
      file,
      line: 1,
      column: 1,
    },
  ]);
}

async function loadMapping(options: HrSyncOptions): Promise<HrMapping> {
  if (options.mappingFile === undefined) return defaultMapping();
  const inAccess = path.relative(
    path.resolve(options.cwd, options.dir),
    path.resolve(options.cwd, options.mappingFile),
  );
  if (!inAccess.startsWith("..") && !path.isAbsolute(inAccess) && /\.ya?ml$/i.test(inAccess))
    throw new UsageError(
      `keep the HR mapping outside ${options.dir}: every .yaml file there is read as an access file (got ${options.mappingFile})`,
    );
  const bytes = await readMappingBytes(options.cwd, options.mappingFile);
  const { mapping, diagnostics } = readMapping(options.mappingFile, bytes);
  if (!mapping) throw new ConfigError("the HR mapping has errors; nothing was changed", diagnostics);
  return mapping;
}

/** The HR fields of a user update as edits of its entry. */
function entryEditOf(changes: HrSyncPlan["updates"][number]["changes"]): EntryEdit {
  const set = new Map<string, string>();
  const remove = new Set<string>();
  for (const c of changes) {
    if (c.after === undefined) remove.add(c.field);
    else set.set(c.field, c.after);
  }
  return { set, remove };
}

export async function runHrSync(options: HrSyncOptions): Promise<HrSyncResult> {
  const { cwd, now } = options;
  const mapping = await loadMapping(options);
  const bytes = await readExportBytes(path.resolve(cwd, options.exportFile), options.exportFile);
  const read = options.exportFile.toLowerCase().endsWith(".json")
    ? readJsonExport(options.exportFile, bytes, mapping.records)
    : readCsvExport(options.exportFile, bytes);
  const people = read.table ? readExportPeople(read.table, mapping) : undefined;
  const exportProblems = [...read.diagnostics, ...(people?.diagnostics ?? [])];
  if (!people || hasErrors(exportProblems))
    throw new ConfigError("the HR export has problems; nothing was changed", exportProblems);

  const root = path.resolve(cwd, options.dir);
  const joinersAbs =
    options.joinersFile === undefined
      ? path.join(root, mapping.joinersFile)
      : path.resolve(cwd, options.joinersFile);
  const inside = path.relative(root, joinersAbs);
  // Not in a dot-folder either: the loader skips those, and the joiners would be added on every run.
  const isHidden = inside.split(path.sep).some((part) => part.startsWith("."));
  if (inside.startsWith("..") || path.isAbsolute(inside) || isHidden || !/\.ya?ml$/i.test(joinersAbs))
    throw new UsageError(
      `the joiners file must be a .yaml file inside ${options.dir}, where the loader reads it (got ${displayPath(cwd, joinersAbs)})`,
    );

  const cacheDir = path.resolve(cwd, DEFAULT_CACHE_DIR);
  const tree = await validateAccessTree(options.dir, { cwd, now, cacheDir, ...options.load });
  // Rule errors may be what the sync mends (a group naming a new hire); files the loader or the schema
  // refuse would hide users from the match.
  const unreadable = tree.diagnostics.filter((d) => d.severity === "error" && /^GH[01]/.test(d.code));
  if (unreadable.length > 0)
    throw new ConfigError("the access files have errors to fix first; nothing was changed", unreadable);
  const users: User[] = [...tree.model.users.values()];
  const managerKey = mapping.managerKey ?? (people.keyedBy === "employeeNumber" ? "employeeNumber" : "id");
  const plan = planHrSync(users, people, {
    absent: options.absent ?? mapping.absent,
    managerKey,
    now,
    leave: tree.model.config.policy.leave,
  });
  if (hasErrors(plan.diagnostics))
    throw new ConfigError("the HR export cannot be synced; nothing was changed", plan.diagnostics);
  const flagged = planMoverReviews(
    tree.model,
    plan.updates,
    now,
    options.moverReviewDays ?? mapping.moverReviewDays ?? DEFAULT_MOVER_REVIEW_DAYS,
  );
  const base = {
    plan,
    flagged,
    leaversOwn: ownedBy(
      tree.model,
      new Set(plan.updates.filter((u) => u.isLeaver || u.hasLeft).map((u) => u.id)),
    ),
    rows: read.table?.rows.length ?? 0,
    owned: people.owned,
    joinersFile: displayPath(cwd, joinersAbs),
  };
  const maxJoiners = options.maxJoiners ?? mapping.maxJoiners;
  const maxMovers = options.maxMovers ?? mapping.maxMovers;
  const refused = checkSyncGuards(plan, {
    maxLeavers: options.maxLeavers ?? mapping.maxLeavers,
    maxEmailChanges: options.maxEmailChanges ?? mapping.maxEmailChanges,
    maxCleared: options.maxCleared ?? mapping.maxCleared,
    ...(maxJoiners === undefined ? {} : { maxJoiners }),
    ...(maxMovers === undefined ? {} : { maxMovers }),
  });
  if (refused.length > 0) return { ...base, files: [], refused, warnings: [], isWritten: false };

  const byFile = new Map<string, Map<string, EntryEdit>>();
  const places = new Map<string, Map<string, EntryPlace>>();
  for (const update of plan.updates) {
    const abs = path.resolve(cwd, update.source.file);
    const edits = byFile.get(abs) ?? new Map<string, EntryEdit>();
    edits.set(update.id, entryEditOf(update.changes));
    byFile.set(abs, edits);
    const at = places.get(abs) ?? new Map<string, EntryPlace>();
    at.set(update.id, update.source);
    places.set(abs, at);
  }
  const appended: NewEntry[] = plan.joiners.map((j) => j.fields);
  if (appended.length > 0 && !byFile.has(joinersAbs)) byFile.set(joinersAbs, new Map());
  const reviewsByFile = groupBy(flagged, (f) => path.resolve(cwd, f.file));
  for (const abs of reviewsByFile.keys()) if (!byFile.has(abs)) byFile.set(abs, new Map());
  const writes: FileEdit[] = [];
  const problems: string[] = [];
  for (const [abs, edits] of byFile) {
    const file = displayPath(cwd, abs);
    const entry = await lstat(abs).catch(() => undefined);
    const refusal = entry === undefined ? undefined : await editRefusal(abs, entry);
    if (refusal !== undefined) {
      problems.push(`${file}: not edited (${refusal})`);
      continue;
    }
    const original = entry === undefined ? undefined : await readFile(abs, "utf8");
    const text = original ?? newFileHeader(root, abs);
    const newEntries = abs === joinersAbs ? appended : [];
    // A groups file that only gets mover reviews has no users to edit: not parsed for them at all.
    const users =
      edits.size === 0 && newEntries.length === 0
        ? { text }
        : editUsersText(text, edits, newEntries, places.get(abs));
    // The user entries' problems say which user; a review edit's, where in the file when it knows.
    if ("problem" in users) {
      problems.push(`${file}: not edited (${users.problem})`);
      continue;
    }
    const result = editReviews(file, users.text, reviewsByFile.get(abs) ?? []);
    if ("problem" in result)
      problems.push(`${whereIn(file, users.text, result.at)}: not edited (${result.problem})`);
    else if (result.text !== original)
      writes.push({
        file,
        target: abs,
        text: result.text,
        // As it was (not the temporary file's 0600); a new file as git checks files out.
        mode: original === undefined || entry === undefined ? 0o644 : entry.mode & 0o7777,
        ...(original === undefined ? {} : { original }),
      });
  }
  if (problems.length > 0)
    throw new ConfigError(
      `the access files cannot be edited safely; nothing was changed:\n  ${problems.join("\n  ")}`,
    );
  const files = writes.map((w) => ({ file: w.file, isNew: w.original === undefined }));
  if (writes.length === 0) return { ...base, files, refused, warnings: [], isWritten: false };

  const edited = await validateEditedTree(new Map(writes.map((w) => [w.target, w.text])), {
    cwd,
    dir: options.dir,
    now,
    cacheDir,
    ...(options.load.parseWorkers === undefined ? {} : { parseWorkers: options.load.parseWorkers }),
  });
  const rowOf = exportRows(writes, plan);
  const errors = edited.diagnostics
    .filter((d: Diagnostic) => d.severity === "error")
    .map((d): Diagnostic => {
      const row = rowOf(d);
      return row === undefined ? d : { ...d, related: [...(d.related ?? []), row] };
    });
  if (errors.length > 0)
    throw new ConfigError(
      "the synced access files would not validate (the lines above are those of the files as the sync would write them); nothing was written",
      errors,
    );
  const warnings = newWarnings(tree.diagnostics, edited.diagnostics);
  if (options.isCheck) return { ...base, files, refused, warnings, isWritten: false };

  // All files or none: each must still be as it was read (someone may have edited one meanwhile), and a
  // write failing midway puts back those already written.
  await writeEdits(writes, "hr sync");
  return { ...base, files, refused, warnings, isWritten: true };
}

/** The groups owned by any of `leavers`, each owner once per group, in model order. */
function ownedBy(model: AccessModel, leavers: ReadonlySet<string>): LeaverOwnership[] {
  if (leavers.size === 0) return [];
  return [...model.groups.values()].flatMap((group) =>
    [...new Set(group.owners)]
      .filter((id) => leavers.has(id))
      .map((id) => ({ id, group: group.name, file: group.source.file })),
  );
}

/** `text` with each flagged group's review opened, or the movers appended to its pending list. */
function editReviews(file: string, text: string, flags: readonly MoverFlag[]): ReviewEditResult {
  const groups = [...groupBy(flags, (f) => f.group)];
  // The reviews to open, by due day, each day's in one edit of the file (parsed once).
  const opens = new Map<string, ReviewOpening[]>();
  for (const [group, list] of groups) {
    const first = list[0];
    if (first?.opensReview !== true) continue;
    const onDay = opens.get(first.due) ?? [];
    onDay.push({ group, pending: list.map((f) => f.id) });
    opens.set(first.due, onDay);
  }
  let result: ReviewEditResult = { text };
  for (const [due, openings] of opens)
    if ("text" in result) result = openReviewsText(file, result.text, openings, due);
  // The names to add to reviews open already, every group's in one edit of the file (parsed once).
  const appends = groups.flatMap(([group, list]) =>
    list[0]?.opensReview === false ? [{ group, names: list.map((f) => f.id) }] : [],
  );
  if ("text" in result && appends.length > 0) result = appendPendingsText(file, result.text, appends);
  return result;
}

/** The first lines of a joiners file hr sync creates. */
function newFileHeader(root: string, file: string): string {
  const schema = schemaFor(root, file);
  return (
    (schema === undefined ? "" : `# yaml-language-server: $schema=${schema}\n`) +
    "# People synced from the HR system by `gatehouse hr sync`: new hires are appended here. HR owns\n" +
    "# name, email, department, title, manager, employmentType, status, startDate and endDate; edit\n" +
    "# the other fields (accounts, ...) freely, and move an entry to another file if you like.\n"
  );
}
