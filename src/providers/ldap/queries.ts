/** Search filters and attribute lists for reading users and groups. */
import { escapeFilterValue } from "./dn.ts";
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
  return ["cn", "description", ranged];
}
