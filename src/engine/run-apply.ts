import type { Plan } from "../plan/types.ts";
import { deadline } from "../io/deadline.ts";
import type { Policy } from "../model/access.ts";
import type { Provider, ProviderStats } from "../providers/types.ts";
import type { LeaverEvent } from "../desired/desired-state.ts";
import { UnsafePlanError, messageOf } from "../errors.ts";
import { checkGuardrails, type GuardrailOptions } from "../plan/safety.ts";
import { applyPlan, type ApplyResult, type ChangeResult } from "../apply/apply-plan.ts";
import { verifyBeforeAppend } from "../audit/verified-prefix.ts";
import type { OpenRun } from "../audit/verify-journal.ts";
import type { LeftOutSystem } from "../audit/journal-entry.ts";
import type { ApprovalsRecord } from "../pr/approval-record.ts";
import { codeIdentity, VERSION } from "../io/code-identity.ts";
import { SCHEMA_DIR } from "../validate/schema.ts";
import {
  appendJournalEntries,
  JournalError,
  type JournalEntry,
  type NewJournalEntry,
} from "../audit/journal.ts";
import { readSetAside, retireSetAside, setAside } from "../audit/set-aside.ts";
import { foldJournal, MANAGING_ACTIONS } from "../audit/journal-fold.ts";
import { ADOPTED_PER_ENTRY } from "../audit/journal-entry.ts";
import type { Adoption } from "./adoptions.ts";
import { planChecksum } from "./saved-plan.ts";
import { appendAll, firstFew } from "../model/lists.ts";
import {
  verifyOffboarding,
  type OffboardCheck,
  type OpenRecheck,
  type RecheckOptions,
} from "../apply/offboard-verify.ts";
import { DEFAULT_READ_TIMEOUT_MS } from "./prepare-plan.ts";
import { numberSetAside } from "./open-verdicts.ts";
import {
  deliverOffboardingWebhooks,
  offboardedLeavers,
  type OwedDelivery,
  type WebhookDelivery,
  type WebhookOptions,
} from "../apply/offboard-webhooks.ts";

/** What made a leaver one, by user id, for the offboarding checks (see leaverEvents). */
export type LeaverEvents = ReadonlyMap<string, LeaverEvent>;

export interface RunApplyOptions extends GuardrailOptions {
  readonly journalPath: string;
  /** Where the chain check remembers how far it verified (absolute); undefined: walk the whole chain. */
  readonly cacheDir?: string;
  readonly actor: string;
  readonly now: () => Date;
  readonly signal: AbortSignal;
  readonly onResults?: (results: readonly ChangeResult[]) => void;
  readonly retries?: number;
  readonly backoffMs?: number;
  readonly log?: (line: string) => void;
  /** Recorded in the apply-start (see ApprovalsRecord). */
  readonly approvals?: ApprovalsRecord;
  /** The HR event behind each leaver, recorded with their offboarding checks. */
  readonly leavers?: LeaverEvents;
  /**
   * How long the offboarding read-back may take (default 10 minutes, as a plan's reads): a system that
   * stops answering gives unverified checks, and the run still ends with its apply-end.
   */
  readonly readTimeoutMs?: number;
  /** Reading again where the read-back found access left (default: DEFAULT_RECHECK_MS later). */
  readonly offboardRecheck?: RecheckOptions;
  /**
   * The accounts with an open offboarding verdict in the systems this run reads, per provider (see
   * PreparedPlan.openVerdicts): checked again after the changes, also when there are none.
   */
  readonly openVerdicts?: ReadonlyMap<string, OpenRecheck>;
  /** A fire drill's run, of this canary (user id): marked so in its apply-start and its checks. */
  readonly drill?: string;
  /** policy.offboarding.webhooks, told of each leaver the run offboarded (never in a drill). */
  readonly webhooks?: WebhookOptions;
  /** Systems gatehouse.yaml configures that this run leaves out (unreadable, not set up): said to webhooks. */
  readonly notReached?: readonly string[];
  /** Why each of `notReached` was left out, where it could not be read or set up: in the apply-start. */
  readonly unreadable?: readonly { readonly provider: string; readonly message: string }[];
  /** Deliveries earlier runs failed (JournalFold.undelivered), sent again after this run's changes. */
  readonly owedDeliveries?: readonly OwedDelivery[];
  /**
   * The guard rails refused the whole plan: `plan` is only what a refusal does not stop (safety.ts
   * madeDespiteRefusal), and these refusals are recorded in the apply-start for the rest.
   */
  readonly refused?: readonly string[];
  /**
   * Groups gatehouse manages the members of for the first time, with their holders from before it
   * (PreparedPlan.adoptions): recorded right after the apply-start, before any change, for the systems
   * the plan covers.
   */
  readonly adoptions?: readonly Adoption[];
}

