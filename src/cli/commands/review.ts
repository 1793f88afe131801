import { writeFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError, ExitCode, GatehouseError, UsageError } from "../../errors.ts";
import { runOf } from "./run-of.ts";
import { REVIEW_CLOSE_TRAILER } from "../../audit/review-close-commit.ts";
import { assertReplaceable } from "../output-file.ts";
import { editedTreeOptions } from "../../engine/edited-tree.ts";
import {
  checkEdits,
  prepareFileEdit,
  writeEdits,
  type FileEdit,
  type PreparedEdit,
} from "../../engine/file-edits.ts";
import { journalPathOf, loadValidModel } from "../../engine/prepare-plan.ts";
import { foldJournal } from "../../audit/journal-fold.ts";
import { accountNameFor, groupIsInProvider } from "../../desired/desired-state.ts";
import { membershipAddress } from "../../plan/addresses.ts";
import { planClose, planOpen, type CloseChoice } from "../../engine/review.ts";
import { closeReviewText, openReviewsText, type ReviewEditResult } from "../../engine/review-edit.ts";
import { afterDay, DAY_MS, utcMidnight } from "../../lifecycle/status.ts";
import { parseDuration } from "../../load/durations.ts";
import { isReviewDueFarEnough, MIN_REVIEW_DAYS } from "../../pr/affected.ts";
import type { AccessModel, Group, Policy } from "../../model/access.ts";
import { foldedSet } from "../../plan/safety.ts";
import { groupBy } from "../../model/lists.ts";
import type { Diagnostic } from "../../model/diagnostic.ts";
import { renderDiagnostics } from "../../render/diagnostics.ts";
import { renderFileDiff } from "../../render/file-diff.ts";
import { suggest } from "../../validate/rules/report.ts";
import {
  choiceOpt,
  COMMON_OPTIONS,
  flag,
  intOpt,
  listOpt,
  parseCommandArgs,
  stringOpt,
  type Parsed,
} from "../args.ts";
import { parseAt } from "../instant.ts";
import type { CommandIo } from "../io.ts";
import { engineOptions } from "./engine-options.ts";
import { closeJson, describeClose, describeOpen, openJson } from "./review-output.ts";

export const REVIEW_USAGE = `Usage: gatehouse review open --due DATE|DURATION [--group NAME ...] [--dry-run] [--dir access]
                              [--format text|json]
       gatehouse review close [--check] [--allow-removals N] [--message-file FILE] [--dir access]
                              [--format text|json]
       gatehouse review history [--since WHEN] [--until WHEN] [--group NAME ...] [--journal FILE]
                                [--history REV] [--dir access] [--format text|json]

An access review: each group's owners re-certify its members in a pull request.
open writes a review block into each group (--group, repeatable; default: every group with owners and
a members list naming someone; a group with a review open is skipped): due (--due: a day, or a
duration from today such as 14d or 2w) and pending, every member line and grant of the group. Members
through roles or nested groups are not listed (printed: review the role or group). Commit it and open
a pull request: opening needs nobody's approval. The owners then delete from pending the names they
keep and the member lines they revoke, in a pull request the group's owners approve.
close, from the day after due, removes from the members list every member still pending, and the
review block; a review with nothing pending is closed whenever it runs. More revocations than
policy.guardrails.maxRemovals allows (a percentage: of the member entries in the files) are refused,
writing nothing, unless --allow-removals N allows N. Both validate the whole tree as it would be
before writing anything: an error there writes nothing (exit 1). open --dry-run prints the diff of
each file and writes nothing; close --check writes nothing and exits 1 when a review would be closed.
The scheduled workflow runs close and commits the result with the message close writes to
--message-file FILE (when it changed something): its trailer Gatehouse-Review-Close names the run
(the GitHub Actions run, else "by hand" and who), so review history and apply --record-approvals tell
that commit, once checked to do only what close does, from a push past review. --format json prints
one JSON object.
history lists the reviews that ran from --since to --until (a day: from its start, up to its end; an
instant with a time zone), from the git history of the access folder (HEAD's first-parent line): when
each opened (commit, author, due, pending), each commit that re-certified, revoked or added names, and
the commit that closed it (who it revoked; a block removed while names were still pending and members
is flagged; the scheduled close's commit is named with its run), or that it is still open. The first
and last line give the totals (opened, closed, closed without revoking, still open, overdue). Each commit's pull request, approvals and the gate's verdict for
the group come from the journal's apply runs (--record-approvals); "not recorded" when none did. The
journal is checked as journal changes checks it (--history REV: against the branch that keeps it). A
shallow clone missing the history needed exits 1.`;

