/**
 * The groups of one access file's data as the readers of review blocks in git history need them: the
 * users each lists itself and its `review` block. One reader for `review history` (review-walk.ts) and
 * `journal access` (line-removals.ts), which used to read them each their own way.
 */
import { isObj, list, str, strList } from "../load/read-data.ts";

/** One group of a file: its names, the users of its member lines and grants, and its review block. */
export interface GroupBlock {
  readonly name: string;
  readonly formerNames: readonly string[];
  /** Users of its member lines and grants (nested groups are not reviewed, so not listed). */
  readonly users: ReadonlySet<string>;
  /** The review under way: its due day and the names pending (empty names left out). */
  readonly review?: { readonly due: string; readonly pending: readonly string[] };
}

/** The groups of a file's data (as the project's loader reads it), in file order; none when it has none. */
export function groupBlocksOf(data: unknown): GroupBlock[] {
  if (!isObj(data)) return [];
  const groups: GroupBlock[] = [];
  for (const group of list(data, "groups") ?? []) {
    if (!isObj(group)) continue;
    const name = str(group, "name");
    if (name === undefined) continue;
    const users = new Set<string>();
    for (const entry of list(group, "members") ?? []) {
      const user = typeof entry === "string" ? entry : isObj(entry) ? str(entry, "user") : undefined;
      if (user !== undefined) users.add(user);
    }
    const block = group["review"];
    const due = isObj(block) ? str(block, "due") : undefined;
    groups.push({
      name,
      formerNames: strList(group, "formerNames") ?? [],
      users,
      ...(isObj(block) && due !== undefined
        ? { review: { due, pending: (strList(block, "pending") ?? []).filter((n) => n !== "") } }
        : {}),
    });
  }
  return groups;
}
