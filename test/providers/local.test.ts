import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, ProviderError } from "../../src/errors.ts";
import type { ProviderConfig } from "../../src/model/access.ts";
import type { Change } from "../../src/plan/types.ts";
import { createLocalProvider } from "../../src/providers/local/provider.ts";
import { issueToken, recordLogin } from "../../src/providers/local/simulate.ts";
import type { Provider } from "../../src/providers/types.ts";
import { describeProviderContract } from "./contract.ts";

const NOW = new Date("2026-03-01T09:00:00Z");
const signal = (): AbortSignal => AbortSignal.timeout(10_000);
const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-local-"));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function localConfig(settings: Record<string, unknown>, nesting = true): ProviderConfig {
  return {
    name: "directory",
    type: "local",
    mode: "authoritative",
    nesting,
    settings,
    source: { file: "access/gatehouse.yaml", line: 3, column: 3 },
  };
}

function localProvider(cwd: string, settings: Record<string, unknown> = {}, nesting = true): Provider {
  return createLocalProvider(localConfig(settings, nesting), { env: {}, cwd, now: () => NOW });
}

const base = { provider: "directory", reason: "added-in-config", risk: "broadens" } as const;
const createUser = (account: string): Change => ({
  ...base,
  id: `directory:user/${account}`,
  kind: "user",
  action: "create",
  account,
  after: { name: account.toUpperCase(), email: `${account}@example.com`, employmentType: "employee" },
});
const createGroup = (group: string, description?: string): Change => ({
  ...base,
  id: `directory:group/${group}`,
  kind: "group",
  action: "create",
  group,
  ...(description === undefined ? {} : { description }),
});
const addMember = (group: string, member: string, memberKind: "user" | "group" = "user"): Change => ({
  ...base,
  id: `directory:membership/${group}/${member}`,
  kind: "membership",
  action: "add",
  group,
  member,
  memberKind,
});

async function applyAll(provider: Provider, changes: Change[]) {
  return provider.apply(changes, signal());
}

for (const nesting of [true, false]) {
  describeProviderContract(`local (nesting ${String(nesting)})`, async () => {
    // Lives for the whole contract suite (afterEach would empty it between scenarios).
    const dir = await mkdtemp(join(tmpdir(), "gatehouse-local-contract-"));
    return {
      provider: localProvider(dir, {}, nesting),
      close: () => rm(dir, { recursive: true, force: true }),
    };
  });
}

describe("local provider between apply phases", () => {
  it("reads the file again when another writer changed it since its last write, and loses nothing", async () => {
    const dir = await tempDir();
    const provider = localProvider(dir, { path: "dir.json" });
    const file = join(dir, "dir.json");
    await applyAll(provider, [createUser("alice"), createGroup("team-a")]);
    // Someone else edits the file between two phases (another process, or by hand).
    const edited = JSON.parse(await readFile(file, "utf8")) as {
      users: { account: string; enabled: boolean; sessions: unknown[]; tokens: unknown[] }[];
    };
    edited.users.push({ account: "zed", enabled: true, sessions: [], tokens: [] });
    await writeFile(file, JSON.stringify(edited));
    await applyAll(provider, [addMember("team-a", "alice")]);
    const after = await provider.read(signal());
    expect(after.users.map((u) => u.account)).toEqual(["alice", "zed"]);
    expect(after.groups).toMatchObject([{ name: "team-a", members: ["alice"] }]);
    // Unchanged since its own write: the next phase builds on what it wrote.
    await applyAll(provider, [createUser("bob"), addMember("team-a", "bob")]);
    const last = await provider.read(signal());
    expect(last.users.map((u) => u.account)).toEqual(["alice", "bob", "zed"]);
    expect(last.groups).toMatchObject([{ name: "team-a", members: ["alice", "bob"] }]);
  });
});

