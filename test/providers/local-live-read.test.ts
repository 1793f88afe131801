import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { canonicalLiveDigest, liveDigestOf } from "../../src/engine/live-digest.ts";
import { ProviderError } from "../../src/errors.ts";
import type { LiveGroup, LiveState, LiveUser } from "../../src/model/state.ts";
import {
  loadDirectory,
  parseDirectory,
  serializeDirectory,
  type Directory,
} from "../../src/providers/local/directory-file.ts";
import {
  contentDigest,
  parseLiveState,
  readLiveDirectory,
  sortedList,
  UniqueNames,
} from "../../src/providers/local/live-directory.ts";
import { createLocalProvider } from "../../src/providers/local/provider.ts";
import { issueToken, recordLogin } from "../../src/providers/local/simulate.ts";
import type { Provider } from "../../src/providers/types.ts";

const NOW = new Date("2026-03-01T09:00:00Z");
const signal = (): AbortSignal => AbortSignal.timeout(10_000);
const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-live-read-"));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The live state as the local provider built it before it parsed straight into one: the oracle. */
function referenceLiveState(directory: Directory, isNesting: boolean): LiveState {
  const users: LiveUser[] = [...directory.users.values()]
    .map(({ sessions, tokens, ...rest }) => {
      const live = { ...rest, sessions: sessions.length, tokens: tokens.length };
      delete live.createdAt; // the directory's own bookkeeping, not part of the live state
      return live;
    })
    .sort((a, b) => compare(a.account, b.account));
  const groups: LiveGroup[] = [...directory.groups.values()]
    .map(({ groupMembers, members, ...rest }) => ({
      ...rest,
      members: [...members].sort(),
      // With nesting off, links left from when it was on are still reported (for the plan to remove).
      ...(isNesting || groupMembers.length > 0 ? { groupMembers: [...groupMembers].sort() } : {}),
    }))
    .sort((a, b) => compare(a.name, b.name));
  return { users, groups };
}

function reference(value: unknown, isNesting: boolean): LiveState | string {
  const directory = parseDirectory(value);
  return typeof directory === "string" ? directory : referenceLiveState(directory, isNesting);
}

const session = { id: "sess-1", createdAt: "2026-02-01T00:00:00.000Z" };

/** A file with every kind of field, in no particular order. */
function mixedFile(): Record<string, unknown> {
  return {
    formatVersion: 1,
    users: [
      {
        account: "zoë",
        name: "Zoë \u{1F600}",
        enabled: true,
        createdAt: "2026-01-01T00:00:00.000Z",
        lastLogin: "2026-02-01T00:00:00.000Z",
        sessions: [session, { ...session, id: "sess-2" }],
        tokens: [{ id: "tok-1", createdAt: "2026-02-02T00:00:00.000Z" }],
        unknownKey: "left out",
      },
      {
        account: "alice",
        email: "alice@example.com",
        department: "ENG",
        title: "Engineer",
        manager: "zoë",
        employmentType: "contractor",
        enabled: false,
      },
      { account: "Bob", enabled: true, sessions: [], tokens: [] },
    ],
    groups: [
      { name: "team-b-write", members: ["zoë", "alice", "Bob", "alice"], groupMembers: ["team-a-read"] },
      { name: "team-a-read", description: "Readers", members: ["Bob", "alice"] },
      { name: "team-c-read", members: [], groupMembers: ["team-b-write", "team-a-read"] },
    ],
  };
}

