/**
 * Legal hold (User.legalHold): a held leaver's access is cut, but nothing that destroys data happens.
 * Where leavers' accounts are deleted (deleteLeavers), the account is disabled instead; where removal
 * is a system's only way to switch an account off (a GitHub organization, whose removal deletes the
 * member's forks of private repositories), the account stays. Memberships go as for any leaver:
 * taking someone out of a group or team deletes nothing of theirs in any connector.
 */
import type { DesiredUser } from "../model/state.ts";
import type { PlannerCapabilities } from "./context.ts";

/** How a leaver's account is switched off under legal hold, or undefined when no hold changes it. */
export type HeldAccount = "disabled-not-deleted" | "kept";

/** What a legal hold changes for `want`'s account in a system with `caps`; undefined: nothing. */
export function heldAccount(want: DesiredUser, caps: PlannerCapabilities): HeldAccount | undefined {
  if (want.legalHold !== true || want.status !== "terminated") return undefined;
  if (caps.disable === "remove") return "kept";
  return caps.deleteLeavers === true && caps.disable === "disable" ? "disabled-not-deleted" : undefined;
}

/** The plan note for a held leaver's account (starts "legal hold: account kept"). */
export function legalHoldNote(want: DesiredUser, provider: string, held: HeldAccount): string {
  const head = `legal hold: account kept: ${want.account} of ${want.userId} in ${provider}`;
  return held === "disabled-not-deleted"
    ? `${head} is disabled, not deleted as leavers' accounts are there; its sessions and memberships go as any leaver's`
    : `${head} stays: removal is ${provider}'s only way to switch an account off, and it deletes data (forks of private repositories). ` +
        `Its memberships are removed, but what ${provider} gives every member is left: restrict it by hand, and remove the account once the hold ends`;
}
