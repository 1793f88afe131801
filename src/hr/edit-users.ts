/**
 * Edits a users file as text, as prune does: only the values a sync changes, the keys it adds or
 * removes and the entries it appends are touched; comments, order and layout of everything else stay
 * byte for byte. The edit is checked: the file must parse to exactly what it did, with those changes.
 */
import { isDeepStrictEqual } from "node:util";
import { isMap, isScalar, isSeq, parse, parseDocument, stringify, type Pair, type YAMLMap } from "yaml";
import { isObj } from "../load/read-data.ts";
import {
  afterLine,
  applyCuts,
  lineOffsets,
  lineStart,
  mappingItemAt,
  rangeOf,
  readData,
} from "../engine/yaml-text.ts";
import { ENTRY_ORDER } from "./sync-types.ts";

/** What changes in one user entry: keys set (added where absent) and keys removed. */
export interface EntryEdit {
  readonly set: ReadonlyMap<string, string>;
  readonly remove: ReadonlySet<string>;
}

/** A new entry's keys and values, in order. */
export type NewEntry = readonly (readonly [string, string])[];

export type EditResult = { readonly text: string } | { readonly problem: string };

interface Cut {
  readonly start: number;
  readonly end: number;
  readonly insert: string;
}

/** A value as YAML text: plain where that reads back as the same string, else double-quoted. */
export function formatValue(key: string, value: string, isFlow: boolean): string {
  // Employee numbers are quoted as the access files document it: 01024 must stay a string.
  if (key === "employeeNumber") return JSON.stringify(value);
  const text = stringify(value, { lineWidth: 0 }).trimEnd();
  if (text.includes("\n") || (isFlow && /[,[\]{}#]/.test(text) && !/^["']/.test(text)))
    return JSON.stringify(value);
  return text;
}

const keyOf = (pair: Pair): string | undefined =>
  isScalar(pair.key) && typeof pair.key.value === "string" ? pair.key.value : undefined;

/** The cuts that make `edit` in one entry (a block or flow mapping), or why it cannot be done. */
function entryCuts(text: string, entry: YAMLMap, edit: EntryEdit): Cut[] | string {
  const cuts: Cut[] = [];
  const isFlow = entry.flow === true;
  const pairs = entry.items;
  const keyStart = (p: Pair): number => rangeOf(p.key)?.[0] ?? -1;
  const valueEnd = (p: Pair): number => rangeOf(p.value)?.[1] ?? -1;
  for (const [i, pair] of pairs.entries()) {
    const key = keyOf(pair);
    if (key === undefined) continue;
    if (edit.set.has(key)) {
      const range = rangeOf(pair.value);
      if (
        !isScalar(pair.value) ||
        !range ||
        pair.value.type === "BLOCK_LITERAL" ||
        pair.value.type === "BLOCK_FOLDED"
      )
        return `${key} is not a one-line value`;
      cuts.push({
        start: range[0],
        end: range[1],
        insert: formatValue(key, edit.set.get(key) ?? "", isFlow),
      });
    } else if (edit.remove.has(key)) {
      if (isFlow) {
        const prev = pairs[i - 1];
        const next = pairs[i + 1];
        const [start, end] = prev
          ? [valueEnd(prev), valueEnd(pair)]
          : next
            ? [keyStart(pair), keyStart(next)]
            : [-1, -1];
        if (start < 0 || end < 0 || text.slice(start, end).includes("#"))
          return `${key} cannot be cut out of its {...} entry`;
        cuts.push({ start, end, insert: "" });
      } else {
        const start = lineStart(text, keyStart(pair));
        if (!/^[ ]*$/.test(text.slice(start, keyStart(pair))))
          return `${key} shares its line with another key`;
        cuts.push({ start, end: afterLine(text, Math.max(keyStart(pair), valueEnd(pair) - 1)), insert: "" });
      }
    }
  }
  // Keys to add go after the nearest key before them in the entry order that stays.
  const present = new Map(
    pairs.flatMap((p) => {
      const k = keyOf(p);
      return k === undefined || edit.remove.has(k) ? [] : [[k, p] as const];
    }),
  );
  const added = new Map<Pair, string[]>();
  for (const key of ENTRY_ORDER) {
    const value = edit.set.get(key);
    if (value === undefined || present.has(key)) continue;
    const before = ENTRY_ORDER.slice(0, ENTRY_ORDER.indexOf(key))
      .reverse()
      .map((k) => present.get(k))
      .find((p) => p !== undefined);
    const anchor = before ?? pairs[0];
    if (anchor === undefined) return "the entry is empty";
    const list = added.get(anchor) ?? [];
    list.push(`${key}: ${formatValue(key, value, isFlow)}`);
    added.set(anchor, list);
  }
  for (const [anchor, lines] of added) {
    const start = keyStart(anchor);
    const end = valueEnd(anchor);
    if (start < 0 || end < 0) return "an entry's layout is one hr sync does not edit";
    if (isFlow) {
      cuts.push({ start: end, end, insert: lines.map((l) => `, ${l}`).join("") });
      continue;
    }
    const at = afterLine(text, Math.max(start, end - 1));
    const indent = " ".repeat(start - lineStart(text, start));
    const lead = at === text.length && !text.endsWith("\n") ? "\n" : "";
    cuts.push({ start: at, end: at, insert: lead + lines.map((l) => `${indent}${l}\n`).join("") });
  }
  return cuts;
}

/** New entries as block list items: `- ` at `dash` spaces, keys below the first one. */
function renderEntries(entries: readonly NewEntry[], dash: number, isFirstBlank: boolean): string {
  const pad = " ".repeat(dash);
  return entries
    .map((entry, i) => {
      const lines = entry.map(
        ([k, v], j) => `${j === 0 ? `${pad}- ` : `${pad}  `}${k}: ${formatValue(k, v, false)}\n`,
      );
      return (i > 0 || isFirstBlank ? "\n" : "") + lines.join("");
    })
    .join("");
}

/** The cut that appends `entries` to the file's users list (made when there is none). */
function appendCut(text: string, root: unknown, entries: readonly NewEntry[]): Cut | string {
  const end = text.length;
  const lead = text === "" || text.endsWith("\n") ? "" : "\n";
  if (root === null || root === undefined)
    return { start: end, end, insert: `${lead}users:\n${renderEntries(entries, 2, false)}` };
  if (!isMap(root)) return "the file is not a mapping";
  const users: unknown = root.get("users", true);
  if (users === undefined)
    return {
      start: end,
      end,
      insert: `${lead}${root.flow === true ? "" : "\n"}users:\n${renderEntries(entries, 2, false)}`,
    };
  if (!isSeq(users)) return "its users key is not a list";
  const range = rangeOf(users);
  if (users.flow === true) {
    // `users: []` becomes a block list, from just after the colon.
    const pair = root.items.find((p) => keyOf(p) === "users");
    const keyEnd = rangeOf(pair?.key)?.[1];
    const colon = keyEnd === undefined ? -1 : text.indexOf(":", keyEnd);
    if (users.items.length > 0 || !range || colon < 0) return "its users list is written [ ... ]";
    return {
      start: colon + 1,
      end: range[1],
      insert: `\n${renderEntries(entries, 2, false).replace(/\n$/, "")}`,
    };
  }
  const last = rangeOf(users.items.at(-1));
  if (!last) return "its users list is laid out in a way hr sync does not edit";
  const start = lineStart(text, last[0]);
  const dash = /^( *)- +$/.exec(text.slice(start, last[0]));
  if (dash === null) return "its last entry does not start with '- ' on its own line";
  const at = afterLine(text, Math.max(last[0], last[1] - 1));
  const insert = renderEntries(entries, dash[1]?.length ?? 0, true);
  return { start: at, end: at, insert: (at === end && lead !== "" ? "\n" : "") + insert };
}

/**
 * The data of a users file's text: as gatehouse's loader reads it (many times faster than the yaml
 * library's parse: a sync touching every users file of 100k people read them all twice that way), or,
 * where the loader refuses it (a file of comments only, a new joiners file), as the yaml library does.
 */
function readText(text: string): unknown {
  return readData("users.yaml", text) ?? parse(text);
}

/**
 * `text` with the entries in `edits` (by user id) changed and `appended` added at the end of its users
 * list, or why it cannot be edited safely.
 */
export function editUsersText(
  text: string,
  edits: ReadonlyMap<string, EntryEdit>,
  appended: readonly NewEntry[] = [],
  entries?: ReadonlyMap<string, EntryPlace>,
): EditResult {
  if (entries !== undefined && appended.length === 0 && edits.size > 0) {
    const edited = editEntriesAt(text, edits, entries);
    if (edited !== undefined) return edited;
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return { problem: "it does not parse" };
  const expected: unknown = text.trim() === "" ? {} : readText(text);
  if (!isObj(expected) && expected !== null) return { problem: "the file is not a mapping" };
  const data: Record<string, unknown> = isObj(expected) ? { ...expected } : {};
  const expectedUsers: unknown[] = Array.isArray(data["users"]) ? [...(data["users"] as unknown[])] : [];
  const cuts: Cut[] = [];
  const found = new Set<string>();
  const users: unknown = isMap(doc.contents) ? doc.contents.get("users", true) : undefined;
  if (edits.size > 0 && isSeq(users))
    for (const [i, item] of users.items.entries()) {
      if (!isMap(item)) continue;
      const id: unknown = item.get("id");
      const edit = typeof id === "string" ? edits.get(id) : undefined;
      if (edit === undefined || typeof id !== "string") continue;
      const made = entryCuts(text, item, edit);
      if (typeof made === "string") return { problem: `user ${id}: ${made}` };
      cuts.push(...made);
      found.add(id);
      const before = expectedUsers[i];
      const kept = Object.entries(isObj(before) ? before : {}).filter(([key]) => !edit.remove.has(key));
      expectedUsers[i] = Object.fromEntries([...kept, ...edit.set]);
    }
  const missing = [...edits.keys()].filter((id) => !found.has(id));
  if (missing.length > 0) return { problem: `user ${missing.join(", ")} is not where the files say` };
  if (appended.length > 0) {
    const cut = appendCut(text, doc.contents, appended);
    if (typeof cut === "string") return { problem: cut };
    cuts.push(cut);
    for (const entry of appended) expectedUsers.push(Object.fromEntries(entry));
  }
  if (expectedUsers.length > 0 || "users" in data) data["users"] = expectedUsers;
  // Of two inserts at one place, the one made first stands first (applyCuts): a key added to the last
  // entry, then the appended entries.
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const out = applyCuts(
    text,
    cuts.map((cut) => ({ ...cut, insert: cut.insert.replace(/\n/g, eol) })),
  );
  let actual: unknown;
  try {
    actual = readText(out);
  } catch {
    return { problem: "the edited file would not parse" };
  }
  if (!isDeepStrictEqual(actual, data)) return { problem: "the edited file would not say what was intended" };
  return { text: out };
}

/** Where a user's entry is: the 1-based line and column of its mapping, as the loader recorded it. */
export interface EntryPlace {
  readonly line: number;
  readonly column: number;
}

/**
 * editUsersText without parsing the whole file as a YAML document (the most costly part of a sync
 * touching every users file: ~10 s at 100k people): each entry to edit is cut out of the text at the
 * place the loader found it, through the last line indented past its dash, and parsed alone; the edited
 * file is then read whole by gatehouse's loader and must say exactly what was intended. Undefined where
 * an entry is not where it was said to be, is not a block list item, or anything else is not as expected:
 * the whole file is then parsed (and a problem found there is said).
 */
function editEntriesAt(
  text: string,
  edits: ReadonlyMap<string, EntryEdit>,
  entries: ReadonlyMap<string, EntryPlace>,
): EditResult | undefined {
  const before = readData("users.yaml", text);
  const listed = isObj(before) ? before["users"] : undefined;
  if (!isObj(before) || !Array.isArray(listed)) return undefined;
  const expectedUsers: unknown[] = [...(listed as unknown[])];
  const index = new Map<string, number>(); // -1: the id is there more than once
  expectedUsers.forEach((user, i) => {
    const id = isObj(user) ? user["id"] : undefined;
    if (typeof id === "string") index.set(id, index.has(id) ? -1 : i);
  });
  const lineStarts = lineOffsets(text);
  const cuts: Cut[] = [];
  for (const [id, edit] of edits) {
    const place = entries.get(id);
    const i = index.get(id);
    if (place === undefined || i === undefined || i < 0) return undefined;
    const alone = mappingItemAt(text, lineStarts, place);
    if (alone?.item.get("id") !== id) return undefined;
    const { slice, start } = alone;
    const made = entryCuts(slice, alone.item, edit);
    if (typeof made === "string") return undefined;
    for (const cut of made) cuts.push({ ...cut, start: cut.start + start, end: cut.end + start });
    const was = expectedUsers[i];
    const kept = Object.entries(isObj(was) ? was : {}).filter(([key]) => !edit.remove.has(key));
    expectedUsers[i] = Object.fromEntries([...kept, ...edit.set]);
  }
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const out = applyCuts(
    text,
    cuts.map((cut) => ({ ...cut, insert: cut.insert.replace(/\n/g, eol) })),
  );
  const actual = readData("users.yaml", out);
  return actual !== undefined && isDeepStrictEqual(actual, { ...before, users: expectedUsers })
    ? { text: out }
    : undefined;
}
