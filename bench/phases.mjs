#!/usr/bin/env node
// Runs the pipeline phase by phase in this process, on the built code in dist/, and prints one JSON
// line: wall time per phase (ms), peak RSS (MB) and the plan's counts.
//   node bench/phases.mjs [--dir bench/out/org]
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { loadAccessTree } from "../dist/load/load-tree.js";
import { buildAccessModel } from "../dist/load/build-model.js";
import { RULES } from "../dist/validate/rules/index.js";
import { sortDiagnostics } from "../dist/model/diagnostic.js";
import { computeEffectiveMemberships } from "../dist/desired/effective.js";
import { computeDesiredState } from "../dist/desired/desired-state.js";
import { computePlan } from "../dist/plan/compute-plan.js";
import { createProvider } from "../dist/providers/registry.js";
import { providerPlanInput } from "../dist/engine/prepare-plan.js";

const { values: opt } = parseArgs({ options: { dir: { type: "string", default: "bench/out/org" } } });
const now = new Date();
const cwd = process.cwd();
const ms = {};
let t = performance.now();
const lap = (name) => {
  const n = performance.now();
  ms[name] = Math.round(n - t);
  t = n;
};

const loaded = await loadAccessTree(opt.dir, { cwd });
lap("load");
const built = buildAccessModel(loaded.documents);
const diagnostics = [...loaded.diagnostics, ...built.diagnostics];
for (const rule of RULES)
  diagnostics.push(...rule.check({ model: built.model, definitions: built.definitions, now }));
const sorted = sortDiagnostics(diagnostics);
lap("validate");
const errors = sorted.filter((d) => d.severity === "error");
if (errors.length > 0) {
  for (const d of errors.slice(0, 5))
    process.stderr.write(`${d.file}:${d.line}:${d.column} ${d.code} ${d.message}\n`);
}
const model = built.model;
const effective = computeEffectiveMemberships(model, now);
let effectiveCount = 0;
for (const g of effective.values()) effectiveCount += g.members.size;
const config = model.config.providers[0];
const context = { env: {}, cwd, now: () => now };
const provider = await createProvider(config, context);
const desired = computeDesiredState(model, config, effective, {
  now,
  nativeNesting: config.nesting && provider.capabilities.nesting,
});
lap("model");
const live = await provider.read(AbortSignal.timeout(600_000));
lap("read");
const plan = computePlan({
  now,
  desiredDigest: loaded.digest,
  providers: [providerPlanInput(config, provider, desired, live)],
});
lap("plan");
const stats = provider.stats();
process.stdout.write(
  JSON.stringify({
    ms,
    totalMs: Object.values(ms).reduce((a, b) => a + b, 0),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    files: loaded.fileCount,
    users: model.users.size,
    groups: model.groups.size,
    roles: model.roles.size,
    effectiveMemberships: effectiveCount,
    errors: errors.length,
    warnings: sorted.length - errors.length,
    changes: plan.summary.changes,
    byAction: plan.summary.byAction,
    readCalls: stats.reads,
    writes: stats.writes,
  }) + "\n",
);
