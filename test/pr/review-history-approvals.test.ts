/**
 * `review history` names, for each certification, the pull request, who approved it and whether the
 * gate counted those approvals for the group, from what `apply --record-approvals` recorded in the
 * journal: a real git repository, and the fake GitHub behind Prism (checked against GitHub's OpenAPI
 * description). A commit no run recorded is said to be not recorded.
 */
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startCheckedGithub, type CheckedGithub } from "../harness/github-checked.ts";
import { mergePull, pushCommit, seedPull, seedRepo, seedReview } from "../harness/fake-github/seed-pulls.ts";
import type { FakeRepo } from "../harness/fake-github/state.ts";
import { createPrRepo, TOKEN, type PrRepo } from "./pr-repo.ts";

let gh: CheckedGithub;
let repo: PrRepo;
let ghRepo: FakeRepo;

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
  ghRepo = seedRepo(gh.fake, "acme", `reviews-${String(Math.random()).slice(2, 8)}`);
});
afterEach(async () => {
  expect(gh.violations()).toEqual([]);
  await repo.remove();
});

const FILE = "access/groups/groups.yaml";

/** Every key of every object in `value`, at any depth. */
function fieldsOf(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) fieldsOf(item, out);
  else if (typeof value === "object" && value !== null)
    for (const [key, inner] of Object.entries(value)) fieldsOf(inner, out.add(key));
  return out;
}
// The fake GitHub merges at the real time, and the gate judges a review's due day as of the merge: the
// clock of the commands is the real one, the review due a month on.
const AT = new Date();
const DUE = new Date(AT.getTime() + 30 * 86_400_000).toISOString().slice(0, 10);

const apply = () =>
  repo.run(
    ["apply", "--yes", "--record-approvals", "--repo", `acme/${ghRepo.name}`, "--api-url", gh.url],
    {},
    AT,
  );

/** The working tree's changes squash-merged as a pull request by `author` with `approvers`' reviews. */
async function merged(message: string, author: string, approvers: readonly string[]): Promise<string> {
  const base = (await repo.git.revparse(["HEAD"])).trim();
  const squash = await repo.commit(message);
  const pull = seedPull(gh.fake, ghRepo, {
    author,
    headSha: squash.replace(/^./, "f"),
    baseSha: base,
    files: [FILE],
  });
  for (const login of approvers) seedReview(gh.fake, pull, login, "APPROVED");
  mergePull(gh.fake, ghRepo, pull, squash, "rachel-gh");
  return squash;
}

/** Deletes `name` from the pending list of `group`'s review. */
async function certify(group: string, name: string): Promise<void> {
  const text = await repo.read(FILE);
  const at = text.indexOf(`- name: ${group}\n`);
  const pending = text.indexOf("pending:", at);
  const line = text.indexOf(`        - ${name}\n`, pending);
  expect(line).toBeGreaterThan(pending);
  await repo.write(FILE, text.slice(0, line) + text.slice(line + `        - ${name}\n`.length));
}

