/**
 * Who approved what an apply applies: for each commit that changed the access files since the last apply,
 * the pull request that merged it and the approvals it had, as GitHub reports them. Recorded in the
 * journal's apply-start, so the journal says on its own which review let each change in, and which
 * commits reached the branch without one.
 */
import { redactKnownSecrets, messageOf } from "../errors.ts";
import { latestDecisions } from "./approvals.ts";
import type { PrClient, RepoRef } from "./github.ts";

/** One approval as recorded: the reviewer's login and account id, and the commit they approved. */
export interface RecordedApproval {
  readonly login: string;
  readonly id: number;
  readonly commit: string;
  readonly at?: string;
}

/** One commit of the access files and how it got onto the branch. */
export interface CommitApproval {
  readonly commit: string;
  /** The merged pull request that brought it; absent when none did (pushed directly). */
  readonly pull?: {
    readonly number: number;
    readonly url: string;
    readonly author: string;
    readonly headSha: string;
    readonly mergedAt: string;
  };
  /** Approving reviews in force when it merged (a later comment does not undo an approval). */
  readonly approvals?: readonly RecordedApproval[];
}

export interface ApprovalsRecord {
  readonly repo: string;
  /** The commits since the last apply's, newest first; empty when the access files did not change. */
  readonly commits: readonly CommitApproval[];
  /**
   * Commits of the range that were not looked up (past MAX_COMMITS, or after GitHub failed): named, so
   * they can be checked by hand; the next apply starts after them.
   */
  readonly unchecked?: readonly string[];
  /** Why nothing (or not everything) could be looked up. */
  readonly error?: string;
}

/** Commits looked up per apply; an apply after a long pause names how many it left out. */
export const MAX_COMMITS = 20;

/** The merged pull request that brought `sha` and its approvals, or the commit alone when none did. */
async function approvalOf(client: PrClient, repo: RepoRef, sha: string): Promise<CommitApproval> {
  const merged = (await client.pullsOfCommit(repo, sha)).filter((p) => p.mergedAt !== undefined);
  // A merge or squash commit is the pull request's merge_commit_sha; a rebased commit is one of its commits.
  const pull = merged.find((p) => p.mergeCommitSha === sha) ?? merged[0];
  if (pull?.mergedAt === undefined) return { commit: sha };
  const reviews = await client.listReviews(repo, pull.number);
  const approvals = latestDecisions(reviews)
    .filter((r) => r.state === "APPROVED")
    .map((r) => ({
      login: r.login,
      id: r.userId,
      commit: r.commitId,
      ...(r.submittedAt === undefined ? {} : { at: r.submittedAt }),
    }));
  return {
    commit: sha,
    pull: {
      number: pull.number,
      url: pull.url,
      author: pull.author,
      headSha: pull.headSha,
      mergedAt: pull.mergedAt,
    },
    approvals,
  };
}

/** Looks up every commit (at most MAX_COMMITS); a failure is recorded, never thrown. */
export async function recordApprovals(
  client: PrClient,
  repo: RepoRef,
  commits: readonly string[],
  incomplete?: string,
): Promise<ApprovalsRecord> {
  const name = `${repo.owner}/${repo.repo}`;
  const looked: CommitApproval[] = [];
  const withRest = (error: string | undefined): ApprovalsRecord => {
    const unchecked = commits.slice(looked.length);
    return {
      repo: name,
      commits: looked,
      ...(unchecked.length > 0 ? { unchecked } : {}),
      ...(error === undefined ? {} : { error }),
    };
  };
  try {
    for (const sha of commits.slice(0, MAX_COMMITS)) looked.push(await approvalOf(client, repo, sha));
  } catch (error) {
    const status =
      typeof error === "object" && error !== null && "status" in error
        ? ` (HTTP ${String(error.status)})`
        : "";
    const message = redactKnownSecrets(messageOf(error));
    return withRest(`GitHub: ${message}${status}`);
  }
  return withRest(incomplete);
}

/** What a reader of the apply's output must know: commits with no pull request or no approval. */
export function describeUnapproved(record: ApprovalsRecord): string[] {
  const out: string[] = [];
  if (record.error !== undefined)
    out.push(`could not look up every approval in ${record.repo}: ${record.error}`);
  for (const c of record.commits) {
    if (c.pull === undefined)
      out.push(`commit ${c.commit.slice(0, 12)} changed the access files without a merged pull request`);
    else if ((c.approvals ?? []).length === 0)
      out.push(
        `commit ${c.commit.slice(0, 12)} came from pull request #${String(c.pull.number)}, which no one approved`,
      );
  }
  if (record.unchecked !== undefined)
    out.push(
      `${String(record.unchecked.length)} commit(s) of the access files were not looked up (named in the journal: check them by hand): ${record.unchecked
        .slice(0, 3)
        .map((c) => c.slice(0, 12))
        .join(", ")}${record.unchecked.length > 3 ? ", ..." : ""}`,
    );
  return out;
}
