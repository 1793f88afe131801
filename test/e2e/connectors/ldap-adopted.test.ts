/**
 * The members a group had in a real OpenLDAP slapd before gatehouse managed it: the first apply records
 * those its read maps to accounts (an `adopted` entry), and `journal access` names them as held since
 * before gatehouse. A member value outside the people OU, which the read does not map to an account, is
 * not recorded as anyone's.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BASE_DN, ldapProviderYaml, PASSWORD_ENV, startSlapd, type Slapd } from "../../harness/slapd.ts";
import { createConnectorRepo, JOURNAL_FILE, removedAfterEach } from "./workspace.ts";

const PEOPLE = `ou=people,${BASE_DN}`;
const VPN = `cn=vpn,ou=groups,${BASE_DN}`;
const GROUPS_FILE = "access/groups/groups.yaml";

const keep = removedAfterEach<Slapd>((server) => server.stop());

/** ada and ben in vpn before gatehouse, with a service account from outside the people OU. */
const BEFORE = ["ada", "ben"]
  .map((uid) => `dn: uid=${uid},${PEOPLE}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: ${uid}\nsn: ${uid}\n`)
  .join("\n")
  .concat(
    `\ndn: ${VPN}\nobjectClass: groupOfNames\ncn: vpn\nmember: uid=ada,${PEOPLE}\nmember: uid=ben,${PEOPLE}\nmember: uid=backup,ou=services,${BASE_DN}\n`,
  );

describe("journal access of a group adopted from LDAP (real slapd)", { tags: ["slow"] }, () => {
  it("records the members the read found, once, and names them as held since before gatehouse", async () => {
    const server = await startSlapd({ ldif: BEFORE });
    const repo = await createConnectorRepo({
      provider: {
        name: "ldap",
        yaml: ldapProviderYaml(server).replace("mode: authoritative", "mode: additive"),
      },
      env: { [PASSWORD_ENV]: server.password },
    });
    keep({ server, repo });
    await repo.edit(
      GROUPS_FILE,
      "groups:\n",
      "groups:\n  - name: vpn\n    owners: [ada]\n    members: [ada, cleo]\n",
    );
    await repo.commit("take vpn on; cleo joins it");
    const first = await repo.run(["apply", "--yes"]);
    expect(first.code, first.stderr).toBe(0);
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);

    const journal = (await readFile(path.join(repo.cwd, JOURNAL_FILE), "utf8"))
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const adopted = journal.filter((e) => e["type"] === "adopted");
    // Groups the read found that the files list (vpn); the other groups of the tree are made by gatehouse.
    expect(adopted.map((e) => [e["provider"], e["group"], e["members"], e["late"]])).toEqual([
      ["ldap", "vpn", ["ada", "ben"], undefined],
    ]);

    const at = await repo.run(["journal", "access", "vpn", "--at", "2026-11-26"]);
    expect(at.code, at.stderr).toBe(0);
    expect(at.stdout).toContain(
      "vpn in ldap at 2026-11-26T23:59:59.999Z: 3 member(s) (1 gatehouse applied, 2 held since before gatehouse)",
    );
    expect(at.stdout).toMatch(
      / {2}ben {2}held since before gatehouse \(journal #\d+, run #1, .*\): found there at /,
    );
    expect(at.stdout).toMatch(/ {2}cleo {2}since .*: added in config/);
    expect(at.stdout).not.toContain("backup");
    expect((await repo.run(["journal", "verify"])).code).toBe(0);
  });
});
