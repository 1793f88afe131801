/**
 * A fire drill: the canary offboarded through the same plan, apply and offboarding check as a real
 * leaver, timed per system, then given its access back, and the whole of it journalled as a `drill`
 * entry. The files are never edited: the canary is a leaver in memory only (engine/drill-plan.ts).
 */
import { deadline } from "../io/deadline.ts";
import type { Plan } from "../plan/types.ts";
import type { OffboardCheck, RecheckOptions } from "../apply/offboard-verify.ts";
import type { ChangeResult } from "../apply/apply-plan.ts";
import { appendJournalEntries } from "../audit/journal.ts";
import type { DrillData, DrillOutcome, DrillSystem, JournalEntry } from "../audit/journal-entry.ts";
import { ConfigError, messageOf, UnsafePlanError } from "../errors.ts";
import {
  closeProviders,
  journalPathOf,
  preparePlan,
  type EngineOptions,
  type PreparedPlan,
} from "./prepare-plan.ts";
import { runApply, type RunApplyResult } from "./run-apply.ts";
import { canaryChangesOf, chooseCanary, killChainOf, withCanaryLeaving } from "./drill-plan.ts";
import { firstFew } from "../model/lists.ts";
import { pendingInvitationNote } from "../plan/plan-users.ts";

export interface DrillOptions {
  /** How to plan (files, providers, journal); its `now` is replaced by `now()` for every plan. */
  readonly engine: EngineOptions;
  /** The canary's user id; default the first of `policy.drills.canaries`. */
  readonly canary?: string;
  readonly actor: string;
  readonly now: () => Date;
  /** Where the chain check remembers how far it verified (absolute), as apply's. */
  readonly cacheDir?: string;
  readonly offboardRecheck?: RecheckOptions;
  /** Removals the kill chain may make beyond policy.guardrails.maxRemovals (journalled, as apply's). */
  readonly allowRemovals?: number;
  readonly log?: (line: string) => void;
}

export interface DrillReport {
  readonly canary: string;
  readonly startedAt: string;
  readonly outcome: DrillOutcome;
  readonly systems: readonly DrillSystem[];
  readonly restore: DrillData["restore"];
  readonly error?: string;
  /** The offboarding checks of the kill chain, as apply reports them. */
  readonly checks: readonly OffboardCheck[];
  /** The kill chain that was applied (the canary's changes only). */
  readonly killChain?: Plan;
  /** The `drill` entry. */
  readonly entry: JournalEntry;
}

/** A run of both halves of a drill: six hours, as an apply's. */
const RUN_TIMEOUT_MS = 6 * 3_600_000;

/** Plans with `engine` at `now()`, hands the prepared plan to `use`, and closes its providers after. */
async function withPlan<T>(
  options: DrillOptions,
  extra: Partial<EngineOptions>,
  use: (prepared: PreparedPlan) => T | Promise<T>,
): Promise<T> {
  const prepared = await preparePlan({ ...options.engine, now: options.now(), ...extra });
  try {
    return await use(prepared);
  } finally {
    await closeProviders(prepared.providers);
  }
}

/** Milliseconds from the drill's start to `at` (never below 0: clocks of one machine, read in order). */
const after = (start: Date, at: string): number => Math.max(0, Date.parse(at) - start.getTime());

