import { describe, expect, it } from "vitest";
import { briefs, configYaml, validateFiles } from "../../helpers/access-tree.ts";
import { groupOwners } from "../../../src/validate/rules/group-owners.ts";

const USERS = `users:
  - id: alice
    name: Alice
  - id: gone
    name: Gone
    status: terminated
  - id: left
    name: Left
    endDate: 2026-03-31
`;

describe("group-owners", () => {
  it("reports a group without owners, and one whose owners are all terminated", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": USERS,
      "groups/teams.yaml": `groups:
  - name: team-a
    members: [alice]
  - name: team-b
    owners: []
  - name: team-c
    owners: [gone, left]
  - name: team-d
    owners: [gone]
`,
    });
    expect(briefs(result.diagnostics, groupOwners.codes)).toEqual([
      "access/groups/teams.yaml:2:5 error GH217",
      "access/groups/teams.yaml:4:5 error GH217",
      "access/groups/teams.yaml:7:14 warning GH218",
      "access/groups/teams.yaml:9:14 warning GH218",
    ]);
    // A warning whether an end date passed or the files say terminated: an error would stop every
    // reconcile, the owners' own offboarding included (an HR sync cannot name a new owner).
    expect(result.diagnostics[2]?.message).toBe(
      'group "team-c" has no active owner: gone, left are terminated. Add an active owner; until then the admins approve changes to it.',
    );
    expect(result.diagnostics[3]?.message).toBe(
      'group "team-d" has no active owner: gone is terminated. Add an active owner; until then the admins approve changes to it.',
    );
  });

  it("accepts a group with at least one active owner", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": USERS,
      "groups/teams.yaml": "groups:\n  - name: team-c\n    owners: [gone, alice]\n",
    });
    expect(result.diagnostics).toEqual([]);
  });

  it("warns of admins who have left, by id or GitHub login, and says when none is left", async () => {
    const users = USERS.replace(
      "    status: terminated\n",
      "    status: terminated\n    accounts: { github: gone-gh }\n",
    );
    const some = await validateFiles({
      "gatehouse.yaml": configYaml("policy:\n  admins: [alice, gone-gh, left]\n"),
      "users/people.yaml": users,
    });
    expect(
      some.diagnostics
        .filter((d) => d.code === "GH243")
        .map((d) => `${String(d.line)}:${String(d.column)} ${d.message}`),
    ).toEqual([
      "4:19 policy.admins: gone-gh (gone) has left (terminated): pr check no longer counts their approval. Remove them from policy.admins",
      "4:28 policy.admins: left has left (terminated): pr check no longer counts their approval. Remove them from policy.admins",
    ]);
    const none = await validateFiles({
      "gatehouse.yaml": configYaml("policy:\n  admins: [gone]\n"),
      "users/people.yaml": users,
    });
    expect(none.diagnostics.map((d) => `${d.severity} ${d.code} ${d.message}`)).toEqual([
      "warning GH243 policy.admins: gone has left (terminated): pr check no longer counts their approval; no admin is left, so nobody can approve changes to gatehouse.yaml, the schemas and the workflows. Name an admin who is here",
    ]);
  });
});
