/**
 * What a run killed mid-apply announced (its `intent` entries) and never recorded an outcome for, as the
 * next apply listed it in that run's interrupted apply-end (`unconfirmed`): the system may well have made
 * it, so `journal changes` names it beside the changes the journal confirms.
 */
import { membershipOf } from "../plan/addresses.ts";
import type { JournalEntry } from "./journal-entry.ts";

/** One announced change with no outcome. */
export interface UnconfirmedChange {
  /** When the run announced it (its intent entry). */
  readonly at: string;
  /** `seq` of that intent entry. */
  readonly seq: number;
  readonly runSeq: number;
  readonly provider: string;
  /** The change's address (Change.id), as the intent and the apply-end name it. */
  readonly id: string;
  /** Whether it gives access (the intent's changeIds) or takes it away (narrowingIds). */
  readonly action: "grants" | "narrows";
  /** A membership change: the group and member its address names. */
  readonly group?: string;
  readonly member?: string;
  readonly memberKind?: "user" | "group";
  /** An account's change (`provider:user/account`): the account. */
  readonly account?: string;
}

/** The account a `provider:user/ACCOUNT` address (or its `#sessions`) names. */
function accountOfId(id: string, provider: string): string | undefined {
  const prefix = `${provider}:user/`;
  if (!id.startsWith(prefix)) return undefined;
  const rest = id.slice(prefix.length);
  const hash = rest.indexOf("#");
  return hash < 0 ? rest : rest.slice(0, hash);
}

/** What an announced change's address names: a membership's group and member, or an account. */
export function namedByAddress(
  id: string,
  provider: string,
): Pick<UnconfirmedChange, "provider" | "group" | "member" | "memberKind" | "account"> {
  const membership = membershipOf(id, provider);
  const account = accountOfId(id, provider);
  return { provider, ...(membership ?? {}), ...(account === undefined ? {} : { account }) };
}

/**
 * Fed every entry in order, it keeps the latest run's announcements still unanswered (an interrupted
 * run's apply-end follows its entries, before the next run's apply-start) and, at an interrupted
 * apply-end, gives the ones it names.
 */
export class UnconfirmedChanges {
  /** runSeq\nid → the announcement, for the run in progress. */
  readonly #announced = new Map<string, UnconfirmedChange>();

  note(entry: JournalEntry): readonly UnconfirmedChange[] {
    switch (entry.type) {
      case "apply-start":
        this.#announced.clear();
        return [];
      case "intent":
        for (const [ids, action] of [
          [entry.changeIds, "grants"],
          [entry.narrowingIds ?? [], "narrows"],
        ] as const)
          for (const id of ids)
            this.#announced.set(`${String(entry.runSeq)}\n${id}`, {
              at: entry.at,
              seq: entry.seq,
              runSeq: entry.runSeq,
              id,
              action,
              ...namedByAddress(id, entry.provider),
            });
        return [];
      case "change":
        this.#announced.delete(`${String(entry.runSeq)}\n${entry.changeId}`);
        return [];
      case "apply-end": {
        if (entry.interrupted !== true) return [];
        const found = (entry.unconfirmed ?? []).flatMap((id) => {
          const announced = this.#announced.get(`${String(entry.runSeq)}\n${id}`);
          return announced === undefined ? [] : [announced];
        });
        this.#announced.clear();
        return found;
      }
      case "delivery-closed":
      case "adopted":
      case "drill":
      case "offboard-verified":
      case "verdict-closed":
      case "webhook-delivered":
        return [];
    }
  }
}
