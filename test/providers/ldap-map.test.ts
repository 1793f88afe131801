import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.ts";
import type { ProviderConfig } from "../../src/model/access.ts";
import {
  escapeDnValue,
  firstRdnValue,
  isChildOf,
  isDnUnder,
  movedDn,
  normalizeDn,
  normalizeDnByParsing,
  parseDn,
  rawRdns,
  renamedDn,
} from "../../src/providers/ldap/dn.ts";
import type { LdapEntry } from "../../src/providers/ldap/map.ts";
import {
  enabledModifications,
  memberModifications,
  newGroupEntry,
  newUserEntry,
  accountExpiresOf,
  lastDayOfAccountExpires,
  surnameOf,
  givenNameOf,
  parseRangedAttribute,
  toLiveGroup,
  toLiveUser,
  unicodePwdValue,
  userModifications,
} from "../../src/providers/ldap/map.ts";
import { toLiveState } from "../../src/providers/ldap/live.ts";
import { toProviderError } from "../../src/providers/ldap/error-map.ts";
import { AdminLimitExceededError, ConstraintViolationError, SizeLimitExceededError } from "ldapts";
import { randomAdPassword } from "../../src/providers/ldap/directory.ts";
import { parseLdapSettings } from "../../src/providers/ldap/settings.ts";
import { claimsOn, nameClaimsFilter } from "../../src/providers/ldap/upn.ts";
import { strictSchemas } from "../helpers/schemas.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BASE = "dc=example,dc=com";

function config(settings: Record<string, unknown>, name = "ldap"): ProviderConfig {
  return {
    name,
    type: "ldap",
    mode: "authoritative",
    nesting: true,
    settings: {
      url: "ldap://127.0.0.1:389",
      baseDn: BASE,
      bindDn: `cn=gh,${BASE}`,
      passwordEnv: "PW",
      ...settings,
    },
    source: { file: "access/gatehouse.yaml", line: 4, column: 5 },
  };
}
const openldap = parseLdapSettings(config({}), "/repo");
const posix = parseLdapSettings(config({ groups: { objectClass: "posixGroup" } }), "/repo");
const ad = parseLdapSettings(config({ flavour: "activeDirectory", baseDn: "DC=corp,DC=com" }), "/repo");

function entry(dn: string, attributes: Record<string, string[]>): LdapEntry {
  return { dn, attributes: new Map(Object.entries(attributes).map(([k, v]) => [k.toLowerCase(), v])) };
}

describe("ldap DNs", () => {
  it("compares DNs regardless of case, spaces and escaping style", () => {
    expect(normalizeDn("UID=Ann , OU=People,DC=Example,DC=com")).toBe(
      normalizeDn("uid=ann,ou=people,dc=example,dc=com"),
    );
    expect(normalizeDn("cn=a\\2Cb,dc=x")).toBe(normalizeDn("cn=a\\,b,dc=x"));
    expect(isDnUnder("uid=a,ou=people,dc=example,dc=com", "OU=People,DC=example,DC=com")).toBe(true);
    expect(isDnUnder("uid=a,ou=peoplex,dc=example,dc=com", "ou=people,dc=example,dc=com")).toBe(false);
  });

  it("escapes special characters in a DN value and parses them back", () => {
    const value = " Smith, John+Jr #1 ";
    expect(parseDn(`cn=${escapeDnValue(value)},${BASE}`)[0]?.value).toBe(
      value.trim() === value ? value : value,
    );
  });
});

