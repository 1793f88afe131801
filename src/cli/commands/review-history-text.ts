/** `review history` as text: per review, how it opened, each commit that moved it, and how it ended. */
import type { ReviewApproval } from "../../audit/review-approvals.ts";
import type { ReviewCommit, ReviewRecord, ReviewStep } from "../../audit/review-history.ts";
import type { ReviewTotals } from "../../audit/review-totals.ts";
import { inlineText } from "../../render/terminal-text.ts";
import { reviewCloseRunText } from "./journal-access-text.ts";

export interface HistoryContext {
  readonly since?: string;
  readonly until: string;
  readonly dir: string;
  readonly asked: readonly string[];
  readonly journal: {
    readonly path: string;
    readonly present: boolean;
    readonly recordsApprovals: boolean;
    readonly intact: boolean;
  };
}

const names = (list: readonly string[]): string => list.map(inlineText).join(", ");

/** `1a2b3c4d5e6f "subject" (author Ann <ann@x>, 2026-03-02T09:00:00+00:00; committed by ...)`. */
function commitText(c: ReviewCommit): string {
  const author = `${c.author} <${c.authorEmail}>`;
  const committer = `${c.committer} <${c.committerEmail}>`;
  const by = author === committer ? `by ${author}` : `author ${author}, committed by ${committer}`;
  return inlineText(`commit ${c.commit.slice(0, 12)} "${c.subject}" (${by}, ${c.committedAt})`);
}

/**
 * How a commit got onto the branch, for `group`: the scheduled `review close` (git shows its trailer and
 * that it does only that: no pull request is needed), else what the journal says of its pull request and
 * approvals, after what is wrong with a commit that claims to be review close's and is not.
 */
export function commitApprovalText(c: ReviewCommit, group: string): string {
  const close = c.reviewClose;
  const a = c.approval;
  const byPull = a.status === "recorded" && a.pull !== undefined;
  if (close?.kind === "verified" && !byPull) {
    const head = `closed by ${reviewCloseRunText(close.run)}: the commit only removes review blocks past due and their pending members' lines, which needs no pull request`;
    if (a.status === "not-recorded")
      return {
        "no-journal": head,
        "not-looked-up": `${head}; the run that applied it did not look this commit up`,
        "no-run": `${head}; no apply run recorded it yet (applied without --record-approvals, or not applied yet)`,
      }[a.why];
    const run = `recorded by run #${String(a.runSeq)}`;
    if (a.reviewClose?.kind === "verified") return `${head} (${run})`;
    return a.reviewClose === undefined
      ? `${head} (${run}, as pushed without a pull request: its gatehouse did not check review close commits yet)`
      : `${head}; but ${run} found ${inlineText(a.reviewClose.why)}`;
  }
  const text = approvalText(a, group);
  return close?.kind === "not-only-close"
    ? `NOT only a review close: its message says it is review close's (${inlineText(close.run)}), but ${inlineText(close.why)}; ${text}`
    : text;
}

/** What the journal says of a commit's pull request and approvals, for `group`. */
export function approvalText(a: ReviewApproval, group: string): string {
  if (a.status === "not-recorded")
    return {
      "no-journal": "approvals unknown: no journal here",
      "not-looked-up":
        "approvals NOT recorded: the run that applied it did not look this commit up (past its limit, or GitHub failed); check by hand",
      "no-run":
        "approvals NOT recorded: no apply run recorded this commit's approvals (applied without --record-approvals, or not applied yet)",
    }[a.why];
  const run = `recorded by run #${String(a.runSeq)}`;
  if (a.pull === undefined) return `reached the branch WITHOUT a pull request (${run})`;
  const approved = a.approvedBy.length === 0 ? "approved by no one" : `approved by ${names(a.approvedBy)}`;
  const pull = `pull request #${String(a.pull.number)} by ${inlineText(a.pull.author)}, ${approved}`;
  if (a.gateError !== undefined)
    return `${pull}; the gate could not be judged (${inlineText(a.gateError)}) (${run})`;
  if (a.gateOk === undefined)
    return `${pull}; the gate's verdict was not recorded (an older journal) (${run})`;
  const g = a.forGroup;
  if (g === undefined)
    return `${pull}; the gate asked no approval of ${inlineText(group)} for it (gate ${a.gateOk ? "met" : "NOT met"}) (${run})`;
  const counted = g.approvedBy.length === 0 ? "counted none" : `counted ${names(g.approvedBy)}`;
  const not = g.notCounted.map((n) => `${inlineText(n.login)}: ${inlineText(n.why)}`).join("; ");
  return (
    `${pull}; for ${inlineText(group)} the gate needs ${String(g.required)} and ${counted}` +
    `${not === "" ? "" : ` (not counted: ${not})`}: ${g.isMet ? "met" : "NOT MET"} (${run})`
  );
}

