/**
 * The CLI end to end against the fake GitHub behind Stoplight Prism (every request and answer checked
 * against GitHub's OpenAPI description): invitations, teams, convergence and a leaver, all through
 * `main([...], io)` in a temp git repository.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { seedOrg, seedUsers } from "../../harness/fake-github/index.ts";
import type { FakeOrg } from "../../harness/fake-github/index.ts";
import { startCheckedGithub, type CheckedGithub } from "../../harness/github-checked.ts";
import { GITHUB_TOKEN, jsonAcceptFetch } from "../../harness/github-provider.ts";
import {
  allOutput,
  applyCalls,
  changeLines,
  createConnectorRepo,
  journalLength,
  noteMessages,
  terminate,
  type ConnectorRepo,
} from "./workspace.ts";

const TOKEN_ENV = "GATEHOUSE_GITHUB_TOKEN";
const BOT = "gatehouse-bot";

let gh: CheckedGithub;
beforeAll(async () => {
  gh = await startCheckedGithub();
});
afterAll(async () => {
  await gh.close();
});

const repos: ConnectorRepo[] = [];
afterEach(async () => {
  await Promise.all(repos.splice(0).map((r) => r.remove()));
});

let orgCount = 0;

/**
 * A fresh organization owned by gatehouse-bot (the token's account), with ada-l and ben-o already members;
 * cleo-p, devi-r, eli-m and fay-l have GitHub accounts but are not in the organization.
 */
async function setup(): Promise<{ org: string; repo: ConnectorRepo }> {
  orgCount += 1;
  const org = `e2e-connectors-${String(orgCount)}`;
  seedOrg(gh.fake, { org, viewer: BOT, token: GITHUB_TOKEN, members: ["ada-l", "ben-o"] });
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
`,
    },
    env: { [TOKEN_ENV]: GITHUB_TOKEN },
    // Prism answers Octokit's default accept header (application/vnd.github.v3+json) with 406.
    fetch: jsonAcceptFetch,
  });
  repos.push(repo);
  return { org, repo };
}

function orgOf(login: string): FakeOrg {
  return gh.fake.state.requireOrg(login);
}

function loginOf(id: number): string {
  return [...gh.fake.state.users.values()].find((u) => u.id === id)?.login ?? `#${String(id)}`;
}

const orgMembers = (org: string): string[] => [...orgOf(org).members.keys()].map(loginOf).sort();
const invited = (org: string): string[] =>
  orgOf(org)
    .invitations.filter((i) => i.failedAt === null)
    .map((i) => loginOf(i.inviteeId))
    .sort();

/** Team slug → its direct members, and (separately) the people whose membership waits for an invitation. */
function teams(org: string): Record<string, { members: string[]; pending: string[]; parent: string | null }> {
  const all = orgOf(org).teams;
  return Object.fromEntries(
    all.map((t) => [
      t.slug,
      {
        members: [...t.members.keys()].map(loginOf).sort(),
        pending: [...t.pending.keys()].map(loginOf).sort(),
        parent: all.find((p) => p.id === t.parentId)?.slug ?? null,
      },
    ]),
  );
}

function expectClean(repo: ConnectorRepo): void {
  expect(repo.runs.length).toBeGreaterThan(0);
  expect(allOutput(repo)).not.toContain(GITHUB_TOKEN);
  // GitHub's description lists no 304 for the conditional GETs gatehouse sends (as in the other GitHub suites).
  expect(gh.violations().filter((v) => !v.includes("Unable to match the returned status code"))).toEqual([]);
}