describe("normalizeDn", () => {
  /** The definition: every RDN parsed, lower-cased and escaped again (multi-valued ones pair by pair). */
  const byParsing = normalizeDnByParsing;

  it("keeps a multi-valued RDN apart from a single value of the same characters, in any order of its pairs", () => {
    // Two entries that can live side by side: one named by cn and uid, one whose cn is "x+uid=y".
    expect(normalizeDn("cn=x+uid=y,dc=x")).not.toBe(normalizeDn("cn=x\\+uid\\=y,dc=x"));
    expect(normalizeDn("UID=Y + CN=X,dc=x")).toBe(normalizeDn("cn=x+uid=y,dc=x"));
    expect(normalizeDn("cn=x\\2Buid\\3Dy,dc=x")).toBe(normalizeDn("cn=x\\+uid\\=y,dc=x"));
    // Plain DNs (the quick way) are unaffected.
    expect(normalizeDn("cn=x+uid=y,dc=x")).toBe("cn=x+uid=y,dc=x");
  });

  it("takes the quick way for plain DNs and gives what parsing gives, for any DN", () => {
    const fixed = [
      "uid=Ann,ou=People,dc=Example,dc=com",
      "  UID = Ann  ,  OU=People , DC=example,DC=com  ",
      "uid=,ou=x",
      "=x,ou=y",
      "uid=a=b,ou=x",
      "uid=a , , ou=x",
      ",uid=a,",
      "uid",
      "uid=a,ou",
      "",
      " ",
      "cn=Jos\\C3\\A9,ou=x",
      "cn=a\\,b,dc=x",
      'cn="quoted",dc=x',
      "cn=a+sn=b,dc=x",
      "cn=#41,dc=x",
      "cn=a;ou=b",
      "cn=\\ lead,dc=x",
      "cn=tab\there,dc=x",
      "cn=ÉCOLE,dc=x",
      "CN=İstanbul,DC=x",
    ];
    const alphabet = ["a", "B", "=", ",", " ", "\\", "+", '"', ";", "#", "<", "é", "\t", "2C"];
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const random = Array.from({ length: 5_000 }, () =>
      Array.from({ length: 1 + next(24) }, () => alphabet[next(alphabet.length)] ?? "").join(""),
    );
    for (const dn of [...fixed, ...random]) expect(normalizeDn(dn), JSON.stringify(dn)).toBe(byParsing(dn));
    // The first RDN's value (an AD user's cn beside its sAMAccountName), the quick way too.
    for (const dn of [...fixed, ...random])
      expect(firstRdnValue(dn), JSON.stringify(dn)).toBe(parseDn(dn)[0]?.value);
  });
});

describe("ldap DN edge cases", () => {
  it("tells a child of a DN from the DN itself and from entries deeper down, whatever the case and spacing", () => {
    expect(isChildOf("uid=ann,OU=People, dc=Example,dc=com", "ou=people,dc=example,dc=com")).toBe(true);
    expect(isChildOf("cn=a\\,b,ou=people,dc=example,dc=com", "ou=people,dc=example,dc=com")).toBe(true);
    expect(isChildOf("ou=people,dc=example,dc=com", "ou=people,dc=example,dc=com")).toBe(false);
    expect(isChildOf("uid=ann,ou=team,ou=people,dc=example,dc=com", "ou=people,dc=example,dc=com")).toBe(
      false,
    );
    expect(isChildOf("uid=ann,ou=other,dc=example,dc=com", "ou=people,dc=example,dc=com")).toBe(false);
  });

  it("decodes a run of hex escapes as UTF-8, so a hex-escaped member matches the same DN in plain text", () => {
    expect(parseDn("cn=Jos\\C3\\A9,dc=x")[0]?.value).toBe("José");
    expect(parseDn("cn=\\E5\\B1\\B1\\E7\\94\\B0\\2C jr,dc=x")[0]?.value).toBe("山田, jr");
    expect(normalizeDn("CN=Jos\\c3\\a9,DC=x")).toBe(normalizeDn("cn=José,dc=x"));
  });

  it("escapes a value of one space as a single escaped space that parses back", () => {
    expect(escapeDnValue(" ")).toBe("\\ ");
    expect(parseDn(`cn=${escapeDnValue(" ")},dc=x`)[0]?.value).toBe(" ");
    expect(escapeDnValue("  ")).toBe("\\ \\ ");
    expect(parseDn(`cn=${escapeDnValue("  ")},dc=x`)[0]?.value).toBe("  ");
  });

  it("keeps a multi-valued RDN as written when moving an entry to another OU", () => {
    expect(rawRdns("cn=John+uid=j1 , ou=people,dc=x")).toEqual(["cn=John+uid=j1", "ou=people", "dc=x"]);
    expect(movedDn("cn=John+uid=j1,ou=people,dc=x", "ou=disabled,dc=x")).toBe(
      "cn=John+uid=j1,ou=disabled,dc=x",
    );
    expect(movedDn("cn=a\\,b\\ ,ou=people,dc=x", "ou=disabled,dc=x")).toBe("cn=a\\,b\\ ,ou=disabled,dc=x");
  });

  it("renames a group under its parent as written, multi-valued RDNs in the parent included", () => {
    expect(renamedDn("cn=old,ou=apps+l=eu,dc=x", "cn", "new+1")).toBe("cn=new\\+1,ou=apps+l=eu,dc=x");
  });
});

