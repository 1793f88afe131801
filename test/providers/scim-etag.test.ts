/**
 * The SCIM connector on a server with ETags (RFC 7644 section 3.14). Better Auth has none, so the fault
 * proxy stands in for them at the HTTP boundary: it says `etag.supported` in /ServiceProviderConfig, gives
 * every User and Group it returns a `meta.version` (and an `ETag` header on single resources), and logs the
 * `If-Match` the client sends on each write.
 */
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { scimContext, scimProviderConfig, startScimServer } from "../harness/scim-server.ts";
import type { ScimServer } from "../harness/scim-server.ts";
import { startFaultProxy } from "../harness/fault-proxy.ts";
import type { FaultProxy, FaultProxyOptions, ForwardedAnswer } from "../harness/fault-proxy.ts";
import { createScimProviderWith } from "../../src/providers/scim/provider.ts";
import type { ScimProvider } from "../../src/providers/scim/provider.ts";
import type { Change } from "../../src/plan/types.ts";
import { groupCreate, memberChange as member, userCreate } from "./scim-changes.ts";

const signal = (): AbortSignal => AbortSignal.timeout(25_000);
const base = { provider: "saas", reason: "added-in-config", risk: "broadens" } as const;
const WRITES = new Set(["PATCH", "PUT", "DELETE"]);

const userTitle = (name: string, before: string, after: string): Change => ({
  ...base,
  id: `user/${name}/title`,
  kind: "user",
  action: "update",
  account: `${name}@example.com`,
  userId: name,
  fields: [{ field: "title", before, after }],
  after: { name: `${name} Example`, email: `${name}@example.com`, title: after },
});

