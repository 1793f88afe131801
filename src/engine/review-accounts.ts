import { InternalError, messageOf } from "../errors.ts";
import { deadline } from "../io/deadline.ts";
import type { Diagnostic } from "../model/diagnostic.ts";
import { DAY_MS } from "../lifecycle/status.ts";
import { formatDuration } from "../load/durations.ts";
import {
  reviewAccounts,
  type AccountsReport,
  type StaleAfterFrom,
  type SystemToReview,
} from "../lifecycle/account-review.ts";
import { closeProviders, DEFAULT_READ_TIMEOUT_MS, preparePlan, type EngineOptions } from "./prepare-plan.ts";

/** How long without a sign-in makes an account stale, unless `--stale` or `policy.staleAfter` says. */
export const DEFAULT_STALE_AFTER_MS = 90 * DAY_MS;

export interface AccountsOptions extends EngineOptions {
  /** `--stale`, in milliseconds: over `policy.staleAfter`. */
  readonly staleAfterMs?: number;
}

/**
 * `gatehouse accounts`: the plan, computed as `plan --fresh` computes it (every system read, the journal
 * folded), then each system's sign-ins, joined with the people in the files. Changes nothing.
 */
export async function prepareAccountsReport(
  options: AccountsOptions,
): Promise<{ readonly report: AccountsReport; readonly warnings: readonly Diagnostic[] }> {
  const prepared = await preparePlan({ ...options, keepInputs: true });
  try {
    const { planned, tree } = prepared;
    if (planned === undefined) throw new InternalError("the plan kept no inputs for the accounts report");
    const signal = deadline(options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS).signal;
    const systems = await Promise.all(
      planned.inputs.map(async (input): Promise<SystemToReview> => {
        const provider = prepared.providers.get(input.name);
        const refusedBy = prepared.refusals.filter((v) => v.provider === input.name).map((v) => v.message);
        const system = refusedBy.length === 0 ? { input } : { input, refusedBy };
        // A system whose sign-ins cannot be read still has its orphans reported; the command exits 1.
        try {
          const signIns = await provider?.signIns?.(signal);
          return signIns === undefined ? system : { ...system, signIns };
        } catch (error) {
          return { ...system, signInsError: messageOf(error) };
        }
      }),
    );
    const policy = tree.model.config.policy.staleAfterMs;
    const [staleAfterMs, staleAfterFrom]: [number, StaleAfterFrom] =
      options.staleAfterMs !== undefined
        ? [options.staleAfterMs, "--stale"]
        : policy !== undefined
          ? [policy, "policy.staleAfter"]
          : [DEFAULT_STALE_AFTER_MS, "default"];
    const report = reviewAccounts({
      now: options.now,
      staleAfterMs,
      staleAfter: formatDuration(staleAfterMs),
      staleAfterFrom,
      users: tree.model.users,
      plan: prepared.plan,
      journalAccounts: planned.journal.accounts,
      systems,
    });
    return { report, warnings: prepared.warnings };
  } finally {
    await closeProviders(prepared.providers);
  }
}
