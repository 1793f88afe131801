import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { appendJournalEntries, type NewJournalEntry } from "../../src/audit/journal.ts";
import { accessAt } from "../../src/audit/access-at.ts";
import type { Change } from "../../src/plan/types.ts";

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

/** An applied change (in the directory provider) whose address is `id`. */
function applied(at: string, runSeq: number, id: string, change: Record<string, unknown>): NewJournalEntry {
  return {
    type: "change",
    at,
    runSeq,
    provider: "directory",
    changeId: id,
    outcome: "applied",
    change: { id, provider: "directory", reason: "added-in-config", risk: "neutral", ...change } as Change,
  };
}

/** An applied rename in place of account `from` to `to` (ada's). */
const renameAccount = (at: string, runSeq: number, from: string, to: string): NewJournalEntry =>
  applied(at, runSeq, `directory:user/${from}`, {
    kind: "user",
    action: "update",
    account: from,
    userId: "ada",
    fields: [{ field: "account", before: from, after: to }],
    after: {},
  });

/** An applied rename of group `from` to `to`. */
const renameGroup = (at: string, runSeq: number, from: string, to: string): NewJournalEntry =>
  applied(at, runSeq, `directory:group/${from}`, {
    kind: "group",
    action: "update",
    group: from,
    fields: [{ field: "name", before: from, after: to }],
  });

async function journalOf(entries: NewJournalEntry[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-access-"));
  dirs.push(dir);
  const journal = join(dir, "journal.jsonl");
  await appendJournalEntries(journal, entries);
  return journal;
}

it("an account renamed after its group was renamed keeps that group under the new name", async () => {
  const journal = await journalOf([
    add("2026-03-01T09:00:00.000Z", 1, "ada-acct", "added-in-config", "ops"),
    add("2026-03-01T09:00:00.000Z", 1, "ada-acct", "added-in-config", "dev"),
    renameGroup("2026-04-01T09:00:00.000Z", 2, "ops", "ops2"),
    renameAccount("2026-05-01T09:00:00.000Z", 3, "ada-acct", "ada-new"),
  ]);
  const june = new Date("2026-06-01T00:00:00Z");
  for (const group of ["ops2", "dev"]) {
    const answer = await accessAt(journal, { group, at: june });
    expect(answer.groups.flatMap((g) => g.members.map((m) => [g.group, m.member, m.since]))).toEqual([
      [group, "ada-new", "2026-03-01T09:00:00.000Z"],
    ]);
  }
});

it("undoes a chain of later renames to find who a drift re-add is about", async () => {
  const journal = await journalOf([
    add("2026-03-01T09:00:00.000Z", 1, "a1", "added-in-config", "ops"),
    renameAccount("2026-04-01T09:00:00.000Z", 2, "a1", "a2"),
    renameGroup("2026-04-02T09:00:00.000Z", 3, "ops", "ops2"),
    renameAccount("2026-04-03T09:00:00.000Z", 4, "a2", "a3"),
    // A new account takes the first name back: a change to it is not about the renamed one.
    add("2026-04-04T09:00:00.000Z", 5, "a1", "drift", "ops2"),
    add("2026-05-01T09:00:00.000Z", 6, "a3", "drift", "ops2"),
  ]);
  const march = await accessAt(journal, { group: "ops2", at: new Date("2026-03-15T00:00:00Z") });
  const held = march.groups.flatMap((g) => g.members);
  expect(march.groups.map((g) => g.group)).toEqual(["ops"]);
  expect(held.map((m) => [m.member, m.foundMissingAt])).toEqual([["a1", "2026-05-01T09:00:00.000Z"]]);
});

it("does not give a group made under a name given up since the members of the group that had it", async () => {
  const journal = await journalOf([
    add("2026-03-01T09:00:00.000Z", 1, "ada-acct", "added-in-config", "ops"),
    renameGroup("2026-04-01T09:00:00.000Z", 2, "ops", "ops-legacy"),
    add("2026-04-02T09:00:00.000Z", 3, "bob", "added-in-config", "ops"),
  ]);
  const march = new Date("2026-03-15T00:00:00Z");
  const today = await accessAt(journal, { group: "ops", at: march });
  expect(today.groups.map((g) => [g.group, g.members.length, g.isKnown])).toEqual([["ops", 0, false]]);
  const legacy = await accessAt(journal, { group: "ops-legacy", at: march });
  expect(legacy.groups.flatMap((g) => g.members.map((m) => [g.group, m.member]))).toEqual([
    ["ops", "ada-acct"],
  ]);
});

/** An applied delete of group `name`. */
const deleteGroup = (at: string, runSeq: number, name: string): NewJournalEntry =>
  applied(at, runSeq, `directory:group/${name}`, {
    reason: "not-in-config",
    risk: "narrows",
    kind: "group",
    action: "delete",
    group: name,
    memberCount: 1,
  });

it("a group deleted since, whose name a later group took and gave up, still answers for its time", async () => {
  const journal = await journalOf([
    add("2026-03-01T09:00:00.000Z", 1, "ada-acct", "added-in-config", "ops"),
    // After March: that ops is deleted; a new ops is made (bob in it) and renamed ops-new.
    deleteGroup("2026-04-01T09:00:00.000Z", 2, "ops"),
    add("2026-04-02T09:00:00.000Z", 3, "bob", "added-in-config", "ops"),
    renameGroup("2026-04-03T09:00:00.000Z", 4, "ops", "ops-new"),
  ]);
  const march = new Date("2026-03-15T00:00:00Z");
  // ops-new did not exist in March: none of the deleted ops' members are its.
  const renamed = await accessAt(journal, { group: "ops-new", at: march });
  expect(renamed.groups.flatMap((g) => g.members.map((m) => m.member))).toEqual([]);
  // The ops of March, deleted since, is answered for under its name, as any deleted group is.
  const deleted = await accessAt(journal, { group: "ops", at: march });
  expect(deleted.groups.flatMap((g) => g.members.map((m) => [g.group, m.member]))).toEqual([
    ["ops", "ada-acct"],
  ]);
});

it("a member value moved with an account's rename (LDAP) keeps the membership held since the add that gave it", async () => {
  const journal = await journalOf([
    add("2026-03-01T09:00:00.000Z", 1, "ada-acct", "added-in-config"),
    renameAccount("2026-04-01T09:00:00.000Z", 2, "ada-acct", "ada-new"),
    // The plan's move of the group's value: the new name added, the former removed, in one write.
    applied("2026-04-01T09:00:01.000Z", 2, "directory:membership/ops/ada-new", {
      kind: "membership",
      action: "add",
      group: "ops",
      member: "ada-new",
      memberKind: "user",
      userId: "ada",
      renamedFrom: "ada-acct",
    }),
    applied("2026-04-01T09:00:01.000Z", 2, "directory:membership/ops/ada-acct", {
      kind: "membership",
      action: "remove",
      group: "ops",
      member: "ada-acct",
      memberKind: "user",
      userId: "ada",
      renamedTo: "ada-new",
    }),
  ]);
  const may = await accessAt(journal, { group: "ops", at: new Date("2026-05-01T00:00:00Z") });
  const held = may.groups.flatMap((g) => g.members);
  expect(held.map((m) => [m.member, m.since])).toEqual([["ada-new", "2026-03-01T09:00:00.000Z"]]);
});
