/** Child process: creates users `<prefix>-0001`… one apply each, printing each committed count. */
import { createLocalProvider } from "../../src/providers/local/provider.ts";
import type { Change } from "../../src/plan/types.ts";

const [path, prefix, countText] = process.argv.slice(2);
if (path === undefined || prefix === undefined || countText === undefined) {
  throw new Error("usage: local-writer-child <path> <prefix> <count>");
}
const provider = createLocalProvider(
  {
    name: "directory",
    type: "local",
    mode: "authoritative",
    nesting: false,
    settings: { path, lockTimeoutMs: 60_000 },
    source: { file: "gatehouse.yaml", line: 1, column: 1 },
  },
  { env: {}, cwd: process.cwd(), now: () => new Date() },
);
for (let i = 1; i <= Number(countText); i++) {
  const account = `${prefix}-${String(i).padStart(4, "0")}`;
  const change: Change = {
    id: `directory:user/${account}`,
    provider: "directory",
    reason: "added-in-config",
    risk: "broadens",
    kind: "user",
    action: "create",
    account,
    after: { name: `User ${String(i)}`, title: "x".repeat(64) },
  };
  const [outcome] = await provider.apply([change], AbortSignal.timeout(60_000));
  if (outcome?.status !== "applied") throw new Error(`apply failed: ${JSON.stringify(outcome)}`);
  process.stdout.write(`${String(i)}\n`);
}
