import type { ProviderStats } from "../../providers/types.ts";
import { deadline } from "../../io/deadline.ts";
import path from "node:path";
import { ExitCode, providerErrorText, UnsafePlanError, UsageError } from "../../errors.ts";
import {
  closeProviders,
  GUARDRAIL_NOTE,
  journalPathOf,
  preparePlan,
  type EngineOptions,
  type PreparedPlan,
} from "../../engine/prepare-plan.ts";
import type { Plan } from "../../plan/types.ts";
import { checkGuardrails, madeDespiteRefusal, nothingMade } from "../../plan/safety.ts";
import {
  assertPlanCurrent,
  consentOf,
  readSavedPlan,
  type SavedPlanConsent,
} from "../../engine/saved-plan.ts";
import { runApply, type LeaverEvents } from "../../engine/run-apply.ts";
import type { WebhookDelivery, WebhookOptions } from "../../apply/offboard-webhooks.ts";
import { webhookOptionsOf } from "./webhook-options.ts";
import { leaverEvents, type OffboardCheck } from "../../apply/offboard-verify.ts";
import type { ChangeResult } from "../../apply/apply-plan.ts";
import { adviceAfterCheck, checkedAccount, checkHeading, describeCheck } from "../../apply/describe-check.ts";
import { DEFAULT_CACHE_DIR } from "../../load/load-tree.ts";
import { accessCommitsSince, describeActor } from "../../audit/git.ts";
import { resolveRepoContext, type RepoContext } from "../../pr/actions-context.ts";
import { describeUnapproved, recordApprovals, type ApprovalsRecord } from "../../pr/approval-record.ts";
import { isApproved } from "../../audit/run-approval.ts";
import { DEFAULT_IDS_FILE } from "../../providers/github/settings.ts";
import { createPrClient } from "../../pr/github.ts";
import { renderTextPieces } from "../../render/text.ts";
import { renderDiagnostics } from "../../render/diagnostics.ts";
import { describeChange } from "../../render/describe.ts";
import { COMMON_OPTIONS, flag, intOpt, listOpt, parseCommandArgs, stringOpt, type Parsed } from "../args.ts";
import { releaseFileLock } from "../../io/file-lock.ts";
import { acquireApplyLock } from "./apply-lock.ts";
import { recheckMs } from "./offboard-recheck.ts";
import type { Policy } from "../../model/access.ts";
import type { CliIo, CommandIo } from "../io.ts";
import { terminal, TerminalText } from "../../render/terminal-text.ts";
import { engineOptions } from "./engine-options.ts";
import { shownPath } from "../shown-path.ts";

export const APPLY_USAGE = `Usage: gatehouse apply [plan.json] [--yes] [--dir access] [--checksum SHA256]
                       [--allow-removals N] [--force] [--provider NAME]... [--offboard-recheck SECONDS]
                       [--record-approvals [--repo OWNER/NAME] [--token-env GITHUB_TOKEN] [--api-url URL]
                                           [--ids-file FILE]]

With no saved plan: plans, shows the plan and asks for confirmation (--yes skips it; required when
stdin is not a terminal). With a saved plan: refuses it when the access files or the live state
changed since it was made (exit 4); --checksum (the one plan --out printed) refuses a saved plan with
another (exit 4), and is a usage error without one. Guard rails are checked before any write (exit 3 when refused).
Every change and each system's answer is appended to the journal (.gatehouse/journal.jsonl).
--record-approvals also records, in the journal, the pull request and approvals behind each commit of
the access files since the last apply (from GitHub; GITHUB_REPOSITORY and GITHUB_TOKEN in Actions),
and the approval gate's verdict on what each commit changed (--ids-file as for pr check).
Leavers' accounts are read back after the run; where access looked left, that system is read again
--offboard-recheck seconds later (default 10; 0: not again) and the second read is the verdict.
Leaver accounts whose last check found access left are checked again in every apply, also one with
nothing to change, until a check finds none (exit 1 while access is left).`;

