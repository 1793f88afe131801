/** Pure translation between LDAP entries and gatehouse's live state, and from changes to LDAP writes. */
import type { EmploymentType } from "../../model/access.ts";
import type { LiveGroup, LiveUser, UserAttributes } from "../../model/state.ts";
import { USER_ATTRIBUTE_KEYS } from "../../model/state.ts";
import type { FieldDiff } from "../../plan/types.ts";
import { buildDn, firstRdnValue, isChildOf, isDnUnder, normalizeDn, parseAvas, parseDn } from "./dn.ts";
import { rdnIsAccount, type LdapSettings, type UserAttributeKey } from "./settings.ts";

/** An entry as read: attribute names in lower case, every value a string. */
export interface LdapEntry {
  readonly dn: string;
  readonly attributes: ReadonlyMap<string, readonly string[]>;
}

export interface LdapModification {
  readonly operation: "add" | "delete" | "replace";
  readonly attribute: string;
  readonly values: readonly string[];
}

/** AD userAccountControl bits. */
export const UAC_ACCOUNTDISABLE = 0x2;
export const UAC_PASSWD_NOTREQD = 0x20;
const UAC_NORMAL_ACCOUNT = 0x200;

const EMPLOYMENT_TYPES: readonly EmploymentType[] = ["employee", "contractor", "intern", "service"];
/** Attributes the person class requires; never left empty. */
const REQUIRED_NAME_ATTRIBUTES = new Set(["cn", "sn"]);

export function valuesOf(entry: LdapEntry, attribute: string): readonly string[] {
  return entry.attributes.get(lowerName(attribute)) ?? [];
}

/** Attribute names in lower case: a read asks for the same few names of every entry. */
const lowerNames = new Map<string, string>();

function lowerName(attribute: string): string {
  let lower = lowerNames.get(attribute);
  if (lower === undefined) {
    lower = attribute.toLowerCase();
    if (lowerNames.size < 1_000) lowerNames.set(attribute, lower);
  }
  return lower;
}

/**
 * Where the values of a list read from the read cache sit in that file's list of values (each value once:
 * snapshot-cache.ts). A read works out what a member value means once per value of that list, not once
 * per membership: two million member values at 100k people name about a hundred thousand DNs.
 */
export interface ValuePositions {
  readonly table: readonly string[];
  readonly positions: Int32Array;
}

const valuePositions = new WeakMap<readonly string[], ValuePositions>();

/** Records where the values of `values` (a list of an entry) sit in `table`. */
export function rememberPositions(
  values: readonly string[],
  table: readonly string[],
  positions: Int32Array,
): void {
  valuePositions.set(values, { table, positions });
}

export function positionsOf(values: readonly string[]): ValuePositions | undefined {
  return valuePositions.get(values);
}

export function firstValue(entry: LdapEntry, attribute: string): string | undefined {
  return valuesOf(entry, attribute)[0];
}

export function isUserDisabled(entry: LdapEntry, settings: LdapSettings): boolean {
  const disable = settings.disable;
  switch (disable.method) {
    case "move":
      return isDnUnder(entry.dn, disable.dn);
    case "attribute":
      return valuesOf(entry, disable.attribute).some((v) => v.toLowerCase() === disable.value.toLowerCase());
    case "userAccountControl":
      return (Number(firstValue(entry, "userAccountControl") ?? "0") & UAC_ACCOUNTDISABLE) !== 0;
  }
}

