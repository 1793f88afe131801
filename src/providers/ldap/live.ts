/** Pure: the entries of one read (users and groups) → gatehouse's live state, plus log lines about them. */
import { appendAll, compareText, firstFew } from "../../model/lists.ts";
import type { LiveGroup, LiveState, LiveUser } from "../../model/state.ts";
import { isChildOf, isDnUnder, normalizeDn, parseDn } from "./dn.ts";
import type { LdapEntry } from "./map.ts";
import { firstValue, toLiveGroup, toLiveUser, valuesOf, type MemberMeaning } from "./map.ts";
import { danglingValuesNameAccounts, type LdapSettings } from "./settings.ts";
import { namesTakenByUpn } from "./upn.ts";
import { strangerNotes, type GroupStrangers, type NonPersonKind } from "./stranger-notes.ts";

/**
 * Entries holding more than one value of the account attribute (a second `uid`): gatehouse reads the
 * first as the account, but logins (PAM/NSS) may accept the others, which no file grants.
 */
function extraAccountNames(entries: readonly LdapEntry[], s: LdapSettings): string[] {
  return entries.flatMap((entry) => {
    const names = valuesOf(entry, s.users.accountAttribute);
    return names.length > 1
      ? [
          `${entry.dn} holds ${String(names.length)} values of ${s.users.accountAttribute} (${names.join(", ")}): gatehouse manages it as "${names[0] ?? ""}" and neither reads nor removes the others, which logins may accept`,
        ]
      : [];
  });
}

/**
 * Groups the directory cannot tell apart by name (one `cn` in two OUs under the groups OU, or in two
 * cases): the plan reads one of them as the group, so it says so instead of claiming a match, and apply
 * refuses to write to either by guess.
 */
function twinGroups(entries: readonly LdapEntry[]): string[] {
  const byName = new Map<string, string[]>();
  for (const entry of entries) {
    const name = firstValue(entry, "cn");
    if (name === undefined) continue;
    const key = name.toLowerCase();
    const dns = byName.get(key);
    if (dns) dns.push(entry.dn);
    else byName.set(key, [entry.dn]);
  }
  return [...byName]
    .filter(([, dns]) => dns.length > 1)
    .map(
      ([name, dns]) =>
        `${String(dns.length)} groups are named "${name}" (${dns.join("; ")}): the plan reads only one of them, and apply writes only to the one spelled exactly as the files spell it, to neither when several are`,
    );
}

