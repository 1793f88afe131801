import { rename } from "node:fs/promises";
import { appendFileDurable } from "../io/atomic-write.ts";
import { isNewJournalEntry, type NewJournalEntry } from "./journal-entry.ts";
import { JournalError } from "./journal-error.ts";
import { parseLine, readTextIfExists } from "./journal-lines.ts";

/**
 * Where an apply keeps the entries the journal could not take (it was unwritable mid-run): changes a
 * system did make. Until the next apply records them in the journal, plans read them from here too.
 */
export function setAsidePath(journalPath: string): string {
  return `${journalPath}.unrecorded.jsonl`;
}

/** Keeps `entries` beside the journal, after any set aside before; returns the file. */
export async function setAside(journalPath: string, entries: readonly NewJournalEntry[]): Promise<string> {
  const file = setAsidePath(journalPath);
  await appendFileDurable(file, entries.map((e) => JSON.stringify(e) + "\n").join(""));
  return file;
}

/** The entries set aside next to the journal, in order; none when there is no such file. */
export async function readSetAside(journalPath: string): Promise<NewJournalEntry[]> {
  const file = setAsidePath(journalPath);
  const text = (await readTextIfExists(file)) ?? "";
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, i) => {
      const value = parseLine(line);
      if (!isNewJournalEntry(value))
        throw new JournalError(
          `${file}:${String(i + 1)}: not an entry gatehouse set aside; nothing was changed`,
        );
      return value;
    });
}

/** Moves the set-aside file out of the way once its entries are in the journal (kept, renamed). */
export async function retireSetAside(journalPath: string, now: Date): Promise<string> {
  const done = `${setAsidePath(journalPath)}.recorded-${now.toISOString().replace(/[:.]/g, "-")}`;
  await rename(setAsidePath(journalPath), done);
  return done;
}
