import { describe, expect, it } from "vitest";
import { briefs, configYaml, validateFiles } from "../../helpers/access-tree.ts";
import { formerNameClaims, rolesIntoUnmanagedGroups } from "../../../src/validate/rules/group-history.ts";

const USERS = "users:\n  - id: alice\n    name: Alice\n    department: ENG\n";

describe("former-names", () => {
  it("refuses a former name two groups claim (in any case) and a group's own name", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": USERS,
      "groups/teams.yaml": `groups:
  - name: ops-team
    owners: [alice]
    formerNames: [ops]
  - name: ops-crew
    owners: [alice]
    formerNames: [OPS]
  - name: web
    owners: [alice]
    formerNames: [web, www]
`,
    });
    expect(briefs(result.diagnostics, formerNameClaims.codes)).toEqual([
      "access/groups/teams.yaml:5:5 error GH228",
      "access/groups/teams.yaml:8:5 error GH228",
    ]);
    const messages = result.diagnostics.map((d) => d.message);
    expect(messages).toContain(
      'groups "ops-team" and "ops-crew" both list "OPS" in formerNames (first at access/groups/teams.yaml:2:5); a live group can become only one of them: keep the name in one.',
    );
  });

  it("accepts distinct former names", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": USERS,
      "groups/teams.yaml": "groups:\n  - name: a\n    owners: [alice]\n    formerNames: [b]\n",
    });
    expect(briefs(result.diagnostics, formerNameClaims.codes)).toEqual([]);
  });
});

describe("role-groups", () => {
  it("warns where a role grants a group whose members gatehouse does not manage", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": USERS,
      "groups/teams.yaml":
        "groups:\n  - name: managed\n    owners: [alice]\n    members: []\n  - name: loose\n    owners: [alice]\n",
      "roles/eng.yaml":
        "roles:\n  - name: eng\n    when: { department: ENG }\n    groups: [managed, loose]\n",
    });
    expect(briefs(result.diagnostics, rolesIntoUnmanagedGroups.codes)).toEqual([
      "access/roles/eng.yaml:4:23 warning GH229",
    ]);
  });
});
