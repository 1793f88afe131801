/**
 * The access reviews of a period, from git history (the audit log of intent): a review is a group's
 * `review: {due, pending}` block, written by `review open`, whose `pending` names the owners delete in the
 * pull requests they approve (re-certifying them), and which `review close` removes with the members
 * still pending. Folding the groups of each commit of the first-parent line, in order, tells when each
 * review opened, who was certified, revoked or added to it in which commit, and how it ended.
 */
import { afterDay } from "../lifecycle/status.ts";
import type { ReviewApproval } from "./review-approvals.ts";
import type { CommitGroups, CommitInfo, GroupAt } from "./review-walk.ts";

/** A commit of a review, with what the journal says of its approvals for the group. */
export interface ReviewCommit extends CommitInfo {
  readonly approval: ReviewApproval;
}

export interface ReviewStep {
  readonly at: ReviewCommit;
  /** The group's name at that commit. */
  readonly group: string;
  /** Names that left `pending` and are still members: re-certified. */
  readonly certified: readonly string[];
  /** Pending names whose member line left in this commit while the review stayed open: revoked by hand. */
  readonly revoked: readonly string[];
  /** Of `revoked`, those whose name was left in `pending` (the line alone was deleted). */
  readonly revokedStillPending: readonly string[];
  /** Names that left `pending` but were no members before either (a stale name, GH233). */
  readonly dropped: readonly string[];
  /** Names added to `pending` (hr sync's movers, a hand edit). */
  readonly added: readonly string[];
  /** The due day changed. */
  readonly due?: { readonly from: string; readonly to: string };
  /** The group was renamed (formerNames). */
  readonly renamed?: { readonly from: string; readonly to: string };
  /** People of the review whose id changed (the user lists the old one in formerIds): no one revoked. */
  readonly renamedUsers?: readonly { readonly from: string; readonly to: string }[];
}

export type ReviewEnd =
  | {
      /** The block was removed: `review close`, or a hand edit. */
      readonly kind: "closed";
      readonly at: ReviewCommit;
      /** Pending members whose line left with the block: revoked for not being re-certified. */
      readonly revoked: readonly string[];
      /** Pending names still members after it: the block was removed without revoking them (by hand). */
      readonly keptPending: readonly string[];
      /** Whether the commit came after the due day (close acts from the day after it). */
      readonly isAfterDue: boolean;
    }
  | {
      /** The group left the files (deleted, or renamed without formerNames) with the review open. */
      readonly kind: "group-gone";
      readonly at: ReviewCommit;
      readonly pending: readonly string[];
    }
  | {
      readonly kind: "open";
      /** The instant asked about (--until, or now). */
      readonly asOf: string;
      readonly due: string;
      /** Pending names the group still lists, and pending names it does not (GH233). */
      readonly pending: readonly string[];
      readonly pendingNotMembers: readonly string[];
      readonly isOverdue: boolean;
    };

export interface ReviewRecord {
  /** The group's name when the review opened, and every name it had until it ended. */
  readonly group: string;
  readonly names: readonly string[];
  readonly file: string;
  readonly opened: {
    readonly at: ReviewCommit;
    readonly due: string;
    readonly pending: readonly string[];
    /** The group came into the files with the block already written (added, or renamed without formerNames). */
    readonly isGroupNew: boolean;
    /** The review opened before --since (it is shown since it ran into the period). */
    readonly isBeforeSince: boolean;
  };
  readonly steps: readonly ReviewStep[];
  readonly end: ReviewEnd;
}

export interface FoldOptions {
  readonly since?: Date;
  readonly until?: Date;
  readonly now: Date;
  readonly approvalOf: (commit: string, group: string) => ReviewApproval;
}

interface Tracked {
  names: string[];
  file: string;
  last: GroupAt;
  opened: ReviewRecord["opened"];
  steps: ReviewStep[];
}

/** What folds the walk's commits, one at a time, into the reviews of the period. */
export interface ReviewFold {
  add(commit: CommitGroups): void;
  /** The reviews that ran at some moment of [since, until], in the order they opened. */
  reviews(): ReviewRecord[];
}

/**
 * A fold of the walk's commits (oldest first) into reviews. Only groups a commit's changed files define
 * are looked at: an open review whose group's file did not change did not move.
 */
