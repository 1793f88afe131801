#!/usr/bin/env node
// What the apply journal costs a plan: builds a journal of N applies of the benchmark's plan (every change
// journaled as applied), then times reading it the old way (every entry into memory) against the fold,
// without and with its cache, and after one more apply (the fold resumes).
//   node bench/journal.mjs [--users 100000] [--applies 10]
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { appendJournalEntries, readJournal } from "../dist/audit/journal.js";
import { foldJournal } from "../dist/audit/journal-fold.js";

const { values: opt } = parseArgs({
  options: { users: { type: "string", default: "100000" }, applies: { type: "string", default: "10" } },
});
const out = path.resolve("bench/out", `${Number(opt.users) / 1000}k`);
if (!existsSync(path.join(out, "org.json")))
  throw new Error(`run "node bench/run.mjs --users ${opt.users}" first`);
const planJson = execFileSync(
  process.execPath,
  [path.resolve("dist/cli/main.js"), "plan", "--dir", "org", "--format", "json"],
  { cwd: out, encoding: "utf8", maxBuffer: 1 << 30, env: { ...process.env, GATEHOUSE_QUIET: "1" } },
);
const { changes } = JSON.parse(planJson);
const dir = path.join(out, "journal-bench");
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const journal = path.join(dir, "journal.jsonl");
const cache = path.join(dir, "cache");
const apply = async (run) =>
  appendJournalEntries(
    journal,
    changes.map((change) => ({
      type: "change",
      at: new Date().toISOString(),
      runSeq: run,
      provider: change.provider,
      changeId: change.id,
      change,
      outcome: "applied",
    })),
  );
const applies = Number(opt.applies);
for (let run = 1; run <= applies; run++) await apply(run);
const time = async (label, fn) => {
  const started = performance.now();
  const result = await fn();
  process.stdout.write(`${label.padEnd(44)} ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
  return result;
};
const mb = (statSync(journal).size / 1e6).toFixed(0);
process.stdout.write(`journal: ${applies} applies of ${changes.length} changes, ${mb} MB\n`);
await time("every entry into memory (before)", async () => (await readJournal(journal)).length);
await time("fold, no cache", () => foldJournal(journal));
await time("fold, writing its cache", () => foldJournal(journal, cache));
await time("fold, cache current", () => foldJournal(journal, cache));
await apply(applies + 1);
await time("fold, cache, after one more apply", () => foldJournal(journal, cache));
process.stdout.write(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB\n`);
rmSync(dir, { recursive: true, force: true });
