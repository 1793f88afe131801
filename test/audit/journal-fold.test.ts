import { appendFile, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  appendJournalEntries,
  JournalError,
  readJournal,
  TORN_LINE_MESSAGE,
  verifyJournal,
  type NewJournalEntry,
} from "../../src/audit/journal.ts";
import { foldJournal, type JournalFold } from "../../src/audit/journal-fold.ts";
import { managedAddresses } from "../../src/engine/managed.ts";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-fold-"));
  dirs.push(dir);
  return dir;
}

/** A membership change of `member` (a user id, account `${member}-acct`) in `group`. */
function change(
  runSeq: number,
  action: "add" | "remove",
  group: string,
  member: string,
  outcome: "applied" | "failed" = "applied",
): NewJournalEntry {
  const id = `directory:membership/${group}/${member}-acct`;
  return {
    type: "change",
    at: "2026-03-01T09:00:01.000Z",
    runSeq,
    provider: "directory",
    changeId: id,
    change: {
      id,
      provider: "directory",
      reason: action === "add" ? "added-in-config" : "removed-from-config",
      risk: action === "add" ? "broadens" : "narrows",
      kind: "membership",
      action,
      group,
      member: `${member}-acct`,
      memberKind: "user",
      userId: member,
    },
    outcome,
  };
}

/** `entry` (a change entry) with the outcome `skipped`: never sent. */
function skipped(entry: NewJournalEntry): NewJournalEntry {
  return entry.type === "change" ? { ...entry, outcome: "skipped" } : entry;
}

/** A run of changes: adds for everyone, a failure, and the removal of an earlier add. */
function run(n: number, people: readonly string[]): NewJournalEntry[] {
  return [
    ...people.map((p) => change(n, "add", `team-${String(n)}`, p)),
    change(n, "add", "team-x", `failed-${String(n)}`, "failed"),
    ...(n > 1 ? [change(n, "remove", `team-${String(n - 1)}`, people[0] ?? "")] : []),
  ];
}

function plainFold(fold: JournalFold): unknown {
  return {
    managed: [...fold.managed].sort(),
    accounts: [...fold.accounts].sort(([a], [b]) => (a < b ? -1 : 1)),
    entries: fold.entries,
  };
}