/** Entry → LiveUser; `accountOfDn` turns the manager's DN into an account name. */
export function toLiveUser(
  entry: LdapEntry,
  settings: LdapSettings,
  accountOfDn: (dn: string) => string | undefined,
): LiveUser | undefined {
  const account = firstValue(entry, settings.users.accountAttribute);
  if (account === undefined) return undefined;
  const user: { -readonly [K in keyof LiveUser]: LiveUser[K] } = {
    account,
    enabled: !isUserDisabled(entry, settings),
  };
  // The entry's own name (AD: cn=…) where it is not the account attribute and says another name, for
  // an entry right in the people OU: where gatehouse would create the account of that name.
  if (!rdnIsAccount(settings)) {
    const rdn = firstRdnValue(entry.dn);
    // Not an entry named by a display name (`people.entryName: name`, as ADUC names users; then the
    // display name may have changed since): its cn was never an account name.
    const byName = settings.users.entryName === "name";
    const name = settings.users.attributes.name;
    const display = name === undefined ? undefined : firstValue(entry, name)?.toLowerCase();
    const isNamed = (value: string) =>
      value === display || value === `${display ?? ""} (${account.toLowerCase()})`;
    if (
      rdn !== undefined &&
      rdn.toLowerCase() !== account.toLowerCase() &&
      !byName &&
      !isNamed(rdn.toLowerCase()) &&
      isChildOf(entry.dn, settings.users.dn)
    )
      user.otherName = rdn;
  }
  if (settings.flavour === "activeDirectory") {
    const endDate = lastDayOfAccountExpires(firstValue(entry, "accountExpires"));
    if (endDate !== undefined) user.endDate = endDate;
  }
  for (const key of USER_ATTRIBUTE_KEYS) {
    const attribute = settings.users.attributes[key];
    const value = attribute === undefined ? undefined : firstValue(entry, attribute);
    if (value === undefined) continue;
    if (key === "manager") {
      const manager = accountOfDn(value);
      if (manager !== undefined) user.manager = manager;
    } else if (key === "employmentType") {
      // `Contractor` as written by hand or by another tool is the contractor the files mean; another
      // value (`Full-Time`) stays as it is, so a plan shows what it would overwrite.
      user.employmentType = EMPLOYMENT_TYPES.find((t) => t === value.toLowerCase()) ?? value;
    } else {
      user[key] = value;
    }
  }
  return user;
}

/**
 * A member value naming an object Active Directory deleted: `CN=<name>\0ADEL:<guid>,CN=Deleted Objects,…`
 * (the name AD gives a deleted object, in the container it moves it to). Nothing else, and never
 * outside Active Directory: an account in a container someone named "Deleted Objects" is an account.
 */
function isDeletedObjectLink(dn: string, settings: LdapSettings): boolean {
  if (settings.flavour !== "activeDirectory") return false;
  const [own, parent] = parseDn(dn);
  return (
    own !== undefined &&
    own.value.includes("\nDEL:") &&
    parent?.type.toLowerCase() === "cn" &&
    parent.value.toLowerCase() === "deleted objects"
  );
}

export interface GroupResolver {
  /** Account name of a user DN (normalizeDn) in the managed people (or disabled) OU. */
  accountOfKey(key: string): string | undefined;
  /** Group name of a group DN (normalizeDn) in the managed groups OU. */
  groupOfKey(key: string): string | undefined;
  hasAccount(account: string): boolean;
  /**
   * The account a member value names when no entry has it (a dangling value): a user created under that
   * name later would hold the membership at once, so it counts as a member by that name.
   */
  danglingAccount(value: string): string | undefined;
  /**
   * Where to keep what each value of a read-cache list of values means (ValuePositions), for the read
   * this resolver serves; undefined: work each value out again.
   */
  meanings?(table: readonly string[]): (MemberMeaning | undefined)[];
}

/**
 * What one member value stands for (toLiveGroup): an account, a group (a member with nesting, else
 * `dn`, when set, is reported as unknown), a DN gatehouse does not manage, or nothing (the placeholder,
 * a link to a deleted object).
 */
export type MemberMeaning =
  | { readonly kind: "account"; readonly name: string }
  | { readonly kind: "group"; readonly name: string; readonly dn: string | undefined }
  | { readonly kind: "unknown"; readonly dn: string }
  | { readonly kind: "none" };

const NO_MEANING: MemberMeaning = { kind: "none" };

function meaningOf(
  value: string,
  settings: LdapSettings,
  placeholder: string,
  resolve: GroupResolver,
): MemberMeaning {
  const dn = stripUniqueMemberUid(value);
  // Normalized once: a read of a large directory holds hundreds of thousands of member values.
  const key = normalizeDn(dn);
  if (key === placeholder) return NO_MEANING;
  const account = resolve.accountOfKey(key);
  if (account !== undefined) return { kind: "account", name: account };
  // A link to a deleted object (AD's recycle bin, which Samba still lists) grants nothing.
  const isDeleted = isDeletedObjectLink(dn, settings);
  const group = resolve.groupOfKey(key);
  if (group !== undefined) return { kind: "group", name: group, dn: isDeleted ? undefined : dn };
  const dangling = resolve.danglingAccount(dn);
  if (dangling !== undefined) return { kind: "account", name: dangling };
  return isDeleted ? NO_MEANING : { kind: "unknown", dn };
}

