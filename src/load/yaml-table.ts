import type { Document, LineCounter, Node } from "yaml";
import { isMap, isScalar, isSeq, yamlLib } from "./yaml-lib.ts";
import { isRecord } from "../model/json.ts";
import type { FastDocument } from "./fast-yaml.ts";
import { PositionTable } from "./position-table.ts";

/**
 * The position table of a document the `yaml` package read (flow collections over several lines, CRLF
 * line ends, block scalars, quoted keys...), in the fast reader's form, so such files can be cached
 * too. Built so that `fastLocator` over it answers every `locate` exactly as `yamlLocator` does:
 * a mapping's entry holds the key's position and the value's, a list's entry the item's (the list's own
 * when the item is empty), in the data's key order.
 *
 * Undefined, and the file simply not cached, for what a table cannot mirror: aliases (one object
 * reached from two places), keys that are not scalars, and data that is not plain objects and arrays.
 */
export function yamlPositionTable(
  doc: Document,
  lineCounter: LineCounter,
  data: unknown,
): FastDocument | undefined {
  const seen = { alias: false };
  const { visit } = yamlLib();
  visit(doc, {
    Alias() {
      seen.alias = true;
      return visit.BREAK;
    },
  });
  if (seen.alias) return undefined;
  const root = doc.contents;
  if (root === null) return undefined;
  const where = (node: Node, line: number[]): void => {
    const pos = lineCounter.linePos(node.range?.[0] ?? 0);
    line.push(pos.line, pos.col);
  };
  const positions = new PositionTable();
  const fill = (node: Node, value: unknown): boolean => {
    if (isMap(node)) {
      if (!isRecord(value) || positions.has(value)) return false;
      const byKey = new Map<string, { key: Node; value: Node }>();
      for (const pair of node.items) {
        // What the yaml locator treats otherwise: keys that are not strings or numbers (its locateAll
        // skips them), pairs without a value node (`? key`, `{a, b: 1}`: skipped too), and keys that
        // read the same as text (`1` and "1": it finds the first, a table holds one).
        if (!isScalar(pair.key)) return false;
        const keyValue = pair.key.value;
        if (typeof keyValue !== "string" && typeof keyValue !== "number") return false;
        const child = pair.value;
        if (!isScalar(child) && !isMap(child) && !isSeq(child)) return false;
        const key = String(keyValue);
        if (byKey.has(key)) return false;
        byKey.set(key, { key: pair.key, value: child });
      }
      const list: number[] = [];
      for (const key in value) {
        const pair = byKey.get(key);
        if (pair === undefined) return false;
        where(pair.key, list);
        where(pair.value, list);
        if (!fill(pair.value, value[key])) return false;
      }
      if (list.length !== 4 * byKey.size) return false;
      positions.set(value, list);
      return true;
    }
    if (isSeq(node)) {
      if (!Array.isArray(value) || positions.has(value) || value.length !== node.items.length) return false;
      const items: readonly unknown[] = value;
      const list: number[] = [];
      for (let i = 0; i < node.items.length; i++) {
        const item = node.items[i];
        if (isScalar(item) || isMap(item) || isSeq(item)) {
          where(item, list);
          if (!fill(item, items[i])) return false;
        } else if (item === null || item === undefined) where(node, list);
        else return false;
      }
      positions.set(value, list);
      return true;
    }
    // A scalar: nothing below it. Anything that became an object (a !!set, a !!binary...) is refused.
    return isScalar(node) && (value === null || typeof value !== "object");
  };
  if (!fill(root, data)) return undefined;
  const at = lineCounter.linePos(root.range?.[0] ?? 0);
  return { data, positions, line: at.line, column: at.col };
}
