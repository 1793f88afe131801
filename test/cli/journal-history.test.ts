/**
 * `journal verify --history REV`: the journal against the branch the workflows keep it on. A journal
 * rewritten and re-hashed whole passes the chain walk on a fresh clone; it cannot pass this while the
 * branch's history stands. Real git (plumbing: the branch is written as journal-branch.sh writes it, in
 * pieces), the real CLI.
 */
import { execFileSync } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { configYaml, writeAccessTree, type AccessTree } from "../helpers/access-tree.ts";
import { runCliIn } from "../helpers/cli-io.ts";
import { verifyJournalHistory } from "../../src/audit/journal-history.ts";

const trees: AccessTree[] = [];
afterEach(async () => {
  await Promise.all(trees.splice(0).map((t) => t.remove()));
});

function git(cwd: string, args: readonly string[], input?: string | Buffer): string {
  return execFileSync("git", args, {
    cwd,
    ...(input === undefined ? {} : { input }),
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.com",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.com",
    },
  })
    .toString("utf8")
    .trim();
}

/** Commits `journal` on branch `jb` after `parent`, cut in pieces of `piece` bytes as journal-branch.sh cuts it. */
function keep(cwd: string, journal: Buffer, parent: string | undefined, piece = 400): string {
  const lines: string[] = [];
  for (let i = 0, n = 0; i < journal.length; i += piece, n++) {
    const blob = git(cwd, ["hash-object", "-w", "--stdin"], journal.subarray(i, i + piece));
    lines.push(`100644 blob ${blob}\tjournal.jsonl.${String(n).padStart(4, "0")}`);
  }
  const tree = git(cwd, ["mktree"], lines.join("\n") + "\n");
  const commit = git(cwd, [
    "commit-tree",
    tree,
    ...(parent === undefined ? [] : ["-p", parent]),
    "-m",
    "journal",
  ]);
  git(cwd, ["update-ref", "refs/heads/jb", commit]);
  return commit;
}

/**
 * A repository whose local directory two applies changed (ops gets ann, then bob), with the journal of the
 * first kept on branch `jb` (`first`) and the whole journal after the second (`journal`).
 */
async function twoRuns(): Promise<{ tree: AccessTree; journalFile: string; first: string; journal: Buffer }> {
  const tree = await writeAccessTree({
    "gatehouse.yaml": configYaml(),
    "users/people.yaml": "users:\n  - { id: ann, name: Ann }\n  - { id: bob, name: Bob }\n",
    "groups/teams.yaml": "groups:\n  - name: ops\n    owners: [ann]\n    members: [ann]\n",
  });
  trees.push(tree);
  git(tree.cwd, ["init", "-q"]);
  const journalFile = path.join(tree.cwd, ".gatehouse/journal.jsonl");
  expect((await runCliIn(tree.cwd, ["apply", "--yes"])).code).toBe(0);
  const first = keep(tree.cwd, await readFile(journalFile), undefined);
  await writeFile(
    path.join(tree.dir, "groups/teams.yaml"),
    "groups:\n  - name: ops\n    owners: [ann]\n    members: [ann, bob]\n",
  );
  expect((await runCliIn(tree.cwd, ["apply", "--yes"])).code).toBe(0);
  return { tree, journalFile, first, journal: await readFile(journalFile) };
}