/** Entry → LiveGroup, plus the member values that are neither known users nor (with nesting) groups. */
export function toLiveGroup(
  entry: LdapEntry,
  settings: LdapSettings,
  nesting: boolean,
  resolve: GroupResolver,
): { group: LiveGroup; unknown: string[] } | undefined {
  const name = firstValue(entry, "cn");
  if (name === undefined) return undefined;
  const members: string[] = [];
  const groupMembers: string[] = [];
  const unknown: string[] = [];
  const placeholder = normalizeDn(settings.groups.emptyMember);
  const values = valuesOf(entry, settings.groups.memberAttribute);
  if (settings.groups.flavour === "posixGroup")
    for (const value of values) (resolve.hasAccount(value) ? members : unknown).push(value);
  else {
    const at = positionsOf(values);
    const known = at === undefined ? undefined : resolve.meanings?.(at.table);
    for (let k = 0; k < values.length; k++) {
      const p = known === undefined ? -1 : (at?.positions[k] ?? -1);
      let meaning = p < 0 ? undefined : known?.[p];
      if (meaning === undefined) {
        meaning = meaningOf(values[k] ?? "", settings, placeholder, resolve);
        if (p >= 0 && known !== undefined) known[p] = meaning;
      }
      if (meaning.kind === "account") members.push(meaning.name);
      else if (meaning.kind === "group" && nesting) groupMembers.push(meaning.name);
      else if (meaning.kind !== "none" && meaning.dn !== undefined) unknown.push(meaning.dn);
    }
  }
  const description = firstValue(entry, "description");
  const accountName = settings.groups.flavour === "group" ? firstValue(entry, "sAMAccountName") : undefined;
  const isOther = accountName !== undefined && accountName.toLowerCase() !== name.toLowerCase();
  const group: LiveGroup = {
    name,
    members: members.sort(),
    ...(description === undefined ? {} : { description }),
    ...(nesting ? { groupMembers: groupMembers.sort() } : {}),
    ...(isOther ? { otherName: accountName } : {}),
  };
  return { group, unknown };
}

