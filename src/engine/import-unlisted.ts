import type { DesiredState, LiveState } from "../model/state.ts";

/** How the import names what it reads: the same lookups renderImport writes the files with. */
export interface ImportNames {
  /** Compares names as the system does (lower case where it ignores case). */
  readonly fold: (name: string) => string;
  /** The user id an account has in the files, or gets in this import. */
  readonly idOf: (account: string) => string | undefined;
  /** Accounts this import declares as new people (folded). */
  readonly adopted: ReadonlySet<string>;
  /** The files' name of a live group they define already (by name or former name), if they do. */
  readonly filesGroupOf: (live: string) => string | undefined;
  /** The system imported from (gatehouse.yaml's name). */
  readonly system: string;
}

/** Names listed in a warning, then a count. */
const SHOWN = 20;

function listed(names: readonly string[]): string {
  const more = names.length > SHOWN ? ` and ${String(names.length - SHOWN)} more` : "";
  return names.slice(0, SHOWN).join(", ") + more;
}

/**
 * Warnings for live groups the access files define already (so the import writes nothing of them): one the
 * files give other systems only (its `providers` leave this one out), and one that holds members or nested
 * groups the files do not give it: someone put them there by hand after an
 * earlier import. The import adds no line to a file it did not write, so without the warning they would
 * surface only as drift the next authoritative plan removes. Leavers and people who have not started are
 * left out (the files take their access away on purpose), as are groups whose members the files do not
 * manage.
 */
export function unlistedMembershipWarnings(
  live: LiveState,
  desired: DesiredState,
  names: ImportNames,
): string[] {
  const { fold } = names;
  const desiredUsers = new Map([...desired.users.values()].map((u) => [fold(u.account), u]));
  const liveUsers = new Map(live.users.map((u) => [fold(u.account), u]));
  const warnings: string[] = [];
  for (const group of live.groups) {
    const name = names.filesGroupOf(group.name);
    if (name === undefined) continue;
    const elsewhere = desired.groupsElsewhere?.get(name);
    if (elsewhere !== undefined) {
      // Defined for other systems only: this system's group of that name is in no file for it, and an
      // authoritative plan deletes it with everyone in it. Import writes nothing of it, so say so now.
      const held = group.members.length + (group.groupMembers?.length ?? 0);
      warnings.push(
        `group ${group.name} in ${names.system} (${String(held)} member(s)) has the name of a group the access files give other systems only (its providers leave ${names.system} out): import writes nothing of it. ` +
          `To manage it here, add ${names.system} to its providers (then its members are the files'); ` +
          "otherwise the next plan in mode authoritative deletes it (mode additive leaves it)",
      );
      continue;
    }
    const wanted = desired.groups.get(name);
    if (wanted?.managesMembers !== true) continue;
    const given = new Set([...wanted.members.accounts()].map(fold));
    const members: string[] = [];
    for (const account of new Set(group.members)) {
      const key = fold(account);
      if (given.has(key)) continue;
      // A leaver or someone not started yet holds nothing by the files: the plan's removal is on purpose.
      if (desiredUsers.get(key)?.enabled === false) continue;
      const isNew = names.adopted.has(key);
      // A disabled account is imported as a leaver, whose memberships the first apply removes (said apart).
      if (isNew && liveUsers.get(key)?.enabled === false) continue;
      const id = names.idOf(account) ?? account;
      members.push(isNew ? `${id} (new in this import)` : id);
    }
    const nested = (group.groupMembers ?? []).filter(
      (inner) => !wanted.groupMembers.has(names.filesGroupOf(inner) ?? inner),
    );
    if (members.length === 0 && nested.length === 0) continue;
    const what = [
      ...(members.length > 0 ? [`member(s) ${listed(members.sort())}`] : []),
      ...(nested.length > 0 ? [`nested group(s) ${listed(nested.sort())}`] : []),
    ].join("; ");
    warnings.push(
      `group ${name}, which the access files define already, holds what they do not give it: ${what}. ` +
        "import adds no line to a group the files define: list those that should keep it in its members " +
        "(or give them a role), or the next plan in mode authoritative removes them as drift (mode additive keeps them)",
    );
  }
  return warnings;
}