/** `--due` as a day (YYYY-MM-DD): a day as given, a duration counted from `now` (the day it ends on, UTC). */
export function resolveDue(text: string, now: Date): string {
  const duration = parseDuration(text);
  const today = new Date(now.getTime() - (now.getTime() % DAY_MS));
  let day: string;
  if (duration !== undefined) day = new Date(now.getTime() + duration).toISOString().slice(0, 10);
  else {
    const problem = new UsageError(
      `--due must be a day (2026-12-11) or a duration from today (14d, 2w), not "${text}"`,
    );
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) throw problem;
    try {
      parseAt(text, "due", "start");
    } catch {
      throw problem;
    }
    day = text;
  }
  if (utcMidnight(day) < today.getTime())
    throw new UsageError(`--due ${day} has passed; give a day from today on`);
  return day;
}

export async function runReview(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      ...COMMON_OPTIONS,
      due: { type: "string" },
      group: { type: "string", multiple: true },
      check: { type: "boolean" },
      "allow-removals": { type: "string" },
      "dry-run": { type: "boolean" },
      format: { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      journal: { type: "string" },
      history: { type: "string" },
      "message-file": { type: "string" },
    },
    REVIEW_USAGE,
  );
  if (flag(args, "help")) {
    io.stdout(REVIEW_USAGE + "\n");
    return ExitCode.ok;
  }
  const [sub, ...extra] = args.positionals;
  if (extra.length > 0 || (sub !== "open" && sub !== "close" && sub !== "history"))
    throw new UsageError(
      `review needs open, close or history${sub === undefined || extra.length > 0 ? "" : suggest(sub, ["open", "close", "history"]).replace(/^ /, ". ")}\n\n${REVIEW_USAGE}`,
    );
  const historyOnly = ["since", "until", "journal", "history"].filter(
    (o) => stringOpt(args, o) !== undefined,
  );
  if (sub !== "close" && stringOpt(args, "message-file") !== undefined)
    throw new UsageError(`--message-file is for review close\n\n${REVIEW_USAGE}`);
  if (sub === "history") {
    if (stringOpt(args, "due") !== undefined || flag(args, "check") || flag(args, "dry-run"))
      throw new UsageError(`--due, --dry-run and --check are for review open and close\n\n${REVIEW_USAGE}`);
    if (intOpt(args, "allow-removals") !== undefined)
      throw new UsageError(`--allow-removals is for review close\n\n${REVIEW_USAGE}`);
    return (await import("./review-history.ts")).reviewHistory(args, io);
  }
  if (historyOnly.length > 0)
    throw new UsageError(
      `${historyOnly.map((o) => `--${o}`).join(", ")}: for review history only\n\n${REVIEW_USAGE}`,
    );
  if (sub === "open") {
    if (flag(args, "check") || intOpt(args, "allow-removals") !== undefined)
      throw new UsageError(`--check and --allow-removals are for review close\n\n${REVIEW_USAGE}`);
    return reviewOpen(args, io);
  }
  if (stringOpt(args, "due") !== undefined || listOpt(args, "group").length > 0 || flag(args, "dry-run"))
    throw new UsageError(
      `--due, --group and --dry-run are for review open (close has --check)\n\n${REVIEW_USAGE}`,
    );
  return reviewClose(args, io);
}

type OpenedText = Extract<ReviewEditResult, { readonly text: string }>;

/** The edits' unified diffs, one file after another. */
const diffsOf = (edits: readonly PreparedEdit<OpenedText>[]): string =>
  edits.map((e) => renderFileDiff(e.file, e.before, e.edited.text, e.edited.cuts).trimEnd()).join("\n");

/** Warnings the edits bring, to stderr (errors are thrown by checkEdits; they write nothing). */
function printWarnings(warnings: readonly Diagnostic[], io: CommandIo): void {
  if (warnings.length > 0) io.stderr(renderDiagnostics(warnings, "text"));
}

