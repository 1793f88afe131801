/**
 * `gatehouse review history`: access reviews told from a real git repository's history, opened and
 * closed by the real `review open` and `review close`, certified by commits that delete pending names;
 * without a journal (git alone: approvals unknown), with one whose runs recorded no approvals, a group
 * renamed and moved mid-review, a block removed by hand, a shallow clone, and bad input.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";

const trees: AccessTree[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const PEOPLE = `users:\n${["ann", "bob", "cy", "dee", "eve"].map((id) => `  - { id: ${id}, name: ${id} }\n`).join("")}`;
const group = (name: string, members: readonly string[], extra = "") =>
  `  - name: ${name}\n    owners: [ann]\n${extra}    members:\n${members.map((m) => `      - ${m}\n`).join("")}`;

interface Site {
  readonly tree: AccessTree;
  cli(when: string, argv: string[]): ReturnType<typeof runCliIn>;
  /** Commits everything as `who`, dated `when` (author and committer). */
  commit(message: string, when: string, who?: string): string;
  file(rel: string): string;
  edit(rel: string, change: (text: string) => string): Promise<void>;
}

async function site(files: Record<string, string>): Promise<Site> {
  const tree = await writeAccessTree({
    "gatehouse.yaml": "providers:\n  app: { type: local, path: .gatehouse/app.json, mode: authoritative }\n",
    "users/people.yaml": PEOPLE,
    ...files,
  });
  trees.push(tree);
  await writeFile(path.join(tree.cwd, ".gitignore"), ".gatehouse/\n");
  const git = (args: string[], env: Record<string, string> = {}) =>
    execFileSync("git", args, { cwd: tree.cwd, env: { ...process.env, ...env }, encoding: "utf8" });
  git(["init", "-q", "--initial-branch=main"]);
  git(["config", "commit.gpgsign", "false"]);
  const s: Site = {
    tree,
    cli: (when, argv) => runCliIn(tree.cwd, argv, new Date(when)),
    commit(message, when, who = "Ann Owner") {
      const email = `${who.split(" ")[0]?.toLowerCase() ?? "x"}@example.com`;
      git(["add", "-A"]);
      git(["commit", "-q", "-m", message], {
        GIT_AUTHOR_NAME: who,
        GIT_AUTHOR_EMAIL: email,
        GIT_COMMITTER_NAME: "Merge Bot",
        GIT_COMMITTER_EMAIL: "bot@example.com",
        GIT_AUTHOR_DATE: when,
        GIT_COMMITTER_DATE: when,
      });
      return git(["rev-parse", "HEAD"]).trim();
    },
    file: (rel) => path.join(tree.dir, rel),
    async edit(rel, change) {
      await writeFile(s.file(rel), change(await readFile(s.file(rel), "utf8")));
    },
  };
  return s;
}

/** Deletes `names` from the pending list of the (only) review in `text`. */
const certify = (text: string, ...names: string[]) =>
  names.reduce((t, n) => t.replace(new RegExp(`\\n {8}- ${n}\\n`), "\n"), text);

interface Json {
  reviews: {
    group: string;
    names: string[];
    file: string;
    opened: {
      at: { commit: string; author: string };
      due: string;
      pending: string[];
      isBeforeSince: boolean;
    };
    steps: {
      at: { commit: string; approval: { status: string; why?: string } };
      certified: string[];
      revoked: string[];
      added: string[];
      renamed?: { from: string; to: string };
    }[];
    end: {
      kind: string;
      at?: { commit: string };
      revoked?: string[];
      keptPending?: string[];
      pending?: string[];
      isOverdue?: boolean;
    };
  }[];
  journal: { present: boolean; recordsApprovals: boolean };
}

