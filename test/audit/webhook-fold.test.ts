/** The journal fold's webhook deliveries still owed: failed ones kept until one is delivered, also on resume. */
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { appendJournalEntries, type NewJournalEntry } from "../../src/audit/journal.ts";
import { foldJournal } from "../../src/audit/journal-fold.ts";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function delivery(webhook: string, outcome: "delivered" | "failed", retryOf?: number): NewJournalEntry {
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
    ...(outcome === "failed" ? { body: '{"event":"user.offboarded"}' } : {}),
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
});
