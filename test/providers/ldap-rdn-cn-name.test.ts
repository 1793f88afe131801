import { describe, expect, it } from "vitest";
import type { ProviderConfig } from "../../src/model/access.ts";
import { userModifications } from "../../src/providers/ldap/map.ts";
import { parseLdapSettings } from "../../src/providers/ldap/settings.ts";

// A directory whose people are named by cn (`cn=Anna Schmidt,ou=Staff,…`), accounts in uid.
const BASE = "o=Acme Corp,c=DE";
const STAFF = `ou=Staff,ou=Berlin,${BASE}`;

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