describe("parseLiveState", () => {
  it.each([true, false])(
    "gives what parseDirectory then the old conversion gave (nesting %s)",
    (isNesting) => {
      const live = parseLiveState(mixedFile(), isNesting);
      expect(live).toStrictEqual(reference(mixedFile(), isNesting));
      if (typeof live === "string") throw new Error(live);
      expect(live.users.map((u) => u.account)).toEqual(["Bob", "alice", "zoë"]);
      expect(live.users[2]).not.toHaveProperty("createdAt");
      expect(live.users[2]).toMatchObject({ sessions: 2, tokens: 1, lastLogin: "2026-02-01T00:00:00.000Z" });
      expect(live.groups.map((g) => g.name)).toEqual(["team-a-read", "team-b-write", "team-c-read"]);
      expect(live.groups[1]?.members).toEqual(["Bob", "alice", "alice", "zoë"]);
      expect(live.groups[2]?.groupMembers).toEqual(["team-a-read", "team-b-write"]);
      if (!isNesting) expect(live.groups[0]).not.toHaveProperty("groupMembers");
    },
  );

  it("shares member lists that are already sorted and sorts a copy of the others", () => {
    const file = mixedFile();
    const groups = file["groups"] as { members: string[] }[];
    const sorted = groups[1]?.members;
    const unsorted = groups[0]?.members;
    const live = parseLiveState(file, true);
    if (typeof live === "string") throw new Error(live);
    expect(live.groups[0]?.members).toBe(sorted);
    expect(live.groups[1]?.members).not.toBe(unsorted);
    expect(unsorted).toEqual(["zoë", "alice", "Bob", "alice"]);
  });

  it("keeps a sorted directory in its order, as gatehouse writes it", () => {
    const file = {
      formatVersion: 1,
      users: ["a", "b", "c"].map((account) => ({ account, enabled: true })),
      groups: [
        { name: "g1", members: ["a", "b"] },
        { name: "g2", members: ["c"] },
      ],
    };
    expect(parseLiveState(file, false)).toStrictEqual(reference(file, false));
  });

  const user = (account: unknown, extra: Record<string, unknown> = {}) => ({
    account,
    enabled: true,
    ...extra,
  });
  const group = (name: unknown, extra: Record<string, unknown> = {}) => ({ name, members: [], ...extra });
  const file = (users: unknown[], groups: unknown[] = []) => ({ formatVersion: 1, users, groups });

  it.each([
    ["not an object", []],
    ["a wrong format version", { formatVersion: 2, users: [], groups: [] }],
    ["lists that are not lists", { formatVersion: 1, users: {}, groups: [] }],
    ["a user without account", file([user("a"), { enabled: true }])],
    ["an empty account", file([user("")])],
    ["a user without enabled", file([{ account: "a" }])],
    ["sessions that are not a list", file([user("a", { sessions: {} })])],
    ["a token without id", file([user("a", { tokens: [{ createdAt: "x" }] })])],
    ["a text attribute that is not text", file([user("a", { createdAt: 5 })])],
    ["an unknown employment type", file([user("a", { employmentType: "robot" })])],
    ["a user twice, in order", file([user("a"), user("a")])],
    ["a user twice, out of order", file([user("b"), user("a"), user("c"), user("b")])],
    ["a duplicate before a broken user", file([user("b"), user("b"), user(3)])],
    ["a broken user before a duplicate", file([user("b"), user(3), user("b")])],
    ["a group without name", file([], [{ members: [] }])],
    ["members that are not a list", file([], [group("g", { members: "a" })])],
    ["members that are not strings", file([], [group("g", { members: ["a", 1] })])],
    ["group members that are not strings", file([], [group("g", { groupMembers: [null] })])],
    ["a description that is not text", file([], [group("g", { description: 1 })])],
    ["a group twice, out of order", file([], [group("h"), group("g"), group("h")])],
  ])("refuses %s in the words parseDirectory uses", (_name, value) => {
    const expected = parseDirectory(value);
    expect(typeof expected).toBe("string");
    for (const isNesting of [true, false]) expect(parseLiveState(value, isNesting)).toBe(expected);
  });
});

describe("sortedList and UniqueNames", () => {
  it("returns a sorted list itself and a sorted copy of any other, in UTF-16 order", () => {
    const sorted = ["B", "a", "a", "b", "\u{1F600}", "\uFFFD"];
    expect(sortedList(sorted)).toBe(sorted);
    const unsorted = ["b", "a", "\uFFFD", "\u{1F600}"];
    expect(sortedList(unsorted)).toEqual([...unsorted].sort());
    expect(unsorted).toEqual(["b", "a", "\uFFFD", "\u{1F600}"]);
  });

  it("finds a name added twice, whether or not the names arrive in order", () => {
    const inOrder = new UniqueNames();
    expect(["a", "b", "c"].map((n) => inOrder.add(n))).toEqual([true, true, true]);
    expect(inOrder.isSorted).toBe(true);
    expect(inOrder.add("c")).toBe(false);

    const outOfOrder = new UniqueNames();
    expect(["b", "c", "a", "d"].map((n) => outOfOrder.add(n))).toEqual([true, true, true, true]);
    expect(outOfOrder.isSorted).toBe(false);
    expect(outOfOrder.add("b")).toBe(false);
    expect(outOfOrder.add("a")).toBe(false);
    expect(outOfOrder.add("e")).toBe(true);
  });
});

