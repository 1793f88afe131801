/**
 * The groups of the access files at each commit of HEAD's first-parent line that changed them, oldest
 * first, as git holds them: what `review history` folds into access reviews. One `git log --raw` names
 * every file each commit changed; the files are read with one `git cat-file --batch` and parsed with the
 * project's YAML loader, each version of a file once.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { isObj, list, str, strList } from "../load/read-data.ts";
import { parseAccessFile } from "../load/parse.ts";
import { gitAt, readGitBlobs } from "./git.ts";
import { groupBlocksOf, type GroupBlock } from "./review-blocks.ts";
import {
  checkReviewCloseCommit,
  REVIEW_CLOSE_TRAILER,
  type ReviewCloseCommit,
} from "./review-close-commit.ts";

/** A commit of the first-parent line: who wrote it, who committed it, when. */
export interface CommitInfo {
  readonly commit: string;
  readonly author: string;
  readonly authorEmail: string;
  /** Author and committer dates (ISO 8601); the committer date is when it reached the branch. */
  readonly authoredAt: string;
  readonly committer: string;
  readonly committerEmail: string;
  readonly committedAt: string;
  readonly subject: string;
  /**
   * Present when its message carries the trailer `review close --message-file` writes: a commit of the
   * scheduled `review close` (verified: it does only that), or one that claims to be and does more.
   */
  readonly reviewClose?: ReviewCloseCommit;
}

/** One group as a commit's files define it: the users it lists itself, and its review block. */
export interface GroupAt extends GroupBlock {
  /** The file (from the repository's top) that defines it. */
  readonly file: string;
}

/** One commit as the walk hands it over, once the access files are as it left them. */
export interface CommitGroups {
  readonly info: CommitInfo;
  /** Every group the access files define after this commit, by name: valid during the call only. */
  readonly groups: ReadonlyMap<string, GroupAt>;
  /** Names the files this commit changed defined before it or define after it: only these can differ. */
  readonly changed: ReadonlySet<string>;
  /** Whether a group of this name was defined before this commit. */
  wasDefined(name: string): boolean;
  /** Each id a user's `formerIds` lists → their id at this commit (a person renamed is no one revoked). */
  readonly formerIds: ReadonlyMap<string, string>;
}

export interface AccessHistory {
  /** The access folder, from the repository's top. */
  readonly dir: string;
  /** The oldest commit walked, and whether a review was open in it. */
  readonly first?: { readonly info: CommitInfo; readonly hasReview: boolean };
  /** Every group name and former name any commit defined. */
  readonly names: ReadonlySet<string>;
  /** Versions of files that could not be read as YAML: "file: why" (the last readable one stands for them). */
  readonly unreadable: readonly string[];
  /**
   * A shallow clone: the first-parent line stops at this commit, whose own parents are not here; the
   * files it holds are known, not how they came to be.
   */
  readonly cutAt?: CommitInfo;
}

/** Why the history could not be read: not a repository, the folder outside it, git failing. */
export class ReviewHistoryError extends Error {}

const FORMAT = `%x01%H%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%s%x00%(trailers:key=${REVIEW_CLOSE_TRAILER},valueonly,separator=%x1f)`;

/** Commits whose changed files are read together: git's process per batch, and bounded memory. */
const BATCH_COMMITS = 256;

/**
 * Hands `onCommit` each commit of HEAD's first-parent line that changed the access folder `dir` (relative
 * to `cwd`), oldest first, with the groups as that commit left them. Files are read in batches of
 * commits, each file version parsed by the project's loader; the groups are kept up to date file by file,
 * so a long history of many groups costs what changed, not every group at every commit.
 */
