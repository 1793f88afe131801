import { ConfigError, ExitCode } from "../../errors.ts";
import { editedTreeOptions } from "../../engine/edited-tree.ts";
import { checkEdits, prepareFileEdit, writeEdits, type FileEdit } from "../../engine/file-edits.ts";
import { handoverText, planHandovers, type Handover } from "../../engine/handover.ts";
import { loadValidModel } from "../../engine/prepare-plan.ts";
import { groupBy } from "../../model/lists.ts";
import { formatLocation } from "../../model/source.ts";
import { renderDiagnostics } from "../../render/diagnostics.ts";
import { jsonForTerminal } from "../../render/terminal-text.ts";
import { choiceOpt, COMMON_OPTIONS, flag, parseCommandArgs, stringOpt } from "../args.ts";
import type { CommandIo } from "../io.ts";
import { engineOptions } from "./engine-options.ts";

export const HANDOVER_USAGE = `Usage: gatehouse handover [--dir access] [--check] [--format text|json]

Hands the groups owned by people who have left (status: terminated, or past their endDate) over to
their managers: in each group's owners, the first person up the leaver's manager chain who is here
(started, not on leave, not left) takes the leaver's place; where that person owns the group already,
or nobody up the chain is here but other owners stay, the leaver is taken off the list. A group whose
owners have all left with nobody to take over keeps its list (name an owner by hand; validate warns
GH218 meanwhile). Only those list items change (comments, order and layout stay), and the whole tree
must validate with them before any file is written. Commit the result on a branch and open a pull
request: the group's other owners or the admins approve the successors. --check changes nothing and
exits 1 when an ownership would be handed over.`;

/** One handover as a line: where the leaver is listed, the group, and what becomes of them. */
function describe(h: Handover): string {
  const where = `${formatLocation(h.source)} ${h.group}: ${h.leaver} (left)`;
  if (h.action === "replace")
    return `${where} → ${h.successor ?? ""}, the first of ${h.leaver}'s managers who is here`;
  if (h.action === "drop")
    return h.successor === undefined
      ? `${where} taken off the owners (no manager of theirs is here; the other owners stay)`
      : `${where} taken off the owners (${h.successor}, the first of their managers who is here, owns it already)`;
  return `${where} kept: no manager of theirs is here and no other owner is; name an owner by hand`;
}

export async function runHandover(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    { ...COMMON_OPTIONS, check: { type: "boolean" }, format: { type: "string" } },
    HANDOVER_USAGE,
    "handover",
  );
  if (flag(args, "help")) {
    io.stdout(HANDOVER_USAGE + "\n");
    return ExitCode.ok;
  }
  const format = choiceOpt(args, "format", ["text", "json"] as const, "text");
  const isCheck = flag(args, "check");
  const options = engineOptions(io, stringOpt(args, "dir"), [], undefined);
  // Reads no live system: who has left and who manages them is what the files say.
  const tree = await loadValidModel(options, new Set(), false);
  const handovers = planHandovers(tree.model, options.now);
  const made = handovers.filter((h) => h.action !== "keep");
  const kept = handovers.filter((h) => h.action === "keep");
  const edits: FileEdit[] = [];
  for (const [file, list] of groupBy(made, (h) => h.file))
    edits.push(
      await prepareFileEdit(
        io.cwd,
        file,
        (text) => handoverText(file, text, list),
        "hand these groups over",
      ).catch((error: unknown) => {
        // Said with each handover's place, to make by hand.
        if (!(error instanceof ConfigError)) throw error;
        throw new ConfigError(`${error.message}:\n${list.map((h) => `  ${describe(h)}`).join("\n")}`);
      }),
    );
  let warnings: Awaited<ReturnType<typeof checkEdits>> = [];
  if (edits.length > 0) {
    // The tree with the successors, validated on a copy (with --check too): nothing is written unless
    // it validates, and then every file at once, none if one changed meanwhile.
    warnings = await checkEdits(edits, editedTreeOptions(options), tree.diagnostics, "the handover");
    if (!isCheck) await writeEdits(edits, "handover");
  }
  if (warnings.length > 0) io.stderr(renderDiagnostics(warnings, "text"));
  if (format === "json") {
    const body = {
      formatVersion: 1,
      isWritten: !isCheck && edits.length > 0,
      handovers: handovers.map((h) => ({
        group: h.group,
        file: h.source.file,
        line: h.source.line,
        column: h.source.column,
        leaver: h.leaver,
        action: h.action,
        ...(h.successor === undefined ? {} : { successor: h.successor }),
      })),
    };
    io.stdout(jsonForTerminal(JSON.stringify(body, null, 2) + "\n"));
  } else io.stdout(renderText(made, kept, isCheck, tree.model.config.policy.codeowners === true));
  return isCheck && made.length > 0 ? ExitCode.error : ExitCode.ok;
}

function renderText(
  made: readonly Handover[],
  kept: readonly Handover[],
  isCheck: boolean,
  hasCodeowners: boolean,
): string {
  const lines: string[] = [];
  if (made.length > 0) {
    lines.push(
      `${isCheck ? "Would hand over" : "Handed over"} ${String(made.length)} ownership(s) of people who have left${isCheck ? "" : " (commit it on a branch and open a pull request)"}:`,
      ...made.map((h) => `  ${describe(h)}`),
    );
    if (hasCodeowners && !isCheck)
      lines.push(
        "policy.codeowners is on: run `gatehouse codeowners` and commit .github/CODEOWNERS with it.",
      );
  }
  if (kept.length > 0)
    lines.push(
      `Kept ${String(kept.length)} owner(s) who have left, with nobody to take over:`,
      ...kept.map((h) => `  ${describe(h)}`),
    );
  if (made.length === 0 && kept.length === 0) lines.push("No group is owned by anyone who has left.");
  return lines.join("\n") + "\n";
}
