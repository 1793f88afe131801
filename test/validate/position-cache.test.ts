import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deserialize, serialize } from "node:v8";
import { afterEach, describe, expect, it } from "vitest";
import { loadAccessTree } from "../../src/load/load-tree.ts";
import { buildAccessModel } from "../../src/load/build-model.ts";
import { PositionCache } from "../../src/validate/position-cache.ts";
import { memberPositions, userIndexOf } from "../../src/desired/user-set.ts";
import { validateAccessTree } from "../../src/validate/validate-tree.ts";
import { computeEffectiveMemberships } from "../../src/desired/effective.ts";
import { detailedEntries } from "../../src/model/member-entry.ts";
import type { AccessModel } from "../../src/model/access.ts";

const NOW = new Date("2026-06-01T12:00:00Z");
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const person = (id: string): string => `  - id: ${id}\n    name: Person ${id}\n`;

async function tree(users: readonly string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "gh-positions-"));
  dirs.push(dir);
  await mkdir(join(dir, "access", "groups"), { recursive: true });
  await writeFile(join(dir, "access", "users.yaml"), `users:\n${users.map(person).join("")}`);
  await writeFile(
    join(dir, "access", "groups", "one.yaml"),
    "groups:\n  - name: one\n    members: [ada, cy]\n",
  );
  await writeFile(
    join(dir, "access", "groups", "two.yaml"),
    "groups:\n  - name: two\n    members:\n      - bo\n      - user: cy\n        until: 2026-12-01T00:00:00Z\n      - group: one\n",
  );
  return dir;
}

/** One run's model with the cache attached, and each group's members by position, as user ids. */
async function run(
  dir: string,
): Promise<{ model: AccessModel; hits: number; members: Map<string, string[]> }> {
  const loaded = await loadAccessTree("access", { cwd: dir });
  const model = buildAccessModel(loaded.documents).model;
  const files = new Map(loaded.documents.map((d) => [d.document.file, d.document.digest]));
  const cache = await PositionCache.open(join(dir, "cache"));
  cache.attach(model, files);
  const { ids } = userIndexOf(model);
  const members = new Map<string, string[]>();
  for (const group of model.groups.values())
    members.set(
      group.name,
      [...memberPositions(model, group)].map((p) => (p < 0 ? "-" : (ids[p] ?? "?"))),
    );
  const hits = cache.hits;
  await cache.save(model, files);
  return { model, hits, members };
}

describe("member positions kept between runs", () => {
  it("takes every group from the cache when nothing changed, and works out again what did", async () => {
    const dir = await tree(["ada", "bo", "cy"]);
    const first = await run(dir);
    expect(first.hits).toBe(0);
    expect(first.members.get("one")).toEqual(["ada", "cy"]);
    expect(first.members.get("two")).toEqual(["bo", "cy", "-"]);

    const second = await run(dir);
    expect(second.hits).toBe(2);
    expect(second.members).toEqual(first.members);

    // An edited group file: only that group is worked out again.
    await writeFile(
      join(dir, "access", "groups", "one.yaml"),
      "groups:\n  - name: one\n    members: [cy, bo, ada]\n",
    );
    const third = await run(dir);
    expect(third.hits).toBe(1);
    expect(third.members.get("one")).toEqual(["cy", "bo", "ada"]);

    // A new person before the others moves every position: nothing is taken from the cache.
    await writeFile(
      join(dir, "access", "users.yaml"),
      `users:\n${["al", "ada", "bo", "cy"].map(person).join("")}`,
    );
    const fourth = await run(dir);
    expect(fourth.hits).toBe(0);
    expect(fourth.members.get("one")).toEqual(["cy", "bo", "ada"]);
    expect(fourth.members.get("two")).toEqual(["bo", "cy", "-"]);
  });

  it("ignores a damaged cache file, and an entry whose positions do not name the group's members", async () => {
    const dir = await tree(["ada", "bo", "cy"]);
    await mkdir(join(dir, "cache"));
    await writeFile(join(dir, "cache", "positions.bin"), "not a cache");
    const first = await run(dir);
    expect(first.hits).toBe(0);
    expect(first.members.get("one")).toEqual(["ada", "cy"]);

    // The file it wrote instead, with group one's positions swapped (cy, ada): they do not fit.
    const file = join(dir, "cache", "positions.bin");
    const stored = deserialize(await readFile(file)) as {
      keys: string[];
      ends: Int32Array;
      positions: Int32Array;
    };
    const oneDigest = createHash("sha256")
      .update(await readFile(join(dir, "access", "groups", "one.yaml")))
      .digest("hex");
    const i = stored.keys.findIndex((k) => k.startsWith(`${oneDigest}:`));
    expect(i).toBeGreaterThanOrEqual(0);
    const start = i === 0 ? 0 : (stored.ends[i - 1] ?? 0);
    const oneKey = stored.keys[i] ?? "";
    const [a, b] = [stored.positions[start], stored.positions[start + 1]];
    stored.positions[start] = b ?? 0;
    stored.positions[start + 1] = a ?? 0;
    await writeFile(file, serialize(stored));
    const second = await run(dir);
    expect(oneKey).not.toBe("");
    expect(second.members.get("one")).toEqual(["ada", "cy"]);
    expect(second.hits).toBe(2); // both offered; memberPositions refused the one that does not fit
  });

  it("gives the same effective memberships with the cache as without, across a validate of the whole tree", async () => {
    const dir = await tree(["ada", "bo", "cy"]);
    const effective = async (cacheDir?: string): Promise<Record<string, string[]>> => {
      const validated = await validateAccessTree("access", {
        cwd: dir,
        now: NOW,
        ...(cacheDir === undefined ? {} : { cacheDir }),
      });
      const out: Record<string, string[]> = {};
      for (const [name, group] of computeEffectiveMemberships(validated.model, NOW))
        out[name] = [...group.members];
      return out;
    };
    const plain = await effective();
    expect(plain).toEqual({ one: ["ada", "cy"], two: ["ada", "bo", "cy"] });
    expect(await effective("cache")).toEqual(plain);
    expect(await effective("cache")).toEqual(plain);
    await writeFile(join(dir, "access", "users.yaml"), `users:\n${["cy", "bo", "ada"].map(person).join("")}`);
    expect(await effective("cache")).toEqual({ one: ["cy", "ada"], two: ["cy", "bo", "ada"] });
  });
});

describe("detailed member entries", () => {
  it("are the nested groups and the grants with until or reason, by index", async () => {
    const dir = await tree(["ada", "bo", "cy"]);
    const { model } = await run(dir);
    const two = model.groups.get("two");
    expect(two?.detailedMembers).toEqual([1, 2]);
    if (two === undefined) throw new Error("group two is missing");
    expect(detailedEntries(two).map(([i, e]) => [i, e.kind])).toEqual([
      [1, "user"],
      [2, "group"],
    ]);
    expect(model.groups.get("one")?.detailedMembers).toEqual([]);
  });
});
