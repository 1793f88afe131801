import type { FastDocument } from "./fast-yaml.ts";
import { locate, type Locator, type PathSegment, type Position } from "./locate.ts";
import type { PositionTable } from "./position-table.ts";
import { isRecord } from "../model/json.ts";

/** The position at `at` of a collection's run starting at `start` (-1: a collection without one). */
function pair(positions: PositionTable, start: number, at: number): Position {
  return start < 0
    ? { line: 1, column: 1 }
    : { line: positions.at(start + at), column: positions.at(start + at + 1) };
}

/**
 * Positions for a document read by the fast reader, answering exactly as `yamlLocator` does for the
 * same text: the same walk, the same fallbacks to the key and to the deepest node found.
 */
export function fastLocator(document: FastDocument): Locator {
  const { data, positions } = document;
  const rootPosition: Position = { line: document.line, column: document.column };

  /** Index of `key` among the object's keys in insertion order (the table's order), or -1. */
  const keyIndex = (node: Readonly<Record<string, unknown>>, key: string): number => {
    let i = 0;
    for (const k in node) {
      if (k === key) return i;
      i++;
    }
    return -1;
  };

  // Positions are kept as (list, offset) pairs and turned into objects only at the end: locate runs
  // for every user and member entry of a large organization.
  const walk = (
    path: readonly PathSegment[],
  ): { node: unknown; nodeAt: Position | null; keyAt: Position | null; deepest: Position } => {
    let node: unknown = data;
    let nodeStart = -1;
    let nodeOffset = -1; // -1: the root
    let keyStart = -1;
    let keyOffset = -1; // -1: no key
    const here = (): Position => (nodeOffset < 0 ? rootPosition : pair(positions, nodeStart, nodeOffset));
    const miss = () => ({ node: undefined, nodeAt: null, keyAt: null, deepest: here() });
    for (const seg of path) {
      if (isRecord(node)) {
        const key = String(seg);
        const index = keyIndex(node, key);
        if (index < 0) return miss();
        const start = positions.startOf(node);
        keyStart = start;
        keyOffset = 4 * index;
        nodeStart = start;
        nodeOffset = 4 * index + 2;
        node = node[key];
      } else if (Array.isArray(node) && typeof seg === "number") {
        const items: readonly unknown[] = node;
        if (seg >= items.length) return miss();
        keyOffset = -1;
        nodeStart = positions.startOf(items);
        nodeOffset = 2 * seg;
        node = items[seg];
      } else {
        return miss();
      }
    }
    const nodeAt = here();
    return {
      node,
      nodeAt,
      keyAt: keyOffset < 0 ? null : pair(positions, keyStart, keyOffset),
      deepest: nodeAt,
    };
  };

  /** Where child `key` of `container` sits in its table (list: 2 × index; mapping: the value pair), or -1. */
  const childOffset = (container: object, key: PathSegment): number => {
    if (Array.isArray(container)) {
      const inRange = typeof key === "number" && Number.isInteger(key) && key >= 0 && key < container.length;
      return inRange ? 2 * key : -1;
    }
    if (!isRecord(container)) return -1;
    const index = keyIndex(container, String(key));
    return index < 0 ? -1 : 4 * index + 2;
  };

  // The run of the container asked about last: the entries of one list come one after another.
  let lastContainer: object | undefined;
  let lastStart = -1;

  const locator: Locator = {
    locateChild(file, container, path, key) {
      if (container !== lastContainer) {
        lastContainer = container;
        lastStart = positions.startOf(container);
      }
      const start = lastStart;
      const at = start < 0 ? -1 : childOffset(container, key);
      // Anything the table cannot answer directly (a missing child) takes the walk from the root.
      if (start < 0 || at < 0) return locate(file, locator, [...path, key]);
      return { file, line: positions.at(start + at), column: positions.at(start + at + 1) };
    },
    locate(path, at = "value") {
      const found = walk(path);
      if (at === "key" && found.keyAt) return found.keyAt;
      return found.nodeAt ?? found.keyAt ?? found.deepest;
    },
    locateAll(path, maxDepth) {
      const out = new Map<string, Position>();
      const visit = (node: unknown, pointer: string, depth: number): void => {
        if (depth > maxDepth || typeof node !== "object" || node === null) return;
        const start = positions.startOf(node);
        if (Array.isArray(node)) {
          const items: readonly unknown[] = node;
          items.forEach((item, i) => {
            const child = `${pointer}/${String(i)}`;
            out.set(child, pair(positions, start, 2 * i));
            visit(item, child, depth + 1);
          });
        } else if (isRecord(node)) {
          Object.keys(node).forEach((key, i) => {
            const child = `${pointer}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
            out.set(child, pair(positions, start, 4 * i + 2));
            visit(node[key], child, depth + 1);
          });
        }
      };
      const found = walk(path);
      if (found.nodeAt) visit(found.node, "", 0);
      return out;
    },
  };
  return locator;
}