export async function runApplyCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      ...COMMON_OPTIONS,
      yes: { type: "boolean", short: "y" },
      checksum: { type: "string" },
      "allow-removals": { type: "string" },
      force: { type: "boolean" },
      provider: { type: "string", multiple: true },
      journal: { type: "string" },
      "record-approvals": { type: "boolean" },
      repo: { type: "string" },
      "token-env": { type: "string" },
      "api-url": { type: "string" },
      "ids-file": { type: "string" },
      "offboard-recheck": { type: "string" },
    },
    APPLY_USAGE,
  );
  if (flag(args, "help")) {
    io.stdout(APPLY_USAGE + "\n");
    return ExitCode.ok;
  }
  if (args.positionals.length > 1)
    throw new UsageError(`apply takes at most one saved plan\n\n${APPLY_USAGE}`);
  // Checked before anything is read or asked: a bad value must not wait for the confirmation prompt.
  intOpt(args, "allow-removals");
  recheckMs(args);
  const planFile = args.positionals[0];
  const checksum = stringOpt(args, "checksum");
  // The checksum pins a saved plan; without one it would pin nothing, and the plan made now be applied.
  if (planFile === undefined && checksum !== undefined)
    throw new UsageError(
      `--checksum checks a saved plan: give its file (gatehouse apply plan.json --checksum ${checksum}); nothing was read or applied`,
    );
  // Only what proves the plan made now is the same is kept of a saved plan (see SavedPlanConsent).
  const saved =
    planFile === undefined
      ? undefined
      : consentOf(await readSavedPlan(path.resolve(io.cwd, planFile)), checksum !== undefined);
  const only = saved ? saved.providers.map((p) => p.name) : listOpt(args, "provider");
  const options = engineOptions(io, stringOpt(args, "dir"), only, stringOpt(args, "journal"));
  // One apply at a time per journal on this machine, from its plan to its last entry: a second run
  // waits, then plans on what the first one left. (CI runners on other machines: the workflows'
  // concurrency groups.)
  const lock = await acquireApplyLock(journalPathOf(options), io, ", then planning on what it left");
  try {
    return await applyLocked(args, io, options, saved);
  } finally {
    await releaseFileLock(lock);
  }
}

function repoContextOf(args: Parsed, io: CliIo): RepoContext {
  const repo = stringOpt(args, "repo");
  const tokenEnv = stringOpt(args, "token-env");
  const apiUrl = stringOpt(args, "api-url");
  return resolveRepoContext(
    {
      ...(repo === undefined ? {} : { repo }),
      ...(tokenEnv === undefined ? {} : { tokenEnv }),
      ...(apiUrl === undefined ? {} : { apiUrl }),
    },
    io.env,
  );
}

/** The approvals behind the commits since the last apply; what lacks one is said on stderr. */
async function lookUpApprovals(
  ctx: RepoContext,
  io: CliIo,
  options: EngineOptions,
  since: string | undefined,
  pinsFile: string,
): Promise<ApprovalsRecord> {
  const range = await accessCommitsSince(io.cwd, options.dir, since);
  const name = `${ctx.repo.owner}/${ctx.repo.repo}`;
  const record =
    range === undefined
      ? { repo: name, commits: [], error: "the access files are not in a git repository" }
      : await recordApprovals(
          createPrClient({
            baseUrl: ctx.apiUrl,
            token: ctx.token,
            ...(io.fetch ? { fetch: io.fetch } : {}),
            log: (line) => {
              io.stderr(`${line}\n`);
            },
          }),
          ctx.repo,
          { cwd: io.cwd, dir: options.dir, pinsFile },
          range.commits,
          range.unknownSince === undefined
            ? undefined
            : `the commit the last run applied (${range.unknownSince.slice(0, 12)}) is not in this clone (shallow, or history rewritten): only HEAD was looked up; fetch the full history (fetch-depth: 0)`,
        );
  const approved = record.commits.filter(isApproved);
  const closes = approved.filter((c) => c.pull === undefined).length;
  const unchecked = record.unchecked?.length ?? 0;
  io.stdout(
    `Approvals: ${String(record.commits.length + unchecked)} commit(s) of the access files since the last apply` +
      (unchecked === 0 ? "" : `, ${String(record.commits.length)} looked up`) +
      `, ${String(approved.length - closes)} from a pull request approved as the gate requires` +
      (closes === 0 ? "" : `, ${String(closes)} of the scheduled review close (no pull request needed)`) +
      `; recorded in the journal.\n`,
  );
  for (const line of describeUnapproved(record)) io.stderr(`warning: ${line}\n`);
  return record;
}

