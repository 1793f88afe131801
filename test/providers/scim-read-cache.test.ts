/**
 * `readCache` for the SCIM connector, against the real Better Auth server: a snapshot written by one run
 * seeds the next run's first read, which must then equal a fresh full read whatever changed in between.
 * Better Auth refuses `meta.lastModified` filters, so the incremental path runs through the fault proxy,
 * which answers those filters from the server's full lists; the refusing server is tested as it is.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { scimContext, scimProviderConfig, startScimServer } from "../harness/scim-server.ts";
import type { ScimServer } from "../harness/scim-server.ts";
import { startFaultProxy } from "../harness/fault-proxy.ts";
import type { FaultProxy } from "../harness/fault-proxy.ts";
import { createScimProviderWith } from "../../src/providers/scim/provider.ts";
import type { ScimProvider } from "../../src/providers/scim/provider.ts";
import type { Change } from "../../src/plan/types.ts";
import type { LiveState } from "../../src/model/state.ts";
import { parseScimSettings } from "../../src/providers/scim/settings.ts";
import type { ScimSnapshot } from "../../src/providers/scim/snapshot-cache.ts";
import {
  parseStoredSnapshot,
  serializeSnapshot,
  snapshotKey,
} from "../../src/providers/scim/snapshot-cache.ts";
import { groupCreate, memberChange, scimAdmin, userCreate } from "./scim-changes.ts";

const signal = (): AbortSignal => AbortSignal.timeout(25_000);
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const NAMES = ["ann", "ben", "cy", "dee", "eve", "fay", "gus", "hal", "ivy", "jo"];
/**
 * Ten users and three groups, read two to a page: a full read lists 5 + 2 pages, and one more, empty, page
 * of users (a full last page is not trusted to be the last).
 */
const PAGE_SIZE = 2;
const FULL_LIST_READS = 8;
/** Changed users, user total, changed groups, group total. */
const INCREMENTAL_READS = 4;

const SEED: Change[][] = [
  NAMES.map(userCreate),
  [groupCreate("alpha"), groupCreate("beta"), groupCreate("gamma")],
  ["ann", "ben", "cy"].map((n) => memberChange("alpha", n, "add")),
  ["dee", "eve"].map((n) => memberChange("beta", n, "add")),
  ["fay"].map((n) => memberChange("gamma", n, "add")),
];

/** Users and groups in a stable order, so two reads compare as values. */
function sorted(live: LiveState): LiveState {
  return {
    users: [...live.users].sort((a, b) => a.account.localeCompare(b.account)),
    groups: [...live.groups].sort((a, b) => a.name.localeCompare(b.name)),
  };
}

