/** Edits of a connector repository's journal, for tests of what older versions of gatehouse wrote. */
import { readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { sealEntry, type JournalEntry, type NewJournalEntry } from "../../../src/audit/journal-entry.ts";
import { type ConnectorRepo, JOURNAL_FILE } from "./workspace.ts";

/**
 * The journal as a gatehouse from before ids were kept wrote it: no change entry carries `accountId`
 * (chained again, as it was written, so `journal verify` passes), and no fold cache remembers the one
 * read before.
 */
export async function withoutIds(repo: ConnectorRepo): Promise<void> {
  let previous: JournalEntry | undefined;
  const lines: string[] = [];
  for (const line of (await repo.read(JOURNAL_FILE)).trimEnd().split("\n")) {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const dropped = new Set([
      "seq",
      "prevHash",
      "hash",
      ...(entry["type"] === "change" ? ["accountId"] : []),
    ]);
    const fields = Object.fromEntries(Object.entries(entry).filter(([key]) => !dropped.has(key)));
    const sealed = sealEntry(fields as unknown as NewJournalEntry, previous);
    lines.push(JSON.stringify(sealed));
    previous = sealed;
  }
  await writeFile(path.join(repo.cwd, JOURNAL_FILE), `${lines.join("\n")}\n`);
  const cache = path.join(repo.cwd, ".gatehouse/cache");
  for (const file of await readdir(cache)) if (file.startsWith("journal-")) await rm(path.join(cache, file));
}
