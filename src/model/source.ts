/** A place in an access file: 1-based line and column, as editors and `file:line:col` show them. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export function formatLocation(loc: SourceLocation): string {
  return `${loc.file}:${String(loc.line)}:${String(loc.column)}`;
}
