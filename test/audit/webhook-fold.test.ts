/**
 * The journal fold's webhook deliveries still owed: rejected and failed ones kept until one is delivered
 * or a delivery-closed entry closes it, also on resume.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { appendJournalEntries, type NewJournalEntry } from "../../src/audit/journal.ts";
import { foldJournal } from "../../src/audit/journal-fold.ts";
import { verifyJournal } from "../../src/audit/verify-journal.ts";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function delivery(
  webhook: string,
  outcome: "delivered" | "rejected" | "failed",
  retryOf?: number,
): NewJournalEntry {
  return {
    type: "webhook-delivered",
    at: "2026-03-01T09:00:05.000Z",
    runSeq: 1,
    triggeredAt: "2026-03-01T09:00:00.000Z",
    webhook,
    userId: "bob",
    delivery: `d-${webhook}`,
    outcome,
    attempts: 1,
    status: outcome === "delivered" ? 200 : 400,
    ...(outcome === "delivered" ? {} : { body: '{"event":"user.offboarded"}' }),
    ...(retryOf === undefined ? {} : { retryOf }),
  };
}

describe("JournalFold.undelivered", () => {
  it("keeps a failed delivery until one of that webhook and person is delivered, from the journal and its cache", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gatehouse-hookfold-"));
    dirs.push(dir);
    const journal = join(dir, "journal.jsonl");
    const cache = join(dir, "cache");
    await appendJournalEntries(journal, [delivery("hr", "failed"), delivery("tickets", "failed")]);
    await appendJournalEntries(journal, [delivery("tickets", "delivered", 2)]);
    const fold = await foldJournal(journal, cache);
    expect([...fold.undelivered.values()].map((u) => [u.seq, u.webhook, u.body])).toEqual([
      [1, "hr", '{"event":"user.offboarded"}'],
    ]);
    expect((await foldJournal(journal)).undelivered).toEqual(fold.undelivered);

    // The cache keeps them, and a resume reads them from it (not from the journal).
    const [name] = (await readdir(cache)).filter((n) => n.startsWith("journal-"));
    const file = join(cache, name ?? "");
    const cached = JSON.parse(await readFile(file, "utf8")) as { undelivered: unknown[] };
    expect(cached.undelivered).toHaveLength(1);
    expect([...(await foldJournal(journal, cache)).undelivered.keys()]).toEqual(["hr\nbob"]);
    await writeFile(file, JSON.stringify({ ...cached, undelivered: [] }));
    expect((await foldJournal(journal, cache)).undelivered.size).toBe(0);
    // A cached entry that is no delivery makes the cache unusable: the journal is read in full.
    await writeFile(file, JSON.stringify({ ...cached, undelivered: [{ type: "drill" }] }));
    expect([...(await foldJournal(journal, cache)).undelivered.keys()]).toEqual(["hr\nbob"]);

    await appendJournalEntries(journal, [delivery("hr", "delivered", 1)]);
    expect((await foldJournal(journal, cache)).undelivered.size).toBe(0);
  });

  it("keeps a rejected delivery owed, and drops one a delivery-closed entry names, by its latest entry only", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gatehouse-hookfold-"));
    dirs.push(dir);
    const journal = join(dir, "journal.jsonl");
    const cache = join(dir, "cache");
    const close = (webhook: string, closes: number): NewJournalEntry => ({
      type: "delivery-closed",
      at: "2026-03-02T10:00:00.000Z",
      actor: "github:sec-oncall",
      webhook,
      userId: "bob",
      delivery: `d-${webhook}`,
      closes,
      reason: "INC-9: told the ticket system by hand",
    });
    // 1, 2: rejected; 3: hr rejected again (sent again by a later run): the owed entry of hr is 3 now.
    await appendJournalEntries(journal, [
      delivery("hr", "rejected"),
      delivery("tickets", "rejected"),
      delivery("hr", "rejected", 1),
    ]);
    const before = await foldJournal(journal, cache);
    expect([...before.undelivered.values()].map((u) => [u.seq, u.webhook, u.outcome])).toEqual([
      [3, "hr", "rejected"],
      [2, "tickets", "rejected"],
    ]);
    // A closure naming an entry that is no longer the owed one (hr's 1) closes nothing; tickets' closes.
    await appendJournalEntries(journal, [close("hr", 1), close("tickets", 2)]);
    const after = await foldJournal(journal, cache);
    expect([...after.undelivered.keys()]).toEqual(["hr\nbob"]);
    expect((await foldJournal(journal)).undelivered).toEqual(after.undelivered);
    await appendJournalEntries(journal, [close("hr", 3)]);
    expect((await foldJournal(journal, cache)).undelivered.size).toBe(0);
    expect((await foldJournal(journal)).undelivered.size).toBe(0);
    // The entries name a run this journal has no apply-start of; a closure names none, and is fine.
    const verified = await verifyJournal(journal);
    expect(verified.problems.filter((p) => !p.message.includes("refers to run 1"))).toEqual([]);
  });

  it("is a verify problem when a delivery-closed entry names no entry before it, or has no reason", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gatehouse-hookfold-"));
    dirs.push(dir);
    const journal = join(dir, "journal.jsonl");
    await appendJournalEntries(journal, [
      delivery("hr", "rejected"),
      {
        type: "delivery-closed",
        at: "2026-03-02T10:00:00.000Z",
        actor: "ann",
        webhook: "hr",
        userId: "bob",
        delivery: "d-hr",
        closes: 2,
        reason: "x",
      },
    ]);
    const verified = await verifyJournal(journal);
    expect(verified.problems.map((p) => p.message)).toEqual([
      "entry seq 1 refers to run 1, which has no apply-start before it",
      "entry seq 2 says it closes entry 2, which is not before it",
    ]);
    const text = await readFile(journal, "utf8");
    await writeFile(journal, text.replace('"reason":"x"', '"reason":" "'));
    expect((await verifyJournal(journal)).problems.map((p) => p.message)).toContain(
      "not a journal entry: delivery-closed needs a reason",
    );
  });
});
