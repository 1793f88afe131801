import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, expect, it } from "vitest";
import { closeProviders, preparePlan } from "../../src/engine/prepare-plan.ts";
import { runApply } from "../../src/engine/run-apply.ts";
import { verifyJournal } from "../../src/audit/journal.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

interface Line {
  type: string;
  changeIds?: string[];
  narrowingIds?: string[];
  changeId?: string;
  outcome?: string;
}

it("journals a write of a whole phase of many thousand changes in bounded entries, and finishes the run", async () => {
  const cwd = await mkdtemp(path.join(tmpdir(), "gh-large-apply-"));
  dirs.push(cwd);
  // A generated organization of 1,000 people (17k memberships), imported into an empty local directory:
  // the local directory writes each phase at once, so one write carries every membership.
  execFileSync(process.execPath, ["bench/generate.mjs", "--users", "1000", "--out", cwd], { cwd: ROOT });
  await rm(path.join(cwd, "directory.json"));
  const now = new Date("2026-11-26T12:00:00Z");
  const prepared = await preparePlan({ cwd, dir: "org", now, env: {}, cacheDir: false });
  const adds = prepared.plan.changes.filter((c) => c.kind === "membership").length;
  expect(adds).toBeGreaterThan(15_000);
  const journalPath = path.join(cwd, ".gatehouse", "journal.jsonl");
  try {
    const result = await runApply(prepared.plan, prepared.tree.model.config.policy, prepared.providers, {
      journalPath,
      actor: "test",
      now: () => now,
      signal: AbortSignal.timeout(60_000),
    });
    expect(result.applied).toBe(prepared.plan.changes.length);
  } finally {
    await closeProviders(prepared.providers);
  }
  const lines = (await readFile(journalPath, "utf8"))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Line);
  const intents = lines.filter((l) => l.type === "intent");
  // No intent names more than 10,000 addresses, and together they name every change before its outcome.
  for (const intent of intents)
    expect((intent.changeIds?.length ?? 0) + (intent.narrowingIds?.length ?? 0)).toBeLessThanOrEqual(10_000);
  expect(intents.length).toBeGreaterThanOrEqual(3);
  const announced = new Set(intents.flatMap((i) => [...(i.changeIds ?? []), ...(i.narrowingIds ?? [])]));
  const outcomes = lines.filter((l) => l.type === "change");
  expect(outcomes).toHaveLength(prepared.plan.changes.length);
  expect(outcomes.every((l) => l.outcome === "applied" && announced.has(l.changeId ?? ""))).toBe(true);
  expect(lines.at(-1)?.type).toBe("apply-end");
  const verified = await verifyJournal(journalPath);
  expect(verified.ok).toBe(true);
  expect(verified.unfinished).toEqual([]);

  // The directory now matches the files.
  const again = await preparePlan({ cwd, dir: "org", now, env: {}, cacheDir: false });
  await closeProviders(again.providers);
  expect(again.plan.changes).toEqual([]);
});
