import type { SimpleGit } from "simple-git";

/** simple-git, loaded when a command first asks git something. */
export async function gitAt(baseDir: string): Promise<SimpleGit> {
  const { simpleGit } = await import("simple-git");
  return simpleGit({ baseDir });
}

/** A commit as plans and the journal record it: "<sha>", or "<sha>+dirty" for uncommitted edits. */
export function recordedCommit(found: { readonly commit: string; readonly isDirty: boolean }): string {
  return found.commit + (found.isDirty ? "+dirty" : "");
}

/** Whether `text` is a whole commit id (sha-1 or sha-256), as the journal records a run's commit. */
export function isFullCommit(text: string): boolean {
  return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(text);
}

/** A run's commit as the journal records it ("<sha>", or "<sha>+dirty" for uncommitted edits), as a commit. */
export function withoutDirty(recorded: string): string {
  return recorded.replace(/\+dirty$/, "");
}

/** The commit that holds the access files, and whether they have uncommitted edits. Undefined outside git. */
export async function describeAccessCommit(
  cwd: string,
  dir: string,
): Promise<{ commit: string; isDirty: boolean } | undefined> {
  try {
    const git = await gitAt(cwd);
    if (!(await git.checkIsRepo())) return undefined;
    const commit = (await git.revparse(["HEAD"])).trim();
    const status = await git.status(["--", dir]);
    return { commit, isDirty: !status.isClean() };
  } catch {
    return undefined; // no commits yet, or git missing: the plan simply has no commit
  }
}

/**
 * Commits on the first-parent line from `since` (exclusive) to HEAD that changed `dir`, newest first: what
 * reached the branch since the last apply. Only HEAD's when `since` is unknown or not a commit here.
 * Undefined outside git.
 */
export async function accessCommitsSince(
  cwd: string,
  dir: string,
  since: string | undefined,
): Promise<{ commits: string[]; unknownSince?: string } | undefined> {
  try {
    const git = await gitAt(cwd);
    if (!(await git.checkIsRepo())) return undefined;
    const head = (await git.revparse(["HEAD"])).trim();
    const known =
      since !== undefined &&
      /^[0-9a-f]{40,64}$/.test(since) &&
      (await git.raw(["cat-file", "-t", since]).then(
        (t) => t.trim() === "commit",
        () => false,
      ));
    // Not here (a shallow clone, or history rewritten): only HEAD can be named, and the caller says so.
    if (!known) return { commits: [head], ...(since === undefined ? {} : { unknownSince: since }) };
    const log = await git.raw(["log", "--first-parent", "--format=%H", `${since}..HEAD`, "--", dir]);
    return { commits: log.split("\n").filter((l) => l !== "") };
  } catch {
    return undefined;
  }
}

/** Who runs this apply: the CI actor, else the git user, else the OS user. */
export async function describeActor(
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string> {
  const ci = env["GITHUB_ACTOR"];
  if (ci) return `github:${ci}`;
  try {
    const name = (await (await gitAt(cwd)).raw(["config", "user.email"])).trim();
    if (name) return name;
  } catch {
    // fall through
  }
  return env["USER"] ?? env["LOGNAME"] ?? "unknown";
}

/**
 * Which of `commits` are not in the history of HEAD (rewritten away, or never there), as git sees it in
 * `cwd`. Undefined when that cannot be told: not a repository, or a shallow clone (which lacks history).
 */
export async function commitsOffHistory(
  cwd: string,
  commits: readonly string[],
): Promise<string[] | undefined> {
  try {
    const git = await gitAt(cwd);
    if (!(await git.checkIsRepo())) return undefined;
    if ((await git.revparse(["--is-shallow-repository"])).trim() === "true") return undefined;
    // One listing of every commit HEAD descends from, however many runs the journal holds.
    const history = new Set((await git.raw(["rev-list", "HEAD"])).split("\n").filter((l) => l !== ""));
    const off: string[] = [];
    for (const commit of commits) {
      if (!/^[0-9a-f]{40}$/.test(commit)) continue; // not a full commit id: nothing to look up
      if (!history.has(commit)) off.push(commit);
    }
    return off;
  } catch {
    return undefined;
  }
}
