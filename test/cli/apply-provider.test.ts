/**
 * `apply` with one system unreadable (grants trial M3): the others are reconciled and the run exits 1,
 * and `--provider` limits a run to the systems named; both as the README's apply section says.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const CONFIG = `providers:
  directory: { type: local, path: .gatehouse/directory.json, mode: authoritative }
  down: { type: local, path: .gatehouse/down.json, mode: authoritative }
policy:
  guardrails: { maxRemovals: 5 }
`;
const opsMembers = (text: string): string[] | undefined =>
  (JSON.parse(text) as { groups: { name: string; members: string[] }[] }).groups.find((g) => g.name === "ops")
    ?.members;

describe("apply and an unreadable system", () => {
  it("reconciles the others on one failed read (exit 1); --provider limits a run to the systems named", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": CONFIG,
      "users/people.yaml": "users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob }\n",
      // bob's grant ended: both systems still hold it.
      "groups/ops.yaml":
        "groups:\n  - name: ops\n    owners: [ann]\n    members:\n      - ann\n      - { user: bob, until: 2026-05-31T00:00:00Z }\n",
    });
    trees.push(tree);
    const state = path.join(tree.cwd, ".gatehouse");
    // Applied while bob's grant held: both systems hold it.
    const first = await runCliIn(tree.cwd, ["apply", "--yes"], new Date("2026-05-30T12:00:00Z"));
    expect(first.code).toBe(0);
    await writeFile(path.join(state, "down.json"), "{ not json");
    const before = await readFile(path.join(state, "directory.json"), "utf8");
    expect(opsMembers(before)).toEqual(["ann", "bob"]);

    const some = await runCliIn(tree.cwd, ["apply", "--yes", "--provider", "down"]);
    expect(some.code).toBe(1);
    expect(some.stderr).toMatch(/^error: down: read: .*\n {4}see access\/gatehouse.yaml:3:3/);

    const all = await runCliIn(tree.cwd, ["apply", "--yes"]);
    expect(all.code).toBe(1);
    expect(all.stderr).toMatch(/^error: down: read: .*\n {4}see access\/gatehouse.yaml:3:3/);
    expect(all.stdout).toContain("remove bob from ops");
    expect(opsMembers(await readFile(path.join(state, "directory.json"), "utf8"))).toEqual(["ann"]);
    expect(await readFile(path.join(state, "down.json"), "utf8")).toBe("{ not json");

    // What the README says of it, in the apply section.
    const heading = readme.split("\n").find((l) => l.startsWith("### `gatehouse apply "));
    expect(heading).toContain("[--provider NAME]...");
    expect(readme).toContain("is left out of the run: apply names it");
    expect(readme).toContain("`apply --provider` limits a run to the systems named");
  });
});