describe("the journal fold", () => {
  it("gives what reading every entry gives, across small chunks and multi-byte names", async () => {
    const dir = await tempDir();
    const journal = join(dir, "journal.jsonl");
    const people = ["ada", "zoë", "日本", "bob"];
    for (let n = 1; n <= 3; n++) await appendJournalEntries(journal, run(n, people));
    const entries = await readJournal(journal);
    for (const chunk of [7, 64, 1000, 4 * 1024 * 1024]) {
      const fold = await foldJournal(journal, undefined, chunk);
      expect([...fold.managed].sort()).toEqual([...managedAddresses(entries)].sort());
      expect(fold.entries).toBe(entries.length);
      expect(fold.accounts.get("directory\nzoë")).toEqual(["zoë-acct"]);
      expect(fold.accounts.get("directory\nfailed-2")).toEqual(["failed-2-acct"]);
    }
    expect(fold0(await foldJournal(join(dir, "none.jsonl")))).toBe(0);
  });

  it("resumes from its cache where the last line it folded is unchanged, and reads again otherwise", async () => {
    const dir = await tempDir();
    const cache = join(dir, "cache");
    const journal = join(dir, "journal.jsonl");
    await appendJournalEntries(journal, run(1, ["ada", "bob"]));
    await foldJournal(journal, cache);
    expect((await readdir(cache)).filter((n) => n.startsWith("journal-"))).toHaveLength(1);
    await appendJournalEntries(journal, run(2, ["ada", "cy"]));
    const resumed = await foldJournal(journal, cache, 16);
    expect(plainFold(resumed)).toEqual(plainFold(await foldJournal(journal)));

    // Only the tail is read on resume: an earlier line damaged in place goes unnoticed here (journal
    // verify finds it), while a fold without the cache reads it and fails.
    const text = await readFile(journal, "utf8");
    await writeFile(journal, text.replace('"runSeq":1', '"runSeq":"')); // same length, line 1 broken
    expect(plainFold(await foldJournal(journal, cache))).toEqual(plainFold(resumed));
    await expect(foldJournal(journal)).rejects.toThrow(/journal\.jsonl:1: not a journal entry/);

    // A different journal in the same place (rewritten, then longer), or none: refused, the anchor
    // kept, until its cache file is deleted; then read in full, not resumed.
    await rm(journal);
    await expect(foldJournal(journal, cache)).rejects.toThrow(
      /journal\.jsonl is gone, but gatehouse read 7 entries \(up to seq 7\) from it on this machine/,
    );
    await appendJournalEntries(journal, run(5, ["dee", "eve", "fay", "gus", "hal"]));
    await expect(foldJournal(journal, cache)).rejects.toThrow(
      /holds entry seq 7 \(the last of the 7 entries gatehouse read from it on this machine\) with other bytes/,
    );
    await expect(foldJournal(journal, cache)).rejects.toThrow(
      /delete .*journal-[0-9a-f]{16}\.json to accept it/,
    );
    for (const name of await readdir(cache)) if (name.startsWith("journal-")) await rm(join(cache, name));
    expect(plainFold(await foldJournal(journal, cache))).toEqual(plainFold(await foldJournal(journal)));
    expect([...(await foldJournal(journal, cache)).managed]).not.toContain(
      "directory:membership/team-1/ada-acct",
    );
  });

  it("warns about a damaged cache, and still checks the journal against an older gatehouse's cache", async () => {
    const dir = await tempDir();
    const cache = join(dir, "cache");
    const journal = join(dir, "journal.jsonl");
    await appendJournalEntries(journal, run(1, ["ada", "bob"]));
    await foldJournal(journal, cache);
    const [name] = (await readdir(cache)).filter((n) => n.startsWith("journal-"));
    const file = join(cache, name ?? "");
    const good = await readFile(file, "utf8");

    // Garbled: the check is lost for this run, and said so; the fold is read in full and the cache rewritten.
    await writeFile(file, "x");
    const warnings: string[] = [];
    const fold = await foldJournal(journal, cache, undefined, (m) => warnings.push(m));
    expect(plainFold(fold)).toEqual(plainFold(await foldJournal(journal)));
    expect(warnings).toEqual([
      expect.stringMatching(/journal-[0-9a-f]{16}\.json is damaged: .*cut off the journal/),
    ]);
    expect(await readFile(file, "utf8")).toBe(good);

    // Written by an older gatehouse (another format): its fold is not used, but the journal must still hold
    // the line it stopped at.
    await writeFile(
      file,
      good.replace('"format":"gatehouse journal fold 4"', '"format":"gatehouse journal fold 3"'),
    );
    const lines = (await readFile(journal, "utf8")).trimEnd().split("\n");
    await writeFile(journal, lines.slice(0, -1).join("\n") + "\n");
    await expect(foldJournal(journal, cache)).rejects.toThrow(
      /no longer holds entry seq 3 \(the last of the 3 entries gatehouse read from it on this machine\); its last entry is seq 2: entries were cut off its end/,
    );
    await writeFile(journal, lines.join("\n") + "\n");
    const quiet: string[] = [];
    expect(plainFold(await foldJournal(journal, cache, undefined, (m) => quiet.push(m)))).toEqual(
      plainFold(await foldJournal(journal)),
    );
    expect(quiet).toEqual([]);
    expect(await readFile(file, "utf8")).toBe(good);
  });

  it("lets a deleted group's memberships go and moves a renamed group's to its new name, also on resume", async () => {
    const dir = await tempDir();
    const cache = join(dir, "cache");
    const journal = join(dir, "journal.jsonl");
    const groupChange = (group: string, action: "delete" | "update", rename?: string): NewJournalEntry => {
      const id = `directory:group/${group}`;
      const base = {
        id,
        provider: "directory",
        reason: "removed-from-config",
        kind: "group",
        group,
      } as const;
      return {
        type: "change",
        at: "2026-03-01T09:00:02.000Z",
        runSeq: 2,
        provider: "directory",
        changeId: id,
        change:
          action === "delete"
            ? { ...base, action, memberCount: 2, risk: "narrows" }
            : {
                ...base,
                action,
                risk: "neutral",
                fields: [{ field: "name", before: group, after: rename ?? group }],
              },
        outcome: "applied",
      };
    };
    await appendJournalEntries(journal, [
      change(1, "add", "ops", "ada"),
      change(1, "add", "ops", "bob"),
      change(1, "add", "ops-extra", "cy"),
      change(1, "add", "web", "dee"),
    ]);
    await foldJournal(journal, cache); // the rest is folded on resume
    await appendJournalEntries(journal, [
      groupChange("ops", "update", "ops-team"),
      groupChange("web", "delete"),
      change(3, "add", "web", "eve"),
    ]);
    for (const fold of [await foldJournal(journal, cache), await foldJournal(journal)])
      expect([...fold.managed].sort()).toEqual([
        "directory:group/ops-team",
        "directory:membership/ops-extra/cy-acct",
        "directory:membership/ops-team/ada-acct",
        "directory:membership/ops-team/bob-acct",
        "directory:membership/web/eve-acct",
      ]);
  });

  it("moves a renamed account's memberships, address and disabled mark to its new name, also on resume", async () => {
    const dir = await tempDir();
    const cache = join(dir, "cache");
    const journal = join(dir, "journal.jsonl");
    const userChange = (action: "disable" | "update", outcome: "applied" | "failed"): NewJournalEntry => {
      const id = "directory:user/ada-acct";
      const base = {
        id,
        provider: "directory",
        reason: "added-in-config",
        kind: "user",
        account: "ada-acct",
        userId: "ada",
      } as const;
      return {
        type: "change",
        at: "2026-03-01T09:00:02.000Z",
        runSeq: 2,
        provider: "directory",
        changeId: id,
        change:
          action === "disable"
            ? { ...base, action, risk: "narrows" }
            : {
                ...base,
                action,
                risk: "neutral",
                fields: [{ field: "account", before: "ada-acct", after: "ada-new" }],
                after: { name: "Ada" },
              },
        outcome,
      };
    };
    await appendJournalEntries(journal, [
      change(1, "add", "ops", "ada"),
      change(1, "add", "ops", "bob"),
      change(1, "add", "web", "ada"),
      userChange("disable", "applied"),
    ]);
    await foldJournal(journal, cache); // the rest is folded on resume, from the cache's lists
    await appendJournalEntries(journal, [userChange("update", "failed")]);
    const failed = await foldJournal(journal, cache);
    expect([...failed.managed].filter((a) => a.includes("ada")).sort()).toEqual([
      "directory:membership/ops/ada-acct",
      "directory:membership/web/ada-acct",
    ]);
    // A refused rename gives the person no new name: ada-new may be someone else's account.
    expect(failed.accounts.get("directory\nada")).toEqual(["ada-acct"]);
    expect([...failed.renamedAway]).toEqual([]);
    await appendJournalEntries(journal, [userChange("update", "applied")]);
    for (const fold of [await foldJournal(journal, cache), await foldJournal(journal)]) {
      // Renamed, the account no longer holds its former name: ada-acct may be someone else's next.
      expect(fold.accounts.get("directory\nada")).toEqual(["ada-new"]);
      // But it was ada's: values she left may still name it, which a plan giving it to someone looks for.
      expect([...fold.renamedAway]).toEqual([["directory\nada-acct", ["ada"]]]);
      expect([...fold.managed].sort()).toEqual([
        "directory:membership/ops/ada-new",
        "directory:membership/ops/bob-acct",
        "directory:membership/web/ada-new",
        "directory:user/ada-new",
      ]);
      expect([...fold.disabled]).toEqual(["directory:user/ada-new"]);
      expect([...fold.written.keys()]).toEqual(["directory:user/ada-new"]);
    }
  });

  it("records no account for a person from a change that was skipped: it was never sent", async () => {
    const dir = await tempDir();
    const journal = join(dir, "journal.jsonl");
    // gus's membership under a name that was still someone else's account: skipped, never sent.
    await appendJournalEntries(journal, [
      skipped(change(1, "add", "ops", "gus")),
      change(1, "add", "web", "ada", "failed"),
    ]);
    const fold = await foldJournal(journal);
    expect(fold.accounts.get("directory\ngus")).toBeUndefined();
    // A failed write may still have taken effect: its account is recorded.
    expect(fold.accounts.get("directory\nada")).toEqual(["ada-acct"]);
  });

  it("records no account for a person from a create that failed: the name may be someone else's account", async () => {
    const dir = await tempDir();
    const journal = join(dir, "journal.jsonl");
    const create = (userId: string, account: string, outcome: "applied" | "failed"): NewJournalEntry => {
      const id = `directory:user/${account}`;
      return {
        type: "change",
        at: "2026-03-01T09:00:02.000Z",
        runSeq: 1,
        provider: "directory",
        changeId: id,
        change: {
          id,
          provider: "directory",
          reason: "added-in-config",
          risk: "broadens",
          kind: "user",
          action: "create",
          account,
          userId,
          after: {},
        },
        outcome,
        ...(outcome === "failed" ? { error: "the name is another person's account" } : {}),
      };
    };
    // gus's create was refused (bea.old is bea's account); ada's was made.
    await appendJournalEntries(journal, [
      create("gus", "bea.old", "failed"),
      create("ada", "ada", "applied"),
    ]);
    const cache = join(dir, "cache");
    for (const fold of [await foldJournal(journal, cache), await foldJournal(journal, cache)]) {
      expect(fold.accounts.get("directory\ngus")).toBeUndefined();
      expect(fold.accounts.get("directory\nada")).toEqual(["ada"]);
    }
  });

  it("does not trust a cache an older gatehouse wrote, which folded an account's rename as a plain update", async () => {
    const dir = await tempDir();
    const cache = join(dir, "cache");
    const journal = join(dir, "journal.jsonl");
    const id = "directory:user/ada-acct";
    await appendJournalEntries(journal, [
      change(1, "add", "ops", "ada"),
      {
        type: "change",
        at: "2026-03-01T09:00:02.000Z",
        runSeq: 2,
        provider: "directory",
        changeId: id,
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
          after: { name: "Ada" },
        },
        outcome: "applied",
      },
    ]);
    await foldJournal(journal, cache);
    // What gatehouse before renames in place (fold format 6) left after folding the same journal.
    const [file = ""] = (await readdir(cache)).map((f) => join(cache, f));
    const cached = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    await writeFile(
      file,
      JSON.stringify({
        ...cached,
        format: "gatehouse journal fold 6",
        managed: {
          other: ["directory:user/ada-acct"],
          names: ["ada-acct"],
          groups: [["directory:membership/ops/", [0]]],
        },
        written: [["directory:user/ada-acct", "x"]],
      }),
    );
    expect([...(await foldJournal(journal, cache)).managed].sort()).toEqual([
      "directory:membership/ops/ada-new",
      "directory:user/ada-new",
    ]);
  });

  it("knows which accounts gatehouse disabled last, also on resume", async () => {
    const dir = await tempDir();
    const cache = join(dir, "cache");
    const journal = join(dir, "journal.jsonl");
    const userChange = (
      account: string,
      action: "create" | "disable" | "enable",
      outcome: "applied" | "failed" = "applied",
    ): NewJournalEntry => {
      const id = `directory:user/${account}`;
      const base = { id, provider: "directory", reason: "added-in-config", kind: "user", account } as const;
      return {
        type: "change",
        at: "2026-03-01T09:00:03.000Z",
        runSeq: 1,
        provider: "directory",
        changeId: id,
        change:
          action === "create"
            ? { ...base, action, risk: "broadens", after: {} }
            : { ...base, action, risk: action === "disable" ? "narrows" : "broadens" },
        outcome,
      };
    };
    await appendJournalEntries(journal, [
      userChange("ada", "create"),
      userChange("bob", "create"),
      userChange("cy", "create"),
      userChange("ada", "disable"),
      userChange("bob", "disable"),
    ]);
    await foldJournal(journal, cache);
    await appendJournalEntries(journal, [userChange("bob", "enable"), userChange("cy", "disable", "failed")]);
    for (const fold of [await foldJournal(journal, cache), await foldJournal(journal)])
      expect([...fold.disabled]).toEqual(["directory:user/ada"]);
  });

  it("knows the account expiry gatehouse last wrote to each account, through renames, also on resume", async () => {
    const dir = await tempDir();
    const cache = join(dir, "cache");
    const journal = join(dir, "journal.jsonl");
    const userChange = (
      account: string,
      action: "create" | "update" | "delete",
      expiry: { readonly endDate?: string | null; readonly renamedTo?: string } = {},
      outcome: "applied" | "failed" = "applied",
    ): NewJournalEntry => {
      const id = `directory:user/${account}`;
      const base = { id, provider: "directory", reason: "added-in-config", kind: "user", account } as const;
      const fields = [
        ...(expiry.renamedTo === undefined
          ? []
          : [{ field: "account", before: account, after: expiry.renamedTo }]),
        ...(expiry.endDate === undefined ? [] : [{ field: "endDate", before: null, after: expiry.endDate }]),
      ];
      return {
        type: "change",
        at: "2026-03-01T09:00:04.000Z",
        runSeq: 1,
        provider: "directory",
        changeId: id,
        change:
          action === "create"
            ? {
                ...base,
                action,
                risk: "broadens",
                after: {},
                ...(typeof expiry.endDate === "string" ? { endDate: expiry.endDate } : {}),
              }
            : action === "update"
              ? { ...base, action, risk: "neutral", fields, after: {} }
              : { ...base, action, risk: "narrows" },
        outcome,
      };
    };
    await appendJournalEntries(journal, [
      userChange("ada", "create", { endDate: "2026-12-31" }),
      userChange("bob", "create", { endDate: "2026-06-30" }),
      userChange("cy", "create"),
      userChange("dan", "create", { endDate: "2026-09-30" }),
    ]);
    await foldJournal(journal, cache);
    await appendJournalEntries(journal, [
      // ada's moved later, then renamed in place: the expiry goes with the account.
      userChange("ada", "update", { endDate: "2027-03-31" }),
      userChange("ada", "update", { renamedTo: "ada.new" }),
      // bob's cleared (a contract made permanent); cy given one that failed: not written.
      userChange("bob", "update", { endDate: null }),
      userChange("cy", "update", { endDate: "2026-08-31" }, "failed"),
      // dan's account deleted: no expiry of gatehouse's stands.
      userChange("dan", "delete"),
    ]);
    for (const fold of [await foldJournal(journal, cache), await foldJournal(journal)])
      expect([...fold.expiries]).toEqual([["directory:user/ada.new", "2027-03-31"]]);
  });

  it("keeps the stable id each account's and group's changes gave, through renames, dropped with a delete, also on resume", async () => {
    const dir = await tempDir();
    const cache = join(dir, "cache");
    const journal = join(dir, "journal.jsonl");
    const userChange = (
      account: string,
      action: "create" | "update" | "disable" | "delete",
      accountId: string | undefined,
      options: { readonly renamedTo?: string; readonly outcome?: "applied" | "failed" } = {},
    ): NewJournalEntry => {
      const id = `ldap:user/${account}`;
      const base = { id, provider: "ldap", reason: "added-in-config", kind: "user", account } as const;
      const fields =
        options.renamedTo === undefined
          ? []
          : [{ field: "account", before: account, after: options.renamedTo }];
      return {
        type: "change",
        at: "2026-03-01T09:00:04.000Z",
        runSeq: 1,
        provider: "ldap",
        changeId: id,
        change:
          action === "create"
            ? { ...base, action, risk: "broadens", after: {} }
            : action === "update"
              ? { ...base, action, risk: "neutral", fields, after: {} }
              : { ...base, action, risk: "narrows" },
        outcome: options.outcome ?? "applied",
        ...(accountId === undefined ? {} : { accountId }),
      };
    };
    await appendJournalEntries(journal, [
      userChange("ada", "create", "id-ada"),
      userChange("bob", "create", "id-bob"),
      // Journalled before ids were kept: none.
      userChange("cy", "create", undefined),
      userChange("dan", "create", "id-dan"),
    ]);
    await foldJournal(journal, cache);
    await appendJournalEntries(journal, [
      // ada's account renamed in place: the id goes with it.
      userChange("ada", "update", "id-ada", { renamedTo: "ada.new" }),
      // bob's disabled (offboarded: no plan looks for it), as dan's deleted: no id stands; cy updated now,
      // which gives its id.
      userChange("bob", "disable", "id-bob"),
      userChange("cy", "update", "id-cy"),
      userChange("dan", "delete", "id-dan"),
      // A failed change of an account gives no id.
      userChange("eve", "create", "id-eve", { outcome: "failed" }),
    ]);
    const groupChange = (
      group: string,
      action: "create" | "update" | "delete",
      accountId: string | undefined,
      renamedTo?: string,
    ): NewJournalEntry => {
      const id = `ldap:group/${group}`;
      const base = { id, provider: "ldap", reason: "added-in-config", kind: "group", group } as const;
      return {
        type: "change",
        at: "2026-03-01T09:00:05.000Z",
        runSeq: 1,
        provider: "ldap",
        changeId: id,
        change:
          action === "update"
            ? {
                ...base,
                action,
                risk: "neutral",
                fields: [{ field: "name", before: group, after: renamedTo ?? group }],
              }
            : action === "create"
              ? { ...base, action, risk: "neutral" }
              : { ...base, action, risk: "narrows", memberCount: 0 },
        outcome: "applied",
        ...(accountId === undefined ? {} : { accountId }),
      };
    };
    await appendJournalEntries(journal, [
      groupChange("team-a", "create", "id-team-a"),
      groupChange("team-b", "create", "id-team-b"),
      // Renamed in place (formerNames): the id goes with it, also where the entry gave none.
      groupChange("team-a", "update", undefined, "team-a2"),
      groupChange("team-b", "delete", "id-team-b"),
    ]);
    for (const fold of [await foldJournal(journal, cache), await foldJournal(journal)])
      expect([...fold.ids].sort()).toEqual([
        ["ldap:group/team-a2", "id-team-a"],
        ["ldap:user/ada.new", "id-ada"],
        ["ldap:user/cy", "id-cy"],
      ]);
  });

  it("does not take the disable of an account in no access file for the account of whom it seemed to be", async () => {
    const dir = await tempDir();
    const journal = join(dir, "journal.jsonl");
    const disable = (account: string, userId: string, reason: "not-in-config" | "user-terminated") => {
      const id = `directory:user/${account}`;
      return {
        type: "change",
        at: "2026-03-01T09:00:03.000Z",
        runSeq: 1,
        provider: "directory",
        changeId: id,
        change: {
          id,
          provider: "directory",
          reason,
          kind: "user",
          account,
          userId,
          action: "disable",
          risk: "narrows",
        },
        outcome: "applied",
      } as const satisfies NewJournalEntry;
    };
    await appendJournalEntries(journal, [
      // The system said (its externalId) this account was alice's; the files give it nobody.
      disable("quinn@example.com", "alice", "not-in-config"),
      // A leaver's own account.
      disable("bob@example.com", "bob", "user-terminated"),
    ]);
    const fold = await foldJournal(journal);
    expect(fold.accounts.get("directory\nalice")).toBeUndefined();
    expect(fold.accounts.get("directory\nbob")).toEqual(["bob@example.com"]);
    // Still gatehouse's disable, whoever it belongs to: enabled again as the files say, not as drift.
    expect([...fold.disabled].sort()).toEqual([
      "directory:user/bob@example.com",
      "directory:user/quinn@example.com",
    ]);
  });

  it("counts what an intent announced as gatehouse's until an outcome says it failed, also on resume", async () => {
    const dir = await tempDir();
    const cache = join(dir, "cache");
    const journal = join(dir, "journal.jsonl");
    const intent = (ids: string[]): NewJournalEntry => ({
      type: "intent",
      at: "2026-03-01T09:00:00.500Z",
      runSeq: 1,
      provider: "directory",
      changeIds: ids,
    });
    const ada = "directory:membership/ops/ada-acct";
    const bob = "directory:membership/ops/bob-acct";
    const cy = "directory:membership/ops/cy-acct";
    await appendJournalEntries(journal, [intent([ada, bob, cy]), change(1, "add", "ops", "ada")]);
    await foldJournal(journal, cache); // bob's and cy's outcomes are not there yet
    await appendJournalEntries(journal, [change(1, "add", "ops", "bob", "failed")]);
    // The run died before cy's outcome: cy may be live, and is gatehouse's.
    for (const fold of [await foldJournal(journal, cache), await foldJournal(journal)]) {
      expect(fold.managed.has(ada)).toBe(true);
      expect(fold.managed.has(bob)).toBe(false);
      expect(fold.managed.has(cy)).toBe(true);
    }
  });

  it("refuses a torn last line and a line that is not an entry, naming it, also when resuming", async () => {
    const dir = await tempDir();
    const cache = join(dir, "cache");
    const journal = join(dir, "journal.jsonl");
    await appendJournalEntries(journal, run(1, ["ada"]));
    await foldJournal(journal, cache);
    await appendFile(journal, '{"type":"change"');
    const torn = await foldJournal(journal, cache).catch((e: unknown) => e);
    expect(torn).toBeInstanceOf(JournalError);
    expect((torn as JournalError).message).toContain(TORN_LINE_MESSAGE);
    await appendFile(journal, "}\n");
    await expect(foldJournal(journal, cache)).rejects.toThrow(/journal\.jsonl:3: not a journal entry/);
    await expect(foldJournal(journal)).rejects.toThrow(/journal\.jsonl:3: not a journal entry/);
  });
});

