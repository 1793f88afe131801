import { stat } from "node:fs/promises";
import path from "node:path";
import { ExitCode, UsageError } from "../../errors.ts";
import { DEFAULT_JOURNAL_PATH, repairJournalTail, verifyJournal } from "../../audit/journal.ts";
import { foldedHead } from "../../audit/journal-fold.ts";
import { DEFAULT_CACHE_DIR } from "../../load/load-tree.ts";
import { flag, parseCommandArgs, stringOpt } from "../args.ts";
import type { CliIo } from "../io.ts";

export const JOURNAL_USAGE = `Usage: gatehouse journal verify [--journal .gatehouse/journal.jsonl]
       gatehouse journal repair [--journal .gatehouse/journal.jsonl]

verify walks the hash chain of the apply journal and reports any edited, removed, inserted or
reordered entry, or a torn last line; a missing or empty journal, or one shorter than gatehouse last
read it on this machine (.gatehouse/cache), fails too. Exit 0 when intact, 1 otherwise.
repair cuts off a torn last line left by a crash mid-write (kept in <journal>.torn); nothing else.`;

export async function runJournal(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    { journal: { type: "string" }, help: { type: "boolean", short: "h" } },
    JOURNAL_USAGE,
  );
  if (flag(args, "help")) {
    io.stdout(JOURNAL_USAGE + "\n");
    return ExitCode.ok;
  }
  const sub = args.positionals[0];
  if (sub !== "verify" && sub !== "repair") throw new UsageError(JOURNAL_USAGE);
  const file = path.resolve(io.cwd, stringOpt(args, "journal") ?? DEFAULT_JOURNAL_PATH);
  if (sub === "repair") {
    const repair = await repairJournalTail(file);
    io.stdout(
      repair.completed
        ? "the last entry was whole but for its newline; wrote the newline, nothing cut\n"
        : repair.cut === 0
          ? "journal tail is intact; nothing to repair\n"
          : `cut ${String(repair.cut)} byte(s) of a torn last line (kept in ${path.relative(io.cwd, file)}.torn)\n`,
    );
    return ExitCode.ok;
  }
  const shown = path.relative(io.cwd, file);
  if (!(await isFile(file))) {
    io.stdout(`${shown}: no journal here (nothing was applied with it, or it was removed or moved)\n`);
    return ExitCode.error;
  }
  // The last entry gatehouse read from this journal on this machine must still be there, with its hash:
  // that catches entries cut off the end, and a chain rewritten (hashes recomputed) up to it.
  const known = await foldedHead(file, path.resolve(io.cwd, DEFAULT_CACHE_DIR));
  const result = await verifyJournal(file, known === undefined ? {} : { expectedHead: known });
  const problems = [...result.problems];
  if (
    result.entries === 0 &&
    !problems.some((p) => p.line > 0 && p.message.startsWith("not a journal entry"))
  )
    problems.unshift({ line: 1, message: "the journal is empty" });
  if (known !== undefined && result.entries < known.entries)
    problems.push({
      line: result.entries + 1,
      message: `the journal has ${String(result.entries)} entries, but ${String(known.entries)} were read from it here before (${DEFAULT_CACHE_DIR}): entries were cut off its end`,
    });
  for (const p of problems) io.stdout(`${shown}:${String(p.line)} ${p.message}\n`);
  io.stdout(
    problems.length === 0
      ? `${shown}: ${String(result.entries)} entries, hash chain intact\n`
      : `${shown}: journal is NOT intact (${String(problems.length)} problem(s))\n`,
  );
  return problems.length === 0 ? ExitCode.ok : ExitCode.error;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
