/**
 * Deletes expired grants ({user, until} members whose until has passed) from the access files, once no
 * connected system still holds them, so the files keep saying only what holds. The file is edited as
 * text (comments, order and layout of everything else stay as they were), and the edit is checked: the
 * file must read (through the project's loader, as request's and review's edits do) as exactly what it
 * did, less those grants, or it is left alone. A person the group's member items no longer name after
 * that leaves its review's `pending` list in the same edit: there is nothing left to re-certify.
 */
import { isDeepStrictEqual } from "node:util";
import type { Pair, YAMLMap } from "yaml";
import { isMap, isScalar, isSeq, yamlLib } from "../load/yaml-lib.ts";
import { isRecord } from "../model/json.ts";
import type { AccessModel } from "../model/access.ts";
import type { SourceLocation } from "../model/source.ts";
import { detailedEntries } from "../model/member-entry.ts";
import { isGrantActive } from "../lifecycle/status.ts";
import { afterLine, applyCuts, lineStart, rangeOf, readData, stringOf, type TextCut } from "./yaml-text.ts";

/** An expired grant in the files. */
export interface ExpiredGrant {
  readonly group: string;
  readonly user: string;
  readonly until: string;
  readonly source: SourceLocation;
}

/** Every expired grant of the model, by file. */
export function expiredGrants(model: AccessModel, now: Date): ExpiredGrant[] {
  const out: ExpiredGrant[] = [];
  for (const group of model.groups.values())
    for (const [, entry] of detailedEntries(group))
      if (entry.kind === "user" && entry.until !== undefined && !isGrantActive(entry.until, now))
        out.push({ group: group.name, user: entry.user, until: entry.until, source: entry.source });
  return out;
}

/** The key a grant is known by when matching the file's items to the model's. */
export const grantKey = (group: string, user: string, until: string): string => `${group}\n${user}\n${until}`;

/** A name taken off a review's `pending` list: its grant went, and no other member item names it. */
export interface Unpended {
  readonly group: string;
  readonly user: string;
}

export type PruneResult =
  | { readonly text: string; readonly removed: number; readonly unpended: readonly Unpended[] }
  | { readonly problem: string };

/** The text to cut for one item of a block sequence: its lines, from the dash to its last value. */
function blockItemCut(text: string, item: unknown): TextCut | undefined {
  const range = rangeOf(item);
  if (!range) return undefined;
  const start = lineStart(text, range[0]);
  if (!/^[ ]*-[ ]+$/.test(text.slice(start, range[0]))) return undefined;
  return { start, end: afterLine(text, Math.max(range[0], range[1] - 1)) };
}

/** The `members` list of group `index` in a file's data, when it has one. */
function membersData(data: unknown, index: number): unknown[] | undefined {
  const groups = isRecord(data) ? data["groups"] : undefined;
  const group: unknown = Array.isArray(groups) ? groups[index] : undefined;
  const members = isRecord(group) ? group["members"] : undefined;
  return Array.isArray(members) ? members : undefined;
}

/** The review's `pending` list of group `index` in a file's data, when it has one. */
function pendingData(data: unknown, index: number): unknown[] | undefined {
  const groups = isRecord(data) ? data["groups"] : undefined;
  const group: unknown = Array.isArray(groups) ? groups[index] : undefined;
  const review = isRecord(group) ? group["review"] : undefined;
  const pending = isRecord(review) ? review["pending"] : undefined;
  return Array.isArray(pending) ? pending : undefined;
}

/** The user a member item names (a plain id, or a mapping's `user`), else undefined. */
function itemUser(item: unknown): string | undefined {
  if (isScalar(item)) return stringOf(item);
  return isMap(item) ? stringOf(item.get("user", true)) : undefined;
}

/**
 * The cuts that take `users` off the `pending` list of the group's review, and the indexes they take:
 * a flow list is written again from the names it keeps, a block list that loses every name becomes
 * `pending: []`. A cut starting at -1 marks a layout this does not edit.
 */
export function pendingCuts(
  text: string,
  groupNode: YAMLMap,
  users: ReadonlySet<string>,
): { cuts: TextCut[]; taken: number[] } {
  const review: unknown = groupNode.get("review", true);
  const pair = isMap(review) ? review.items.find((p) => stringOf(p.key) === "pending") : undefined;
  const list: unknown = pair?.value;
  if (pair === undefined || !isSeq(list)) return { cuts: [], taken: [] };
  const taken: number[] = [];
  list.items.forEach((item, i) => {
    const name = stringOf(item);
    if (name !== undefined && users.has(name)) taken.push(i);
  });
  if (taken.length === 0) return { cuts: [], taken };
  const cannot = { start: -1, end: -1 };
  if (list.flow === true) {
    const range = rangeOf(list);
    const texts = list.items
      .filter((_, i) => !taken.includes(i))
      .map((item) => {
        const r = rangeOf(item);
        return r ? text.slice(r[0], r[1]) : undefined;
      });
    if (!range || texts.some((t) => t === undefined)) return { cuts: [cannot], taken };
    return { cuts: [{ start: range[0], end: range[1], insert: `[${texts.join(", ")}]` }], taken };
  }
  const cuts = taken.map((i) => blockItemCut(text, list.items[i]) ?? cannot);
  if (taken.length === list.items.length) {
    const keyEnd = rangeOf(pair.key)?.[1];
    const colon = keyEnd === undefined ? -1 : text.indexOf(":", keyEnd);
    cuts.push(colon < 0 ? cannot : { start: colon + 1, end: colon + 1, insert: " []" });
  }
  return { cuts, taken };
}

