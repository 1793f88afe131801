/**
 * docs/access-files.md says what validation does with a group's owners: no owners is an error (GH217),
 * owners who have all left a warning (GH218), and the tree still validates (grants trial L8).
 */
import { readFile } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const doc = await readFile(new URL("../../docs/access-files.md", import.meta.url), "utf8");
const trees: AccessTree[] = [];
afterAll(async () => {
  await Promise.all(trees.map((t) => t.remove()));
});

describe("docs/access-files.md on owners", () => {
  it("describes a group whose owners have all left as the warning validate gives", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": "providers:\n  directory: { type: local, path: .gatehouse/directory.json }\n",
      "users/people.yaml":
        "users:\n  - { id: ann, name: Ann, status: terminated }\n  - { id: bob, name: Bob }\n",
      "groups/ops.yaml": "groups:\n  - name: ops\n    owners: [ann]\n    members: [bob]\n",
    });
    trees.push(tree);
    const out = await runCliIn(tree.cwd, ["validate"]);
    expect(out.code).toBe(0);
    expect(out.out).toContain("warning GH218");
    const row = doc.split("\n").find((line) => line.startsWith("| `owners`"));
    expect(row).toContain("a group whose owners have all left is a warning (GH218)");
    expect(row).not.toMatch(/requires at least one active owner/);
  });
});
