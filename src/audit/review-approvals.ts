/**
 * How a commit of an access review got onto the branch, from the journal: the apply run that applied it
 * with `--record-approvals` recorded its pull request, the approvals and the gate's verdict per group
 * (CommitApproval). A commit no run recorded is said so, never guessed.
 */
import type { CommitApproval } from "../pr/approval-record.ts";
import { eachEntry } from "./journal-lines.ts";
import type { ReviewCloseCommit } from "./review-close-commit.ts";

/** What the journal says of one commit, for one group. */
export type ReviewApproval =
  | {
      readonly status: "recorded";
      /** The run (seq of its apply-start) that recorded it, and when it started. */
      readonly runSeq: number;
      readonly runAt: string;
      /** Its pull request; absent: it reached the branch without one (pushed directly). */
      readonly pull?: { readonly number: number; readonly url: string; readonly author: string };
      /** No pull request, and the run found the trailer of `review close`: what it made of the commit. */
      readonly reviewClose?: ReviewCloseCommit;
      readonly approvedBy: readonly string[];
      /** The gate's verdict on the commit as a whole; absent in journals written before it was recorded. */
      readonly gateOk?: boolean;
      /**
       * The gate's requirement for this group (its owners): how many approvals it needed, whose counted,
       * and whose did not and why. Absent when the gate asked nothing of the group for this commit.
       */
      readonly forGroup?: {
        readonly required: number;
        readonly approvedBy: readonly string[];
        readonly notCounted: readonly { readonly login: string; readonly why: string }[];
        readonly isMet: boolean;
      };
      readonly gateError?: string;
    }
  | {
      readonly status: "not-recorded";
      /**
       * `no-journal`: there is no journal here; `not-looked-up`: a run named the commit and did not look it
       * up (past its limit, or GitHub failed); `no-run`: no run recorded the commit's approvals (applied
       * without --record-approvals, or not applied yet).
       */
      readonly why: "no-journal" | "not-looked-up" | "no-run";
    };

/** Every commit the journal's runs recorded the approvals of. */
export interface RecordedApprovals {
  readonly hasJournal: boolean;
  readonly byCommit: ReadonlyMap<
    string,
    { readonly runSeq: number; readonly runAt: string; readonly approval: CommitApproval }
  >;
  readonly unchecked: ReadonlySet<string>;
}

/** The approval records of the journal at `file` (none when there is no journal there). */
export async function readRecordedApprovals(file: string, hasJournal: boolean): Promise<RecordedApprovals> {
  const byCommit = new Map<string, { runSeq: number; runAt: string; approval: CommitApproval }>();
  const unchecked = new Set<string>();
  if (hasJournal)
    await eachEntry(file, (entry) => {
      if (entry.type !== "apply-start" || entry.approvals === undefined) return;
      for (const approval of entry.approvals.commits)
        if (!byCommit.has(approval.commit))
          byCommit.set(approval.commit, { runSeq: entry.seq, runAt: entry.at, approval });
      for (const commit of entry.approvals.unchecked ?? []) unchecked.add(commit);
    });
  return { hasJournal, byCommit, unchecked };
}

/** What the journal says of `commit` for `group` (the name the group had at that commit). */
export function approvalOf(recorded: RecordedApprovals, commit: string, group: string): ReviewApproval {
  const found = recorded.byCommit.get(commit);
  if (found === undefined) {
    if (!recorded.hasJournal) return { status: "not-recorded", why: "no-journal" };
    return { status: "not-recorded", why: recorded.unchecked.has(commit) ? "not-looked-up" : "no-run" };
  }
  const { approval } = found;
  const requirement = approval.gate?.requirements.find((r) => r.subject === group);
  return {
    status: "recorded",
    runSeq: found.runSeq,
    runAt: found.runAt,
    ...(approval.pull === undefined
      ? {}
      : { pull: { number: approval.pull.number, url: approval.pull.url, author: approval.pull.author } }),
    ...(approval.reviewClose === undefined ? {} : { reviewClose: approval.reviewClose }),
    approvedBy: (approval.approvals ?? []).map((a) => a.login),
    ...(approval.gate === undefined ? {} : { gateOk: approval.gate.isOk }),
    ...(requirement === undefined
      ? {}
      : {
          forGroup: {
            required: requirement.required,
            approvedBy: requirement.approvedBy,
            notCounted: requirement.notCounted ?? [],
            isMet: requirement.approvedBy.length >= requirement.required,
          },
        }),
    ...(approval.gate?.error === undefined ? {} : { gateError: approval.gate.error }),
  };
}
