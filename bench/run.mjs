#!/usr/bin/env node
// The benchmark behind `npm run bench`: generates an organization if needed, then
//  1. runs load / validate / model / read / plan phase by phase (bench/phases.mjs, no cache),
//  2. runs `gatehouse plan` end to end: cold (empty cache), warm with nothing changed (the plan memo shows
//     the last plan again), the same with --fresh (computed anew: what a run after drift costs), and
//     after editing two files, printing wall time, peak RSS and the number of changes.
//  3. with --import: a first import, `plan` and `apply --yes` against an empty local directory, then plan,
//     apply and plan again, printing wall time, peak RSS and the size of the journal.
//   node bench/run.mjs [--users 100000] [--skip-phases] [--import]
import { execFileSync, spawnSync } from "node:child_process";
import {
  appendFileSync,
  cpSync,
  existsSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { cpus, totalmem } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

const { values: opt } = parseArgs({
  options: {
    users: { type: "string", default: "100000" },
    "skip-phases": { type: "boolean", default: false },
    import: { type: "boolean", default: false },
  },
});
const users = Number(opt.users);
const out = path.resolve("bench/out", `${users / 1000}k`);
const org = path.join(out, "org");
const summaryFile = path.join(out, "org.json");
const haveOrg = existsSync(summaryFile) && JSON.parse(readFileSync(summaryFile, "utf8")).users === users;
if (!haveOrg) {
  process.stderr.write(`generating ${users} users into ${out} ...\n`);
  execFileSync(process.execPath, ["bench/generate.mjs", "--users", String(users), "--out", out], {
    stdio: "inherit",
  });
}
const org0 = JSON.parse(readFileSync(summaryFile, "utf8"));
const cpu = cpus()[0]?.model ?? "unknown CPU";
process.stdout.write(
  `machine: ${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}\n` +
    `organization: ${org0.users} users, ${org0.groups} groups, ${org0.roles} roles, ${org0.files} files, ` +
    `${(org0.yamlBytes / 1e6).toFixed(1)} MB YAML, ${org0.effectiveMemberships} effective memberships ` +
    `(${org0.fromRoles} from roles)\n\n`,
);

if (!opt["skip-phases"]) {
  const r = spawnSync(process.execPath, ["bench/phases.mjs", "--dir", org], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  const p = JSON.parse(r.stdout);
  process.stdout.write(
    `phases (one process, no cache): ${Object.entries(p.ms)
      .map(([k, v]) => `${k} ${(v / 1000).toFixed(2)} s`)
      .join(", ")}; ` +
      `total ${(p.totalMs / 1000).toFixed(2)} s; peak RSS ${p.peakRssMb} MB; ${p.changes} changes ` +
      `${JSON.stringify(p.byAction)}; ${p.readCalls} read call(s), ${p.writes} write(s); ` +
      `${p.errors} errors, ${p.warnings} warnings\n\n`,
  );
}

const usageFile = path.join(out, "usage.json");
function plan(label, nodeOptions = [], args = []) {
  const started = process.hrtime.bigint();
  const r = spawnSync(
    process.execPath,
    [
      ...nodeOptions,
      "--import",
      path.resolve("bench/rss.mjs"),
      path.resolve("dist/cli/main.js"),
      "plan",
      "--dir",
      "org",
      "--format",
      "json",
      ...args,
    ],
    {
      cwd: out,
      encoding: "utf8",
      maxBuffer: 1 << 30,
      env: { ...process.env, BENCH_USAGE_FILE: usageFile, GATEHOUSE_QUIET: "1" },
    },
  );
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`plan failed (${r.status}): ${r.stderr.slice(0, 2000)}`);
  const planJson = JSON.parse(r.stdout);
  const usage = JSON.parse(readFileSync(usageFile, "utf8"));
  const provider = planJson.providers[0];
  process.stdout.write(
    `gatehouse plan, ${label.padEnd(22)} ${wall.toFixed(2)} s wall, ${(usage.userMs / 1000 + usage.systemMs / 1000).toFixed(2)} s CPU, ` +
      `peak RSS ${Math.round(usage.maxRssKb / 1024)} MB, ${planJson.summary.changes} changes, ` +
      `${provider.readCalls} read call(s)\n`,
  );
}
// gatehouse trusts a file's times only once they are 2 s old (a file written within the same tick as a
// read may still be changing): right after the generator wrote the organization, wait that out, or the
// cold run keeps no plan memo and the "nothing changed" run below computes its plan anew.
const changedAt = (file) => {
  const { mtimeMs, ctimeMs } = statSync(file);
  return Math.max(mtimeMs, ctimeMs);
};
const newest = Math.max(
  changedAt(path.join(out, "directory.json")),
  ...["users", "groups", "roles"].flatMap((sub) =>
    readdirSync(path.join(org, sub)).map((name) => changedAt(path.join(org, sub, name))),
  ),
);
const settleMs = newest + 2500 - Date.now();
if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
rmSync(path.join(out, ".gatehouse", "cache"), { recursive: true, force: true });
plan("cold (no cache):");
// Nothing changed: the plan memo shows the last plan again (see README, Performance).
plan("warm (nothing changed):");
// The same, computed anew: what a run whose live state changed (drift) costs.
plan("warm, --fresh:", [], ["--fresh"]);
const groupsDir = path.join(org, "groups");
for (const name of readdirSync(groupsDir).sort().slice(0, 2))
  appendFileSync(path.join(groupsDir, name), `# edited by bench/run.mjs at ${new Date().toISOString()}\n`);
plan("warm (2 files edited):");
// Most of the rest is garbage collection of short-lived objects: a larger young generation helps.
plan("warm, semi-space 64 MB:", ["--max-semi-space-size=64"], ["--fresh"]);

if (opt.import) {
  // A copy of the organization whose local directory does not exist yet: everything is to be created.
  const importDir = path.join(out, "import");
  rmSync(importDir, { recursive: true, force: true });
  cpSync(org, path.join(importDir, "org"), { recursive: true });
  const config = path.join(importDir, "org", "gatehouse.yaml");
  writeFileSync(
    config,
    readFileSync(config, "utf8").replace(
      /^( +path: ).*$/m,
      `$1${JSON.stringify(path.join(importDir, "directory.json"))}`,
    ),
  );
  // Then the runs after it: the first plan and apply read what the import wrote to the journal once;
  // the last plan is the steady state of an organization that imported through gatehouse.
  for (const [label, ...command] of [
    ["first import,", "plan", "--format", "json"],
    ["first import,", "apply", "--yes"],
    ["after import,", "plan", "--format", "json"],
    ["after import,", "apply", "--yes"],
    ["after import,", "plan", "--format", "json"],
  ]) {
    const started = process.hrtime.bigint();
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        path.resolve("bench/rss.mjs"),
        path.resolve("dist/cli/main.js"),
        command[0],
        "--dir",
        "org",
        ...command.slice(1),
      ],
      {
        cwd: importDir,
        stdio: ["ignore", "ignore", "pipe"],
        encoding: "utf8",
        env: { ...process.env, BENCH_USAGE_FILE: usageFile, GATEHOUSE_QUIET: "1" },
      },
    );
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    if (r.status !== 0) throw new Error(`${command[0]} failed (${r.status}): ${r.stderr.slice(0, 2000)}`);
    const usage = JSON.parse(readFileSync(usageFile, "utf8"));
    const journal = path.join(importDir, ".gatehouse", "journal.jsonl");
    process.stdout.write(
      `${label} gatehouse ${command[0].padEnd(5)} ${wall.toFixed(2)} s wall, ${(usage.userMs / 1000 + usage.systemMs / 1000).toFixed(2)} s CPU, ` +
        `peak RSS ${Math.round(usage.maxRssKb / 1024)} MB` +
        (existsSync(journal) ? `, journal ${(statSync(journal).size / 1e6).toFixed(0)} MB` : "") +
        "\n",
    );
  }
}
