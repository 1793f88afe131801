/**
 * The leavers the journal records an offboarding of, as an auditor samples them: the HR event and the
 * last day, the run that took their access away and how long after the end of the last day it started,
 * and per system what reading the account back found (clean, access left, the re-checks until it was
 * clean, a verdict closed by hand), with the downstream webhooks' deliveries. A fire drill's canary is no
 * leaver. Pure but for reading the journal.
 */
import { afterDay, DAY_MS, isTerminated, utcMidnight } from "../lifecycle/status.ts";
import type { User } from "../model/access.ts";
import { userAddress } from "../plan/addresses.ts";
import type {
  DeliveryClosedData,
  JournalEntry,
  OffboardVerifiedData,
  VerdictClosedData,
  WebhookDeliveredData,
} from "./journal-entry.ts";
import { eachEntry } from "./journal-lines.ts";

/** One read-back of a leaver's account in one system (an `offboard-verified` entry). */
export interface LeaverCheck {
  readonly seq: number;
  readonly at: string;
  readonly runSeq: number;
  readonly clean: boolean;
  /** Groups it found the account still in (directly, or outside the scope read). */
  readonly groupsLeft: readonly string[];
  /** Why nothing could be checked, or the account found elsewhere. */
  readonly problem?: string;
  /** The seq of the check this one re-checks. */
  readonly recheckOf?: number;
}

/** How one system's offboarding of the leaver ended, as of the last entry read. */
export type SystemOutcome =
  /** The last read-back found no access left. */
  | "clean"
  /** The last read-back found access left, or could not check, and nobody closed it. */
  | "access-left"
  /** The last read-back found access left, and someone closed the verdict by hand (`journal close-verdict`). */
  | "closed-by-hand";

export interface LeaverSystem {
  readonly provider: string;
  readonly account: string;
  readonly checks: readonly LeaverCheck[];
  readonly outcome: SystemOutcome;
  /** When a read-back first found it clean. */
  readonly cleanAt?: string;
  readonly closed?: { readonly at: string; readonly actor: string; readonly reason: string };
}

export interface LeaverWebhook {
  readonly webhook: string;
  readonly delivery: string;
  /** The last attempt's outcome. */
  readonly outcome: "delivered" | "rejected" | "failed";
  readonly at: string;
  /** Attempts over every run that sent it. */
  readonly attempts: number;
  readonly closed?: { readonly at: string; readonly actor: string; readonly reason: string };
}

export interface LeaverRecord {
  /** The person's user id; for checks that named none, the account (`provider/account`). */
  readonly userId: string;
  /** The HR event as the files gave it ("status: terminated, endDate 2026-01-09"). */
  readonly leaving?: string;
  /** The last day (endDate), where the files gave one. */
  readonly lastDay?: string;
  /** When the first run that offboarded them started. */
  readonly offboardedAt: string;
  readonly runSeq: number;
  readonly actor?: string;
  readonly commit?: string;
  /**
   * From the end of the last day (midnight UTC after it) to `offboardedAt`, in ms: negative when the run
   * came before the day was over (dismissed that day). Absent without a last day.
   */
  readonly afterLastDayMs?: number;
  readonly systems: readonly LeaverSystem[];
  readonly webhooks: readonly LeaverWebhook[];
  /** "clean" once every system's last read-back was; "closed-by-hand" when some were closed so. */
  readonly outcome: SystemOutcome;
  /** When the last system was first found clean (where every one was). */
  readonly cleanAt?: string;
}

export interface LeaverQuery {
  readonly since?: Date;
  readonly until?: Date;
  /** A user id, or an account in some system. */
  readonly user?: string;
}

/** Over a day after the end of the last day: offboarded late (what plans and the journal call late). */
export function isLate(record: LeaverRecord): boolean {
  return record.afterLastDayMs !== undefined && record.afterLastDayMs > DAY_MS;
}