/**
 * The plan as this apply shows it: a guard-rail refusal its `--allow-removals` or `--force` lets through
 * says so, rather than that apply refuses. Only what is shown; the plan applied and journalled is `plan`.
 */
function asOverridden(
  plan: Plan,
  policy: Policy,
  args: Parsed,
  prepared: Pick<PreparedPlan, "protectedAccounts">,
): Plan {
  const allowRemovals = intOpt(args, "allow-removals");
  const force = flag(args, "force");
  if (allowRemovals === undefined && !force) return plan;
  const still = new Set(
    checkGuardrails(plan, policy, {
      force,
      ...(allowRemovals === undefined ? {} : { allowRemovals }),
      protectedAccounts: prepared.protectedAccounts,
    }),
  );
  const how = force ? "--force" : `--allow-removals ${String(allowRemovals)}`;
  return {
    ...plan,
    notes: plan.notes.map((n) => {
      if (!n.message.startsWith(GUARDRAIL_NOTE)) return n;
      const refusal = n.message.slice(GUARDRAIL_NOTE.length).trim();
      return still.has(refusal) ? n : { ...n, message: `guard rails: accepted with ${how}: ${refusal}` };
    }),
  };
}

function withoutModel(
  prepared: PreparedPlan,
  env: CliIo["env"],
): Omit<PreparedPlan, "tree"> & {
  readonly policy: Policy;
  readonly leavers: LeaverEvents;
  readonly webhooks?: WebhookOptions;
  /** The systems gatehouse.yaml configures that this run leaves out (unreadable, or not asked for). */
  readonly notReached: readonly string[];
} {
  const { tree, ...rest } = prepared;
  const leavers = leaverEvents(prepared.plan, tree.model.users);
  const webhooks = webhookOptionsOf(tree.model, leavers, env);
  const reached = new Set(prepared.plan.providers.map((p) => p.name));
  return {
    ...rest,
    policy: tree.model.config.policy,
    leavers,
    notReached: tree.model.config.providers
      .map((p) => p.name)
      .filter((name) => !reached.has(name))
      .sort(),
    ...(webhooks === undefined ? {} : { webhooks }),
  };
}

/**
 * Each webhook delivery of the run, one line each, and an error line on stderr for each that was
 * rejected or failed: either stays owed, is sent again by every apply, and makes this one exit 1.
 * Returns whether every one was delivered.
 */
