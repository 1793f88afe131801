/** A member entry of a group as YAML text, block or flow, for `gatehouse request` (request-edit.ts). */

/** A member entry to write: a lasting member (no until) or a time-bound grant. */
export interface MemberLine {
  readonly user: string;
  readonly until?: string;
  readonly reason?: string;
}

/** Starts with a letter and holds nothing YAML would read as anything but that string, in block or flow. */
const PLAIN = /^[A-Za-z][A-Za-z0-9 ._/@()+-]*$/;
const CORE_WORDS = /^(true|false|null)$/i;
const PLAIN_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** A string as a YAML scalar: plain when that reads back as the same string, double-quoted otherwise. */
export function yamlScalar(value: string): string {
  if (PLAIN_INSTANT.test(value)) return value;
  return PLAIN.test(value) && !value.endsWith(" ") && !CORE_WORDS.test(value) ? value : JSON.stringify(value);
}

export function flowEntry(entry: MemberLine): string {
  if (entry.until === undefined && entry.reason === undefined) return yamlScalar(entry.user);
  const parts = [`user: ${yamlScalar(entry.user)}`];
  if (entry.until !== undefined) parts.push(`until: ${yamlScalar(entry.until)}`);
  if (entry.reason !== undefined) parts.push(`reason: ${yamlScalar(entry.reason)}`);
  return `{ ${parts.join(", ")} }`;
}

/** The lines of a block item: `dash` is what precedes the item's content on its first line. */
export function blockEntry(entry: MemberLine, dash: string, isFlowMap: boolean): string {
  if (isFlowMap || (entry.until === undefined && entry.reason === undefined))
    return `${dash}${flowEntry(entry)}\n`;
  const indent = " ".repeat(dash.length);
  const lines = [`${dash}user: ${yamlScalar(entry.user)}`];
  if (entry.until !== undefined) lines.push(`${indent}until: ${yamlScalar(entry.until)}`);
  if (entry.reason !== undefined) lines.push(`${indent}reason: ${yamlScalar(entry.reason)}`);
  return lines.join("\n") + "\n";
}
