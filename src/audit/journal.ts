import { open, truncate } from "node:fs/promises";
import { JournalError } from "./journal-error.ts";
import { appendFileDurable } from "../io/atomic-write.ts";
import { hasCode, withFileLock } from "../io/file-lock.ts";
import type { JournalEntry, NewJournalEntry } from "./journal-entry.ts";
import { follows, hashEntry, sealEntry } from "./journal-entry.ts";
import {
  entryAtLine,
  newerEntryOf,
  newerEntryText,
  readEntryLine,
  readTextIfExists,
  tornJournalError,
} from "./journal-lines.ts";

export { verifyJournal } from "./verify-journal.ts";
export { TORN_LINE_MESSAGE } from "./journal-lines.ts";
export { GENESIS_HASH } from "./journal-entry.ts";
export type {
  ApplyEndData,
  ApplyStartData,
  ChangeData,
  JournalEntry,
  NewJournalEntry,
  OffboardVerifiedData,
} from "./journal-entry.ts";
export type { JournalProblem, JournalVerification, VerifyJournalOptions } from "./verify-journal.ts";

/** Where the journal lives unless gatehouse.yaml says otherwise, relative to the working directory. */
export const DEFAULT_JOURNAL_PATH = ".gatehouse/journal.jsonl";

export { JournalError } from "./journal-error.ts";

