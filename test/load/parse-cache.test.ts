import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { pruneParseCache } from "../../src/load/parse-cache.ts";
import { SCHEMA_DIR } from "../../src/validate/schema.ts";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

it("keeps the entries in use and the newest others, and removes older ones and stray temp files", async () => {
  const dir = await mkdtemp(join(tmpdir(), "gh-cache-"));
  dirs.push(dir);
  // Entries the current tree uses are written by the loader; their names come from the same function.
  const used = Array.from({ length: 5 }, (_, i) => ({ digest: `used${String(i)}`, kind: "access" }));
  await pruneParseCache(dir, SCHEMA_DIR, used); // empty folder: nothing to do, no error
  const names: string[] = [];
  for (let i = 0; i < 100; i++) {
    const name = `access-salt-old${String(i).padStart(3, "0")}.v8`;
    names.push(name);
    await writeFile(join(dir, name), "x");
    const t = new Date(Date.UTC(2026, 0, 1) + i * 60_000); // old000 is the oldest
    await utimes(join(dir, name), t, t);
  }
  await writeFile(join(dir, "access-salt-x.v8.abc123.tmp"), "partial");
  // Another cache's write in progress in the same folder (the journal fold, a connector snapshot).
  await writeFile(join(dir, "journal-0123456789abcdef.json.tmp-1234"), "partial");
  const removed = await pruneParseCache(dir, SCHEMA_DIR, used);
  const left = (await readdir(dir)).sort();
  expect(removed).toBe(100 - 64 + 1);
  expect(left).toHaveLength(65);
  expect(left).toContain("journal-0123456789abcdef.json.tmp-1234");
  expect(left[0]).toBe("access-salt-old036.v8"); // the 64 newest of the 100 remain
  expect(left).not.toContain("access-salt-x.v8.abc123.tmp");
});

it("never evicts what the current tree uses, through the loader", async () => {
  const { loadAccessTree } = await import("../../src/load/load-tree.ts");
  const cwd = await mkdtemp(join(tmpdir(), "gh-cache-tree-"));
  dirs.push(cwd);
  const cacheDir = join(cwd, "cache");
  const repoRoot = new URL("../..", import.meta.url).pathname;
  const options = { cwd: repoRoot, cacheDir };
  await loadAccessTree("access", options);
  const cached = (await readdir(cacheDir)).filter((n) => n.endsWith(".v8"));
  expect(cached.length).toBeGreaterThan(10);
  for (let i = 0; i < 200; i++) await writeFile(join(cacheDir, `access-other-${String(i)}.v8`), "x");
  await loadAccessTree("access", options);
  const after = (await readdir(cacheDir)).filter((n) => n.endsWith(".v8"));
  for (const name of cached) expect(after).toContain(name);
  expect(after.length).toBeLessThanOrEqual(cached.length + Math.max(64, cached.length * 2));
});

it("reports from a cache hit exactly what a fresh parse reports, field order included", async () => {
  const { loadAccessTree } = await import("../../src/load/load-tree.ts");
  const cwd = await mkdtemp(join(tmpdir(), "gh-cache-same-"));
  dirs.push(cwd);
  await mkdir(join(cwd, "access/users"), { recursive: true });
  await writeFile(
    join(cwd, "access/users/a.yaml"),
    "users:\n  - id: ada\n    name: Ada\n    emial: ada@example.com\n  - id: bob\n",
  );
  const options = { cwd, cacheDir: join(cwd, "cache") };
  const cold = await loadAccessTree("access", options);
  expect((await readdir(options.cacheDir)).filter((n) => n.endsWith(".v8"))).toHaveLength(1);
  const warm = await loadAccessTree("access", options);
  expect(cold.diagnostics.map((d) => d.code)).toEqual(["GH100", "GH100"]);
  expect(JSON.stringify(warm.diagnostics)).toBe(JSON.stringify(cold.diagnostics));
  expect(warm.documents.map((d) => d.invalidPaths)).toEqual(cold.documents.map((d) => d.invalidPaths));
});
