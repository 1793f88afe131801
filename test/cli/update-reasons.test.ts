/**
 * A user's attributes differing from the files: "added in config" when the files changed (the system
 * still holds what gatehouse last wrote, by the journal), "drift" when the system changed.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const people = (title: string): string =>
  `users:\n  - { id: ann, name: Ann, title: ${title} }\n  - { id: bob, name: Bob, title: Engineer }\n`;

describe("the reason of a user update", () => {
  it("is the files' change when the system holds what gatehouse wrote, drift when the system changed", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": "providers:\n  app: { type: local, path: .gatehouse/app.json }\n",
      "users/people.yaml": people("Engineer"),
    });
    trees.push(tree);
    expect((await runCliIn(tree.cwd, ["apply", "--yes"])).code).toBe(0);

    // An HR change through the files: ann is promoted.
    await writeFile(path.join(tree.dir, "users/people.yaml"), people("Lead"));
    // Someone edits bob in the system by hand.
    const file = path.join(tree.cwd, ".gatehouse/app.json");
    const directory = JSON.parse(await readFile(file, "utf8")) as {
      users: { account: string; title?: string }[];
    };
    for (const u of directory.users) if (u.account === "bob") u.title = "Intern";
    await writeFile(file, JSON.stringify(directory));

    const plan = await runCliIn(tree.cwd, ["plan"]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/~ update user ann: title "Engineer" → "Lead"\s+\(added in config, /);
    expect(plan.stdout).toMatch(/~ update user bob: title "Intern" → "Engineer"\s+\(drift, /);
  });
});