describe("contentDigest", () => {
  const bytes = (text: string) => new TextEncoder().encode(text);

  it("is equal for equal bytes and differs for any other bytes, nesting setting or no file", () => {
    const digest = contentDigest(bytes('{"a":1}'), true);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(contentDigest(bytes('{"a":1}'), true)).toBe(digest);
    const others = [
      contentDigest(bytes('{"a":2}'), true),
      contentDigest(bytes('{"a": 1}'), true),
      contentDigest(bytes('{"a":1}'), false),
      contentDigest(bytes(""), true),
      contentDigest(undefined, true),
      contentDigest(undefined, false),
    ];
    expect(new Set([digest, ...others]).size).toBe(others.length + 1);
  });
});

describe("local provider read path", () => {
  function provider(cwd: string, isNesting = true): Provider {
    return createLocalProvider(
      {
        name: "directory",
        type: "local",
        mode: "authoritative",
        nesting: isNesting,
        settings: { path: "directory.json" },
        source: { file: "access/gatehouse.yaml", line: 3, column: 3 },
      },
      { env: {}, cwd, now: () => NOW },
    );
  }

  async function withFile(content: unknown): Promise<{ cwd: string; path: string }> {
    const cwd = await tempDir();
    const path = join(cwd, "directory.json");
    await writeFile(path, JSON.stringify(content, null, 2));
    return { cwd, path };
  }

  it("reads the state the old conversion gave, and digests the bytes it read", async () => {
    const { path } = await withFile(mixedFile());
    for (const isNesting of [true, false]) {
      const { live, digest } = await readLiveDirectory(path, "directory", isNesting);
      expect(live).toStrictEqual(reference(mixedFile(), isNesting));
      expect(digest).toBe(contentDigest(await readFile(path), isNesting));
    }
  });

  it("reads a missing file as an empty directory with a digest of its own", async () => {
    const cwd = await tempDir();
    const read = await readLiveDirectory(join(cwd, "none.json"), "directory", true);
    expect(read).toStrictEqual({ live: { users: [], groups: [] }, digest: contentDigest(undefined, true) });
  });

  it("refuses a broken file with the error loadDirectory gives", async () => {
    const { path } = await withFile({ formatVersion: 1, users: [{ account: "a" }], groups: [] });
    const read = readLiveDirectory(path, "directory", true);
    await expect(read).rejects.toThrow(ProviderError);
    await expect(read).rejects.toThrow(
      `${path} is not a valid directory file: users[0].enabled must be true or false`,
    );
    await writeFile(path, "{ users: [");
    await expect(readLiveDirectory(path, "directory", true)).rejects.toThrow(/is not valid JSON/);
  });

  it("gives the plan the same digest for the same file and a new one once the live state changes", async () => {
    const { cwd, path } = await withFile(mixedFile());
    await writeFile(path, serializeDirectory(await loadDirectory(path, "directory", "test"))); // as gatehouse writes it
    const p = provider(cwd);
    const first = liveDigestOf(await p.read(signal()), p);
    expect(first).toBe(contentDigest(await readFile(path), true));
    expect(liveDigestOf(await p.read(signal()), p)).toBe(first);
    await writeFile(path, await readFile(path)); // rewritten, same bytes
    expect(liveDigestOf(await p.read(signal()), p)).toBe(first);
    const another = provider(cwd); // as in another process: the digest depends on the file alone
    expect(liveDigestOf(await another.read(signal()), another)).toBe(first);

    await recordLogin(path, "Bob", NOW);
    const afterLogin = liveDigestOf(await p.read(signal()), p);
    expect(afterLogin).not.toBe(first);
    await issueToken(path, "Bob", NOW);
    expect(liveDigestOf(await p.read(signal()), p)).not.toBe(afterLogin);

    const flat = provider(cwd, false);
    expect(liveDigestOf(await flat.read(signal()), flat)).not.toBe(liveDigestOf(await p.read(signal()), p));
  });

  it("leaves a live state it did not read to the generic digest", async () => {
    const { cwd } = await withFile(mixedFile());
    const p = provider(cwd);
    const live = await p.read(signal());
    const copy: LiveState = { users: [...live.users], groups: [...live.groups] };
    expect(p.liveDigest?.(copy)).toBeUndefined();
    expect(liveDigestOf(copy, p)).toBe(canonicalLiveDigest(copy));
    expect(liveDigestOf(copy, p)).not.toBe(liveDigestOf(live, p));
  });
});
