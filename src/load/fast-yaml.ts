import { indexOn, isPlainKey, readInlineValue } from "./fast-scalars.ts";
import { PositionTable } from "./position-table.ts";

export { PositionTable } from "./position-table.ts";

export interface FastDocument {
  readonly data: unknown;
  /** Where the top-level collection starts. */
  readonly line: number;
  readonly column: number;
  readonly positions: PositionTable;
}

/** Anything the fast reader does not handle: tabs, CR, control and special characters, BOMs inside. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSUPPORTED = /[\t\r\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/;

/**
 * Block nesting past this goes to the full parser, whose pre-scan refuses deep files the same way on
 * every thread. Without a bound, whether a deep file overflowed the stack here depended on the thread's
 * stack size (worker threads have a larger one than the main thread). Real access files nest < 10.
 */
export const MAX_FAST_DEPTH = 64;

const FAIL = Symbol("fail");
interface Node {
  readonly value: unknown;
  readonly line: number;
  readonly column: number;
}

/**
 * Reads the block-YAML subset that people and generators write (block mappings and lists, plain and
 * simply quoted strings, one-line flow lists and mappings, comments) straight into plain data with
 * positions, without building a syntax tree. Returns undefined for anything else, including every
 * input the `yaml` package would warn about or reject, so the caller can fall back to it.
 */
export function readPlainYaml(text: string): FastDocument | undefined {
  if (UNSUPPORTED.test(text)) return undefined;
  const starts: number[] = []; // first non-space character of each significant line
  const ends: number[] = [];
  const indents: number[] = [];
  const lineStarts: number[] = [];
  const lineNumbers: number[] = [];
  for (let s = 0, line = 1; s <= text.length; line++) {
    let e = text.indexOf("\n", s);
    if (e < 0) e = text.length;
    let i = s;
    while (i < e && text.charCodeAt(i) === 0x20) i++;
    if (i < e && text.charCodeAt(i) !== 0x23) {
      // Document markers and directives: multi-document files and the like go to the full parser.
      if (i === s && (text.startsWith("---", s) || text.startsWith("...", s) || text[s] === "%"))
        return undefined;
      starts.push(i);
      ends.push(e);
      indents.push(i - s);
      lineStarts.push(s);
      lineNumbers.push(line);
    }
    s = e + 1;
  }
  const count = starts.length;
  if (count === 0) return undefined;
  const positions = new PositionTable();
  const sink = (container: object, list: number[]): void => {
    positions.set(container, list);
  };
  let k = 0;
  let current = 0;
  const pos = (i: number): [number, number] => [
    lineNumbers[current] ?? 0,
    i - (lineStarts[current] ?? 0) + 1,
  ];
  const at = (n: number): number => indents[n] ?? -1;
  const startOf = (n: number): number => starts[n] ?? 0;
  const endOf = (n: number): number => ends[n] ?? 0;
  const isSeqLine = (n: number): boolean => {
    const st = startOf(n);
    return text[st] === "-" && (st + 1 === endOf(n) || text[st + 1] === " ");
  };
  /** The colon ending a plain key at `from`, or -1 when the rest of the line is not `key:` / `key: …`. */
  const keyColon = (from: number, end: number): number => {
    const colon = indexOn(text, 0x3a, from, end);
    if (colon < 0 || (colon + 1 < end && text[colon + 1] !== " ")) return -1;
    return isPlainKey(text.slice(from, colon)) ? colon : -1;
  };
  const skip = (i: number, end: number): number => {
    while (i < end && text.charCodeAt(i) === 0x20) i++;
    return i;
  };
  const inline = (start: number, end: number): Node | typeof FAIL => {
    current = k;
    const read = readInlineValue(text, start, end, pos, sink);
    if (!read) return FAIL;
    const [line, column] = pos(start);
    k++;
    return { value: read.value, line, column };
  };

  const block = (): Node | typeof FAIL => {
    current = k;
    const [line, column] = pos(startOf(k));
    const value = isSeqLine(k) ? seq(at(k)) : map(at(k));
    return value === FAIL ? FAIL : { value, line, column };
  };

  /** Block collections open around the one being read (map and seq also call each other directly). */
  let depth = 0;

  const map = (n: number): Record<string, unknown> | typeof FAIL => {
    if (depth >= MAX_FAST_DEPTH) return FAIL;
    depth++;
    const value = readMap(n);
    depth--;
    return value;
  };
  const readMap = (n: number): Record<string, unknown> | typeof FAIL => {
    const out: Record<string, unknown> = {};
    const list: number[] = [];
    while (k < count && at(k) === n) {
      const st = startOf(k);
      const end = endOf(k);
      const colon = keyColon(st, end);
      if (colon < 0) break; // not a key: the enclosing list (or nobody) decides
      const key = text.slice(st, colon);
      if (Object.hasOwn(out, key)) return FAIL; // duplicate keys are reported by the full parser
      current = k;
      const [keyLine, keyColumn] = pos(st);
      const vs = skip(colon + 1, end);
      let node: Node | typeof FAIL;
      if (vs === end || (text[vs] === "#" && vs > colon + 1)) {
        k++;
        if (k < count && at(k) > n) node = block();
        else if (k < count && at(k) === n && isSeqLine(k)) {
          current = k;
          const [line, column] = pos(startOf(k));
          const value = seq(n);
          node = value === FAIL ? FAIL : { value, line, column };
        } else return FAIL; // an empty value is null: left to the full parser
      } else {
        node = inline(vs, end);
        if (node !== FAIL && k < count && at(k) > n) return FAIL; // a continuation line
      }
      if (node === FAIL) return FAIL;
      out[key] = node.value;
      list.push(keyLine, keyColumn, node.line, node.column);
    }
    if (k < count && at(k) > n) return FAIL;
    positions.set(out, list);
    return out;
  };

  const seq = (n: number): unknown[] | typeof FAIL => {
    if (depth >= MAX_FAST_DEPTH) return FAIL;
    depth++;
    const value = readSeq(n);
    depth--;
    return value;
  };
  const readSeq = (n: number): unknown[] | typeof FAIL => {
    const out: unknown[] = [];
    const list: number[] = [];
    while (k < count && at(k) === n && isSeqLine(k)) {
      const end = endOf(k);
      const vs = skip(startOf(k) + 1, end);
      if (vs === end || text[vs] === "#") return FAIL; // an item on the following lines
      if (text[vs] === "-" && (vs + 1 === end || text[vs + 1] === " ")) return FAIL; // "- - x"
      let node: Node | typeof FAIL;
      if (keyColon(vs, end) >= 0) {
        // "- key: value": a mapping whose indentation is the key's column.
        current = k;
        const [line, column] = pos(vs);
        starts[k] = vs;
        indents[k] = vs - (lineStarts[k] ?? 0);
        const value = map(vs - (lineStarts[k] ?? 0));
        node = value === FAIL ? FAIL : { value, line, column };
      } else {
        node = inline(vs, end);
        if (node !== FAIL && k < count && at(k) > n) return FAIL;
      }
      if (node === FAIL) return FAIL;
      out.push(node.value);
      list.push(node.line, node.column);
    }
    if (k < count && at(k) > n) return FAIL;
    positions.set(out, list);
    return out;
  };

  const root = block();
  if (root === FAIL || k !== count) return undefined;
  return { data: root.value, line: root.line, column: root.column, positions };
}
