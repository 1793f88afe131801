/**
 * Output text made safe for a terminal. Names, values and messages come from the access files and from
 * live systems; a control character in one could move the cursor, overwrite a line ("No changes."),
 * hide what follows (ESC [8m) or set the window title, and a bidirectional override (U+202E) shows a
 * name reversed. Every control character except newline and tab, and every bidirectional embedding,
 * override and isolate, is shown as an escape (`\x1b`, `\u202e`), whatever it looks like: a colour code
 * or a line clear in data is as much data as any other. gatehouse's own colours and line clearing are
 * TerminalText, added around data already made safe.
 */
/* eslint-disable no-control-regex -- control characters are exactly what is matched */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/g;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/g;
/* eslint-enable no-control-regex */

export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escape);
}

function escape(char: string): string {
  const code = char.charCodeAt(0);
  // Bidirectional controls (U+202E shows what follows reversed: "exe.gnp" as "png.exe") and line breaks
  // beyond ASCII are shown as \u escapes.
  return code > 0xff
    ? `\\u${code.toString(16).padStart(4, "0")}`
    : `\\x${code.toString(16).padStart(2, "0")}`;
}

function jsonEscape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/**
 * JSON output (`--format json`) for the terminal. JSON.stringify escapes the C0 controls, but leaves DEL,
 * the C1 controls (U+009B is CSI, a whole escape sequence on many terminals), U+2028/U+2029 and the
 * bidirectional controls as they are; terminalSafe's `\x9b` would make the text invalid JSON. In JSON
 * text those characters can only stand inside strings, so each is written as its `\uXXXX` escape: the
 * output parses to exactly the same values and carries no control character. Only for the text of a
 * JSON value (JSON.stringify), or whole items of one.
 */
export function jsonForTerminal(json: string): TerminalText {
  return TerminalText.json(json);
}

/**
 * A value from a file, a live system or GitHub, for one line of output: every control character
 * escaped, line breaks and tabs too, so it can neither start a line of its own nor rewrite one.
 */
export function inlineText(value: string): string {
  return value.replace(CONTROL, escape);
}

/**
 * Text gatehouse wrote for the terminal, escape sequences and all. Its sequences can only be gatehouse's
 * own: they come from the literal parts of a `terminal` template in its source, and every string put
 * into one went through terminalSafe. Data is always a string, never one of these, so however it is
 * shaped it cannot pass for gatehouse's colours.
 */
export class TerminalText {
  readonly text: string;

  private constructor(text: string) {
    this.text = text;
  }

  /** The `terminal` tag: literal parts kept as written, values escaped unless already TerminalText. */
  static template(literals: TemplateStringsArray, values: readonly (string | TerminalText)[]): TerminalText {
    let text = literals[0] ?? "";
    values.forEach((value, i) => {
      text += forTerminal(value) + (literals[i + 1] ?? "");
    });
    return new TerminalText(text);
  }

  /**
   * JSON text for the terminal (see jsonForTerminal): every character terminalSafe escapes, written as the
   * JSON escape `\uXXXX`, which keeps the text JSON and its values as they were.
   */
  static json(json: string): TerminalText {
    return new TerminalText(json.replace(UNSAFE, jsonEscape));
  }

  /** Pieces one after the other, `separator` between them; strings escaped, TerminalText kept. */
  static join(parts: readonly (string | TerminalText)[], separator = ""): TerminalText {
    return new TerminalText(parts.map(forTerminal).join(terminalSafe(separator)));
  }
}

/**
 * Tag for gatehouse's own terminal output: terminal`\r\u001b[2K${line}` keeps the line clear written
 * here and escapes every control character in `line` (a string), while a TerminalText put in is kept.
 */
export function terminal(
  literals: TemplateStringsArray,
  ...values: readonly (string | TerminalText)[]
): TerminalText {
  return TerminalText.template(literals, values);
}

/** What reaches the terminal of something printed: a string is data, escaped; a TerminalText is kept. */
function forTerminal(text: string | TerminalText): string {
  return text instanceof TerminalText ? text.text : terminalSafe(text);
}
