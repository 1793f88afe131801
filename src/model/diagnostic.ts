import type { SourceLocation } from "./source.ts";

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
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      a.code.localeCompare(b.code) ||
      a.message.localeCompare(b.message),
  );
}
