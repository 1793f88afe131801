import { ExitCode, UsageError } from "../../errors.ts";
import { parseDuration } from "../../load/durations.ts";
import { prepareAccountsReport } from "../../engine/review-accounts.ts";
import { renderAccountsText } from "../../render/accounts.ts";
import { renderDiagnostics } from "../../render/diagnostics.ts";
import { jsonForTerminal } from "../../render/terminal-text.ts";
import { choiceOpt, COMMON_OPTIONS, flag, listOpt, parseCommandArgs, stringOpt } from "../args.ts";
import type { CommandIo } from "../io.ts";
import { engineOptions } from "./engine-options.ts";

export const ACCOUNTS_USAGE = `Usage: gatehouse accounts [--dir access] [--stale DURATION] [--provider NAME]...
                          [--format text|json] [--detailed-exitcode]

Stale and orphaned accounts, per connected system. Orphaned: enabled accounts no active person in
the files holds (in no access file, a leaver's, on leave where policy.leave disables accounts, not
started yet), with their groups, whether gatehouse manages them (journal) and what the plan does
with them. Stale: active people's accounts without a sign-in for DURATION (default policy.staleAfter,
else 90d; units m, h, d, w), or with none since they were made that long ago; service accounts
(employmentType: service) are listed apart. Systems that record no sign-in times say so.
Reads every system as plan does and changes nothing. Exit 0 (with --detailed-exitcode: 2 when an
orphaned or a stale account other than a service account is found), 1 on error, also when a
system's sign-ins could not be read (its orphans are still listed).`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  stale: { type: "string" },
  provider: { type: "string", multiple: true },
  format: { type: "string" },
  "detailed-exitcode": { type: "boolean" },
  journal: { type: "string" },
} as const;

export async function runAccounts(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseCommandArgs(argv, OPTIONS, ACCOUNTS_USAGE);
  if (flag(args, "help")) {
    io.stdout(ACCOUNTS_USAGE + "\n");
    return ExitCode.ok;
  }
  if (args.positionals.length > 0) throw new UsageError(ACCOUNTS_USAGE);
  const format = choiceOpt(args, "format", ["text", "json"] as const, "text");
  const staleText = stringOpt(args, "stale");
  const staleAfterMs = staleText === undefined ? undefined : parseDuration(staleText);
  if (staleText !== undefined && (staleAfterMs === undefined || staleAfterMs <= 0))
    throw new UsageError(
      `--stale takes a duration longer than zero, e.g. 90d, 12w or 36h (got "${staleText}")`,
    );
  const { report, warnings } = await prepareAccountsReport({
    ...engineOptions(io, stringOpt(args, "dir"), listOpt(args, "provider"), stringOpt(args, "journal")),
    ...(staleAfterMs === undefined ? {} : { staleAfterMs }),
  });
  if (warnings.length > 0 && format === "text") io.stderr(renderDiagnostics(warnings, "text"));
  if (format === "json") io.stdout(jsonForTerminal(JSON.stringify(report, null, 2) + "\n"));
  else io.stdout(renderAccountsText(report));
  const { orphaned, stale, disabledSignedIn, signInsFailed } = report.summary;
  // A system whose sign-ins could not be read was not checked for stale accounts: that is an error.
  if (signInsFailed > 0) return ExitCode.error;
  return flag(args, "detailed-exitcode") && orphaned + stale + disabledSignedIn > 0
    ? ExitCode.changes
    : ExitCode.ok;
}
