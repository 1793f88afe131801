/**
 * The changes the journal records between two instants, optionally only those concerning one person, one
 * group or one system: "what changed between D1 and D2", "everything that happened to P". Each with its
 * outcome and the run that made it (commit, actor).
 */
import type { Change } from "../plan/types.ts";
import { accountOf, renamedGroupTo, renamedUserTo } from "../plan/addresses.ts";
import type {
  DeliveryClosedData,
  DrillData,
  GuardrailOverrides,
  JournalEntry,
  OffboardVerifiedData,
  VerdictClosedData,
  WebhookDeliveredData,
} from "./journal-entry.ts";
import { eachEntry } from "./journal-lines.ts";
import { readRefusal, refusalConcerns, refusalNames, type RunRefusal } from "./refusals.ts";
import { FilesApprovals, runApproval, type RunApproval } from "./run-approval.ts";
import { namedByAddress, UnconfirmedChanges, type UnconfirmedChange } from "./unconfirmed-changes.ts";

export interface RecordedChange {
  /** When the system answered. */
  readonly at: string;
  readonly seq: number;
  /** `seq` of the run's apply-start. */
  readonly runSeq: number;
  readonly provider: string;
  readonly outcome: "applied" | "failed" | "skipped";
  readonly change: Change;
  readonly confirmation?: string;
  readonly error?: string;
  /** The run's access-file commit and who ran it. */
  readonly commit?: string;
  readonly actor?: string;
  /** The run was a fire drill's (`gatehouse drill`): the canary's user id. */
  readonly drill?: string;
  /** How the run's access-file commits got onto the branch (run-approval.ts); absent for a drill's run. */
  readonly approval?: RunApproval;
  /**
   * The run applied no new commit: `approval` is that of the run that first applied its commit (the seq
   * of its apply-start), whose commits brought what this run changed.
   */
  readonly approvalFrom?: number;
  /** The guard rails the run overrode, when it accepted any refusal (`--force`, `--allow-removals N`). */
  readonly overrides?: GuardrailOverrides;
}

/** An offboarding check the journal records (apply/offboard-verify.ts), with its `seq` and the run's. */
export type RecordedCheck = OffboardVerifiedData & {
  readonly seq: number;
  readonly commit?: string;
  readonly actor?: string;
};

/** What a change or a check keeps of its run. */
interface RunFacts {
  readonly commit?: string;
  readonly actor: string;
  readonly drill?: string;
  readonly approval: RunApproval;
  readonly approvalFrom?: number;
  readonly overrides?: GuardrailOverrides;
}

/** The run's commit, actor, drill and overrides, as a change of it records them. */
function runFacts(
  run: RunFacts | undefined,
): Pick<RecordedChange, "commit" | "actor" | "drill" | "overrides"> {
  if (run === undefined) return {};
  return {
    ...(run.commit === undefined ? {} : { commit: run.commit }),
    actor: run.actor,
    ...(run.drill === undefined ? {} : { drill: run.drill }),
    ...(run.overrides === undefined || run.overrides.accepted.length === 0
      ? {}
      : { overrides: run.overrides }),
  };
}

/** An open verdict closed by hand (`journal close-verdict`), with its `seq`. */
export type RecordedClosure = VerdictClosedData & { readonly seq: number };

/** A downstream webhook's delivery for a leaver, with its `seq`. */
export type RecordedDelivery = WebhookDeliveredData & { readonly seq: number };

/** An owed webhook delivery closed by hand (`journal close-delivery`), with its `seq`. */
export type RecordedDeliveryClosure = DeliveryClosedData & { readonly seq: number };

/**
 * Whether a webhook delivery, or its closure by hand, is about the person `query` asks about (none is a
 * group's or a system's).
 */
function deliveryConcerns(delivery: WebhookDeliveredData | DeliveryClosedData, query: ChangesQuery): boolean {
  if (query.group !== undefined || query.provider !== undefined) return false;
  return query.user === undefined || delivery.userId === query.user;
}

/**
 * A guard-rail refusal a run recorded (its apply-start's `refused`): that run made only its grant endings
 * and the leavers' offboarding that passed the guard rails on its own, and the rest of its plan waited.
 */