describe("local provider settings", () => {
  it("stores the directory at .gatehouse/directory.json under cwd by default, creating the folder", async () => {
    const dir = await tempDir();
    await applyAll(localProvider(dir), [createUser("alice")]);
    const file: unknown = JSON.parse(await readFile(join(dir, ".gatehouse/directory.json"), "utf8"));
    expect(file).toMatchObject({ formatVersion: 1, users: [{ account: "alice", enabled: true }] });
  });

  it("treats a missing file as an empty directory without creating it", async () => {
    const dir = await tempDir();
    expect(await localProvider(dir, { path: "dir.json" }).read(signal())).toEqual({ users: [], groups: [] });
    await expect(readFile(join(dir, "dir.json"))).rejects.toThrow(/ENOENT/);
  });

  it.each([
    [{ path: "" }, /"path" must be a non-empty string/],
    [{ path: 42 }, /"path" must be a non-empty string/],
    [{ paht: "x.json" }, /unknown setting\(s\) paht/],
    [{ lockTimeoutMs: "soon" }, /"lockTimeoutMs" must be a whole number/],
  ])("rejects bad settings %j with a ConfigError naming the provider", async (settings, message) => {
    const dir = await tempDir();
    const make = () => localProvider(dir, settings);
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(message);
    expect(make).toThrow('access/gatehouse.yaml:3:3 provider "directory" (local)');
  });

  it("declares its capabilities, following the nesting setting", async () => {
    const dir = await tempDir();
    expect(localProvider(dir, {}, false).capabilities).toEqual({
      nesting: false,
      disable: "disable",
      revokeSessions: true,
      maxMembersPerWrite: 1000,
      renameGroups: true,
      applyWholePhase: true,
      userAttributes: ["name", "email", "department", "title", "manager", "employmentType"],
      createUsers: true,
      groupDescription: true,
    });
    expect(localProvider(dir, {}, true).capabilities.nesting).toBe(true);
  });
});

