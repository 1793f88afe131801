/**
 * A person's memberships held since before gatehouse, as the journal has them: each `adopted` entry that
 * names one of their accounts, while no later change took the membership away (its removal, the group's
 * deletion) and the account was not renamed in place. What `explain` points to, beside the files' reasons.
 */
import { renamedGroupTo, renamedUserTo } from "../plan/addresses.ts";
import { eachEntry } from "./journal-lines.ts";

export interface AdoptedHolding {
  readonly provider: string;
  /** The group's name now (renames gatehouse applied since followed). */
  readonly group: string;
  readonly account: string;
  /** When the run that took the group on found it held (its start), and the `adopted` entry. */
  readonly at: string;
  readonly seq: number;
  readonly runSeq: number;
  readonly late?: true;
}

/**
 * The adopted memberships of `accounts` (provider → account name) still standing at `until`, from the
 * journal at `journalPath` ([] when there is none). One read of the journal.
 */
export async function adoptedHoldingsOf(
  journalPath: string,
  accounts: ReadonlyMap<string, string>,
  until: Date,
): Promise<AdoptedHolding[]> {
  const end = until.toISOString();
  const held = new Map<string, AdoptedHolding>(); // provider\ngroup
  await eachEntry(journalPath, (entry) => {
    if (entry.at > end) return;
    if (entry.type === "adopted") {
      const account = accounts.get(entry.provider);
      if (account === undefined || !entry.members.includes(account)) return;
      const key = `${entry.provider}\n${entry.group}`;
      if (held.has(key)) return;
      held.set(key, {
        provider: entry.provider,
        group: entry.group,
        account,
        at: entry.at,
        seq: entry.seq,
        runSeq: entry.runSeq,
        ...(entry.late === true ? { late: true as const } : {}),
      });
      return;
    }
    if (entry.type !== "change" || entry.outcome !== "applied") return;
    const c = entry.change;
    const key = c.kind === "user" ? undefined : `${entry.provider}\n${c.group}`;
    const holding = key === undefined ? undefined : held.get(key);
    if (c.kind === "user") {
      // Renamed in place, the account is not the name the files give any more: nothing to point to.
      if (renamedUserTo(c) !== undefined && accounts.get(entry.provider) === c.account)
        for (const [k, h] of held) if (h.provider === entry.provider) held.delete(k);
      return;
    }
    if (key === undefined || holding === undefined) return;
    if (c.kind === "membership") {
      if (c.action === "remove" && c.memberKind === "user" && c.member === holding.account) held.delete(key);
      return;
    }
    const to = renamedGroupTo(c);
    if (c.action === "delete") held.delete(key);
    else if (to !== undefined) {
      held.delete(key);
      held.set(`${entry.provider}\n${to}`, { ...holding, group: to });
    }
  });
  return [...held.values()].sort((a, b) =>
    a.group < b.group ? -1 : a.group > b.group ? 1 : a.provider < b.provider ? -1 : 1,
  );
}
