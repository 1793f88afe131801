import type { DesiredState, LiveState } from "../model/state.ts";
import type { JournalFold } from "../audit/journal-fold.ts";
import { nameFold } from "../plan/align-case.ts";
import { idNow } from "../desired/former-ids.ts";

/** Printable ASCII: lower-casing keeps the length of such a name (anything else is folded to compare). */
const ASCII = /^[ -~]*$/;

/**
 * ProviderPlanInput.heldBefore: each account name the files give an active person in `provider` that no
 * live account holds (so the plan would create it, or rename an account into it), while the journal saw
 * it held by someone else: an account of theirs gatehouse managed (a leaver's, deleted since, say), or
 * one renamed away from the name (JournalFold.renamedAway). Name → those people's user ids. A name only
 * the same person held, or that nobody held, is not listed: values naming a brand-new name may be meant
 * for its holder (pre-provisioned), and a person's own former values are theirs: also those the journal
 * has under an id they list in `formerIds` (`formerIds`: formerIdsOf of the model's users).
 */
export function namesHeldBefore(
  desired: DesiredState,
  live: LiveState,
  provider: string,
  journal: Pick<JournalFold, "accounts" | "renamedAway">,
  caseInsensitive: boolean,
  formerIds: ReadonlyMap<string, string>,
): Map<string, string[]> {
  const fold = nameFold({ caseInsensitiveNames: caseInsensitive });
  const prefix = `${provider}\n`;
  // The names the journal saw held here by someone other than the person the files give them to (by
  // exact spelling: most are that person's own) → who held them. One pass over the journal's accounts.
  const heldBy = new Map<string, Set<string>>();
  const note = (name: string, userId: string): void => {
    const key = fold(name);
    const ids = heldBy.get(key);
    if (ids === undefined) heldBy.set(key, new Set([userId]));
    else ids.add(userId);
  };
  for (const [key, accounts] of journal.accounts) {
    if (!key.startsWith(prefix)) continue;
    const userId = idNow(formerIds, key.slice(prefix.length));
    for (const account of accounts) if (desired.users.get(account)?.userId !== userId) note(account, userId);
  }
  for (const [key, userIds] of journal.renamedAway)
    if (key.startsWith(prefix))
      for (const userId of userIds) note(key.slice(prefix.length), idNow(formerIds, userId));
  const out = new Map<string, string[]>();
  if (heldBy.size === 0) return out;
  // Only names as long as one of those are folded and looked up: lower-casing 100,000 names for a handful
  // of candidates costs more than the rest.
  const lengths = new Set([...heldBy.keys()].map((name) => name.length));
  const mayMatch = (name: string): boolean => lengths.has(name.length) || !ASCII.test(name);
  for (const [account, user] of desired.users) {
    if (!user.enabled || !mayMatch(account)) continue;
    const ids = heldBy.get(fold(account));
    if (ids === undefined || (ids.size === 1 && ids.has(user.userId))) continue;
    out.set(account, [...ids].filter((id) => id !== user.userId).sort());
  }
  if (out.size === 0) return out;
  const byFolded = new Map([...out.keys()].map((account) => [fold(account), account]));
  const outLengths = new Set([...byFolded.keys()].map((name) => name.length));
  for (const user of live.users) {
    if (!outLengths.has(user.account.length) && ASCII.test(user.account)) continue;
    const account = byFolded.get(fold(user.account));
    if (account !== undefined) out.delete(account);
  }
  return out;
}
