import { readFile, rename } from "node:fs/promises";
import { hasCode } from "../io/file-lock.ts";
import { isNewJournalEntry, type NewJournalEntry } from "./journal-entry.ts";
import { JournalError } from "./journal-error.ts";

/**
 * Where an apply keeps the entries the journal could not take (it was unwritable mid-run): changes a
 * system did make. Until the next apply records them in the journal, plans read them from here too.
 */
export function setAsidePath(journalPath: string): string {
  return `${journalPath}.unrecorded.jsonl`;
}

/** The entries set aside next to the journal, in order; none when there is no such file. */
export async function readSetAside(journalPath: string): Promise<NewJournalEntry[]> {
  const file = setAsidePath(journalPath);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (hasCode(error, "ENOENT")) return [];
    throw new JournalError(`cannot read ${file}`, { cause: error });
  }
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, i) => {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        value = undefined;
      }
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
