import type { DesiredState, LiveGroup, LiveState, LiveUser } from "../model/state.ts";
import { oncePer } from "../model/once-per.ts";

const asIs = (name: string): string => name;
const lowerCase = (name: string): string => name.toLowerCase();

/** The key two names of a system compare by: lower-cased where it ignores case, else the name itself. */
export function nameFold(system: { readonly caseInsensitiveNames?: boolean }): (name: string) => string {
  return system.caseInsensitiveNames === true ? lowerCase : asIs;
}

/**
 * Systems whose names ignore case report a name as they store it: SCIM `userName` and group
 * `displayName` (RFC 7643 §4.1.1, §8.7.1), LDAP `uid` and `cn`, Active Directory, GitHub logins. An app
 * that keeps `Heidi.Klum@example.com` for the `heidi.klum@example.com` of the files holds one account,
 * not two; compared exactly, the plan would disable one, create the other, and remove and add the same
 * membership. So before planning, each live name that equals a desired name only when case is ignored
 * takes the files' spelling: in the user list, in group names and member lists, in maintainers and in
 * managers. A live name is left as it is when the files spell it exactly, when the files have two
 * spellings of it, or when two live names would take the same spelling.
 */
export function alignLiveCase(desired: DesiredState, live: LiveState): LiveState {
  // The journal's spelling of someone's former account counts too: the plan renames it in place or
  // disables it by that name (an app that changed its case by hand still holds the same account).
  const former = desired.formerAccounts;
  const accounts = caseRenames(
    live.users.map((u) => u.account),
    (name) => desired.users.has(name) || former?.has(name) === true,
    () => (former === undefined ? desired.users.keys() : [...desired.users.keys(), ...former.keys()]),
  );
  const groups = caseRenames(
    live.groups.map((g) => g.name),
    (name) => desired.groups.has(name) || formerNamesOf(desired).has(name),
    () => [...desired.groups.keys(), ...formerNamesOf(desired)],
  );
  return renamedLive(live, accounts, groups);
}

/**
 * `live` with accounts and groups under other names (old name → new name), wherever they appear: in the
 * user list, group names and member lists, maintainers and managers. For the files' spelling
 * (alignLiveCase), and for accounts a plan renames in place, which keep their memberships (plan-groups.ts).
 */
export function renamedLive(
  live: LiveState,
  accounts: ReadonlyMap<string, string>,
  groups: ReadonlyMap<string, string>,
): LiveState {
  if (accounts.size === 0 && groups.size === 0) return live;
  const account = (name: string): string => accounts.get(name) ?? name;
  const group = (name: string): string => groups.get(name) ?? name;
  const renamedAll = (names: readonly string[], rename: (name: string) => string): readonly string[] =>
    names.some((n) => rename(n) !== n) ? names.map(rename) : names;
  return {
    ...live,
    users: live.users.map((u): LiveUser => {
      const manager = u.manager === undefined ? undefined : account(u.manager);
      if (account(u.account) === u.account && manager === u.manager) return u;
      return { ...u, account: account(u.account), ...(manager === undefined ? {} : { manager }) };
    }),
    groups: live.groups.map((g): LiveGroup => {
      // Member lists are walked only when some account takes a new spelling; nested groups always.
      const out: { -readonly [K in keyof LiveGroup]: LiveGroup[K] } = {
        ...g,
        name: group(g.name),
        members: accounts.size === 0 ? g.members : renamedAll(g.members, account),
      };
      if (g.groupMembers) out.groupMembers = renamedAll(g.groupMembers, group);
      if (g.maintainers && accounts.size > 0) out.maintainers = renamedAll(g.maintainers, account);
      return out;
    }),
    ...(live.alwaysMaintainers === undefined
      ? {}
      : { alwaysMaintainers: renamedAll(live.alwaysMaintainers, account) }),
  };
}

/**
 * Accounts the journal recorded, in the files' spelling where the system ignores case: each of `names`
 * that equals an account of `filesAccounts` only when case is ignored → that account (as alignLiveCase
 * aligns live names). `Bea.Old` in the journal and `bea.old` in the files are one account there, so
 * whether the files give someone else an account of the journal's is judged on the files' spelling.
 */
export function filesSpelling(
  names: readonly string[],
  filesAccounts: ReadonlySet<string>,
): ReadonlyMap<string, string> {
  return caseRenames(
    names,
    (name) => filesAccounts.has(name),
    () => filesAccounts,
  );
}

/** Every former group name the desired state lists, once per desired state. */
const formerNamesOf = oncePer(
  (desired: DesiredState): ReadonlySet<string> =>
    new Set([...desired.groups.values()].flatMap((g) => g.formerNames ?? [])),
);

/** The case-insensitive key of a name. */
function fold(name: string): string {
  return name.toLowerCase();
}

/**
 * Live name → the desired spelling it should take. Only names the files do not spell exactly are
 * considered, so an organization whose systems agree with its files pays one lookup per live name.
 */
function caseRenames(
  liveNames: readonly string[],
  isDesired: (name: string) => boolean,
  desiredNames: () => Iterable<string>,
): Map<string, string> {
  const renames = new Map<string, string>();
  // A system may list one name twice (an active and a disabled entry): it is still one name.
  const strays = [...new Set(liveNames.filter((name) => !isDesired(name)))];
  if (strays.length === 0) return renames;
  // Fold → the one desired spelling, or null when the files spell it in two ways.
  const spelling = new Map<string, string | null>();
  for (const name of desiredNames()) {
    const key = fold(name);
    const known = spelling.get(key);
    spelling.set(key, known === undefined || known === name ? name : null);
  }
  const live = new Set(liveNames);
  const claimed = new Map<string, number>();
  const candidates: [string, string][] = [];
  for (const name of strays) {
    const target = spelling.get(fold(name));
    if (target === undefined || target === null || live.has(target)) continue;
    candidates.push([name, target]);
    claimed.set(target, (claimed.get(target) ?? 0) + 1);
  }
  for (const [name, target] of candidates) if (claimed.get(target) === 1) renames.set(name, target);
  return renames;
}
