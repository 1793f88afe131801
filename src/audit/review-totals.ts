/** The totals of `review history`: what an auditor reads before (or instead of) every review. */
import type { ReviewRecord } from "./review-history.ts";

/** The counts an auditor reads first: how many reviews ran, opened, closed (and how), are open, overdue. */
export interface ReviewTotals {
  readonly reviews: number;
  /** Opened in the period, and before it (still running in it). */
  readonly openedInPeriod: number;
  readonly openedBefore: number;
  readonly closed: number;
  /** Of `closed`: by the scheduled `review close` (its commit verified), and with names pending kept. */
  readonly closedByScheduledClose: number;
  readonly closedWithoutRevoking: number;
  /** Memberships the closes revoked for not being re-certified. */
  readonly revoked: number;
  /** The group left the files with the review open. */
  readonly groupGone: number;
  readonly stillOpen: number;
  /** Of `stillOpen`: past the due day at the end of the period. */
  readonly overdue: number;
}

export function reviewTotals(reviews: readonly ReviewRecord[]): ReviewTotals {
  const totals = {
    reviews: reviews.length,
    openedInPeriod: 0,
    openedBefore: 0,
    closed: 0,
    closedByScheduledClose: 0,
    closedWithoutRevoking: 0,
    revoked: 0,
    groupGone: 0,
    stillOpen: 0,
    overdue: 0,
  };
  for (const r of reviews) {
    if (r.opened.isBeforeSince) totals.openedBefore++;
    else totals.openedInPeriod++;
    const end = r.end;
    switch (end.kind) {
      case "closed":
        totals.closed++;
        if (end.at.reviewClose?.kind === "verified") totals.closedByScheduledClose++;
        if (end.keptPending.length > 0) totals.closedWithoutRevoking++;
        totals.revoked += end.revoked.length;
        break;
      case "group-gone":
        totals.groupGone++;
        break;
      case "open":
        totals.stillOpen++;
        if (end.isOverdue) totals.overdue++;
        break;
    }
  }
  return totals;
}
