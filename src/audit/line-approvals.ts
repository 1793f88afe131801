/**
 * Which pull request let one membership in, not only which ones its run applied: a run applies every
 * commit since the run before, so two pull requests merged between runs are both that run's. A member
 * line (a direct member or a grant) is the whole of what gives its membership, so the commit that wrote
 * the line, as `git blame --first-parent` finds it at the run's commit, is the one that brought it: a
 * squash or merge commit of the branch, which the run's approval record lists when it was that run's.
 */
import type { SimpleGit } from "simple-git";
import type { SourceLocation } from "../model/source.ts";
import type { Reason } from "../plan/types.ts";
import type { ApprovalsRecord, CommitApproval } from "../pr/approval-record.ts";
import { gitAt, isFullCommit } from "./git.ts";

/** What a membership's line says of where it came from. */
export interface LineCommit {
  /** The first-parent commit that last wrote the member's line, at the run's commit. */
  readonly commit: string;
  /** That commit's record, from the approvals of the run that added the member or of any run asked about. */
  readonly approval?: CommitApproval;
  /** Whether that commit is one the run that added the member applied (else an earlier run's). */
  readonly isTheRuns: boolean;
}

/** A member as `journal access` holds it: what is needed to look its line up. */
interface Attributable {
  /** The add's reason ("adopted": no add, held before gatehouse). */
  readonly reason: Reason | "adopted";
  readonly source?: SourceLocation;
  readonly commit?: string;
  readonly approvals?: ApprovalsRecord;
  /** The run applied no new commit: the record of the run that first applied its commit. */
  readonly filesApprovedIn?: { readonly approvals: ApprovalsRecord };
}

/**
 * The LineCommit of each member given by a line of its own (reason `added-in-config`) of a run that
 * recorded its approvals and applied a commit (not uncommitted files), by the member's object. One
 * `git blame` per commit and file. Members whose line cannot be looked up (no repository, a shallow
 * clone without that commit, a file since moved) are left out: their run's record stands.
 */
export async function lineCommitsOf<M extends Attributable>(
  cwd: string,
  members: readonly M[],
): Promise<Map<M, LineCommit>> {
  const wanted = members.filter(
    (m) =>
      m.reason === "added-in-config" &&
      m.source !== undefined &&
      m.approvals !== undefined &&
      m.commit !== undefined &&
      isFullCommit(m.commit),
  );
  const out = new Map<M, LineCommit>();
  if (wanted.length === 0) return out;
  // Every commit any of these runs recorded: a line may come from an earlier run's pull request.
  const known = new Map<string, CommitApproval>();
  for (const m of wanted)
    for (const c of [...(m.approvals?.commits ?? []), ...(m.filesApprovedIn?.approvals.commits ?? [])])
      known.set(c.commit, c);
  const byFile = new Map<string, M[]>();
  for (const m of wanted) {
    const key = `${m.commit ?? ""}\n${m.source?.file ?? ""}`;
    const list = byFile.get(key);
    if (list) list.push(m);
    else byFile.set(key, [m]);
  }
  const git = await gitAt(cwd);
  for (const [key, list] of byFile) {
    const [commit = "", file = ""] = key.split("\n");
    const text = await git.show([`${commit}:./${file}`]).catch(() => undefined);
    if (text === undefined) continue;
    const fileLines = text.split("\n");
    // Only a line that holds this one member: a flow list (members: [bob, alice]) is one line for all.
    const own = list.filter(
      (m) => m.source !== undefined && isOwnLine(fileLines[m.source.line - 1] ?? "", m.source.column),
    );
    if (own.length === 0) continue;
    const blamed = await blameLines(git, commit, file, [
      ...new Set(own.flatMap((m) => (m.source === undefined ? [] : [m.source.line]))),
    ]).catch(() => undefined);
    if (blamed === undefined) continue;
    for (const m of own) {
      const by = m.source === undefined ? undefined : blamed.get(m.source.line);
      if (by === undefined) continue;
      const approval = known.get(by);
      const isTheRuns = m.approvals?.commits.some((c) => c.commit === by) === true;
      out.set(m, { commit: by, isTheRuns, ...(approval === undefined ? {} : { approval }) });
    }
  }
  return out;
}

/**
 * Whether the member entry at `column` (1-based) is the only one on its line: a block sequence item
 * (`- alice`, `- user: alice`, `- { user: alice, until: ... }`), not one of a flow list's.
 */
function isOwnLine(line: string, column: number): boolean {
  return /^\s*-\s+$/.test(line.slice(0, column - 1));
}

/** The commit that last wrote each of `lines` of `file` at `commit`, following first parents only. */
async function blameLines(
  git: SimpleGit,
  commit: string,
  file: string,
  lines: readonly number[],
): Promise<Map<number, string>> {
  const ranges = lines.flatMap((line) => ["-L", `${String(line)},${String(line)}`]);
  const text = await git.raw(["blame", "--first-parent", "--porcelain", ...ranges, commit, "--", file]);
  const out = new Map<number, string>();
  // Each line's header: "<commit> <line in that commit> <line here>[ <lines in the group>]".
  for (const header of text.matchAll(/^([0-9a-f]{40,64}) \d+ (\d+)/gm)) {
    const [, by, line] = header;
    if (by !== undefined && line !== undefined) out.set(Number(line), by);
  }
  return out;
}
