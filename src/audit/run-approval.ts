/**
 * How a run's access-file commits got onto the branch, as its apply-start recorded them: what `journal
 * changes` says of each change's run, and what `--unapproved` lists. A run's changes are not mapped to
 * the commit that brought each one: the status is the run's (its commits since the run before it). A run
 * that applied no new commit answers to the run that first applied its commit (FilesApprovals): what it
 * changes (a joiner on their start date, what a run refused before it left) came with those commits.
 */
import type { ApprovalsRecord, CommitApproval } from "../pr/approval-record.ts";

export type RunApproval =
  /** Every commit since the last run came from a pull request whose counted approvals met the gate (or none came). */
  | "approved"
  /**
   * A commit pushed without a pull request (other than the scheduled review close's), or whose approvals
   * did not meet the gate, or not looked up.
   */
  | "unapproved"
  /** The run applied uncommitted access files (`+dirty`): no commit, no pull request, shows what it applied. */
  | "dirty"
  /** The run was made without `--record-approvals`: the journal does not say. */
  | "not-recorded";

/**
 * Whether a commit came in as the gate requires: a pull request whose counted approvals met it, or the
 * scheduled `review close`'s commit, checked to do only that (it needs no pull request).
 */
export function isApproved(c: CommitApproval): boolean {
  if (c.pull === undefined) return c.reviewClose?.kind === "verified";
  // Journals from before the gate was recorded: any approval, as they said then.
  return c.gate === undefined ? (c.approvals ?? []).length > 0 : c.gate.isOk;
}

/**
 * The run's status; `from`: the record of the run that first applied its commit, when it applied no new
 * one (FilesApprovals.note), which its changes then answer to.
 */
export function runApproval(
  run: { readonly commit?: string; readonly approvals?: ApprovalsRecord },
  from?: ApprovalsRecord,
): RunApproval {
  if (run.commit?.endsWith("+dirty") === true) return "dirty";
  const record = from ?? run.approvals;
  if (record === undefined) return "not-recorded";
  const isComplete = record.error === undefined && (record.unchecked ?? []).length === 0;
  return isComplete && record.commits.every(isApproved) ? "approved" : "unapproved";
}

/** The run that first applied a commit, with what it recorded of the commits that brought it. */
export interface FilesApproval {
  readonly runSeq: number;
  readonly at: string;
  readonly approvals: ApprovalsRecord;
}

/**
 * Fed the apply-starts in order, it tells, for a run that recorded its approvals and applied no new
 * commit (`commits: []`), which earlier run first applied that commit and what it recorded: a run
 * applies every commit since the one before, so a change an earlier run could not make yet (a joiner's
 * start date ahead, the rest of a plan the guard rails refused) comes with that run's commits, not none.
 */
export class FilesApprovals {
  readonly #byCommit = new Map<string, FilesApproval>();

  note(start: {
    readonly seq: number;
    readonly at: string;
    readonly commit?: string;
    readonly approvals?: ApprovalsRecord;
  }): FilesApproval | undefined {
    const { commit, approvals } = start;
    if (commit === undefined || commit.endsWith("+dirty") || approvals === undefined) return undefined;
    const isNew =
      approvals.commits.length > 0 || approvals.error !== undefined || (approvals.unchecked ?? []).length > 0;
    if (isNew) {
      if (!this.#byCommit.has(commit))
        this.#byCommit.set(commit, { runSeq: start.seq, at: start.at, approvals });
      return undefined;
    }
    return this.#byCommit.get(commit);
  }
}
