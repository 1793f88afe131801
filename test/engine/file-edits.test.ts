/**
 * The shared edit of access files (engine/file-edits.ts) on real files: the tree as it would be is
 * validated on a copy before anything is written, and the writes happen only when every file is still as
 * it was read; else no file is written.
 */
import { chmod, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.ts";
import { checkEdits, prepareFileEdit, writeEdits } from "../../src/engine/file-edits.ts";
import { editGroupMembers } from "../../src/engine/request-edit.ts";
import { openReviewText } from "../../src/engine/review-edit.ts";
import { configYaml, NOW, writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const A = "groups:\n  - name: pay-submit\n    owners: [ann]\n    members: [bob]\n";
const B = "groups:\n  - name: pay-approve\n    owners: [ann]\n    members:\n      - ann\n";

async function tree(): Promise<AccessTree> {
  const t = await writeAccessTree({
    "gatehouse.yaml": configYaml("policy:\n  separationOfDuties: [[pay-submit, pay-approve]]\n"),
    "users.yaml": "users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob }\n",
    "groups/a.yaml": A,
    "groups/b.yaml": B,
  });
  trees.push(t);
  return t;
}

const openReview = (t: AccessTree, file: string, group: string, pending: string[]) =>
  prepareFileEdit(
    t.cwd,
    file,
    (text) => openReviewText(file, text, group, "2026-06-30", pending),
    "write the review block",
  );

describe("checkEdits and writeEdits", () => {
  it("refuses edits of two files whose tree would not validate, at the real file:line:col", async () => {
    const t = await tree();
    const review = await openReview(t, "access/groups/a.yaml", "pay-submit", ["bob"]);
    const conflict = await prepareFileEdit(
      t.cwd,
      "access/groups/b.yaml",
      (text) =>
        editGroupMembers("access/groups/b.yaml", text, "pay-approve", {
          kind: "add",
          entry: { user: "bob" },
        }),
      "add the line",
    );
    const options = { cwd: t.cwd, dir: "access", now: NOW };
    const error: unknown = await checkEdits([review, conflict], options, [], "the edit").catch(
      (e: unknown) => e,
    );
    if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
    const { message, diagnostics } = error;
    expect(message).toBe("the edit would leave the access files with errors; nothing was written");
    expect(diagnostics.map((d) => `${d.file}:${String(d.line)}:${String(d.column)} ${d.code}`)).toEqual([
      "access/groups/b.yaml:6:9 GH219",
    ]);
    expect(await readFile(path.join(t.dir, "groups/a.yaml"), "utf8")).toBe(A);
    expect(await readFile(path.join(t.dir, "groups/b.yaml"), "utf8")).toBe(B);
    // Without the conflicting line the review alone validates (its warnings are returned).
    expect(await checkEdits([review], options, [], "the edit")).toEqual([]);
  });

  it("writes no file when one of them changed since it was read, or became read-only", async () => {
    const t = await tree();
    const edits = [
      await openReview(t, "access/groups/a.yaml", "pay-submit", ["bob"]),
      await openReview(t, "access/groups/b.yaml", "pay-approve", ["ann"]),
    ];
    const b = path.join(t.dir, "groups/b.yaml");
    await writeFile(b, B + "# someone else's edit\n");
    await expect(writeEdits(edits, "review open")).rejects.toThrow(
      "access/groups/b.yaml changed while review open ran; nothing was written, run it again",
    );
    expect(await readFile(path.join(t.dir, "groups/a.yaml"), "utf8")).toBe(A);
    await writeFile(b, B);
    await chmod(b, 0o444);
    await expect(writeEdits(edits, "review open")).rejects.toThrow(
      "access/groups/b.yaml: not edited (it is read-only); nothing was written",
    );
    expect(await readFile(path.join(t.dir, "groups/a.yaml"), "utf8")).toBe(A);
    await chmod(b, 0o644);
    await writeEdits(edits, "review open");
    expect(await readFile(path.join(t.dir, "groups/a.yaml"), "utf8")).toContain("review:");
    expect(await readFile(b, "utf8")).toContain("review:");
  });
  it("writes a new file only if it still does not exist, with mode 0644 as asked", async () => {
    const t = await tree();
    const target = path.join(t.dir, "users/joiners.yaml");
    const edit = { file: "access/users/joiners.yaml", target, mode: 0o644, text: "users: []\n" };
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, "users:\n  - { id: cy, name: Cy }\n");
    await expect(writeEdits([edit], "hr sync")).rejects.toThrow(
      "access/users/joiners.yaml changed while hr sync ran; nothing was written, run it again",
    );
    expect(await readFile(target, "utf8")).toBe("users:\n  - { id: cy, name: Cy }\n");
    await rm(target);
    await writeEdits([edit], "hr sync");
    expect(await readFile(target, "utf8")).toBe("users: []\n");
    expect((await stat(target)).mode & 0o777).toBe(0o644);
  });
});
