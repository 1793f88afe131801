import { describe, expect, it } from "vitest";
import { briefs, validateFiles } from "../helpers/access-tree.ts";
import { hasErrors } from "../../src/model/diagnostic.ts";

/** One tree with many different problems in several files: one run must report all of them. */
const FILES: Readonly<Record<string, string>> = {
  "gatehouse.yaml": `providers:
  directory: { type: local, path: x.json }
policy:
  groupNaming: "^team-[a-z]+$"
  maxNestingDepth: 1
  separationOfDuties: [[team-pay, team-audit]]
  grants: { maxDuration: 30d }
  admins: [root]
`,
  "users/people.yaml": `users:
  - id: alice
    name: Alice
    department: FIN
    manager: bob
  - id: bob
    name: Bob
    manager: alice
  - id: carol
    name: Carol
    status: terminated
  - id: dave
    name: Dave
    manager: carol
    startDate: 2026-09-01
    endDate: 2026-08-01
  - id: alice
    name: Alice Again
  - id: erin
    name: Erin
    manager: nobody
`,
  "users/bad-schema.yaml": "users:\n  - id: Eve\n    name: Eve\n",
  "users/bad-yaml.yaml": "users:\n  - id: frank\n    name: [Frank\n",
  "groups/teams.yaml": `groups:
  - name: team-pay
    owners: [carol]
    members:
      - alice
      - alice
      - user: bob
        until: 2026-05-01T00:00:00Z
      - user: dave
        until: 2026-12-01T00:00:00Z
      - ghost
  - name: team-audit
    members:
      - group: team-ring
  - name: team-ring
    owners: [bob]
    members:
      - alice
      - group: team-loop
  - name: team-loop
    owners: [bob]
    members:
      - group: team-ring
  - name: payroll-admins
    owners: [bobb]
    providers: [ldap]
    members:
      - group: team-none
`,
  "roles/finance.yaml": `roles:
  - name: finance
    when: { department: FIN }
    groups: [team-pay, team-payroll]
  - name: nobody
    when: { title: Astronaut }
    groups: [team-pay]
`,
};

describe("a broken tree", () => {
  it("yields every problem in one run, each at its exact position", async () => {
    const result = await validateFiles(FILES);
    expect(briefs(result.diagnostics)).toEqual([
      "access/gatehouse.yaml:8:12 error GH210",
      "access/groups/teams.yaml:3:14 warning GH218",
      "access/groups/teams.yaml:6:9 warning GH211",
      "access/groups/teams.yaml:8:16 warning GH222",
      "access/groups/teams.yaml:10:16 error GH221",
      "access/groups/teams.yaml:11:9 error GH201",
      "access/groups/teams.yaml:12:5 error GH217",
      "access/groups/teams.yaml:14:9 error GH214",
      "access/groups/teams.yaml:14:9 error GH219",
      "access/groups/teams.yaml:23:9 error GH213",
      "access/groups/teams.yaml:24:5 error GH215",
      "access/groups/teams.yaml:25:14 error GH203",
      "access/groups/teams.yaml:26:17 error GH206",
      "access/groups/teams.yaml:28:9 error GH202",
      "access/roles/finance.yaml:4:24 error GH205",
      "access/roles/finance.yaml:5:5 warning GH226",
      "access/users/bad-schema.yaml:2:9 error GH100",
      "access/users/bad-yaml.yaml:4:1 error GH010",
      "access/users/people.yaml:5:14 error GH223",
      "access/users/people.yaml:14:14 warning GH224",
      "access/users/people.yaml:15:16 error GH225",
      "access/users/people.yaml:17:5 error GH103",
      "access/users/people.yaml:21:14 error GH204",
    ]);
    const messages = result.diagnostics.map((d) => d.message);
    expect(messages).toContain(
      'owner user "bobb" is not defined in any access file. Did you mean "bob"? Add the user, or fix the id.',
    );
    expect(messages).toContain(
      "nested groups form a cycle: team-ring → team-loop → team-ring. Remove one of these nestings.",
    );
    expect(hasErrors(result.diagnostics)).toBe(true);
  });
});

describe("an item left out for its schema errors", () => {
  it("is still known by name: references to it are not reported as undefined, others still are", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": `providers:\n  directory: { type: local, path: x.json }\npolicy:\n  guardrails: { protectedUsers: [ann], protectedGroups: [team-ops] }\n`,
      "users/people.yaml": `users:
  - id: ann
    name: Ann
    email: 12
  - id: bob
    name: Bob
    manager: ann
`,
      "groups/teams.yaml": `groups:
  - name: team-ops
    owners: [ann]
    members: [ann, bob]
    sensitivity: secret
  - name: team-all
    owners: [bob]
    members:
      - ann
      - carl
      - group: team-ops
`,
      "roles/ops.yaml":
        "roles:\n  - name: ops\n    when: { title: Operator }\n    groups: [team-ops, team-gone]\n",
    });
    expect(
      briefs(result.diagnostics, ["GH100", "GH201", "GH202", "GH203", "GH204", "GH205", "GH208", "GH209"]),
    ).toEqual([
      "access/groups/teams.yaml:5:18 error GH100",
      "access/groups/teams.yaml:10:9 error GH201",
      "access/roles/ops.yaml:4:24 error GH205",
      "access/users/people.yaml:4:12 error GH100",
    ]);
    const messages = result.diagnostics.map((d) => d.message).join("\n");
    expect(messages).toContain('user "carl" is not defined');
    expect(messages).toContain('group "team-gone" is not defined');
    expect(messages).not.toContain('"ann" is not defined');
    expect(messages).not.toContain('"team-ops" is not defined');
  });

  it("is checked for a second definition in the same run, whichever of the two has the schema error", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": "providers:\n  directory: { type: local, path: x.json }\n",
      "users/a.yaml": `users:
  - id: ann
    name: Ann
    email: 12
  - id: bob
    name: Bob
`,
      "users/b.yaml": `users:
  - id: ann
    name: Ann Again
  - id: bob
    name: Bob Again
    status: gone
`,
      "groups/teams.yaml": `groups:
  - name: team-ops
    owners: [bob]
    members: [ann, bob]
    sensitivity: secret
  - name: team-ops
    owners: [ann]
`,
    });
    expect(briefs(result.diagnostics)).toEqual([
      "access/groups/teams.yaml:5:18 error GH100",
      "access/groups/teams.yaml:6:5 error GH104",
      "access/users/a.yaml:4:12 error GH100",
      "access/users/b.yaml:2:5 error GH103",
      "access/users/b.yaml:4:5 error GH103",
      "access/users/b.yaml:6:13 error GH100",
    ]);
    const messages = result.diagnostics.map((d) => d.message);
    expect(messages).toContain(
      'user "ann" is defined twice; first at access/users/a.yaml:2:5. Keep one definition.',
    );
    expect(messages).toContain(
      'user "bob" is defined twice; first at access/users/a.yaml:5:5. Keep one definition.',
    );
    expect(messages).toContain(
      'group "team-ops" is defined twice; first at access/groups/teams.yaml:2:5. Keep one definition.',
    );
    // The valid definition is the one in the model, as before.
    expect(result.model.users.get("ann")?.name).toBe("Ann Again");
    expect(result.model.users.get("bob")?.name).toBe("Bob");
  });
});
