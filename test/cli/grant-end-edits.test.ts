/**
 * A grant's end edited after gatehouse added it, with nothing to apply (made lasting, extended): apply
 * records the end the files approve now (Plan.grantEnds → the apply-start's grantEnds), so the guard
 * rails judge a later removal against it. A line made lasting and later given a past end is a removal
 * like any other, not "the grant ending as approved" (safetyreview MEDIUM-2); an extended grant still ends
 * unrefused at its new end.
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

const groups = (bobLine: string) =>
  `groups:\n  - name: db-admin\n    owners: [ann]\n    members:\n      - ann\n      - user: bob\n${bobLine}`;
const until = (at: string) => `        until: ${at}\n        reason: INC-42\n`;

async function site(files: Record<string, string> = {}): Promise<AccessTree> {
  const tree = await writeAccessTree({
    "gatehouse.yaml":
      "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n" +
      "policy:\n  guardrails: { protectedGroups: [db-admin] }\n",
    "users/people.yaml": "users:\n  - { id: ann, name: ann }\n  - { id: bob, name: bob }\n",
    "groups/groups.yaml": groups(until("2026-12-22T14:00:00Z")),
    ...files,
  });
  trees.push(tree);
  return tree;
}

const edit = (tree: AccessTree, bobLine: string) =>
  writeFile(path.join(tree.dir, "groups/groups.yaml"), groups(bobLine));
const apply = (tree: AccessTree, at: string) => runCliIn(tree.cwd, ["apply", "--yes"], new Date(at));

async function dbAdmin(tree: AccessTree): Promise<string[] | undefined> {
  const state = JSON.parse(await readFile(path.join(tree.cwd, ".gatehouse/app.json"), "utf8")) as {
    groups: { name: string; members: string[] }[];
  };
  return state.groups.find((g) => g.name === "db-admin")?.members;
}

async function lastStart(tree: AccessTree): Promise<Record<string, unknown> | undefined> {
  const lines = (await readFile(path.join(tree.cwd, ".gatehouse/journal.jsonl"), "utf8")).trim().split("\n");
  return lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => e["type"] === "apply-start")
    .at(-1);
}

describe("a grant's end edited with nothing to apply", () => {
  it("made lasting, then given a past end by a later edit: refused in a protected group", async () => {
    const tree = await site();
    expect((await apply(tree, "2026-12-22T07:00:00Z")).code).toBe(0);
    // Approved: bob keeps db-admin for good (no change to apply: he is a member already).
    await edit(tree, "");
    const lasting = await apply(tree, "2026-12-22T08:00:00Z");
    expect(lasting.code, lasting.stderr).toBe(0);
    expect((await lastStart(tree))?.["grantEnds"]).toEqual([
      { id: "app:membership/db-admin/bob", until: null },
    ]);
    // Months later an edit gives his line an end that has passed: not an end any grant was applied with.
    await edit(tree, until("2027-03-01T00:00:00Z"));
    const applied = await apply(tree, "2027-03-02T00:00:00Z");
    expect(applied.code).toBe(3);
    expect(applied.stderr).toContain("narrows protected group db-admin");
    expect(await dbAdmin(tree)).toEqual(["ann", "bob"]);
  });

  it("extended: ends unrefused at its new end, and the run that saw the extension recorded it", async () => {
    const tree = await site();
    expect((await apply(tree, "2026-12-22T07:00:00Z")).code).toBe(0);
    await edit(tree, until("2026-12-23T14:00:00Z"));
    expect((await apply(tree, "2026-12-22T08:00:00Z")).code).toBe(0);
    expect((await lastStart(tree))?.["grantEnds"]).toEqual([
      { id: "app:membership/db-admin/bob", until: "2026-12-23T14:00:00Z" },
    ]);
    // The next run records nothing again: the journal has the end the files give.
    expect((await apply(tree, "2026-12-22T09:00:00Z")).code).toBe(0);
    expect(await lastStart(tree)).not.toHaveProperty("grantEnds");
    // Still a member on the first day's end, out at the new one, though db-admin is protected.
    expect((await apply(tree, "2026-12-22T15:00:00Z")).code).toBe(0);
    expect(await dbAdmin(tree)).toEqual(["ann", "bob"]);
    const ended = await apply(tree, "2026-12-23T15:00:00Z");
    expect(ended.code, ended.stderr).toBe(0);
    expect(await dbAdmin(tree)).toEqual(["ann"]);
  });

  it("shortened while the guard rails refuse the rest of the plan: the refused run records the new end, which the grant ends at", async () => {
    // A bulk change elsewhere (ann and bob out of the wiki, more than maxRemovals allows) waits for a human.
    const wiki = (members: string) =>
      `groups:\n  - name: wiki\n    owners: [ann]\n    members: [${members}]\n`;
    const tree = await site({
      "gatehouse.yaml":
        "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n" +
        "policy:\n  guardrails: { protectedGroups: [db-admin], maxRemovals: 1 }\n",
      "groups/wiki.yaml": wiki("ann, bob"),
    });
    expect((await apply(tree, "2026-12-22T07:00:00Z")).code).toBe(0);
    await writeFile(path.join(tree.dir, "groups/wiki.yaml"), wiki(""));
    // The incident is over early: bob's grant is shortened to 10:00, a narrowing with nothing to apply yet.
    await edit(tree, until("2026-12-22T10:00:00Z"));
    const refused = await apply(tree, "2026-12-22T08:00:00Z");
    expect(refused.code).toBe(3);
    expect(await dbAdmin(tree)).toEqual(["ann", "bob"]);
    expect((await lastStart(tree))?.["grantEnds"]).toEqual([
      { id: "app:membership/db-admin/bob", until: "2026-12-22T10:00:00Z" },
    ]);
    // At the shortened end the grant ends as approved: neither refused in the protected group nor held
    // back by the wiki's bulk change, which is still refused.
    const ended = await apply(tree, "2026-12-22T10:00:30Z");
    expect(ended.code, ended.stderr).toBe(3);
    expect(ended.stderr).toContain("only its 1 grant ending(s) are applied now");
    expect(await dbAdmin(tree)).toEqual(["ann"]);
  });
});
