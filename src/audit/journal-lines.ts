import { open, readFile, type FileHandle } from "node:fs/promises";
import { ConfigError, messageOf } from "../errors.ts";
import { hasCode } from "../io/file-lock.ts";
import {
  describeEntryProblem,
  isJournalEntry,
  type ChainFields,
  type JournalEntry,
} from "./journal-entry.ts";
import { JOURNAL_REPAIR_HINT, JournalError } from "./journal-error.ts";

export const TORN_LINE_MESSAGE = "the last line is incomplete (crash during write?)";

export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if (hasCode(error, "ENOENT")) return undefined;
    // Name the path: Node's errors for reading a folder (EISDIR) do not.
    if (error instanceof Error)
      throw new ConfigError(`cannot read the journal ${path}: ${error.message}`, [], { cause: error });
    throw error;
  }
}

/** The JSON value of a line, or undefined when it is not JSON. */
export function parseLine(line: string): unknown {
  try {
    const value: unknown = JSON.parse(line);
    return value;
  } catch {
    return undefined;
  }
}

/** A journal line read: its entry, or why it holds none. */
export function readEntryLine(line: string): { entry: JournalEntry } | { problem: string } {
  const value = parseLine(line);
  if (isJournalEntry(value)) return { entry: value };
  return { problem: value === undefined ? "not valid JSON" : (describeEntryProblem(value) ?? "") };
}

/**
 * A line that holds a sealed entry of a type this gatehouse does not know (a newer version's): its chain
 * fields, and its type; undefined for anything else. Its hash is not checked here.
 */
export function newerEntryOf(
  line: string,
): { readonly type: string; readonly fields: Readonly<Record<string, unknown>> & ChainFields } | undefined {
  const value = parseLine(line);
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const fields = value as Readonly<Record<string, unknown>>;
  const { type, seq, prevHash, hash } = fields;
  if (typeof type !== "string" || typeof seq !== "number" || typeof prevHash !== "string") return undefined;
  if (typeof hash !== "string" || !describeEntryProblem(value)?.startsWith("unknown entry type"))
    return undefined;
  return { type, fields: { ...fields, seq, prevHash, hash } };
}

/** What to say of an entry a newer gatehouse wrote, which this one cannot read. */
export function newerEntryText(type: string): string {
  return `an entry of a type this gatehouse does not know (${JSON.stringify(type)}): the journal was written by a newer version of gatehouse; upgrade gatehouse to read it (nothing was changed)`;
}

/** The entry of line `lineNumber` of the journal at `path`; a JournalError naming both when it holds none. */
export function entryAtLine(path: string, lineNumber: number, line: string): JournalEntry {
  const read = readEntryLine(line);
  if ("entry" in read) return read.entry;
  const newer = newerEntryOf(line);
  if (newer !== undefined)
    throw new JournalError(`${path}:${String(lineNumber)}: ${newerEntryText(newer.type)}`);
  throw new JournalError(`${path}:${String(lineNumber)}: not a journal entry: ${read.problem}`);
}

/** The error for a journal whose last line a crash cut short. */
export function tornJournalError(path: string): JournalError {
  return new JournalError(`${path}: ${TORN_LINE_MESSAGE}; ${JOURNAL_REPAIR_HINT}`);
}

/** Bytes read at a time by eachLine: a journal can be far larger than a string may be (~512 MB). */
export const LINE_CHUNK_BYTES = 4 * 1024 * 1024;

/** One line of a file as eachLine gives it. */
export interface FileLine {
  /** The line without its "\n". */
  readonly text: string;
  /** Its bytes, "\n" included (valid after the callback: every chunk is a new buffer). */
  readonly bytes: Uint8Array;
  /** Byte offset where it starts. */
  readonly start: number;
  /** A last line without "\n" (a torn write). */
  readonly isTorn: boolean;
}

/**
 * Calls `onLine` for each line of the open file from byte `from` to its end, reading `chunkBytes` at a
 * time, so that no more than a chunk and one line are in memory. Lines split at "\n" bytes, which
 * never occur inside a multi-byte UTF-8 character. Returns the offset after the last complete line.
 */
export async function eachLine(
  handle: FileHandle,
  from: number,
  size: number,
  onLine: (line: FileLine) => void,
  chunkBytes: number = LINE_CHUNK_BYTES,
): Promise<number> {
  let offset = from;
  let carry: Buffer = Buffer.alloc(0);
  let carryStart = from;
  while (offset < size) {
    const chunk = Buffer.alloc(Math.min(chunkBytes, size - offset));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, offset);
    if (bytesRead === 0) break;
    const bytes =
      carry.length === 0
        ? chunk.subarray(0, bytesRead)
        : Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
    let start = 0;
    for (let nl = bytes.indexOf(0x0a, start); nl >= 0; nl = bytes.indexOf(0x0a, start)) {
      onLine({
        text: bytes.toString("utf8", start, nl),
        bytes: bytes.subarray(start, nl + 1),
        start: carryStart + start,
        isTorn: false,
      });
      start = nl + 1;
    }
    carry = Buffer.from(bytes.subarray(start));
    offset += bytesRead;
    carryStart = offset - carry.length;
  }
  if (carry.length > 0)
    onLine({ text: carry.toString("utf8"), bytes: carry, start: carryStart, isTorn: true });
  return carryStart;
}

/**
 * Opens a journal for reading: undefined when it does not exist; a ConfigError naming the path when it
 * cannot be read (a folder, no permission), as for any file a user points gatehouse at.
 */
export async function openJournal(path: string): Promise<{ handle: FileHandle; size: number } | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    if (hasCode(error, "ENOENT")) return undefined;
    throw new ConfigError(`cannot read the journal ${path}: ${messageOf(error)}`, [], {
      cause: error,
    });
  }
  const stats = await handle.stat();
  if (!stats.isFile()) {
    await handle.close();
    throw new ConfigError(`cannot read the journal ${path}: EISDIR: it is not a file`);
  }
  return { handle, size: stats.size };
}

/**
 * Every entry of the journal at `path`, in order, to `onEntry`; how many there were (0 for no journal).
 * Throws JournalError for a torn last line or a line that is no entry, as the fold does.
 */
export async function eachEntry(path: string, onEntry: (entry: JournalEntry) => void): Promise<number> {
  let entries = 0;
  const opened = await openJournal(path);
  if (opened === undefined) return 0;
  try {
    await eachLine(opened.handle, 0, opened.size, (line) => {
      if (line.isTorn) throw tornJournalError(path);
      entries++;
      onEntry(entryAtLine(path, entries, line.text));
    });
  } finally {
    await opened.handle.close();
  }
  return entries;
}
