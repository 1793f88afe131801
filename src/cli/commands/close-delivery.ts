import { ExitCode, UsageError } from "../../errors.ts";
import type { NewJournalEntry } from "../../audit/journal.ts";
import { describeActor } from "../../audit/git.ts";
import { inlineText } from "../../render/terminal-text.ts";
import { firstFew } from "../../model/lists.ts";
import { stringOpt, type Parsed } from "../args.ts";
import type { CommandIo } from "../io.ts";
import { closeByHand, reasonOpt } from "./close-by-hand.ts";
import { lastAttempt } from "../../engine/owed-deliveries.ts";

/**
 * `gatehouse journal close-delivery`: closes by hand a webhook delivery still owed (one the receiver
 * rejected or that failed), with who, when and why, as a `delivery-closed` journal entry that the
 * journal fold honours: no apply sends it again, and it no longer makes applies exit 1. For a receiver
 * that will never take it (retired, told by other means), or a webhook gatehouse.yaml no longer has.
 */
export async function runCloseDelivery(
  args: Parsed,
  io: CommandIo,
  file: string,
  usage: string,
): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError(`journal close-delivery takes no names\n\n${usage}`);
  const id = stringOpt(args, "delivery")?.trim();
  const reason = reasonOpt(args, "delivery");
  if (id === undefined || id === "" || reason === undefined)
    throw new UsageError(`journal close-delivery needs --delivery and --reason\n\n${usage}`);
  // Held as an apply holds it: no run sends or records this delivery while it is closed.
  return closeByHand(file, io, "delivery", async ({ fold, shown, append }) => {
    const owed = [...fold.undelivered.values()];
    const found = owed.find((o) => o.delivery.toLowerCase() === id.toLowerCase());
    if (found === undefined) {
      io.stderr(
        `${shown}: no webhook delivery ${inlineText(id)} is owed` +
          (owed.length === 0
            ? " (none is)\n"
            : `; owed: ${firstFew(owed.map((o) => inlineText(`${o.delivery} (${o.webhook}: ${o.userId})`)))}\n`),
      );
      return ExitCode.error;
    }
    if (found.seq < 1) {
      io.stderr(
        `${shown}: delivery ${inlineText(found.delivery)} is still set aside beside the journal (a run could not record it): the next apply records it first; close it after that\n`,
      );
      return ExitCode.error;
    }
    const actor = await describeActor(io.cwd, io.env);
    const closure: NewJournalEntry = {
      type: "delivery-closed",
      at: io.now().toISOString(),
      actor,
      webhook: found.webhook,
      userId: found.userId,
      delivery: found.delivery,
      closes: found.seq,
      reason,
    };
    const entry = await append(closure);
    io.stdout(
      `Closed by hand the owed delivery ${inlineText(found.delivery)} of webhook ${inlineText(found.webhook)} for ${inlineText(found.userId)} ` +
        `(last attempt ${lastAttempt(found)}, journal #${String(found.seq)}): journal #${String(entry.seq)}, by ${inlineText(actor)}. ` +
        `No apply sends it again; plans no longer note it.\n`,
    );
    return ExitCode.ok;
  });
}
