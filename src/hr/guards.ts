/**
 * The sync's guard rails: a truncated or wrong export must not offboard the company, nor a wrong one
 * (another tenant's, another company's) onboard strangers. Too many leavers, e-mail changes, cleared
 * fields or joiners at once, and nothing is written unless overridden.
 */
import type { Limit } from "./mapping.ts";
import type { HrSyncPlan } from "./sync-types.ts";

export interface GuardViolation {
  /** Which guard: the option that overrides it. */
  readonly guard: "max-leavers" | "max-email-changes" | "max-cleared" | "max-joiners" | "max-movers";
  readonly count: number;
  readonly limit: number;
  readonly message: string;
}

/** The number a limit allows: a count as it is; a percentage of `base`, rounded up (so at least 1 of 1+). */
export function limitOf(limit: Limit, base: number): number {
  return limit.kind === "count" ? limit.value : Math.ceil((base * limit.value) / 100);
}

const describeLimit = (limit: Limit, base: number): string =>
  limit.kind === "count"
    ? String(limit.value)
    : `${String(limit.value)}% of ${String(base)} people = ${String(limitOf(limit, base))}`;

/**
 * Joiners by default: 10% of the people in the files, but never fewer than 10. A wrong export (another
 * tenant's, a test system's) brings far more people than a month's hires, each of whom gets their role's
 * access; 10% still lets a growing company's weekly cohort through, and the floor lets a 20-person
 * startup hire a handful at once. A limit given (option or mapping) is taken as it is, without the floor.
 */
export const DEFAULT_MAX_JOINERS: Limit = { kind: "percent", value: 10 };
export const MIN_DEFAULT_JOINERS = 10;

/**
 * Movers by default: 10% of the people in the files, but never fewer than 10. Roles match on department,
 * title and employment type: an export whose department codes HR renamed wholesale moves everyone, and
 * every role stops matching (a trial found it written with exit 0, stopped only by apply's removal limit).
 * A reorganization passes with --max-movers.
 */
export const DEFAULT_MAX_MOVERS: Limit = { kind: "percent", value: 10 };

export interface SyncLimits {
  readonly maxLeavers: Limit;
  readonly maxEmailChanges: Limit;
  readonly maxCleared: Limit;
  /** Undefined: the default (DEFAULT_MAX_JOINERS, at least MIN_DEFAULT_JOINERS). */
  readonly maxJoiners?: Limit;
  /** Undefined: the default (DEFAULT_MAX_MOVERS, at least MIN_DEFAULT_JOINERS). */
  readonly maxMovers?: Limit;
}

/**
 * A limit given, as it is; none given, the default percentage but never fewer than MIN_DEFAULT_JOINERS
 * (a small company's handful): the number and how the message says it.
 */
function floored(given: Limit | undefined, byDefault: Limit, base: number): { limit: number; text: string } {
  if (given !== undefined) return { limit: limitOf(given, base), text: describeLimit(given, base) };
  return {
    limit: Math.max(limitOf(byDefault, base), MIN_DEFAULT_JOINERS),
    text: `${describeLimit(byDefault, base)}, at least ${String(MIN_DEFAULT_JOINERS)} by default`,
  };
}

