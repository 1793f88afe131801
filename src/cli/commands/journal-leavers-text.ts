/** `journal leavers` as text for a person and as JSON for a program (docs/formats.md). */
import {
  isLate,
  type LeaverRecord,
  type LeaverSystem,
  type MissingOffboarding,
} from "../../audit/leaver-report.ts";
import { inlineText, jsonForTerminal, type TerminalText } from "../../render/terminal-text.ts";
import { elapsedText } from "./journal-access-text.ts";

const HOUR_MS = 3_600_000;

/** How the offboarding run stood to the end of the last day. */
function timingText(ms: number): string {
  return ms < 0
    ? `${elapsedText(-ms)} before the end of the last day`
    : `${elapsedText(ms)} after the end of the last day${ms > 24 * HOUR_MS ? ": LATE" : ""}`;
}

function systemLine(s: LeaverSystem): string {
  const steps = s.checks.map((c, i) => {
    const what = c.clean
      ? "clean"
      : c.problem !== undefined
        ? `not checked (${inlineText(c.problem)})`
        : `access left (${c.groupsLeft.map(inlineText).join(", ") || "see journal changes"})`;
    return `${i === 0 ? "" : "re-checked: "}${what} at ${inlineText(c.at)}`;
  });
  const end =
    s.outcome === "access-left"
      ? "; ACCESS LEFT: no later check found it clean"
      : s.closed === undefined
        ? ""
        : `; closed by hand at ${inlineText(s.closed.at)} by ${inlineText(s.closed.actor)}: ${inlineText(s.closed.reason)}`;
  return `  ${inlineText(s.provider)}/${inlineText(s.account)}: ${steps.join(", then ")}${end}`;
}

function recordLines(r: LeaverRecord, unchecked: readonly string[]): string[] {
  const run =
    `offboarded by the run started ${inlineText(r.offboardedAt)}` +
    (r.afterLastDayMs === undefined ? "" : ` (${timingText(r.afterLastDayMs)})`) +
    (r.actor === undefined ? "" : `, by ${inlineText(r.actor)}`) +
    (r.commit === undefined ? "" : `, commit ${inlineText(r.commit.slice(0, 12))}`);
  // Accounts gatehouse managed for them that no check names: "any system" would vouch for them too.
  const notChecked =
    unchecked.length === 0
      ? ""
      : `; NOT checked: ${unchecked.map(inlineText).join(", ")} (gatehouse managed it, and no offboarding of it is recorded: below)`;
  const verdict =
    r.outcome === "clean"
      ? unchecked.length === 0
        ? `no access left in any system${r.cleanAt === undefined ? "" : ` as of ${inlineText(r.cleanAt)}`}`
        : `no access left in the systems checked${r.cleanAt === undefined ? "" : ` as of ${inlineText(r.cleanAt)}`}${notChecked}`
      : r.outcome === "closed-by-hand"
        ? `access was left in some system and its verdict was closed by hand (above)${notChecked}`
        : `ACCESS LEFT in ${r.systems
            .filter((s) => s.outcome === "access-left")
            .map((s) => inlineText(s.provider))
            .join(", ")}${notChecked}`;
  return [
    `${inlineText(r.userId)}  ${r.leaving === undefined ? "(no HR event recorded)" : inlineText(r.leaving)}`,
    `  ${r.lastDay === undefined ? "no last day in the files (terminated by status): how late cannot be told" : `last day ${r.lastDay}`}; ${run}`,
    ...r.systems.map(systemLine),
    ...r.webhooks.map(
      (w) =>
        `  webhook ${inlineText(w.webhook)} (delivery ${inlineText(w.delivery)}): ${w.outcome} at ${inlineText(w.at)} after ${String(w.attempts)} attempt(s)` +
        (w.closed === undefined
          ? w.outcome === "delivered"
            ? ""
            : ": still owed"
          : `; closed by hand at ${inlineText(w.closed.at)} by ${inlineText(w.closed.actor)}: ${inlineText(w.closed.reason)}`),
    ),
    `  verdict: ${verdict}`,
  ];
}

export interface LeaversWindow {
  readonly since?: Date;
  readonly until?: Date;
}

function windowText(w: LeaversWindow): string {
  if (w.since === undefined && w.until === undefined) return "";
  return (
    (w.since === undefined ? "" : ` from ${w.since.toISOString()}`) +
    (w.until === undefined ? "" : ` to ${w.until.toISOString()}`)
  );
}

export function leaversText(
  records: readonly LeaverRecord[],
  missing: readonly MissingOffboarding[] | undefined,
  window: LeaversWindow,
  shown: string,
): string {
  const late = records.filter(isLate).length;
  const left = records.filter((r) => r.outcome === "access-left").length;
  const lines = [
    `Leavers offboarded${windowText(window)}, from ${shown}: ${String(records.length)} ` +
      `(${String(late)} late, more than a day after the end of their last day; ${String(left)} with access left)`,
  ];
  const uncheckedOf = (userId: string): readonly string[] =>
    missing?.find((m) => m.userId === userId && m.isOffboardedElsewhere)?.accounts ?? [];
  for (const r of records) lines.push("", ...recordLines(r, uncheckedOf(r.userId)));
  if (missing !== undefined && missing.length > 0) {
    lines.push(
      "",
      `NOT offboarded by gatehouse (${String(missing.length)}): leavers in the access files, with an account gatehouse managed, and no offboarding check recorded (yet):`,
    );
    for (const m of missing)
      lines.push(
        `  ! ${inlineText(m.userId)}  ${inlineText(m.leaving)}; accounts: ${m.accounts.map(inlineText).join(", ")}` +
          (m.isOffboardedElsewhere
            ? " (their other accounts were offboarded, above: the run that did it left this system out, or had nothing to change on the account, gone or disabled by hand; `gatehouse accounts` shows whether it is still enabled)"
            : ""),
      );
  }
  lines.push(
    "",
    missing === undefined
      ? "Only leavers gatehouse offboarded are here; `gatehouse accounts` lists leavers' accounts still enabled."
      : `Leavers in the access files with an account gatehouse managed are all here${missing.length === 0 ? ", each offboarded" : ""}; ` +
          "access gatehouse never managed is not: `gatehouse accounts` lists leavers' accounts still enabled.",
  );
  return lines.join("\n") + "\n";
}

export function leaversJson(
  records: readonly LeaverRecord[],
  missing: readonly MissingOffboarding[] | undefined,
  window: LeaversWindow,
  problems: readonly { readonly line: number; readonly message: string }[],
): TerminalText {
  const json = {
    formatVersion: 1,
    since: window.since?.toISOString() ?? null,
    until: window.until?.toISOString() ?? null,
    leavers: records.map((r) => ({
      ...r,
      isLate: isLate(r),
      notChecked: missing?.find((m) => m.userId === r.userId && m.isOffboardedElsewhere)?.accounts ?? [],
    })),
    notOffboarded: missing ?? null,
    intact: problems.length === 0,
    problems,
  };
  return jsonForTerminal(JSON.stringify(json, null, 2) + "\n");
}
