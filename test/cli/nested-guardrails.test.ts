import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const PEOPLE = Array.from({ length: 8 }, (_, i) => `p${String(i)}`);
const CONFIG = `providers:
  app: { type: local, path: .gatehouse/app.json, mode: authoritative, nesting: true }
policy:
  guardrails: { maxRemovals: 5, protectedGroups: [all-eng] }
`;
const groups = (nested: boolean, team: readonly string[]): string => `groups:
  - name: all-eng
    owners: [p0]
    members: [${nested ? "{ group: team-a }" : ""}]
  - name: team-a
    owners: [p0]
    members: [${team.join(", ")}]
`;

describe("guard rails through nested groups", () => {
  async function applied(): Promise<AccessTree> {
    const tree = await writeAccessTree({
      "gatehouse.yaml": CONFIG,
      "users/people.yaml": `users:\n${PEOPLE.map((p) => `  - { id: ${p}, name: ${p} }\n`).join("")}`,
      "groups/teams.yaml": groups(true, PEOPLE),
    });
    trees.push(tree);
    expect((await runCliIn(tree.cwd, ["apply", "--yes", "--force"])).code).toBe(0);
    return tree;
  }

  it("count everyone who loses access when a nested group is taken out", async () => {
    const tree = await applied();
    await writeFile(path.join(tree.dir, "groups/teams.yaml"), groups(false, PEOPLE));
    const plan = await runCliIn(tree.cwd, ["plan"]);
    expect(plan.out).toContain("remove group team-a from all-eng (8 people lose access through it)");
    // The summary counts one change, and says what it takes away.
    expect(plan.out).toContain(
      "Plan: 1 change(s): 0 broaden access, 1 narrow access, 0 neutral. They remove 8 memberships or accounts, as the guard rails count them (a deleted group's members, those of a nested group taken out, an account renamed in place).",
    );
    const apply = await runCliIn(tree.cwd, ["apply", "--yes"]);
    expect(apply.code).toBe(3);
    expect(apply.out).toContain("the plan removes 8 memberships or accounts in app, more than allowed");
  });

  it("refuse narrowing a protected group through a group it nests", async () => {
    const tree = await applied();
    await writeFile(path.join(tree.dir, "groups/teams.yaml"), groups(true, PEOPLE.slice(1)));
    const apply = await runCliIn(tree.cwd, ["apply", "--yes"]);
    expect(apply.code).toBe(3);
    expect(apply.out).toContain("narrows protected group all-eng, which nests team-a");
  });

  it("let a leaver's offboarding through a protected group, and through one it nests", async () => {
    const tree = await applied();
    const people = path.join(tree.dir, "users/people.yaml");
    await writeFile(
      people,
      `users:\n${PEOPLE.map((p) => `  - { id: ${p}, name: ${p}${p === "p7" ? ", status: terminated" : ""} }\n`).join("")}`,
    );
    const apply = await runCliIn(tree.cwd, ["apply", "--yes"]);
    expect(apply.code, apply.out).toBe(0);
    expect(apply.out).toMatch(/clean app: p7: account disabled, in no group/);
    // A line taken out is still refused.
    await writeFile(path.join(tree.dir, "groups/teams.yaml"), groups(true, PEOPLE.slice(1, 7)));
    const edit = await runCliIn(tree.cwd, ["apply", "--yes"]);
    expect(edit.code).toBe(3);
    expect(edit.out).toContain("narrows protected group all-eng, which nests team-a");
  });
});
