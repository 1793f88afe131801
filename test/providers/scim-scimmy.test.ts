/**
 * The SCIM connector against a second server nobody here wrote: SCIMMY with scimmy-routers
 * (test/harness/scimmy-server.ts). The provider contract, then what Better Auth cannot show: SCIMMY
 * filters on `meta.lastModified`, so `readCache`'s incremental read runs against a real server's filter,
 * not the fault proxy's, and must still find what a full read finds.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { describeProviderContract } from "./contract.ts";
import { groupCreate, memberChange, scimAdmin, userCreate } from "./scim-changes.ts";
import { scimContext, scimProviderConfig, type ScimServer } from "../harness/scim-server.ts";
import { startScimmyServer } from "../harness/scimmy-server.ts";
import { createScimProviderWith, type ScimProvider } from "../../src/providers/scim/provider.ts";
import type { Change } from "../../src/plan/types.ts";
import type { LiveState } from "../../src/model/state.ts";

describeProviderContract(
  "scim (SCIMMY with scimmy-routers)",
  async () => {
    const server = await startScimmyServer();
    const provider = createScimProviderWith(scimProviderConfig(server.baseUrl), scimContext(server.token));
    return { provider, close: () => server.close() };
  },
  "cy",
);

const signal = (): AbortSignal => AbortSignal.timeout(25_000);
const NAMES = ["ann", "ben", "cy", "dee", "eve", "fay", "gus"];
const SEED: Change[][] = [
  NAMES.map(userCreate),
  [groupCreate("alpha"), groupCreate("beta")],
  ["ann", "ben", "cy"].map((n) => memberChange("alpha", n, "add")),
  ["dee", "eve"].map((n) => memberChange("beta", n, "add")),
];
/**
 * Seven users and two groups, two to a page: 4 pages of users (the last one short, so the last), and the
 * groups' full page followed by an empty one (a full last page is not trusted to be the last).
 */
const FULL_LIST_READS = 4 + 2;
/** Changed users, user total, changed groups, group total. */
const INCREMENTAL_READS = 4;

function sorted(live: LiveState): LiveState {
  return {
    users: [...live.users].sort((a, b) => a.account.localeCompare(b.account)),
    groups: [...live.groups].sort((a, b) => a.name.localeCompare(b.name)),
  };
}

describe("scim provider against SCIMMY", () => {
  let server: ScimServer;
  let cwd: string;

  const run = (settings: Record<string, unknown> = {}): ScimProvider =>
    createScimProviderWith(
      scimProviderConfig(server.baseUrl, { pageSize: 2, clockMarginSeconds: 0, ...settings }),
      { ...scimContext(server.token), cwd },
    );
  const fresh = async (): Promise<LiveState> => sorted(await run().read(signal()));
  /** One read by a new run with readCache; the live state and the list requests it took. */
  const cachedRead = async () => {
    const probe = run({ readCache: true });
    await probe.apply([], signal()); // discovery only
    const discovery = probe.stats().reads;
    const provider = run({ readCache: true });
    const live = sorted(await provider.read(signal()));
    return { live, reads: provider.stats().reads - discovery };
  };
  const { direct, userId, editByHand } = scimAdmin(() => server);
  const nextSecond = () => sleep(1_050 - (Date.now() % 1_000));

  beforeEach(async () => {
    server = await startScimmyServer();
    cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-scimmy-"));
    const admin = run();
    for (const batch of SEED) {
      const outcomes = await admin.apply(batch, signal());
      expect(outcomes.filter((o) => o.status === "failed")).toEqual([]);
    }
    await nextSecond();
  });
  afterEach(async () => {
    await server.close();
    await rm(cwd, { recursive: true, force: true });
  });

  it("reads every page and every member, as written", async () => {
    const live = await fresh();
    expect(live.users.map((u) => u.account)).toEqual(NAMES.map((n) => `${n}@example.com`));
    expect(live.groups.map((g) => [g.name, [...g.members].sort()])).toEqual([
      ["alpha", ["ann@example.com", "ben@example.com", "cy@example.com"]],
      ["beta", ["dee@example.com", "eve@example.com"]],
    ]);
  });

  it("reads incrementally by SCIMMY's own meta.lastModified filter, and finds what a full read finds", async () => {
    const first = await cachedRead();
    expect(first.reads).toBe(FULL_LIST_READS);
    expect(first.live).toEqual(await fresh());
    const unchanged = await cachedRead();
    expect(unchanged.reads).toBe(INCREMENTAL_READS);
    expect(unchanged.live).toEqual(first.live);

    // Changed by hand, as another admin would: a new user, a title, a member in, a member out.
    await editByHand();
    await nextSecond();
    const changed = await cachedRead();
    expect(changed.live).toEqual(await fresh());
    expect(changed.live.users.find((u) => u.account === "ben@example.com")?.title).toBe("Manager");
    expect(changed.live.groups.find((g) => g.name === "alpha")?.members).toContain("dee@example.com");
    expect(changed.live.groups.find((g) => g.name === "beta")?.members).not.toContain("eve@example.com");
    // Still incremental: kim and ben fill a page, then an empty one; the two groups too; and the totals.
    expect(changed.reads).toBe(2 + 1 + 2 + 1);

    // A deletion changes a total: the read falls back to a full one, and finds it gone.
    await direct("DELETE", `/Users/${await userId("fay")}`);
    await nextSecond();
    const deleted = await cachedRead();
    expect(deleted.live).toEqual(await fresh());
    expect(deleted.live.users.some((u) => u.account === "fay@example.com")).toBe(false);
  });
});
