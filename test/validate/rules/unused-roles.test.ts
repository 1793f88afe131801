import { describe, expect, it } from "vitest";
import { briefs, configYaml, validateFiles } from "../../helpers/access-tree.ts";
import { unusedRoles } from "../../../src/validate/rules/unused-roles.ts";

const USERS =
  "users:\n  - id: alice\n    name: Alice\n    department: ENG\n  - id: gone\n    name: Gone\n    department: OPS\n    status: terminated\n";
const GROUPS = "groups:\n  - name: team-a\n    owners: [alice]\n    members: []\n";

describe("unused-roles", () => {
  it("warns about a role that matches no current user (a terminated match does not count)", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": USERS,
      "groups/teams.yaml": GROUPS,
      "roles/r.yaml": `roles:
  - name: eng
    when: { department: ENG }
    groups: [team-a]
  - name: ops
    when: { department: OPS }
    groups: [team-a]
  - name: eng-interns
    when: { department: ENG, employmentType: intern }
    groups: [team-a]
`,
    });
    expect(briefs(result.diagnostics, unusedRoles.codes)).toEqual([
      "access/roles/r.yaml:5:5 warning GH226",
      "access/roles/r.yaml:8:5 warning GH226",
    ]);
  });

  it("accepts roles that match someone", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": USERS,
      "groups/teams.yaml": GROUPS,
      "roles/r.yaml": "roles:\n  - name: eng\n    when: { department: [ENG, OPS] }\n    groups: [team-a]\n",
    });
    expect(result.diagnostics).toEqual([]);
  });
});
