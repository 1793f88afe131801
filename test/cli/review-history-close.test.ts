/**
 * The scheduled `review close` commit in `review history`: a real git repository, the real `review open`
 * and `review close --message-file`, committed with the message close wrote (as the scheduled workflow
 * does). It is named as the scheduled close with its run, not as a push past review; a commit that
 * carries the same trailer and also does something else is said to be no review close.
 */
import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

const PEOPLE = `users:\n${["ann", "bob", "cy", "dee", "eve"].map((id) => `  - { id: ${id}, name: ${id} }\n`).join("")}`;
const group = (name: string, members: readonly string[]) =>
  `  - name: ${name}\n    owners: [ann]\n    members:\n${members.map((m) => `      - ${m}\n`).join("")}`;
const RUN = "https://github.com/acme/access/actions/runs/4242";
const ACTIONS = {
  GITHUB_SERVER_URL: "https://github.com",
  GITHUB_REPOSITORY: "acme/access",
  GITHUB_RUN_ID: "4242",
};
const FILE = "access/groups/ops.yaml";

async function repository() {
  const tree = await writeAccessTree({
    "gatehouse.yaml": "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n",
    "users/people.yaml": PEOPLE,
    // eve holds ops through a grant: a review lists it, and close takes it out like a line.
    "groups/ops.yaml": `groups:\n${group("ops", ["ann", "bob", "cy", '{ user: eve, until: "2026-12-01T00:00:00Z" }'])}${group("web", ["bob", "cy", "dee"])}`,
  });
  trees.push(tree);
  await writeFile(path.join(tree.cwd, ".gitignore"), ".gatehouse/\n");
  const git = (args: string[], env: Record<string, string> = {}) =>
    execFileSync("git", args, { cwd: tree.cwd, env: { ...process.env, ...env }, encoding: "utf8" });
  git(["init", "-q", "--initial-branch=main"]);
  git(["config", "commit.gpgsign", "false"]);
  const at = (rel: string) => path.join(tree.cwd, rel);
  return {
    cli: (when: string, argv: string[], env: Record<string, string> = {}) =>
      runCliIn(tree.cwd, argv, new Date(when), env),
    /** Commits everything with `message` (a file's text, as git commit -F), dated `when`. */
    commit(message: string, when: string): string {
      git(["add", "-A"]);
      git(["commit", "-q", "--cleanup=strip", "-m", message], {
        GIT_AUTHOR_NAME: "gatehouse",
        GIT_AUTHOR_EMAIL: "gatehouse@users.noreply.github.com",
        GIT_COMMITTER_NAME: "gatehouse",
        GIT_COMMITTER_EMAIL: "gatehouse@users.noreply.github.com",
        GIT_AUTHOR_DATE: when,
        GIT_COMMITTER_DATE: when,
      });
      return git(["rev-parse", "HEAD"]).trim();
    },
    read: (rel: string) => readFile(at(rel), "utf8"),
    write: (rel: string, text: string) => writeFile(at(rel), text),
  };
}

/** Deletes `names` from the pending lists in `text`. */
const certify = (text: string, ...names: string[]) =>
  names.reduce((t, n) => t.replace(new RegExp(`\\n {8}- ${n}\\n`), "\n"), text);

