/**
 * The guard-rail refusals of runs that made only part of their plan, or none of it, as `journal changes`
 * and `journal access` say them: the run applied its grant endings and the leavers' offboarding that
 * passed the guard rails on its own, if any, and the rest of its plan waited for an apply with the override.
 */
import type { RecordedRefusal } from "../../audit/changes-between.ts";
import type { RunRefusal } from "../../audit/refusals.ts";
import { inlineText } from "../../render/terminal-text.ts";
import { runText } from "./journal-access-text.ts";

/** The run that recorded a refusal, as both commands name it. */
interface RefusingRun {
  readonly at: string;
  readonly seq: number;
  readonly made: number;
  readonly grantEndsRecorded: number;
  readonly commit?: string;
  readonly actor: string;
}

/**
 * What a refused run still made: "it made only 2 change(s) (grant endings, leavers' offboarding)", or
 * none (a run refused whole, which may have recorded the grant ends the files changed).
 */
function madeText(run: RefusingRun): string {
  if (run.made > 0)
    return `it made only ${String(run.made)} change(s) (grant endings, leavers' offboarding that passed the guard rails on its own)`;
  return run.grantEndsRecorded > 0
    ? "it made none of its changes (it recorded only the grant ends the files changed)"
    : "it made none of its changes";
}

/**
 * Said of a removal limit's refusal where the question is about one person or group: it held back
 * removals the journal does not list, which may or may not have been theirs.
 */
const LIMIT_NOTE = "; which removals it held back, the journal does not record: it may be one asked about";

/** One refusal as a line of `journal changes`, in journal order among the changes. */
export function refusalChangeLine(r: RecordedRefusal, isFiltered: boolean): string {
  const limit = isFiltered && r.changeId === undefined ? LIMIT_NOTE : "";
  return inlineText(
    `${r.at}  ${r.provider ?? "?"}  REFUSED by the guard rails, not applied: ${r.message}  (journal #${String(r.seq)}, run #${String(r.seq)}${runText(r)}; ${madeText(r)}, the rest of its plan waits for an apply with the override${limit})`,
  );
}

/** A refusal standing for a group in `journal access`, with the run that recorded it. */
export type StandingRefusal = RunRefusal & RefusingRun;

/**
 * The lines of `journal access` for the refusals of a group's system: runs the guard rails refused, whose
 * refusals kept members in the group or in a group it nests (a removal refused), or may have (the removal
 * limit: which removals, the journal does not record).
 */
export function refusalLines(
  group: string,
  refusals: readonly StandingRefusal[],
  isWindow: boolean,
): string[] {
  if (refusals.length === 0) return [];
  return [
    `  and ${String(refusals.length)} guard-rail refusal(s) ${isWindow ? "standing at some moment of the window" : "standing then (no run of this system since was let through)"}: what they refused was not applied, so members it would have removed kept ${group}`,
    ...refusals.map((r) =>
      inlineText(
        `  ! ${r.message}  (the run at ${r.at}, journal #${String(r.seq)}${runText(r)}; ${madeText(r)}${r.changeId === undefined ? `; which removals it held back, the journal does not record: any member of ${group} among them kept it` : ""})`,
      ),
    ),
  ];
}