/** The last day an HR event names ("endDate 2026-01-09 has passed" → 2026-01-09). */
function lastDayOf(leaving: string | undefined): string | undefined {
  return leaving === undefined ? undefined : /\bendDate (\d{4}-\d{2}-\d{2})\b/.exec(leaving)?.[1];
}

interface Draft {
  readonly key: string;
  readonly userId: string;
  readonly leaving?: string;
  /** The first check, in journal order: its run is the one that offboarded them. */
  readonly first: OffboardVerifiedData & { seq: number };
  readonly checks: Map<string, (OffboardVerifiedData & { seq: number })[]>;
}

/**
 * Every leaver the journal at `path` records an offboarding of, in the order they were offboarded (their
 * first run started). A person offboarded twice (rehired, then leaving again) is two records: one per HR
 * event. `selectLeavers` picks those a question asks about.
 */
export async function leaversOffboarded(path: string): Promise<LeaverRecord[]> {
  const runs = new Map<number, { actor: string; commit?: string }>();
  const drafts = new Map<string, Draft>();
  const draftOfCheck = new Map<number, Draft>();
  const closures = new Map<number, VerdictClosedData>();
  const deliveries = new Map<string, (WebhookDeliveredData & { seq: number })[]>();
  const deliveryClosures = new Map<number, DeliveryClosedData>();
  await eachEntry(path, (entry: JournalEntry) => {
    switch (entry.type) {
      case "apply-start":
        runs.set(entry.seq, {
          actor: entry.actor,
          ...(entry.commit === undefined ? {} : { commit: entry.commit }),
        });
        return;
      case "offboard-verified": {
        if (entry.drill === true) return;
        // A re-check belongs to the offboarding it re-checks, whatever the files say by then.
        const earlier = entry.recheckOf === undefined ? undefined : draftOfCheck.get(entry.recheckOf);
        const userId = entry.userId ?? `${entry.provider}/${entry.account}`;
        const key = earlier?.key ?? `${userId}\n${entry.leaving ?? ""}`;
        let draft = earlier ?? drafts.get(key);
        if (draft === undefined) {
          draft = {
            key,
            userId,
            ...(entry.leaving === undefined ? {} : { leaving: entry.leaving }),
            first: entry,
            checks: new Map(),
          };
          drafts.set(key, draft);
        }
        const system = `${entry.provider}\n${entry.account}`;
        const list = draft.checks.get(system);
        if (list === undefined) draft.checks.set(system, [entry]);
        else list.push(entry);
        draftOfCheck.set(entry.seq, draft);
        return;
      }
      case "verdict-closed":
        closures.set(entry.closes, entry);
        return;
      case "webhook-delivered": {
        const list = deliveries.get(entry.userId);
        if (list === undefined) deliveries.set(entry.userId, [entry]);
        else list.push(entry);
        return;
      }
      case "delivery-closed":
        deliveryClosures.set(entry.closes, entry);
        return;
      case "adopted":
      case "apply-end":
      case "change":
      case "drill":
      case "intent":
        return;
    }
  });
  const out: LeaverRecord[] = [];
  for (const draft of drafts.values())
    out.push(recordOf(draft, runs, closures, deliveries, deliveryClosures));
  return out.sort((a, b) => Date.parse(a.offboardedAt) - Date.parse(b.offboardedAt) || a.runSeq - b.runSeq);
}

/** The records offboarded from `since` to `until`, of `user` (their id, or an account in some system). */
export function selectLeavers(records: readonly LeaverRecord[], query: LeaverQuery): LeaverRecord[] {
  return records.filter((r) => {
    const at = Date.parse(r.offboardedAt);
    if (query.since !== undefined && at < query.since.getTime()) return false;
    if (query.until !== undefined && at > query.until.getTime()) return false;
    return (
      query.user === undefined || r.userId === query.user || r.systems.some((s) => s.account === query.user)
    );
  });
}

