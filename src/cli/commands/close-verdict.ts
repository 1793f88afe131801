import { ExitCode, UsageError } from "../../errors.ts";
import type { NewJournalEntry } from "../../audit/journal.ts";
import type { OpenVerdict } from "../../audit/journal-fold.ts";
import { describeActor } from "../../audit/git.ts";
import { inlineText } from "../../render/terminal-text.ts";
import { firstFew } from "../../model/lists.ts";
import { stringOpt, type Parsed } from "../args.ts";
import type { CommandIo } from "../io.ts";
import { closeByHand, reasonOpt } from "./close-by-hand.ts";

/**
 * `gatehouse journal close-verdict`: closes an open offboarding verdict by hand, with who, when and why,
 * as a `verdict-closed` journal entry that the journal fold honours. For what no apply can settle: an
 * account found neither by its stable id nor by its name, a name someone else holds now, a system
 * gatehouse.yaml no longer has. The check is not made again: whoever closes it says it was done by hand.
 */
export async function runCloseVerdict(
  args: Parsed,
  io: CommandIo,
  file: string,
  usage: string,
): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError(`journal close-verdict takes no names\n\n${usage}`);
  const provider = stringOpt(args, "provider");
  const account = stringOpt(args, "account");
  const reason = reasonOpt(args, "verdict");
  if (provider === undefined || account === undefined || reason === undefined)
    throw new UsageError(`journal close-verdict needs --provider, --account and --reason\n\n${usage}`);
  // Held as an apply holds it: no run re-checks or records verdicts while this one is closed.
  return closeByHand(file, io, "verdict", async ({ fold, shown, append }) => {
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
    const entry = await append(closure);
    io.stdout(
      `Closed by hand the open offboarding verdict of ${inlineText(`${verdict.provider}: ${verdict.account}`)} (journal #${String(verdict.seq)}): ` +
        `journal #${String(entry.seq)}, by ${inlineText(actor)}. No apply checks it again; plans no longer note it.\n`,
    );
    return ExitCode.ok;
  });
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
