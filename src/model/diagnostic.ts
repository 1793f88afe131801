import type { SourceLocation } from "./source.ts";
import { compareText } from "./lists.ts";

export type Severity = "error" | "warning";

/**
 * A problem found in the access files. Problems are data: every loader and rule returns them
 * rather than throwing, so one run reports all of them.
 */
export interface Diagnostic extends SourceLocation {
  readonly severity: Severity;
  /** Stable code, e.g. "GH101"; documented in docs/diagnostics.md. */
  readonly code: string;
  /** What is wrong and what to do about it. */
  readonly message: string;
  /** JSON pointer to the offending value inside the file, e.g. "/users/0/email". */
  readonly path?: string;
  /** Other places involved, e.g. the first definition of a duplicate. */
  readonly related?: readonly SourceLocation[];
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      compareText(a.file, b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      compareText(a.code, b.code) ||
      compareText(a.message, b.message),
  );
}

/** Diagnostics of one code shown per file; the rest are counted in one more (see capDiagnostics). */
export const MAX_SHOWN_PER_CODE = 100;

/**
 * Sorted diagnostics with at most `max` of each code per file: a file that repeats one mistake a
 * hundred thousand times gets the first `max` and one more that counts the rest, with the same
 * severity, so an error still fails the run.
 */
export function capDiagnostics(
  sorted: readonly Diagnostic[],
  max: number = MAX_SHOWN_PER_CODE,
): Diagnostic[] {
  const seen = new Map<string, number>();
  const out: Diagnostic[] = [];
  const hidden = new Map<string, { last: Diagnostic; count: number }>();
  for (const d of sorted) {
    const key = `${d.file}\n${d.code}\n${d.severity}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    if (n <= max) {
      out.push(d);
      continue;
    }
    const more = hidden.get(key);
    if (more) {
      more.count++;
      more.last = d;
    } else hidden.set(key, { last: d, count: 1 });
  }
  if (hidden.size === 0) return out;
  for (const { last, count } of hidden.values())
    out.push({
      severity: last.severity,
      code: last.code,
      file: last.file,
      line: last.line,
      column: last.column,
      message: `${String(count)} more ${last.code} ${last.severity}(s) in this file are not shown (the last one is here)`,
    });
  return sortDiagnostics(out);
}
