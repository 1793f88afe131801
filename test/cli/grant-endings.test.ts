/**
 * Grants end on time whatever else a plan holds: a plan the guard rails refuse (a bulk change) is not
 * applied, but for the removals that end grants as they were applied (the journal recorded the add with
 * that end). Those are neither counted nor refused for a protected group; a line edited to an end that
 * has passed is a narrowing like any other.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";
import { sealEntry, type JournalEntry, type NewJournalEntry } from "../../src/audit/journal-entry.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const MORNING = new Date("2026-12-22T07:00:00Z");
const AFTER_END = new Date("2026-12-22T14:00:05Z");

const PEOPLE = `users:\n${["ann", "bob", "cy", "dee", "eve", "fay", "gus"].map((id) => `  - { id: ${id}, name: ${id} }`).join("\n")}\n`;

const groups = (teamMembers: string, dbLine = "until: 2026-12-22T14:00:00Z"): string =>
  [
    "groups:",
    "  - name: db-admin",
    "    owners: [ann]",
    "    sensitivity: privileged",
    "    members:",
    "      - ann",
    "      - user: bob",
    `        ${dbLine}`,
    "        reason: INC-42",
    "  - name: team",
    "    owners: [ann]",
    `    members: [${teamMembers}]`,
    "",
  ].join("\n");

async function site(): Promise<AccessTree> {
  const tree = await writeAccessTree({
    "gatehouse.yaml":
      "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n" +
      "policy:\n  guardrails: { maxRemovals: 2, protectedGroups: [db-admin] }\n",
    "users/people.yaml": PEOPLE,
    "groups/groups.yaml": groups("ann, bob, cy, dee, eve, fay, gus"),
  });
  trees.push(tree);
  return tree;
}

async function membersOf(tree: AccessTree, group: string): Promise<string[]> {
  const state = JSON.parse(await readFile(path.join(tree.cwd, ".gatehouse/app.json"), "utf8")) as {
    groups: { name: string; members: string[] }[];
  };
  return state.groups.find((g) => g.name === group)?.members ?? [];
}

describe("grant endings and the guard rails", () => {
  it("applies the grants that end as applied, and refuses the rest of a plan over the limit", async () => {
    const tree = await site();
    expect((await runCliIn(tree.cwd, ["apply", "--yes"], MORNING)).code).toBe(0);
    expect(await membersOf(tree, "db-admin")).toEqual(["ann", "bob"]);
    // A reorg merged at noon takes four people out of team: over maxRemovals (2).
    await writeFile(path.join(tree.dir, "groups/groups.yaml"), groups("ann, bob, cy"));

    const plan = await runCliIn(tree.cwd, ["plan", "--format", "json"], AFTER_END);
    const planned = JSON.parse(plan.stdout) as {
      changes: { group?: string; member?: string; reason: string; endsGrant?: true }[];
      notes: { message: string }[];
    };
    expect(planned.changes.find((c) => c.group === "db-admin")).toMatchObject({
      member: "bob",
      reason: "grant-expired",
      endsGrant: true,
    });
    expect(planned.notes.map((n) => n.message)).toContainEqual(
      expect.stringContaining("apply still makes the 1 grant ending(s) here"),
    );

    const applied = await runCliIn(tree.cwd, ["apply", "--yes"], AFTER_END);
    expect(applied.code).toBe(3);
    expect(applied.stderr).toContain("only its 1 grant ending(s) are applied now");
    expect(applied.stderr).toContain("the plan removes 4 memberships or accounts in app, more than allowed");
    // bob's grant ended, in a protected group too; the reorg waits for a person.
    expect(await membersOf(tree, "db-admin")).toEqual(["ann"]);
    expect(await membersOf(tree, "team")).toEqual(["ann", "bob", "cy", "dee", "eve", "fay", "gus"]);
    const journal = await readFile(path.join(tree.cwd, ".gatehouse/journal.jsonl"), "utf8");
    expect(journal).toContain('"endsGrant":true');
    // Each run says which gatehouse made it.
    const version = (JSON.parse(await readFile("package.json", "utf8")) as { version: string }).version;
    expect(journal).toMatch(
      new RegExp(`"gatehouse":\\{"version":"${version.replaceAll(".", "\\.")}","build":"[0-9a-f]{16}"\\}`),
    );

    // With the override, the rest goes too.
    expect((await runCliIn(tree.cwd, ["apply", "--yes", "--allow-removals", "4"], AFTER_END)).code).toBe(0);
    expect(await membersOf(tree, "team")).toEqual(["ann", "bob", "cy"]);
  });

  it("takes the end of a grant journalled before changes carried `until` from its why", async () => {
    const tree = await site();
    expect((await runCliIn(tree.cwd, ["apply", "--yes"], MORNING)).code).toBe(0);
    // The journal as gatehouse wrote it before 2026-11-26: adds without `until` (re-sealed, and the
    // caches of this machine gone, as on a fresh CI runner).
    const file = path.join(tree.cwd, ".gatehouse/journal.jsonl");
    let previous: JournalEntry | undefined;
    const old = (await readFile(file, "utf8"))
      .trimEnd()
      .split("\n")
      .map((line) => {
        const entry = JSON.parse(line) as Record<string, unknown> & { change?: { until?: string } };
        for (const chain of ["seq", "prevHash", "hash"]) Reflect.deleteProperty(entry, chain);
        if (entry.change !== undefined) Reflect.deleteProperty(entry.change, "until");
        previous = sealEntry(entry as unknown as NewJournalEntry, previous);
        return JSON.stringify(previous);
      });
    expect(old.join("\n")).not.toContain('"until"');
    expect(old.join("\n")).toContain("until 2026-12-22T14:00:00Z (INC-42)");
    await writeFile(file, `${old.join("\n")}\n`);
    await rm(path.join(tree.cwd, ".gatehouse/cache"), { recursive: true, force: true });
    await writeFile(path.join(tree.dir, "groups/groups.yaml"), groups("ann, bob, cy"));

    const applied = await runCliIn(tree.cwd, ["apply", "--yes"], AFTER_END);
    expect(applied.code).toBe(3);
    expect(applied.stderr).toContain("only its 1 grant ending(s) are applied now");
    expect(await membersOf(tree, "db-admin")).toEqual(["ann"]);
  });

  it("counts and refuses an end written into the past since the grant was applied, like any removal", async () => {
    const tree = await site();
    expect((await runCliIn(tree.cwd, ["apply", "--yes"], MORNING)).code).toBe(0);
    // The grant's end brought forward to a time already past: not the end it was applied with.
    await writeFile(
      path.join(tree.dir, "groups/groups.yaml"),
      groups("ann, bob, cy, dee, eve, fay, gus", "until: 2026-12-22T06:00:00Z"),
    );
    const plan = await runCliIn(tree.cwd, ["plan", "--format", "json"], MORNING);
    const planned = JSON.parse(plan.stdout) as { changes: { reason: string; endsGrant?: true }[] };
    expect(planned.changes).toEqual([expect.objectContaining({ reason: "grant-expired" })]);
    expect(planned.changes[0]?.endsGrant).toBeUndefined();
    // The protected group refuses it, and nothing is applied.
    const applied = await runCliIn(tree.cwd, ["apply", "--yes"], MORNING);
    expect(applied.code).toBe(3);
    expect(applied.stderr).toContain("narrows protected group db-admin");
    expect(await membersOf(tree, "db-admin")).toEqual(["ann", "bob"]);
  });

  it("ends a leaver's grant on time while the guard rails hold back the rest of their offboarding", async () => {
    const tree = await site();
    expect((await runCliIn(tree.cwd, ["apply", "--yes"], MORNING)).code).toBe(0);
    // bob and cy leave: their accounts, db-admin and team are 5 removals, more than maxRemovals allows.
    await writeFile(
      path.join(tree.dir, "users/people.yaml"),
      PEOPLE.replace("{ id: bob, name: bob }", "{ id: bob, name: bob, status: terminated }").replace(
        "{ id: cy, name: cy }",
        "{ id: cy, name: cy, status: terminated }",
      ),
    );
    const refused = await runCliIn(tree.cwd, ["apply", "--yes"], new Date("2026-12-22T10:00:00Z"));
    expect(refused.code).toBe(3);
    expect(await membersOf(tree, "db-admin")).toEqual(["ann", "bob"]);
    // bob's grant's end passes while the refusal stands: the grant ends all the same, as anyone's does.
    const ended = await runCliIn(tree.cwd, ["apply", "--yes"], AFTER_END);
    expect(ended.code, ended.stderr).toBe(3);
    expect(ended.stderr).toContain("only its 1 grant ending(s) are applied now");
    expect(ended.stdout).toMatch(
      /- remove bob from db-admin {2}\(grant expired, [^\n]*grant ended 2026-12-22T14:00:00Z; also a leaver \(status: terminated\)\n/,
    );
    expect(await membersOf(tree, "db-admin")).toEqual(["ann"]);
    expect(await membersOf(tree, "team")).toEqual(["ann", "bob", "cy", "dee", "eve", "fay", "gus"]);
  });

  it("ends a grant in a nested group in the group nesting it too, where the system flattens nesting", async () => {
    const nested = (bulk: string): string =>
      [
        "groups:",
        "  - name: parent",
        "    owners: [ann]",
        "    members:",
        "      - group: child",
        "  - name: child",
        "    owners: [ann]",
        "    members:",
        "      - ann",
        "      - { user: bob, until: 2026-12-22T14:00:00Z, reason: INC-43 }",
        "  - name: team",
        "    owners: [ann]",
        `    members: [${bulk}]`,
        "",
      ].join("\n");
    const tree = await writeAccessTree({
      "gatehouse.yaml":
        "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n" +
        "policy:\n  guardrails: { maxRemovals: 1 }\n",
      "users/people.yaml": PEOPLE,
      "groups/groups.yaml": nested("ann, cy, dee, eve"),
    });
    trees.push(tree);
    const first = await runCliIn(tree.cwd, ["apply", "--yes"], MORNING);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("+ add bob to parent until 2026-12-22T14:00:00Z");
    // A bulk change the guard rails refuse waits for a human; bob's grant ends meanwhile, in both groups.
    await writeFile(path.join(tree.dir, "groups/groups.yaml"), nested(""));
    const ended = await runCliIn(tree.cwd, ["apply", "--yes"], AFTER_END);
    expect(ended.code, ended.stderr).toBe(3);
    expect(ended.stderr).toContain("only its 2 grant ending(s) are applied now");
    expect(await membersOf(tree, "child")).toEqual(["ann"]);
    expect(await membersOf(tree, "parent")).toEqual(["ann"]);
    expect(await membersOf(tree, "team")).toEqual(["ann", "cy", "dee", "eve"]);
  });
});
