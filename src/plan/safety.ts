import type { Policy } from "../model/access.ts";
import type { Change, Plan } from "./types.ts";

export interface GuardrailOptions {
  /** `--allow-removals N`: accept up to N removals this once. */
  readonly allowRemovals?: number;
  /** `--force`: accept every guard-rail violation (logged in the journal). */
  readonly force?: boolean;
}

/** Memberships this change takes away. */
function removalsOf(change: Change): number {
  if (change.kind === "membership" && change.action === "remove") return 1;
  if (change.kind === "group" && change.action === "delete") return change.memberCount;
  return 0;
}

export function countRemovals(plan: Plan): number {
  return plan.changes.reduce((n, c) => n + removalsOf(c), 0);
}

/** The removal limit from policy for this plan's live state. */
export function removalLimit(plan: Plan, policy: Policy): { limit: number; explanation: string } {
  const rule = policy.guardrails.maxRemovals;
  if (!rule) return { limit: Number.POSITIVE_INFINITY, explanation: "no limit" };
  if (rule.kind === "count")
    return { limit: rule.value, explanation: `policy.guardrails.maxRemovals is ${String(rule.value)}` };
  const total = plan.providers.reduce((n, p) => n + p.liveMemberships, 0);
  const limit = Math.floor((total * rule.value) / 100);
  return {
    limit,
    explanation: `policy.guardrails.maxRemovals is ${String(rule.value)}% of ${String(total)} current memberships = ${String(limit)}`,
  };
}

/**
 * Checks a plan against the guard rails before any write. Returns the violations, each saying how to
 * override; an empty list means the plan may be applied.
 */
export function checkGuardrails(plan: Plan, policy: Policy, options: GuardrailOptions = {}): string[] {
  if (options.force === true) return [];
  const violations: string[] = [];
  const removals = countRemovals(plan);
  const { limit, explanation } = removalLimit(plan, policy);
  const allowed = Math.max(limit, options.allowRemovals ?? 0);
  if (removals > allowed) {
    violations.push(
      `the plan removes ${String(removals)} memberships, more than allowed (${explanation}); ` +
        `if that is intended, re-run with --allow-removals ${String(removals)}`,
    );
  }
  const protectedUsers = new Set(policy.guardrails.protectedUsers);
  const protectedGroups = new Set(policy.guardrails.protectedGroups);
  for (const c of plan.changes) {
    // Deleting a protected group is refused even when it is empty (then the change is "neutral").
    const isGroupDelete = c.kind === "group" && c.action === "delete";
    if (c.risk !== "narrows" && !isGroupDelete) continue;
    const account =
      c.kind === "user"
        ? c.account
        : c.kind === "membership" && c.memberKind === "user"
          ? c.member
          : undefined;
    const isProtectedUser =
      (c.userId !== undefined && protectedUsers.has(c.userId)) ||
      (account !== undefined && protectedUsers.has(account));
    if (isProtectedUser) {
      violations.push(
        `${c.id}: ${c.kind} ${c.action} touches protected user ${c.userId ?? account ?? ""}; re-run with --force if intended`,
      );
    }
    const group = c.kind === "group" || c.kind === "membership" ? c.group : undefined;
    if (group !== undefined && protectedGroups.has(group)) {
      violations.push(
        `${c.id}: ${c.kind} ${c.action} narrows protected group ${group}; re-run with --force if intended`,
      );
    }
  }
  return violations;
}
