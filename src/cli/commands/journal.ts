import { readFile } from "node:fs/promises";
import path from "node:path";
import { ExitCode, GatehouseError, UsageError } from "../../errors.ts";
import { parseAt, windowOf } from "../instant.ts";
import { DEFAULT_JOURNAL_PATH, repairJournalTail } from "../../audit/journal.ts";
import type { DrillSystem } from "../../audit/journal-entry.ts";
import { foldJournal } from "../../audit/journal-fold.ts";
import { commitsOffHistory } from "../../audit/git.ts";
import { verifyJournalHistory } from "../../audit/journal-history.ts";
import { rememberVerified } from "../../audit/verified-prefix.ts";
import { inlineText, jsonForTerminal } from "../../render/terminal-text.ts";
import { firstFew } from "../../model/lists.ts";
import {
  adoptedLaterLines,
  heldLines,
  outsideLines,
  runText,
  unconfirmedLines,
} from "./journal-access-text.ts";
import { refusalChangeLine, refusalLines } from "./journal-refusal-text.ts";
import { throughLines } from "./journal-nested-text.ts";
import { DEFAULT_CACHE_DIR } from "../../load/load-tree.ts";
import { answerableJournal, checkJournal, isMissing, readWholeHere } from "./journal-check.ts";
import { choiceOpt, flag, parseCommandArgs, stringOpt, type Parsed } from "../args.ts";
import { accessAt, laterNamesOf, type HeldMembership } from "../../audit/access-at.ts";
import { lineCommitsOf } from "../../audit/line-approvals.ts";
import { lineRemovalsOf, type LineRemoval } from "../../audit/line-removals.ts";
import { accessDuring } from "../../audit/access-during.ts";
import { describeChange, describeWhy, symbolOf } from "../../render/describe.ts";
import {
  leaversOffboarded,
  missingOffboardings,
  selectLeavers,
  type LeaverQuery,
  type LeaverRecord,
  type MissingOffboarding,
} from "../../audit/leaver-report.ts";
import { loadValidModel } from "../../engine/prepare-plan.ts";
import type { User } from "../../model/access.ts";
import { engineOptions } from "./engine-options.ts";
import { changesBetween, type RecordedUnconfirmed } from "../../audit/changes-between.ts";
import { leaversJson, leaversText } from "./journal-leavers-text.ts";
import { runRecordOf } from "../../audit/run-record.ts";
import { runRecordJson, runRecordText } from "./journal-run-text.ts";
import { checkHeading, describeCheck } from "../../apply/describe-check.ts";
import type { CommandIo } from "../io.ts";
import { isDirectory } from "../../io/is-file.ts";
import { runCloseVerdict } from "./close-verdict.ts";
import { runCloseDelivery } from "./close-delivery.ts";
import { runEvidence } from "./evidence.ts";
import { shownPath } from "../shown-path.ts";
import { suggest } from "../../validate/rules/report.ts";

