import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { canonicalJson, sha256Hex } from "../../src/audit/canonical-json.ts";
import { isRecord } from "../../src/audit/change-shape.ts";
import {
  appendJournalEntries,
  GENESIS_HASH,
  JournalError,
  readJournal,
  repairJournalTail,
  TORN_LINE_MESSAGE,
  verifyJournal,
} from "../../src/audit/journal.ts";
import type { JournalEntry, NewJournalEntry } from "../../src/audit/journal.ts";
import { runTs } from "../helpers/ts-child.ts";

const APPENDER = fileURLToPath(new URL("../helpers/journal-append-child.ts", import.meta.url));
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function journalPath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-journal-"));
  dirs.push(dir);
  return join(dir, ".gatehouse", "journal.jsonl");
}

const start: NewJournalEntry = {
  type: "apply-start",
  at: "2026-03-01T09:00:00.000Z",
  actor: "ci@example.com",
  commit: "0123abc",
  planDigest: "a".repeat(64),
  desiredDigest: "b".repeat(64),
  providers: ["directory"],
  changes: 2,
};
const changeEntry = (runSeq: number, member: string, outcome: "applied" | "failed"): NewJournalEntry => ({
  type: "change",
  at: "2026-03-01T09:00:01.000Z",
  runSeq,
  provider: "directory",
  changeId: `directory:membership/team-a-write/${member}`,
  change: {
    id: `directory:membership/team-a-write/${member}`,
    provider: "directory",
    reason: "added-in-config",
    risk: "broadens",
    source: { file: "access/groups/a.yaml", line: 4, column: 9 },
    kind: "membership",
    action: "add",
    group: "team-a-write",
    member,
    memberKind: "user",
  },
  outcome,
  ...(outcome === "applied" ? { confirmation: `added ${member}` } : { error: "directory: no such user" }),
});
const end = (runSeq: number): NewJournalEntry => ({
  type: "apply-end",
  at: "2026-03-01T09:00:02.000Z",
  runSeq,
  applied: 1,
  failed: 1,
  durationMs: 1200,
  calls: { directory: { reads: 1, writes: 1 } },
});

/** A journal of one run: apply-start, two changes, apply-end (4 lines). */
async function writeRun(path: string): Promise<JournalEntry[]> {
  const [first] = await appendJournalEntries(path, [start]);
  if (!first) throw new Error("nothing appended");
  const rest = await appendJournalEntries(path, [
    changeEntry(first.seq, "alice", "applied"),
    changeEntry(first.seq, "ghost", "failed"),
    end(first.seq),
  ]);
  return [first, ...rest];
}

async function editLines(path: string, edit: (lines: string[]) => string[]): Promise<void> {
  const lines = (await readFile(path, "utf8")).split("\n").slice(0, -1);
  await writeFile(path, `${edit(lines).join("\n")}\n`);
}