function recordOf(
  draft: Draft,
  runs: ReadonlyMap<number, { actor: string; commit?: string }>,
  closures: ReadonlyMap<number, VerdictClosedData>,
  deliveries: ReadonlyMap<string, readonly (WebhookDeliveredData & { seq: number })[]>,
  deliveryClosures: ReadonlyMap<number, DeliveryClosedData>,
): LeaverRecord {
  const systems = [...draft.checks.values()].map((checks) => systemOf(checks, closures));
  const lastDay = lastDayOf(draft.leaving);
  const run = runs.get(draft.first.runSeq);
  const outcome: SystemOutcome = systems.some((s) => s.outcome === "access-left")
    ? "access-left"
    : systems.some((s) => s.outcome === "closed-by-hand")
      ? "closed-by-hand"
      : "clean";
  const cleanAts = systems.map((s) => s.cleanAt);
  const cleanAt =
    outcome === "clean" && cleanAts.every((c) => c !== undefined)
      ? cleanAts.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a))
      : undefined;
  return {
    userId: draft.userId,
    ...(draft.leaving === undefined ? {} : { leaving: draft.leaving }),
    ...(lastDay === undefined ? {} : { lastDay }),
    offboardedAt: draft.first.triggeredAt,
    runSeq: draft.first.runSeq,
    ...(run === undefined ? {} : { actor: run.actor }),
    ...(run?.commit === undefined ? {} : { commit: run.commit }),
    ...(lastDay === undefined
      ? {}
      : { afterLastDayMs: Date.parse(draft.first.triggeredAt) - afterDay(lastDay) }),
    systems,
    webhooks: webhooksOf(deliveries.get(draft.userId) ?? [], draft.first.triggeredAt, deliveryClosures),
    outcome,
    ...(cleanAt === undefined ? {} : { cleanAt }),
  };
}

function systemOf(
  checks: readonly (OffboardVerifiedData & { seq: number })[],
  closures: ReadonlyMap<number, VerdictClosedData>,
): LeaverSystem {
  const last = checks[checks.length - 1] ?? checks[0];
  if (last === undefined) throw new Error("a leaver's system without a check");
  const closure = closures.get(last.seq);
  const cleanAt = checks.find((c) => c.clean)?.at;
  return {
    provider: last.provider,
    account: last.account,
    checks: checks.map((c) => ({
      seq: c.seq,
      at: c.at,
      runSeq: c.runSeq,
      clean: c.clean,
      groupsLeft: [...(c.groups ?? []), ...(c.groupsOutside ?? [])],
      ...(c.error === undefined
        ? c.elsewhere === undefined
          ? {}
          : { problem: `an account of that name outside the scope read: ${c.elsewhere}` }
        : { problem: c.error }),
      ...(c.recheckOf === undefined ? {} : { recheckOf: c.recheckOf }),
    })),
    outcome: last.clean ? "clean" : closure === undefined ? "access-left" : "closed-by-hand",
    ...(cleanAt === undefined ? {} : { cleanAt }),
    ...(closure === undefined
      ? {}
      : { closed: { at: closure.at, actor: closure.actor, reason: closure.reason } }),
  };
}

/** The deliveries of each webhook for this offboarding (sent from its run on), the last attempt of each. */
function webhooksOf(
  entries: readonly (WebhookDeliveredData & { seq: number })[],
  from: string,
  closures: ReadonlyMap<number, DeliveryClosedData>,
): LeaverWebhook[] {
  const byDelivery = new Map<string, { last: WebhookDeliveredData & { seq: number }; attempts: number }>();
  for (const entry of entries) {
    if (Date.parse(entry.at) < Date.parse(from)) continue; // an earlier offboarding's (rehired since)
    const known = byDelivery.get(entry.delivery);
    byDelivery.set(entry.delivery, { last: entry, attempts: (known?.attempts ?? 0) + entry.attempts });
  }
  return [...byDelivery.values()].map(({ last, attempts }) => {
    const closure = closures.get(last.seq);
    return {
      webhook: last.webhook,
      delivery: last.delivery,
      outcome: last.outcome,
      at: last.at,
      attempts,
      ...(closure === undefined
        ? {}
        : { closed: { at: closure.at, actor: closure.actor, reason: closure.reason } }),
    };
  });
}

