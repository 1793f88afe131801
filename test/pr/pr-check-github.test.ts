/**
 * `gatehouse pr check` end to end: a real git repository (base on main, the pull request on a branch) and the
 * fake GitHub behind Prism, which checks every request and response against GitHub's OpenAPI description.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { startCheckedGithub, type CheckedGithub } from "../harness/github-checked.ts";
import { pushToPull, seedPull, seedRepo, seedReview } from "../harness/fake-github/seed-pulls.ts";
import type { FakePull, FakeRepo } from "../harness/fake-github/state.ts";
import { createPrRepo, GROUPS, TOKEN, USERS, type PrRepo } from "./pr-repo.ts";

const IDS = { "carol-gh": 5101, "bob-gh": 5102, "alice-gh": 5103, "rachel-gh": 5104 };
const PINS = `.github/gatehouse-ids.json`;

let gh: CheckedGithub;
let repo: PrRepo;
let ghRepo: FakeRepo;
let base: string;

beforeAll(async () => {
  gh = await startCheckedGithub();
  for (const [login, id] of Object.entries(IDS)) gh.fake.state.addUser(login, { id });
  gh.fake.state.addUser("mallory");
  gh.fake.state.addToken(TOKEN, "rachel-gh");
});
afterAll(async () => {
  await gh.close();
});

beforeEach(async () => {
  repo = await createPrRepo({ [PINS]: JSON.stringify({ version: 1, accounts: IDS }, null, 2) + "\n" });
  base = (await repo.git.revparse(["HEAD"])).trim();
  ghRepo = seedRepo(gh.fake, "acme", `access-${String(Math.random()).slice(2, 8)}`);
});
afterEach(async () => {
  expect(gh.violations()).toEqual([]);
  await repo.remove();
});

/** The pull request: `groups` on a branch, opened by `author`. */
async function openPull(groups: string, author: string): Promise<FakePull> {
  await repo.git.checkoutLocalBranch("request");
  await repo.write("access/groups/groups.yaml", groups);
  const head = await repo.commit("request access");
  return seedPull(gh.fake, ghRepo, {
    author,
    headSha: head,
    baseSha: base,
    files: ["access/groups/groups.yaml"],
  });
}

/** `pr check` of `pull` against the fake, with the default pin file. */
const DEFAULT_ARGS = (pull: FakePull): string[] => [
  "pr",
  "check",
  "--repo",
  `acme/${ghRepo.name}`,
  "--pr",
  String(pull.number),
  "--api-url",
  gh.url,
];

/** The same with the committed pin file. */
function check(pull: FakePull, extra: readonly string[] = []) {
  return repo.run([...DEFAULT_ARGS(pull), "--ids-file", PINS, ...extra]);
}

const ADD_ALICE = GROUPS.replace("members: [bob]", "members: [bob, alice]");

