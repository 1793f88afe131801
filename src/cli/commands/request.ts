import { ConfigError, ExitCode, UsageError } from "../../errors.ts";
import { editedTreeOptions } from "../../engine/edited-tree.ts";
import { checkEdits, prepareFileEdit, writeEdits } from "../../engine/file-edits.ts";
import { loadValidModel } from "../../engine/prepare-plan.ts";
import { decideRequest, type RequestDecision } from "../../engine/request.ts";
import { editGroupMembers, type MemberLine } from "../../engine/request-edit.ts";
import { removePendingText } from "../../engine/review-edit.ts";
import { requestApproval, type RequestApproval } from "../../pr/request-approvals.ts";
import { renderDiagnostics } from "../../render/diagnostics.ts";
import { renderFileDiff } from "../../render/file-diff.ts";
import { jsonForTerminal } from "../../render/terminal-text.ts";
import { choiceOpt, COMMON_OPTIONS, flag, parseCommandArgs, stringOpt } from "../args.ts";
import { resolveUntil } from "../instant.ts";
import type { CommandIo } from "../io.ts";
import { engineOptions } from "./engine-options.ts";

export const REQUEST_USAGE = `Usage: gatehouse request --user ID --group NAME [--until DATE|DURATION] [--reason TEXT]
                         [--dry-run] [--dir access] [--format text|json]

Writes the line that asks for access: the user joins the members of the group, in the file that
defines the group, as a lasting member (- ID), or with --until as a time-bound grant (user, until,
and reason when given). --until takes a duration from now (8h, 7d, 2w, 30m), a day (through its end,
UTC) or an instant with a time zone (2026-07-01T18:00:00Z); the policy's longest grant
(policy.grants.maxDuration, privilegedMaxDuration for privileged groups) is enforced. A grant the user
holds already gets a later --until (and --reason, if given) in place; without --until it becomes a
lasting line. Only that line changes (and a user pending in the group's open review leaves its
pending list: the owners approving the pull request certify them), and the whole tree must validate
with it before the file is written (else nothing is written: exit 1). Prints the diff and who approves it; commit it on a branch
and open a pull request. --dry-run prints the diff and whether the tree would validate, and writes
nothing.`;

/** One line of text for a --reason: it is written into YAML and shown in plans and reviews. */
function reasonOpt(text: string | undefined): string | undefined {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (text !== undefined && /[\x00-\x1f\x7f-\x9f\u2028\u2029]/.test(text))
    throw new UsageError("--reason must be one line of text, without control characters");
  if (text?.trim() === "") throw new UsageError("--reason needs some text");
  return text;
}

