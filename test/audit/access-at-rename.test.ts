import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { appendJournalEntries, type NewJournalEntry } from "../../src/audit/journal.ts";
import { accessAt } from "../../src/audit/access-at.ts";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** An applied membership add of `member` (ada's account, unless a group) to `group`. */
function add(
  at: string,
  runSeq: number,
  member: string,
  reason: "added-in-config" | "drift",
  group = "ops",
  memberKind: "user" | "group" = "user",
): NewJournalEntry {
  const id = `directory:membership/${group}/${memberKind === "group" ? "group:" : ""}${member}`;
  return {
    type: "change",
    at,
    runSeq,
    provider: "directory",
    changeId: id,
    outcome: "applied",
    change: {
      id,
      provider: "directory",
      reason,
      risk: "broadens",
      kind: "membership",
      action: "add",
      group,
      member,
      memberKind,
      ...(memberKind === "user" ? { userId: "ada" } : {}),
    },
  };
}

it("a drift re-add after the account's rename marks the membership held before it as possibly gone", async () => {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-access-"));
  dirs.push(dir);
  const journal = join(dir, "journal.jsonl");
  const id = "directory:user/ada-acct";
  await appendJournalEntries(journal, [
    add("2026-03-01T09:00:00.000Z", 1, "ada-acct", "added-in-config"),
    {
      type: "change",
      at: "2026-04-01T09:00:00.000Z",
      runSeq: 2,
      provider: "directory",
      changeId: id,
      outcome: "applied",
      change: {
        id,
        provider: "directory",
        reason: "added-in-config",
        risk: "neutral",
        kind: "user",
        action: "update",
        account: "ada-acct",
        userId: "ada",
        fields: [{ field: "account", before: "ada-acct", after: "ada-new" }],
        after: {},
      },
    },
    // Taken out by hand some time, put back as drift: when it went, the journal cannot say.
    add("2026-05-01T09:00:00.000Z", 3, "ada-new", "drift"),
  ]);
  // In March ada held ops as ada-acct; the re-add, under the name the account has since, shows it may have gone.
  const march = await accessAt(journal, { group: "ops", at: new Date("2026-03-15T00:00:00Z") });
  const held = march.groups.flatMap((g) => g.members);
  expect(held.map((m) => m.member)).toEqual(["ada-acct"]);
  expect(held[0]?.foundMissingAt).toBe("2026-05-01T09:00:00.000Z");
});

it("knows a group the journal names only as nested in another", async () => {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-access-"));
  dirs.push(dir);
  const journal = join(dir, "journal.jsonl");
  await appendJournalEntries(journal, [
    add("2026-03-01T09:00:00.000Z", 1, "inner", "added-in-config", "outer", "group"),
  ]);
  const answer = await accessAt(journal, { group: "inner", at: new Date("2026-03-15T00:00:00Z") });
  expect(answer.isMentioned).toBe(true);
  expect(
    (await accessAt(journal, { group: "elsewhere", at: new Date("2026-03-15T00:00:00Z") })).isMentioned,
  ).toBe(false);
});
