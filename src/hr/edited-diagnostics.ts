/**
 * What `hr sync` tells of the tree as it would write it: the export row of the synced person an error
 * falls in, and the warnings its edit brings (not those the files had before).
 */
import type { Diagnostic } from "../model/diagnostic.ts";
import type { SourceLocation } from "../model/source.ts";
import type { FileEdit } from "../engine/file-edits.ts";
import type { HrSyncPlan } from "./sync-types.ts";

/** A user entry's first line: `- id: ann`, `- { id: ann, ... }`, quoted or not. */
const ENTRY = /^[ \t]*-[ \t]+(?:\{[ \t]*)?id:[ \t]*["']?([^"',}\s]+)/;

/**
 * The export row of the synced person whose entry (in the files as the sync writes them) a diagnostic
 * falls in: the admin fixes the export, and a joiner's file may not even exist yet.
 */
export function exportRows(
  writes: readonly FileEdit[],
  plan: HrSyncPlan,
): (d: Diagnostic) => SourceLocation | undefined {
  const rows = new Map<string, SourceLocation>([
    ...plan.joiners.map((j) => [j.id, j.at] as const),
    ...plan.updates.flatMap((u) => (u.row === undefined ? [] : [[u.id, u.row] as const])),
  ]);
  const entries = new Map(writes.map((w) => [w.file, entriesOf(w.text)]));
  return (d) => {
    const entry = (entries.get(d.file) ?? []).find((e) => e.first <= d.line && d.line <= e.last);
    return entry === undefined ? undefined : rows.get(entry.id);
  };
}

/**
 * Each user entry of a file's text: its id and its lines (to the last before the next line indented no
 * deeper than its `-` that is neither blank nor a comment: the next entry, or what follows the list).
 */
function entriesOf(text: string): { id: string; first: number; last: number }[] {
  const lines = text.split("\n");
  const indent = (line: string): number => line.length - line.trimStart().length;
  const out: { id: string; first: number; last: number }[] = [];
  lines.forEach((line, i) => {
    const id = ENTRY.exec(line)?.[1];
    if (id === undefined) return;
    let last = i;
    for (let j = i + 1; j < lines.length; j++) {
      const next = lines[j] ?? "";
      const body = next.trim();
      if (body === "" || body.startsWith("#")) continue;
      if (indent(next) <= indent(line)) break;
      last = j;
    }
    out.push({ id, first: i + 1, last: last + 1 });
  });
  return out;
}

/** A diagnostic without the places it names, which the sync's edits move (a line added above). */
const placeless = (d: Diagnostic): string => `${d.code}\n${d.message.replace(/[^\s()]+:\d+:\d+/g, "")}`;

/**
 * The warnings the edited tree has and the tree before did not: what the sync brings (two people with
 * one e-mail: HR entering someone again under a new employee number, a contractor made an employee).
 */
export function newWarnings(before: readonly Diagnostic[], after: readonly Diagnostic[]): Diagnostic[] {
  const known = new Set(before.map(placeless));
  return after.filter((d) => d.severity === "warning" && !known.has(placeless(d)));
}
