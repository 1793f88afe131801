/**
 * A set of change addresses (plan/addresses.ts) that keeps membership addresses by group: each group's
 * prefix (`<provider>:membership/<group>/`) once, with the rest of each address (the member) in a set
 * of its own. A journal that imported 100k people holds two million managed memberships; as whole
 * addresses they were two million strings of about 60 characters to read, hash and keep on every plan.
 * Kept by group, the members are the few hundred thousand account names the cache file lists once
 * (see toJSON), and a group deleted or renamed moves its members in one step.
 */
export class AddressSet implements ReadonlySet<string> {
  /** Addresses that are not memberships (users, groups). */
  readonly #other = new Set<string>();
  /**
   * Membership prefix → the rest of each address under it. A group read from JSON stays as its
   * positions in the names list until something asks about it: a plan asks about a few thousand of the
   * twenty thousand groups a large import leaves, and building the two million entries of their sets
   * on every plan cost a second. An unread group is its positions in #names (distinct: fromJSON).
   */
  readonly #byGroup = new Map<string, Set<string> | readonly number[]>();
  #size = 0;
  /** The names list of the JSON this set was read from (fromJSON), which unread groups point into. */
  #names: readonly string[] | undefined;
  /**
   * Member → the prefixes of the groups that held it when last seen, made on the first moveMember and
   * kept up by every add after it (removals leave entries behind: moveMember checks each). A journal that
   * renames every account of a large import (an e-mail domain changed) moves each one through its own
   * groups, instead of through all twenty thousand.
   */
  #groupsOf: Map<string, string[]> | undefined;
  /** The group looked up last (see #membersAt). */
  #last: { readonly prefix: string; readonly members: Set<string> } | undefined;

  constructor(addresses: Iterable<string> = []) {
    for (const address of addresses) this.add(address);
  }

  get size(): number {
    return this.#size;
  }

  has(address: string): boolean {
    const at = splitAt(address);
    if (at < 0) return this.#other.has(address);
    return this.#membersAt(address, at)?.has(address.slice(at)) === true;
  }

  /** Adds `address`; true when it was not there before. */
  add(address: string): boolean {
    const at = splitAt(address);
    if (at < 0) {
      if (this.#other.has(address)) return false;
      this.#other.add(address);
      this.#size++;
      return true;
    }
    return this.#addMember(address.slice(0, at), address.slice(at));
  }

  delete(address: string): boolean {
    const at = splitAt(address);
    const isDeleted =
      at < 0 ? this.#other.delete(address) : this.#membersAt(address, at)?.delete(address.slice(at)) === true;
    if (isDeleted) this.#size--;
    return isDeleted;
  }

  /**
   * The members under the prefix of `address` (its first `at` characters). The last group asked about
   * is remembered: a journal lists a group's memberships one after another, so most lookups neither cut
   * the prefix out nor hash it.
   */
  #membersAt(address: string, at: number): Set<string> | undefined {
    const last = this.#last;
    if (last?.prefix.length === at && address.startsWith(last.prefix)) return last.members;
    const prefix = address.slice(0, at);
    const members = this.#setOf(prefix);
    if (members !== undefined) this.#last = { prefix, members };
    return members;
  }

  /** The members of a group as a set, made from its positions on first use (see #byGroup). */
  #setOf(prefix: string): Set<string> | undefined {
    const members = this.#byGroup.get(prefix);
    if (members === undefined || members instanceof Set) return members;
    const set = new Set(this.#membersOf(members));
    this.#byGroup.set(prefix, set);
    return set;
  }