function reportDeliveries(deliveries: readonly WebhookDelivery[], io: CliIo): boolean {
  if (deliveries.length === 0) return true;
  const rejected = deliveries.filter((d) => d.outcome === "rejected");
  const failed = deliveries.filter((d) => d.outcome === "failed");
  const delivered = deliveries.length - rejected.length - failed.length;
  const notDelivered = [
    ...(failed.length === 0 ? [] : [`${String(failed.length)} FAILED`]),
    ...(rejected.length === 0 ? [] : [`${String(rejected.length)} REJECTED`]),
  ];
  io.stdout(
    `Offboarding webhooks: ${String(deliveries.length)} delivery(ies), ${String(delivered)} delivered` +
      (notDelivered.length === 0 ? ".\n" : `, ${notDelivered.join(", ")}.\n`),
  );
  const answer = (d: WebhookDelivery): string =>
    d.status === undefined ? (d.error ?? "no answer") : `HTTP ${String(d.status)}`;
  const again = (d: WebhookDelivery): string =>
    d.retryOf === undefined ? "" : `, sent again: journal #${String(d.retryOf)} was not delivered`;
  const close = (d: WebhookDelivery): string =>
    `\`gatehouse journal close-delivery --delivery ${d.delivery} --reason TEXT\``;
  for (const d of deliveries)
    io.stdout(
      `  ${d.webhook}: ${d.userId} ${d.outcome === "delivered" ? "delivered" : d.outcome.toUpperCase()} (${answer(d)}, ${String(d.attempts)} attempt(s), delivery ${d.delivery}${again(d)})\n`,
    );
  for (const d of failed)
    io.stderr(
      `error: webhook ${d.webhook} was not told that ${d.userId} was offboarded (${answer(d)}${d.attempts > 0 ? ` after ${String(d.attempts)} attempt(s)` : ""}); ` +
        `nothing was undone; the next apply sends it again (if it never can be delivered, ${close(d)} closes it)\n`,
    );
  // Asking again unchanged will not help: someone has to fix the receiver, or decide it need not be told.
  for (const d of rejected)
    io.stderr(
      `error: webhook ${d.webhook} rejected the delivery telling it that ${d.userId} was offboarded (${answer(d)}); ` +
        `nothing was undone. Fix the receiver (or its URL or secret): every apply sends it again, under the same delivery id, and exits 1 until it is delivered; ` +
        `or, once the downstream system is dealt with otherwise, ${close(d)} closes it\n`,
    );
  return rejected.length + failed.length === 0;
}

/**
 * The offboarding checks of the run, one line each, and an error line on stderr for every leaver whose
 * access is not all gone. Returns whether every check found nothing left.
 */
function reportOffboarding(checks: readonly OffboardCheck[], io: CliIo): boolean {
  if (checks.length === 0) return true;
  const left = checks.filter((c) => !c.clean);
  io.stdout(
    `Offboarding verified: ${String(checks.length)} leaver account(s) read back, ${String(checks.length - left.length)} with no access left` +
      (left.length === 0 ? ".\n" : `, ${String(left.length)} NOT clean.\n`),
  );
  for (const check of checks) io.stdout(`  ${checkHeading(check)}: ${describeCheck(check)}\n`);
  for (const check of left)
    io.stderr(
      `error: offboarding is not complete for ${checkedAccount(check)}: ${describeCheck(check)}. ` +
        `Nothing was removed by the check; ${adviceAfterCheck(check)}\n`,
    );
  return left.length === 0;
}

/** Calls per provider, as the summary says them: "ldap 3 read(s) 2 write(s); scim 1 read(s) 0 write(s)". */
function callsText(calls: Readonly<Record<string, ProviderStats>>): string {
  return Object.entries(calls)
    .map(([name, s]) => `${name} ${String(s.reads)} read(s) ${String(s.writes)} write(s)`)
    .join("; ");
}

const CLEAR_LINE = terminal`\r\u001b[2K`;

/**
 * Up to this many changes, a run that is not on a terminal lists every result; above it, only the
 * failures and skips, with a progress line each tenth: the plan printed just before lists every change,
 * and the journal records each with the system's answer (`gatehouse journal changes`). At 100k people
 * an hourly reconcile would otherwise print tens of thousands of lines that say "applied".
 */
const LISTED_EACH = 200;

/**
 * The lines apply prints as results come in. On a terminal each line first clears the one before, and
 * an applied change's line is left without its newline, to be written over by the next: the failures
 * stay.
 */
export class ApplyProgress {
  private done = 0;
  private failed = 0;
  private skipped = 0;
  private shownTenth = 0;
  private readonly listsEach: boolean;
  private readonly total: number;
  private readonly isTTY: boolean;

  constructor(total: number, isTTY: boolean) {
    this.total = total;
    this.isTTY = isTTY;
    this.listsEach = isTTY || total <= LISTED_EACH;
  }