describe("gatehouse CLI against GitHub (fake behind Prism)", { tags: ["slow"], timeout: 180_000 }, () => {
  it("invites missing people, creates teams with members, then re-plans pending invitations as notes and writes nothing", async () => {
    const { org, repo } = await setup();
    const start = gh.fake.requests.length;
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.stdout).toContain("Apply complete: 17 applied, 0 failed, 0 skipped");
    expect(applied.code).toBe(0);
    const calls = applyCalls(applied.stdout, "github");
    // 3 invitations, 4 teams (POST, then DELETE of the creator's membership), 10 team memberships.
    expect(calls?.writes).toBe(21);
    expect(gh.fake.writes(start)).toHaveLength(21);
    expect(calls?.reads).toBeGreaterThan(0);

    // GitHub cannot create accounts: the three people outside the org are invited, fay (a leaver) is not.
    expect(orgMembers(org)).toEqual(["ada-l", "ben-o", BOT]);
    expect(invited(org)).toEqual(["cleo-p", "devi-r", "eli-m"]);
    expect(teams(org)).toEqual({
      "app-ledger-read": { members: ["ben-o"], pending: ["devi-r", "eli-m"], parent: null },
      "dept-eng-read": { members: ["ada-l", "ben-o"], pending: ["cleo-p"], parent: null },
      "team-eng-write": { members: ["ada-l"], pending: [], parent: null },
      "team-oncall-write": { members: ["ben-o"], pending: ["cleo-p"], parent: "team-eng-write" },
    });

    const again = await repo.run(["plan", "--format", "json"]);
    expect(again.code).toBe(0);
    expect(changeLines(again.stdout)).toEqual([]);
    expect(noteMessages(again.stdout)).toEqual([
      "cleo-p: invitation pending; not sent again",
      "devi-r: invitation pending; not sent again",
      "eli-m: invitation pending; not sent again",
    ]);
    const text = await repo.run(["plan", "--detailed-exitcode"]);
    expect(text.stdout).toContain("note: cleo-p: invitation pending; not sent again");
    expect(text.stdout).toContain("No changes.");
    expect(text.code).toBe(0);

    const entries = await journalLength(repo);
    const before = gh.fake.requests.length;
    const second = await repo.run(["apply", "--yes"]);
    expect(second.stdout).toContain("No changes.");
    expect(second.code).toBe(0);
    expect(gh.fake.writes(before)).toEqual([]);
    // Only the record of a run that found nothing to change: its apply-start and apply-end.
    expect(await journalLength(repo)).toBe(entries + 2);
    expect(invited(org)).toEqual(["cleo-p", "devi-r", "eli-m"]);
    expectClean(repo);
  });

  it("removes a terminated member from the org and every team, and withdraws a leaver's pending invitation", async () => {
    const { org, repo } = await setup();
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    // ben-o is an org member; cleo-p has not accepted her invitation yet.
    await terminate(repo, "ben");
    await terminate(repo, "cleo");

    const planned = await repo.run(["plan", "--format", "json"]);
    expect(planned.code).toBe(0);
    expect(changeLines(planned.stdout)).toEqual(
      [
        "user.disable github:user/ben-o user-terminated",
        "user.disable github:user/cleo-p user-terminated",
        "membership.remove github:membership/app-ledger-read/ben-o user-terminated",
        "membership.remove github:membership/dept-eng-read/ben-o user-terminated",
        "membership.remove github:membership/dept-eng-read/cleo-p user-terminated",
        "membership.remove github:membership/team-oncall-write/ben-o user-terminated",
        "membership.remove github:membership/team-oncall-write/cleo-p user-terminated",
      ].sort(),
    );
    expect(noteMessages(planned.stdout)).not.toContain("cleo-p: invitation pending; not sent again");

    const start = gh.fake.requests.length;
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.stdout).toContain("Apply complete: 7 applied, 0 failed, 0 skipped");
    // Read back afterwards: out of the org (the invitation withdrawn), in no team.
    expect(applied.stdout).toContain(
      "Offboarding verified: 2 leaver account(s) read back, 2 with no access left.\n" +
        "  clean github: ben-o (ben): account gone, in no group, sessions: cannot be revoked or checked here\n" +
        "  clean github: cleo-p (cleo): account gone, in no group, sessions: cannot be revoked or checked here\n",
    );
    expect(applied.code).toBe(0);
    expect(gh.fake.writes(start).map((w) => `${w.method} ${w.path}`)).toEqual(
      expect.arrayContaining([
        `DELETE /orgs/${org}/memberships/ben-o`,
        `DELETE /orgs/${org}/memberships/cleo-p`,
      ]),
    );

    expect(orgMembers(org)).toEqual(["ada-l", BOT]);
    expect(invited(org)).toEqual(["devi-r", "eli-m"]);
    for (const [slug, t] of Object.entries(teams(org))) {
      const left = [...t.members, ...t.pending].filter((l) => l === "ben-o" || l === "cleo-p");
      expect({ slug, left }).toEqual({ slug, left: [] });
    }

    const after = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(after.stdout)).toEqual([]);
    expect(noteMessages(after.stdout)).toEqual([
      "devi-r: invitation pending; not sent again",
      "eli-m: invitation pending; not sent again",
    ]);
    expectClean(repo);
  });

  it("leaves GitHub out of an apply when its search beyond the read fails, and reconciles the other systems", async () => {
    const { repo } = await setup();
    // A second system beside GitHub: the local directory.
    await repo.edit(
      "access/gatehouse.yaml",
      "providers:\n",
      "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n",
    );
    await repo.commit("a local directory too");
    // fay left and has no account in the org: the plan asks GitHub for her access beyond the read
    // (outside collaborators), and GitHub keeps failing that.
    gh.fake.injectFault({
      count: 1000,
      status: 502,
      match: (method, p) => method === "GET" && p.includes("/outside_collaborators"),
    });
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain("provider github in gatehouse.yaml");
    const app = JSON.parse(await repo.read(".gatehouse/app.json")) as { users: { account: string }[] };
    expect(app.users.map((u) => u.account).sort()).toEqual([
      "ada",
      "ben",
      "cleo",
      "devi",
      "eli",
      "gatehouse-bot",
    ]);
    expectClean(repo);
  });
});
