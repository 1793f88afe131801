/**
 * Ways a reused plan could differ from what `gatehouse plan --fresh` computes at the same moment, found in
 * a review of the plan memo (each failed on its first version): the locale's order of warnings, a journal
 * cut back to the memo's state, and an edit before the journal's last 64 KiB with the fold cache gone.
 */
import { spawnSync } from "node:child_process";
import { readFile, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { comparable, shown } from "../helpers/plan-memo.ts";
import { closeProviders, preparePlan, type EngineOptions } from "../../src/engine/prepare-plan.ts";
import { appendJournalEntries, type NewJournalEntry } from "../../src/audit/journal.ts";
import type { Plan } from "../../src/plan/types.ts";
import {
  configYaml,
  forgetJournalReads,
  NOW,
  writeAccessTree,
  type AccessTree,
} from "../helpers/access-tree.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const SETTLE_MS = 2_100;
const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

async function freshPlan(options: EngineOptions): Promise<Plan> {
  const prepared = await preparePlan(options);
  await closeProviders(prepared.providers);
  return prepared.plan;
}

const USERS = `users:
  - { id: alice, name: Alice, email: alice@example.com, department: eng }
`;
const GROUPS = `groups:
  - name: team-a-write
    owners: [alice]
    members: [alice]
`;

/** A directory file (the local provider's format) in which mallory, unknown to the files, is in team-a-write. */
const DIRECTORY = JSON.stringify({
  formatVersion: 1,
  users: [
    {
      account: "alice",
      enabled: true,
      sessions: [],
      tokens: [],
      name: "Alice",
      email: "alice@example.com",
      department: "eng",
      employmentType: "employee",
    },
    { account: "mallory", enabled: true, sessions: [], tokens: [] },
  ],
  groups: [{ name: "team-a-write", members: ["alice", "mallory"], groupMembers: [] }],
});

function applyStart(i: number): NewJournalEntry {
  return {
    type: "apply-start",
    at: NOW.toISOString(),
    actor: `padding-${String(i).padStart(4, "0")}`,
    planDigest: "0".repeat(64),
    desiredDigest: "0".repeat(64),
    providers: ["directory"],
    changes: 0,
  };
}

async function setUp(): Promise<{ tree: AccessTree; options: EngineOptions; journal: string }> {
  const tree = await writeAccessTree({
    "gatehouse.yaml": configYaml(), // one local provider, mode additive
    "users/people.yaml": USERS,
    "groups/teams.yaml": GROUPS,
  });
  trees.push(tree);
  await writeFile(path.join(tree.cwd, ".gatehouse/directory.json"), DIRECTORY).catch(async () => {
    await (await import("node:fs/promises")).mkdir(path.join(tree.cwd, ".gatehouse"), { recursive: true });
    await writeFile(path.join(tree.cwd, ".gatehouse/directory.json"), DIRECTORY);
  });
  const options: EngineOptions = { cwd: tree.cwd, dir: "access", now: NOW, env: {} };
  return { tree, options, journal: path.join(tree.cwd, ".gatehouse/journal.jsonl") };
}

describe("plan memo: what a review found", () => {
  it("H1: warnings come out in the order of the locale of the run that computed the plan, not of this run", () => {
    // sortDiagnostics (src/model/diagnostic.ts:26) uses localeCompare, which follows LANG/LC_ALL;
    // the locale is not in the memo key.
    const tree = spawnSync("mktemp", ["-d"], { encoding: "utf8" }).stdout.trim();
    const run = (lang: string, ...args: string[]): { stderr: string; stdout: string } => {
      const r = spawnSync(process.execPath, [CLI, "plan", ...args], {
        cwd: tree,
        encoding: "utf8",
        env: { PATH: process.env["PATH"], LANG: lang, LC_ALL: lang, GATEHOUSE_QUIET: "1" },
      });
      expect(r.status, r.stderr).toBe(0);
      return { stderr: r.stderr, stdout: r.stdout };
    };
    try {
      spawnSync("mkdir", ["-p", `${tree}/access/users`, `${tree}/access/groups`, `${tree}/access/roles`]);
      spawnSync(
        "sh",
        [
          "-c",
          `printf '%s' "$1" > access/gatehouse.yaml; printf '%s' "$2" > access/users/people.yaml; printf '%s' "$3" > access/groups/teams.yaml;` +
            ` printf 'roles:\\n  - name: ghost-aa\\n    when: { department: [nosuch] }\\n    groups: [team-a-write]\\n' > access/roles/aa.yaml;` +
            ` printf 'roles:\\n  - name: ghost-b\\n    when: { department: [nosuch] }\\n    groups: [team-a-write]\\n' > access/roles/b.yaml`,
          "sh",
          configYaml(),
          USERS,
          GROUPS,
        ],
        { cwd: tree },
      );
      run("da_DK.UTF-8"); // computes the plan, and the memo
      const reused = run("C.UTF-8");
      const fresh = run("C.UTF-8", "--fresh");
      const calls = (text: string): string => text.replace(/\d+ read call\(s\)/g, "N read call(s)");
      expect(calls(reused.stdout)).toBe(calls(fresh.stdout));
      expect(fresh.stderr).toMatch(/ghost-aa[\s\S]*ghost-b/);
      expect(reused.stderr).toBe(fresh.stderr); // in code-unit order both times: ghost-aa, then ghost-b
    } finally {
      spawnSync("rm", ["-rf", tree]);
    }
  });

  it("H2: a journal cut back to the state of the memo is not refused, as a fresh plan refuses it", async () => {
    const { options, journal } = await setUp();
    await appendJournalEntries(journal, [applyStart(0)]);
    const saved = await readFile(journal);
    await sleep(SETTLE_MS);
    expect((await shown(options)).reusedFrom).toBeUndefined(); // memo for this journal; fold cache anchored here
    expect((await shown(options)).reusedFrom).toBeDefined();

    // An apply records itself (nothing to change); a plan that keeps no memo (here: file times not
    // trusted; equally a plan that failed validation, or ran right after an apply) folds it.
    await appendJournalEntries(journal, [applyStart(1)]);
    await shown({ ...options, env: { GATEHOUSE_TRUST_FILE_TIMES: "0" } });

    // The journal is cut back to what it was: exactly what the fold cache's anchor exists to catch.
    await truncate(journal, saved.length);
    await expect(preparePlan(options)).rejects.toThrow(/no longer holds entry seq \d+ \(the last of the/);
    // The memo of the cut journal's state must not be shown: the fold cache's anchor is in its key.
    const outcome = await shown(options).then(
      (r) => `a plan, reused from ${r.reusedFrom ?? "(computed)"}`,
      (e: unknown) => String(e),
    );
    expect(outcome).toMatch(/no longer holds entry seq \d+ \(the last of the/);
  });

  it("H3: an edit of the journal before its last 64 KiB is not seen once the fold cache is gone", async () => {
    const { tree, options, journal } = await setUp();
    // gatehouse granted mallory's membership (an intent, then runs): in additive mode its removal from
    // the files is "removed-from-config"; without that record it would be kept (a note).
    await appendJournalEntries(journal, [
      applyStart(0),
      {
        type: "intent",
        at: NOW.toISOString(),
        runSeq: 1,
        provider: "directory",
        changeIds: ["directory:membership/team-a-write/mallory"],
      },
      ...Array.from({ length: 250 }, (_, i) => applyStart(i + 1)),
    ]);
    await sleep(SETTLE_MS);
    const first = await shown(options);
    expect(first.plan.changes.map((c) => c.id)).toEqual(["directory:membership/team-a-write/mallory"]);

    // The second entry is rewritten in place, same length (a chain `journal verify` would reject, but a
    // plan does not verify it), and the fold cache is deleted (as anchorLost's message tells one to).
    const text = await readFile(journal, "utf8");
    const edited = text.replace("team-a-write/mallory", "team-a-write/mallorz");
    expect(edited.length).toBe(text.length);
    await writeFile(journal, edited);
    await forgetJournalReads(tree);
    await sleep(SETTLE_MS);

    const fresh = await freshPlan(options);
    expect(fresh.changes).toEqual([]); // mallory is kept now: nothing says gatehouse granted it
    const again = await shown(options);
    // Not the memo (journal size and last 64 KiB unchanged): the fold cache is in its key.
    expect(comparable(again.plan)).toEqual(comparable(fresh));
  });
});
