/**
 * Reads files at a git revision without checking it out: the access tree as it stands on the base branch (or at
 * a pull request's head) is written into a temporary folder, as plain data. Nothing from it is executed.
 */
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError } from "../errors.ts";
import { readGitBlobs } from "../audit/git.ts";

const MAX_BUFFER = 64 * 1024 * 1024;

function git(cwd: string, args: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      [...args],
      { cwd, encoding: "buffer", maxBuffer: MAX_BUFFER },
      (error, stdout, stderr) => {
        if (error) {
          const detail = stderr.toString("utf8").trim();
          reject(
            new ConfigError(`git ${args[0] ?? ""} failed: ${detail || error.message}`, [], { cause: error }),
          );
        } else resolve(stdout);
      },
    );
  });
}

/** The full commit id a revision names; a ConfigError when the repository does not have it. */
export async function resolveRevision(cwd: string, revision: string): Promise<string> {
  if (revision.startsWith("-")) throw new ConfigError(`"${revision}" is not a git revision`);
  const out = await git(cwd, ["rev-parse", "--verify", "--quiet", `${revision}^{commit}`]).catch(
    (error: unknown) => {
      throw new ConfigError(
        `git has no commit "${revision}" here; fetch it first (actions/checkout with fetch-depth: 0)`,
        [],
        { cause: error },
      );
    },
  );
  return out.toString("utf8").trim();
}

/** One regular file (mode 100644 or 100755) under `dir` at `commit`: its path and blob id. */
export interface TreeEntry {
  readonly path: string;
  readonly blob: string;
}

/** The regular files under `dir` (repository-relative; "." for all) at `commit`, with their blob ids. */
export async function listFiles(cwd: string, commit: string, dir: string): Promise<TreeEntry[]> {
  const out = await git(cwd, ["ls-tree", "-r", "-z", "--full-tree", commit, "--", dir]);
  const entries: TreeEntry[] = [];
  for (const record of out.toString("utf8").split("\0")) {
    const match = /^(\d{6}) (\w+) ([0-9a-f]+)\t(.+)$/s.exec(record);
    if (!match) continue;
    const [, mode, type, blob, file] = match;
    // Symbolic links and submodules are not data: the loader would refuse them anyway.
    if (type !== "blob" || (mode !== "100644" && mode !== "100755") || !blob || !file) continue;
    entries.push({ path: file, blob });
  }
  return entries;
}

/** Paths that differ between two commits (renames count as both paths). */
export async function changedPaths(cwd: string, from: string, to: string): Promise<string[]> {
  const out = await git(cwd, ["diff", "--name-only", "-z", "--no-renames", from, to, "--"]);
  return out
    .toString("utf8")
    .split("\0")
    .filter((p) => p !== "");
}

/**
 * The bytes of each of `blobs`, read by one `git cat-file --batch` process: one process per file costs
 * seconds on the two hundred files of a large organization.
 */
export function readBlobs(cwd: string, blobs: readonly string[]): Promise<Map<string, Buffer>> {
  return readGitBlobs(cwd, blobs, (message) => new ConfigError(message));
}

export interface MaterializedTree {
  /** A temporary working directory holding `dir` as it is at the commit. */
  readonly cwd: string;
  readonly commit: string;
  /** Where each blob written sits (one file per blob), so another tree can copy it instead of reading git. */
  readonly files: ReadonlyMap<string, string>;
  remove(): Promise<void>;
}

/**
 * Writes every regular file under `dir` (relative to the repository root `cwd`) at `revision` into a new
 * temporary folder, keeping relative paths, so `validateAccessTree(dir, { cwd: tree.cwd })` reads that version.
 * Files whose blob `reuse` (another revision's tree, still there) holds are copied from it: a pull request
 * changes a few files of hundreds.
 */
export async function materializeTree(
  cwd: string,
  revision: string,
  dir: string,
  reuse?: MaterializedTree,
): Promise<MaterializedTree> {
  const commit = await resolveRevision(cwd, revision);
  const target = await mkdtemp(path.join(tmpdir(), "gatehouse-tree-"));
  const files = new Map<string, string>();
  try {
    const normalized = path.posix.normalize(dir.split(path.sep).join("/"));
    if (normalized.startsWith("..") || path.posix.isAbsolute(normalized))
      throw new ConfigError(`--dir must be inside the repository to be read from git (got ${dir})`);
    const entries = (await listFiles(cwd, commit, normalized)).flatMap((entry) => {
      const file = path.join(target, ...entry.path.split("/"));
      return file.startsWith(target + path.sep) ? [{ ...entry, file }] : [];
    });
    const read = await readBlobs(
      cwd,
      entries.flatMap((e) => (reuse?.files.has(e.blob) === true ? [] : [e.blob])),
    );
    for (const entry of entries) {
      await mkdir(path.dirname(entry.file), { recursive: true });
      const copy = reuse?.files.get(entry.blob);
      const bytes = read.get(entry.blob);
      if (bytes !== undefined) await writeFile(entry.file, bytes);
      else if (copy !== undefined) await copyFile(copy, entry.file);
      else throw new ConfigError(`git cat-file: no blob ${entry.blob}`);
      if (!files.has(entry.blob)) files.set(entry.blob, entry.file);
    }
  } catch (error) {
    await rm(target, { recursive: true, force: true });
    throw error;
  }
  return { cwd: target, commit, files, remove: () => rm(target, { recursive: true, force: true }) };
}

/** One file's bytes at a revision, or undefined when it does not exist there. */
export async function readFileAt(cwd: string, revision: string, file: string): Promise<Buffer | undefined> {
  const commit = await resolveRevision(cwd, revision);
  const entries = await listFiles(cwd, commit, file);
  const entry = entries.find((e) => e.path === file);
  return entry ? git(cwd, ["cat-file", "blob", entry.blob]) : undefined;
}

/** The commits of `revision`'s first-parent line, oldest first. */
export async function firstParentLine(cwd: string, revision: string): Promise<string[]> {
  const commit = await resolveRevision(cwd, revision);
  const out = await git(cwd, ["rev-list", "--first-parent", "--reverse", commit]);
  return out
    .toString("utf8")
    .split("\n")
    .filter((l) => l !== "");
}
