/**
 * scripts/journal-branch.sh, which the workflows use to keep the journal on the gatehouse-journal branch:
 * in pieces under GitHub's 100 MB file limit, restored byte for byte, earlier pieces unchanged by an
 * append. Run against real git repositories: an origin (bare) and two clones, as two CI runs would be.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile, appendFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("../../scripts/journal-branch.sh", import.meta.url));
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const env = {
  ...process.env,
  GIT_AUTHOR_NAME: "gatehouse",
  GIT_AUTHOR_EMAIL: "gatehouse@example.com",
  GIT_COMMITTER_NAME: "gatehouse",
  GIT_COMMITTER_EMAIL: "gatehouse@example.com",
  GATEHOUSE_JOURNAL_PIECE_BYTES: "1000",
};
const git = (cwd: string, ...args: string[]) => run("git", args, { cwd, env });
const script = (cwd: string, command: string) =>
  run("bash", [SCRIPT, command, ".gatehouse/journal.jsonl"], { cwd, env });

/** An origin with one commit on main, and a fresh clone of it (a CI runner's checkout). */
async function origin(): Promise<{ root: string; clone: () => Promise<string> }> {
  const root = await mkdtemp(path.join(tmpdir(), "gh-journal-branch-"));
  dirs.push(root);
  await git(root, "init", "-q", "--bare", "-b", "main", "origin.git");
  await git(root, "clone", "-q", "origin.git", "seed");
  await writeFile(path.join(root, "seed", "README"), "access\n");
  await git(path.join(root, "seed"), "add", ".");
  await git(path.join(root, "seed"), "commit", "-qm", "start");
  await git(path.join(root, "seed"), "push", "-q", "origin", "main");
  let n = 0;
  return {
    root,
    clone: async () => {
      n += 1;
      const dir = path.join(root, `run-${String(n)}`);
      await git(root, "clone", "-q", "origin.git", dir);
      return dir;
    },
  };
}

const lines = (from: number, to: number): string =>
  Array.from(
    { length: to - from },
    (_, i) => `{"seq":${String(from + i)},"note":"${"é".repeat(20)}"}\n`,
  ).join("");

