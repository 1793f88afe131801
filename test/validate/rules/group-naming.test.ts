import { describe, expect, it } from "vitest";
import { NOW, briefs, configYaml, validateFiles } from "../../helpers/access-tree.ts";
import { groupNaming } from "../../../src/validate/rules/group-naming.ts";
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
