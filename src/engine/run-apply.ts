import type { Plan } from "../plan/types.ts";
import type { Policy } from "../model/access.ts";
import type { Provider } from "../providers/types.ts";
import { UnsafePlanError } from "../errors.ts";
import { checkGuardrails, type GuardrailOptions } from "../plan/safety.ts";
import { applyPlan, type ApplyResult, type ChangeResult } from "../apply/apply-plan.ts";
import { appendJournalEntries, type JournalEntry } from "../audit/journal.ts";
import { planChecksum } from "./saved-plan.ts";

export interface RunApplyOptions extends GuardrailOptions {
  readonly journalPath: string;
  readonly actor: string;
  readonly now: () => Date;
  readonly signal: AbortSignal;
  readonly onResults?: (results: readonly ChangeResult[]) => void;
  readonly retries?: number;
  readonly backoffMs?: number;
}

export interface RunApplyResult extends ApplyResult {
  readonly journal: {
    readonly first: number;
    readonly last: number;
    readonly headHash: string;
    readonly start: JournalEntry;
  };
}

/** Guard rails, then the journal's apply-start, every change as it is confirmed, and apply-end. */
export async function runApply(
  plan: Plan,
  policy: Policy,
  providers: ReadonlyMap<string, Provider>,
  options: RunApplyOptions,
): Promise<RunApplyResult> {
  const violations = checkGuardrails(plan, policy, options);
  if (violations.length > 0) throw new UnsafePlanError(violations);
  const [start] = await appendJournalEntries(options.journalPath, [
    {
      type: "apply-start",
      at: options.now().toISOString(),
      actor: options.actor,
      planDigest: planChecksum(plan),
      desiredDigest: plan.desiredDigest,
      providers: plan.providers.map((p) => p.name),
      changes: plan.changes.length,
      ...(plan.desiredCommit === undefined ? {} : { commit: plan.desiredCommit }),
    },
  ]);
  if (!start) throw new Error("journal did not record the start of the run");
  let last: JournalEntry = start;
  const result = await applyPlan(plan, providers, {
    signal: options.signal,
    now: options.now,
    ...(options.retries === undefined ? {} : { retries: options.retries }),
    ...(options.backoffMs === undefined ? {} : { backoffMs: options.backoffMs }),
    onResults: async (results) => {
      options.onResults?.(results);
      const sealed = await appendJournalEntries(
        options.journalPath,
        results.map((r) => ({
          type: "change" as const,
          at: r.at,
          runSeq: start.seq,
          provider: r.change.provider,
          changeId: r.change.id,
          change: r.change,
          outcome: r.outcome,
          ...(r.confirmation === undefined ? {} : { confirmation: r.confirmation }),
          ...(r.error === undefined ? {} : { error: r.error }),
        })),
      );
      last = sealed.at(-1) ?? last;
    },
  });
  const [end] = await appendJournalEntries(options.journalPath, [
    {
      type: "apply-end",
      at: options.now().toISOString(),
      runSeq: start.seq,
      applied: result.applied,
      failed: result.failed,
      skipped: result.skipped,
      durationMs: result.durationMs,
      calls: result.calls,
    },
  ]);
  last = end ?? last;
  return { ...result, journal: { first: start.seq, last: last.seq, headHash: last.hash, start } };
}
