/**
 * Scalars and one-line flow collections for the fast YAML reader (fast-yaml.ts). Every function
 * returns `undefined` for anything outside the plain subset, and the caller then hands the whole
 * file to the `yaml` package, so results and diagnostics stay those of the full parser.
 */

/** Plain scalars the YAML 1.2 core schema reads as null, booleans or numbers: not strings. */
const NON_STRING =
  /^(?:~|[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE|0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*))?$/;

/** Characters that may not start a plain scalar here (YAML indicators, plus `-`, `?`, `:` to stay simple). */
const INDICATOR = new Set(Array.from("-?:,[]{}#&*!|>'\"%@`"));
/** Keys that would reach an object's prototype: the full parser reports them (GH014). */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);
const KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** A scalar or flow value read from one line: the value and its end (exclusive) in the text. */
export interface Read<T> {
  readonly value: T;
  readonly end: number;
}

/** Positions of a flow collection's parts, in the same layout the block reader records. */
export type PositionSink = (container: object, positions: number[]) => void;

/** `text.indexOf(char, from)` that never looks past `end` (an unbounded search would be quadratic). */
export function indexOn(text: string, char: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (text.charCodeAt(i) === char) return i;
  return -1;
}

export function isPlainKey(key: string): boolean {
  return KEY.test(key) && key.length <= 1000 && !NON_STRING.test(key) && !FORBIDDEN_KEYS.has(key);
}

function isSpace(c: number): boolean {
  return c === 0x20;
}

/** Index after trailing spaces and an optional ` # comment`, which must reach the end of the line. */
function restIsBlank(text: string, from: number, end: number): boolean {
  let i = from;
  while (i < end && isSpace(text.charCodeAt(i))) i++;
  if (i === end) return true;
  // A comment needs a space before it: `"a"#b` is not one.
  return text.charCodeAt(i) === 0x23 && i > from;
}

/** A quoted scalar on one line ('single' with '' escapes, "double" without backslashes). */
function readQuoted(text: string, start: number, end: number): Read<string> | undefined {
  const quote = text[start];
  let out = "";
  let i = start + 1;
  for (;;) {
    const close = indexOn(text, text.charCodeAt(start), i, end);
    if (close < 0) return undefined;
    out += text.slice(i, close);
    if (quote === "'" && text[close + 1] === "'") {
      out += "'";
      i = close + 2;
      continue;
    }
    if (quote === '"' && out.includes("\\")) return undefined;
    return { value: out, end: close + 1 };
  }
}

/**
 * A plain scalar in block context, running to the end of the line or a ` #` comment. Refused when it
 * could be anything but a string, or could continue as a mapping.
 */
function readPlainBlock(text: string, start: number, end: number): Read<string> | undefined {
  if (INDICATOR.has(text[start] ?? "")) return undefined;
  let stop = end;
  for (let i = indexOn(text, 0x23, start, end); i >= 0; i = indexOn(text, 0x23, i + 1, end)) {
    if (isSpace(text.charCodeAt(i - 1))) {
      stop = i;
      break;
    }
  }
  let last = stop;
  while (last > start && isSpace(text.charCodeAt(last - 1))) last--;
  const value = text.slice(start, last);
  if (value.includes(": ") || value.endsWith(":") || NON_STRING.test(value)) return undefined;
  return { value, end };
}

/** A plain scalar inside a flow collection: stops at `,`, `]` or `}`; refuses `:`, `#` and quotes inside. */
function readPlainFlow(text: string, start: number, end: number): Read<string> | undefined {
  if (INDICATOR.has(text[start] ?? "")) return undefined;
  let i = start;
  for (; i < end; i++) {
    const c = text[i];
    if (c === "," || c === "]" || c === "}") break;
    if (c === ":" || c === "#" || c === "[" || c === "{" || c === '"' || c === "'") return undefined;
  }
  let last = i;
  while (last > start && isSpace(text.charCodeAt(last - 1))) last--;
  const value = text.slice(start, last);
  if (value === "" || NON_STRING.test(value)) return undefined;
  return { value, end: i };
}

function skipSpaces(text: string, i: number, end: number): number {
  while (i < end && isSpace(text.charCodeAt(i))) i++;
  return i;
}

function readFlowScalar(text: string, start: number, end: number): Read<string> | undefined {
  const c = text[start];
  return c === '"' || c === "'" ? readQuoted(text, start, end) : readPlainFlow(text, start, end);
}

/** `[a, "b", c]` on one line, scalars only. `col(i)` turns a text index into a packed position pair. */
function readFlowSeq(
  text: string,
  start: number,
  end: number,
  pos: (i: number) => [number, number],
  sink: PositionSink,
): Read<string[]> | undefined {
  const items: string[] = [];
  const positions: number[] = [];
  let i = skipSpaces(text, start + 1, end);
  if (text[i] === "]") {
    sink(items, positions);
    return { value: items, end: i + 1 };
  }
  for (;;) {
    const item = readFlowScalar(text, i, end);
    if (!item) return undefined;
    items.push(item.value);
    positions.push(...pos(i));
    i = skipSpaces(text, item.end, end);
    if (text[i] === "]") break;
    if (text[i] !== ",") return undefined;
    i = skipSpaces(text, i + 1, end);
    if (text[i] === "]" || text[i] === ",") return undefined; // a trailing or empty entry: leave it to yaml
  }
  sink(items, positions);
  return { value: items, end: i + 1 };
}

/** `{ k: v, k2: [a, b] }` on one line: plain keys, scalar or flow-sequence values, no duplicates. */
function readFlowMap(
  text: string,
  start: number,
  end: number,
  pos: (i: number) => [number, number],
  sink: PositionSink,
): Read<Record<string, unknown>> | undefined {
  const out: Record<string, unknown> = {};
  const positions: number[] = [];
  let i = skipSpaces(text, start + 1, end);
  if (text[i] === "}") {
    sink(out, positions);
    return { value: out, end: i + 1 };
  }
  for (;;) {
    const colon = indexOn(text, 0x3a, i, end);
    if (colon < 0 || text[colon + 1] !== " ") return undefined;
    const key = text.slice(i, colon);
    if (!isPlainKey(key) || Object.hasOwn(out, key)) return undefined;
    const at = skipSpaces(text, colon + 1, end);
    const value = text[at] === "[" ? readFlowSeq(text, at, end, pos, sink) : readFlowScalar(text, at, end);
    if (!value) return undefined;
    out[key] = value.value;
    positions.push(...pos(i), ...pos(at));
    i = skipSpaces(text, value.end, end);
    if (text[i] === "}") break;
    if (text[i] !== ",") return undefined;
    i = skipSpaces(text, i + 1, end);
    if (text[i] === "}" || text[i] === ",") return undefined;
  }
  sink(out, positions);
  return { value: out, end: i + 1 };
}

/**
 * The value written after `key: ` or `- ` up to the end of the line: a quoted or plain scalar, or a
 * one-line flow sequence or mapping. Undefined for anything else (block scalars, anchors, aliases,
 * tags, multi-line flow, escapes).
 */
export function readInlineValue(
  text: string,
  start: number,
  end: number,
  pos: (i: number) => [number, number],
  sink: PositionSink,
): Read<unknown> | undefined {
  const c = text[start];
  let read: Read<unknown> | undefined;
  if (c === '"' || c === "'") read = readQuoted(text, start, end);
  else if (c === "[") read = readFlowSeq(text, start, end, pos, sink);
  else if (c === "{") read = readFlowMap(text, start, end, pos, sink);
  else return readPlainBlock(text, start, end);
  if (!read || !restIsBlank(text, read.end, end)) return undefined;
  return read;
}