export interface RunApplyResult extends ApplyResult {
  /** Each leaver's account the run changed, read back afterwards (apply/offboard-verify.ts). */
  readonly offboarding: readonly OffboardCheck[];
  /** When the offboarding checks were journalled (their entries' `at`), when there were any. */
  readonly checkedAt?: string;
  /** The calls that read-back made per provider, when there was one. */
  readonly offboardingCalls?: Readonly<Record<string, ProviderStats>>;
  /** Each webhook's delivery for each leaver the run offboarded (apply/offboard-webhooks.ts). */
  readonly deliveries: readonly WebhookDelivery[];
  readonly journal: {
    readonly first: number;
    readonly last: number;
    readonly headHash: string;
    readonly start: JournalEntry;
  };
}

/** The apply-end of a run that died, as far as its entries tell. */
function interruptedEnd(run: OpenRun, now: Date): NewJournalEntry {
  const recorded = run.applied + run.failed + run.skipped;
  return {
    type: "apply-end",
    at: now.toISOString(),
    runSeq: run.seq,
    applied: run.applied,
    failed: run.failed,
    // Never attempted: the plan's changes with no outcome and no intent.
    skipped: run.skipped + Math.max(0, run.planned - recorded - run.unconfirmed.length),
    durationMs: Math.max(0, Date.parse(run.lastAt) - Date.parse(run.at)),
    calls: {},
    interrupted: true,
    unconfirmed: run.unconfirmed,
  };
}

function describeInterrupted(run: OpenRun): string {
  return (
    `the run started at ${run.at} by ${run.actor} (journal seq ${String(run.seq)}) never finished: its last entry is from ${run.lastAt}. ` +
    `Recorded its end as interrupted: ${String(run.applied)} applied, ${String(run.failed)} failed` +
    (run.unconfirmed.length > 0
      ? `, ${String(run.unconfirmed.length)} may or may not have been made (${firstFew(run.unconfirmed)}); this plan was made from what the systems hold now`
      : "")
  );
}

/** Addresses per intent entry. */
const INTENT_IDS = 10_000;
/** Change entries per journal append. */
const RESULTS_PER_APPEND = 5_000;

