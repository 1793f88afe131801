/**
 * The CLI against the fake GitHub behind Prism, for the low findings the second trial left (ghtrial2 L1-L4).
 * Each test runs `main([...], io)` in a temp git repository.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { seedInvitations, seedOrg, seedTeam, seedUsers } from "../../harness/fake-github/index.ts";
import { startCheckedGithub, type CheckedGithub } from "../../harness/github-checked.ts";
import { GITHUB_TOKEN, jsonAcceptFetch } from "../../harness/github-provider.ts";
import { allOutput, createConnectorRepo, terminate, type ConnectorRepo } from "./workspace.ts";

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
  await Promise.all(repos.splice(0).map((r) => r.remove()));
});

let orgCount = 0;

/** As in github.test.ts: ada-l and ben-o are members; cleo-p, devi-r, eli-m and fay-l are not. */
async function setup(): Promise<{ org: string; repo: ConnectorRepo }> {
  orgCount += 1;
  const org = `e2e-left-${String(orgCount)}`;
  seedOrg(gh.fake, { org, viewer: "gatehouse-bot", token: GITHUB_TOKEN, members: ["ada-l", "ben-o"] });
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
    fetch: jsonAcceptFetch,
  });
  repos.push(repo);
  return { org, repo };
}

function expectClean(repo: ConnectorRepo): void {
  expect(allOutput(repo)).not.toContain(GITHUB_TOKEN);
  expect(gh.violations().filter((v) => !v.includes("Unable to match the returned status code"))).toEqual([]);
}

/** Makes `logins` members of the organization and of each of `teams` (by slug), as if added by hand. */
function addByHand(org: string, logins: readonly string[], teams: readonly string[]): void {
  const o = gh.fake.state.requireOrg(org);
  for (const login of logins) {
    const user = gh.fake.state.userByLogin(login) ?? gh.fake.state.addUser(login);
    o.members.set(user.id, "member");
    for (const slug of teams) {
      const team = gh.fake.state.teamBySlug(o, slug);
      if (team === undefined) throw new Error(`no team ${slug}`);
      team.members.set(user.id, "member");
    }
  }
}

