#!/usr/bin/env node
// Times the live side of a plan on the built code in dist/: the local provider's read() and the live
// digest the plan records, and prints one JSON line (wall and CPU ms per step, memory in MB).
//   node [--expose-gc] bench/live-read.mjs [--file bench/out/100k/directory.json] [--nesting] [--repeat 1]
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { createProvider } from "../dist/providers/registry.js";
import { liveDigestOf } from "../dist/engine/live-digest.js";

const { values: opt } = parseArgs({
  options: {
    file: { type: "string", default: "bench/out/100k/directory.json" },
    nesting: { type: "boolean", default: false },
    repeat: { type: "string", default: "1" },
  },
});
const mb = (bytes) => Math.round(bytes / 1024 / 1024);
const config = {
  name: "directory",
  type: "local",
  mode: "authoritative",
  nesting: opt.nesting,
  settings: { path: opt.file },
  source: { file: "bench", line: 1, column: 1 },
};
const provider = await createProvider(config, { env: {}, cwd: process.cwd(), now: () => new Date() });

/** Runs `step`, returning its result with the wall and CPU time it took. */
async function timed(step) {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  const result = await step();
  const used = process.cpuUsage(cpu);
  return {
    result,
    wallMs: Math.round(performance.now() - wall),
    cpuMs: Math.round((used.user + used.system) / 1000),
  };
}

for (let i = 0; i < Number(opt.repeat); i++) {
  const read = await timed(() => provider.read(AbortSignal.timeout(600_000)));
  const afterRead = process.memoryUsage();
  const digest = await timed(() => liveDigestOf(read.result, provider));
  const live = read.result;
  // With --expose-gc: what the live state keeps on the heap, garbage collected first.
  globalThis.gc?.();
  const retained = globalThis.gc ? mb(process.memoryUsage().heapUsed) : undefined;
  let members = 0;
  for (const g of live.groups) members += g.members.length;
  process.stdout.write(
    JSON.stringify({
      readMs: read.wallMs,
      readCpuMs: read.cpuMs,
      digestMs: digest.wallMs,
      digestCpuMs: digest.cpuMs,
      totalMs: read.wallMs + digest.wallMs,
      totalCpuMs: read.cpuMs + digest.cpuMs,
      heapAfterReadMb: mb(afterRead.heapUsed),
      externalAfterReadMb: mb(afterRead.external + afterRead.arrayBuffers),
      rssAfterReadMb: mb(afterRead.rss),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      retainedHeapMb: retained,
      users: live.users.length,
      groups: live.groups.length,
      members,
      digest: digest.result.slice(0, 16),
    }) + "\n",
  );
}