describe("review history with recorded approvals", { tags: ["slow"] }, () => {
  it("names each certification's pull request, its approvals and whether the gate counted them for the group", async () => {
    pushCommit(ghRepo, (await repo.git.revparse(["HEAD"])).trim());
    expect((await apply()).code).toBe(0);
    const open = await repo.run(["review", "open", "--due", DUE], {}, AT);
    expect(open.code, open.stdout + open.stderr).toBe(0);
    const opened = await merged("Open access reviews (#1)", "rachel-gh", []);
    // One pull request re-certifies bob in team-platform-write and carol in app-prod-admin; carol (owner
    // of both) and alice (owner of neither) approve. carol's approval meets team-platform-write's one;
    // app-prod-admin (privileged) needs two owners: not met, alice's approval does not count.
    await certify("team-platform-write", "bob");
    await certify("app-prod-admin", "carol");
    const both = await merged("re-certify bob and carol (#2)", "bob-gh", ["carol-gh", "alice-gh"]);
    const applied = await apply();
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    // Re-certifying changes no access: the run applies nothing, and only its apply-start records the
    // approvals (which journal changes never shows).
    const starts = (await repo.read(".gatehouse/journal.jsonl"))
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; changes?: number; approvals?: { commits: unknown[] } });
    expect(starts.filter((e) => e.type === "apply-start").at(-1)).toMatchObject({
      changes: 0,
      approvals: { commits: [{ commit: both }, {}] },
    });
    // Pushed after the last apply (alice joins, pending in the review): no run recorded it.
    const before = await repo.read(FILE);
    const moved = before
      .replace(/( {6}pending:)( \[\])?\n/, "$1\n        - alice\n")
      .replace("members: [bob]", "members: [bob, alice]");
    expect(moved).not.toBe(before);
    await repo.write(FILE, moved);
    const later = await repo.commit("alice moves into platform");

    const text = await repo.run(["review", "history"], {}, AT);
    expect(text.code, text.stderr).toBe(0);
    const c = (sha: string) => sha.slice(0, 12);
    expect(text.stdout).toMatch(
      new RegExp(
        `commit ${c(both)} "re-certify bob and carol \\(#2\\)".*\\n {4}re-certified \\(left pending, still members\\): bob\\n {6}pull request #2 by bob-gh, approved by carol-gh, alice-gh; for team-platform-write the gate needs 1 and counted carol-gh \\(not counted: alice-gh: [^)]*\\): met \\(recorded by run #\\d+\\)\\n`,
      ),
    );
    expect(text.stdout).toMatch(
      new RegExp(
        `commit ${c(both)} "re-certify bob and carol \\(#2\\)".*\\n {4}re-certified \\(left pending, still members\\): carol\\n {6}pull request #2 by bob-gh, approved by carol-gh, alice-gh; for app-prod-admin the gate needs 2 and counted carol-gh \\(not counted: alice-gh: not an owner of app-prod-admin on the base branch\\): NOT MET \\(recorded by run #\\d+\\)\\n`,
      ),
    );
    expect(text.stdout).toMatch(
      new RegExp(
        `commit ${c(opened)} "Open access reviews \\(#1\\)".*\\n {4}opened, due ${DUE}, 1 pending: bob\\n {6}pull request #1 by rachel-gh, approved by no one; the gate asked no approval of team-platform-write for it \\(gate met\\)`,
      ),
    );
    expect(text.stdout).toMatch(
      new RegExp(
        `commit ${c(later)} "alice moves into platform".*\\n {4}added to pending: alice\\n {6}approvals NOT recorded: no apply run recorded this commit's approvals`,
      ),
    );

    const json = await repo.run(
      ["review", "history", "--group", "app-prod-admin", "--format", "json"],
      {},
      AT,
    );
    expect(json.code).toBe(0);
    const data = JSON.parse(json.stdout) as {
      journal: { recordsApprovals: boolean };
      reviews: { steps: { at: { commit: string; approval: Record<string, unknown> } }[] }[];
    };
    expect(data.journal.recordsApprovals).toBe(true);
    // docs/formats.md names every field written.
    const doc = await readFile(new URL("../../docs/formats.md", import.meta.url), "utf8");
    const start = doc.indexOf("## `review history --format json`");
    const section = doc.slice(start, doc.indexOf("\n## ", start + 1));
    const all = JSON.parse(
      (await repo.run(["review", "history", "--format", "json"], {}, AT)).stdout,
    ) as unknown;
    expect([...fieldsOf(all)].filter((f) => !section.includes(`\`${f}\``))).toEqual([]);
    expect(data.reviews).toHaveLength(1);
    expect(data.reviews[0]?.steps[0]?.at).toMatchObject({
      commit: both,
      approval: {
        status: "recorded",
        pull: { number: 2, author: "bob-gh" },
        approvedBy: ["carol-gh", "alice-gh"],
        gateOk: false,
        forGroup: {
          required: 2,
          approvedBy: ["carol-gh"],
          isMet: false,
          notCounted: [{ login: "alice-gh" }],
        },
      },
    });
  });

  it("records the scheduled review close's commit as such, with its run, and a commit that only claims to be one as pushed past review", async () => {
    pushCommit(ghRepo, (await repo.git.revparse(["HEAD"])).trim());
    expect((await apply()).code).toBe(0);
    expect(
      (await repo.run(["review", "open", "--due", DUE, "--group", "team-platform-write"], {}, AT)).code,
    ).toBe(0);
    await merged("Open access reviews (#1)", "rachel-gh", []);
    expect((await apply()).code).toBe(0);
    // Past due: bob was not re-certified. The scheduled workflow's close, committed with its message,
    // pushed without a pull request.
    const after = new Date(Date.parse(`${DUE}T00:00:00Z`) + 2 * 86_400_000);
    const actions = {
      GITHUB_SERVER_URL: "https://github.com",
      GITHUB_REPOSITORY: `acme/${ghRepo.name}`,
      GITHUB_RUN_ID: "777",
    };
    const run = `https://github.com/acme/${ghRepo.name}/actions/runs/777`;
    const messageFile = `${repo.cwd}/.gatehouse/close.txt`;
    const close = await repo.run(
      ["review", "close", "--allow-removals", "1", "--message-file", messageFile],
      actions,
      after,
    );
    expect(close.code, close.stdout + close.stderr).toBe(0);
    const commitWith = async (message: string) => {
      const git = (args: string[]) =>
        execFileSync("git", args, {
          cwd: repo.cwd,
          encoding: "utf8",
          env: {
            ...process.env,
            GIT_AUTHOR_DATE: after.toISOString(),
            GIT_COMMITTER_DATE: after.toISOString(),
          },
        });
      git(["add", "-A"]);
      git(["commit", "-q", "--cleanup=strip", "-m", message]);
      const sha = (await repo.git.revparse(["HEAD"])).trim();
      pushCommit(ghRepo, sha);
      return sha;
    };
    const closed = await commitWith(await readFile(messageFile, "utf8"));
    const applied = await repo.run(
      [
        "apply",
        "--yes",
        "--allow-removals",
        "1",
        "--record-approvals",
        "--repo",
        `acme/${ghRepo.name}`,
        "--api-url",
        gh.url,
      ],
      {},
      after,
    );
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toContain(
      "1 commit(s) of the access files since the last apply, 0 from a pull request approved as the gate requires, 1 of the scheduled review close (no pull request needed)",
    );
    expect(applied.stderr).not.toContain("without a merged pull request");
    const history = await repo.run(["review", "history"], {}, after);
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout).toMatch(
      new RegExp(
        `commit ${closed.slice(0, 12)} .*\\n {4}closed: revoked for not being re-certified: bob\\n {6}closed by the scheduled review close \\(run ${run}\\): the commit only removes review blocks past due and their pending members' lines, which needs no pull request \\(recorded by run #\\d+\\)\\n`,
      ),
    );
    // The run that applied the close is an approved run: its removal is no unapproved change.
    const unapproved = await repo.run(["journal", "changes", "--unapproved"], {}, after);
    expect(unapproved.code, unapproved.stderr).toBe(0);
    expect(unapproved.stdout).not.toContain("bob from team-platform-write");

    // journal access names the commit that took bob's line out as the scheduled close's, with its run.
    const access = await repo.run(
      [
        "journal",
        "access",
        "team-platform-write",
        "--since",
        AT.toISOString().slice(0, 10),
        "--until",
        after.toISOString().slice(0, 10),
      ],
      {},
      after,
    );
    expect(access.code, access.stderr).toBe(0);
    expect(access.stdout).toContain(
      `the line left the files with commit ${closed.slice(0, 12)} "Revoke what access reviews did not re-certify (gatehouse review close)"`,
    );
    expect(access.stdout).toContain(
      `, commit ${closed.slice(0, 12)} of the scheduled review close (run ${run}): not re-certified in the access review due ${DUE}, revoked when it closed`,
    );

    // The same trailer on a commit that also grants alice a group: pushed past review, and said so.
    expect((await repo.run(["review", "open", "--due", DUE, "--group", "app-prod-admin"], {}, AT)).code).toBe(
      0,
    );
    await merged("Open access reviews (#3)", "rachel-gh", []);
    expect((await repo.run(["apply", "--yes"], {}, after)).code).toBe(0);
    expect(
      (
        await repo.run(
          ["review", "close", "--allow-removals", "1", "--message-file", messageFile],
          actions,
          after,
        )
      ).code,
    ).toBe(0);
    const text = await repo.read(FILE);
    await repo.write(
      FILE,
      text.replace("members: [bob]", "members: [bob, alice]").replace("members: []", "members: [alice]"),
    );
    expect(await repo.read(FILE)).not.toBe(text);
    const forged = await commitWith(await readFile(messageFile, "utf8"));
    const second = await repo.run(
      [
        "apply",
        "--yes",
        "--allow-removals",
        "1",
        "--record-approvals",
        "--repo",
        `acme/${ghRepo.name}`,
        "--api-url",
        gh.url,
      ],
      {},
      after,
    );
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stderr).toContain(
      `warning: commit ${forged.slice(0, 12)} changed the access files without a merged pull request (its message says it is review close's, ${run}, but it changes more in ${FILE} than review blocks and their pending members' lines (group team-platform-write))`,
    );
    const flagged = await repo.run(["journal", "changes", "--unapproved"], {}, after);
    expect(flagged.stdout).toContain("add alice to team-platform-write");
    const json = JSON.parse(
      (await repo.run(["review", "history", "--format", "json"], {}, after)).stdout,
    ) as {
      reviews: { end: { at: { commit: string; approval: { reviewClose?: { kind: string } } } } }[];
    };
    const doc = await readFile(new URL("../../docs/formats.md", import.meta.url), "utf8");
    const start = doc.indexOf("## `review history --format json`");
    const section = doc.slice(start, doc.indexOf("\n## ", start + 1));
    expect([...fieldsOf(json)].filter((f) => !section.includes(`\`${f}\``))).toEqual([]);
    expect(json.reviews.map((r) => [r.end.at.commit, r.end.at.approval.reviewClose?.kind])).toEqual([
      [closed, "verified"],
      [forged, "not-only-close"],
    ]);
  });
});
