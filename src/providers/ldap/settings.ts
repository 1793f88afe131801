import { resolve } from "node:path";
import { ConfigError } from "../../errors.ts";
import type { ProviderConfig } from "../../model/access.ts";
import { formatLocation } from "../../model/source.ts";
import { USER_ATTRIBUTE_KEYS } from "../../model/state.ts";
import { isDnUnder, parseAvas } from "./dn.ts";
import { credentialsInUrl, isLoopback } from "../loopback.ts";

export type DirectoryFlavour = "openldap" | "activeDirectory";
export type GroupFlavour = "groupOfNames" | "groupOfUniqueNames" | "posixGroup" | "group";
export type UserAttributeKey = (typeof USER_ATTRIBUTE_KEYS)[number];

/** How a leaver's account is switched off. */
export type DisableSettings =
  | { readonly method: "move"; readonly dn: string }
  | { readonly method: "attribute"; readonly attribute: string; readonly value: string }
  | { readonly method: "userAccountControl" };

export interface LdapUserSettings {
  /** DN of the people OU (searched with subtree scope). */
  readonly dn: string;
  readonly objectClasses: readonly string[];
  /** Attribute of the entry's RDN (uid for OpenLDAP, cn for AD). */
  readonly rdnAttribute: string;
  /** Attribute holding the account name gatehouse matches users by. */
  readonly accountAttribute: string;
  /** gatehouse user attribute → LDAP attribute; absent keys are not managed. */
  readonly attributes: Readonly<Partial<Record<UserAttributeKey, string>>>;
  /** AD: userPrincipalName = account@upnSuffix on create. */
  readonly upnSuffix?: string;
  /**
   * AD: what names a new entry (its cn): the account (`CN=<account>`, the default) or the person's display
   * name (`CN=<name>`, as ADUC names users; `CN=<name> (<account>)` where another entry in the OU has it).
   */
  readonly entryName: "account" | "name";
  /**
   * AD: the OU (a full DN under `dn`) a new entry is created in, by the person's department in lower
   * case; others go right in `dn`. Entries are not moved when the department changes.
   */
  readonly ouByDepartment?: ReadonlyMap<string, string>;
  /** Where `objectClasses` has posixAccount (RFC 2307): what a new entry gets besides the mapped attributes. */
  readonly posix?: PosixAccountSettings;
}

/** The RFC 2307 attributes posixAccount requires, for entries gatehouse creates. */
export interface PosixAccountSettings {
  /** First uidNumber handed out (the next is one above the highest under the people OU). */
  readonly uidNumberStart: number;
  /** Primary group of every new account (`people.gidNumber`, required: no group is guessed). */
  readonly gidNumber: number;
  /** homeDirectory, with `{account}` standing for the account name (default `/home/{account}`). */
  readonly homeDirectory: string;
  readonly loginShell?: string;
}

export interface LdapGroupSettings {
  readonly dn: string;
  readonly flavour: GroupFlavour;
  readonly objectClass: string;
  /** Attribute holding members: member, uniqueMember or memberUid. */
  readonly memberAttribute: string;
  /** Placeholder member kept in groupOfNames/groupOfUniqueNames that would otherwise be empty. */
  readonly emptyMember: string;
  /** First gidNumber handed out to new posixGroups. */
  readonly gidNumberStart: number;
}

export interface LdapSettings {
  readonly flavour: DirectoryFlavour;
  readonly url: string;
  readonly startTls: boolean;
  /** Absolute path of a PEM file with the CA(s) to trust. */
  readonly caFile?: string;
  readonly bindDn: string;
  readonly passwordEnv: string;
  readonly baseDn: string;
  readonly pageSize: number;
  /** AD: member values asked for per ranged request (the server's MaxValRange, 1,500 by default). */
  readonly rangeSize: number;
  readonly timeoutMs: number;
  readonly maxMembersPerWrite: number;
  /** Keep the last read under .gatehouse/cache/ for the next run (incremental reads across runs). */
  readonly readCache: boolean;
  /**
   * How long after a write the server may still be rewriting the references it affects (OpenLDAP's refint
   * overlay works through one queue after the operation returned), in ms: entries read while a DN they name
   * changed hands are read again until a read this long after agrees (snapshot.ts, Snapshot.unsettled).
   */
  readonly refintLagMs: number;
  readonly users: LdapUserSettings;
  readonly groups: LdapGroupSettings;
  readonly disable: DisableSettings;
  /**
   * The attribute recording an account's last sign-in, for `gatehouse accounts` (a generalized time, or
   * Active Directory's FILETIME); undefined when `lastLoginAttribute: null` switches sign-ins off.
   */
  readonly lastLoginAttribute?: string;
}

