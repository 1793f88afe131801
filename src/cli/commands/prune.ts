import { lstat, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { ExitCode, UsageError } from "../../errors.ts";
import { PRUNE_TRAILER } from "../../audit/prune-commit.ts";
import { runOf } from "./run-of.ts";
import { editedTreeOptions } from "../../engine/edited-tree.ts";
import { checkEdits, editRefusal, writeEdits, type FileEdit } from "../../engine/file-edits.ts";
import { closeProviders, preparePlan } from "../../engine/prepare-plan.ts";
import {
  expiredGrants,
  grantKey,
  pruneText,
  type ExpiredGrant,
  type PruneResult,
} from "../../engine/prune.ts";
import { formatLocation } from "../../model/source.ts";
import { appendAll, groupBy } from "../../model/lists.ts";
import { renderDiagnostics } from "../../render/diagnostics.ts";
import { COMMON_OPTIONS, flag, parseCommandArgs, stringOpt } from "../args.ts";
import type { CliIo } from "../io.ts";
import { engineOptions } from "./engine-options.ts";

export const PRUNE_USAGE = `Usage: gatehouse prune [--dir access] [--check] [--message-file FILE]

Deletes expired grants (members with an until that has passed) from the access files, once no
connected system still holds them: it plans first (reading every system), and while any system still
has a grant's removal to make (an observe-mode system included), every expired grant of that person
stays in its file, as does every expired grant of a person on legal hold (legalHold: true). Everything else in the files (comments, order, layout) stays as it is,
and the whole tree must validate without those lines before any file is written.
--check changes nothing and exits 1 when a grant would be deleted. The scheduled workflow runs it
after the reconcile and commits the result with the message --message-file FILE writes (when it deleted
something): its trailer Gatehouse-Prune names the run, so the journal (apply --record-approvals) tells
that commit, checked to delete nothing but grants expired by then, from one pushed past review.`;

/** The subject of the commit message `prune --message-file` writes. */
const PRUNE_SUBJECT = "Delete expired grants (gatehouse prune)";

function describe(grant: ExpiredGrant): string {
  return `${formatLocation(grant.source)} ${grant.user} in ${grant.group} (ended ${grant.until})`;
}

export async function runPrune(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    { ...COMMON_OPTIONS, check: { type: "boolean" }, "message-file": { type: "string" } },
    PRUNE_USAGE,
    "prune",
  );
  if (flag(args, "help")) {
    io.stdout(PRUNE_USAGE + "\n");
    return ExitCode.ok;
  }
  const messageFile = stringOpt(args, "message-file");
  if (messageFile !== undefined && flag(args, "check"))
    throw new UsageError(`--message-file is for a prune that writes (not --check)\n\n${PRUNE_USAGE}`);
  // Every system, always: a grant one of them still holds must keep its line.
  const options = engineOptions(io, stringOpt(args, "dir"), [], undefined);
  const prepared = await preparePlan(options);
  let expired: ExpiredGrant[];
  const pending = new Set<string>();
  try {
    expired = expiredGrants(prepared.tree.model, options.now);
    // Removals still to make, by anyone: an apply, or a person for an observe-mode system. By user, not
    // by group: a system that flattens nesting removes the grant from the parent group.
    const observed = prepared.plan.notes.flatMap((n) => (n.change === undefined ? [] : [n.change]));
    for (const c of [...prepared.plan.changes, ...observed])
      if (c.kind === "membership" && c.reason === "grant-expired" && c.userId !== undefined)
        pending.add(c.userId);
  } finally {
    await closeProviders(prepared.providers);
  }
  // A person on legal hold keeps every line of theirs: the files are part of what is held.
  const users = prepared.tree.model.users;
  const isHeld = (g: ExpiredGrant): boolean => users.get(g.user)?.legalHold === true;
  const onHold = expired.filter(isHeld);
  const kept = expired.filter((g) => !isHeld(g) && pending.has(g.user));
  const due = expired.filter((g) => !isHeld(g) && !pending.has(g.user));
  const lines: string[] = [];
  if (kept.length > 0) {
    lines.push(
      `Kept ${String(kept.length)} expired grant(s) a connected system still holds (the next apply removes them; prune after it):`,
    );
    for (const g of kept) lines.push(`  ${describe(g)}`);
  }
  if (onHold.length > 0) {
    lines.push(
      `Kept ${String(onHold.length)} expired grant(s) of people on legal hold (legalHold: true; prune deletes them once it is lifted):`,
    );
    for (const g of onHold) lines.push(`  ${describe(g)}`);
  }
  const byFile = groupBy(due, (g) => g.source.file);
  const isCheck = flag(args, "check");
  const failed: string[] = [];
  const deleted: string[] = [];
  const unpended: string[] = [];
  const edits: FileEdit[] = [];
  for (const [file, grants] of byFile) {
    const keys = new Set(grants.map((g) => grantKey(g.group, g.user, g.until)));
    const target = path.resolve(io.cwd, file);
    const entry = await lstat(target);
    const refusal = await editRefusal(target, entry);
    const original = refusal === undefined ? await readFile(target, "utf8") : "";
    const result: PruneResult =
      refusal === undefined
        ? pruneText(file, original, (group, user, until) => keys.has(grantKey(group, user, until)))
        : { problem: refusal };
    if ("problem" in result || result.removed !== grants.length) {
      const why = "problem" in result ? result.problem : "not every grant was found where the files say";
      failed.push(`${file}: not edited (${why}); delete these lines by hand:`);
      for (const g of grants) failed.push(`  ${describe(g)}`);
      continue;
    }
    edits.push({ file, target, mode: entry.mode & 0o7777, original, text: result.text });
    for (const g of grants) deleted.push(`  ${describe(g)}`);
    for (const u of result.unpended) unpended.push(`  ${file}: ${u.user} in the review of ${u.group}`);
  }
  if (edits.length > 0) {
    // The tree without those lines, validated on a copy (with --check too): nothing is written unless
    // it validates, and then every file at once, none if one changed meanwhile.
    const warnings = await checkEdits(
      edits,
      editedTreeOptions(options),
      prepared.tree.diagnostics,
      "pruning",
    );
    if (!isCheck) await writeEdits(edits, "prune");
    if (!isCheck && messageFile !== undefined)
      await writeFile(
        path.resolve(io.cwd, messageFile),
        `${PRUNE_SUBJECT}\n\nDeleted ${String(deleted.length)} expired grant(s) no system holds any more.\n\n${PRUNE_TRAILER}: ${await runOf(io)}\n`,
      );
    if (warnings.length > 0) io.stderr(renderDiagnostics(warnings, "text"));
  }
  if (deleted.length > 0) {
    lines.push(
      `${isCheck ? "Would delete" : "Deleted"} ${String(deleted.length)} expired grant(s) no system holds any more:`,
    );
    appendAll(lines, deleted);
  }
  if (unpended.length > 0) {
    lines.push(
      `${isCheck ? "Would take" : "Took"} ${String(unpended.length)} name(s) off a review's pending list (no longer members, nothing to re-certify):`,
    );
    appendAll(lines, unpended);
  }
  if (expired.length === 0) lines.push("No expired grants in the access files.");
  if (lines.length > 0) io.stdout(lines.join("\n") + "\n");
  if (failed.length > 0) {
    io.stderr(failed.join("\n") + "\n");
    return ExitCode.error;
  }
  return isCheck && deleted.length > 0 ? ExitCode.error : ExitCode.ok;
}
