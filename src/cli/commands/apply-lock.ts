import { acquireFileLock, type HeldLock } from "../../io/file-lock.ts";
import type { CommandIo } from "../io.ts";

/** How long a command waits for an apply on this machine to finish with the same journal. */
export const APPLY_LOCK_WAIT_MS = 10 * 60_000;

/**
 * Takes `<journal>.apply.lock`, held by an apply from its plan to its last entry (and by whatever else
 * appends to the journal outside a run): one at a time per journal on this machine. While another holds
 * it, says so on stderr once (`then`: what happens after the wait) and waits up to APPLY_LOCK_WAIT_MS.
 */
export function acquireApplyLock(journalPath: string, io: CommandIo, then: string): Promise<HeldLock> {
  return acquireFileLock(`${journalPath}.apply`, {
    timeoutMs: APPLY_LOCK_WAIT_MS,
    onWait: (pid) => {
      io.stderr(
        `another apply${pid === undefined ? "" : ` (pid ${String(pid)})`} is running with this journal; waiting for it to finish (up to ${String(Math.round(APPLY_LOCK_WAIT_MS / 60_000))} minutes)${then}\n`,
      );
    },
  });
}
