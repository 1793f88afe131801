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
}

/** One group as a commit's files define it: the users it lists itself, and its review block. */
export interface GroupAt {
  readonly name: string;
  /** The file (from the repository's top) that defines it. */
  readonly file: string;
  readonly formerNames: readonly string[];
  /** Users of its member lines and grants (nested groups are not reviewed, so not listed). */
  readonly users: ReadonlySet<string>;
  readonly review?: { readonly due: string; readonly pending: readonly string[] };
}

export interface CommitGroups {
  readonly info: CommitInfo;
  /** Every group the access files define after this commit, by name. */
  readonly groups: ReadonlyMap<string, GroupAt>;
  /**
   * Files of this commit that could not be read as YAML, "file: why": the groups of the file's last
   * readable version stand for them (none when it never read).
   */
  readonly unreadable: readonly string[];
  /** Each id a user's `formerIds` lists → their id at this commit (a person renamed is no one revoked). */
  readonly formerIds: ReadonlyMap<string, string>;
}

export interface AccessHistory {
  /** The access folder, from the repository's top. */
  readonly dir: string;
  /** Oldest first. */
  readonly commits: readonly CommitGroups[];
  /**
   * A shallow clone: the first-parent line stops at this commit, whose own parents are not here; the
   * files it holds are known, not how they came to be.
   */
  readonly cutAt?: CommitInfo;
}

/** Why the history could not be read: not a repository, the folder outside it, git failing. */
export class ReviewHistoryError extends Error {}

const FORMAT = "%x01%H%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%s";

/** The access folder `dir` (relative to `cwd`) at each commit of HEAD's first-parent line that changed it. */
export async function readAccessHistory(cwd: string, dir: string): Promise<AccessHistory> {
  const git = await gitAt(cwd);
  if (!(await git.checkIsRepo().catch(() => false)))
    throw new ReviewHistoryError(`${cwd} is not in a git repository: the reviews' history is git's`);
  const hasHead = await git.raw(["rev-parse", "--verify", "--quiet", "HEAD"]).catch(() => "");
  if (hasHead.trim() === "") return { dir, commits: [] };
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
  const wanted = parsed.flatMap((c) => c.changes.flatMap((ch) => (ch.blob === undefined ? [] : [ch.blob])));
  const blobs = await readGitBlobs(top, wanted, (message) => new ReviewHistoryError(message));
  const files = new Map<string, FileRead>();
  const parsedBlobs = new Map<string, FileRead>();
  const commits: CommitGroups[] = [];
  for (const c of parsed) {
    for (const change of c.changes) {
      if (change.blob === undefined) {
        files.delete(change.file);
        continue;
      }
      const key = `${change.blob}\n${change.file}`;
      let read = parsedBlobs.get(key);
      if (read === undefined) {
        read = groupsOf(change.file, blobs.get(change.blob) ?? Buffer.alloc(0));
        parsedBlobs.set(key, read);
      }
      // A version that does not parse keeps the groups of the file's last one that did: else every
      // review in it would read as ended there and opened again at the fix.
      const last = files.get(change.file);
      files.set(
        change.file,
        read.problem === undefined || last === undefined ? read : { ...last, problem: read.problem },
      );
    }
    const groups = new Map<string, GroupAt>();
    const unreadable: string[] = [];
    for (const [file, read] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (read.problem !== undefined) unreadable.push(`${file}: ${read.problem}`);
      // A name defined twice does not validate; the first file's (in path order) stands.
      for (const g of read.groups) if (!groups.has(g.name)) groups.set(g.name, g);
    }
    const formerIds = new Map<string, string>();
    for (const read of files.values())
      for (const [old, id] of read.formerIds) if (!formerIds.has(old)) formerIds.set(old, id);
    commits.push({ info: c.info, groups, unreadable, formerIds });
  }
  const cutAt = await shallowCut(git, top, commits);
  return { dir: inRepo, commits, ...(cutAt === undefined ? {} : { cutAt }) };
}

/** What one version of a file gives: its groups, and its users' former ids ([old, now]). */
interface FileRead {
  readonly groups: readonly GroupAt[];
  readonly formerIds: readonly (readonly [string, string])[];
  readonly problem?: string;
}

interface LoggedCommit {
  readonly info: CommitInfo;
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
    const [, , , , , , committedAt = "", subject = ""] = header.split("\0");
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
  const groups: GroupAt[] = [];
  for (const group of list(data, "groups") ?? []) {
    if (!isObj(group)) continue;
    const name = str(group, "name");
    if (name === undefined) continue;
    const users = new Set<string>();
    for (const entry of list(group, "members") ?? []) {
      const user = typeof entry === "string" ? entry : isObj(entry) ? str(entry, "user") : undefined;
      if (user !== undefined) users.add(user);
    }
    const block = group["review"];
    const due = isObj(block) ? str(block, "due") : undefined;
    groups.push({
      name,
      file,
      formerNames: strList(group, "formerNames") ?? [],
      users,
      ...(isObj(block) && due !== undefined
        ? { review: { due, pending: (strList(block, "pending") ?? []).filter((n) => n !== "") } }
        : {}),
    });
  }
  return { groups, formerIds };
}

/** In a shallow clone, the commit where HEAD's first-parent line is cut off, when it is. */
async function shallowCut(
  git: Awaited<ReturnType<typeof gitAt>>,
  top: string,
  commits: readonly CommitGroups[],
): Promise<CommitInfo | undefined> {
  if ((await git.revparse(["--is-shallow-repository"])).trim() !== "true") return undefined;
  const shallowFile = path.resolve(top, (await git.raw(["rev-parse", "--git-path", "shallow"])).trim());
  const cut = new Set((await readFile(shallowFile, "utf8").catch(() => "")).split("\n").filter((l) => l));
  const line = (await git.raw(["rev-list", "--first-parent", "HEAD"])).split("\n").filter((l) => l);
  const last = line.at(-1);
  if (last === undefined || !cut.has(last)) return undefined;
  const known = commits.find((c) => c.info.commit === last)?.info;
  if (known !== undefined) return known;
  const [committedAt = "", subject = "", author = "", authorEmail = "", authoredAt = ""] = (
    await git.show(["-s", "--format=%cI%x00%s%x00%an%x00%ae%x00%aI", last])
  )
    .trim()
    .split("\0");
  return {
    commit: last,
    author,
    authorEmail,
    authoredAt,
    committer: "",
    committerEmail: "",
    committedAt,
    subject,
  };
}