describe("ldap settings", () => {
  it("resolves OUs relative to the base DN and applies flavour defaults", () => {
    expect(openldap.users.dn).toBe(`ou=people,${BASE}`);
    expect(openldap.groups.flavour).toBe("groupOfNames");
    expect(openldap.disable).toEqual({ method: "move", dn: `ou=disabled,${BASE}` });
    expect(ad.users.accountAttribute).toBe("sAMAccountName");
    expect(ad.disable.method).toBe("userAccountControl");
    expect(ad.groups.memberAttribute).toBe("member");
    expect(posix.groups.memberAttribute).toBe("memberUid");
    expect(openldap.refintLagMs).toBe(15 * 60_000);
    expect(parseLdapSettings(config({ refintLagSeconds: 0 }), "/repo").refintLagMs).toBe(0);
  });

  it.each([
    [{ flavour: "novell" }, /setting "flavour" must be "openldap" or "activeDirectory"/],
    [{ url: "ldaps://h:636", startTls: true }, /setting "startTls" cannot be used with an ldaps:\/\/ url/],
    [{ url: "http://h" }, /setting "url" must look like ldap:\/\/host:port/],
    [
      { url: "ldap://ldap.example.com:389" },
      /ldap:\/\/ without startTls: true sends the bind password in clear/,
    ],
    [{ disable: { method: "attribute", attribute: "shadowExpire" } }, /setting "disable.value" is required/],
    [{ groups: { objectClass: "team" } }, /setting "groups.objectClass" must be one of/],
    [
      { people: { attributes: { phone: "telephoneNumber" } } },
      /setting "people.attributes.phone" is unknown/,
    ],
    [{ pageSize: 0 }, /setting "pageSize" must be a whole number/],
    [{ refintLagSeconds: -1 }, /setting "refintLagSeconds" must be a whole number from 0 to 86400/],
    [{ people: { entryName: "name" } }, /setting "people.entryName" is for activeDirectory/],
    [
      { flavour: "activeDirectory", baseDn: "DC=corp,DC=com", people: { entryName: "cn" } },
      /setting "people.entryName" must be "account" or "name"/,
    ],
    [
      { people: { ouByDepartment: { Eng: "ou=eng" } } },
      /setting "people.ouByDepartment" is for activeDirectory/,
    ],
    [
      {
        flavour: "activeDirectory",
        baseDn: "DC=corp,DC=com",
        people: { ou: "OU=People", ouByDepartment: { Eng: "OU=Eng,DC=corp,DC=com" } },
      },
      /setting "people.ouByDepartment.Eng" must be under people.ou \(OU=People,DC=corp,DC=com\)/,
    ],
    [
      {
        flavour: "activeDirectory",
        baseDn: "DC=corp,DC=com",
        people: { ouByDepartment: { Eng: "Engineering" } },
      },
      /setting "people.ouByDepartment.Eng" must be a DN/,
    ],
  ])("rejects %j naming the provider and the key", (settings, message) => {
    expect(() => parseLdapSettings(config(settings), "/repo")).toThrow(ConfigError);
    expect(() => parseLdapSettings(config(settings), "/repo")).toThrow(message);
    expect(() => parseLdapSettings(config(settings), "/repo")).toThrow(
      /access\/gatehouse.yaml:4:5 provider "ldap"/,
    );
  });
});

