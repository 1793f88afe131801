import { AddressSet } from "./address-set.ts";
import type { ChainFields, JournalEntry } from "./journal-entry.ts";
import { follows, hashEntry } from "./journal-entry.ts";
import { eachLine, newerEntryOf, openJournal, readEntryLine, TORN_LINE_MESSAGE } from "./journal-lines.ts";
import { withoutDirty } from "./git.ts";

export interface JournalProblem {
  /** 1-based line number in the journal file. */
  readonly line: number;
  readonly message: string;
}

export interface JournalVerification {
  readonly ok: boolean;
  /** Valid entries read. */
  readonly entries: number;
  readonly problems: readonly JournalProblem[];
  /** The last valid entry: record it elsewhere (CI log, git) to detect later removal of entries at the end. */
  readonly head?: { readonly seq: number; readonly hash: string };
  /** Where the walk stopped (after the last whole line), and what a later walk resumes from there with. */
  readonly resume: VerifyResume;
  /** The commits the runs walked here recorded (apply-start `commit`, without "+dirty"), first seen first. */
  readonly commits: readonly string[];
  /**
   * Runs walked here that applied access files with uncommitted changes (apply-start `commit` ending
   * "+dirty"): what they applied is in no commit, so git history cannot show it.
   */
  readonly dirtyRuns: readonly DirtyRun[];
  /** Runs with an apply-start and no apply-end: killed or crashed, or still running. */
  readonly unfinished: readonly OpenRun[];
}

/** A run whose apply-end the walk has not met (yet), with what its entries recorded so far. */
export interface OpenRun {
  /** seq and line of its apply-start. */
  readonly seq: number;
  readonly line: number;
  readonly at: string;
  readonly actor: string;
  /** Changes its plan held. */
  readonly planned: number;
  readonly applied: number;
  readonly failed: number;
  readonly skipped: number;
  /** `at` of its last entry. */
  readonly lastAt: string;
  /** Changes an intent announced that no change entry confirmed or refused: they may have been made. */
  readonly unconfirmed: readonly string[];
}

/** The apply-start of a run made from uncommitted access files. */
export interface DirtyRun {
  readonly seq: number;
  readonly line: number;
  readonly at: string;
  readonly actor: string;
}

/** A point of a verified chain to walk on from: its byte offset, line count, last entry and apply-starts. */
export interface VerifyResume {
  readonly offset: number;
  readonly lines: number;
  readonly entries: number;
  readonly previous?: { readonly seq: number; readonly hash: string };
  readonly starts: readonly number[];
  readonly open: readonly OpenRun[];
}

export interface VerifyJournalOptions {
  /** An entry recorded earlier that must still be there; catches entries removed from the end. */
  readonly expectedHead?: { readonly seq: number; readonly hash: string };
  /** Bytes read at a time (tests use small chunks). */
  readonly chunkBytes?: number;
  /** Walk on from here (a point an earlier walk of the same bytes returned) instead of from the start. */
  readonly from?: VerifyResume;
}

/** What the next entry must link to: the previous one's seq and hash. */
type Link = Pick<ChainFields, "seq" | "hash">;

const REORDERED = "an entry was removed, inserted or reordered here";

/**
 * Walks the chain: every entry must hash to its `hash`, carry the next `seq` and the previous entry's
 * hash as `prevHash`, and refer to an earlier apply-start. Reports every broken line; never throws on
 * bad content.
 */
