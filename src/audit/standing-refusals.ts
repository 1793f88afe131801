/**
 * The guard-rail refusals that stood for a group at an instant, or at some moment of a window, for
 * `journal access`: a run the guard rails refused made only its grant endings and the leavers' offboarding,
 * or nothing (apply-start `refused`), so a member whose removal it refused kept the group. Each run plans the whole
 * system again and records every refusal of its plan, so a refusal stands until the next run that read the
 * system (a fire drill's run plans only its canary, and settles nothing).
 */
import { renamedGroupTo } from "../plan/addresses.ts";
import type { JournalEntry } from "./journal-entry.ts";
import { readRefusal, refusalNames, type RunRefusal } from "./refusals.ts";

/** A refusal with the run that recorded it. */
export type RefusalOfRun = RunRefusal & {
  /** When the run started (its apply-start's `at`). */
  readonly at: string;
  /** `seq` of its apply-start. */
  readonly seq: number;
  /** How many changes the run made despite the refusals: 0 for a run the guard rails refused whole. */
  readonly made: number;
  /** How many grant ends the files changed it recorded all the same (its apply-start's `grantEnds`). */
  readonly grantEndsRecorded: number;
  readonly commit?: string;
  readonly actor: string;
};

interface Rename {
  readonly provider: string;
  readonly from: string;
  readonly to: string;
  readonly at: string;
}

/**
 * Fed the journal in order, the refusals standing at `from` (the instant asked about, or a window's start)
 * and those runs recorded after it and no later than `until`.
 */
export class StandingRefusals {
  readonly #from: string;
  readonly #until: string;
  /** provider → the refusals of the last run that read it, up to `from`. */
  readonly #atStart = new Map<string, readonly RefusalOfRun[]>();
  readonly #inWindow: { readonly provider: string; readonly refusal: RefusalOfRun }[] = [];
  /** Group renames applied after `from`, up to `until`, in order: a refusal names a group as it was then. */
  readonly #renames: Rename[] = [];

  constructor(from: string, until: string) {
    this.#from = from;
    this.#until = until;
  }

  note(entry: JournalEntry): void {
    if (entry.at > this.#until) return;
    if (entry.type === "change") {
      const to = entry.outcome === "applied" ? renamedGroupTo(entry.change) : undefined;
      if (to !== undefined && entry.change.kind === "group" && entry.at > this.#from)
        this.#renames.push({ provider: entry.provider, from: entry.change.group, to, at: entry.at });
      return;
    }
    if (entry.type !== "apply-start" || entry.drill !== undefined) return;
    const run = {
      at: entry.at,
      seq: entry.seq,
      made: entry.changes,
      grantEndsRecorded: entry.grantEnds?.length ?? 0,
      ...(entry.commit === undefined ? {} : { commit: entry.commit }),
      actor: entry.actor,
    };
    const refusals = (entry.refused ?? []).map((message) => ({ ...readRefusal(message), ...run }));
    // Words gatehouse does not know name no system: they are the refusal of every system the run read.
    const of = (provider: string) =>
      refusals.filter((r) => r.provider === undefined || r.provider === provider);
    if (entry.at <= this.#from)
      for (const provider of entry.providers) this.#atStart.set(provider, of(provider));
    else
      for (const provider of entry.providers)
        for (const refusal of of(provider)) this.#inWindow.push({ provider, refusal });
  }

  /** The systems with a refusal standing. */
  providers(): string[] {
    return [...new Set([...this.#all()].map((r) => r.provider))];
  }

  /**
   * The refusals of `provider` that stood for `group` (its name at `until`): those naming it (a removal
   * from it or a group it nests, refused), and the removal limit's, which held back removals the journal
   * does not list one by one.
   */
  of(provider: string, group: string): readonly RefusalOfRun[] {
    return [...this.#all()]
      .filter(
        (r) =>
          r.provider === provider &&
          (r.refusal.changeId === undefined || this.#names(provider, r.refusal, group)),
      )
      .map((r) => r.refusal);
  }

  *#all(): Iterable<{ readonly provider: string; readonly refusal: RefusalOfRun }> {
    for (const [provider, refusals] of this.#atStart)
      for (const refusal of refusals) yield { provider, refusal };
    yield* this.#inWindow;
  }

  /** Whether the refusal names `group`, its group names followed through the renames after its run. */
  #names(provider: string, refusal: RefusalOfRun, group: string): boolean {
    const later = (name: string | undefined): string | undefined => {
      let now = name;
      for (const r of this.#renames)
        if (r.provider === provider && r.at > refusal.at && r.from === now) now = r.to;
      return now;
    };
    const inGroup = later(refusal.group);
    const nesting = later(refusal.nestingGroup);
    return refusalNames(
      {
        ...refusal,
        ...(inGroup === undefined ? {} : { group: inGroup }),
        ...(nesting === undefined ? {} : { nestingGroup: nesting }),
      },
      { provider, group },
    );
  }
}
