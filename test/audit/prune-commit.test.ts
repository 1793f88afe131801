/**
 * The scheduled `prune` commit: its content check (only grants expired by the commit's date deleted, and
 * the names only they gave taken off a review's pending list), and the trailer `prune --message-file`
 * writes, on a real commit of a real git repository after real applies.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { simpleGit } from "simple-git";
import { afterEach, describe, expect, it } from "vitest";
import { checkPruneCommit, notOnlyPrune } from "../../src/audit/prune-commit.ts";
import { describeCommitApproval } from "../../src/cli/commands/journal-access-text.ts";
import { describeUnapproved } from "../../src/pr/approval-record.ts";
import type { FileChange } from "../../src/audit/review-close-commit.ts";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const FILE = "access/groups/ops.yaml";
const AT = new Date("2026-06-03T12:00:00Z");
const EXPIRED = { user: "bob", until: "2026-06-02T00:00:00Z" };
const ACTIVE = { user: "cy", until: "2026-12-01T00:00:00Z" };
const ops = (members: unknown[], pending?: string[]) => ({
  groups: [
    {
      name: "ops",
      owners: ["ann"],
      members,
      ...(pending === undefined ? {} : { review: { due: "2026-07-01", pending } }),
    },
    { name: "web", owners: ["ann"], members: ["bob"] },
  ],
});
const change = (before: unknown, after: unknown): FileChange => ({
  file: FILE,
  before,
  after,
  isReadable: true,
});

describe("notOnlyPrune", () => {
  it.each([
    {
      name: "an expired grant deleted",
      before: ops(["ann", EXPIRED, ACTIVE]),
      after: ops(["ann", ACTIVE]),
      why: undefined,
    },
    {
      name: "an expired grant deleted, and its name off the review's pending list",
      before: ops(["ann", EXPIRED], ["bob", "ann"]),
      after: ops(["ann"], ["ann"]),
      why: undefined,
    },
    {
      name: "a grant not expired yet deleted",
      before: ops(["ann", EXPIRED, ACTIVE]),
      after: ops(["ann"]),
      why: `it deletes more than grants expired by then from ops's members in ${FILE}`,
    },
    {
      name: "a standing member deleted",
      before: ops(["ann", EXPIRED]),
      after: ops([]),
      why: `it deletes more than grants expired by then from ops's members in ${FILE}`,
    },
    {
      name: "an expired grant deleted and a member added",
      before: ops(["ann", EXPIRED]),
      after: ops(["ann", "dan"]),
      why: `it deletes more than grants expired by then from ops's members in ${FILE}`,
    },
    {
      name: "an expired grant deleted and another group changed",
      before: ops(["ann", EXPIRED]),
      after: {
        groups: [
          { name: "ops", owners: ["ann"], members: ["ann"] },
          { name: "web", owners: ["ann"], members: ["bob", "eve"] },
        ],
      },
      why: `it deletes more than grants expired by then from web's members in ${FILE}`,
    },
    {
      name: "a pending name taken off that a member line still gives",
      before: ops(["ann", EXPIRED, "bob"], ["bob"]),
      after: ops(["ann", "bob"], []),
      why: `it changes more in ${FILE} than expired grants and their names pending review`,
    },
    {
      name: "nothing deleted",
      before: ops(["ann"]),
      after: ops(["ann"]),
      why: "it deletes no expired grant",
    },
  ])("$name", ({ before, after, why }) => {
    expect(notOnlyPrune([change(before, after)], AT)).toBe(why);
  });

  it("refuses a file added or deleted", () => {
    expect(notOnlyPrune([change(undefined, ops(["ann"]))], AT)).toBe(`it adds ${FILE}`);
  });
});

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const GROUPS = `groups:
  - name: ops
    owners: [ann]
    members:
      - ann
      - user: bob
        until: 2026-06-02T00:00:00Z
      - user: cy
        until: 2027-12-01T00:00:00Z
`;

describe("the scheduled prune's commit", () => {
  it("carries the trailer prune --message-file writes, and is verified; one that does more is not", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml":
        "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n" +
        "policy:\n  guardrails: { maxRemovals: 5 }\n",
      "users/people.yaml":
        "users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob }\n  - { id: cy, name: Cy }\n",
      "groups/ops.yaml": GROUPS,
    });
    trees.push(tree);
    await writeFile(path.join(tree.cwd, ".gitignore"), ".gatehouse/\nmessage.txt\n");
    const git = simpleGit({ baseDir: tree.cwd });
    await git.init(["--initial-branch=main"]);
    await git.addConfig("user.email", "admin@example.com");
    await git.addConfig("user.name", "Admin");
    await git.addConfig("commit.gpgsign", "false");
    await git.add(".");
    await git.commit("access");
    expect((await runCliIn(tree.cwd, ["apply", "--yes"], new Date("2026-06-01T12:00:00Z"))).code).toBe(0);
    expect((await runCliIn(tree.cwd, ["apply", "--yes"], AT)).code).toBe(0);

    expect((await runCliIn(tree.cwd, ["prune", "--check", "--message-file", "message.txt"], AT)).code).toBe(
      64,
    );
    const pruned = await runCliIn(tree.cwd, ["prune", "--message-file", "message.txt"], AT);
    expect(pruned.code, pruned.out).toBe(0);
    const message = await readFile(path.join(tree.cwd, "message.txt"), "utf8");
    expect(message).toMatch(
      /^Delete expired grants \(gatehouse prune\)\n\nDeleted 1 expired grant\(s\) no system holds any more\.\n\nGatehouse-Prune: by hand, .+\n$/,
    );
    await git.add(".");
    await git.commit(message);
    const sha = (await git.revparse(["HEAD"])).trim();
    expect(await checkPruneCommit(tree.cwd, "access", sha)).toMatchObject({ kind: "verified", job: "prune" });

    // The same trailer on a commit that also takes cy's grant away before its end: not prune's.
    const file = path.join(tree.dir, "groups/ops.yaml");
    const text = await readFile(file, "utf8");
    await writeFile(file, text.replace("      - user: cy\n        until: 2027-12-01T00:00:00Z\n", ""));
    await git.add(".");
    await git.commit(message);
    const forged = await checkPruneCommit(tree.cwd, "access", (await git.revparse(["HEAD"])).trim());
    expect(forged).toMatchObject({
      kind: "not-only-close",
      job: "prune",
      why: "it deletes more than grants expired by then from ops's members in access/groups/ops.yaml",
    });
    // A commit without the trailer is none of prune's.
    await writeFile(file, text);
    await git.add(".");
    await git.commit("put cy back");
    expect(await checkPruneCommit(tree.cwd, "access", (await git.revparse(["HEAD"])).trim())).toBeUndefined();
  });
});

describe("a prune commit in the journal's approvals", () => {
  const commit = "0123456789abcdef0123456789abcdef01234567";
  const run = "https://github.com/acme/access/actions/runs/7";
  it("is the scheduled prune, which needs no pull request; a forged one is said to be pushed", () => {
    const verified = { commit, reviewClose: { kind: "verified" as const, run, job: "prune" as const } };
    expect(describeCommitApproval(verified)).toBe(
      `commit 0123456789ab of the scheduled prune of expired grants (run ${run})`,
    );
    expect(describeUnapproved({ repo: "acme/access", commits: [verified] })).toEqual([]);
    const forged = {
      commit,
      reviewClose: {
        kind: "not-only-close" as const,
        run,
        job: "prune" as const,
        why: "it adds access/x.yaml",
      },
    };
    expect(describeCommitApproval(forged)).toBe(
      `commit 0123456789ab without a pull request (its message says it is prune's, ${run}, but it adds access/x.yaml)`,
    );
    expect(describeUnapproved({ repo: "acme/access", commits: [forged] })).toEqual([
      `commit 0123456789ab changed the access files without a merged pull request (its message says it is prune's, ${run}, but it adds access/x.yaml)`,
    ]);
  });
});