describe(
  "gatehouse CLI against GitHub: the second trial's low findings",
  { tags: ["slow"], timeout: 180_000 },
  () => {
    it("L3: the guard rails count a stranger's removal from the organization once, not again for each team it ends", async () => {
      const { org, repo } = await setup();
      expect((await repo.run(["apply", "--yes"])).code).toBe(0);
      const strangers = Array.from({ length: 12 }, (_, i) => `stranger-${String(i + 1).padStart(2, "0")}`);
      addByHand(org, strangers, ["app-ledger-read", "team-oncall-write"]);
      // stranger-12 is also a member through an enterprise team: GitHub answers its removal but keeps it in.
      gh.fake.state.requireOrg(org).enterpriseMembers.add(gh.fake.state.requireUser("stranger-12").id);

      // 12 org removals and 24 team removals in the plan; apply sends the 12 (maxRemovals: 10).
      const planned = await repo.run(["plan"]);
      expect(planned.stdout).toContain(
        "Plan: 36 change(s): 0 broaden access, 36 narrow access, 0 neutral. They remove 12 memberships or accounts, as the guard rails count them (a deleted group's members, those of a nested group taken out, an account renamed in place; 24 memberships that end with their accounts' removal counted with the account, not again).",
      );
      const refused = await repo.run(["apply", "--yes"]);
      expect(refused.code).toBe(3);
      expect(refused.stderr).toContain(
        "the plan removes 12 memberships or accounts in github, more than allowed (policy.guardrails.maxRemovals is 10; 24 memberships that end with their accounts' removal counted with the account, not again); if that is intended, re-run with --allow-removals 12",
      );

      // Before, the same plan was "36 removals": --allow-removals 12 was refused.
      const start = gh.fake.requests.length;
      const applied = await repo.run(["apply", "--yes", "--allow-removals", "12"]);
      const writes = gh.fake.writes(start).map((r) => `${r.method} ${r.path}`);
      // One write per stranger, and none for a team: the org removal ended them (and where it did not,
      // for stranger-12, the team removals are skipped, not sent on their own: the count held them as one).
      expect(writes).toEqual(strangers.map((s) => `DELETE /orgs/${org}/memberships/${s}`));
      expect(applied.stdout).toMatch(
        /skipped github: remove stranger-12 from app-ledger-read — skipped: the removal of stranger-12 failed, and this membership ends only with it/,
      );
      expect(applied.stdout).toContain("Apply complete: 33 applied, 1 failed, 2 skipped");
      const o = gh.fake.state.requireOrg(org);
      const left = strangers.slice(0, 11).map((s) => gh.fake.state.requireUser(s).id);
      expect(left.filter((id) => o.members.has(id))).toEqual([]);
      expectClean(repo);
    });

    it("L2: what gatehouse never wrote gets its true reason from the files it last applied: a line removed, someone who left by themselves", async () => {
      const { org, repo } = await setup();
      // ben-o is in the on-call team before gatehouse comes (as an import finds it): gatehouse never adds him.
      seedTeam(gh.fake, org, { name: "team-oncall-write", members: ["ben-o"] });
      expect((await repo.run(["apply", "--yes"])).code).toBe(0);

      // The pull request takes ben out of the team; meanwhile ada-l left the organization by herself.
      await repo.edit("access/groups/groups.yaml", "members: [ben, cleo, fay]", "members: [cleo, fay]");
      await repo.commit("ben leaves on-call");
      const o = gh.fake.state.requireOrg(org);
      gh.fake.state.removeMember(o, gh.fake.state.requireUser("ada-l").id);

      const planned = await repo.run(["plan"]);
      expect(planned.code).toBe(0);
      // Before: "(drift) ... gatehouse did not add it", and ada-l "(added in config)" though nobody added her.
      expect(planned.stdout).toMatch(
        /- remove ben-o from team-oncall-write {2}\(removed from config\) — no longer in the access files \(they held it at [0-9a-f]{12}, the commit gatehouse last applied\)/,
      );
      expect(planned.stdout).toMatch(
        /\+ create user ada-l {2}\(drift, access\/users\/people\.yaml:3:5\) — .*in the access files gatehouse last applied \([0-9a-f]{12}\) already, and missing in github now: taken away outside gatehouse/,
      );
      expect(planned.stdout).toMatch(/\+ add ada-l to dept-eng-read {2}\(drift, /);
      expect(planned.stdout).not.toContain("(added in config)");
      expectClean(repo);
    });

    it("L1: import prints a read's note once, as its warning, not also as the provider's log line", async () => {
      const { org, repo } = await setup();
      seedInvitations(gh.fake, org, ["new.hire@example.com"]);
      const imported = await repo.run(["import", "--provider", "github"]);
      expect(imported.code).toBe(0);
      const lines = imported.stderr.split("\n").filter((l) => l.includes("is by e-mail only"));
      // Before: "github: invitation #… is by e-mail only …" and "warning: invitation #… is by e-mail only …".
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^warning: invitation #\d+ to e2e-left-\d+ is by e-mail only: /);
      // plan still logs it (its notes are on stdout, the log line on stderr, as before).
      const planned = await repo.run(["plan"]);
      expect(planned.stdout).toContain("is by e-mail only");
      expectClean(repo);
    });

    it("L4: the offboarding check reads the leaver's membership, not the whole organization again; a leaver still in it gets the same verdict as before", async () => {
      const { org, repo } = await setup();
      expect((await repo.run(["apply", "--yes"])).code).toBe(0);
      await terminate(repo, "ben");
      const start = gh.fake.requests.length;
      const applied = await repo.run(["apply", "--yes"]);
      expect(applied.code).toBe(0);
      expect(applied.stdout).toContain(
        "  clean github: ben-o (ben): account gone, in no group, sessions: cannot be revoked or checked here\n",
      );
      // After the removal's own check (assertLeftOrg), the offboarding check: before, the whole
      // organization again (members, invitations, teams, each team's members: 14 calls here).
      const sent = gh.fake.requests.slice(start).map((r) => `${r.method} ${r.path}`);
      const removed = sent.lastIndexOf(`DELETE /orgs/${org}/memberships/ben-o`);
      expect(sent.slice(removed + 1)).toEqual([
        `GET /orgs/${org}/memberships/ben-o`,
        `GET /orgs/${org}/memberships/ben-o`,
        `GET /orgs/${org}/failed_invitations`,
        `GET /orgs/${org}/outside_collaborators`,
      ]);

      // ada-l leaves, but stays a member through an enterprise team: the membership GET finds her still
      // there, and the full read says what holds her. Her org removal failed, but her team removals were
      // sent all the same (a leaver's kill chain takes what it can; a stranger's are skipped, above): the
      // organization membership is all that is left.
      gh.fake.state.requireOrg(org).enterpriseMembers.add(gh.fake.state.requireUser("ada-l").id);
      await terminate(repo, "ada");
      const kept = await repo.run(["apply", "--yes", "--offboard-recheck", "0"]);
      expect(kept.code).toBe(1);
      expect(kept.stdout).toMatch(/ACCESS LEFT github: ada-l \(ada\): account enabled, in no group, /);
      expectClean(repo);
    });
  },
);
