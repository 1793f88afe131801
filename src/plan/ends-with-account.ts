import type { Change } from "./types.ts";
import type { PlannerCapabilities } from "./context.ts";
import { renamedUserTo } from "./addresses.ts";

/**
 * Marks, in place from index `from` on (one provider's changes), the removals of a user from a group that
 * end with their account's removal from the system (MembershipChange.endsWithAccount): where disabling an
 * account takes it out of the system with its memberships (Capabilities.disable "remove": GitHub ends
 * team memberships with the organization membership). Apply sends nothing for them, so the guard rails
 * count the account, not each team again (120 strangers were 240 removals).
 *
 * Only where the disable is made first (phase 0) and on its own: not one that waits for the person's new
 * account (replacedBy, or an account this plan makes for the same person, which puts the disable after
 * the memberships), since a removal sent before it would take access the count did not include. Not a
 * grant ending, which ends as approved whatever becomes of the account (never counted anyway).
 */
export function markEndsWithAccount(changes: Change[], from: number, caps: PlannerCapabilities): void {
  if (caps.disable !== "remove") return;
  const fold = (name: string): string => (caps.caseInsensitiveNames === true ? name.toLowerCase() : name);
  const madeFor = new Set<string>();
  for (let i = from; i < changes.length; i++) {
    const c = changes[i];
    if (c?.kind !== "user" || c.userId === undefined) continue;
    if (c.action === "create" || renamedUserTo(c) !== undefined) madeFor.add(c.userId);
  }
  const removed = new Map<string, string>();
  for (let i = from; i < changes.length; i++) {
    const c = changes[i];
    if (c?.kind !== "user" || c.action !== "disable" || c.replacedBy !== undefined) continue;
    if (c.userId !== undefined && madeFor.has(c.userId)) continue;
    removed.set(fold(c.account), c.account);
  }
  if (removed.size === 0) return;
  for (let i = from; i < changes.length; i++) {
    const c = changes[i];
    if (c?.kind !== "membership" || c.action !== "remove" || c.memberKind !== "user") continue;
    if (c.endsGrant === true || c.replacedBy !== undefined || c.renamedTo !== undefined) continue;
    const account = removed.get(fold(c.member));
    if (account !== undefined) changes[i] = { ...c, endsWithAccount: account };
  }
}