/**
 * A leaver in the access files with accounts gatehouse managed and recorded no offboarding of: none of
 * theirs at all, or some (an account in a system the run that offboarded them left out, unreadable or not
 * named by --provider; one deleted or disabled by hand before it, which the run had nothing to change on).
 */
export interface MissingOffboarding {
  readonly userId: string;
  /** "status: terminated", "endDate 2026-03-01" */
  readonly leaving: string;
  readonly lastDay?: string;
  /** The accounts the journal saw gatehouse manage for them and no check of, as `provider/account`. */
  readonly accounts: readonly string[];
  /** Their accounts in other systems were offboarded and checked (a LeaverRecord names them). */
  readonly isOffboardedElsewhere: boolean;
}

/** What the journal knows of the accounts gatehouse managed (JournalFold's fields of those names). */
export interface ManagedAccounts {
  /** By `${provider}\n${userId}`: the accounts of each person (JournalFold.accounts). */
  readonly accounts: ReadonlyMap<string, readonly string[]>;
  /** User addresses gatehouse itself disabled last (JournalFold.disabled): no access is left on them. */
  readonly disabled: ReadonlySet<string>;
}

/** An account as compared here: systems other than the local directory ignore the case of names. */
const accountKey = (provider: string, account: string): string => `${provider}\n${account.toLowerCase()}`;

/**
 * The people the files have as leavers at `at` (terminated, or past their end date), whose last day falls
 * in the window where they have one, with the accounts the journal saw gatehouse manage for them
 * (`managed.accounts`) that no offboarding check of theirs names (`offboardings`: every LeaverRecord, any
 * date) and that gatehouse did not disable itself: the population an auditor compares the sample with. A
 * person offboarded in one system is still listed for an account in another that nothing checked, since
 * "offboarded" would otherwise say that no access of theirs is left anywhere.
 */
export function missingOffboardings(
  users: Iterable<User>,
  managed: ManagedAccounts,
  offboardings: readonly LeaverRecord[],
  query: LeaverQuery,
  at: Date,
): MissingOffboarding[] {
  const byUser = new Map<string, { provider: string; account: string }[]>();
  for (const [key, names] of managed.accounts) {
    const [provider = "", userId = ""] = key.split("\n");
    const list = byUser.get(userId) ?? [];
    for (const account of names) list.push({ provider, account });
    byUser.set(userId, list);
  }
  const checked = new Map<string, Set<string>>();
  for (const record of offboardings) {
    const set = checked.get(record.userId) ?? new Set<string>();
    for (const s of record.systems) set.add(accountKey(s.provider, s.account));
    checked.set(record.userId, set);
  }
  const disabled = new Set([...managed.disabled].map((a) => a.toLowerCase()));
  const out: MissingOffboarding[] = [];
  for (const user of users) {
    if (!isTerminated(user, at)) continue;
    if (query.user !== undefined && query.user !== user.id) continue;
    const seen = checked.get(user.id);
    const held = (byUser.get(user.id) ?? []).filter(
      (a) =>
        seen?.has(accountKey(a.provider, a.account)) !== true &&
        !disabled.has(userAddress(a.provider, a.account).toLowerCase()),
    );
    if (held.length === 0) continue;
    if (user.endDate !== undefined) {
      // The last day overlaps the window.
      if (query.since !== undefined && afterDay(user.endDate) <= query.since.getTime()) continue;
      if (query.until !== undefined && utcMidnight(user.endDate) > query.until.getTime()) continue;
    }
    const leaving = [
      ...(user.status === "terminated" ? ["status: terminated"] : []),
      ...(user.endDate === undefined ? [] : [`endDate ${user.endDate}`]),
    ].join(", ");
    out.push({
      userId: user.id,
      leaving,
      ...(user.endDate === undefined ? {} : { lastDay: user.endDate }),
      accounts: held.map((a) => `${a.provider}/${a.account}`).sort(),
      isOffboardedElsewhere: seen !== undefined,
    });
  }
  return out.sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
}
