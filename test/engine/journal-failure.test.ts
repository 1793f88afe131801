import { cp, mkdir, mkdtemp, readFile, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { closeProviders, preparePlan } from "../../src/engine/prepare-plan.ts";
import { runApply } from "../../src/engine/run-apply.ts";
import { JournalError, verifyJournal } from "../../src/audit/journal.ts";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

it("stops writing when the journal fails mid-run, and keeps every applied change on record beside it", async () => {
  const cwd = await mkdtemp(path.join(tmpdir(), "gh-journal-fail-"));
  dirs.push(cwd);
  await cp(new URL("../../access", import.meta.url), path.join(cwd, "access"), { recursive: true });
  const now = new Date("2026-11-25T12:00:00Z");
  const prepared = await preparePlan({ cwd, dir: "access", now, env: {} });
  const journalPath = path.join(cwd, ".gatehouse", "journal.jsonl");
  let batches = 0;
  try {
    const run = runApply(prepared.plan, prepared.tree.model.config.policy, prepared.providers, {
      journalPath,
      actor: "test",
      now: () => now,
      signal: AbortSignal.timeout(20_000),
      onResults: () => {
        // After the first write is journalled, the journal stops being writable (a folder takes its place).
        if (++batches === 2) {
          void rename(journalPath, `${journalPath}.moved`).then(() => mkdir(journalPath));
        }
      },
    });
    await expect(run).rejects.toBeInstanceOf(JournalError);
  } finally {
    await closeProviders(prepared.providers);
  }
  const journalled = (await readFile(`${journalPath}.moved`, "utf8"))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string });
  const aside = (await readFile(`${journalPath}.unrecorded.jsonl`, "utf8"))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; outcome?: string });
  // Nothing applied is missing: every change result is either in the journal or in the aside file.
  const recorded =
    journalled.filter((e) => e.type === "change").length + aside.filter((e) => e.type === "change").length;
  expect(recorded).toBe(prepared.plan.changes.length);
  expect(aside.at(-1)?.type).toBe("apply-end");
  // Writing stopped: the rest was skipped, not applied without a record.
  expect(aside.some((e) => e.outcome === "skipped")).toBe(true);

  // The journal is writable again: a plan already counts the set-aside changes as gatehouse's, and the
  // next apply records them in the journal, in order, before its own run; the chain stays whole.
  await rm(journalPath, { recursive: true });
  await rename(`${journalPath}.moved`, journalPath);
  const again = await preparePlan({ cwd, dir: "access", now, env: {} });
  const managedAdds = aside.filter((e) => e.type === "change" && e.outcome === "applied").length;
  expect(managedAdds).toBeGreaterThan(0);
  const { foldJournal } = await import("../../src/audit/journal-fold.ts");
  const withAside = await foldJournal(journalPath);
  const setAsideAdd = (
    aside as { type: string; outcome?: string; change?: { id: string; action: string } }[]
  ).find((e) => e.outcome === "applied" && (e.change?.action === "add" || e.change?.action === "create"));
  expect(withAside.managed.has(setAsideAdd?.change?.id ?? "")).toBe(true);
  try {
    await runApply(again.plan, again.tree.model.config.policy, again.providers, {
      journalPath,
      actor: "test",
      now: () => now,
      signal: AbortSignal.timeout(20_000),
    });
  } finally {
    await closeProviders(again.providers);
  }
  const lines = (await readFile(journalPath, "utf8"))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string });
  expect(lines.filter((e) => e.type === "change").length).toBeGreaterThanOrEqual(
    prepared.plan.changes.length,
  );
  await expect(readFile(`${journalPath}.unrecorded.jsonl`, "utf8")).rejects.toThrow(/ENOENT/);
  expect((await verifyJournal(journalPath)).ok).toBe(true);
  expect((await preparePlan({ cwd, dir: "access", now, env: {} })).plan.changes).toEqual([]);
});
