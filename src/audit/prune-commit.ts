/**
 * The commit `gatehouse prune` makes on the branch from the scheduled workflow: pushed without a pull
 * request, as it should be (it only deletes grants whose `until` has passed, which the approval gave an
 * end). Told apart from a commit pushed past review as the review close's is (review-close-commit.ts): the
 * trailer `prune --message-file` writes, and content that is nothing but what prune does.
 */
import { isGrantActive } from "../lifecycle/status.ts";
import { canonicalJson } from "./canonical-json.ts";
import {
  checkTrailedCommit,
  entryUser,
  isRecord,
  type FileChange,
  type ReviewCloseCommit,
} from "./review-close-commit.ts";

/** The trailer whose value names the run that made a `prune` commit. */
export const PRUNE_TRAILER = "Gatehouse-Prune";

/** Whether a member entry is a grant whose `until` had passed at `at`. */
function isExpiredGrant(entry: unknown, at: Date): boolean {
  if (!isRecord(entry) || typeof entry["user"] !== "string") return false;
  const until = entry["until"];
  return typeof until === "string" && !isGrantActive(until, at);
}

/**
 * The group `before` as prune would leave it given the member entries `after` keeps: undefined when
 * `after`'s entries are not `before`'s less some grants expired at `at`. Counts the grants taken out.
 */
function prunedGroup(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  at: Date,
): { readonly group: Record<string, unknown>; readonly cut: number } | undefined {
  const was: unknown[] = Array.isArray(before["members"]) ? before["members"] : [];
  const now: unknown[] = Array.isArray(after["members"]) ? after["members"] : [];
  const removed = new Set<string>();
  let j = 0;
  for (const entry of was) {
    if (j < now.length && canonicalJson(entry) === canonicalJson(now[j])) j++;
    else if (isExpiredGrant(entry, at)) removed.add(entryUser(entry) ?? "");
    else return undefined;
  }
  if (j !== now.length) return undefined;
  const group = structuredClone(before);
  if ("members" in after || now.length > 0) group["members"] = now;
  else delete group["members"];
  // A name whose grant went and that no member item names any more leaves the review's pending list.
  const review = group["review"];
  if (removed.size > 0 && isRecord(review) && Array.isArray(review["pending"])) {
    const named = new Set(now.map(entryUser));
    const pending = review["pending"].filter(
      (p) => !(typeof p === "string" && removed.has(p) && !named.has(p)),
    );
    const later = after["review"];
    if (pending.length === 0 && !(isRecord(later) && "pending" in later)) delete review["pending"];
    else review["pending"] = pending;
  }
  return { group, cut: was.length - now.length };
}

/**
 * Why the changes are not only what `prune` does when committed at `at`; undefined when they are: member
 * entries that are grants expired by then deleted (and the names only they gave taken off their review's
 * pending list), nothing else: no file added or removed, no group added, moved or renamed, no other key.
 */
export function notOnlyPrune(changes: readonly FileChange[], at: Date): string | undefined {
  let cut = 0;
  for (const change of changes) {
    if (!change.isReadable) return `${change.file} does not read as YAML on both sides`;
    const { before, after } = change;
    if (before === undefined || after === undefined)
      return `it ${before === undefined ? "adds" : "deletes"} ${change.file}`;
    if (!isRecord(before) || !isRecord(after)) return `it changes more than grants in ${change.file}`;
    const was: unknown = before["groups"];
    const now: unknown = after["groups"];
    if (!Array.isArray(was) || !Array.isArray(now) || was.length !== now.length)
      return `it changes more than grants in ${change.file} (its groups are not the same groups)`;
    const groups: unknown[] = [...(was as unknown[])];
    const expected: Record<string, unknown> = { ...before, groups };
    for (const [index, group] of (was as unknown[]).entries()) {
      const later: unknown = (now as unknown[])[index];
      if (!isRecord(group) || !isRecord(later)) continue;
      const pruned = prunedGroup(group, later, at);
      const name = typeof group["name"] === "string" ? group["name"] : `#${String(index + 1)}`;
      if (pruned === undefined)
        return `it deletes more than grants expired by then from ${name}'s members in ${change.file}`;
      groups[index] = pruned.group;
      cut += pruned.cut;
    }
    if (canonicalJson(expected) !== canonicalJson(after))
      return `it changes more in ${change.file} than expired grants and their names pending review`;
  }
  return cut === 0 ? "it deletes no expired grant" : undefined;
}

/**
 * Whether commit `sha` is a `prune` commit: undefined when its message has no PRUNE_TRAILER; else
 * verified (job `prune`), or why not.
 */
export function checkPruneCommit(
  cwd: string,
  dir: string,
  sha: string,
): Promise<ReviewCloseCommit | undefined> {
  return checkTrailedCommit(cwd, dir, sha, PRUNE_TRAILER, notOnlyPrune, "prune");
}
