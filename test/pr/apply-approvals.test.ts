/**
 * `gatehouse apply --record-approvals`: a real git repository and the fake GitHub behind Prism (checked
 * against GitHub's OpenAPI description). Each commit of the access files since the last apply is looked
 * up: the pull request that merged it and who approved it go into the journal's apply-start, and a
 * commit pushed without a pull request is recorded as such and warned about.
 */
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { simpleGit } from "simple-git";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { captureIo } from "../helpers/cli-io.ts";
import { jsonAcceptFetch } from "../harness/github-provider.ts";
import type { ApplyStartData, JournalEntry } from "../../src/audit/journal-entry.ts";
import { startCheckedGithub, type CheckedGithub } from "../harness/github-checked.ts";
import { mergePull, pushCommit, seedPull, seedRepo, seedReview } from "../harness/fake-github/seed-pulls.ts";
import type { FakeRepo } from "../harness/fake-github/state.ts";
import { createPrRepo, GROUPS, TOKEN, USERS, type PrRepo } from "./pr-repo.ts";

let gh: CheckedGithub;
let repo: PrRepo;
let ghRepo: FakeRepo;
/** Prism's violations a test has accounted for. */
let accepted = 0;

beforeAll(async () => {
  gh = await startCheckedGithub();
  for (const login of ["carol-gh", "bob-gh", "alice-gh", "rachel-gh"]) gh.fake.state.addUser(login);
  gh.fake.state.addToken(TOKEN, "rachel-gh");
});
afterAll(async () => {
  await gh.close();
});
beforeEach(async () => {
  repo = await createPrRepo();
  ghRepo = seedRepo(gh.fake, "acme", `access-${String(Math.random()).slice(2, 8)}`);
});
afterEach(async () => {
  expect(gh.violations().slice(accepted)).toEqual([]);
  await repo.remove();
});

const apply = (extra: readonly string[] = [], now?: Date) =>
  repo.run(
    ["apply", "--yes", "--record-approvals", "--repo", `acme/${ghRepo.name}`, "--api-url", gh.url, ...extra],
    {},
    now,
  );

async function starts(): Promise<ApplyStartData[]> {
  return (await repo.read(".gatehouse/journal.jsonl"))
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as JournalEntry)
    .flatMap((e) => (e.type === "apply-start" ? [e] : []));
}

/**
 * A pull request writing `text` to `file`, by `author`, with `reviews` (login, state) on its head
 * `headSha`, squash-merged onto main by `mergedBy`: the squash commit.
 */
async function squashMerged(pr: {
  readonly file: string;
  readonly text: string;
  readonly message: string;
  readonly author: string;
  readonly headSha: string;
  readonly reviews: readonly (readonly [string, ("APPROVED" | "COMMENTED")?])[];
  readonly mergedBy: string;
}): Promise<string> {
  const base = (await repo.git.revparse(["HEAD"])).trim();
  await repo.write(pr.file, pr.text);
  const squash = await repo.commit(pr.message);
  const pull = seedPull(gh.fake, ghRepo, {
    author: pr.author,
    headSha: pr.headSha,
    baseSha: base,
    files: [pr.file],
  });
  for (const [login, state] of pr.reviews) seedReview(gh.fake, pull, login, state ?? "APPROVED");
  mergePull(gh.fake, ghRepo, pull, squash, pr.mergedBy);
  return squash;
}

/** A pull request changing the groups, approved by carol, squash-merged by rachel onto main. */
function mergeApproved(groups: string): Promise<string> {
  return squashMerged({
    file: "access/groups/groups.yaml",
    text: groups,
    message: "add alice (#1)",
    author: "alice-gh",
    headSha: "a".repeat(40),
    reviews: [["bob-gh", "COMMENTED"], ["carol-gh"], ["bob-gh", "COMMENTED"]],
    mergedBy: "rachel-gh",
  });
}

