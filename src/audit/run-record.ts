/**
 * One apply run as the journal records it, gathered from its entries: the `apply-start` (who, which
 * commit, the approvals of the commits it applied, the guard-rail overrides and refusals), the
 * `apply-end` (counts, calls, an interruption), and how many changes, offboarding checks and webhook
 * deliveries it wrote. What `journal changes` refers to as "the run's apply-start".
 */
import type { ApplyEndData, ApplyStartData } from "./journal-entry.ts";
import { eachEntry } from "./journal-lines.ts";
import { FilesApprovals, type FilesApproval } from "./run-approval.ts";

export interface RunRecord {
  readonly seq: number;
  readonly start: ApplyStartData;
  readonly end?: ApplyEndData & { readonly seq: number };
  /** Change entries by outcome. */
  readonly changes: { readonly applied: number; readonly failed: number; readonly skipped: number };
  readonly checks: { readonly clean: number; readonly accessLeft: number };
  readonly deliveries: number;
  /**
   * Who held the groups the run took on before gatehouse (`adopted` entries), by provider and group, with
   * how many members and nested groups; absent when it recorded none.
   */
  readonly adopted?: readonly {
    readonly provider: string;
    readonly group: string;
    readonly members: number;
    readonly groupMembers: number;
  }[];
  /** The run started next, if any (its seq). */
  readonly nextRun?: number;
  /**
   * The run applied no new commit: the run that first applied its commit, whose pull requests brought
   * what it applied (run-approval.ts FilesApprovals).
   */
  readonly filesApprovedIn?: FilesApproval;
}

/** The run whose `apply-start` has seq `seq`, or undefined when the journal has no such entry. */
export async function runRecordOf(path: string, seq: number): Promise<RunRecord | undefined> {
  let start: ApplyStartData | undefined;
  let end: (ApplyEndData & { seq: number }) | undefined;
  let nextRun: number | undefined;
  const changes = { applied: 0, failed: 0, skipped: 0 };
  const checks = { clean: 0, accessLeft: 0 };
  let deliveries = 0;
  const adopted = new Map<
    string,
    { provider: string; group: string; members: number; groupMembers: number }
  >();
  const filesApprovals = new FilesApprovals();
  let filesApprovedIn: FilesApproval | undefined;
  await eachEntry(path, (entry) => {
    if (entry.type === "apply-start") {
      if (entry.seq <= seq) {
        const from = filesApprovals.note(entry);
        if (entry.seq === seq) filesApprovedIn = from;
      }
      if (entry.seq === seq) start = entry;
      else if (start !== undefined && nextRun === undefined && entry.seq > seq) nextRun = entry.seq;
      return;
    }
    if (!("runSeq" in entry) || entry.runSeq !== seq) return;
    if (entry.type === "apply-end") end = entry;
    else if (entry.type === "change") changes[entry.outcome]++;
    else if (entry.type === "offboard-verified") {
      if (entry.clean) checks.clean++;
      else checks.accessLeft++;
    } else if (entry.type === "webhook-delivered") deliveries++;
    else if (entry.type === "adopted") {
      // A large group's holders come in several entries: one line each group.
      const key = `${entry.provider}\n${entry.group}`;
      const held = adopted.get(key) ?? {
        provider: entry.provider,
        group: entry.group,
        members: 0,
        groupMembers: 0,
      };
      held.members += entry.members.length;
      held.groupMembers += entry.groupMembers?.length ?? 0;
      adopted.set(key, held);
    }
  });
  if (start === undefined) return undefined;
  return {
    seq,
    start,
    ...(end === undefined ? {} : { end }),
    changes,
    checks,
    deliveries,
    ...(adopted.size === 0 ? {} : { adopted: [...adopted.values()] }),
    ...(nextRun === undefined ? {} : { nextRun }),
    ...(filesApprovedIn === undefined ? {} : { filesApprovedIn }),
  };
}
