/**
 * Where a JSON text stops being JSON, as a line and column (1-based, in UTF-16 units as editors count
 * them), and why, from the SyntaxError JSON.parse threw on it: for a `file:line:col` message.
 */
export interface JsonSyntaxProblem {
  readonly line: number;
  readonly column: number;
  /** JSON.parse's reason, without its position or its quote of the text. */
  readonly reason: string;
}

const END_OF_INPUT = "Unexpected end of JSON input";

/** The problem of `text`, which JSON.parse refused with `error`. */
export function describeJsonSyntaxError(text: string, error: unknown): JsonSyntaxProblem {
  const message = error instanceof Error ? error.message : String(error);
  const at = /^(.*) in JSON at position (\d+)/s.exec(message);
  const offset = at?.[2] === undefined ? findErrorOffset(text) : Number(at[2]);
  // "Unexpected token 'x', "…text…" is not valid JSON": the quote of the text is left out.
  const reason = at?.[1] ?? message.replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, "");
  return { ...lineAndColumn(text, Math.min(offset, text.length)), reason };
}

/**
 * The offset of the character JSON.parse refuses, for the messages that do not give it: every prefix
 * before it is valid so far ("Unexpected end of JSON input", or a whole value), and every prefix that
 * holds it is refused for another reason, so the shortest such prefix ends with it.
 */
function findErrorOffset(text: string): number {
  const isRefused = (length: number): boolean => {
    try {
      JSON.parse(text.slice(0, length));
      return false;
    } catch (error) {
      return !(error instanceof Error && error.message === END_OF_INPUT);
    }
  };
  if (!isRefused(text.length)) return text.length;
  let [low, high] = [0, text.length]; // isRefused(high) and, for a prefix, not isRefused(low)
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (isRefused(middle)) high = middle;
    else low = middle;
  }
  return high - 1;
}

/** The 1-based line and column (in UTF-16 units) of `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