/** Guard rails, then the journal's apply-start, every change as it is confirmed, and apply-end. */
export async function runApply(
  plan: Plan,
  policy: Policy,
  providers: ReadonlyMap<string, Provider>,
  options: RunApplyOptions,
): Promise<RunApplyResult> {
  const violations = checkGuardrails(plan, policy, options);
  if (violations.length > 0) throw new UnsafePlanError(violations);
  const isOverridden = options.force === true || options.allowRemovals !== undefined;
  // What the overrides let through goes into the journal with the run: an auditor sees the --force.
  const overrides = isOverridden
    ? {
        ...(options.force === true ? { force: true as const } : {}),
        ...(options.allowRemovals === undefined ? {} : { allowRemovals: options.allowRemovals }),
        accepted: checkGuardrails(plan, policy, {
          ...(options.protectedAccounts === undefined
            ? {}
            : { protectedAccounts: options.protectedAccounts }),
        }),
      }
    : undefined;
  // A journal whose chain is broken anywhere (an entry edited, removed, reordered) is not appended to:
  // what it would record could no longer be told apart from what was forged.
  const chain = await verifyBeforeAppend(options.journalPath, options.cacheDir);
  if (!chain.ok)
    throw new JournalError(
      `${options.journalPath} is not intact, so nothing was applied: ${chain.problems
        .slice(0, 3)
        .map((p) => `line ${String(p.line)}: ${p.message}`)
        .join(
          "; ",
        )}${chain.problems.length > 3 ? ` (and ${String(chain.problems.length - 3)} more)` : ""}. Run \`gatehouse journal verify\``,
    );
  // Changes an earlier run could not journal (set aside next to it) go in first, in their order.
  const waiting = await readSetAside(options.journalPath);
  let recorded: readonly JournalEntry[] = [];
  if (waiting.length > 0) {
    recorded = await appendJournalEntries(options.journalPath, waiting);
    const kept = await retireSetAside(options.journalPath, options.now());
    options.log?.(`recorded ${String(waiting.length)} journal entries an earlier run set aside (${kept})`);
  }
  // A run that died (killed, crashed) left no apply-end; this apply holds the lock, so none is running.
  // Its end goes on record now, with what its entries say, before this run starts.
  const endedAside = new Set(waiting.flatMap((e) => (e.type === "apply-end" ? [e.runSeq] : [])));
  const interrupted = chain.unfinished.filter((run) => !endedAside.has(run.seq));
  if (interrupted.length > 0) {
    await appendJournalEntries(
      options.journalPath,
      interrupted.map((run) => interruptedEnd(run, options.now())),
    );
    for (const run of interrupted) options.log?.(describeInterrupted(run));
  }
  const [start] = await appendJournalEntries(options.journalPath, [
    {
      type: "apply-start",
      at: options.now().toISOString(),
      actor: options.actor,
      planDigest: planChecksum(plan),
      desiredDigest: plan.desiredDigest,
      providers: plan.providers.map((p) => p.name),
      modes: Object.fromEntries(plan.providers.map((p) => [p.name, p.mode])),
      changes: plan.changes.length,
      ...(plan.desiredCommit === undefined ? {} : { commit: plan.desiredCommit }),
      ...(overrides === undefined ? {} : { overrides }),
      ...(options.approvals === undefined ? {} : { approvals: options.approvals }),
      ...(options.drill === undefined ? {} : { drill: options.drill }),
      gatehouse: { version: VERSION, build: codeIdentity(SCHEMA_DIR).slice(0, 16) },
      ...(plan.grantEnds === undefined || plan.grantEnds.length === 0 ? {} : { grantEnds: plan.grantEnds }),
      ...(options.refused === undefined || options.refused.length === 0 ? {} : { refused: options.refused }),
      ...(options.adoptions === undefined ? {} : { adopts: true as const }),
      ...(options.notReached === undefined || options.notReached.length === 0
        ? {}
        : { leftOut: leftOutOf(options.notReached, options.unreadable ?? []) }),
    },
  ]);
  if (!start) throw new Error("journal did not record the start of the run");
  let last: JournalEntry = start;
  // Who held the groups gatehouse now takes on, before any change of the run: recorded once, so the next
  // run finds them on record. Should this fail, nothing is applied (the run is closed as interrupted by the
  // next apply, which records them then).
  const planned = new Set(plan.providers.map((p) => p.name));
  const adopted = adoptedEntries(
    (options.adoptions ?? []).filter((a) => planned.has(a.provider)),
    start,
  );
  if (adopted.length > 0) last = (await appendJournalEntries(options.journalPath, adopted)).at(-1) ?? last;
  // If the journal cannot be appended to mid-run, stop writing (an unrecorded change is an audit gap),
  // keep what was done, and record it at the end; as a last resort next to the journal, never lost.
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  const unrecorded: NewJournalEntry[] = [];
  let journalError: unknown;
  const result = await applyPlan(plan, providers, {
    signal,
    now: options.now,
    ...(options.retries === undefined ? {} : { retries: options.retries }),
    ...(options.backoffMs === undefined ? {} : { backoffMs: options.backoffMs }),
    // Write-ahead: what may be granted is in the journal before the system is asked, so a run that dies
    // between the write and its outcomes still leaves gatehouse's part on record (see IntentData).
    onBeforeWrite: async (changes) => {
      if (journalError !== undefined) throw new Error("the journal failed earlier in this run");
      // What makes an address gatehouse's once applied: its intent is journalled before the write. What
      // takes access away is announced too, apart, so a run that dies mid-write leaves a trace of it.
      const granting = changes.filter((c) => MANAGING_ACTIONS.has(c.action)).map((c) => c.id);
      const narrowing = changes.filter((c) => !MANAGING_ACTIONS.has(c.action)).map((c) => c.id);
      const provider = changes[0]?.provider ?? "";
      const at = options.now().toISOString();
      // A write of a whole phase (the local directory) can carry millions of changes: its intent is
      // several entries of at most INTENT_IDS addresses each, all before the write.
      const intents: NewJournalEntry[] = [];
      const count = Math.max(1, Math.ceil(Math.max(granting.length, narrowing.length) / INTENT_IDS));
      for (let i = 0; i < count; i++) {
        const part = (ids: readonly string[]): string[] => ids.slice(i * INTENT_IDS, (i + 1) * INTENT_IDS);
        const narrowingPart = part(narrowing);
        intents.push({
          type: "intent",
          at,
          runSeq: start.seq,
          provider,
          changeIds: part(granting),
          ...(narrowingPart.length > 0 ? { narrowingIds: narrowingPart } : {}),
        });
      }
      try {
        const sealed = await appendJournalEntries(options.journalPath, intents);
        last = sealed.at(-1) ?? last;
      } catch (error) {
        journalError = error;
        stop.abort();
        throw error;
      }
    },
    onResults: async (results) => {
      options.onResults?.(results);
      // A few thousand at a time: the results of one write of a whole phase can be millions.
      for (let from = 0; from < results.length; from += RESULTS_PER_APPEND) {
        const entries = results.slice(from, from + RESULTS_PER_APPEND).map((r): NewJournalEntry => ({
          type: "change",
          at: r.at,
          runSeq: start.seq,
          provider: r.change.provider,
          changeId: r.change.id,
          change: r.change,
          outcome: r.outcome,
          ...(r.confirmation === undefined ? {} : { confirmation: r.confirmation }),
          ...(r.accountId === undefined ? {} : { accountId: r.accountId }),
          ...(r.error === undefined ? {} : { error: r.error }),
        }));
        if (journalError !== undefined) {
          appendAll(unrecorded, entries);
          continue;
        }
        try {
          const sealed = await appendJournalEntries(options.journalPath, entries);
          last = sealed.at(-1) ?? last;
        } catch (error) {
          journalError = error;
          appendAll(unrecorded, entries);
          stop.abort();
        }
      }
    },
  });
  // What is left of each leaver's access, read back before the run ends; not when the run was cut short
  // (interrupted, or the journal failing): the next run plans what is left, and checks it then.
  const checkDeadline = deadline(options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS, options.signal);
  const offboarding =
    journalError === undefined && !options.signal.aborted
      ? await verifyOffboarding(
          result.results,
          providers,
          checkDeadline.signal,
          options.offboardRecheck,
          // A verdict set aside had no seq when the plan was made; its re-check names the one it has now.
          options.openVerdicts === undefined ? undefined : numberSetAside(options.openVerdicts, recorded),
        ).finally(checkDeadline.clear)
      : [];
  const checkedAt = options.now().toISOString();
  const verified = offboarding.map((check) => verifiedEntry(check, start, checkedAt, options));
  // The read-back's own calls, apart from the writes' (calls), so that each count keeps its meaning.
  const offboardingCalls = offboarding.length === 0 ? undefined : callsSince(result.calls, providers);
  const end: NewJournalEntry = {
    type: "apply-end",
    at: options.now().toISOString(),
    runSeq: start.seq,
    applied: result.applied,
    failed: result.failed,
    skipped: result.skipped,
    durationMs: result.durationMs,
    calls: result.calls,
    ...(offboardingCalls === undefined ? {} : { offboardingCalls }),
  };
  try {
    const sealed = await appendJournalEntries(options.journalPath, [...unrecorded, ...verified, end], {
      lockTimeoutMs: 60_000,
    });
    last = sealed.at(-1) ?? last;
  } catch (error) {
    const aside = await setAside(options.journalPath, [...unrecorded, ...verified, end]);
    throw new JournalError(
      `the journal could not record ${String(unrecorded.length)} change(s) of this run; they are saved in ${aside}. ` +
        `The next apply records them in the journal, and plans read them meanwhile (${messageOf(error)})`,
      { cause: error },
    );
  }
  if (journalError !== undefined) {
    throw new JournalError(
      `the journal failed during the run, so gatehouse stopped writing; ${String(result.applied)} change(s) were applied and are now recorded. Re-run apply to finish.`,
      { cause: journalError },
    );
  }
  // Downstream systems told of each leaver offboarded, once the run and its checks are recorded (a
  // webhook that hangs cannot cost the journal the kill chain's evidence); a failure undoes nothing.
  const leavers = options.drill === undefined ? offboardedLeavers(result.results, offboarding) : [];
  const owed = options.drill === undefined ? (options.owedDeliveries ?? []) : [];
  const deliveries =
    options.webhooks === undefined || leavers.length + owed.length === 0 || options.signal.aborted
      ? []
      : await deliverOffboardingWebhooks(
          leavers,
          options.webhooks,
          {
            leaving: (id) => options.leavers?.get(id)?.leaving,
            triggeredAt: start.at,
            checkedAt,
            ...(options.notReached === undefined ? {} : { notReached: options.notReached }),
          },
          options.now,
          options.signal,
          owed,
        );
  if (deliveries.length > 0) last = await recordDeliveries(deliveries, start, options.journalPath, last);
  // Move this machine's anchor (the fold cache) past the run's own entries. It stood where the plan
  // read the journal, before them: cut off the end, the run just recorded went unnoticed by verify and
  // by the next plan and apply. The fold reads only the entries added since.
  if (options.cacheDir !== undefined)
    await foldJournal(options.journalPath, options.cacheDir).catch(() => undefined);
  return {
    ...result,
    offboarding,
    deliveries,
    ...(offboarding.length === 0 ? {} : { checkedAt }),
    ...(offboardingCalls === undefined ? {} : { offboardingCalls }),
    journal: { first: start.seq, last: last.seq, headHash: last.hash, start },
  };
}

