/** The outcome of `hr sync` as text for a person and as JSON for a program (docs/formats.md). */
import { firstFew } from "../model/lists.ts";
import { formatLocation, type SourceLocation } from "../model/source.ts";
import type { FieldChange, HrSyncPlan, UserUpdate } from "./sync-types.ts";
import type { HrSyncResult } from "./run-sync.ts";

export interface RenderContext {
  readonly exportFile: string;
  readonly joinersFile: string;
  readonly isCheck: boolean;
}

/** People not in the export listed in the text: a partial export would otherwise list the company. */
const MAX_ABSENT_SHOWN = 20;

const who = (id: string, number: string | undefined): string =>
  number === undefined ? id : `${id} (${number})`;
const shown = (value: string | undefined): string => value ?? "(none)";

/** What a mover who loses their access without leaving is told: the reviewer must see it is no mere edit. */
function losesAccessNote(update: UserUpdate): string {
  if (update.losesAccess === undefined) return "";
  switch (update.losesAccess) {
    case "start-date-later":
      return `  (loses all access: had started, and gets none until the new startDate ${update.changes.find((c) => c.field === "startDate")?.after ?? ""})`;
    case "leave":
      return "  (loses access: on leave, which policy.leave disables)";
  }
}

function updateLines(symbol: string, update: UserUpdate): string[] {
  return [
    `  ${symbol} ${who(update.id, update.employeeNumber)}  ${formatLocation(update.source)}${update.isAbsent ? "  (not in the export: --absent terminate)" : ""}${losesAccessNote(update)}`,
    ...update.changes.map((c) => `      ${c.field}: ${shown(c.before)} → ${shown(c.after)}`),
  ];
}

/** Updates of people staying (or coming back): department, title, manager, e-mail, ... */
const movers = (plan: HrSyncPlan): UserUpdate[] => plan.updates.filter((u) => !u.isLeaver && !u.hasLeft);
/** Updates that make someone a leaver. */
const leavers = (plan: HrSyncPlan): UserUpdate[] => plan.updates.filter((u) => u.isLeaver);
/** Updates of people gone already, which change no access. */
const alreadyLeft = (plan: HrSyncPlan): UserUpdate[] => plan.updates.filter((u) => u.hasLeft);

export function hasSyncChanges(plan: HrSyncPlan): boolean {
  return plan.joiners.length > 0 || plan.updates.length > 0;
}