describe("ldap entry mapping", () => {
  const people = `ou=people,${BASE}`;
  const accountOfDn = (dn: string) => (isDnUnder(dn, people) ? parseDn(dn)[0]?.value : undefined);
  const resolver = {
    // Keys are normalized DNs (lower case).
    accountOfKey: accountOfDn,
    groupOfKey: (key: string) => (isDnUnder(key, `ou=groups,${BASE}`) ? parseDn(key)[0]?.value : undefined),
    hasAccount: (a: string) => a === "ann",
    danglingAccount: () => undefined,
  };

  it("reads a user with the manager as an account and disabled by OU", () => {
    const e = entry(`uid=bob,ou=disabled,${BASE}`, {
      uid: ["bob"],
      cn: ["Bob B"],
      title: ["Eng"],
      manager: [`uid=ann,${people}`],
      employeeType: ["contractor"],
    });
    expect(toLiveUser(e, openldap, accountOfDn)).toEqual({
      account: "bob",
      enabled: false,
      name: "Bob B",
      title: "Eng",
      manager: "ann",
      employmentType: "contractor",
    });
  });

  it("reads an employeeType of gatehouse's in any case as that type, and another as it stands", () => {
    const typeOf = (value: string) =>
      toLiveUser(entry(`uid=bob,${people}`, { uid: ["bob"], employeeType: [value] }), openldap, accountOfDn)
        ?.employmentType;
    expect(typeOf("Contractor")).toBe("contractor");
    // Not "none": a plan shows what it would overwrite.
    expect(typeOf("Full-Time")).toBe("Full-Time");
  });

  it("reads members as accounts, nested groups apart, and leaves the placeholder and strangers out", () => {
    const e = entry(`cn=team-a-read,ou=groups,${BASE}`, {
      cn: ["team-a-read"],
      member: [
        `cn=empty-membership-placeholder,${BASE}`,
        `UID=ann,OU=People,${BASE}`,
        `cn=team-b-read,ou=groups,${BASE}`,
        `cn=x,${BASE}`,
      ],
    });
    expect(toLiveGroup(e, openldap, true, resolver)).toEqual({
      group: { name: "team-a-read", members: ["ann"], groupMembers: ["team-b-read"] },
      unknown: [`cn=x,${BASE}`],
    });
    expect(toLiveGroup(e, openldap, false, resolver)?.unknown).toHaveLength(2);
  });

  it("gives an AD account the cn of its entry as its other name, for entries right in the people OU only", () => {
    const right = entry(`CN=John Smith,${ad.users.dn}`, { sAMAccountName: ["jsmith"], cn: ["John Smith"] });
    expect(toLiveUser(right, ad, accountOfDn)?.otherName).toBe("John Smith");
    const deeper = entry(`CN=jdoe,OU=Team,${ad.users.dn}`, { sAMAccountName: ["jdoe.x"], cn: ["jdoe"] });
    expect(toLiveUser(deeper, ad, accountOfDn)).not.toHaveProperty("otherName");
    const same = entry(`CN=Kim,${ad.users.dn}`, { sAMAccountName: ["kim"], cn: ["Kim"] });
    expect(toLiveUser(same, ad, accountOfDn)).not.toHaveProperty("otherName");
    // OpenLDAP's uid is both the RDN and the account: no other name.
    const ann = entry(`uid=ann,ou=people,${BASE}`, { uid: ["ann"], cn: ["Ann"] });
    expect(toLiveUser(ann, openldap, accountOfDn)).not.toHaveProperty("otherName");
  });

  it("does not tell a group's computers under the people OU to move under it, and says what gatehouse never manages", () => {
    const corp = "DC=corp,DC=example";
    const s = parseLdapSettings(
      config({
        flavour: "activeDirectory",
        baseDn: corp,
        people: { ou: "OU=People" },
        groups: { ou: "OU=Groups" },
      }),
      "/repo",
    );
    const users = [entry(`CN=ann,OU=Staff,OU=People,${corp}`, { sAMAccountName: ["ann"], cn: ["ann"] })];
    const groups = [
      entry(`CN=Workstation-Admins,OU=Groups,${corp}`, {
        cn: ["Workstation-Admins"],
        member: [
          `CN=ann,OU=Staff,OU=People,${corp}`,
          `CN=WS002,OU=Staff,OU=People,${corp}`, // a computer: the people filter leaves it out
          `CN=WS001,OU=Workstations,${corp}`,
          `CN=Vendor Desk,OU=Contacts,${corp}`,
        ],
      }),
    ];
    const read = toLiveState(users, groups, s, true);
    expect(read.state.groups[0]).toMatchObject({ members: ["ann"], unmanagedMembers: 3 });
    expect(read.state.unmanaged).toEqual([
      `group Workstation-Admins holds 2 members that gatehouse does not manage (not users under OU=People,${corp}): ` +
        `CN=WS001,OU=Workstations,${corp}, CN=Vendor Desk,OU=Contacts,${corp}; for a person's account, move it under OU=People,${corp} ` +
        "and into the access files; a computer, a contact or another entry that is no person gatehouse never manages: " +
        "leave it if the group needs it (this note then stays), or remove it in the directory",
      `group Workstation-Admins holds 1 member that gatehouse does not manage (under OU=People,${corp} but not read as people: ` +
        "entries the people filter leaves out, such as computers and contacts in Active Directory, or entries that are gone): " +
        `CN=WS002,OU=Staff,OU=People,${corp}; gatehouse never manages them: leave them if the group needs them ` +
        "(this note then stays), or remove them in the directory",
    ]);
    expect(read.state.unmanaged?.join("\n")).not.toContain("move the account under");
  });

  it("gives the DNs that members and managers name outside the scopes read, for a lookup of accounts held elsewhere", () => {
    const corp = "DC=corp,DC=com";
    const s = parseLdapSettings(
      config({
        flavour: "activeDirectory",
        baseDn: corp,
        people: { ou: "OU=People" },
        groups: { ou: "OU=Groups" },
      }),
      "/repo",
    );
    const users = [
      entry(`CN=ann,OU=People,${corp}`, {
        sAMAccountName: ["ann"],
        cn: ["ann"],
        manager: [`CN=bob,OU=Parked,${corp}`],
      }),
    ];
    const groups = [
      entry(`CN=staff,OU=Groups,${corp}`, {
        cn: ["staff"],
        member: [
          `CN=ann,OU=People,${corp}`,
          `cn=BOB,ou=parked,${corp}`, // also ann's manager, spelled otherwise: named once
          `CN=eve,OU=Groups,${corp}`, // a user dragged into the groups OU: no group read there
          `CN=admins,OU=Groups,${corp}`, // a group read (nesting off): not outside
          `CN=gone,OU=Team,OU=People,${corp}`, // under the people OU: a dangling value, not elsewhere
          `CN=ann,OU=People,DC=eu,${corp}`, // a child domain: under the base DN as text, so looked up (AD keeps it in another naming context, which the search does not enter)
          `CN=ann,OU=People,DC=other,DC=org`, // outside the base DN
        ],
      }),
      entry(`CN=admins,OU=Groups,${corp}`, { cn: ["admins"], member: [] }),
    ];
    const read = toLiveState(users, groups, s, false);
    expect(read.state.users.map((u) => [u.account, u.manager])).toEqual([["ann", undefined]]);
    expect(read.outside).toEqual([
      `CN=ann,OU=People,DC=eu,${corp}`,
      `CN=bob,OU=Parked,${corp}`,
      `CN=eve,OU=Groups,${corp}`,
    ]);
    expect(read.state).not.toHaveProperty("elsewhere");
    // The group read that staff nests is said to be one, with the setting that manages it.
    const notes = read.state.unmanaged ?? [];
    expect(notes.filter((n) => n.includes(" nests "))).toEqual([
      "group staff nests 1 group (admins) while nesting is off for this provider: their members hold it too, " +
        "and neither the access files nor gatehouse say so; set `nesting: true` for the provider in gatehouse.yaml " +
        "to manage nested groups (import then writes them as `- group:` members), or remove the nesting in the directory",
    ]);
    expect(notes.join("\n")).not.toContain("admins,OU=Groups");
    // posixGroup's memberUid values name no DN: only managers can.
    const posixGroups = [
      entry(`cn=staff,${posix.groups.dn}`, {
        cn: ["staff"],
        gidNumber: ["5000"],
        memberUid: ["ann", "dave"],
      }),
    ];
    expect(toLiveState([], posixGroups, posix, false).outside).toEqual([]);
    // A value naming an account read only in another case is said to be that, not a stranger to move.
    const judy = entry(`uid=judy,${posix.users.dn}`, { uid: ["judy"], cn: ["Judy"], sn: ["J"] });
    const cased = toLiveState(
      [judy],
      [entry(`cn=ops,${posix.groups.dn}`, { cn: ["ops"], gidNumber: ["5001"], memberUid: ["Judy", "zed"] })],
      posix,
      false,
    );
    expect(cased.state.groups[0]?.members).toEqual([]);
    expect(cased.state.unmanaged).toEqual([
      `group ops holds memberUid Judy, which names an account under ${posix.users.dn} only in another case: memberUid is compared exactly, so it is no membership gatehouse manages; replace it with the account's own spelling in the directory`,
      `group ops holds 1 member that gatehouse does not manage (not users under ${posix.users.dn}, or groups nested while nesting is off): zed; remove it in the directory, or move the account under ${posix.users.dn} and into the access files`,
    ]);
    // Those names no account holds: whoever is created under one of them holds the group at once.
    expect(toLiveState([], posixGroups, posix, false).state.groups).toMatchObject([
      { name: "staff", members: [], unmanagedMembers: 2, unmanagedNames: ["ann", "dave"] },
    ]);
  });

  it("leaves out a link to an object Active Directory deleted, and nothing else named Deleted Objects", () => {
    const deleted = "CN=omar\\0ADEL:5f3e2a10-1c2b-4d3e-9f00-0123456789ab,CN=Deleted Objects,DC=corp,DC=com";
    // An account in a container someone named so, and any such value outside AD, are members all the same.
    const lookalike = "CN=mallory,CN=Deleted Objects,OU=Admins,DC=corp,DC=com";
    const group = entry(`CN=admins,${ad.groups.dn}`, { cn: ["admins"], member: [deleted, lookalike] });
    expect(toLiveGroup(group, ad, true, resolver)?.unknown).toEqual([lookalike]);
    expect(toLiveGroup(group, openldap, true, resolver)?.unknown).toEqual([deleted, lookalike]);
  });

  it("builds a new inetOrgPerson with cn and sn from the name", () => {
    const { dn, attributes } = newUserEntry(
      "ann",
      { name: "Ann Lee", email: "ann@x.org" },
      openldap,
      undefined,
    );
    expect(dn).toBe(`uid=ann,ou=people,${BASE}`);
    expect(attributes).toEqual({
      objectClass: ["inetOrgPerson"],
      uid: ["ann"],
      cn: ["Ann Lee"],
      sn: ["Lee"],
      mail: ["ann@x.org"],
    });
  });

  it("takes the family name for sn past a suffix, and before the comma of 'Last, First'", () => {
    expect(
      [
        "Ann Lee",
        "Dieter Koch, Jr.",
        "Martin Luther King III",
        "Anna Schmidt PhD",
        "Koch, Dieter",
        "van der Berg, Jan",
        "Madonna",
        "Jr.",
        " Ann  Lee ",
      ].map(surnameOf),
    ).toEqual(["Lee", "Koch", "King", "Schmidt", "Koch", "van der Berg", "Madonna", "Jr.", "Lee"]);
    expect(newUserEntry("dk", { name: "Dieter Koch, Jr." }, openldap, undefined).attributes["sn"]).toEqual([
      "Koch",
    ]);
  });

  it("takes the given names for AD's givenName: what is left of the name without the family name", () => {
    expect(
      [
        "Ann Lee",
        "Ann Marie Lee",
        "Dieter Koch, Jr.",
        "Martin Luther King III",
        "Koch, Dieter",
        "van der Berg, Jan",
        "Madonna",
        " Ann  Lee ",
      ].map(givenNameOf),
    ).toEqual(["Ann", "Ann Marie", "Dieter", "Martin Luther", "Dieter", "Jan", undefined, "Ann"]);
  });

  it("builds an enabled AD user with sAMAccountName that requires a password (512, no PASSWD_NOTREQD)", () => {
    const { dn, attributes } = newUserEntry("ann", { name: "Ann Lee" }, ad, undefined);
    expect(dn).toBe("cn=ann,cn=Users,DC=corp,DC=com");
    expect(attributes["sAMAccountName"]).toEqual(["ann"]);
    expect(attributes["userAccountControl"]).toEqual(["512"]);
  });

  it("creates a new AD entry in its department's OU (people.ouByDepartment), others right in the people OU", () => {
    const byDepartment = parseLdapSettings(
      config({
        flavour: "activeDirectory",
        baseDn: "DC=corp,DC=com",
        people: {
          ou: "OU=People",
          ouByDepartment: { Engineering: "OU=Eng", Sales: "OU=Sales,OU=People,DC=corp,DC=com" },
        },
      }),
      "/repo",
    );
    const dnOf = (department?: string) =>
      newUserEntry("ann", department === undefined ? {} : { department }, byDepartment, undefined).dn;
    expect(dnOf("engineering")).toBe("cn=ann,OU=Eng,OU=People,DC=corp,DC=com");
    expect(dnOf("Sales")).toBe("cn=ann,OU=Sales,OU=People,DC=corp,DC=com");
    expect(dnOf("Legal")).toBe("cn=ann,OU=People,DC=corp,DC=com");
    expect(dnOf()).toBe("cn=ann,OU=People,DC=corp,DC=com");
  });

  it("sets AD's accountExpires to the FILETIME of the midnight (UTC) that ends the last day", () => {
    expect(accountExpiresOf("2026-12-31")).toBe("134432352000000000"); // 2027-01-01T00:00:00Z
    expect(accountExpiresOf("31.12.2026")).toBeUndefined();
  });

  it("reads AD's accountExpires back as the last day it leaves the account working", () => {
    expect(lastDayOfAccountExpires("134432352000000000")).toBe("2026-12-31");
    // ADUC's "end of 2026-12-31" written in UTC+1: 2026-12-31T23:00Z.
    expect(lastDayOfAccountExpires("134432316000000000")).toBe("2026-12-31");
    for (const never of ["0", "9223372036854775807", undefined, "soon"])
      expect(lastDayOfAccountExpires(never)).toBeUndefined();
    const adUser = entry("CN=Joe Temp,cn=Users,DC=corp,DC=com", {
      sAMAccountName: ["joe"],
      uid: ["joe"],
      accountExpires: ["134432352000000000"],
    });
    expect(toLiveUser(adUser, ad, () => undefined)?.endDate).toBe("2026-12-31");
    expect(toLiveUser(adUser, openldap, () => undefined)).not.toHaveProperty("endDate");
  });

  it("makes random 32-character AD passwords with every character class, encoded as quoted UTF-16LE", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const password = randomAdPassword("abc");
      expect(password).toHaveLength(32);
      expect(password).toMatch(/[A-Z]/);
      expect(password).toMatch(/[a-z]/);
      expect(password).toMatch(/[0-9]/);
      expect(password).toMatch(/[^A-Za-z0-9]/);
      expect(password.toLowerCase()).not.toContain("abc");
      seen.add(password);
    }
    expect(seen.size).toBe(50);
    expect(unicodePwdValue("aB1!")).toEqual(
      Buffer.from([0x22, 0, 0x61, 0, 0x42, 0, 0x31, 0, 0x21, 0, 0x22, 0]),
    );
  });

  it("replaces changed attributes and removes an emptied one", () => {
    const fields = [
      { field: "name", before: "Ann Lee", after: "Ann Park" },
      { field: "title", before: "Eng", after: null },
    ];
    expect(userModifications("ann", fields, { name: "Ann Park" }, openldap, undefined)).toEqual([
      { operation: "replace", attribute: "cn", values: ["Ann Park"] },
      { operation: "replace", attribute: "sn", values: ["Park"] },
      { operation: "replace", attribute: "title", values: [] },
    ]);
  });

  it("writes an endDate as AD's accountExpires, and a cleared one as never, which reads back as no endDate", () => {
    const expiry = (after: string | null) =>
      userModifications("ann", [{ field: "endDate", before: "2026-06-30", after }], {}, ad, undefined);
    expect(expiry("2026-12-31")).toEqual([
      { operation: "replace", attribute: "accountExpires", values: ["134432352000000000"] },
    ]);
    expect(expiry(null)).toEqual([
      { operation: "replace", attribute: "accountExpires", values: ["9223372036854775807"] },
    ]);
    expect(lastDayOfAccountExpires("9223372036854775807")).toBeUndefined();
    // Not AD: no system expiry to write.
    expect(
      userModifications(
        "ann",
        [{ field: "endDate", before: null, after: "2026-12-31" }],
        {},
        openldap,
        undefined,
      ),
    ).toEqual([]);
  });

  it("asks AD for every entry holding or claiming a name a plan would create, escaped, and sorts what it finds", () => {
    expect(nameClaimsFilter(["ann", "b*(c)"], ad)).toBe(
      "(|(sAMAccountName=ann)(userPrincipalName=ann@corp.com)(sAMAccountName=b\\2a\\28c\\29)(userPrincipalName=b\\2a\\28c\\29@corp.com))",
    );
    const found = [
      entry("CN=Ann Legacy,CN=Users,DC=corp,DC=com", {
        objectClass: ["top", "person", "user"],
        sAMAccountName: ["Ann"],
      }),
      entry("CN=ops,CN=Users,DC=corp,DC=com", { objectClass: ["top", "group"], sAMAccountName: ["ops"] }),
      entry("CN=PC1,CN=Computers,DC=corp,DC=com", {
        objectClass: ["top", "user", "computer"],
        sAMAccountName: ["pc1"],
      }),
      entry("CN=Bo,CN=Users,DC=corp,DC=com", {
        objectClass: ["user"],
        sAMAccountName: ["bo"],
        userPrincipalName: ["cy@corp.com"],
      }),
      // Read in scope already, and a name nobody asked about.
      entry("CN=dee,OU=People,DC=corp,DC=com", { objectClass: ["user"], sAMAccountName: ["dee"] }),
      entry("CN=eve,CN=Users,DC=corp,DC=com", { objectClass: ["user"], sAMAccountName: ["eve"] }),
    ];
    expect(claimsOn(found, ["ann", "ops", "pc1", "cy", "dee"], ad, new Set(["dee"]))).toEqual({
      elsewhere: [{ account: "Ann", where: "CN=Ann Legacy,CN=Users,DC=corp,DC=com" }],
      namesTaken: [
        {
          account: "ops",
          claim: "sAMAccountName ops",
          holder: "ops, a group",
          where: "CN=ops,CN=Users,DC=corp,DC=com",
        },
        {
          account: "pc1",
          claim: "sAMAccountName pc1",
          holder: "pc1, a computer",
          where: "CN=PC1,CN=Computers,DC=corp,DC=com",
        },
        {
          account: "cy",
          claim: "userPrincipalName cy@corp.com",
          holder: "bo",
          where: "CN=Bo,CN=Users,DC=corp,DC=com",
        },
      ],
    });
  });

  it("flips only the ACCOUNTDISABLE bit of userAccountControl", () => {
    const e = entry("cn=ann,cn=Users,DC=corp,DC=com", { userAccountControl: ["66048"] });
    expect(enabledModifications(e, ad, false)).toEqual([
      { operation: "replace", attribute: "userAccountControl", values: ["66050"] },
    ]);
    expect(enabledModifications(e, ad, true)).toEqual([]);
  });

  it("creates groupOfNames with the placeholder and posixGroup with a gidNumber", () => {
    expect(newGroupEntry("g", "d", openldap, undefined).attributes["member"]).toEqual([
      `cn=empty-membership-placeholder,${BASE}`,
    ]);
    expect(newGroupEntry("g", undefined, posix, 10_007).attributes).toEqual({
      objectClass: ["posixGroup"],
      cn: ["g"],
      gidNumber: ["10007"],
    });
  });
});