export function checkSyncGuards(plan: HrSyncPlan, limits: SyncLimits): GuardViolation[] {
  const base = plan.activePeople;
  const violations: GuardViolation[] = [];
  // People who lose their access without leaving (a start date moved past today, leave that disables)
  // count as leavers: to them and to the company, a wrong date column is an offboarding.
  const later = plan.updates.filter((u) => u.losesAccess === "start-date-later").length;
  const onLeave = plan.updates.filter((u) => u.losesAccess === "leave").length;
  const leavers = plan.updates.filter((u) => u.isLeaver).length + later + onLeave;
  const maxLeavers = limitOf(limits.maxLeavers, base);
  const why = [
    ...(later === 0 ? [] : [`${String(later)} who had started by a startDate moved past today`]),
    ...(onLeave === 0 ? [] : [`${String(onLeave)} put on leave, which policy.leave makes disable accounts`]),
  ];
  const alsoSuspended = why.length === 0 ? "" : ` or lose their access (${why.join("; ")})`;
  if (leavers > maxLeavers)
    violations.push({
      guard: "max-leavers",
      count: leavers,
      limit: maxLeavers,
      message: `${String(leavers)} people would become leavers${alsoSuspended}, over the limit (${describeLimit(limits.maxLeavers, base)}); is the export complete and the right one? Pass --max-leavers ${String(leavers)} if it is`,
    });
  const emails = plan.updates.filter((u) =>
    u.changes.some((c) => c.field === "email" && c.before !== undefined),
  ).length;
  const maxEmails = limitOf(limits.maxEmailChanges, base);
  if (emails > maxEmails)
    violations.push({
      guard: "max-email-changes",
      count: emails,
      limit: maxEmails,
      message: `${String(emails)} e-mail addresses would change, over the limit (${describeLimit(limits.maxEmailChanges, base)}); is the email column mapped right? Pass --max-email-changes ${String(emails)} if it is`,
    });
  // A blank cell clears the field, and department, title and employment type decide role baselines: a
  // column exported empty by mistake would take everyone's role access away.
  const cleared = plan.updates.filter(
    (u) =>
      !u.isLeaver &&
      !u.hasLeft &&
      u.changes.some((c) => CLEARABLE.has(c.field) && c.before !== undefined && c.after === undefined),
  ).length;
  const maxCleared = limitOf(limits.maxCleared, base);
  if (cleared > maxCleared)
    violations.push({
      guard: "max-cleared",
      count: cleared,
      limit: maxCleared,
      message: `${String(cleared)} people would lose their department, title, manager, employment type or end date to an empty cell, over the limit (${describeLimit(limits.maxCleared, base)}); is the export complete? Pass --max-cleared ${String(cleared)} if it is`,
    });
  // A value that roles match on, changed (not cleared: max-cleared counts those) for many at once.
  const movers = plan.updates.filter(
    (u) =>
      !u.isLeaver &&
      !u.hasLeft &&
      u.changes.some((c) => ROLE_FIELDS.has(c.field) && c.before !== undefined && c.after !== undefined),
  ).length;
  const maxMovers = floored(limits.maxMovers, DEFAULT_MAX_MOVERS, base);
  if (movers > maxMovers.limit)
    violations.push({
      guard: "max-movers",
      count: movers,
      limit: maxMovers.limit,
      message: `${String(movers)} people would change department, title or employment type, over the limit (${maxMovers.text}); roles match on these, so their access changes with them: did HR rename its codes, or is this a reorganization? Pass --max-movers ${String(movers)} if it is one`,
    });
  // New people get their role's access from their start day: an export of the wrong tenant would
  // onboard all of it.
  const joiners = plan.joiners.length;
  const maxJoiners = floored(limits.maxJoiners, DEFAULT_MAX_JOINERS, base);
  if (joiners > maxJoiners.limit)
    violations.push({
      guard: "max-joiners",
      count: joiners,
      limit: maxJoiners.limit,
      message: `${String(joiners)} people would join, over the limit (${maxJoiners.text}); is this the right HR system's export (the right company and tenant), or the first sync into these files? Pass --max-joiners ${String(joiners)} if it is`,
    });
  return violations;
}

/** Fields role baselines match on. */
const ROLE_FIELDS: ReadonlySet<string> = new Set(["department", "title", "employmentType"]);

/** Fields whose loss can take access away (role baselines match on them) or break the manager chain. */
// The endDate too: cleared, it makes a fixed-term contract lasting (and clears the account expiry gatehouse
// wrote in Active Directory), so an endDate column exported blank would make every contractor permanent.
const CLEARABLE: ReadonlySet<string> = new Set([
  "department",
  "title",
  "manager",
  "employmentType",
  "endDate",
]);
