#!/usr/bin/env node
// Times the ldap provider's read() and the live digest against a running server, on the built code in
// dist/, and prints one JSON line per read (wall and CPU ms, memory, search count, live digest).
//   GATEHOUSE_LDAP_PASSWORD=... node bench/ldap-read.mjs --config access/gatehouse.yaml [--provider ldap] [--repeat 1]
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { parse } from "yaml";
import { createProvider } from "../dist/providers/registry.js";
import { liveDigestOf } from "../dist/engine/live-digest.js";

const { values: opt } = parseArgs({
  options: {
    config: { type: "string" },
    provider: { type: "string", default: "ldap" },
    repeat: { type: "string", default: "1" },
  },
});
if (opt.config === undefined) throw new Error("--config gatehouse.yaml is required");
const { type, mode, nesting, ...settings } = parse(readFileSync(opt.config, "utf8")).providers[opt.provider];
const config = {
  name: opt.provider,
  type,
  mode: mode ?? "additive",
  nesting: nesting ?? false,
  settings,
  source: { file: opt.config, line: 1, column: 1 },
};
const mb = (bytes) => Math.round(bytes / 1024 / 1024);
const provider = await createProvider(config, {
  env: process.env,
  cwd: dirname(resolve(opt.config)),
  now: () => new Date(),
  clock: () => Date.now(),
  log: () => undefined,
});

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
  const digest = await timed(() => liveDigestOf(read.result, provider));
  let members = 0;
  for (const g of read.result.groups) members += g.members.length;
  process.stdout.write(
    JSON.stringify({
      readMs: read.wallMs,
      readCpuMs: read.cpuMs,
      digestCpuMs: digest.cpuMs,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      heapMb: mb(process.memoryUsage().heapUsed),
      searches: provider.stats?.().reads,
      users: read.result.users.length,
      groups: read.result.groups.length,
      members,
      digest: digest.result.slice(0, 16),
    }) + "\n",
  );
}
await provider.close?.();
