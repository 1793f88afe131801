/**
 * A leaver's removal from a protected group is counted, not refused (plan/safety.ts isLeaversRemoval);
 * but not where an edit names as the leaver's an account the journal knows as someone else's, who is
 * no longer in the files: that would take any account out of a protected group without --force.
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

const NOW = new Date("2026-12-22T07:00:00Z");
const ADMINS = "groups:\n  - name: db-admin\n    owners: [ann]\n    members: [ann, bob, cy]\n";

async function site(): Promise<AccessTree> {
  const tree = await writeAccessTree({
    "gatehouse.yaml":
      "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n" +
      "policy:\n  guardrails: { maxRemovals: 5, protectedGroups: [db-admin] }\n",
    "users/people.yaml": people("  - { id: bob, name: bob }\n  - { id: al, name: al }\n"),
    "groups/groups.yaml": ADMINS,
  });
  trees.push(tree);
  expect((await runCliIn(tree.cwd, ["apply", "--yes"], NOW)).code).toBe(0);
  return tree;
}

function people(rest: string): string {
  return `users:\n  - { id: ann, name: ann }\n  - { id: cy, name: cy }\n${rest}`;
}

async function adminsOf(tree: AccessTree): Promise<string[]> {
  const state = JSON.parse(await readFile(path.join(tree.cwd, ".gatehouse/app.json"), "utf8")) as {
    groups: { name: string; members: string[] }[];
  };
  return state.groups.find((g) => g.name === "db-admin")?.members ?? [];
}

describe("a leaver's removal from a protected group", () => {
  it("is made for a leaver's own account", async () => {
    const tree = await site();
    await writeFile(
      path.join(tree.dir, "users/people.yaml"),
      people("  - { id: bob, name: bob, status: terminated }\n  - { id: al, name: al }\n"),
    );
    const applied = await runCliIn(tree.cwd, ["apply", "--yes"], NOW);
    expect(applied.stderr).not.toContain("protected group");
    expect(applied.code).toBe(0);
    expect(await adminsOf(tree)).toEqual(["ann", "cy"]);
  });

  it("is refused where the files name a departed person's account as a leaver's", async () => {
    const tree = await site();
    // bob leaves the files, and a leaver's entry is given bob's account.
    await writeFile(
      path.join(tree.dir, "users/people.yaml"),
      people("  - { id: al, name: al, status: terminated, accounts: { app: bob } }\n"),
    );
    await writeFile(path.join(tree.dir, "groups/groups.yaml"), ADMINS.replace("ann, bob, cy", "ann, cy"));
    const plan = await runCliIn(tree.cwd, ["plan"], NOW);
    expect(plan.stdout).toContain("remove bob from db-admin  (user terminated");
    const applied = await runCliIn(tree.cwd, ["apply", "--yes"], NOW);
    expect(applied.code).toBe(3);
    expect(applied.stderr).toContain("narrows protected group db-admin");
    expect(await adminsOf(tree)).toEqual(["ann", "bob", "cy"]);
  });
});
