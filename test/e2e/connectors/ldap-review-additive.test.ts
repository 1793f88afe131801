/**
 * `review close` in a system of mode additive, against a real OpenLDAP slapd: a membership gatehouse did
 * not apply (it was there before gatehouse, adopted as the files list it) is kept by apply when the files
 * drop its line, so a revocation of it would stay on paper. review close says so, naming the system, and
 * does not tell the user that `apply --force` carries it out; a membership gatehouse applied goes.
 */
import { describe, expect, it } from "vitest";
import {
  BASE_DN,
  ldapProviderYaml,
  PASSWORD_ENV,
  rootSearch,
  startSlapd,
  type Slapd,
} from "../../harness/slapd.ts";
import { createConnectorRepo, removedAfterEach } from "./workspace.ts";

const PEOPLE = `ou=people,${BASE_DN}`;
const VPN = `cn=vpn,ou=groups,${BASE_DN}`;
const GROUPS_FILE = "access/groups/groups.yaml";

const keep = removedAfterEach<Slapd>((server) => server.stop());

/** ada and ben in the directory before gatehouse, both in vpn (which the files adopt as they are). */
const BEFORE = ["ada", "ben"]
  .map((uid) => `dn: uid=${uid},${PEOPLE}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: ${uid}\nsn: ${uid}\n`)
  .join("\n")
  .concat(
    `\ndn: ${VPN}\nobjectClass: groupOfNames\ncn: vpn\nmember: uid=ada,${PEOPLE}\nmember: uid=ben,${PEOPLE}\n`,
  );

async function vpnMembers(server: Slapd): Promise<string[]> {
  const [entry] = await rootSearch(server, VPN, "(objectClass=groupOfNames)", ["member"]);
  return entry?.values("member") ?? [];
}

describe("review close where a system is additive (real slapd)", { tags: ["slow"] }, () => {
  it("warns that apply keeps a revoked membership gatehouse did not apply, and not of one it did", async () => {
    const server = await startSlapd({ ldif: BEFORE });
    const repo = await createConnectorRepo({
      provider: {
        name: "ldap",
        yaml: ldapProviderYaml(server).replace("mode: authoritative", "mode: additive"),
      },
      env: { [PASSWORD_ENV]: server.password },
    });
    keep({ server, repo });
    const vpn = "  - name: vpn\n    owners: [ada]\n    members: [ada, ben, cleo]\n";
    await repo.edit(GROUPS_FILE, "groups:\n", `groups:\n${vpn}`);
    await repo.edit(
      "access/gatehouse.yaml",
      "maxRemovals: 10 }",
      "maxRemovals: 10, protectedGroups: [vpn] }",
    );
    await repo.commit("adopt vpn; cleo joins it");
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    expect(await vpnMembers(server)).toEqual([
      `uid=ada,${PEOPLE}`,
      `uid=ben,${PEOPLE}`,
      `uid=cleo,${PEOPLE}`,
    ]);

    // A review due before NOW (2026-11-25), in which the owner re-certified ada only.
    await repo.edit(
      GROUPS_FILE,
      vpn,
      "  - name: vpn\n    owners: [ada]\n    review:\n      due: 2026-11-20\n      pending: [ben, cleo]\n    members: [ada, ben, cleo]\n",
    );
    await repo.commit("review of vpn");
    const closed = await repo.run(["review", "close"]);
    expect(closed.code, closed.stderr).toBe(0);
    expect(closed.stdout).toContain("revoked ben, cleo (not re-certified)");
    expect(closed.stderr).toContain(
      "warning: where these members hold the group in a system of mode additive, apply does not remove them, since gatehouse did not apply those memberships there (they came with import, or by hand): ben from vpn in ldap;",
    );
    expect(closed.stderr).not.toContain("cleo from vpn in ldap");
    // The guard rail applies to what apply removes: cleo's, not ben's, which it keeps anyway.
    expect(closed.stderr).toContain(
      "warning: apply refuses these revocations without --force (policy.guardrails): cleo from vpn (a protected group);",
    );
    await repo.commit("close the review");

    // As said: cleo's membership, which gatehouse applied, goes; ben's stays, noted by the plan.
    const applied = await repo.run(["apply", "--yes", "--force"]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(await vpnMembers(server)).toEqual([`uid=ada,${PEOPLE}`, `uid=ben,${PEOPLE}`]);
  });
});
