/** The offboarding read-back after an apply cannot keep the run from ending: it stops on a timeout. */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { runApply } from "../../src/engine/run-apply.ts";
import type { Provider } from "../../src/providers/types.ts";
import {
  capabilities,
  group,
  live,
  liveGroup,
  liveUser,
  model,
  NOW,
  planFor,
  policy,
  user,
} from "../builders.ts";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

it("records apply-end and an unverified check when a system hangs on the read-back", async () => {
  const cwd = await mkdtemp(path.join(tmpdir(), "gh-offboard-timeout-"));
  dirs.push(cwd);
  const files = model({
    users: [user("ann"), user("xavier", { status: "terminated" })],
    groups: [group("ops", ["ann"])],
  });
  const plan = planFor(files, {
    live: live([liveUser("ann"), liveUser("xavier")], [liveGroup("ops", ["ann", "xavier"])]),
  });
  expect(plan.changes.some((c) => c.reason === "user-terminated")).toBe(true);
  // Writes go through; the read after them never answers (a server that stopped responding).
  const hanging: Provider = {
    name: "directory",
    type: "test",
    capabilities: { ...capabilities(), maxMembersPerWrite: 100 },
    read: (signal) =>
      new Promise((_, reject) => {
        signal.addEventListener("abort", () => {
          reject(signal.reason as Error);
        });
      }),
    apply: (changes) => Promise.resolve(changes.map(() => ({ status: "applied" as const }))),
    stats: () => ({ reads: 0, writes: 0 }),
    close: () => Promise.resolve(),
  };
  const journalPath = path.join(cwd, ".gatehouse", "journal.jsonl");
  const result = await runApply(plan, policy(), new Map([["directory", hanging]]), {
    journalPath,
    actor: "test",
    now: () => NOW,
    signal: new AbortController().signal,
    readTimeoutMs: 200,
    allowRemovals: 10,
  });
  expect(
    result.offboarding.map((c) => [c.account, c.clean, c.error?.startsWith("reading directory back failed")]),
  ).toEqual([["xavier", false, true]]);
  const types = (await readFile(journalPath, "utf8"))
    .trim()
    .split("\n")
    .map((l) => (JSON.parse(l) as { type: string }).type);
  expect(types.at(-2)).toBe("offboard-verified");
  expect(types.at(-1)).toBe("apply-end");
}, 10_000);