/** uniqueMember values may carry an optional "#'0101'B" unique identifier. */
export function stripUniqueMemberUid(value: string): string {
  // Tested first: millions of member values on a large read, almost none with the suffix.
  return value.endsWith("'B") ? value.replace(/#'[01]*'B$/, "") : value;
}

/** A generational or academic suffix after a family name: "Jr.", "III", "PhD". */
const NAME_SUFFIX = /^(?:jr|sr|i{2,3}|iv|v|vi|phd|md|dds|esq|mba|msc|bsc)\.?$/i;

/**
 * The family name (sn) in a full name, for systems that require one: the last word, passing over a
 * suffix ("Dieter Koch, Jr." is Koch, "Martin King III" is King); in "Koch, Dieter" the part before the
 * comma. A guess: people whose family name it gets wrong can be corrected in the directory, as gatehouse
 * sets sn only when it writes the name.
 */
export function surnameOf(name: string): string {
  const [head = "", ...rest] = name.split(",").map((part) => part.trim());
  const afterComma = rest.filter((part) => part !== "");
  // "Last, First": everything before the comma is the family name ("van der Berg, Jan").
  if (
    afterComma.length > 0 &&
    !afterComma.every((part) => part.split(/\s+/).every((w) => NAME_SUFFIX.test(w)))
  )
    return head === "" ? name.trim() : head;
  const words = head.split(/\s+/).filter((w) => w !== "");
  while (words.length > 1 && NAME_SUFFIX.test(words.at(-1) ?? "")) words.pop();
  return words.at(-1) ?? name.trim();
}

/**
 * AD: the OU a new account of someone in `department` is created in (people.ouByDepartment, matched
 * whatever the case); undefined where the mapping gives none (the people OU itself, then).
 */
export function departmentOu(u: LdapSettings["users"], department: string | undefined): string | undefined {
  const key = department?.trim().toLowerCase();
  return key === undefined ? undefined : u.ouByDepartment?.get(key);
}

/** LDAP values for one gatehouse attribute; `managerDn` is the already-resolved manager entry. */
function ldapValuesFor(
  key: UserAttributeKey,
  after: UserAttributes,
  managerDn: string | undefined,
): string[] {
  if (key === "manager") return managerDn === undefined ? [] : [managerDn];
  const value = after[key];
  return value === undefined || value === "" ? [] : [value];
}

function nameAttributes(
  account: string,
  after: UserAttributes,
  settings: LdapSettings,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const trimmed = after.name?.trim();
  const name = trimmed === "" ? undefined : trimmed;
  const nameAttribute = settings.users.attributes.name;
  if (nameAttribute !== undefined) out.set(nameAttribute, [name ?? account]);
  if (settings.flavour === "openldap" || name !== undefined)
    out.set("sn", [name ? surnameOf(name) : account]);
  if (settings.flavour === "activeDirectory" && name !== undefined) {
    out.set("displayName", [name]);
    // ADUC's First name: the name without the family name; none for a one-word name.
    const given = givenNameOf(name);
    out.set("givenName", given === undefined ? [] : [given]);
  }
  return out;
}

/**
 * The given name(s) of a display name, the counterpart of surnameOf: "Ann Marie Lee" → "Ann Marie",
 * "Lee, Ann" → "Ann", "Sam Smith Jr." → "Sam". Undefined where the name is one word.
 */
export function givenNameOf(name: string): string | undefined {
  const surname = surnameOf(name);
  const [head = "", ...rest] = name.split(",").map((part) => part.trim());
  const afterComma = rest.filter((part) => part !== "");
  if (afterComma.length > 0 && head === surname) return afterComma.join(" ");
  const words = head.split(/\s+/).filter((w) => w !== "");
  const at = words.lastIndexOf(surname);
  const given = (at > 0 ? words.slice(0, at) : []).join(" ");
  return given === "" ? undefined : given;
}

/** Milliseconds from 1601-01-01 (Windows FILETIME's epoch) to 1970-01-01. */
const FILETIME_EPOCH_MS = 11_644_473_600_000n;

/** The accountExpires AD gives a new account: never (the largest FILETIME). */
const NEVER_EXPIRES_VALUE = "9223372036854775807";

/** accountExpires values that mean "never" (0 and the largest FILETIME, which AD's tools write). */
const NEVER_EXPIRES = new Set(["0", NEVER_EXPIRES_VALUE]);

/**
 * AD's accountExpires for a last day (`2026-12-31`, inclusive, UTC, as gatehouse reads endDate): the
 * FILETIME (100 ns since 1601) of the midnight that ends it. Undefined for a value that is no date.
 */
export function accountExpiresOf(endDate: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(endDate)) return undefined;
  const start = Date.parse(`${endDate}T00:00:00Z`);
  if (!Number.isFinite(start)) return undefined;
  return String((BigInt(start + 86_400_000) + FILETIME_EPOCH_MS) * 10_000n);
}

/**
 * The last day an AD accountExpires leaves the account working (YYYY-MM-DD, UTC): the day of the instant
 * just before it expires, so the midnight that ends a day (in any time zone east of UTC, as AD's tools
 * write it) gives that day. Undefined for never, or for a value that is no FILETIME.
 */
export function lastDayOfAccountExpires(value: string | undefined): string | undefined {
  if (value === undefined || NEVER_EXPIRES.has(value) || !/^\d{1,19}$/.test(value)) return undefined;
  const ms = Number(BigInt(value) / 10_000n - FILETIME_EPOCH_MS) - 1;
  const day = new Date(ms);
  return Number.isNaN(day.getTime()) ? undefined : day.toISOString().slice(0, 10);
}

/**
 * The RDN values a new user entry may take, in order: the account; on AD with `people.entryName: name`,
 * the display name, then `<name> (<account>)` for when another entry in the OU holds that cn.
 */
export function newUserRdns(account: string, after: UserAttributes, settings: LdapSettings): string[] {
  const name = after.name?.trim();
  if (settings.users.entryName !== "name" || name === undefined || name === "") return [account];
  return name.toLowerCase() === account.toLowerCase() ? [name] : [name, `${name} (${account})`];
}

