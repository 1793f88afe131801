/**
 * Reading the access tree at a revision: every blob through one `git cat-file --batch`, and the files a
 * second revision shares with the first copied from it. A real git repository in a temp folder.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { simpleGit, type SimpleGit } from "simple-git";
import { ConfigError } from "../../src/errors.ts";
import { listFiles, materializeTree, readBlobs } from "../../src/pr/git-tree.ts";

let cwd: string;
let git: SimpleGit;

/** Bytes git must hand back untouched: no final newline, newlines and NULs inside, an empty file. */
const FILES: Readonly<Record<string, Buffer>> = {
  "access/users/people.yaml": Buffer.from("users:\n  - { id: carol, name: Carol }"),
  "access/groups/with space.yaml": Buffer.from("groups: []\n\n"),
  "access/groups/empty.yaml": Buffer.alloc(0),
  "access/odd.bin": Buffer.from([0x0a, 0x00, 0x62, 0x6c, 0x6f, 0x62, 0x20, 0x31, 0x0a, 0x0a]),
  "access/same-as-people.yaml": Buffer.from("users:\n  - { id: carol, name: Carol }"),
  "outside.txt": Buffer.from("not under access/\n"),
};

async function commitFiles(files: Readonly<Record<string, Buffer>>, message: string): Promise<string> {
  for (const [rel, bytes] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(cwd, rel)), { recursive: true });
    await writeFile(path.join(cwd, rel), bytes);
  }
  await git.add(["-A"]);
  await git.commit(message);
  return (await git.revparse(["HEAD"])).trim();
}

/** Every file under the tree's `access/`, relative path → bytes. */
async function contents(root: string, files: readonly string[]): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  for (const rel of files) out[rel] = await readFile(path.join(root, rel));
  return out;
}

beforeEach(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-git-tree-"));
  git = simpleGit({ baseDir: cwd });
  await git.init(["--initial-branch=main"]);
  await git.addConfig("user.email", "tree@example.com");
  await git.addConfig("user.name", "Tree");
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe("materializeTree", () => {
  it("writes each file under the folder byte for byte, and copies what another revision's tree holds", async () => {
    const base = await commitFiles(FILES, "base");
    const changed = Buffer.from("users:\n  - { id: carol, name: Carol }\n  - { id: bob, name: Bob }\n");
    const head = await commitFiles({ "access/users/people.yaml": changed }, "head");
    const inside = Object.keys(FILES).filter((f) => f.startsWith("access/"));

    const baseTree = await materializeTree(cwd, base, "access");
    const headTree = await materializeTree(cwd, head, "access", baseTree);
    try {
      const expected = Object.fromEntries(inside.map((f) => [f, FILES[f]]));
      expect(await contents(baseTree.cwd, inside)).toEqual(expected);
      expect(await contents(headTree.cwd, inside)).toEqual({
        ...expected,
        "access/users/people.yaml": changed,
      });
      await expect(readFile(path.join(baseTree.cwd, "outside.txt"))).rejects.toThrow(/ENOENT/);
      // The files the head shares with the base were copied from the base's tree, not read from git.
      const headBlobs = await listFiles(cwd, headTree.commit, "access");
      const shared = headBlobs.filter((e) => baseTree.files.has(e.blob));
      expect(shared.map((e) => e.path).sort()).toEqual(
        inside.filter((f) => f !== "access/users/people.yaml").sort(),
      );
    } finally {
      await headTree.remove();
      await baseTree.remove();
    }
  });
});

describe("readBlobs", () => {
  it("reads many blobs with one process, in any order, a blob asked twice once", async () => {
    const commit = await commitFiles(FILES, "base");
    const entries = await listFiles(cwd, commit, ".");
    const asked = [...entries].reverse().map((e) => e.blob);
    const blobs = await readBlobs(cwd, [...asked, ...asked]);
    expect(blobs.size).toBe(new Set(asked).size);
    for (const entry of entries) expect(blobs.get(entry.blob)).toEqual(FILES[entry.path]);
  });

  it("refuses a blob the repository does not have, naming it", async () => {
    await commitFiles(FILES, "base");
    const missing = "0123456789abcdef0123456789abcdef01234567";
    const error = await readBlobs(cwd, [missing]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(`git cat-file: no blob ${missing} (${missing} missing)`);
  });
});