describe("the journal branch", () => {
  it("keeps the journal in pieces under the size limit and restores it byte for byte", async () => {
    const repo = await origin();
    const first = await repo.clone();
    await script(first, "restore"); // no branch yet: nothing, no error
    await mkdir(path.join(first, ".gatehouse"), { recursive: true });
    const journal = lines(1, 120);
    await writeFile(path.join(first, ".gatehouse/journal.jsonl"), journal);
    await script(first, "keep");

    const names = (
      await git(repo.root, "--git-dir", "origin.git", "ls-tree", "--name-only", "gatehouse-journal")
    ).stdout;
    const sizes = (
      await git(repo.root, "--git-dir", "origin.git", "ls-tree", "-l", "gatehouse-journal")
    ).stdout
      .trim()
      .split("\n")
      .map((l) => Number(l.split(/\s+/)[3]));
    expect(names.split("\n").filter((n) => n.startsWith("journal.jsonl."))).toHaveLength(
      Math.ceil(Buffer.byteLength(journal) / 1000),
    );
    for (const size of sizes) expect(size).toBeLessThanOrEqual(1000);

    // The next run restores it exactly, appends, and keeps it: the earlier full pieces are unchanged.
    const second = await repo.clone();
    await script(second, "restore");
    expect(await readFile(path.join(second, ".gatehouse/journal.jsonl"), "utf8")).toBe(journal);
    const before = (await git(repo.root, "--git-dir", "origin.git", "ls-tree", "gatehouse-journal")).stdout
      .trim()
      .split("\n");
    await appendFile(path.join(second, ".gatehouse/journal.jsonl"), lines(120, 130));
    await script(second, "keep");
    const after = (await git(repo.root, "--git-dir", "origin.git", "ls-tree", "gatehouse-journal")).stdout
      .trim()
      .split("\n");
    expect(after.slice(0, before.length - 1)).toEqual(before.slice(0, -1));
    const third = await repo.clone();
    await script(third, "restore");
    expect(await readFile(path.join(third, ".gatehouse/journal.jsonl"), "utf8")).toBe(
      journal + lines(120, 130),
    );
    // Nothing new: nothing committed.
    const head = (await git(repo.root, "--git-dir", "origin.git", "rev-parse", "gatehouse-journal")).stdout;
    await script(third, "keep");
    expect((await git(repo.root, "--git-dir", "origin.git", "rev-parse", "gatehouse-journal")).stdout).toBe(
      head,
    );
  });

  it("keeps the default pin file beside the journal, since .gatehouse/ is never committed", async () => {
    const repo = await origin();
    const first = await repo.clone();
    await mkdir(path.join(first, ".gatehouse"), { recursive: true });
    const pins = JSON.stringify({ version: 1, accounts: { "carol-gh": 5101 } }) + "\n";
    await writeFile(path.join(first, ".gatehouse/journal.jsonl"), lines(1, 5));
    await writeFile(path.join(first, ".gatehouse/github-ids.json"), pins);
    // A second organization's provider with an idsFile of its own in the folder, and a file that is no pins.
    await writeFile(path.join(first, ".gatehouse/github-b-ids.json"), pins);
    await writeFile(path.join(first, ".gatehouse/plan.json"), "{}\n");
    await script(first, "keep");

    // The next run gets them back with the journal, pins some more, and keeps them again.
    const second = await repo.clone();
    await script(second, "restore");
    expect(await readFile(path.join(second, ".gatehouse/github-ids.json"), "utf8")).toBe(pins);
    expect(await readFile(path.join(second, ".gatehouse/github-b-ids.json"), "utf8")).toBe(pins);
    expect(existsSync(path.join(second, ".gatehouse/plan.json"))).toBe(false);
    const more = JSON.stringify({ version: 1, accounts: { "carol-gh": 5101, "erin-gh": 5105 } }) + "\n";
    await writeFile(path.join(second, ".gatehouse/github-ids.json"), more);
    await script(second, "keep");
    // A run whose checkout has no pin file (it never restored one) keeps the journal and leaves the pins.
    const third = await repo.clone();
    await script(third, "restore");
    await rm(path.join(third, ".gatehouse/github-ids.json"));
    await appendFile(path.join(third, ".gatehouse/journal.jsonl"), lines(5, 6));
    await script(third, "keep");
    const fourth = await repo.clone();
    await script(fourth, "restore");
    expect(await readFile(path.join(fourth, ".gatehouse/github-ids.json"), "utf8")).toBe(more);
    expect(await readFile(path.join(fourth, ".gatehouse/journal.jsonl"), "utf8")).toBe(lines(1, 6));
    // GATEHOUSE_JOURNAL_BESIDE names the files to keep instead: empty, none is restored.
    const fifth = await repo.clone();
    await run("bash", [SCRIPT, "restore", ".gatehouse/journal.jsonl"], {
      cwd: fifth,
      env: { ...env, GATEHOUSE_JOURNAL_BESIDE: "" },
    });
    expect(existsSync(path.join(fifth, ".gatehouse/github-ids.json"))).toBe(false);
    expect(await readFile(path.join(fifth, ".gatehouse/journal.jsonl"), "utf8")).toBe(lines(1, 6));
  });

  it("leaves no worktree behind, so keep runs again in the same clone after a push that failed", async () => {
    const repo = await origin();
    const clone = await repo.clone();
    await mkdir(path.join(clone, ".gatehouse"), { recursive: true });
    await writeFile(path.join(clone, ".gatehouse/journal.jsonl"), lines(1, 10));
    // A push that fails (origin gone for a moment): the script fails, and cleans up after itself.
    await git(clone, "remote", "set-url", "origin", path.join(repo.root, "missing.git"));
    await expect(script(clone, "keep")).rejects.toThrow();
    const worktrees = async () =>
      (await git(clone, "worktree", "list", "--porcelain")).stdout
        .split("\n")
        .filter((l) => l.startsWith("worktree "));
    expect(await worktrees()).toHaveLength(1);
    await git(clone, "remote", "set-url", "origin", path.join(repo.root, "origin.git"));
    await script(clone, "keep");
    await script(clone, "keep");
    expect(await worktrees()).toHaveLength(1);
    const kept = await repo.clone();
    await script(kept, "restore");
    expect(await readFile(path.join(kept, ".gatehouse/journal.jsonl"), "utf8")).toBe(lines(1, 10));
  });

  it("restores a journal kept whole by an earlier version, and keeps it in pieces from then on", async () => {
    const repo = await origin();
    const first = await repo.clone();
    await git(first, "checkout", "-q", "--orphan", "gatehouse-journal");
    await git(first, "rm", "-rfq", ".");
    await writeFile(path.join(first, "journal.jsonl"), lines(1, 50));
    await git(first, "add", "journal.jsonl");
    await git(first, "commit", "-qm", "journal kept whole");
    await git(first, "push", "-q", "origin", "gatehouse-journal");

    const second = await repo.clone();
    await script(second, "restore");
    expect(await readFile(path.join(second, ".gatehouse/journal.jsonl"), "utf8")).toBe(lines(1, 50));
    await script(second, "keep");
    const names = (
      await git(repo.root, "--git-dir", "origin.git", "ls-tree", "--name-only", "gatehouse-journal")
    ).stdout;
    expect(names.split("\n")).not.toContain("journal.jsonl");
    const third = await repo.clone();
    await script(third, "restore");
    expect(await readFile(path.join(third, ".gatehouse/journal.jsonl"), "utf8")).toBe(lines(1, 50));
  });
});