/** The DN and attributes of a new user entry. */
export function newUserEntry(
  account: string,
  after: UserAttributes,
  settings: LdapSettings,
  managerDn: string | undefined,
  /** The uidNumber allocated for it, where people are posixAccounts (settings.users.posix). */
  uidNumber?: number,
  /** The value of its RDN (newUserRdns); the account by default. */
  rdn: string = account,
): { dn: string; attributes: Record<string, string[]> } {
  const u = settings.users;
  const attributes: Record<string, string[]> = { objectClass: [...u.objectClasses] };
  attributes[u.rdnAttribute] = [rdn];
  attributes[u.accountAttribute] = [account];
  for (const [attribute, values] of nameAttributes(account, after, settings))
    if (values.length > 0) attributes[attribute] = values;
  for (const key of USER_ATTRIBUTE_KEYS) {
    const attribute = u.attributes[key];
    if (key === "name" || attribute === undefined) continue;
    const values = ldapValuesFor(key, after, managerDn);
    if (values.length > 0) attributes[attribute] = values;
  }
  const posix = u.posix;
  if (posix !== undefined) {
    // RFC 2307 §4: posixAccount must have cn, uid, uidNumber, gidNumber and homeDirectory.
    attributes["uidNumber"] = [String(uidNumber ?? posix.uidNumberStart)];
    attributes["gidNumber"] = [String(posix.gidNumber)];
    attributes["homeDirectory"] = [posix.homeDirectory.replaceAll("{account}", account)];
    if (posix.loginShell !== undefined) attributes["loginShell"] = [posix.loginShell];
    attributes["uid"] ??= [account];
  }
  if (settings.flavour === "activeDirectory") {
    // A normal account that requires a password: the caller sets a random one nobody learns (unicodePwd),
    // so people sign in through SSO or a password reset. Never PASSWD_NOTREQD: Kerberos/NTLM accept a blank one.
    attributes["userAccountControl"] = [String(UAC_NORMAL_ACCOUNT)];
    if (u.upnSuffix !== undefined) attributes["userPrincipalName"] = [`${account}@${u.upnSuffix}`];
  }
  const parent = departmentOu(u, after.department) ?? u.dn;
  return { dn: buildDn(u.rdnAttribute, rdn, parent), attributes };
}

/** AD's unicodePwd value: the password in double quotes, UTF-16LE. */
export function unicodePwdValue(password: string): Buffer {
  return Buffer.from(`"${password}"`, "utf16le");
}

/** One replace per changed attribute; an emptied attribute is removed (except the required naming ones). */
export function userModifications(
  account: string,
  fields: readonly FieldDiff[],
  after: UserAttributes,
  settings: LdapSettings,
  managerDn: string | undefined,
  entryDn?: string,
): LdapModification[] {
  const mods = new Map<string, LdapModification>();
  for (const field of fields) {
    // The person's last day (Capabilities.expiresAccounts): AD's accountExpires; cleared, never (the
    // value AD gives a new account).
    const expires =
      field.field !== "endDate"
        ? undefined
        : field.after === null
          ? NEVER_EXPIRES_VALUE
          : accountExpiresOf(field.after);
    if (settings.flavour === "activeDirectory" && expires !== undefined) {
      mods.set("accountExpires", { operation: "replace", attribute: "accountExpires", values: [expires] });
      continue;
    }
    const key = USER_ATTRIBUTE_KEYS.find((k) => k === field.field);
    if (key === undefined || settings.users.attributes[key] === undefined) continue;
    if (key === "name") {
      for (const [attribute, values] of nameAttributes(account, after, settings)) {
        mods.set(attribute, { operation: "replace", attribute, values });
      }
      continue;
    }
    const attribute = settings.users.attributes[key] ?? key;
    let values = ldapValuesFor(key, after, managerDn);
    if (values.length === 0 && REQUIRED_NAME_ATTRIBUTES.has(attribute.toLowerCase())) values = [account];
    mods.set(attribute, { operation: "replace", attribute, values });
  }
  // AD's cn is single-valued and changes only by a rename: there the write stays as it is.
  if (entryDn === undefined || settings.flavour === "activeDirectory") return [...mods.values()];
  const rdn = parseAvas(entryDn)[0] ?? [];
  return [...mods.values()].map((m) => keepingRdn(m, rdn));
}

/**
 * A replace of an attribute that names the entry (`cn=Anna Schmidt,…` with `name: cn`) keeps the RDN's
 * value: the server refuses to drop it (naming violation, LDAP 64), and the whole modify fails with it.
 */
function keepingRdn(mod: LdapModification, rdn: ReturnType<typeof parseAvas>[number]): LdapModification {
  if (mod.operation !== "replace") return mod;
  const type = mod.attribute.toLowerCase();
  const missing = rdn
    .filter((a) => a.type.toLowerCase() === type)
    .map((a) => a.value)
    .filter((v) => !mod.values.some((w) => w.toLowerCase() === v.toLowerCase()));
  return missing.length === 0 ? mod : { ...mod, values: [...mod.values, ...missing] };
}

