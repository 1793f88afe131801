/**
 * `gatehouse import` run again on a directory gatehouse already manages, as an adopter does after someone
 * added people and memberships by hand: against a real OpenLDAP slapd, through `main([...], io)` in a temp
 * git repository.
 */
import { describe, expect, it } from "vitest";
import { BASE_DN, ldapProviderYaml, PASSWORD_ENV, startSlapd, type Slapd } from "../../harness/slapd.ts";
import { changeLines, type ConnectorRepo, createConnectorRepo, removedAfterEach } from "./workspace.ts";

const PEOPLE = `ou=people,${BASE_DN}`;
const GROUPS = `ou=groups,${BASE_DN}`;
const IMPORTED = "access/imported/ldap.yaml";

const keep = removedAfterEach<Slapd>((server) => server.stop());

/** The small organization of workspace.ts, applied to a fresh slapd. */
async function applied(): Promise<{ server: Slapd; repo: ConnectorRepo }> {
  const server = await startSlapd({ ldif: "" });
  const repo = await createConnectorRepo({
    provider: { name: "ldap", yaml: ldapProviderYaml(server) },
    env: { [PASSWORD_ENV]: server.password },
  });
  keep({ server, repo });
  const first = await repo.run(["apply", "--yes"]);
  expect(first.code, first.stderr).toBe(0);
  return { server, repo };
}

/** A person added with ldapadd, as an admin does by hand. */
function personLdif(account: string, name: string): string {
  const sn = name.split(" ").at(-1) ?? name;
  return `dn: uid=${account},${PEOPLE}\nobjectClass: inetOrgPerson\nuid: ${account}\ncn: ${name}\nsn: ${sn}\nmail: ${account}@example.com\n`;
}

describe("import again after hand changes", { tags: ["slow"] }, () => {
  it("names the members and nested groups a group the files define holds without a line, which it does not write", async () => {
    const { server, repo } = await applied();
    await server.ldapmodify(personLdif("zoe", "Zoe Hand"), { add: true });
    await server.ldapmodify(
      `dn: cn=team-pager-write,${GROUPS}\nobjectClass: groupOfNames\ncn: team-pager-write\nmember: uid=cleo,${PEOPLE}\n`,
      { add: true },
    );
    // zoe (new) and eli (in the files, never given this group) are put in a managed group by hand, and
    // the new group is nested in another managed one.
    await server.ldapmodify(
      `dn: cn=team-oncall-write,${GROUPS}\nchangetype: modify\nadd: member\nmember: uid=zoe,${PEOPLE}\nmember: uid=eli,${PEOPLE}\n`,
    );
    await server.ldapmodify(
      `dn: cn=team-eng-write,${GROUPS}\nchangetype: modify\nadd: member\nmember: cn=team-pager-write,${GROUPS}\n`,
    );

    const imported = await repo.run(["import", "--provider", "ldap"]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain("1 new user(s), 1 group(s)");
    expect(imported.stderr).toContain(
      "warning: group team-oncall-write, which the access files define already, holds what they do not give it: " +
        "member(s) eli, zoe (new in this import). import adds no line to a group the files define: list those " +
        "that should keep it in its members (or give them a role), or the next plan in mode authoritative " +
        "removes them as drift (mode additive keeps them)",
    );
    expect(imported.stderr).toContain(
      "warning: group team-eng-write, which the access files define already, holds what they do not give it: " +
        "nested group(s) team-pager-write. import adds no line",
    );
    // Nothing else is named: ben and cleo hold team-oncall-write by its lines, devi its ledger, and fay,
    // the leaver the first apply offboarded, holds nothing.
    expect(imported.stderr.match(/which the access files define already/g)).toHaveLength(2);

    // What the warnings said is what the plan does once the new file has its owners.
    await repo.edit(IMPORTED, "owners: []", "owners: [ada]");
    const planned = await repo.run(["plan", "--format", "json"]);
    expect(planned.code, planned.stderr).toBe(0);
    expect(changeLines(planned.stdout)).toEqual([
      "membership.remove ldap:membership/team-eng-write/group:team-pager-write drift",
      "membership.remove ldap:membership/team-oncall-write/eli drift",
      "membership.remove ldap:membership/team-oncall-write/zoe drift",
    ]);
    // The nested group is in the files now (this import brought it): only its nesting is not.
    const text = await repo.run(["plan"]);
    expect(text.stdout).toContain(
      "team-pager-write is in the access files, but they do not nest it in team-eng-write; gatehouse did not add it (mode: authoritative)",
    );
    expect(text.stdout).not.toMatch(/team-pager-write from team-eng-write.*not in the access files/);
  });

  it("never writes over an imported file the access files hold, --force or not, and names a free file instead", async () => {
    const { server, repo } = await applied();
    await server.ldapmodify(personLdif("zoe", "Zoe Hand"), { add: true });
    expect((await repo.run(["import", "--provider", "ldap"])).code).toBe(0);
    // The adopter reviews the import and commits it; then someone adds yan by hand.
    await repo.edit(IMPORTED, "  - id: zoe\n", "  - id: zoe\n    title: Reviewed\n");
    await repo.commit("zoe reviewed");
    const reviewed = await repo.read(IMPORTED);
    await server.ldapmodify(personLdif("yan", "Yan Hand"), { add: true });

    const again = await repo.run(["import", "--provider", "ldap"]);
    expect(again.code).toBe(64);
    expect(again.stderr).not.toContain("pass --force");
    expect(again.stderr).toContain(
      `error: ${IMPORTED} is one of the access files (it defines 1 user(s)): import writes only what the files do not hold yet, ` +
        "so replacing it would drop what it defines, --force or not. Write what is new to a file of its own: " +
        "--out access/imported/ldap-2.yaml (nothing was written)",
    );
    const forced = await repo.run(["import", "--provider", "ldap", "--force"]);
    expect(forced.code).toBe(64);
    expect(forced.stderr).toContain(`error: ${IMPORTED} is one of the access files (it defines 1 user(s))`);
    expect(await repo.read(IMPORTED)).toBe(reviewed);

    const apart = await repo.run(["import", "--provider", "ldap", "--out", "access/imported/ldap-2.yaml"]);
    expect(apart.code, apart.stderr).toBe(0);
    expect(apart.stdout).toContain("Wrote access/imported/ldap-2.yaml: 1 new user(s), 0 group(s)");
    expect(await repo.read("access/imported/ldap-2.yaml")).toMatch(/- id: yan\n/);
    expect(await repo.read(IMPORTED)).toBe(reviewed);
  });
});
