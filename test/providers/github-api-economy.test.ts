import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DesiredGroup, DesiredState, DesiredUser, LiveState } from "../../src/model/state.ts";
import type { Change } from "../../src/plan/types.ts";
import { computePlan } from "../../src/plan/compute-plan.ts";
import { listedMembers } from "../../src/desired/desired-state.ts";
import type { GithubProvider } from "../../src/providers/github/provider.ts";
import type { CheckedGithub } from "../harness/github-checked.ts";
import { startCheckedGithub } from "../harness/github-checked.ts";
import { seedOrg, seedTeam, seedUsers } from "../harness/fake-github/index.ts";
import { createTestGithubProvider, GITHUB_TOKEN } from "../harness/github-provider.ts";
import type { GithubProviderSetup } from "../harness/github-provider.ts";

const signal = (): AbortSignal => AbortSignal.timeout(20_000);
const source = { file: "access/groups/eng.yaml", line: 1, column: 1 };
let gh: CheckedGithub;
const open: GithubProviderSetup[] = [];
let orgCount = 0;

async function orgWith(members: string[]): Promise<GithubProviderSetup & { org: string }> {
  orgCount += 1;
  const org = `eco-${String(orgCount)}`;
  seedOrg(gh.fake, { org, viewer: "gatehouse-bot", token: GITHUB_TOKEN, members });
  const setup = await createTestGithubProvider(gh.url, { org });
  open.push(setup);
  return { ...setup, org };
}

const requestsTo = (since: number, pattern: RegExp) =>
  gh.fake.requests.slice(since).filter((r) => pattern.test(r.path));

describe("github provider API economy against the fake GitHub behind Prism", { tags: ["slow"] }, () => {
  beforeAll(async () => {
    gh = await startCheckedGithub();
  });
  afterAll(async () => {
    for (const setup of open) await setup.close();
    await gh.close();
  });

  describe("github provider: API economy", () => {
    it("reads 250 members in 3 calls of 100, and a whole org in one call per list page plus one maintainer list per team", async () => {
      const logins = Array.from({ length: 250 }, (_, i) => `dev-${String(i).padStart(3, "0")}`);
      const { provider, org } = await orgWith(logins);
      for (const name of ["team-a-read", "team-b-read", "team-c-read"]) {
        seedTeam(gh.fake, org, { name, members: logins.slice(0, 120) });
      }
      const since = gh.fake.requests.length;
      const live = await provider.read(signal());
      expect(live.users).toHaveLength(251);
      const memberPages = requestsTo(since, new RegExp(`^/orgs/${org}/members$`));
      expect(memberPages.map((r) => r.query)).toEqual([
        "?per_page=100",
        "?per_page=100&page=2",
        "?per_page=100&page=3",
        "?role=admin&per_page=100",
      ]);
      // GET /user, 3 member pages, invitations, failed invitations, teams, 3 teams x (2 pages of members +
      // 1 page of maintainers: without GitHub's team-member role feature the list carries no role), and
      // one page of org owners.
      expect(provider.stats().reads).toBe(1 + 3 + 1 + 1 + 1 + 3 * (2 + 1) + 1);
      expect(gh.fake.writes(since)).toEqual([]);
    });

    it("answers a second read from ETags: every GET is a 304 and the rate limit is not charged", async () => {
      const { provider, org } = await orgWith(["alice", "bob"]);
      seedTeam(gh.fake, org, { name: "team-x-read", members: ["alice"] });
      const first = await provider.read(signal());
      const usedBefore = gh.fake.rateLimits.used;
      const since = gh.fake.requests.length;
      const second = await provider.read(signal());
      expect(second).toEqual(first);
      const sent = gh.fake.requests.slice(since);
      expect(sent.length).toBeGreaterThan(0);
      expect(sent.every((r) => r.status === 304)).toBe(true);
      expect(provider.stats().notModified).toBe(sent.length);
      expect(gh.fake.rateLimits.used).toBe(usedBefore);
    });

    it("waits as long as a secondary rate limit's retry-after says, then succeeds", async () => {
      const { provider, org, logs } = await orgWith(["carol"]);
      seedTeam(gh.fake, org, { name: "team-y-write" });
      gh.fake.injectSecondaryRateLimit({ count: 1, retryAfter: 1, match: (method) => method === "PUT" });
      const started = performance.now();
      const outcomes = await provider.apply(
        [
          {
            provider: "github",
            id: "m",
            kind: "membership",
            action: "add",
            group: "team-y-write",
            member: "carol",
            memberKind: "user",
            reason: "added-in-config",
            risk: "broadens",
          },
        ],
        signal(),
      );
      expect(outcomes).toEqual([{ status: "applied" }]);
      expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
      const puts = gh.fake.requests.filter((r) => r.method === "PUT" && r.path.startsWith(`/orgs/${org}/`));
      expect(puts.map((r) => r.status)).toEqual([403, 200]);
      expect(provider.stats().retries).toBe(1);
      expect(logs.join("\n")).toMatch(/secondary rate limit on PUT .*retrying after 1s/);
    });
  });

  function desiredState(users: string[], groups: Record<string, string[]>): DesiredState {
    const u = new Map<string, DesiredUser>(
      users.map((account) => [
        account,
        { userId: account, account, status: "active", enabled: true, attributes: {}, source },
      ]),
    );
    const g = new Map<string, DesiredGroup>(
      Object.entries(groups).map(([name, members]) => [
        name,
        {
          name,
          description: `${name} team`,
          source,
          managesMembers: true,
          members: listedMembers(
            new Map(members.map((m) => [m, { userId: m, provenance: [{ kind: "direct", source }] }])),
          ),
          groupMembers: new Map(),
          expired: new Map(),
        },
      ]),
    );
    return { provider: "github", users: u, groups: g };
  }

  function plan(provider: GithubProvider, desired: DesiredState, live: LiveState): readonly Change[] {
    return computePlan({
      now: new Date("2026-01-01T00:00:00Z"),
      desiredDigest: "test",
      providers: [
        {
          name: "github",
          type: "github",
          mode: "additive",
          capabilities: provider.capabilities,
          desired,
          live,
          liveDigest: "test",
          readCalls: provider.stats().reads,
        },
      ],
    }).changes;
  }

  describe("github provider: convergence", () => {
    it("makes zero write requests on a second run of the same plan", async () => {
      const { provider, org } = await orgWith(["alice", "bob"]);
      seedUsers(gh.fake, ["dora"]); // has a GitHub account, is not in the org yet
      const desired = desiredState(["alice", "bob", "dora"], {
        "team-core-write": ["alice", "bob", "dora"],
        "team-ops-read": ["bob"],
      });
      const firstChanges = plan(provider, desired, await provider.read(signal()));
      expect(firstChanges.map((c) => `${c.kind} ${c.action}`).sort()).toEqual([
        "group create",
        "group create",
        "membership add",
        "membership add",
        "membership add",
        "membership add",
        "user create", // dora is invited to the org
      ]);
      for (const c of firstChanges)
        expect(await provider.apply([c], signal())).toMatchObject([{ status: "applied" }]);

      const since = gh.fake.requests.length;
      const secondChanges = plan(provider, desired, await provider.read(signal()));
      expect(secondChanges).toEqual([]);
      expect(gh.fake.writes(since)).toEqual([]);
      // dora's one invitation is pending and counts as already sent.
      expect(gh.fake.state.requireOrg(org).invitations).toHaveLength(1);
    });
  });
});
