/**
 * The access files as they were at a commit of the repository, written out under a temporary folder, so
 * that a command reading files (explain) can answer for a past date: git history is the audit log of
 * intent. Only the access folder is written, from git's objects (no checkout: the working tree and the
 * index are left alone).
 */
import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { SimpleGit } from "simple-git";
import { readGitBlobs } from "./git.ts";

export interface FilesAtCommit {
  readonly commit: string;
  /** The commit's committer date (ISO 8601). */
  readonly committedAt: string;
  readonly subject: string;
  /** Stands for the command's working directory: the access folder is `dir` under it. */
  readonly cwd: string;
  /** The access folder, relative to `cwd` (as given, unless that was an absolute path). */
  readonly dir: string;
  /** Number of files written. */
  readonly files: number;
  /**
   * With a `before` query: a commit older in history (on the first-parent line) than the one found, yet
   * dated after the instant: the commit dates are not in order (a rebase or cherry-pick that kept old
   * dates, a clock gone wrong), so which files held then is uncertain.
   */
  readonly datesOutOfOrder?: { readonly commit: string; readonly committedAt: string };
  /** Removes the temporary folder. */
  dispose(): Promise<void>;
}

/** Why the files could not be had (not a repository, no such revision, no commit by then). */
export class FilesAtError extends Error {}

/** What to look for: the last commit on HEAD's first-parent line at or before an instant, or a revision. */
export type CommitQuery = { readonly before: Date } | { readonly revision: string };

/**
 * Writes the files under `dir` (relative to `cwd`) as the commit `query` names holds them into a new
 * temporary folder. Throws FilesAtError for anything the user can fix.
 */
export async function accessFilesAt(cwd: string, dir: string, query: CommitQuery): Promise<FilesAtCommit> {
  const { simpleGit } = await import("simple-git");
  const git = simpleGit({ baseDir: cwd });
  const isRepo = await git.checkIsRepo().catch(() => false);
  if (!isRepo) throw new FilesAtError(`${cwd} is not in a git repository: the files' history is git's`);
  const { commit, datesOutOfOrder } = await findCommit(git, query, dir);
  const top = (await git.revparse(["--show-toplevel"])).trim();
  // Where cwd is in the repository ("" or "sub/dir/"), and so where the access folder is.
  const prefix = (await git.revparse(["--show-prefix"])).trim();
  const inRepo = path.isAbsolute(dir)
    ? toGitPath(path.relative(await realpath(top), await realpath(dir).catch(() => dir)))
    : path.posix.normalize(prefix + toGitPath(dir)).replace(/\/$/, "");
  if (inRepo.startsWith("../") || inRepo === ".." || path.isAbsolute(inRepo))
    throw new FilesAtError(`${dir} is outside the repository at ${top}`);
  const [committedAt = "", subject = ""] = (await git.show(["-s", "--format=%cI%x00%s", commit]))
    .trim()
    .split("\0");
  const blobs = await blobsUnder(git, commit, inRepo);
  const root = await mkdtemp(path.join(tmpdir(), "gatehouse-at-"));
  try {
    const contents = await readGitBlobs(
      top,
      blobs.map((b) => b.object),
      (message) => new FilesAtError(message),
    );
    for (const blob of blobs) {
      const target = path.join(root, ...blob.path.split("/"));
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, contents.get(blob.object) ?? Buffer.alloc(0));
    }
    // An empty folder still says "no files then" rather than "no such folder".
    await mkdir(path.join(root, ...inRepo.split("/")), { recursive: true });
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  return {
    commit,
    committedAt,
    subject,
    cwd: path.join(root, ...prefix.split("/")),
    dir: path.posix.relative(prefix.replace(/\/$/, "") || ".", inRepo) || ".",
    files: blobs.length,
    ...(datesOutOfOrder === undefined ? {} : { datesOutOfOrder }),
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}

async function findCommit(
  git: SimpleGit,
  query: CommitQuery,
  dir: string,
): Promise<{ commit: string; datesOutOfOrder?: { commit: string; committedAt: string } }> {
  if ("revision" in query) {
    // `--end-of-options` keeps a revision that starts with "-" from being read as an option.
    const found = await git
      .raw(["rev-parse", "--verify", "--quiet", "--end-of-options", `${query.revision}^{commit}`])
      .catch(() => "");
    if (found.trim() === "") throw new FilesAtError(`no commit "${query.revision}" in this repository`);
    return { commit: found.trim() };
  }
  // The first-parent line with committer dates, newest first: the first commit dated at or before the
  // instant is the one (as `rev-list --before` picks it); one further down dated after it means the dates
  // are not in order, and the answer cannot be trusted to be the files of then.
  const log = await git.raw(["log", "--first-parent", "--format=%H %ct", "HEAD"]).catch(() => "");
  const limit = Math.floor(query.before.getTime() / 1000);
  let commit: string | undefined;
  for (const line of log.split("\n")) {
    const [sha, seconds] = line.split(" ");
    if (sha === undefined || seconds === undefined || sha === "") continue;
    const at = Number(seconds);
    if (commit === undefined) {
      if (at <= limit) commit = sha;
    } else if (at > limit)
      return { commit, datesOutOfOrder: { commit: sha, committedAt: new Date(at * 1000).toISOString() } };
  }
  if (commit === undefined)
    throw new FilesAtError(
      `no commit at or before ${query.before.toISOString()}: the repository's history of ${dir} starts later`,
    );
  return { commit };
}

/** Every file (blob) under `inRepo` at `commit`: its object id and path from the repository's top. */
async function blobsUnder(
  git: SimpleGit,
  commit: string,
  inRepo: string,
): Promise<{ object: string; path: string }[]> {
  const listing = await git.raw(["ls-tree", "-r", "-z", "--full-tree", commit, "--", inRepo]);
  const blobs: { object: string; path: string }[] = [];
  for (const line of listing.split("\0")) {
    // "<mode> <type> <object>\t<path>"; symbolic links (120000) and submodules are not access files.
    const tab = line.indexOf("\t");
    const [mode, type, object] = line.slice(0, tab).split(" ");
    if (tab < 0 || type !== "blob" || mode === "120000" || object === undefined) continue;
    const file = line.slice(tab + 1);
    // git refuses to check out such paths; a crafted tree could still hold one: never write outside.
    if (file.split("/").some((part) => part === "" || part === "." || part === ".."))
      throw new FilesAtError(
        `commit ${commit} holds a path git would not check out: ${JSON.stringify(file)}`,
      );
    blobs.push({ object, path: file });
  }
  return blobs;
}

function toGitPath(relative: string): string {
  return relative.split(path.sep).join("/");
}
