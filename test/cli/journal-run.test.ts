/**
 * `journal run SEQ`: one apply run as the journal records it, what `journal changes` refers to by "run #N":
 * who ran it, which commit, how each commit got onto the branch (pull request, approvals the gate counted),
 * the guard-rail overrides and refusals, what it recorded and how it ended.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { appendJournalEntries, type NewJournalEntry } from "../../src/audit/journal.ts";
import { configYaml, writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const dirs: string[] = [];
const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const PR_COMMIT = "1111111111111111111111111111111111111111";
const PUSHED = "2222222222222222222222222222222222222222";

async function journal(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-run-"));
  dirs.push(dir);
  const file = join(dir, "journal.jsonl");
  const entries: NewJournalEntry[] = [
    {
      type: "apply-start",
      at: "2026-03-02T08:00:00.000Z",
      actor: "github:ops-bot",
      commit: PUSHED,
      planDigest: "p",
      desiredDigest: "d",
      providers: ["app", "ldap"],
      modes: { app: "authoritative", ldap: "additive" },
      changes: 3,
      overrides: { allowRemovals: 2, accepted: ["the plan removes 2 memberships in app, more than allowed"] },
      approvals: {
        repo: "acme/access",
        commits: [
          { commit: PUSHED },
          {
            commit: PR_COMMIT,
            pull: {
              number: 8,
              url: "https://github.com/acme/access/pull/8",
              author: "dana",
              headSha: "3333333333333333333333333333333333333333",
              mergedAt: "2026-03-01T17:00:00Z",
            },
            approvals: [{ login: "erin", id: 5, commit: "3333333333333333333333333333333333333333" }],
            gate: { isOk: true, requirements: [{ subject: "ops", required: 1, approvedBy: ["erin"] }] },
          },
        ],
      },
    },
    {
      type: "change",
      at: "2026-03-02T08:00:01.000Z",
      runSeq: 1,
      provider: "app",
      changeId: "app:membership/ops/bob",
      change: {
        kind: "membership",
        action: "add",
        provider: "app",
        id: "app:membership/ops/bob",
        group: "ops",
        member: "bob",
        memberKind: "user",
        reason: "added-in-config",
        risk: "broadens",
      },
      outcome: "applied",
    },
    {
      type: "apply-end",
      at: "2026-03-02T08:00:04.000Z",
      runSeq: 1,
      applied: 1,
      failed: 0,
      durationMs: 4000,
      calls: { app: { reads: 1, writes: 1 }, ldap: { reads: 2, writes: 0 } },
    },
    // Run 4 died: no apply-end of its own.
    {
      type: "apply-start",
      at: "2026-03-02T09:00:00.000Z",
      actor: "ann@example.com",
      planDigest: "p",
      desiredDigest: "d",
      providers: ["app"],
      changes: 1,
      refused: ["removing carol from admins, a protected group, needs --force"],
    },
    {
      type: "apply-start",
      at: "2026-03-02T10:00:00.000Z",
      actor: "ann@example.com",
      planDigest: "p",
      desiredDigest: "d",
      providers: ["app"],
      changes: 0,
    },
  ];
  await appendJournalEntries(file, entries);
  return file;
}

describe("journal run", () => {
  it("shows who ran it, how each commit got in, the overrides, what it recorded and how it ended", async () => {
    const file = await journal();
    const cwd = join(file, "..");
    const run = await runCliIn(cwd, ["journal", "run", "1", "--journal", file]);
    expect(run.code, run.out).toBe(0);
    expect(run.stdout).toContain("Run #1: started 2026-03-02T08:00:00.000Z by github:ops-bot");
    expect(run.stdout).toContain(`  access files: commit ${PUSHED}`);
    expect(run.stdout).toContain(
      "  systems: app (authoritative), ldap (additive); the plan held 3 change(s)",
    );
    expect(run.stdout).toContain("  overrode the guard rails: --allow-removals 2, accepting 1 refusal(s):");
    expect(run.stdout).toContain(`    commit ${PUSHED.slice(0, 12)} without a pull request\n`);
    expect(run.stdout).toContain(
      `    #8 approved by erin (commit ${PR_COMMIT.slice(0, 12)}; pull request by dana, merged 2026-03-01T17:00:00Z)`,
    );
    expect(run.stdout).toContain("  recorded: 1 change(s) (1 applied, 0 failed, 0 skipped)");
    expect(run.stdout).toContain(
      "  ended 2026-03-02T08:00:04.000Z after 4.0 s: 1 applied, 0 failed; calls: app 1 read(s), 1 write(s); ldap 2 read(s), 0 write(s)",
    );

    const died = await runCliIn(cwd, ["journal", "run", "#4", "--journal", file]);
    expect(died.code, died.out).toBe(0);
    expect(died.stdout).toContain("  approvals: not recorded");
    expect(died.stdout).toContain("  REFUSED by the guard rails");
    expect(died.stdout).toContain("    - removing carol from admins, a protected group, needs --force");
    expect(died.stdout).toContain("  no apply-end: the run was killed or crashed (run #5 started after it)");

    const json = await runCliIn(cwd, ["journal", "run", "1", "--journal", file, "--format", "json"]);
    const data = JSON.parse(json.stdout) as {
      seq: number;
      start: { actor: string };
      end: { applied: number };
    };
    expect([data.seq, data.start.actor, data.end.applied]).toEqual([1, "github:ops-bot", 1]);
  });

  it("says so for a seq that started no run, and refuses what is no run number", async () => {
    const file = await journal();
    const cwd = join(file, "..");
    const change = await runCliIn(cwd, ["journal", "run", "2", "--journal", file]);
    expect(change.code).toBe(1);
    expect(change.stderr).toContain("no run started at seq 2 (no apply-start there)");
    const bad = await runCliIn(cwd, ["journal", "run", "first", "--journal", file]);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain("journal run takes one run number");
  });

  it("answers for a run a real apply made, which recorded no approvals", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": "users:\n  - { id: ann, name: Ann }\n",
      "groups/teams.yaml": "groups:\n  - name: ops\n    owners: [ann]\n    members: [ann]\n",
    });
    trees.push(tree);
    expect((await runCliIn(tree.cwd, ["apply", "--yes"])).code).toBe(0);
    const run = await runCliIn(tree.cwd, ["journal", "run", "1"]);
    expect(run.code, run.out).toBe(0);
    expect(run.stdout).toMatch(/^ {2}ended \S+ after \d+\.\d s: \d+ applied, 0 failed/m);
    expect(run.stdout).toContain("  approvals: not recorded");
  });
});
