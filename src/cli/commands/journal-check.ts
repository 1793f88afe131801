/**
 * The journal's chain checked before a command answers from it (journal access, changes, leavers, run,
 * verify; review history): against what gatehouse last read of it on this machine, and with --history
 * against the branch that keeps it. Problems are said on stderr; the answer is marked unreliable.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { JournalProblem, JournalVerification, ReadWhole } from "../../audit/journal.ts";
import { verifyJournal } from "../../audit/journal.ts";
import { DAMAGED, foldCachePath, foldedHead } from "../../audit/journal-fold.ts";
import { verifyJournalHistory } from "../../audit/journal-history.ts";
import { verifiedEnd } from "../../audit/verified-prefix.ts";
import { DEFAULT_CACHE_DIR } from "../../load/load-tree.ts";
import { isFile } from "../../io/is-file.ts";
import type { CommandIo } from "../io.ts";
import { shownPath } from "../shown-path.ts";

/** How far this machine's caches (the plan's fold, the chain walk) read the journal in whole lines. */
export async function readWholeHere(file: string, cwd: string): Promise<ReadWhole | undefined> {
  const cacheDir = path.resolve(cwd, DEFAULT_CACHE_DIR);
  const folded = await foldedHead(file, cacheDir);
  const found = [
    ...(folded === DAMAGED || folded === undefined
      ? []
      : [{ end: folded.end, seq: folded.seq, file: foldCachePath(file, cacheDir) }]),
    ...[await verifiedEnd(file, cacheDir)].filter((v) => v !== undefined),
  ];
  const furthest = found.reduce<(typeof found)[number] | undefined>(
    (a, b) => (a === undefined || b.end > a.end ? b : a),
    undefined,
  );
  if (furthest === undefined) return undefined;
  return {
    end: furthest.end,
    ...(furthest.seq === undefined ? {} : { seq: furthest.seq }),
    files: found.map((f) => path.relative(cwd, f.file)),
  };
}

/**
 * The chain walked, and the last entry gatehouse read from this journal on this machine looked for, with
 * its hash: that catches edited, removed, inserted or reordered entries, entries cut off the end, and a
 * chain rewritten (hashes recomputed) up to it. `warn` gets a note when that record is damaged.
 */
export async function checkJournal(
  file: string,
  io: CommandIo,
  shown: string,
  warn: (text: string) => void,
): Promise<{ result: JournalVerification; problems: JournalProblem[] }> {
  const head = await foldedHead(file, path.resolve(io.cwd, DEFAULT_CACHE_DIR));
  const known = head === DAMAGED ? undefined : head;
  if (head === DAMAGED)
    warn(
      `${shown}: warning: ${shownPath(io.cwd, foldCachePath(file, path.resolve(io.cwd, DEFAULT_CACHE_DIR)))} is damaged, so whether entries were cut off the journal's end since gatehouse last read it here cannot be checked; the next plan writes a new one\n`,
    );
  const result = await verifyJournal(file, known === undefined ? {} : { expectedHead: known });
  const problems = [...result.problems];
  if (
    result.entries === 0 &&
    !problems.some((p) => p.line > 0 && p.message.startsWith("not a journal entry"))
  )
    problems.unshift({ line: 1, message: "the journal is empty" });
  if (known !== undefined && result.entries < known.entries) {
    // The last entry read here still ends the journal: entries before it went (reported where), not its end.
    const isSameEnd = result.head?.seq === known.seq && result.head.hash === known.hash;
    problems.push({
      line: result.entries + 1,
      message: `the journal has ${String(result.entries)} entries, but ${String(known.entries)} were read from it here before (${DEFAULT_CACHE_DIR}): ${isSameEnd ? `entries before its last one (seq ${String(known.seq)}, still there) were removed` : "entries were cut off its end, or removed and the chain rewritten after them"}`,
    });
  }
  return { result, problems };
}

/** True, once `say` has said so, when there is no journal at `file`. */
export async function isMissing(file: string, shown: string, say: (text: string) => void): Promise<boolean> {
  if (await isFile(file)) return false;
  say(`${shown}: no journal here (nothing was applied with it, or it was removed or moved)\n`);
  return true;
}

/**
 * The journal's chain checked before an answer from it, and with `history` (--history REV) against the
 * branch that keeps it: its problems, also said on stderr. A problem of the branch's history has line 0.
 */
export async function answerableJournal(
  file: string,
  io: CommandIo,
  shown: string,
  history: string | undefined,
): Promise<readonly JournalProblem[]> {
  const { problems: chain } = await checkJournal(file, io, shown, io.stderr);
  const kept =
    history === undefined ? undefined : await verifyJournalHistory(io.cwd, history, await readFile(file));
  const problems = [
    ...chain,
    ...(kept?.problems ?? []).map((p) => ({ line: 0, message: `${history ?? ""}: ${p.message}` })),
  ];
  for (const p of problems)
    io.stderr(p.line === 0 ? `${shown}: ${p.message}\n` : `${shown}:${String(p.line)} ${p.message}\n`);
  // Nothing here to compare with (a fresh clone): say what only the branch's history can catch.
  if (history === undefined && (await readWholeHere(file, io.cwd)) === undefined)
    io.stderr(
      `${shown}: note: gatehouse has not read this journal on this machine before (a fresh clone?), so entries cut off its end, or a chain rewritten whole, cannot be caught here; --history origin/gatehouse-journal (where the workflows keep it) checks it against the branch's history\n`,
    );
  if (problems.length > 0)
    io.stderr(
      `${shown}: journal is NOT intact (${String(problems.length)} problem(s)): the answer below is from a journal changed after it was written and cannot be relied on\n`,
    );
  return problems;
}
