import { describe, expect, it } from "vitest";
import { NOW, briefs, configYaml, validateFiles } from "../../helpers/access-tree.ts";
import { duplicateEntries } from "../../../src/validate/rules/duplicate-entries.ts";
import type { AccessModel } from "../../../src/model/access.ts";

const USERS = "users:\n  - id: alice\n    name: Alice\n    department: ENG\n  - id: bob\n    name: Bob\n";

describe("duplicate-entries", () => {
  it("warns at the second entry when a group lists the same user or nested group twice", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": USERS,
      "groups/teams.yaml": `groups:
  - name: team-a
    owners: [alice]
    members:
      - bob
      - group: team-b
      - user: bob
        until: 2026-07-01T00:00:00Z
      - group: team-b
  - name: team-b
    owners: [alice]
    members: [alice]
`,
    });
    expect(briefs(result.diagnostics, duplicateEntries.codes)).toEqual([
      "access/groups/teams.yaml:7:9 warning GH211",
      "access/groups/teams.yaml:9:9 warning GH211",
    ]);
    expect(result.diagnostics[0]?.message).toBe(
      'user "bob" is listed twice in group "team-a"; first at access/groups/teams.yaml:5:9. Keep one entry (the one with the right until, if any).',
    );
    expect(result.diagnostics[0]?.related).toEqual([
      { file: "access/groups/teams.yaml", line: 5, column: 9 },
    ]);
  });

  it("points every repeat at the first entry, per group, and keeps users and nested groups apart", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": USERS + "  - id: team-b\n    name: Team B the person\n",
      "groups/a.yaml": `groups:
  - name: team-a
    owners: [alice]
    members:
      - bob
      - team-b
      - group: team-b
      - bob
      - user: bob
        until: 2026-07-01T00:00:00Z
      - ghost
      - ghost
`,
      "groups/b.yaml": `groups:
  - name: team-b
    owners: [alice]
    members: [alice, bob, alice, { group: team-a }, { group: team-a }]
`,
    });
    const found = duplicateEntries.check({ model: result.model, definitions: result.definitions, now: NOW });
    expect(found.map((d) => `${d.file}:${String(d.line)}:${String(d.column)} ${d.message}`)).toEqual([
      'access/groups/a.yaml:8:9 user "bob" is listed twice in group "team-a"; first at access/groups/a.yaml:5:9. Keep one entry (the one with the right until, if any).',
      'access/groups/a.yaml:9:9 user "bob" is listed twice in group "team-a"; first at access/groups/a.yaml:5:9. Keep one entry (the one with the right until, if any).',
      'access/groups/a.yaml:12:9 user "ghost" is listed twice in group "team-a"; first at access/groups/a.yaml:11:9. Keep one entry (the one with the right until, if any).',
      'access/groups/b.yaml:4:27 user "alice" is listed twice in group "team-b"; first at access/groups/b.yaml:4:15. Keep one entry (the one with the right until, if any).',
      'access/groups/b.yaml:4:53 nested group "team-a" is listed twice in group "team-b"; first at access/groups/b.yaml:4:34. Keep one entry (the one with the right until, if any).',
    ]);
    expect(found.map((d) => d.related)).toEqual([
      [{ file: "access/groups/a.yaml", line: 5, column: 9 }],
      [{ file: "access/groups/a.yaml", line: 5, column: 9 }],
      [{ file: "access/groups/a.yaml", line: 11, column: 9 }],
      [{ file: "access/groups/b.yaml", line: 4, column: 15 }],
      [{ file: "access/groups/b.yaml", line: 4, column: 34 }],
    ]);
  });

  it("accepts the same user in two different groups", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": USERS,
      "groups/teams.yaml":
        "groups:\n  - name: team-a\n    owners: [alice]\n    members: [bob]\n  - name: team-b\n    owners: [alice]\n    members: [bob]\n",
    });
    expect(result.diagnostics).toEqual([]);
  });

  // The role schema already rejects duplicate groups (uniqueItems, GH100), so the model built from
  // files never holds one; this checks the rule itself on a model that does.
  it("warns when a role lists the same group twice", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": USERS,
      "groups/teams.yaml": "groups:\n  - name: team-a\n    owners: [alice]\n    members: []\n",
      "roles/eng.yaml": "roles:\n  - name: eng\n    when: { department: ENG }\n    groups: [team-a]\n",
    });
    expect(result.diagnostics).toEqual([]);
    const role = result.model.roles.get("eng");
    if (!role) throw new Error("role eng missing");
    const at = { file: "access/roles/eng.yaml", line: 4, column: 22 };
    const model: AccessModel = {
      ...result.model,
      roles: new Map([
        ["eng", { ...role, groups: ["team-a", "team-a"], groupSources: [...(role.groupSources ?? []), at] }],
      ]),
    };
    const found = duplicateEntries.check({ model, definitions: result.definitions, now: NOW });
    expect(
      found.map((d) => `${d.file}:${String(d.line)}:${String(d.column)} ${d.severity} ${d.code}`),
    ).toEqual(["access/roles/eng.yaml:4:22 warning GH212"]);
    expect(
      duplicateEntries.check({ model: result.model, definitions: result.definitions, now: NOW }),
    ).toEqual([]);
  });
});
