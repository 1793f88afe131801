/** Search filters and attribute lists for reading users and groups. */
import { escapeFilterValue, isDnUnder } from "./dn.ts";
import type { LdapSettings } from "./settings.ts";

export function userFilter(settings: LdapSettings, account?: string): string {
  const cls =
    settings.flavour === "activeDirectory"
      ? "(objectCategory=person)(objectClass=user)"
      : `(objectClass=${settings.users.objectClasses.at(-1) ?? "inetOrgPerson"})`;
  const match =
    account === undefined
      ? `(${settings.users.accountAttribute}=*)`
      : `(${settings.users.accountAttribute}=${escapeFilterValue(account)})`;
  return `(&${cls}${match})`;
}

export function groupFilter(settings: LdapSettings, name?: string): string {
  const cls = `(objectClass=${settings.groups.objectClass})`;
  return name === undefined ? cls : `(&${cls}(cn=${escapeFilterValue(name)}))`;
}

/** Attributes to request when reading users (memberOf is operational in OpenLDAP: ask explicitly). */
export function userReadAttributes(settings: LdapSettings): string[] {
  const attrs = new Set([settings.users.accountAttribute, ...Object.values(settings.users.attributes)]);
  if (settings.disable.method === "attribute") attrs.add(settings.disable.attribute);
  if (settings.disable.method === "userAccountControl") attrs.add("userAccountControl");
  // AD: to find the account names a userPrincipalName already takes (upn.ts), and the account's expiry.
  if (settings.flavour === "activeDirectory") {
    attrs.add("userPrincipalName");
    attrs.add("accountExpires");
  }
  return [...attrs];
}

/**
 * Attributes to request when reading groups. Active Directory hands out at most MaxValRange (1,500) values
 * of a multi-valued attribute per request, so members are asked for in ranges ("member;range=0-1499").
 */
export function groupReadAttributes(settings: LdapSettings): string[] {
  const members = settings.groups.memberAttribute;
  const ranged =
    settings.flavour === "activeDirectory" ? `${members};range=0-${settings.rangeSize - 1}` : members;
  // AD: sAMAccountName too, which a rename of the cn by hand leaves as it was (LiveGroup.otherName).
  return settings.groups.flavour === "group"
    ? ["cn", "sAMAccountName", "description", ranged]
    : ["cn", "description", ranged];
}

/**
 * Operational attributes (asked for explicitly) that tell whether an entry changed and whether it is still
 * the same entry. OpenLDAP: entryCSN (new with every write, in microseconds plus a change counter),
 * modifyTimestamp (seconds), entryUUID (kept through renames, new when an entry is deleted and added
 * again) and createTimestamp (an entry deleted and restored with its entryUUID, which the Relax Rules
 * control allows, gets a new one unless the restore sets it too), all set by the server. Active Directory: uSNChanged (the domain controller's update sequence
 * number of the entry's last change, counted per controller) and objectGUID (AD's entryUUID).
 */
export function changeStampAttributes(settings: LdapSettings): readonly string[] {
  return settings.flavour === "activeDirectory"
    ? ["uSNChanged", "objectGUID"]
    : ["entryCSN", "modifyTimestamp", "entryUUID", "createTimestamp"];
}

/** One subtree a read covers: the people OU, the disabled OU (when outside it) or the groups OU. */
export interface ReadScope {
  readonly kind: "users" | "groups";
  readonly base: string;
  readonly filter: string;
  /** Attributes of a full read of this scope. */
  readonly attributes: readonly string[];
}

/** The subtrees a read searches, in order; `withStamps` adds the change stamps to every entry. */
export function readScopes(settings: LdapSettings, withStamps: boolean): ReadScope[] {
  const s = settings;
  const stamps = withStamps ? changeStampAttributes(s) : [];
  const userBases = [s.users.dn];
  if (s.disable.method === "move" && !isDnUnder(s.disable.dn, s.users.dn)) userBases.push(s.disable.dn);
  const users = userBases.map((base): ReadScope => ({
    kind: "users",
    base,
    filter: userFilter(s),
    attributes: [...userReadAttributes(s), ...stamps],
  }));
  const groups: ReadScope = {
    kind: "groups",
    base: s.groups.dn,
    filter: groupFilter(s),
    attributes: [...groupReadAttributes(s), ...stamps],
  };
  return [...users, groups];
}

/**
 * The entries of a scope with these DNs: by OpenLDAP's entryDN operational attribute, or by AD's
 * distinguishedName.
 */
export function entryDnFilter(settings: LdapSettings, scopeFilter: string, dns: readonly string[]): string {
  const attribute = settings.flavour === "activeDirectory" ? "distinguishedName" : "entryDN";
  const terms = dns.map((dn) => `(${attribute}=${escapeFilterValue(dn)})`);
  const any = terms.length === 1 ? (terms[0] ?? "") : `(|${terms.join("")})`;
  return `(&${scopeFilter}${any})`;
}