  /** Writes the lines for `results`, one output call per thousand lines: a phase reports millions. */
  write(results: readonly ChangeResult[], out: (text: TerminalText) => void): void {
    let lines: TerminalText[] = [];
    if (this.done === 0 && !this.listsEach && results.length > 0)
      lines.push(
        terminal`Applying ${String(this.total)} changes: failures and skips are listed as they happen, and progress each tenth (every change is in the plan above and, with the system's answer, in the journal).\n`,
      );
    for (const r of results) {
      this.done++;
      if (r.outcome === "failed") this.failed++;
      if (r.outcome === "skipped") this.skipped++;
      if (this.listsEach) lines.push(this.each(this.lineOf(r), r.outcome === "applied"));
      else {
        if (r.outcome !== "applied") lines.push(terminal`${this.lineOf(r)}\n`);
        const tenth = Math.floor((this.done * 10) / this.total);
        if (tenth > this.shownTenth) {
          this.shownTenth = tenth;
          const applied = this.done - this.failed - this.skipped;
          lines.push(
            terminal`[${String(this.done)}/${String(this.total)}] ${String(applied)} applied, ${String(this.failed)} failed, ${String(this.skipped)} skipped so far\n`,
          );
        }
      }
      if (lines.length >= 1000) {
        out(TerminalText.join(lines));
        lines = [];
      }
    }
    if (lines.length > 0) out(TerminalText.join(lines));
  }

  private lineOf(r: ChangeResult): string {
    return `[${String(this.done)}/${String(this.total)}] ${r.outcome} ${r.change.provider}: ${describeChange(r.change)}${r.error ? ` — ${r.error}` : ""}`;
  }

  private each(line: string, isOverwritten: boolean): TerminalText {
    if (!this.isTTY) return terminal`${line}\n`;
    return isOverwritten ? terminal`${CLEAR_LINE}${line}` : terminal`${CLEAR_LINE}${line}\n`;
  }
}

/** The offboarding checks' outcome in the run's last line. */
function offboardingSummary(checks: readonly OffboardCheck[]): string {
  if (checks.length === 0) return "";
  const left = checks.filter((c) => !c.clean).length;
  return left === 0
    ? ` Offboarding: ${String(checks.length)} leaver account(s) checked, no access left.`
    : ` Offboarding: ${String(checks.length)} leaver account(s) checked, ${String(left)} NOT clean.`;
}

/**
 * What a refused run still applies, in words: "its 1 grant ending(s) are applied now (grants that end as
 * they were approved)", and the leavers offboarded.
 */
function madeText(made: { readonly endings: number; readonly leavers: number }): string {
  const what = [
    ...(made.endings > 0 ? [`its ${String(made.endings)} grant ending(s)`] : []),
    ...(made.leavers > 0 ? [`the offboarding of its ${String(made.leavers)} leaver(s)`] : []),
  ];
  const why = [
    ...(made.endings > 0 ? ["grants that end as they were approved"] : []),
    ...(made.leavers > 0 ? ["leavers whose kill chain passes the guard rails on its own"] : []),
  ];
  return `${what.join(" and ")} are applied now (${why.join("; ")})`;
}

