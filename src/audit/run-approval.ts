/**
 * How a run's access-file commits got onto the branch, as its apply-start recorded them: what `journal
 * changes` says of each change's run, and what `--unapproved` lists. A run's changes are not mapped to
 * the commit that brought each one: the status is the run's (its commits since the run before it).
 */
import type { ApprovalsRecord, CommitApproval } from "../pr/approval-record.ts";

export type RunApproval =
  /** Every commit since the last run came from a pull request whose counted approvals met the gate (or none came). */
  | "approved"
  /** A commit pushed without a pull request, or whose approvals did not meet the gate, or not looked up. */
  | "unapproved"
  /** The run applied uncommitted access files (`+dirty`): no commit, no pull request, shows what it applied. */
  | "dirty"
  /** The run was made without `--record-approvals`: the journal does not say. */
  | "not-recorded";

/** Whether a commit came in as the gate requires: a pull request whose counted approvals met it. */
export function isApproved(c: CommitApproval): boolean {
  if (c.pull === undefined) return false;
  // Journals from before the gate was recorded: any approval, as they said then.
  return c.gate === undefined ? (c.approvals ?? []).length > 0 : c.gate.isOk;
}

export function runApproval(run: {
  readonly commit?: string;
  readonly approvals?: ApprovalsRecord;
}): RunApproval {
  if (run.commit?.endsWith("+dirty") === true) return "dirty";
  const record = run.approvals;
  if (record === undefined) return "not-recorded";
  const isComplete = record.error === undefined && (record.unchecked ?? []).length === 0;
  return isComplete && record.commits.every(isApproved) ? "approved" : "unapproved";
}
