import { describe, expect, it } from "vitest";
import type { ProviderConfig } from "../../src/model/access.ts";
import type { LdapEntry } from "../../src/providers/ldap/map.ts";
import { toLiveState } from "../../src/providers/ldap/live.ts";
import { parseLdapSettings } from "../../src/providers/ldap/settings.ts";

// A directory whose people are named by cn (`cn=Anna Schmidt,ou=Staff,…`), accounts in uid.
const BASE = "o=Acme Corp,c=DE";
const STAFF = `ou=Staff,ou=Berlin,${BASE}`;
const TEAMS = `ou=Teams,${BASE}`;

function config(): ProviderConfig {
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
    },
    source: { file: "access/gatehouse.yaml", line: 2, column: 3 },
  };
}
const settings = parseLdapSettings(config(), "/repo");

function entry(dn: string, attributes: Record<string, string[]>): LdapEntry {
  return { dn, attributes: new Map(Object.entries(attributes).map(([k, v]) => [k.toLowerCase(), v])) };
}

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
