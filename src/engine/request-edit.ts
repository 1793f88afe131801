/**
 * Writes one member entry into a group's `members` list for `gatehouse request`. The file is edited as
 * text, in the file's own style (the indentation of the list's items, block or flow), so comments,
 * order and layout of everything else stay as they were; and the edit is checked: the edited text must
 * read (through the project's loader) as exactly the old data with that one entry written, or nothing
 * is returned but the reason.
 */
import type { Pair, Scalar, YAMLMap, YAMLSeq } from "yaml";
import { isMap, isScalar, isSeq, yamlLib } from "../load/yaml-lib.ts";
import { isRecord } from "../model/json.ts";
import { blockEntry, flowEntry, yamlScalar, type MemberLine } from "./member-yaml.ts";
import { afterLine, applyCuts, dashOf, lineStart, rangeOf, readData, stringOf } from "./yaml-text.ts";

export type { MemberLine } from "./member-yaml.ts";

/** What to write: a new entry, or a change to the user's grant that is there (found by its until). */
export type MemberEdit =
  | { readonly kind: "add"; readonly entry: MemberLine }
  /** The grant gets a later until (and, when given, a new reason; else it keeps its own). */
  | {
      readonly kind: "extend";
      readonly user: string;
      readonly from: string;
      readonly until: string;
      readonly reason?: string;
    }
  /** The grant becomes a lasting member line. */
  | { readonly kind: "make-lasting"; readonly user: string; readonly from: string };

export type EditResult = { readonly text: string; readonly line: number } | { readonly problem: string };

const lineAt = (text: string, offset: number): number => text.slice(0, offset).split("\n").length;

interface Found {
  readonly groupIndex: number;
  readonly pair: Pair;
  readonly members: YAMLSeq;
}

function findMembers(groupName: string, groups: YAMLSeq): Found | { problem: string } {
  const hits: { index: number; node: YAMLMap }[] = [];
  groups.items.forEach((node, index) => {
    if (isMap(node) && stringOf(node.get("name", true)) === groupName) hits.push({ index, node });
  });
  const [hit] = hits;
  if (hit === undefined || hits.length > 1)
    return { problem: `group "${groupName}" is not defined exactly once in the file` };
  const pair = hit.node.items.find((p) => stringOf(p.key) === "members");
  if (pair === undefined)
    return {
      problem:
        `group "${groupName}" has no members list: its membership is not managed by the files, and adding ` +
        "one would make gatehouse remove every member the list does not name; add `members:` by hand if that is meant",
    };
  if (!isSeq(pair.value)) return { problem: `the members of "${groupName}" are not a list` };
  if (!rangeOf(pair.value)) return { problem: "the members list has no position in the file" };
  return { groupIndex: hit.index, pair, members: pair.value };
}

/** Where other groups of the file put their block items: the dash's offset from the `members` key. */
function blockOffsetInFile(text: string, groups: YAMLSeq): number | "flow" {
  let sawFlow = false;
  for (const node of groups.items) {
    if (!isMap(node)) continue;
    const pair = node.items.find((p) => stringOf(p.key) === "members");
    const value: unknown = pair?.value;
    if (!pair || !isSeq(value) || value.items.length === 0) continue;
    if (value.flow === true) {
      sawFlow = true;
      continue;
    }
    const dash = dashOf(text, value.items[0]);
    const key = rangeOf(pair.key);
    if (dash === undefined || !key) continue;
    const keyColumn = key[0] - lineStart(text, key[0]);
    const dashColumn = dash.indexOf("-");
    if (dashColumn >= keyColumn) return dashColumn - keyColumn;
  }
  return sawFlow ? "flow" : 2;
}

interface Splice {
  readonly start: number;
  readonly end: number;
  readonly insert: string;
  /** Offset in the inserted text of the entry written, for its line number. */
  readonly at: number;
}