/** The `adopted` entries of a run: one per group, or several for a group of more than ADOPTED_PER_ENTRY. */
function adoptedEntries(adoptions: readonly Adoption[], start: JournalEntry): NewJournalEntry[] {
  return adoptions.flatMap((a) => {
    const parts = Math.max(
      1,
      Math.ceil(a.members.length / ADOPTED_PER_ENTRY),
      Math.ceil(a.groupMembers.length / ADOPTED_PER_ENTRY),
    );
    return Array.from({ length: parts }, (_, i): NewJournalEntry => {
      const groupMembers = a.groupMembers.slice(i * ADOPTED_PER_ENTRY, (i + 1) * ADOPTED_PER_ENTRY);
      return {
        type: "adopted",
        at: start.at,
        runSeq: start.seq,
        provider: a.provider,
        group: a.group,
        members: a.members.slice(i * ADOPTED_PER_ENTRY, (i + 1) * ADOPTED_PER_ENTRY),
        ...(groupMembers.length === 0 ? {} : { groupMembers }),
        ...(a.isLate ? { late: true as const } : {}),
      };
    });
  });
}

/** The run's webhook deliveries, journalled after its apply-end (set aside when the journal fails). */
async function recordDeliveries(
  deliveries: readonly (WebhookDelivery & { readonly at: string })[],
  start: JournalEntry,
  journalPath: string,
  last: JournalEntry,
): Promise<JournalEntry> {
  const entries: NewJournalEntry[] = deliveries.map((d) => ({
    type: "webhook-delivered",
    runSeq: start.seq,
    ...d,
    triggeredAt: d.triggeredAt ?? start.at,
  }));
  try {
    const sealed = await appendJournalEntries(journalPath, entries, { lockTimeoutMs: 60_000 });
    return sealed.at(-1) ?? last;
  } catch (error) {
    const aside = await setAside(journalPath, entries);
    throw new JournalError(
      `the journal could not record ${String(entries.length)} webhook delivery(ies) of this run; they are saved in ${aside}, and the next apply records them (${messageOf(error)})`,
      { cause: error },
    );
  }
}