describe("local provider changes", () => {
  it("reports each impossible change as failed and still applies the others, in one write", async () => {
    const dir = await tempDir();
    const p = localProvider(dir);
    await applyAll(p, [createUser("alice")]);
    const writes = p.stats().writes;
    const outcomes = await applyAll(p, [
      createUser("alice"),
      addMember("team-missing-write", "alice"),
      createGroup("team-a-write"),
      addMember("team-a-write", "ghost"),
      addMember("team-a-write", "alice"),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["failed", "failed", "applied", "failed", "applied"]);
    const errors = outcomes.flatMap((o) => (o.status === "failed" ? [o.error] : []));
    for (const error of errors) expect(error).toBeInstanceOf(ProviderError);
    expect(errors.map((e) => e.message)).toEqual([
      'directory: create user: user "alice" already exists',
      'directory: add membership: group "team-missing-write" does not exist',
      'directory: add membership: user "ghost" does not exist',
    ]);
    expect(p.stats().writes).toBe(writes + 1);
    const live = await p.read(signal());
    expect(live.groups).toEqual([{ name: "team-a-write", members: ["alice"], groupMembers: [] }]);
    expect(live.users.map((u) => u.account)).toEqual(["alice"]);
  });

  it("treats adding an existing member as applied without writing", async () => {
    const dir = await tempDir();
    const p = localProvider(dir);
    await applyAll(p, [createUser("alice"), createGroup("team-a-write"), addMember("team-a-write", "alice")]);
    const writes = p.stats().writes;
    const outcomes = await applyAll(p, [addMember("team-a-write", "alice")]);
    expect(outcomes).toEqual([
      { status: "applied", confirmation: "alice was already a member of team-a-write" },
    ]);
    expect(p.stats().writes).toBe(writes);
  });

  it("refuses a nesting cycle, and new group members when nesting is off (a link left over may go)", async () => {
    const dir = await tempDir();
    const nested = localProvider(dir);
    await applyAll(nested, [createGroup("team-a-write"), createGroup("team-b-write")]);
    expect((await applyAll(nested, [addMember("team-a-write", "team-b-write", "group")]))[0]?.status).toBe(
      "applied",
    );
    const [cycle] = await applyAll(nested, [addMember("team-b-write", "team-a-write", "group")]);
    expect(cycle?.status === "failed" && cycle.error.message).toMatch(/would create a nesting cycle/);
    const flat = localProvider(dir, {}, false);
    const [refused] = await applyAll(flat, [addMember("team-b-write", "team-a-write", "group")]);
    expect(refused?.status === "failed" && refused.error.message).toMatch(/nesting is off/);
    // The link made while nesting was on is still there, reported, and can be taken out.
    expect((await flat.read(signal())).groups.find((g) => g.name === "team-a-write")?.groupMembers).toEqual([
      "team-b-write",
    ]);
    const [removed] = await applyAll(flat, [
      {
        ...base,
        id: "directory:membership/team-a-write/group:team-b-write",
        kind: "membership",
        action: "remove",
        group: "team-a-write",
        member: "team-b-write",
        memberKind: "group",
        risk: "narrows",
      },
    ]);
    expect(removed?.status).toBe("applied");
    expect((await flat.read(signal())).groups.find((g) => g.name === "team-a-write")).not.toHaveProperty(
      "groupMembers",
    );
  });

  it("records logins and tokens out of band, and revoke-sessions clears both", async () => {
    const dir = await tempDir();
    const p = localProvider(dir);
    await applyAll(p, [createUser("alice")]);
    const path = join(dir, ".gatehouse/directory.json");
    await recordLogin(path, "alice", new Date("2026-02-27T08:00:00Z"));
    await recordLogin(path, "alice", new Date("2026-02-28T08:00:00Z"));
    const tokenId = await issueToken(path, "alice", new Date("2026-02-28T09:00:00Z"));
    expect(tokenId).toMatch(/^tok-[0-9a-f]{12}$/);
    expect((await p.read(signal())).users[0]).toMatchObject({
      account: "alice",
      lastLogin: "2026-02-28T08:00:00.000Z",
      sessions: 2,
      tokens: 1,
    });
    const [outcome] = await applyAll(p, [
      {
        ...base,
        id: "x",
        risk: "narrows",
        kind: "user",
        action: "revoke-sessions",
        account: "alice",
        sessions: 2,
        tokens: 1,
      },
    ]);
    expect(outcome).toEqual({
      status: "applied",
      confirmation: "revoked 2 session(s) and 1 token(s) of alice",
    });
    expect((await p.read(signal())).users[0]).toMatchObject({
      sessions: 0,
      tokens: 0,
      lastLogin: "2026-02-28T08:00:00.000Z",
    });
  });

  it("refuses logins for unknown or disabled accounts", async () => {
    const dir = await tempDir();
    const p = localProvider(dir);
    const path = join(dir, ".gatehouse/directory.json");
    await applyAll(p, [createUser("alice")]);
    await expect(recordLogin(path, "bob", NOW)).rejects.toThrow(/user "bob" does not exist/);
    await applyAll(p, [{ ...base, id: "d", kind: "user", action: "disable", account: "alice" }]);
    await expect(recordLogin(path, "alice", NOW)).rejects.toThrow(/user "alice" is disabled/);
  });

  it("keeps adds, removals and re-adds in one write in order, with a user deleted between them", async () => {
    const dir = await tempDir();
    const p = localProvider(dir);
    const removeMember = (group: string, member: string): Change => ({
      ...base,
      risk: "narrows",
      id: `directory:membership/${group}/${member}`,
      kind: "membership",
      action: "remove",
      group,
      member,
      memberKind: "user",
    });
    const outcomes = await applyAll(p, [
      ...["ann", "bob", "cid"].map(createUser),
      createGroup("team-a-write"),
      addMember("team-a-write", "ann"),
      addMember("team-a-write", "bob"),
      addMember("team-a-write", "cid"),
      removeMember("team-a-write", "ann"),
      removeMember("team-a-write", "ann"),
      { ...base, id: "d", kind: "user", action: "delete", account: "bob" },
      addMember("team-a-write", "bob"),
      addMember("team-a-write", "ann"),
      addMember("team-a-write", "cid"),
    ]);
    expect(outcomes.slice(4).map((o) => (o.status === "applied" ? o.confirmation : o.error.message))).toEqual(
      [
        "added ann to team-a-write",
        "added bob to team-a-write",
        "added cid to team-a-write",
        "removed ann from team-a-write",
        "ann was not a member of team-a-write",
        "deleted user bob",
        'directory: add membership: user "bob" does not exist',
        "added ann to team-a-write",
        "cid was already a member of team-a-write",
      ],
    );
    const live = await p.read(signal());
    expect(live.groups).toEqual([{ name: "team-a-write", members: ["ann", "cid"], groupMembers: [] }]);
  });

  it("deletes a user and removes them from every group", async () => {
    const dir = await tempDir();
    const p = localProvider(dir);
    await applyAll(p, [createUser("alice"), createGroup("team-a-write"), addMember("team-a-write", "alice")]);
    await applyAll(p, [{ ...base, id: "d", kind: "user", action: "delete", account: "alice" }]);
    expect(await p.read(signal())).toEqual({
      users: [],
      groups: [{ name: "team-a-write", members: [], groupMembers: [] }],
    });
  });

  it("updates and removes attributes listed in fields, and a group's description", async () => {
    const dir = await tempDir();
    const p = localProvider(dir);
    await applyAll(p, [createUser("alice"), createGroup("team-a-write", "old")]);
    const outcomes = await applyAll(p, [
      {
        ...base,
        id: "u",
        kind: "user",
        action: "update",
        account: "alice",
        fields: [
          { field: "email", before: "alice@example.com", after: null },
          { field: "department", before: null, after: "ENG" },
        ],
        after: { name: "ALICE", department: "ENG", employmentType: "employee" },
      },
      {
        ...base,
        id: "g",
        kind: "group",
        action: "update",
        group: "team-a-write",
        fields: [{ field: "description", before: "old", after: "new" }],
        description: "new",
      },
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["applied", "applied"]);
    const live = await p.read(signal());
    expect(live.users[0]).toEqual({
      account: "alice",
      name: "ALICE",
      department: "ENG",
      employmentType: "employee",
      enabled: true,
      sessions: 0,
      tokens: 0,
    });
    expect(live.groups[0]?.description).toBe("new");
  });
});

describe("local provider file safety", () => {
  it.each([
    [
      "bad JSON",
      "{ users: [",
      /json:1:3 is not a valid directory file: it is not valid JSON \(Expected property name/,
    ],
    [
      "a wrong shape",
      JSON.stringify({ formatVersion: 1, users: [{ account: "a" }], groups: [] }),
      /users\[0\]\.enabled must be true or false/,
    ],
    ["an unknown format", JSON.stringify({ users: [], groups: [] }), /formatVersion must be 1/],
  ])("refuses a file with %s, naming the file, and leaves it untouched", async (_name, content, problem) => {
    const dir = await tempDir();
    const path = join(dir, "directory.json");
    await writeFile(path, content);
    const p = localProvider(dir, { path: "directory.json" });
    await expect(p.read(signal())).rejects.toThrow(ProviderError);
    await expect(p.read(signal())).rejects.toThrow(problem);
    await expect(p.read(signal())).rejects.toThrow(path); // with :line:col for a JSON syntax error
    await expect(p.read(signal())).rejects.toThrow(/ is not a valid directory file: /);
    const [outcome] = await applyAll(p, [createUser("alice")]);
    expect(outcome?.status === "failed" && outcome.error.message).toMatch(/Restore it from a backup/);
    expect(await readFile(path, "utf8")).toBe(content);
    expect(p.stats().writes).toBe(0);
  });

  it("counts one read per read and one write per apply call that changed the file", async () => {
    const dir = await tempDir();
    const p = localProvider(dir);
    await applyAll(p, [createGroup("team-a-write")]);
    await applyAll(p, [createGroup("team-a-write")]);
    await p.read(signal());
    expect(p.stats()).toEqual({ reads: 1, writes: 1 });
  });
});