describe("scim readCache", { tags: ["slow"] }, () => {
  let server: ScimServer;
  let proxy: FaultProxy;
  let cwd: string;
  let log: string[];
  let clock: number;

  /** A provider as a new run would create it: fresh index, same working directory. */
  const run = (settings: Record<string, unknown> = {}, baseUrl = proxy.baseUrl): ScimProvider =>
    createScimProviderWith(
      // No margin before the last read's start: this server is one process, and the test knows its clock.
      scimProviderConfig(baseUrl, {
        readCache: true,
        pageSize: PAGE_SIZE,
        clockMarginSeconds: 0,
        ...settings,
      }),
      { ...scimContext(server.token, log), cwd, now: () => new Date(clock) },
    );
  /** What the server holds, read in full by a provider without a cache, past the proxy. */
  const fresh = async (): Promise<LiveState> =>
    sorted(await run({ readCache: false }, server.baseUrl).read(signal()));
  /** Reads once with a new provider; the live state and the read requests it took after discovery. */
  const readAsNewRun = async (baseUrl?: string) => {
    const provider = run({}, baseUrl);
    const discovery = await discoveryReads(baseUrl);
    const live = sorted(await provider.read(signal()));
    return { live, reads: provider.stats().reads - discovery };
  };
  /** The GETs discovery takes (the same for every run): measured with a provider that only discovers. */
  const discoveryReads = async (baseUrl?: string): Promise<number> => {
    const probe = run({ readCache: false }, baseUrl);
    await probe.apply([], signal());
    return probe.stats().reads;
  };

  const { direct, userId, groupId, editByHand } = scimAdmin(() => server);
  const cacheFile = async (): Promise<string> => {
    const { readdir } = await import("node:fs/promises");
    const names = await readdir(path.join(cwd, ".gatehouse/cache"));
    expect(names).toHaveLength(1);
    return path.join(cwd, ".gatehouse/cache", names[0] ?? "");
  };

  beforeEach(async () => {
    server = await startScimServer();
    proxy = await startFaultProxy(server.baseUrl);
    proxy.inject({ fault: { kind: "filter-last-modified" }, times: 1_000_000 });
    cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-scim-cache-"));
    log = [];
    clock = Date.now();
    const admin = run({ readCache: false }, server.baseUrl);
    for (const batch of SEED) {
      const outcomes = await admin.apply(batch, signal());
      expect(outcomes.filter((o) => o.status === "failed")).toEqual([]);
    }
    // Reads start at the server's Date, in whole seconds: begin in the second after the seeding.
    await sleep(1_050 - (Date.now() % 1_000));
  });
  afterEach(async () => {
    await proxy.close();
    await server.close();
    await rm(cwd, { recursive: true, force: true });
  });

  it("seeds the next run's read: fewer reads when nothing changed, and always what a full read finds", async () => {
    const first = await readAsNewRun();
    expect(first.reads).toBe(FULL_LIST_READS);
    expect(first.live).toEqual(await fresh());

    const file = await cacheFile();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const text = await readFile(file, "utf8");
    expect(text).not.toContain(server.token);
    expect(text).toContain("ann@example.com");

    const unchanged = await readAsNewRun();
    expect(unchanged.reads).toBe(INCREMENTAL_READS);
    expect(unchanged.live).toEqual(first.live);

    // Changes a later incremental read can see: an added user, a changed attribute, members in and out.
    await editByHand();
    // Read in the next second: changes made in the same second as a read's Date are (rightly) read again.
    await sleep(1_050 - (Date.now() % 1_000));
    const changed = await readAsNewRun();
    const expected = await fresh();
    expect(changed.live).toEqual(expected);
    expect(changed.live.users.find((u) => u.account === "ben@example.com")?.title).toBe("Manager");
    // Still incremental: the two users changed since the last read began (kim, ben) fill a page, and the
    // empty page after it (a full page is not trusted to be the last), as do the two groups; plus totals.
    expect(changed.reads).toBe(2 + 1 + 2 + 1);

    // Deletions: the totals no longer match, so the read falls back to a full one.
    await direct("DELETE", `/Users/${await userId("fay")}`);
    await direct("DELETE", `/Groups/${await groupId("gamma")}`);
    const deleted = await readAsNewRun();
    expect(deleted.live).toEqual(await fresh());
    expect(deleted.live.users.some((u) => u.account === "fay@example.com")).toBe(false);
    expect(deleted.live.groups.map((g) => g.name)).toEqual(["alpha", "beta"]);
    // Changed users and their total (which differs), then the full read: ten users fill 5 pages and two
    // groups 1, each list followed by an empty page (a full last page is not trusted to be the last).
    expect(deleted.reads).toBe(2 + (6 + 2));

    // And the snapshot that fallback wrote is good for the next run.
    expect((await readAsNewRun()).reads).toBe(INCREMENTAL_READS);
  });

  it("sees a change made by hand during the full read, to a page already read, in the next read", async () => {
    // While the full read pages through the users, an admin changes ann (page 1, already read), then jo
    // (the last page, not yet read): jo's change is read, ann's is not. The next read must find ann's
    // change although it is older than every stamp the first read saw (it used to miss it for good).
    let armed = true;
    const racing = await startFaultProxy(server.baseUrl, {
      beforeHandling: async (method, url) => {
        if (!armed || method !== "GET" || !url.pathname.endsWith("/Users")) return;
        if (url.searchParams.get("startIndex") !== "9" || url.searchParams.has("filter")) return;
        armed = false;
        await direct("PATCH", `/Users/${await userId("ann")}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: "replace", path: "title", value: "Changed during the read" }],
        });
        await sleep(50);
        await direct("PATCH", `/Users/${await userId("jo")}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: "replace", path: "title", value: "Changed last" }],
        });
      },
    });
    try {
      racing.inject({ fault: { kind: "filter-last-modified" }, times: 1_000_000 });
      const first = await readAsNewRun(racing.baseUrl);
      expect(armed).toBe(false);
      const title = (live: LiveState, account: string) =>
        live.users.find((u) => u.account === account)?.title;
      expect(title(first.live, "jo@example.com")).toBe("Changed last");
      expect(title(first.live, "ann@example.com")).not.toBe("Changed during the read");

      const next = await readAsNewRun(racing.baseUrl);
      expect(title(next.live, "ann@example.com")).toBe("Changed during the read");
      expect(next.live).toEqual(await fresh());
      expect(next.reads).toBeLessThan(FULL_LIST_READS); // still incremental
    } finally {
      await racing.close();
    }
  });

  it("reads in full, with a log line, when the file is damaged, of another format or too old", async () => {
    await readAsNewRun();
    const file = await cacheFile();
    const good = await readFile(file, "utf8");
    const full = await fresh();

    await writeFile(file, "{ not json");
    const damaged = await readAsNewRun();
    expect(damaged).toEqual({ live: full, reads: FULL_LIST_READS });
    expect(log.filter((l) => /not using the read cache .*: it is of another format/.test(l))).toHaveLength(1);

    await writeFile(file, good.replace("gatehouse-scim-snapshot-2", "gatehouse-scim-snapshot-1"));
    expect((await readAsNewRun()).reads).toBe(FULL_LIST_READS);
    await writeFile(file, good.replace(/"fullReadAt":\d+/, '"fullReadAt":"yesterday"'));
    expect(await readAsNewRun()).toEqual({ live: full, reads: FULL_LIST_READS });
    expect(log.some((l) => /not using the read cache .*: it is damaged; reading everything/.test(l))).toBe(
      true,
    );

    expect((await readAsNewRun()).reads).toBe(INCREMENTAL_READS);
    clock += 25 * 3_600_000;
    expect(await readAsNewRun()).toEqual({ live: full, reads: FULL_LIST_READS });
    expect(log.some((l) => l.includes("its last full read is over 24 hours old"))).toBe(true);
    expect(log.join("\n")).not.toContain(server.token);
  });

  it("is harmless on a server that refuses meta.lastModified filters: asked once, then full reads", async () => {
    const first = await readAsNewRun(server.baseUrl);
    expect(first.reads).toBe(FULL_LIST_READS);
    const second = await readAsNewRun(server.baseUrl);
    // The seeded index tries the filter once (refused: 400), then reads everything.
    expect(second).toEqual({ live: first.live, reads: 1 + FULL_LIST_READS });
    expect(log.filter((l) => /does not filter on meta.lastModified/.test(l))).toHaveLength(1);

    await direct("DELETE", `/Users/${await userId("fay")}`);
    const third = await readAsNewRun(server.baseUrl);
    // The refusal is remembered: no second 400, and no users or groups are kept for such a server.
    // Nine users now: 5 pages, the last one short, and 2 pages of groups.
    expect(third).toEqual({ live: await fresh(), reads: 7 });
    expect(log.filter((l) => /does not filter on meta.lastModified/.test(l))).toHaveLength(1);
    expect(await readFile(await cacheFile(), "utf8")).not.toContain("ann@example.com");
  });

  it("reads a small directory in full even with a snapshot: that takes fewer requests", async () => {
    expect((await readAsNewRun()).reads).toBe(FULL_LIST_READS);
    // At 100 a page, ten users and three groups are one page each: 2 requests against an incremental 4.
    const discovery = await discoveryReads();
    const provider = run({ pageSize: 100 });
    await provider.read(signal());
    expect(provider.stats().reads - discovery).toBe(2);
  });
});