export async function walkAccessHistory(
  cwd: string,
  dir: string,
  onCommit: (commit: CommitGroups) => void,
): Promise<AccessHistory> {
  const git = await gitAt(cwd);
  if (!(await git.checkIsRepo().catch(() => false)))
    throw new ReviewHistoryError(`${cwd} is not in a git repository: the reviews' history is git's`);
  const hasHead = await git.raw(["rev-parse", "--verify", "--quiet", "HEAD"]).catch(() => "");
  if (hasHead.trim() === "") return { dir, names: new Set(), unreadable: [] };
  const top = (await git.revparse(["--show-toplevel"])).trim();
  const prefix = (await git.revparse(["--show-prefix"])).trim();
  const inRepo = path.isAbsolute(dir)
    ? path.relative(top, dir).split(path.sep).join("/")
    : path.posix.normalize(prefix + dir.split(path.sep).join("/")).replace(/\/$/, "");
  if (inRepo === ".." || inRepo.startsWith("../") || path.isAbsolute(inRepo))
    throw new ReviewHistoryError(`${dir} is outside the repository at ${top}`);
  const log = await (
    await gitAt(top)
  ).raw([
    "-c",
    "core.quotePath=false",
    "log",
    "--first-parent",
    "--diff-merges=first-parent",
    "--reverse",
    "--no-renames",
    "--no-abbrev",
    "--raw",
    `--format=${FORMAT}`,
    "HEAD",
    "--",
    inRepo,
  ]);
  const parsed = parseLog(log);
  const files = new Map<string, FileRead>();
  const byName = new Map<string, GroupAt>();
  const names = new Set<string>();
  const unreadable = new Set<string>();
  let formerIds = new Map<string, string>();
  let first: AccessHistory["first"];
  for (let at = 0; at < parsed.length; at += BATCH_COMMITS) {
    const batch = parsed.slice(at, at + BATCH_COMMITS);
    const wanted = batch.flatMap((c) => c.changes.flatMap((ch) => (ch.blob === undefined ? [] : [ch.blob])));
    const blobs = await readGitBlobs(top, wanted, (message) => new ReviewHistoryError(message));
    for (const logged of batch) {
      // A commit that says it is review close's is checked to do only that (review-close-commit.ts).
      const reviewClose = logged.hasCloseTrailer
        ? await checkReviewCloseCommit(top, inRepo, logged.info.commit).catch((error: unknown) => {
            throw new ReviewHistoryError(
              `git could not show commit ${logged.info.commit}: ${error instanceof Error ? error.message : String(error)}`,
            );
          })
        : undefined;
      const c = reviewClose === undefined ? logged : { ...logged, info: { ...logged.info, reviewClose } };
      const changed = new Set<string>();
      const before = new Map<string, boolean>();
      let idsMoved = false;
      const reads = c.changes.map((change) => {
        const read =
          change.blob === undefined
            ? undefined
            : groupsOf(change.file, blobs.get(change.blob) ?? Buffer.alloc(0));
        if (read?.problem !== undefined) unreadable.add(`${change.file}: ${read.problem}`);
        return { file: change.file, read };
      });
      for (const { file, read } of reads)
        for (const g of [...(files.get(file)?.groups ?? []), ...(read?.groups ?? [])]) {
          changed.add(g.name);
          if (!before.has(g.name)) before.set(g.name, byName.has(g.name));
        }
      // Out with the old versions of every changed file, then in with the new: a group moved from one
      // file to another in the commit stays.
      for (const { file } of reads) {
        const old = files.get(file);
        for (const g of old?.groups ?? []) if (byName.get(g.name)?.file === file) byName.delete(g.name);
        if ((old?.formerIds.length ?? 0) > 0) idsMoved = true;
      }
      for (const { file, read } of reads) {
        // A version that does not parse keeps the groups of the file's last one that did: else every
        // review in it would read as ended there and opened again at the fix.
        const last = files.get(file);
        const now =
          read === undefined ? undefined : read.problem === undefined || last === undefined ? read : last;
        if (now === undefined) files.delete(file);
        else files.set(file, now);
        if ((now?.formerIds.length ?? 0) > 0) idsMoved = true;
      }
      for (const { file } of reads)
        for (const g of files.get(file)?.groups ?? []) {
          // A name defined twice does not validate; the definition seen first stands.
          if (!byName.has(g.name)) byName.set(g.name, g);
          names.add(g.name);
          for (const n of g.formerNames) names.add(n);
        }
      if (idsMoved) {
        formerIds = new Map();
        for (const read of files.values())
          for (const [old, id] of read.formerIds) if (!formerIds.has(old)) formerIds.set(old, id);
      }
      first ??= { info: c.info, hasReview: [...byName.values()].some((g) => g.review !== undefined) };
      onCommit({
        info: c.info,
        groups: byName,
        changed,
        wasDefined: (name) => before.get(name) ?? byName.has(name),
        formerIds,
      });
    }
  }
  const cutAt = await shallowCut(git, cwd, first?.info);
  return {
    dir: inRepo,
    names,
    unreadable: [...unreadable],
    ...(first === undefined ? {} : { first }),
    ...(cutAt === undefined ? {} : { cutAt }),
  };
}

/** What one version of a file gives: its groups, and its users' former ids ([old, now]). */
interface FileRead {
  readonly groups: readonly GroupAt[];
  readonly formerIds: readonly (readonly [string, string])[];
  readonly problem?: string;
}

interface LoggedCommit {
  readonly info: CommitInfo;
  readonly hasCloseTrailer: boolean;
  /** Each access file the commit changed: its new blob, undefined when it deleted it. */
  readonly changes: readonly { readonly file: string; readonly blob?: string }[];
}

