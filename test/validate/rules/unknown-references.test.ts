import { describe, expect, it } from "vitest";
import { NOW, briefs, configYaml, validateFiles } from "../../helpers/access-tree.ts";
import { unknownReferences } from "../../../src/validate/rules/unknown-references.ts";

const CODES = unknownReferences.codes;

const USERS = `users:
  - id: alice
    name: Alice
    department: ENG
    accounts: { github: alice-gh }
  - id: bob
    name: Bob
    manager: alice
`;

describe("unknown-references", () => {
  it("reports every undefined user, group and provider name at the name itself", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": `providers:
  directory: { type: local, path: x.json }
policy:
  separationOfDuties: [[team-a, team-bb]]
  guardrails:
    protectedUsers: [alicee]
    protectedGroups: [team-z]
  admins: [nobody]
`,
      "users/people.yaml": USERS + "  - id: carol\n    name: Carol\n    manager: alic\n",
      "groups/teams.yaml": `groups:
  - name: team-a
    owners: [alice, zed]
    providers: [directory, dirctory]
    members:
      - bob
      - user: mallory
        until: 2026-07-01T00:00:00Z
      - group: team-x
  - name: team-b
    owners: [alice]
    members: []
`,
      "roles/eng.yaml": `roles:
  - name: eng
    when: { department: ENG }
    groups: [team-a, team-c]
`,
    });
    expect(briefs(result.diagnostics, CODES)).toEqual([
      "access/gatehouse.yaml:4:33 error GH207",
      "access/gatehouse.yaml:6:22 error GH208",
      "access/gatehouse.yaml:7:23 error GH209",
      "access/gatehouse.yaml:8:12 error GH210",
      "access/groups/teams.yaml:3:21 error GH203",
      "access/groups/teams.yaml:4:28 error GH206",
      "access/groups/teams.yaml:7:9 error GH201",
      "access/groups/teams.yaml:9:9 error GH202",
      "access/roles/eng.yaml:4:22 error GH205",
      "access/users/people.yaml:11:14 error GH204",
    ]);
    const messages = result.diagnostics.map((d) => d.message);
    expect(messages).toContain(
      'manager user "alic" is not defined in any access file. Did you mean "alice"? Add the user, or fix the id.',
    );
    expect(messages.find((m) => m.startsWith('provider "dirctory"'))).toContain('Did you mean "directory"?');
    expect(messages).toContain(
      'nested group "team-x" is not defined in any access file. Did you mean "team-a"? Define the group, or fix the name.',
    );
  });

  it("reports in model order: each group's members, owners and providers, then managers, roles, policy", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml("policy:\n  admins: [alice, alice-gh, carl]\n"),
      "users/people.yaml": USERS + "  - id: dan\n    name: Dan\n    manager: bobb\n",
      "groups/a.yaml": `groups:
  - name: team-a
    owners: [alice, zed, bob]
    providers: [dirctory]
    members:
      - ghost
      - group: team-q
      - bob
      - user: ghost
        until: 2026-07-01T00:00:00Z
`,
      "groups/b.yaml": `groups:
  - name: team-b
    owners: [ann]
    members:
      - group: team-a
      - group: team-z
`,
      "roles/eng.yaml": `roles:
  - name: eng
    when: { department: ENG }
    groups: [team-a, team-c, team-b, team-d]
`,
    });
    const found = unknownReferences.check({
      model: result.model,
      definitions: result.definitions,
      now: NOW,
    });
    expect(found.map((d) => `${d.file}:${String(d.line)}:${String(d.column)} ${d.code}`)).toEqual([
      "access/groups/a.yaml:6:9 GH201",
      "access/groups/a.yaml:7:9 GH202",
      "access/groups/a.yaml:9:9 GH201",
      "access/groups/a.yaml:3:21 GH203",
      "access/groups/a.yaml:4:17 GH206",
      "access/groups/b.yaml:6:9 GH202",
      "access/groups/b.yaml:3:14 GH203",
      "access/users/people.yaml:11:14 GH204",
      "access/roles/eng.yaml:4:22 GH205",
      "access/roles/eng.yaml:4:38 GH205",
      "access/gatehouse.yaml:4:29 GH210",
    ]);
    expect(found[1]?.message).toBe(
      'nested group "team-q" is not defined in any access file. Did you mean "team-a"? Define the group, or fix the name.',
    );
    expect(found[7]?.message).toBe(
      'manager user "bobb" is not defined in any access file. Did you mean "bob"? Add the user, or fix the id.',
    );
  });

  it("accepts a tree where every name is defined, admins named by account or id", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(
        "policy:\n  separationOfDuties: [[team-a, team-c]]\n  guardrails: { protectedUsers: [bob], protectedGroups: [team-a] }\n  admins: [alice-gh, bob]\n",
      ),
      "users/people.yaml": USERS,
      "groups/teams.yaml":
        "groups:\n  - name: team-a\n    owners: [alice]\n    providers: [directory]\n    members: [bob, { group: team-b }]\n  - name: team-b\n    owners: [alice]\n    members: []\n  - name: team-c\n    owners: [alice]\n",
      "roles/eng.yaml": "roles:\n  - name: eng\n    when: { department: ENG }\n    groups: [team-b]\n",
    });
    expect(result.diagnostics).toEqual([]);
  });
});

describe("GH206 when gatehouse.yaml is missing or a provider in it is invalid", () => {
  const groups = "groups:\n  - name: ops\n    owners: [ann]\n    providers: [tickets]\n    members: [ann]\n";
  const users = "users:\n  - { id: ann, name: Ann }\n";

  it("says there is no usable gatehouse.yaml, not 'Known providers: directory'", async () => {
    const result = await validateFiles({ "users/people.yaml": users, "groups/ops.yaml": groups });
    const found = briefs(result.diagnostics, ["GH206"]);
    expect(found).toEqual(["access/groups/ops.yaml:4:17 error GH206"]);
    expect(result.diagnostics.find((d) => d.code === "GH206")?.message).toContain(
      'there is no usable gatehouse.yaml in the access folder (none, or it has errors reported above), so only the built-in local provider "directory" exists',
    );
  });

  it("is not reported for a provider that gatehouse.yaml defines with errors of its own", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": "providers:\n  tickets: { type: scim, baseUrl: 12, tokenEnv: T }\n",
      "users/people.yaml": users,
      "groups/ops.yaml": groups,
    });
    expect(briefs(result.diagnostics, ["GH206"])).toEqual([]);
    expect(result.diagnostics.some((d) => d.file === "access/gatehouse.yaml" && d.severity === "error")).toBe(
      true,
    );
  });
});