describe("journal chain", () => {
  it("appends a run of many megabytes in pieces of whole lines, one unbroken chain", async () => {
    const path = await journalPath();
    const [first] = await appendJournalEntries(path, [start]);
    if (!first) throw new Error("nothing appended");
    // About 40,000 lines of 500+ characters: more than two of the 8 MB pieces an append writes at a time.
    const many = Array.from({ length: 40_000 }, (_, i) =>
      changeEntry(first.seq, `user-${String(i)}`, "applied"),
    );
    const sealed = await appendJournalEntries(path, [...many, end(first.seq)]);
    expect(sealed).toHaveLength(40_001);
    const text = await readFile(path, "utf8");
    expect(text.length).toBeGreaterThan(16 * 1024 * 1024);
    const verified = await verifyJournal(path);
    expect(verified.ok).toBe(true);
    expect(verified.entries).toBe(40_002);
    expect(verified.head).toEqual({ seq: 40_002, hash: sealed.at(-1)?.hash });
    expect(verified.unfinished).toEqual([]);
  });

  it("chains entries: seq from 1, prevHash of the previous entry, hash over the canonical entry", async () => {
    const path = await journalPath();
    const entries = await writeRun(path);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(entries[0]?.prevHash).toBe(GENESIS_HASH);
    for (const [i, entry] of entries.entries()) {
      const { hash, ...rest } = entry;
      expect(hash).toBe(sha256Hex(canonicalJson(rest)));
      if (i > 0) expect(entry.prevHash).toBe(entries[i - 1]?.hash);
    }
    expect(await readJournal(path)).toEqual(entries);
    const verified = await verifyJournal(path);
    expect(verified).toMatchObject({
      ok: true,
      entries: 4,
      problems: [],
      head: { seq: 4, hash: entries[3]?.hash },
    });
    // Where a later walk of the same bytes may go on from: the end, the last entry, the runs so far.
    expect(verified.resume).toMatchObject({
      offset: (await readFile(path)).length,
      lines: 4,
      entries: 4,
      previous: { seq: 4, hash: entries[3]?.hash },
    });
  });

  it("verifies a missing journal as empty and reads it as no entries", async () => {
    const path = await journalPath();
    expect(await verifyJournal(path)).toEqual({
      ok: true,
      entries: 0,
      problems: [],
      resume: { offset: 0, lines: 0, entries: 0, starts: [], open: [] },
      commits: [],
      dirtyRuns: [],
      unfinished: [],
    });
    expect(await readJournal(path)).toEqual([]);
  });

  it("detects an edited field on its line", async () => {
    const path = await journalPath();
    await writeRun(path);
    await editLines(path, (lines) => lines.map((l, i) => (i === 2 ? l.replace('"failed"', '"applied"') : l)));
    const result = await verifyJournal(path);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      { line: 3, message: "entry seq 3 was edited: its content does not match its hash" },
    ]);
  });

  it("detects an edit whose hash was recomputed, at the next line", async () => {
    const path = await journalPath();
    await writeRun(path);
    await editLines(path, (lines) =>
      lines.map((l, i) => {
        if (i !== 1) return l;
        const parsed: unknown = JSON.parse(l);
        if (!isRecord(parsed)) throw new Error("not an object");
        const forged: Record<string, unknown> = { ...parsed, outcome: "failed" };
        delete forged["hash"];
        return JSON.stringify({ ...forged, hash: sha256Hex(canonicalJson(forged)) });
      }),
    );
    expect((await verifyJournal(path)).problems).toEqual([
      {
        line: 3,
        message: "prevHash is not the hash of line 2: an entry was removed, inserted or reordered here",
      },
    ]);
  });

  it("detects a deleted line", async () => {
    const path = await journalPath();
    await writeRun(path);
    await editLines(path, (lines) => lines.filter((_, i) => i !== 1));
    expect((await verifyJournal(path)).problems).toEqual([
      {
        line: 2,
        message:
          "seq 3 does not follow seq 1 and prevHash is not the hash of line 1: an entry was removed, inserted or reordered here",
      },
    ]);
  });

  it("detects a deleted first line", async () => {
    const path = await journalPath();
    await writeRun(path);
    await editLines(path, (lines) => lines.slice(1));
    const { problems } = await verifyJournal(path);
    expect(problems[0]).toEqual({
      line: 1,
      message:
        "the first entry has seq 2, expected seq 1 with a prevHash of 64 zeros: an entry was removed, inserted or reordered here",
    });
    expect(problems.map((p) => p.message)).toContain(
      "entry seq 2 refers to run 1, which has no apply-start before it",
    );
  });

  it("detects an inserted line", async () => {
    const path = await journalPath();
    await writeRun(path);
    await editLines(path, (lines) => [...lines.slice(0, 2), lines[1] ?? "", ...lines.slice(2)]);
    const result = await verifyJournal(path);
    expect(result.problems.map((p) => p.line)).toEqual([3]);
    expect(result.problems[0]?.message).toMatch(/seq 2 does not follow seq 2/);
  });

  it("detects two swapped lines", async () => {
    const path = await journalPath();
    await writeRun(path);
    await editLines(path, ([a = "", b = "", c = "", d = ""]) => [a, c, b, d]);
    const result = await verifyJournal(path);
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.line)).toEqual([2, 3, 4]);
    expect(result.problems[0]?.message).toBe(
      "seq 3 does not follow seq 1 and prevHash is not the hash of line 1: an entry was removed, inserted or reordered here",
    );
  });

  it("detects a truncated last line, refuses to append after it, and repairs the tail on request", async () => {
    const path = await journalPath();
    await writeRun(path);
    const text = await readFile(path, "utf8");
    await writeFile(path, text.slice(0, text.length - 40));
    expect((await verifyJournal(path)).problems).toEqual([{ line: 4, message: TORN_LINE_MESSAGE }]);
    await expect(appendJournalEntries(path, [start])).rejects.toThrow(JournalError);
    await expect(appendJournalEntries(path, [start])).rejects.toThrow(TORN_LINE_MESSAGE);
    await expect(readJournal(path)).rejects.toThrow(TORN_LINE_MESSAGE);
    expect((await repairJournalTail(path)).cut).toBeGreaterThan(0);
    expect(await readFile(`${path}.torn`, "utf8")).toMatch(/^\{"type":"apply-end"/);
    expect(await verifyJournal(path)).toMatchObject({ ok: true, entries: 3 });
    const [next] = await appendJournalEntries(path, [start]);
    expect(next?.seq).toBe(4);
    expect((await verifyJournal(path)).ok).toBe(true);
  });

  it("keeps a whole last entry that lost only its newline, and writes the newline", async () => {
    const path = await journalPath();
    await writeRun(path);
    const text = await readFile(path, "utf8");
    await writeFile(path, text.slice(0, -1)); // the crash came between the entry and its newline
    expect(await repairJournalTail(path)).toEqual({ cut: 0, completed: true });
    expect(await readFile(path, "utf8")).toBe(text);
    expect(await verifyJournal(path)).toMatchObject({ ok: true, entries: 4 });
  });

  it("detects entries removed from the end when the head was recorded", async () => {
    const path = await journalPath();
    const entries = await writeRun(path);
    const head = { seq: 4, hash: entries[3]?.hash ?? "" };
    await editLines(path, (lines) => lines.slice(0, 3));
    expect((await verifyJournal(path)).ok).toBe(true);
    const result = await verifyJournal(path, { expectedHead: head });
    expect(result.ok).toBe(false);
    expect(result.problems[0]?.message).toMatch(/entry seq 4 with the recorded hash is missing/);
  });

  it("refuses to append after a last entry that does not match its hash", async () => {
    const path = await journalPath();
    await writeRun(path);
    await editLines(path, (lines) =>
      lines.map((l, i) => (i === 3 ? l.replace('"applied":1', '"applied":2') : l)),
    );
    await expect(appendJournalEntries(path, [start])).rejects.toThrow(
      /does not match its hash; run `gatehouse journal verify`/,
    );
  });

  it("verifies a chunk at a time exactly as in one piece: swaps, edits, non-entries, a torn end", async () => {
    const path = await journalPath();
    await writeRun(path);
    const entries = await writeRun(path);
    await appendJournalEntries(path, [changeEntry(entries[0]?.seq ?? 0, "zoë-日本", "applied")]);
    await editLines(path, (lines) => {
      const [a = "", b = "", c = "", ...rest] = lines;
      return [
        a,
        c,
        b,
        "not json",
        ...rest.map((l, i) => (i === 2 ? l.replace('"applied":1', '"applied":3') : l)),
      ];
    });
    await writeFile(path, (await readFile(path, "utf8")) + '{"type":"apply-st');
    const whole = await verifyJournal(path, { expectedHead: { seq: 9, hash: "f".repeat(64) } });
    expect(whole.problems.length).toBeGreaterThan(4);
    expect(whole.problems.at(-2)?.message).toBe(TORN_LINE_MESSAGE);
    for (const chunkBytes of [1, 7, 64, 333])
      expect(
        await verifyJournal(path, { expectedHead: { seq: 9, hash: "f".repeat(64) }, chunkBytes }),
      ).toEqual(whole);
  });

  it("reports a line that is not an entry and reads it as an error with the line number", async () => {
    const path = await journalPath();
    await writeRun(path);
    await editLines(path, (lines) => lines.map((l, i) => (i === 1 ? '{"seq":2}' : l)));
    const result = await verifyJournal(path);
    expect(result.problems[0]).toEqual({
      line: 2,
      message: "not a journal entry: prevHash must be 64 hex digits",
    });
    await expect(readJournal(path)).rejects.toThrow(/journal\.jsonl:2: not a journal entry/);
  });
});

