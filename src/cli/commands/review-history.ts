/**
 * `gatehouse review history`: the access reviews of a period, from the git history of the access folder
 * (HEAD's first-parent line) and the approvals the journal's runs recorded (docs/formats.md).
 */
import path from "node:path";
import { ExitCode, UsageError } from "../../errors.ts";
import { DEFAULT_JOURNAL_PATH } from "../../audit/journal.ts";
import { answerableJournal } from "./journal-check.ts";
import { approvalOf, readRecordedApprovals } from "../../audit/review-approvals.ts";
import { reviewFold, type ReviewRecord } from "../../audit/review-history.ts";
import { reviewTotals } from "../../audit/review-totals.ts";
import { ReviewHistoryError, walkAccessHistory, type AccessHistory } from "../../audit/review-walk.ts";
import { isFile } from "../../io/is-file.ts";
import { jsonForTerminal } from "../../render/terminal-text.ts";
import { suggest } from "../../validate/rules/report.ts";
import { choiceOpt, listOpt, stringOpt, type Parsed } from "../args.ts";
import { windowOf } from "../instant.ts";
import type { CommandIo } from "../io.ts";
import { shownPath } from "../shown-path.ts";
import { reviewsText } from "./review-history-text.ts";

export async function reviewHistory(args: Parsed, io: CommandIo): Promise<number> {
  const format = choiceOpt(args, "format", ["text", "json"] as const, "text");
  const { since, until } = windowOf({ since: stringOpt(args, "since"), until: stringOpt(args, "until") });
  const dir = stringOpt(args, "dir") ?? "access";
  const asked = listOpt(args, "group");
  const journal = path.resolve(io.cwd, stringOpt(args, "journal") ?? DEFAULT_JOURNAL_PATH);
  const shownJournal = shownPath(io.cwd, journal);
  const hasJournal = await isFile(journal);
  if (stringOpt(args, "journal") !== undefined && !hasJournal)
    throw new UsageError(`--journal ${shownJournal}: no such file`);

  const recorded = await readRecordedApprovals(journal, hasJournal);
  const fold = reviewFold({
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    now: io.now(),
    approvalOf: (commit, group) => approvalOf(recorded, commit, group),
  });
  let history: AccessHistory;
  try {
    history = await walkAccessHistory(io.cwd, dir, (commit) => {
      fold.add(commit);
    });
  } catch (error) {
    if (error instanceof ReviewHistoryError) {
      io.stderr(`error: ${error.message}\n`);
      return ExitCode.error;
    }
    throw error;
  }
  for (const name of asked)
    if (!history.names.has(name)) {
      const hint = suggest(name, history.names);
      throw new UsageError(
        `no group "${name}" in the git history of ${history.dir}/ (under any name it had)${hint === "" ? "" : `.${hint}`}`,
      );
    }
  // A shallow clone: the commits before the cut are not here, so reviews opened (or groups changed)
  // before it cannot be told. An answer only from what is here would read as complete: refuse.
  const cut = history.cutAt;
  if (cut !== undefined) {
    const isReviewAtCut = history.first?.info.commit === cut.commit && history.first.hasReview;
    const isBeforeNeeded = since === undefined || Date.parse(cut.committedAt) > since.getTime();
    if (isReviewAtCut || isBeforeNeeded) {
      io.stderr(
        `error: this is a shallow clone: git history stops at commit ${cut.commit.slice(0, 12)} (${cut.committedAt}), ` +
          (isReviewAtCut
            ? "where a review is already open, so when and by whom it was opened is not here"
            : `after the start of the period asked (${since?.toISOString() ?? "the whole history"})`) +
          `. Fetch the history (git fetch --unshallow; in GitHub Actions, actions/checkout with fetch-depth: 0) and ask again\n`,
      );
      return ExitCode.error;
    }
  }

  // Checked as every journal question checks it (against what was read here, and --history).
  const problems = hasJournal
    ? await answerableJournal(journal, io, shownJournal, stringOpt(args, "history"))
    : [];
  const all = fold.reviews();
  const reviews = asked.length === 0 ? all : all.filter((r) => r.names.some((n) => asked.includes(n)));
  for (const u of history.unreadable)
    io.stderr(`warning: ${u}: the groups of its last version that read stand for it there\n`);
  const window = {
    ...(since === undefined ? {} : { since: since.toISOString() }),
    until: (until ?? io.now()).toISOString(),
  };
  const journalState = {
    path: shownJournal,
    present: hasJournal,
    recordsApprovals: recorded.byCommit.size > 0,
    intact: problems.length === 0,
    problems,
  };
  if (format === "json")
    io.stdout(
      jsonForTerminal(
        JSON.stringify(
          {
            formatVersion: 1,
            ...window,
            dir: history.dir,
            journal: journalState,
            totals: reviewTotals(reviews),
            reviews,
          },
          null,
          2,
        ) + "\n",
      ),
    );
  else
    io.stdout(
      reviewsText(
        reviews,
        { ...window, dir: history.dir, journal: journalState, asked },
        reviewTotals(reviews),
      ),
    );
  return problems.length === 0 ? ExitCode.ok : ExitCode.error;
}

export type { ReviewRecord };
