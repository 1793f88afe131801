import type { Diagnostic } from "../model/diagnostic.ts";

export type DiagnosticFormat = "text" | "json" | "github";

/** GitHub workflow-command escaping for properties and messages (as vitest's github-actions reporter does). */
function escapeData(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export function renderDiagnostics(diagnostics: readonly Diagnostic[], format: DiagnosticFormat): string {
  switch (format) {
    case "json":
      return JSON.stringify({ formatVersion: 1, diagnostics }, null, 2) + "\n";
    case "github":
      return diagnostics
        .map(
          (d) =>
            `::${d.severity} file=${escapeProperty(d.file)},line=${String(d.line)},col=${String(d.column)},title=${escapeProperty(d.code)}::${escapeData(d.message)}\n`,
        )
        .join("");
    case "text":
      return diagnostics
        .map((d) => {
          const related = (d.related ?? [])
            .map((r) => `\n    see ${r.file}:${String(r.line)}:${String(r.column)}`)
            .join("");
          return `${d.file}:${String(d.line)}:${String(d.column)} ${d.severity} ${d.code} ${d.message}${related}\n`;
        })
        .join("");
  }
}

export function countLine(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  return `${String(errors)} error(s), ${String(warnings)} warning(s)`;
}
