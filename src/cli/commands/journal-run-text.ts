/** `journal run SEQ` as text for a person and as JSON for a program (docs/formats.md). */
import type { RunRecord } from "../../audit/run-record.ts";
import type { ProviderStats } from "../../providers/types.ts";
import { firstFew } from "../../model/lists.ts";
import { inlineText, jsonForTerminal, type TerminalText } from "../../render/terminal-text.ts";
import { describeCommitApproval, overridesText } from "./journal-access-text.ts";

function callsText(calls: Readonly<Record<string, ProviderStats>>): string {
  const parts = Object.entries(calls).map(
    ([provider, s]) => `${inlineText(provider)} ${String(s.reads)} read(s), ${String(s.writes)} write(s)`,
  );
  return parts.length === 0 ? "none" : parts.join("; ");
}

export function runRecordText(run: RunRecord): string {
  const { start, end } = run;
  const lines = [
    `Run #${String(run.seq)}: started ${inlineText(start.at)} by ${inlineText(start.actor)}` +
      (start.gatehouse === undefined
        ? ""
        : `, gatehouse ${inlineText(start.gatehouse.version)} (build ${inlineText(start.gatehouse.build)})`),
    `  access files: ${start.commit === undefined ? "no commit recorded (not in git)" : `commit ${inlineText(start.commit)}${start.commit.endsWith("+dirty") ? " (uncommitted changes: what it applied is in no commit)" : ""}`}`,
    `  systems: ${start.providers.map((p) => `${inlineText(p)}${start.modes?.[p] === undefined ? "" : ` (${start.modes[p]})`}`).join(", ") || "none"}; the plan held ${String(start.changes)} change(s)`,
  ];
  // Configured systems the run did not reach: its changes and checks say nothing of them.
  for (const left of start.leftOut ?? [])
    lines.push(
      `  LEFT OUT: ${inlineText(left.provider)}, neither read nor changed (${left.error === undefined ? "not named by --provider" : `could not be read: ${inlineText(left.error)}`}); any leaver it offboarded was not offboarded there`,
    );
  if (start.drill !== undefined)
    lines.push(`  a fire drill's run: canary ${inlineText(start.drill)} (its changes are the canary's only)`);
  const overrode = overridesText(start.overrides);
  if (overrode !== undefined) {
    lines.push(`  ${overrode}:`);
    for (const r of start.overrides?.accepted ?? []) lines.push(`    - ${inlineText(r)}`);
  }
  if (start.refused !== undefined) {
    lines.push(
      start.changes === 0
        ? "  REFUSED by the guard rails: the run made nothing of its plan, which waits on:"
        : "  REFUSED by the guard rails: the run made only its grant endings and the leavers' offboarding that passed on its own; the rest waits on:",
    );
    for (const r of start.refused) lines.push(`    - ${inlineText(r)}`);
  }
  const approvals = start.approvals;
  if (approvals === undefined)
    lines.push(
      "  approvals: not recorded (applied without --record-approvals, or by a gatehouse older than it)",
    );
  else {
    const from = run.filesApprovedIn;
    lines.push(
      `  approvals of the commits since the run before (${inlineText(approvals.repo)}): ${approvals.commits.length === 0 ? "no new commit of the access files" : ""}`.trimEnd() +
        // What it applied came in with the commits of the run that first applied its commit.
        (from === undefined
          ? ""
          : `; its commit came in with run #${String(from.runSeq)} at ${inlineText(from.at)}, which the changes of this run answer to (journal run ${String(from.runSeq)})`),
    );
    for (const c of approvals.commits)
      lines.push(
        `    ${describeCommitApproval(c)}${c.pull === undefined ? "" : ` (commit ${inlineText(c.commit.slice(0, 12))}; pull request by ${inlineText(c.pull.author)}, merged ${inlineText(c.pull.mergedAt)})`}`,
      );
    for (const c of approvals.unchecked ?? [])
      lines.push(`    commit ${inlineText(c.slice(0, 12))}: NOT looked up (check it by hand)`);
    if (approvals.error !== undefined) lines.push(`    not looked up: ${inlineText(approvals.error)}`);
  }
  if ((start.grantEnds ?? []).length > 0)
    lines.push(
      `  grant ends recorded: ${String(start.grantEnds?.length ?? 0)} (ends the files changed with nothing to apply)`,
    );
  const { applied, failed, skipped } = run.changes;
  lines.push(
    `  recorded: ${String(applied + failed + skipped)} change(s) (${String(applied)} applied, ${String(failed)} failed, ${String(skipped)} skipped); ` +
      `${String(run.checks.clean + run.checks.accessLeft)} offboarding check(s) (${String(run.checks.accessLeft)} found access left); ` +
      `${String(run.deliveries)} webhook delivery(ies)`,
  );
  if (run.adopted !== undefined) {
    const members = run.adopted.reduce((n, a) => n + a.members, 0);
    const nested = run.adopted.reduce((n, a) => n + a.groupMembers, 0);
    lines.push(
      `  took on ${String(run.adopted.length)} group(s), recording who held them before gatehouse (${String(members)} member(s)${nested === 0 ? "" : `, ${String(nested)} nested group(s)`}): ` +
        firstFew(
          run.adopted.map(
            (a) =>
              `${inlineText(a.group)} in ${inlineText(a.provider)} (${String(a.members + a.groupMembers)})`,
          ),
        ),
    );
  }
  if (end === undefined)
    lines.push(
      run.nextRun === undefined
        ? "  no apply-end: the run was killed or crashed, or is still running"
        : `  no apply-end: the run was killed or crashed (run #${String(run.nextRun)} started after it)`,
    );
  else {
    lines.push(
      `  ended ${inlineText(end.at)} after ${(end.durationMs / 1000).toFixed(1)} s: ${String(end.applied)} applied, ${String(end.failed)} failed` +
        `${end.skipped === undefined ? "" : `, ${String(end.skipped)} skipped`}; calls: ${callsText(end.calls)}` +
        (end.offboardingCalls === undefined
          ? ""
          : `; offboarding checks' calls: ${callsText(end.offboardingCalls)}`),
    );
    if (end.interrupted === true)
      lines.push(
        `  INTERRUPTED: the run died; the next apply wrote this end for it${(end.unconfirmed ?? []).length === 0 ? "" : `, with ${String(end.unconfirmed?.length ?? 0)} change(s) announced with no outcome, which may or may not have been made: ${(end.unconfirmed ?? []).map(inlineText).join(", ")}`}`,
      );
  }
  return lines.join("\n") + "\n";
}

export function runRecordJson(
  run: RunRecord,
  problems: readonly { readonly line: number; readonly message: string }[],
): TerminalText {
  return jsonForTerminal(
    JSON.stringify({ formatVersion: 1, ...run, intact: problems.length === 0, problems }, null, 2) + "\n",
  );
}