function parseLog(log: string): LoggedCommit[] {
  const out: LoggedCommit[] = [];
  for (const chunk of log.split("\x01")) {
    if (chunk.trim() === "") continue;
    const [header = "", ...rest] = chunk.split("\n");
    const [commit = "", author = "", authorEmail = "", authoredAt = "", committer = "", committerEmail = ""] =
      header.split("\0");
    const [, , , , , , committedAt = "", subject = "", closeTrailer = ""] = header.split("\0");
    const changes: { file: string; blob?: string }[] = [];
    for (const line of rest) {
      // ":<old mode> <new mode> <old blob> <new blob> <status>\t<path>"
      const match = /^:\d+ (\d+) [0-9a-f]+ ([0-9a-f]+) ([A-Z])\d*\t(.*)$/.exec(line);
      if (match === null) continue;
      const [, mode = "", blob = "", status = "", quoted = ""] = match;
      const file = unquote(quoted);
      if (!/\.ya?ml$/i.test(file)) continue;
      // Symbolic links and submodules are not access files; a deletion ends the file.
      const isGone = status === "D" || mode === "120000" || mode === "160000" || /^0+$/.test(blob);
      changes.push(isGone ? { file } : { file, blob });
    }
    out.push({
      hasCloseTrailer: closeTrailer !== "",
      info: {
        commit,
        author,
        authorEmail,
        authoredAt: utc(authoredAt),
        committer,
        committerEmail,
        committedAt: utc(committedAt),
        subject,
      },
      changes,
    });
  }
  return out;
}

/** A git date (ISO 8601 in the committer's zone) in UTC, as the rest of gatehouse prints instants. */
function utc(date: string): string {
  const at = Date.parse(date);
  return Number.isNaN(at) ? date : new Date(at).toISOString();
}

/** A path as git prints it: C-quoted ("...") when it holds a quote, a backslash or a control character. */
function unquote(text: string): string {
  if (!text.startsWith('"')) return text;
  try {
    return JSON.parse(
      text.replace(
        /\\([0-7]{3})/g,
        (_, o: string) => `\\u00${Number.parseInt(o, 8).toString(16).padStart(2, "0")}`,
      ),
    ) as string;
  } catch {
    return text;
  }
}

/** The groups one version of a file defines, as the project's loader reads it. */
function groupsOf(file: string, bytes: Buffer): FileRead {
  const parsed = parseAccessFile(file, bytes);
  const data = parsed.document?.data;
  if (parsed.document === undefined) {
    const why = parsed.diagnostics.find((d) => d.severity === "error") ?? parsed.diagnostics[0];
    return {
      groups: [],
      formerIds: [],
      problem: why === undefined ? "not readable" : `${why.code} ${why.message}`,
    };
  }
  if (!isObj(data)) return { groups: [], formerIds: [] };
  const formerIds: [string, string][] = [];
  for (const user of list(data, "users") ?? []) {
    const id = isObj(user) ? str(user, "id") : undefined;
    if (id !== undefined && isObj(user))
      for (const old of strList(user, "formerIds") ?? []) formerIds.push([old, id]);
  }
  const groups: GroupAt[] = groupBlocksOf(data).map((g) => ({ ...g, file }));
  return { groups, formerIds };
}

/** In a shallow clone, the commit where HEAD's first-parent line is cut off, when it is. */
async function shallowCut(
  git: Awaited<ReturnType<typeof gitAt>>,
  cwd: string,
  first: CommitInfo | undefined,
): Promise<CommitInfo | undefined> {
  if ((await git.revparse(["--is-shallow-repository"])).trim() !== "true") return undefined;
  // --git-path answers relative to where git runs.
  const shallowFile = path.resolve(cwd, (await git.raw(["rev-parse", "--git-path", "shallow"])).trim());
  const cut = new Set((await readFile(shallowFile, "utf8").catch(() => "")).split("\n").filter((l) => l));
  const line = (await git.raw(["rev-list", "--first-parent", "HEAD"])).split("\n").filter((l) => l);
  const last = line.at(-1);
  if (last === undefined || !cut.has(last)) return undefined;
  if (first?.commit === last) return first;
  const [committedAt = "", subject = "", author = "", authorEmail = "", authoredAt = ""] = (
    await git.show(["-s", "--format=%cI%x00%s%x00%an%x00%ae%x00%aI", last])
  )
    .trim()
    .split("\0");
  return {
    commit: last,
    author,
    authorEmail,
    authoredAt: utc(authoredAt),
    committer: "",
    committerEmail: "",
    committedAt: utc(committedAt),
    subject,
  };
}