/** Writes that switch a user off or on, for the in-place methods ("move" is a modifyDN instead). */
export function enabledModifications(
  entry: LdapEntry,
  settings: LdapSettings,
  enabled: boolean,
): LdapModification[] {
  const disable = settings.disable;
  switch (disable.method) {
    case "move":
      return [];
    case "attribute":
      return [{ operation: "replace", attribute: disable.attribute, values: enabled ? [] : [disable.value] }];
    case "userAccountControl": {
      const current = Number(firstValue(entry, "userAccountControl") ?? String(UAC_NORMAL_ACCOUNT));
      const next = enabled ? current & ~UAC_ACCOUNTDISABLE : current | UAC_ACCOUNTDISABLE;
      return next === current
        ? []
        : [{ operation: "replace", attribute: "userAccountControl", values: [String(next)] }];
    }
  }
}

export function newGroupEntry(
  name: string,
  description: string | undefined,
  settings: LdapSettings,
  gidNumber: number | undefined,
): { dn: string; attributes: Record<string, string[]> } {
  const g = settings.groups;
  const attributes: Record<string, string[]> = {
    objectClass: g.flavour === "group" ? ["top", "group"] : [g.objectClass],
    cn: [name],
  };
  if (description !== undefined && description !== "") attributes["description"] = [description];
  if (g.flavour === "group") attributes["sAMAccountName"] = [name];
  if (g.flavour === "posixGroup") attributes["gidNumber"] = [String(gidNumber ?? g.gidNumberStart)];
  if (g.flavour === "groupOfNames" || g.flavour === "groupOfUniqueNames")
    attributes[g.memberAttribute] = [g.emptyMember];
  return { dn: buildDn("cn", name, g.dn), attributes };
}

/**
 * The one modify that adds and removes these member values. Values already present (or already absent)
 * are skipped. groupOfNames/groupOfUniqueNames must keep a member (OpenLDAP error 65): the placeholder
 * goes in with the last removal and out with the first real member.
 */
export function memberModifications(
  current: readonly string[],
  adds: readonly string[],
  removes: readonly string[],
  settings: LdapSettings,
): LdapModification[] {
  const g = settings.groups;
  const isDn = g.flavour !== "posixGroup";
  const key = (v: string): string => (isDn ? normalizeDn(stripUniqueMemberUid(v)) : v);
  // Every value the group holds, by what it names: a server may hold one member under two spellings
  // of its DN (different case), and a removal must take out all of them, or the member stays.
  const present = new Map<string, string[]>();
  for (const v of current) {
    const spellings = present.get(key(v));
    if (spellings) spellings.push(v);
    else present.set(key(v), [v]);
  }
  const toAdd = new Map<string, string>();
  const toRemove = new Map<string, readonly string[]>();
  for (const v of adds) if (!present.has(key(v))) toAdd.set(key(v), v);
  for (const v of removes) {
    const existing = present.get(key(v));
    if (existing !== undefined && !toAdd.has(key(v))) toRemove.set(key(v), existing);
  }
  if (g.flavour === "groupOfNames" || g.flavour === "groupOfUniqueNames") {
    const placeholder = key(g.emptyMember);
    const remaining =
      [...present.keys()].filter((k) => k !== placeholder && !toRemove.has(k)).length + toAdd.size;
    const existing = present.get(placeholder);
    if (remaining === 0 && existing === undefined) toAdd.set(placeholder, g.emptyMember);
    if (remaining > 0 && existing !== undefined) toRemove.set(placeholder, existing);
  }
  const mods: LdapModification[] = [];
  if (toAdd.size > 0)
    mods.push({ operation: "add", attribute: g.memberAttribute, values: [...toAdd.values()] });
  if (toRemove.size > 0)
    mods.push({ operation: "delete", attribute: g.memberAttribute, values: [...toRemove.values()].flat() });
  return mods;
}

/** "member;range=0-1499" → { attribute: "member", end: 1499 }; end is undefined for the last chunk ("*"). */
export function parseRangedAttribute(
  name: string,
): { attribute: string; start: number; end: number | undefined } | undefined {
  const match = /^([^;]+);range=(\d+)-(\d+|\*)$/i.exec(name);
  if (!match?.[1] || !match[2] || !match[3]) return undefined;
  return {
    attribute: match[1],
    start: Number(match[2]),
    end: match[3] === "*" ? undefined : Number(match[3]),
  };
}
