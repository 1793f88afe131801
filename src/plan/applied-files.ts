import type { DesiredState } from "../model/state.ts";
import type { Change, Plan } from "./types.ts";

/**
 * The access files as gatehouse last applied them (the journal's last commit), per provider as the
 * desired state they gave. The journal only knows what gatehouse itself wrote: what an import adopted,
 * and what was live already when its line came, it never wrote, so only these files tell a line removed
 * since from access added by hand, and someone the system lost since from someone new.
 */
export interface AppliedFiles {
  /** The commit gatehouse last applied (JournalFold.lastCommit). */
  readonly commit: string;
  /** By provider name. */
  readonly desired: ReadonlyMap<string, DesiredState>;
  /**
   * Whether the run that applied the commit made its whole plan (JournalFold.lastCommitRun.isMade): only
   * then was all the files gave in the systems after it, and something missing now was taken away since.
   */
  readonly isMade: boolean;
  /**
   * Account names the journal saw gatehouse handle, as `${provider}\n${account}` (lower case) → the user
   * ids it handled them for, with the names renamed away (user ids too): a name another person had, or
   * that was renamed away, is no one's lost account, whatever the files gave then.
   */
  readonly journalHolders: ReadonlyMap<string, ReadonlySet<string>>;
}

/** The changes whose reason the files gatehouse last applied may correct (reasonsFromAppliedFiles). */
export function reasonCandidates(plan: Plan): Change[] {
  return plan.changes.filter((c) => correctedReason(c) !== undefined);
}

/** The reason a change would take if the files gatehouse last applied held its object; undefined: none. */
function correctedReason(change: Change): "removed-from-config" | "drift" | undefined {
  if (change.kind === "membership" && change.action === "remove" && change.reason === "drift")
    return "removed-from-config";
  if (change.reason !== "added-in-config") return undefined;
  // Not a group's create: one made again is added in config, as a group gatehouse made itself is.
  const isAdd =
    (change.kind === "membership" && change.action === "add") ||
    (change.kind === "user" && change.action === "create");
  return isAdd ? "drift" : undefined;
}

/**
 * Whether `before` gave `account` to the same person, enabled: an account name passed on since (an
 * e-mail address given to someone new) is the new holder's, added in config.
 */
function isSamePerson(account: string, userId: string | undefined, before: DesiredState): boolean {
  const then = before.users.get(account);
  return then?.enabled === true && userId !== undefined && then.userId === userId;
}

/**
 * Whether an add of `change` is something taken away since the commit was applied (drift): that run made
 * its whole plan, the name is no other person's in the journal's eyes, and it is not a name another
 * person held (UserChange.heldBefore), which a plan may hold back a run or more.
 */
function isTakenAway(change: Change, applied: AppliedFiles): boolean {
  if (!applied.isMade) return false;
  if (change.kind === "user" && change.action === "create" && change.heldBefore === true) return false;
  const account = change.kind === "user" ? change.account : change.kind === "membership" ? change.member : "";
  const holders = applied.journalHolders.get(`${change.provider}\n${account.toLowerCase()}`);
  return (
    holders === undefined || (change.userId !== undefined && [...holders].every((h) => h === change.userId))
  );
}

/** Whether the desired state `before` held what `change` adds or removes. */
function heldBefore(change: Change, before: DesiredState): boolean {
  switch (change.kind) {
    case "user":
      return isSamePerson(change.account, change.userId, before);
    case "group":
      return false;
    case "membership": {
      const group = before.groups.get(change.group);
      if (group === undefined) return false;
      return change.memberKind === "group"
        ? group.groupMembers.has(change.member)
        : group.members.has(change.member) && isSamePerson(change.member, change.userId, before);
    }
  }
}

/**
 * The plan with the reasons the files gatehouse last applied give, where the journal could not (it
 * never wrote what an import adopted): a member removed as drift ("gatehouse did not add it") whose line
 * those files held was removed from the files since (removed-from-config); something added because the
 * files give it (added-in-config) that those files gave already was in the system when gatehouse applied
 * them, or should have been, and is missing now: drift (someone who left a GitHub organization by
 * themselves is invited again, and nobody added them). Only reasons and their why change: what each
 * change does, and its risk, stay as planned.
 */
export function reasonsFromAppliedFiles(plan: Plan, applied: AppliedFiles): Plan {
  const short = applied.commit.slice(0, 12);
  const changes = plan.changes.map((c): Change => {
    const reason = correctedReason(c);
    const before = applied.desired.get(c.provider);
    if (reason === undefined || before === undefined || !heldBefore(c, before)) return c;
    if (reason === "drift" && !isTakenAway(c, applied)) return c;
    if (reason === "removed-from-config")
      return {
        ...c,
        reason,
        why: [`no longer in the access files (they held it at ${short}, the commit gatehouse last applied)`],
      };
    return {
      ...c,
      reason,
      why: [
        ...(c.why ?? []),
        `in the access files gatehouse last applied (${short}) already, and missing in ${c.provider} now: taken away outside gatehouse`,
      ],
    };
  });
  return changes.some((c, i) => c !== plan.changes[i]) ? { ...plan, changes } : plan;
}
