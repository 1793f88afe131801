import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const cli = (tree: AccessTree, argv: string[]) => runCliIn(tree.cwd, argv);

const CONFIG = `providers:
  app:
    type: local
    path: .gatehouse/app.json
    mode: additive
    users: mapped
policy:
  guardrails: { maxRemovals: 10 }
`;

describe("a leaver whose account mapping left the files", () => {
  it("is still disabled, and loses every membership, under the account the journal saw as theirs", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": CONFIG,
      "users/people.yaml":
        "users:\n  - id: ann\n    name: Ann\n    accounts: { app: ann-app }\n  - id: xavier\n    name: Xavier\n    accounts: { app: x-app }\n",
      "groups/teams.yaml": "groups:\n  - name: ops\n    owners: [ann]\n    members: [ann, xavier]\n",
    });
    trees.push(tree);
    expect((await cli(tree, ["apply", "--yes"])).code).toBe(0);
    // Someone also gave x-app a group the files do not manage.
    const file = path.join(tree.cwd, ".gatehouse/app.json");
    const directory = JSON.parse(await readFile(file, "utf8")) as {
      groups: { name: string; members: string[]; groupMembers: string[] }[];
    };
    directory.groups.push({ name: "side", members: ["x-app"], groupMembers: [] });
    await writeFile(file, JSON.stringify(directory));

    // The HR export now says terminated, and no longer carries the mapping.
    await writeFile(
      path.join(tree.dir, "users/people.yaml"),
      "users:\n  - id: ann\n    name: Ann\n    accounts: { app: ann-app }\n  - id: xavier\n    name: Xavier\n    status: terminated\n",
    );
    const plan = await cli(tree, ["plan"]);
    expect(plan.out).toMatch(/- disable user x-app .*user terminated/);
    expect(plan.out).toMatch(/- remove x-app from ops .*user terminated/);
    expect(plan.out).toMatch(/- remove x-app from side .*user terminated/);
    expect((await cli(tree, ["apply", "--yes"])).code).toBe(0);
    expect((await cli(tree, ["plan"])).out).toContain("No changes");
  });
});