async function reviewOpen(args: Parsed, io: CommandIo): Promise<number> {
  const dueText = stringOpt(args, "due");
  const names = [...new Set(listOpt(args, "group"))];
  if (dueText === undefined) throw new UsageError(`review open needs --due\n\n${REVIEW_USAGE}`);
  const format = choiceOpt(args, "format", ["text", "json"] as const, "text");
  const isDryRun = flag(args, "dry-run");
  const options = engineOptions(io, stringOpt(args, "dir"), [], undefined);
  const due = resolveDue(dueText, options.now);
  const tree = await loadValidModel(options, new Set(), false);
  for (const name of names)
    if (!tree.model.groups.has(name))
      throw new UsageError(
        `no group "${name}" in the access files.${suggest(name, tree.model.groups.keys())}`,
      );
  const choices = planOpen(tree.model, names.length > 0 ? names : undefined, options.now);
  const opened = choices.filter((c) => c.kind === "open");
  const byFile = groupBy(opened, (c) => c.group.source.file);
  const edits: PreparedEdit<OpenedText>[] = [];
  for (const [file, list] of byFile)
    edits.push(
      await prepareFileEdit(
        io.cwd,
        file,
        (text) =>
          openReviewsText(
            file,
            text,
            list.map((c) => ({ group: c.group.name, pending: c.pending })),
            due,
          ),
        "write the review block",
      ),
    );
  const lines: string[] = [];
  for (const c of choices)
    if (c.kind === "skip") lines.push(`Skipped ${c.group.name}: ${c.why}.`);
    else lines.push(...describeOpen(c, due));
  if (edits.length > 0) {
    // The tree with the blocks, validated on a copy: nothing is written unless it validates.
    const warnings = await checkEdits(
      edits,
      editedTreeOptions(options),
      tree.diagnostics,
      "the review",
    ).catch((error: unknown) => {
      // A dry run still shows what it tried; the errors follow on stderr.
      if (isDryRun && format === "text" && error instanceof ConfigError)
        io.stdout(
          [
            ...lines,
            "",
            diffsOf(edits),
            "",
            "Dry run: nothing was written; the access files would not validate with them (below).",
          ].join("\n") + "\n",
        );
      throw error;
    });
    if (!isDryRun) await writeEdits(edits, "review open");
    printWarnings(warnings, io);
  }
  if (format === "json") {
    io.stdout(openJson(choices, due, [...byFile.keys()], isDryRun));
    return ExitCode.ok;
  }
  if (opened.length === 0) lines.push("No review opened.");
  else if (isDryRun)
    lines.push(
      "",
      diffsOf(edits),
      "",
      `Dry run: nothing was written; the access files validate with the ${String(opened.length)} review(s).`,
    );
  else
    lines.push(
      "",
      `Opened ${String(opened.length)} review(s). Commit them and open a pull request (${openingApproval(due, options.now)}).`,
      "Then each group's owners, in a pull request they approve: delete from pending the names they keep,",
      `and the member lines they revoke. From ${nextDay(due)} on, gatehouse review close revokes what is still pending.`,
    );
  io.stdout(lines.join("\n") + "\n");
  return ExitCode.ok;
}

/** What the pull request gate (reviewReasons) asks of the pull request that opens reviews due on `due`. */
const openingApproval = (due: string, now: Date): string =>
  isReviewDueFarEnough(due, now)
    ? "opening needs no approval"
    : `due in less than ${String(MIN_REVIEW_DAYS)} days, so each group's owners approve the opening`;

const nextDay = (day: string): string => new Date(afterDay(day)).toISOString().slice(0, 10);

/** The most revocations policy.guardrails.maxRemovals allows, out of `total` member entries. */
function revocationLimit(policy: Policy, total: number): { limit: number; why: string } | undefined {
  const rule = policy.guardrails.maxRemovals;
  if (!rule) return undefined;
  if (rule.kind === "count")
    return { limit: rule.value, why: `policy.guardrails.maxRemovals is ${String(rule.value)}` };
  const limit = Math.floor((total * rule.value) / 100);
  return {
    limit,
    why: `policy.guardrails.maxRemovals is ${String(rule.value)}% of ${String(total)} member entries = ${String(limit)}`,
  };
}