/**
 * Where each flavour records the last sign-in by default: OpenLDAP 2.5 writes `pwdLastSuccess` on every
 * successful bind with `olcLastBind: TRUE` on the database; Active Directory replicates
 * `lastLogonTimestamp` to every domain controller (up to 14 days behind, by design).
 */
const DEFAULT_LAST_LOGIN: Readonly<Record<DirectoryFlavour, string>> = {
  openldap: "pwdLastSuccess",
  activeDirectory: "lastLogonTimestamp",
};

/** Keys every provider entry may carry; declared by gatehouse.schema.json and read by the core. */
const COMMON_KEYS = ["type", "mode", "nesting", "accountName", "users", "description", "name"];
const TOP_KEYS = [
  "flavour",
  "url",
  "startTls",
  "caFile",
  "bindDn",
  "passwordEnv",
  "baseDn",
  "pageSize",
  "rangeSize",
].concat([
  "timeoutSeconds",
  "maxMembersPerWrite",
  "readCache",
  "refintLagSeconds",
  "lastLoginAttribute",
  "people",
  "groups",
  "disable",
]);
const USER_KEYS = [
  "ou",
  "objectClasses",
  "rdnAttribute",
  "accountAttribute",
  "attributes",
  "upnSuffix",
  "entryName",
  "ouByDepartment",
  "uidNumberStart",
  "gidNumber",
  "homeDirectory",
  "loginShell",
];
const POSIX_KEYS = ["uidNumberStart", "gidNumber", "homeDirectory", "loginShell"];
const GROUP_KEYS = ["ou", "objectClass", "emptyMember", "gidNumberStart"];
const DISABLE_KEYS = ["method", "ou", "attribute", "value"];
const FLAVOURS: readonly DirectoryFlavour[] = ["openldap", "activeDirectory"];
const GROUP_FLAVOURS: readonly GroupFlavour[] = ["groupOfNames", "groupOfUniqueNames", "posixGroup", "group"];
const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9-]*$/;

const DEFAULT_ATTRIBUTES: Readonly<Record<DirectoryFlavour, Readonly<Record<UserAttributeKey, string>>>> = {
  openldap: {
    name: "cn",
    email: "mail",
    department: "departmentNumber",
    title: "title",
    manager: "manager",
    employmentType: "employeeType",
  },
  activeDirectory: {
    name: "displayName",
    email: "mail",
    department: "department",
    title: "title",
    manager: "manager",
    employmentType: "employeeType",
  },
};

type Obj = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

class Reader {
  private readonly config: ProviderConfig;

  constructor(config: ProviderConfig) {
    this.config = config;
  }

  fail(key: string, problem: string): never {
    const where = formatLocation(this.config.source);
    throw new ConfigError(`${where} provider "${this.config.name}": setting "${key}" ${problem}`);
  }

  object(parent: Obj, key: string, path: string, allowed: readonly string[]): Obj {
    const value = parent[key];
    if (value === undefined) return {};
    if (!isObject(value)) return this.fail(path, "must be a mapping");
    this.onlyKeys(value, path, allowed);
    return value;
  }