/** Per system the kill chain touched: its timings from the drill's start, and what was left. */
export function drillSystems(
  chain: Plan,
  results: readonly ChangeResult[],
  checks: readonly OffboardCheck[],
  checkedAt: string | undefined,
  start: Date,
): DrillSystem[] {
  const providers = [...new Set(chain.changes.map((c) => c.provider))];
  return providers.map((provider): DrillSystem => {
    const mine = results.filter((r) => r.change.provider === provider);
    const disable = mine.find((r) => r.change.kind === "user" && r.change.action === "disable");
    const removals = mine.filter((r) => r.change.kind === "membership");
    const removed = removals.filter((r) => r.outcome === "applied");
    const failed = mine.filter((r) => r.outcome !== "applied").length;
    const check = checks.find((c) => c.provider === provider);
    const planned = chain.changes.find((c) => c.provider === provider);
    const account =
      check?.account ??
      (planned === undefined
        ? ""
        : planned.kind === "membership"
          ? planned.member
          : planned.kind === "user"
            ? planned.account
            : "");
    const clean = check?.clean === true && failed === 0;
    const lastRemoval = removed
      .map((r) => r.at)
      .sort()
      .at(-1);
    return {
      provider,
      account,
      ...(disable?.outcome === "applied" ? { disabledAfterMs: after(start, disable.at) } : {}),
      ...(lastRemoval !== undefined && removed.length === removals.length
        ? { membershipsRemovedAfterMs: after(start, lastRemoval) }
        : {}),
      ...(clean && checkedAt !== undefined ? { cleanAfterMs: after(start, checkedAt) } : {}),
      clean,
      removals: removed.length,
      failed,
    };
  });
}

function outcomeOf(
  systems: readonly DrillSystem[],
  checks: readonly OffboardCheck[],
  error: string | undefined,
): DrillOutcome {
  if (error !== undefined || systems.some((s) => s.failed > 0) || checks.some((c) => c.error !== undefined))
    return "failed";
  // A system the chain touched but no check read back is not known to be clean.
  if (systems.some((s) => !checks.some((c) => c.provider === s.provider))) return "failed";
  return systems.every((s) => s.clean) ? "clean" : "access-left";
}

/**
 * The drill. Refuses (UsageError for the command line, ConfigError for the state) before anything is changed when the canary is not one,
 * is out of step with the files (a change pending for it: its restore could not be told from drift), or
 * its kill chain holds anything but its own disable, revocations and removals. Once the kill chain has
 * started, the restore always runs, and the `drill` entry is always written.
 */
export async function runDrill(options: DrillOptions): Promise<DrillReport> {
  const journalPath = journalPathOf(options.engine);
  const runOptions = {
    journalPath,
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
    actor: options.actor,
    now: options.now,
    ...(options.log === undefined ? {} : { log: options.log }),
  };
  // The canary as the files have it, and in step with them.
  const canary = await withPlan(options, {}, (prepared) => {
    const user = chooseCanary(prepared.tree.model, options.canary, options.now());
    const pending = canaryChangesOf(prepared.plan, user.id).changes;
    if (pending.length > 0)
      // The systems' state, not the command line, is what is wrong: exit 1 as the other refusals.
      throw new ConfigError(
        `canary ${user.id} is not in step with the files: the plan has ${String(pending.length)} change(s) for it (${firstFew(pending.map((c) => c.id))}); run apply first, so that the drill's restore is not taken for them. Nothing was changed`,
      );
    return user.id;
  });
  const start = options.now();
  let killChain: Plan | undefined;
  let run: RunApplyResult | undefined;
  let error: string | undefined;
  try {
    await withPlan(options, { adjustModel: (m) => withCanaryLeaving(m, canary) }, async (prepared) => {
      const chain = killChainOf(prepared.plan, canary);
      killChain = chain;
      // The command line's, else gatehouse.yaml's standing allowance for drills (policy.drills).
      const allowRemovals = options.allowRemovals ?? prepared.tree.model.config.policy.drillAllowRemovals;
      run = await runApply(chain, prepared.tree.model.config.policy, prepared.providers, {
        ...runOptions,
        signal: deadline(RUN_TIMEOUT_MS).signal,
        protectedAccounts: prepared.protectedAccounts,
        leavers: new Map([[canary, { leaving: "fire drill (gatehouse drill)" }]]),
        drill: canary,
        ...(options.offboardRecheck === undefined ? {} : { offboardRecheck: options.offboardRecheck }),
        ...(allowRemovals === undefined ? {} : { allowRemovals }),
      });
    });
  } catch (caught) {
    // Refused before the kill chain was applied (the canary's plan, or a guard rail): nothing changed,
    // nothing to restore or journal.
    if (run === undefined && (killChain === undefined || caught instanceof UnsafePlanError)) throw caught;
    error = messageOf(caught);
  }
  const restore = await restoreCanary(options, canary, runOptions);
  const checks = run?.offboarding ?? [];
  const systems =
    killChain === undefined ? [] : drillSystems(killChain, run?.results ?? [], checks, run?.checkedAt, start);
  const outcome = outcomeOf(systems, checks, error);
  const data: DrillData = {
    type: "drill",
    at: options.now().toISOString(),
    actor: options.actor,
    canary,
    startedAt: start.toISOString(),
    ...(run === undefined ? {} : { runSeq: run.journal.first }),
    outcome,
    systems,
    restore,
    ...(error === undefined ? {} : { error }),
  };
  const [entry] = await appendJournalEntries(journalPath, [data], { lockTimeoutMs: 60_000 });
  if (entry === undefined) throw new Error("the journal did not record the drill");
  return {
    canary,
    startedAt: data.startedAt,
    outcome,
    systems,
    restore,
    ...(error === undefined ? {} : { error }),
    checks,
    ...(killChain === undefined ? {} : { killChain }),
    entry,
  };
}