export async function runRequest(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      ...COMMON_OPTIONS,
      user: { type: "string" },
      group: { type: "string" },
      until: { type: "string" },
      reason: { type: "string" },
      format: { type: "string" },
      "dry-run": { type: "boolean" },
    },
    REQUEST_USAGE,
  );
  if (flag(args, "help")) {
    io.stdout(REQUEST_USAGE + "\n");
    return ExitCode.ok;
  }
  const format = choiceOpt(args, "format", ["text", "json"] as const, "text");
  const userId = stringOpt(args, "user");
  const groupName = stringOpt(args, "group");
  if (userId === undefined || groupName === undefined || args.positionals.length > 0)
    throw new UsageError(`request needs --user and --group\n\n${REQUEST_USAGE}`);
  const reason = reasonOpt(stringOpt(args, "reason"));
  const isDryRun = flag(args, "dry-run");
  const options = engineOptions(io, stringOpt(args, "dir"), [], undefined);
  const untilText = stringOpt(args, "until");
  const until = untilText === undefined ? undefined : resolveUntil(untilText, options.now);
  // Reads no live system; the policy is the tree's own (the built-in default without gatehouse.yaml).
  const tree = await loadValidModel(options, new Set(), false);
  const input = {
    user: userId,
    group: groupName,
    ...(until === undefined ? {} : { until }),
    ...(untilText === undefined ? {} : { untilText }),
    ...(reason === undefined ? {} : { reason }),
  };
  const decision = decideRequest(tree.model, input, options.now);
  if (decision.kind === "nothing") {
    io.stdout(
      format === "json"
        ? jsonForTerminal(
            JSON.stringify(
              {
                formatVersion: 1,
                status: "nothing-to-do",
                user: userId,
                group: groupName,
                message: decision.message,
              },
              null,
              2,
            ) + "\n",
          )
        : decision.message + "\n",
    );
    return ExitCode.ok;
  }
  const group = tree.model.groups.get(groupName);
  if (!group) throw new UsageError(`no group "${groupName}"`); // decideRequest checked it
  const file = group.source.file;
  const prepared = await prepareFileEdit(
    io.cwd,
    file,
    (text) => {
      // Off the review's pending list first, so the line number editGroupMembers gives stays right.
      const unpended =
        decision.pendingReview === undefined ? { text } : removePendingText(file, text, groupName, userId);
      return "problem" in unpended
        ? unpended
        : editGroupMembers(file, unpended.text, groupName, decision.edit);
    },
    decision.pendingReview === undefined ? "add the line" : "add the line and take the name off pending",
  );
  const edit = {
    line: prepared.edited.line,
    diff: renderFileDiff(file, prepared.before, prepared.edited.text),
  };
  // The tree with the line, validated on a copy: nothing is written unless it validates.
  const warnings = await checkEdits(
    [prepared],
    editedTreeOptions(options),
    tree.diagnostics,
    "the request",
  ).catch((error: unknown) => {
    // A dry run still shows the line it tried; the errors follow on stderr.
    if (isDryRun && format === "text" && error instanceof ConfigError)
      io.stdout(
        `Would write ${file}:${String(edit.line)}: ${describeWrite(decision, groupName)}\n\n${edit.diff.trimEnd()}\n\n` +
          "Dry run: nothing was written; the access files would not validate with it (below).\n",
      );
    throw error;
  });
  if (!isDryRun) await writeEdits([prepared], "request");
  const approval = requestApproval(tree.model, groupName, options.now, userId);
  if (warnings.length > 0) io.stderr(renderDiagnostics(warnings, "text"));
  if (format === "json") {
    const result = {
      formatVersion: 1,
      status: isDryRun ? "dry-run" : "written",
      user: userId,
      group: groupName,
      action: decision.edit.kind,
      file,
      line: edit.line,
      entry: decision.entry,
      ...(decision.edit.kind === "add" ? {} : { previousUntil: decision.edit.from }),
      notes: decision.notes,
      ...(decision.pendingReview === undefined ? {} : { pendingReview: decision.pendingReview }),
      diff: edit.diff,
      approval,
    };
    io.stdout(jsonForTerminal(JSON.stringify(result, null, 2) + "\n"));
    return ExitCode.ok;
  }
  io.stdout(
    [
      `${isDryRun ? "Would write" : "Wrote"} ${file}:${String(edit.line)}: ${describeWrite(decision, groupName)}`,
      ...decision.notes.map((n) => `note: ${n}`),
      "",
      edit.diff.trimEnd(),
      "",
      ...describeApproval(approval),
      ...(isDryRun
        ? ["Dry run: nothing was written; the access files validate with it."]
        : nextSteps(file, decision.entry, groupName)),
    ].join("\n") + "\n",
  );
  return ExitCode.ok;
}

function describeWrite(decision: Extract<RequestDecision, { kind: "write" }>, group: string): string {
  const { edit, entry } = decision;
  const why = entry.reason === undefined ? "" : ` (${entry.reason})`;
  switch (edit.kind) {
    case "add":
      return entry.until === undefined
        ? `${entry.user} joins ${group} (a lasting member)`
        : `${entry.user} is granted ${group} until ${entry.until}${why}`;
    case "extend":
      return `${entry.user}'s grant of ${group} runs until ${edit.until} (was ${edit.from})${why}`;
    case "make-lasting":
      return `${entry.user}'s grant of ${group} (until ${edit.from}) becomes a lasting membership`;
  }
}

function who(people: RequestApproval["owners"]): string {
  return people
    .map((p) => {
      const name = p.github === undefined ? p.id : `${p.id} (@${p.github})`;
      return p.problem === undefined ? name : `${name} [cannot approve: ${p.problem}]`;
    })
    .join(", ");
}

function describeApproval(a: RequestApproval): string[] {
  const count =
    a.required === 1
      ? `one owner of ${a.group}`
      : `${String(a.required)} distinct owners of ${a.group} (privileged: policy.grants.privilegedApprovals)`;
  if (a.admins === undefined)
    return [
      `Approval: ${count} ${a.required === 1 ? "approves" : "approve"} the pull request (neither its author nor the person it gives access counts): ${who(a.owners)}`,
    ];
  return [
    `Approval: ${count} would approve, but too few can (owners: ${who(a.owners) || "none"});`,
    a.admins.length > 0
      ? `  so one of policy.admins approves: ${who(a.admins)}`
      : "  and policy.admins names nobody: add admins to gatehouse.yaml, or owners who can approve",
  ];
}

function nextSteps(file: string, entry: MemberLine, group: string): string[] {
  const subject = `Request ${group} for ${entry.user}${entry.until === undefined ? "" : ` until ${entry.until}`}`;
  return [
    "Next: commit it on a branch and open a pull request (`gatehouse plan` shows what it changes):",
    `  git switch -c request/${entry.user}-${group}`,
    `  git add ${/^[\w./-]+$/.test(file) ? file : `'${file.replace(/'/g, "'\\''")}'`}`,
    `  git commit -m "${subject}"`,
  ];
}
