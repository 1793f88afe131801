import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { ProviderError } from "../../src/errors.ts";
import { createLocalProvider } from "../../src/providers/local/provider.ts";
import type { Provider } from "../../src/providers/types.ts";
import type { Change } from "../../src/plan/types.ts";
import { collectOutput, deadPid, runTs, spawnTs, waitForExit } from "../helpers/ts-child.ts";

const WRITER = fileURLToPath(new URL("../helpers/local-writer-child.ts", import.meta.url));
const LOCK_HOLDER = fileURLToPath(new URL("../helpers/lock-holder-child.ts", import.meta.url));
const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-local-crash-"));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function provider(path: string, lockTimeoutMs = 10_000): Provider {
  return createLocalProvider(
    {
      name: "directory",
      type: "local",
      mode: "authoritative",
      nesting: false,
      settings: { path, lockTimeoutMs },
      source: { file: "gatehouse.yaml", line: 1, column: 1 },
    },
    { env: {}, cwd: "/", now: () => new Date("2026-03-01T00:00:00Z") },
  );
}

const createGroup = (group: string): Change => ({
  id: `directory:group/${group}`,
  provider: "directory",
  reason: "added-in-config",
  risk: "neutral",
  kind: "group",
  action: "create",
  group,
});

async function waitUntil(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (check()) return;
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Account numbers of `prefix` users in the file, sorted. */
async function accountNumbers(path: string, prefix: string): Promise<number[]> {
  const live = await provider(path).read(AbortSignal.timeout(10_000));
  return live.users
    .filter((u) => u.account.startsWith(`${prefix}-`))
    .map((u) => Number(u.account.slice(prefix.length + 1)))
    .sort((a, b) => a - b);
}

describe("local provider crash safety", { tags: ["slow"] }, () => {
  it("leaves a committed state when a writer is killed with SIGKILL mid-write, and recovers its lock", async () => {
    const dir = await tempDir();
    const path = join(dir, "directory.json");
    // A big file makes each write long, so the kill lands inside one often.
    const seed = Array.from({ length: 3000 }, (_, i) => ({
      account: `seed-${String(i + 1).padStart(4, "0")}`,
      name: `Seed ${String(i)}`,
      title: "x".repeat(100),
      enabled: true,
      sessions: [],
      tokens: [],
    }));
    await writeFile(path, JSON.stringify({ formatVersion: 1, users: seed, groups: [] }));
    for (let round = 0; round < 6; round++) {
      const prefix = `r${String(round)}`;
      const child = await spawnTs(WRITER, [path, prefix, "5000"]);
      const output = collectOutput(child);
      await waitUntil(() => output.lines().length >= 2, "two writes");
      await sleep(Math.random() * 25); // land anywhere in the read-modify-write cycle
      child.kill("SIGKILL");
      expect(await waitForExit(child)).toBe("SIGKILL");
      const confirmed = output.lines().length;
      const numbers = await accountNumbers(path, prefix);
      // One of the committed states: a gap-free prefix, at least what the writer saw confirmed.
      expect(numbers.length).toBeGreaterThanOrEqual(confirmed);
      expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i + 1));
      expect(await accountNumbers(path, "seed")).toHaveLength(3000);
    }
    // The dead writer's lock and any temp file do not block the next writer. A kill that lands between
    // creating the lock file and writing its pid leaves a lock that is taken over only after its 2 s grace
    // (file-lock.ts, UNREADABLE_LOCK_GRACE_MS): the wait must outlast that grace.
    const p = provider(path, 5_000);
    const [outcome] = await p.apply([createGroup("team-after-crash-write")], AbortSignal.timeout(10_000));
    // The whole outcome, so that a failure shows its error.
    expect(outcome).toMatchObject({ status: "applied" });
    expect((await readdir(dir)).sort()).toEqual(["directory.json"]);
  });

  it("ignores and removes a temp file and a lock left by a dead process", async () => {
    const dir = await tempDir();
    const path = join(dir, "directory.json");
    const p = provider(path, 2_000);
    await p.apply([createGroup("team-a-write")], AbortSignal.timeout(10_000));
    const before = await readFile(path, "utf8");
    const pid = await deadPid();
    await writeFile(join(dir, `.directory.json.${String(pid)}.abcdef.tmp`), '{"formatVersion":1,"users":[');
    await writeFile(`${path}.lock`, `${String(pid)}\nfeedface\n`);
    expect((await p.read(AbortSignal.timeout(10_000))).groups).toHaveLength(1);
    expect(await readFile(path, "utf8")).toBe(before);
    const [outcome] = await p.apply([createGroup("team-b-write")], AbortSignal.timeout(10_000));
    expect(outcome?.status).toBe("applied");
    expect((await readdir(dir)).sort()).toEqual(["directory.json"]);
  });

  it("takes over a lock file with no pid once it is older than the grace, by the wall clock and not the run's", async () => {
    // A writer killed between creating the lock file and writing its pid leaves it empty. The provider's
    // clock here is fixed months before the file's times: the grace must be judged against the wall clock.
    const dir = await tempDir();
    const path = join(dir, "directory.json");
    await writeFile(`${path}.lock`, "");
    const old = new Date(Date.now() - 60_000);
    await utimes(`${path}.lock`, old, old);
    const [outcome] = await provider(path, 1_000).apply(
      [createGroup("team-a-write")],
      AbortSignal.timeout(10_000),
    );
    expect(outcome).toMatchObject({ status: "applied" });
    expect((await readdir(dir)).sort()).toEqual(["directory.json"]);
  });

  it("takes over a lock that carries this process's pid but was left by an earlier run (containers reuse pids)", async () => {
    const dir = await tempDir();
    const path = join(dir, "directory.json");
    await writeFile(`${path}.lock`, `${String(process.pid)}\nearlier-run\n`);
    const [outcome] = await provider(path, 500).apply(
      [createGroup("team-a-write")],
      AbortSignal.timeout(10_000),
    );
    expect(outcome?.status).toBe("applied");
    expect((await readdir(dir)).sort()).toEqual(["directory.json"]);
  });

  it("waits for a live process holding the lock, and fails with a transient error after the timeout", async () => {
    const dir = await tempDir();
    const path = join(dir, "directory.json");
    const holder = await spawnTs(LOCK_HOLDER, [path]);
    const output = collectOutput(holder);
    await waitUntil(() => output.lines().includes("locked"), "the lock holder");
    const p = provider(path, 300);
    const [refused] = await p.apply([createGroup("team-a-write")], AbortSignal.timeout(10_000));
    expect(refused?.status).toBe("failed");
    if (refused?.status !== "failed") return;
    expect(refused.error).toBeInstanceOf(ProviderError);
    expect(refused.error.isTransient).toBe(true);
    expect(refused.error.message).toContain(`${path}.lock is held by process ${String(holder.pid)}`);
    await expect(readFile(path)).rejects.toThrow(/ENOENT/);
    // Released while we wait: the write goes through.
    const waiting = provider(path, 20_000).apply([createGroup("team-a-write")], AbortSignal.timeout(30_000));
    holder.stdin.end();
    expect((await waiting)[0]?.status).toBe("applied");
    expect(await waitForExit(holder)).toBe(0);
  });

  it("keeps every write when two processes write at the same time", async () => {
    const dir = await tempDir();
    const path = join(dir, "directory.json");
    await Promise.all([runTs(WRITER, [path, "a", "40"]), runTs(WRITER, [path, "b", "40"])]);
    expect(await accountNumbers(path, "a")).toHaveLength(40);
    expect(await accountNumbers(path, "b")).toHaveLength(40);
  });
});
