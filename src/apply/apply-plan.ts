import type { Change, Plan } from "../plan/types.ts";
import type { ChangeOutcome, Provider, ProviderStats } from "../providers/types.ts";
import { ProviderError, messageOf } from "../errors.ts";
import { createdBy, dependenciesOf, planBatches, removedBy, runAccounts, skippedFor } from "./batches.ts";
import { runPool } from "./pool.ts";
import { appendAll } from "../model/lists.ts";

export interface ChangeResult {
  readonly change: Change;
  readonly outcome: "applied" | "failed" | "skipped";
  readonly confirmation?: string;
  /** The system's stable id of the account a user change acted on (ChangeOutcome.accountId). */
  readonly accountId?: string;
  readonly error?: string;
  readonly at: string;
  readonly attempts: number;
}

export interface ApplyResult {
  readonly results: readonly ChangeResult[];
  readonly applied: number;
  readonly failed: number;
  readonly skipped: number;
  readonly calls: Readonly<Record<string, ProviderStats>>;
  readonly durationMs: number;
}

export interface ApplyOptions {
  readonly signal: AbortSignal;
  readonly now: () => Date;
  /** Writes in flight per provider (default: the provider's `maxConcurrentWrites`, else 1). */
  readonly concurrency?: number;
  /** Attempts after the first for transient failures (timeouts, 429, 5xx). */
  readonly retries?: number;
  readonly backoffMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Called after every write with its results (the CLI journals and reports progress here). */
  readonly onResults?: (results: readonly ChangeResult[]) => Promise<void> | void;
  /**
   * Called before each write with the changes about to be sent (the journal's intent). When it throws,
   * nothing of the batch is sent: its changes are skipped.
   */
  readonly onBeforeWrite?: (changes: readonly Change[]) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One write with retries for the transient failures in it; returns the final outcome of each change. */
async function writeWithRetry(
  provider: Provider,
  batch: readonly Change[],
  options: ApplyOptions,
): Promise<{ outcomes: ChangeOutcome[]; attempts: number }> {
  const retries = options.retries ?? 3;
  const sleep = options.sleep ?? defaultSleep;
  const outcomes: ChangeOutcome[] = [];
  let pending = batch.map((change, index) => ({ change, index }));
  let attempts = 0;
  for (;;) {
    attempts++;
    let got: ChangeOutcome[];
    try {
      got = await provider.apply(
        pending.map((p) => p.change),
        options.signal,
      );
    } catch (error) {
      const wrapped =
        error instanceof ProviderError
          ? error
          : new ProviderError(provider.name, "apply", messageOf(error), { cause: error });
      got = pending.map(() => ({ status: "failed", error: wrapped }));
    }
    const retry: typeof pending = [];
    pending.forEach((p, i) => {
      const outcome = got[i] ?? {
        status: "failed",
        error: new ProviderError(provider.name, "apply", "no outcome reported for this change"),
      };
      if (
        outcome.status === "failed" &&
        outcome.error.isTransient &&
        attempts <= retries &&
        !options.signal.aborted
      )
        retry.push(p);
      else outcomes[p.index] = outcome;
    });
    if (retry.length === 0) return { outcomes, attempts };
    pending = retry;
    const base = options.backoffMs ?? 250;
    await sleep(base * 2 ** (attempts - 1) + Math.floor(Math.random() * base));
  }
}

/**
 * Writes in a row that fail for a transient reason through all their retries, or get no answer at all
 * (ProviderError.isUnanswered: a create, which is not repeated blindly), after which the server is taken
 * to be gone and the rest of a provider's changes are not attempted: each would wait out its own retries
 * or fail on its own line (an import of 20k users, hours), and the next run picks them up.
 */
const GIVE_UP_AFTER = 3;

async function applyProvider(
  provider: Provider,
  changes: readonly Change[],
  options: ApplyOptions,
  out: ChangeResult[],
): Promise<void> {
  // What a failed or skipped change would have created, or the account it would have removed → "failed"
  // or "was skipped": its dependants are skipped too (a person's old account is not disabled for a new
  // one that does not exist; a GitHub team membership that ends with its org membership is not sent alone).
  const failedCreates = new Map<string, string>();
  const run = runAccounts(changes);
  let unanswered = 0;
  /** Why the rest of this provider's changes are skipped, once given up on; said in full once. */
  let gaveUp: { readonly reason: string; isSaid: boolean } | undefined;
  const skippedForGivingUp = (up: { readonly reason: string; isSaid: boolean }): string => {
    // The first change skipped carries the reason and the last error; the rest say only what happened,
    // not the same error chain again (hundreds of ECONNREFUSED lines from one server that went away).
    if (up.isSaid)
      return `skipped: not attempted after ${provider.name} failed ${String(GIVE_UP_AFTER)} writes in a row`;
    up.isSaid = true;
    return `skipped: ${up.reason}`;
  };
  const { maxMembersPerWrite, applyWholePhase } = provider.capabilities;
  for (const phase of planBatches(changes, maxMembersPerWrite, applyWholePhase === true)) {
    // Serial unless the provider says its writes may overlap: read-then-write steps (member lists without
    // PATCH, owner counts before a removal, the next free gidNumber) must not race each other.
    const concurrency = options.concurrency ?? provider.capabilities.maxConcurrentWrites ?? 1;
    await runPool(phase, concurrency, async (batch) => {
      const results: ChangeResult[] = [];
      const runnable: Change[] = [];
      for (const change of batch) {
        const blocked = dependenciesOf(change, run).find((d) => failedCreates.has(d));
        if (blocked !== undefined || options.signal.aborted || gaveUp !== undefined) {
          // Interrupted or given up, every later change is skipped anyway.
          const skipped = blocked === undefined ? undefined : createdBy(change);
          if (skipped !== undefined) failedCreates.set(skipped, "was skipped");
          const notRemoved = removedBy(change);
          if (notRemoved !== undefined) failedCreates.set(notRemoved, "was skipped");
          results.push({
            change,
            outcome: "skipped",
            error:
              blocked !== undefined
                ? skippedFor(blocked, failedCreates.get(blocked) ?? "failed")
                : gaveUp !== undefined
                  ? skippedForGivingUp(gaveUp)
                  : "skipped: apply was interrupted",
            at: options.now().toISOString(),
            attempts: 0,
          });
        } else runnable.push(change);
      }
      let unrecordable: string | undefined;
      if (runnable.length > 0 && options.onBeforeWrite) {
        try {
          await options.onBeforeWrite(runnable);
        } catch (error) {
          unrecordable = messageOf(error);
        }
      }
      if (unrecordable !== undefined) {
        for (const change of runnable) {
          const skipped = createdBy(change);
          if (skipped !== undefined) failedCreates.set(skipped, "was skipped");
          const notRemoved = removedBy(change);
          if (notRemoved !== undefined) failedCreates.set(notRemoved, "was skipped");
          results.push({
            change,
            outcome: "skipped",
            error: `skipped: the journal could not record the intent (${unrecordable})`,
            at: options.now().toISOString(),
            attempts: 0,
          });
        }
      } else if (runnable.length > 0) {
        const { outcomes, attempts } = await writeWithRetry(provider, runnable, options);
        const last = outcomes.find((o) => o.status === "failed");
        const isDown = (o: ChangeOutcome): boolean =>
          o.status === "failed" && (o.error.isTransient || o.error.isUnanswered);
        if (outcomes.every(isDown)) unanswered++;
        else unanswered = 0;
        if (unanswered >= GIVE_UP_AFTER && gaveUp === undefined && last?.status === "failed")
          gaveUp = {
            reason: `${provider.name} failed ${String(unanswered)} writes in a row ${last.error.isTransient ? "through their retries" : "with no answer"} (last: ${last.error.message}); its remaining changes were not attempted`,
            isSaid: false,
          };
        // One instant for the write's answers: they arrived together.
        const at = options.now().toISOString();
        runnable.forEach((change, i) => {
          const outcome = outcomes[i];
          if (outcome?.status === "applied") {
            results.push({
              change,
              outcome: "applied",
              at,
              attempts,
              ...(outcome.confirmation ? { confirmation: outcome.confirmation } : {}),
              ...(outcome.accountId === undefined ? {} : { accountId: outcome.accountId }),
            });
          } else {
            // A rename made before a later write of the change failed: what waits for it still runs.
            const created = outcome?.accountMade === true ? undefined : createdBy(change);
            if (created !== undefined) failedCreates.set(created, "failed");
            const notRemoved = removedBy(change);
            if (notRemoved !== undefined) failedCreates.set(notRemoved, "failed");
            results.push({
              change,
              outcome: "failed",
              at,
              attempts,
              error: outcome?.error.message ?? "unknown failure",
            });
          }
        });
      }
      appendAll(out, results);
      await options.onResults?.(results);
    });
  }
}

/**
 * Puts `results` in the order of their changes in the plan, in place: each in its change's slot (two
 * million results are not sorted through a map lookup per comparison), or, should a change have more
 * than one result, by a stable sort.
 */
function inPlanOrder(changes: readonly Change[], results: ChangeResult[]): void {
  const order = new Map<Change, number>();
  changes.forEach((c, i) => order.set(c, i));
  const slots: (ChangeResult | undefined)[] = new Array<ChangeResult | undefined>(changes.length);
  for (const r of results) {
    const i = order.get(r.change) ?? -1;
    if (i < 0 || slots[i] !== undefined) {
      results.sort((a, b) => (order.get(a.change) ?? 0) - (order.get(b.change) ?? 0));
      return;
    }
    slots[i] = r;
  }
  let at = 0;
  for (const r of slots) if (r !== undefined) results[at++] = r;
}

/**
 * Carries out exactly the plan's changes through the providers: phase by phase, membership changes
 * batched per group, bounded concurrency, retries for transient errors. A failure does not stop
 * independent changes; changes that depend on a failed create are skipped.
 */
export async function applyPlan(
  plan: Plan,
  providers: ReadonlyMap<string, Provider>,
  options: ApplyOptions,
): Promise<ApplyResult> {
  const started = options.now().getTime();
  const results: ChangeResult[] = [];
  // Every provider runs to its end even if another one throws: what was written must be reported.
  const settled = await Promise.allSettled(
    plan.providers.map(async (p) => {
      const provider = providers.get(p.name);
      const changes = plan.changes.filter((c) => c.provider === p.name);
      if (changes.length === 0) return;
      if (!provider) throw new ProviderError(p.name, "apply", "provider is not configured any more");
      await applyProvider(provider, changes, options, results);
    }),
  );
  const thrown = settled.find((s) => s.status === "rejected");
  if (thrown) throw thrown.reason;
  inPlanOrder(plan.changes, results);
  const calls: Record<string, ProviderStats> = {};
  for (const [name, provider] of providers) calls[name] = provider.stats();
  return {
    results,
    applied: results.filter((r) => r.outcome === "applied").length,
    failed: results.filter((r) => r.outcome === "failed").length,
    skipped: results.filter((r) => r.outcome === "skipped").length,
    calls,
    durationMs: options.now().getTime() - started,
  };
}
