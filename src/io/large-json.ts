/**
 * Reads a JSON object too large for one string (V8 strings stop at about 512 MB; the saved plan of an
 * organization's first import is larger): the top-level values are cut out of the bytes and each is
 * parsed with JSON.parse, a list one item at a time. Only the cutting is done here, by a scan that
 * follows strings and nesting; every value is parsed by JSON.parse, so what is accepted is JSON.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_LIST = 0x5b;
const CLOSE_LIST = 0x5d;

/** JSON's whitespace: space, line feed, carriage return, tab. */
const isSpace = (c: number | undefined): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

class Cutter {
  readonly #bytes: Uint8Array;
  readonly #decoder = new TextDecoder("utf-8", { fatal: true });
  at = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  fail(what: string): never {
    throw new SyntaxError(`${what} at byte ${String(this.at)}`);
  }

  /** The byte at the next non-space position (the position moves there), or -1 at the end. */
  peek(): number {
    const b = this.#bytes;
    while (this.at < b.length) {
      const c = b[this.at] ?? 0;
      if (!isSpace(c)) return c;
      this.at++;
    }
    return -1;
  }

  expect(byte: number, what: string): void {
    if (this.peek() !== byte) this.fail(`expected ${what}`);
    this.at++;
  }

  /** Where the string starting at `start` (its opening quote) ends, after its closing quote. */
  #endOfString(start: number): number {
    const b = this.#bytes;
    for (let i = start + 1; i < b.length; i++) {
      const c = b[i];
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) return i + 1;
    }
    this.at = start;
    return this.fail("unterminated string");
  }

  /** Where the value starting at the current position ends; objects and lists are followed to their close. */
  #endOfValue(): number {
    const b = this.#bytes;
    const start = this.at;
    const first = b[start];
    if (first === QUOTE) return this.#endOfString(start);
    if (first !== OPEN_OBJECT && first !== OPEN_LIST) {
      let i = start;
      while (i < b.length) {
        const c = b[i];
        if (c === COMMA || c === CLOSE_LIST || c === CLOSE_OBJECT || isSpace(c)) break;
        i++;
      }
      if (i === start) this.fail("expected a value");
      return i;
    }
    let depth = 0;
    for (let i = start; i < b.length; i++) {
      const c = b[i];
      if (c === QUOTE) i = this.#endOfString(i) - 1;
      else if (c === OPEN_OBJECT || c === OPEN_LIST) depth++;
      else if (c === CLOSE_OBJECT || c === CLOSE_LIST) {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return this.fail("unterminated value");
  }

  /** The next value, parsed. */
  value(): unknown {
    this.peek();
    const start = this.at;
    const end = this.#endOfValue();
    this.at = end;
    return JSON.parse(this.#decoder.decode(this.#bytes.subarray(start, end)));
  }

  /** The next value, a list parsed item by item (each item whole); any other value parsed whole. */
  listOrValue(): unknown {
    if (this.peek() !== OPEN_LIST) return this.value();
    this.at++;
    const items: unknown[] = [];
    if (this.peek() === CLOSE_LIST) {
      this.at++;
      return items;
    }
    for (;;) {
      items.push(this.value());
      const next = this.peek();
      this.at++;
      if (next === CLOSE_LIST) return items;
      if (next !== COMMA) this.fail("expected , or ] in a list");
    }
  }
}

/** The JSON object in `bytes` (UTF-8), its lists parsed an item at a time. Throws SyntaxError. */
export function parseLargeJsonObject(bytes: Uint8Array): Record<string, unknown> {
  const cut: Cutter = new Cutter(bytes);
  cut.expect(OPEN_OBJECT, "{");
  const entries: [string, unknown][] = [];
  if (cut.peek() === CLOSE_OBJECT) cut.at++;
  else
    for (;;) {
      if (cut.peek() !== QUOTE) cut.fail("expected a key");
      const key = cut.value();
      if (typeof key !== "string") cut.fail("expected a key");
      cut.expect(COLON, ":");
      entries.push([key, cut.listOrValue()]);
      const next = cut.peek();
      cut.at++;
      if (next === CLOSE_OBJECT) break;
      if (next !== COMMA) cut.fail("expected , or } in an object");
    }
  if (cut.peek() !== -1) cut.fail("unexpected text after the object");
  // Keys are defined, never assigned: a "__proto__" key stays an ordinary property.
  return Object.fromEntries(entries);
}
