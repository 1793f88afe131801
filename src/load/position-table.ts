/**
 * Where the parts of each collection of a document sit, by collection: for a list, [line, column] of
 * each item; for a mapping, [keyLine, keyColumn, valueLine, valueColumn] of each key in insertion
 * order. Lines and columns are 1-based and count UTF-16 code units, like the `yaml` package's
 * LineCounter.
 *
 * All of a document's numbers sit in one flat list, each collection's run starting where `startOf`
 * says, its length given by the collection (2 per item, 4 per key). A cached document stores that list
 * as one Int32Array in a fixed walk over its data (`packed`), and a read gives every collection its
 * start again by the same walk (`unpack`): a v8 read of the Int32Array is a copy, where a table of
 * 200,000 small arrays keyed by the collections took half the time of reading a large organization's
 * cached files.
 */
export class PositionTable {
  readonly #starts: Map<object, number>;
  readonly #places: number[] | Int32Array;
  /** Set when a collection's run was not the length its size calls for: not packed then. */
  #isMisshapen = false;

  constructor(starts = new Map<object, number>(), places: number[] | Int32Array = []) {
    this.#starts = starts;
    this.#places = places;
  }

  /** Records the run of `container` (its entries' positions, in order). Each collection once. */
  set(container: object, run: readonly number[]): void {
    const places = this.#places;
    if (!Array.isArray(places)) throw new Error("a packed position table is read-only");
    if (run.length !== runLength(container)) this.#isMisshapen = true;
    this.#starts.set(container, places.length);
    for (const n of run) places.push(n);
  }

  has(container: object): boolean {
    return this.#starts.has(container);
  }

  /** Where the run of `container` starts in `places`, or -1 when the table does not hold it. */
  startOf(container: object): number {
    return this.#starts.get(container) ?? -1;
  }

  /** The number at `i` of the flat list (line or column), 1 past the end. */
  at(i: number): number {
    return this.#places[i] ?? 1;
  }

  /**
   * The runs of every collection under `data`, in walk order, as one Int32Array; undefined when a
   * collection has no run, one of the wrong length, or is reached twice (such a table cannot be
   * rebuilt from the data alone).
   */
  packed(data: unknown): Int32Array | undefined {
    if (this.#isMisshapen) return undefined;
    const out: number[] = [];
    const seen = new Set<object>();
    const places = this.#places;
    const isWhole = walkCollections(data, (container, length) => {
      const start = this.startOf(container);
      if (start < 0 || seen.has(container)) return false;
      seen.add(container);
      for (let i = start; i < start + length; i++) out.push(places[i] ?? 1);
      return true;
    });
    return isWhole ? Int32Array.from(out) : undefined;
  }

  /** The table `packed` wrote for `data`, or undefined when `places` cannot be its (a foreign entry). */
  static unpack(data: unknown, places: Int32Array): PositionTable | undefined {
    const starts = new Map<object, number>();
    let next = 0;
    const isWhole = walkCollections(data, (container, length) => {
      if (starts.has(container)) return false;
      starts.set(container, next);
      next += length;
      return next <= places.length;
    });
    return isWhole && next === places.length ? new PositionTable(starts, places) : undefined;
  }
}

/** How many numbers a collection's run holds: 2 per item of a list, 4 per key of a mapping. */
function runLength(container: object): number {
  if (Array.isArray(container)) return 2 * container.length;
  let keys = 0;
  for (const key in container) if (Object.hasOwn(container, key)) keys++;
  return 4 * keys;
}

/**
 * Visits every list and mapping under `value`, children before their collection, items and keys in
 * order (for-in order: the order a mapping's run is in). Stops at the first visit that returns false.
 */
function walkCollections(value: unknown, visit: (container: object, length: number) => boolean): boolean {
  if (typeof value !== "object" || value === null) return true;
  if (Array.isArray(value)) {
    const items: readonly unknown[] = value;
    for (const item of items) if (!walkCollections(item, visit)) return false;
  } else {
    const record = value as Readonly<Record<string, unknown>>;
    for (const key in record)
      if (Object.hasOwn(record, key) && !walkCollections(record[key], visit)) return false;
  }
  return visit(value, runLength(value));
}
