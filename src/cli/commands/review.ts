import { ExitCode, GatehouseError, UsageError } from "../../errors.ts";
import { loadValidModel } from "../../engine/prepare-plan.ts";
import { planClose, planOpen, type CloseChoice, type OpenChoice } from "../../engine/review.ts";
import { closeReviewText, openReviewText } from "../../engine/review-edit.ts";
import { DAY_MS, utcMidnight } from "../../lifecycle/status.ts";
import { parseDuration } from "../../load/durations.ts";
import type { Policy } from "../../model/access.ts";
import { groupBy } from "../../model/lists.ts";
import { renderDiagnostics } from "../../render/diagnostics.ts";
import { COMMON_OPTIONS, flag, intOpt, listOpt, parseCommandArgs, stringOpt, type Parsed } from "../args.ts";
import { parseAt } from "../instant.ts";
import type { CommandIo } from "../io.ts";
import { engineOptions } from "./engine-options.ts";
import { prepareFileEdit, writeAllAndCheck, type FileEdit } from "../../engine/file-edits.ts";

export const REVIEW_USAGE = `Usage: gatehouse review open --due DATE|DURATION [--group NAME ...] [--dir access]
       gatehouse review close [--check] [--allow-removals N] [--dir access]

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
writing nothing, unless --allow-removals N allows N. The whole tree must validate afterwards, or
every file is put back. --check writes nothing and exits 1 when a review would be closed. The
scheduled workflow runs it and commits the result.`;

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
    },
    REVIEW_USAGE,
  );
  if (flag(args, "help")) {
    io.stdout(REVIEW_USAGE + "\n");
    return ExitCode.ok;
  }
  const [sub, ...extra] = args.positionals;
  if (extra.length > 0 || (sub !== "open" && sub !== "close"))
    throw new UsageError(`review needs open or close\n\n${REVIEW_USAGE}`);
  if (sub === "open") {
    if (flag(args, "check") || intOpt(args, "allow-removals") !== undefined)
      throw new UsageError(`--check and --allow-removals are for review close\n\n${REVIEW_USAGE}`);
    return reviewOpen(args, io);
  }
  if (stringOpt(args, "due") !== undefined || listOpt(args, "group").length > 0)
    throw new UsageError(`--due and --group are for review open\n\n${REVIEW_USAGE}`);
  return reviewClose(flag(args, "check"), intOpt(args, "allow-removals") ?? 0, stringOpt(args, "dir"), io);
}

function describeOpen(choice: Extract<OpenChoice, { kind: "open" }>, due: string): string[] {
  const lines = [
    `${choice.group.source.file}: review of ${choice.group.name} due ${due}, ` +
      `${String(choice.pending.length)} to re-certify: ${choice.pending.join(", ")}`,
  ];
  const byWay = new Map<string, string[]>();
  for (const held of choice.elsewhere)
    for (const way of held.ways) {
      const who = held.isListed ? `${held.user} (also listed: revoking the line leaves this)` : held.user;
      byWay.set(way, [...(byWay.get(way) ?? []), who]);
    }
  for (const [way, users] of byWay)
    lines.push(`  held through ${way}: ${users.join(", ")}; review the ${way.split(" ")[0] ?? way}`);
  return lines;
}

async function reviewOpen(args: Parsed, io: CommandIo): Promise<number> {
  const dueText = stringOpt(args, "due");
  const names = [...new Set(listOpt(args, "group"))];
  if (dueText === undefined) throw new UsageError(`review open needs --due\n\n${REVIEW_USAGE}`);
  const dir = stringOpt(args, "dir");
  const options = engineOptions(io, dir, [], undefined);
  const due = resolveDue(dueText, options.now);
  const load = async () => loadValidModel(options, new Set(), false);
  const tree = await load();
  for (const name of names) if (!tree.model.groups.has(name)) throw new UsageError(`no group "${name}"`);
  const choices = planOpen(tree.model, names.length > 0 ? names : undefined, options.now);
  const opened = choices.filter((c) => c.kind === "open");
  const byFile = groupBy(opened, (c) => c.group.source.file);
  const edits: FileEdit[] = [];
  for (const [file, list] of byFile)
    edits.push(
      await prepareFileEdit(
        io.cwd,
        file,
        (text) => {
          let out: { text: string } | { problem: string } = { text };
          for (const c of list)
            if ("text" in out) out = openReviewText(file, out.text, c.group.name, due, c.pending);
          return out;
        },
        "write the review block",
      ),
    );
  const warnings = await writeAllAndCheck(
    edits,
    async () => (await load()).diagnostics,
    tree.diagnostics,
    "the review",
  );
  if (warnings.length > 0) io.stderr(renderDiagnostics(warnings, "text"));
  const lines: string[] = [];
  for (const c of choices)
    if (c.kind === "skip") lines.push(`Skipped ${c.group.name}: ${c.why}.`);
    else lines.push(...describeOpen(c, due));
  if (opened.length === 0) lines.push("No review opened.");
  else
    lines.push(
      "",
      `Opened ${String(opened.length)} review(s). Commit them and open a pull request (opening needs no approval).`,
      "Then each group's owners, in a pull request they approve: delete from pending the names they keep,",
      `and the member lines they revoke. From ${nextDay(due)} on, gatehouse review close revokes what is still pending.`,
    );
  io.stdout(lines.join("\n") + "\n");
  return ExitCode.ok;
}

const nextDay = (day: string): string => new Date(utcMidnight(day) + DAY_MS).toISOString().slice(0, 10);

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

function describeClose(c: CloseChoice, isCheck: boolean): string {
  const verb = isCheck ? "Would close" : "Closed";
  const head = `${verb} the review of ${c.group.name} (${c.group.source.file}, due ${c.due})`;
  const stale = c.stale.length > 0 ? `; no longer members: ${c.stale.join(", ")}` : "";
  if (c.revoke.length > 0)
    return `${head}: ${isCheck ? "would revoke" : "revoked"} ${c.revoke.join(", ")} (not re-certified)${stale}`;
  return `${head}: ${c.stale.length === 0 ? "everyone re-certified" : "nothing left to revoke"}${stale}`;
}

async function reviewClose(
  isCheck: boolean,
  allowed: number,
  dir: string | undefined,
  io: CommandIo,
): Promise<number> {
  const options = engineOptions(io, dir, [], undefined);
  const load = async () => loadValidModel(options, new Set(), false);
  const tree = await load();
  const choices = planClose(tree.model, options.now);
  if (choices.length === 0) {
    io.stdout("No access review to close.\n");
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
  if (!isCheck) {
    const warnings = await writeAllAndCheck(
      edits,
      async () => (await load()).diagnostics,
      tree.diagnostics,
      "closing the reviews",
    );
    if (warnings.length > 0) io.stderr(renderDiagnostics(warnings, "text"));
  }
  io.stdout(choices.map((c) => describeClose(c, isCheck)).join("\n") + "\n");
  return isCheck ? ExitCode.error : ExitCode.ok;
}
