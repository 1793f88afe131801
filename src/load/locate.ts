import type { Document, LineCounter, Node, Pair } from "yaml";
import { isMap, isPair, isScalar, isSeq } from "./yaml-lib.ts";
import type { SourceLocation } from "../model/source.ts";

export type PathSegment = string | number;

/** Splits a JSON pointer ("/users/0/email") into segments; numeric segments become indexes. */
export function pointerToPath(pointer: string): PathSegment[] {
  if (pointer === "" || pointer === "/") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

export function pathToPointer(path: readonly PathSegment[]): string {
  return path.map((s) => "/" + String(s).replace(/~/g, "~0").replace(/\//g, "~1")).join("");
}

interface Found {
  readonly node: Node | null;
  readonly pair: Pair | null;
  /** The deepest node reached when the path does not exist to the end. */
  readonly deepest: Node | null;
}

function scalarKey(pair: Pair): unknown {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

function walk(doc: Document, path: readonly PathSegment[]): Found {
  let node: Node | null = doc.contents;
  let pair: Pair | null = null;
  let deepest: Node | null = node;
  for (const seg of path) {
    if (isMap(node)) {
      const hit = node.items.find((p) => String(scalarKey(p)) === String(seg));
      if (!hit) return { node: null, pair: null, deepest };
      pair = hit;
      node = isPair(hit) && hit.value !== null && typeof hit.value === "object" ? (hit.value as Node) : null;
      deepest = node ?? (hit.key as Node | null) ?? deepest;
      if (node === null) return { node: null, pair: hit, deepest };
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg];
      pair = null;
      if (item === undefined || item === null || typeof item !== "object")
        return { node: null, pair: null, deepest };
      node = item as Node;
      deepest = node;
    } else {
      return { node: null, pair: null, deepest };
    }
  }
  return { node, pair, deepest };
}

function position(lineCounter: LineCounter, offset: number): Position {
  const pos = lineCounter.linePos(offset);
  return { line: pos.line, column: pos.col };
}

/** A 1-based line and column. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** Answers "where is this value" for one parsed file, whichever reader parsed it. */
export interface Locator {
  /**
   * Where the value at `path` sits. `at: "key"` points at the key of the last segment (for "unknown
   * property" errors). Falls back to the deepest existing ancestor, then to the start of the file.
   */
  locate(path: readonly PathSegment[], at?: "value" | "key"): Position;
  /** Where every value under `path` sits, keyed by JSON pointer relative to it ("/admins/0"). */
  locateAll(path: readonly PathSegment[], maxDepth: number): Map<string, Position>;
  /**
   * Where child `key` of `container` sits in `file`, `container` being this document's list or
   * mapping at `path`: the same place as `locate(file, locator, [...path, key])`. The fast reader
   * answers from its position table without walking from the root; building the model asks this
   * for every user and member entry.
   */
  locateChild(
    file: string,
    container: object,
    path: readonly PathSegment[],
    key: PathSegment,
  ): SourceLocation;
}

/** A locator over a `yaml` Document and its LineCounter. */
export function yamlLocator(doc: Document, lineCounter: LineCounter): Locator {
  const locator: Locator = {
    locateChild(file, _container, path, key) {
      return locate(file, locator, [...path, key]);
    },
    locate(path, at = "value") {
      const found = walk(doc, path);
      const keyNode = found.pair && isScalar(found.pair.key) ? found.pair.key : null;
      const target: Node | null =
        at === "key" && keyNode ? keyNode : (found.node ?? keyNode ?? found.deepest);
      return position(lineCounter, target?.range?.[0] ?? 0);
    },
    locateAll(path, maxDepth) {
      const out = new Map<string, Position>();
      const visitNode = (node: unknown, pointer: string, depth: number): void => {
        if (depth > maxDepth || node === null || typeof node !== "object") return;
        if (isMap(node)) {
          for (const pair of node.items) {
            const key = scalarKey(pair);
            if (typeof key !== "string" && typeof key !== "number") continue;
            const child = `${pointer}/${String(key).replace(/~/g, "~0").replace(/\//g, "~1")}`;
            const value = pair.value;
            if (isScalar(value) || isMap(value) || isSeq(value)) {
              out.set(child, position(lineCounter, value.range?.[0] ?? 0));
              visitNode(value, child, depth + 1);
            }
          }
        } else if (isSeq(node)) {
          node.items.forEach((item, i) => {
            const child = `${pointer}/${String(i)}`;
            if (isScalar(item) || isMap(item) || isSeq(item)) {
              out.set(child, position(lineCounter, item.range?.[0] ?? 0));
              visitNode(item, child, depth + 1);
            }
          });
        }
      };
      visitNode(walk(doc, path).node, "", 0);
      return out;
    },
  };
  return locator;
}

/** Where a value sits in its file (see Locator.locate). */
export function locate(
  file: string,
  locator: Locator,
  path: readonly PathSegment[],
  at: "value" | "key" = "value",
): SourceLocation {
  const { line, column } = locator.locate(path, at);
  return { file, line, column };
}

/**
 * Where every value under `path` sits, keyed by JSON pointer relative to it ("/admins/0"). Bounded
 * in depth: only small, schema-shaped subtrees (the policy) are collected.
 */
export function locateAll(
  file: string,
  locator: Locator,
  path: readonly PathSegment[],
  maxDepth = 8,
): Map<string, SourceLocation> {
  const out = new Map<string, SourceLocation>();
  for (const [pointer, { line, column }] of locator.locateAll(path, maxDepth))
    out.set(pointer, { file, line, column });
  return out;
}
