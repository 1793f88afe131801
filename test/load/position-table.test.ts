import { serialize } from "node:v8";
import { describe, expect, it } from "vitest";
import { readPlainYaml } from "../../src/load/fast-yaml.ts";
import { fastLocator } from "../../src/load/fast-locator.ts";
import { PositionTable } from "../../src/load/position-table.ts";
import { decodeCacheEntry, encodeCacheEntry, toCacheEntry } from "../../src/load/parse-cache.ts";

const TEXT = `users:
  - id: ada
    name: Ada Lovelace
    accounts: { ldap: ada, github: ada-l }
    tags: [a, "b", c]
  - id: bob
    name: Bob
groups:
  - name: eng
    members:
      - ada
      - user: bob
        until: 2030-01-01
    empty: []
`;

describe("position tables packed for the cache", () => {
  it("read back with every position where the fast reader put it", () => {
    const fast = readPlainYaml(TEXT);
    if (!fast) throw new Error("the fast reader refused the text");
    const bytes = encodeCacheEntry(toCacheEntry(fast, []));
    if (!bytes) throw new Error("not packed");
    const cached = decodeCacheEntry(bytes);
    if (!cached) throw new Error("does not read back");
    const before = fastLocator(fast).locateAll([], 10);
    const after = fastLocator(cached.document).locateAll([], 10);
    expect([...after]).toEqual([...before]);
    // Spot checks against the text itself, so a table that is wrong the same way twice still fails.
    expect(after.get("/groups/0/members/1/until")).toEqual({ line: 13, column: 16 });
    expect(after.get("/users/0/tags/1")).toEqual({ line: 5, column: 15 });
    expect(after.get("/users/1/name")).toEqual({ line: 7, column: 11 });
  });

  it("are not packed when a collection is reached twice or has no run", () => {
    const shared = ["x"];
    const table = new PositionTable();
    table.set(shared, [1, 3]);
    const data = { a: shared, b: shared };
    table.set(data, [1, 1, 1, 4, 2, 1, 2, 4]);
    expect(table.packed(data)).toBeUndefined();

    const partial = new PositionTable();
    const inner = { k: "v" };
    partial.set({ k: inner }, [1, 1, 1, 4]);
    expect(partial.packed({ k: inner })).toBeUndefined();
  });

  it("are not packed when a collection's run is not the length its size calls for", () => {
    const table = new PositionTable();
    const list = ["a", "b"];
    table.set(list, [1, 3]); // two items, one position
    expect(table.packed(list)).toBeUndefined();
  });

  it("refuse positions that do not fit the data (a foreign or damaged entry)", () => {
    const data = { a: ["x", "y"] };
    const table = new PositionTable();
    table.set(data.a, [2, 5, 3, 5]);
    table.set(data, [1, 1, 2, 3]);
    const places = table.packed(data);
    if (!places) throw new Error("not packed");
    expect(places).toEqual(Int32Array.from([2, 5, 3, 5, 1, 1, 2, 3]));
    expect(PositionTable.unpack(data, places)?.startOf(data)).toBe(4);
    expect(PositionTable.unpack(data, places.subarray(1))).toBeUndefined();
    expect(PositionTable.unpack({ a: ["x", "y", "z"] }, places)).toBeUndefined();
  });
});

describe("a cache entry that is not what gatehouse writes", () => {
  it("is a miss, not a crash, when its data refers to itself (v8 keeps cycles)", () => {
    const data: Record<string, unknown> = { users: [] };
    (data["users"] as unknown[]).push(data);
    const entry = { format: "gatehouse-parse-cache-2", line: 1, column: 1, schema: [] };
    expect(decodeCacheEntry(serialize({ ...entry, data, places: new Int32Array(8) }))).toBeUndefined();
    // A list holding itself, directly.
    const list: unknown[] = [];
    list.push(list);
    expect(decodeCacheEntry(serialize({ ...entry, data: list, places: new Int32Array(2) }))).toBeUndefined();
  });
});