export interface AppendJournalOptions {
  /** How long to wait for another gatehouse process appending to the same journal (default 10 s). */
  readonly lockTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Characters of journal lines written at a time (each piece is fsynced). */
const APPEND_PIECE_CHARS = 8 * 1024 * 1024;

/**
 * Appends entries to the hash-chained journal at `path` and returns them sealed (with seq, prevHash and
 * hash). Holds `<path>.lock` so that concurrent gatehouse processes keep one chain; writes with O_APPEND
 * and fsyncs before returning. Refuses to chain onto a torn or tampered last line.
 */
export async function appendJournalEntries(
  path: string,
  entries: readonly NewJournalEntry[],
  options: AppendJournalOptions = {},
): Promise<JournalEntry[]> {
  if (entries.length === 0) return [];
  const lockOptions = {
    ...(options.lockTimeoutMs === undefined ? {} : { timeoutMs: options.lockTimeoutMs }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  return withFileLock(
    path,
    async () => {
      let previous = await readLastEntry(path);
      const sealed: JournalEntry[] = [];
      // Written a few megabytes at a time, each piece whole lines: the entries of a first import (two
      // million changes) would not fit in one string. A crash between pieces leaves whole entries.
      let lines: string[] = [];
      let chars = 0;
      for (const entry of entries) {
        previous = sealEntry(entry, previous);
        sealed.push(previous);
        const line = `${JSON.stringify(previous)}\n`;
        lines.push(line);
        chars += line.length;
        if (chars >= APPEND_PIECE_CHARS) {
          await appendFileDurable(path, lines.join(""));
          lines = [];
          chars = 0;
        }
      }
      if (lines.length > 0) await appendFileDurable(path, lines.join(""));
      return sealed;
    },
    lockOptions,
  );
}

/** Every entry of the journal, in order; [] when it does not exist yet. Throws on a malformed line. */
export async function readJournal(path: string): Promise<JournalEntry[]> {
  const text = await readTextIfExists(path);
  if (text === undefined || text === "") return [];
  if (!text.endsWith("\n")) throw tornJournalError(path);
  return text
    .slice(0, -1)
    .split("\n")
    .map((line, index) => entryAtLine(path, index + 1, line));
}

/** What `repairJournalTail` did: bytes cut off (kept in <journal>.torn), or a whole last entry completed. */
export interface TailRepair {
  readonly cut: number;
  /** The last line was a whole, sealed entry that follows the one before, only its newline missing. */
  readonly completed: boolean;
}

/**
 * Where gatehouse read the journal up to on this machine, in whole lines (its caches): a torn line a
 * crash left starts at or after that, since a crash only leaves bytes appended after what was whole.
 */
export interface ReadWhole {
  /** Bytes from the start of the journal that were read as whole lines. */
  readonly end: number;
  /** The last entry read, when known. */
  readonly seq?: number;
  /** The cache files that say so, for the message (delete them to accept a journal restored on purpose). */
  readonly files: readonly string[];
}

/**
 * Cuts an incomplete last line (left by a crash during an append) off the journal, keeping the fragment
 * in `<path>.torn` for inspection; a last line that is a whole entry only missing its newline is kept.
 * A last line that starts before `readWhole.end` was read whole here before: it was cut short or edited
 * since, not torn by a crash, so a JournalError refuses it and nothing is changed.
 */
export async function repairJournalTail(path: string, readWhole?: ReadWhole): Promise<TailRepair> {
  return withFileLock(path, async () => {
    const text = await readTextIfExists(path);
    if (text === undefined || text === "" || text.endsWith("\n")) return { cut: 0, completed: false };
    const start = text.lastIndexOf("\n") + 1;
    const fragment = text.slice(start);
    // A crash after the entry and before its newline: the entry is whole, and it is a record of what a
    // system did. It stays; only the newline is written.
    if (isSealedSuccessor(fragment, text.slice(0, start))) {
      await appendFileDurable(path, "\n");
      return { cut: 0, completed: true };
    }
    const keep = Buffer.byteLength(text.slice(0, start), "utf8");
    if (readWhole !== undefined && keep < readWhole.end) throw notTorn(path, keep, readWhole);
    await appendFileDurable(`${path}.torn`, `${fragment}\n`);
    await truncate(path, keep);
    return { cut: Buffer.byteLength(text, "utf8") - keep, completed: false };
  });
}

function notTorn(path: string, start: number, readWhole: ReadWhole): JournalError {
  const upTo = readWhole.seq === undefined ? "" : ` (up to entry seq ${String(readWhole.seq)})`;
  return new JournalError(
    `${path}: the unfinished last line (from byte ${String(start)}) is not a crash's torn write: gatehouse read the journal in whole lines up to byte ${String(readWhole.end)}${upTo} on this machine, so that line was whole before and has been cut or edited since. Nothing was cut. ` +
      `Run \`gatehouse journal verify\` and find out what happened; if the journal was restored on purpose, delete ${readWhole.files.join(" and ")} first`,
  );
}

/** Whether `line` is a whole entry, its hash right, that follows the last entry of `before`. */
function isSealedSuccessor(line: string, before: string): boolean {
  const read = readEntryLine(line);
  if (!("entry" in read) || hashEntry(read.entry) !== read.entry.hash) return false;
  const previousLine = before.slice(before.lastIndexOf("\n", before.length - 2) + 1).trimEnd();
  if (previousLine === "") return follows(read.entry, undefined);
  const previous = readEntryLine(previousLine);
  return "entry" in previous && follows(read.entry, previous.entry);
}

/** The last entry, read from the end of the file so appends stay fast on a long journal. */
async function readLastEntry(path: string): Promise<JournalEntry | undefined> {
  const line = await readLastLine(path);
  if (line === undefined) return undefined;
  const read = readEntryLine(line);
  if (!("entry" in read)) {
    const newer = newerEntryOf(line);
    if (newer !== undefined)
      throw new JournalError(`${path}: the last entry is ${newerEntryText(newer.type)}`);
    throw new JournalError(
      `${path}: the last entry is not valid (${read.problem}); run \`gatehouse journal verify\`, nothing was appended`,
    );
  }
  const value = read.entry;
  if (hashEntry(value) !== value.hash) {
    throw new JournalError(
      `${path}: the last entry (seq ${String(value.seq)}) does not match its hash; run \`gatehouse journal verify\`, nothing was appended`,
    );
  }
  return value;
}

const CHUNK = 64 * 1024;

async function readLastLine(path: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    if (hasCode(error, "ENOENT")) return undefined;
    throw error;
  }
  try {
    const size = (await handle.stat()).size;
    if (size === 0) return undefined;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    if (last[0] !== 0x0a) throw tornJournalError(path);
    const chunks: Buffer[] = [];
    let end = size - 1;
    while (end > 0) {
      const start = Math.max(0, end - CHUNK);
      const buffer = Buffer.alloc(end - start);
      await handle.read(buffer, 0, buffer.length, start);
      const newline = buffer.lastIndexOf(0x0a);
      if (newline >= 0) {
        chunks.unshift(buffer.subarray(newline + 1));
        break;
      }
      chunks.unshift(buffer);
      end = start;
    }
    return Buffer.concat(chunks).toString("utf8");
  } finally {
    await handle.close();
  }
}
