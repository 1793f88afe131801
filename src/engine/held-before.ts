import type { DesiredState, LiveState } from "../model/state.ts";
import type { JournalFold } from "../audit/journal-fold.ts";

/**
 * ProviderPlanInput.heldBefore: each account name the files give an active person in `provider` that no
 * live account holds (so the plan would create it, or rename an account into it), while the journal saw
 * it held by someone else: an account of theirs gatehouse managed (a leaver's, deleted since, say), or
 * one renamed away from the name (JournalFold.renamedAway). Name → those people's user ids. A name only
 * the same person held, or that nobody held, is not listed: values naming a brand-new name may be meant
 * for its holder (pre-provisioned), and a person's own former values are theirs.
 */
export function namesHeldBefore(
  desired: DesiredState,
  live: LiveState,
  provider: string,
  journal: Pick<JournalFold, "accounts" | "renamedAway">,
  caseInsensitive: boolean,
): Map<string, string[]> {
  const fold = caseInsensitive ? (name: string) => name.toLowerCase() : (name: string) => name;
  const prefix = `${provider}\n`;
  // Every name the journal saw held here → who held it; a pass over the journal's accounts of this system.
  const heldBy = new Map<string, Set<string>>();
  const note = (name: string, userId: string): void => {
    const key = fold(name);
    const ids = heldBy.get(key);
    if (ids === undefined) heldBy.set(key, new Set([userId]));
    else ids.add(userId);
  };
  for (const [key, accounts] of journal.accounts)
    if (key.startsWith(prefix)) for (const account of accounts) note(account, key.slice(prefix.length));
  for (const [key, userIds] of journal.renamedAway)
    if (key.startsWith(prefix)) for (const userId of userIds) note(key.slice(prefix.length), userId);
  const out = new Map<string, string[]>();
  if (heldBy.size === 0) return out;
  for (const [account, user] of desired.users) {
    if (!user.enabled) continue;
    const ids = heldBy.get(fold(account));
    if (ids === undefined || (ids.size === 1 && ids.has(user.userId))) continue;
    out.set(account, [...ids].filter((id) => id !== user.userId).sort());
  }
  if (out.size === 0) return out;
  const byFolded = new Map([...out.keys()].map((account) => [fold(account), account]));
  for (const user of live.users) {
    const account = byFolded.get(fold(user.account));
    if (account !== undefined) out.delete(account);
  }
  return out;
}
