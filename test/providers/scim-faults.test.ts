/**
 * The SCIM connector as a good API citizen, against the real Better Auth server behind a fault proxy:
 * 429 storms, dropped connections in the middle of an apply, timeouts, pagination and request counts.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { scimContext, scimProviderConfig, startScimServer } from "../harness/scim-server.ts";
import type { ScimServer } from "../harness/scim-server.ts";
import { startFaultProxy } from "../harness/fault-proxy.ts";
import type { FaultProxy } from "../harness/fault-proxy.ts";
import { createScimProviderWith } from "../../src/providers/scim/provider.ts";
import type { ScimProvider } from "../../src/providers/scim/provider.ts";
import type { Change } from "../../src/plan/types.ts";
import type { LiveState } from "../../src/model/state.ts";
import { groupCreate, memberChange, userCreate } from "./scim-changes.ts";

const signal = (): AbortSignal => AbortSignal.timeout(25_000);
const base = { provider: "saas", reason: "added-in-config", risk: "broadens" } as const;
const FAST_RETRY = { maxRetries: 4, baseDelayMs: 10, maxDelayMs: 2_000 };

const memberAdd = (group: string, name: string): Change => memberChange(group, name, "add");

/** The plan the tests apply: three users, a group, all three in it. */
const TARGET: Change[][] = [
  [userCreate("ann")],
  [userCreate("ben")],
  [userCreate("cy")],
  [groupCreate("team-x-write")],
  [memberAdd("team-x-write", "ann"), memberAdd("team-x-write", "ben"), memberAdd("team-x-write", "cy")],
];

function expectTargetState(live: LiveState): void {
  expect(live.users.map((u) => u.account).sort()).toEqual([
    "ann@example.com",
    "ben@example.com",
    "cy@example.com",
  ]);
  expect(live.users.every((u) => u.enabled && u.title === "Engineer")).toBe(true);
  expect(live.groups).toEqual([
    { name: "team-x-write", members: ["ann@example.com", "ben@example.com", "cy@example.com"] },
  ]);
}

async function applyAll(provider: ScimProvider, batches: readonly Change[][]): Promise<Change[]> {
  const failed: Change[] = [];
  for (const batch of batches) {
    const outcomes = await provider.apply(batch, signal());
    outcomes.forEach((o, i) => {
      const change = batch[i];
      if (o.status === "failed" && change) failed.push(change);
    });
  }
  return failed;
}

const writes = (proxy: FaultProxy) => proxy.seen.filter((r) => r.method !== "GET").length;