describe("ldap member modifications", () => {
  const ph = `cn=empty-membership-placeholder,${BASE}`;
  const ann = `uid=ann,ou=people,${BASE}`;
  const bob = `uid=bob,ou=people,${BASE}`;

  it("swaps the placeholder out with the first member and back in with the last removal", () => {
    expect(memberModifications([ph], [ann], [], openldap)).toEqual([
      { operation: "add", attribute: "member", values: [ann] },
      { operation: "delete", attribute: "member", values: [ph] },
    ]);
    expect(memberModifications([ann], [], [ann], openldap)).toEqual([
      { operation: "add", attribute: "member", values: [ph] },
      { operation: "delete", attribute: "member", values: [ann] },
    ]);
  });

  it("removes every spelling of a member the group holds twice (a directory loaded with slapadd can)", () => {
    const shouting = "UID=ANN,OU=People,DC=example,DC=com";
    expect(memberModifications([ann, shouting, bob], [], [ann], openldap)).toEqual([
      { operation: "delete", attribute: "member", values: [ann, shouting] },
    ]);
  });

  it("skips values already present or already gone, whatever their case", () => {
    expect(
      memberModifications(
        [ann],
        ["UID=Ann,OU=People,DC=example,DC=com", bob],
        [`uid=zed,ou=people,${BASE}`],
        openldap,
      ),
    ).toEqual([{ operation: "add", attribute: "member", values: [bob] }]);
    expect(memberModifications([ann], [ann], [], openldap)).toEqual([]);
  });

  it("writes account names to memberUid and never a placeholder", () => {
    expect(memberModifications(["ann"], ["bob"], ["ann"], posix)).toEqual([
      { operation: "add", attribute: "memberUid", values: ["bob"] },
      { operation: "delete", attribute: "memberUid", values: ["ann"] },
    ]);
  });

  it("parses AD ranged attribute names", () => {
    expect(parseRangedAttribute("member;range=0-1499")).toEqual({ attribute: "member", start: 0, end: 1499 });
    expect(parseRangedAttribute("member;range=1500-*")).toEqual({
      attribute: "member",
      start: 1500,
      end: undefined,
    });
    expect(parseRangedAttribute("member")).toBeUndefined();
  });
});