export type RecordedRefusal = RunRefusal & {
  /** When the run started (its apply-start's `at`). */
  readonly at: string;
  /** `seq` of the run's apply-start, which recorded it. */
  readonly seq: number;
  /** How many changes the run made despite the refusal (its apply-start's `changes`; 0: refused whole). */
  readonly made: number;
  /** How many grant ends the files changed it recorded all the same (its apply-start's `grantEnds`). */
  readonly grantEndsRecorded: number;
  readonly commit?: string;
  readonly actor: string;
};

/**
 * A change a run killed mid-apply announced and never recorded an outcome for, with that run's facts: its
 * commit, actor and approval (as a change's: `--unapproved` lists it where the run's commits were not all
 * approved, since it may have been made).
 */
export type RecordedUnconfirmed = UnconfirmedChange & {
  readonly commit?: string;
  readonly actor?: string;
  readonly approval?: RunApproval;
  readonly approvalFrom?: number;
};

/** Whether an unconfirmed change is about the person, group and system `query` asks about. */
function unconfirmedConcerns(
  u: Pick<UnconfirmedChange, "provider" | "group" | "member" | "memberKind" | "account">,
  query: ChangesQuery,
): boolean {
  if (query.provider !== undefined && u.provider !== query.provider) return false;
  if (
    query.user !== undefined &&
    u.account !== query.user &&
    !(u.memberKind === "user" && u.member === query.user)
  )
    return false;
  return query.group === undefined || u.group === query.group;
}

/** A fire drill (`gatehouse drill`), with its `seq`. */
export type RecordedDrill = DrillData & { readonly seq: number };

export interface ChangesQuery {
  /** From this instant (inclusive). */
  readonly since?: Date;
  /** Up to this instant (inclusive). */
  readonly until?: Date;
  /** A person's id in the access files, or an account name. */
  readonly user?: string;
  readonly group?: string;
  readonly provider?: string;
  /** Only changes of runs whose commits did not all come in as the gate requires (RunApproval not "approved"). */
  readonly unapproved?: boolean;
}

function concerns(change: Change, query: ChangesQuery): boolean {
  if (query.user !== undefined) {
    const isTheirs =
      change.userId === query.user ||
      accountOf(change) === query.user ||
      renamedUserTo(change) === query.user;
    if (!isTheirs) return false;
  }
  if (query.group !== undefined) {
    if (change.kind === "user") return false;
    if (change.group !== query.group && renamedGroupTo(change) !== query.group) return false;
  }
  return true;
}

/** An entry without its chain links (`prevHash`, `hash`): what it says, with its `seq`. */
function withoutLinks<T extends { readonly prevHash: string; readonly hash: string }>(
  entry: T,
): Omit<T, "prevHash" | "hash"> {
  return Object.fromEntries(
    Object.entries(entry).filter(([key]) => key !== "prevHash" && key !== "hash"),
  ) as Omit<T, "prevHash" | "hash">;
}

/** Whether an offboarding check is about the person, group and system `query` asks about. */
function checkConcerns(check: OffboardVerifiedData, query: ChangesQuery): boolean {
  if (query.user !== undefined && check.userId !== query.user && check.account !== query.user) return false;
  if (query.group !== undefined && !(check.groups ?? []).includes(query.group)) return false;
  return query.provider === undefined || check.provider === query.provider;
}

/** Whether a verdict closed by hand is about the person and system `query` asks about (none is a group's). */
function closureConcerns(closure: VerdictClosedData, query: ChangesQuery): boolean {
  if (query.group !== undefined) return false;
  if (query.user !== undefined && closure.userId !== query.user && closure.account !== query.user)
    return false;
  return query.provider === undefined || closure.provider === query.provider;
}

/** Whether a drill is about the person and system `query` asks about (none is a group's). */
function drillConcerns(drill: DrillData, query: ChangesQuery): boolean {
  if (query.group !== undefined) return false;
  if (
    query.user !== undefined &&
    drill.canary !== query.user &&
    !drill.systems.some((s) => s.account === query.user)
  )
    return false;
  return query.provider === undefined || drill.systems.some((s) => s.provider === query.provider);
}

