import type { Diagnostic } from "../../model/diagnostic.ts";
import type { Group } from "../../model/access.ts";
import type { Rule } from "../rule.ts";
import { afterDay, DAY_MS, noteTimeBoundary } from "../../lifecycle/status.ts";
import { report } from "./report.ts";

/** Days before its due date from which an open review is pointed out. */
export const REVIEW_NOTICE_DAYS = 7;

/** Ids the group lists itself (lines and grants, whatever their until): what a review can revoke. */
export function directUsers(group: Group): Set<string> {
  const out = new Set<string>();
  for (const entry of group.members ?? []) if (entry.kind === "user") out.add(entry.user);
  return out;
}

/**
 * Open access reviews: a pending name the group does not list (a stale entry: the review cannot revoke
 * it, and re-certifying it means nothing), and a review due within a week or past due.
 */
export const accessReviews: Rule = {
  name: "access-reviews",
  codes: ["GH233", "GH234"],
  check({ model, now }) {
    const out: Diagnostic[] = [];
    for (const group of model.groups.values()) {
      const review = group.review;
      if (review === undefined) continue;
      const direct = directUsers(group);
      review.pending.forEach((id, i) => {
        if (direct.has(id)) return;
        out.push(
          report(
            "warning",
            "GH233",
            `"${id}" is pending in the review of "${group.name}" but is not one of its members or grants, ` +
              "so the review cannot revoke it; delete it from pending.",
            review.pendingSources?.[i] ?? review.source,
          ),
        );
      });
      const end = afterDay(review.due);
      // Only the pending names the group lists are revoked by review close (the others are GH233's).
      const revocable = review.pending.filter((id) => direct.has(id)).length;
      if (!Number.isFinite(end) || revocable === 0) continue;
      noteTimeBoundary(now, end);
      noteTimeBoundary(now, end - REVIEW_NOTICE_DAYS * DAY_MS);
      const left = end - now.getTime();
      if (left > REVIEW_NOTICE_DAYS * DAY_MS) continue;
      const count = `${String(revocable)} pending`;
      out.push(
        report(
          "warning",
          "GH234",
          left <= 0
            ? `the review of "${group.name}" was due ${review.due} with ${count}: gatehouse review close revokes them.`
            : `the review of "${group.name}" is due ${review.due} with ${count}: its owners re-certify ` +
                "(delete from pending) or revoke (delete the member line) by then, or review close revokes them.",
          review.source,
        ),
      );
    }
    return out;
  },
};
