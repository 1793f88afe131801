/**
 * Pure: Active Directory account names taken by another account's userPrincipalName. A new account gets
 * `<account>@<people.upnSuffix>`, and AD also holds its sAMAccountName to imply `<account>@<the domain's
 * DNS name>`; either in use as another entry's userPrincipalName makes the add fail (constraint violation).
 * The plan finds it from the entries a read returns (LiveState.namesTaken) instead of at apply.
 */
import type { AccountElsewhere, LiveState, NameTaken } from "../../model/state.ts";
import { escapeFilterValue, parseDn } from "./dn.ts";
import type { LdapEntry } from "./map.ts";
import { firstValue, valuesOf } from "./map.ts";
import { nonPersonKind } from "./stranger-notes.ts";
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

/** AD's account name: unique in the domain over users, groups and computers alike. */
const SAM = "sAMAccountName";

/**
 * A filter for the entries anywhere in the domain that hold or claim one of `names` as a new account
 * would have them: as their sAMAccountName, or as a userPrincipalName `<name>@<suffix>`.
 */
export function nameClaimsFilter(names: readonly string[], s: LdapSettings): string {
  const under = [...suffixes(s)].map(escapeFilterValue);
  const clauses = names.flatMap((name) => {
    const v = escapeFilterValue(name);
    return [`(${SAM}=${v})`, ...under.map((suffix) => `(${UPN}=${v}@${suffix})`)];
  });
  return `(|${clauses.join("")})`;
}

/**
 * What `entries` (found anywhere in the domain by nameClaimsFilter) do to creating `names`: a user
 * entry holding one as its sAMAccountName is an account outside the scope read (LiveState.elsewhere);
 * a group, computer or contact holding one, or any entry's userPrincipalName claiming one, takes the
 * name (namesTaken). Accounts read in scope (`inScope`, lower case) are left out: the read knows them.
 */
export function claimsOn(
  entries: readonly LdapEntry[],
  names: readonly string[],
  s: LdapSettings,
  inScope: ReadonlySet<string>,
): Pick<LiveState, "elsewhere" | "namesTaken"> {
  const asked = new Set(names.map((n) => n.toLowerCase()));
  const elsewhere: AccountElsewhere[] = [];
  const namesTaken: NameTaken[] = [];
  for (const entry of entries) {
    const sam = firstValue(entry, SAM);
    const key = sam?.toLowerCase();
    if (sam === undefined || key === undefined || inScope.has(key)) continue;
    if (asked.has(key)) {
      const classes = valuesOf(entry, "objectClass").map((c) => c.toLowerCase());
      const kind = nonPersonKind(entry) ?? (classes.includes("group") ? "group" : undefined);
      if (kind === undefined) elsewhere.push({ account: sam, where: entry.dn });
      else
        namesTaken.push({
          account: sam,
          claim: `${SAM} ${sam}`,
          holder: `${sam}, a ${kind}`,
          where: entry.dn,
        });
    }
  }
  for (const taken of namesTakenByUpn(entries, s, inScope))
    if (asked.has(taken.account.toLowerCase())) namesTaken.push(taken);
  return { elsewhere, namesTaken };
}