describe("scim connector under faults", { tags: ["slow"] }, () => {
  let server: ScimServer;
  let proxy: FaultProxy;
  let log: string[];
  let provider: ScimProvider;
  const connect = (settings: Record<string, unknown> = {}) =>
    createScimProviderWith(
      scimProviderConfig(proxy.baseUrl, { retry: FAST_RETRY, ...settings }),
      scimContext(server.token, log),
    );

  beforeEach(async () => {
    server = await startScimServer();
    proxy = await startFaultProxy(server.baseUrl);
    log = [];
    provider = connect();
  });
  afterEach(async () => {
    await provider.close();
    await proxy.close();
    await server.close();
  });

  it("rides out a 429 storm by waiting as long as Retry-After says, for reads and creates alike", async () => {
    provider = connect({ retry: { ...FAST_RETRY, maxRetries: 8 } });
    await provider.read(signal());
    proxy.inject({ fault: { kind: "status", status: 429, retryAfter: "1" }, times: 1 });
    proxy.inject({ fault: { kind: "status", status: 429, retryAfter: "0" }, times: 6 });
    const started = performance.now();
    expect(await applyAll(provider, TARGET)).toEqual([]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(proxy.pending()).toBe(0);
    expect(proxy.seen.filter((r) => r.outcome === 429)).toHaveLength(7);
    expect(provider.stats().retries).toBe(7);
    expect(log.some((l) => l.includes("POST /Users: HTTP 429; retry 1/8 in 1000 ms"))).toBe(true);
    expectTargetState(await provider.read(signal()));
    const users = proxy.seen.filter(
      (r) => r.method === "POST" && r.path.endsWith("/Users") && r.outcome === 201,
    );
    expect(users).toHaveLength(3);
  });

  it("gives up after maxRetries when the storm does not end, and says so", async () => {
    await provider.read(signal());
    proxy.inject({ fault: { kind: "status", status: 429, retryAfter: "0" }, times: 100 });
    const [outcome] = await provider.apply([userCreate("ann")], signal());
    expect(outcome?.status).toBe("failed");
    if (outcome?.status === "failed") {
      expect(outcome.error.message).toMatch(/create user "ann@example.com": HTTP 429/);
      expect(outcome.error.isTransient).toBe(true);
      expect(outcome.error.message).not.toContain(server.token);
    }
    expect(proxy.seen).toHaveLength(3 + 2 + 5); // discovery, users and groups, 1 try + 4 retries
  });

  it("retries a GET after a 503 but never re-sends a POST that may have landed", async () => {
    proxy.inject({ fault: { kind: "status", status: 503 }, times: 1, match: (m) => m === "GET" });
    await provider.read(signal());
    expect(provider.stats().retries).toBe(1);
    proxy.inject({
      fault: { kind: "cut-after-forward" },
      times: 1,
      match: (m, p) => m === "POST" && p.endsWith("/Users"),
    });
    const [outcome] = await provider.apply([userCreate("ann")], signal());
    expect(outcome?.status === "applied" && outcome.confirmation).toMatch(/matched existing/);
    expect(proxy.seen.filter((r) => r.method === "POST")).toHaveLength(1);
    const live = await provider.read(signal());
    expect(live.users.map((u) => u.account)).toEqual(["ann@example.com"]);
  });

  it.each([
    ["group", "/Groups", groupCreate("team-slow")],
    ["user", "/Users", userCreate("ann")],
  ] as const)(
    "a %s POST that landed but got no answer is not transient, and re-applying it adopts the resource instead of posting again",
    async (_kind, endpoint, change) => {
      await provider.read(signal());
      const isPost = (m: string, p: string): boolean => m === "POST" && p.endsWith(endpoint);
      // The first POST never reaches the server; the one sent after the look-up lands, its answer is lost.
      proxy.inject({ fault: { kind: "cut-before-forward" }, times: 1, match: isPost });
      proxy.inject({ fault: { kind: "cut-after-forward" }, times: 1, match: isPost });
      const [first] = await provider.apply([change], signal());
      expect(first?.status).toBe("failed");
      if (first?.status === "failed") expect(first.error.isTransient).toBe(false);
      const [again] = await provider.apply([change], signal());
      expect(again?.status === "applied" && again.confirmation).toMatch(/matched existing/);
      expect(proxy.seen.filter((r) => isPost(r.method, r.path))).toHaveLength(2);
      const live = await provider.read(signal());
      if (change.kind === "group") expect(live.groups.map((g) => g.name)).toEqual(["team-slow"]);
      else expect(live.users.map((u) => u.account)).toEqual(["ann@example.com"]);
    },
  );

  it("times out a slow request and tries an idempotent one again", async () => {
    const slow = connect({ timeoutMs: 200 });
    proxy.inject({
      fault: { kind: "delay", ms: 600 },
      times: 1,
      match: (m, p) => m === "GET" && p.endsWith("/Users"),
    });
    const live = await slow.read(signal());
    expect(live.users).toEqual([]);
    expect(slow.stats().retries).toBe(1);
    // The log says what happened, not a status code it does not have.
    expect(log.some((l) => /GET \/Users: no answer within 200 ms; retry 1\/\d+ in \d+ ms/.test(l))).toBe(
      true,
    );
  });

  it("converges on a re-run after the connection drops in the middle of an apply, then writes nothing", async () => {
    await provider.read(signal());
    // Group creation is cut before it reaches the server, twice: the first POST and the one sent after
    // looking the group up. Membership PATCHes are cut after the server did the work.
    proxy.inject({
      fault: { kind: "cut-before-forward" },
      times: 2,
      match: (m, p) => m === "POST" && p.endsWith("/Groups"),
    });
    const failed = await applyAll(provider, TARGET);
    expect(failed.map((c) => c.id)).toEqual([
      "group/team-x-write",
      "membership/team-x-write/ann",
      "membership/team-x-write/ben",
      "membership/team-x-write/cy",
    ]);

    // The re-run: a fresh process reads, and applies what is still missing.
    const rerun = connect();
    const before = await rerun.read(signal());
    expect(before.groups).toEqual([]);
    proxy.inject({
      fault: { kind: "cut-after-forward" },
      times: 1,
      match: (m, p) => m === "PATCH" && p.includes("/Groups/"),
    });
    expect(await applyAll(rerun, [[groupCreate("team-x-write")], failed.slice(1)])).toEqual([]);
    expectTargetState(await rerun.read(signal()));

    const writesBefore = writes(proxy);
    const statsBefore = rerun.stats();
    expect(await rerun.apply([], signal())).toEqual([]);
    expectTargetState(await rerun.read(signal()));
    expect(writes(proxy)).toBe(writesBefore);
    expect(rerun.stats().writes).toBe(statsBefore.writes);
  });

  it("pages through users at the server's maximum page size and counts the requests", async () => {
    const seeds = Array.from({ length: 230 }, (_, i) => `seed${String(i).padStart(3, "0")}`);
    const seed = async (name: string) => {
      const res = await fetch(`${server.baseUrl}/Users`, {
        method: "POST",
        headers: { authorization: `Bearer ${server.token}`, "content-type": "application/scim+json" },
        body: JSON.stringify({
          schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
          userName: `${name}@example.com`,
        }),
      });
      expect(res.status).toBe(201);
    };
    for (let i = 0; i < seeds.length; i += 10) await Promise.all(seeds.slice(i, i + 10).map(seed));
    const live = await provider.read(signal());
    expect(new Set(live.users.map((u) => u.account)).size).toBe(230);
    const userPages = proxy.seen.filter((r) => r.method === "GET" && r.path.endsWith("/Users"));
    expect(userPages).toHaveLength(3); // 100 + 100 + 30
    expect(provider.stats()).toEqual({ reads: 3 + 3 + 1, writes: 0, retries: 0 });

    const small = connect({ pageSize: 50 });
    await small.read(signal());
    expect(small.stats().reads).toBe(3 + 5 + 1);
  });

  /** Users created straight on the server, past the proxy. */
  const seedUsers = async (names: readonly string[]): Promise<void> => {
    for (const name of names) {
      const res = await fetch(`${server.baseUrl}/Users`, {
        method: "POST",
        headers: { authorization: `Bearer ${server.token}`, "content-type": "application/scim+json" },
        body: JSON.stringify({
          schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
          userName: `${name}@example.com`,
        }),
      });
      expect(res.status).toBe(201);
    }
  };
  const isUserList = (m: string, p: string): boolean => m === "GET" && p.endsWith("/Users");

  it("keeps paging while pages come back full when the server reports a capped totalResults", async () => {
    await seedUsers(["u1", "u2", "u3", "u4", "u5"]);
    const paged = connect({ pageSize: 2 });
    proxy.inject({
      fault: {
        kind: "rewrite",
        transform: (list) =>
          typeof list === "object" && list !== null ? { ...list, totalResults: 2 } : list,
      },
      times: 100,
      match: isUserList,
    });
    const live = await paged.read(signal());
    expect(live.users.map((u) => u.account).sort()).toEqual(
      ["u1", "u2", "u3", "u4", "u5"].map((n) => `${n}@example.com`),
    );
    expect(proxy.seen.filter((r) => isUserList(r.method, r.path))).toHaveLength(3); // 2 + 2 + 1
  });

  /** User lists come back as the first one the server gave, wherever `instead` says so. */
  function answerWithFirstPage(instead: (list: unknown) => boolean): void {
    let firstPage: unknown;
    proxy.inject({
      fault: {
        kind: "rewrite",
        transform: (list) => {
          firstPage ??= list;
          return instead(list) ? firstPage : list;
        },
      },
      times: 100,
      match: isUserList,
    });
  }

  it("fails the read loudly when the server ignores startIndex and repeats the first page", async () => {
    await seedUsers(["u1", "u2", "u3", "u4", "u5"]);
    const paged = connect({ pageSize: 2 });
    answerWithFirstPage(() => true);
    await expect(paged.read(signal())).rejects.toThrow(/repeats id .* ignore startIndex/);
  });

  it("ends the list when a start past the end brings back a page it already gave, every id read once", async () => {
    await seedUsers(["u1", "u2", "u3", "u4"]);
    const paged = connect({ pageSize: 2 });
    // As SCIMMY does: a startIndex past the end answers with the first page, not an empty one.
    answerWithFirstPage((list) => {
      const resources =
        typeof list === "object" && list !== null ? (list as { Resources?: unknown[] }).Resources : [];
      return resources === undefined || resources.length === 0;
    });
    const live = await paged.read(signal());
    expect(new Set(live.users.map((u) => u.account)).size).toBe(live.users.length);
    expect(live.users.map((u) => u.account)).toEqual(
      expect.arrayContaining(["u1@example.com", "u4@example.com"]),
    );
  });

  it("adds many members to a group in as few PATCH requests as maxMembersPerWrite allows", async () => {
    const names = Array.from({ length: 120 }, (_, i) => `m${String(i).padStart(3, "0")}`);
    await provider.read(signal()); // a loaded index spares the per-user look-ups before each create
    for (const name of names) {
      const [o] = await provider.apply([userCreate(name)], signal());
      expect(o?.status).toBe("applied");
    }
    await provider.apply([groupCreate("team-big-read")], signal());
    const patchesBefore = proxy.seen.filter((r) => r.method === "PATCH").length;
    const outcomes = await provider.apply(
      names.map((n) => memberAdd("team-big-read", n)),
      signal(),
    );
    expect(outcomes.every((o) => o.status === "applied")).toBe(true);
    expect(proxy.seen.filter((r) => r.method === "PATCH").length - patchesBefore).toBe(2); // 100 + 20
    const live = await provider.read(signal());
    expect(live.groups.find((g) => g.name === "team-big-read")?.members).toHaveLength(120);
  });

  /** ann's account renamed in place to ann.new@example.com, as a plan does when her e-mail changes. */
  const renameAnn: Change = {
    ...base,
    id: "user/ann",
    kind: "user",
    action: "update",
    account: "ann@example.com",
    userId: "ann",
    risk: "neutral",
    fields: [{ field: "account", before: "ann@example.com", after: "ann.new@example.com" }],
    after: { name: "ann Example", email: "ann@example.com", title: "Engineer" },
  };
  const isUserPatch = (method: string, path: string): boolean =>
    method === "PATCH" && path.includes("/Users/");

  it("believes a rename answered 204 No Content only once a read of the user shows the new name", async () => {
    expect(await applyAll(provider, [[userCreate("ann")]])).toEqual([]);
    // The server answers 204 but never saw the PATCH: ann keeps her name.
    proxy.inject({ fault: { kind: "status", status: 204 }, times: 1, match: isUserPatch });
    const [refused] = await provider.apply([renameAnn], signal());
    expect(refused?.status).toBe("failed");
    expect(refused?.status === "failed" ? refused.error.message : "").toContain(
      'kept userName "ann@example.com"',
    );
    expect((await provider.read(signal())).users.map((u) => u.account)).toEqual(["ann@example.com"]);

    // Renamed, and answered 204: the read confirms it.
    proxy.inject({ fault: { kind: "no-content" }, times: 1, match: isUserPatch });
    const before = proxy.seen.length;
    const [renamed] = await provider.apply([renameAnn], signal());
    expect(renamed).toMatchObject({ status: "applied" });
    expect(proxy.seen.slice(before).map((r) => `${r.method} ${String(r.outcome)}`)).toEqual([
      "PATCH 204",
      "GET 200",
    ]);
    expect((await provider.read(signal())).users.map((u) => u.account)).toEqual(["ann.new@example.com"]);
  });
});

describe("scim connector on a server that takes no PATCH", { tags: ["slow"] }, () => {
  it("falls back to GET + PUT for users and groups and reaches the same state", async () => {
    const server = await startScimServer();
    const proxy = await startFaultProxy(server.baseUrl);
    try {
      proxy.inject({
        fault: {
          kind: "rewrite",
          transform: (spc) =>
            typeof spc === "object" && spc !== null ? { ...spc, patch: { supported: false } } : spc,
        },
        times: 1,
        match: (m, p) => m === "GET" && p.endsWith("/ServiceProviderConfig"),
      });
      const provider = createScimProviderWith(scimProviderConfig(proxy.baseUrl), scimContext(server.token));
      await provider.read(signal());
      expect(provider.serverCapabilities()?.patch).toBe(false);
      expect(await applyAll(provider, TARGET)).toEqual([]);
      const [out] = await provider.apply(
        [{ ...base, id: "d", kind: "user", action: "disable", account: "cy@example.com", risk: "narrows" }],
        signal(),
      );
      expect(out?.status).toBe("applied");
      const [rm] = await provider.apply([memberChange("team-x-write", "cy", "remove")], signal());
      expect(rm?.status).toBe("applied");
      const live = await provider.read(signal());
      expect(live.users.find((u) => u.account === "cy@example.com")).toMatchObject({
        enabled: false,
        title: "Engineer",
      });
      expect(live.groups[0]?.members).toEqual(["ann@example.com", "ben@example.com"]);
      expect(proxy.seen.some((r) => r.method === "PATCH")).toBe(false);
      expect(proxy.seen.filter((r) => r.method === "PUT").length).toBeGreaterThanOrEqual(3);
    } finally {
      await proxy.close();
      await server.close();
    }
  });
});

describe("scim group membership on a server that takes no PATCH", { tags: ["slow"] }, () => {
  let server: ScimServer;
  let proxy: FaultProxy;
  let provider: ScimProvider;
  const noPatch = {
    fault: {
      kind: "rewrite",
      transform: (spc: unknown) =>
        typeof spc === "object" && spc !== null ? { ...spc, patch: { supported: false } } : spc,
    },
    times: 1,
    match: (m: string, p: string) => m === "GET" && p.endsWith("/ServiceProviderConfig"),
  } as const;
  /** The next `times` GETs of one group answer without `members`, as servers with `returned: request` do. */
  const hideMembers = (times: number): void => {
    proxy.inject({
      fault: {
        kind: "rewrite",
        transform: (g) => {
          if (typeof g !== "object" || g === null) return g;
          return Object.fromEntries(Object.entries(g).filter(([k]) => k !== "members"));
        },
      },
      times,
      match: (m, p) => m === "GET" && p.includes("/Groups/"),
    });
  };

  beforeEach(async () => {
    server = await startScimServer();
    proxy = await startFaultProxy(server.baseUrl);
    proxy.inject(noPatch);
    provider = createScimProviderWith(scimProviderConfig(proxy.baseUrl), scimContext(server.token));
    await provider.read(signal());
    expect(await applyAll(provider, TARGET)).toEqual([]);
  });
  afterEach(async () => {
    await provider.close();
    await proxy.close();
    await server.close();
  });

  it("asks for members with ?attributes=members when the GET before a PUT leaves them out, and keeps every member", async () => {
    expect(await applyAll(provider, [[userCreate("dan")]])).toEqual([]);
    hideMembers(1);
    const [out] = await provider.apply([memberAdd("team-x-write", "dan")], signal());
    expect(out?.status).toBe("applied");
    const live = await provider.read(signal());
    expect(live.groups[0]?.members).toEqual([
      "ann@example.com",
      "ben@example.com",
      "cy@example.com",
      "dan@example.com",
    ]);
  });

  it("fails a membership change, writing nothing, when the server will not show the group's members at all", async () => {
    expect(await applyAll(provider, [[userCreate("dan")]])).toEqual([]);
    hideMembers(2);
    const puts = proxy.seen.filter((r) => r.method === "PUT").length;
    const [out] = await provider.apply([memberAdd("team-x-write", "dan")], signal());
    expect(out?.status).toBe("failed");
    if (out?.status === "failed") expect(out.error.message).toMatch(/did not return the group's members/);
    expect(proxy.seen.filter((r) => r.method === "PUT").length).toBe(puts);
    const live = await provider.read(signal());
    expect(live.groups[0]?.members).toEqual(["ann@example.com", "ben@example.com", "cy@example.com"]);
  });
});

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

describe("scim e-mail updates", { tags: ["slow"] }, () => {
  it.each([
    ["with PATCH", "a work address", true, "work", false],
    ["without PATCH (GET + PUT)", "a work address", false, "work", false],
    ["with PATCH", "a primary address of another type", true, "other", true],
    ["without PATCH (GET + PUT)", "a primary address of another type", false, "other", true],
  ] as const)(
    "%s, an e-mail update of %s changes only that address and keeps the user's other addresses",
    async (_how, _what, patch, type, primary) => {
      const server = await startScimServer();
      const proxy = await startFaultProxy(server.baseUrl);
      proxy.inject({
        fault: {
          kind: "rewrite",
          transform: (spc) =>
            typeof spc === "object" && spc !== null ? { ...spc, patch: { supported: patch } } : spc,
        },
        times: 1,
        match: (m, p) => m === "GET" && p.endsWith("/ServiceProviderConfig"),
      });
      const provider = createScimProviderWith(scimProviderConfig(proxy.baseUrl), scimContext(server.token));
      const headers = { authorization: `Bearer ${server.token}`, "content-type": "application/scim+json" };
      try {
        const created = await fetch(`${server.baseUrl}/Users`, {
          method: "POST",
          headers,
          body: JSON.stringify({
            schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
            userName: "ann@example.com",
            emails: [
              { value: "ann@example.com", type, ...(primary ? { primary } : {}) },
              { value: "ann@home.example", type: "home" },
            ],
          }),
        });
        expect(created.status).toBe(201);
        const body: unknown = await created.json();
        const id = isObject(body) && typeof body["id"] === "string" ? body["id"] : "";
        await provider.read(signal());
        const [out] = await provider.apply(
          [
            {
              ...base,
              id: "user/ann/email",
              kind: "user",
              action: "update",
              account: "ann@example.com",
              fields: [{ field: "email", before: "ann@example.com", after: "ann@new.example" }],
              after: { email: "ann@new.example" },
            },
          ],
          signal(),
        );
        expect(out?.status).toBe("applied");
        const res = await fetch(`${server.baseUrl}/Users/${id}`, { headers });
        const user: unknown = await res.json();
        const emails = isObject(user) && Array.isArray(user["emails"]) ? user["emails"] : [];
        const shown = emails.map((e: unknown) =>
          isObject(e) && typeof e["value"] === "string"
            ? `${typeof e["type"] === "string" ? e["type"] : ""}:${e["value"]}`
            : "?",
        );
        expect(shown).toEqual([`${type}:ann@new.example`, "home:ann@home.example"]);
      } finally {
        await provider.close();
        await proxy.close();
        await server.close();
      }
    },
  );
});

describe("scim incremental reads", { tags: ["slow"] }, () => {
  it("asks only for what changed since the last read, and reads everything after a deletion", async () => {
    const server = await startScimServer();
    const proxy = await startFaultProxy(server.baseUrl);
    try {
      proxy.inject({ fault: { kind: "filter-last-modified" }, times: 10_000 });
      const provider = createScimProviderWith(scimProviderConfig(proxy.baseUrl), scimContext(server.token));
      await provider.read(signal());
      expect(await applyAll(provider, TARGET)).toEqual([]);
      expectTargetState(await provider.read(signal()));

      const direct = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${server.baseUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${server.token}`, "content-type": "application/scim+json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        expect(res.status).toBeLessThan(300);
        return res.status === 204 ? undefined : ((await res.json()) as { Resources: { id: string }[] });
      };
      const found = await direct(
        "GET",
        `/Users?filter=${encodeURIComponent('userName eq "ben@example.com"')}`,
      );
      const benId = found?.Resources[0]?.id ?? "";
      await direct("PATCH", `/Users/${benId}`, {
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        Operations: [{ op: "replace", path: "title", value: "Manager" }],
      });

      const before = provider.stats().reads;
      const live = await provider.read(signal());
      expect(provider.stats().reads - before).toBe(4); // changed users, user total, changed groups, group total
      expect(live.users.find((u) => u.account === "ben@example.com")?.title).toBe("Manager");
      expect(provider.serverCapabilities()?.filter).toBe(true);

      await direct("DELETE", `/Users/${benId}`);
      const after = await provider.read(signal());
      expect(after.users.map((u) => u.account).sort()).toEqual(["ann@example.com", "cy@example.com"]);
      expect(after.groups[0]?.members).toEqual(["ann@example.com", "cy@example.com"]);
    } finally {
      await proxy.close();
      await server.close();
    }
  });

  it("does not take a write the server answered with success but did not make as made", async () => {
    const server = await startScimServer();
    const proxy = await startFaultProxy(server.baseUrl);
    try {
      // Reads filter on meta.lastModified; writes are left to the faults below.
      proxy.inject({
        fault: { kind: "filter-last-modified" },
        times: 10_000,
        match: (method) => method === "GET",
      });
      // No clock margin: a group changed before the last read is not listed as changed again.
      const provider = createScimProviderWith(
        scimProviderConfig(proxy.baseUrl, { clockMarginSeconds: 0 }),
        scimContext(server.token),
      );
      await provider.read(signal());
      expect(await applyAll(provider, TARGET)).toEqual([]);
      // The server's Date has whole seconds: a read in a later second than the writes lists none of them.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expectTargetState(await provider.read(signal()));
      const isGroupPatch = (method: string, path: string) => method === "PATCH" && path.includes("/Groups/");

      // The answer lists the group as it is: the removal it claims to have made did not happen.
      proxy.inject({ fault: { kind: "ignore-write", answer: "resource" }, times: 1, match: isGroupPatch });
      const [refused] = await provider.apply([memberChange("team-x-write", "ben", "remove")], signal());
      expect(refused?.status).toBe("failed");
      expect(refused?.status === "failed" && refused.error.message).toContain(
        "the server answered with success, but the group it sent back still lists the member: it did not make the change",
      );

      // 204 No Content: nothing to tell from the answer, but the next read (incremental: the server did
      // not date the group changed) asks for the group written, and finds ben still in it.
      proxy.inject({ fault: { kind: "ignore-write", answer: "no-content" }, times: 1, match: isGroupPatch });
      const [claimed] = await provider.apply([memberChange("team-x-write", "ben", "remove")], signal());
      expect(claimed?.status).toBe("applied");
      const before = proxy.seen.length;
      const live = await provider.read(signal());
      expect(live.groups[0]?.members).toContain("ben@example.com");
      expect(
        proxy.seen.slice(before).some((r) => r.method === "GET" && /\/Groups\/[^/?]+$/.test(r.path)),
      ).toBe(true);
    } finally {
      await proxy.close();
      await server.close();
    }
  });

  it("removes members by writing the group whole where the server refuses filtered remove paths", async () => {
    const server = await startScimServer();
    const proxy = await startFaultProxy(server.baseUrl);
    const log: string[] = [];
    try {
      const provider = createScimProviderWith(
        scimProviderConfig(proxy.baseUrl),
        scimContext(server.token, log),
      );
      expect(await applyAll(provider, TARGET)).toEqual([]);
      const isGroupPatch = (method: string, path: string) => method === "PATCH" && path.includes("/Groups/");
      proxy.inject({
        fault: { kind: "status", status: 400, scimType: "invalidPath" },
        times: 1,
        match: isGroupPatch,
      });
      expect(await provider.apply([memberChange("team-x-write", "ben", "remove")], signal())).toMatchObject([
        { status: "applied" },
      ]);
      // Later removals go straight to GET + PUT: the server is not asked the refused form again.
      const before = proxy.seen.length;
      expect(await provider.apply([memberChange("team-x-write", "cy", "remove")], signal())).toMatchObject([
        { status: "applied" },
      ]);
      expect(proxy.seen.slice(before).map((r) => r.method)).not.toContain("PATCH");
      expect(proxy.seen.slice(before).map((r) => r.method)).toContain("PUT");
      expect(log.filter((l) => l.includes("refuses remove operations with a filtered path"))).toHaveLength(1);
      // As the server holds it, read past the proxy by a provider of its own.
      const direct = createScimProviderWith(scimProviderConfig(server.baseUrl), scimContext(server.token));
      const live = await direct.read(signal());
      await direct.close();
      expect(live.groups).toEqual([{ name: "team-x-write", members: ["ann@example.com"] }]);
    } finally {
      await proxy.close();
      await server.close();
    }
  });

  it("writes nothing whole where the group the server returns lacks members gatehouse read", async () => {
    const server = await startScimServer();
    const proxy = await startFaultProxy(server.baseUrl);
    try {
      const provider = createScimProviderWith(scimProviderConfig(proxy.baseUrl), scimContext(server.token));
      expect(await applyAll(provider, TARGET)).toEqual([]);
      const isGroupPatch = (method: string, path: string) => method === "PATCH" && path.includes("/Groups/");
      const isGroupGet = (method: string, path: string) => method === "GET" && /\/Groups\/[^/]+$/.test(path);
      proxy.inject({
        fault: { kind: "status", status: 400, scimType: "invalidPath" },
        times: 1,
        match: isGroupPatch,
      });
      // The GET before the PUT returns the group without ann (a server capping the members it returns).
      const withoutFirst = (body: unknown) => {
        const group = body as { members?: unknown[] };
        return { ...group, members: (group.members ?? []).slice(1) };
      };
      proxy.inject({ fault: { kind: "rewrite", transform: withoutFirst }, times: 1, match: isGroupGet });
      const [outcome] = await provider.apply([memberChange("team-x-write", "ben", "remove")], signal());
      expect(outcome?.status).toBe("failed");
      expect(outcome?.status === "failed" && outcome.error.message).toContain(
        "of the members gatehouse read",
      );
      expect(proxy.seen.some((r) => r.method === "PUT")).toBe(false);
      const direct = createScimProviderWith(scimProviderConfig(server.baseUrl), scimContext(server.token));
      const live = await direct.read(signal());
      await direct.close();
      expectTargetState(live);
    } finally {
      await proxy.close();
      await server.close();
    }
  });

  it("reads everything when the server refuses meta.lastModified filters, and stops asking", async () => {
    const server = await startScimServer();
    const log: string[] = [];
    try {
      const provider = createScimProviderWith(
        scimProviderConfig(server.baseUrl),
        scimContext(server.token, log),
      );
      expect(await applyAll(provider, TARGET)).toEqual([]);
      await provider.read(signal());
      const reads = [provider.stats().reads];
      expectTargetState(await provider.read(signal()));
      reads.push(provider.stats().reads);
      expectTargetState(await provider.read(signal()));
      reads.push(provider.stats().reads);
      expect([reads[1]! - reads[0]!, reads[2]! - reads[1]!]).toEqual([3, 2]);
      expect(log.filter((l) => /does not filter on meta.lastModified/.test(l))).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