export const JOURNAL_USAGE = `Usage: gatehouse journal verify [--journal .gatehouse/journal.jsonl] [--history REV]
       gatehouse journal repair [--journal .gatehouse/journal.jsonl]
       gatehouse journal access GROUP --at DATE [--provider NAME] [--history REV] [--format text|json]
       gatehouse journal access GROUP --since DATE --until DATE [--provider NAME] [--history REV]
                                      [--format text|json]
       gatehouse journal changes [--since DATE] [--until DATE] [--user ID] [--group NAME]
                                 [--provider NAME] [--unapproved] [--history REV] [--format text|json]
       gatehouse journal leavers [--since DATE] [--until DATE] [--user ID] [--dir access]
                                 [--history REV] [--format text|json]
       gatehouse journal run SEQ [--history REV] [--format text|json]
       gatehouse journal evidence --since DATE --until DATE --out DIR [--dir access] [--history REV]
       gatehouse journal close-verdict --provider NAME --account ACCOUNT --reason TEXT
                                       [--journal .gatehouse/journal.jsonl]
       gatehouse journal close-delivery --delivery ID --reason TEXT
                                        [--journal .gatehouse/journal.jsonl]

verify walks the hash chain of the apply journal and reports any edited, removed, inserted or
reordered entry, or a torn last line; a missing or empty journal, or one shorter than gatehouse last
read it on this machine (.gatehouse/cache), fails too. Exit 0 when intact, 1 otherwise. --history REV
(e.g. origin/gatehouse-journal, where the workflows keep it) also checks that every commit of that
branch holds the journal of the one before with entries only added at its end, and that the journal
here begins with the branch's last: what a fresh clone can prove, where no cache of this machine is.
repair cuts off a torn last line left by a crash mid-write (kept in <journal>.torn); nothing else. It
refuses a line gatehouse already read whole on this machine: that is no crash's torn write.
access answers "who had access to GROUP on DATE" from the journal: each member then, since when, why,
and the run (commit, actor) that added them; where the system nests groups, also each person in a group
it nests, through which; and the guard-rail refusals that kept members in it. DATE is an instant (2026-03-01T12:00:00Z) or a day
(2026-03-01: the end of that day, UTC). With --since and --until instead (a day: from its start, up
to its end): everyone who held GROUP at any moment of that window, each stretch from the journal.
Only what gatehouse applied is in the journal, and what a run found and removed: a member held
outside gatehouse (by hand) is named, uncertain, from the last entry showing it was not held.
changes lists the changes the journal records from --since to --until (a day: from its start, up to
its end), of one person (--user: their id or an account), one group or one system, with each outcome
and the run (commit, actor) that made it, and the guard-rail refusals of runs that made only part of
their plan; a run whose commits did not all come in through a pull request approved as the gate
requires (or applied uncommitted files) is said on each of its changes;
--unapproved lists only those changes, and those of runs that recorded no approvals. Both check the journal's chain first, as verify does
(with --history REV also against the branch that keeps it: on a fresh clone only that catches entries
cut off its end or a chain rewritten whole), and exit 1 when it is not intact, or when a group, person (changes) or provider they ask about is named by no
entry at all (a typo, most likely).
leavers lists the leavers offboarded from --since to --until (by when the run that took their access
away started), one of them with --user (their id or an account): the HR event and last day, that run
and how long after the end of the last day it started (LATE past a day), each system's check of their
account (clean, access left, the re-checks, a verdict closed by hand) and the offboarding webhooks'
deliveries; then the leavers the access files (--dir) have whom gatehouse managed an account for and
never offboarded. It checks the journal's chain first (and --history), as changes does; exit 1 when not
intact.
run shows one apply run (SEQ: its run number, the seq of its apply-start, as journal changes names it):
who ran it, the commit, each commit's pull request and approvals as the gate counted them, the guard-rail
overrides and refusals, what it recorded and how it ended.
evidence writes an auditor's evidence for the period into DIR (a new or empty folder): verify, changes,
the unapproved changes, leavers, the review history and, for each privileged or protected group of the
access files (--dir), who held it in the period, each in text and JSON, as those commands answer, with
an index (README.md), manifest.json (each file's command, exit code and sha256, the journal's sha256, the
commit) and SHA256SUMS. Exit 1 when the journal is not intact; a question answered with an error is
listed in the index, its stderr kept beside it.
close-verdict closes by hand an open offboarding verdict (a leaver account whose last check found access
left, or could not check it) that no apply can settle: it records who (as apply records its actor),
when, why (--reason) and which verdict entry it closes. Plans no longer note it, applies no longer check
it. It holds the apply lock while it appends; exit 1 when there is no such open verdict.
close-delivery closes by hand an offboarding webhook delivery still owed (rejected by the receiver, or
failed; ID is the delivery id apply printed): it records who, when, why and which delivery entry it
closes. No apply sends it again. The same lock; exit 1 when no such delivery is owed.`;