  /** A group's members, without making a set of an unread one. */
  *#membersOf(group: Set<string> | readonly number[]): Iterable<string> {
    if (group instanceof Set) yield* group;
    else for (const i of group) yield this.#names?.[i] ?? "";
  }

  clear(): void {
    this.#other.clear();
    this.#byGroup.clear();
    this.#names = undefined;
    this.#groupsOf = undefined;
    this.#last = undefined;
    this.#size = 0;
  }

  /**
   * Moves every membership under prefix `from` to prefix `to` (a group renamed), or drops them (`to`
   * undefined: the group deleted).
   */
  moveGroup(from: string, to: string | undefined): void {
    const members = this.#setOf(from);
    if (members === undefined) return;
    this.#byGroup.delete(from);
    if (this.#last?.members === members) this.#last = undefined;
    this.#size -= members.size;
    if (to !== undefined) for (const member of members) this.#addMember(to, member);
  }

  /**
   * Moves member `from` to member `to` in every group whose prefix starts with `start` (one provider's
   * `<provider>:membership/`): an account renamed in place keeps its groups. Only the groups that hold
   * `from` are made sets (see #byGroup).
   */
  moveMember(start: string, from: string, to: string): void {
    if (from === to) return;
    const index = (this.#groupsOf ??= this.#indexByMember());
    const prefixes = index.get(from);
    if (prefixes === undefined) return;
    const elsewhere: string[] = []; // groups of other providers (or other starts) that may hold `from`
    index.delete(from);
    for (const prefix of prefixes) {
      if (!prefix.startsWith(start)) {
        elsewhere.push(prefix);
        continue;
      }
      if (this.#setOf(prefix)?.delete(from) !== true) continue; // removed since, or listed twice
      this.#size--;
      this.#addMember(prefix, to);
    }
    if (elsewhere.length > 0) index.set(from, elsewhere);
  }

  /** Every member with the groups that hold it (see #groupsOf): one pass over every group. */
  #indexByMember(): Map<string, string[]> {
    const index = new Map<string, string[]>();
    for (const [prefix, group] of this.#byGroup)
      for (const member of this.#membersOf(group)) {
        const prefixes = index.get(member);
        if (prefixes === undefined) index.set(member, [prefix]);
        else prefixes.push(prefix);
      }
    return index;
  }

  #addMember(prefix: string, member: string): boolean {
    let members = this.#membersAt(prefix, prefix.length);
    if (members === undefined) {
      members = new Set();
      this.#byGroup.set(prefix, members);
      this.#last = { prefix, members };
    }
    if (members.has(member)) return false;
    members.add(member);
    this.#size++;
    if (this.#groupsOf !== undefined) {
      const prefixes = this.#groupsOf.get(member);
      if (prefixes === undefined) this.#groupsOf.set(member, [prefix]);
      else prefixes.push(prefix);
    }
    return true;
  }

  *[Symbol.iterator](): SetIterator<string> {
    yield* this.#other;
    for (const [prefix, members] of this.#byGroup)
      for (const member of this.#membersOf(members)) yield prefix + member;
  }

  keys(): SetIterator<string> {
    return this[Symbol.iterator]();
  }

  values(): SetIterator<string> {
    return this[Symbol.iterator]();
  }

  *entries(): SetIterator<[string, string]> {
    for (const address of this) yield [address, address];
  }

  forEach(callback: (value: string, key: string, set: ReadonlySet<string>) => void): void {
    for (const address of this) callback(address, address, this);
  }

  /**
   * The set as plain JSON: the other addresses, each member name once, and each group's members as
   * positions in that list.
   */
  toJSON(): AddressSetJson {
    // The names of the JSON this set was read from come first, in their order: the groups not read
    // since keep their positions as they are (a cache written again after an apply that touched a few
    // groups of twenty thousand). Names no group holds any more stay listed; they are few (leavers).
    const names: string[] = [...(this.#names ?? [])];
    let index: Map<string, number> | undefined;
    const groups: (readonly [string, readonly number[]])[] = [];
    for (const [prefix, group] of this.#byGroup) {
      if (!(group instanceof Set)) {
        if (group.length > 0) groups.push([prefix, group]);
        continue;
      }
      index ??= new Map(names.map((name, i) => [name, i]));
      const positions: number[] = [];
      for (const member of group) {
        let i = index.get(member);
        if (i === undefined) {
          i = names.length;
          index.set(member, i);
          names.push(member);
        }
        positions.push(i);
      }
      if (positions.length > 0) groups.push([prefix, positions]);
    }
    return { other: [...this.#other], names, groups };
  }

  /** The set toJSON wrote, or undefined when `value` is not one. */
  static fromJSON(value: unknown): AddressSet | undefined {
    if (typeof value !== "object" || value === null) return undefined;
    const { other, names, groups } = value as Record<string, unknown>;
    if (!isStringList(other) || !isStringList(names) || !Array.isArray(groups)) return undefined;
    // Each name once (toJSON lists them so): a name twice would make one address count twice.
    if (new Set(names).size !== names.length) return undefined;
    const set = new AddressSet(other);
    set.#names = names;
    // Which group last listed each name: a name listed twice in one group makes the value no set.
    const listedBy = new Int32Array(names.length).fill(-1);
    let g = 0;
    for (const group of groups as unknown[]) {
      if (!Array.isArray(group) || typeof group[0] !== "string" || !Array.isArray(group[1])) return undefined;
      const prefix = group[0];
      const positions = group[1] as unknown[];
      if (splitAt(`${prefix}x`) !== prefix.length || set.#byGroup.has(prefix)) return undefined;
      for (const i of positions) {
        if (typeof i !== "number" || names[i] === undefined || listedBy[i] === g) return undefined;
        listedBy[i] = g;
      }
      g++;
      if (positions.length === 0) continue;
      set.#byGroup.set(prefix, positions as number[]);
      set.#size += positions.length;
    }
    return set;
  }
}

export interface AddressSetJson {
  readonly other: readonly string[];
  readonly names: readonly string[];
  readonly groups: readonly (readonly [string, readonly number[]])[];
}

const MEMBERSHIP = ":membership/";

/**
 * Where a membership address's member part starts (after `<provider>:membership/<group>/`), or -1
 * for any other address.
 */
export function splitAt(address: string): number {
  const at = address.indexOf(MEMBERSHIP);
  if (at < 0) return -1;
  const slash = address.indexOf("/", at + MEMBERSHIP.length);
  return slash < 0 ? -1 : slash + 1;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}