export function reviewFold(options: FoldOptions): ReviewFold {
  const until = options.until ?? options.now;
  const done: { readonly order: number; readonly record: ReviewRecord }[] = [];
  const open = new Map<string, Tracked & { order: number }>();
  let opened = 0;
  let isPastUntil = false;
  const add = (commit: CommitGroups): void => {
    // Commits past --until are after the period, in first-parent order (the branch's own order); without
    // --until, every commit up to HEAD (a committer's clock ahead of this one's does not hide a commit).
    if (options.until !== undefined && Date.parse(commit.info.committedAt) > until.getTime())
      isPastUntil = true;
    if (isPastUntil) return;
    const { groups, changed } = commit;
    const at = (group: string): ReviewCommit => ({
      ...commit.info,
      approval: options.approvalOf(commit.info.commit, group),
    });
    const seen = new Set<string>();
    for (const [name, tracked] of [...open]) {
      if (!changed.has(name)) continue;
      let group = groups.get(name);
      let renamed: ReviewStep["renamed"];
      if (group === undefined) {
        const to = [...changed].find(
          (n) => groups.get(n)?.formerNames.includes(name) === true && !commit.wasDefined(n),
        );
        group = to === undefined ? undefined : groups.get(to);
        if (group !== undefined) renamed = { from: name, to: group.name };
      }
      open.delete(name);
      if (group === undefined) {
        const pending = tracked.last.review?.pending ?? [];
        done.push({
          record: finish(tracked, { kind: "group-gone", at: at(name), pending }),
          order: tracked.order,
        });
        continue;
      }
      seen.add(group.name);
      // People renamed in this commit (formerIds) are compared under their id now: no one revoked.
      const { before, users } = underIdsNow(tracked.last, commit.formerIds);
      const step = stepOf(before, group, at(group.name), renamed, users);
      if (step !== undefined) tracked.steps.push(step);
      if (renamed !== undefined) tracked.names.push(renamed.to);
      if (group.review === undefined) {
        done.push({ record: finish(tracked, closeOf(before, group, at(group.name))), order: tracked.order });
        continue;
      }
      tracked.last = group;
      tracked.file = group.file;
      open.set(group.name, tracked);
    }
    for (const name of changed) {
      const group = groups.get(name);
      if (group?.review === undefined || seen.has(group.name) || open.has(group.name)) continue;
      const wasThere = commit.wasDefined(group.name) || group.formerNames.some((n) => commit.wasDefined(n));
      open.set(group.name, {
        order: opened++,
        names: [group.name],
        file: group.file,
        last: group,
        steps: [],
        opened: {
          at: at(group.name),
          due: group.review.due,
          pending: group.review.pending,
          isGroupNew: !wasThere,
          isBeforeSince:
            options.since !== undefined && Date.parse(commit.info.committedAt) < options.since.getTime(),
        },
      });
    }
  };
  const reviews = (): ReviewRecord[] => {
    const all = [...done];
    for (const tracked of open.values()) {
      const review = tracked.last.review;
      const pending = review?.pending ?? [];
      all.push({
        record: finish(tracked, {
          kind: "open",
          asOf: until.toISOString(),
          due: review?.due ?? "",
          pending: pending.filter((n) => tracked.last.users.has(n)),
          pendingNotMembers: pending.filter((n) => !tracked.last.users.has(n)),
          isOverdue: review !== undefined && until.getTime() >= afterDay(review.due),
        }),
        order: tracked.order,
      });
    }
    const since = options.since?.getTime();
    return all
      .sort((a, b) => a.order - b.order)
      .map((r) => r.record)
      .filter(
        (r) => since === undefined || r.end.kind === "open" || Date.parse(r.end.at.committedAt) >= since,
      );
  };
  return { add, reviews };
}

/** `group` with the ids people had before `formerIds` renamed them, under their ids now; who was renamed. */
function underIdsNow(
  group: GroupAt,
  formerIds: ReadonlyMap<string, string>,
): { before: GroupAt; users: readonly { readonly from: string; readonly to: string }[] } {
  const now = (id: string): string => formerIds.get(id) ?? id;
  const named = [...new Set([...group.users, ...(group.review?.pending ?? [])])];
  const users = named.filter((id) => now(id) !== id).map((id) => ({ from: id, to: now(id) }));
  if (users.length === 0) return { before: group, users };
  return {
    before: {
      ...group,
      users: new Set([...group.users].map(now)),
      ...(group.review === undefined
        ? {}
        : { review: { due: group.review.due, pending: group.review.pending.map(now) } }),
    },
    users,
  };
}

function finish(tracked: Tracked, end: ReviewEnd): ReviewRecord {
  return {
    group: tracked.names[0] ?? "",
    names: tracked.names,
    file: tracked.file,
    opened: tracked.opened,
    steps: tracked.steps,
    end,
  };
}

/** What one commit did to an open review; undefined when it changed nothing of it. */
function stepOf(
  before: GroupAt,
  after: GroupAt,
  at: ReviewCommit,
  renamed: ReviewStep["renamed"],
  users: NonNullable<ReviewStep["renamedUsers"]>,
): ReviewStep | undefined {
  const names = {
    ...(renamed === undefined ? {} : { renamed }),
    ...(users.length === 0 ? {} : { renamedUsers: users }),
  };
  if (after.review === undefined)
    return renamed === undefined && users.length === 0 ? undefined : { ...empty(at, after.name), ...names };
  const was = new Set(before.review?.pending ?? []);
  const now = new Set(after.review.pending);
  const left = [...was].filter((n) => !now.has(n));
  const certified = left.filter((n) => after.users.has(n));
  const revoked = [...was].filter((n) => before.users.has(n) && !after.users.has(n));
  const step: ReviewStep = {
    at,
    group: after.name,
    certified,
    revoked,
    revokedStillPending: revoked.filter((n) => now.has(n)),
    dropped: left.filter((n) => !before.users.has(n) && !after.users.has(n)),
    added: [...now].filter((n) => !was.has(n)),
    ...(before.review?.due === after.review.due
      ? {}
      : { due: { from: before.review?.due ?? "", to: after.review.due } }),
    ...names,
  };
  const isEmpty =
    step.certified.length + step.revoked.length + step.dropped.length + step.added.length === 0 &&
    step.due === undefined &&
    step.renamed === undefined &&
    step.renamedUsers === undefined;
  return isEmpty ? undefined : step;
}

function empty(at: ReviewCommit, group: string): ReviewStep {
  return { at, group, certified: [], revoked: [], revokedStillPending: [], dropped: [], added: [] };
}

/** The commit that removed the block: who it revoked, and who it left pending and a member. */
function closeOf(before: GroupAt, after: GroupAt, at: ReviewCommit): ReviewEnd {
  const pending = before.review?.pending ?? [];
  return {
    kind: "closed",
    at,
    revoked: pending.filter((n) => before.users.has(n) && !after.users.has(n)),
    keptPending: pending.filter((n) => after.users.has(n)),
    isAfterDue: before.review !== undefined && Date.parse(at.committedAt) >= afterDay(before.review.due),
  };
}
