import { describe, expect, it } from "vitest";
import type { ProviderConfig } from "../../src/model/access.ts";
import type { LdapEntry } from "../../src/providers/ldap/map.ts";
import { userModifications } from "../../src/providers/ldap/map.ts";
import { toLiveState } from "../../src/providers/ldap/live.ts";
import { parseLdapSettings } from "../../src/providers/ldap/settings.ts";

// A directory whose people are named by cn (`cn=Anna Schmidt,ou=Staff,…`), accounts in uid (a new-user
// trial's server, set up unlike the test harness).
const BASE = "o=Acme Corp,c=DE";
const STAFF = `ou=Staff,ou=Berlin,${BASE}`;
const TEAMS = `ou=Teams,${BASE}`;

function config(extra: Record<string, unknown> = {}): ProviderConfig {
  return {
    name: "acme",
    type: "ldap",
    mode: "authoritative",
    nesting: false,
    settings: {
      url: "ldap://127.0.0.1:389",
      baseDn: BASE,
      bindDn: `cn=gatehouse,ou=Services,${BASE}`,
      passwordEnv: "PW",
      people: { ou: "ou=Staff,ou=Berlin", rdnAttribute: "cn", accountAttribute: "uid" },
      groups: { ou: "ou=Teams", objectClass: "groupOfUniqueNames" },
      ...extra,
    },
    source: { file: "access/gatehouse.yaml", line: 2, column: 3 },
  };
}
const settings = parseLdapSettings(config(), "/repo");

function entry(dn: string, attributes: Record<string, string[]>): LdapEntry {
  return { dn, attributes: new Map(Object.entries(attributes).map(([k, v]) => [k.toLowerCase(), v])) };
}

describe("ldap with rdnAttribute: cn and name: cn", () => {
  it("a name change keeps the value the entry is named by (LDAP 64 otherwise)", () => {
    const fields = [{ field: "name", before: "Anna Schmidt", after: "Anna Lang" }];
    const dn = `cn=Anna Schmidt,${STAFF}`;
    expect(userModifications("aschmidt", fields, { name: "Anna Lang" }, settings, undefined, dn)).toEqual([
      { operation: "replace", attribute: "cn", values: ["Anna Lang", "Anna Schmidt"] },
      { operation: "replace", attribute: "sn", values: ["Lang"] },
    ]);
    // An entry gatehouse created (cn=<account>) keeps its account value beside the new name.
    expect(
      userModifications(
        "cmueller",
        fields,
        { name: "Clara Weiß" },
        settings,
        undefined,
        `cn=cmueller,${STAFF}`,
      )[0],
    ).toEqual({ operation: "replace", attribute: "cn", values: ["Clara Weiß", "cmueller"] });
    // Nothing is added when the new name is the RDN value, whatever its case.
    expect(userModifications("a", fields, { name: "anna schmidt" }, settings, undefined, dn)[0]).toEqual({
      operation: "replace",
      attribute: "cn",
      values: ["anna schmidt"],
    });
  });

  it("leaves AD's write as it is (cn is single-valued there and changes by a rename)", () => {
    const ad = parseLdapSettings(config({ flavour: "activeDirectory" }), "/repo");
    const fields = [{ field: "name", before: "Anna Schmidt", after: "Anna Lang" }];
    const mods = userModifications(
      "a",
      fields,
      { name: "Anna Lang" },
      ad,
      undefined,
      `cn=Anna Schmidt,${STAFF}`,
    );
    expect(mods.every((m) => !m.values.includes("Anna Schmidt"))).toBe(true);
  });
});

describe("ldap with rdnAttribute: cn", () => {
  it("reports a dangling cn=<account> under the people OU as that account's membership", () => {
    const users = [entry(`cn=Anna Schmidt,${STAFF}`, { uid: ["aschmidt"], cn: ["Anna Schmidt"] })];
    const groups = [
      entry(`cn=app-prod-admin,${TEAMS}`, {
        cn: ["app-prod-admin"],
        uniqueMember: [`cn=Anna Schmidt,${STAFF}`, `cn=evogel,${STAFF}`, `cn=Karl,ou=Contractors,${BASE}`],
      }),
    ];
    const read = toLiveState(users, groups, settings, false);
    // Creating evogel puts the entry at cn=evogel,<people OU>: it would hold app-prod-admin at once, so the
    // plan must see the value (as it does for uid=<account> when the RDN is the account attribute).
    expect(read.state.groups.find((g) => g.name === "app-prod-admin")?.members).toEqual([
      "aschmidt",
      "evogel",
    ]);
    // Karl, outside the people OU, is not a member gatehouse reads, but deleting the group takes him out.
    expect(read.state.groups.find((g) => g.name === "app-prod-admin")?.unmanagedMembers).toBe(1);
  });
});

describe("ldap rdnAttribute: cn, dangling value named like a live account", () => {
  it("does not report the live account (at another DN) as a member of the group", () => {
    // anna's entry is cn=Anna Schmidt; the group holds only a stale cn=anna value (no entry).
    const users = [entry(`cn=Anna Schmidt,${STAFF}`, { uid: ["anna"], cn: ["Anna Schmidt"] })];
    const groups = [
      entry(`cn=app-prod-admin,${TEAMS}`, { cn: ["app-prod-admin"], uniqueMember: [`cn=anna,${STAFF}`] }),
    ];
    const read = toLiveState(users, groups, settings, false);
    // anna does not hold the group: a plan that wants her in it must add her DN.
    expect(read.state.groups.find((g) => g.name === "app-prod-admin")?.members).not.toContain("anna");
  });
});