/**
 * The text of `file` without the member items `isPruned` picks (by group name, user and until), or why
 * it cannot be edited safely. A block list that loses every item becomes `members: []` (an empty list
 * enforces an empty group; no list at all would stop managing it).
 */
export function pruneText(
  file: string,
  text: string,
  isPruned: (group: string, user: string, until: string) => boolean,
): PruneResult {
  // The data as gatehouse reads it (size, alias and key limits included), and must read after the edit.
  const expected = readData(file, text);
  if (expected === undefined) return { problem: "it does not parse" };
  const doc = yamlLib().parseDocument(text, { uniqueKeys: true, strict: true, merge: false });
  if (doc.errors.length > 0) return { problem: "it does not parse" };
  const groups = isMap(doc.contents) ? doc.contents.get("groups", true) : undefined;
  if (!isSeq(groups)) return { text, removed: 0, unpended: [] };
  const cuts: TextCut[] = [];
  const unpended: Unpended[] = [];
  let removed = 0;
  groups.items.forEach((groupNode, g) => {
    if (!isMap(groupNode)) return;
    const name = stringOf(groupNode.get("name", true));
    const pair: Pair | undefined = groupNode.items.find((p) => stringOf(p.key) === "members");
    const members = pair?.value;
    if (name === undefined || pair === undefined || !isSeq(members)) return;
    const picked: number[] = [];
    members.items.forEach((item, i) => {
      if (!isMap(item)) return;
      const user = stringOf(item.get("user", true));
      const until = stringOf(item.get("until", true));
      if (user !== undefined && until !== undefined && isPruned(name, user, until)) picked.push(i);
    });
    if (picked.length === 0) return;
    removed += picked.length;
    const isFlow = members.flow === true;
    if (isFlow) {
      // A flow list is written again from the items it keeps, as they were written.
      const range = rangeOf(members);
      const kept = members.items.filter((_, i) => !picked.includes(i));
      const texts = kept.map((item) => {
        const r = rangeOf(item);
        return r ? text.slice(r[0], r[1]) : undefined;
      });
      if (!range || texts.some((t) => t === undefined)) cuts.push({ start: -1, end: -1 });
      else cuts.push({ start: range[0], end: range[1], insert: `[${texts.join(", ")}]` });
    } else for (const i of picked) cuts.push(blockItemCut(text, members.items[i]) ?? { start: -1, end: -1 });
    if (!isFlow && picked.length === members.items.length) {
      const keyEnd = rangeOf(pair.key)?.[1];
      const colon = keyEnd === undefined ? -1 : text.indexOf(":", keyEnd);
      cuts.push({ start: colon + 1, end: colon + 1, insert: " []" });
    }
    const list = membersData(expected, g);
    if (list !== undefined) for (const i of [...picked].reverse()) list.splice(i, 1);
    // Someone the files no longer list in the group has nothing left to re-certify in its review.
    const kept = new Set(members.items.filter((_, i) => !picked.includes(i)).map(itemUser));
    const gone = new Set(
      picked
        .map((i) => itemUser(members.items[i]))
        .filter((u): u is string => u !== undefined && !kept.has(u)),
    );
    const pending = pendingCuts(text, groupNode, gone);
    cuts.push(...pending.cuts);
    const pendingList = pendingData(expected, g);
    for (const i of [...pending.taken].reverse()) {
      const [user] = pendingList?.splice(i, 1) ?? [];
      if (typeof user === "string") unpended.push({ group: name, user });
    }
  });
  if (cuts.length === 0) return { text, removed: 0, unpended: [] };
  if (cuts.some((c) => c.start < 0))
    return {
      problem:
        "a grant's list item, or its name in a review's pending list, is laid out in a way prune does not edit",
    };
  const out = applyCuts(text, cuts);
  // The edit must change nothing but those grants.
  const actual = readData(file, out);
  if (actual === undefined) return { problem: "the edited file would not parse" };
  if (!isDeepStrictEqual(actual, expected))
    return { problem: "the edited file would not say the same, less those grants" };
  return { text: out, removed, unpended };
}
