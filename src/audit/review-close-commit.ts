/**
 * The commit `gatehouse review close` makes on the branch from the scheduled workflow: pushed without a
 * pull request, as it should be (it only does what the access reviews' policy says: revoke what the owners
 * did not re-certify by the due day). It is told apart from a commit someone pushed past review by two
 * things together: the trailer `review close --message-file` writes into its message (which names the
 * run), and its content, which must be nothing but what `review close` does. A trailer alone is a claim
 * anyone can write: a commit carrying it that also changes anything else is said to be so.
 */
import path from "node:path";
import { afterDay } from "../lifecycle/status.ts";
import { isObj } from "../load/read-data.ts";
import { parseAccessFile } from "../load/parse.ts";
import { canonicalJson } from "./canonical-json.ts";
import { gitAt, readGitBlobs } from "./git.ts";

/** The trailer whose value names the run that made a `review close` commit. */
export const REVIEW_CLOSE_TRAILER = "Gatehouse-Review-Close";

/**
 * What a commit carrying the trailer is. `job` says which scheduled job's trailer it carries: absent,
 * `review close`'s; `prune`, gatehouse prune's (PRUNE_TRAILER: expired grants deleted).
 */
export type ReviewCloseCommit =
  /** Only what the job does (review close: review blocks past due, or with nothing pending, and their pending members' lines removed). */
  | { readonly kind: "verified"; readonly run: string; readonly job?: "prune" }
  /** The trailer is there, but the commit does more (or other) than the job does: why. */
  | { readonly kind: "not-only-close"; readonly run: string; readonly why: string; readonly job?: "prune" };

/** The scheduled job a commit's trailer names, as the text says it. */
export function scheduledJob(c: ReviewCloseCommit): string {
  return c.job === "prune" ? "prune" : "review close";
}

/** The scheduled jobs whose commits carry a trailer, and what each may change (notOnlyReviewClose, notOnlyPrune). */
export type ContentCheck = (changes: readonly FileChange[], at: Date) => string | undefined;

/** One access file the commit changed: its data before and after, as the project's loader reads them. */
export interface FileChange {
  readonly file: string;
  /** Undefined: the file did not exist (added), or did not parse. */
  readonly before: unknown;
  readonly after: unknown;
  readonly isReadable: boolean;
}

/** A mapping, whose keys may be set (the data of a parsed file, or a clone of it). */
export const isRecord = (value: unknown): value is Record<string, unknown> => isObj(value);

/** The user a member entry names: a plain id, or a mapping's `user` (a grant). */
export function entryUser(entry: unknown): string | undefined {
  const user = typeof entry === "string" ? entry : isRecord(entry) ? entry["user"] : undefined;
  return typeof user === "string" ? user : undefined;
}

/**
 * Why the changes are not only what `review close` does when committed at `at`; undefined when they are.
 * `review close` removes a group's review block, and every member line and grant of the users still
 * pending in it, from the day after its due day on (a review with nothing pending, whenever it runs),
 * and changes nothing else: no file added or removed, no other key, no group added, moved or renamed.
 */
export function notOnlyReviewClose(changes: readonly FileChange[], at: Date): string | undefined {
  let closed = 0;
  for (const change of changes) {
    if (!change.isReadable) return `${change.file} does not read as YAML on both sides`;
    const { before, after } = change;
    if (before === undefined || after === undefined)
      return `it ${before === undefined ? "adds" : "deletes"} ${change.file}`;
    const was = isRecord(before) ? before["groups"] : undefined;
    const now = isRecord(after) ? after["groups"] : undefined;
    if (!Array.isArray(was) || !Array.isArray(now) || was.length !== now.length)
      return `it changes more than review blocks in ${change.file} (its groups are not the same groups)`;
    const expected = structuredClone(before) as Record<string, unknown>;
    const groups = expected["groups"] as unknown[];
    for (const [index, group] of groups.entries()) {
      const later: unknown = now[index];
      if (!isRecord(group) || !isRecord(later) || !isRecord(group["review"]) || "review" in later) continue;
      const review = group["review"];
      const name = typeof group["name"] === "string" ? group["name"] : `#${String(index + 1)}`;
      const pending = Array.isArray(review["pending"])
        ? review["pending"].filter((p): p is string => typeof p === "string" && p !== "")
        : [];
      const due = typeof review["due"] === "string" ? review["due"] : "";
      // Past due from midnight UTC after the due day; with nothing pending, whenever it runs.
      if (pending.length > 0 && !(at.getTime() >= afterDay(due)))
        return `it removes the review block of ${name} (due ${due}) before the due day passed, with names pending`;
      const revoke = new Set(pending);
      delete group["review"];
      const members = group["members"];
      if (Array.isArray(members))
        group["members"] = members.filter((m) => {
          const user = entryUser(m);
          return user === undefined || !revoke.has(user);
        });
      closed++;
    }
    if (canonicalJson(expected) !== canonicalJson(after))
      return `it changes more in ${change.file} than review blocks and their pending members' lines${firstDifference(expected, after)}`;
  }
  return closed === 0 ? "it closes no access review" : undefined;
}

/** Which group (or other key) first differs, to name in the reason. */
function firstDifference(expected: Record<string, unknown>, after: unknown): string {
  if (!isRecord(after)) return "";
  const groups = expected["groups"];
  const now = after["groups"];
  if (Array.isArray(groups) && Array.isArray(now))
    for (const [index, group] of groups.entries())
      if (canonicalJson(group) !== canonicalJson(now[index])) {
        const name = isRecord(group) ? group["name"] : undefined;
        return ` (group ${typeof name === "string" ? name : `#${String(index + 1)}`})`;
      }
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(after)])].filter(
    (k) => canonicalJson(expected[k]) !== canonicalJson(after[k]),
  );
  return keys.length === 0 ? "" : ` (${keys.join(", ")})`;
}