export async function verifyJournal(
  path: string,
  options: VerifyJournalOptions = {},
): Promise<JournalVerification> {
  const problems: JournalProblem[] = [];
  const from = options.from;
  const starts = new Set<number>(from?.starts ?? []);
  const open = new Map<number, MutableRun>((from?.open ?? []).map((r) => [r.seq, toMutable(r)]));
  const commits = new Set<string>();
  const dirtyRuns: DirtyRun[] = [];
  const expected = options.expectedHead;
  const chain: { previous?: { entry: Link; line: number }; isExpectedSeen: boolean } = {
    isExpectedSeen:
      from?.previous !== undefined &&
      from.previous.seq === expected?.seq &&
      from.previous.hash === expected.hash,
    ...(from?.previous === undefined ? {} : { previous: { entry: from.previous, line: from.lines } }),
  };
  let count = from?.entries ?? 0;
  const newerTypes = new Map<string, number>();
  let newerLine: number | undefined;
  let lines = from?.lines ?? 0;
  let isDone = false;
  const check = (raw: string, isTorn: boolean): void => {
    if (isDone) return;
    lines += 1;
    const line = lines;
    const report = (message: string): void => {
      problems.push({ line, message });
    };
    if (isTorn) {
      report(TORN_LINE_MESSAGE);
      isDone = true;
      return;
    }
    const read = readEntryLine(raw);
    if (!("entry" in read)) {
      // A newer gatehouse's entry: its place in the chain is checked all the same, its content is not.
      const newer = newerEntryOf(raw);
      if (newer === undefined) {
        report(`not a journal entry: ${read.problem}`);
        return;
      }
      count += 1;
      newerTypes.set(newer.type, (newerTypes.get(newer.type) ?? 0) + 1);
      newerLine ??= line;
      if (hashEntry(newer.fields) !== newer.fields.hash)
        report(`entry seq ${String(newer.fields.seq)} was edited: its content does not match its hash`);
      const link = describeBrokenLink(newer.fields, chain.previous);
      if (link !== undefined) report(link);
      chain.previous = { entry: newer.fields, line };
      return;
    }
    const value = read.entry;
    count += 1;
    if (hashEntry(value) !== value.hash) {
      report(`entry seq ${String(value.seq)} was edited: its content does not match its hash`);
    }
    const link = describeBrokenLink(value, chain.previous);
    if (link !== undefined) report(link);
    // A drill refers to its runs without being part of one; the runs it names must be in the journal.
    const runSeq =
      value.type === "drill"
        ? value.runSeq
        : value.type === "verdict-closed" || value.type === "delivery-closed"
          ? undefined
          : value.type === "apply-start"
            ? undefined
            : value.runSeq;
    if (runSeq !== undefined && !starts.has(runSeq)) {
      report(
        `entry seq ${String(value.seq)} refers to run ${String(runSeq)}, which has no apply-start before it`,
      );
    }
    // A re-check supersedes an earlier verdict: one that names itself or a later entry was not written so.
    if (value.type === "offboard-verified" && value.recheckOf !== undefined && value.recheckOf >= value.seq)
      report(
        `entry seq ${String(value.seq)} says it re-checks entry ${String(value.recheckOf)}, which is not before it`,
      );
    // A closure by hand names a verdict, or a delivery, recorded before it.
    if ((value.type === "verdict-closed" || value.type === "delivery-closed") && value.closes >= value.seq)
      report(
        `entry seq ${String(value.seq)} says it closes entry ${String(value.closes)}, which is not before it`,
      );
    if (value.type === "apply-start") {
      starts.add(value.seq);
      if (value.commit !== undefined) commits.add(withoutDirty(value.commit));
      if (value.commit?.endsWith("+dirty") === true)
        dirtyRuns.push({ seq: value.seq, line, at: value.at, actor: value.actor });
    }
    follow(open, value, line);
    if (value.seq === expected?.seq && value.hash === expected.hash) chain.isExpectedSeen = true;
    chain.previous = { entry: value, line };
  };
  // Line by line, a chunk at a time: an auditor's journal may be larger than one string can be.
  const opened = await openJournal(path);
  let end = from?.offset ?? 0;
  if (opened !== undefined) {
    try {
      end = await eachLine(
        opened.handle,
        from?.offset ?? 0,
        opened.size,
        (l) => {
          check(l.text, l.isTorn);
        },
        options.chunkBytes,
      );
    } finally {
      await opened.handle.close();
    }
  }
  if (newerLine !== undefined)
    problems.push({
      line: newerLine,
      message: `${String([...newerTypes.values()].reduce((a, b) => a + b, 0))} entries of a type this gatehouse does not know (${[...newerTypes.keys()].map((t) => JSON.stringify(t)).join(", ")}), from the first at this line: the journal was written by a newer version of gatehouse; upgrade gatehouse to verify what they say (their place in the hash chain checked out unless said otherwise)`,
    });
  const last = chain.previous?.entry;
  const head = last ? { seq: last.seq, hash: last.hash } : undefined;
  if (expected !== undefined && !chain.isExpectedSeen) {
    problems.push({
      line: Math.max(lines, 1),
      message: `entry seq ${String(expected.seq)} with the recorded hash is missing (entries at the end were removed or rewritten?)`,
    });
  }
  const previous = chain.previous?.entry;
  const resume: VerifyResume = {
    offset: end,
    lines,
    entries: count,
    ...(previous === undefined ? {} : { previous: { seq: previous.seq, hash: previous.hash } }),
    starts: [...starts],
    open: [...open.values()].map(toOpenRun),
  };
  return {
    ok: problems.length === 0,
    entries: count,
    problems,
    ...(head ? { head } : {}),
    resume,
    commits: [...commits],
    dirtyRuns,
    unfinished: resume.open,
  };
}

