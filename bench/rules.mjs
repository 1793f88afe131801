#!/usr/bin/env node
// Times buildAccessModel and each semantic rule (separation-of-duties left out: it is dominated by
// computeEffectiveMemberships) on the built code in dist/, in CPU milliseconds of this process, and
// prints one JSON line. The first round is what one `gatehouse` run pays (nothing hashed or compiled
// yet); later rounds show warm costs. Run it under `node --single-threaded` to count garbage
// collection in the phase that causes it.
//   node --single-threaded bench/rules.mjs [--dir bench/out/org] [--cache .gatehouse/cache] [--rounds 1]
import { parseArgs } from "node:util";
import { loadAccessTree } from "../dist/load/load-tree.js";
import { buildAccessModel } from "../dist/load/build-model.js";
import { RULES } from "../dist/validate/rules/index.js";

const { values: opt } = parseArgs({
  options: {
    dir: { type: "string", default: "bench/out/org" },
    cache: { type: "string" },
    rounds: { type: "string", default: "1" },
  },
});
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const now = new Date();
const loaded = await loadAccessTree(opt.dir, {
  cwd: process.cwd(),
  ...(opt.cache === undefined ? {} : { cacheDir: opt.cache }),
});
const rounds = [];
let diagnostics = 0;
for (let round = 0; round < Number(opt.rounds); round++) {
  const ms = {};
  let t = cpuMs();
  const built = buildAccessModel(loaded.documents);
  ms.buildAccessModel = Math.round(cpuMs() - t);
  diagnostics = built.diagnostics.length;
  for (const rule of RULES) {
    if (rule.name === "separation-of-duties") continue;
    t = cpuMs();
    diagnostics += rule.check({ model: built.model, definitions: built.definitions, now }).length;
    ms[rule.name] = Math.round(cpuMs() - t);
  }
  ms.total = Object.values(ms).reduce((a, b) => a + b, 0);
  rounds.push(ms);
}
process.stdout.write(
  JSON.stringify({ rounds, diagnostics, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }) +
    "\n",
);
