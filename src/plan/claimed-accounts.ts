/**
 * Live accounts that are another person's than the one the files give their name to, not handed over
 * (plan-users.ts unpairPassedOn), and what the plan says of them. Here: accounts the system records as
 * another person's in the files (LiveUser.personId: SCIM externalId) where the journal has no record of
 * them (a first deployment, or the first run after `gatehouse import`), and accounts the journal saw
 * gatehouse manage for someone no longer in the files at all (DesiredState.accountsOfPeopleGone).
 */
import type { AccountOfAnother, DesiredUser, LiveUser } from "../model/state.ts";
import { userAddress } from "./addresses.ts";
import type { PlanSink } from "./context.ts";

/**
 * The other person in the files whom `have`, the live account the files give to `want`'s person, is
 * recorded for (LiveUser.personId), when the journal has no record of the account. An externalId naming
 * nobody in the files (or none) says nothing: the account is paired by name, as before gatehouse. Nor
 * does any externalId for a leaver's account: it is offboarded as the files say.
 */
export function claimedBy(
  input: PlanSink["input"],
  want: DesiredUser,
  have: LiveUser,
): AccountOfAnother | undefined {
  const { personId } = have;
  if (personId === undefined || personId === want.userId) return undefined;
  // A leaver's account as the files name it is offboarded whatever the system records: an externalId set
  // to a colleague's id (by mistake, or to keep the account) would otherwise leave it enabled, in additive
  // mode untouched, and out of the offboarding check.
  if (want.status === "terminated") return undefined;
  // What the journal knows of the account (gatehouse managed it, for whomever) is not overruled by a
  // value any admin of the system can write.
  if (input.managed?.has(userAddress(input.name, want.account)) === true) return undefined;
  return input.desired.personInFiles?.(personId, want.account);
}

/**
 * The plan note for a live account the files give to `want`'s person that the system records as another
 * person's in the files (LiveUser.personId), with no journal record of it.
 */
export function noteClaimed(sink: PlanSink, want: DesiredUser, passed: AccountOfAnother): void {
  const { name: provider } = sink.input;
  const { account, userId } = want;
  const owner = passed.owner.userId;
  sink.note(
    "unmanaged",
    `account ${account} in ${provider} is recorded there as ${owner}'s (its externalId is ${owner}, who is in the access files), but the files give ${account} to ${userId}: ` +
      `gatehouse does not hand it to ${userId} (no update, enable or group for ${userId}), and creates no account for ${userId} while the name is taken. ` +
      `If it is ${owner}'s, rename it in ${provider} (or give ${userId} another account name), and gatehouse creates ${userId}'s; ` +
      `if it is ${userId}'s, set its externalId to ${userId} in ${provider}, and gatehouse manages it as ${userId}'s`,
  );
}

/**
 * Why a live account the system records as another person's (LiveUser.personId), not kept as theirs
 * (keepOwnersAccounts), is disabled: its owner is a leaver, has no account here, or has another one.
 */
export function claimedWhy(provider: string, account: string, claim: AccountOfAnother): string {
  const who = claim.owner.userId;
  const recorded = `recorded in ${provider} as the account of ${who} (its externalId)`;
  const notHanded = `the files give ${account} to someone else, who does not get it`;
  return claim.owner.status === "terminated"
    ? `${recorded}, a leaver; ${notHanded} (mode: authoritative)`
    : claim.ownerAccount === undefined
      ? `${recorded}, who has no account in ${provider} in the files; ${notHanded} (mode: authoritative)`
      : `${recorded}, whose account here is ${claim.ownerAccount}; ${notHanded}: disabled once ${claim.ownerAccount} exists (mode: authoritative)`;
}

/**
 * The user id, no longer in the files, whom the journal saw gatehouse manage `want`'s account for (and
 * never `want`'s person, nor anyone listing that id in `formerIds`): a departed person's account, which
 * the files now give someone else's by name. Undefined for a leaver's entry: a leaver's account is
 * offboarded as the files name it, whoever held it before.
 */
export function departedFrom(input: PlanSink["input"], want: DesiredUser): string | undefined {
  if (want.status === "terminated") return undefined;
  return input.desired.accountsOfPeopleGone?.get(want.account);
}

/**
 * The plan note for a live account the files give to `want`'s person that the journal saw gatehouse
 * manage for `gone`, who is no longer in the files: whose it was, whom the files give it to, what to do.
 */
export function noteDeparted(sink: PlanSink, want: DesiredUser, have: LiveUser, gone: string): void {
  const { name: provider, mode } = sink.input;
  const { account, userId } = want;
  const state = have.enabled ? "enabled" : "disabled";
  const left =
    !have.enabled || mode === "observe"
      ? ""
      : mode === "authoritative"
        ? ` As nobody's account, it is disabled (mode: authoritative).`
        : ` It is not disabled (mode: additive).`;
  sink.note(
    "unmanaged",
    `account ${account} in ${provider} is ${state}, and the journal saw gatehouse manage it for ${gone}, who is no longer in the files; the files now give ${account} to ${userId}: ` +
      `gatehouse does not hand it to ${userId} (no enable, update or group for ${userId} on it), and creates no account for ${userId} while the name is taken (a departed person's address given to someone new would hand them that person's account, its data and sessions).${left} ` +
      `If ${userId} is someone else, rename or delete ${account} in ${provider} (or give ${userId} another account name in the files), and gatehouse creates ${userId}'s account; ` +
      `if ${userId} is ${gone} under a new id, add formerIds: [${gone}] to ${userId}'s entry, and gatehouse manages ${account} as ${userId}'s`,
  );
}

/** Why the live account of `gone`, no longer in the files, whose name the files give `userId`, is disabled. */
export function departedWhy(account: string, gone: string, userId: string | undefined): string {
  return `the account of ${gone}, who is no longer in the files; the files give ${account} to ${userId ?? "someone else"}, who does not get it (mode: authoritative)`;
}
