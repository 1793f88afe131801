import { describe, expect, it } from "vitest";
import { briefs, configYaml, validateFiles } from "../../helpers/access-tree.ts";
import { groupNesting } from "../../../src/validate/rules/group-nesting.ts";

const USERS = "users:\n  - id: alice\n    name: Alice\n";

function group(name: string, nested: readonly string[]): string {
  const members = nested.map((n) => `      - group: ${n}\n`).join("");
  return `  - name: ${name}\n    owners: [alice]\n    members:\n      - alice\n${members}`;
}

describe("group-nesting", () => {
  it("reports a nested-group cycle once, naming its path, at the entry that closes it", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml("policy:\n  maxNestingDepth: 5\n"),
      "users/people.yaml": USERS,
      "groups/teams.yaml": "groups:\n" + group("a", ["b"]) + group("b", ["c"]) + group("c", ["a"]),
    });
    expect(briefs(result.diagnostics, groupNesting.codes)).toEqual([
      "access/groups/teams.yaml:16:9 error GH213",
    ]);
    expect(result.diagnostics[0]?.message).toBe(
      "nested groups form a cycle: a → b → c → a. Remove one of these nestings.",
    );
  });

  it("reports a group nesting itself", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": USERS,
      "groups/teams.yaml": "groups:\n" + group("a", ["a"]),
    });
    expect(briefs(result.diagnostics, groupNesting.codes)).toEqual([
      "access/groups/teams.yaml:6:9 error GH213",
    ]);
    expect(result.diagnostics[0]?.message).toContain("a → a");
  });

  it("reports nesting deeper than policy.maxNestingDepth at the first hop", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml("policy:\n  maxNestingDepth: 2\n"),
      "users/people.yaml": USERS,
      "groups/teams.yaml":
        "groups:\n" + group("a", ["b"]) + group("b", ["c"]) + group("c", ["d"]) + group("d", []),
    });
    expect(briefs(result.diagnostics, groupNesting.codes)).toEqual([
      "access/groups/teams.yaml:6:9 error GH214",
    ]);
    expect(result.diagnostics[0]?.message).toBe(
      'group "a" nests groups 3 deep (a → b → c → d); policy.maxNestingDepth is 2. List the inner members directly or flatten a level.',
    );
  });

  it("accepts nesting exactly as deep as the policy allows", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml("policy:\n  maxNestingDepth: 2\n"),
      "users/people.yaml": USERS,
      "groups/teams.yaml": "groups:\n" + group("a", ["b"]) + group("b", ["c"]) + group("c", []),
    });
    expect(result.diagnostics).toEqual([]);
  });

  it("forbids any nesting when maxNestingDepth is 0", async () => {
    const result = await validateFiles({
      "gatehouse.yaml": configYaml("policy:\n  maxNestingDepth: 0\n"),
      "users/people.yaml": USERS,
      "groups/teams.yaml": "groups:\n" + group("a", ["b"]) + group("b", []),
    });
    expect(briefs(result.diagnostics, groupNesting.codes)).toEqual([
      "access/groups/teams.yaml:6:9 error GH214",
    ]);
  });
});