function stepLines(s: ReviewStep): string[] {
  const out: string[] = [];
  const head = `  ${s.at.committedAt}  ${commitText(s.at)}`;
  const approval = `      ${commitApprovalText(s.at, s.group)}`;
  out.push(head);
  if (s.renamed !== undefined)
    out.push(`    group renamed ${inlineText(s.renamed.from)} -> ${inlineText(s.renamed.to)} (formerNames)`);
  if (s.renamedUsers !== undefined)
    out.push(
      `    id changed (formerIds, the same person): ${s.renamedUsers.map((u) => `${inlineText(u.from)} -> ${inlineText(u.to)}`).join(", ")}`,
    );
  if (s.due !== undefined) out.push(`    due changed ${s.due.from} -> ${s.due.to}`);
  if (s.certified.length > 0)
    out.push(`    re-certified (left pending, still members): ${names(s.certified)}`);
  const lineOnly = new Set(s.revokedStillPending);
  const both = s.revoked.filter((n) => !lineOnly.has(n));
  if (both.length > 0)
    out.push(`    revoked by hand in the review (line and pending name removed): ${names(both)}`);
  if (lineOnly.size > 0)
    out.push(
      `    revoked by hand in the review (line removed, name left in pending): ${names([...lineOnly])}`,
    );
  if (s.dropped.length > 0)
    out.push(`    taken off pending, members neither before nor after: ${names(s.dropped)}`);
  if (s.added.length > 0) out.push(`    added to pending: ${names(s.added)}`);
  out.push(approval);
  return out;
}

function endLines(r: ReviewRecord): string[] {
  const e = r.end;
  const group = r.names.at(-1) ?? r.group;
  if (e.kind === "open") {
    const pending =
      e.pending.length === 0 ? "nothing pending" : `${String(e.pending.length)} pending: ${names(e.pending)}`;
    return [
      `  STILL OPEN at ${e.asOf}: due ${e.due}, ${pending}` +
        (e.isOverdue
          ? e.pending.length === 0
            ? " (past due: review close removes the block on its next run)"
            : " (OVERDUE: review close revokes them on its next run)"
          : ""),
      ...(e.pendingNotMembers.length > 0
        ? [`    pending names the group no longer lists (GH233): ${names(e.pendingNotMembers)}`]
        : []),
    ];
  }
  if (e.kind === "group-gone")
    return [
      `  ${e.at.committedAt}  ${commitText(e.at)}`,
      `    ENDED: the group left the files with the review open (deleted, or renamed without formerNames); pending then: ${e.pending.length === 0 ? "none" : names(e.pending)}`,
    ];
  const lines = [`  ${e.at.committedAt}  ${commitText(e.at)}`];
  if (e.keptPending.length > 0)
    lines.push(
      `    CLOSED WITHOUT REVOKING: the review block was removed while ${names(e.keptPending)} ${e.keptPending.length === 1 ? "was" : "were"} still pending and still ${e.keptPending.length === 1 ? "a member" : "members"} (removed by hand, not by review close)`,
    );
  const wasPending = e.revoked.length + e.keptPending.length > 0;
  lines.push(
    // With nothing pending, review close ends a review whenever it runs: before the due day is no news.
    `    closed${e.isAfterDue || !wasPending ? "" : " BEFORE the due day passed"}: ` +
      (!wasPending
        ? "everyone re-certified, nobody revoked"
        : e.revoked.length === 0
          ? "nobody revoked"
          : `revoked for not being re-certified: ${names(e.revoked)}`),
    `      ${commitApprovalText(e.at, group)}`,
  );
  return lines;
}

/**
 * The totals, on one line: first and last in the output, which at tens of thousands of groups runs to
 * hundreds of thousands of lines.
 */
export function totalsText(t: ReviewTotals): string {
  const n = (count: number) => String(count);
  return (
    `Totals: ${n(t.reviews)} access review(s); opened: ${n(t.openedInPeriod)} in the period, ${n(t.openedBefore)} before it; ` +
    `closed: ${n(t.closed)} (${n(t.closedByScheduledClose)} by the scheduled review close, ${n(t.closedWithoutRevoking)} WITHOUT REVOKING), ` +
    `revoking ${n(t.revoked)} membership(s) not re-certified; ended with the group gone: ${n(t.groupGone)}; ` +
    `still open: ${n(t.stillOpen)} (${n(t.overdue)} OVERDUE).`
  );
}

export function reviewsText(
  reviews: readonly ReviewRecord[],
  ctx: HistoryContext,
  totals: ReviewTotals,
): string {
  const span = `${ctx.since ?? "the start of the history"} to ${ctx.until}`;
  const lines: string[] = [totalsText(totals), ""];
  for (const r of reviews) {
    const shownNames = r.names.length > 1 ? ` (later ${names(r.names.slice(1))})` : "";
    lines.push(`${inlineText(r.group)}${shownNames}, ${inlineText(r.file)}: review due ${r.opened.due}`);
    const o = r.opened;
    lines.push(
      `  ${o.at.committedAt}  ${commitText(o.at)}`,
      `    opened${o.isBeforeSince ? " (before the period)" : ""}${o.isGroupNew ? " (the group came into the files with it: added, or renamed without formerNames)" : ""}, due ${o.due}, ${String(o.pending.length)} pending: ${o.pending.length === 0 ? "none" : names(o.pending)}`,
      `      ${commitApprovalText(o.at, r.group)}`,
    );
    for (const s of r.steps) lines.push(...stepLines(s));
    lines.push(...endLines(r), "");
  }
  const of = ctx.asked.length === 0 ? "" : ` of ${names(ctx.asked)}`;
  lines.push(
    `${String(reviews.length)} access review(s)${of} from ${span}, from the git history of ${ctx.dir}/ (first-parent line of HEAD).`,
  );
  if (!ctx.journal.present)
    lines.push(
      `No journal at ${ctx.journal.path}: who approved each pull request is unknown here (git alone does not say; give --journal FILE).`,
    );
  else if (!ctx.journal.recordsApprovals)
    lines.push(
      `No run in ${ctx.journal.path} recorded approvals (apply --record-approvals): who approved each pull request is unknown here.`,
    );
  lines.push(totalsText(totals));
  return lines.join("\n") + "\n";
}
