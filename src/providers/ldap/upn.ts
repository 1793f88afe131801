/**
 * Pure: Active Directory account names taken by another account's userPrincipalName. A new account gets
 * `<account>@<people.upnSuffix>`, and AD also holds its sAMAccountName to imply `<account>@<the domain's
 * DNS name>`; either in use as another entry's userPrincipalName makes the add fail (constraint violation).
 * The plan finds it from the entries a read returns (LiveState.namesTaken) instead of at apply.
 */
import type { NameTaken } from "../../model/state.ts";
import { parseDn } from "./dn.ts";
import type { LdapEntry } from "./map.ts";
import { firstValue } from "./map.ts";
import type { LdapSettings } from "./settings.ts";

export const UPN = "userPrincipalName";

/** The domain's DNS name from the base DN's DC components (`DC=corp,DC=example` → corp.example). */
function domainName(baseDn: string): string | undefined {
  try {
    const dcs = parseDn(baseDn).filter((r) => r.type.toLowerCase() === "dc");
    return dcs.length === 0 ? undefined : dcs.map((r) => r.value).join(".");
  } catch {
    return undefined;
  }
}

/** The UPN suffixes (lower case) under which a new account's name would clash. */
function suffixes(s: LdapSettings): ReadonlySet<string> {
  return new Set(
    [s.users.upnSuffix, domainName(s.baseDn)].flatMap((x) => (x === undefined ? [] : [x.toLowerCase()])),
  );
}

/**
 * The names the entries' userPrincipalNames take from new accounts: a UPN `<name>@<suffix>` whose name
 * is not the entry's own account, and no account in `accounts` (lower case: they exist, nothing is
 * created under them). Empty except on Active Directory.
 */
export function namesTakenByUpn(
  entries: Iterable<LdapEntry>,
  s: LdapSettings,
  accounts: ReadonlySet<string>,
): NameTaken[] {
  if (s.flavour !== "activeDirectory") return [];
  const under = suffixes(s);
  const out: NameTaken[] = [];
  for (const entry of entries) {
    const upn = firstValue(entry, UPN);
    const holder = firstValue(entry, s.users.accountAttribute);
    if (upn === undefined || holder === undefined) continue;
    const at = upn.lastIndexOf("@");
    if (at <= 0 || !under.has(upn.slice(at + 1).toLowerCase())) continue;
    const name = upn.slice(0, at);
    const key = name.toLowerCase();
    if (key === holder.toLowerCase() || accounts.has(key)) continue;
    out.push({ account: name, claim: `${UPN} ${upn}`, holder, where: entry.dn });
  }
  return out;
}
