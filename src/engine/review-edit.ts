/**
 * Access reviews as edits of the access files' text (`gatehouse review open|close`): a `review:` block
 * written into a group, or removed from it with the member lines of the people still pending. Comments,
 * order and layout of everything else stay as they were, and every edit is checked: the edited text must
 * read (through the project's loader) as exactly the old data with that change, or nothing is returned
 * but the reason.
 */
import type { YAMLMap } from "yaml";
import { canonicalJson } from "../audit/canonical-json.ts";
import type { Locator, PathSegment } from "../load/locate.ts";
import { parseAccessFileFast } from "../load/parse.ts";
import { isMap, isScalar, isSeq, yamlLib } from "../load/yaml-lib.ts";
import { yamlScalar } from "./member-yaml.ts";
import { pendingCuts } from "./prune.ts";
import {
  afterLine,
  applyCuts,
  dashOf,
  lineOffsets,
  lineStart,
  mappingItemAt,
  rangeOf,
  readData,
  stringOf,
  type TextCut,
} from "./yaml-text.ts";

/**
 * The edited text (openReviewsText: with the cuts that made it, to diff the lines around them), or why
 * not, with the offset in the text of what the problem is about when there is one (see whereIn).
 */
export type ReviewEditResult =
  | { readonly text: string; readonly cuts?: readonly TextCut[] }
  | { readonly problem: string; readonly at?: number };