/** Three users and a group with ann in it. */
const SETUP: Change[][] = [
  [userCreate("ann")],
  [userCreate("ben")],
  [userCreate("cy")],
  [groupCreate("team-e")],
  [member("team-e", "ann", "add")],
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A weak ETag from the resource's content, so any change to it gives a new version. */
function versionOf(resource: Record<string, unknown>): string {
  const content = Object.entries(resource).filter(([key]) => key !== "meta");
  return `W/"${createHash("sha256").update(JSON.stringify(content)).digest("hex").slice(0, 16)}"`;
}

interface WriteSeen {
  readonly method: string;
  readonly path: string;
  readonly ifMatch: string | undefined;
  /** The version the proxy last handed out for this resource when the write arrived. */
  readonly lastServed: string | undefined;
}

/** The proxy's `respond` hook for an ETag-capable server, and what it handed out and saw. */
function etagServer(advertise: boolean, patch = true) {
  const served = new Map<string, string>();
  const writes: WriteSeen[] = [];
  const stamp = (resource: Record<string, unknown>): Record<string, unknown> => {
    const id = resource["id"];
    if (typeof id !== "string") return resource;
    const version = versionOf(resource);
    served.set(id, version);
    const meta = isRecord(resource["meta"]) ? resource["meta"] : {};
    return { ...resource, meta: { ...meta, version } };
  };
  const respond: NonNullable<FaultProxyOptions["respond"]> = (a: ForwardedAnswer) => {
    if (WRITES.has(a.method)) {
      const id = decodeURIComponent(a.path.split("/").pop() ?? "");
      writes.push({ method: a.method, path: a.path, ifMatch: a.ifMatch, lastServed: served.get(id) });
    }
    const body = a.body;
    if (!isRecord(body) || a.status >= 300) return undefined;
    if (a.path.endsWith("/ServiceProviderConfig")) {
      const withPatch = patch ? body : { ...body, patch: { supported: false } };
      return advertise || !patch ? { body: { ...withPatch, etag: { supported: advertise } } } : undefined;
    }
    if (!/\/(Users|Groups)(\/|$)/.test(a.path)) return undefined;
    if (Array.isArray(body["Resources"])) {
      const resources = body["Resources"].map((r: unknown) => (isRecord(r) ? stamp(r) : r));
      return { body: { ...body, Resources: resources } };
    }
    const stamped = stamp(body);
    const meta = stamped["meta"];
    const version = isRecord(meta) ? meta["version"] : undefined;
    return typeof version === "string" ? { body: stamped, headers: { etag: version } } : undefined;
  };
  return { respond, served, writes };
}

async function applyAll(provider: ScimProvider, batches: readonly Change[][]): Promise<string[]> {
  const failed: string[] = [];
  for (const batch of batches) {
    const outcomes = await provider.apply(batch, signal());
    outcomes.forEach((o, i) => {
      if (o.status === "failed") failed.push(`${batch[i]?.id ?? "?"}: ${o.error.message}`);
    });
  }
  return failed;
}

/** Talks to the server directly, bypassing the proxy: another writer the connector does not know about. */
async function direct(server: ScimServer, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.token}`, "content-type": "application/scim+json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(res.status).toBeLessThan(300);
  return res.status === 204 ? undefined : await res.json();
}

async function idOf(server: ScimServer, endpoint: "Users" | "Groups", filter: string): Promise<string> {
  const list = await direct(server, "GET", `/${endpoint}?filter=${encodeURIComponent(filter)}`);
  const first =
    isRecord(list) && Array.isArray(list["Resources"]) ? list["Resources"].find(isRecord) : undefined;
  const id = first?.["id"];
  if (typeof id !== "string") throw new Error(`no ${endpoint} resource matches ${filter}`);
  return id;
}

const patchOp = (op: string, path: string, value: unknown) => ({
  schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
  Operations: [{ op, path, value }],
});

describe("scim connector on a server with ETags", { tags: ["slow"] }, () => {
  let server: ScimServer;
  let proxy: FaultProxy;
  let etag: ReturnType<typeof etagServer>;
  let provider: ScimProvider;

  async function start(
    advertise: boolean,
    patch = true,
    settings: Readonly<Record<string, unknown>> = {},
  ): Promise<void> {
    server = await startScimServer();
    etag = etagServer(advertise, patch);
    proxy = await startFaultProxy(server.baseUrl, { respond: etag.respond });
    provider = createScimProviderWith(scimProviderConfig(proxy.baseUrl, settings), scimContext(server.token));
    await provider.read(signal());
    expect(await applyAll(provider, SETUP)).toEqual([]);
    await provider.read(signal());
  }
  afterEach(async () => {
    await provider.close();
    await proxy.close();
    await server.close();
  });

  it("sends If-Match with the version it last read on a user update and on group membership PATCHes", async () => {
    await start(true);
    expect(provider.serverCapabilities()?.etag).toBe(true);
    const annId = await idOf(server, "Users", 'userName eq "ann@example.com"');
    const groupId = await idOf(server, "Groups", 'displayName eq "team-e"');
    const readVersions = { ann: etag.served.get(annId), group: etag.served.get(groupId) };
    expect(readVersions.ann).toMatch(/^W\/"[0-9a-f]{16}"$/);
    expect(readVersions.group).toMatch(/^W\/"[0-9a-f]{16}"$/);
    const before = etag.writes.length;

    expect(await applyAll(provider, [[userTitle("ann", "Engineer", "Manager")]])).toEqual([]);
    // Two membership writes in a row: the second must carry the version the first one's answer gave.
    expect(
      await applyAll(provider, [[member("team-e", "ben", "add")], [member("team-e", "cy", "add")]]),
    ).toEqual([]);

    const writes = etag.writes.slice(before);
    expect(writes.map((w) => `${w.method} ${w.path.replace(/\/[^/]+$/, "")}`)).toEqual([
      "PATCH /api/auth/scim/v2/Users",
      "PATCH /api/auth/scim/v2/Groups",
      "PATCH /api/auth/scim/v2/Groups",
    ]);
    expect(writes[0]?.ifMatch).toBe(readVersions.ann);
    expect(writes[1]?.ifMatch).toBe(readVersions.group);
    expect(writes[2]?.ifMatch).toBeDefined();
    expect(writes[2]?.ifMatch).not.toBe(readVersions.group);
    for (const w of writes) expect(w.ifMatch).toBe(w.lastServed);

    const live = await provider.read(signal());
    expect(live.users.find((u) => u.account === "ann@example.com")?.title).toBe("Manager");
    expect(live.groups).toEqual([
      { name: "team-e", members: ["ann@example.com", "ben@example.com", "cy@example.com"] },
    ]);
  });

  it("after a 412 on a user PATCH, re-reads the user and writes once more with the new version", async () => {
    await start(true);
    const annId = await idOf(server, "Users", 'userName eq "ann@example.com"');
    const readVersion = etag.served.get(annId);
    // Another writer changes ann behind the connector's back; the server now refuses the old version.
    await direct(server, "PATCH", `/Users/${annId}`, patchOp("replace", "displayName", "Ann E."));
    proxy.inject({
      fault: { kind: "status", status: 412 },
      times: 1,
      match: (m, p) => m === "PATCH" && p.endsWith(`/Users/${annId}`),
    });
    const from = proxy.seen.length;

    expect(await applyAll(provider, [[userTitle("ann", "Engineer", "Manager")]])).toEqual([]);

    const seen = proxy.seen.slice(from).filter((r) => r.path.endsWith(`/Users/${annId}`));
    expect(seen.map((r) => `${r.method} ${String(r.outcome)}`)).toEqual([
      "PATCH 412",
      "GET 200",
      "PATCH 200",
    ]);
    expect(seen[0]?.ifMatch).toBe(readVersion);
    const reread = etag.writes.at(-1)?.lastServed;
    expect(seen[2]?.ifMatch).toBe(reread);
    expect(seen[2]?.ifMatch).not.toBe(readVersion);
    expect(proxy.pending()).toBe(0);
    const live = await provider.read(signal());
    expect(live.users.find((u) => u.account === "ann@example.com")?.title).toBe("Manager");
  });

  it("deletes with If-Match; after a 412 deletes the same user with the new version, never a renamed one", async () => {
    await start(true, true, { deleteUsers: true });
    const benId = await idOf(server, "Users", 'userName eq "ben@example.com"');
    const cyId = await idOf(server, "Users", 'userName eq "cy@example.com"');
    const readVersion = etag.served.get(benId);
    // Another writer changes ben (not his userName), and renames cy, after the read.
    await direct(server, "PATCH", `/Users/${benId}`, patchOp("replace", "displayName", "Ben E."));
    await direct(server, "PATCH", `/Users/${cyId}`, patchOp("replace", "userName", "cy2@example.com"));
    for (const id of [benId, cyId])
      proxy.inject({
        fault: { kind: "status", status: 412 },
        times: 1,
        match: (m, p) => m === "DELETE" && p.endsWith(`/Users/${id}`),
      });
    const from = proxy.seen.length;
    const remove = (name: string): Change => ({
      ...base,
      id: `user/${name}`,
      kind: "user",
      action: "delete",
      account: `${name}@example.com`,
      risk: "narrows",
    });

    const failed = await applyAll(provider, [[remove("ben")], [remove("cy")]]);
    expect(failed).toEqual([
      expect.stringMatching(
        /^user\/cy: .*not deleted: it changed since it was read and is now named "cy2@example.com", not "cy@example.com"; plan again/,
      ),
    ]);
    const ben = proxy.seen.slice(from).filter((r) => r.path.endsWith(`/Users/${benId}`));
    expect(ben.map((r) => `${r.method} ${String(r.outcome)}`)).toEqual([
      "DELETE 412",
      "GET 200",
      "DELETE 204",
    ]);
    expect(ben[0]?.ifMatch).toBe(readVersion);
    expect(ben[2]?.ifMatch).toBe(etag.served.get(benId));
    expect(ben[2]?.ifMatch).not.toBe(readVersion);
    const cy = proxy.seen.slice(from).filter((r) => r.path.endsWith(`/Users/${cyId}`));
    expect(cy.map((r) => `${r.method} ${String(r.outcome)}`)).toEqual(["DELETE 412", "GET 200"]);
    const live = await provider.read(signal());
    expect(live.users.map((u) => u.account).sort()).toEqual(["ann@example.com", "cy2@example.com"]);
  });

  it("after a 412 on a group membership PATCH, re-reads the group and adds the member with the new version", async () => {
    await start(true);
    const groupId = await idOf(server, "Groups", 'displayName eq "team-e"');
    const cyId = await idOf(server, "Users", 'userName eq "cy@example.com"');
    const readVersion = etag.served.get(groupId);
    await direct(server, "PATCH", `/Groups/${groupId}`, patchOp("add", "members", [{ value: cyId }]));
    proxy.inject({
      fault: { kind: "status", status: 412 },
      times: 1,
      match: (m, p) => m === "PATCH" && p.endsWith(`/Groups/${groupId}`),
    });
    const from = proxy.seen.length;

    expect(await applyAll(provider, [[member("team-e", "ben", "add")]])).toEqual([]);

    const seen = proxy.seen.slice(from).filter((r) => r.path.endsWith(`/Groups/${groupId}`));
    expect(seen.map((r) => `${r.method} ${String(r.outcome)}`)).toEqual([
      "PATCH 412",
      "GET 200",
      "PATCH 200",
    ]);
    expect(seen[0]?.ifMatch).toBe(readVersion);
    expect(seen[2]?.ifMatch).toBe(etag.writes.at(-1)?.lastServed);
    expect(seen[2]?.ifMatch).not.toBe(readVersion);
    const live = await provider.read(signal());
    expect(live.groups).toEqual([
      { name: "team-e", members: ["ann@example.com", "ben@example.com", "cy@example.com"] },
    ]);
  });

  it("without PATCH, after a 412 on a user PUT, re-reads the user and puts the change once more with the new version", async () => {
    await start(true, false);
    expect(provider.serverCapabilities()?.patch).toBe(false);
    const annId = await idOf(server, "Users", 'userName eq "ann@example.com"');
    proxy.inject({
      fault: { kind: "status", status: 412 },
      times: 1,
      match: (m, p) => m === "PUT" && p.endsWith(`/Users/${annId}`),
    });
    const from = proxy.seen.length;

    expect(await applyAll(provider, [[userTitle("ann", "Engineer", "Manager")]])).toEqual([]);

    const seen = proxy.seen.slice(from).filter((r) => r.path.endsWith(`/Users/${annId}`));
    expect(seen.map((r) => `${r.method} ${String(r.outcome)}`)).toEqual([
      "GET 200",
      "PUT 412",
      "GET 200",
      "PUT 200",
    ]);
    expect(seen[3]?.ifMatch).toBeDefined();
    const live = await provider.read(signal());
    expect(live.users.find((u) => u.account === "ann@example.com")?.title).toBe("Manager");
  });

  it("without PATCH, after a 412 on a group PUT, re-reads the group and keeps the other writer's member", async () => {
    await start(true, false);
    const groupId = await idOf(server, "Groups", 'displayName eq "team-e"');
    const cyId = await idOf(server, "Users", 'userName eq "cy@example.com"');
    await direct(server, "PATCH", `/Groups/${groupId}`, patchOp("add", "members", [{ value: cyId }]));
    proxy.inject({
      fault: { kind: "status", status: 412 },
      times: 1,
      match: (m, p) => m === "PUT" && p.endsWith(`/Groups/${groupId}`),
    });
    const from = proxy.seen.length;

    const [out] = await provider.apply([member("team-e", "ben", "add")], signal());
    expect(out).toEqual({ status: "applied" });

    const seen = proxy.seen.slice(from).filter((r) => r.path.endsWith(`/Groups/${groupId}`));
    expect(seen.map((r) => `${r.method} ${String(r.outcome)}`)).toEqual([
      "GET 200",
      "PUT 412",
      "GET 200",
      "PUT 200",
    ]);
    const live = await provider.read(signal());
    expect(live.groups).toEqual([
      { name: "team-e", members: ["ann@example.com", "ben@example.com", "cy@example.com"] },
    ]);
  });

  it("sends no If-Match when /ServiceProviderConfig does not claim ETags, though answers carry versions", async () => {
    await start(false);
    expect(provider.serverCapabilities()?.etag).toBe(false);
    expect(
      await applyAll(provider, [
        [userTitle("ann", "Engineer", "Manager")],
        [member("team-e", "ben", "add")],
        [member("team-e", "ann", "remove")],
        [{ ...base, id: "d", kind: "user", action: "disable", account: "cy@example.com", risk: "narrows" }],
      ]),
    ).toEqual([]);
    const writes = proxy.seen.filter((r) => WRITES.has(r.method));
    expect(writes.length).toBeGreaterThanOrEqual(4);
    expect(proxy.seen.filter((r) => r.ifMatch !== undefined)).toEqual([]);
    expect(etag.served.size).toBeGreaterThan(0);
  });
});

describe("scim connector on the plain Better Auth server", { tags: ["slow"] }, () => {
  it("sends no If-Match on any request", async () => {
    const server = await startScimServer();
    const proxy = await startFaultProxy(server.baseUrl);
    const provider = createScimProviderWith(scimProviderConfig(proxy.baseUrl), scimContext(server.token));
    try {
      await provider.read(signal());
      expect(provider.serverCapabilities()?.etag).toBe(false);
      expect(
        await applyAll(provider, [
          ...SETUP,
          [userTitle("ann", "Engineer", "Manager")],
          [member("team-e", "ben", "add")],
          [member("team-e", "ann", "remove")],
        ]),
      ).toEqual([]);
      expect(proxy.seen.filter((r) => r.method === "PATCH").length).toBeGreaterThanOrEqual(3);
      expect(proxy.seen.filter((r) => r.ifMatch !== undefined)).toEqual([]);
    } finally {
      await provider.close();
      await proxy.close();
      await server.close();
    }
  });
});
