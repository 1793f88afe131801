import type { Group, MemberEntry } from "./access.ts";
import type { SourceLocation } from "./source.ts";

/** Line and column of each entry of one `members` list, two numbers per entry. */
export class ListPlaces {
  readonly file: string;
  readonly at: Int32Array;
  constructor(file: string, size: number) {
    this.file = file;
    this.at = new Int32Array(2 * size);
  }

  location(i: number): SourceLocation {
    return { file: this.file, line: this.at[2 * i] ?? 1, column: this.at[2 * i + 1] ?? 1 };
  }
}

/**
 * A plain member entry (`- ada`, or `- user: ada` without `until` or `reason`): a million of them at
 * 100k people, so the location is kept as two numbers in the list's ListPlaces and made on demand, not
 * as an object per entry (a third fewer objects for the model, and for the garbage collector to copy).
 */
export class PlainUserMember {
  /** Read-only to everyone else (MemberEntry); `share` swaps it for an equal string. */
  user: string;
  readonly #places: ListPlaces;
  readonly #i: number;
  constructor(user: string, places: ListPlaces, i: number) {
    this.user = user;
    this.#places = places;
    this.#i = i;
  }

  /** Points at an equal string that lives anyway (the user's id), so this entry's own copy can go. */
  share(same: string): void {
    if (same === this.user) this.user = same;
  }

  // On the prototype, not in each of a million entries.
  // eslint-disable-next-line @typescript-eslint/class-literal-property-style
  get kind(): "user" {
    return "user";
  }

  get source(): SourceLocation {
    return this.#places.location(this.#i);
  }

  toJSON(): MemberEntry {
    return { kind: "user", user: this.user, source: this.source };
  }
}

/**
 * Lets a member entry hold `id` (equal to the name it has) instead of its own copy: a million member
 * names read from the files are then one string per person, which the model keeps anyway.
 */
export function shareMemberName(entry: MemberEntry, id: string): void {
  if (entry instanceof PlainUserMember) entry.share(id);
}

/**
 * The entries of `group` that say more than a user's name (Group.detailedMembers), each with its index
 * in `members`: nested groups and grants with `until` or `reason`. Every entry when the model does not
 * say which (built by hand).
 */
export function detailedEntries(group: Group): [number, MemberEntry][] {
  const members = group.members ?? [];
  const indices = group.detailedMembers;
  if (indices === undefined) return [...members.entries()];
  const out: [number, MemberEntry][] = [];
  for (const i of indices) {
    const entry = members[i];
    if (entry !== undefined) out.push([i, entry]);
  }
  return out;
}