/** A filter of a `journal changes` query: the person, group or system asked about. */
export type ChangesFilter = "user" | "group" | "provider";

/**
 * Which of `query`'s filters `entry` names, at any date and whatever the other filters say: a filter no
 * entry ever names is most likely misspelt, and "0 changes" would read as an answer.
 */
function namedFilters(entry: JournalEntry, query: ChangesQuery): ChangesFilter[] {
  const only = (filter: ChangesFilter): ChangesQuery => ({ [filter]: query[filter] });
  const named = (filter: ChangesFilter): boolean => {
    const one = only(filter);
    switch (entry.type) {
      case "change":
        return filter === "provider" ? entry.provider === query.provider : concerns(entry.change, one);
      case "offboard-verified":
        return checkConcerns(entry, one);
      case "verdict-closed":
        return closureConcerns(entry, one);
      case "drill":
        return drillConcerns(entry, one);
      case "webhook-delivered":
      case "delivery-closed":
        return deliveryConcerns(entry, one);
      case "apply-start":
        return (entry.refused ?? []).some((message) => refusalNames(readRefusal(message), one));
      case "intent":
        // A change a run announced and may have made (killed before its outcome) names what it is about.
        return [...entry.changeIds, ...(entry.narrowingIds ?? [])].some((id) =>
          unconfirmedConcerns(namedByAddress(id, entry.provider), one),
        );
      case "apply-end":
        return false;
      case "adopted":
        // Holders found before gatehouse managed the group: the group and system are named by it.
        return filter === "group"
          ? entry.group === query.group
          : filter === "provider"
            ? entry.provider === query.provider
            : false;
    }
  };
  return (["user", "group", "provider"] as const).filter((f) => query[f] !== undefined && named(f));
}

/**
 * The changes of `journalPath` that `query` asks for, in journal order, the offboarding checks among them
 * (with `group`, only those that found the person still in it), the guard-rail refusals of runs that made
 * only part of their plan (those that name the person, group or system asked about, and the removal limits
 * of that system, which held back removals the journal does not list), the verdicts closed by hand, the fire
 * drills, the webhook deliveries and the deliveries closed by hand (none with `group`), and how many
 * entries were read. `unknown`: the filters (user, group, provider) no entry of the journal names, at any date.
 */