/** Entries in a fixed order (by normalized DN), so the result never depends on the order they were read in. */
function byDn(entries: Iterable<LdapEntry>): LdapEntry[] {
  return [...entries]
    .map((entry) => ({ key: normalizeDn(entry.dn), entry }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((e) => e.entry);
}

/**
 * The account a member value names although no entry has it: a DN directly under the people OU (which
 * gatehouse manages) whose RDN is the attribute it names new accounts by (`uid=ghost,ou=people,…`). Anything else (other
 * OUs, other RDN attributes, a posixGroup memberUid) cannot be told apart from a foreign account and stays
 * out, as before.
 */
/**
 * `liveAccounts` (lower case): where the RDN is not the account attribute, a live account of the value's
 * name may sit at another DN (`cn=Anna Schmidt` with uid anna); the stale `cn=anna` value is not hers, and
 * is not reported as her membership (the plan would say she holds the group while her entry does not).
 */
function danglingAccount(
  value: string,
  s: LdapSettings,
  groupDns: ReadonlySet<string>,
  liveAccounts: ReadonlySet<string>,
): string | undefined {
  // A memberUid names no place: it may be an account outside the people OU, which is not gatehouse's.
  if (s.groups.flavour === "posixGroup") return undefined;
  let rdns;
  try {
    rdns = parseDn(value);
  } catch {
    return undefined;
  }
  const [first] = rdns;
  const type = first?.type.toLowerCase();
  // The RDN gatehouse creates accounts under (`rdnAttribute=<account>`), whether or not it is the account
  // attribute: with `rdnAttribute: cn`, a dangling `cn=eva,<people OU>` is where the account eva is created.
  if (first === undefined || type !== s.users.rdnAttribute.toLowerCase()) return undefined;
  if (!danglingValuesNameAccounts(s)) return undefined;
  if (!isChildOf(value, s.users.dn) || groupDns.has(normalizeDn(value))) return undefined;
  const isAccountRdn = type === s.users.accountAttribute.toLowerCase();
  return isAccountRdn || !liveAccounts.has(first.value.toLowerCase()) ? first.value : undefined;
}

/**
 * DNs that the entries read name (group members, managers) but that are no entry read, where an account
 * held outside the people OU may be (an entry moved out of it by hand): under the base DN, and outside
 * the user scopes (a DN there that was not read is a dangling reference) and the groups read. Distinct,
 * sorted. Which of them are user entries, and their account names, only the directory can say
 * (LdapProvider.accountsElsewhere).
 */
function outsideDns(dns: Iterable<string>, s: LdapSettings, groupDns: ReadonlySet<string>): string[] {
  const userScopes = [s.users.dn, ...(s.disable.method === "move" ? [s.disable.dn] : [])];
  const out = new Map<string, string>();
  for (const dn of dns) {
    let key;
    try {
      key = normalizeDn(dn);
    } catch {
      continue;
    }
    if (out.has(key) || groupDns.has(key) || !isDnUnder(dn, s.baseDn)) continue;
    if (userScopes.some((base) => isDnUnder(dn, base))) continue;
    out.set(key, dn);
  }
  return [...out.values()].sort(compareText);
}

/** What toLiveState makes of one read. */
export interface LiveRead {
  /** The live state, with every stranger noted as unmanaged (withNonPersons tells computers and contacts). */
  readonly state: LiveState;
  /** DNs named by entries read, outside the scopes read: where accounts elsewhere may be (outsideDns). */
  readonly outside: string[];
  /** Each group's member values that are no account nor group read (DNs, or memberUid names). */
  readonly strangers: readonly GroupStrangers[];
  /** The state's `unmanaged` notes other than those on strangers. */
  readonly otherUnmanaged: readonly string[];
}

/**
 * Maps the user entries (people OU and disabled OU) and the group entries into live state. Member values that
 * are neither known users nor (with nesting) groups are left out of the group and said in the state's
 * `unmanaged` (the plan's notes).
 */
export function toLiveState(
  userEntries: Iterable<LdapEntry>,
  groupEntries: Iterable<LdapEntry>,
  settings: LdapSettings,
  nesting: boolean,
): LiveRead {
  const s = settings;
  const sortedUsers = byDn(userEntries);
  const sortedGroups = byDn(groupEntries);
  const accountByDn = new Map<string, string>();
  for (const entry of sortedUsers) {
    const account = firstValue(entry, s.users.accountAttribute);
    if (account !== undefined) accountByDn.set(normalizeDn(entry.dn), account);
  }
  // Manager DNs that are no entry read: perhaps an account outside the people OU (outsideDns).
  const unresolved: string[] = [];
  const accountOfDn = (dn: string): string | undefined => {
    const account = accountByDn.get(normalizeDn(dn));
    if (account === undefined) unresolved.push(dn);
    return account;
  };
  const users: LiveUser[] = [];
  for (const entry of sortedUsers) {
    const user = toLiveUser(entry, s, accountOfDn);
    if (user) users.push(user);
  }
  const groupByDn = new Map<string, string>();
  for (const entry of sortedGroups) {
    const name = firstValue(entry, "cn");
    if (name !== undefined) groupByDn.set(normalizeDn(entry.dn), name);
  }
  const accounts = new Set(accountByDn.values());
  // What each value of a read-cache list of values means in this read (MemberMeaning).
  const meanings = new Map<readonly string[], (MemberMeaning | undefined)[]>();
  const groupDns = new Set(groupByDn.keys());
  const accountsLower = new Set([...accounts].map((a) => a.toLowerCase()));
  const resolver = {
    accountOfKey: (key: string) => accountByDn.get(key),
    groupOfKey: (key: string) => groupByDn.get(key),
    hasAccount: (account: string) => accounts.has(account),
    danglingAccount: (value: string) => danglingAccount(value, s, groupDns, accountsLower),
    meanings: (table: readonly string[]) => {
      let list = meanings.get(table);
      if (list === undefined) {
        list = new Array<MemberMeaning | undefined>(table.length);
        meanings.set(table, list);
      }
      return list;
    },
  };
  const groups: LiveGroup[] = [];
  // Members a group holds that are no user gatehouse reads (an admin account in CN=Users, a built-in
  // group): access it does not manage, so plan notes, and the plan never says the group matches.
  const outsiders: string[] = [];
  const strangers: GroupStrangers[] = [];
  for (const entry of sortedGroups) {
    const mapped = toLiveGroup(entry, s, nesting, resolver);
    if (!mapped) continue;
    groups.push(
      mapped.unknown.length === 0
        ? mapped.group
        : {
            ...mapped.group,
            unmanagedMembers: mapped.unknown.length,
            // memberUid values name no place: whoever is created under one holds the group at once.
            ...(s.groups.flavour === "posixGroup" ? { unmanagedNames: mapped.unknown } : {}),
          },
    );
    if (mapped.unknown.length > 0) {
      if (s.groups.flavour !== "posixGroup") appendAll(unresolved, mapped.unknown);
      // A memberUid that names an account read in another case: the account is there; the value is not
      // its membership (memberUid is compared exactly), and moving the account would not help.
      const cased =
        s.groups.flavour === "posixGroup"
          ? mapped.unknown.filter((v) => accountsLower.has(v.toLowerCase()) && !accounts.has(v))
          : [];
      if (cased.length > 0)
        outsiders.push(
          `group ${mapped.group.name} holds memberUid ${firstFew(cased, 3)}, which names an account under ${s.users.dn} only in another case: memberUid is compared exactly, so it is no membership gatehouse manages; replace it with the account's own spelling in the directory`,
        );
      const rest = mapped.unknown.filter((v) => !cased.includes(v));
      // With nesting off, a group read is no member gatehouse manages: said apart, with the setting.
      const nested = nesting ? [] : rest.filter((v) => nestedGroupOf(v, groupByDn) !== undefined);
      const other = rest.filter((v) => !nested.includes(v));
      if (other.length + nested.length > 0)
        strangers.push({
          group: mapped.group.name,
          values: other,
          ...(nested.length > 0
            ? { nested: nested.map((v) => nestedGroupOf(v, groupByDn) ?? v).sort(compareText) }
            : {}),
        });
    }
  }
  // By code unit, the order the planner merges in (a locale's order would make it sort them again).
  users.sort((a, b) => compareText(a.account, b.account));
  groups.sort((a, b) => compareText(a.name, b.name));
  const otherUnmanaged = [...twinGroups(sortedGroups), ...extraAccountNames(sortedUsers, s), ...outsiders];
  const unmanaged = [
    ...otherUnmanaged,
    ...strangers.flatMap((g) => strangerNotes(g, s, nesting, new Map()).unmanaged),
  ];
  const namesTaken = namesTakenByUpn(sortedUsers, s, accountsLower);
  return {
    state: {
      users,
      groups,
      ...(unmanaged.length > 0 ? { unmanaged } : {}),
      ...(namesTaken.length > 0 ? { namesTaken } : {}),
    },
    outside: outsideDns(unresolved, s, groupDns),
    strangers,
    otherUnmanaged,
  };
}

/** The name of the group read that a member value (a DN) names, if any. */
function nestedGroupOf(value: string, groupByDn: ReadonlyMap<string, string>): string | undefined {
  try {
    return groupByDn.get(normalizeDn(value));
  } catch {
    return undefined; // not a DN
  }
}

/**
 * The member values to look up to tell computers and contacts from accounts (Active Directory only: the
 * classes are AD's): every stranger that is a DN under the base DN, including those under the people OU
 * (an entry the people filter leaves out), sorted. Elsewhere: none (the read stays at its searches).
 */
export function strangerDns(read: LiveRead, s: LdapSettings): string[] {
  if (s.flavour !== "activeDirectory") return [];
  const out = new Map<string, string>();
  for (const { values } of read.strangers) {
    for (const value of values) {
      let key;
      try {
        key = normalizeDn(value);
      } catch {
        continue;
      }
      if (!out.has(key) && isDnUnder(value, s.baseDn)) out.set(key, value);
    }
  }
  return [...out.values()].sort(compareText);
}

/**
 * The read's state once the member entries looked up are known (`kinds`, by normalized DN): strangers
 * that are computers or contacts become `notes` (info, no difference) instead of `unmanaged`.
 */
export function withNonPersons(
  read: LiveRead,
  kinds: ReadonlyMap<string, NonPersonKind>,
  s: LdapSettings,
  nesting: boolean,
): LiveState {
  if (kinds.size === 0) return read.state;
  const unmanaged = [...read.otherUnmanaged];
  const info: string[] = [];
  for (const group of read.strangers) {
    const notes = strangerNotes(group, s, nesting, kinds);
    unmanaged.push(...notes.unmanaged);
    info.push(...notes.info);
  }
  const { namesTaken } = read.state;
  const state: LiveState = {
    users: read.state.users,
    groups: read.state.groups,
    ...(unmanaged.length > 0 ? { unmanaged } : {}),
    ...(namesTaken === undefined ? {} : { namesTaken }),
  };
  return info.length > 0 ? { ...state, notes: info } : state;
}
