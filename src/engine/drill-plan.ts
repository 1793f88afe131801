/**
 * The pure parts of a fire drill (`gatehouse drill`): which user is the canary, the model with the
 * canary as a leaver, and the canary's own changes out of a plan, refused when anything in them is not
 * the canary's kill chain.
 */
import type { AccessModel, User } from "../model/access.ts";
import { formatLocation, type SourceLocation } from "../model/source.ts";
import type { Change, Plan } from "../plan/types.ts";
import { summarize } from "../plan/order.ts";
import { hasNotStarted, isTerminated } from "../lifecycle/status.ts";
import { ConfigError, UsageError } from "../errors.ts";

/** Where `policy.drills.canaries[index]` sits in gatehouse.yaml, or where `policy` does. */
function canarySource(model: AccessModel, index: number): SourceLocation | undefined {
  const { policy } = model.config;
  return (
    policy.locations?.get(`/drills/canaries/${String(index)}`) ??
    policy.locations?.get("/drills/canaries") ??
    policy.source ??
    model.config.source
  );
}

function at(source: SourceLocation | undefined): string {
  return source === undefined ? "" : `${formatLocation(source)}: `;
}

/**
 * The canary to drill: `requested` (which must be listed in `policy.drills.canaries`), else the first
 * listed. It must be defined in the files, active (started, not a leaver), and neither a protected user,
 * an owner of a group nor an admin: a drill takes its access away for real.
 */
export function chooseCanary(model: AccessModel, requested: string | undefined, now: Date): User {
  const canaries = model.config.policy.drillCanaries ?? [];
  if (canaries.length === 0)
    throw new UsageError(
      "no canary: gatehouse.yaml lists none under policy.drills.canaries (a user kept only to be offboarded in drills)",
    );
  const index = requested === undefined ? 0 : canaries.indexOf(requested);
  const id = canaries[index];
  if (id === undefined)
    throw new UsageError(
      `${requested ?? ""} is not a canary: policy.drills.canaries lists ${canaries.join(", ")}; a drill offboards no one else`,
    );
  const where = at(canarySource(model, index));
  const user = model.users.get(id);
  if (user === undefined)
    throw new ConfigError(`${where}canary ${id} is not a user in the access files; nothing was changed`);
  const policy = model.config.policy;
  const reasons = [
    ...(policy.guardrails.protectedUsers.includes(id)
      ? ["a protected user (policy.guardrails.protectedUsers)"]
      : []),
    ...(policy.admins.includes(id) ? ["an admin (policy.admins)"] : []),
    ...[...model.groups.values()]
      .filter((g) => g.owners.includes(id))
      .map((g) => `an owner of group ${g.name}`),
    ...(isTerminated(user, now) ? ["a leaver already (status or endDate)"] : []),
    ...(hasNotStarted(user, now) ? ["not started yet (startDate)"] : []),
    ...(user.status === "leave" ? ["on leave"] : []),
  ];
  if (reasons.length > 0)
    throw new ConfigError(
      `${where}canary ${id} cannot be drilled: it is ${reasons.join(", ")}; a canary is a user kept only to be offboarded in drills. Nothing was changed`,
    );
  return user;
}

/** `model` with the canary terminated, in memory: what a plan sees when it is offboarded for real. */
export function withCanaryLeaving(model: AccessModel, canary: string): AccessModel {
  const user = model.users.get(canary);
  if (user === undefined) return model;
  const users = new Map(model.users);
  users.set(canary, { ...user, status: "terminated" });
  return { ...model, users };
}

/** What a kill chain may hold: the leaver's account disabled, sessions revoked, memberships removed. */
function isKillStep(change: Change): boolean {
  if (change.reason !== "user-terminated") return false;
  if (change.kind === "user") return change.action === "disable" || change.action === "revoke-sessions";
  return change.kind === "membership" && change.action === "remove" && change.memberKind === "user";
}

/** `plan` with only `changes`, summarized again and with no notes (those were about the whole plan). */
function planOf(plan: Plan, changes: readonly Change[]): Plan {
  return { ...plan, changes, notes: [], summary: summarize(changes) };
}

/** A change a drill cannot make, in words: "delete its account svc.canary@acme.test in tickets". */
const describe = (c: Change): string => {
  if (c.kind === "user" && c.action === "delete")
    return `delete its account ${c.account} in ${c.provider} (the system deletes leavers' accounts: deleteUsers)`;
  if (c.kind === "user") return `${c.action} its account ${c.account} in ${c.provider}`;
  return `${c.kind} ${c.action} ${c.id} in ${c.provider}`;
};

/**
 * The canary's kill chain out of a plan made with the canary as a leaver: its changes only, each a
 * disable, a revocation or a membership removal of the canary's. Anything else of the canary's (its
 * account deleted, where a system deletes leavers' accounts) is refused, and so is an empty chain.
 */
export function killChainOf(plan: Plan, canary: string): Plan {
  const theirs = plan.changes.filter((c) => c.userId === canary);
  const other = theirs.filter((c) => !isKillStep(c));
  if (other.length > 0)
    throw new ConfigError(
      `refusing the drill: offboarding canary ${canary} would also ${other.map(describe).join("; ")}; a drill only disables, revokes sessions and removes memberships, which its restore gives back. ` +
        `Give the canary legalHold: true (its account is then disabled, not deleted), or pick a canary there is no such change for. Nothing was changed`,
    );
  if (theirs.length === 0)
    throw new ConfigError(
      `nothing to drill: canary ${canary} has no account or membership the plan would take away in the systems read; give it an account and a group first`,
    );
  // Each change says why it is made: the canary is no leaver in the files, and the journal must not say so.
  const chain = planOf(
    plan,
    theirs.map((c) => ({
      ...c,
      why: [`fire drill: canary ${canary} offboarded as a leaver would be (gatehouse drill)`],
    })),
  );
  // The guard rail the drill stands on: not one change of anyone else's.
  const foreign = chain.changes.filter((c) => c.userId !== canary);
  if (foreign.length > 0)
    throw new UsageError(
      `refusing the drill: its plan holds others' changes (${foreign.map(describe).join("; ")})`,
    );
  return chain;
}

/** The canary's changes of a plan made from the files as they are: its restore, or what is left of it. */
export function canaryChangesOf(plan: Plan, canary: string): Plan {
  return planOf(
    plan,
    plan.changes.filter((c) => c.userId === canary),
  );
}