function fold0(fold: JournalFold): number {
  return fold.entries + fold.managed.size + fold.accounts.size;
}

describe("the journal fold's open offboarding verdicts", () => {
  /** An offboarding check of `account` in run `runSeq`: clean, or with `groupsOutside` left. */
  function verdict(
    runSeq: number,
    account: string,
    left: readonly string[] = [],
  ): Extract<NewJournalEntry, { type: "offboard-verified" }> {
    return {
      type: "offboard-verified",
      at: "2026-03-01T09:00:05.000Z",
      runSeq,
      triggeredAt: "2026-03-01T09:00:00.000Z",
      provider: "ldap",
      account,
      userId: account,
      clean: left.length === 0,
      accountState: "disabled",
      groups: [],
      ...(left.length === 0 ? {} : { groupsOutside: left }),
    };
  }
  const start = (): NewJournalEntry => ({
    type: "apply-start",
    at: "2026-03-01T09:00:00.000Z",
    actor: "ci",
    planDigest: "p",
    desiredDigest: "d",
    providers: ["ldap"],
    changes: 0,
  });
  const open = (fold: JournalFold): [string, number, unknown][] =>
    [...fold.verdicts].map(([key, v]) => [key, v.seq, v.groupsOutside]);

  it("keeps a verdict that found access left, with its seq, also on resume", async () => {
    const dir = await tempDir();
    const cache = join(dir, "cache");
    const journal = join(dir, "journal.jsonl");
    await appendJournalEntries(journal, [start(), verdict(1, "ben", ["cn=vpn"]), verdict(1, "cleo")]);
    const first = await foldJournal(journal, cache);
    expect(open(first)).toEqual([["ldap\nben", 2, ["cn=vpn"]]]);
    // The entry as the journal has it, but for the chain fields.
    expect(first.verdicts.get("ldap\nben")).toMatchObject({
      type: "offboard-verified",
      triggeredAt: "2026-03-01T09:00:00.000Z",
    });
    expect(first.verdicts.get("ldap\nben")).not.toHaveProperty("hash");
    await appendJournalEntries(journal, [start()]);
    for (const fold of [await foldJournal(journal, cache), await foldJournal(journal)])
      expect(open(fold)).toEqual([["ldap\nben", 2, ["cn=vpn"]]]);
  });

  it("closes a verdict when a later check of the account finds nothing left, and keeps the latest that did", async () => {
    const dir = await tempDir();
    const cache = join(dir, "cache");
    const journal = join(dir, "journal.jsonl");
    await appendJournalEntries(journal, [
      start(),
      verdict(1, "ben", ["cn=vpn"]),
      verdict(1, "cleo", ["cn=a"]),
    ]);
    await foldJournal(journal, cache);
    // A re-check that still finds cleo's access (in another group now) replaces the earlier verdict.
    await appendJournalEntries(journal, [
      start(),
      { ...verdict(4, "ben"), recheckOf: 2 },
      { ...verdict(4, "cleo", ["cn=b"]), recheckOf: 3 },
    ]);
    for (const fold of [await foldJournal(journal, cache), await foldJournal(journal)])
      expect(open(fold)).toEqual([["ldap\ncleo", 6, ["cn=b"]]]);
  });

  it("closes the verdict a re-check names, under whatever name the re-check found the account (renamed since)", async () => {
    const dir = await tempDir();
    const cache = join(dir, "cache");
    const journal = join(dir, "journal.jsonl");
    // ben's account was renamed to ben.old after the run disabled it, and still held cn=vpn then.
    await appendJournalEntries(journal, [
      start(),
      { ...verdict(1, "ben", ["cn=vpn"]), renamedTo: "ben.old" },
    ]);
    await foldJournal(journal, cache);
    // Re-checked under its name now: still left, then clean.
    await appendJournalEntries(journal, [start(), { ...verdict(3, "ben.old", ["cn=vpn"]), recheckOf: 2 }]);
    for (const fold of [await foldJournal(journal, cache), await foldJournal(journal)])
      expect(open(fold)).toEqual([["ldap\nben.old", 4, ["cn=vpn"]]]);
    await appendJournalEntries(journal, [start(), { ...verdict(5, "ben.old"), recheckOf: 4 }]);
    for (const fold of [await foldJournal(journal, cache), await foldJournal(journal)])
      expect(open(fold)).toEqual([]);
  });

  /** The run's disable of `account` in ldap, which the system confirmed with its entryUUID `id`. */
  const disable = (runSeq: number, account: string, id?: string): NewJournalEntry => ({
    type: "change",
    at: "2026-03-01T09:00:01.000Z",
    runSeq,
    provider: "ldap",
    changeId: `ldap:user/${account}`,
    change: {
      id: `ldap:user/${account}`,
      provider: "ldap",
      kind: "user",
      action: "disable",
      account,
      userId: account,
      reason: "user-terminated",
      risk: "narrows",
    },
    outcome: "applied",
    ...(id === undefined ? {} : { accountId: id }),
  });
  const ids = (fold: JournalFold): [string, number, string | undefined][] =>
    [...fold.verdicts].map(([key, v]) => [key, v.seq, v.accountId]);

  it("keeps the stable id a verdict found the account by, and takes an older entry's from its run's disable", async () => {
    const dir = await tempDir();
    const cache = join(dir, "cache");
    const journal = join(dir, "journal.jsonl");
    // Written before offboard-verified kept accountId: the run's change entry has it.
    await appendJournalEntries(journal, [
      start(),
      disable(1, "ben", "uuid-ben"),
      disable(1, "cleo"),
      verdict(1, "ben", ["cn=vpn"]),
      verdict(1, "cleo", ["cn=vpn"]),
      start(),
      // Another run's check of dan (no disable of his in that run): no id to take.
      verdict(6, "dan", ["cn=vpn"]),
    ]);
    expect(ids(await foldJournal(journal, cache))).toEqual([
      ["ldap\nben", 4, "uuid-ben"],
      ["ldap\ncleo", 5, undefined],
      ["ldap\ndan", 7, undefined],
    ]);
    // An older re-check keeps the id of the verdict it supersedes, under whatever name; a newer one says it.
    await appendJournalEntries(journal, [
      start(),
      { ...verdict(8, "ben.old", ["cn=vpn"]), recheckOf: 4 },
      { ...verdict(8, "cleo", ["cn=vpn"]), recheckOf: 5, accountId: "uuid-cleo" },
    ]);
    for (const fold of [await foldJournal(journal, cache), await foldJournal(journal)])
      expect(ids(fold)).toEqual([
        ["ldap\ndan", 7, undefined],
        ["ldap\nben.old", 9, "uuid-ben"],
        ["ldap\ncleo", 10, "uuid-cleo"],
      ]);
  });

  it("closes the verdict a verdict-closed entry names, also on resume, and no other", async () => {
    const dir = await tempDir();
    const cache = join(dir, "cache");
    const journal = join(dir, "journal.jsonl");
    await appendJournalEntries(journal, [
      start(),
      verdict(1, "ben", ["cn=vpn"]),
      verdict(1, "cleo", ["cn=a"]),
    ]);
    await foldJournal(journal, cache);
    const closed = (account: string, closes: number): NewJournalEntry => ({
      type: "verdict-closed",
      at: "2026-03-02T10:00:00.000Z",
      actor: "sec@example.com",
      provider: "ldap",
      account,
      userId: account,
      closes,
      reason: "checked by hand: INC-7",
    });
    // One that names an entry which is not (or no longer) the open verdict changes nothing.
    await appendJournalEntries(journal, [closed("ben", 2), closed("cleo", 1)]);
    for (const fold of [await foldJournal(journal, cache), await foldJournal(journal)])
      expect(open(fold)).toEqual([["ldap\ncleo", 3, ["cn=a"]]]);
    expect((await verifyJournal(journal)).problems).toEqual([]);
    // Naming itself or a later entry: journal verify says so.
    await appendJournalEntries(journal, [closed("cleo", 6)]);
    expect((await verifyJournal(journal)).problems).toEqual([
      { line: 6, message: "entry seq 6 says it closes entry 6, which is not before it" },
    ]);
  });

  it("is refolded from a cache of fold format 12, which dropped the ids of older verdicts", async () => {
    const dir = await tempDir();
    const cache = join(dir, "cache");
    const journal = join(dir, "journal.jsonl");
    await appendJournalEntries(journal, [
      start(),
      disable(1, "ben", "uuid-ben"),
      verdict(1, "ben", ["cn=vpn"]),
    ]);
    await foldJournal(journal, cache);
    const [name] = (await readdir(cache)).filter((n) => n.startsWith("journal-"));
    const file = join(cache, name ?? "");
    const cached = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    // As gatehouse wrote it before: no runIds, and the verdict as the entry had it.
    delete cached["runIds"];
    const [kept] = cached["verdicts"] as Record<string, unknown>[];
    delete kept?.["accountId"];
    await writeFile(file, JSON.stringify({ ...cached, format: "gatehouse journal fold 12" }));
    expect(ids(await foldJournal(journal, cache))).toEqual([["ldap\nben", 3, "uuid-ben"]]);
  });

  it("is refolded from a cache an older gatehouse wrote, which kept no verdicts", async () => {
    const dir = await tempDir();
    const cache = join(dir, "cache");
    const journal = join(dir, "journal.jsonl");
    await appendJournalEntries(journal, [start(), verdict(1, "ben", ["cn=vpn"])]);
    await foldJournal(journal, cache);
    const [name] = (await readdir(cache)).filter((n) => n.startsWith("journal-"));
    const file = join(cache, name ?? "");
    const cached = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    delete cached["verdicts"];
    await writeFile(file, JSON.stringify({ ...cached, format: "gatehouse journal fold 9" }));
    expect(open(await foldJournal(journal, cache))).toEqual([["ldap\nben", 2, ["cn=vpn"]]]);
  });
});
