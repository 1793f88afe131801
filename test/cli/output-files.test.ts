import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

async function applied(): Promise<AccessTree> {
  const tree = await writeAccessTree({
    "gatehouse.yaml": "providers:\n  app: { type: local, path: .gatehouse/app.json }\n",
    "users/people.yaml": "users:\n  - { id: ann, name: Ann, accounts: { github: ann-gh } }\n",
    "groups/teams.yaml": "groups:\n  - name: ops\n    owners: [ann]\n    members: [ann]\n",
  });
  trees.push(tree);
  expect((await runCliIn(tree.cwd, ["apply", "--yes"])).code).toBe(0);
  return tree;
}

describe("--out", () => {
  it("never writes a plan over the journal, the directory or an access file, but replaces a plan", async () => {
    const tree = await applied();
    for (const target of [".gatehouse/journal.jsonl", ".gatehouse/app.json", "access/users/people.yaml"]) {
      const before = await readFile(path.join(tree.cwd, target), "utf8");
      const result = await runCliIn(tree.cwd, ["plan", "--out", target]);
      expect(result.code).toBe(64);
      expect(result.out).toContain(
        `${target} exists and is not a saved plan; gatehouse does not write over it`,
      );
      expect(await readFile(path.join(tree.cwd, target), "utf8")).toBe(before);
    }
    expect((await runCliIn(tree.cwd, ["plan", "--out", "plan.json"])).code).toBe(0);
    expect((await runCliIn(tree.cwd, ["plan", "--out", "plan.json"])).code).toBe(0);
    await writeFile(path.join(tree.cwd, "empty.json"), "");
    expect((await runCliIn(tree.cwd, ["plan", "--out", "empty.json"])).code).toBe(0);
  });

  it("never writes through a symbolic link, even to an empty file or one not there yet", async () => {
    const tree = await applied();
    await writeFile(path.join(tree.cwd, "elsewhere.json"), "");
    await symlink(path.join(tree.cwd, "elsewhere.json"), path.join(tree.cwd, "plan.json"));
    await symlink(path.join(tree.cwd, "nowhere.json"), path.join(tree.cwd, "dangling.json"));
    for (const target of ["plan.json", "dangling.json"]) {
      const result = await runCliIn(tree.cwd, ["plan", "--out", target]);
      expect(result.code).toBe(64);
      expect(result.out).toContain(`${target} is a symbolic link; gatehouse does not write through links`);
    }
    expect(await readFile(path.join(tree.cwd, "elsewhere.json"), "utf8")).toBe("");
    await expect(readFile(path.join(tree.cwd, "nowhere.json"), "utf8")).rejects.toThrow();
  });

  it("never writes CODEOWNERS over a file gatehouse did not write", async () => {
    const tree = await applied();
    await mkdir(path.join(tree.cwd, ".github"), { recursive: true });
    await writeFile(path.join(tree.cwd, ".github/CODEOWNERS"), "* @someone-by-hand\n");
    const refused = await runCliIn(tree.cwd, ["codeowners"]);
    expect(refused.code).toBe(64);
    expect(refused.out).toContain(".github/CODEOWNERS exists and is not a CODEOWNERS file gatehouse wrote");
    expect(await readFile(path.join(tree.cwd, ".github/CODEOWNERS"), "utf8")).toBe("* @someone-by-hand\n");
    const other = await runCliIn(tree.cwd, ["codeowners", "--out", "access/users/people.yaml"]);
    expect(other.code).toBe(64);
  });
});

describe("an empty option value", () => {
  it("is a usage error, not the current folder or the default", async () => {
    const tree = await applied();
    for (const argv of [
      ["plan", "--dir", ""],
      ["plan", "--out", ""],
      ["validate", "--dir="],
    ]) {
      const result = await runCliIn(tree.cwd, argv);
      expect(result.code).toBe(64);
      expect(result.out).toMatch(/--(dir|out) needs a value, not an empty string/);
    }
  });
});
