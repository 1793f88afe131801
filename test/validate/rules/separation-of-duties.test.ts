import { describe, expect, it } from "vitest";
import { briefs, configYaml, validateFiles } from "../../helpers/access-tree.ts";
import { separationOfDuties } from "../../../src/validate/rules/separation-of-duties.ts";

const CONFIG = configYaml("policy:\n  separationOfDuties: [[pay-submit, pay-approve]]\n");
const USERS = `users:
  - id: alice
    name: Alice
    department: FIN
  - id: bob
    name: Bob
  - id: gone
    name: Gone
    department: FIN
    status: terminated
`;
const ROLES = "roles:\n  - name: finance\n    when: { department: FIN }\n    groups: [pay-submit]\n";

describe("separation-of-duties", () => {
  it("reports a user who holds both groups through a role and a nested group, naming each way", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": CONFIG,
      "users/people.yaml": USERS,
      "roles/finance.yaml": ROLES,
      "groups/pay.yaml": `groups:
  - name: pay-submit
    owners: [bob]
  - name: pay-approve
    owners: [bob]
    members:
      - group: approvers
  - name: approvers
    owners: [bob]
    members:
      - alice
`,
    });
    expect(briefs(result.diagnostics, separationOfDuties.codes)).toEqual([
      "access/groups/pay.yaml:7:9 error GH219",
    ]);
    expect(result.diagnostics[0]?.message).toBe(
      'separation of duties: user "alice" is in pay-submit and pay-approve ' +
        "(pay-submit: role finance (department=FIN) at access/roles/finance.yaml:2 | " +
        "pay-approve: via group approvers (access/groups/pay.yaml:7) ← listed at access/groups/pay.yaml:11). " +
        "Remove one of these memberships.",
    );
  });

  it("ignores terminated users and expired grants", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": CONFIG,
      "users/people.yaml": USERS,
      "roles/finance.yaml": ROLES,
      "groups/pay.yaml": `groups:
  - name: pay-submit
    owners: [bob]
  - name: pay-approve
    owners: [bob]
    members:
      - gone
      - user: alice
        until: 2026-05-01T00:00:00Z
`,
    });
    expect(briefs(result.diagnostics, separationOfDuties.codes)).toEqual([]);
  });
});