interface MutableRun extends Omit<OpenRun, "applied" | "failed" | "skipped" | "lastAt" | "unconfirmed"> {
  applied: number;
  failed: number;
  skipped: number;
  lastAt: string;
  /** Announced by an intent, no outcome yet: kept by group, as the journal fold keeps addresses. */
  readonly pending: AddressSet;
}

function toMutable(run: OpenRun): MutableRun {
  const { unconfirmed, ...rest } = run;
  return { ...rest, pending: new AddressSet(unconfirmed) };
}

function toOpenRun(run: MutableRun): OpenRun {
  const { pending, ...rest } = run;
  return { ...rest, unconfirmed: [...pending] };
}

/** Keeps each run's tally from its apply-start until its apply-end. */
function follow(open: Map<number, MutableRun>, entry: JournalEntry, line: number): void {
  if (entry.type === "apply-start") {
    const { seq, at, actor, changes: planned } = entry;
    open.set(seq, {
      seq,
      line,
      at,
      actor,
      planned,
      applied: 0,
      failed: 0,
      skipped: 0,
      lastAt: at,
      pending: new AddressSet(),
    });
    return;
  }
  // A verdict or a delivery closed by hand belongs to no run, nor does a drill (written after its runs ended).
  if (entry.type === "verdict-closed" || entry.type === "delivery-closed" || entry.type === "drill") return;
  const run = open.get(entry.runSeq);
  if (run === undefined) return;
  run.lastAt = entry.at;
  switch (entry.type) {
    case "intent":
      for (const id of entry.changeIds) run.pending.add(id);
      for (const id of entry.narrowingIds ?? []) run.pending.add(id);
      return;
    case "change":
      run.pending.delete(entry.changeId);
      run[entry.outcome] += 1;
      return;
    case "adopted":
    case "offboard-verified":
    case "webhook-delivered":
      // Holders found before the run's changes, a read-back after the run's changes, or a webhook told of them: no change of its own to tally.
      return;
    case "apply-end":
      open.delete(entry.runSeq);
      return;
  }
}

function describeBrokenLink(
  entry: ChainFields,
  previous: { entry: Link; line: number } | undefined,
): string | undefined {
  if (follows(entry, previous?.entry)) return undefined;
  if (previous === undefined)
    return `the first entry has seq ${String(entry.seq)}, expected seq 1 with a prevHash of 64 zeros: ${REORDERED}`;
  const isNextSeq = entry.seq === previous.entry.seq + 1;
  const isChained = entry.prevHash === previous.entry.hash;
  const reasons = [
    ...(isNextSeq ? [] : [`seq ${String(entry.seq)} does not follow seq ${String(previous.entry.seq)}`]),
    ...(isChained ? [] : [`prevHash is not the hash of line ${String(previous.line)}`]),
  ];
  return `${reasons.join(" and ")}: ${REORDERED}`;
}
