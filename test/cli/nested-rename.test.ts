import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const groups = (child: string, former = ""): string => `groups:
  - name: oncall
    owners: [ann]
    members: [{ group: ${child} }]
  - name: ${child}
    owners: [ann]
${former}    members: [ann, bob]
`;

describe("renaming a nested group", () => {
  it("plans the rename only: the parent keeps it under its new name", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml":
        "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative, nesting: true }\n",
      "users/people.yaml": "users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob }\n",
      "groups/teams.yaml": groups("pagerduty-write"),
    });
    trees.push(tree);
    expect((await runCliIn(tree.cwd, ["apply", "--yes"])).code).toBe(0);
    await writeFile(
      path.join(tree.dir, "groups/teams.yaml"),
      groups("pagerduty-responders", "    formerNames: [pagerduty-write]\n"),
    );
    const plan = await runCliIn(tree.cwd, ["plan"]);
    expect(plan.out).toContain("rename group pagerduty-write to pagerduty-responders");
    expect(plan.out).toContain("1 change(s)");
    expect(plan.out).not.toContain("oncall");
    expect((await runCliIn(tree.cwd, ["apply", "--yes"])).code).toBe(0);
    expect((await runCliIn(tree.cwd, ["plan"])).out).toContain("No changes");
  });
});
