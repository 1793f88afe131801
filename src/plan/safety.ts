import type { Policy } from "../model/access.ts";
import type { Change, Plan } from "./types.ts";
import { accountOf, renamedUserTo } from "./addresses.ts";
import { summarize } from "./order.ts";
import { plural } from "../model/lists.ts";

export interface GuardrailOptions {
  /** `--allow-removals N`: accept up to N removals per provider this once. */
  readonly allowRemovals?: number;
  /** `--force`: accept every guard-rail violation (logged in the journal). */
  readonly force?: boolean;
  /**
   * Every account a protected user has or had, per provider (mappings in the files, and accounts the
   * journal saw with their user id): a protected person stays protected under an old or renamed account.
   */
  readonly protectedAccounts?: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * Access this change takes away, counted in memberships: a removed member, every member of a deleted
 * group, a disabled or deleted account (the account itself is access), and an account renamed in place:
 * the name its person signs in with stops working, and a bad HR export that changes everyone's e-mail
 * must stop at the limit as the creates and disables it would make elsewhere do.
 */
function removalsOf(change: Change, accountsRemoved: ReadonlySet<string>): number {
  if (isGrantEnding(change)) return 0;
  // A value left under an account's former name (renamedTo) is counted under the new name.
  // So is a person's former account's, whose new account holds the group in its place (replacedBy).
  // A membership that ends with its account's removal (endsWithAccount) is counted with the account.
  if (change.kind === "membership" && change.action === "remove")
    return change.renamedTo === undefined &&
      change.replacedBy === undefined &&
      !endsWithRemovedAccount(change, accountsRemoved)
      ? (change.reaches ?? 1)
      : 0;
  if (change.kind === "group" && change.action === "delete") return change.memberCount;
  if (change.kind === "user" && (change.action === "disable" || change.action === "delete")) return 1;
  if (renamedUserTo(change) !== undefined || bringsExpiryForward(change)) return 1;
  return 0;
}

/**
 * An account expiry set or brought forward (a `fields` entry `endDate`, where the system expires accounts
 * itself: Active Directory's accountExpires): the system takes the account away on that day on its own,
 * whether or not the run then is refused, so the guard rails judge it now, as hr sync's --max-leavers
 * counts an endDate set or brought forward. An expiry moved later or cleared takes nothing away.
 */
function bringsExpiryForward(change: Change): boolean {
  if (change.kind !== "user" || change.action !== "update") return false;
  const expiry = change.fields.find((f) => f.field === "endDate");
  if (expiry === undefined || expiry.after === null) return false;
  return expiry.before === null || expiry.after < expiry.before;
}

/**
 * The end of a time-bound grant as it was applied (MembershipChange.endsGrant): its removal was approved
 * with the grant, so the guard rails neither count it nor refuse it for a protected user or group. A
 * bulk change elsewhere in the plan must not keep access past its end (the scheduled reconcile would
 * refuse every run), and apply makes these removals even when it refuses the rest (grantEndings).
 */
export function isGrantEnding(change: Change): boolean {
  return change.kind === "membership" && change.action === "remove" && change.endsGrant === true;
}

/**
 * A leaver's removal from a group (offboarding): protectedGroups guards a group against edits and drift
 * that take its members out, not against its members leaving, so it does not refuse these; a privileged
 * leaver kept in the group until someone forces the run would be the worst case of all. They are still
 * counted (a bad HR export that terminates many stops at maxRemovals, and at hr sync's --max-leavers),
 * and a protected user's are still refused. Not where the journal knows the account as another person's,
 * never the leaver's (MembershipChange.accountOf): an edit that names someone else's account as a leaver's
 * must not take it out of a protected group unrefused.
 */
function isLeaversRemoval(change: Change): boolean {
  return (
    change.kind === "membership" &&
    change.action === "remove" &&
    change.memberKind === "user" &&
    change.reason === "user-terminated" &&
    change.accountOf === undefined
  );
}

/**
 * A person's former account taken out of a group their new account holds in its place (their account
 * here changed, and the system cannot rename it): the person keeps the group, so protectedGroups does not
 * refuse it (apply makes it only once the new account holds the group). A protected user's still is.
 */
function isTakenOver(change: Change): boolean {
  return change.kind === "membership" && change.action === "remove" && change.replacedBy !== undefined;
}

/**
 * The plan's grant endings alone (isGrantEnding), as a plan of their own, with the grant ends the files
 * changed (Plan.grantEnds): a refused run records those too, or a grant shortened meanwhile would be held
 * past its new end by the same refusal. Undefined when it has neither.
 */
export function grantEndings(plan: Plan): Plan | undefined {
  const changes = plan.changes.filter(isGrantEnding);
  if (changes.length === 0 && (plan.grantEnds ?? []).length === 0) return undefined;
  return { ...plan, changes, notes: [], summary: summarize(changes) };
}

/**
 * A step of a leaver's kill chain (reason user-terminated): their account disabled or deleted, their
 * sessions revoked, their removal from a group. Not an account disabled for leave or before the start.
 */
function isOffboardingStep(change: Change): boolean {
  if (change.reason !== "user-terminated") return false;
  if (change.kind === "user")
    return change.action === "disable" || change.action === "delete" || change.action === "revoke-sessions";
  return change.kind === "membership" && change.action === "remove" && change.memberKind === "user";
}

/**
 * What apply makes of a plan the guard rails refuse: its grant endings (grantEndings), and the leavers'
 * offboarding where it passes the guard rails on its own. A drift removal refused in a protected group
 * (a member added there by hand), or a bulk edit elsewhere, must not keep every leaver's account open
 * until someone forces the run. The leavers' changes are judged together, as a plan holding only them,
 * and made all or none: a bad HR export terminating many (more removals than maxRemovals allows), or a
 * protected user leaving, offboards none of them without the override, as before. `leavers` is how many
 * are offboarded. Undefined when there is nothing to make and no grant end to record.
 */
export function madeDespiteRefusal(
  plan: Plan,
  policy: Policy,
  options: GuardrailOptions = {},
): { readonly plan: Plan; readonly endings: number; readonly leavers: number } | undefined {
  const own = (changes: readonly Change[]): Plan => ({
    ...plan,
    changes,
    notes: [],
    summary: summarize(changes),
  });
  const steps = plan.changes.filter((c) => !isGrantEnding(c) && isOffboardingStep(c));
  const isCleared = steps.length > 0 && guardrailViolations(own(steps), policy, options).length === 0;
  const made = new Set<Change>(isCleared ? steps : []);
  const changes = plan.changes.filter((c) => isGrantEnding(c) || made.has(c));
  if (changes.length === 0 && (plan.grantEnds ?? []).length === 0) return undefined;
  return {
    plan: own(changes),
    endings: changes.filter(isGrantEnding).length,
    leavers: new Set([...made].map((c) => c.userId ?? `${c.provider}:${accountOf(c) ?? c.id}`)).size,
  };
}

/**
 * The run of a plan the guard rails refuse whole, where nothing passes them on its own (madeDespiteRefusal
 * found nothing): no change and no grant end, recorded in the journal with the refusals all the same.
 */
export function nothingMade(plan: Plan): { readonly plan: Plan; readonly endings: 0; readonly leavers: 0 } {
  return { plan: { ...plan, changes: [], notes: [], summary: summarize([]) }, endings: 0, leavers: 0 };
}

/**
 * The accounts a plan takes out of their system (a disable or delete), as `provider\0account`: a
 * membership marked endsWithAccount is counted with its account only where the plan being judged holds
 * that account's removal too (a part of a plan without it sends the membership's removal on its own).
 */
function accountsRemovedIn(plan: Plan): Set<string> {
  const out = new Set<string>();
  for (const c of plan.changes)
    if (c.kind === "user" && (c.action === "disable" || c.action === "delete"))
      out.add(`${c.provider}\0${c.account}`);
  return out;
}

function endsWithRemovedAccount(change: Change, accountsRemoved: ReadonlySet<string>): boolean {
  return (
    change.kind === "membership" &&
    change.endsWithAccount !== undefined &&
    accountsRemoved.has(`${change.provider}\0${change.endsWithAccount}`)
  );
}

/**
 * Removals in the plan, or in one provider's part of it: memberships and accounts taken away, as apply
 * takes them (removalsOf). A membership that ends with its account's removal (GitHub's team memberships
 * when someone leaves the organization) is not counted again: apply sends nothing for it.
 */
export function countRemovals(plan: Plan, provider?: string): number {
  return removalCount(plan, provider).removals;
}

/** countRemovals, with how many membership removals it counted with their account (endsWithAccount). */
export function removalCount(
  plan: Plan,
  provider?: string,
): { readonly removals: number; readonly withAccount: number } {
  const accountsRemoved = accountsRemovedIn(plan);
  let removals = 0;
  let withAccount = 0;
  for (const c of plan.changes) {
    if (provider !== undefined && c.provider !== provider) continue;
    removals += removalsOf(c, accountsRemoved);
    if (!isGrantEnding(c) && endsWithRemovedAccount(c, accountsRemoved)) withAccount++;
  }
  return { removals, withAccount };
}

/** How a removal count says what it left out: the memberships counted with their accounts. */
export function countedWithAccounts(withAccount: number): string {
  return withAccount === 0
    ? ""
    : `${plural(withAccount, "membership", "memberships")} that end${withAccount === 1 ? "s" : ""} with ${withAccount === 1 ? "its account's" : "their accounts'"} removal counted with the account, not again`;
}

/**
 * The removal limit from policy. A percentage is of the current memberships of the provider concerned
 * (one big system must not make a small one wipeable); without a provider, of all of them.
 */
export function removalLimit(
  plan: Plan,
  policy: Policy,
  provider?: string,
): { limit: number; explanation: string } {
  const rule = policy.guardrails.maxRemovals;
  if (!rule) return { limit: Number.POSITIVE_INFINITY, explanation: "no limit" };
  if (rule.kind === "count")
    return { limit: rule.value, explanation: `policy.guardrails.maxRemovals is ${String(rule.value)}` };
  const total = plan.providers.reduce(
    (n, p) => n + (provider === undefined || p.name === provider ? p.liveMemberships : 0),
    0,
  );
  const limit = Math.floor((total * rule.value) / 100);
  return {
    limit,
    explanation: `policy.guardrails.maxRemovals is ${String(rule.value)}% of ${String(total)} current memberships${provider === undefined ? "" : ` in ${provider}`} = ${String(limit)}`,
  };
}

/**
 * Checks a plan against the guard rails before any write. Returns the violations, each saying how to
 * override; an empty list means the plan may be applied.
 */
export function checkGuardrails(plan: Plan, policy: Policy, options: GuardrailOptions = {}): string[] {
  return guardrailViolations(plan, policy, options).map((v) => v.message);
}

/** checkGuardrails, with the provider each violation is in. */
export function guardrailViolations(
  plan: Plan,
  policy: Policy,
  options: GuardrailOptions = {},
): { readonly provider: string; readonly message: string }[] {
  if (options.force === true) return [];
  const violations: { provider: string; message: string }[] = [];
  for (const provider of plan.providers) {
    const { removals, withAccount } = removalCount(plan, provider.name);
    const { limit, explanation } = removalLimit(plan, policy, provider.name);
    const allowed = Math.max(limit, options.allowRemovals ?? 0);
    if (removals > allowed) {
      const counted = countedWithAccounts(withAccount);
      violations.push({
        provider: provider.name,
        message:
          `the plan removes ${String(removals)} memberships or accounts in ${provider.name}, more than allowed (${explanation}${counted === "" ? "" : `; ${counted}`}); ` +
          `if that is intended, re-run with --allow-removals ${String(removals)}`,
      });
    }
  }
  // Names are compared whatever their case: most systems ignore it (a live `Bob` is the protected `bob`),
  // and a refusal too many is the safe side of a guard rail.
  const protectedUsers = foldedSet(policy.guardrails.protectedUsers);
  const protectedGroups = foldedSet(policy.guardrails.protectedGroups);
  const protectedAccounts = new Map(
    [...(options.protectedAccounts ?? [])].map(([provider, accounts]) => [provider, foldedSet(accounts)]),
  );
  for (const c of plan.changes) {
    // Deleting a protected group is refused even when it is empty (then the change is "neutral"), and
    // renaming a protected person's account in place (neutral too: the account keeps its groups), and
    // setting or bringing forward the day their account expires (bringsExpiryForward).
    const isGroupDelete = c.kind === "group" && c.action === "delete";
    if (c.risk !== "narrows" && !isGroupDelete && renamedUserTo(c) === undefined && !bringsExpiryForward(c))
      continue;
    if (isGrantEnding(c)) continue;
    const account = accountOf(c)?.toLowerCase();
    const isProtectedUser =
      (c.userId !== undefined && protectedUsers.has(c.userId.toLowerCase())) ||
      (account !== undefined &&
        (protectedUsers.has(account) || protectedAccounts.get(c.provider)?.has(account) === true));
    if (isProtectedUser) {
      violations.push({
        provider: c.provider,
        message: `${c.id}: ${c.kind} ${c.action} touches protected user ${c.userId ?? account ?? ""}; re-run with --force if intended`,
      });
    }
    if (isLeaversRemoval(c) || isTakenOver(c)) continue;
    const group = c.kind === "group" || c.kind === "membership" ? c.group : undefined;
    if (group !== undefined && protectedGroups.has(group.toLowerCase())) {
      violations.push({
        provider: c.provider,
        message: `${c.id}: ${c.kind} ${c.action} narrows protected group ${group}; re-run with --force if intended`,
      });
    }
    // Through nesting: taking someone out of a group takes them out of every group that nests it.
    const above = c.kind === "membership" ? (c.narrowsAlso ?? []) : [];
    for (const outer of above.filter((g) => protectedGroups.has(g.toLowerCase())))
      violations.push({
        provider: c.provider,
        message: `${c.id}: ${c.kind} ${c.action} narrows protected group ${outer}, which nests ${group ?? ""}; re-run with --force if intended`,
      });
  }
  return violations;
}

/** `names` in lower case, as the guard rails compare protected users and groups. */
export function foldedSet(names: Iterable<string>): Set<string> {
  return new Set([...names].map((name) => name.toLowerCase()));
}
