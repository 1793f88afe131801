import path from "node:path";
import { ExitCode, InternalError, UsageError } from "../../errors.ts";
import { appendJournalEntries, type NewJournalEntry } from "../../audit/journal.ts";
import type { JournalEntry } from "../../audit/journal-entry.ts";
import { foldJournal, type JournalFold } from "../../audit/journal-fold.ts";
import { verifyBeforeAppend } from "../../audit/verified-prefix.ts";
import { releaseFileLock } from "../../io/file-lock.ts";
import { isFile } from "../../io/is-file.ts";
import { DEFAULT_CACHE_DIR } from "../../load/load-tree.ts";
import { stringOpt, type Parsed } from "../args.ts";
import type { CommandIo } from "../io.ts";
import { acquireApplyLock } from "./apply-lock.ts";
import { shownPath } from "../shown-path.ts";

/**
 * What `journal close-verdict` and `journal close-delivery` share: a closure by hand is one journal
 * entry, appended under the apply lock to a journal whose chain is intact, after reading what is still
 * open from the journal as it stands under that lock.
 */

/** Longest reason kept: a sentence or a ticket, not a document. */
const MAX_REASON_CHARS = 2_000;

/**
 * --reason, trimmed; undefined when it is not given (the caller's usage error says what else is
 * missing). `what` is what is closed ("verdict", "delivery"), for the message of an empty one.
 */
export function reasonOpt(args: Parsed, what: string): string | undefined {
  const reason = stringOpt(args, "reason")?.trim();
  if (reason === undefined) return undefined;
  if (reason === "") throw new UsageError(`--reason needs a text saying why the ${what} can be closed`);
  if (reason.length > MAX_REASON_CHARS)
    throw new UsageError(
      `--reason is ${String(reason.length)} characters; at most ${String(MAX_REASON_CHARS)} are kept (name a ticket for more)`,
    );
  return reason;
}

/** Where to write a closure: `append` seals it into the journal (and moves this machine's anchor past it). */
export interface ClosureContext {
  readonly fold: JournalFold;
  /** The journal's path as messages show it. */
  readonly shown: string;
  readonly append: (entry: NewJournalEntry) => Promise<JournalEntry>;
}

/**
 * Runs `close` under the apply lock (no run re-sends, re-checks or records anything meanwhile) on the
 * journal's fold, once the journal is found, not empty, and intact. Exit 1, nothing written, otherwise.
 */
export async function closeByHand(
  file: string,
  io: CommandIo,
  what: string,
  close: (context: ClosureContext) => Promise<number>,
): Promise<number> {
  const shown = shownPath(io.cwd, file);
  const cacheDir = path.resolve(io.cwd, DEFAULT_CACHE_DIR);
  if (!(await isFile(file))) {
    io.stderr(`${shown}: no journal here: there is no ${what} to close\n`);
    return ExitCode.error;
  }
  const lock = await acquireApplyLock(file, io, "");
  try {
    const chain = await verifyBeforeAppend(file, cacheDir);
    if (chain.entries === 0) {
      io.stderr(`${shown}: the journal is empty: there is no ${what} to close\n`);
      return ExitCode.error;
    }
    if (!chain.ok) {
      for (const p of chain.problems.slice(0, 3)) io.stderr(`${shown}:${String(p.line)} ${p.message}\n`);
      io.stderr(
        `${shown} is not intact, so nothing was recorded: what it would record could not be told apart from what was forged. Run \`gatehouse journal verify\`\n`,
      );
      return ExitCode.error;
    }
    const fold = await foldJournal(file, cacheDir, undefined, (message) => {
      io.stderr(`${message}\n`);
    });
    return await close({
      fold,
      shown,
      append: async (entry) => {
        const [sealed] = await appendJournalEntries(file, [entry]);
        // This machine's anchor moves past the entry, as after an apply (see runApply).
        await foldJournal(file, cacheDir).catch(() => undefined);
        if (sealed === undefined) throw new InternalError("the journal sealed no entry");
        return sealed;
      },
    });
  } finally {
    await releaseFileLock(lock);
  }
}
