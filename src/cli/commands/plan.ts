import path from "node:path";
import { ExitCode, UsageError } from "../../errors.ts";
import { parseDuration } from "../../load/durations.ts";
import { parseAt } from "../instant.ts";
import { closeProviders } from "../../engine/prepare-plan.ts";
import { planOrReuse } from "../../engine/plan-memo.ts";
import { renderJsonPieces } from "../../render/json.ts";
import { renderMarkdown } from "../../render/markdown.ts";
import { renderTextPieces } from "../../render/text.ts";
import { jsonForTerminal } from "../../render/terminal-text.ts";
import { renderDiagnostics } from "../../render/diagnostics.ts";
import { planChecksum } from "../../engine/saved-plan.ts";
import { choiceOpt, COMMON_OPTIONS, flag, listOpt, parseCommandArgs, stringOpt } from "../args.ts";
import type { CommandIo } from "../io.ts";
import { engineOptions } from "./engine-options.ts";
import { assertReplaceable, looksLikeSavedPlan, writePieces } from "../output-file.ts";

export const PLAN_USAGE = `Usage: gatehouse plan [--dir access] [--out plan.json] [--format text|markdown|json]
                      [--detailed-exitcode] [--provider NAME]... [--verbose] [--fresh] [--at DATE|DURATION]
                      [--files-history DIR]

Reads the live state of every connected system and shows what apply would change, and why.
Changes nothing. Exit 0 (with --detailed-exitcode: 0 no changes, 2 changes, differences an
observe-mode system shows, access live systems hold that gatehouse does not manage, a leaver's
access an offboarding check found left and no later check found gone, an offboarding webhook
delivery still owed, or members of a privileged group that an additive-mode system keeps though
nobody granted them), 1 on error.

When the access files, the journal and every system's live state are provably as they were for the
last plan (and no grant or date has passed since), that plan is shown again without reading
everything; --fresh always computes it anew.

--at previews the plan of another instant (a day: its end, UTC; an instant; or a duration from now,
7d): grants, start and end dates are judged then, against the live state read now. Such a plan
cannot be saved for apply (--out), which always plans at its own instant.

What gatehouse never wrote itself (what an import adopted), the journal cannot explain: such a change's
reason comes from the access files as gatehouse last applied them (a member line removed since is
"removed from config"; someone the files gave then and the system lost since is "drift"), read from
git in the working directory, or in the repository --files-history DIR names (a plan of files extracted
from a pull request, with no history of their own).`;

export const PLAN_OPTIONS = {
  ...COMMON_OPTIONS,
  out: { type: "string" },
  format: { type: "string" },
  "detailed-exitcode": { type: "boolean" },
  provider: { type: "string", multiple: true },
  verbose: { type: "boolean", short: "v" },
  journal: { type: "string" },
  fresh: { type: "boolean" },
  at: { type: "string" },
  "files-history": { type: "string" },
} as const;

export async function runPlan(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseCommandArgs(argv, PLAN_OPTIONS, PLAN_USAGE, "plan");
  if (flag(args, "help")) {
    io.stdout(PLAN_USAGE + "\n");
    return ExitCode.ok;
  }
  const format = choiceOpt(args, "format", ["text", "markdown", "json"] as const, "text");
  const atText = stringOpt(args, "at");
  if (atText !== undefined && stringOpt(args, "out") !== undefined)
    throw new UsageError(
      `--at plans for another instant than now, and apply always plans at its own: such a plan cannot be saved for apply (--out)\n\n${PLAN_USAGE}`,
    );
  const at = atText === undefined ? undefined : previewInstant(atText, io.now());
  if (at !== undefined)
    io.stderr(
      `plan: computed as of ${at.toISOString()} (--at), not now: grants, start and end dates are judged at that instant, against the live state read now\n`,
    );
  const filesHistory = stringOpt(args, "files-history");
  const prepared = await planOrReuse({
    ...engineOptions(io, stringOpt(args, "dir"), listOpt(args, "provider"), stringOpt(args, "journal")),
    fresh: flag(args, "fresh"),
    ...(filesHistory === undefined ? {} : { filesHistory: path.resolve(io.cwd, filesHistory) }),
    ...(at === undefined ? {} : { now: at, previewFrom: io.now(), remember: false }),
  });
  try {
    const { plan } = prepared;
    if (prepared.warnings.length > 0 && format === "text")
      io.stderr(renderDiagnostics(prepared.warnings, "text"));
    const out = stringOpt(args, "out");
    if (out !== undefined) {
      const target = path.resolve(io.cwd, out);
      await assertReplaceable(io.cwd, target, "a saved plan", looksLikeSavedPlan);
      await writePieces(target, renderJsonPieces(plan));
    }
    switch (format) {
      case "json":
        for (const piece of renderJsonPieces(plan)) io.stdout(jsonForTerminal(piece));
        break;
      case "markdown":
        io.stdout(renderMarkdown(plan));
        break;
      case "text":
        for (const piece of renderTextPieces(plan, { color: io.isTTY, verbose: flag(args, "verbose") }))
          io.stdout(piece);
        if (out !== undefined) {
          const checksum = planChecksum(plan);
          io.stdout(
            `Saved the plan to ${out} (checksum ${checksum}); apply it with: gatehouse apply ${out} --checksum ${checksum}\n`,
          );
        }
        break;
    }
    // Differences gatehouse shows but does not change count too: what an observe-mode system differs in,
    // access live systems hold that gatehouse does not manage (an outsider in a managed group), and a
    // leaver's access an offboarding check found left (an open verdict in the journal), a webhook
    // delivery still owed (the next apply sends it again), and members of a privileged group nobody
    // granted that additive mode keeps (admin rights outside the files: a security review's first question).
    const differs =
      plan.changes.length > 0 ||
      plan.notes.some(
        (n) =>
          n.kind === "observed" ||
          n.kind === "unmanaged" ||
          n.kind === "access-left" ||
          n.kind === "webhook-owed" ||
          (n.kind === "kept" && n.privilegedGroup !== undefined),
      );
    if (flag(args, "detailed-exitcode") && differs) return ExitCode.changes;
    return ExitCode.ok;
  } finally {
    await closeProviders(prepared.providers);
  }
}

/** `--at`: a duration from now (7d), or a day (its end, UTC) or an instant, as `explain --at` takes them. */
function previewInstant(text: string, now: Date): Date {
  const duration = parseDuration(text);
  if (duration !== undefined) return new Date(now.getTime() + duration);
  try {
    return parseAt(text);
  } catch {
    throw new UsageError(
      `--at must be a duration from now (7d, 12h), a day (2026-03-01) or an instant with a time zone (2026-03-01T12:00:00Z), not "${text}"`,
    );
  }
}
