/**
 * Who approved what an apply applies: for each commit that changed the access files since the last apply,
 * the pull request that merged it and the approvals it had, as GitHub reports them. Recorded in the
 * journal's apply-start, so the journal says on its own which review let each change in, and which
 * commits reached the branch without one.
 */
import { redactKnownSecrets, messageOf } from "../errors.ts";
import { latestDecisions, type Review } from "./approvals.ts";
import { changedPaths, resolveRevision } from "./git-tree.ts";
import type { PrClient, RepoRef } from "./github.ts";
import { checkApprovals } from "./run-check.ts";
import {
  checkReviewCloseCommit,
  scheduledJob,
  type ReviewCloseCommit,
} from "../audit/review-close-commit.ts";
import { checkPruneCommit } from "../audit/prune-commit.ts";

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
  /**
   * No pull request brought it, and its message carries the trailer of `review close --message-file` (or,
   * `job: prune`, of `prune --message-file`): verified (it does only what that job does: the scheduled job,
   * which needs no pull request), or why not. Absent otherwise, and in journals written before it was recorded.
   */
  readonly reviewClose?: ReviewCloseCommit;
  /** Approving reviews in force when it merged (a later comment does not undo an approval). */
  readonly approvals?: readonly RecordedApproval[];
  /**
   * The approval gate (`pr check`) judged on what the commit brought onto the branch (its first parent's
   * access tree against its own, which includes anything a merge commit added) with the pull request's
   * reviews, as of its merge: which approvals counted for what. Absent in journals written before it.
   */
  readonly gate?: RecordedGate;
}

/** The gate's verdict on one commit, as recorded. */
export interface RecordedGate {
  /** Whether the counted approvals met every requirement (and the commit's access files validated). */
  readonly isOk: boolean;
  /** Per group whose owners must approve, or "admins": how many were needed and whose approvals counted. */
  readonly requirements: readonly {
    readonly subject: string;
    readonly required: number;
    readonly approvedBy: readonly string[];
    /** Approvals that did not count for it, and why (the author, not an owner, an older commit). */
    readonly notCounted?: readonly { readonly login: string; readonly why: string }[];
  }[];
  /** Why the gate fails whatever the approvals (the access files at the commit do not validate). */
  readonly problems?: readonly string[];
  /** The gate could not be judged (no parent commit, a git or GitHub failure): not approved. */
  readonly error?: string;
}

/** What the gate needs besides GitHub: the repository checkout, the access folder, the pin file. */
export interface GateSite {
  readonly cwd: string;
  readonly dir: string;
  readonly pinsFile: string;
}

/**
 * The gate on `sha` against its first parent, with the reviews of the pull request that merged it, as of
 * the merge: a merge commit's own additions are judged too, so access nobody approved does not pass as
 * the pull request's. A failure is recorded as such (not approved), never thrown.
 */
async function gateOf(
  client: PrClient,
  repo: RepoRef,
  site: GateSite,
  sha: string,
  pull: { readonly number: number; readonly mergedAt: string },
  reviews: readonly Review[],
): Promise<RecordedGate> {
  try {
    const parent = await resolveRevision(site.cwd, `${sha}^1`);
    const outcome = await checkApprovals({
      cwd: site.cwd,
      dir: site.dir,
      now: new Date(pull.mergedAt),
      client,
      repo,
      pull: pull.number,
      base: parent,
      head: sha,
      pinsFile: site.pinsFile,
      changedPaths: await changedPaths(site.cwd, parent, sha),
      // Asked already for the approvals recorded beside the verdict: the same reviews, not asked twice.
      reviews,
    });
    if (outcome.kind !== "judged") return { isOk: false, requirements: [], error: "not judged" };
    return {
      isOk: outcome.isOk,
      requirements: outcome.gate.requirements.map((r) => ({
        subject: r.subject,
        required: r.required,
        approvedBy: r.approvedBy,
        ...(r.rejected.length === 0 ? {} : { notCounted: r.rejected }),
      })),
      ...(outcome.problems.length === 0 ? {} : { problems: outcome.problems }),
    };
  } catch (error) {
    return { isOk: false, requirements: [], error: redactKnownSecrets(messageOf(error)) };
  }
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
async function approvalOf(
  client: PrClient,
  repo: RepoRef,
  site: GateSite,
  sha: string,
): Promise<CommitApproval> {
  const merged = (await client.pullsOfCommit(repo, sha)).filter((p) => p.mergedAt !== undefined);
  // A merge or squash commit is the pull request's merge_commit_sha; a rebased commit is one of its commits.
  const pull = merged.find((p) => p.mergeCommitSha === sha) ?? merged[0];
  if (pull?.mergedAt === undefined) {
    // Pushed directly: the scheduled review close's or prune's commit is told by its trailer and what it changes.
    const reviewClose =
      (await checkReviewCloseCommit(site.cwd, site.dir, sha).catch(() => undefined)) ??
      (await checkPruneCommit(site.cwd, site.dir, sha).catch(() => undefined));
    return { commit: sha, ...(reviewClose === undefined ? {} : { reviewClose }) };
  }
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
    gate: await gateOf(client, repo, site, sha, { number: pull.number, mergedAt: pull.mergedAt }, reviews),
  };
}

/** Looks up every commit (at most MAX_COMMITS); a failure is recorded, never thrown. */
export async function recordApprovals(
  client: PrClient,
  repo: RepoRef,
  site: GateSite,
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
    for (const sha of commits.slice(0, MAX_COMMITS)) looked.push(await approvalOf(client, repo, site, sha));
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
    const from = `commit ${c.commit.slice(0, 12)} came from pull request #${String(c.pull?.number ?? 0)}`;
    if (c.pull === undefined) {
      // The scheduled review close and prune need no pull request (they only revoke what the reviews did
      // not keep, or grants whose approved end has passed).
      if (c.reviewClose?.kind === "verified") continue;
      out.push(
        `commit ${c.commit.slice(0, 12)} changed the access files without a merged pull request` +
          (c.reviewClose === undefined
            ? ""
            : ` (its message says it is ${scheduledJob(c.reviewClose)}'s, ${c.reviewClose.run}, but ${c.reviewClose.why})`),
      );
    } else if (c.gate !== undefined) {
      // What the gate asks of what the commit changed: a pull request that only takes access away (a
      // leaver) needs no approval; one whose approvals did not count is not approved.
      if (!c.gate.isOk)
        out.push(
          `${from}, ${(c.approvals ?? []).length === 0 ? "which no one approved" : "whose approvals do not meet the gate"} for what the commit changed: ${describeGateShortfall(c.gate)}`,
        );
    } else if ((c.approvals ?? []).length === 0) out.push(`${from}, which no one approved`);
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

/** What the gate missed, in one line: each unmet requirement with what counted and what did not. */
export function describeGateShortfall(gate: RecordedGate): string {
  if (gate.error !== undefined) return `the gate could not be judged (${gate.error})`;
  const parts = gate.requirements
    .filter((r) => r.approvedBy.length < r.required)
    .map((r) => {
      const counted = r.approvedBy.length === 0 ? "none counted" : `counted ${r.approvedBy.join(", ")}`;
      const not = (r.notCounted ?? []).map((n) => `${n.login}: ${n.why}`);
      return `${r.subject} needs ${String(r.required)} (${counted}${not.length === 0 ? "" : `; not counted: ${not.join("; ")}`})`;
    });
  return [...parts, ...(gate.problems ?? [])].join("; ") || "not met";
}
