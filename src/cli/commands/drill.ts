import path from "node:path";
import { ExitCode, UsageError } from "../../errors.ts";
import { journalPathOf } from "../../engine/prepare-plan.ts";
import { runDrill, type DrillReport } from "../../engine/drill.ts";
import type { DrillSystem } from "../../audit/journal-entry.ts";
import { checkHeading, describeCheck } from "../../apply/describe-check.ts";
import { describeActor } from "../../audit/git.ts";
import { DEFAULT_CACHE_DIR } from "../../load/load-tree.ts";
import { releaseFileLock } from "../../io/file-lock.ts";
import { jsonForTerminal } from "../../render/terminal-text.ts";
import { choiceOpt, COMMON_OPTIONS, flag, intOpt, listOpt, parseCommandArgs, stringOpt } from "../args.ts";
import type { CommandIo } from "../io.ts";
import { acquireApplyLock } from "./apply-lock.ts";
import { recheckMs } from "./offboard-recheck.ts";
import { engineOptions } from "./engine-options.ts";
import { shownPath } from "../shown-path.ts";

export const DRILL_USAGE = `Usage: gatehouse drill [--canary ID] [--provider NAME]... [--dir access] [--format text|json]
                       [--offboard-recheck SECONDS] [--allow-removals N]

A fire drill: the canary (--canary, one of policy.drills.canaries in gatehouse.yaml; default the first)
is offboarded as a real leaver would be, through the same plan, apply and offboarding check, with the
canary a leaver in memory only (the files are not edited). Only the canary's changes are applied: its
accounts disabled, sessions revoked, memberships removed; anything else is refused. The time from the
drill's start to each system confirming the disable, the last removal, and the check finding no access
left is measured per system. Then the canary is given back what the files grant it (accounts enabled,
memberships added) and a plan afterwards must have nothing left for it. Every step is in the journal,
marked as a drill, with a drill entry summing it up. Where the check finds access left, it reads again
--offboard-recheck seconds later (default 10; 0: not again), as apply's. The guard rails hold as for
apply (exit 3, nothing changed): --allow-removals N lets the kill chain remove N. Exit 1 when access was left, anything failed, or
the restore did not bring the canary back.`;

/** A duration in ms as the summary says it: "120 ms", "3.4 s". */
function durationText(ms: number | undefined): string {
  if (ms === undefined) return "-";
  return ms < 10_000 ? `${String(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** What the kill chain planned in one system: whether it disables the canary, and its removals. */
interface PlannedThere {
  readonly isDisabling: boolean;
  readonly removals: number;
}

function plannedIn(report: DrillReport, provider: string): PlannedThere {
  const mine = report.killChain?.changes.filter((c) => c.provider === provider) ?? [];
  return {
    isDisabling: mine.some((c) => c.kind === "user" && c.action === "disable"),
    removals: mine.filter((c) => c.kind === "membership").length,
  };
}

/**
 * One system's line of the summary. What did not happen is said in words: the kill chain's disable that
 * failed, the removals it planned there that were not made.
 */
function systemLine(s: DrillSystem, planned: PlannedThere): string {
  const disabled =
    s.disabledAfterMs !== undefined
      ? `disabled after ${durationText(s.disabledAfterMs)}`
      : planned.isDisabling
        ? "NOT disabled"
        : "no disable";
  const removed =
    s.membershipsRemovedAfterMs !== undefined
      ? `${String(s.removals)} membership(s) removed after ${durationText(s.membershipsRemovedAfterMs)}`
      : planned.removals === 0
        ? "no membership to remove"
        : `${String(s.removals)} of ${String(planned.removals)} membership(s) removed`;
  return (
    `  ${s.provider}: ${s.account}: ${disabled}, ${removed}, ` +
    (s.clean ? `verified clean after ${durationText(s.cleanAfterMs)}` : "NOT clean") +
    (s.failed > 0 ? `, ${String(s.failed)} change(s) failed or skipped` : "")
  );
}

const OUTCOME_TEXT = { clean: "clean", "access-left": "ACCESS LEFT", failed: "FAILED" } as const;

function reportText(report: DrillReport, journal: string): string {
  const lines = [
    `Drill of canary ${report.canary}, started ${report.startedAt}: ${OUTCOME_TEXT[report.outcome]}.`,
    ...report.systems.map((s) => systemLine(s, plannedIn(report, s.provider))),
    ...report.checks.map((c) => `  check ${checkHeading(c)}: ${describeCheck(c)}`),
    ...(report.error === undefined ? [] : [`  error: ${report.error}`]),
    report.restore.outcome === "restored"
      ? report.restore.pending === undefined
        ? `Restore: the canary has its access back; a plan afterwards has nothing left for it.`
        : `Restore: the canary is invited again in ${report.restore.pending.join(", ")}, and has that access back only once it accepts the invitation; a plan afterwards has nothing left for it.`
      : `Restore FAILED: ${report.restore.error ?? `a plan afterwards still has ${String(report.restore.left)} change(s) for the canary`}; run \`gatehouse apply\`.`,
    `Journal: ${journal} entry ${String(report.entry.seq)} (drill)${report.entry.type === "drill" && report.entry.runSeq !== undefined ? `, kill chain run #${String(report.entry.runSeq)}` : ""}${report.restore.runSeq === undefined ? "" : `, restore run #${String(report.restore.runSeq)}`}.`,
  ];
  return lines.join("\n") + "\n";
}

