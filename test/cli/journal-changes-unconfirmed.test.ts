/**
 * `journal changes` lists what a run killed mid-apply announced and never recorded an outcome for (its
 * interrupted apply-end's `unconfirmed`): the system may well have made it. Found in an auditor's trial:
 * a run killed between its LDAP writes and their entries left two memberships in the directory that
 * `journal changes` did not name at all, while `journal verify` and `journal access` did.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { forgetJournalReads, writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const cliAt = (tree: AccessTree, when: string, argv: readonly string[]) =>
  runCliIn(tree.cwd, argv, new Date(when));
const team = (members: string): string =>
  `groups:\n  - name: ops\n    owners: [ann]\n    members: [${members}]\n`;

/**
 * The journal as the last run leaves it when killed right after announcing its writes to `group` (or,
 * `what` given, the last announcement naming it).
 */
async function killAfterLastIntent(
  tree: AccessTree,
  group: string,
  what = `:membership/${group}/`,
): Promise<void> {
  const file = path.join(tree.cwd, ".gatehouse/journal.jsonl");
  const lines = (await readFile(file, "utf8")).trimEnd().split("\n");
  const cut = lines.findLastIndex((l) => l.includes('"type":"intent"') && l.includes(what));
  expect(cut).toBeGreaterThan(0);
  await writeFile(file, lines.slice(0, cut + 1).join("\n") + "\n");
  await forgetJournalReads(tree);
}

describe("journal changes after a run killed mid-apply", () => {
  it("lists the changes the run announced with no outcome, as unconfirmed", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml":
        "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n",
      "users/people.yaml":
        "users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob }\n  - { id: cy, name: Cy }\n",
      "groups/teams.yaml": team("ann, cy"),
    });
    trees.push(tree);
    expect((await cliAt(tree, "2026-03-01T09:00:00Z", ["apply", "--yes"])).code).toBe(0);
    // bob in, cy out: the run makes both, then dies before their entries (the journal cut after its intent).
    await writeFile(path.join(tree.dir, "groups/teams.yaml"), team("ann, bob"));
    expect(
      (await cliAt(tree, "2026-03-02T09:00:00Z", ["apply", "--yes", "--allow-removals", "1"])).code,
    ).toBe(0);
    await killAfterLastIntent(tree, "ops");
    // The next run finds both made: nothing to change; it records the dead run's end.
    const next = await cliAt(tree, "2026-03-02T10:00:00Z", ["apply", "--yes"]);
    expect(next.stderr).toContain("never finished");

    const changes = await cliAt(tree, "2026-03-03T00:00:00Z", [
      "journal",
      "changes",
      "--since",
      "2026-03-02",
    ]);
    expect(changes.code).toBe(0);
    expect(changes.stdout).toMatch(
      /^2026-03-02T09:00:00\.000Z {2}app {2}\? \+ add bob to ops {2}UNCONFIRMED: the run was killed before it recorded the outcome; it may or may not have been made {2}\(journal #\d+, run #\d+, /m,
    );
    expect(changes.stdout).toMatch(/\? - remove cy from ops {2}UNCONFIRMED/);
    expect(changes.stdout).toContain("0 change(s) and 2 unconfirmed change(s) from");
    // Filtered by person, group and system like any change.
    const bob = await cliAt(tree, "2026-03-03T00:00:00Z", [
      "journal",
      "changes",
      "--user",
      "bob",
      "--format",
      "json",
    ]);
    expect(JSON.parse(bob.stdout)).toMatchObject({
      unconfirmed: [
        { provider: "app", id: "app:membership/ops/bob", action: "grants", approval: "not-recorded" },
      ],
    });
    // Only the dead run's announcement names bob: the journal named him, so no "check the name".
    expect(bob.code).toBe(0);
    expect(bob.stderr).toBe("");
    // --unapproved keeps them: the run recorded no approvals, and they may have been made.
    const unapproved = await cliAt(tree, "2026-03-03T00:00:00Z", [
      "journal",
      "changes",
      "--group",
      "ops",
      "--unapproved",
    ]);
    expect(unapproved.stdout).toMatch(/\? \+ add bob to ops {2}UNCONFIRMED/);
    expect(unapproved.stdout).toMatch(/\? - remove cy from ops {2}UNCONFIRMED/);
    const other = await cliAt(tree, "2026-03-03T00:00:00Z", [
      "journal",
      "changes",
      "--group",
      "dev",
      "--format",
      "json",
    ]);
    expect((JSON.parse(other.stdout) as { unconfirmed: unknown[] }).unconfirmed).toEqual([]);
  });

  it("answers for a person only such a run named, with no 'check the name'", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml":
        "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n",
      "users/people.yaml": "users:\n  - { id: ann, name: Ann }\n",
      "groups/teams.yaml": team("ann"),
    });
    trees.push(tree);
    expect((await cliAt(tree, "2026-03-01T09:00:00Z", ["apply", "--yes"])).code).toBe(0);
    // dee joins; the run makes her account, then dies right after announcing it.
    await writeFile(
      path.join(tree.dir, "users/people.yaml"),
      "users:\n  - { id: ann, name: Ann }\n  - { id: dee, name: Dee }\n",
    );
    expect((await cliAt(tree, "2026-03-02T09:00:00Z", ["apply", "--yes"])).code).toBe(0);
    await killAfterLastIntent(tree, "ops", "app:user/dee");
    expect((await cliAt(tree, "2026-03-02T10:00:00Z", ["apply", "--yes"])).stderr).toContain(
      "never finished",
    );

    const dee = await cliAt(tree, "2026-03-03T00:00:00Z", ["journal", "changes", "--user", "dee"]);
    expect(dee.stderr).toBe("");
    expect(dee.code).toBe(0);
    expect(dee.stdout).toMatch(/ {2}app {2}\? \+ app:user\/dee \(gives access\) {2}UNCONFIRMED/);
  });
});
