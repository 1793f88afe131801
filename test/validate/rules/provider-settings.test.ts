import { describe, expect, it } from "vitest";
import { briefs, validateFiles } from "../../helpers/access-tree.ts";

describe("provider-settings (GH240)", () => {
  it("refuses at validate what the connector refuses at plan: plain ldap:// to another host", async () => {
    const tree = await validateFiles({
      "gatehouse.yaml": [
        "providers:",
        "  ds:",
        "    type: ldap",
        "    url: ldap://ds389.example.com:3389",
        "    bindDn: cn=gatehouse,dc=example,dc=com",
        "    passwordEnv: LDAP_PASSWORD",
        "    baseDn: dc=example,dc=com",
        '    disable: { method: attribute, attribute: nsAccountLock, value: "true" }',
        "",
      ].join("\n"),
    });
    expect(briefs(tree.diagnostics, ["GH240"])).toEqual(["access/gatehouse.yaml:2:3 error GH240"]);
    const [ldap] = tree.diagnostics.filter((d) => d.code === "GH240");
    expect(ldap?.message).toMatch(
      /^provider "ds": setting "url" ldap:\/\/ without startTls: true sends the bind password in clear/,
    );
  });

  it("says nothing of settings the connectors take", async () => {
    const tree = await validateFiles({
      "gatehouse.yaml": [
        "providers:",
        "  ds:",
        "    type: ldap",
        "    url: ldaps://ds389.example.com:636",
        "    bindDn: cn=gatehouse,dc=example,dc=com",
        "    passwordEnv: LDAP_PASSWORD",
        "    baseDn: dc=example,dc=com",
        '    disable: { method: attribute, attribute: nsAccountLock, value: "true" }',
        "  app: { type: scim, baseUrl: https://scim.example.com/v2, tokenEnv: APP_TOKEN }",
        "",
      ].join("\n"),
    });
    expect(briefs(tree.diagnostics, ["GH240"])).toEqual([]);
  });
});