describe("review history and the scheduled review close", () => {
  it("names the scheduled close's commit with its run, and flags a commit that claims to be one and adds access", async () => {
    const s = await repository();
    s.commit("groups", "2026-03-01T09:00:00Z");
    expect((await s.cli("2026-03-02T09:00:00Z", ["review", "open", "--due", "2026-03-09"])).code).toBe(0);
    s.commit("Open access reviews", "2026-03-02T09:05:00Z");
    await s.write(FILE, certify(await s.read(FILE), "ann", "dee"));
    s.commit("ann and dee re-certified (#4)", "2026-03-03T10:00:00Z");

    // The scheduled workflow: close writes the files and the commit message, the job commits with it.
    const message = path.join(trees[0]?.cwd ?? "", ".gatehouse", "close-message.txt");
    const close = await s.cli(
      "2026-03-10T06:00:00Z",
      ["review", "close", "--allow-removals", "5", "--message-file", message],
      ACTIONS,
    );
    expect(close.code, close.out).toBe(0);
    const text = await readFile(message, "utf8");
    expect(text).toBe(
      "Revoke what access reviews did not re-certify (gatehouse review close)\n\n" +
        "Closed 2 review(s) in 1 file(s), revoking 5 membership(s).\n\n" +
        `Gatehouse-Review-Close: ${RUN}\n`,
    );
    const closed = s.commit(text, "2026-03-10T06:01:00Z");

    // Another round; this time the commit with close's trailer also adds eve to web.
    expect((await s.cli("2026-03-11T09:00:00Z", ["review", "open", "--due", "2026-03-20"])).code).toBe(0);
    s.commit("Open access reviews again", "2026-03-11T09:05:00Z");
    expect(
      (
        await s.cli(
          "2026-03-21T06:00:00Z",
          ["review", "close", "--allow-removals", "2", "--message-file", message],
          ACTIONS,
        )
      ).code,
    ).toBe(0);
    const emptied = "- name: web\n    owners: [ann]\n    members: []\n";
    expect(await s.read(FILE)).toContain(emptied);
    await s.write(FILE, (await s.read(FILE)).replace(emptied, emptied.replace("[]", "[eve]")));
    const forged = s.commit(await readFile(message, "utf8"), "2026-03-21T06:01:00Z");

    const history = await s.cli("2026-04-01T00:00:00Z", ["review", "history", "--group", "web"]);
    expect(history.code, history.out).toBe(0);
    const c = (sha: string) => sha.slice(0, 12);
    expect(history.stdout).toMatch(
      new RegExp(
        `commit ${c(closed)} .*\\n {4}closed: revoked for not being re-certified: bob, cy\\n {6}closed by the scheduled review close \\(run ${RUN}\\): the commit only removes review blocks past due and their pending members' lines, which needs no pull request\\n`,
      ),
    );
    expect(history.stdout).not.toMatch(new RegExp(`commit ${c(closed)} [^\\n]*\\n[^\\n]*\\n[^\\n]*WITHOUT`));
    expect(history.stdout).toMatch(
      new RegExp(
        `commit ${c(forged)} .*\\n {4}closed: .*\\n {6}NOT only a review close: its message says it is review close's \\(${RUN}\\), but it changes more in access/groups/ops.yaml than review blocks and their pending members' lines \\(group web\\); approvals unknown: no journal here\\n`,
      ),
    );

    const all = await s.cli("2026-04-01T00:00:00Z", ["review", "history"]);
    expect(all.stdout).toMatch(
      new RegExp(
        `commit ${c(closed)} .*\\n {4}closed: revoked for not being re-certified: bob, cy, eve\\n {6}closed by the scheduled review close`,
      ),
    );
    expect(all.stdout).toContain(
      "Totals: 4 access review(s); opened: 4 in the period, 0 before it; closed: 4 (2 by the scheduled review close, 0 WITHOUT REVOKING), revoking 7 membership(s) not re-certified; ended with the group gone: 0; still open: 0 (0 OVERDUE).\n",
    );
    const json = JSON.parse(
      (await s.cli("2026-04-01T00:00:00Z", ["review", "history", "--format", "json"])).stdout,
    ) as {
      totals: Record<string, number>;
      reviews: { group: string; end: { at: { commit: string; reviewClose?: unknown } } }[];
    };
    expect(json.totals).toEqual({
      reviews: 4,
      openedInPeriod: 4,
      openedBefore: 0,
      closed: 4,
      closedByScheduledClose: 2,
      closedWithoutRevoking: 0,
      revoked: 7,
      groupGone: 0,
      stillOpen: 0,
      overdue: 0,
    });
    const ends = json.reviews.map((r) => [r.group, r.end.at.commit, r.end.at.reviewClose]);
    const why = `it changes more in ${FILE} than review blocks and their pending members' lines (group web)`;
    expect(ends).toEqual([
      ["ops", closed, { kind: "verified", run: RUN }],
      ["web", closed, { kind: "verified", run: RUN }],
      ["ops", forged, { kind: "not-only-close", run: RUN, why }],
      ["web", forged, { kind: "not-only-close", run: RUN, why }],
    ]);
  });

  it("names a close run by hand, and takes a close commit that also changes a file outside access/ for no close", async () => {
    const s = await repository();
    s.commit("groups", "2026-03-01T09:00:00Z");
    expect((await s.cli("2026-03-02T09:00:00Z", ["review", "open", "--due", "2026-03-09"])).code).toBe(0);
    s.commit("Open access reviews", "2026-03-02T09:05:00Z");
    const message = path.join(trees[0]?.cwd ?? "", ".gatehouse", "close-message.txt");
    // The message is close's, and only for a close that writes.
    const checked = await s.cli("2026-03-10T06:00:00Z", [
      "review",
      "close",
      "--check",
      "--message-file",
      message,
    ]);
    expect([checked.code, checked.stderr]).toEqual([
      64,
      expect.stringContaining("--message-file is for a close that writes"),
    ]);
    const opened = await s.cli("2026-03-10T06:00:00Z", [
      "review",
      "open",
      "--due",
      "14d",
      "--message-file",
      message,
    ]);
    expect([opened.code, opened.stderr]).toEqual([
      64,
      expect.stringContaining("--message-file is for review close"),
    ]);
    const close = await s.cli("2026-03-10T06:00:00Z", [
      "review",
      "close",
      "--allow-removals",
      "7",
      "--message-file",
      message,
    ]);
    expect(close.code, close.out).toBe(0);
    const text = await readFile(message, "utf8");
    expect(text).toMatch(/\nGatehouse-Review-Close: by hand, \S+\n$/);
    const byHand = s.commit(text, "2026-03-10T06:01:00Z");
    let history = await s.cli("2026-04-01T00:00:00Z", ["review", "history", "--group", "ops"]);
    expect(history.stdout).toMatch(
      new RegExp(
        `commit ${byHand.slice(0, 12)} .*\\n.*\\n {6}closed by gatehouse review close \\(by hand, [^)]+\\): the commit only removes`,
      ),
    );

    // Everyone was revoked: ann comes back, and a new review opens.
    await s.write("access/groups/ops.yaml", `groups:\n${group("ops", ["ann"])}`);
    s.commit("ann back", "2026-03-11T09:00:00Z");
    expect((await s.cli("2026-03-11T09:00:00Z", ["review", "open", "--due", "2026-03-20"])).code).toBe(0);
    s.commit("Open access reviews again", "2026-03-11T09:05:00Z");
    expect(
      (
        await s.cli(
          "2026-03-21T06:00:00Z",
          ["review", "close", "--allow-removals", "1", "--message-file", message],
          ACTIONS,
        )
      ).code,
    ).toBe(0);
    await writeFile(path.join(trees[0]?.cwd ?? "", "CODEOWNERS"), "* @mallory\n");
    const outside = s.commit(await readFile(message, "utf8"), "2026-03-21T06:01:00Z");
    history = await s.cli("2026-04-01T00:00:00Z", ["review", "history", "--group", "ops"]);
    expect(history.stdout).toMatch(
      new RegExp(
        `commit ${outside.slice(0, 12)} .*\\n.*\\n {6}NOT only a review close: its message says it is review close's \\(${RUN}\\), but it changes CODEOWNERS, which is not an access file;`,
      ),
    );
  });
});
