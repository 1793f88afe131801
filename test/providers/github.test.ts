import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Change } from "../../src/plan/types.ts";
import type { CheckedGithub } from "../harness/github-checked.ts";
import { startCheckedGithub } from "../harness/github-checked.ts";
import { seedInvitations, seedOrg, seedTeam } from "../harness/fake-github/index.ts";
import { createTestGithubProvider, GITHUB_TOKEN } from "../harness/github-provider.ts";
import type { GithubProviderSetup } from "../harness/github-provider.ts";

const signal = (): AbortSignal => AbortSignal.timeout(20_000);
let gh: CheckedGithub;
const open: GithubProviderSetup[] = [];
let orgCount = 0;

/** A fresh organization per test (one fake and one Prism per file), owned by the token's account. */
async function orgWith(
  seed: { owners?: string[]; members?: string[] },
  settings: Record<string, unknown> = {},
): Promise<GithubProviderSetup & { org: string }> {
  orgCount += 1;
  const org = `acme-${String(orgCount)}`;
  seedOrg(gh.fake, { org, viewer: "gatehouse-bot", token: GITHUB_TOKEN, ...seed });
  const setup = await createTestGithubProvider(gh.url, { org, ...settings });
  open.push(setup);
  return { ...setup, org };
}

function change(partial: Record<string, unknown>): Change {
  return {
    provider: "github",
    reason: "added-in-config",
    risk: "broadens",
    id: JSON.stringify(partial),
    ...partial,
  } as Change;
}
const addMember = (group: string, member: string): Change =>
  change({ kind: "membership", action: "add", group, member, memberKind: "user" });

beforeAll(async () => {
  gh = await startCheckedGithub();
});
afterAll(async () => {
  for (const setup of open) await setup.close();
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
    expect(logs.join("\n")).toMatch(/invitation of frank invitation expired at .*not sent again/);
    expect(live.users.find((u) => u.account === "frank")).toEqual({
      account: "frank",
      enabled: false,
      pending: true,
    });
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
    expect(provider.identityFindings().join("\n")).toMatch(
      /pinned as alice and is now alice-renamed \(renamed\)/,
    );
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

  it("keeps the minimum number of org owners and the required ones", async () => {
    const { provider, org } = await orgWith(
      { owners: ["olivia", "oscar"], members: ["bob"] },
      { minAdmins: 3, requiredAdmins: ["oscar"] },
    );
    const writesBefore = gh.fake.writes().length;
    const outcomes = await provider.apply([remove("olivia"), remove("oscar"), remove("bob")], signal());
    expect(outcomes.map((o) => (o.status === "failed" ? o.error.message : o.status))).toEqual([
      expect.stringMatching(/removing org owner olivia would leave 2 owner\(s\); minAdmins is 3/) as unknown,
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
  it("reports a bad token as a 401 ProviderError that does not contain the token", async () => {
    orgCount += 1;
    seedOrg(gh.fake, { org: `acme-${String(orgCount)}`, viewer: "gatehouse-bot", token: GITHUB_TOKEN });
    const setup = await createTestGithubProvider(
      gh.url,
      { org: `acme-${String(orgCount)}` },
      { token: "ghp_wrongSecretValue123" },
    );
    open.push(setup);
    const error: unknown = await setup.provider.read(signal()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: "ProviderError", status: 401 });
    expect(String(error instanceof Error ? error.message : error)).toMatch(
      /Bad credentials; the token is missing, expired or revoked/,
    );
    expect(JSON.stringify(error) + String(error)).not.toContain("ghp_wrongSecretValue123");
  });
});