export async function runJournal(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      journal: { type: "string" },
      at: { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      user: { type: "string" },
      group: { type: "string" },
      provider: { type: "string" },
      account: { type: "string" },
      reason: { type: "string" },
      delivery: { type: "string" },
      unapproved: { type: "boolean" },
      history: { type: "string" },
      format: { type: "string" },
      dir: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    JOURNAL_USAGE,
  );
  if (flag(args, "help")) {
    io.stdout(JOURNAL_USAGE + "\n");
    return ExitCode.ok;
  }
  const sub = args.positionals[0];
  if (
    sub !== "verify" &&
    sub !== "repair" &&
    sub !== "access" &&
    sub !== "changes" &&
    sub !== "leavers" &&
    sub !== "run" &&
    sub !== "evidence" &&
    sub !== "close-verdict" &&
    sub !== "close-delivery"
  ) {
    const subs = [
      "verify",
      "repair",
      "access",
      "changes",
      "leavers",
      "run",
      "evidence",
      "close-verdict",
      "close-delivery",
    ];
    const hint = sub === undefined ? "" : suggest(sub, subs);
    throw new UsageError(
      (sub === undefined
        ? `journal needs a subcommand: ${subs.slice(0, -1).join(", ")} or ${subs.at(-1) ?? ""}`
        : `unknown journal subcommand "${sub}"${hint === "" ? "" : `.${hint}`}`) + `\n\n${JOURNAL_USAGE}`,
    );
  }
  const file = path.resolve(io.cwd, stringOpt(args, "journal") ?? DEFAULT_JOURNAL_PATH);
  if (sub === "close-verdict") return runCloseVerdict(args, io, file, JOURNAL_USAGE);
  if (sub === "close-delivery") return runCloseDelivery(args, io, file, JOURNAL_USAGE);
  if (sub === "access") return runAccess(args, io, file);
  if (sub === "changes") return runChanges(args, io, file);
  if (sub === "leavers") return runLeavers(args, io, file);
  if (sub === "run") return runRun(args, io, file);
  if (sub === "evidence") return runEvidence(args, io, file, JOURNAL_USAGE);
  if (sub === "repair") {
    const repair = await repairJournalTail(file, await readWholeHere(file, io.cwd));
    io.stdout(
      repair.completed
        ? "the last entry was whole but for its newline; wrote the newline, nothing cut\n"
        : repair.cut === 0
          ? "journal tail is intact; nothing to repair\n"
          : `cut ${String(repair.cut)} byte(s) of a torn last line (kept in ${shownPath(io.cwd, file)}.torn)\n`,
    );
    return ExitCode.ok;
  }
  const shown = shownPath(io.cwd, file);
  if (await isMissing(file, shown, io.stdout)) return ExitCode.error;
  const { result, problems } = await checkJournal(file, io, shown, io.stdout);
  for (const p of problems) io.stdout(`${shown}:${String(p.line)} ${p.message}\n`);
  // The access files each run applied must still be in the repository's history: a commit rewritten
  // away (amend, rebase, force push) after it was applied leaves the journal pointing at nothing.
  const off = await commitsOffHistory(io.cwd, result.commits);
  for (const commit of off ?? [])
    io.stdout(
      `${shown}: warning: commit ${commit.slice(0, 12)}, which a run applied, is not in the history of HEAD here (rewritten, or on another branch)\n`,
    );
  // What such a run applied is in the journal only: no commit holds the files it was made from.
  for (const run of result.dirtyRuns)
    io.stdout(
      `${shown}:${String(run.line)} warning: the run started at ${inlineText(run.at)} by ${inlineText(run.actor)} (seq ${String(run.seq)}) applied access files with uncommitted changes (+dirty): what it applied is in no commit, so git history cannot show the files it was made from\n`,
    );
  // A run without an apply-end died (killed, crashed) or is still running; the next apply records its end.
  for (const run of result.unfinished) {
    io.stdout(
      `${shown}:${String(run.line)} warning: the run started at ${inlineText(run.at)} by ${inlineText(run.actor)} (seq ${String(run.seq)}) has no apply-end: it was killed or crashed, or is still running. ` +
        `Its last entry is from ${inlineText(run.lastAt)}; ${String(run.applied)} applied, ${String(run.failed)} failed` +
        (run.unconfirmed.length > 0
          ? `, ${String(run.unconfirmed.length)} announced with no outcome, which may or may not have been made (${firstFew(run.unconfirmed.map(inlineText))})`
          : "") +
        `. The next apply records its end as interrupted\n`,
    );
  }
  const history = stringOpt(args, "history");
  const kept =
    history === undefined ? undefined : await verifyJournalHistory(io.cwd, history, await readFile(file));
  for (const p of kept?.problems ?? []) io.stdout(`${shown}: ${history ?? ""}: ${p.message}\n`);
  if (kept?.problems.length === 0)
    io.stdout(
      `${shown}: ${history ?? ""}: ${String(kept.commits)} commit(s), each holding the journal of the one before with entries added at its end; the journal here begins with its last (${String(kept.bytes)} bytes)\n`,
    );
  const isIntact = problems.length === 0 && (kept?.problems.length ?? 0) === 0;
  io.stdout(
    problems.length === 0
      ? `${shown}: ${String(result.entries)} entries, hash chain intact${isIntact ? "" : ", but NOT as the branch kept it"}\n`
      : `${shown}: journal is NOT intact (${String(problems.length)} problem(s))\n`,
  );
  if (isIntact) await rememberVerified(file, path.resolve(io.cwd, DEFAULT_CACHE_DIR), result);
  return isIntact ? ExitCode.ok : ExitCode.error;
}

/** The --since and --until of a journal question, checked (windowOf). */
function windowOfArgs(args: Parsed): { since?: Date; until?: Date } {
  return windowOf({ since: stringOpt(args, "since"), until: stringOpt(args, "until") });
}

