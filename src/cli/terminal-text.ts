/**
 * Output text made safe for a terminal. Names, values and messages come from the access files and from
 * live systems; a control character in one could move the cursor, overwrite a line ("No changes."),
 * hide what follows (ESC [8m) or set the window title, and a bidirectional override (U+202E) shows a
 * name reversed. Every control character except newline and tab, and every bidirectional embedding,
 * override and isolate, is shown as an escape (`\x1b`, `\u202e`), except gatehouse's own colours, and its
 * line clearing at the start of a chunk (where its progress lines put it; anywhere else it came from data).
 */
/* eslint-disable no-control-regex -- control characters are exactly what is matched */
const UNSAFE =
  /\r\u001b\[2K|\u001b\[(?:0|2|31|32|33)m|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/g;

/* eslint-enable no-control-regex */

export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (match, offset: number) => {
    // gatehouse clears a line only to start a chunk (progress lines); inside one it came from data.
    const isOwn = match.length > 1 && (offset === 0 || !match.startsWith("\r"));
    return isOwn ? match : match.replace(CONTROL, escape);
  });
}

function escape(char: string): string {
  const code = char.charCodeAt(0);
  // Bidirectional controls (U+202E shows what follows reversed: "exe.gnp" as "png.exe") and line breaks
  // beyond ASCII are shown as \u escapes.
  return code > 0xff
    ? `\\u${code.toString(16).padStart(4, "0")}`
    : `\\x${code.toString(16).padStart(2, "0")}`;
}

/* eslint-disable no-control-regex -- control characters are exactly what is matched */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/g;
/* eslint-enable no-control-regex */

/**
 * A value from a file, a live system or GitHub, for one line of output: every control character
 * escaped, line breaks and tabs too, so it can neither start a line of its own nor rewrite one.
 */
export function inlineText(value: string): string {
  return value.replace(CONTROL, escape);
}