describe("ldap README examples", () => {
  const readme = readFileSync(path.join(ROOT, "src/providers/ldap/README.md"), "utf8");
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
  const configSchema = strictSchemas().validator("gatehouse.schema.json");

  it("has an example for OpenLDAP, posixGroup and Active Directory", () => {
    expect(blocks).toHaveLength(3);
  });

  it.each(blocks.map((b, i) => [i, b] as const))(
    "example %i passes the schema and the settings parser",
    (_i, block) => {
      const doc: unknown = parse(block);
      const validate = configSchema;
      expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
      const providers = (doc as { providers: Record<string, Record<string, unknown>> }).providers;
      for (const [name, settings] of Object.entries(providers)) {
        expect(() => parseLdapSettings(config(settings, name), "/repo")).not.toThrow();
      }
    },
  );

  it("rejects an unknown ldap key in gatehouse.yaml", () => {
    const validate = configSchema;
    const doc = {
      providers: {
        ldap: {
          type: "ldap",
          url: "ldap://h",
          baseDn: BASE,
          bindDn: "cn=x",
          passwordEnv: "P",
          bindPassword: "x",
        },
      },
    };
    expect(validate(doc)).toBe(false);
  });
});

describe("ldap errors about limits", () => {
  const target = { provider: "ldap", url: "ldap://h:389", bindDn: `cn=gh,${BASE}`, passwordEnv: "PW" };
  const under = { operation: "search", dn: `ou=people,${BASE}` };

  it("says what to change on the server for a size limit, and for a page size the server refuses", () => {
    const size = toProviderError(new SizeLimitExceededError("Size limit exceeded"), target, under);
    expect(size.message).toContain(`search under "ou=people,${BASE}": size limit exceeded`);
    expect(size.message).toContain("size.prtotal=unlimited");
    expect(size.message).toContain("(LDAP 4)");
    const page = toProviderError(
      new AdminLimitExceededError("illegal pagedResults page size"),
      target,
      under,
    );
    expect(page.message).toContain(
      "lower pageSize to the server's limit: illegal pagedResults page size (LDAP 11)",
    );
  });

  it("calls a constraint violation (a unique value held elsewhere) what it is, not a schema violation", () => {
    const taken = toProviderError(
      new ConstraintViolationError(
        "0000202F: samldb: userPrincipalName 'tina@corp.example' is already in use (implied by sAMAccountName)",
      ),
      target,
      {
        operation: "add",
        dn: `cn=tina,ou=people,${BASE}`,
        attributes: ["sAMAccountName", "userPrincipalName"],
      },
    );
    expect(taken.message).not.toContain("schema violation");
    expect(taken.message).toContain(
      `add entry "cn=tina,ou=people,${BASE}" (attributes written: sAMAccountName, userPrincipalName): constraint violation: 0000202F: samldb: userPrincipalName 'tina@corp.example' is already in use`,
    );
    expect(taken.message).toContain("(LDAP 19)");
  });
});