async function runRun(args: Parsed, io: CommandIo, file: string): Promise<number> {
  const [, text, ...more] = args.positionals;
  const seq = Number((text ?? "").replace(/^#/, ""));
  if (text === undefined || more.length > 0 || !Number.isSafeInteger(seq) || seq < 1)
    throw new UsageError(
      `journal run takes one run number (the seq of its apply-start, as journal changes names it: run #12)\n\n${JOURNAL_USAGE}`,
    );
  const format = choiceOpt(args, "format", ["text", "json"] as const, "text");
  const shown = shownPath(io.cwd, file);
  if (await isMissing(file, shown, io.stderr)) return ExitCode.error;
  const problems = await answerableJournal(file, io, shown, stringOpt(args, "history"));
  const run = await runRecordOf(file, seq);
  if (run === undefined) {
    io.stderr(
      `${shown}: no run started at seq ${String(seq)} (no apply-start there): journal changes names each change's run\n`,
    );
    return ExitCode.error;
  }
  io.stdout(format === "json" ? runRecordJson(run, problems) : runRecordText(run));
  return problems.length === 0 ? ExitCode.ok : ExitCode.error;
}

async function runLeavers(args: Parsed, io: CommandIo, file: string): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError(`journal leavers takes no names\n\n${JOURNAL_USAGE}`);
  const format = choiceOpt(args, "format", ["text", "json"] as const, "text");
  const shown = shownPath(io.cwd, file);
  const window = windowOfArgs(args);
  const user = stringOpt(args, "user");
  if (await isMissing(file, shown, io.stderr)) return ExitCode.error;
  const problems = await answerableJournal(file, io, shown, stringOpt(args, "history"));
  const query = { ...window, ...(user === undefined ? {} : { user }) };
  // The journal read once; the window and the person picked from every record.
  const all = await leaversOffboarded(file);
  const records = selectLeavers(all, query);
  const missing = await notOffboarded(args, io, file, query, all);
  // A person no offboarding ever named (a typo, most likely) is said so: "0 leavers" would read as an answer.
  const isUnknown =
    user !== undefined &&
    records.length === 0 &&
    (missing ?? []).length === 0 &&
    selectLeavers(all, { user }).length === 0;
  if (isUnknown)
    io.stderr(
      `${shown}: no offboarding of ${inlineText(user)} was ever recorded here, on any date: check the name (a user id or an account, matched exactly)\n`,
    );
  io.stdout(
    format === "json"
      ? leaversJson(records, missing, window, problems)
      : leaversText(records, missing, window, shown),
  );
  return problems.length === 0 && !isUnknown ? ExitCode.ok : ExitCode.error;
}

/**
 * The leavers the access files (--dir) have with accounts gatehouse managed and never offboarded (all of
 * theirs, or some), as missingOffboardings finds them; undefined, said on stderr, when the files cannot be read whole.
 */
async function notOffboarded(
  args: Parsed,
  io: CommandIo,
  file: string,
  query: LeaverQuery,
  offboardings: readonly LeaverRecord[],
): Promise<MissingOffboarding[] | undefined> {
  const dir = stringOpt(args, "dir") ?? "access";
  const skip = (why: string): void => {
    io.stderr(
      `note: ${why}: the leavers the access files have whom gatehouse never offboarded are not listed (--dir)\n`,
    );
  };
  if (!(await isDirectory(path.resolve(io.cwd, dir)))) {
    skip(`no access folder at ${dir}`);
    return undefined;
  }
  let users: Iterable<User>;
  try {
    users = (await loadValidModel(engineOptions(io, dir, [], file), new Set(), false)).model.users.values();
  } catch (error) {
    if (!(error instanceof GatehouseError)) throw error;
    skip(`the access files in ${dir} do not validate (run gatehouse validate)`);
    return undefined;
  }
  const fold = await foldJournal(file, path.resolve(io.cwd, DEFAULT_CACHE_DIR));
  return missingOffboardings(users, fold, offboardings, query, query.until ?? io.now());
}

async function runChanges(args: Parsed, io: CommandIo, file: string): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError(`journal changes takes no names\n\n${JOURNAL_USAGE}`);
  const format = choiceOpt(args, "format", ["text", "json"] as const, "text");
  const shown = shownPath(io.cwd, file);
  const window = windowOfArgs(args);
  if (await isMissing(file, shown, io.stderr)) return ExitCode.error;
  const problems = await answerableJournal(file, io, shown, stringOpt(args, "history"));
  const intact = problems.length === 0;
  const query = {
    ...window,
    ...optional("user", stringOpt(args, "user")),
    ...optional("group", stringOpt(args, "group")),
    ...optional("provider", stringOpt(args, "provider")),
    ...(flag(args, "unapproved") ? { unapproved: true } : {}),
  };
  const { unknown, ...found } = await changesBetween(file, query);
  // A name no entry ever had (a typo, most likely) is said so, as journal access says it: "0 changes"
  // would read as an answer.
  for (const filter of unknown)
    io.stderr(
      `${shown}: no change, check or delivery ${UNKNOWN_FILTER_TEXT[filter]} ${inlineText(query[filter] ?? "")} was ever recorded here, on any date: check the name (names are matched exactly)\n`,
    );
  const isAnswered = intact && unknown.length === 0;
  // --unapproved: the changes of such runs only (checks, refusals, drills, deliveries and closures are no
  // run's commits; changesBetween keeps the unconfirmed changes of such runs, as it keeps their changes).
  const result =
    query.unapproved === true
      ? {
          ...found,
          offboarding: [],
          refusals: [],
          closures: [],
          drills: [],
          deliveries: [],
          deliveryClosures: [],
        }
      : found;
  if (format === "json") {
    io.stdout(
      jsonForTerminal(
        JSON.stringify(
          {
            formatVersion: 1,
            ...query, // since and until as ISO instants (Date.toJSON)
            ...result,
            intact,
            problems,
          },
          null,
          2,
        ) + "\n",
      ),
    );
    return isAnswered ? ExitCode.ok : ExitCode.error;
  }
  // Changes and offboarding checks in journal order.
  const shownLines: { seq: number; text: string }[] = [
    ...result.changes.map((r) => {
      const run = `journal #${String(r.seq)}, run #${String(r.runSeq)}${runText(r)}${approvalText(r)}`;
      const outcome =
        r.outcome === "applied"
          ? ""
          : ` ${r.outcome.toUpperCase()}${r.error === undefined ? "" : `: ${r.error}`}`;
      return {
        seq: r.seq,
        text: `${r.at}  ${r.provider}  ${symbolOf(r.change)} ${describeChange(r.change)}  (${describeWhy(r.change)}; ${run})${outcome}`,
      };
    }),
    ...result.offboarding.map((c) => ({
      seq: c.seq,
      text:
        `${c.at}  offboarding check: ${checkHeading(c)}: ${describeCheck(c)}` +
        (c.leaving === undefined
          ? ""
          : `; leaver: ${c.leaving}${c.lateBy === undefined ? "" : ` (${c.lateBy})`}`) +
        `  (journal #${String(c.seq)}, run #${String(c.runSeq)}${runText({ ...(c.commit === undefined ? {} : { commit: c.commit }), ...(c.actor === undefined ? {} : { actor: c.actor }), ...(c.drill === true ? { drill: c.userId ?? c.account } : {}) })}, triggered ${c.triggeredAt})`,
    })),
    // A run the guard rails refused made only part of its plan: what it did not make, and why, before its
    // changes (its apply-start comes first).
    ...result.refusals.map((r) => ({
      seq: r.seq,
      text: refusalChangeLine(r, query.user !== undefined || query.group !== undefined),
    })),
    ...result.drills.map((d) => ({
      seq: d.seq,
      text: `${d.at}  fire drill of canary ${d.canary}: ${d.outcome}; ${d.systems.map(drillSystemText).join("; ")}; restore ${d.restore.outcome}${d.error === undefined ? "" : `; error: ${d.error}`}  (journal #${String(d.seq)}${d.runSeq === undefined ? "" : `, run #${String(d.runSeq)}`}, by ${d.actor}, started ${d.startedAt})`,
    })),
    ...result.deliveries.map((d) => ({
      seq: d.seq,
      text: `${d.at}  webhook ${d.webhook}: ${d.userId} offboarded, ${d.outcome === "delivered" ? "delivered" : d.outcome.toUpperCase()} (${d.status === undefined ? (d.error ?? "no answer") : `HTTP ${String(d.status)}`}, ${String(d.attempts)} attempt(s))  (journal #${String(d.seq)}, run #${String(d.runSeq)}, delivery ${d.delivery}, triggered ${d.triggeredAt})`,
    })),
    ...result.deliveryClosures.map((c) => ({
      seq: c.seq,
      text: `${c.at}  webhook delivery closed by hand: ${c.webhook}: ${c.userId}, delivery ${c.delivery}, journal #${String(c.closes)}: ${c.reason}  (journal #${String(c.seq)}, by ${c.actor})`,
    })),
    ...result.unconfirmed.map((u) => ({
      seq: u.seq,
      text: `${u.at}  ${u.provider}  ? ${unconfirmedText(u)}  UNCONFIRMED: the run was killed before it recorded the outcome; it may or may not have been made  (journal #${String(u.seq)}, run #${String(u.runSeq)}${runText(u)}${approvalText(u)})`,
    })),
    ...result.closures.map((c) => ({
      seq: c.seq,
      text: `${c.at}  offboarding verdict closed by hand: ${c.provider}: ${c.account}${c.userId === undefined || c.userId === c.account ? "" : ` (${c.userId})`}, journal #${String(c.closes)}: ${c.reason}  (journal #${String(c.seq)}, by ${c.actor})`,
    })),
  ].sort((a, b) => a.seq - b.seq);
  const lines = shownLines.map((l) => inlineText(l.text));
  const { since, until } = window;
  const span = `${since === undefined ? "the start" : since.toISOString()} to ${until === undefined ? "the end" : until.toISOString()}`;
  const checks =
    (result.offboarding.length === 0
      ? ""
      : ` and ${String(result.offboarding.length)} offboarding check(s)`) +
    (result.refusals.length === 0
      ? ""
      : ` and ${String(result.refusals.length)} guard-rail refusal(s) of runs that made only part of their plan or none of it`) +
    (result.closures.length === 0 ? "" : ` and ${String(result.closures.length)} verdict(s) closed by hand`) +
    (result.drills.length === 0 ? "" : ` and ${String(result.drills.length)} fire drill(s)`) +
    (result.deliveries.length === 0 ? "" : ` and ${String(result.deliveries.length)} webhook delivery(ies)`) +
    (result.deliveryClosures.length === 0
      ? ""
      : ` and ${String(result.deliveryClosures.length)} delivery(ies) closed by hand`) +
    (result.unconfirmed.length === 0
      ? ""
      : ` and ${String(result.unconfirmed.length)} unconfirmed change(s)`);
  lines.push(
    `${String(result.changes.length)} change(s)${checks} from ${span}, of ${String(result.entries)} journal entries in ${shown}.`,
  );
  // Runs without --record-approvals: the journal cannot tell how their commits got in (each says so in JSON).
  const unrecorded = result.changes.filter((r) => r.approval === "not-recorded").length;
  if (query.unapproved === true && unrecorded > 0)
    lines.push(
      `${String(unrecorded)} of them by runs that recorded no approvals (apply without --record-approvals, or a gatehouse older than it): the journal cannot say how their commits got in.`,
    );
  io.stdout(lines.join("\n") + "\n");
  return isAnswered ? ExitCode.ok : ExitCode.error;
}

