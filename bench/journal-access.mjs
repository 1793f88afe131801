#!/usr/bin/env node
// What `journal access` costs after a mass rename in place (an e-mail domain change on a SCIM app): builds a
// journal where N accounts each join K of G groups, then every account is renamed, then each is added back
// to one group as drift, and times accessAt for an instant before the renames and one after. Then a group
// "daily" changes once a day for --days days (one account leaves it, another joins; renamed every 100 days),
// and accessDuring is timed over those days: the window query.
//   npm run build && node bench/journal-access.mjs [--accounts 40000] [--groups 4000] [--per 10] [--days 365]
import { mkdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { appendJournalEntries } from "../dist/audit/journal.js";
import { accessAt } from "../dist/audit/access-at.js";
import { accessDuring } from "../dist/audit/access-during.js";

const { values: opt } = parseArgs({
  options: {
    accounts: { type: "string", default: "40000" },
    groups: { type: "string", default: "4000" },
    per: { type: "string", default: "10" },
    days: { type: "string", default: "365" },
  },
});
const [accounts, groups, per, days] = [opt.accounts, opt.groups, opt.per, opt.days].map(Number);
const dir = path.resolve("bench/out/journal-access");
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const journal = path.join(dir, "journal.jsonl");
const provider = "app";

const change = (at, runSeq, id, body) => ({
  type: "change",
  at,
  runSeq,
  provider,
  changeId: id,
  outcome: "applied",
  change: { id, provider, risk: "neutral", ...body },
});
const add = (at, runSeq, group, member, reason) =>
  change(at, runSeq, `${provider}:membership/${group}/${member}`, {
    reason,
    kind: "membership",
    action: "add",
    group,
    member,
    memberKind: "user",
  });
const rename = (at, runSeq, from, to) =>
  change(at, runSeq, `${provider}:user/${from}`, {
    reason: "added-in-config",
    kind: "user",
    action: "update",
    account: from,
    fields: [{ field: "account", before: from, after: to }],
    after: {},
  });

const remove = (at, runSeq, group, member) =>
  change(at, runSeq, `${provider}:membership/${group}/${member}`, {
    reason: "removed-from-config",
    kind: "membership",
    action: "remove",
    group,
    member,
    memberKind: "user",
  });
const renameGroup = (at, runSeq, from, to) =>
  change(at, runSeq, `${provider}:group/${from}`, {
    reason: "added-in-config",
    kind: "group",
    action: "update",
    group: from,
    fields: [{ field: "name", before: from, after: to }],
    after: {},
  });

let batch = [];
const push = async (entry) => {
  batch.push(entry);
  if (batch.length >= 20_000) await flush();
};
const flush = async () => {
  if (batch.length > 0) await appendJournalEntries(journal, batch);
  batch = [];
};
for (let i = 0; i < accounts; i++)
  for (let j = 0; j < per; j++)
    await push(
      add("2026-01-01T00:00:00.000Z", 1, `g${(i * 7 + j * 13) % groups}`, `old${i}`, "added-in-config"),
    );
for (let i = 0; i < accounts; i++) await push(rename("2026-03-01T00:00:00.000Z", 2, `old${i}`, `new${i}`));
for (let i = 0; i < accounts; i++)
  await push(add("2026-04-01T00:00:00.000Z", 3, `g${(i * 7) % groups}`, `new${i}`, "drift"));
// The daily group's changes from 2026-06-01: new{d} joins, new{d - 1} leaves; renamed every 100 days.
const day = (d) => new Date(Date.parse("2026-06-01T09:00:00.000Z") + d * 86_400_000).toISOString();
let daily = "daily";
for (let d = 0; d < days; d++) {
  const runSeq = 4 + d;
  await push(add(day(d), runSeq, daily, `new${d}`, "added-in-config"));
  if (d > 0) await push(remove(day(d), runSeq, daily, `new${d - 1}`));
  if (d % 100 === 99) {
    await push(renameGroup(day(d), runSeq, daily, `daily-${d}`));
    daily = `daily-${d}`;
  }
}
await flush();

const entries = accounts * (per + 2) + 2 * days;
process.stdout.write(
  `journal: ${String(entries)} entries (${String(accounts)} accounts in ${String(per)} of ${String(groups)} groups, ` +
    `all renamed, each re-added once as drift), ${(statSync(journal).size / 1e6).toFixed(0)} MB\n`,
);
for (const [label, at] of [
  ["before the renames", "2026-02-01T00:00:00Z"],
  ["after them", "2026-05-01T00:00:00Z"],
]) {
  const started = performance.now();
  const answer = await accessAt(journal, { group: "g0", at: new Date(at) });
  const members = answer.groups[0]?.members ?? [];
  process.stdout.write(
    `journal access g0, ${label.padEnd(18)} ${((performance.now() - started) / 1000).toFixed(2)} s, ` +
      `${String(members.length)} members, ${String(members.filter((m) => m.foundMissingAt).length)} found missing later\n`,
  );
}
{
  const cpu = process.cpuUsage();
  const started = performance.now();
  const answer = await accessDuring(journal, {
    group: daily,
    since: new Date("2026-05-31T00:00:00Z"),
    until: new Date(Date.parse(day(days))),
  });
  const used = process.cpuUsage(cpu);
  const group = answer.groups[0];
  process.stdout.write(
    `journal access ${daily} over ${String(days)} days of daily changes: ` +
      `${((performance.now() - started) / 1000).toFixed(2)} s (CPU ${((used.user + used.system) / 1e6).toFixed(2)} s), ` +
      `${String(group?.members.length ?? 0)} stretches, ${String(group?.names.length ?? 0)} names\n`,
  );
}
process.stdout.write(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB\n`);
rmSync(dir, { recursive: true, force: true });