export async function runDrillCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      ...COMMON_OPTIONS,
      canary: { type: "string" },
      provider: { type: "string", multiple: true },
      journal: { type: "string" },
      format: { type: "string", default: "text" },
      "offboard-recheck": { type: "string" },
      "allow-removals": { type: "string" },
    },
    DRILL_USAGE,
  );
  if (flag(args, "help")) {
    io.stdout(DRILL_USAGE + "\n");
    return ExitCode.ok;
  }
  if (args.positionals.length > 0) throw new UsageError(`drill takes no arguments\n\n${DRILL_USAGE}`);
  const format = choiceOpt(args, "format", ["text", "json"] as const, "text");
  const afterMs = recheckMs(args);
  const allowRemovals = intOpt(args, "allow-removals");
  const options = engineOptions(
    io,
    stringOpt(args, "dir"),
    listOpt(args, "provider"),
    stringOpt(args, "journal"),
  );
  const journalPath = journalPathOf(options);
  // A drill is an apply (two): one at a time per journal, as apply.
  const lock = await acquireApplyLock(journalPath, io, ", then drilling on what it left");
  let report: DrillReport;
  try {
    const canary = stringOpt(args, "canary");
    report = await runDrill({
      engine: options,
      ...(canary === undefined ? {} : { canary }),
      actor: await describeActor(io.cwd, io.env),
      now: io.now,
      ...(afterMs === undefined ? {} : { offboardRecheck: { afterMs } }),
      ...(allowRemovals === undefined ? {} : { allowRemovals }),
      ...(options.cacheDir === false
        ? {}
        : { cacheDir: path.resolve(options.cwd, options.cacheDir ?? DEFAULT_CACHE_DIR) }),
      log: (line) => {
        io.stderr(`${line}\n`);
      },
    });
  } finally {
    await releaseFileLock(lock);
  }
  const isGood = report.outcome === "clean" && report.restore.outcome === "restored";
  if (format === "json") {
    const { entry, killChain, ...rest } = report;
    io.stdout(
      jsonForTerminal(
        JSON.stringify(
          { formatVersion: 1, ...rest, changes: killChain?.changes.length ?? 0, journal: { seq: entry.seq } },
          null,
          2,
        ) + "\n",
      ),
    );
  } else io.stdout(reportText(report, shownPath(io.cwd, journalPath)));
  if (!isGood)
    io.stderr(
      `error: the drill of canary ${report.canary} ${report.outcome === "clean" ? "could not restore it" : report.outcome === "access-left" ? "found access left after offboarding" : "failed"}\n`,
    );
  return isGood ? ExitCode.ok : ExitCode.error;
}
