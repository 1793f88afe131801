import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import type { Change } from "../../src/plan/types.ts";
import { createLocalProvider } from "../../src/providers/local/provider.ts";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function userCreate(account: string): Change {
  return {
    id: `dir:user/${account}`,
    provider: "dir",
    kind: "user",
    action: "create",
    account,
    after: { name: account },
    reason: "added-in-config",
    risk: "broadens",
  };
}

it("loses no write when one process applies many changes at once (the apply engine runs writes in parallel)", async () => {
  const cwd = await mkdtemp(join(tmpdir(), "gh-local-conc-"));
  dirs.push(cwd);
  const provider = createLocalProvider(
    {
      name: "dir",
      type: "local",
      mode: "authoritative",
      nesting: false,
      settings: { path: "d.json" },
      source: { file: "x", line: 1, column: 1 },
    },
    { env: {}, cwd, now: () => new Date("2026-11-25T00:00:00Z") },
  );
  const accounts = Array.from({ length: 40 }, (_, i) => `u${String(i).padStart(2, "0")}`);
  const outcomes = await Promise.all(
    accounts.map((a) => provider.apply([userCreate(a)], AbortSignal.timeout(20_000))),
  );
  expect(outcomes.flat().every((o) => o.status === "applied")).toBe(true);
  const live = await provider.read(AbortSignal.timeout(5_000));
  expect(live.users.map((u) => u.account).sort()).toEqual(accounts);
  expect(provider.stats().writes).toBe(40);
});