export async function changesBetween(
  journalPath: string,
  query: ChangesQuery,
): Promise<{
  readonly entries: number;
  readonly changes: readonly RecordedChange[];
  readonly offboarding: readonly RecordedCheck[];
  readonly refusals: readonly RecordedRefusal[];
  readonly closures: readonly RecordedClosure[];
  readonly drills: readonly RecordedDrill[];
  readonly deliveries: readonly RecordedDelivery[];
  readonly deliveryClosures: readonly RecordedDeliveryClosure[];
  readonly unconfirmed: readonly RecordedUnconfirmed[];
  readonly unknown: readonly ChangesFilter[];
}> {
  const since = query.since?.toISOString();
  const until = query.until?.toISOString();
  const runs = new Map<number, RunFacts>();
  const changes: RecordedChange[] = [];
  const offboarding: RecordedCheck[] = [];
  const refusals: RecordedRefusal[] = [];
  const closures: RecordedClosure[] = [];
  const drills: RecordedDrill[] = [];
  const deliveries: RecordedDelivery[] = [];
  const deliveryClosures: RecordedDeliveryClosure[] = [];
  const unconfirmed: RecordedUnconfirmed[] = [];
  const announced = new UnconfirmedChanges();
  const isInWindow = (at: string): boolean =>
    (since === undefined || at >= since) && (until === undefined || at <= until);
  const filesApprovals = new FilesApprovals();
  const unnamed = new Set((["user", "group", "provider"] as const).filter((f) => query[f] !== undefined));
  const take = (entry: JournalEntry): void => {
    if (unnamed.size > 0) for (const filter of namedFilters(entry, query)) unnamed.delete(filter);
    for (const u of announced.note(entry)) {
      if (!isInWindow(u.at) || !unconfirmedConcerns(u, query)) continue;
      const run = runs.get(u.runSeq);
      // As a change's (below): a drill's run answers to no commit.
      const approval = run === undefined || run.drill !== undefined ? undefined : run.approval;
      if (query.unapproved === true && (approval === undefined || approval === "approved")) continue;
      unconfirmed.push({
        ...u,
        ...(run?.commit === undefined ? {} : { commit: run.commit }),
        ...(run === undefined ? {} : { actor: run.actor }),
        ...(approval === undefined ? {} : { approval }),
        ...(approval === undefined || run?.approvalFrom === undefined
          ? {}
          : { approvalFrom: run.approvalFrom }),
      });
    }
    if (entry.type === "apply-start") {
      const from = filesApprovals.note(entry);
      runs.set(entry.seq, {
        actor: entry.actor,
        ...(entry.commit === undefined ? {} : { commit: entry.commit }),
        ...(entry.drill === undefined ? {} : { drill: entry.drill }),
        ...(entry.overrides === undefined ? {} : { overrides: entry.overrides }),
        approval: runApproval(entry, from?.approvals),
        ...(from === undefined ? {} : { approvalFrom: from.runSeq }),
      });
      if (!isInWindow(entry.at)) return;
      for (const message of entry.refused ?? []) {
        const refusal = readRefusal(message);
        if (!refusalConcerns(refusal, query)) continue;
        refusals.push({
          ...refusal,
          at: entry.at,
          seq: entry.seq,
          made: entry.changes,
          grantEndsRecorded: entry.grantEnds?.length ?? 0,
          ...(entry.commit === undefined ? {} : { commit: entry.commit }),
          actor: entry.actor,
        });
      }
      return;
    }
    if (entry.type === "offboard-verified") {
      if (!isInWindow(entry.at) || !checkConcerns(entry, query)) return;
      const run = runs.get(entry.runSeq);
      // The entry says itself whether it is a drill's (drill: true).
      offboarding.push({
        ...withoutLinks(entry),
        ...(run?.commit === undefined ? {} : { commit: run.commit }),
        ...(run === undefined ? {} : { actor: run.actor }),
      });
      return;
    }
    if (entry.type === "verdict-closed") {
      if (isInWindow(entry.at) && closureConcerns(entry, query)) closures.push(withoutLinks(entry));
      return;
    }
    if (entry.type === "webhook-delivered") {
      if (isInWindow(entry.at) && deliveryConcerns(entry, query)) deliveries.push(withoutLinks(entry));
      return;
    }
    if (entry.type === "delivery-closed") {
      if (isInWindow(entry.at) && deliveryConcerns(entry, query)) deliveryClosures.push(withoutLinks(entry));
      return;
    }
    if (entry.type === "drill") {
      if (isInWindow(entry.at) && drillConcerns(entry, query)) drills.push(withoutLinks(entry));
      return;
    }
    if (entry.type !== "change") return;
    if (!isInWindow(entry.at)) return;
    if (query.provider !== undefined && entry.provider !== query.provider) return;
    if (!concerns(entry.change, query)) return;
    const run = runs.get(entry.runSeq);
    // A drill's changes come from no commit (the canary, offboarded and given back): never "unapproved".
    const approval = run === undefined || run.drill !== undefined ? undefined : run.approval;
    if (query.unapproved === true && (approval === undefined || approval === "approved")) return;
    changes.push({
      at: entry.at,
      seq: entry.seq,
      runSeq: entry.runSeq,
      provider: entry.provider,
      outcome: entry.outcome,
      change: entry.change,
      ...(entry.confirmation === undefined ? {} : { confirmation: entry.confirmation }),
      ...(entry.error === undefined ? {} : { error: entry.error }),
      ...runFacts(run),
      ...(approval === undefined ? {} : { approval }),
      ...(approval === undefined || run?.approvalFrom === undefined
        ? {}
        : { approvalFrom: run.approvalFrom }),
    });
  };
  const entries = await eachEntry(journalPath, take);
  return {
    entries,
    changes,
    offboarding,
    refusals,
    closures,
    drills,
    deliveries,
    deliveryClosures,
    unconfirmed,
    unknown: [...unnamed],
  };
}
