import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeCacheFile } from "../../src/io/cache-file.ts";

const FAMILY = /^kind-[0-9]+\.json$/;
let dir: string;

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("read-cache files", () => {
  it("are written with mode 0600 and only the newest 16 of a family are kept, the one written always", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "gatehouse-cache-file-"));
    // 20 older files of the family, each a minute older than the one before; and other files.
    for (let i = 0; i < 20; i++) {
      const file = path.join(dir, `kind-${String(i)}.json`);
      await writeFile(file, "{}");
      const when = new Date(Date.UTC(2026, 0, 1, 12, 0) - i * 60_000);
      await utimes(file, when, when);
    }
    await writeFile(path.join(dir, "other-1.json"), "{}");
    await writeFile(path.join(dir, "kind-99.json.tmp"), "");
    const target = path.join(dir, "kind-50.json");
    await writeCacheFile(target, '{"a":1}', FAMILY);
    expect(await readFile(target, "utf8")).toBe('{"a":1}');
    expect((await stat(target)).mode & 0o777).toBe(0o600);
    const kept = (await readdir(dir)).filter((n) => FAMILY.test(n)).sort();
    expect(kept).toHaveLength(16);
    expect(kept).toContain("kind-50.json");
    // The newest 15 of the older ones stay (kind-0 … kind-14); kind-15 … kind-19 are gone.
    expect(kept).toContain("kind-14.json");
    expect(kept).not.toContain("kind-15.json");
    expect(await readdir(dir)).toContain("other-1.json");
  });
});
