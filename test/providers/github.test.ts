import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Change } from "../../src/plan/types.ts";
import { addMember, change, createOrgFactory } from "../harness/github-orgs.ts";
import type { CheckedGithub } from "../harness/github-checked.ts";
import { startCheckedGithub } from "../harness/github-checked.ts";
import { seedInvitations, seedTeam } from "../harness/fake-github/index.ts";
import { createTestGithubProvider } from "../harness/github-provider.ts";

const signal = (): AbortSignal => AbortSignal.timeout(20_000);
let gh: CheckedGithub;
const { orgWith, closeAll } = createOrgFactory(() => gh, "acme");

describe("github provider against the fake GitHub behind Prism", { tags: ["slow"] }, () => {
  beforeAll(async () => {
    gh = await startCheckedGithub();
  });
  afterAll(async () => {
    await closeAll();
    await gh.close();
  });

  describe("github provider: invitations", () => {
    it("reports invited people as pending, not as members", async () => {
      const { provider, org } = await orgWith({ members: ["alice"] });
      seedInvitations(gh.fake, org, ["dave"]);
      const live = await provider.read(signal());
      expect(live.users.find((u) => u.account === "dave")).toEqual({
        account: "dave",
        enabled: false,
        pending: true,
      });
      expect(live.users.find((u) => u.account === "alice")).toEqual({ account: "alice", enabled: true });
    });

    it("adds a non-member to a team as a pending invitation and does not send it again", async () => {
      const { provider, org } = await orgWith({});
      gh.fake.state.addUser("erin");
      seedTeam(gh.fake, org, { name: "team-app-write" });
      const [first] = await provider.apply([addMember("team-app-write", "erin")], signal());
      expect(first).toEqual({
        status: "applied",
        confirmation: "pending: invited to the organization with this team",
      });
      const live = await provider.read(signal());
      expect(live.users.find((u) => u.account === "erin")?.pending).toBe(true);
      // Listed as a (pending) member, so a plan has nothing to add again.
      expect(live.groups.find((g) => g.name === "team-app-write")?.members).toEqual(["erin"]);
      gh.fake.state.acceptInvitation(org, "erin");
      const after = await provider.read(signal());
      expect(after.users.find((u) => u.account === "erin")).toEqual({ account: "erin", enabled: true });
      expect(after.groups.find((g) => g.name === "team-app-write")?.members).toEqual(["erin"]);
    });

    it("reports an expired invitation and keeps it from being re-sent by default", async () => {
      const { provider, org, logs } = await orgWith({});
      seedInvitations(gh.fake, org, ["frank"]);
      gh.fake.state.expireInvitation(org, "frank");
      const live = await provider.read(signal());
      expect(provider.findings()).toEqual([
        expect.stringMatching(
          /^invitation of frank expired at .*; not sent again \(retryFailedInvitations: false\)$/,
        ),
      ]);
      expect(logs.join("\n")).toMatch(/invitation of frank expired/);
      expect(live.users.find((u) => u.account === "frank")).toEqual({
        account: "frank",
        enabled: false,
        pending: true,
        invitationFailed: true,
      });
      // Logged once per instance, however often it reads (trial L3).
      await provider.read(signal());
      expect(logs.filter((l) => l.includes("invitation of frank expired"))).toHaveLength(1);
    });

    it("leaves an expired invitation out of the live state when retries are on, and invites again", async () => {
      const { provider, org } = await orgWith({}, { retryFailedInvitations: true });
      seedInvitations(gh.fake, org, ["grace"]);
      gh.fake.state.expireInvitation(org, "grace");
      expect((await provider.read(signal())).users.find((u) => u.account === "grace")).toBeUndefined();
      const [outcome] = await provider.apply(
        [change({ kind: "user", action: "create", account: "grace", after: {} })],
        signal(),
      );
      expect(outcome?.status).toBe("applied");
      expect((await provider.read(signal())).users.find((u) => u.account === "grace")?.pending).toBe(true);
    });
  });

  describe("github provider: identity pinning", () => {
    it("reports a renamed account by its new login and grants nothing to the old login", async () => {
      const { provider, org } = await orgWith({ members: ["alice"] });
      seedTeam(gh.fake, org, { name: "team-db-admin", members: ["alice"] });
      await provider.read(signal()); // pins alice's numeric id
      gh.fake.state.renameLogin("alice", "alice-renamed");
      const live = await provider.read(signal());
      expect(live.groups.find((g) => g.name === "team-db-admin")?.members).toEqual(["alice-renamed"]);
      expect(provider.findings().join("\n")).toMatch(/pinned as alice and is now alice-renamed \(renamed\)/);
      const [outcome] = await provider.apply([addMember("team-db-admin", "alice")], signal());
      expect(outcome?.status).toBe("failed");
      if (outcome?.status === "failed")
        expect(outcome.error.message).toMatch(/no account alice any more .*pinned to id/);
    });

    it("refuses access for a re-registered login, without writing anything", async () => {
      const { provider, org } = await orgWith({ members: ["mallory"] });
      seedTeam(gh.fake, org, { name: "team-prod-admin" });
      await provider.read(signal());
      gh.fake.state.reRegisterLogin("mallory", "mallory-old");
      const writesBefore = gh.fake.writes().length;
      const [outcome] = await provider.apply([addMember("team-prod-admin", "mallory")], signal());
      expect(outcome?.status).toBe("failed");
      if (outcome?.status === "failed") {
        expect(outcome.error.message).toMatch(
          /refused: login mallory now belongs to GitHub account \d+, but gatehouse pinned it to account \d+ \(now called mallory-old\)/,
        );
      }
      expect(gh.fake.writes(0).length).toBe(writesBefore);
    });

    it("remembers pins across runs: a later run refuses a login re-registered in between", async () => {
      const first = await orgWith({ members: ["trent"] });
      seedTeam(gh.fake, first.org, { name: "team-sec-admin" });
      await first.provider.read(signal());
      gh.fake.state.reRegisterLogin("trent");
      const later = await createTestGithubProvider(gh.url, { org: first.org }, { cwd: first.cwd });
      const [outcome] = await later.provider.apply([addMember("team-sec-admin", "trent")], signal());
      await later.close();
      expect(outcome?.status === "failed" && outcome.error.message).toMatch(
        /refused: login trent now belongs to GitHub account \d+, but gatehouse pinned it to account \d+ \(now called trent-old\)/,
      );
    });

    it("records pinned ids in the ids file", async () => {
      const { provider, cwd } = await orgWith({ members: ["heidi"] });
      await provider.read(signal());
      const { readFile } = await import("node:fs/promises");
      const saved: unknown = JSON.parse(await readFile(`${cwd}/.gatehouse/github-ids.json`, "utf8"));
      expect(saved).toMatchObject({ version: 1, accounts: { heidi: gh.fake.state.requireUser("heidi").id } });
    });
  });

  describe("github provider: lock-out protection", () => {
    const remove = (account: string): Change =>
      change({ kind: "user", action: "delete", account, risk: "narrows" });

    it("never removes the account gatehouse runs as", async () => {
      const { provider } = await orgWith({ owners: ["olivia"] });
      const [outcome] = await provider.apply([remove("gatehouse-bot")], signal());
      expect(outcome?.status === "failed" && outcome.error.message).toMatch(/the account gatehouse runs as/);
    });

    it("works with a GitHub App installation token, for which GET /user answers 403: reads, creates a team, removes a member", async () => {
      const token = "ghs_fakeInstallationToken0123456789";
      const { provider, org, logs } = await orgWith({ owners: ["olivia"], members: ["bob"] }, {}, { token });
      gh.fake.state.addInstallation(org, token, "gatehouse-app");
      const live = await provider.read(signal());
      expect(live.users.map((u) => u.account)).toEqual(["bob", "gatehouse-bot", "olivia"]);
      const since = gh.fake.requests.length;
      const outcomes = await provider.apply(
        [change({ kind: "group", action: "create", group: "team-app-read" }), remove("bob")],
        signal(),
      );
      expect(outcomes.map((o) => (o.status === "failed" ? o.error.message : o.status))).toEqual([
        "applied",
        "applied",
      ]);
      expect(
        gh.fake.requests
          .slice(since)
          .filter((r) => r.path === "/user")
          .map((r) => r.status),
      ).toEqual([]);
      expect(gh.fake.writes(since).map((r) => `${r.method} ${r.path}`)).toEqual([
        `POST /orgs/${org}/teams`,
        `DELETE /orgs/${org}/memberships/bob`,
      ]);
      expect(gh.fake.state.teamBySlug(gh.fake.state.requireOrg(org), "team-app-read")?.members.size).toBe(0);
      expect(logs.join("\n")).not.toContain(token);
    });

    it("keeps the minimum number of org owners and the required ones", async () => {
      const { provider, org } = await orgWith(
        { owners: ["olivia", "oscar"], members: ["bob"] },
        { minAdmins: 3, requiredAdmins: ["oscar"] },
      );
      const writesBefore = gh.fake.writes().length;
      const outcomes = await provider.apply([remove("olivia"), remove("oscar"), remove("bob")], signal());
      expect(outcomes.map((o) => (o.status === "failed" ? o.error.message : o.status))).toEqual([
        expect.stringMatching(
          /removing org owner olivia would leave 2 owner\(s\); minAdmins is 3/,
        ) as unknown,
        expect.stringMatching(/oscar is listed in requiredAdmins/) as unknown,
        "applied",
      ]);
      expect(gh.fake.writes().length - writesBefore).toBe(1);
      expect(gh.fake.state.requireOrg(org).members.has(gh.fake.state.requireUser("bob").id)).toBe(false);
    });

    it("refuses to delete a team whose child teams GitHub would delete with it", async () => {
      const { provider, org } = await orgWith({});
      seedTeam(gh.fake, org, { name: "team-parent-read" });
      seedTeam(gh.fake, org, { name: "team-child-read", parent: "team-parent-read" });
      const [outcome] = await provider.apply(
        [change({ kind: "group", action: "delete", group: "team-parent-read", memberCount: 0 })],
        signal(),
      );
      expect(outcome?.status === "failed" && outcome.error.message).toMatch(
        /has child teams \(team-child-read\)/,
      );
      expect(gh.fake.state.requireOrg(org).teams).toHaveLength(2);
    });
  });

  describe("github provider: errors", () => {
    it("tries a request again after a server error", async () => {
      const { provider, org } = await orgWith({ members: ["alice"] });
      gh.fake.injectFault({
        count: 1,
        status: 502,
        match: (method, path) => method === "GET" && path === `/orgs/${org}/teams`,
      });
      const live = await provider.read(signal());
      expect(live.users.map((u) => u.account)).toContain("alice");
      expect(gh.fake.requests.filter((r) => r.path === `/orgs/${org}/teams`).map((r) => r.status)).toEqual([
        502, 200,
      ]);
    });

    it("does not send a team POST again after a 5xx; finds the team GitHub created and removes its own maintainer role", async () => {
      const { provider, org } = await orgWith({});
      gh.fake.injectFault({
        count: 1,
        status: 502,
        afterHandler: true,
        match: (method, path) => method === "POST" && path === `/orgs/${org}/teams`,
      });
      const [outcome] = await provider.apply(
        [change({ kind: "group", action: "create", group: "team-new-write" })],
        signal(),
      );
      expect(outcome?.status === "failed" ? outcome.error.message : outcome?.status).toBe("applied");
      expect(gh.fake.requests.filter((r) => r.method === "POST").map((r) => r.status)).toContain(502);
      expect(
        gh.fake.requests.filter((r) => r.method === "POST" && r.path === `/orgs/${org}/teams`),
      ).toHaveLength(1);
      const created = gh.fake.state.teamBySlug(gh.fake.state.requireOrg(org), "team-new-write");
      expect(created?.members.size).toBe(0);
    });

    it("keeps each call's abort signal to its own requests when reads overlap: aborting one leaves the other running", async () => {
      const { provider } = await orgWith({ members: ["alice"] });
      const controller = new AbortController();
      const first = provider.read(signal());
      const second = provider.read(controller.signal);
      controller.abort();
      const [a, b] = await Promise.allSettled([first, second]);
      expect(a.status === "fulfilled" ? a.value.users.map((u) => u.account) : a.reason).toEqual([
        "alice",
        "gatehouse-bot",
      ]);
      expect(b.status).toBe("rejected");
    });

    it("reports a bad token as a 401 ProviderError that does not contain the token", async () => {
      const setup = await orgWith({}, {}, { token: "ghp_wrongSecretValue123" });
      const error: unknown = await setup.provider.read(signal()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ name: "ProviderError", status: 401 });
      expect(String(error instanceof Error ? error.message : error)).toMatch(
        /Bad credentials; the token is missing, expired or revoked/,
      );
      // Nowhere in the error, its cause chain or the request Octokit keeps on it.
      expect(inspect(error, { depth: 20 })).not.toContain("ghp_wrongSecretValue123");
      expect(setup.logs.join("\n")).not.toContain("ghp_wrongSecretValue123");
    });
  });
});
