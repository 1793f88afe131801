/**
 * Pure: the plan notes on a group's member values that are no account read nor (with nesting) group read
 * ("strangers"), and what a lookup of their entries tells about them (Active Directory: a computer or a
 * contact is no person's account, so it is an info note, not access left unmanaged).
 */
import { compareText, firstFew, plural } from "../../model/lists.ts";
import { isDnUnder, normalizeDn } from "./dn.ts";
import type { LdapEntry } from "./map.ts";
import { valuesOf } from "./map.ts";
import type { LdapSettings } from "./settings.ts";

/** What a member entry is when it is no person's account: gatehouse never manages either. */
export type NonPersonKind = "computer" | "contact";

/** A member entry the lookup found to be a computer or a contact (ElsewhereLookup.nonPersons). */
export interface NonPerson {
  readonly dn: string;
  readonly kind: NonPersonKind;
}

/** A group's member values that are no account read nor group read, in the order read. */
export interface GroupStrangers {
  readonly group: string;
  readonly values: readonly string[];
  /** Groups read that it nests while nesting is off for the provider (their names). */
  readonly nested?: readonly string[];
}

/**
 * The entry's kind when it is a computer or a contact, by its objectClass values. A computer is a
 * `user` too (objectCategory tells them apart in a filter), so `computer` is looked at first; a
 * managed service account is a computer.
 */
export function nonPersonKind(entry: LdapEntry): NonPersonKind | undefined {
  const classes = valuesOf(entry, "objectClass").map((c) => c.toLowerCase());
  if (classes.includes("computer")) return "computer";
  if (classes.includes("contact")) return "contact";
  return undefined;
}

/** Whether a member value is a DN under the people OU (or the disabled OU), where the read finds accounts. */
export function isInUserScope(value: string, s: LdapSettings): boolean {
  const userScopes = [s.users.dn, ...(s.disable.method === "move" ? [s.disable.dn] : [])];
  try {
    return userScopes.some((base) => isDnUnder(value, base));
  } catch {
    return false; // not a DN (a memberUid name)
  }
}

function keyOf(value: string): string | undefined {
  try {
    return normalizeDn(value);
  } catch {
    return undefined;
  }
}

/**
 * The notes on one group's strangers. Those a lookup found to be computers or contacts (`kinds`, by
 * normalized DN) are `info`: normal in AD (GPO filtering, certificate enrolment), no person's access,
 * so they do not make the plan differ. Of the others, a value under the people OU is an entry the people
 * filter leaves out or one that is gone: moving it there would change nothing. Elsewhere it may be a
 * person's account (moving it under the people OU makes it managed): `unmanaged`.
 */
export function strangerNotes(
  { group, values, nested = [] }: GroupStrangers,
  s: LdapSettings,
  nesting: boolean,
  kinds: ReadonlyMap<string, NonPersonKind>,
): { readonly unmanaged: string[]; readonly info: string[] } {
  const unmanaged: string[] = [];
  const info: string[] = [];
  if (nested.length > 0)
    unmanaged.push(
      `group ${group} nests ${plural(nested.length, "group", "groups")} (${firstFew([...nested], 3)}) while nesting is off ` +
        "for this provider: their members hold it too, and neither the access files nor gatehouse say so; " +
        "set `nesting: true` for the provider in gatehouse.yaml to manage nested groups (import then writes them " +
        "as `- group:` members), or remove the nesting in the directory",
    );
  if (values.length === 0) return { unmanaged, info };
  // memberUid values are names, not entries: one no account holds is for an account of that name to come.
  if (s.groups.flavour === "posixGroup") {
    unmanaged.push(
      `group ${group} holds ${plural(values.length, "member", "members")} that gatehouse does not manage ` +
        `(not users under ${s.users.dn}${nesting ? "" : ", or groups nested while nesting is off"}): ${firstFew(values, 3)}; remove ${values.length === 1 ? "it" : "them"} ` +
        `in the directory, or move the account under ${s.users.dn} and into the access files`,
    );
    return { unmanaged, info };
  }
  const computers: string[] = [];
  const contacts: string[] = [];
  const rest: string[] = [];
  for (const value of values) {
    const key = keyOf(value);
    const kind = key === undefined ? undefined : kinds.get(key);
    if (kind === "computer") computers.push(value);
    else if (kind === "contact") contacts.push(value);
    else rest.push(value);
  }
  if (computers.length + contacts.length > 0) {
    const what = [
      ...(computers.length > 0 ? [plural(computers.length, "computer", "computers")] : []),
      ...(contacts.length > 0 ? [plural(contacts.length, "contact", "contacts")] : []),
    ].join(" and ");
    info.push(
      // Sorted: the server returns member values in no set order, and the note must not change between reads.
      `group ${group} holds ${what} (${firstFew([...computers.sort(compareText), ...contacts.sort(compareText)], 3)}): no person's account, ` +
        "so gatehouse neither manages nor removes them, and they do not count as a difference",
    );
  }
  const inScope = rest.filter((v) => isInUserScope(v, s));
  const outside = rest.filter((v) => !inScope.includes(v));
  const holds = (n: number) =>
    `group ${group} holds ${plural(n, "member", "members")} that gatehouse does not manage`;
  if (outside.length > 0)
    unmanaged.push(
      `${holds(outside.length)} (not users under ${s.users.dn}${nesting ? "" : ", or groups nested while nesting is off"}): ` +
        `${firstFew(outside, 3)}; for a person's account, move it under ${s.users.dn} and into the access files; ` +
        "a computer, a contact or another entry that is no person gatehouse never manages: leave it if the group needs it " +
        "(this note then stays), or remove it in the directory",
    );
  if (inScope.length > 0)
    unmanaged.push(
      `${holds(inScope.length)} (under ${s.users.dn} but not read as people: entries the people filter leaves out, ` +
        `such as computers and contacts in Active Directory, or entries that are gone): ${firstFew(inScope, 3)}; ` +
        "gatehouse never manages them: leave them if the group needs them (this note then stays), or remove them in the directory",
    );
  return { unmanaged, info };
}