async function reviewClose(args: Parsed, io: CommandIo): Promise<number> {
  const isCheck = flag(args, "check");
  const allowed = intOpt(args, "allow-removals") ?? 0;
  const format = choiceOpt(args, "format", ["text", "json"] as const, "text");
  const messageFile = stringOpt(args, "message-file");
  if (isCheck && messageFile !== undefined)
    throw new UsageError(`--message-file is for a close that writes (not --check)\n\n${REVIEW_USAGE}`);
  const messagePath = messageFile === undefined ? undefined : path.resolve(io.cwd, messageFile);
  if (messagePath !== undefined)
    await assertReplaceable(io.cwd, messagePath, "the commit message", (start) =>
      start.startsWith(CLOSE_SUBJECT),
    );
  const options = engineOptions(io, stringOpt(args, "dir"), [], undefined);
  const tree = await loadValidModel(options, new Set(), false);
  const choices = planClose(tree.model, options.now);
  if (choices.length === 0) {
    io.stdout(format === "json" ? closeJson([], [], isCheck) : "No access review to close.\n");
    return ExitCode.ok;
  }
  const revocations = choices.reduce((n, c) => n + c.revoke.length, 0);
  let total = 0;
  for (const g of tree.model.groups.values()) total += g.members?.length ?? 0;
  const guard = revocationLimit(tree.model.config.policy, total);
  if (guard !== undefined && revocations > Math.max(guard.limit, allowed) && !isCheck)
    throw new GatehouseError(
      "GH_UNSAFE",
      `review close would revoke ${String(revocations)} membership(s), more than allowed (${guard.why}); ` +
        `check them (gatehouse review close --check); if that is intended, re-run with --allow-removals ${String(revocations)}; nothing was changed`,
      ExitCode.unsafe,
    );
  const byFile = groupBy(choices, (c) => c.group.source.file);
  const edits: FileEdit[] = [];
  for (const [file, list] of byFile)
    edits.push(
      await prepareFileEdit(
        io.cwd,
        file,
        (text) =>
          closeReviewText(
            file,
            text,
            list.map((c) => ({ group: c.group.name, revoke: new Set(c.revoke) })),
          ),
        "remove the review block and the pending members' lines",
      ),
    );
  // The tree without the blocks and lines, validated on a copy (with --check too): nothing is written
  // unless it validates.
  const warnings = await checkEdits(
    edits,
    editedTreeOptions(options),
    tree.diagnostics,
    "closing the reviews",
  );
  if (!isCheck) await writeEdits(edits, "review close");
  const totalLine = closeTotal(
    choices.length,
    byFile.size,
    revocations,
    choices.reduce((n, c) => n + c.keptThrough.length, 0),
    isCheck,
  );
  if (messagePath !== undefined)
    await writeFile(
      messagePath,
      `${CLOSE_SUBJECT}\n\n${totalLine}\n\n${REVIEW_CLOSE_TRAILER}: ${await runOf(io)}\n`,
    );
  printWarnings(warnings, io);
  const kept = await keptByAdditive(tree.model, choices, journalPathOf(options));
  if (kept.length > 0)
    io.stderr(
      `warning: where these members hold the group in a system of mode additive, apply does not remove them, since gatehouse did not apply those memberships there (they came with import, or by hand): ${kept.map((k) => `${k.user} from ${k.group} in ${k.provider}`).join(", ")}; ` +
        "remove them in those systems by hand, or set mode: authoritative (the plan notes them as kept)\n",
    );
  const guarded = guardedRevocations(
    tree.model,
    choices,
    new Set(kept.filter((k) => k.isEverywhere).map((k) => `${k.user}\n${k.group}`)),
    options.now,
  );
  if (guarded.length > 0)
    io.stderr(
      `warning: apply refuses these revocations without --force (policy.guardrails): ${guarded.join(", ")}; ` +
        "once they are checked, apply the result with --force\n",
    );
  // --check says ahead what the run itself will refuse, as plan does for apply.
  if (isCheck && guard !== undefined && revocations > Math.max(guard.limit, allowed))
    io.stderr(
      `warning: review close itself will refuse this: it revokes ${String(revocations)} membership(s), more than allowed (${guard.why}); run it with --allow-removals ${String(revocations)} once they are checked\n`,
    );
  io.stdout(
    format === "json"
      ? closeJson(choices, [...byFile.keys()], isCheck)
      : choices.map((c) => describeClose(c, isCheck)).join("\n") + "\n\n" + totalLine + "\n",
  );
  return isCheck ? ExitCode.error : ExitCode.ok;
}

/** The subject of the commit message `review close --message-file` writes. */
const CLOSE_SUBJECT = "Revoke what access reviews did not re-certify (gatehouse review close)";

/**
 * The last line of `review close`: what it did in all (at 100k people its lines run to tens of thousands).
 * `lines` revoked lines, of which `kept` are of people who keep the group another way (not a revocation).
 */
