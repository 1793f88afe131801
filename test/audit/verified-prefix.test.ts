import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { appendJournalEntries, type NewJournalEntry } from "../../src/audit/journal.ts";
import { verifyJournal } from "../../src/audit/verify-journal.ts";
import { rememberVerified, verifyBeforeAppend } from "../../src/audit/verified-prefix.ts";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** An apply-start (seq `start`) and two changes of that run. */
function run(start: number): NewJournalEntry[] {
  const change = (member: string): NewJournalEntry => {
    const id = `directory:membership/ops/${member}`;
    return {
      type: "change",
      at: "2026-03-01T09:00:01.000Z",
      runSeq: start,
      provider: "directory",
      changeId: id,
      change: {
        id,
        provider: "directory",
        reason: "added-in-config",
        risk: "broadens",
        kind: "membership",
        action: "add",
        group: "ops",
        member,
        memberKind: "user",
      },
      outcome: "applied",
    };
  };
  return [
    {
      type: "apply-start",
      at: "2026-03-01T09:00:00.000Z",
      actor: "ci",
      planDigest: "a".repeat(64),
      desiredDigest: "b".repeat(64),
      providers: ["directory"],
      changes: 2,
    },
    change(`ann-${String(start)}`),
    change(`bob-${String(start)}`),
  ];
}

describe("the chain check before an append", () => {
  async function journalWithRuns(n: number): Promise<{ journal: string; cache: string }> {
    const dir = await mkdtemp(join(tmpdir(), "gh-verified-"));
    dirs.push(dir);
    const journal = join(dir, "journal.jsonl");
    for (let i = 0; i < n; i++) await appendJournalEntries(journal, run(3 * i + 1));
    return { journal, cache: join(dir, "cache") };
  }

  it("answers as a whole walk does, and walks on from where it stopped when the bytes before are the same", async () => {
    const { journal, cache } = await journalWithRuns(2);
    const first = await verifyBeforeAppend(journal, cache);
    expect(first).toMatchObject({ ok: true, entries: 6 });
    expect((await readdir(cache)).filter((n) => n.startsWith("journal-verified-"))).toHaveLength(1);
    await appendJournalEntries(journal, run(7));
    const resumed = await verifyBeforeAppend(journal, cache);
    const whole = await verifyJournal(journal);
    expect(resumed.ok).toBe(true);
    expect(resumed.entries).toBe(9);
    expect(resumed.head).toEqual(whole.head);
    expect(resumed.resume).toEqual(whole.resume);
  });

  it("walks on from where a whole `journal verify` stopped (the workflow verifies, then applies)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gh-verified-"));
    dirs.push(dir);
    const journal = join(dir, "journal.jsonl");
    const cache = join(dir, "cache");
    const withCommit = (start: number, commit: string): NewJournalEntry[] =>
      run(start).map((e) => (e.type === "apply-start" ? { ...e, commit } : e));
    await appendJournalEntries(journal, withCommit(1, "c".repeat(40)));
    await rememberVerified(journal, cache, await verifyJournal(journal));
    await appendJournalEntries(journal, withCommit(4, "d".repeat(40)));
    const resumed = await verifyBeforeAppend(journal, cache);
    expect(resumed).toMatchObject({ ok: true, entries: 6 });
    // Only the entries after the remembered point were walked: the first run's commit is not among them.
    expect(resumed.commits).toEqual(["d".repeat(40)]);
    expect((await verifyJournal(journal)).commits).toEqual(["c".repeat(40), "d".repeat(40)]);
  });

  it("finds an entry added after the last check that does not link, and an edit before it", async () => {
    const { journal, cache } = await journalWithRuns(2);
    expect((await verifyBeforeAppend(journal, cache)).ok).toBe(true);
    const lines = (await readFile(journal, "utf8")).trimEnd().split("\n");
    // A forged tail: the last line again (it does not follow itself).
    await writeFile(journal, [...lines, lines[lines.length - 1]].join("\n") + "\n");
    const tail = await verifyBeforeAppend(journal, cache);
    expect(tail.ok).toBe(false);
    expect(tail.problems[0]?.line).toBe(7);
    // An edit (same length) in what the last check walked: the bytes differ, so the whole chain is walked.
    await writeFile(
      journal,
      lines.map((l, i) => (i === 1 ? l.replace('"at":"2', '"at":"3') : l)).join("\n") + "\n",
    );
    const edited = await verifyBeforeAppend(journal, cache);
    expect(edited.ok).toBe(false);
    expect(edited.problems[0]).toMatchObject({ line: 2 });
  });
});