/** How `journal changes` names a filter no entry ever had. */
const UNKNOWN_FILTER_TEXT = {
  user: "of a person or account named",
  group: "of a group named",
  provider: "of a provider named",
} as const;

/** A run whose commits did not all come in as the gate requires, as `journal changes` says it on each change. */
const APPROVAL_TEXT = {
  unapproved: (run: number) =>
    `run's commits NOT all approved as the gate requires (journal run ${String(run)} shows how each got in)`,
  dirty: () => "run applied uncommitted access files",
} as const;

/** "+ add bob to ops": an unconfirmed change as its address tells it; else the address and which way it goes. */
function unconfirmedText(u: RecordedUnconfirmed): string {
  if (u.group !== undefined && u.member !== undefined) {
    const member = u.memberKind === "group" ? `group ${u.member}` : u.member;
    return u.action === "grants" ? `+ add ${member} to ${u.group}` : `- remove ${member} from ${u.group}`;
  }
  return `${u.action === "grants" ? "+" : "-"} ${u.id} (${u.action === "grants" ? "gives access" : "takes access away"})`;
}

/** ", run's commits NOT all approved ...", or nothing: what `journal changes` says of a change's run. */
function approvalText(r: {
  readonly runSeq: number;
  readonly approval?: string;
  readonly approvalFrom?: number;
  readonly commit?: string;
}): string {
  if (r.approval === "dirty") return `, ${APPROVAL_TEXT.dirty()}`;
  if (r.approval !== "unapproved") return "";
  // A run that applied no new commit: its changes came with the commits of the run that first applied it.
  return r.approvalFrom === undefined
    ? `, ${APPROVAL_TEXT.unapproved(r.runSeq)}`
    : `, run's files (commit ${(r.commit ?? "?").slice(0, 12)}) came in with run #${String(r.approvalFrom)}, whose commits were NOT all approved as the gate requires (journal run ${String(r.approvalFrom)} shows how each got in)`;
}

