import { describe, expect, it } from "vitest";
import type { ProviderConfig } from "../../src/model/access.ts";
import type { LdapEntry } from "../../src/providers/ldap/map.ts";
import { toLiveState } from "../../src/providers/ldap/live.ts";
import { parseLdapSettings } from "../../src/providers/ldap/settings.ts";

const BASE = "o=Acme Corp,c=DE";
const STAFF = `ou=Staff,ou=Berlin,${BASE}`;
const TEAMS = `ou=Teams,${BASE}`;
const settings = parseLdapSettings(
  {
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
  } satisfies ProviderConfig,
  "/repo",
);
const entry = (dn: string, attributes: Record<string, string[]>): LdapEntry => ({
  dn,
  attributes: new Map(Object.entries(attributes).map(([k, v]) => [k.toLowerCase(), v])),
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