function addSplice(text: string, groups: YAMLSeq, found: Found, entry: MemberLine): Splice | string {
  const { members, pair } = found;
  const range = rangeOf(members);
  if (!range) return "the members list has no position in the file";
  const last = members.items[members.items.length - 1];
  if (members.flow === true) {
    if (last !== undefined) {
      const end = rangeOf(last)?.[1];
      if (end === undefined) return "an item of the members list has no position in the file";
      return { start: end, end, insert: `, ${flowEntry(entry)}`, at: 2 };
    }
    if (text.slice(range[0], range[1]) !== "[]") return "the empty members list is not written as []";
    const offset = blockOffsetInFile(text, groups);
    if (offset === "flow") return { start: range[0] + 1, end: range[0] + 1, insert: flowEntry(entry), at: 0 };
    // `members: []` in a file of block lists becomes a block list like theirs.
    const key = rangeOf(pair.key);
    if (!key) return "the members key has no position in the file";
    const keyColumn = key[0] - lineStart(text, key[0]);
    let start = range[0];
    while (text[start - 1] === " ") start--;
    const lineEnd = text.indexOf("\n", range[1]);
    const end = lineEnd < 0 ? text.length : lineEnd;
    const item = blockEntry(entry, `${" ".repeat(keyColumn + offset)}- `, false);
    const rest = text.slice(range[1], end);
    return { start, end, insert: `${rest}\n${item.slice(0, -1)}`, at: rest.length + 1 };
  }
  if (last === undefined) return "the members list is empty and not written as []";
  const dash = dashOf(text, last);
  const lastRange = rangeOf(last);
  if (dash === undefined || !lastRange)
    return "the last item of the members list is laid out in a way request does not edit";
  // A grant is written as the list's other grants are: a block mapping, or a flow one on the dash's line.
  const grants = members.items.filter(isMap);
  const isFlowMap = grants.length > 0 && grants.every((g) => g.flow === true);
  const at = afterLine(text, Math.max(lastRange[0], lastRange[1] - 1));
  const needsNewline = at === text.length && !text.endsWith("\n");
  const item = blockEntry(entry, dash, isFlowMap);
  return needsNewline
    ? { start: at, end: at, insert: `\n${item.slice(0, -1)}`, at: 1 }
    : { start: at, end: at, insert: item, at: 0 };
}

/** The grant item of `user` with `until` in the list, by index. */
function grantIndex(members: YAMLSeq, user: string, until: string): number {
  return members.items.findIndex(
    (item) =>
      isMap(item) && stringOf(item.get("user", true)) === user && stringOf(item.get("until", true)) === until,
  );
}

/** The new text of a scalar, quoted as the old one was when it was quoted (an until never needs escapes). */
function keepQuotes(text: string, scalar: Scalar, value: string): string {
  const range = rangeOf(scalar);
  const first = range ? text[range[0]] : undefined;
  return first === '"' || first === "'" ? `${first}${value}${first}` : yamlScalar(value);
}

function extendSplices(
  text: string,
  item: YAMLMap,
  until: string,
  reason: string | undefined,
): Splice[] | string {
  const untilNode = item.get("until", true);
  const untilRange = rangeOf(untilNode);
  if (!isScalar(untilNode) || !untilRange) return "the grant's until has no position in the file";
  const splices: Splice[] = [
    { start: untilRange[0], end: untilRange[1], insert: keepQuotes(text, untilNode, until), at: 0 },
  ];
  if (reason === undefined) return splices;
  const reasonNode = item.get("reason", true);
  if (reasonNode !== undefined) {
    const r = rangeOf(reasonNode);
    if (
      !isScalar(reasonNode) ||
      !r ||
      reasonNode.type === "BLOCK_FOLDED" ||
      reasonNode.type === "BLOCK_LITERAL"
    )
      return "the grant's reason is laid out in a way request does not edit";
    splices.push({ start: r[0], end: r[1], insert: yamlScalar(reason), at: 0 });
    return splices;
  }
  const lastPair = item.items[item.items.length - 1];
  const lastEnd = rangeOf(lastPair?.value)?.[1];
  const itemRange = rangeOf(item);
  if (lastEnd === undefined || !itemRange) return "the grant has no position in the file";
  if (item.flow === true) {
    splices.push({ start: lastEnd, end: lastEnd, insert: `, reason: ${yamlScalar(reason)}`, at: 0 });
    return splices;
  }
  const at = afterLine(text, Math.max(itemRange[0], itemRange[1] - 1));
  const indent = " ".repeat(itemRange[0] - lineStart(text, itemRange[0]));
  const line = `${indent}reason: ${yamlScalar(reason)}`;
  splices.push(
    at === text.length && !text.endsWith("\n")
      ? { start: at, end: at, insert: `\n${line}`, at: 0 }
      : { start: at, end: at, insert: `${line}\n`, at: 0 },
  );
  return splices;
}

