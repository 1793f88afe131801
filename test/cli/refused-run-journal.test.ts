/**
 * A run the guard rails refuse is recorded in the journal even when nothing of its plan passes them (no
 * grant ending, no leaver): an apply-start with its refusals (`refused`) and an apply-end with nothing
 * applied, so the journal shows that the control stopped a run, when, and whose run it was, beside the
 * override that let the plan through later. Found in an auditor's trial: of three refusals, only the one
 * that offboarded a leaver was in the journal.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { captureIo } from "../helpers/cli-io.ts";
import { main } from "../../src/cli/main.ts";
import type { JournalEntry } from "../../src/audit/journal-entry.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const ADMINS = "groups:\n  - name: admins\n    owners: [ann]\n    members: [ann, bob]\n";

/** Runs the CLI at `when` as the CI actor `actor`. */
async function runAs(tree: AccessTree, actor: string, when: string, argv: readonly string[]) {
  const { io, out, err } = captureIo(tree.cwd, { GATEHOUSE_QUIET: "1", GITHUB_ACTOR: actor });
  const code = await main(argv, { ...io, now: () => new Date(when) });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

async function journal(tree: AccessTree): Promise<JournalEntry[]> {
  return (await readFile(path.join(tree.cwd, ".gatehouse/journal.jsonl"), "utf8"))
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as JournalEntry);
}

async function adminsHeld(tree: AccessTree): Promise<string[]> {
  const state = JSON.parse(await readFile(path.join(tree.cwd, ".gatehouse/app.json"), "utf8")) as {
    groups: { name: string; members: string[] }[];
  };
  return state.groups.find((g) => g.name === "admins")?.members ?? [];
}

describe("a run the guard rails refuse whole", () => {
  it("is recorded in the journal with its refusals and actor, nothing applied", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml":
        "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n" +
        "policy:\n  guardrails: { maxRemovals: 5, protectedGroups: [admins] }\n",
      "users/people.yaml": "users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob }\n",
      "groups/groups.yaml": ADMINS,
    });
    trees.push(tree);
    expect((await runAs(tree, "ci", "2026-03-01T09:00:00Z", ["apply", "--yes"])).code).toBe(0);
    const before = (await journal(tree)).length;

    await writeFile(path.join(tree.dir, "groups/groups.yaml"), ADMINS.replace("ann, bob", "ann"));
    const refused = await runAs(tree, "ci", "2026-03-02T09:00:00Z", ["apply", "--yes"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("narrows protected group admins");
    expect(refused.stderr).toContain("nothing of it is applied; the run is recorded in the journal");
    expect(await adminsHeld(tree)).toEqual(["ann", "bob"]);

    const added = (await journal(tree)).slice(before);
    expect(added.map((e) => e.type)).toEqual(["apply-start", "apply-end"]);
    expect(added[0]).toMatchObject({
      type: "apply-start",
      at: "2026-03-02T09:00:00.000Z",
      actor: "github:ci",
      changes: 0,
      refused: [expect.stringContaining("narrows protected group admins") as unknown],
    });
    expect(added[1]).toMatchObject({ type: "apply-end", applied: 0, failed: 0 });
    expect((await runAs(tree, "auditor", "2026-03-03T00:00:00Z", ["journal", "verify"])).code).toBe(0);

    // The journal's answers show it as they show a refusal of a run that made its grant endings: journal
    // changes among the changes, journal access as standing for the group, journal run as the run.
    const seq = added[0]?.seq ?? 0;
    const changes = await runAs(tree, "auditor", "2026-03-02T10:00:00Z", [
      "journal",
      "changes",
      "--group",
      "admins",
    ]);
    expect(changes.code).toBe(0);
    expect(changes.stdout).toContain(
      `2026-03-02T09:00:00.000Z  app  REFUSED by the guard rails, not applied: app:membership/admins/bob: membership remove narrows protected group admins; re-run with --force if intended  (journal #${String(seq)}, run #${String(seq)}`,
    );
    expect(changes.stdout).toContain(
      "github:ci; it made none of its changes, the rest of its plan waits for an apply with the override)",
    );
    expect(changes.stdout).not.toContain("grant ends");
    const json = JSON.parse(
      (await runAs(tree, "auditor", "2026-03-02T10:00:00Z", ["journal", "changes", "--format", "json"]))
        .stdout,
    ) as { refusals: unknown[] };
    expect(json.refusals).toMatchObject([
      { seq, made: 0, grantEndsRecorded: 0, group: "admins", account: "bob", actor: "github:ci" },
    ]);
    const access = await runAs(tree, "auditor", "2026-03-02T10:00:00Z", [
      "journal",
      "access",
      "admins",
      "--at",
      "2026-03-02T10:00:00Z",
    ]);
    expect(access.stdout).toContain(
      `  ! app:membership/admins/bob: membership remove narrows protected group admins; re-run with --force if intended  (the run at 2026-03-02T09:00:00.000Z, journal #${String(seq)}`,
    );
    expect(access.stdout).toContain("github:ci; it made none of its changes)\n");
    const run = await runAs(tree, "auditor", "2026-03-02T10:00:00Z", ["journal", "run", String(seq)]);
    expect(run.stdout).toContain(
      "  REFUSED by the guard rails: the run made nothing of its plan, which waits on:\n    - app:membership/admins/bob: membership remove narrows protected group admins",
    );

    // Someone overrides it; the journal has both runs, each with its actor.
    const forced = await runAs(tree, "rachel", "2026-03-02T11:00:00Z", ["apply", "--yes", "--force"]);
    expect(forced.code).toBe(0);
    expect(await adminsHeld(tree)).toEqual(["ann"]);
    const starts = (await journal(tree)).flatMap((e) => (e.type === "apply-start" ? [e] : []));
    expect(starts.slice(-2).map((s) => [s.actor, s.refused?.length, s.overrides?.force])).toEqual([
      ["github:ci", 1, undefined],
      ["github:rachel", undefined, true],
    ]);
  });
});