  onlyKeys(obj: Obj, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key))
        this.fail(path ? `${path}.${key}` : key, `is unknown; use one of: ${allowed.join(", ")}`);
    }
  }

  string(obj: Obj, key: string, path: string): string | undefined {
    const value = obj[key];
    if (value === undefined) return undefined;
    if (typeof value !== "string" || value.trim() === "")
      return this.fail(path, "must be a non-empty string");
    return value.trim();
  }

  required(obj: Obj, key: string, path: string): string {
    return this.string(obj, key, path) ?? this.fail(path, "is required");
  }

  attribute(obj: Obj, key: string, path: string, fallback: string): string {
    const value = this.string(obj, key, path) ?? fallback;
    if (!ATTRIBUTE_NAME.test(value)) this.fail(path, `must be an LDAP attribute name, got "${value}"`);
    return value;
  }

  integer(obj: Obj, key: string, path: string, fallback: number, min: number, max: number): number {
    const value = obj[key];
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      return this.fail(path, `must be a whole number from ${min} to ${max}`);
    }
    return value;
  }

  boolean(obj: Obj, key: string, path: string, fallback: boolean): boolean {
    const value = obj[key];
    if (value === undefined) return fallback;
    if (typeof value !== "boolean") return this.fail(path, "must be true or false");
    return value;
  }

  /** A whole DN (baseDn, bindDn): every RDN an attribute type and a value ("dc=example,dc=com"). */
  fullDn(obj: Obj, key: string, path: string, example: string): string {
    const value = this.required(obj, key, path);
    const rdns = parseAvas(value);
    const isDn =
      rdns.length > 0 &&
      rdns.every((avas) => avas.every((a) => ATTRIBUTE_NAME.test(a.type) || /^\d+(\.\d+)+$/.test(a.type)));
    if (!isDn || rdns.flat().some((a) => a.value === "") || !value.includes("="))
      this.fail(path, `must be a DN such as "${example}", got "${value}"`);
    return value;
  }

  /** An OU given relative to baseDn ("ou=people") or in full ("ou=people,dc=example,dc=com"). */
  dn(obj: Obj, key: string, path: string, fallback: string, baseDn: string): string {
    const value = this.string(obj, key, path) ?? fallback;
    if (!value.includes("=")) this.fail(path, `must be a DN such as "ou=people", got "${value}"`);
    return isDnUnder(value, baseDn) ? value : `${value},${baseDn}`;
  }
}

function parseUsers(r: Reader, top: Obj, flavour: DirectoryFlavour, baseDn: string): LdapUserSettings {
  const users = r.object(top, "people", "people", USER_KEYS);
  const isAd = flavour === "activeDirectory";
  const classesValue = users["objectClasses"];
  let objectClasses = isAd ? ["top", "person", "organizationalPerson", "user"] : ["inetOrgPerson"];
  if (classesValue !== undefined) {
    if (
      !Array.isArray(classesValue) ||
      classesValue.length === 0 ||
      !classesValue.every((c) => typeof c === "string")
    ) {
      r.fail("people.objectClasses", "must be a non-empty list of object class names");
    }
    objectClasses = classesValue.filter((c): c is string => typeof c === "string");
  }
  const attributes: Partial<Record<UserAttributeKey, string>> = {};
  const attrValue = users["attributes"] ?? {};
  if (!isObject(attrValue)) return r.fail("people.attributes", "must be a mapping");
  r.onlyKeys(attrValue, "people.attributes", USER_ATTRIBUTE_KEYS);
  for (const key of USER_ATTRIBUTE_KEYS) {
    // null switches an attribute off: gatehouse then neither reads nor writes it.
    if (attrValue[key] === null) continue;
    attributes[key] = r.attribute(
      attrValue,
      key,
      `people.attributes.${key}`,
      DEFAULT_ATTRIBUTES[flavour][key],
    );
  }
  const upnSuffix = r.string(users, "upnSuffix", "people.upnSuffix");
  const entryName = r.string(users, "entryName", "people.entryName") ?? "account";
  if (entryName !== "account" && entryName !== "name")
    return r.fail("people.entryName", 'must be "account" or "name"');
  if (entryName === "name" && !isAd)
    return r.fail("people.entryName", "is for activeDirectory (an OpenLDAP entry is named by its uid)");
  const posix = parsePosix(r, users, objectClasses);
  const dn = r.dn(users, "ou", "people.ou", isAd ? "cn=Users" : "ou=people", baseDn);
  const ouByDepartment = parseOuByDepartment(r, users, isAd, dn, baseDn);
  return {
    dn,
    objectClasses,
    rdnAttribute: r.attribute(users, "rdnAttribute", "people.rdnAttribute", isAd ? "cn" : "uid"),
    accountAttribute: r.attribute(
      users,
      "accountAttribute",
      "people.accountAttribute",
      isAd ? "sAMAccountName" : "uid",
    ),
    attributes,
    ...(upnSuffix === undefined ? {} : { upnSuffix }),
    entryName,
    ...(ouByDepartment === undefined ? {} : { ouByDepartment }),
    ...(posix === undefined ? {} : { posix }),
  };
}