describe("scim readCache file contents", () => {
  const settings = parseScimSettings(scimProviderConfig("https://app.example/scim/v2"));
  const key = snapshotKey(settings);
  const now = Date.parse("2026-11-25T12:00:00Z");
  const user = { id: "u1", userName: "ann@example.com", active: true, attributes: { title: "Engineer" } };
  const group = { id: "g1", displayName: "alpha", memberIds: ["u1"], groupMemberIds: [] };
  const snapshot = (over: Partial<ScimSnapshot> = {}): ScimSnapshot => ({
    fullReadAt: now - 3_600_000,
    canFilterByLastModified: true,
    filterCheckedAt: now - 3_600_000,
    users: [user],
    groups: [group],
    ...over,
  });
  const roundTrip = (s: ScimSnapshot, at = now) =>
    parseStoredSnapshot(JSON.parse(serializeSnapshot(s, key)), key, at);

  it("reads back what it wrote, and hashes neither the token nor its value into the name", () => {
    expect(roundTrip(snapshot())).toEqual(snapshot());
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    const other = parseScimSettings(scimProviderConfig("https://other.example/scim/v2"));
    expect(snapshotKey(other)).not.toBe(key);
  });

  it("keeps a user type outside gatehouse's four as the server sent it", () => {
    const typed = snapshot({ users: [{ ...user, attributes: { employmentType: "Full-Time" } }] });
    expect(roundTrip(typed)).toEqual(typed);
  });

  it("forgets a refusal of the filter after 24 hours, so the server is asked again", () => {
    const refused = snapshot({ canFilterByLastModified: false, filterCheckedAt: now - 25 * 3_600_000 });
    const parsed = roundTrip(refused);
    expect(typeof parsed === "string" ? parsed : parsed.canFilterByLastModified).toBeUndefined();
  });

  it("refuses a snapshot for other settings, from the future, or with a user of the wrong shape", () => {
    const text = serializeSnapshot(snapshot(), key);
    expect(parseStoredSnapshot(JSON.parse(text), "0".repeat(32), now)).toMatch(/another format/);
    expect(roundTrip(snapshot(), now - 2 * 3_600_000)).toMatch(/over 24 hours old/);
    const bad = snapshot({ users: [{ ...user, attributes: { employmentType: 7 } }] as never });
    expect(roundTrip(bad)).toBe("it is damaged");
  });
});