describe("journal verify --history", () => {
  it("holds when each commit only adds entries, and names the commit where entries were removed", async () => {
    const { tree, journalFile, first, journal } = await twoRuns();
    const second = keep(tree.cwd, journal, first);

    const intact = await runCliIn(tree.cwd, ["journal", "verify", "--history", "jb"]);
    expect(intact.code).toBe(0);
    expect(intact.stdout).toContain(
      `.gatehouse/journal.jsonl: jb: 2 commit(s), each holding the journal of the one before with entries added at its end; the journal here begins with its last (${String(journal.length)} bytes)`,
    );

    // A third commit drops an entry from the middle (a rewrite would re-hash the rest: the chain walk of a
    // fresh clone could not tell); the branch's history can.
    const lines = journal.toString("utf8").split("\n");
    const dropped = Buffer.from([...lines.slice(0, 2), ...lines.slice(3)].join("\n"));
    const third = keep(tree.cwd, dropped, second);
    const rewritten = await runCliIn(tree.cwd, ["journal", "verify", "--history", "jb"]);
    expect(rewritten.code).toBe(1);
    expect(rewritten.stdout).toContain(
      `jb: the journal at ${third.slice(0, 12)} is not the journal at ${second.slice(0, 12)} with entries added at its end`,
    );
    expect(rewritten.stdout).toContain("hash chain intact, but NOT as the branch kept it");

    // The journal here cut short against an intact branch.
    git(tree.cwd, ["update-ref", "refs/heads/jb", second]);
    await writeFile(journalFile, journal.subarray(0, journal.indexOf("\n") + 1));
    await rm(path.join(tree.cwd, ".gatehouse/cache"), { recursive: true, force: true });
    const cut = await runCliIn(tree.cwd, ["journal", "verify", "--history", "jb"]);
    expect(cut.code).toBe(1);
    expect(cut.stdout).toContain(
      `jb: the journal here is shorter than the one the branch kept at ${second.slice(0, 12)}`,
    );
  });

  it("fails for a revision that holds no journal (a wrong branch proves nothing)", async () => {
    const tree = await writeAccessTree({
      "gatehouse.yaml": configYaml(),
      "users/people.yaml": "users:\n  - { id: ann, name: Ann }\n",
      "groups/teams.yaml": "groups:\n  - name: ops\n    owners: [ann]\n    members: [ann]\n",
    });
    trees.push(tree);
    git(tree.cwd, ["init", "-q"]);
    expect((await runCliIn(tree.cwd, ["apply", "--yes"])).code).toBe(0);
    // The access files' own branch: two commits, neither holding journal.jsonl at its root.
    git(tree.cwd, ["add", "access"]);
    git(tree.cwd, ["commit", "-qm", "access"]);
    await writeFile(path.join(tree.dir, "users/people.yaml"), "users:\n  - { id: ann, name: Ann Lee }\n");
    git(tree.cwd, ["commit", "-qam", "rename"]);
    const head = git(tree.cwd, ["rev-parse", "HEAD"]);

    const wrong = await runCliIn(tree.cwd, ["journal", "verify", "--history", "HEAD"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain(
      `HEAD: ${head.slice(0, 12)} holds no journal (journal.jsonl, or journal.jsonl.0000 and on, at the top of its tree)`,
    );
    expect(wrong.stdout).toContain("hash chain intact, but NOT as the branch kept it");
    expect(wrong.stdout).not.toContain("each holding the journal of the one before");
  });
});

describe("the journal history lookup", () => {
  it("reads the blobs of each comparison with one git process, with the same answer", async () => {
    const tree = await writeAccessTree({ "gatehouse.yaml": configYaml() });
    trees.push(tree);
    git(tree.cwd, ["init", "-q"]);
    const journal = Buffer.from(
      Array.from({ length: 80 }, (_, i) => `{"seq":${String(i)},"note":"entry ${String(i)}"}\n`).join(""),
    );
    // Kept whole first (as before pieces), then in pieces of 400 bytes, each commit growing the last
    // piece and adding new ones.
    const whole = git(tree.cwd, ["hash-object", "-w", "--stdin"], journal.subarray(0, 600));
    const first = git(tree.cwd, [
      "commit-tree",
      git(tree.cwd, ["mktree"], `100644 blob ${whole}\tjournal.jsonl\n`),
      "-m",
      "journal",
    ]);
    const second = keep(tree.cwd, journal.subarray(0, 1000), first);
    const third = keep(tree.cwd, journal.subarray(0, 1500), second);
    keep(tree.cwd, journal.subarray(0, 1800), third);

    // Every git the lookup starts goes through a shim that logs its command.
    const shim = path.join(tree.cwd, "..", `git-shim-${path.basename(tree.cwd)}`);
    const log = path.join(shim, "log");
    const realGit = execFileSync("sh", ["-c", "command -v git"]).toString("utf8").trim();
    await mkdir(shim, { recursive: true });
    await writeFile(path.join(shim, "git"), `#!/bin/sh\necho "$1" >> "${log}"\nexec "${realGit}" "$@"\n`, {
      mode: 0o755,
    });
    const pathBefore = process.env["PATH"] ?? "";
    process.env["PATH"] = `${shim}${path.delimiter}${pathBefore}`;
    try {
      const history = await verifyJournalHistory(tree.cwd, "jb", journal);
      expect(history).toEqual({ commits: 4, bytes: 1800, problems: [] });
      const commands = (await readFile(log, "utf8")).split("\n").filter((c) => c !== "");
      // The change of layout (each side read whole), two comparisons of last pieces, and the journal
      // at the last commit (5 pieces): one process each.
      expect(commands.filter((c) => c === "cat-file")).toHaveLength(5);
    } finally {
      process.env["PATH"] = pathBefore;
      await rm(shim, { recursive: true, force: true });
    }
  });
});

describe("journal access, changes and leavers --history", () => {
  it("answer from a journal cut short on a fresh clone with exit 1 against the branch, and say what a fresh clone cannot catch without it", async () => {
    const { tree, journalFile, journal } = await twoRuns();
    // The branch as a single commit holding the whole journal.
    keep(tree.cwd, journal, undefined);

    // A fresh clone: no record of reading the journal here; the last run (bob's add) cut off its end.
    await rm(path.join(tree.cwd, ".gatehouse/cache"), { recursive: true, force: true });
    const lines = journal.toString("utf8").trimEnd().split("\n");
    const firstRunEnd = lines.findIndex((l) => l.includes('"type":"apply-end"'));
    await writeFile(journalFile, lines.slice(0, firstRunEnd + 1).join("\n") + "\n");

    const blind = await runCliIn(tree.cwd, ["journal", "changes"]);
    expect(blind.code).toBe(0);
    expect(blind.stderr).toContain(
      "gatehouse has not read this journal on this machine before (a fresh clone?), so entries cut off its end, or a chain rewritten whole, cannot be caught here; --history origin/gatehouse-journal",
    );
    for (const argv of [
      ["journal", "changes", "--history", "jb"],
      ["journal", "access", "ops", "--at", "2099-01-01", "--history", "jb"],
      ["journal", "leavers", "--history", "jb"],
    ]) {
      const run = await runCliIn(tree.cwd, argv);
      expect(run.code, argv.join(" ")).toBe(1);
      expect(run.stderr).toContain(
        ".gatehouse/journal.jsonl: jb: the journal here is shorter than the one the branch kept",
      );
      expect(run.stderr).toContain("journal is NOT intact (1 problem(s))");
      expect(run.stderr).not.toContain("has not read this journal");
    }
    const json = await runCliIn(tree.cwd, ["journal", "changes", "--history", "jb", "--format", "json"]);
    const answer = JSON.parse(json.stdout) as {
      intact: boolean;
      problems: { line: number; message: string }[];
    };
    expect(answer.intact).toBe(false);
    expect(answer.problems[0]?.message).toMatch(/^jb: the journal here is shorter/);

    // The whole journal back: the same questions hold against the branch.
    await writeFile(journalFile, journal);
    const whole = await runCliIn(tree.cwd, ["journal", "changes", "--history", "jb"]);
    expect(whole.code, whole.out).toBe(0);
    expect(whole.stdout).toContain("+ add bob to ops");
  });
});