function lastingSplice(text: string, item: YAMLMap, user: string): Splice | string {
  const range = rangeOf(item);
  if (!range) return "the grant has no position in the file";
  if (item.flow === true) return { start: range[0], end: range[1], insert: yamlScalar(user), at: 0 };
  if (dashOf(text, item) === undefined) return "the grant is laid out in a way request does not edit";
  const end = afterLine(text, Math.max(range[0], range[1] - 1));
  const newline = text[end - 1] === "\n" ? "\n" : "";
  return { start: range[0], end, insert: yamlScalar(user) + newline, at: 0 };
}

/** The data the edited file must read as: the old data with the one entry written. */
function expectedData(before: unknown, groupIndex: number, edit: MemberEdit): unknown {
  const data: unknown = structuredClone(before);
  const groups = isRecord(data) ? data["groups"] : undefined;
  const group = Array.isArray(groups) ? (groups[groupIndex] as unknown) : undefined;
  const members = isRecord(group) ? group["members"] : undefined;
  if (!Array.isArray(members)) return undefined;
  if (edit.kind === "add") {
    const { user, until, reason } = edit.entry;
    members.push(
      until === undefined && reason === undefined
        ? user
        : { user, ...(until === undefined ? {} : { until }), ...(reason === undefined ? {} : { reason }) },
    );
    return data;
  }
  const i = members.findIndex((m) => isRecord(m) && m["user"] === edit.user && m["until"] === edit.from);
  const old: unknown = members[i];
  if (!isRecord(old)) return undefined;
  members[i] =
    edit.kind === "make-lasting"
      ? edit.user
      : { ...old, until: edit.until, ...(edit.reason === undefined ? {} : { reason: edit.reason }) };
  return data;
}

/** `text` (the file `file`) with `edit` made to the members of `groupName`, or why it cannot be made safely. */
export function editGroupMembers(
  file: string,
  text: string,
  groupName: string,
  edit: MemberEdit,
): EditResult {
  const before = readData(file, text);
  if (before === undefined) return { problem: "it does not parse" };
  const { parseDocument } = yamlLib();
  const doc = parseDocument(text, { uniqueKeys: true, strict: true, merge: false });
  if (doc.errors.length > 0) return { problem: "it does not parse" };
  const groups = isMap(doc.contents) ? doc.contents.get("groups", true) : undefined;
  if (!isSeq(groups)) return { problem: "it has no groups list" };
  const found = findMembers(groupName, groups);
  if ("problem" in found) return found;
  let splices: Splice[];
  // Where the entry written starts in the edited text: nothing before it moves.
  let anchor: number;
  if (edit.kind === "add") {
    const splice = addSplice(text, groups, found, edit.entry);
    if (typeof splice === "string") return { problem: splice };
    splices = [splice];
    anchor = splice.start + splice.at;
  } else {
    const item = found.members.items[grantIndex(found.members, edit.user, edit.from)];
    const itemStart = rangeOf(item)?.[0];
    if (!isMap(item) || itemStart === undefined)
      return { problem: `the grant of "${edit.user}" until ${edit.from} is not in the list` };
    const made =
      edit.kind === "extend"
        ? extendSplices(text, item, edit.until, edit.reason)
        : lastingSplice(text, item, edit.user);
    if (typeof made === "string") return { problem: made };
    splices = Array.isArray(made) ? made : [made];
    anchor = itemStart;
  }
  const out = applyCuts(text, splices);
  const line = lineAt(out, anchor);
  const expected = expectedData(before, found.groupIndex, edit);
  const actual = readData(file, out);
  if (actual === undefined) return { problem: "the edited file would not parse" };
  if (expected === undefined || JSON.stringify(actual) !== JSON.stringify(expected))
    return { problem: "the edited file would not say exactly the same with that one entry written" };
  return { text: out, line };
}
