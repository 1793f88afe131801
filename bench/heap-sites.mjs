#!/usr/bin/env node
// Where the heap that is live after a plan was allocated: runs the pipeline as `gatehouse plan` does (with
// the parse cache, validation streaming the documents into the model), with V8's sampling heap profiler on, and prints the allocation sites holding the most
// live memory when the plan is done (the model, the live state and the plan are all still reachable).
// With --all: every allocation made on the way instead, collected or not (what makes the collector work).
//   node bench/heap-sites.mjs [--dir bench/out/100k/org] [--top 30] [--all]
import { Session } from "node:inspector/promises";
import { parseArgs } from "node:util";
import { validateAccessTree } from "../dist/validate/validate-tree.js";
import { computeEffectiveMemberships } from "../dist/desired/effective.js";
import { computeDesiredState } from "../dist/desired/desired-state.js";
import { computePlan } from "../dist/plan/compute-plan.js";
import { createProvider } from "../dist/providers/registry.js";
import { providerPlanInput } from "../dist/engine/prepare-plan.js";

const { values: opt } = parseArgs({
  options: {
    dir: { type: "string", default: "bench/out/100k/org" },
    top: { type: "string", default: "30" },
    all: { type: "boolean", default: false },
  },
});
const session = new Session();
session.connect();
await session.post("HeapProfiler.startSampling", {
  samplingInterval: 32768,
  includeObjectsCollectedByMajorGC: opt.all,
  includeObjectsCollectedByMinorGC: opt.all,
});
const now = new Date();
const cwd = process.cwd();
const tree = await validateAccessTree(opt.dir, { cwd, now, cacheDir: ".gatehouse/cache" });
const { model } = tree;
const effective = computeEffectiveMemberships(model, now);
const config = model.config.providers[0];
const provider = await createProvider(config, { env: {}, cwd, now: () => now });
const desired = computeDesiredState(model, config, effective, { now, nativeNesting: false });
const live = await provider.read(AbortSignal.timeout(600_000));
const plan = computePlan({
  now,
  desiredDigest: tree.digest,
  providers: [providerPlanInput(config, provider, desired, live)],
});
const { profile } = await session.post("HeapProfiler.getSamplingProfile");
const bySite = new Map();
const visit = (node) => {
  const f = node.callFrame;
  const where = `${f.functionName || "(anon)"} ${f.url.replace(/^.*\/(dist|node_modules)\//, "$1/")}:${f.lineNumber + 1}`;
  bySite.set(where, (bySite.get(where) ?? 0) + node.selfSize);
  for (const child of node.children) visit(child);
};
visit(profile.head);
const total = [...bySite.values()].reduce((a, b) => a + b, 0);
process.stdout.write(
  `${opt.all ? "allocated in all" : "live after the plan"} (sampled): ${(total / 2 ** 20).toFixed(0)} MB; ${plan.summary.changes} changes\n`,
);
for (const [where, size] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, Number(opt.top)))
  process.stdout.write(`${(size / 2 ** 20).toFixed(1).padStart(7)} MB  ${where}\n`);
void [model, live, desired];
