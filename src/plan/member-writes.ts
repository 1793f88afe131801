import type { Change } from "./types.ts";

/** The key a member move's two halves share: group, former name, new name. */
function moveKey(group: string, from: string, to: string): string {
  return `${group}\n${from}\n${to}`;
}

/**
 * The other half of each member move among `changes` (the add of the new name, renamedFrom, and the
 * removal of the former one, renamedTo, in the same group), both ways.
 */
function moveHalves<T extends Change>(changes: readonly T[]): Map<T, T> {
  const adds = new Map<string, T>();
  for (const c of changes)
    if (c.kind === "membership" && c.action === "add" && c.renamedFrom !== undefined)
      adds.set(moveKey(c.group, c.renamedFrom, c.member), c);
  const out = new Map<T, T>();
  if (adds.size === 0) return out;
  for (const c of changes) {
    if (c.kind !== "membership" || c.action !== "remove" || c.renamedTo === undefined) continue;
    const add = adds.get(moveKey(c.group, c.member, c.renamedTo));
    if (add === undefined) continue;
    out.set(c, add);
    out.set(add, c);
  }
  return out;
}

/**
 * Splits changes into writes: each change alone, except membership changes of the same group, which
 * share writes of at most `maxMembersPerWrite` (in the order their groups first come). A member move's
 * add and removal (a rename in place whose values do not follow: Capabilities.userRenameRewrites) are
 * always in the same write, even where that makes it one change longer than the limit (a limit of 1):
 * apart, the removal could be written while the add's write fails or is never made, and the renamed
 * person would be out of the group, a removal the plan counted nowhere.
 */
export function memberWrites<T extends Change>(changes: readonly T[], maxMembersPerWrite: number): T[][] {
  const halves = moveHalves(changes);
  const writes: T[][] = [];
  const byGroup = new Map<string, T[]>();
  const placed = new Set<Change>();
  for (const c of changes) {
    if (c.kind !== "membership") {
      writes.push([c]);
      continue;
    }
    if (placed.has(c)) continue;
    const other = halves.get(c);
    const unit = other === undefined ? [c] : [c, other];
    if (other !== undefined) placed.add(other);
    let current = byGroup.get(c.group);
    if (current === undefined || (current.length > 0 && current.length + unit.length > maxMembersPerWrite)) {
      current = [];
      byGroup.set(c.group, current);
      writes.push(current);
    }
    current.push(...unit);
  }
  return writes;
}
