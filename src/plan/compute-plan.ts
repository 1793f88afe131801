import type { Change, GrantEndUpdate, Plan, PlanNote, ProviderSummary } from "./types.ts";
import { appendAll } from "../model/lists.ts";
import type { PlanSink, ProviderPlanInput } from "./context.ts";
import { planUsers } from "./plan-users.ts";
import { grantEndUpdates, planGroups } from "./plan-groups.ts";
import { sortChanges, summarize, withoutRepeats } from "./order.ts";
import { alignLiveCase } from "./align-case.ts";
import { journalIgnoringCase } from "./journal-case.ts";
import { adminRoleMarker, noteRefusedRemovals } from "./admin-roles.ts";
import { noteUncertainMembers } from "./uncertain-members.ts";
import { markEndsWithAccount } from "./ends-with-account.ts";
import { describeChange, REASON_TEXT } from "../render/describe.ts";
import { daysSince, lateAsOf } from "../lifecycle/status.ts";

export type { ProviderPlanInput, PlannerCapabilities } from "./context.ts";

export interface PlanInput {
  readonly now: Date;
  readonly desiredDigest: string;
  readonly desiredCommit?: string;
  readonly providers: readonly ProviderPlanInput[];
}

function summarizeProvider(p: ProviderPlanInput): ProviderSummary {
  return {
    name: p.name,
    type: p.type,
    mode: p.mode,
    liveDigest: p.liveDigest,
    readCalls: p.readCalls,
    liveUsers: p.live.users.length,
    liveGroups: p.live.groups.length,
    liveMemberships: p.live.groups.reduce((n, g) => n + g.members.length, 0),
  };
}

/**
 * Expired grants still held more than a day after they ended: the scheduled reconcile did not remove them
 * in time (not run, failing, or refused by a guard rail). Reviewers and auditors see it in the plan.
 */
function noteLateGrants(sink: PlanSink): void {
  const late = sink.lateGrants;
  if (late.length === 0) return;
  const oldest = late.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
  sink.note(
    "info",
    `${String(late.length)} expired grant(s) are removed more than a day after they ended (the oldest ended ${oldest}, ${daysSince(oldest, lateAsOf(sink.now))} days ago): check that the scheduled reconcile runs and succeeds`,
  );
}

/**
 * A provider's input as the planner reads it: where the system ignores case, live names in the files'
 * spelling (alignLiveCase) and the journal looked up ignoring case (journalIgnoringCase).
 */
export function asPlanned(given: ProviderPlanInput): ProviderPlanInput {
  return given.capabilities.caseInsensitiveNames === true
    ? { ...given, live: alignLiveCase(given.desired, given.live), ...journalIgnoringCase(given) }
    : given;
}

/** Desired vs live for every provider: ordered changes, each with reason, source and risk. Pure. */
export function computePlan(input: PlanInput): Plan {
  const changes: Change[] = [];
  const notes: PlanNote[] = [];
  const grantEnds: GrantEndUpdate[] = [];
  for (const given of input.providers) {
    const provider = asPlanned(given);
    const terminated = new Set<string>();
    for (const user of provider.desired.users.values())
      if (user.status === "terminated") terminated.add(user.account);
    // observe mode turns changes into notes as they come, so it drops repeats there; otherwise
    // withoutRepeats does, after the sort.
    const seen = new Set<string>();
    const marked = adminRoleMarker(provider.live);
    const planned: Change[] = [];
    const sink: PlanSink = {
      input: provider,
      terminated,
      now: input.now,
      lateGrants: [],
      byHand: { notCreated: new Set(), renamed: new Map() },
      renamedUsers: new Map(),
      ownersAccounts: new Map(),
      departed: new Map(),
      kept: [],
      keptPrivileged: new Map(),
      change(given) {
        const c = marked(given);
        planned.push(c);
        // One change per address and action: a leaver met twice (managed and unmanaged paths) counts once.
        // observe: gatehouse never writes to this system; what it would do is reported instead.
        if (provider.mode === "observe") {
          const key = `${c.id}|${c.action}`;
          if (seen.has(key)) return;
          seen.add(key);
          notes.push({
            provider: provider.name,
            kind: "observed",
            message: `would ${describeChange(c)} (${REASON_TEXT[c.reason]})`,
            change: c,
          });
          return;
        }
        changes.push(c);
      },
      note(kind, message, about) {
        notes.push({ provider: provider.name, kind, message, ...about });
      },
    };
    const first = changes.length;
    for (const message of provider.live.notes ?? []) sink.note("info", message);
    for (const message of provider.live.unmanaged ?? []) sink.note("unmanaged", message);
    planUsers(sink);
    planGroups(sink);
    markEndsWithAccount(changes, first, provider.capabilities);
    if (provider.mode !== "observe") appendAll(grantEnds, grantEndUpdates(sink));
    noteLateGrants(sink);
    noteRefusedRemovals(sink, planned);
    noteUncertainMembers(sink, planned);
  }
  const ordered = withoutRepeats(
    sortChanges(
      changes,
      input.providers.map((p) => p.name),
    ),
  );
  return {
    formatVersion: 1,
    createdAt: input.now.toISOString(),
    desiredDigest: input.desiredDigest,
    ...(input.desiredCommit === undefined ? {} : { desiredCommit: input.desiredCommit }),
    providers: input.providers.map(summarizeProvider),
    changes: ordered,
    notes,
    summary: summarize(ordered),
    ...(grantEnds.length === 0 ? {} : { grantEnds }),
  };
}
