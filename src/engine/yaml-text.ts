/**
 * Pieces every text edit of an access file uses (prune, request, review, hr sync): offsets of lines and
 * of YAML nodes in the text, and cuts (a span of the text replaced) applied to it.
 */
import type { YAMLMap } from "yaml";
import { lineAndColumn } from "../io/json-syntax.ts";
import { parseAccessFile } from "../load/parse.ts";
import { isMap, isScalar, isSeq, yamlLib } from "../load/yaml-lib.ts";

export type Range = [number, number, number];

/** A node's [start, value end, node end] offsets in the text, when it has them. */
export const rangeOf = (node: unknown): Range | undefined => {
  if (typeof node !== "object" || node === null || !("range" in node)) return undefined;
  const range: unknown = node.range;
  if (!Array.isArray(range)) return undefined;
  const [a, b, c] = range as unknown[];
  return typeof a === "number" && typeof b === "number" && typeof c === "number" ? [a, b, c] : undefined;
};

/** A scalar node's value, when it is a string. */
export const stringOf = (node: unknown): string | undefined =>
  isScalar(node) && typeof node.value === "string" ? node.value : undefined;

/** Offset of the start of the line holding `offset`. */
export const lineStart = (text: string, offset: number): number => text.lastIndexOf("\n", offset - 1) + 1;

/** Offset just past the newline ending the line that holds `offset` (or the end of the text). */
export function afterLine(text: string, offset: number): number {
  const newline = text.indexOf("\n", offset);
  return newline < 0 ? text.length : newline + 1;
}

/** `file:line:col` of offset `at` in `text` (1-based), or `file` alone when `at` is undefined. */
export function whereIn(file: string, text: string, at: number | undefined): string {
  if (at === undefined) return file;
  const { line, column } = lineAndColumn(text, at);
  return `${file}:${String(line)}:${String(column)}`;
}

/** Offset of the start of each line. */
export function lineOffsets(text: string): number[] {
  const starts = [0];
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) starts.push(at + 1);
  return starts;
}

/**
 * Where the block list item whose content starts at `itemAt` ends: before the first line after it that is
 * neither blank nor a comment and is indented no further than its dash (at `dashColumn`).
 */
export function itemEnd(text: string, itemAt: number, dashColumn: number): number {
  let end = afterLine(text, itemAt);
  while (end < text.length) {
    const next = afterLine(text, end);
    const line = text.slice(end, next).replace(/\r?\n$/, "");
    const content = line.trimStart();
    if (content !== "" && !content.startsWith("#") && line.length - content.length <= dashColumn) break;
    end = next;
  }
  return end;
}

/** A block list item cut out of a file's text and parsed alone (mappingItemAt). */
export interface ItemAlone {
  /** The item, a mapping, with offsets in `slice`. */
  readonly item: YAMLMap;
  readonly slice: string;
  /** Where `slice` starts in the text. */
  readonly start: number;
}

/**
 * The block list item whose content the loader found at `place` (1-based line and column), cut out of
 * `text` from its line through the last line indented past its dash (itemEnd) and parsed alone with the
 * `yaml` library: when that is a mapping, the slice's only item, parsed without errors; else undefined.
 * Parsing the items to edit alone spares parsing the whole file. `lineStarts`: lineOffsets(text).
 */
export function mappingItemAt(
  text: string,
  lineStarts: readonly number[],
  place: { readonly line: number; readonly column: number },
  options?: Parameters<ReturnType<typeof yamlLib>["parseDocument"]>[1],
): ItemAlone | undefined {
  const start = lineStarts[place.line - 1];
  if (start === undefined) return undefined;
  const itemAt = start + place.column - 1;
  const dash = /^( *)- +$/.exec(text.slice(start, itemAt));
  if (dash === null) return undefined;
  const slice = text.slice(start, itemEnd(text, itemAt, dash[1]?.length ?? 0));
  const doc = yamlLib().parseDocument(slice, options);
  const items = isSeq(doc.contents) ? doc.contents.items : [];
  const item = items[0];
  return doc.errors.length === 0 && items.length === 1 && isMap(item) ? { item, slice, start } : undefined;
}

/** What precedes a block item's content on its line (`      - `), when it is only spaces and a dash. */
export function dashOf(text: string, item: unknown): string | undefined {
  const range = rangeOf(item);
  if (!range) return undefined;
  const prefix = text.slice(lineStart(text, range[0]), range[0]);
  return /^ *- +$/.test(prefix) ? prefix : undefined;
}

/** The file's data as gatehouse's loader reads it, or undefined when it reports an error. */
export function readData(file: string, text: string): unknown {
  const parsed = parseAccessFile(file, new TextEncoder().encode(text));
  if (parsed.diagnostics.some((d) => d.severity === "error")) return undefined;
  return parsed.document?.data;
}

/** The text from `start` to `end` replaced by `insert` (nothing: removed). */
export interface TextCut {
  readonly start: number;
  readonly end: number;
  readonly insert?: string;
}

/**
 * `text` with every cut made. From the end, so each cut's offsets still hold; of two cuts at one place
 * the later-made goes in first, so the inserts stand in the order they were made. Cuts that do not
 * overlap (the usual case) are put together in one pass, in time linear in the text: a file edited in
 * thousands of places (a review opened in each of its groups, or closed) was copied once per cut.
 */
export function applyCuts(text: string, cuts: readonly TextCut[]): string {
  const order = cuts.map((cut, i) => ({ cut, i }));
  order.sort((a, b) => b.cut.start - a.cut.start || b.cut.end - a.cut.end || b.i - a.i);
  const pieces: string[] = [];
  let at = text.length; // what is left to put together is text.slice(0, at)
  for (const { cut } of order) {
    if (cut.end > at || cut.start > cut.end) return applyCutsInTurn(text, order);
    pieces.push(text.slice(cut.end, at), cut.insert ?? "");
    at = cut.start;
  }
  pieces.push(text.slice(0, at));
  return pieces.reverse().join("");
}

/** applyCuts for cuts that overlap: each made on the text the ones after it left. */
function applyCutsInTurn(text: string, order: readonly { readonly cut: TextCut }[]): string {
  let out = text;
  for (const { cut } of order) out = out.slice(0, cut.start) + (cut.insert ?? "") + out.slice(cut.end);
  return out;
}