function closeTotal(reviews: number, files: number, lines: number, kept: number, isCheck: boolean): string {
  const closed = `${String(reviews)} review(s) in ${String(files)} file(s)`;
  const revoked =
    `revoking ${String(lines - kept)} membership(s)` +
    (kept === 0
      ? ""
      : ` (and the line of ${String(kept)} member${kept === 1 ? "" : "s"} who ${kept === 1 ? "keeps" : "keep"} the group otherwise)`);
  return isCheck
    ? `Would close ${closed}, ${revoked}; nothing was written.`
    : `Closed ${closed}, ${revoked}.`;
}

/**
 * Revocations apply's guard rails refuse without --force (plan/safety.ts): a member taken out of a
 * protected group, a protected user taken out of any group. Only real revocations: someone who keeps the
 * group through a role or a nested group loses no membership, and a grant whose end has passed is
 * removed as that grant's ending (never refused) or has been already. A group nested in a protected one
 * is not followed here (apply still refuses it).
 */
function guardedRevocations(
  model: AccessModel,
  choices: readonly CloseChoice[],
  neverRemoved: ReadonlySet<string>,
  now: Date,
): string[] {
  const policy = model.config.policy;
  const groups = foldedSet(policy.guardrails.protectedGroups);
  const users = foldedSet(policy.guardrails.protectedUsers);
  const out: string[] = [];
  for (const c of choices) {
    const kept = new Set(c.keptThrough.map((k) => k.user));
    const isGroup = groups.has(c.group.name.toLowerCase());
    const ended = endedGrantsOf(c.group, now);
    for (const user of c.revoke) {
      if (kept.has(user) || ended.has(user) || neverRemoved.has(`${user}\n${c.group.name}`)) continue;
      const why = [
        ...(isGroup ? ["a protected group"] : []),
        ...(users.has(user.toLowerCase()) ? ["a protected user"] : []),
      ];
      if (why.length > 0) out.push(`${user} from ${c.group.name} (${why.join(", ")})`);
    }
  }
  return out;
}

/** The users whose every line in `group` is a grant whose end has passed at `now`. */
function endedGrantsOf(group: Group, now: Date): Set<string> {
  const ended = new Set<string>();
  const open = new Set<string>();
  for (const entry of group.members ?? []) {
    if (entry.kind !== "user") continue;
    if (entry.until !== undefined && Date.parse(entry.until) <= now.getTime()) ended.add(entry.user);
    else open.add(entry.user);
  }
  for (const user of open) ended.delete(user);
  return ended;
}

/** A revocation apply will not carry out in one system (keptByAdditive). */
interface KeptRevocation {
  readonly user: string;
  readonly group: string;
  readonly provider: string;
  /** Kept in every system of the group: apply removes it nowhere, so no guard rail refuses it either. */
  readonly isEverywhere: boolean;
}

/**
 * Revocations a system of mode additive keeps: there apply removes only memberships gatehouse itself
 * applied (the journal), so a member who was in the group before gatehouse (adopted by import) or was
 * added by hand keeps it when the files drop the line, and the review's revocation would stay on paper.
 * Only real revocations (not someone who keeps the group through a role or a nested group). The journal
 * is read only when some system of a group closed is additive; one that cannot be read, or that holds
 * no run yet, says nothing here (apply and plan name the problem).
 */
async function keptByAdditive(
  model: AccessModel,
  choices: readonly CloseChoice[],
  journalPath: string,
): Promise<KeptRevocation[]> {
  const providers = model.config.providers;
  const additiveOf = (c: CloseChoice) =>
    providers.filter((p) => p.mode === "additive" && groupIsInProvider(c.group, p));
  if (!choices.some((c) => c.revoke.length > 0 && additiveOf(c).length > 0)) return [];
  // No apply recorded yet: nothing is known of what the systems hold, nor anything to say.
  const fold = await foldJournal(journalPath).catch(() => undefined);
  if (fold === undefined || fold.entries === 0) return [];
  const managed = fold.managed;
  const out: KeptRevocation[] = [];
  for (const c of choices) {
    const additive = additiveOf(c);
    const systems = providers.filter((p) => groupIsInProvider(c.group, p)).length;
    const through = new Set(c.keptThrough.map((k) => k.user));
    for (const userId of c.revoke) {
      if (through.has(userId)) continue;
      const user = model.users.get(userId);
      const keptIn = additive.filter((p) => {
        const account = user === undefined ? userId : (accountNameFor(user, p) ?? userId);
        return !managed.has(membershipAddress(p.name, c.group.name, account, "user"));
      });
      for (const p of keptIn)
        out.push({
          user: userId,
          group: c.group.name,
          provider: p.name,
          isEverywhere: keptIn.length === systems,
        });
    }
  }
  return out;
}