describe("review history", () => {
  it("tells a review from git alone: opened, re-certified, revoked by the owner, a name added, closed", async () => {
    const s = await site({ "groups/ops.yaml": `groups:\n${group("ops", ["ann", "bob", "cy", "dee"])}` });
    s.commit("ops", "2026-03-01T09:00:00Z");
    const open = await s.cli("2026-03-02T09:00:00Z", ["review", "open", "--due", "2026-03-09"]);
    expect(open.code, open.out).toBe(0);
    const opened = s.commit("Open access reviews", "2026-03-02T09:05:00Z", "Review Bot");
    await s.edit("groups/ops.yaml", (t) => certify(t, "ann", "bob"));
    const certified = s.commit("ann and bob re-certified (#4)", "2026-03-03T10:00:00Z");
    // The owner revokes dee while reviewing: line and pending name out, the review stays open.
    await s.edit("groups/ops.yaml", (t) => certify(t, "dee").replace("      - dee\n", ""));
    const revoked = s.commit("dee no longer needs ops (#5)", "2026-03-04T10:00:00Z");
    // eve joins the group, and (as hr sync does for a mover) is added to pending.
    await s.edit(
      "groups/ops.yaml",
      (t) => t.replace("        - cy\n", "        - cy\n        - eve\n") + "      - eve\n",
    );
    const added = s.commit("eve moves into ops", "2026-03-05T10:00:00Z", "HR Sync");
    const close = await s.cli("2026-03-10T06:00:00Z", ["review", "close", "--allow-removals", "2"]);
    expect(close.code, close.out).toBe(0);
    const closed = s.commit(
      "Revoke what access reviews did not re-certify (gatehouse review close)",
      "2026-03-10T06:01:00Z",
      "Review Bot",
    );

    const text = await s.cli("2026-06-01T00:00:00Z", [
      "review",
      "history",
      "--since",
      "2026-03-01",
      "--until",
      "2026-03-31",
    ]);
    expect(text.code, text.out).toBe(0);
    const c = (sha: string) => sha.slice(0, 12);
    expect(text.stdout).toContain("ops, access/groups/ops.yaml: review due 2026-03-09\n");
    expect(text.stdout).toContain(
      `  2026-03-02T09:05:00.000Z  commit ${c(opened)} "Open access reviews" (author Review Bot <review@example.com>, committed by Merge Bot <bot@example.com>, 2026-03-02T09:05:00.000Z)\n    opened, due 2026-03-09, 4 pending: ann, bob, cy, dee\n      approvals unknown: no journal here\n`,
    );
    expect(text.stdout).toContain(`commit ${c(certified)} "ann and bob re-certified (#4)"`);
    expect(text.stdout).toContain("    re-certified (left pending, still members): ann, bob\n");
    expect(text.stdout).toMatch(
      new RegExp(
        `commit ${c(revoked)} .*\\n {4}revoked by hand in the review \\(line and pending name removed\\): dee\\n`,
      ),
    );
    expect(text.stdout).toMatch(new RegExp(`commit ${c(added)} .*\\n {4}added to pending: eve\\n`));
    expect(text.stdout).toMatch(
      new RegExp(`commit ${c(closed)} .*\\n {4}closed: revoked for not being re-certified: cy, eve\\n`),
    );
    expect(text.stdout).not.toContain("CLOSED WITHOUT REVOKING");
    expect(text.stdout).toContain(
      "No journal at .gatehouse/journal.jsonl: who approved each pull request is unknown here",
    );

    const json = await s.cli("2026-06-01T00:00:00Z", ["review", "history", "--format", "json"]);
    expect(json.code, json.out).toBe(0);
    const data = JSON.parse(json.stdout) as Json;
    expect(data.journal.present).toBe(false);
    expect(data.reviews).toHaveLength(1);
    const [review] = data.reviews;
    expect(review?.opened).toMatchObject({
      due: "2026-03-09",
      pending: ["ann", "bob", "cy", "dee"],
      at: { commit: opened, author: "Review Bot" },
    });
    expect(review?.steps.map((st) => [st.at.commit, st.certified, st.revoked, st.added])).toEqual([
      [certified, ["ann", "bob"], [], []],
      [revoked, [], ["dee"], []],
      [added, [], [], ["eve"]],
    ]);
    expect(review?.steps[0]?.at.approval).toEqual({ status: "not-recorded", why: "no-journal" });
    expect(review?.end).toMatchObject({
      kind: "closed",
      at: { commit: closed },
      revoked: ["cy", "eve"],
      keptPending: [],
    });
  });

  it("flags a block removed by hand, keeps a review opened before --since, says a review is still open and overdue", async () => {
    const s = await site({
      "groups/ops.yaml": `groups:\n${group("ops", ["ann", "bob"])}${group("web", ["bob", "cy"])}${group("db", ["cy", "dee"])}`,
    });
    s.commit("groups", "2026-02-01T09:00:00Z");
    expect(
      (await s.cli("2026-02-02T09:00:00Z", ["review", "open", "--due", "2026-02-20", "--group", "db"])).code,
    ).toBe(0);
    s.commit("db review", "2026-02-02T09:00:00Z");
    // db's review ends before the period (nothing pending: closed whenever close runs).
    await s.edit("groups/ops.yaml", (t) => certify(t, "cy", "dee"));
    s.commit("db certified", "2026-02-03T09:00:00Z");
    expect((await s.cli("2026-02-04T09:00:00Z", ["review", "close"])).code).toBe(0);
    s.commit("close db", "2026-02-04T09:00:00Z");
    expect(
      (
        await s.cli("2026-02-25T09:00:00Z", [
          "review",
          "open",
          "--due",
          "2026-03-20",
          "--group",
          "ops",
          "--group",
          "web",
        ])
      ).code,
    ).toBe(0);
    s.commit("Open access reviews", "2026-02-25T09:00:00Z");
    // ops' block is deleted by hand with ann and bob still pending: nobody is revoked.
    await s.edit("groups/ops.yaml", (t) =>
      t.replace(/ {4}review:\n {6}due: 2026-03-20\n {6}pending:\n {8}- ann\n {8}- bob\n/, ""),
    );
    const byHand = s.commit("tidy ops", "2026-03-05T09:00:00Z", "Bob Member");

    const text = await s.cli("2026-06-01T00:00:00Z", [
      "review",
      "history",
      "--since",
      "2026-03-01",
      "--until",
      "2026-03-31",
    ]);
    expect(text.code, text.out).toBe(0);
    expect(text.stdout).not.toContain("db,");
    expect(text.stdout).toContain("    opened (before the period), due 2026-03-20, 2 pending: ann, bob\n");
    expect(text.stdout).toMatch(
      new RegExp(
        `commit ${byHand.slice(0, 12)} "tidy ops" .*\\n {4}CLOSED WITHOUT REVOKING: the review block was removed while ann, bob were still pending and still members \\(removed by hand, not by review close\\)\\n {4}closed BEFORE the due day passed: nobody revoked\\n`,
      ),
    );
    expect(text.stdout).toContain(
      "  STILL OPEN at 2026-03-31T23:59:59.999Z: due 2026-03-20, 2 pending: bob, cy (OVERDUE: review close revokes them on its next run)\n",
    );
    expect(text.stdout).toContain(
      "2 access review(s) from 2026-03-01T00:00:00.000Z to 2026-03-31T23:59:59.999Z",
    );
    // The totals, first and last (at 20,000 groups the output is long).
    const totals =
      "Totals: 2 access review(s); opened: 0 in the period, 2 before it; closed: 1 (0 by the scheduled review close, 1 WITHOUT REVOKING), revoking 0 membership(s) not re-certified; ended with the group gone: 0; still open: 1 (1 OVERDUE).";
    expect(text.stdout.startsWith(`${totals}\n\n`)).toBe(true);
    expect(text.stdout.endsWith(`${totals}\n`)).toBe(true);
    // Asked before the due day passed, the same review is open, not overdue.
    const early = await s.cli("2026-06-01T00:00:00Z", [
      "review",
      "history",
      "--group",
      "web",
      "--until",
      "2026-03-20",
    ]);
    expect(early.stdout).toContain(
      "STILL OPEN at 2026-03-20T23:59:59.999Z: due 2026-03-20, 2 pending: bob, cy\n",
    );
    expect(early.stdout).not.toContain("ops,");
    expect(early.stdout).toContain(
      "Totals: 1 access review(s); opened: 1 in the period, 0 before it; closed: 0 (0 by the scheduled review close, 0 WITHOUT REVOKING), revoking 0 membership(s) not re-certified; ended with the group gone: 0; still open: 1 (0 OVERDUE).\n",
    );
    // Without --since, db's review is there too.
    const all = await s.cli("2026-06-01T00:00:00Z", [
      "review",
      "history",
      "--format",
      "json",
      "--until",
      "2026-03-31",
    ]);
    const data = JSON.parse(all.stdout) as Json;
    expect(data.reviews.map((r) => [r.group, r.end.kind, r.end.keptPending ?? r.end.pending])).toEqual([
      ["db", "closed", []],
      ["ops", "closed", ["ann", "bob"]],
      ["web", "open", ["bob", "cy"]],
    ]);
    expect(data.reviews[2]?.end.isOverdue).toBe(true);
    // db's review closed before its due day with nothing pending: review close does that, no news.
    const db = await s.cli("2026-06-01T00:00:00Z", ["review", "history", "--group", "db"]);
    expect(db.stdout).toMatch(/"close db" .*\n {4}closed: everyone re-certified, nobody revoked\n/);
  });

  it("follows a group renamed (formerNames) and moved to another file mid-review, asked by either name", async () => {
    const s = await site({ "groups/ops.yaml": `groups:\n${group("ops", ["ann", "bob", "cy"])}` });
    s.commit("ops", "2026-03-01T09:00:00Z");
    expect((await s.cli("2026-03-02T09:00:00Z", ["review", "open", "--due", "2026-03-09"])).code).toBe(0);
    s.commit("Open access reviews", "2026-03-02T09:00:00Z");
    const opened = await readFile(s.file("groups/ops.yaml"), "utf8");
    await rm(s.file("groups/ops.yaml"));
    await mkdir(s.file("teams"), { recursive: true });
    await writeFile(
      s.file("teams/platform.yaml"),
      certify(opened, "ann").replace("  - name: ops\n", "  - name: team-ops-write\n    formerNames: [ops]\n"),
    );
    const renamed = s.commit("ops becomes team-ops-write; ann re-certified", "2026-03-03T09:00:00Z");
    expect((await s.cli("2026-03-10T09:00:00Z", ["review", "close", "--allow-removals", "2"])).code).toBe(0);
    s.commit("close", "2026-03-10T09:00:00Z");

    for (const name of ["ops", "team-ops-write"]) {
      const json = await s.cli("2026-06-01T00:00:00Z", [
        "review",
        "history",
        "--group",
        name,
        "--format",
        "json",
      ]);
      expect(json.code, json.out).toBe(0);
      const [review, ...more] = (JSON.parse(json.stdout) as Json).reviews;
      expect(more).toEqual([]);
      expect(review?.names).toEqual(["ops", "team-ops-write"]);
      expect(review?.file).toBe("access/teams/platform.yaml");
      expect(review?.steps[0]).toMatchObject({
        at: { commit: renamed },
        renamed: { from: "ops", to: "team-ops-write" },
        certified: ["ann"],
      });
      expect(review?.end).toMatchObject({ kind: "closed", revoked: ["bob", "cy"] });
    }
    const text = await s.cli("2026-06-01T00:00:00Z", ["review", "history"]);
    expect(text.stdout).toContain(
      "ops (later team-ops-write), access/teams/platform.yaml: review due 2026-03-09\n",
    );
    expect(text.stdout).toContain("    group renamed ops -> team-ops-write (formerNames)\n");
    expect(text.stdout).not.toContain("ENDED");

    // Renamed again, without formerNames this time: git cannot tell it from a group deleted and one added.
    expect((await s.cli("2026-03-11T09:00:00Z", ["review", "open", "--due", "2026-03-20"])).code).toBe(0);
    s.commit("Open access reviews", "2026-03-11T09:00:00Z");
    await s.edit("teams/platform.yaml", (t) =>
      t.replace("- name: team-ops-write\n    formerNames: [ops]\n", "- name: team-ops-admin\n"),
    );
    const bare = s.commit("team-ops-write is team-ops-admin", "2026-03-12T09:00:00Z");
    const again = await s.cli("2026-06-01T00:00:00Z", ["review", "history", "--since", "2026-03-11"]);
    expect(again.code, again.out).toBe(0);
    expect(again.stdout).toMatch(
      new RegExp(
        `commit ${bare.slice(0, 12)} .*\\n {4}ENDED: the group left the files with the review open \\(deleted, or renamed without formerNames\\); pending then: ann\\n`,
      ),
    );
    expect(again.stdout).toContain(
      "    opened (the group came into the files with it: added, or renamed without formerNames), due 2026-03-20, 1 pending: ann\n",
    );
  });

  it("says approvals were not recorded when the journal's runs did not record them", async () => {
    const s = await site({ "groups/ops.yaml": `groups:\n${group("ops", ["ann", "bob"])}` });
    s.commit("ops", "2026-03-01T09:00:00Z");
    expect((await s.cli("2026-03-01T10:00:00Z", ["apply", "--yes"])).code).toBe(0);
    expect((await s.cli("2026-03-02T09:00:00Z", ["review", "open", "--due", "2026-03-09"])).code).toBe(0);
    s.commit("Open access reviews", "2026-03-02T09:00:00Z");
    await s.edit("groups/ops.yaml", (t) => certify(t, "bob"));
    s.commit("bob re-certified", "2026-03-03T09:00:00Z");
    expect((await s.cli("2026-03-03T10:00:00Z", ["apply", "--yes"])).code).toBe(0);
    const text = await s.cli("2026-06-01T00:00:00Z", ["review", "history"]);
    expect(text.code, text.out).toBe(0);
    expect(text.stdout).toMatch(
      /re-certified \(left pending, still members\): bob\n {6}approvals NOT recorded: no apply run recorded this commit's approvals \(applied without --record-approvals, or not applied yet\)\n/,
    );
    expect(text.stdout).toContain(
      "No run in .gatehouse/journal.jsonl recorded approvals (apply --record-approvals)",
    );
    // A journal edited after it was written: the answer says so and exits 1.
    const journal = path.join(s.tree.cwd, ".gatehouse/journal.jsonl");
    await writeFile(journal, (await readFile(journal, "utf8")).replace('"actor":"', '"actor":"x'));
    const edited = await s.cli("2026-06-01T00:00:00Z", ["review", "history"]);
    expect(edited.code).toBe(1);
    expect(edited.stderr).toContain("journal is NOT intact");
    expect(edited.stdout).toContain("re-certified (left pending, still members): bob");
  });

  it("takes a person whose id changed (formerIds) mid-review for the same person, not a revocation", async () => {
    const s = await site({ "groups/ops.yaml": `groups:\n${group("ops", ["ann", "bob"])}` });
    s.commit("ops", "2026-03-01T09:00:00Z");
    expect((await s.cli("2026-03-02T09:00:00Z", ["review", "open", "--due", "2026-03-09"])).code).toBe(0);
    s.commit("Open access reviews", "2026-03-02T09:00:00Z");
    await s.edit("users/people.yaml", (t) =>
      t.replace("{ id: bob, name: bob }", "{ id: robert, name: bob, formerIds: [bob] }"),
    );
    await s.edit("groups/ops.yaml", (t) => t.replaceAll("- bob\n", "- robert\n"));
    const renamed = s.commit("bob is robert now", "2026-03-03T09:00:00Z");
    await s.edit("groups/ops.yaml", (t) => certify(t, "robert"));
    s.commit("robert re-certified", "2026-03-04T09:00:00Z");
    const json = await s.cli("2026-06-01T00:00:00Z", ["review", "history", "--format", "json"]);
    expect(json.code, json.out).toBe(0);
    const steps = (JSON.parse(json.stdout) as Json).reviews[0]?.steps;
    expect(steps?.map((st) => [st.certified, st.revoked, st.added])).toEqual([
      [[], [], []],
      [["robert"], [], []],
    ]);
    expect(steps?.[0]).toMatchObject({
      at: { commit: renamed },
      renamedUsers: [{ from: "bob", to: "robert" }],
    });
    const text = await s.cli("2026-06-01T00:00:00Z", ["review", "history"]);
    expect(text.stdout).toContain("    id changed (formerIds, the same person): bob -> robert\n");
  });

  it("keeps a review open across a commit whose file does not parse, and warns of it", async () => {
    const s = await site({ "groups/ops.yaml": `groups:\n${group("ops", ["ann", "bob"])}` });
    s.commit("ops", "2026-03-01T09:00:00Z");
    expect((await s.cli("2026-03-02T09:00:00Z", ["review", "open", "--due", "2026-03-09"])).code).toBe(0);
    const opened = s.commit("Open access reviews", "2026-03-02T09:00:00Z");
    const good = await readFile(s.file("groups/ops.yaml"), "utf8");
    await writeFile(s.file("groups/ops.yaml"), `${good}  - name: [broken\n`);
    s.commit("a bad merge", "2026-03-03T09:00:00Z");
    await writeFile(s.file("groups/ops.yaml"), certify(good, "bob"));
    s.commit("fixed; bob re-certified", "2026-03-04T09:00:00Z");
    const json = await s.cli("2026-06-01T00:00:00Z", ["review", "history", "--format", "json"]);
    expect(json.code, json.out).toBe(0);
    const reviews = (JSON.parse(json.stdout) as Json).reviews;
    expect(reviews).toHaveLength(1);
    expect(reviews[0]?.opened.at.commit).toBe(opened);
    expect(reviews[0]?.steps.map((st) => st.certified)).toEqual([["bob"]]);
    expect(json.stderr).toMatch(
      /^warning: access\/groups\/ops\.yaml: .*: the groups of its last version that read stand for it there\n/,
    );
  });

  it("refuses a shallow clone that lacks the history asked about, and answers from one that has it", async () => {
    const s = await site({ "groups/ops.yaml": `groups:\n${group("ops", ["ann", "bob"])}` });
    s.commit("ops", "2026-03-01T09:00:00Z");
    expect((await s.cli("2026-03-02T09:00:00Z", ["review", "open", "--due", "2026-03-09"])).code).toBe(0);
    s.commit("Open access reviews", "2026-03-02T09:00:00Z");
    await s.edit("groups/ops.yaml", (t) => certify(t, "bob"));
    s.commit("bob re-certified", "2026-03-03T09:00:00Z");
    const where = await mkdtemp(path.join(tmpdir(), "gatehouse-shallow-"));
    dirs.push(where);
    const clone = path.join(where, "clone");
    execFileSync("git", ["clone", "-q", "--depth", "1", `file://${s.tree.cwd}`, clone]);
    const cut = await runCliIn(
      clone,
      ["review", "history", "--since", "2026-03-01"],
      new Date("2026-06-01T00:00:00Z"),
    );
    expect(cut.code).toBe(1);
    expect(cut.stdout).toBe("");
    expect(cut.stderr).toMatch(
      /^error: this is a shallow clone: git history stops at commit [0-9a-f]{12} \(2026-03-03T09:00:00.000Z\), where a review is already open.*git fetch --unshallow/,
    );
    // A period that starts after the cut: still refused, the review open at the cut opened before it.
    const later = await runCliIn(
      clone,
      ["review", "history", "--since", "2026-03-04"],
      new Date("2026-06-01T00:00:00Z"),
    );
    expect(later.code).toBe(1);
    expect(later.stderr).toContain("where a review is already open");
    // Deep enough for a period after the review's opening? No: the review opened before the cut.
    execFileSync("git", ["fetch", "-q", "--deepen", "1"], { cwd: clone });
    expect((await runCliIn(clone, ["review", "history"], new Date("2026-06-01T00:00:00Z"))).code).toBe(1);
    // Cut at the commit before the review opened: enough for a period that starts after it.
    execFileSync("git", ["fetch", "-q", "--deepen", "1"], { cwd: clone });
    const enough = await runCliIn(
      clone,
      ["review", "history", "--since", "2026-03-02"],
      new Date("2026-06-01T00:00:00Z"),
    );
    expect(enough.code, enough.out).toBe(0);
    expect(enough.stdout).toContain("re-certified (left pending, still members): bob");
    expect((await runCliIn(clone, ["review", "history"], new Date("2026-06-01T00:00:00Z"))).code).toBe(1);
    execFileSync("git", ["fetch", "-q", "--unshallow"], { cwd: clone });
    const whole = await runCliIn(clone, ["review", "history"], new Date("2026-06-01T00:00:00Z"));
    expect(whole.code, whole.out).toBe(0);
    expect(whole.stdout).toContain("re-certified (left pending, still members): bob");
  });

  it("refuses an unknown group with a suggestion and a bad date with the usual message", async () => {
    const s = await site({ "groups/ops.yaml": `groups:\n${group("team-ops-write", ["ann"])}` });
    s.commit("ops", "2026-03-01T09:00:00Z");
    const unknown = await s.cli("2026-06-01T00:00:00Z", ["review", "history", "--group", "team-ops-wirte"]);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain(
      'no group "team-ops-wirte" in the git history of access/ (under any name it had). Did you mean "team-ops-write"?',
    );
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
    const day = await s.cli("2026-06-01T00:00:00Z", ["review", "history", "--since", "2026-02-30"]);
    expect(day.code).toBe(64);
    expect(day.stderr).toContain('--since "2026-02-30" is no day');
    const form = await s.cli("2026-06-01T00:00:00Z", ["review", "history", "--until", "yesterday"]);
    expect(form.code).toBe(64);
    expect(form.stderr).toContain(
      '--until must be a day (2026-03-01) or an instant with a time zone (2026-03-01T12:00:00Z), not "yesterday"',
    );
    const order = await s.cli("2026-06-01T00:00:00Z", [
      "review",
      "history",
      "--since",
      "2026-04-01",
      "--until",
      "2026-03-01",
    ]);
    expect(order.code).toBe(64);
    expect(order.stderr).toContain("--since (2026-04-01T00:00:00.000Z) is after --until");
    const typo = await s.cli("2026-06-01T00:00:00Z", ["review", "histroy"]);
    expect(typo.code).toBe(64);
    expect(typo.stderr).toContain('review needs open, close or history. Did you mean "history"?');
    const misplaced = await s.cli("2026-06-01T00:00:00Z", ["review", "close", "--since", "2026-03-01"]);
    expect(misplaced.code).toBe(64);
    expect(misplaced.stderr).toContain("--since: for review history only");
    const journal = await s.cli("2026-06-01T00:00:00Z", ["review", "history", "--journal", "nope.jsonl"]);
    expect(journal.code).toBe(64);
    expect(journal.stderr).toContain("--journal nope.jsonl: no such file");
  });
});