/** Why a commit could not be checked: git failing. */
class CheckError extends Error {}

/**
 * Whether commit `sha` of the repository at `cwd` is a `review close` commit: undefined when its message
 * has no trailer; else verified, or why not. `dir` is the access folder (relative to `cwd`, or absolute).
 * The commit must have one parent, change only access files (of `dir`, nothing outside it) and change them
 * only as `review close` does, at its committer date.
 */
export function checkReviewCloseCommit(
  cwd: string,
  dir: string,
  sha: string,
): Promise<ReviewCloseCommit | undefined> {
  return checkTrailedCommit(cwd, dir, sha, REVIEW_CLOSE_TRAILER, notOnlyReviewClose);
}

/**
 * Whether commit `sha` carries `trailer` (a scheduled job's) and does only what `isOnly` allows: undefined
 * without the trailer; else verified, or why not. The commit must have one parent and change only access
 * files (of `dir`, nothing outside it), judged at its committer date.
 */
export async function checkTrailedCommit(
  cwd: string,
  dir: string,
  sha: string,
  trailer: string,
  isOnly: ContentCheck,
  job?: "prune",
): Promise<ReviewCloseCommit | undefined> {
  const git = await gitAt(cwd);
  // git reads the trailers (review history's walk asks git for them the same way).
  const shown = await git.raw([
    "show",
    "-s",
    `--format=%P%x00%cI%x00%(trailers:key=${trailer},valueonly,separator=%x1f)`,
    sha,
  ]);
  const [parents = "", committedAt = "", trailers = ""] = shown.split("\0");
  const run = trailers.trim().split("\x1f").at(-1)?.trim() ?? "";
  if (run === "") return undefined;
  const of = job === undefined ? {} : { job };
  const not = (why: string): ReviewCloseCommit => ({ kind: "not-only-close", run, why, ...of });
  try {
    const why = await notOnlyCloseWhy(git, dir, sha, parents, committedAt, isOnly);
    return why === undefined ? { kind: "verified", run, ...of } : not(why);
  } catch (error) {
    // Not verified is what a commit that cannot be checked is: said, never taken on its word.
    return not(`it could not be checked (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** Why the commit is not only a `review close`; undefined when it is. */
async function notOnlyCloseWhy(
  git: Awaited<ReturnType<typeof gitAt>>,
  dir: string,
  sha: string,
  parents: string,
  committedAt: string,
  isOnly: ContentCheck,
): Promise<string | undefined> {
  const parentList = parents
    .trim()
    .split(" ")
    .filter((p) => p !== "");
  if (parentList.length !== 1 || parentList[0] === undefined)
    return parentList.length === 0 ? "it is the first commit" : "it is a merge commit";
  const top = (await git.revparse(["--show-toplevel"])).trim();
  const prefix = (await git.revparse(["--show-prefix"])).trim();
  const inRepo = path.isAbsolute(dir)
    ? path.relative(top, dir).split(path.sep).join("/")
    : path.posix.normalize(prefix + dir.split(path.sep).join("/")).replace(/\/$/, "");
  // Every path the commit changed, in the whole tree: anything outside the access files is not close's.
  const raw = await git.raw([
    "diff-tree",
    "-r",
    "-z",
    "--raw",
    "--no-renames",
    "--no-abbrev",
    parentList[0],
    sha,
  ]);
  const fields = raw.split("\0");
  const entries: { file: string; mode: string; oldBlob: string; newBlob: string; status: string }[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const match = /^:(\d+) (\d+) ([0-9a-f]+) ([0-9a-f]+) ([A-Z])/.exec(fields[i] ?? "");
    if (match === null) continue;
    const [, oldMode = "", mode = "", oldBlob = "", newBlob = "", status = ""] = match;
    entries.push({
      file: fields[i + 1] ?? "",
      mode: status === "D" ? oldMode : mode,
      oldBlob,
      newBlob,
      status,
    });
  }
  const outside = entries.find(
    (e) => !(e.file.startsWith(`${inRepo}/`) && /\.ya?ml$/i.test(e.file)) || !/^1006[0-9]{2}$/.test(e.mode),
  );
  if (outside !== undefined) return `it changes ${outside.file}, which is not an access file`;
  const isNull = (blob: string) => /^0+$/.test(blob);
  const blobs = await readGitBlobs(
    top,
    entries.flatMap((e) => [e.oldBlob, e.newBlob].filter((b) => !isNull(b))),
    (m) => new CheckError(m),
  );
  const read = (file: string, blob: string): { data: unknown; ok: boolean } => {
    if (isNull(blob)) return { data: undefined, ok: true };
    const parsed = parseAccessFile(file, blobs.get(blob) ?? Buffer.alloc(0));
    return parsed.document === undefined
      ? { data: undefined, ok: false }
      : { data: parsed.document.data, ok: true };
  };
  const changes = entries.map((e): FileChange => {
    const before = read(e.file, e.oldBlob);
    const after = read(e.file, e.newBlob);
    return { file: e.file, before: before.data, after: after.data, isReadable: before.ok && after.ok };
  });
  return isOnly(changes, new Date(committedAt.trim()));
}
