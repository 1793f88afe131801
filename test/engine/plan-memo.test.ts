import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { comparable, shown } from "../helpers/plan-memo.ts";
import { closeProviders, preparePlan, type EngineOptions } from "../../src/engine/prepare-plan.ts";
import { appendJournalEntries } from "../../src/audit/journal.ts";
import type { Plan } from "../../src/plan/types.ts";
import { configYaml, NOW, writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const HOUR = 3_600_000;
const later = (ms: number): Date => new Date(NOW.getTime() + ms);
/** Long enough for a file written now to count as settled (the digest cache's racy margin is 2 s). */
const SETTLE_MS = 2_100;

const USERS = `users:
  - { id: alice, name: Alice, email: alice@example.com }
  - { id: bob, name: Bob, email: bob@example.com }
  - { id: carol, name: Carol, email: carol@example.com, endDate: "2026-06-10" }
`;
const GROUPS = `groups:
  - name: team-a-write
    owners: [alice]
    members:
      - alice
      - carol
      - user: bob
        until: "${later(3 * HOUR).toISOString()}"
        reason: INC-1
`;

async function setUp(): Promise<{ tree: AccessTree; options: EngineOptions; log: string[] }> {
  const tree = await writeAccessTree({
    "gatehouse.yaml": configYaml(),
    "users/people.yaml": USERS,
    "groups/teams.yaml": GROUPS,
  });
  trees.push(tree);
  const log: string[] = [];
  return { tree, options: { cwd: tree.cwd, dir: "access", now: NOW, env: {}, log: (l) => log.push(l) }, log };
}

function changeIds(plan: Plan): string[] {
  return plan.changes.map((c) => `${c.action} ${c.id}`).sort();
}

describe("plan memo", () => {
  it("shows the last plan again while the files, the journal, the live state and its time window hold", async () => {
    const { tree, options, log } = await setUp();
    const first = await shown(options);
    expect(first.reusedFrom).toBeUndefined();
    expect(changeIds(first.plan)).toContain("add directory:membership/team-a-write/bob");
    const memos = (await readdir(path.join(tree.cwd, ".gatehouse/cache"))).filter((n) =>
      n.startsWith("plan-"),
    );
    expect(memos).toHaveLength(1);

    // An hour later nothing has changed: the same plan, for the new instant, with no read call.
    const again = await shown({ ...options, now: later(HOUR) });
    expect(again.reusedFrom).toBe(NOW.toISOString());
    expect(again.plan.createdAt).toBe(later(HOUR).toISOString());
    expect(again.plan.providers[0]?.readCalls).toBe(0);
    expect(comparable(again.plan)).toEqual(comparable(first.plan));
    expect(log.some((l) => l.includes("as they were for the plan computed at"))).toBe(true);

    // --fresh computes it anew.
    expect((await shown({ ...options, now: later(HOUR), fresh: true })).reusedFrom).toBeUndefined();

    // Bob's grant ends three hours on: from that instant the plan is another one.
    expect((await shown({ ...options, now: later(3 * HOUR - 1) })).reusedFrom).toBe(
      later(HOUR).toISOString(),
    );
    const expired = await shown({ ...options, now: later(3 * HOUR) });
    expect(expired.reusedFrom).toBeUndefined();
    expect(changeIds(expired.plan)).not.toContain("add directory:membership/team-a-write/bob");
    // The next rule to change its answer is Carol's end date, days away; a memo is used for a day at most.
    expect((await shown({ ...options, now: later(3 * HOUR + 23 * HOUR) })).reusedFrom).toBe(
      later(3 * HOUR).toISOString(),
    );
    expect((await shown({ ...options, now: later(3 * HOUR + 25 * HOUR) })).reusedFrom).toBeUndefined();
    // A clock set back before the plan a memo holds does not use it either.
    expect((await shown({ ...options, now: later(-HOUR) })).reusedFrom).toBeUndefined();
  });

  it("computes the plan anew when an access file or the journal changes", async () => {
    const { tree, options } = await setUp();
    await shown(options);
    expect((await shown(options)).reusedFrom).toBeDefined();

    await writeFile(path.join(tree.dir, "users/people.yaml"), USERS.replace("name: Bob", "name: Robert"));
    const edited = await shown(options);
    expect(edited.reusedFrom).toBeUndefined();
    expect(JSON.stringify(edited.plan)).toContain("Robert");
    expect((await shown(options)).reusedFrom).toBeDefined();

    await appendJournalEntries(path.join(tree.cwd, ".gatehouse/journal.jsonl"), [
      {
        type: "apply-start",
        at: NOW.toISOString(),
        actor: "test",
        planDigest: "0".repeat(64),
        desiredDigest: "0".repeat(64),
        providers: ["directory"],
        changes: 0,
      },
    ]);
    expect((await shown(options)).reusedFrom).toBeUndefined();
    expect((await shown(options)).reusedFrom).toBeDefined();
  });

  it("is not used when its file is damaged or cut short after its key, and is then written again", async () => {
    const { tree, options } = await setUp();
    const first = await shown(options);
    const dir = path.join(tree.cwd, ".gatehouse/cache");
    const [name] = (await readdir(dir)).filter((n) => n.startsWith("plan-"));
    if (name === undefined) throw new Error("no memo written");
    const file = path.join(dir, name);
    const bytes = await readFile(file);
    // The key is in plain text at the start: the record after it is what a memo with that key holds.
    const headerEnd = bytes.indexOf(0x0a) + 1;
    expect(bytes.subarray(0, headerEnd).toString("latin1")).toMatch(/^gatehouse-plan-memo-2 [0-9a-f]{64}\n$/);
    for (const damaged of [
      bytes.subarray(0, headerEnd + Math.floor((bytes.length - headerEnd) / 2)),
      Buffer.concat([bytes.subarray(0, headerEnd), Buffer.from("not a record")]),
      bytes.subarray(0, headerEnd - 5),
    ]) {
      await writeFile(file, damaged);
      const again = await shown(options);
      expect(again.reusedFrom).toBeUndefined();
      expect(comparable(again.plan)).toEqual(comparable(first.plan));
      expect((await shown(options)).reusedFrom).toBe(NOW.toISOString());
    }
  });

  it("follows the live state: an apply, then a change by hand, each show in the next plan", async () => {
    const { tree, options } = await setUp();
    await shown(options);
    expect((await runCliIn(tree.cwd, ["apply", "--yes"])).code).toBe(0);
    // Just written: the directory file's times cannot vouch for it yet, so nothing is reused or kept.
    const right = await shown(options);
    expect(right.reusedFrom).toBeUndefined();
    expect(right.plan.changes).toEqual([]);
    expect((await shown(options)).reusedFrom).toBeUndefined();

    await sleep(SETTLE_MS);
    expect((await shown(options)).reusedFrom).toBeUndefined();
    expect((await shown(options)).reusedFrom).toBeDefined();

    // Someone removes alice from the group in the directory itself.
    const file = path.join(tree.cwd, ".gatehouse/directory.json");
    const text = await readFile(file, "utf8");
    const edited = text.replace(/("members":\s*\[)\s*"alice",?/, "$1");
    expect(edited).not.toBe(text);
    await writeFile(file, edited);
    await sleep(SETTLE_MS);
    const drift = await shown(options);
    expect(drift.reusedFrom).toBeUndefined();
    expect(changeIds(drift.plan)).toEqual(["add directory:membership/team-a-write/alice"]);
    expect((await shown(options)).reusedFrom).toBeDefined();
  });

  it("is not kept without a cache folder, or where file times are not trusted", async () => {
    const { tree, options } = await setUp();
    await shown({ ...options, cacheDir: false });
    expect((await shown({ ...options, cacheDir: false })).reusedFrom).toBeUndefined();
    const untrusted = { ...options, env: { GATEHOUSE_TRUST_FILE_TIMES: "0" } };
    await shown(untrusted);
    expect((await shown(untrusted)).reusedFrom).toBeUndefined();
    expect((await readdir(path.join(tree.cwd, ".gatehouse/cache"))).some((n) => n.startsWith("plan-"))).toBe(
      false,
    );
  });

  it("holds until the first grant end, start or end date after its instant", async () => {
    const { options } = await setUp();
    const prepared = await preparePlan(options);
    await closeProviders(prepared.providers);
    // Bob's grant ends three hours on; Carol's last day is 2026-06-10: from 06-11 she is a leaver.
    expect(prepared.validUntil).toBe(later(3 * HOUR).getTime());
    const after = await preparePlan({ ...options, now: later(3 * HOUR) });
    await closeProviders(after.providers);
    expect(after.validUntil).toBe(Date.parse("2026-06-11T00:00:00Z"));
  });

  it("is used by the plan command, which --fresh turns off", async () => {
    const { tree } = await setUp();
    const first = await runCliIn(tree.cwd, ["plan", "--format", "json"]);
    expect(first.code).toBe(0);
    const second = await runCliIn(tree.cwd, ["plan", "--format", "json"]);
    expect(second.code).toBe(0);
    const [a, b] = [first.stdout, second.stdout].map((s) => JSON.parse(s) as Plan);
    if (a === undefined || b === undefined) throw new Error("no plan");
    expect(comparable(b)).toEqual(comparable(a));
    expect(a.providers[0]?.readCalls).toBe(1);
    expect(b.providers[0]?.readCalls).toBe(0);
    const fresh = await runCliIn(tree.cwd, ["plan", "--format", "json", "--fresh"]);
    expect((JSON.parse(fresh.stdout) as Plan).providers[0]?.readCalls).toBe(1);
  });
});
