/** `legalHold: true` in the access files: loaded, validated, and a held leaver's access still cut. */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const NOW = new Date("2026-06-01T12:00:00Z");
const CONFIG = "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n";
const GROUPS = "groups:\n  - name: ops\n    owners: [ann]\n    members: [ann, bob]\n";

async function tree(people: string): Promise<AccessTree> {
  const t = await writeAccessTree({
    "gatehouse.yaml": CONFIG,
    "users/people.yaml": people,
    "groups/ops.yaml": GROUPS,
  });
  trees.push(t);
  return t;
}

describe("legalHold", () => {
  it("is valid on someone who has not left (set before the termination)", async () => {
    const t = await tree("users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob, legalHold: true }\n");
    const result = await runCliIn(t.cwd, ["validate"], NOW);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it("rejects a value that is not a boolean, naming file, line and column", async () => {
    const t = await tree(
      "users:\n  - { id: ann, name: Ann }\n  - id: bob\n    name: Bob\n    legalHold: yes please\n",
    );
    const result = await runCliIn(t.cwd, ["validate"], NOW);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/access\/users\/people\.yaml:5:\d+ error/);
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /);
  });

  it("still cuts a held leaver's access: the account disabled, every membership removed", async () => {
    const t = await tree("users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob, legalHold: true }\n");
    expect((await runCliIn(t.cwd, ["apply", "--yes"], NOW)).code).toBe(0);
    const people = path.join(t.dir, "users/people.yaml");
    const text = await readFile(people, "utf8");
    await writeFile(people, text.replace("legalHold: true }", "legalHold: true, status: terminated }"));
    const applied = await runCliIn(t.cwd, ["apply", "--yes", "--allow-removals", "5"], NOW);
    expect(applied.code).toBe(0);
    const app = JSON.parse(await readFile(path.join(t.cwd, ".gatehouse/app.json"), "utf8")) as {
      users: { account: string; enabled: boolean }[];
      groups: { name: string; members: string[] }[];
    };
    expect(app.users.find((u) => u.account === "bob")?.enabled).toBe(false);
    expect(app.groups.find((g) => g.name === "ops")?.members).toEqual(["ann"]);
  });
});
