/**
 * Names, values and messages as Markdown text (the pull-request comment, the job summary). A leaf module:
 * errors.ts registers each secret in these spellings too, so that redaction finds it after escaping.
 */

/** A table cell: its pipes escaped, on one line. */
export const escapeCell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

// Names, values and messages come from the files (anyone who opens a pull request) and from live
// systems: in a comment they must show as text and do nothing else (no HTML comment that hides the
// rest, no heading, no line break out of a table, no @mention).
// eslint-disable-next-line no-control-regex -- control characters are exactly what is matched
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** `s` as Markdown text that shows it and nothing more. */
export function mdText(s: string): string {
  return (
    s
      .replace(CONTROL, " ")
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      // A mention starts after a space or punctuation; the "@" of an e-mail address (after a letter or a
      // digit) is none, and stays as it is so that the address can be copied.
      .replace(/(^|[^\p{L}\p{N}_])@/gu, "$1@\u200b")
      .replace(/^#/, "\\#")
  );
}

/** `s` on one line, its control characters as spaces: what a code span (mdCode) shows of it. */
export function mdFlat(s: string): string {
  return s.replace(CONTROL, " ");
}

/** `s` as a code span, whatever backticks it holds. */
export function mdCode(s: string): string {
  const flat = mdFlat(s);
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const pad = longest > 0 || flat.startsWith(" ") || flat.endsWith(" ") ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}
