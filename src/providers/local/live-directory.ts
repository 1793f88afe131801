import type { BigIntStats } from "node:fs";
import { createHash } from "node:crypto";
import type { LiveGroup, LiveState, LiveUser } from "../../model/state.ts";
import {
  corrupt,
  countCredentials,
  directoryLists,
  parseDirectoryJson,
  parseGroupRecord,
  parseUserRecord,
  readDirectoryBytes,
  type GroupRecord,
} from "./directory-file.ts";
import { compareText } from "../../model/lists.ts";

/**
 * The read path of the local provider: the directory file parsed straight into the live state a plan
 * reads (no mutable Directory in between), and a digest of the bytes it came from.
 */

/** What `read` returns of the directory file, with the digest a saved plan records of it. */
export interface LiveDirectory {
  readonly live: LiveState;
  /** See contentDigest. */
  readonly digest: string;
}

const DIGEST_DOMAIN = "gatehouse local directory file, formatVersion 1";

/**
 * sha256 of the bytes of the directory file (undefined: there is none) and of the nesting setting,
 * which together decide the live state: equal files give equal digests, and any change to the file
 * (even one a plan does not read, such as a session id or the layout) gives a new one. It replaces the
 * generic digest of the live state's canonical JSON, which costs a walk over every member.
 */
export function contentDigest(bytes: Uint8Array | undefined, isNesting: boolean): string {
  const hash = createHash("sha256").update(`${DIGEST_DOMAIN}\nnesting: ${String(isNesting)}\n`);
  if (bytes === undefined) hash.update("no file\n");
  else hash.update("file\n").update(bytes);
  return hash.digest("hex");
}

/**
 * Reads the directory file as a live state, with its content digest. A missing file is an empty
 * directory; a file that is not a valid directory is the same error loadDirectory gives.
 */
export async function readLiveDirectory(
  path: string,
  provider: string,
  isNesting: boolean,
  opened?: (stats: BigIntStats) => void,
): Promise<LiveDirectory> {
  const file = await readJson(path, provider, isNesting, opened);
  if (file === undefined)
    return { live: { users: [], groups: [] }, digest: contentDigest(undefined, isNesting) };
  const live = parseLiveState(file.value, isNesting);
  if (typeof live === "string") throw corrupt(provider, "read", path, live);
  return { live, digest: file.digest };
}

/** The parsed file and its digest. Each step lets go of what it no longer needs: bytes, then text. */
async function readJson(
  path: string,
  provider: string,
  isNesting: boolean,
  opened?: (stats: BigIntStats) => void,
): Promise<{ value: unknown; digest: string } | undefined> {
  const file = await readText(path, provider, isNesting, opened);
  if (file === undefined) return undefined;
  return { value: parseDirectoryJson(file.text, path, provider, "read"), digest: file.digest };
}

async function readText(
  path: string,
  provider: string,
  isNesting: boolean,
  opened?: (stats: BigIntStats) => void,
): Promise<{ text: string; digest: string } | undefined> {
  const bytes = await readDirectoryBytes(path, provider, "read", opened);
  if (bytes === undefined) return undefined;
  return { text: bytes.toString("utf8"), digest: contentDigest(bytes, isNesting) };
}

/**
 * The live state of a parsed directory file, checked as parseDirectory checks it (the same problems,
 * in the same words), or a sentence saying what is wrong. Users and groups come out sorted by name and
 * member lists sorted (by UTF-16 code units); lists that are already sorted (as gatehouse writes
 * them) are not copied: the live state shares them with `value`.
 */
export function parseLiveState(value: unknown, isNesting: boolean): LiveState | string {
  const lists = directoryLists(value);
  if (typeof lists === "string") return lists;
  const users = liveUsers(lists.users);
  if (typeof users === "string") return users;
  const groups = liveGroups(lists.groups, isNesting);
  if (typeof groups === "string") return groups;
  return { users, groups };
}

function liveUsers(items: readonly unknown[]): LiveUser[] | string {
  const users: LiveUser[] = [];
  const accounts = new UniqueNames();
  for (let index = 0; index < items.length; index++) {
    const user = parseUserRecord(items[index], index, countCredentials, false);
    if (typeof user === "string") return user;
    if (!accounts.add(user.account)) return `user "${user.account}" appears twice`;
    users.push(user);
  }
  if (!accounts.isSorted) users.sort((a, b) => compareText(a.account, b.account));
  return users;
}

function liveGroups(items: readonly unknown[], isNesting: boolean): LiveGroup[] | string {
  const groups: LiveGroup[] = [];
  const names = new UniqueNames();
  for (let index = 0; index < items.length; index++) {
    const group = parseGroupRecord(items[index], index);
    if (typeof group === "string") return group;
    if (!names.add(group.name)) return `group "${group.name}" appears twice`;
    groups.push(liveGroupOf(group, isNesting));
  }
  if (!names.isSorted) groups.sort((a, b) => compareText(a.name, b.name));
  return groups;
}

function liveGroupOf(record: GroupRecord, isNesting: boolean): LiveGroup {
  const members = sortedList(record.members);
  // Links left from when nesting was on are reported too, so that the plan can take them out.
  const group: { -readonly [K in keyof LiveGroup]: LiveGroup[K] } =
    isNesting || record.groupMembers.length > 0
      ? { name: record.name, members, groupMembers: sortedList(record.groupMembers) }
      : { name: record.name, members };
  if (record.description !== undefined) group.description = record.description;
  return group;
}

/** `list` itself when it is sorted (one pass, no copy), else a sorted copy. */
export function sortedList(list: readonly string[]): readonly string[] {
  let previous: string | undefined;
  for (const item of list) {
    // The order of the default sort of strings: UTF-16 code units.
    if (previous !== undefined && previous > item) return [...list].sort();
    previous = item;
  }
  return list;
}

/**
 * Names seen so far, to refuse one that appears twice. While they arrive in increasing order (as
 * gatehouse writes them) a comparison with the last one is enough; a Set is built only once they do not.
 */
export class UniqueNames {
  private last: string | undefined;
  private readonly inOrder: string[] = [];
  private seen: Set<string> | undefined;

  /** Whether every name so far came after the one before it. */
  get isSorted(): boolean {
    return this.seen === undefined;
  }

  /** Adds `name`; false when it was added before. */
  add(name: string): boolean {
    if (this.seen === undefined) {
      if (this.last === undefined || this.last < name) {
        this.last = name;
        this.inOrder.push(name);
        return true;
      }
      this.seen = new Set(this.inOrder);
      this.inOrder.length = 0;
    }
    if (this.seen.has(name)) return false;
    this.seen.add(name);
    return true;
  }
}
