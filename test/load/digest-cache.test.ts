import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { DigestCache } from "../../src/load/digest-cache.ts";
import { loadAccessTree, loadEnvOptions } from "../../src/load/load-tree.ts";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "gh-digests-"));
  dirs.push(dir);
  return dir;
}

const DIGEST = "a".repeat(64);
const SECOND = 1_000_000_000n;

describe("DigestCache", () => {
  it("gives a remembered digest back only while the file is unchanged, also after a save", async () => {
    const dir = await tempDir();
    const file = join(dir, "people.yaml");
    await writeFile(file, "users: []\n");
    const stats = await stat(file, { bigint: true });
    const cache = await DigestCache.open(join(dir, "cache"));
    expect(cache.lookup(file, stats)).toBeUndefined();
    cache.remember(file, stats, stats, stats.ctimeNs + 3n * SECOND, DIGEST);
    expect(cache.lookup(file, stats)).toBe(DIGEST);
    await cache.save(new Set([file]));
    const reopened = await DigestCache.open(join(dir, "cache"));
    expect(reopened.lookup(file, await stat(file, { bigint: true }))).toBe(DIGEST);
    // Same size, new content: the times move, so the entry no longer applies.
    await sleep(5);
    await writeFile(file, "users: {}\n");
    expect(reopened.lookup(file, await stat(file, { bigint: true }))).toBeUndefined();
  });

  it("does not remember a file changed too shortly before it was read, or while it was read", async () => {
    const dir = await tempDir();
    const file = join(dir, "people.yaml");
    await writeFile(file, "users: []\n");
    const before = await stat(file, { bigint: true });
    const cache = await DigestCache.open(join(dir, "cache"));
    cache.remember(file, before, before, before.ctimeNs + SECOND, DIGEST);
    expect(cache.lookup(file, before)).toBeUndefined();
    await sleep(5);
    await writeFile(file, "users: [ ]\n");
    const after = await stat(file, { bigint: true });
    cache.remember(file, before, after, after.ctimeNs + 3n * SECOND, DIGEST);
    expect(cache.lookup(file, before)).toBeUndefined();
    expect(cache.lookup(file, after)).toBeUndefined();
  });

  it("drops the files a run no longer has, and reads a foreign or broken file as empty", async () => {
    const dir = await tempDir();
    const cacheDir = join(dir, "cache");
    const [a, b] = [join(dir, "a.yaml"), join(dir, "b.yaml")];
    await writeFile(a, "a: 1\n");
    await writeFile(b, "b: 1\n");
    const cache = await DigestCache.open(cacheDir);
    for (const file of [a, b]) {
      const stats = await stat(file, { bigint: true });
      cache.remember(file, stats, stats, stats.ctimeNs + 3n * SECOND, DIGEST);
    }
    await cache.save(new Set([a]));
    const reopened = await DigestCache.open(cacheDir);
    expect(reopened.lookup(a, await stat(a, { bigint: true }))).toBe(DIGEST);
    expect(reopened.lookup(b, await stat(b, { bigint: true }))).toBeUndefined();
    for (const text of ["not json", JSON.stringify({ format: "other", files: {} }), "[]"]) {
      await writeFile(join(cacheDir, "digests.json"), text);
      const broken = await DigestCache.open(cacheDir);
      expect(broken.lookup(a, await stat(a, { bigint: true }))).toBeUndefined();
    }
  });
});

describe("loading with the digest cache", () => {
  const people = (name: string): string =>
    `users:\n  - id: ada\n    name: ${name}\n    email: ada@example.com\n`;

  async function tree(): Promise<{ cwd: string; file: string; cacheDir: string }> {
    const cwd = await tempDir();
    await mkdir(join(cwd, "access", "users"), { recursive: true });
    await writeFile(join(cwd, "access", "gatehouse.yaml"), "providers: []\n");
    const file = join(cwd, "access", "users", "people.yaml");
    await writeFile(file, people("Ada One"));
    // Files are remembered only once their last change is two seconds old.
    await sleep(2_100);
    return { cwd, file, cacheDir: join(cwd, "cache") };
  }

  function userName(loaded: Awaited<ReturnType<typeof loadAccessTree>>): unknown {
    const doc = loaded.documents.find((d) => d.document.file.endsWith("people.yaml"));
    const data = doc?.document.data as { users: { name: string }[] } | undefined;
    return data?.users[0]?.name;
  }

  it("remembers settled files, and sees a same-size edit made after that", async () => {
    const { cwd, file, cacheDir } = await tree();
    const cold = await loadAccessTree("access", { cwd, cacheDir });
    const remembered = await DigestCache.open(cacheDir);
    expect(remembered.lookup(file, await stat(file, { bigint: true }))).toMatch(/^[0-9a-f]{64}$/);
    const warm = await loadAccessTree("access", { cwd, cacheDir });
    expect(warm.digest).toBe(cold.digest);
    expect(userName(warm)).toBe("Ada One");

    await writeFile(file, people("Ada Two")); // the same number of bytes
    const edited = await loadAccessTree("access", { cwd, cacheDir });
    expect(userName(edited)).toBe("Ada Two");
    expect(edited.digest).not.toBe(cold.digest);
    const uncached = await loadAccessTree("access", { cwd });
    expect(edited.digest).toBe(uncached.digest);
  });

  it("reads a remembered file when its parse entry is gone or broken", async () => {
    const { cwd, cacheDir } = await tree();
    const cold = await loadAccessTree("access", { cwd, cacheDir });
    const entries = (await readdir(cacheDir)).filter((n) => n.endsWith(".v8"));
    expect(entries.length).toBe(2);
    const [first, second] = entries;
    if (first === undefined || second === undefined) throw new Error("two entries expected");
    await rm(join(cacheDir, first));
    await writeFile(join(cacheDir, second), "not an entry");
    const warm = await loadAccessTree("access", { cwd, cacheDir });
    expect(warm.digest).toBe(cold.digest);
    expect(warm.diagnostics).toEqual(cold.diagnostics);
    expect(userName(warm)).toBe("Ada One");
    expect(warm.documents.length).toBe(cold.documents.length);
  });
});

describe("GATEHOUSE_TRUST_FILE_TIMES", () => {
  it("is on unless set to 0, and any other value is a usage error", () => {
    expect(loadEnvOptions({})).toEqual({});
    expect(loadEnvOptions({ GATEHOUSE_TRUST_FILE_TIMES: "0" })).toEqual({ trustFileTimes: false });
    expect(loadEnvOptions({ GATEHOUSE_TRUST_FILE_TIMES: "1", GATEHOUSE_PARSE_WORKERS: "2" })).toEqual({
      trustFileTimes: true,
      parseWorkers: 2,
    });
    expect(() => loadEnvOptions({ GATEHOUSE_TRUST_FILE_TIMES: "no" })).toThrow(/must be 0 or 1/);
  });

  it("when off, remembers nothing", async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, "access"), { recursive: true });
    await writeFile(join(cwd, "access", "gatehouse.yaml"), "providers: []\n");
    await sleep(2_100);
    const cacheDir = join(cwd, "cache");
    await loadAccessTree("access", { cwd, cacheDir, trustFileTimes: false });
    expect(await readdir(cacheDir)).not.toContain("digests.json");
    await loadAccessTree("access", { cwd, cacheDir });
    expect(await readdir(cacheDir)).toContain("digests.json");
  });
});
