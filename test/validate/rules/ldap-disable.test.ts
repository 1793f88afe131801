import { describe, expect, it } from "vitest";
import { briefs, validateFiles } from "../../helpers/access-tree.ts";

/** One ldap provider; `extra` lines go under it. */
const config = (extra: readonly string[]): string =>
  [
    "providers:",
    "  ldap:",
    "    type: ldap",
    "    url: ldaps://ldap.example.com",
    "    bindDn: cn=gatehouse,dc=example,dc=com",
    "    passwordEnv: LDAP_PASSWORD",
    "    baseDn: dc=example,dc=com",
    ...extra.map((l) => `    ${l}`),
    "",
  ].join("\n");

describe("ldap-disable (GH239)", () => {
  it("warns where an ldap provider leaves disabling to the default move, which stops no bind", async () => {
    const tree = await validateFiles({ "gatehouse.yaml": config([]) });
    expect(briefs(tree.diagnostics, ["GH239"])).toEqual(["access/gatehouse.yaml:2:3 warning GH239"]);
    const [warning] = tree.diagnostics.filter((d) => d.code === "GH239");
    expect(warning?.message).toContain(
      "it keeps its password and still signs in unless the directory's ACLs refuse binds there",
    );
    expect(warning?.message).toContain("nsAccountLock");
  });

  it("warns where leavers are disabled with shadowExpire, which no LDAP bind reads", async () => {
    const tree = await validateFiles({
      "gatehouse.yaml": config(['disable: { method: attribute, attribute: shadowExpire, value: "1" }']),
    });
    expect(briefs(tree.diagnostics, ["GH239"])).toEqual(["access/gatehouse.yaml:2:3 warning GH239"]);
    expect(tree.diagnostics.find((d) => d.code === "GH239")?.message).toContain(
      "disables a leaver's account with shadowExpire, which only host logins through PAM/NSS read",
    );
  });

  it("says nothing where disable is set (even to move), on Active Directory, or in observe mode", async () => {
    for (const extra of [
      ["disable: { method: move, ou: ou=disabled }"],
      ['disable: { method: attribute, attribute: nsAccountLock, value: "true" }'],
      ["flavour: activeDirectory"],
      ["mode: observe"],
    ]) {
      const tree = await validateFiles({ "gatehouse.yaml": config(extra) });
      expect(briefs(tree.diagnostics, ["GH239"]), extra.join()).toEqual([]);
    }
  });
});
