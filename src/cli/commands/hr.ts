import { ExitCode, UsageError } from "../../errors.ts";
import { loadEnvOptions } from "../../load/load-tree.ts";
import path from "node:path";
import { isFile } from "../../io/is-file.ts";
import {
  DEFAULT_JOINERS_FILE,
  DEFAULT_MAPPING_FILE,
  isReviewDays,
  MAX_REVIEW_DAYS,
  parseLimit,
  type Limit,
} from "../../hr/mapping.ts";
import { hasSyncChanges, renderSyncJson, renderSyncText } from "../../hr/render.ts";
import { DEFAULT_MOVER_REVIEW_DAYS } from "../../hr/mover-reviews.ts";
import { runHrSync } from "../../hr/run-sync.ts";
import { jsonForTerminal } from "../../render/terminal-text.ts";
import { renderDiagnostics } from "../../render/diagnostics.ts";
import { choiceOpt, COMMON_OPTIONS, flag, parseCommandArgs, stringOpt, type Parsed } from "../args.ts";
import type { CommandIo } from "../io.ts";

export const HR_USAGE = `Usage: gatehouse hr sync EXPORT [--mapping FILE] [--joiners-file FILE] [--absent report|terminate]
                         [--max-leavers N|P%] [--max-email-changes N|P%] [--max-cleared N|P%]
                         [--max-joiners N|P%] [--max-movers N|P%] [--check] [--mover-review-days N] [--format text|json]
                         [--dir access]

Brings the access files in line with an HR export (EXPORT: CSV with a header row, or .json: a list of
objects). People are matched by employee number (else by id); joiners are appended to
<dir>/${DEFAULT_JOINERS_FILE} (mapping: joinersFile); the HR fields of everyone else (name, email,
department, title, manager, employmentType, status, startDate, endDate) are edited in place, as text;
no other field is touched. People the export does not have are reported and left alone unless
--absent terminate (never a service account, never someone without an employeeNumber).
The mapping (YAML; default ${DEFAULT_MAPPING_FILE} where it exists) names the columns and HR's values; see the README. Refuses (exit 3, nothing
written) when more people would become leavers than --max-leavers (default 5%) or more e-mail
addresses would change than --max-email-changes (default 10%), or more people would lose their
department, title, manager or employment type to a blank cell than --max-cleared (default 5%), or
more people would join than --max-joiners (default 10%, but at least 10: a wrong tenant's export), or
more would change department, title or employment type than --max-movers (default 10%, at least 10).
A mover whose department, title or employment type changes is added to the access review (opened,
due in --mover-review-days, default ${String(DEFAULT_MOVER_REVIEW_DAYS)}, when there is none) of each group listing them directly
that the roles of their new attributes do not give them. The whole edited tree must validate
before anything is written. --check writes nothing and exits 1 when the files would change.`;

function limitOpt(args: Parsed, name: string): Limit | undefined {
  const text = stringOpt(args, name);
  if (text === undefined) return undefined;
  const limit = parseLimit(text);
  if (limit === undefined)
    throw new UsageError(`--${name} takes a number of people or a percentage such as 5% (got "${text}")`);
  return limit;
}

export async function runHr(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      ...COMMON_OPTIONS,
      mapping: { type: "string" },
      "joiners-file": { type: "string" },
      absent: { type: "string" },
      "max-leavers": { type: "string" },
      "max-email-changes": { type: "string" },
      "max-cleared": { type: "string" },
      "max-joiners": { type: "string" },
      "max-movers": { type: "string" },
      "mover-review-days": { type: "string" },
      check: { type: "boolean" },
      format: { type: "string" },
    },
    HR_USAGE,
  );
  if (flag(args, "help")) {
    io.stdout(HR_USAGE + "\n");
    return ExitCode.ok;
  }
  const [sub, exportFile, ...extra] = args.positionals;
  if (sub !== "sync")
    throw new UsageError(
      `${sub === undefined ? "missing" : `unknown`} hr command${sub === undefined ? "" : ` "${sub}"`}\n\n${HR_USAGE}`,
    );
  if (exportFile === undefined || exportFile === "")
    throw new UsageError(`hr sync needs the export file\n\n${HR_USAGE}`);
  if (extra.length > 0) throw new UsageError(`hr sync takes one export file (got also ${extra.join(" ")})`);
  const format = choiceOpt(args, "format", ["text", "json"] as const, "text");
  const absentText = stringOpt(args, "absent");
  const absent =
    absentText === undefined
      ? undefined
      : choiceOpt(args, "absent", ["report", "terminate"] as const, "report");
  const maxLeavers = limitOpt(args, "max-leavers");
  const maxEmailChanges = limitOpt(args, "max-email-changes");
  const maxCleared = limitOpt(args, "max-cleared");
  const maxJoiners = limitOpt(args, "max-joiners");
  const maxMovers = limitOpt(args, "max-movers");
  const daysText = stringOpt(args, "mover-review-days");
  const moverReviewDays = daysText === undefined ? undefined : Number(daysText);
  if (daysText !== undefined && (!/^\d+$/.test(daysText) || !isReviewDays(moverReviewDays)))
    throw new UsageError(
      `--mover-review-days takes a whole number of days, 1 to ${String(MAX_REVIEW_DAYS)} (got "${daysText}")`,
    );
  // hr/mapping.yaml where there is one, as the shipped workflow passes it: a sync run by hand reads the
  // same mapping (without it, HR's column names are not the fields' and every row would be refused).
  const mappingFile =
    stringOpt(args, "mapping") ??
    ((await isFile(path.resolve(io.cwd, DEFAULT_MAPPING_FILE))) ? DEFAULT_MAPPING_FILE : undefined);
  const joinersFile = stringOpt(args, "joiners-file");
  const dir = stringOpt(args, "dir") ?? "access";
  const isCheck = flag(args, "check");
  const result = await runHrSync({
    cwd: io.cwd,
    dir,
    exportFile,
    ...(mappingFile === undefined ? {} : { mappingFile }),
    ...(joinersFile === undefined ? {} : { joinersFile }),
    ...(absent === undefined ? {} : { absent }),
    ...(maxLeavers === undefined ? {} : { maxLeavers }),
    ...(maxEmailChanges === undefined ? {} : { maxEmailChanges }),
    ...(maxCleared === undefined ? {} : { maxCleared }),
    ...(maxJoiners === undefined ? {} : { maxJoiners }),
    ...(maxMovers === undefined ? {} : { maxMovers }),
    ...(moverReviewDays === undefined ? {} : { moverReviewDays }),
    isCheck,
    now: io.now(),
    load: loadEnvOptions(io.env),
  });
  const context = {
    exportFile,
    joinersFile: result.joinersFile,
    isCheck,
  };
  io.stdout(
    format === "json" ? jsonForTerminal(renderSyncJson(result, context)) : renderSyncText(result, context),
  );
  // What the edit brings that validate would warn about (one e-mail for two people): said now, before
  // the pull request, not at the next validate.
  if (result.warnings.length > 0) io.stderr(renderDiagnostics(result.warnings, "text"));
  if (result.refused.length > 0) return ExitCode.unsafe;
  return isCheck && hasSyncChanges(result.plan) ? ExitCode.error : ExitCode.ok;
}