/** The calls each provider made since `before` was taken of it. */
function callsSince(
  before: Readonly<Record<string, ProviderStats>>,
  providers: ReadonlyMap<string, Provider>,
): Record<string, ProviderStats> {
  const out: Record<string, ProviderStats> = {};
  for (const [name, provider] of providers) {
    const now = provider.stats();
    const then = before[name] ?? { reads: 0, writes: 0 };
    out[name] = { reads: now.reads - then.reads, writes: now.writes - then.writes };
  }
  return out;
}

/** The journal line of one offboarding check: the check, with the HR event and the trigger time. */
function verifiedEntry(
  check: OffboardCheck,
  start: JournalEntry,
  at: string,
  options: RunApplyOptions,
): NewJournalEntry {
  const event = check.userId === undefined ? undefined : options.leavers?.get(check.userId);
  // A re-check keeps the offboarding's trigger time and HR event: the time to a clean verdict is measured
  // from there.
  const leaving = event?.leaving ?? check.leaving;
  const {
    provider,
    account,
    userId,
    clean,
    accountState,
    groups,
    groupsOutside,
    unreadMemberships,
    sessions,
    elsewhere,
    error,
    recheckedAfterMs,
    unsettled,
    renamedTo,
    recheckOf,
    triggeredAt,
    accountId,
  } = check;
  return {
    type: "offboard-verified",
    at,
    runSeq: start.seq,
    triggeredAt: triggeredAt ?? start.at,
    provider,
    account,
    ...(userId === undefined ? {} : { userId }),
    ...(leaving === undefined ? {} : { leaving }),
    ...(event?.lateBy === undefined ? {} : { lateBy: event.lateBy }),
    clean,
    ...(accountState === undefined ? {} : { accountState }),
    ...(groups === undefined ? {} : { groups }),
    ...(groupsOutside === undefined ? {} : { groupsOutside }),
    ...(unreadMemberships === undefined ? {} : { unreadMemberships }),
    ...(sessions === undefined ? {} : { sessions }),
    ...(elsewhere === undefined ? {} : { elsewhere }),
    ...(error === undefined ? {} : { error }),
    ...(recheckedAfterMs === undefined ? {} : { recheckedAfterMs }),
    ...(unsettled === undefined ? {} : { unsettled }),
    ...(renamedTo === undefined ? {} : { renamedTo }),
    ...(recheckOf === undefined ? {} : { recheckOf }),
    ...(accountId === undefined ? {} : { accountId }),
    ...(options.drill === undefined ? {} : { drill: true as const }),
  };
}

/** The systems a run leaves out, as its apply-start records them: each with why, where it was not read. */
function leftOutOf(
  names: readonly string[],
  unreadable: readonly { readonly provider: string; readonly message: string }[],
): LeftOutSystem[] {
  return names.map((provider) => {
    const error = unreadable.find((u) => u.provider === provider)?.message;
    return { provider, ...(error === undefined ? {} : { error }) };
  });
}
