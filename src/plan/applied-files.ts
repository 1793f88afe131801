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
}

/**
 * Whether a plan has a change whose reason the files gatehouse last applied may correct (reasonsFromAppliedFiles):
 * then, and only then, are those files worth reading.
 */
export function hasReasonsToCheck(plan: Plan): boolean {
  return plan.changes.some((c) => correctedReason(c) !== undefined);
}

/** The reason a change would take if the files gatehouse last applied held its object; undefined: none. */
function correctedReason(change: Change): "removed-from-config" | "drift" | undefined {
  if (change.kind === "membership" && change.action === "remove" && change.reason === "drift")
    return "removed-from-config";
  if (change.reason !== "added-in-config") return undefined;
  const isAdd =
    (change.kind === "membership" && change.action === "add") ||
    (change.kind === "user" && change.action === "create") ||
    (change.kind === "group" && change.action === "create");
  return isAdd ? "drift" : undefined;
}

/** Whether the desired state `before` held what `change` adds or removes. */
function heldBefore(change: Change, before: DesiredState): boolean {
  switch (change.kind) {
    case "user":
      return before.users.get(change.account)?.enabled === true;
    case "group":
      return before.groups.has(change.group);
    case "membership": {
      const group = before.groups.get(change.group);
      if (group === undefined) return false;
      return change.memberKind === "group"
        ? group.groupMembers.has(change.member)
        : group.members.has(change.member) && before.users.get(change.member)?.enabled === true;
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
  let changed = false;
  const changes = plan.changes.map((c): Change => {
    const reason = correctedReason(c);
    const before = applied.desired.get(c.provider);
    if (reason === undefined || before === undefined || !heldBefore(c, before)) return c;
    changed = true;
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
  return changed ? { ...plan, changes } : plan;
}
