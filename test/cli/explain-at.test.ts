import { execFileSync } from "node:child_process";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const LOCAL = "providers:\n  app: { type: local, path: .gatehouse/app.json }\n";
const PEOPLE = "users:\n  - { id: ann, name: Ann, department: ENG }\n  - { id: bob, name: Bob }\n";
const ROLES = "roles:\n  - name: engineers\n    when: { department: ENG }\n    groups: [dev]\n";
const groups = (opsMembers: string): string =>
  "groups:\n" +
  `  - name: ops\n    owners: [bob]\n    members: [${opsMembers}]\n` +
  "  - name: dev\n    owners: [bob]\n    members: []\n";

/** Commits everything in `cwd` as of `when` (author and committer date). */
function commit(cwd: string, when: string, message: string): void {
  const env = {
    ...process.env,
    GIT_AUTHOR_DATE: when,
    GIT_COMMITTER_DATE: when,
    GIT_AUTHOR_NAME: "t",
    GIT_AUTHOR_EMAIL: "t@example.com",
    GIT_COMMITTER_NAME: "t",
    GIT_COMMITTER_EMAIL: "t@example.com",
  };
  execFileSync("git", ["add", "-A"], { cwd, env });
  execFileSync("git", ["commit", "-q", "-m", message], { cwd, env });
}

/**
 * A repository whose history is: March 1, ann in ops and ENG (so in dev by role); April 1, ann out of
 * ops and moved to SALES; June 1 (uncommitted), ann back in ops.
 */
async function history(): Promise<AccessTree> {
  const tree = await writeAccessTree({
    "gatehouse.yaml": LOCAL,
    "users/people.yaml": PEOPLE,
    "roles/roles.yaml": ROLES,
    "groups/teams.yaml": groups("ann, bob"),
  });
  trees.push(tree);
  execFileSync("git", ["init", "-q"], { cwd: tree.cwd });
  commit(tree.cwd, "2026-03-01T10:00:00Z", "ann joins");
  await writeFile(path.join(tree.dir, "groups/teams.yaml"), groups("bob"));
  await writeFile(path.join(tree.dir, "users/people.yaml"), PEOPLE.replace("ENG", "SALES"));
  commit(tree.cwd, "2026-04-01T10:00:00Z", "ann moves to sales");
  await writeFile(path.join(tree.dir, "groups/teams.yaml"), groups("ann, bob"));
  return tree;
}

const explain = (tree: AccessTree, argv: string[], cwd = tree.cwd) =>
  runCliIn(cwd, ["explain", ...argv], new Date("2026-06-01T12:00:00Z"));

describe("explain --at", () => {
  it("explains from the files as the last commit before a date had them, at that instant", async () => {
    const tree = await history();
    const march = await explain(tree, ["ann", "--at", "2026-03-15"]);
    expect(march.code).toBe(0);
    const lines = march.out.split("\n");
    expect(lines[0]).toMatch(
      /^as of 2026-03-15T23:59:59\.999Z: the access files of commit [0-9a-f]{12} \(2026-03-01T10:00:00Z?(\+00:00)?, "ann joins"\)$/,
    );
    expect(march.out).toContain("  ops  [app]\n    listed at access/groups/teams.yaml:4");
    expect(march.out).toMatch(/ {2}dev {2}\[app\]\n {4}role engineers \(department=ENG\)/);

    const may = await explain(tree, ["ann", "--at", "2026-05-01T00:00:00Z", "--format", "json"]);
    expect(may.code).toBe(0);
    const answer = JSON.parse(may.stdout) as {
      asOf: { at: string; subject: string; commit: string };
      groups: { group: string }[];
    };
    expect(answer.asOf.at).toBe("2026-05-01T00:00:00.000Z");
    expect(answer.asOf.subject).toBe("ann moves to sales");
    expect(answer.groups.map((g) => g.group)).toEqual([]);

    // Without --at: the files as they are (uncommitted edit included).
    const now = await explain(tree, ["ann", "ops"]);
    expect(now.out).toContain("  ops  [app]");
    expect(now.out).not.toContain("as of");
  });

  it("warns when the commit dates are not in order, so the files found for a date may not be those of then", async () => {
    const tree = await history();
    expect((await explain(tree, ["ann", "--at", "2026-03-15"])).stderr).not.toContain("warning");
    // A commit on top, dated before the others (a clock gone wrong, a cherry-pick keeping old dates).
    commit(tree.cwd, "2026-02-01T10:00:00Z", "ann back in ops");
    const march = await explain(tree, ["ann", "--at", "2026-03-15"]);
    expect(march.code).toBe(0);
    expect(march.stderr).toMatch(
      /^warning: the commit dates on this branch are not in order: [0-9a-f]{12}, older in history than [0-9a-f]{12}, is dated 2026-04-01T10:00:00\.000Z .*name a commit instead \(--at REVISION\)\n$/,
    );
  });

  it("takes a commit, tag or branch, applied at its commit time, from a subfolder too", async () => {
    const tree = await history();
    execFileSync("git", ["tag", "before-move", "HEAD~1"], { cwd: tree.cwd });
    const tagged = await explain(tree, ["ann", "ops", "--at", "before-move"]);
    expect(tagged.code).toBe(0);
    expect(tagged.out).toContain("as of 2026-03-01T10:00:00.000Z");
    expect(tagged.out).toContain("  ops  [app]");
    const sub = path.join(tree.cwd, "docs");
    await mkdir(sub);
    const fromSub = await explain(tree, ["ann", "ops", "--dir", "../access", "--at", "HEAD"], sub);
    expect(fromSub.code).toBe(0);
    expect(fromSub.out).toContain("defined at ../access/users/people.yaml:2");
    expect(fromSub.out).toContain("not a member of ops");
  });

  it("says plainly when there is no such commit, no commit by then, or no repository, and leaves nothing behind", async () => {
    const before = (await readdir(tmpdir())).filter((n) => n.startsWith("gatehouse-at-")).length;
    const tree = await history();
    const early = await explain(tree, ["ann", "--at", "2026-01-01"]);
    expect(early.code).toBe(64);
    expect(early.stderr).toContain("--at 2026-01-01: no commit at or before 2026-01-01T23:59:59.999Z");
    const unknown = await explain(tree, ["ann", "--at", "no-such-tag"]);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('no commit "no-such-tag"');
    const option = await explain(tree, ["ann", "--at", "--output=x"]);
    expect(option.code).toBe(64);
    const nobody = await explain(tree, ["zed", "--at", "2026-03-15"]);
    expect(nobody.code).toBe(64);
    expect(nobody.stderr).toMatch(/no user "zed" in access\/ at commit [0-9a-f]{12}/);
    await rm(path.join(tree.cwd, ".git"), { recursive: true, force: true });
    const noRepo = await explain(tree, ["ann", "--at", "2026-03-15"]);
    expect(noRepo.code).toBe(64);
    expect(noRepo.stderr).toContain("is not in a git repository");
    for (const r of [early, unknown, nobody, noRepo]) expect(r.stderr).not.toMatch(/\n\s+at /);
    const after = (await readdir(tmpdir())).filter((n) => n.startsWith("gatehouse-at-")).length;
    expect(after).toBe(before);
  });
});

