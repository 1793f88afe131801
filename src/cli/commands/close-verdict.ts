import path from "node:path";
import { ExitCode, UsageError } from "../../errors.ts";
import { appendJournalEntries, type NewJournalEntry } from "../../audit/journal.ts";
import { foldJournal, type OpenVerdict } from "../../audit/journal-fold.ts";
import { verifyBeforeAppend } from "../../audit/verified-prefix.ts";
import { describeActor } from "../../audit/git.ts";
import { releaseFileLock } from "../../io/file-lock.ts";
import { isFile } from "../../io/is-file.ts";
import { DEFAULT_CACHE_DIR } from "../../load/load-tree.ts";
import { inlineText } from "../../render/terminal-text.ts";
import { firstFew } from "../../model/lists.ts";
import { stringOpt, type Parsed } from "../args.ts";
import type { CommandIo } from "../io.ts";
import { acquireApplyLock } from "./apply-lock.ts";

/**
 * `gatehouse journal close-verdict`: closes an open offboarding verdict by hand, with who, when and why,
 * as a `verdict-closed` journal entry that the journal fold honours. For what no apply can settle: an
 * account found neither by its stable id nor by its name, a name someone else holds now, a system
 * gatehouse.yaml no longer has. The check is not made again: whoever closes it says it was done by hand.
 */

/** Longest reason kept: a sentence or a ticket, not a document. */
const MAX_REASON_CHARS = 2_000;

export async function runCloseVerdict(
  args: Parsed,
  io: CommandIo,
  file: string,
  usage: string,
): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError(`journal close-verdict takes no names\n\n${usage}`);
  const provider = stringOpt(args, "provider");
  const account = stringOpt(args, "account");
  const reason = stringOpt(args, "reason")?.trim();
  if (provider === undefined || account === undefined || reason === undefined)
    throw new UsageError(`journal close-verdict needs --provider, --account and --reason\n\n${usage}`);
  if (reason === "") throw new UsageError("--reason needs a text saying why the verdict can be closed");
  if (reason.length > MAX_REASON_CHARS)
    throw new UsageError(
      `--reason is ${String(reason.length)} characters; at most ${String(MAX_REASON_CHARS)} are kept (name a ticket for more)`,
    );
  const shown = path.relative(io.cwd, file);
  const cacheDir = path.resolve(io.cwd, DEFAULT_CACHE_DIR);
  if (!(await isFile(file))) {
    io.stderr(`${shown}: no journal here: there is no verdict to close\n`);
    return ExitCode.error;
  }
  // Held as an apply holds it: no run re-checks or records verdicts while this one is closed.
  const lock = await acquireApplyLock(file, io, "");
  try {
    const chain = await verifyBeforeAppend(file, cacheDir);
    if (chain.entries === 0) {
      io.stderr(`${shown}: the journal is empty: there is no verdict to close\n`);
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
    const verdict = findVerdict(fold.verdicts, provider, account);
    if (verdict === undefined) {
      const here = [...fold.verdicts.values()].filter((v) => v.provider === provider);
      io.stderr(
        `${shown}: no open offboarding verdict of ${inlineText(`${provider}: ${account}`)}` +
          (here.length === 0
            ? ` (${inlineText(provider)} has none open)\n`
            : `; open in ${inlineText(provider)}: ${firstFew(here.map((v) => inlineText(v.account)))}\n`),
      );
      return ExitCode.error;
    }
    if (verdict.seq < 1) {
      io.stderr(
        `${shown}: the verdict of ${inlineText(`${provider}: ${verdict.account}`)} is still set aside beside the journal (a run could not record it): the next apply records it first; close it after that\n`,
      );
      return ExitCode.error;
    }
    const actor = await describeActor(io.cwd, io.env);
    const closure: NewJournalEntry = {
      type: "verdict-closed",
      at: io.now().toISOString(),
      actor,
      provider: verdict.provider,
      account: verdict.account,
      ...(verdict.userId === undefined ? {} : { userId: verdict.userId }),
      closes: verdict.seq,
      reason,
    };
    const [entry] = await appendJournalEntries(file, [closure]);
    // This machine's anchor moves past the entry, as after an apply (see runApply).
    await foldJournal(file, cacheDir).catch(() => undefined);
    io.stdout(
      `Closed by hand the open offboarding verdict of ${inlineText(`${verdict.provider}: ${verdict.account}`)} (journal #${String(verdict.seq)}): ` +
        `journal #${String(entry?.seq ?? 0)}, by ${inlineText(actor)}. No apply checks it again; plans no longer note it.\n`,
    );
    return ExitCode.ok;
  } finally {
    await releaseFileLock(lock);
  }
}

/**
 * The open verdict of `provider` named `account`: as the verdict names it, else the name it found the
 * account renamed to; the same in another case only where that finds exactly one.
 */
function findVerdict(
  verdicts: ReadonlyMap<string, OpenVerdict>,
  provider: string,
  account: string,
): OpenVerdict | undefined {
  const exact = verdicts.get(`${provider}\n${account}`);
  if (exact !== undefined) return exact;
  const here = [...verdicts.values()].filter((v) => v.provider === provider);
  const renamed = here.filter((v) => v.renamedTo === account);
  if (renamed.length === 1) return renamed[0];
  const lower = account.toLowerCase();
  const folded = here.filter(
    (v) => v.account.toLowerCase() === lower || v.renamedTo?.toLowerCase() === lower,
  );
  return folded.length === 1 ? folded[0] : undefined;
}
