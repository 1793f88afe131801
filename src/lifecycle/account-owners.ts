import type { EmploymentType, User } from "../model/access.ts";
import type { DesiredUser, LiveUser } from "../model/state.ts";
import type { ProviderPlanInput } from "../plan/context.ts";
import { nameFold } from "../plan/align-case.ts";
import { leavingText } from "../plan/plan-users.ts";
import { formerIdsOf, journalAccountsNow } from "../desired/former-ids.ts";

/** Why an enabled account has no active person behind it. */
export type OrphanKind =
  /** The person left: `status: terminated`, or their `endDate` has passed. */
  | "leaver"
  /** The person is on leave, and `policy.leave: disable` disables their accounts meanwhile. */
  | "on-leave"
  /** The person's `startDate` is still ahead. */
  | "not-started"
  /** The person is in the files but holds none of the system's groups, where only members get accounts. */
  | "holds-no-group"
  /** The account the journal saw as someone's before their account here changed (an e-mail under `accountName: email`). */
  | "former-account"
  /** The journal saw gatehouse manage it for a user id that is no longer in the files. */
  | "person-removed"
  /** No one in the files, and no record in the journal of whose it was. */
  | "no-person";

/** Whose a live account is, as the files (and the journal) say. */
export type OwnerOf =
  | { readonly kind: "active"; readonly userId: string; readonly employmentType: EmploymentType }
  /** On leave where policy.leave is keep: the account stays, and an absence says nothing of its use. */
  | { readonly kind: "kept"; readonly userId: string }
  | { readonly kind: OrphanKind; readonly userId?: string; readonly detail: string };

/**
 * Who stands behind each live account of one system, from the desired state the plan used (with its
 * journal-derived parts: leavers' former accounts, accounts passed on) and the journal's accounts of
 * people no longer in the files (an id someone lists in `formerIds` is theirs, not someone's who left). `input` is as the planner saw it (asPlanned).
 */
export function accountOwners(
  input: ProviderPlanInput,
  users: ReadonlyMap<string, User>,
  journalAccounts: ReadonlyMap<string, readonly string[]>,
): {
  readonly ownerOf: (live: LiveUser) => OwnerOf;
  /** The account as the account of this person in the files (the plan may know whose it is better). */
  readonly asAccountOf: (userId: string, account: string) => OwnerOf | undefined;
} {
  const { desired, name: provider } = input;
  const fold = nameFold(input.capabilities);
  const prefix = `${provider}\n`;
  const gone = new Map<string, string>(); // account (folded) → the user id no longer in the files
  // A former id's accounts are the person's under their id now (formerIds): no one left.
  for (const [key, accounts] of journalAccountsNow(journalAccounts, formerIdsOf(users))) {
    const id = key.slice(prefix.length);
    if (!key.startsWith(prefix) || users.has(id)) continue;
    for (const account of accounts) if (!gone.has(fold(account))) gone.set(fold(account), id);
  }
  let renamedByHand: Map<string, DesiredUser> | undefined;
  /**
   * The person whose entry a live account holds under another name (LiveUser.otherName: AD's cn beside
   * the sAMAccountName), where their own account is not live: the plan treats it as theirs.
   */
  const holderOfEntry = (live: LiveUser): DesiredUser | undefined => {
    if (live.otherName === undefined) return undefined;
    if (renamedByHand === undefined) {
      const liveNames = new Set(input.live.users.map((u) => u.account.toLowerCase()));
      renamedByHand = new Map();
      for (const want of desired.users.values())
        if (!liveNames.has(want.account.toLowerCase())) renamedByHand.set(want.account.toLowerCase(), want);
    }
    return renamedByHand.get(live.otherName.toLowerCase());
  };

  const ofDesired = (want: DesiredUser): OwnerOf => {
    const { userId } = want;
    if (want.status === "terminated")
      return { kind: "leaver", userId, detail: `${userId} left: ${leavingText(want) ?? "terminated"}` };
    if (want.status === "leave")
      return want.enabled
        ? { kind: "kept", userId }
        : { kind: "on-leave", userId, detail: `${userId} is on leave, and policy.leave: disable` };
    const user = users.get(userId);
    if (!want.enabled)
      return {
        kind: "not-started",
        userId,
        detail: `${userId} starts on ${user?.startDate ?? "a later date"}`,
      };
    return { kind: "active", userId, employmentType: user?.employmentType ?? "employee" };
  };

  const asAccountOf = (userId: string, account: string): OwnerOf | undefined => {
    const person = desired.personInFiles?.(userId, account);
    return person === undefined ? undefined : ofDesired(person.owner);
  };

  const ownerOf = (live: LiveUser): OwnerOf => {
    const account = live.account;
    const want =
      desired.accountsOfOthers?.get(account)?.owner ?? desired.users.get(account) ?? holderOfEntry(live);
    if (want !== undefined) return ofDesired(want);
    const noGroup = desired.withoutAccess?.get(account);
    if (noGroup !== undefined)
      return {
        kind: "holds-no-group",
        userId: noGroup,
        detail: `${noGroup} holds none of ${provider}'s groups (users: members)`,
      };
    const former = desired.formerAccounts?.get(account);
    if (former !== undefined)
      return {
        kind: "former-account",
        userId: former,
        detail: `the former account of ${former}, whose account here changed`,
      };
    const goneId = gone.get(fold(account));
    if (goneId !== undefined)
      return {
        kind: "person-removed",
        userId: goneId,
        detail: `the journal saw gatehouse manage it for ${goneId}, who is no longer in the files`,
      };
    return { kind: "no-person", detail: "in no access file" };
  };
  return { ownerOf, asAccountOf };
}