async function applyLocked(
  args: Parsed,
  io: CommandIo,
  options: EngineOptions,
  saved: SavedPlanConsent | undefined,
): Promise<number> {
  // The GitHub settings are checked before anything is read, the lookup itself after the plan.
  const approvalsContext = flag(args, "record-approvals") ? repoContextOf(args, io) : undefined;
  // What the apply needs of the prepared plan; the model is let go (a quarter of a gigabyte at 100k
  // people, which an apply would otherwise carry through every write).
  // A system that cannot be read is left out (and the run exits 1): the others are reconciled all the same.
  const full = await preparePlan({ ...options, skipUnreadable: true });
  let prepared: ReturnType<typeof withoutModel>;
  try {
    prepared = withoutModel(full, io.env);
  } catch (error) {
    await closeProviders(full.providers); // a webhook's secret missing, say: nothing was written
    throw error;
  }
  try {
    if (saved) assertPlanCurrent(saved, prepared.plan, stringOpt(args, "checksum"));
    // A saved plan is only the consent: what is applied (and guard-railed) is the plan computed now,
    // which assertPlanCurrent has just proven identical to it.
    const whole = prepared.plan;
    for (const failure of prepared.unreadable) io.stderr(providerErrorText(failure));
    if (prepared.unreadable.length > 0)
      io.stderr(
        `${prepared.unreadable.map((f) => f.provider).join(", ")} could not be read and ${prepared.unreadable.length === 1 ? "is" : "are"} left out of this run; the other systems are reconciled (exit 1)\n`,
      );
    const isComplete = prepared.unreadable.length === 0;
    if (prepared.warnings.length > 0) io.stderr(renderDiagnostics(prepared.warnings, "text"));
    for (const piece of renderTextPieces(asOverridden(whole, prepared.policy, args, prepared), {
      color: io.isTTY,
    }))
      io.stdout(piece);
    // A plan the guard rails refuse is not applied, but for the grants in it that end as they were
    // approved, and the leavers' offboarding where it passes the guard rails on its own: a bulk change
    // or a refused drift elsewhere must not keep anyone's access past the end of their grant, nor a
    // leaver's account open.
    const allowRemovals = intOpt(args, "allow-removals");
    const guardrailOptions = {
      force: flag(args, "force"),
      ...(allowRemovals === undefined ? {} : { allowRemovals }),
      protectedAccounts: prepared.protectedAccounts,
    };
    const refused = checkGuardrails(whole, prepared.policy, guardrailOptions);
    // A plan refused whole is recorded too (its refusals, nothing applied): the journal shows that the
    // guard rails stopped a run, when and whose, beside the override that may let it through later.
    const made =
      refused.length === 0
        ? undefined
        : (madeDespiteRefusal(whole, prepared.policy, guardrailOptions) ?? nothingMade(whole));
    const endings = made?.plan;
    const plan = endings ?? whole;
    if (made !== undefined)
      io.stderr(
        made.plan.changes.length > 0
          ? `guard rails refuse this plan; only ${madeText(made)}, the rest is not:\n  - ${refused.join("\n  - ")}\n`
          : (made.plan.grantEnds?.length ?? 0) > 0
            ? `guard rails refuse this plan; nothing of it is applied, but the run records the ${String(made.plan.grantEnds?.length ?? 0)} grant end(s) the files changed (so a grant shortened ends at its new end):\n  - ${refused.join("\n  - ")}\n`
            : `guard rails refuse this plan; nothing of it is applied; the run is recorded in the journal with its refusals:\n  - ${refused.join("\n  - ")}\n`,
      );
    // Where the run is journalled, by whom, and who is protected: the same for every run.
    const common = {
      journalPath: journalPathOf(options),
      ...(options.cacheDir === false
        ? {}
        : { cacheDir: path.resolve(options.cwd, options.cacheDir ?? DEFAULT_CACHE_DIR) }),
      actor: await describeActor(io.cwd, io.env),
      now: io.now,
      protectedAccounts: prepared.protectedAccounts,
      leavers: prepared.leavers,
      openVerdicts: prepared.openVerdicts,
      adoptions: prepared.adoptions(),
      ...(prepared.webhooks === undefined
        ? {}
        : { webhooks: prepared.webhooks, owedDeliveries: prepared.owedDeliveries }),
      ...(prepared.notReached.length === 0
        ? {}
        : {
            notReached: prepared.notReached,
            unreadable: prepared.unreadable.map((e) => ({ provider: e.provider, message: e.message })),
          }),
      ...(endings === undefined ? {} : { refused }),
      log: (line: string) => {
        io.stderr(`${line}\n`);
      },
      ...(approvalsContext === undefined
        ? {}
        : {
            approvals: await lookUpApprovals(
              approvalsContext,
              io,
              options,
              prepared.lastAppliedCommit,
              stringOpt(args, "ids-file") ?? DEFAULT_IDS_FILE,
            ),
          }),
    };
    if (plan.changes.length === 0) {
      // A run that finds nothing to change is recorded too: the journal then shows that the scheduled
      // reconcile ran, and when, not only what it changed.
      // It checks the open offboarding verdicts again too (the scheduled reconcile is where they close).
      const afterMs = recheckMs(args);
      const quiet = await runApply(plan, prepared.policy, prepared.providers, {
        ...common,
        signal: deadline(600_000).signal,
        ...(afterMs === undefined ? {} : { offboardRecheck: { afterMs } }),
      });
      const isOffboarded = reportOffboarding(quiet.offboarding, io);
      const isDelivered = reportDeliveries(quiet.deliveries, io);
      io.stdout(
        `Recorded the run in the journal: ${shownPath(io.cwd, journalPathOf(options))} entries ${String(quiet.journal.first)}-${String(quiet.journal.last)}.\n`,
      );
      if (endings !== undefined) {
        // Only the grant ends were recorded: the refusal stands for the whole plan.
        io.stderr(`error: ${new UnsafePlanError(refused).message}\n`);
        return ExitCode.unsafe;
      }
      return isOffboarded && isDelivered && isComplete ? ExitCode.ok : ExitCode.error;
    }
    if (!saved && !flag(args, "yes")) {
      if (!io.isInteractive) {
        throw new UsageError(
          "refusing to apply without confirmation: stdin is not a terminal; pass --yes, or apply a saved plan",
        );
      }
      const answer = await io.prompt(
        `Apply these ${String(plan.changes.length)} change(s)? Only "yes" is accepted: `,
      );
      if (answer.trim() !== "yes") {
        io.stdout("Apply cancelled; nothing was changed.\n");
        return ExitCode.ok;
      }
    }
    const progress = new ApplyProgress(plan.changes.length, io.isTTY);
    const afterMs = recheckMs(args);
    const result = await runApply(plan, prepared.policy, prepared.providers, {
      ...common,
      signal: deadline(6 * 3_600_000).signal,
      force: flag(args, "force"),
      ...(allowRemovals === undefined ? {} : { allowRemovals }),
      ...(afterMs === undefined ? {} : { offboardRecheck: { afterMs } }),
      onResults: (results) => {
        progress.write(results, (text) => {
          io.stdout(text);
        });
      },
    });
    if (io.isTTY) io.stdout(CLEAR_LINE);
    const isOffboarded = reportOffboarding(result.offboarding, io);
    if (result.offboardingCalls !== undefined)
      io.stdout(`  read back with: ${callsText(result.offboardingCalls)}.\n`);
    const isDelivered = reportDeliveries(result.deliveries, io);
    const { start } = result.journal;
    // "+dirty" (files not committed) stays in sight: the journal records it too.
    const commit =
      start.type === "apply-start" && start.commit !== undefined
        ? start.commit.slice(0, 12) + (start.commit.endsWith("+dirty") ? "+dirty (uncommitted changes)" : "")
        : "(not in git)";
    io.stdout(
      `Journal: ${shownPath(io.cwd, journalPathOf(options))} entries ${String(result.journal.first)}-${String(result.journal.last)}, head ${result.journal.headHash.slice(0, 16)}…\n` +
        `  #${String(start.seq)} apply-start at ${start.at} by ${start.type === "apply-start" ? start.actor : "?"}, access files ${commit}, plan sha256:${start.type === "apply-start" ? start.planDigest.slice(0, 16) : "?"}…, hash ${start.hash.slice(0, 16)}…\n` +
        `  Check the chain with: gatehouse journal verify\n`,
    );
    // The outcome last, where a CI log's final screen shows it, whatever came before (at 100k people
    // the plan and the offboarding checks are tens of thousands of lines).
    io.stdout(
      `Apply complete: ${String(result.applied)} applied, ${String(result.failed)} failed, ${String(result.skipped)} skipped in ${String(result.durationMs)} ms. Calls: ${callsText(result.calls)}.` +
        offboardingSummary(result.offboarding) +
        "\n",
    );
    if (endings !== undefined) {
      // The refusal stands for the rest, as it would have without the grant endings.
      io.stderr(`error: ${new UnsafePlanError(refused).message}\n`);
      return ExitCode.unsafe;
    }
    return result.failed + result.skipped > 0 || !isOffboarded || !isDelivered || !isComplete
      ? ExitCode.error
      : ExitCode.ok;
  } finally {
    await closeProviders(prepared.providers);
  }
}
