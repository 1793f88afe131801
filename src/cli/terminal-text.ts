/**
 * Output text made safe for a terminal. Names, values and messages come from the access files and from
 * live systems; a control character in one could move the cursor, overwrite a line ("No changes."),
 * hide what follows (ESC [8m) or set the window title. Every control character except newline and tab
 * is shown as an escape (`\x1b`), except gatehouse's own colours and line clearing.
 */
/* eslint-disable no-control-regex -- control characters are exactly what is matched */
const UNSAFE =
  /\r\u001b\[2K|\u001b\[(?:0|2|31|32|33)m|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;

/* eslint-enable no-control-regex */

export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (match) =>
    match.length > 1 ? match : `\\x${match.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}
