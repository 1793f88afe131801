import path from "node:path";
import { ExitCode, UsageError } from "../../errors.ts";
import { DEFAULT_JOURNAL_PATH, repairJournalTail, verifyJournal } from "../../audit/journal.ts";
import { flag, parseCommandArgs, stringOpt } from "../args.ts";
import type { CliIo } from "../io.ts";

export const JOURNAL_USAGE = `Usage: gatehouse journal verify [--journal .gatehouse/journal.jsonl]
       gatehouse journal repair [--journal .gatehouse/journal.jsonl]

verify walks the hash chain of the apply journal and reports any edited, removed, inserted or
reordered entry, or a torn last line. Exit 0 when intact, 1 otherwise.
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
    const removed = await repairJournalTail(file);
    io.stdout(
      removed === 0
        ? "journal tail is intact; nothing to repair\n"
        : `cut ${String(removed)} byte(s) of a torn last line (kept in ${path.relative(io.cwd, file)}.torn)\n`,
    );
    return ExitCode.ok;
  }
  const result = await verifyJournal(file);
  const shown = path.relative(io.cwd, file);
  for (const p of result.problems) io.stdout(`${shown}:${String(p.line)} ${p.message}\n`);
  io.stdout(
    result.ok
      ? `${shown}: ${String(result.entries)} entries, hash chain intact\n`
      : `${shown}: journal is NOT intact (${String(result.problems.length)} problem(s))\n`,
  );
  return result.ok ? ExitCode.ok : ExitCode.error;
}
