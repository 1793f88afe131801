import { describe, expect, it } from "vitest";
import { NOW, briefs, configYaml, validateFiles } from "../../helpers/access-tree.ts";
import { githubTeamNames, groupNaming } from "../../../src/validate/rules/group-naming.ts";
import type { AccessModel } from "../../../src/model/access.ts";

const USERS = "users:\n  - id: alice\n    name: Alice\n";
const GROUPS =
  "groups:\n  - name: team-web-read\n    owners: [alice]\n  - name: webadmins\n    owners: [alice]\n";
const NAMING = 'policy:\n  groupNaming: "^(team|app)-[a-z0-9]+-(read|write)$"\n';

describe("group-naming", () => {
  it("reports a group whose name breaks policy.groupNaming, at the group", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(NAMING),
      "users/people.yaml": USERS,
      "groups/teams.yaml": GROUPS,
    });
    expect(briefs(result.diagnostics, groupNaming.codes)).toEqual([
      "access/groups/teams.yaml:4:5 error GH215",
    ]);
    expect(result.diagnostics[0]?.message).toBe(
      'group name "webadmins" does not match policy.groupNaming ^(team|app)-[a-z0-9]+-(read|write)$; rename the group.',
    );
  });

  it("accepts any name when no pattern is set", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": USERS,
      "groups/teams.yaml": GROUPS,
    });
    expect(result.diagnostics).toEqual([]);
  });

  it("reports an invalid pattern once, at the pattern, and checks no names against it", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml('policy:\n  groupNaming: "^(team-"\n'),
      "users/people.yaml": USERS,
      "groups/teams.yaml": GROUPS,
    });
    expect(
      result.diagnostics.map((d) => `${d.file}:${String(d.line)}:${String(d.column)} ${d.code}`),
    ).toEqual(["access/gatehouse.yaml:4:16 GH100"]);
  });

  // The schema (format: regex) rejects bad patterns before the rule sees them; the rule still guards
  // a model built some other way.
  it("reports GH216 at policy.groupNaming when the pattern does not compile", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(NAMING),
      "users/people.yaml": USERS,
      "groups/teams.yaml": GROUPS,
    });
    const { policy } = result.model.config;
    const model: AccessModel = {
      ...result.model,
      config: { ...result.model.config, policy: { ...policy, groupNaming: "^(team-" } },
    };
    const found = groupNaming.check({ model, definitions: result.definitions, now: NOW });
    expect(
      found.map((d) => `${d.file}:${String(d.line)}:${String(d.column)} ${d.severity} ${d.code}`),
    ).toEqual(["access/gatehouse.yaml:4:16 error GH216"]);
    expect(found[0]?.message).toMatch(
      /^policy\.groupNaming is not a valid regular expression \(.+\); fix the pattern\.$/,
    );
  });
});

describe("github-team-names", () => {
  const config = `providers:
  gh: { type: github, org: acme, tokenEnv: GH_TOKEN }
  directory: { type: local, path: .gatehouse/directory.json }
`;
  const groups = `groups:
  - name: team.ops
    owners: [alice]
  - name: team_db
    owners: [alice]
  - name: lab.local
    owners: [alice]
    providers: [directory]
`;

  it("refuses a group going to GitHub whose name is not the slug GitHub would give its team", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": config,
      "users/people.yaml": USERS,
      "groups/teams.yaml": groups,
    });
    // team_db keeps its underscore on GitHub; lab.local never goes there.
    expect(briefs(result.diagnostics, githubTeamNames.codes)).toEqual([
      "access/groups/teams.yaml:2:5 error GH231",
    ]);
    expect(result.diagnostics.find((d) => d.code === "GH231")?.message).toContain('to "team-ops"');
  });

  it("says nothing without a GitHub provider", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": USERS,
      "groups/teams.yaml": groups,
    });
    expect(briefs(result.diagnostics, githubTeamNames.codes)).toEqual([]);
  });
});
