/**
 * The CLI against the fake GitHub behind Prism, for what a new-user trial found (ghtrial): a member who
 * renames their login, a team renamed by hand, leavers' team memberships, a lost answer to an invitation,
 * outside collaborators and org owners. Each test runs `main([...], io)` in a temp git repository.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { seedOrg, seedUsers } from "../../harness/fake-github/index.ts";
import type { FakeOrg } from "../../harness/fake-github/index.ts";
import { startCheckedGithub, type CheckedGithub } from "../../harness/github-checked.ts";
import { GITHUB_TOKEN, jsonAcceptFetch } from "../../harness/github-provider.ts";
import {
  USERS_FILE,
  allOutput,
  changeLines,
  createConnectorRepo,
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

/** As in github.test.ts: ada-l and ben-o are members; cleo-p, devi-r, eli-m and fay-l are not. */
async function setup(
  settings = "",
  seed: { outsideCollaborators?: string[]; owners?: string[] } = {},
): Promise<{ org: string; repo: ConnectorRepo }> {
  orgCount += 1;
  const org = `e2e-trial-${String(orgCount)}`;
  seedOrg(gh.fake, {
    org,
    viewer: BOT,
    token: GITHUB_TOKEN,
    ...seed,
    // Owners are members too, with role admin.
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

function orgOf(login: string): FakeOrg {
  return gh.fake.state.requireOrg(login);
}

function loginOf(id: number): string {
  return [...gh.fake.state.users.values()].find((u) => u.id === id)?.login ?? `#${String(id)}`;
}

const orgMembers = (org: string): string[] => [...orgOf(org).members.keys()].map(loginOf).sort();

/** Team slug → its direct members (accepted). */
function teamMembers(org: string): Record<string, string[]> {
  return Object.fromEntries(orgOf(org).teams.map((t) => [t.slug, [...t.members.keys()].map(loginOf).sort()]));
}

function expectClean(repo: ConnectorRepo): void {
  expect(allOutput(repo)).not.toContain(GITHUB_TOKEN);
  expect(gh.violations().filter((v) => !v.includes("Unable to match the returned status code"))).toEqual([]);
}

describe("gatehouse CLI against GitHub: trial findings", { tags: ["slow"], timeout: 180_000 }, () => {
  it("H1: keeps a member who renamed their login, in the org and in their teams, and invites no dead login", async () => {
    const { org, repo } = await setup();
    expect((await repo.run(["apply", "--yes"])).code).toBe(0); // pins ben-o's numeric id
    const teamsBefore = teamMembers(org);
    expect(teamsBefore["team-oncall-write"]).toContain("ben-o");
    gh.fake.state.renameLogin("ben-o", "ben-renamed");

    const planned = await repo.run(["plan", "--format", "json"]);
    expect(planned.code).toBe(0);
    // Nothing for ben: no disable of the renamed account, no invitation of the dead login, no team changes.
    expect(changeLines(planned.stdout).filter((l) => l.includes("ben"))).toEqual([]);
    const notes = noteMessages(planned.stdout).join("\n");
    expect(notes).toContain("was pinned as ben-o and is now ben-renamed (renamed)");
    expect(notes).toContain("accounts: { github: ben-renamed }");

    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.code).toBe(0);
    expect(orgMembers(org)).toContain("ben-renamed");
    const rename = (list: string[] = []): string[] =>
      list.map((l) => (l === "ben-o" ? "ben-renamed" : l)).sort();
    for (const [slug, members] of Object.entries(teamsBefore))
      expect({ slug, members: teamMembers(org)[slug] }).toEqual({ slug, members: rename(members) });

    // Once the files follow the rename, nothing is left to say or do.
    await repo.edit(USERS_FILE, "accounts: { github: ben-o }", "accounts: { github: ben-renamed }");
    await repo.commit("ben renamed their GitHub login");
    const after = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(after.stdout).filter((l) => l.includes("ben"))).toEqual([]);
    expect(noteMessages(after.stdout).filter((n) => n.includes("ben"))).toEqual([]);
    expectClean(repo);
  });

  it("H2: renames a team renamed by hand on GitHub back in place, keeping its id, never deleting and recreating it", async () => {
    const { org, repo } = await setup();
    expect((await repo.run(["apply", "--yes"])).code).toBe(0); // creates the teams and pins their ids
    const team = gh.fake.state.teamBySlug(orgOf(org), "app-ledger-read");
    if (team === undefined) throw new Error("no team app-ledger-read");
    const { id } = team;
    const members = teamMembers(org)["app-ledger-read"];
    team.name = "Ledger Readers";
    team.slug = "ledger-readers";

    const planned = await repo.run(["plan", "--format", "json"]);
    expect(planned.code).toBe(0);
    expect(changeLines(planned.stdout)).toEqual(["group.update github:group/ledger-readers drift"]);
    const text = await repo.run(["plan"]);
    expect(text.stdout).toMatch(/renamed back from ledger-readers to app-ledger-read/);

    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.code).toBe(0);
    const after = gh.fake.state.teamBySlug(orgOf(org), "app-ledger-read");
    expect(after?.id).toBe(id);
    expect(teamMembers(org)["app-ledger-read"]).toEqual(members);
    expect(gh.fake.state.teamBySlug(orgOf(org), "ledger-readers")).toBeUndefined();
    expect(changeLines((await repo.run(["plan", "--format", "json"])).stdout)).toEqual([]);
    expectClean(repo);
  });

  it("M2: a leaver's team removals after their org removal send nothing and count as done", async () => {
    const { org, repo } = await setup();
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    await terminate(repo, "ben");
    const start = gh.fake.requests.length;
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.stdout).toContain("Apply complete: 4 applied, 0 failed, 0 skipped");
    expect(applied.stdout).toMatch(
      /Offboarding verified: 1 leaver account\(s\) read back, 1 with no access left/,
    );
    expect(applied.code).toBe(0);
    // One write: the org removal. GitHub ends the team memberships with it.
    expect(gh.fake.writes(start).map((w) => `${w.method} ${w.path}`)).toEqual([
      `DELETE /orgs/${org}/memberships/ben-o`,
    ]);
    for (const [slug, members] of Object.entries(teamMembers(org)))
      expect({ slug, members }).toEqual({ slug, members: members.filter((m) => m !== "ben-o") });
    expect(changeLines((await repo.run(["plan", "--format", "json"])).stdout)).toEqual([]);
    expectClean(repo);
  });

  it("M1: an invitation GitHub carried out but answered with a 500 is not sent again, and counts as done", async () => {
    const { org, repo } = await setup();
    const start = gh.fake.requests.length;
    gh.fake.injectFault({
      count: 1,
      status: 500,
      afterHandler: true, // carried out, then answered 500
      match: (method, path) => method === "POST" && path === `/orgs/${org}/invitations`,
    });
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.stdout).toContain("Apply complete: 17 applied, 0 failed, 0 skipped");
    expect(applied.code).toBe(0);
    const posts = gh.fake.writes(start).filter((w) => w.method === "POST" && w.path.endsWith("/invitations"));
    expect(posts).toHaveLength(3); // cleo-p, devi-r, eli-m: each once
    expect(
      orgOf(org)
        .invitations.filter((i) => i.failedAt === null)
        .map((i) => loginOf(i.inviteeId))
        .sort(),
    ).toEqual(["cleo-p", "devi-r", "eli-m"]);
    expectClean(repo);
  });

  it("H4: removes a leaver who is an outside collaborator in the kill chain, and the offboarding check reads it back", async () => {
    // fay left before the first apply; she is no member, but still collaborates on a repository.
    const { org, repo } = await setup("", { outsideCollaborators: ["fay-l", "devi-r"] });
    const planned = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(planned.stdout).filter((l) => l.includes("fay"))).toEqual([
      "user.disable github:user/fay-l user-terminated",
    ]);
    const text = await repo.run(["plan"]);
    expect(text.stdout).toMatch(
      /disable user fay-l .*an outside collaborator on repositories of e2e-trial-\d+: removed/,
    );

    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/clean github: fay-l \(fay\): account gone, in no group/);
    // devi (no leaver) is invited and stays a collaborator until she accepts; fay is gone.
    expect([...orgOf(org).outsideCollaborators].map(loginOf)).toEqual(["devi-r"]);
    expect(changeLines((await repo.run(["plan", "--format", "json"])).stdout)).toEqual([]);
    expectClean(repo);
  });

  it("H4: a leaver still an outside collaborator after the apply is ACCESS LEFT", async () => {
    const { org, repo } = await setup("", { outsideCollaborators: ["fay-l"] });
    gh.fake.injectFault({
      count: 1,
      status: 422,
      match: (method, path) => method === "DELETE" && path === `/orgs/${org}/outside_collaborators/fay-l`,
    });
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.code).not.toBe(0);
    expect(applied.stdout).toMatch(
      /ACCESS LEFT github: fay-l \(fay\).*an outside collaborator on repositories of e2e-trial-\d+/,
    );
    expect([...orgOf(org).outsideCollaborators].map(loginOf)).toEqual(["fay-l"]);
  });

  it("M4: names org owners on their removal, and notes in the plan what the lock-out checks will refuse", async () => {
    // Three owners (the token's account, ada, ben); ada must stay one, and three must remain.
    const { repo } = await setup("    minAdmins: 3\n    requiredAdmins: [ada-l]\n", {
      owners: ["ada-l", "ben-o"],
    });
    await terminate(repo, "ada");
    await terminate(repo, "ben");
    const planned = await repo.run(["plan"]);
    expect(planned.stdout).toMatch(/- disable user ada-l \(org owner\) {2}\(user terminated/);
    expect(planned.stdout).toMatch(/- disable user ben-o \(org owner\) {2}\(user terminated/);
    expect(planned.stdout).not.toMatch(/disable user fay-l \(org owner\)/);
    const notes = noteMessages((await repo.run(["plan", "--format", "json"])).stdout);
    expect(notes).toContain("apply will refuse to remove ada-l from github: it is listed in requiredAdmins");
    expect(notes).toContain(
      "apply will refuse to remove the last of ben-o (org owner): 2 would remain, fewer than minAdmins (3)",
    );
  });

  it("refuses by default to remove an org owner made by hand who is in no access file; removeUnlistedOwners lets it", async () => {
    const { org, repo } = await setup("", { owners: ["zed-o"] });
    const zed = gh.fake.state.userByLogin("zed-o");
    if (zed === undefined) throw new Error("no zed-o");
    const refusal =
      "apply will refuse to remove zed-o from github: it is an org owner in no access file (made an owner by hand?): add them to the files, or set removeUnlistedOwners: true to let mode: authoritative remove them";
    const planned = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(planned.stdout)).toContain("user.disable github:user/zed-o not-in-config");
    expect(noteMessages(planned.stdout)).toContain(refusal);
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.code).toBe(1);
    expect(applied.stdout + applied.stderr).toContain("refused: zed-o: it is an org owner in no access file");
    expect(orgOf(org).members.get(zed.id)).toBe("admin");

    await repo.edit(
      "access/gatehouse.yaml",
      "    writeInterval: 0\n",
      "    writeInterval: 0\n    removeUnlistedOwners: true\n",
    );
    await repo.commit("remove owners in no access file");
    expect(noteMessages((await repo.run(["plan", "--format", "json"])).stdout)).not.toContain(refusal);
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    expect(orgOf(org).members.has(zed.id)).toBe(false);
    expectClean(repo);
  });

  it("H3: taking someone out of a child team notes that GitHub may show them as a direct member of the parent next", async () => {
    const { org, repo } = await setup();
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    // ben-o is in team-oncall-write (a child of team-eng-write) and, by hand, a direct member of the parent.
    const parent = gh.fake.state.teamBySlug(orgOf(org), "team-eng-write");
    const ben = gh.fake.state.userByLogin("ben-o");
    if (parent === undefined || ben === undefined) throw new Error("no team-eng-write or ben-o");
    parent.members.set(ben.id, "member");
    await repo.edit("access/groups/groups.yaml", "members: [ben, cleo, fay]", "members: [cleo, fay]");
    await repo.commit("ben leaves on-call");

    const planned = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(planned.stdout)).toEqual([
      "membership.remove github:membership/team-oncall-write/ben-o removed-from-config",
    ]);
    expect(noteMessages(planned.stdout)).toContain(
      "ben-o is taken out of team-oncall-write, and github also lists them in team-eng-write, without saying whether they are a direct member there too: if they are, the next plan removes them from team-eng-write (the files do not give it to them). Add them to team-eng-write in the files to keep it",
    );
    expectClean(repo);
  });

  it("M5: a converged org plans no change for group owners and members who also sit in a child team", async () => {
    // ada-l is an org owner; ada owns team-eng-write (maintainer) and joins its child team-oncall-write;
    // ben-o, no owner, is made an owner of team-eng-write and sits in both; cleo-p a plain member of both.
    const { org, repo } = await setup("    maintainers: owners\n", { owners: ["ada-l"] });
    await repo.edit(
      "access/groups/groups.yaml",
      "members: [ben, cleo, fay]",
      "members: [ada, ben, cleo, fay]",
    );
    await repo.edit(
      "access/groups/groups.yaml",
      "owners: [ada]\n    members:\n      - ada\n",
      "owners: [ada, ben]\n    members:\n      - ada\n      - ben\n      - cleo\n",
    );
    await repo.commit("team leads sit in on-call too");
    // Members already (a pending invitee's team role cannot be read back: not what this test is about).
    for (const login of ["cleo-p", "devi-r", "eli-m"]) {
      const user = gh.fake.state.userByLogin(login);
      if (user === undefined) throw new Error(`no ${login}`);
      orgOf(org).members.set(user.id, "member");
    }
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);
    const parent = gh.fake.state.teamBySlug(orgOf(org), "team-eng-write");
    const ben = gh.fake.state.userByLogin("ben-o");
    if (parent === undefined || ben === undefined) throw new Error("no team-eng-write or ben-o");
    expect(parent.members.get(ben.id)).toBe("maintainer");

    const before = gh.fake.requests.length;
    const again = await repo.run(["plan", "--detailed-exitcode"]);
    expect({ code: again.code, stdout: again.stdout }).toMatchObject({
      code: 0,
      stdout: expect.stringContaining("No changes. Live systems match the access files.") as unknown,
    });
    expect(again.stdout).not.toMatch(/add (ada-l|ben-o|cleo-p) to team-eng-write/);
    const applied = await repo.run(["apply", "--yes"]);
    expect(applied.code).toBe(0);
    expect(gh.fake.writes(before)).toEqual([]);

    // Taken out of the child team, cleo is added to the parent in the same plan (an idempotent PUT if she is
    // a direct member already; "drift": gatehouse gave it before): no day without the parent's access.
    await repo.edit(
      "access/groups/groups.yaml",
      "members: [ada, ben, cleo, fay]",
      "members: [ada, ben, fay]",
    );
    await repo.commit("cleo leaves on-call");
    const planned = await repo.run(["plan", "--format", "json"]);
    expect(changeLines(planned.stdout)).toEqual([
      "membership.add github:membership/team-eng-write/cleo-p drift",
      "membership.remove github:membership/team-oncall-write/cleo-p removed-from-config",
    ]);
    expectClean(repo);
  });

  it("M3: a drill's summary says the GitHub canary is invited again and must accept, not that its access is back", async () => {
    const { org, repo } = await setup();
    const cleo = gh.fake.state.userByLogin("cleo-p");
    if (cleo === undefined) throw new Error("no cleo-p");
    orgOf(org).members.set(cleo.id, "member"); // cleo is a member already, not an invitee
    await repo.edit(
      "access/gatehouse.yaml",
      "  admins: [ada]\n",
      "  admins: [ada]\n  drills: { canaries: [cleo] }\n",
    );
    await repo.commit("cleo is the drills' canary");
    expect((await repo.run(["apply", "--yes"])).code).toBe(0);

    const drilled = await repo.run(["drill", "--offboard-recheck", "0"]);
    expect(drilled.stdout).not.toContain("the canary has its access back");
    expect(drilled.stdout).toContain(
      "Restore: the canary is invited again in github, and has that access back only once it accepts the invitation; a plan afterwards has nothing left for it.",
    );
    expect(drilled.code).toBe(0);
    // What is true on GitHub: cleo is no member, only invited.
    expect(orgOf(org).members.has(cleo.id)).toBe(false);
    expect(orgOf(org).invitations.filter((i) => i.inviteeId === cleo.id && i.failedAt === null)).toHaveLength(
      1,
    );
    const entry = JSON.parse(
      (await repo.read(".gatehouse/journal.jsonl")).trimEnd().split("\n").at(-1) ?? "{}",
    ) as unknown;
    expect(entry).toMatchObject({
      type: "drill",
      restore: { outcome: "restored", left: 0, pending: ["github"] },
    });
    expectClean(repo);
  });
});
