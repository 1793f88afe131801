/**
 * The scheduled `prune` commit: its content check (only grants expired by the commit's date deleted, and
 * the names only they gave taken off a review's pending list), and the trailer `prune --message-file`
 * writes, on a real commit of a real git repository after real applies.
 */
import { describe, expect, it } from "vitest";
import { checkPruneCommit, notOnlyPrune } from "../../src/audit/prune-commit.ts";
import { describeCommitApproval } from "../../src/cli/commands/journal-access-text.ts";
import { describeUnapproved } from "../../src/pr/approval-record.ts";
import type { FileChange } from "../../src/audit/review-close-commit.ts";
import { useTempRepos } from "../e2e/repo.ts";

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

const tempRepo = useTempRepos();

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
const CY = "      - user: cy\n        until: 2027-12-01T00:00:00Z\n";
const MESSAGE = ".gatehouse/message.txt";

describe("the scheduled prune's commit", () => {
  it("carries the trailer prune --message-file writes, and is verified; one that does more is not", async () => {
    const repo = await tempRepo({ withAccess: false });
    await repo.write(
      "access/gatehouse.yaml",
      "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n" +
        "policy:\n  guardrails: { maxRemovals: 5 }\n",
    );
    await repo.write(
      "access/users/people.yaml",
      "users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob }\n  - { id: cy, name: Cy }\n",
    );
    await repo.write("access/groups/ops.yaml", GROUPS);
    await repo.commit("access");
    const head = async () => (await repo.git.revparse(["HEAD"])).trim();
    expect((await repo.run(["apply", "--yes"], { now: new Date("2026-06-01T12:00:00Z") })).code).toBe(0);
    expect((await repo.run(["apply", "--yes"], { now: AT })).code).toBe(0);

    expect((await repo.run(["prune", "--check", "--message-file", MESSAGE], { now: AT })).code).toBe(64);
    const pruned = await repo.run(["prune", "--message-file", MESSAGE], { now: AT });
    expect(pruned.code, pruned.stdout + pruned.stderr).toBe(0);
    const message = await repo.read(MESSAGE);
    expect(message).toMatch(
      /^Delete expired grants \(gatehouse prune\)\n\nDeleted 1 expired grant\(s\) no system holds any more\.\n\nGatehouse-Prune: by hand, .+\n$/,
    );
    await repo.commit(message);
    expect(await checkPruneCommit(repo.cwd, "access", await head())).toMatchObject({
      kind: "verified",
      job: "prune",
    });

    // The same trailer on a commit that also takes cy's grant away before its end: not prune's.
    await repo.edit("access/groups/ops.yaml", CY, "");
    await repo.commit(message);
    expect(await checkPruneCommit(repo.cwd, "access", await head())).toMatchObject({
      kind: "not-only-close",
      job: "prune",
      why: "it deletes more than grants expired by then from ops's members in access/groups/ops.yaml",
    });
    // A commit without the trailer is none of prune's.
    await repo.edit("access/groups/ops.yaml", "      - ann\n", "      - ann\n" + CY);
    await repo.commit("put cy back");
    expect(await checkPruneCommit(repo.cwd, "access", await head())).toBeUndefined();
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
