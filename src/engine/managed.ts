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