/** What `review close` does to one group: the users whose entries go, and the review block. */
export interface ReviewClose {
  readonly group: string;
  readonly revoke: ReadonlySet<string>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A group's node in the file's groups list, and its index there. */
export interface GroupNode {
  readonly node: YAMLMap;
  readonly index: number;
}

/** A file's group nodes by name; a name defined twice in the file is not found. */
export interface GroupNodes {
  get(name: string): GroupNode | undefined;
  /**
   * Group `name` as the loader read it, with the place of any node under it, parsing nothing
   * (groupsBySlice only); undefined when the group is not in the file exactly once.
   */
  located?(name: string): LocatedGroup | undefined;
}

/** A group as the loader read it: its index, its data, and where its nodes are in the text. */
export interface LocatedGroup {
  readonly index: number;
  readonly data: Readonly<Record<string, unknown>>;
  /**
   * The offset of the node at `path` (under the group), or of its key (`"key"`: the text there is checked to
   * be the key and a colon; else NotSliced). The caller checks what it relies on at a value's place.
   */
  at(path: readonly PathSegment[], part?: "key"): number;
}

const YAML_OPTIONS = { uniqueKeys: true, strict: true, merge: false } as const;

/** The file's group nodes by name (a name defined twice in the file is refused). */
export function groupsByName(text: string): Map<string, GroupNode> {
  const doc = yamlLib().parseDocument(text, YAML_OPTIONS);
  if (doc.errors.length > 0) throw new EditProblem("it does not parse");
  const groups = isMap(doc.contents) ? doc.contents.get("groups", true) : undefined;
  if (!isSeq(groups)) throw new EditProblem("it has no groups list");
  const byName = new Map<string, GroupNode>();
  const twice = new Set<string>();
  groups.items.forEach((node, index) => {
    const name = isMap(node) ? stringOf(node.get("name", true)) : undefined;
    if (name === undefined || !isMap(node)) return;
    if (byName.has(name)) twice.add(name);
    byName.set(name, { node, index });
  });
  for (const name of twice) byName.delete(name);
  return byName;
}

/** A group groupsBySlice cannot give as the whole file's parse would: the edit is made on that instead. */
class NotSliced extends Error {}

/**
 * The file's group nodes by name, each parsed when first asked for, alone: the group's list item is cut
 * out of the text at the place the loader found it (through the last line indented past its dash) and
 * parsed with the `yaml` library, its offsets moved to the whole text's. Parsing a whole groups file with
 * the library is the costly part of an edit of a few groups in it (hr sync's mover reviews: ~4 s at 100k
 * people). Only for a file the fast reader took (plain block YAML: no anchors, tags or directives, so a
 * group's text means the same alone); anything not as expected throws NotSliced.
 */
export function groupsBySlice(text: string, data: unknown, locator: Locator): GroupNodes {
  const groups = isRecord(data) ? data["groups"] : undefined;
  if (!Array.isArray(groups)) throw new NotSliced();
  const indexOf = new Map<string, number>(); // -1: defined more than once
  groups.forEach((group: unknown, index) => {
    const name = isRecord(group) ? group["name"] : undefined;
    if (typeof name === "string") indexOf.set(name, indexOf.has(name) ? -1 : index);
  });
  let lineStarts: number[] | undefined;
  return {
    get(name) {
      const index = indexOf.get(name);
      if (index === undefined || index < 0) return undefined;
      lineStarts ??= lineOffsets(text);
      const alone = mappingItemAt(text, lineStarts, locator.locate(["groups", index]), YAML_OPTIONS);
      if (alone === undefined || stringOf(alone.item.get("name", true)) !== name) throw new NotSliced();
      const { item: node, start } = alone;
      yamlLib().visit(node, {
        Node(_key, inner) {
          if (inner.range)
            inner.range = [inner.range[0] + start, inner.range[1] + start, inner.range[2] + start];
        },
      });
      return { node, index };
    },
    located(name) {
      const index = indexOf.get(name);
      if (index === undefined || index < 0) return undefined;
      const data: unknown = groups[index];
      if (!isRecord(data)) throw new NotSliced();
      return {
        index,
        data,
        at(path, part) {
          lineStarts ??= lineOffsets(text);
          const place = locator.locate(["groups", index, ...path], part === "key" ? "key" : "value");
          const at = (lineStarts[place.line - 1] ?? Number.NaN) + place.column - 1;
          if (Number.isNaN(at)) throw new NotSliced();
          // A key the loader placed elsewhere (quoted, say): the group's parse alone decides.
          if (part === "key" && !text.startsWith(`${String(path[path.length - 1])}:`, at))
            throw new NotSliced();
          return at;
        },
      };
    },
  };
}

/** Why a group edit cannot be made, and where (`node`: what it is about): the edit functions turn it into their `problem`. */
export class EditProblem extends Error {
  readonly at: number | undefined;
  constructor(message: string, node?: unknown) {
    super(message);
    this.at = rangeOf(node)?.[0];
  }
}

/** The group `name` of a file's groups, when it is there once and written in block style. */
export function namedGroup(byName: GroupNodes, name: string): GroupNode {
  const hit = byName.get(name);
  if (hit === undefined) throw new EditProblem(`group "${name}" is not defined exactly once in the file`);
  if (hit.node.flow === true) throw new EditProblem(`group "${name}" is written as a flow mapping`, hit.node);
  return hit;
}

function keyStart(node: YAMLMap, key: string): number | undefined {
  const pair = node.items.find((p) => stringOf(p.key) === key);
  return pair === undefined ? undefined : rangeOf(pair.key)?.[0];
}

/** Applies the cuts, checks the result reads as `expected`, and returns it. */
function finish(
  file: string,
  text: string,
  cuts: readonly TextCut[],
  expected: unknown,
  what = "the review",
): ReviewEditResult {
  const out = applyCuts(text, cuts);
  const actual = readData(file, out);
  if (actual === undefined) return { problem: "the edited file would not parse" };
  if (canonicalJson(actual) !== canonicalJson(expected))
    return { problem: `the edited file would not say exactly the same with only ${what} changed` };
  return { text: out };
}

/** The group object `index` of a copy of the file's data. */
export function groupData(data: unknown, index: number): Record<string, unknown> {
  const groups = isRecord(data) ? data["groups"] : undefined;
  const group: unknown = Array.isArray(groups) ? groups[index] : undefined;
  if (!isRecord(group)) throw new EditProblem("the group is not a mapping");
  return group;
}

/** What an edit of a file's groups works on (editGroups). */
export interface GroupsEdit {
  /** The file's groups by name (groupsBySlice, or groupsByName). */
  readonly byName: GroupNodes;
  /** A copy of the file's data, changed as the text is cut: what the edited text must read as. */
  readonly expected: unknown;
  readonly cuts: TextCut[];
}

/**
 * Runs `edit` on the file's groups and finishes it (finish: the cuts made, the text checked to read as
 * the expected data, with only `what` changed); no cut leaves the text as it is. An EditProblem `edit`
 * throws is the result's problem.
 */
export function editGroups(
  file: string,
  text: string,
  edit: (groups: GroupsEdit) => void,
  what?: string,
): ReviewEditResult {
  const fast = parseAccessFileFast(file, new TextEncoder().encode(text));
  const document =
    fast?.diagnostics.some((d) => d.severity === "error") === false ? fast.document : undefined;
  const before = document === undefined ? readData(file, text) : document.data;
  if (before === undefined) return { problem: "it does not parse" };
  const attempt = (byName: () => GroupNodes): ReviewEditResult => {
    const groups = { byName: byName(), expected: structuredClone(before), cuts: [] };
    edit(groups);
    return groups.cuts.length === 0 ? { text } : finish(file, text, groups.cuts, groups.expected, what);
  };
  try {
    if (document !== undefined) {
      // Whatever goes wrong with groups parsed alone, the whole file's parse decides (and words the problem).
      try {
        const sliced = attempt(() => groupsBySlice(text, before, document.locator));
        if (!("problem" in sliced)) return sliced;
      } catch (error) {
        if (!(error instanceof NotSliced) && !(error instanceof EditProblem)) throw error;
      }
    }
    return attempt(() => groupsByName(text));
  } catch (error) {
    if (error instanceof EditProblem)
      return { problem: error.message, ...(error.at === undefined ? {} : { at: error.at }) };
    throw error;
  }
}

/** A review to open in one group: who is pending. */
export interface ReviewOpening {
  readonly group: string;
  readonly pending: readonly string[];
}

/**
 * `text` with a review block (`due`, and `pending` as a block list, one name a line so that the
 * certifying pull request deletes lines) written into each group of `openings`, just before its
 * `members`. The file is parsed once and the result checked once, whatever the number of groups (a file
 * of a hundred groups, opened one by one, was parsed three hundred times). The cuts come with the text,
 * so that `review open --dry-run` diffs only the lines around them (render/file-diff.ts).
 */
export function openReviewsText(
  file: string,
  text: string,
  openings: readonly ReviewOpening[],
  due: string,
): ReviewEditResult {
  let made: readonly TextCut[] = [];
  const done = editGroups(file, text, ({ byName, expected, cuts }) => {
    made = cuts;
    for (const { group: groupName, pending } of openings) {
      const { index, at } = membersKeyOf(byName, expected, groupName);
      const prefix = text.slice(lineStart(text, at), at);
      const column = prefix.length;
      const indent = " ".repeat(column);
      const lines = [
        "review:",
        `${indent}  due: ${due}`,
        `${indent}  pending:`,
        ...pending.map((id) => `${indent}    - ${yamlScalar(id)}`),
      ];
      // After the dash of the group's first key (`- members:`), or on a line of its own.
      const insert = /^ *- +$/.test(prefix)
        ? `${lines.join("\n")}\n${indent}`
        : /^ *$/.test(prefix)
          ? `${indent}${lines.join("\n")}\n`
          : undefined;
      if (insert === undefined)
        throw new EditProblem("the members key is laid out in a way review does not edit");
      cuts.push(
        /^ *$/.test(prefix)
          ? { start: at - column, end: at - column, insert }
          : { start: at, end: at, insert },
      );
      groupData(expected, index)["review"] = { due, pending: [...pending] };
    }
  });
  return "text" in done ? { text: done.text, cuts: made } : done;
}

/**
 * Where group `name`'s members key starts, and its index, for a review to open there: from the loader's
 * positions where it has them (a big group is not parsed for that), else from the group's node. A
 * group that has a review, or no members list, is an EditProblem.
 */
function membersKeyOf(byName: GroupNodes, expected: unknown, name: string): { index: number; at: number } {
  const located = byName.located?.(name);
  if (located !== undefined) {
    if (!Object.hasOwn(located.data, "members")) throw new EditProblem(`group "${name}" has no members list`);
    if (Object.hasOwn(groupData(expected, located.index), "review"))
      throw new EditProblem(`group "${name}" has a review already`);
    return { index: located.index, at: located.at(["members"], "key") };
  }
  const { node, index } = namedGroup(byName, name);
  const review = node.items.find((p) => stringOf(p.key) === "review");
  if (review !== undefined) throw new EditProblem(`group "${name}" has a review already`, review.key);
  const at = keyStart(node, "members");
  if (at === undefined) throw new EditProblem(`group "${name}" has no members list`, node);
  return { index, at };
}

/** openReviewsText for one group. */
export function openReviewText(
  file: string,
  text: string,
  groupName: string,
  due: string,
  pending: readonly string[],
): ReviewEditResult {
  return openReviewsText(file, text, [{ group: groupName, pending }], due);
}

/** The cut that removes the `review` pair of a group (its key's line through its value's last line). */
function reviewCut(text: string, node: YAMLMap, name: string): TextCut {
  const pair = node.items.find((p) => stringOf(p.key) === "review");
  const start = rangeOf(pair?.key)?.[0];
  const value = rangeOf(pair?.value);
  if (start === undefined || value === undefined)
    throw new EditProblem(`group "${name}" has no review block`, node);
  if (!/^ *$/.test(text.slice(lineStart(text, start), start)))
    throw new EditProblem(`the review of "${name}" is laid out in a way review does not edit`, pair?.key);
  return {
    start: lineStart(text, start),
    end: afterLine(text, Math.max(value[0], value[1] - 1)),
    insert: "",
  };
}

/** The user a member item names (a plain id, or a mapping's `user`), else undefined. */
function itemUser(item: unknown): string | undefined {
  if (isScalar(item)) return stringOf(item);
  return isMap(item) ? stringOf(item.get("user", true)) : undefined;
}

/** The cuts that remove every member item of the users in `revoke`; `members: []` when none is left. */
function memberCuts(text: string, node: YAMLMap, name: string, revoke: ReadonlySet<string>): TextCut[] {
  if (revoke.size === 0) return [];
  const pair = node.items.find((p) => stringOf(p.key) === "members");
  const members: unknown = pair?.value;
  if (pair === undefined || !isSeq(members))
    throw new EditProblem(`the members of "${name}" are not a list`, pair?.key ?? node);
  const picked = new Set<number>();
  members.items.forEach((item, i) => {
    const user = itemUser(item);
    if (user !== undefined && revoke.has(user)) picked.add(i);
  });
  if (picked.size === 0) return [];
  const laidOut = new EditProblem(
    `a member item of "${name}" is laid out in a way review does not edit`,
    members,
  );
  if (members.flow === true) {
    // A flow list is written again from the items it keeps, as they were written.
    const range = rangeOf(members);
    const kept = members.items
      .filter((_, i) => !picked.has(i))
      .map((item) => {
        const r = rangeOf(item);
        if (!r) throw laidOut;
        return text.slice(r[0], r[1]);
      });
    if (!range) throw laidOut;
    return [{ start: range[0], end: range[1], insert: `[${kept.join(", ")}]` }];
  }
  const cuts: TextCut[] = [];
  for (const i of picked) {
    const item = members.items[i];
    const range = rangeOf(item);
    if (!range || dashOf(text, item) === undefined) throw laidOut;
    cuts.push({
      start: lineStart(text, range[0]),
      end: afterLine(text, Math.max(range[0], range[1] - 1)),
      insert: "",
    });
  }
  if (picked.size === members.items.length) {
    // No list at all would stop managing the group: an empty one enforces an empty group.
    const keyEnd = rangeOf(pair.key)?.[1];
    const colon = keyEnd === undefined ? -1 : text.indexOf(":", keyEnd);
    if (colon < 0) throw laidOut;
    cuts.push({ start: colon + 1, end: colon + 1, insert: " []" });
  }
  return cuts;
}

/**
 * `text` with each group's review block removed and every member item of the users it revokes (lines
 * and grants alike) cut from its members list.
 */
export function closeReviewText(
  file: string,
  text: string,
  closes: readonly ReviewClose[],
): ReviewEditResult {
  return editGroups(file, text, ({ byName, expected, cuts }) => {
    for (const close of closes) {
      const closing = closeCuts(text, byName, close.group, close.revoke);
      cuts.push(...closing.cuts);
      const group = groupData(expected, closing.index);
      delete group["review"];
      const members = group["members"];
      if (Array.isArray(members))
        group["members"] = members.filter((m: unknown) => {
          const user = typeof m === "string" ? m : isRecord(m) ? m["user"] : undefined;
          return typeof user !== "string" || !close.revoke.has(user);
        });
    }
  });
}

/**
 * The cuts that close group `name`'s review: its review block, then the member items of the users in
 * `revoke`. From the loader's positions where `byName` has them (closeCutsLocated: a big group is not
 * parsed), else from the group's node.
 */
export function closeCuts(
  text: string,
  byName: GroupNodes,
  name: string,
  revoke: ReadonlySet<string>,
): { readonly index: number; readonly cuts: TextCut[] } {
  const located = byName.located?.(name);
  if (located !== undefined)
    return { index: located.index, cuts: closeCutsLocated(text, located, name, revoke) };
  const { node, index } = namedGroup(byName, name);
  return { index, cuts: [reviewCut(text, node, name), ...memberCuts(text, node, name, revoke)] };
}

/** The user a member entry of the data names (a plain id, or a mapping's `user`), else undefined. */
function entryUser(entry: unknown): string | undefined {
  const user = typeof entry === "string" ? entry : isRecord(entry) ? entry["user"] : undefined;
  return typeof user === "string" ? user : undefined;
}

/**
 * The path of the last node of `value` (at `path`) in the text: its last item or last key's value, down
 * to a scalar or an empty collection. A mapping with a key an integer would reorder (Object.keys puts
 * those first) is NotSliced.
 */
function lastNodePath(value: unknown, path: readonly PathSegment[]): readonly PathSegment[] {
  if (Array.isArray(value)) {
    const last = value.length - 1;
    return last < 0 ? path : lastNodePath(value[last], [...path, last]);
  }
  if (!isRecord(value)) return path;
  const keys = Object.keys(value);
  if (keys.some((key) => /^\d+$/.test(key))) throw new NotSliced();
  const last = keys[keys.length - 1];
  return last === undefined ? path : lastNodePath(value[last], [...path, last]);
}

/**
 * closeCuts from the loader's positions, parsing nothing: a block is cut from its first line
 * through the line its last node starts on. A node that goes on past that line (a flow list closed
 * lower down, a scalar over several lines) leaves text the edit's check does not read back as expected,
 * and the whole file's parse makes the edit instead; so does a flow members list, or anything else laid
 * out in a way this does not follow (NotSliced).
 */
function closeCutsLocated(
  text: string,
  group: LocatedGroup,
  name: string,
  revoke: ReadonlySet<string>,
): TextCut[] {
  const { data } = group;
  if (!Object.hasOwn(data, "review")) throw new EditProblem(`group "${name}" has no review block`);
  const reviewAt = group.at(["review"], "key");
  if (!/^ *$/.test(text.slice(lineStart(text, reviewAt), reviewAt))) throw new NotSliced();
  const reviewEnd = group.at(lastNodePath(data["review"], ["review"]));
  const cuts: TextCut[] = [
    { start: lineStart(text, reviewAt), end: afterLine(text, Math.max(reviewAt, reviewEnd)), insert: "" },
  ];
  if (revoke.size === 0) return cuts;
  const members = data["members"];
  if (!Array.isArray(members)) throw new NotSliced();
  const picked: number[] = [];
  members.forEach((entry: unknown, i) => {
    const user = entryUser(entry);
    if (user !== undefined && revoke.has(user)) picked.push(i);
  });
  if (picked.length === 0) return cuts;
  if (text[group.at(["members"])] === "[") throw new NotSliced();
  for (const i of picked) {
    const itemAt = group.at(["members", i]);
    if (!/^ *- +$/.test(text.slice(lineStart(text, itemAt), itemAt))) throw new NotSliced();
    const itemEnd = group.at(lastNodePath(members[i], ["members", i]));
    cuts.push({
      start: lineStart(text, itemAt),
      end: afterLine(text, Math.max(itemAt, itemEnd)),
      insert: "",
    });
  }
  if (picked.length === members.length) {
    // No list at all would stop managing the group: an empty one enforces an empty group.
    const colon = group.at(["members"], "key") + "members".length;
    cuts.push({ start: colon + 1, end: colon + 1, insert: " []" });
  }
  return cuts;
}

/** Names to append to the `pending` list of the review open in a group. */
export interface PendingAppend {
  readonly group: string;
  readonly names: readonly string[];
}

/**
 * `text` with `names` appended to the `pending` list of the review open in `groupName` (each on a line
 * of its own under a block list, written into a flow list, or as a new block list where `pending:` has
 * no value). Names listed already are not written again.
 */
export function appendPendingText(
  file: string,
  text: string,
  groupName: string,
  names: readonly string[],
): ReviewEditResult {
  return appendPendingsText(file, text, [{ group: groupName, names }]);
}

/**
 * appendPendingText for several groups of a file in one edit: the file parsed once and the result
 * checked once (`hr sync` appends movers to the open reviews of many groups of a file; one parse per
 * group was minutes at 100k people).
 */
export function appendPendingsText(
  file: string,
  text: string,
  appends: readonly PendingAppend[],
): ReviewEditResult {
  return editGroups(file, text, ({ byName, expected, cuts }) => {
    for (const { group: groupName, names } of appends) {
      const { node, index } = namedGroup(byName, groupName);
      const review: unknown = node.items.find((p) => stringOf(p.key) === "review")?.value;
      if (!isMap(review)) throw new EditProblem(`group "${groupName}" has no review block`, node);
      const pair = review.items.find((p) => stringOf(p.key) === "pending");
      if (pair === undefined)
        throw new EditProblem(`the review of "${groupName}" has no pending list`, review);
      const value: unknown = pair.value;
      const listed = isSeq(value) ? value.items.map(stringOf) : [];
      const added = [...new Set(names)].filter((n) => !listed.includes(n));
      const laidOut = new EditProblem(
        `the pending list of "${groupName}" is laid out in a way review does not edit`,
        pair.key,
      );
      if (added.length === 0) continue;
      const keyRange = rangeOf(pair.key);
      if (keyRange === undefined) throw laidOut;
      const keyColumn = keyRange[0] - lineStart(text, keyRange[0]);
      /** Block items inserted at `at`, the start of a line (or the end of a text without a last newline). */
      const blockAt = (at: number, indent: string): TextCut => ({
        start: at,
        end: at,
        insert:
          (at === text.length && !text.endsWith("\n") ? "\n" : "") +
          added.map((id) => `${indent}- ${yamlScalar(id)}\n`).join(""),
      });
      if (isSeq(value) && value.flow === true) {
        const range = rangeOf(value);
        if (!range) throw laidOut;
        const items = value.items.map((item) => {
          const r = rangeOf(item);
          if (!r) throw laidOut;
          return text.slice(r[0], r[1]);
        });
        cuts.push({
          start: range[0],
          end: range[1],
          insert: `[${[...items, ...added.map(yamlScalar)].join(", ")}]`,
        });
      } else if (review.flow === true) throw laidOut;
      else if (isSeq(value) && value.items.length > 0) {
        const last = value.items[value.items.length - 1];
        const dash = dashOf(text, last);
        const range = rangeOf(last);
        if (dash === undefined || range === undefined || value.items.some((i) => dashOf(text, i) !== dash))
          throw laidOut;
        const indent = dash.slice(0, dash.indexOf("-"));
        cuts.push(blockAt(afterLine(text, Math.max(range[0], range[1] - 1)), indent));
      } else if (
        value === null ||
        (isScalar(value) && value.value === null) ||
        (isSeq(value) && value.flow !== true)
      ) {
        // `pending:` left without a value (or an empty block list): a block list under the key.
        const colon = text.indexOf(":", keyRange[1]);
        const rest = colon < 0 ? "" : text.slice(colon + 1, afterLine(text, colon)).trim();
        if (colon < 0 || (rest !== "" && !rest.startsWith("#"))) throw laidOut;
        cuts.push(blockAt(afterLine(text, colon), " ".repeat(keyColumn + 2)));
      } else throw laidOut;
      const data = groupData(expected, index)["review"];
      if (!isRecord(data)) throw laidOut;
      const old: unknown = data["pending"];
      data["pending"] = [...(Array.isArray(old) ? (old as unknown[]) : []), ...added];
    }
  });
}

/**
 * `text` with `user` taken off the `pending` list of the review open in `groupName` (`request`: the
 * owners who approve its pull request certify the user). A block list that loses its last name becomes
 * `pending: []`; a flow list is written again from the names it keeps.
 */
export function removePendingText(
  file: string,
  text: string,
  groupName: string,
  user: string,
): ReviewEditResult {
  return editGroups(file, text, ({ byName, expected, cuts }) => {
    const { node, index } = namedGroup(byName, groupName);
    const made = pendingCuts(text, node, new Set([user]));
    if (made.taken.length === 0)
      throw new EditProblem(`"${user}" is not pending in the review of "${groupName}"`, node);
    if (made.cuts.some((c) => c.start < 0))
      throw new EditProblem(
        `the pending list of "${groupName}" is laid out in a way request does not edit`,
        node,
      );
    const review = groupData(expected, index)["review"];
    const pending = isRecord(review) ? review["pending"] : undefined;
    if (!isRecord(review) || !Array.isArray(pending))
      throw new EditProblem(`group "${groupName}" has no pending list`);
    review["pending"] = pending.filter((name: unknown) => name !== user);
    cuts.push(...made.cuts);
  });
}
