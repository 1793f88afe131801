/**
 * The CLI against the fake GitHub behind Prism, for what the second new-user trial found (ghtrial2).
 * Each test runs `main([...], io)` in a temp git repository.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { seedOrg, seedUsers } from "../../harness/fake-github/index.ts";
import { startCheckedGithub, type CheckedGithub } from "../../harness/github-checked.ts";
import { GITHUB_TOKEN, jsonAcceptFetch } from "../../harness/github-provider.ts";
import { allOutput, createConnectorRepo, USERS_FILE, type ConnectorRepo } from "./workspace.ts";

const TOKEN_ENV = "GATEHOUSE_GITHUB_TOKEN";

let gh: CheckedGithub;
beforeAll(async () => {
  gh = await startCheckedGithub();
});
afterAll(async () => {
  await gh.close();
});

const repos: ConnectorRepo[] = [];
afterEach(async () => {
  gh.fake.rateLimits.limit = 5000;
  gh.fake.rateLimits.used = 0;
  await Promise.all(repos.splice(0).map((r) => r.remove()));
});

let orgCount = 0;

/** As in github.test.ts: ada-l and ben-o are members; cleo-p, devi-r, eli-m and fay-l are not. */
async function setup(
  seed: { owners?: string[] } = {},
  settings = "",
): Promise<{ org: string; repo: ConnectorRepo }> {
  orgCount += 1;
  const org = `e2e-trial2-${String(orgCount)}`;
  seedOrg(gh.fake, {
    org,
    viewer: "gatehouse-bot",
    token: GITHUB_TOKEN,
    ...seed,
    members: ["ada-l", "ben-o"].filter((l) => seed.owners?.includes(l) !== true),
  });
  seedUsers(gh.fake, ["cleo-p", "devi-r", "eli-m", "fay-l"]);
  const repo = await createConnectorRepo({
    provider: {
      name: "github",
      yaml: `    type: github
    mode: authoritative
    nesting: true
    org: ${org}
    baseUrl: ${gh.url}
    tokenEnv: ${TOKEN_ENV}
    maxRetries: 2
    writeInterval: 0
${settings}`,
    },
    env: { [TOKEN_ENV]: GITHUB_TOKEN },
    fetch: jsonAcceptFetch,
  });
  repos.push(repo);
  return { org, repo };
}

function expectClean(repo: ConnectorRepo): void {
  expect(allOutput(repo)).not.toContain(GITHUB_TOKEN);
  expect(gh.violations().filter((v) => !v.includes("Unable to match the returned status code"))).toEqual([]);
}

describe("gatehouse CLI against GitHub: second trial findings", { tags: ["slow"], timeout: 180_000 }, () => {
  it("H1: a rate limit on GET /user is no 'token without an account': the token's own account is never removed", async () => {
    // removeUnlistedOwners: the token's account, an owner in no access file, is only kept by the lock-out check.
    const { org, repo } = await setup({ owners: ["ada-l"] }, "    removeUnlistedOwners: true\n");
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    const people = await repo.read(USERS_FILE);
    await repo.edit(USERS_FILE, people.slice(people.indexOf("  - id: gatehouse-bot")), "");
    await repo.commit("the bot is no person");
    const planned = await repo.run(["plan"]);
    expect(planned.stdout).toContain(
      "apply will refuse to remove gatehouse-bot from github: it is the account gatehouse runs as",
    );

    // GitHub refuses GET /user for a secondary rate limit on every try (the first and maxRetries: 2 more).
    gh.fake.injectSecondaryRateLimit({
      count: 3,
      retryAfter: 1,
      match: (method, path) => method === "GET" && path === "/user",
    });
    const start = gh.fake.requests.length;
    const applied = await repo.run(["apply", "--yes"]);
    expect(gh.fake.writes(start)).toEqual([]);
    expect(gh.fake.state.requireOrg(org).members.get(gh.fake.state.requireUser("gatehouse-bot").id)).toBe(
      "admin",
    );
    expect(applied.code).not.toBe(0);
    expect(applied.stderr).toMatch(/github: .*GitHub answered 403: You have exceeded a secondary rate limit/);
    expectClean(repo);
  });

  it("M1: once GitHub says the primary rate limit is used up, nothing more is sent before its reset", async () => {
    const { repo } = await setup();
    // Enough of the hour's limit left for the read and the first invitation (its identity check and POST).
    await repo.run(["plan"]);
    const reads = gh.fake.rateLimits.used;
    gh.fake.rateLimits.used = 0;
    gh.fake.rateLimits.limit = reads + 2;
    const start = gh.fake.requests.length;
    const applied = await repo.run(["apply", "--yes"]);
    const sent = gh.fake.requests.slice(start);
    const refused = sent.filter((r) => r.status === 403);
    // One refusal, then silence: before, 11 more requests went out (each refused), a POST among them 4 times.
    expect(refused.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /users/devi-r`]);
    expect(sent.indexOf(refused[0]!)).toBe(sent.length - 1);
    expect(applied.code).toBe(1);
    expect(applied.stdout).toMatch(/\[1\/17\] applied github: create user cleo-p/);
    expect(applied.stdout).toMatch(
      /failed github: create user eli-m — .*not sent: GitHub's rate limit is used up until \d{4}-\d\d-\d\dT/,
    );
    expect(applied.stdout).toContain("Apply complete: 1 applied, 3 failed, 13 skipped");
    expectClean(repo);
  });

  it("M2: an expired invitation is not sent again through a team add (retryFailedInvitations: false)", async () => {
    const { org, repo } = await setup();
    expect((await repo.run(["apply", "--yes"])).code).toBe(0); // invites cleo-p with her teams
    gh.fake.state.expireInvitation(org, "cleo-p");
    const planned = await repo.run(["plan"]);
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain("No changes.");
    expect(planned.stdout).toContain("not sent again (retryFailedInvitations: false)");
    expect(planned.stdout).toContain(
      "cleo-p is not added to team-oncall-write: their invitation to github failed or expired, and a group add would invite them again",
    );
    const start = gh.fake.requests.length;
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    // Before, two team PUTs went out, and GitHub invited cleo-p to the organization again with them.
    expect(gh.fake.writes(start)).toEqual([]);
    const cleo = gh.fake.state.requireUser("cleo-p").id;
    expect(
      gh.fake.state.requireOrg(org).invitations.filter((i) => i.inviteeId === cleo && i.failedAt === null),
    ).toEqual([]);
    expectClean(repo);
  });
});
