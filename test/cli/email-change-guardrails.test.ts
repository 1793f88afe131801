/**
 * A person's e-mail changes under `accountName: email` on a system that cannot rename accounts (the local
 * directory): their new account takes the old one's groups, the old one leaves them and is disabled. In
 * a protected group that is no narrowing (the person keeps it), so apply is not refused: through the
 * real CLI on a temp access tree and local directory file, journal from a real apply.
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

const HIRED = new Date("2026-01-01T00:00:00Z");
const NOW = new Date("2026-06-01T12:00:00Z");

const CONFIG =
  "providers:\n" +
  "  directory: { type: local, path: .gatehouse/directory.json, mode: authoritative, accountName: email }\n" +
  "policy:\n  guardrails: { maxRemovals: 1, protectedGroups: [app-prod-admin] }\n";
const USERS = (annMail: string): string =>
  "users:\n" +
  `  - { id: ann, name: Ann, email: ${annMail} }\n` +
  "  - { id: bo, name: Bo, email: bo@example.com }\n";
const GROUPS =
  "groups:\n" +
  "  - { name: app-prod-admin, owners: [bo], members: [ann, bo] }\n" +
  "  - { name: team-a, owners: [bo], members: [ann] }\n";

/** ann's and bo's accounts applied when they were hired; then ann's e-mail changes in the files. */
async function annsMailChanged(): Promise<AccessTree> {
  const tree = await writeAccessTree({
    "gatehouse.yaml": CONFIG,
    "users/people.yaml": USERS("ann@example.com"),
    "groups/teams.yaml": GROUPS,
  });
  trees.push(tree);
  expect((await runCliIn(tree.cwd, ["apply", "--yes"], HIRED)).code).toBe(0);
  await writeFile(path.join(tree.dir, "users/people.yaml"), USERS("ann.lee@example.com"));
  return tree;
}

describe("an e-mail change under accountName: email, where accounts cannot be renamed", () => {
  it("moves the person's protected group to the new account without a guard-rail refusal, and converges", async () => {
    const tree = await annsMailChanged();

    const plan = await runCliIn(tree.cwd, ["plan"], NOW);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(
      "- remove ann@example.com from app-prod-admin  (removed from config) — the former account of ann, whose account here changed: ann.lee@example.com holds app-prod-admin in its place (removed once it does)",
    );
    expect(plan.stdout).toContain("+ add ann.lee@example.com to app-prod-admin");
    // maxRemovals 1: only the old account's disable counts; the groups move with the person.
    expect(plan.stdout).not.toContain("guard rails");

    const apply = await runCliIn(tree.cwd, ["apply", "--yes"], NOW);
    expect(apply.code).toBe(0);
    const directory = JSON.parse(
      await readFile(path.join(tree.cwd, ".gatehouse/directory.json"), "utf8"),
    ) as {
      groups: { name: string; members: string[] }[];
    };
    expect(directory.groups.find((g) => g.name === "app-prod-admin")?.members.sort()).toEqual([
      "ann.lee@example.com",
      "bo@example.com",
    ]);
    const again = await runCliIn(tree.cwd, ["plan"], NOW);
    expect(again.stdout).toContain("No changes.");
  });
});

describe("import after an e-mail change under accountName: email", () => {
  it("does not offer the person's former account, which the journal knows as theirs, as someone new", async () => {
    const tree = await annsMailChanged();
    expect((await runCliIn(tree.cwd, ["apply", "--yes"], NOW)).code).toBe(0);
    // The old account is disabled and still there: a later import reads it.
    const run = await runCliIn(tree.cwd, ["import", "--provider", "directory"], NOW);
    expect(run.code, run.out).toBe(0);
    expect(run.stderr).toContain(
      "warning: the live account ann@example.com is ann's former account (the journal saw gatehouse manage it for them): not imported; the plan says what becomes of it",
    );
    const imported = await readFile(path.join(tree.dir, "imported/directory.yaml"), "utf8").catch(() => "");
    expect(imported).not.toContain("ann@example.com");
    expect((await runCliIn(tree.cwd, ["validate"], NOW)).code).toBe(0);
  });
});
