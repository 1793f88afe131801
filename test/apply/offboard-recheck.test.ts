/**
 * The offboarding check reads a system again where its first read found access left: a system still
 * carrying out what the run did (refint's rewrites, GitHub's lists) must not be recorded for good as
 * access left. A real local directory file; another writer finishes its work while the check waits.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ChangeResult } from "../../src/apply/apply-plan.ts";
import { verifyOffboarding } from "../../src/apply/offboard-verify.ts";
import {
  serializeDirectory,
  type StoredGroup,
  type StoredUser,
} from "../../src/providers/local/directory-file.ts";
import { createLocalProvider } from "../../src/providers/local/provider.ts";
import type { Provider } from "../../src/providers/types.ts";
import { NOW } from "../builders.ts";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const user = (account: string, enabled: boolean): StoredUser => ({
  account,
  enabled,
  sessions: [],
  tokens: [],
});
const group = (name: string, members: string[]): StoredGroup => ({ name, members, groupMembers: [] });

/** A local directory in a temp folder holding `users` and `groups`, and a provider reading it. */
async function directory(
  users: StoredUser[],
  groups: StoredGroup[],
): Promise<{ provider: Provider; write: (groups: StoredGroup[]) => Promise<void> }> {
  const cwd = await mkdtemp(path.join(tmpdir(), "gh-offboard-recheck-"));
  dirs.push(cwd);
  const file = path.join(cwd, "app.json");
  const write = (g: StoredGroup[]): Promise<void> =>
    writeFile(
      file,
      serializeDirectory({
        users: new Map(users.map((u) => [u.account, u])),
        groups: new Map(g.map((x) => [x.name, x])),
      }),
    );
  await write(groups);
  const provider = createLocalProvider(
    {
      name: "app",
      type: "local",
      mode: "additive",
      nesting: false,
      settings: { path: "app.json" },
      source: { file: "gatehouse.yaml", line: 1, column: 1 },
    },
    { env: {}, cwd, now: () => NOW },
  );
  return { provider, write };
}

/** The run disabled `account` in app. */
const disabled = (account: string): ChangeResult => ({
  change: {
    id: `app:user/${account}`,
    provider: "app",
    kind: "user",
    action: "disable",
    account,
    userId: account,
    reason: "user-terminated",
    risk: "narrows",
  },
  outcome: "applied",
  at: NOW.toISOString(),
  attempts: 1,
});

describe("verifyOffboarding reads again what looked left", () => {
  it("records the second read's verdict when the membership went meanwhile, and reads only those leavers again", async () => {
    const { provider, write } = await directory(
      [user("xavier", false), user("yan", false)],
      [group("side", ["xavier"]), group("ops", [])],
    );
    const waits: number[] = [];
    const checks = await verifyOffboarding(
      [disabled("xavier"), disabled("yan")],
      new Map([["app", provider]]),
      AbortSignal.timeout(10_000),
      {
        afterMs: 250,
        wait: async (ms) => {
          waits.push(ms);
          // The cleanup still under way at the first read finishes during the wait.
          await write([group("side", []), group("ops", [])]);
        },
      },
    );
    expect(waits).toEqual([250]);
    expect(provider.stats().reads).toBe(2);
    expect(checks).toEqual([
      expect.objectContaining({ account: "xavier", clean: true, groups: [], recheckedAfterMs: 250 }),
      expect.objectContaining({ account: "yan", clean: true, groups: [] }),
    ]);
    expect(checks[1]).not.toHaveProperty("recheckedAfterMs");
  });

  it("keeps access left that is still there at the second read, and says it was read again", async () => {
    const { provider } = await directory([user("xavier", false)], [group("side", ["xavier"])]);
    const [check] = await verifyOffboarding(
      [disabled("xavier")],
      new Map([["app", provider]]),
      AbortSignal.timeout(10_000),
      {
        afterMs: 20,
      },
    );
    expect(check).toMatchObject({ clean: false, groups: ["side"], recheckedAfterMs: 20 });
    expect(provider.stats().reads).toBe(2);
  });

  it("reads once when nothing looked left, or when reading again is off", async () => {
    const clean = await directory([user("xavier", false)], [group("side", [])]);
    const wait = (): Promise<void> => Promise.reject(new Error("no wait expected"));
    const [first] = await verifyOffboarding(
      [disabled("xavier")],
      new Map([["app", clean.provider]]),
      AbortSignal.timeout(10_000),
      {
        afterMs: 20,
        wait,
      },
    );
    expect(first).toMatchObject({ clean: true });
    expect(clean.provider.stats().reads).toBe(1);
    const left = await directory([user("xavier", false)], [group("side", ["xavier"])]);
    const [second] = await verifyOffboarding(
      [disabled("xavier")],
      new Map([["app", left.provider]]),
      AbortSignal.timeout(10_000),
      {
        afterMs: 0,
        wait,
      },
    );
    expect(second).toMatchObject({ clean: false, groups: ["side"] });
    expect(second).not.toHaveProperty("recheckedAfterMs");
    expect(left.provider.stats().reads).toBe(1);
  });
});