describe("gatehouse pr check", { tags: ["slow"] }, () => {
  it("passes with an owner's approval on the head commit and reports a check run", async () => {
    const pull = await openPull(ADD_ALICE, "alice-gh");
    seedReview(gh.fake, pull, "carol-gh");
    const result = await check(pull);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "| ✅ | `team-platform-write` | alice gains access | 1 | @carol-gh | — |",
    );
    expect(ghRepo.checkRuns).toMatchObject([
      {
        name: "gatehouse/approvals",
        headSha: pull.headSha,
        conclusion: "success",
        title: "approved (1 group(s))",
      },
    ]);
  });

  it("refuses a self-approval", async () => {
    const pull = await openPull(GROUPS.replace("members: [bob]", "members: [bob, rachel]"), "carol-gh");
    seedReview(gh.fake, pull, "carol-gh");
    const result = await check(pull, ["--report", "status"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "approval by @carol-gh not counted: the author cannot approve their own pull request",
    );
    expect(ghRepo.statuses).toMatchObject([
      {
        sha: pull.headSha,
        state: "failure",
        context: "gatehouse/approvals",
        description: "1 of 1 need approval; team-platform-write: no eligible approver",
      },
    ]);
  });

  it("refuses a pull request that makes its author an owner and self-approves", async () => {
    const groups = ADD_ALICE.replace("owners: [carol]", "owners: [carol, alice]");
    const pull = await openPull(groups, "alice-gh");
    seedReview(gh.fake, pull, "alice-gh");
    const result = await check(pull);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("owners changed (+alice); alice gains access | 1 | — | @carol-gh |");
  });

  it("refuses an approval by a non-owner", async () => {
    const pull = await openPull(ADD_ALICE, "alice-gh");
    seedReview(gh.fake, pull, "bob-gh");
    const result = await check(pull);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "@bob-gh not counted: not an owner of team-platform-write on the base branch",
    );
  });

  it("does not count an approval made before a new push", async () => {
    const pull = await openPull(ADD_ALICE, "alice-gh");
    seedReview(gh.fake, pull, "carol-gh");
    await repo.write("access/groups/groups.yaml", ADD_ALICE.replace("[bob, alice]", "[bob, alice, rachel]"));
    pushToPull(pull, await repo.commit("and rachel"));
    const stale = await check(pull);
    expect(stale.code).toBe(1);
    expect(stale.stdout).toMatch(
      /@carol-gh not counted: approved [0-9a-f]{7}, not the head [0-9a-f]{7}: approve again/,
    );
    seedReview(gh.fake, pull, "carol-gh");
    expect((await check(pull)).code).toBe(0);
    expect(ghRepo.checkRuns.map((r) => r.conclusion)).toEqual(["failure", "success"]);
  });

  it("needs two distinct owners for a privileged group", async () => {
    const pull = await openPull(GROUPS.replace("members: [carol]", "members: [carol, alice]"), "alice-gh");
    seedReview(gh.fake, pull, "carol-gh");
    const one = await check(pull);
    expect(one.code).toBe(1);
    expect(one.stdout).toContain(
      "| ❌ | `app-prod-admin` | alice gains access | 2 | @carol-gh | @bob-gh, @rachel-gh |",
    );
    seedReview(gh.fake, pull, "rachel-gh");
    expect((await check(pull)).code).toBe(0);
  });

  it("refuses a renamed login re-registered by someone else, and accepts the owner under the new name", async () => {
    const pull = await openPull(ADD_ALICE, "alice-gh");
    // Carol renames her account to carol-new; someone else registers the freed login carol-gh and approves.
    const impostor = gh.fake.state.reRegisterLogin("carol-gh", "carol-new");
    seedReview(gh.fake, pull, "carol-gh");
    const refused = await check(pull);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(
      `login carol-gh is account ${String(impostor.id)}, but it is pinned to account 5101 (renamed or re-registered)`,
    );
    seedReview(gh.fake, pull, "carol-new");
    const accepted = await check(pull);
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toContain("| @carol-new |");
    // Put the world back for the other tests: the impostor moves away, Carol takes her login back.
    gh.fake.state.renameLogin("carol-gh", `impostor-${String(impostor.id)}`);
    gh.fake.state.renameLogin("carol-new", "carol-gh");
  });

  it("looks an owner's unpinned login up once, and a login GitHub does not know only once too", async () => {
    // On main: dave (a login GitHub does not know) and erin (not pinned) become owners beside carol.
    await repo.write(
      "access/users/people.yaml",
      `${USERS}  - { id: dave, name: Dave, accounts: { github: dave-gone } }\n  - { id: erin, name: Erin, accounts: { github: mallory } }\n`,
    );
    await repo.write(
      "access/groups/groups.yaml",
      GROUPS.replace("owners: [carol]", "owners: [carol, dave, erin]"),
    );
    base = await repo.commit("more owners");
    const pull = await openPull(
      GROUPS.replace("owners: [carol]", "owners: [carol, dave, erin]").replace(
        "members: [bob]",
        "members: [bob, alice]",
      ),
      "alice-gh",
    );
    seedReview(gh.fake, pull, "carol-gh");
    const since = gh.fake.requests.length;
    const result = await check(pull);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `Not pinned (account id looked up now): mallory. Commit the pin file (${PINS}) to pin them.`,
    );
    const lookups = gh.fake.requests.slice(since).filter((r) => r.path.startsWith("/users/"));
    expect(lookups.map((r) => `${r.path} ${String(r.status)}`).sort()).toEqual([
      "/users/dave-gone 404",
      "/users/mallory 200",
    ]);
  });

  it("says that no reviewer is pinned when the base branch has no pin file (the default one is in .gatehouse/, never committed)", async () => {
    const pull = await openPull(ADD_ALICE, "alice-gh");
    seedReview(gh.fake, pull, "carol-gh");
    const args = DEFAULT_ARGS(pull);
    const result = await repo.run(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "> Not pinned (account id looked up now): carol-gh, rachel-gh. There is no pin file .gatehouse/github-ids.json, neither in the base commit nor kept on disk here: no reviewer is pinned. The shipped workflows keep .gatehouse/github-ids.json with the journal",
    );
    expect(result.stdout).not.toContain("Commit the pin file");
  });

  it("matches reviewers by the default pin file kept on disk (restored with the journal, never committed)", async () => {
    const pull = await openPull(ADD_ALICE, "alice-gh");
    seedReview(gh.fake, pull, "carol-gh");
    // The pins the workflows keep on the journal branch say carol-gh is another account than today's.
    await repo.write(
      ".gatehouse/github-ids.json",
      JSON.stringify({ version: 1, accounts: { "carol-gh": 999, "rachel-gh": 5104 } }) + "\n",
    );
    const result = await repo.run(DEFAULT_ARGS(pull));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "login carol-gh is account 5101, but it is pinned to account 999 (renamed or re-registered)",
    );
    expect(result.stdout).not.toContain("Not pinned");
  });

  it("never takes pins from a pin file the pull request's own commit tracks, even under .gatehouse/", async () => {
    await repo.git.checkoutLocalBranch("request");
    await repo.write("access/groups/groups.yaml", ADD_ALICE);
    await repo.write(
      ".gatehouse/github-ids.json",
      JSON.stringify({ version: 1, accounts: { "carol-gh": 999 } }) + "\n",
    );
    await repo.git.add(["-f", ".gatehouse/github-ids.json"]);
    const head = await repo.commit("request access, with pins of its own");
    const pull = seedPull(gh.fake, ghRepo, {
      author: "alice-gh",
      headSha: head,
      baseSha: base,
      files: ["access/groups/groups.yaml", ".gatehouse/github-ids.json"],
    });
    seedReview(gh.fake, pull, "carol-gh");
    const result = await repo.run(DEFAULT_ARGS(pull));
    expect(result.stdout).not.toContain("pinned to account 999");
    expect(result.stdout).toContain("There is no pin file .gatehouse/github-ids.json");
  });

  it("needs the admins for a change to the pin file, which re-points reviewers' identities", async () => {
    await repo.git.checkoutLocalBranch("pins");
    await repo.write(PINS, JSON.stringify({ version: 1, accounts: { ...IDS, "carol-gh": 666 } }) + "\n");
    const head = await repo.commit("re-point carol");
    const pull = seedPull(gh.fake, ghRepo, {
      author: "alice-gh",
      headSha: head,
      baseSha: base,
      files: [PINS],
    });
    const refused = await check(pull);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`${PINS} changed`);
    seedReview(gh.fake, pull, "rachel-gh");
    expect((await check(pull)).code).toBe(0);
  });

  it("says a pull request that only offboards a leaver grants no access, not that it changes none", async () => {
    await repo.git.checkoutLocalBranch("leaver");
    await repo.write(
      "access/users/people.yaml",
      USERS.replace("name: Bob,", "name: Bob, status: terminated,"),
    );
    const head = await repo.commit("bob leaves");
    const pull = seedPull(gh.fake, ghRepo, {
      author: "alice-gh",
      headSha: head,
      baseSha: base,
      files: ["access/users/people.yaml"],
    });
    const result = await check(pull);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "No approval is needed: this pull request grants no access and changes nothing that owners or admins decide (taking access from leavers needs nobody).",
    );
    expect(result.stdout).not.toContain("changes no access");
    expect(ghRepo.checkRuns).toMatchObject([
      { conclusion: "success", title: "no approval needed: grants no access" },
    ]);
  });

  it("reads the pull request number from the Actions event and writes the job summary", async () => {
    const pull = await openPull(ADD_ALICE, "alice-gh");
    const event = path.join(repo.cwd, "..", `event-${ghRepo.name}.json`);
    const summary = path.join(repo.cwd, "..", `summary-${ghRepo.name}.md`);
    await writeFile(event, JSON.stringify({ pull_request: { number: pull.number } }));
    const result = await repo.run(["pr", "check", "--ids-file", PINS], {
      GITHUB_REPOSITORY: `acme/${ghRepo.name}`,
      GITHUB_EVENT_PATH: event,
      GITHUB_API_URL: gh.url,
      GITHUB_STEP_SUMMARY: summary,
    });
    expect(result.code).toBe(1);
    expect(await repo.read(path.relative(repo.cwd, summary))).toContain(
      "### gatehouse approvals: approval needed",
    );
    expect(result.stdout + result.stderr).not.toContain(TOKEN);
  });

  it("reads the head from git when told to, and stops when the pull request has moved on", async () => {
    const pull = await openPull(ADD_ALICE, "alice-gh");
    await repo.git.checkout("main");
    seedReview(gh.fake, pull, "carol-gh");
    const fromGit = await check(pull, ["--head", pull.headSha, "--head-sha", pull.headSha]);
    expect(fromGit.code).toBe(0);
    expect(fromGit.stdout).toContain("alice gains access");
    const moved = await check(pull, ["--head", pull.headSha, "--head-sha", "f".repeat(40)]);
    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain("a newer run judges it");
  });
});
