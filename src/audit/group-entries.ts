/**
 * The part of a journal that can bear on one group's answer at an instant (accessAt): what changed its
 * members or its names, and what that needs (runs, account renames and deletions). Kept in memory, it
 * lets a window be answered at many instants for one more read of the journal.
 */
import { membershipOf, renamedGroupTo, renamedUserTo } from "../plan/addresses.ts";
import type { JournalEntry } from "./journal-entry.ts";
import { eachEntry } from "./journal-lines.ts";

/**
 * Renames, fed in any order, as links between names: the names a group (or an account) may have gone by are
 * those a chain of renames joins to its name. Providers are not told apart and a name taken again by
 * another one joins too, so the set can hold more than its names, never fewer.
 */
class RenameLinks {
  readonly #linked = new Map<string, Set<string>>(); // name → names a rename joined to it

  link(from: string, to: string): void {
    this.#join(from, to);
    this.#join(to, from);
  }

  /** `names` and every name a chain of renames joins to one of them. */
  namesOf(names: Iterable<string>): ReadonlySet<string> {
    const joined = new Set(names);
    for (const name of joined) for (const next of this.#linked.get(name) ?? []) joined.add(next);
    return joined;
  }

  #join(from: string, to: string): void {
    let names = this.#linked.get(from);
    if (!names) this.#linked.set(from, (names = new Set<string>()));
    names.add(to);
  }
}

/** The group renames of the journal, fed entry by entry: which names a group may have gone by. */
export class GroupRenames {
  readonly #links = new RenameLinks();

  note(entry: JournalEntry): void {
    if (entry.type !== "change" || entry.change.kind !== "group") return;
    const to = renamedGroupTo(entry.change);
    if (to !== undefined) this.#links.link(entry.change.group, to);
  }

  /** `group` and every name a chain of renames joins to it. */
  namesOf(group: string): ReadonlySet<string> {
    return this.#links.namesOf([group]);
  }
}

/**
 * The first `count` of the journal's entries (those an earlier read saw: a run may append meanwhile), in
 * order, that can change the answer of accessAt for a group that went by `names`: every run's start (its
 * commit, actor and approvals; whether a run came after a grant's end), every group change (renames and
 * deletions decide which name was the group's when), the renames and deletions of accounts that are or were
 * its members (a member renamed in place keeps its membership), and the membership changes and announcements
 * of those names. Everything else is about other groups, or (what shows a member was held outside gatehouse)
 * is taken from the read of the whole journal.
 */
export async function entriesOfGroup(
  journalPath: string,
  names: ReadonlySet<string>,
  count: number,
): Promise<JournalEntry[]> {
  const kept: JournalEntry[] = [];
  const members = new Set<string>(); // accounts the group's membership changes name
  const accountRenames = new RenameLinks();
  let read = 0;
  await eachEntry(journalPath, (entry) => {
    if (++read > count || !bearsOnGroup(entry, names)) return;
    kept.push(entry);
    if (entry.type === "adopted") for (const member of entry.members) members.add(member);
    if (entry.type !== "change") return;
    const { change } = entry;
    if (change.kind === "membership" && change.memberKind === "user") members.add(change.member);
    const to = renamedUserTo(change);
    if (to !== undefined && change.kind === "user") accountRenames.link(change.account, to);
  });
  // Only an account that is, or by renames was or became, one the group's changes name can move or tell
  // apart its memberships: a mass rename of every account elsewhere would be replayed at every instant.
  const accounts = accountRenames.namesOf(members);
  return kept.filter(
    (entry) => entry.type !== "change" || entry.change.kind !== "user" || accounts.has(entry.change.account),
  );
}

function bearsOnGroup(entry: JournalEntry, names: ReadonlySet<string>): boolean {
  if (entry.type === "apply-start") return true;
  if (entry.type === "adopted") return names.has(entry.group);
  if (entry.type === "intent") return entry.changeIds.some((id) => isOfNames(id, entry.provider, names));
  if (entry.type !== "change") return false;
  const { change } = entry;
  switch (change.kind) {
    case "group":
      return true;
    case "user":
      return renamedUserTo(change) !== undefined || change.action === "delete";
    case "membership":
      // The change id too: a failed or refused outcome answers an announcement all the same.
      return names.has(change.group) || isOfNames(entry.changeId, entry.provider, names);
    default:
      return false;
  }
}

function isOfNames(changeId: string, provider: string, names: ReadonlySet<string>): boolean {
  const group = membershipOf(changeId, provider)?.group;
  return group !== undefined && names.has(group);
}