/** Systems where a plan notes one of `accounts` as invited and not yet accepted (GitHub's restore). */
function pendingFor(plan: Plan, accounts: readonly { provider: string; account: string }[]): string[] {
  const pending = accounts.filter((a) =>
    plan.notes.some((n) => n.provider === a.provider && n.message === pendingInvitationNote(a.account)),
  );
  return [...new Set(pending.map((a) => a.provider))].sort();
}

/**
 * What a restore plan left out: the systems it could not read, where the canary stays offboarded until an
 * apply reads them again.
 */
function leftOutError(prepared: PreparedPlan): string | undefined {
  if (prepared.unreadable.length === 0) return undefined;
  const names = prepared.unreadable.map((e) => e.provider).join(", ");
  const said = prepared.unreadable.map((e) => e.message).join("; ");
  return `${names} could not be read, so the canary is still offboarded there (${said})`;
}

/**
 * The canary's changes of a plan from the files as they are, applied; then a plan to see none is left.
 * A system that cannot be read is left out of both, as apply leaves it out: the canary gets its access
 * back everywhere else, and the restore fails naming it.
 */
async function restoreCanary(
  options: DrillOptions,
  canary: string,
  runOptions: Omit<Parameters<typeof runApply>[3], "signal">,
): Promise<DrillData["restore"]> {
  let runSeq: number | undefined;
  let error: string | undefined;
  const restored: { provider: string; account: string }[] = []; // the canary's accounts the restore gave back
  try {
    await withPlan(options, { skipUnreadable: true }, async (prepared) => {
      error = leftOutError(prepared);
      const restore = canaryChangesOf(prepared.plan, canary);
      if (restore.changes.length === 0) return;
      for (const c of restore.changes)
        if (c.kind === "user") restored.push({ provider: c.provider, account: c.account });
      const result = await runApply(restore, prepared.tree.model.config.policy, prepared.providers, {
        ...runOptions,
        signal: deadline(RUN_TIMEOUT_MS).signal,
        protectedAccounts: prepared.protectedAccounts,
        drill: canary,
      });
      runSeq = result.journal.first;
      if (result.failed + result.skipped > 0)
        error ??= `${String(result.failed)} change(s) failed and ${String(result.skipped)} were skipped`;
    });
  } catch (caught) {
    error = messageOf(caught);
  }
  let left = 0;
  let pending: string[] = [];
  try {
    [left, pending] = await withPlan(options, { skipUnreadable: true }, (prepared) => {
      const unread = leftOutError(prepared);
      if (unread !== undefined) error ??= `the plan after the restore: ${unread}`;
      return [canaryChangesOf(prepared.plan, canary).changes.length, pendingFor(prepared.plan, restored)];
    });
  } catch (caught) {
    error ??= `the plan after the restore failed: ${messageOf(caught)}`;
  }
  const isRestored = error === undefined && left === 0;
  return {
    outcome: isRestored ? "restored" : "failed",
    ...(runSeq === undefined ? {} : { runSeq }),
    left,
    ...(pending.length === 0 ? {} : { pending }),
    ...(error === undefined ? {} : { error }),
  };
}
