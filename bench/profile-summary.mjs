#!/usr/bin/env node
// Summarizes a .cpuprofile: self time per function (top N) and total time per source file.
//   node bench/profile-summary.mjs <file.cpuprofile> [N]
import { readFileSync } from "node:fs";
const [file, n = "30"] = process.argv.slice(2);
const prof = JSON.parse(readFileSync(file, "utf8"));
const dt = new Map();
prof.samples.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const self = new Map();
const byFile = new Map();
for (const node of prof.nodes) {
  const us = dt.get(node.id) ?? 0;
  const cf = node.callFrame;
  const where = cf.url.replace(/^.*\/(node_modules|dist|bench)\//, "$1/");
  const key = `${cf.functionName || "(anon)"} ${where}:${cf.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + us);
  const f = where.replace(/^node_modules\/([^/]+)\/.*$/, "node_modules/$1") || "(native)";
  byFile.set(f, (byFile.get(f) ?? 0) + us);
}
const top = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(n));
console.log("self time by function (ms):");
for (const [k, v] of top(self)) console.log(`${(v / 1000).toFixed(0).padStart(7)}  ${k}`);
console.log("\nself time by file (ms):");
for (const [k, v] of top(byFile)) console.log(`${(v / 1000).toFixed(0).padStart(7)}  ${k}`);

// Inclusive time of the pipeline's main functions (children included, recursion counted once).
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inclusive = new Map();
for (const [id, us] of dt) {
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const name = byId.get(cur).callFrame.functionName;
    if (!name || seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + us);
  }
}
const MAIN = [
  "loadAccessTree",
  "buildAccessModel",
  "validateAccessTree",
  "computeEffectiveMemberships",
  "computeDesiredState",
  "read",
  "loadDirectory",
  "toLiveState",
  "liveDigestOf",
  "computePlan",
  "planUsers",
  "planGroups",
  "sortChanges",
  "renderJson",
  "readJournal",
  "describeAccessCommit",
  "check",
];
console.log("\ninclusive time (ms):");
for (const name of MAIN)
  if (inclusive.has(name)) console.log(`${(inclusive.get(name) / 1000).toFixed(0).padStart(7)}  ${name}`);
