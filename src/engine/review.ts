/**
 * Access reviews, decided from the model: which groups a review opens for and whom it lists, and what
 * closing the open reviews revokes. Pure: the model and `now` in, data out; review-edit.ts writes it.
 */
import type { AccessModel, Group } from "../model/access.ts";
import type { Provenance } from "../model/state.ts";
import { computeEffectiveMemberships, provenanceOf } from "../desired/effective.ts";
import { afterDay, isTerminated } from "../lifecycle/status.ts";
import { directUsers } from "../validate/rules/access-reviews.ts";

/** A member the review does not list: held through roles or nested groups, which are reviewed instead. */
export interface HeldElsewhere {
  readonly user: string;
  /** "role platform-engineer", "group team-sre". */
  readonly ways: readonly string[];
  /** Also listed directly: re-certifying or revoking the line leaves these ways. */
  readonly isListed: boolean;
}

export type OpenChoice =
  | {
      readonly kind: "open";
      readonly group: Group;
      /** Every user the group lists (lines and grants), in file order, each once, leavers excepted. */
      readonly pending: readonly string[];
      /**
       * Listed users who are leavers at `now` (terminated, or past their end date): their offboarding takes
       * the group away whatever the review says, so re-certifying them means nothing.
       */
      readonly leavers: readonly string[];
      readonly elsewhere: readonly HeldElsewhere[];
    }
  | { readonly kind: "skip"; readonly group: Group; readonly why: string };

function wayOf(p: Provenance): string | undefined {
  switch (p.kind) {
    case "direct":
      return undefined;
    case "role":
      return `role ${p.role}`;
    case "nested":
      return `group ${p.via}`;
  }
}

/** Of `users`, those who hold `group` (also) through a role or a nested group, in the order given. */
function otherWays(
  model: AccessModel,
  group: Group,
  users: Iterable<string>,
  now: Date,
): { readonly user: string; readonly ways: readonly string[] }[] {
  const out: { user: string; ways: string[] }[] = [];
  for (const [user, list] of provenanceOf(model, group.name, users, now)) {
    const named = [...new Set(list.map(wayOf).filter((w): w is string => w !== undefined))];
    if (named.length > 0) out.push({ user, ways: named });
  }
  return out;
}

/** Members of `group` held (also) through a role or a nested group, in the effective members' order. */
function heldElsewhere(
  model: AccessModel,
  group: Group,
  listed: ReadonlySet<string>,
  now: Date,
): HeldElsewhere[] {
  const members = computeEffectiveMemberships(model, now).get(group.name)?.members;
  if (members === undefined) return [];
  return otherWays(model, group, members, now).map((h) => ({ ...h, isListed: listed.has(h.user) }));
}

/**
 * What `review open` does for each group: `names` when given (in that order), else every group with
 * owners and a members list naming someone. A group with a review open already is skipped, and so is one
 * whose membership the files do not manage or that lists nobody.
 */
export function planOpen(model: AccessModel, names: readonly string[] | undefined, now: Date): OpenChoice[] {
  const groups =
    names === undefined
      ? [...model.groups.values()].filter((g) => g.owners.length > 0 && directUsers(g).size > 0)
      : names.flatMap((n) => model.groups.get(n) ?? []);
  return groups.map((group): OpenChoice => {
    if (group.review !== undefined)
      return { kind: "skip", group, why: `a review is open already (due ${group.review.due})` };
    if (group.members === undefined)
      return { kind: "skip", group, why: "its membership is not managed by the files (no members list)" };
    const listed = directUsers(group);
    if (listed.size === 0) {
      // Its people hold it through nested groups, whose own reviews re-certify them.
      const nested = (group.members ?? []).flatMap((m) => (m.kind === "group" ? [m.group] : []));
      return {
        kind: "skip",
        group,
        why:
          nested.length === 0
            ? "it lists no members or grants"
            : `it lists no people, only nested group(s) ${nested.join(", ")}: review ${nested.length === 1 ? "that group" : "those groups"} (its members hold ${group.name} through it)`,
      };
    }
    const leavers = new Set(
      [...listed].filter((id) => {
        const user = model.users.get(id);
        return user !== undefined && isTerminated(user, now);
      }),
    );
    const pending = [...listed].filter((id) => !leavers.has(id));
    if (pending.length === 0)
      return {
        kind: "skip",
        group,
        why: `it lists only leavers (${[...leavers].join(", ")}), whose offboarding takes the group away`,
      };
    return {
      kind: "open",
      group,
      pending,
      leavers: [...leavers],
      elsewhere: heldElsewhere(model, group, listed, now),
    };
  });
}

/** What `review close` does to a group whose review is over. */
export interface CloseChoice {
  readonly group: Group;
  readonly due: string;
  readonly isPastDue: boolean;
  /** Pending users the group still lists: their lines and grants go. */
  readonly revoke: readonly string[];
  /** Pending names the group does not list (revoked by hand already): nothing to do for them. */
  readonly stale: readonly string[];
  /**
   * Of `revoke`, those who hold the group through a role or a nested group too: only their line goes,
   * and they keep the group (a review never revokes those ways; their role or group is reviewed).
   */
  readonly keptThrough: readonly { readonly user: string; readonly ways: readonly string[] }[];
}

/** Whether a review due on `due` is over at `now`: from midnight UTC after the due day. */
export function isReviewPastDue(due: string, now: Date): boolean {
  const end = afterDay(due);
  return Number.isFinite(end) && now.getTime() >= end;
}

/** The reviews `review close` closes: every one past due, and every one with nothing pending. */
export function planClose(model: AccessModel, now: Date): CloseChoice[] {
  const out: CloseChoice[] = [];
  for (const group of model.groups.values()) {
    const review = group.review;
    if (review === undefined) continue;
    const isPastDue = isReviewPastDue(review.due, now);
    if (!isPastDue && review.pending.length > 0) continue;
    const listed = directUsers(group);
    const revoke = isPastDue ? review.pending.filter((id) => listed.has(id)) : [];
    out.push({
      group,
      due: review.due,
      isPastDue,
      revoke,
      stale: review.pending.filter((id) => !listed.has(id)),
      keptThrough: revoke.length === 0 ? [] : otherWays(model, group, revoke, now),
    });
  }
  return out;
}
