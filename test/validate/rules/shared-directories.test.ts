import { describe, expect, it } from "vitest";
import { briefs, validateFiles } from "../../helpers/access-tree.ts";

/** Two ldap providers on one server: posixGroups in one OU, groupOfUniqueNames in another. */
const config = (modes: [string, string], appsPeople = ""): string =>
  [
    "providers:",
    "  unix:",
    "    type: ldap",
    `    mode: ${modes[0]}`,
    "    url: ldap://ldap.example.com",
    "    bindDn: cn=gatehouse,dc=example,dc=com",
    "    passwordEnv: LDAP_PASSWORD",
    "    baseDn: dc=example,dc=com",
    "    groups: { ou: ou=groups, objectClass: posixGroup }",
    "  apps:",
    "    type: ldap",
    `    mode: ${modes[1]}`,
    "    url: LDAP://ldap.example.com/",
    "    bindDn: cn=gatehouse,dc=example,dc=com",
    "    passwordEnv: LDAP_PASSWORD",
    "    baseDn: DC=example, DC=com",
    `    groups: { ou: ou=apps, objectClass: groupOfUniqueNames }${appsPeople}`,
    "",
  ].join("\n");

describe("shared-directories (GH238)", () => {
  it("warns at the second of two ldap providers reading the same people where one is authoritative", async () => {
    const tree = await validateFiles({ "gatehouse.yaml": config(["additive", "authoritative"]) });
    expect(briefs(tree.diagnostics, ["GH238"])).toEqual(["access/gatehouse.yaml:10:3 warning GH238"]);
    const [warning] = tree.diagnostics.filter((d) => d.code === "GH238");
    expect(warning?.message).toContain(
      "providers unix (access/gatehouse.yaml:2:3) and apps read the same people",
    );
    expect(warning?.related).toEqual([{ file: "access/gatehouse.yaml", line: 2, column: 3 }]);
  });

  it("says nothing where both are additive, or where they read different people", async () => {
    const additive = await validateFiles({ "gatehouse.yaml": config(["additive", "additive"]) });
    expect(briefs(additive.diagnostics, ["GH238"])).toEqual([]);
    const apart = await validateFiles({
      "gatehouse.yaml": config(["authoritative", "authoritative"], "\n    people: { ou: ou=contractors }"),
    });
    expect(briefs(apart.diagnostics, ["GH238"])).toEqual([]);
  });
});

/** Two github providers, one per organization; `b` with the idsFile given. */
const githubs = (idsFile?: string): string =>
  [
    "providers:",
    "  github-a:",
    "    type: github",
    "    org: acme",
    "    tokenEnv: GATEHOUSE_GITHUB_TOKEN",
    "  github-b:",
    "    type: github",
    "    org: acme-labs",
    "    tokenEnv: GATEHOUSE_GITHUB_TOKEN",
    ...(idsFile === undefined ? [] : [`    idsFile: ${idsFile}`]),
    "",
  ].join("\n");

describe("shared-directories (GH244)", () => {
  it("warns at the second of two github providers keeping their pins in one file", async () => {
    const tree = await validateFiles({ "gatehouse.yaml": githubs() });
    expect(briefs(tree.diagnostics, ["GH244"])).toEqual(["access/gatehouse.yaml:6:3 warning GH244"]);
    const [warning] = tree.diagnostics.filter((d) => d.code === "GH244");
    expect(warning?.message).toContain(
      "github providers github-a (access/gatehouse.yaml:2:3) and github-b keep their pins in one file (idsFile .gatehouse/github-ids.json, the default)",
    );
    const named = await validateFiles({ "gatehouse.yaml": githubs("./.gatehouse/github-ids.json") });
    expect(briefs(named.diagnostics, ["GH244"])).toEqual(["access/gatehouse.yaml:6:3 warning GH244"]);
  });

  it("says nothing where each has a file of its own", async () => {
    const tree = await validateFiles({ "gatehouse.yaml": githubs(".gatehouse/github-b-ids.json") });
    expect(briefs(tree.diagnostics, ["GH244"])).toEqual([]);
  });
});