describe("apply --record-approvals", { tags: ["slow"] }, () => {
  it("records the pull request and approvals of each commit since the last apply, and flags a direct push", async () => {
    const first = (await repo.git.revparse(["HEAD"])).trim();
    pushCommit(ghRepo, first);
    const initial = await apply();
    expect(initial.code).toBe(0);
    // The first apply knows no earlier one: it looks up HEAD, which came without a pull request.
    expect(initial.stderr).toContain(
      `warning: commit ${first.slice(0, 12)} changed the access files without a merged pull request`,
    );
    expect((await starts())[0]?.approvals).toEqual({
      repo: `acme/${ghRepo.name}`,
      commits: [{ commit: first }],
    });

    const squash = await mergeApproved(GROUPS.replace("members: [bob]", "members: [bob, alice]"));
    const merged = await apply();
    expect(merged.code).toBe(0);
    expect(merged.stdout).toContain(
      "Approvals: 1 commit(s) of the access files since the last apply, 1 from a pull request approved as the gate requires",
    );
    expect(merged.stderr).not.toContain("warning");
    const record = (await starts()).at(-1)?.approvals;
    expect(record?.commits).toHaveLength(1);
    expect(record?.commits[0]).toMatchObject({
      commit: squash,
      pull: { number: 1, author: "alice-gh", headSha: "a".repeat(40) },
      // A later comment does not undo carol's approval; bob only commented.
      approvals: [{ login: "carol-gh", commit: "a".repeat(40) }],
      // The gate on what the commit changed: carol owns the group, and her approval counted.
      gate: {
        isOk: true,
        requirements: [{ subject: "team-platform-write", required: 1, approvedBy: ["carol-gh"] }],
      },
    });
    expect(record?.commits[0]?.pull?.url).toMatch(/\/pull\/1$/);
    // "Who had access, and who approved it": alice's membership names the run's pull request.
    const access = await repo.run(["journal", "access", "team-platform-write", "--at", "2026-06-01"]);
    expect(access.code).toBe(0);
    expect(access.stdout).toMatch(
      / {2}alice .*\n(?: {4}.*\n)* {4}that run's pull requests: #1 approved by carol-gh\n/,
    );

    // A scheduled reconcile with no new commit: nothing to look up.
    const again = await apply();
    expect(again.code).toBe(0);
    expect((await starts()).at(-1)?.approvals?.commits).toEqual([]);

    // Someone pushes to main directly.
    await repo.write(
      "access/groups/groups.yaml",
      GROUPS.replace("members: [bob]", "members: [bob, alice, rachel]"),
    );
    const direct = await repo.commit("quick fix");
    pushCommit(ghRepo, direct);
    const pushed = await apply();
    expect(pushed.code).toBe(0);
    expect(pushed.stderr).toContain(
      `warning: commit ${direct.slice(0, 12)} changed the access files without a merged pull request`,
    );
    expect((await starts()).at(-1)?.approvals?.commits).toEqual([{ commit: direct }]);
    expect((await repo.run(["journal", "verify"])).code).toBe(0);
  });

  it("records the gate's verdict on what each commit brought: approvals that do not count, a merge commit's own additions, a leaver needing nobody", async () => {
    const first = (await repo.git.revparse(["HEAD"])).trim();
    pushCommit(ghRepo, first);
    expect((await apply()).code).toBe(0);

    // 1. alice asks for the privileged group (two owners must approve); she approves it herself, and
    //    carol approves: one approval counts.
    const squash = await squashMerged({
      file: "access/groups/groups.yaml",
      text: GROUPS.replace("members: [carol]", "members: [carol, alice]"),
      message: "alice to app-prod-admin (#1)",
      author: "alice-gh",
      headSha: "b".repeat(40),
      reviews: [["alice-gh"], ["carol-gh"]],
      mergedBy: "rachel-gh",
    });
    const one = await apply();
    expect(one.code).toBe(0);
    expect(one.stdout).toContain(
      "1 commit(s) of the access files since the last apply, 0 from a pull request approved as the gate requires",
    );
    expect(one.stderr).toContain(
      `warning: commit ${squash.slice(0, 12)} came from pull request #1, whose approvals do not meet the gate for what the commit changed: app-prod-admin needs 2 (counted carol-gh; not counted: alice-gh: the author cannot approve their own pull request)`,
    );
    expect((await starts()).at(-1)?.approvals?.commits[0]?.gate).toEqual({
      isOk: false,
      requirements: [
        {
          subject: "app-prod-admin",
          required: 2,
          approvedBy: ["carol-gh"],
          notCounted: [{ login: "alice-gh", why: "the author cannot approve their own pull request" }],
        },
      ],
    });
    const access = await repo.run(["journal", "access", "app-prod-admin", "--at", "2026-06-01"]);
    expect(access.stdout).toMatch(
      / {2}alice .*\n(?: {4}.*\n)* {4}that run's pull requests: #1 approved by carol-gh, NOT as the gate requires: app-prod-admin needs 2 \(counted carol-gh; not counted: alice-gh: the author cannot approve their own pull request\)\n/,
    );

    // 2. A merge commit that adds, besides the pull request's line, rachel to the privileged group: the
    //    approval of carol (who owns both groups) is one of the two that group needs.
    const before = (await repo.git.revparse(["HEAD"])).trim();
    await repo.git.checkoutLocalBranch("request-bob");
    const withBob = GROUPS.replace("members: [carol]", "members: [carol, alice]");
    await repo.write("access/groups/groups.yaml", withBob.replace("members: [bob]", "members: [bob, alice]"));
    const head = await repo.commit("alice to team-platform-write");
    await repo.git.checkout("main");
    await repo.git.raw(["merge", "--no-ff", "--no-commit", "request-bob"]);
    await repo.write(
      "access/groups/groups.yaml",
      withBob
        .replace("members: [bob]", "members: [bob, alice]")
        .replace("members: [carol, alice]", "members: [carol, alice, rachel]"),
    );
    const merge = await repo.commit("Merge pull request #2");
    const pull = seedPull(gh.fake, ghRepo, {
      author: "alice-gh",
      headSha: head,
      baseSha: before,
      files: ["access/groups/groups.yaml"],
    });
    seedReview(gh.fake, pull, "carol-gh");
    mergePull(gh.fake, ghRepo, pull, merge, "rachel-gh");
    const two = await apply();
    expect(two.code).toBe(0);
    expect(two.stderr).toContain(
      `warning: commit ${merge.slice(0, 12)} came from pull request #2, whose approvals do not meet the gate for what the commit changed: app-prod-admin needs 2 (counted carol-gh)`,
    );
    const gate = (await starts()).at(-1)?.approvals?.commits[0]?.gate;
    expect(gate?.isOk).toBe(false);
    // What the pull request itself asked for is approved: carol owns team-platform-write.
    expect(gate?.requirements.find((r) => r.subject === "team-platform-write")?.approvedBy).toEqual([
      "carol-gh",
    ]);

    // 3. A leaver: only access taken away, which needs nobody's approval (no warning).
    const leaver = await squashMerged({
      file: "access/users/people.yaml",
      text: USERS.replace("{ id: rachel, name: Rachel,", "{ id: rachel, name: Rachel, status: terminated,"),
      message: "rachel left (#3)",
      author: "carol-gh",
      headSha: "c".repeat(40),
      reviews: [],
      mergedBy: "carol-gh",
    });
    const three = await apply(["--force"]);
    expect(three.code).toBe(0);
    expect(three.stderr).not.toContain(`commit ${leaver.slice(0, 12)}`);
    expect((await starts()).at(-1)?.approvals?.commits[0]?.gate).toEqual({ isOk: true, requirements: [] });
    expect((await repo.run(["journal", "verify"])).code).toBe(0);

    // "Every change applied outside an approved pull request": alice's privileged grant, rachel's (merge
    // commit) and the first run's (HEAD pushed directly); not the leaver's, which needed nobody.
    const listed = await repo.run(["journal", "changes", "--unapproved"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      /\+ add alice to app-prod-admin .*run's commits NOT all approved as the gate requires/,
    );
    expect(listed.stdout).toMatch(/\+ add rachel to app-prod-admin .*NOT all approved/);
    expect(listed.stdout).not.toContain("disable user rachel");
    // The run it points to shows how each of its commits got in.
    const pointer =
      /add rachel to app-prod-admin [^\n]*run #(\d+)[^\n]*NOT all approved as the gate requires \(journal run (\d+) shows how each got in\)/.exec(
        listed.stdout,
      );
    expect(pointer?.[1]).toBeDefined();
    expect(pointer?.[1]).toBe(pointer?.[2]);
    const shown = await repo.run(["journal", "run", pointer?.[2] ?? "0"]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^ {2}approvals of the commits since the run before/m);
    expect(shown.stdout).toMatch(/^ {4}#\d+ approved by .*NOT as the gate requires/m);
    const json = await repo.run(["journal", "changes", "--user", "rachel", "--format", "json"]);
    const byAction = (
      JSON.parse(json.stdout) as { changes: { change: { action: string }; approval?: string }[] }
    ).changes.map((c) => [c.change.action, c.approval]);
    expect(byAction).toContainEqual(["disable", "approved"]);
    expect(byAction).toContainEqual(["add", "unapproved"]);
  });

  it("names the pull request that wrote each member's line, where one run applied two", async () => {
    // Block lists: a member line of its own, which git blame can tell apart.
    const block = (members: readonly string[]): string =>
      GROUPS.replace(
        "members: [bob]",
        `members:\n${members.map((m) => `      - ${m}\n`).join("")}`.trimEnd(),
      );
    await repo.write("access/groups/groups.yaml", block(["bob"]));
    const first = await repo.commit("block list");
    pushCommit(ghRepo, first);
    expect((await apply()).code).toBe(0);
    // Two pull requests merged before the next run: alice's, approved by carol; rachel's, by carol too.
    await squashMerged({
      file: "access/groups/groups.yaml",
      text: block(["bob", "alice"]),
      message: "alice (#1)",
      author: "alice-gh",
      headSha: "d".repeat(40),
      reviews: [["carol-gh"]],
      mergedBy: "rachel-gh",
    });
    const second = await squashMerged({
      file: "access/groups/groups.yaml",
      text: block(["bob", "alice", "rachel"]),
      message: "rachel (#2)",
      author: "rachel-gh",
      headSha: "e".repeat(40),
      reviews: [["carol-gh"]],
      mergedBy: "rachel-gh",
    });
    expect((await apply()).code).toBe(0);
    const access = await repo.run(["journal", "access", "team-platform-write", "--at", "2026-06-01"]);
    expect(access.code).toBe(0);
    expect(access.stdout).toMatch(
      / {2}alice .*\n(?: {4}.*\n)* {4}its line came with #1 approved by carol-gh \(commit [0-9a-f]{12}\); that run applied 1 other commit\(s\) of the access files\n/,
    );
    expect(access.stdout).toMatch(
      new RegExp(
        ` {2}rachel .*\\n(?: {4}.*\\n)* {4}its line came with #2 approved by carol-gh \\(commit ${second.slice(0, 12)}\\)`,
      ),
    );
    const json = JSON.parse(
      (await repo.run(["journal", "access", "team-platform-write", "--at", "2026-06-01", "--format", "json"]))
        .stdout,
    ) as { groups: { members: { member: string; lineCommit?: { commit: string; isTheRuns: boolean } }[] }[] };
    const rachel = json.groups[0]?.members.find((m) => m.member === "rachel");
    expect(rachel?.lineCommit).toMatchObject({ commit: second, isTheRuns: true });

    // A flow list holds every member on one line: the line cannot tell them apart, so the run's pull
    // requests are named, all of them.
    await squashMerged({
      file: "access/groups/groups.yaml",
      text: GROUPS.replace("members: [carol]", "members: [carol, alice]"),
      message: "flow (#3)",
      author: "carol-gh",
      headSha: "f".repeat(40),
      reviews: [["bob-gh"], ["rachel-gh"]],
      mergedBy: "rachel-gh",
    });
    expect((await apply(["--force"])).code).toBe(0);
    const flow = await repo.run(["journal", "access", "app-prod-admin", "--at", "2026-06-01"]);
    expect(flow.stdout).toMatch(/ {2}alice .*\n(?: {4}.*\n)* {4}that run's pull requests: #3 approved by /);
    expect(flow.stdout).not.toContain("its line came with");
  });

  it("names who approved a grant's extension, which the run that recorded it applied", async () => {
    const first = (await repo.git.revparse(["HEAD"])).trim();
    pushCommit(ghRepo, first);
    expect((await apply()).code).toBe(0);
    const grant = (until: string): string =>
      GROUPS.replace(
        "members: [bob]",
        `members:\n      - bob\n      - user: alice\n        until: ${until}\n        reason: INC-7`,
      );
    await squashMerged({
      file: "access/groups/groups.yaml",
      text: grant("2026-06-05T00:00:00Z"),
      message: "alice until 06-05 (#1)",
      author: "alice-gh",
      headSha: "a".repeat(40),
      reviews: [["carol-gh"]],
      mergedBy: "rachel-gh",
    });
    expect((await apply()).code).toBe(0);
    // The grant is extended in a pull request of its own, approved by carol: nothing to apply, the run
    // records the new end (grantEnds) with that pull request's approvals.
    await squashMerged({
      file: "access/groups/groups.yaml",
      text: grant("2026-06-10T00:00:00Z"),
      message: "extend alice (#2)",
      author: "alice-gh",
      headSha: "b".repeat(40),
      reviews: [["carol-gh"]],
      mergedBy: "rachel-gh",
    });
    expect((await apply()).code).toBe(0);

    const access = await repo.run(["journal", "access", "team-platform-write", "--at", "2026-06-01"]);
    expect(access.code).toBe(0);
    expect(access.stdout).toMatch(
      / {2}alice .*until 2026-06-10T00:00:00Z \(its end until 2026-06-05T00:00:00Z changed by an edit the run at .*\n(?: {4}.*\n)* {4}its line came with #1 approved by carol-gh .*\n {4}its end changed with that run's pull requests: #2 approved by carol-gh\n/,
    );
    const json = JSON.parse(
      (await repo.run(["journal", "access", "team-platform-write", "--at", "2026-06-01", "--format", "json"]))
        .stdout,
    ) as { groups: { members: { member: string; endChanged?: { approvals?: { commits: unknown[] } } }[] }[] };
    const alice = json.groups[0]?.members.find((m) => m.member === "alice");
    expect(alice?.endChanged?.approvals?.commits).toMatchObject([{ pull: { number: 2 } }]);
  });

  it("holds a joiner's access, added on their start date by a run with no new commit, to the pull request that brought them", async () => {
    const first = (await repo.git.revparse(["HEAD"])).trim();
    pushCommit(ghRepo, first);
    expect((await apply()).code).toBe(0);
    // dave joins on 06-03, in team-platform-write by a line of his own; bob approves, but carol owns the
    // group: the gate is not met. The run of 06-01 applies the commit and changes nothing (not started).
    await squashMerged({
      file: "access/users/people.yaml",
      text: USERS + "  - { id: dave, name: Dave, startDate: 2026-06-03, accounts: { github: dave-gh } }\n",
      message: "dave joins (#1)",
      author: "alice-gh",
      headSha: "a".repeat(40),
      reviews: [["bob-gh"]],
      mergedBy: "rachel-gh",
    });
    await repo.write(
      "access/groups/groups.yaml",
      GROUPS.replace("members: [bob]", "members:\n      - bob\n      - dave").replace(
        "members: [carol]",
        "members: [carol, dave]",
      ),
    );
    const line = await repo.commit("dave to platform");
    pushCommit(ghRepo, line);
    const merged = await apply();
    expect(merged.code).toBe(0);
    expect(merged.stdout).not.toContain("dave");
    // On his start date, the scheduled run adds him: it applies no new commit.
    const started = await apply([], new Date("2026-06-03T09:00:00Z"));
    expect(started.code).toBe(0);
    expect(started.stdout).toContain("applied directory: add dave to team-platform-write");
    expect((await starts()).at(-1)?.approvals?.commits).toEqual([]);

    // journal changes lists his access among what came in outside an approved pull request.
    const unapproved = await repo.run(["journal", "changes", "--user", "dave", "--unapproved"]);
    expect(unapproved.code).toBe(0);
    expect(unapproved.stdout).toMatch(
      /\+ add dave to team-platform-write .*run's files \(commit [0-9a-f]{12}\) came in with run #(\d+), whose commits were NOT all approved as the gate requires \(journal run \1 shows how each got in\)/,
    );
    const json = JSON.parse(
      (await repo.run(["journal", "changes", "--user", "dave", "--format", "json"])).stdout,
    ) as { changes: { runSeq: number; approval?: string; approvalFrom?: number }[] };
    expect(json.changes.map((c) => c.approval)).toEqual(["unapproved", "unapproved", "unapproved"]);
    const from = json.changes[0]?.approvalFrom;
    expect(from).toEqual(expect.any(Number));
    // journal run of the start date's run points to the run whose pull requests brought its files.
    const run = await repo.run(["journal", "run", String(json.changes[0]?.runSeq)]);
    expect(run.stdout).toContain(
      `no new commit of the access files; its commit came in with run #${String(from)} at 2026-06-01T12:00:00.000Z, which the changes of this run answer to (journal run ${String(from)})\n`,
    );
    // journal access names the commit that wrote his line, and the pull request of the run that applied it.
    const access = await repo.run(
      ["journal", "access", "team-platform-write", "--at", "2026-06-04"],
      {},
      new Date("2026-06-05T00:00:00Z"),
    );
    expect(access.stdout).toContain(
      `its line came with commit ${line.slice(0, 12)} without a pull request, before that run's commits`,
    );
    // In a flow list the line is everyone's: the pull requests of the run that first applied the files.
    const flow = await repo.run(
      ["journal", "access", "app-prod-admin", "--at", "2026-06-04"],
      {},
      new Date("2026-06-05T00:00:00Z"),
    );
    expect(flow.stdout).toMatch(
      new RegExp(
        ` {2}dave .*\\n(?: {4}.*\\n)* {4}that run applied no new commit of the access files; its files came in with the run at 2026-06-01T12:00:00\\.000Z \\(journal #\\d+\\): that run's pull requests: commit ${line.slice(0, 12)} without a pull request; #1 approved by no one, NOT as the gate requires: `,
      ),
    );
  });

  it("names how the commit that took a line out got in, where the removal waited for an override after a refused run", async () => {
    const first = (await repo.git.revparse(["HEAD"])).trim();
    pushCommit(ghRepo, first);
    expect((await apply([], new Date("2026-06-01T09:00:00Z"))).code).toBe(0);
    // bob's line goes, pushed without a pull request; the guard rails (10% of two memberships) refuse it.
    await repo.write("access/groups/groups.yaml", GROUPS.replace("members: [bob]", "members: []"));
    const removal = await repo.commit("bob out");
    pushCommit(ghRepo, removal);
    expect((await apply([], new Date("2026-06-01T10:00:00Z"))).code).toBe(3);
    // The override applies it: that run applied no new commit, the refused run recorded this one.
    expect((await apply(["--allow-removals", "1"], new Date("2026-06-01T11:00:00Z"))).code).toBe(0);
    const window = await repo.run(["journal", "access", "team-platform-write", "--since", "2026-06-01"]);
    expect(window.stdout).toContain(
      `the line left the files with commit ${removal.slice(0, 12)} "bob out" (PR, `,
    );
    expect(window.stdout).toMatch(
      new RegExp(`\\(PR, [^)]*\\), commit ${removal.slice(0, 12)} without a pull request`),
    );
    // journal changes: the refused run's refusal, then the removal the override made, which answers to
    // the refused run (it recorded the commit) and so is not approved (pushed without a pull request).
    const changes = await repo.run([
      "journal",
      "changes",
      "--group",
      "team-platform-write",
      "--since",
      "2026-06-01",
    ]);
    expect(changes.stdout).toMatch(
      /^2026-06-01T10:00:00\.000Z {2}directory {2}REFUSED by the guard rails, not applied: the plan removes 1 memberships .*\(journal #\d+, run #(\d+), .*it made none of its changes, .*\n2026-06-01T11:00:00\.000Z {2}directory {2}- remove bob from team-platform-write .*accepting 1 refusal\(s\), run's files \(commit [0-9a-f]{12}\) came in with run #\1, whose commits were NOT all approved as the gate requires/m,
    );
  });

  it("says so when the last applied commit is not in a shallow clone, and names what it could not check", async () => {
    const first = (await repo.git.revparse(["HEAD"])).trim();
    pushCommit(ghRepo, first);
    expect((await apply()).code).toBe(0);
    for (const members of ["[bob, alice]", "[bob, alice, rachel]"]) {
      await repo.write("access/groups/groups.yaml", GROUPS.replace("members: [bob]", `members: ${members}`));
      pushCommit(ghRepo, await repo.commit(`members ${members}`));
    }
    // The runner's clone has one commit of history, and the journal from the journal branch.
    const shallow = await mkdtemp(path.join(tmpdir(), "gatehouse-shallow-"));
    try {
      await simpleGit().clone(`file://${repo.cwd}`, shallow, ["--depth", "1"]);
      await cp(
        path.join(repo.cwd, ".gatehouse/journal.jsonl"),
        path.join(shallow, ".gatehouse/journal.jsonl"),
        {
          recursive: true,
        },
      );
      await cp(
        path.join(repo.cwd, ".gatehouse/directory.json"),
        path.join(shallow, ".gatehouse/directory.json"),
      );
      const { io, out, err } = captureIo(shallow, { GATEHOUSE_QUIET: "1", GITHUB_TOKEN: TOKEN });
      const code = await main(
        ["apply", "--yes", "--record-approvals", "--repo", `acme/${ghRepo.name}`, "--api-url", gh.url],
        { ...io, fetch: jsonAcceptFetch },
      );
      expect(code).toBe(0);
      expect(err.join("")).toContain(
        `warning: could not look up every approval in acme/${ghRepo.name}: the commit the last run applied (${first.slice(0, 12)}) is not in this clone`,
      );
      expect(out.join("")).toContain("Approvals: 1 commit(s)");
    } finally {
      await rm(shallow, { recursive: true, force: true });
    }
  });

  it("records why it could not look the approvals up, and applies anyway", async () => {
    // The commit is unknown to GitHub (never pushed): 422.
    const out = await apply();
    expect(out.code).toBe(0);
    const record = (await starts())[0]?.approvals;
    expect(record?.error).toMatch(/^GitHub: No commit found for SHA: [0-9a-f]{40}.*\(HTTP 422\)$/);
    expect(out.stderr).toContain("warning: could not look up every approval");
    // The count is of every commit since the last apply, with how many were looked up.
    expect(out.stdout).toContain(
      "Approvals: 1 commit(s) of the access files since the last apply, 0 looked up, 0 from a pull request approved as the gate requires",
    );
    // GitHub answers an unknown SHA with 422 (as the fake does), a status its description leaves out.
    const flagged = gh.violations().slice(accepted);
    expect(flagged.length).toBeGreaterThan(0);
    for (const line of flagged)
      expect(line).toContain(
        "Unable to match the returned status code with those defined in the document: 200,409",
      );
    accepted += flagged.length;
  });

  it("refuses to start without a repository, before reading anything", async () => {
    const out = await repo.run(["apply", "--yes", "--record-approvals"]);
    expect(out.code).toBe(64);
    expect(out.stderr).toContain("no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY");
    expect(await repo.read(".gatehouse/journal.jsonl").catch(() => "none")).toBe("none");
  });
});