it("refuses a commit whose tree holds a path git would not check out (.., crafted), writing nothing", async () => {
  const tree = await history();
  const git = (args: string[], input?: string): string =>
    execFileSync("git", args, {
      cwd: tree.cwd,
      encoding: "utf8",
      ...(input === undefined ? {} : { input }),
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@e",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@e",
      },
    }).trim();
  const blob = git(["hash-object", "-w", "--stdin"], "users: []\n");
  let inner = git(["mktree"], `100644 blob ${blob}\tescaped.yaml\n`);
  for (let i = 0; i < 2; i++) inner = git(["mktree"], `040000 tree ${inner}\t..\n`);
  const top = git(["mktree"], `040000 tree ${inner}\taccess\n`);
  const crafted = git(["commit-tree", top, "-m", "crafted"]);
  // Two levels up from the temporary folder's access/ is the system's temporary folder.
  const outside = path.join(tmpdir(), "escaped.yaml");
  try {
    const answer = await explain(tree, ["ann", "--at", crafted]);
    expect(answer.code).toBe(64);
    expect(answer.stderr).toContain("holds a path git would not check out");
    expect(await readdir(tmpdir())).not.toContain("escaped.yaml");
  } finally {
    await rm(outside, { force: true });
  }
});

describe("explain during an access review", () => {
  /** March 1: ops under review, due March 15, bob's line re-certified and ann's not; April 1: closed. */
  async function reviewed(): Promise<AccessTree> {
    const underReview =
      "groups:\n  - name: ops\n    owners: [bob]\n    review:\n      due: 2026-03-15\n      pending:\n        - ann\n" +
      "    members: [ann, bob]\n  - name: dev\n    owners: [bob]\n    members: []\n";
    const tree = await writeAccessTree({
      "gatehouse.yaml": LOCAL,
      "users/people.yaml": PEOPLE,
      "roles/roles.yaml": ROLES,
      "groups/teams.yaml": underReview,
    });
    trees.push(tree);
    execFileSync("git", ["init", "-q"], { cwd: tree.cwd });
    commit(tree.cwd, "2026-03-01T10:00:00Z", "Open access reviews");
    await writeFile(path.join(tree.dir, "groups/teams.yaml"), groups("bob"));
    commit(tree.cwd, "2026-04-01T10:00:00Z", "Revoke what access reviews did not re-certify");
    return tree;
  }

  it("says a line is pending re-certification, and when the review is over, in text and JSON", async () => {
    const tree = await reviewed();
    const during = await explain(tree, ["ann", "ops", "--at", "2026-03-10"]);
    expect(during.code, during.out).toBe(0);
    expect(during.stdout).toMatch(
      /\n {2}ops {2}\[app\]\n {4}listed at access\/groups\/teams\.yaml:\d+\n {4}pending re-certification in the access review due 2026-03-15 \(access\/groups\/teams\.yaml:7:\d+\): its owners have not kept the line yet; `review close` revokes it if they have not by then\n/,
    );
    const over = await explain(tree, ["ann", "ops", "--at", "2026-03-20"]);
    expect(over.stdout).toContain(
      "pending re-certification in the access review due 2026-03-15 (access/groups/teams.yaml:7:11), which is over: `review close` revokes the line",
    );
    // bob was re-certified (not pending); after the close, ann holds ops by no line.
    const bob = await explain(tree, ["bob", "ops", "--at", "2026-03-10"]);
    expect(bob.stdout).toMatch(/ {4}listed at /);
    expect(bob.stdout).not.toContain("pending re-certification");
    const after = await explain(tree, ["ann", "ops", "--at", "2026-04-02"]);
    expect(after.stdout).toContain("not a member of ops");

    const json = await explain(tree, ["ann", "--at", "2026-03-10", "--format", "json"]);
    const groupsOf = (JSON.parse(json.stdout) as { groups: { group: string; pendingReview?: unknown }[] })
      .groups;
    expect(groupsOf.find((g) => g.group === "ops")?.pendingReview).toEqual({
      due: "2026-03-15",
      source: { file: "access/groups/teams.yaml", line: 7, column: 11 },
    });
    expect(groupsOf.find((g) => g.group === "dev")?.pendingReview).toBeUndefined();
  });
});
