import type { AccessModel, ProviderConfig } from "../model/access.ts";
import { accountNameFor } from "../desired/desired-state.ts";
import type { JournalEntry } from "../audit/journal.ts";
import { emptyFold, foldEntry, type JournalFold } from "../audit/journal-fold.ts";
import { formerIdsOf, journalAccountsNow } from "../desired/former-ids.ts";

/**
 * Addresses gatehouse itself created and has not since removed, folded from the journal. The planner
 * uses them to tell "removed from config" (we added it, the files dropped it) from drift.
 */
export function managedAddresses(entries: readonly JournalEntry[]): ReadonlySet<string> {
  const fold = emptyFold();
  for (const entry of entries) foldEntry(fold, entry);
  return fold.managed;
}

/**
 * Every account a protected user has or had in each provider: their mappings in the files (account
 * name, id, former ids, e-mail, every `accounts` value) and the accounts the journal recorded with their
 * user id, or with an id they list in `formerIds` (the same person before an id change).
 */
export function protectedAccountsOf(
  model: AccessModel,
  providers: readonly ProviderConfig[],
  journal: JournalFold,
): Map<string, Set<string>> {
  const ids = new Set(model.config.policy.guardrails.protectedUsers);
  const out = new Map<string, Set<string>>();
  for (const provider of providers) {
    const accounts = new Set<string>();
    for (const id of ids) {
      accounts.add(id);
      const user = model.users.get(id);
      if (!user) continue;
      const named = [accountNameFor(user, provider), user.email, ...Object.values(user.accounts)];
      for (const a of [...named, ...(user.formerIds ?? [])]) if (a !== undefined) accounts.add(a);
    }
    out.set(provider.name, accounts);
  }
  const journalAccounts = journalAccountsNow(journal.accounts, formerIdsOf(model.users));
  for (const provider of providers)
    for (const id of ids)
      for (const account of journalAccounts.get(`${provider.name}\n${id}`) ?? [])
        out.get(provider.name)?.add(account);
  return out;
}
