/**
 * Removals of accounts that hold an administrative role (LiveUser.adminRole: a GitHub org owner): the change
 * names the role, and the plan notes where the connector will refuse the removal (LiveUser.removalRefused,
 * LiveState.minAdmins), so reviewers read it in the plan, not first in apply's failures.
 */
import type { LiveState, LiveUser } from "../model/state.ts";
import type { Change } from "./types.ts";
import type { PlanSink } from "./context.ts";

/** The live users that hold a role or whose removal is refused, by account; undefined when none do. */
function notableUsers(live: LiveState): ReadonlyMap<string, LiveUser> | undefined {
  const notable = live.users.filter(
    (u) =>
      u.adminRole !== undefined || u.removalRefused !== undefined || u.unlistedRemovalRefused !== undefined,
  );
  return notable.length === 0 ? undefined : new Map(notable.map((u) => [u.account, u]));
}

/** Adds the account's role to a disable or delete of it; other changes pass as they are. */
export function adminRoleMarker(live: LiveState): (change: Change) => Change {
  const notable = notableUsers(live);
  if (notable === undefined) return (change) => change;
  return (change) => {
    if (change.kind !== "user" || (change.action !== "disable" && change.action !== "delete")) return change;
    const role = notable.get(change.account)?.adminRole;
    return role === undefined ? change : { ...change, adminRole: role };
  };
}

/** Notes for the removals the connector will refuse: one per refused account, one for too few admins. */
export function noteRefusedRemovals(sink: PlanSink, changes: readonly Change[]): void {
  const { live, name: provider } = sink.input;
  const notable = notableUsers(live);
  if (notable === undefined) return;
  const removals = changes.flatMap((c) =>
    c.kind === "user" && c.provider === provider && (c.action === "disable" || c.action === "delete")
      ? [c]
      : [],
  );
  const removed = removals.map((c) => c.account);
  const refusedOf = (account: string): string | undefined => {
    const user = notable.get(account);
    const unlisted = removals.some((c) => c.account === account && c.reason === "not-in-config");
    return user?.removalRefused ?? (unlisted ? user?.unlistedRemovalRefused : undefined);
  };
  for (const account of [...new Set(removed)].sort()) {
    const refused = refusedOf(account);
    if (refused !== undefined)
      sink.note("info", `apply will refuse to remove ${account} from ${provider}: ${refused}`);
  }
  const min = live.minAdmins;
  if (min === undefined) return;
  const admins = live.users.filter((u) => u.adminRole !== undefined && u.enabled);
  const going = admins.filter((u) => removed.includes(u.account) && refusedOf(u.account) === undefined);
  const left = admins.length - going.length;
  if (going.length > 0 && left < min.count)
    sink.note(
      "info",
      `apply will refuse to remove the last of ${going.map((u) => u.account).join(", ")} (${going[0]?.adminRole ?? "admin"}): ${String(left)} would remain, fewer than ${min.setting} (${String(min.count)})`,
    );
}
