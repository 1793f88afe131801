import { spawn } from "node:child_process";
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

/**
 * The bytes of each of `blobs` (object ids), read by one `git cat-file --batch` process in `cwd`: one
 * process per file costs seconds on the two hundred files of a large organization. A blob asked twice is
 * read once. What goes wrong (git missing or failing, a blob the repository does not have, output cut
 * short) is thrown as `fail` makes it, for the caller to say as its own.
 */
export function readGitBlobs(
  cwd: string,
  blobs: readonly string[],
  fail: (message: string) => Error,
): Promise<Map<string, Buffer>> {
  const wanted = [...new Set(blobs)];
  if (wanted.length === 0) return Promise.resolve(new Map<string, Buffer>());
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["cat-file", "--batch"], { cwd, stdio: ["pipe", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    const errors: Buffer[] = [];
    let failure: Error | undefined;
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => errors.push(chunk));
    child.stdin.on("error", (error) => (failure ??= error)); // the exit below says why
    child.on("error", (error) => {
      const failed = fail(`git cat-file failed: ${error.message}`);
      failed.cause = error;
      reject(failed);
    });
    child.on("close", (code) => {
      const detail = Buffer.concat(errors).toString("utf8").trim();
      if (code !== 0 || failure !== undefined) {
        const why = detail !== "" ? detail : (failure?.message ?? `exit ${String(code)}`);
        reject(fail(`git cat-file failed: ${why}`));
        return;
      }
      try {
        resolve(parseBatch(Buffer.concat(chunks), wanted, fail));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    child.stdin.end(wanted.map((blob) => `${blob}\n`).join(""));
  });
}

/** `git cat-file --batch` output: for each object asked, `<id> <type> <size>\n<bytes>\n`, in order. */
function parseBatch(
  out: Buffer,
  wanted: readonly string[],
  fail: (message: string) => Error,
): Map<string, Buffer> {
  const blobs = new Map<string, Buffer>();
  let at = 0;
  for (const blob of wanted) {
    const eol = out.indexOf(0x0a, at);
    const header = eol < 0 ? "" : out.toString("utf8", at, eol);
    const match = /^([0-9a-f]+) blob (\d+)$/.exec(header);
    if (match?.[1] !== blob) throw fail(`git cat-file: no blob ${blob} (${header || "no answer"})`);
    const size = Number(match[2]);
    const end = eol + 1 + size;
    if (end >= out.length || out[end] !== 0x0a) throw fail(`git cat-file: blob ${blob} is cut short`);
    blobs.set(blob, out.subarray(eol + 1, end));
    at = end + 1;
  }
  return blobs;
}