export function renderSyncText(result: HrSyncResult, context: RenderContext): string {
  const { plan } = result;
  const lines: string[] = [
    `hr sync of ${context.exportFile}: ${String(result.rows)} row(s); fields synced: ${result.owned.join(", ")}`,
  ];
  const section = (title: string, count: number): void => {
    if (count > 0) lines.push(`${title} (${String(count)}):`);
  };
  section("Joiners", plan.joiners.length);
  for (const j of plan.joiners) {
    const fields = new Map(j.fields);
    const detail = ["name", "department", "title"].flatMap((k) => fields.get(k) ?? []);
    // A joiner on leave from day one (parental leave before the first day, say) gets no access where leave
    // disables accounts: the reviewer is told.
    if (fields.get("status") === "leave") detail.push("on leave");
    const start = fields.get("startDate");
    if (start !== undefined) detail.push(`starts ${start}`);
    lines.push(`  + ${who(j.id, j.employeeNumber)} → ${context.joinersFile}: ${detail.join(", ")}`);
  }
  section("Movers", movers(plan).length);
  for (const u of movers(plan)) lines.push(...updateLines("~", u));
  section("Leavers", leavers(plan).length);
  for (const u of leavers(plan)) lines.push(...updateLines("-", u));
  const left = alreadyLeft(plan);
  if (left.length > 0)
    lines.push(
      `Left already (${String(left.length)}): HR's record catches up with people past their last day (their access ended then):`,
    );
  for (const u of left) lines.push(...updateLines("-", u));
  if (result.flagged.length > 0)
    lines.push(
      `Movers' grants their new role does not give (${String(result.flagged.length)}): put to the group's owners, revoked by \`review close\` after the due day unless they re-approve:`,
    );
  for (const f of result.flagged)
    lines.push(
      `  ! ${f.id} in ${f.group}  ${f.file}: ${f.opensReview ? "review opened" : "added to the open review"}, due ${f.due}`,
    );
  if (result.leaversOwn.length > 0 && result.refused.length === 0)
    lines.push(
      `Groups leavers own (${String(result.leaversOwn.length)}): once this is merged and they have left (past their endDate), \`gatehouse handover\` gives them to a manager (a pull request of its own):`,
      ...result.leaversOwn.map((o) => `  ^ ${o.id} owns ${o.group}  ${o.file}`),
    );
  const absent = plan.absent.filter((a) => a.action !== "terminated");
  if (absent.length > 0) {
    lines.push(
      `Not in the export (${String(absent.length)}): left as they are (an export may be partial; --absent terminate makes leavers of those with an employee number):`,
    );
    for (const a of absent.slice(0, MAX_ABSENT_SHOWN))
      lines.push(
        `  ? ${who(a.id, a.employeeNumber)}  ${formatLocation(a.source)}${a.action === "unlinked" ? "  (no employeeNumber: not linked to HR)" : ""}${a.startsOn === undefined ? "" : `  (starts ${a.startsOn} and HR no longer has them: a withdrawn offer? they get access that day unless the files say otherwise)`}`,
      );
  }
  if (absent.length > MAX_ABSENT_SHOWN)
    lines.push(`  ... and ${String(absent.length - MAX_ABSENT_SHOWN)} more (--format json lists everyone)`);
  section("Skipped rows", plan.skipped.length);
  for (const s of plan.skipped) lines.push(`  ${formatLocation(s.at)} ${s.key}: ${s.reason}`);
  if (result.refused.length > 0) {
    lines.push("Refused by guard rails; nothing was written:");
    for (const v of result.refused) lines.push(`  - ${v.message}`);
  } else if (!hasSyncChanges(plan))
    lines.push("No changes: the access files already say what the export says.");
  else {
    const files = firstFew(
      result.files.map((f) => (f.isNew ? `${f.file} (new)` : f.file)),
      10,
    );
    lines.push(context.isCheck ? `Would change ${files}; nothing was written (--check).` : `Wrote ${files}.`);
    if (!context.isCheck) lines.push("Review the change, then commit it and open a pull request.");
  }
  return lines.join("\n") + "\n";
}

const sourceOf = (s: SourceLocation): { file: string; line: number; column: number } => ({
  file: s.file,
  line: s.line,
  column: s.column,
});
const changeOf = (c: FieldChange): { field: string; before: string | null; after: string | null } => ({
  field: c.field,
  before: c.before ?? null,
  after: c.after ?? null,
});
const updateOf = (u: UserUpdate): Record<string, unknown> => ({
  id: u.id,
  employeeNumber: u.employeeNumber ?? null,
  source: sourceOf(u.source),
  changes: u.changes.map(changeOf),
  ...(u.isLeaver ? { isAbsent: u.isAbsent } : {}),
});

export function renderSyncJson(result: HrSyncResult, context: RenderContext): string {
  const { plan } = result;
  const json = {
    formatVersion: 1,
    export: context.exportFile,
    rows: result.rows,
    fields: result.owned,
    joiners: plan.joiners.map((j) => ({
      id: j.id,
      employeeNumber: j.employeeNumber ?? null,
      file: context.joinersFile,
      entry: Object.fromEntries(j.fields),
      source: sourceOf(j.at),
    })),
    movers: movers(plan).map((u) => ({ ...updateOf(u), losesAccess: u.losesAccess ?? null })),
    leavers: leavers(plan).map(updateOf),
    alreadyLeft: alreadyLeft(plan).map(updateOf),
    flagged: result.flagged.map((f) => ({
      id: f.id,
      group: f.group,
      file: f.file,
      due: f.due,
      opensReview: f.opensReview,
    })),
    leaversOwn: result.leaversOwn.map((o) => ({ id: o.id, group: o.group, file: o.file })),
    absent: plan.absent.map((a) => ({
      id: a.id,
      employeeNumber: a.employeeNumber ?? null,
      source: sourceOf(a.source),
      action: a.action,
      startsOn: a.startsOn ?? null,
    })),
    skipped: plan.skipped.map((s) => ({ key: s.key, source: sourceOf(s.at), reason: s.reason })),
    files: result.files.map((f) => ({ file: f.file, isNew: f.isNew })),
    refused: result.refused.map((v) => ({
      guard: v.guard,
      count: v.count,
      limit: v.limit,
      message: v.message,
    })),
    hasChanges: hasSyncChanges(plan),
    isWritten: result.isWritten,
  };
  return JSON.stringify(json, null, 2) + "\n";
}