/** One system of a drill, as `journal changes` lists it: "app: canary disabled 1200 ms, clean 3400 ms". */
function drillSystemText(s: DrillSystem): string {
  const ms = (v: number | undefined): string => (v === undefined ? "-" : `${String(v)} ms`);
  return (
    `${s.provider}: ${s.account} disabled ${ms(s.disabledAfterMs)}, memberships removed ${ms(s.membershipsRemovedAfterMs)}, ` +
    (s.clean ? `clean ${ms(s.cleanAfterMs)}` : "NOT clean")
  );
}

const optional = <K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, string>>;

/** What `journal access` takes, in one line: its mistakes are answered without the whole usage. */
const ACCESS_FORM =
  "(e.g. gatehouse journal access GROUP --at 2026-03-01; journal --help shows every option)";

async function runAccess(args: Parsed, io: CommandIo, file: string): Promise<number> {
  const group = args.positionals[1];
  if (group === undefined || args.positionals.length > 2)
    throw new UsageError(`journal access takes one group name ${ACCESS_FORM}`);
  const format = choiceOpt(args, "format", ["text", "json"] as const, "text");
  const atText = stringOpt(args, "at");
  const sinceText = stringOpt(args, "since");
  const untilText = stringOpt(args, "until");
  const isWindow = sinceText !== undefined || untilText !== undefined;
  if (atText !== undefined && isWindow)
    throw new UsageError(
      `journal access takes either --at (an instant) or --since/--until (a window), not both ${ACCESS_FORM}`,
    );
  if (atText === undefined && !isWindow)
    throw new UsageError(`journal access needs --at DATE, or --since DATE and --until DATE ${ACCESS_FORM}`);
  // A day as --since is its start, as --until its end (as for journal changes); no --since: the journal's
  // start; no --until: now.
  const since = sinceText === undefined ? new Date(0) : parseAt(sinceText, "since", "start");
  const at =
    atText !== undefined
      ? parseAt(atText)
      : untilText === undefined
        ? io.now()
        : parseAt(untilText, "until", "end");
  if (since > at)
    throw new UsageError(`--since (${since.toISOString()}) is after --until (${at.toISOString()})`);
  const shown = shownPath(io.cwd, file);
  if (await isMissing(file, shown, io.stderr)) return ExitCode.error;
  const provider = stringOpt(args, "provider");
  // The journal holds what happened up to now: an instant later is answered with the state as it stands.
  if (at.getTime() > io.now().getTime())
    io.stderr(
      `${shown}: ${at.toISOString()} is in the future: the answer is who holds the group now, as far as the journal knows; grants that will have ended by then are still listed\n`,
    );
  // The answer is only as good as the journal: one edited, cut or reordered is said so, and exits 1.
  const problems = await answerableJournal(file, io, shown, stringOpt(args, "history"));
  const intact = problems.length === 0;
  // Asked by a name the group had then and lost since: answered for it under its name today.
  const later = await laterNamesOf(file, {
    group,
    at: isWindow ? since : at,
    ...(provider === undefined ? {} : { provider }),
  });
  if (later !== undefined)
    io.stderr(
      `${shown}: ${inlineText(group)} was renamed since ${isWindow ? "the window's start" : "then"} (${later.renames
        .map((r) => `to ${inlineText(r.to)} at ${r.at}, journal #${String(r.seq)}`)
        .join("; then ")}): answering for the group called ${inlineText(later.now)} now\n`,
    );
  const asked = later?.now ?? group;
  const query = { group: asked, ...(provider === undefined ? {} : { provider }) };
  const result = isWindow
    ? await accessDuring(file, { ...query, since, until: at })
    : await accessAt(file, { ...query, at });
  // A misspelt group or provider must not read as "nobody held it": say so, and exit 1.
  const isUnknownProvider = provider !== undefined && !result.providers.includes(provider);
  if (isUnknownProvider)
    io.stderr(
      `${shown}: no change for a provider named ${inlineText(provider)} was ever recorded here (the journal has: ${result.providers.map(inlineText).join(", ") || "none"})\n`,
    );
  else if (!result.isMentioned && result.entries > 0)
    io.stderr(
      `${shown}: no change to a group named ${inlineText(group)} was ever recorded here${provider === undefined ? "" : ` in ${inlineText(provider)}`}, on any date: check the name (names are matched exactly)\n`,
    );
  const isAnswered = intact && !isUnknownProvider && (result.isMentioned || result.entries === 0);
  // The pull request that wrote each member's line, where git can tell (the run may have applied several).
  const lineCommits = await lineCommitsOf(
    io.cwd,
    result.groups.flatMap((g): readonly HeldMembership[] => [...g.members, ...g.through]),
  );
  // The commit that took each removed member's line out of the files (an access review's close, say).
  const lineRemovals = new Map<HeldMembership, LineRemoval>();
  for (const g of result.groups)
    if ("names" in g)
      for (const [m, removal] of await lineRemovalsOf(io.cwd, g.members, new Set([...g.names, g.group])))
        lineRemovals.set(m, removal);
  if (format === "json") {
    const groups = result.groups.map((g) => ({
      ...g,
      members: g.members.map((m: HeldMembership) => {
        const line = lineCommits.get(m);
        const removal = lineRemovals.get(m);
        return {
          ...m,
          ...(line === undefined ? {} : { lineCommit: line }),
          ...(removal === undefined ? {} : { lineRemoval: removal }),
        };
      }),
      through: g.through.map((t: HeldMembership) => {
        const line = lineCommits.get(t);
        return { ...t, ...(line === undefined ? {} : { lineCommit: line }) };
      }),
    }));
    io.stdout(
      jsonForTerminal(
        JSON.stringify({ formatVersion: 1, group, ...result, groups, intact, problems }, null, 2) + "\n",
      ),
    );
    return isAnswered ? ExitCode.ok : ExitCode.error;
  }
  const end = "since" in result ? result.until : result.at;
  const when = "since" in result ? `from ${result.since} to ${result.until}` : `at ${result.at}`;
  const lines: string[] = [];
  for (const g of result.groups) {
    const called = g.group === group ? "" : ` (then called ${g.group})`;
    const later = "adoptedLater" in g ? g.adoptedLater : [];
    if (!g.isKnown && g.unconfirmed.length === 0 && g.outside.length === 0 && g.nested.length === 0) {
      lines.push(
        `${group}${called} in ${g.provider} ${when}: gatehouse had not changed it by then`,
        ...adoptedLaterLines(g.provider, later),
        ...refusalLines(g.group, g.refused, "names" in g),
      );
      continue;
    }
    if ("names" in g) {
      const people = new Set(g.members.map((m) => `${m.memberKind}\n${m.member}`)).size;
      const names = g.names.length > 1 ? ` (called ${g.names.join(", then ")})` : "";
      lines.push(
        `${group}${names} in ${g.provider} ${when}: ${String(people)} member(s) ${membersText(g.members)} held it at some moment, in ${String(g.members.length)} stretch(es)`,
      );
      for (const m of g.members)
        lines.push(
          ...heldLines(
            m,
            end,
            {
              ...(m.to === undefined ? {} : { to: m.to }),
              ...(m.endedBy === undefined ? {} : { endedBy: m.endedBy }),
            },
            lineCommits.get(m),
            lineRemovals.get(m),
          ),
        );
    } else {
      lines.push(
        `${group}${called} in ${g.provider} ${when}: ${String(g.members.length)} member(s) ${membersText(g.members)}`,
      );
      for (const m of g.members) lines.push(...heldLines(m, end, undefined, lineCommits.get(m)));
    }
    lines.push(
      ...throughLines(g.group, g, end, "names" in g, lineCommits),
      ...adoptedLaterLines(g.provider, later),
      ...unconfirmedLines(g.provider, g.unconfirmed),
      ...outsideLines(g.provider, g.outside),
      ...refusalLines(g.group, g.refused, "names" in g),
    );
  }
  if (result.groups.length === 0)
    lines.push(
      `${group}: gatehouse had applied no change to it${provider === undefined ? "" : ` in ${provider}`} by ${end}`,
    );
  lines.push(
    `From ${shown} (${String(result.entries)} entries). Only what gatehouse applied is there, what the run that took a group on found in it (held since before gatehouse; a journal written before gatehouse recorded that gets it at its next apply), and what a run found and removed; a member added by hand shows once a run removed them (held outside gatehouse, since when unknown), not if it was undone before any run; a removal made by hand shows only once a later run put the member back.`,
  );
  io.stdout(lines.join("\n") + "\n");
  return isAnswered ? ExitCode.ok : ExitCode.error;
}

/** "gatehouse applied", or how many of them gatehouse applied and how many were held before it. */
function membersText(members: readonly HeldMembership[]): string {
  const count = (list: readonly HeldMembership[]): number =>
    new Set(list.map((m) => `${m.memberKind}\n${m.member}`)).size;
  const adopted = members.filter((m) => m.reason === "adopted");
  if (adopted.length === 0) return "gatehouse applied";
  const applied = members.filter((m) => m.reason !== "adopted");
  return `(${String(count(applied))} gatehouse applied, ${String(count(adopted))} held since before gatehouse)`;
}