/** `people.ouByDepartment`: department (lower case) → OU, each given relative to people.ou or in full under it. */
function parseOuByDepartment(
  r: Reader,
  users: Obj,
  isAd: boolean,
  peopleDn: string,
  baseDn: string,
): ReadonlyMap<string, string> | undefined {
  const value = users["ouByDepartment"];
  if (value === undefined) return undefined;
  const path = "people.ouByDepartment";
  if (!isAd)
    return r.fail(path, "is for activeDirectory (an OpenLDAP entry is found where gatehouse creates it)");
  if (!isObject(value)) return r.fail(path, "must be a mapping from a department to an OU under people.ou");
  const out = new Map<string, string>();
  for (const department of Object.keys(value)) {
    const at = `${path}.${department}`;
    const given = r.string(value, department, at);
    if (given !== undefined && isDnUnder(given, baseDn) && !isDnUnder(given, peopleDn))
      r.fail(at, `must be under people.ou (${peopleDn}), where the read finds people; got "${given}"`);
    out.set(department.toLowerCase(), r.dn(value, department, at, "", peopleDn));
  }
  return out;
}

/**
 * What a new posixAccount entry needs (uidNumber, gidNumber, homeDirectory): read where `objectClasses`
 * has posixAccount, where the settings are refused otherwise (they would do nothing).
 */
function parsePosix(
  r: Reader,
  users: Obj,
  objectClasses: readonly string[],
): PosixAccountSettings | undefined {
  const isPosix = objectClasses.some((c) => c.toLowerCase() === "posixaccount");
  if (!isPosix) {
    const given = POSIX_KEYS.find((k) => users[k] !== undefined);
    if (given !== undefined)
      r.fail(
        `people.${given}`,
        "is for posixAccount entries; add posixAccount to people.objectClasses or remove it",
      );
    return undefined;
  }
  if (users["gidNumber"] === undefined)
    r.fail(
      "people.gidNumber",
      "is required where people.objectClasses has posixAccount: the primary group of every account gatehouse creates (e.g. the gidNumber of a users group)",
    );
  const homeDirectory = r.string(users, "homeDirectory", "people.homeDirectory") ?? "/home/{account}";
  if (!homeDirectory.startsWith("/"))
    r.fail(
      "people.homeDirectory",
      `must be an absolute path such as "/home/{account}", got "${homeDirectory}"`,
    );
  const loginShell = r.string(users, "loginShell", "people.loginShell");
  return {
    uidNumberStart: r.integer(users, "uidNumberStart", "people.uidNumberStart", 10_000, 1, 2_147_483_647),
    gidNumber: r.integer(users, "gidNumber", "people.gidNumber", 0, 0, 2_147_483_647),
    homeDirectory,
    ...(loginShell === undefined ? {} : { loginShell }),
  };
}

function parseGroups(r: Reader, top: Obj, flavour: DirectoryFlavour, baseDn: string): LdapGroupSettings {
  const groups = r.object(top, "groups", "groups", GROUP_KEYS);
  const isAd = flavour === "activeDirectory";
  const objectClass =
    r.string(groups, "objectClass", "groups.objectClass") ?? (isAd ? "group" : "groupOfNames");
  const groupFlavour = GROUP_FLAVOURS.find((f) => f.toLowerCase() === objectClass.toLowerCase());
  if (!groupFlavour)
    r.fail("groups.objectClass", `must be one of: ${GROUP_FLAVOURS.join(", ")}; got "${objectClass}"`);
  const memberAttribute =
    groupFlavour === "posixGroup"
      ? "memberUid"
      : groupFlavour === "groupOfUniqueNames"
        ? "uniqueMember"
        : "member";
  return {
    dn: r.dn(groups, "ou", "groups.ou", isAd ? "cn=Users" : "ou=groups", baseDn),
    flavour: groupFlavour,
    objectClass: groupFlavour,
    memberAttribute,
    emptyMember:
      r.string(groups, "emptyMember", "groups.emptyMember") ?? `cn=empty-membership-placeholder,${baseDn}`,
    gidNumberStart: r.integer(groups, "gidNumberStart", "groups.gidNumberStart", 10_000, 1, 2_147_483_647),
  };
}

function parseDisable(r: Reader, top: Obj, flavour: DirectoryFlavour, baseDn: string): DisableSettings {
  const disable = r.object(top, "disable", "disable", DISABLE_KEYS);
  const method =
    r.string(disable, "method", "disable.method") ??
    (flavour === "activeDirectory" ? "userAccountControl" : "move");
  switch (method) {
    case "move":
      return { method, dn: r.dn(disable, "ou", "disable.ou", "ou=disabled", baseDn) };
    case "attribute":
      return {
        method,
        attribute: r.attribute(disable, "attribute", "disable.attribute", ""),
        value: r.required(disable, "value", "disable.value"),
      };
    case "userAccountControl":
      return { method };
    default:
      return r.fail("disable.method", `must be one of: move, attribute, userAccountControl; got "${method}"`);
  }
}

