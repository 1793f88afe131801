import type { AccessModel, Group, MemberEntry, User } from "../model/access.ts";
import { shareMemberName } from "../model/member-entry.ts";
import { oncePer } from "../model/once-per.ts";
import { sortRanks } from "./rank-sort.ts";

/**
 * The users of a model by position (file order). Effective memberships hold positions, not ids: two
 * million memberships are then eight megabytes of sorted integers instead of map entries and objects.
 */
export interface UserIndex {
  readonly users: readonly User[];
  /** Each user's id by position: a dense list, so a lookup does not touch the user objects. */
  readonly ids: readonly string[];
  readonly position: ReadonlyMap<string, number>;
}

/** One index per model (the model is read-only). */
export const userIndexOf = oncePer((model: AccessModel): UserIndex => {
  const users = [...model.users.values()];
  const ids = users.map((user) => user.id);
  const position = new Map<string, number>();
  ids.forEach((id, i) => position.set(id, i));
  return { users, ids, position };
});

const memberPositionCache = new WeakMap<AccessModel, WeakMap<Group, Int32Array>>();
const positionsFromBefore = new WeakMap<AccessModel, (group: Group) => Int32Array | undefined>();

/**
 * Lets memberPositions take the positions an earlier run worked out for the same group file and the
 * same users in the same order (validate/position-cache.ts), instead of looking a million names up.
 */
export function usePositionsFrom(model: AccessModel, known: (group: Group) => Int32Array | undefined): void {
  positionsFromBefore.set(model, known);
}

/**
 * Whether positions from an earlier run fit `members`: one per entry, each a user position or -1, and
 * the first and last entries found name the users at their positions. A check against a damaged or
 * misfiled cache entry, not a proof: the cache is keyed so that its entries are exact.
 */
function fits(members: readonly MemberEntry[], positions: Int32Array, ids: readonly string[]): boolean {
  if (positions.length !== members.length) return false;
  let first = -1;
  let last = -1;
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i] ?? -2;
    if (p < -1 || p >= ids.length) return false;
    if (p < 0) continue;
    if (first < 0) first = i;
    last = i;
  }
  const names = (i: number): boolean => {
    const entry = members[i];
    return entry?.kind === "user" && entry.user === ids[positions[i] ?? -1];
  };
  return first < 0 || (names(first) && names(last));
}

/**
 * The position of each member entry's user, index-aligned with `group.members`: -1 for a nested group
 * entry or a user no file defines. Worked out once per group and model: validation (unknown members)
 * and effective memberships share the million name lookups of a large organization.
 */
export function memberPositions(model: AccessModel, group: Group): Int32Array {
  let byGroup = memberPositionCache.get(model);
  if (!byGroup) memberPositionCache.set(model, (byGroup = new WeakMap()));
  const hit = byGroup.get(group);
  if (hit) return hit;
  const { position, ids } = userIndexOf(model);
  const members = group.members ?? [];
  const known = positionsFromBefore.get(model)?.(group);
  if (known !== undefined && fits(members, known, ids)) {
    // The names are shared as after a lookup (below), by position: no hashing.
    known.forEach((p, i) => {
      const id = ids[p];
      const entry = members[i];
      if (id !== undefined && entry !== undefined) shareMemberName(entry, id);
    });
    byGroup.set(group, known);
    return known;
  }
  const out = new Int32Array(members.length).fill(-1);
  members.forEach((entry, i) => {
    if (entry.kind !== "user") return;
    const p = position.get(entry.user) ?? -1;
    out[i] = p;
    const id = ids[p];
    if (id !== undefined) shareMemberName(entry, id);
  });
  byGroup.set(group, out);
  return out;
}

const EMPTY = new Int32Array(0);

/** Where `p` sits in the sorted `positions`, or -1 (binary search). */
function indexOfPosition(positions: Int32Array, p: number): number {
  let lo = 0;
  let hi = positions.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = positions[mid] ?? 0;
    if (at === p) return mid;
    if (at < p) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** True when the sorted `positions` hold `p`. */
export function holdsPosition(positions: Int32Array, p: number): boolean {
  return indexOfPosition(positions, p) >= 0;
}

function isSortedUnique(list: ArrayLike<number>): boolean {
  for (let i = 1; i < list.length; i++) if ((list[i] ?? 0) <= (list[i - 1] ?? 0)) return false;
  return true;
}

/**
 * The union of lists of positions, sorted and without repeats. A single list that is already sorted
 * and unique is returned as is (results are read-only and may be shared).
 */
export function unionPositions(lists: readonly ArrayLike<number>[]): Int32Array {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length === 0) return EMPTY;
  const only = nonEmpty.length === 1 ? nonEmpty[0] : undefined;
  if (only instanceof Int32Array && isSortedUnique(only)) return only;
  let total = 0;
  for (const list of nonEmpty) total += list.length;
  const all = new Int32Array(total);
  let at = 0;
  for (const list of nonEmpty) {
    if (list instanceof Int32Array) all.set(list, at);
    else for (let i = 0; i < list.length; i++) all[at + i] = list[i] ?? 0;
    at += list.length;
  }
  sortPositions(all);
  let kept = 0;
  for (const p of all) if (kept === 0 || all[kept - 1] !== p) all[kept++] = p;
  // Release the slack when repeats were many; otherwise a view is enough.
  return kept < all.length * 0.75 ? all.slice(0, kept) : all.subarray(0, kept);
}

/** Sorts positions ascending in place: by radix (sortRanks) when none is negative, as they all are here. */
function sortPositions(all: Int32Array): void {
  let max = 0;
  let min = 0;
  // eslint-disable-next-line @typescript-eslint/prefer-for-of -- indexed: quicker over a typed array
  for (let i = 0; i < all.length; i++) {
    const p = all[i] ?? 0;
    if (p > max) max = p;
    else if (p < min) min = p;
  }
  if (min < 0) all.sort();
  else sortRanks(all, max + 1);
}

/** A read-only set of users held as sorted, unique positions in a UserIndex. */
export class UserSet implements Iterable<string> {
  static readonly EMPTY_POSITIONS = EMPTY;

  readonly #index: UserIndex;
  /** Sorted, unique; never modified. */
  readonly positions: Int32Array;

  constructor(index: UserIndex, positions: Int32Array) {
    this.#index = index;
    this.positions = positions;
  }

  get size(): number {
    return this.positions.length;
  }

  has(userId: string): boolean {
    const p = this.#index.position.get(userId);
    return p !== undefined && holdsPosition(this.positions, p);
  }

  /** User ids in file order. */
  *[Symbol.iterator](): IterableIterator<string> {
    for (const p of this.positions) {
      const user = this.#index.users[p];
      if (user) yield user.id;
    }
  }
}
