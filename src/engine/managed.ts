import type { AccessModel, ProviderConfig } from "../model/access.ts";
import { accountNameFor } from "../desired/desired-state.ts";
import { accountOf } from "../plan/addresses.ts";
import type { JournalEntry } from "../audit/journal.ts";

/**
 * Addresses gatehouse itself created and has not since removed, folded from the journal. The planner
 * uses them to tell "removed from config" (we added it, the files dropped it) from drift.
 */
export function managedAddresses(entries: readonly JournalEntry[]): Set<string> {
  const managed = new Set<string>();
  for (const entry of entries) {
    if (entry.type !== "change" || entry.outcome !== "applied") continue;
    const c = entry.change;
    const isAdd =
      c.action === "create" || c.action === "add" || c.action === "enable" || c.action === "update";
    const isRemove = c.action === "delete" || c.action === "remove";
    if (isAdd) managed.add(c.id);
    else if (isRemove) managed.delete(c.id);
  }
  return managed;
}

/**
 * Every account a protected user has or had in each provider: their mappings in the files (account
 * name, id, e-mail, every `accounts` value) and the accounts the journal recorded with their user id.
 */
export function protectedAccountsOf(
  model: AccessModel,
  providers: readonly ProviderConfig[],
  entries: readonly JournalEntry[],
): Map<string, Set<string>> {
  const ids = new Set(model.config.policy.guardrails.protectedUsers);
  const out = new Map<string, Set<string>>();
  for (const provider of providers) {
    const accounts = new Set<string>();
    for (const id of ids) {
      accounts.add(id);
      const user = model.users.get(id);
      if (!user) continue;
      for (const a of [accountNameFor(user, provider), user.email, ...Object.values(user.accounts)])
        if (a !== undefined) accounts.add(a);
    }
    out.set(provider.name, accounts);
  }
  for (const entry of entries) {
    if (entry.type !== "change" || entry.change.userId === undefined || !ids.has(entry.change.userId))
      continue;
    const account = accountOf(entry.change);
    if (account !== undefined) out.get(entry.provider)?.add(account);
  }
  return out;
}