/** Validates `config.settings` of an `ldap` provider into typed settings; throws ConfigError naming the key. */
/** The host of an ldap(s):// URL as URL.hostname spells it (lower case, IPv6 in brackets). */
function hostOf(url: string): string {
  return URL.canParse(url) ? new URL(url).hostname : "";
}

export function parseLdapSettings(config: ProviderConfig, cwd: string): LdapSettings {
  const r = new Reader(config);
  const top = config.settings;
  r.onlyKeys(top, "", [...COMMON_KEYS, ...TOP_KEYS]);
  const flavourValue = r.string(top, "flavour", "flavour") ?? "openldap";
  const flavour = FLAVOURS.find((f) => f === flavourValue);
  if (flavour === undefined)
    return r.fail("flavour", `must be "openldap" or "activeDirectory"; got "${flavourValue}"`);
  const url = r.required(top, "url", "url");
  const credentials = credentialsInUrl(url, "give the bind DN as bindDn and its password in passwordEnv");
  if (credentials !== undefined) r.fail("url", credentials);
  if (!/^ldaps?:\/\/[^/\s]+\/?$/i.test(url))
    r.fail("url", `must look like ldap://host:port or ldaps://host:port; got "${url}"`);
  const startTls = r.boolean(top, "startTls", "startTls", false);
  if (startTls && url.toLowerCase().startsWith("ldaps:"))
    r.fail("startTls", "cannot be used with an ldaps:// url");
  // The bind password (and every attribute) would cross the network in clear.
  if (!startTls && url.toLowerCase().startsWith("ldap:") && !isLoopback(hostOf(url)))
    r.fail(
      "url",
      `ldap:// without startTls: true sends the bind password in clear; use ldaps:// or set startTls: true (plain ldap:// is allowed only for localhost, 127.0.0.0/8 and ::1); got "${url}"`,
    );
  const passwordEnv = r.required(top, "passwordEnv", "passwordEnv");
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(passwordEnv))
    r.fail("passwordEnv", "must be the name of an environment variable");
  const baseDn = r.fullDn(top, "baseDn", "baseDn", "dc=example,dc=com");
  const caFile = r.string(top, "caFile", "caFile");
  const readCache = r.boolean(top, "readCache", "readCache", false);
  // null switches sign-ins off (as for people.attributes): the report then says it has none.
  const lastLoginAttribute =
    top["lastLoginAttribute"] === null
      ? undefined
      : r.attribute(top, "lastLoginAttribute", "lastLoginAttribute", DEFAULT_LAST_LOGIN[flavour]);
  return {
    flavour,
    url,
    startTls,
    ...(caFile === undefined ? {} : { caFile: resolve(cwd, caFile) }),
    bindDn: r.fullDn(top, "bindDn", "bindDn", "cn=gatehouse,ou=services,dc=example,dc=com"),
    passwordEnv,
    baseDn,
    pageSize: r.integer(top, "pageSize", "pageSize", 500, 1, 100_000),
    rangeSize: r.integer(top, "rangeSize", "rangeSize", 1_500, 1, 100_000),
    timeoutMs: r.integer(top, "timeoutSeconds", "timeoutSeconds", 30, 1, 3_600) * 1_000,
    maxMembersPerWrite: r.integer(top, "maxMembersPerWrite", "maxMembersPerWrite", 1_000, 1, 100_000),
    readCache,
    refintLagMs: r.integer(top, "refintLagSeconds", "refintLagSeconds", 900, 0, 86_400) * 1_000,
    users: parseUsers(r, top, flavour, baseDn),
    groups: parseGroups(r, top, flavour, baseDn),
    disable: parseDisable(r, top, flavour, baseDn),
    ...(lastLoginAttribute === undefined ? {} : { lastLoginAttribute }),
  };
}

/** Whether an entry's RDN is its account attribute (`uid=bea`): its DN then names the account. */
export function rdnIsAccount(s: LdapSettings): boolean {
  return s.users.rdnAttribute.toLowerCase() === s.users.accountAttribute.toLowerCase();
}

/**
 * Whether a dangling `<rdnAttribute>=<name>` value under the people OU stands for the account `name`: where
 * gatehouse creates it. AD keeps no dangling values, and names a user by cn, not by sAMAccountName, so
 * there only where the RDN is the account attribute. Removals write such a value back by the same rule.
 */
export function danglingValuesNameAccounts(s: LdapSettings): boolean {
  return s.flavour !== "activeDirectory" || rdnIsAccount(s);
}
