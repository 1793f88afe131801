/**
 * Behaviour of the real GitHub REST API that the fake did not model before (see the review report): team
 * slugs keep underscores, org owners are always reported as team maintainers, parent teams cannot be secret,
 * a parent change can wait for approval, and a failed invitation cannot be withdrawn.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckedGithub } from "../harness/github-checked.ts";
import { startCheckedGithub } from "../harness/github-checked.ts";
import { seedInvitations, seedOrg, seedTeam } from "../harness/fake-github/index.ts";
import { createTestGithubProvider, GITHUB_TOKEN } from "../harness/github-provider.ts";
import { addMember, change, createOrgFactory } from "../harness/github-orgs.ts";

const signal = (): AbortSignal => AbortSignal.timeout(20_000);
let gh: CheckedGithub;
const { orgWith, closeAll } = createOrgFactory(() => gh, "real");

describe("github provider against behaviour of the real GitHub API", { tags: ["slow"] }, () => {
  beforeAll(async () => {
    gh = await startCheckedGithub();
  });
  afterAll(async () => {
    await closeAll();
    await gh.close();
  });

  it("finds a team whose slug keeps an underscore (GitHub keeps '_' in slugs)", async () => {
    const { provider, org } = await orgWith({ members: ["alice"] });
    seedTeam(gh.fake, org, { name: "team_ops_read" });
    const live = await provider.read(signal());
    expect(live.groups.map((g) => g.name)).toEqual(["team_ops_read"]);
    const [outcome] = await provider.apply([addMember("team_ops_read", "alice")], signal());
    expect(outcome?.status === "failed" ? outcome.error.message : outcome?.status).toBe("applied");
  });

  it("refuses to create a team whose GitHub slug would differ from the group name (it could never be matched)", async () => {
    const { provider, org } = await orgWith({});
    const since = gh.fake.requests.length;
    const [outcome] = await provider.apply(
      [change({ kind: "group", action: "create", group: "team.ops" })],
      signal(),
    );
    expect(outcome?.status === "failed" && outcome.error.message).toMatch(/slug team-ops/);
    expect(gh.fake.writes(since)).toEqual([]);
    expect(gh.fake.state.requireOrg(org).teams).toEqual([]);
  });

  it("sends no role change for an org owner: GitHub reports owners as team maintainers whatever was set", async () => {
    const { provider, org } = await orgWith({ owners: ["olivia"] });
    seedTeam(gh.fake, org, { name: "team-core-write", members: ["olivia"] });
    const live = await provider.read(signal());
    // As GitHub answers: the owner shows as maintainer although added as a plain member.
    expect(live.groups.find((g) => g.name === "team-core-write")).toMatchObject({ maintainers: ["olivia"] });
    const since = gh.fake.requests.length;
    const [outcome] = await provider.apply(
      [
        change({
          kind: "membership",
          action: "add",
          group: "team-core-write",
          member: "olivia",
          memberKind: "user",
          role: "member",
          risk: "narrows",
        }),
      ],
      signal(),
    );
    expect(outcome?.status === "applied" && outcome.confirmation).toMatch(/org owner/);
    expect(gh.fake.writes(since)).toEqual([]);
  });

  it("reads org owners as always maintainers where roles are planned, so no demotion is planned every run", async () => {
    const { provider, org } = await orgWith(
      { owners: ["olivia"], members: ["bob"] },
      { maintainers: "owners" },
    );
    seedTeam(gh.fake, org, { name: "team-core-write", members: ["olivia", "bob"] });
    const live = await provider.read(signal());
    expect(live.alwaysMaintainers).toEqual(["gatehouse-bot", "olivia"]); // the token's account is an owner too
    const plain = await createTestGithubProvider(gh.url, { org });
    try {
      // Without planned roles, owners are not asked for (one call fewer).
      expect((await plain.provider.read(signal())).alwaysMaintainers).toBeUndefined();
    } finally {
      await plain.close();
    }
  });

  it("does not report a leaver removed while GitHub keeps them through an enterprise team", async () => {
    const { provider } = await orgWith({ members: ["erin", "dora"], enterpriseMembers: ["erin"] });
    await provider.read(signal());
    const [kept, gone] = await provider.apply(
      [
        change({ kind: "user", action: "disable", account: "erin", risk: "narrows" }),
        change({ kind: "user", action: "disable", account: "dora", risk: "narrows" }),
      ],
      signal(),
    );
    expect(kept?.status === "failed" && kept.error.message).toMatch(
      /still lists them as a member of .* \(active\): probably through an enterprise team/,
    );
    expect(gone?.status).toBe("applied");
    const members = (await provider.read(signal())).users.map((u) => u.account);
    expect(members).toContain("erin");
    expect(members).not.toContain("dora");
  });

  it("refuses to nest a team under a secret parent before sending anything", async () => {
    const { provider, org } = await orgWith({}, { teamPrivacy: "secret" });
    seedTeam(gh.fake, org, { name: "team-top-read", privacy: "secret" });
    seedTeam(gh.fake, org, { name: "team-sub-read", privacy: "secret" });
    await provider.read(signal());
    const since = gh.fake.requests.length;
    const [outcome] = await provider.apply(
      [
        change({
          kind: "membership",
          action: "add",
          group: "team-top-read",
          member: "team-sub-read",
          memberKind: "group",
        }),
      ],
      signal(),
    );
    expect(outcome?.status === "failed" && outcome.error.message).toMatch(/team-top-read is secret/);
    expect(gh.fake.writes(since)).toEqual([]);
  });

  it("does not report nesting as applied when GitHub left the parent unchanged (a request awaiting approval)", async () => {
    const { provider, org } = await orgWith({});
    gh.fake.state.requireOrg(org).nestingNeedsApproval = true;
    seedTeam(gh.fake, org, { name: "team-a-read", privacy: "closed" });
    seedTeam(gh.fake, org, { name: "team-b-read", privacy: "closed" });
    const [outcome] = await provider.apply(
      [
        change({
          kind: "membership",
          action: "add",
          group: "team-a-read",
          member: "team-b-read",
          memberKind: "group",
        }),
      ],
      signal(),
    );
    expect(outcome?.status === "failed" && outcome.error.message).toMatch(/approval/);
  });

  it("gives up on a secondary rate limit answered with 429 after maxRetries, honouring retry-after", async () => {
    // Straight to the fake, not through Prism: GitHub's description lists no 429 for this endpoint, and
    // Prism would turn the answer into a 500.
    const org = "real-direct";
    seedOrg(gh.fake, { org, viewer: "gatehouse-bot", token: GITHUB_TOKEN, members: ["carol"] });
    const setup = await createTestGithubProvider(gh.fake.url, { org });
    const { provider } = setup;
    seedTeam(gh.fake, org, { name: "team-z-write" });
    await provider.read(signal());
    gh.fake.injectSecondaryRateLimit({
      count: 10,
      retryAfter: 1,
      status: 429,
      match: (method) => method === "PUT",
    });
    const since = gh.fake.requests.length;
    const started = performance.now();
    const [outcome] = await provider.apply([addMember("team-z-write", "carol")], signal());
    const puts = gh.fake.requests.slice(since).filter((r) => r.method === "PUT");
    expect(outcome?.status === "failed" && outcome.error.message).toMatch(/secondary rate limit/);
    expect(performance.now() - started).toBeLessThan(8000);
    // maxRetries is 2 in the test harness: the first try and two more, never a burst of extra retries.
    expect(puts.map((r) => r.status)).toEqual([429, 429, 429]);
    await setup.close();
  });

  it("removes a leaver whose invitation failed without failing on GitHub's 404 (there is nothing to withdraw)", async () => {
    const { provider, org } = await orgWith({});
    seedInvitations(gh.fake, org, ["frank"]);
    gh.fake.state.expireInvitation(org, "frank");
    await provider.read(signal());
    const since = gh.fake.requests.length;
    const [outcome] = await provider.apply(
      [change({ kind: "user", action: "disable", account: "frank", risk: "narrows" })],
      signal(),
    );
    expect(outcome?.status === "failed" ? outcome.error.message : outcome?.status).toBe("applied");
    // The DELETE is still sent (the invitation may have been renewed since the read); its 404 is the answer.
    expect(gh.fake.writes(since).map((r) => `${r.method} ${r.path} ${String(r.status)}`)).toEqual([
      `DELETE /orgs/${org}/memberships/frank 404`,
    ]);
  });
});