describe("a journal a newer gatehouse wrote", () => {
  /** The run, then an entry of a type this version does not know, sealed in the chain, then more. */
  async function withNewerEntry(path: string): Promise<void> {
    const run = await writeRun(path);
    const last = run.at(-1);
    if (!last) throw new Error("no run");
    const newer = { type: "policy-snapshot", at: "2026-03-01T09:00:03.000Z", note: "from a later version" };
    const sealed = { ...newer, seq: last.seq + 1, prevHash: last.hash };
    const line = { ...sealed, hash: sha256Hex(canonicalJson(sealed)) };
    // This version refuses to chain onto it, saying why.
    await writeFile(path, `${await readFile(path, "utf8")}${JSON.stringify(line)}\n`);
    await expect(appendJournalEntries(path, [start])).rejects.toThrow(
      /the last entry is an entry of a type this gatehouse does not know \("policy-snapshot"\)/,
    );
    const next = { ...start, at: "2026-03-01T10:00:00.000Z", seq: line.seq + 1, prevHash: line.hash };
    const nextLine = { ...next, hash: sha256Hex(canonicalJson(next)) };
    await writeFile(path, `${await readFile(path, "utf8")}${JSON.stringify(nextLine)}\n`);
  }

  it("is not called tampered with: the unknown entries keep their place in the chain, and verify says to upgrade", async () => {
    const path = await journalPath();
    await withNewerEntry(path);
    const result = await verifyJournal(path);
    expect(result.entries).toBe(6);
    expect(result.problems).toEqual([
      {
        line: 5,
        message: expect.stringContaining(
          '1 entries of a type this gatehouse does not know ("policy-snapshot"), from the first at this line: the journal was written by a newer version of gatehouse; upgrade gatehouse',
        ) as string,
      },
    ]);
    await expect(readJournal(path)).rejects.toThrow(
      /journal\.jsonl:5: an entry of a type this gatehouse does not know \("policy-snapshot"\): the journal was written by a newer version of gatehouse; upgrade gatehouse/,
    );
  });

  it("still finds an unknown entry edited, or a line removed after it", async () => {
    const path = await journalPath();
    await withNewerEntry(path);
    await editLines(path, (lines) =>
      lines.map((l, i) => (i === 4 ? l.replace("a later version", "elsewhere") : l)),
    );
    const edited = await verifyJournal(path);
    expect(edited.problems.map((p) => p.message)).toContainEqual(
      "entry seq 5 was edited: its content does not match its hash",
    );
  });
});

describe("journal concurrency", { tags: ["slow"] }, () => {
  it("keeps one valid chain when two processes append at the same time", async () => {
    const path = await journalPath();
    await Promise.all([runTs(APPENDER, [path, "one", "40"]), runTs(APPENDER, [path, "two", "40"])]);
    const result = await verifyJournal(path);
    expect(result).toMatchObject({ ok: true, entries: 80, problems: [] });
    const entries = await readJournal(path);
    const actors = entries.map((e) => (e.type === "apply-start" ? e.actor : ""));
    expect(actors.filter((a) => a === "one")).toHaveLength(40);
    expect(actors.filter((a) => a === "two")).toHaveLength(40);
  });
});
