import type { ProviderMode } from "../model/access.ts";
import type { Change, GrantEndUpdate } from "../plan/types.ts";
import type { ProviderStats, UnreadMembership } from "../providers/types.ts";
import type { ApprovalsRecord } from "../pr/approval-record.ts";
import { canonicalSha256Without } from "./canonical-json.ts";
import { isChange, isRecord } from "./change-shape.ts";

/** `prevHash` of the first entry. */
export const GENESIS_HASH = "0".repeat(64);

/** An apply run begins: what is about to be applied, by whom. */
export interface ApplyStartData {
  readonly type: "apply-start";
  /** ISO 8601 instant. */
  readonly at: string;
  readonly actor: string;
  /** git commit of the access files, when known. */
  readonly commit?: string;
  readonly planDigest: string;
  readonly desiredDigest: string;
  readonly providers: readonly string[];
  /**
   * Each provider's mode for this run (absent before it was kept): what the run's plan would have done
   * with a membership it found that the files do not give (`journal access` bounds hand edits with it).
   */
  readonly modes?: Readonly<Record<string, ProviderMode>>;
  /** Number of changes in the plan. */
  readonly changes: number;
  /** Guard rails overridden for this run (`--force`, `--allow-removals N`), and what they let through. */
  readonly overrides?: GuardrailOverrides;
  /** `--record-approvals`: the pull requests and approvals behind the access-file commits since the last run. */
  readonly approvals?: ApprovalsRecord;
  /**
   * A fire drill's run (`gatehouse drill`): the user id of the canary whose access the run takes away or
   * gives back. Its changes are real, and no real leaver's: see DrillData.
   */
  readonly drill?: string;
  /**
   * The gatehouse that made the run: its version and build (the first 16 hex digits of the hash of its
   * code, schemas, dependencies and Node.js), so an auditor can tell which rules applied. Absent in runs
   * of versions before it was recorded.
   */
  readonly gatehouse?: { readonly version: string; readonly build: string };
  /**
   * Grants gatehouse added whose end the files changed since with nothing to apply (Plan.grantEnds): the
   * end approved now, null for a membership made lasting. Absent when there was none.
   */
  readonly grantEnds?: readonly GrantEndUpdate[];
  /**
   * The guard rails refused the plan, and nothing overrode them: the run made only what a refusal does
   * not stop (grant endings, the leavers' offboarding that passes the guard rails on its own), and these
   * are the refusals the rest waits on. Absent when nothing was refused.
   */
  readonly refused?: readonly string[];
  /**
   * The run records who held a group before gatehouse, for each group it takes on (`adopted` entries):
   * its systems' groups are on record from then on. Absent in runs of versions before that (the first
   * run that records them over such a journal marks its entries `late`), and in a fire drill's.
   */
  readonly adopts?: true;
  /**
   * Systems gatehouse.yaml configures that the run left out, neither read nor changed: `error` says why one
   * could not be read or set up (down, refusing the credentials, its variable not set); absent, it was not
   * named by `--provider`. A leaver the run offboarded elsewhere was not offboarded there. Absent when the
   * run reached every system.
   */
  readonly leftOut?: readonly LeftOutSystem[];
}

/** A system an apply run left out (ApplyStartData.leftOut). */
export interface LeftOutSystem {
  readonly provider: string;
  /** Why it could not be read or set up (the error apply printed); absent: not named by `--provider`. */
  readonly error?: string;
}

export interface GuardrailOverrides {
  readonly force?: true;
  readonly allowRemovals?: number;
  /** The guard-rail refusals the overrides accepted (empty when they were not needed). */
  readonly accepted: readonly string[];
}

/** One change as a connected system confirmed (or refused) it. */
export interface ChangeData {
  readonly type: "change";
  /** ISO 8601 instant the system answered. */
  readonly at: string;
  /** `seq` of the run's apply-start entry. */
  readonly runSeq: number;
  readonly provider: string;
  readonly changeId: string;
  readonly change: Change;
  /** "skipped": not attempted, because a change it depends on failed or the run was interrupted. */
  readonly outcome: "applied" | "failed" | "skipped";
  readonly confirmation?: string;
  /**
   * The system's stable id of the account a user change, or the group a group change, acted on (OpenLDAP
   * entryUUID), where known: an account's create, update, enable, disable or delete, a group's create,
   * update or delete (older entries: an account's disable or delete only).
   */
  readonly accountId?: string;
  /** The error message, for failed changes. Never contains secrets (ProviderError redacts them). */
  readonly error?: string;
}

/**
 * Written before a system is asked to make changes: if the run dies between that write and its `change`
 * entries, the journal still says gatehouse may have made them. Those that grant or manage something
 * (create, add, enable, update) are `changeIds`: later plans treat them as gatehouse's. Those that take
 * something away (disable, remove, delete) are `narrowingIds`: an auditor sees that they may have been
 * made; they make nothing gatehouse's.
 */
export interface IntentData {
  readonly type: "intent";
  readonly at: string;
  readonly runSeq: number;
  readonly provider: string;
  /** The granting changes' addresses (Change.id). */
  readonly changeIds: readonly string[];
  /** The narrowing changes' addresses (Change.id); absent when there are none (and before it was kept). */
  readonly narrowingIds?: readonly string[];
}

/** An apply run ended. */
export interface ApplyEndData {
  readonly type: "apply-end";
  readonly at: string;
  readonly runSeq: number;
  readonly applied: number;
  readonly failed: number;
  /** Changes not attempted (a dependency failed, or the run was interrupted). */
  readonly skipped?: number;
  readonly durationMs: number;
  /** Calls made per provider during the run. */
  readonly calls: Readonly<Record<string, ProviderStats>>;
  /** Calls the offboarding check's read-back made per provider, apart from `calls` (when there was one). */
  readonly offboardingCalls?: Readonly<Record<string, ProviderStats>>;
  /**
   * The run died before its end (killed, crashed): the next apply wrote this end for it, from what the
   * run's entries recorded (`at` is then when that apply found it; durationMs spans the run's entries).
   */
  readonly interrupted?: true;
  /** With `interrupted`: changes announced by an intent with no recorded outcome; they may have been made. */
  readonly unconfirmed?: readonly string[];
}

/** How a leaver's account stands after the run. */
export type AccountState = "absent" | "disabled" | "enabled" | "pending";

/**
 * What became of a leaver's sessions and tokens in one system: "revoked" (this run revoked them),
 * "none" (the system can revoke them and reports none open), "not-possible" (gatehouse cannot revoke
 * them there, so nothing was checked), "left" (still open after the run).
 */
export type SessionsCheck =
  | { readonly outcome: "revoked"; readonly sessions: number; readonly tokens: number }
  | { readonly outcome: "none" }
  | { readonly outcome: "not-possible" }
  | { readonly outcome: "left"; readonly sessions: number; readonly tokens: number };

/**
 * The offboarding check of one leaver's account in one system, after the run's changes: what reading
 * the system back found left of their access (see apply/offboard-verify.ts). Written before apply-end.
 */
/** What reading a leaver's account back found (apply/offboard-verify.ts). */
export interface OffboardFindings {
  /** No access left: the account is disabled or gone, in no group read, with no open session. */
  readonly clean: boolean;
  readonly accountState?: AccountState;
  /** Groups the read found the account still in (directly, or as maintainer). */
  readonly groups?: readonly string[];
  /** Groups outside the scope gatehouse reads that still hold the account (where the system can tell: LDAP DNs). */
  readonly groupsOutside?: readonly string[];
  /**
   * Groups gatehouse reads that still name the account through a member attribute it does not read or
   * manage (LDAP: `memberUid` in an rfc2307bis group whose `member` it manages), with that attribute; or
   * through the attribute it manages by a value it maps to no one (`memberUid: Ben` for ben), with that value.
   */
  readonly unreadMemberships?: readonly UnreadMembership[];
  readonly sessions?: SessionsCheck;
  /** An account of that name outside the scope gatehouse reads (an LDAP DN): not checked, not clean. */
  readonly elsewhere?: string;
  /**
   * The system could not be read back, or the run failed to disable or delete the account and the read
   * found none of that name (renamed or moved meanwhile?): nothing was checked.
   */
  readonly error?: string;
  /**
   * A first read found access left, and the system was read again this long after (ms): the findings and
   * `clean` are the second read's. Absent: one read (it found none left, or re-reading was off).
   */
  readonly recheckedAfterMs?: number;
  /**
   * Of `groups`, those the system says it may still be changing (LDAP: entries refint may still be
   * rewriting, as the read cache tracks them): access left there may yet go, or may not.
   */
  readonly unsettled?: readonly string[];
  /**
   * The account the run disabled or deleted is now named this (found by the system's stable id, OpenLDAP
   * entryUUID): renamed since; the findings are that account's.
   */
  readonly renamedTo?: string;
}

export interface OffboardVerifiedData extends OffboardFindings {
  readonly type: "offboard-verified";
  /** ISO 8601 instant the system was read back. */
  readonly at: string;
  readonly runSeq: number;
  /** When the run that offboarded them started (its apply-start's `at`): the trigger time. */
  readonly triggeredAt: string;
  readonly provider: string;
  readonly account: string;
  readonly userId?: string;
  /** The HR event that made them a leaver, as the files give it ("status: terminated, endDate 2026-11-20"). */
  readonly leaving?: string;
  /** Offboarded more than a day after their end date: by how long. */
  readonly lateBy?: string;
  /**
   * A re-check: the `seq` of the earlier `offboard-verified` entry of this account that found access left
   * (an open verdict, see JournalFold.verdicts), which this one supersedes. `triggeredAt` and `leaving` are
   * then that entry's: the offboarding is the same one. Absent: the first check after the run's changes.
   */
  readonly recheckOf?: number;
  /**
   * The system's stable id of the account (OpenLDAP entryUUID), which survives a rename or a move: the
   * run's change gave it (ChangeData.accountId), or the verdict this one re-checks kept it. A re-check
   * finds the account by it first (Provider.accountsById). Absent where the system gave none.
   */
  readonly accountId?: string;
  /** The check of a fire drill's canary (`gatehouse drill`): it opens no verdict, and closes none. */
  readonly drill?: true;
}

/** How a fire drill ended: no access left anywhere, access left somewhere, or a change or a read failed. */
export type DrillOutcome = "clean" | "access-left" | "failed";

/** One system's part of a fire drill: how long from the drill's start each step of the kill chain took. */
export interface DrillSystem {
  readonly provider: string;
  readonly account: string;
  /** Milliseconds from the drill's start (DrillData.startedAt) to the system confirming the disable. */
  readonly disabledAfterMs?: number;
  /** To the system confirming the last membership removal (absent: the canary had none there). */
  readonly membershipsRemovedAfterMs?: number;
  /** To the offboarding check reading the system back with no access left (absent: not clean). */
  readonly cleanAfterMs?: number;
  readonly clean: boolean;
  /** Membership removals the kill chain made there. */
  readonly removals: number;
  /** Changes the system refused, or that were not attempted. */
  readonly failed: number;
}

/**
 * A fire drill (`gatehouse drill`): the canary offboarded through the same plan, apply and offboarding
 * check as a real leaver (run `runSeq`, whose apply-start carries `drill`), then given its access back
 * (run `restoreRunSeq`).
 */
export interface DrillData {
  readonly type: "drill";
  /** ISO 8601 instant the drill ended (after the restore). */
  readonly at: string;
  readonly actor: string;
  /** The canary's user id. */
  readonly canary: string;
  /** ISO 8601 instant the drill started, before its plan: what the timings count from. */
  readonly startedAt: string;
  /** `seq` of the kill chain's apply-start (absent when it never started, as when a guard rail refused it). */
  readonly runSeq?: number;
  readonly outcome: DrillOutcome;
  readonly systems: readonly DrillSystem[];
  readonly restore: {
    /** "restored": the restore applied and a plan made afterwards has nothing left for the canary. */
    readonly outcome: "restored" | "failed";
    readonly runSeq?: number;
    /** Changes for the canary a plan made after the restore still has (0 when restored). */
    readonly left: number;
    /**
     * Systems (provider names) where the restore could only invite the canary again (GitHub: the org
     * membership comes back once the canary accepts the invitation); absent when none.
     */
    readonly pending?: readonly string[];
    readonly error?: string;
  };
  /** Why the kill chain failed, when it did not get to its check. */
  readonly error?: string;
}

/**
 * An open offboarding verdict closed by hand (`gatehouse journal close-verdict`): someone looked at what
 * the check could not (an account not found by id or name, a system no longer configured) and says the
 * access is gone, or accepts that it stays. Not part of an apply run: it has no runSeq.
 */
export interface VerdictClosedData {
  readonly type: "verdict-closed";
  /** ISO 8601 instant the closure was recorded. */
  readonly at: string;
  /** Who closed it, as an apply-start records its actor (the CI actor, else the git user, else the OS user). */
  readonly actor: string;
  readonly provider: string;
  /** The account as the open verdict names it. */
  readonly account: string;
  readonly userId?: string;
  /** The `seq` of the `offboard-verified` entry that was the open verdict, which this closes. */
  readonly closes: number;
  /** Why it could be closed, in the words of whoever closed it. */
  readonly reason: string;
}

/** What became of one delivery of a downstream webhook (policy.offboarding.webhooks) for a leaver. */
export interface WebhookOutcome {
  /** The webhook's name in gatehouse.yaml. */
  readonly webhook: string;
  readonly userId: string;
  /** The X-Gatehouse-Delivery id the requests carried. */
  readonly delivery: string;
  /**
   * "delivered": a 2xx answer. "rejected": a 4xx other than 408 and 429, which asking again unchanged
   * will not fix (the receiver refuses the request: a wrong URL, a signature it does not accept).
   * "failed": no 2xx after the last attempt otherwise (5xx, 408, 429, a timeout, no connection).
   * Both "rejected" and "failed" stay owed (JournalFold.undelivered) until one is delivered or someone
   * closes it by hand (`journal close-delivery`, a `delivery-closed` entry).
   */
  readonly outcome: "delivered" | "rejected" | "failed";
  readonly attempts: number;
  /** The last answer's status code, where there was one. */
  readonly status?: number;
  /** Why the last attempt got no answer (a timeout, a refused connection). */
  readonly error?: string;
  /**
   * On a rejected or failed delivery: the body sent (the person's name and email among it), which the next apply
   * sends again, under the same `delivery` id, until one is delivered (JournalFold.undelivered).
   */
  readonly body?: string;
  /** A delivery an earlier run owed, sent again: the `seq` of the failed entry (whose triggeredAt this keeps). */
  readonly retryOf?: number;
}

/**
 * One delivery of a downstream webhook for a leaver the run offboarded: written after the run's
 * apply-end (its changes and checks are recorded before any webhook is called). Neither the URL nor
 * the secret is recorded (either may carry a credential).
 */
export interface WebhookDeliveredData extends WebhookOutcome {
  readonly type: "webhook-delivered";
  /** ISO 8601 instant the delivery ended (delivered, or the last attempt failed). */
  readonly at: string;
  readonly runSeq: number;
  /** The run's start (its apply-start's `at`): the trigger time the body carried. */
  readonly triggeredAt: string;
}

/**
 * A webhook delivery still owed closed by hand (`gatehouse journal close-delivery`): someone told the
 * downstream system otherwise, or accepts that it is not told. No apply sends it again. Not part of an
 * apply run: it has no runSeq.
 */
export interface DeliveryClosedData {
  readonly type: "delivery-closed";
  /** ISO 8601 instant the closure was recorded. */
  readonly at: string;
  /** Who closed it, as an apply-start records its actor (the CI actor, else the git user, else the OS user). */
  readonly actor: string;
  /** The webhook's name, the person and the X-Gatehouse-Delivery id, as the owed delivery names them. */
  readonly webhook: string;
  readonly userId: string;
  readonly delivery: string;
  /** The `seq` of the `webhook-delivered` entry that was owed (its latest attempt), which this closes. */
  readonly closes: number;
  /** Why it could be closed, in the words of whoever closed it. */
  readonly reason: string;
}

/**
 * The members a run found holding a group when gatehouse first managed the group's members in a system
 * (the system's first apply, a group whose members newly came under management, or the first run of a
 * gatehouse that records this over a journal without it): the live members the journal has no add by
 * gatehouse for. They held it before gatehouse (at the latest from `at`), and kept it; a later removal is
 * the end of that holding. Written right after the run's apply-start, before any of its changes, from the
 * read its plan was made of. A group with many such members takes several entries (ADOPTED_PER_ENTRY).
 */
export interface AdoptedData {
  readonly type: "adopted";
  /** The run's start (its apply-start's `at`): the members were held then, at the latest. */
  readonly at: string;
  readonly runSeq: number;
  readonly provider: string;
  /** The group's name in the system, as the read found it. */
  readonly group: string;
  /** Accounts found holding it (account names, as membership changes name members), sorted. */
  readonly members: readonly string[];
  /** Groups found nested in it (systems with native nesting), sorted; absent when none. */
  readonly groupMembers?: readonly string[];
  /**
   * Runs of a gatehouse that did not record adoptions managed this system before: the members may have
   * been added by hand since then rather than held before gatehouse. They were held at `at`, not added by
   * gatehouse; since when, the journal cannot tell.
   */
  readonly late?: true;
}

/** Members per `adopted` entry: a group of 100k members is ten lines of at most ~200 KB, not one of 2 MB. */
export const ADOPTED_PER_ENTRY = 10_000;

/** What callers append; the journal adds `seq`, `prevHash` and `hash`. */
export type NewJournalEntry =
  | ApplyStartData
  | IntentData
  | ChangeData
  | OffboardVerifiedData
  | ApplyEndData
  | VerdictClosedData
  | DeliveryClosedData
  | DrillData
  | WebhookDeliveredData
  | AdoptedData;

export interface ChainFields {
  /** 1 for the first entry, then +1 per entry. */
  readonly seq: number;
  /** The previous entry's hash; 64 zeros for the first entry. */
  readonly prevHash: string;
  /** sha256 of the canonical JSON of the entry without `hash`. */
  readonly hash: string;
}

export type JournalEntry = NewJournalEntry & ChainFields;

/** Chains a new entry after `previous` (undefined for the first entry). */
/** Whether `entry` comes right after `previous` in the chain (or starts it, when nothing is before). */
export function follows(
  entry: ChainFields,
  previous: Pick<ChainFields, "seq" | "hash"> | undefined,
): boolean {
  return previous === undefined
    ? entry.seq === 1 && entry.prevHash === GENESIS_HASH
    : entry.seq === previous.seq + 1 && entry.prevHash === previous.hash;
}

export function sealEntry(entry: NewJournalEntry, previous: ChainFields | undefined): JournalEntry {
  const sealed: NewJournalEntry & { seq: number; prevHash: string; hash?: string } = {
    ...entry,
    seq: (previous?.seq ?? 0) + 1,
    prevHash: previous?.hash ?? GENESIS_HASH,
  };
  // Hashed before `hash` is there, then given it: one copy of the entry, not two (an import seals
  // two million).
  sealed.hash = hashEntry(sealed);
  return sealed as JournalEntry;
}

/** The hash an entry should carry: sha256 over its canonical JSON, `hash` left out. */
export function hashEntry(entry: Readonly<Record<string, unknown>> | NewJournalEntry): string {
  return canonicalSha256Without(entry, "hash");
}

const HEX64 = /^[0-9a-f]{64}$/;

const isStringList = (value: unknown): boolean =>
  Array.isArray(value) && value.every((id) => typeof id === "string");

function isLeftOut(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.every(
      (s) =>
        isRecord(s) &&
        typeof s["provider"] === "string" &&
        (s["error"] === undefined || typeof s["error"] === "string"),
    )
  );
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

function isInstant(value: unknown): boolean {
  return typeof value === "string" && !Number.isNaN(Date.parse(value));
}

function isCalls(value: unknown): boolean {
  return (
    isRecord(value) &&
    Object.values(value).every((s) => isRecord(s) && isCount(s["reads"]) && isCount(s["writes"]))
  );
}

function isOverrides(value: unknown): boolean {
  if (!isRecord(value)) return false;
  const { force, allowRemovals, accepted } = value;
  return (
    (force === undefined || force === true) &&
    (allowRemovals === undefined || isCount(allowRemovals)) &&
    Array.isArray(accepted) &&
    accepted.every((a) => typeof a === "string")
  );
}

function isApprovals(value: unknown): boolean {
  if (!isRecord(value) || typeof value["repo"] !== "string" || !Array.isArray(value["commits"])) return false;
  if (value["error"] !== undefined && typeof value["error"] !== "string") return false;
  return value["commits"].every(
    (c) =>
      isRecord(c) &&
      typeof c["commit"] === "string" &&
      (c["approvals"] === undefined ||
        (Array.isArray(c["approvals"]) &&
          c["approvals"].every((a) => isRecord(a) && typeof a["login"] === "string"))) &&
      (c["gate"] === undefined || isRecordedGate(c["gate"])),
  );
}

function isRecordedGate(value: unknown): boolean {
  return (
    isRecord(value) &&
    typeof value["isOk"] === "boolean" &&
    Array.isArray(value["requirements"]) &&
    value["requirements"].every(
      (r) =>
        isRecord(r) &&
        typeof r["subject"] === "string" &&
        typeof r["required"] === "number" &&
        Array.isArray(r["approvedBy"]) &&
        r["approvedBy"].every((l) => typeof l === "string"),
    ) &&
    (value["error"] === undefined || typeof value["error"] === "string")
  );
}

const ACCOUNT_STATES: readonly unknown[] = ["absent", "disabled", "enabled", "pending"];

function isSessionsCheck(value: unknown): boolean {
  if (!isRecord(value)) return false;
  switch (value["outcome"]) {
    case "none":
    case "not-possible":
      return true;
    case "revoked":
    case "left":
      return isCount(value["sessions"]) && isCount(value["tokens"]);
    default:
      return false;
  }
}

function describeVerifiedProblem(v: Record<string, unknown>): string | undefined {
  if (!isCount(v["runSeq"]) || typeof v["provider"] !== "string" || typeof v["account"] !== "string")
    return "offboard-verified needs runSeq, provider and account";
  if (!isInstant(v["triggeredAt"])) return "triggeredAt must be an ISO 8601 instant";
  if (typeof v["clean"] !== "boolean") return "clean must be true or false";
  for (const key of ["userId", "leaving", "lateBy", "elsewhere", "error", "renamedTo", "accountId"])
    if (v[key] !== undefined && typeof v[key] !== "string") return `${key} must be a string`;
  if (v["accountState"] !== undefined && !ACCOUNT_STATES.includes(v["accountState"]))
    return 'accountState must be "absent", "disabled", "enabled" or "pending"';
  if (v["groups"] !== undefined && !isStringList(v["groups"])) return "groups must be a list of group names";
  if (v["groupsOutside"] !== undefined && !isStringList(v["groupsOutside"]))
    return "groupsOutside must be a list of groups";
  if (
    v["unreadMemberships"] !== undefined &&
    !(
      Array.isArray(v["unreadMemberships"]) &&
      v["unreadMemberships"].every(
        (m) =>
          isRecord(m) &&
          typeof m["group"] === "string" &&
          typeof m["attribute"] === "string" &&
          (m["value"] === undefined || typeof m["value"] === "string"),
      )
    )
  )
    return "unreadMemberships must be a list of { group, attribute, value? }";
  if (v["recheckOf"] !== undefined && !(isCount(v["recheckOf"]) && v["recheckOf"] >= 1))
    return "recheckOf must be the seq of an earlier entry";
  if (v["recheckedAfterMs"] !== undefined && !isCount(v["recheckedAfterMs"]))
    return "recheckedAfterMs must be a count of milliseconds";
  if (v["unsettled"] !== undefined && !isStringList(v["unsettled"]))
    return "unsettled must be a list of groups";
  if (v["drill"] !== undefined && v["drill"] !== true) return "drill must be true";
  return v["sessions"] === undefined || isSessionsCheck(v["sessions"])
    ? undefined
    : 'sessions must say an outcome ("revoked", "none", "not-possible", "left") and, for revoked and left, counts';
}

function describeClosedProblem(v: Record<string, unknown>): string | undefined {
  if (typeof v["actor"] !== "string" || typeof v["provider"] !== "string" || typeof v["account"] !== "string")
    return "verdict-closed needs actor, provider and account";
  if (v["userId"] !== undefined && typeof v["userId"] !== "string") return "userId must be a string";
  if (!(isCount(v["closes"]) && v["closes"] >= 1)) return "closes must be the seq of an earlier entry";
  return typeof v["reason"] === "string" && v["reason"].trim() !== ""
    ? undefined
    : "verdict-closed needs a reason";
}

const DRILL_OUTCOMES: readonly unknown[] = ["clean", "access-left", "failed"];

const isOptionalCount = (value: unknown): boolean => value === undefined || isCount(value);

function isDrillSystem(value: unknown): boolean {
  return (
    isRecord(value) &&
    typeof value["provider"] === "string" &&
    typeof value["account"] === "string" &&
    typeof value["clean"] === "boolean" &&
    isCount(value["removals"]) &&
    isCount(value["failed"]) &&
    isOptionalCount(value["disabledAfterMs"]) &&
    isOptionalCount(value["membershipsRemovedAfterMs"]) &&
    isOptionalCount(value["cleanAfterMs"])
  );
}

function describeDrillProblem(v: Record<string, unknown>): string | undefined {
  if (typeof v["actor"] !== "string" || typeof v["canary"] !== "string")
    return "drill needs actor and canary";
  if (!isInstant(v["startedAt"])) return "startedAt must be an ISO 8601 instant";
  if (!isOptionalCount(v["runSeq"])) return "runSeq must be the seq of an apply-start";
  if (!DRILL_OUTCOMES.includes(v["outcome"])) return 'outcome must be "clean", "access-left" or "failed"';
  if (!Array.isArray(v["systems"]) || !v["systems"].every(isDrillSystem))
    return "systems must list { provider, account, clean, removals, failed } with timings in ms";
  if (v["error"] !== undefined && typeof v["error"] !== "string") return "error must be a string";
  const restore = v["restore"];
  if (
    !isRecord(restore) ||
    (restore["outcome"] !== "restored" && restore["outcome"] !== "failed") ||
    !isCount(restore["left"]) ||
    !isOptionalCount(restore["runSeq"]) ||
    (restore["error"] !== undefined && typeof restore["error"] !== "string")
  )
    return 'restore must say an outcome ("restored" or "failed") and the changes left';
  return undefined;
}

function describeDeliveredProblem(v: Record<string, unknown>): string | undefined {
  if (!isCount(v["runSeq"]) || !isCount(v["attempts"])) return "webhook-delivered needs runSeq and attempts";
  if (!isInstant(v["triggeredAt"])) return "triggeredAt must be an ISO 8601 instant";
  if (![v["webhook"], v["userId"], v["delivery"]].every((x) => typeof x === "string"))
    return "webhook-delivered needs webhook, userId and delivery";
  if (v["outcome"] !== "delivered" && v["outcome"] !== "rejected" && v["outcome"] !== "failed")
    return 'outcome must be "delivered", "rejected" or "failed"';
  if (!isOptionalCount(v["status"])) return "status must be an HTTP status code";
  if (v["body"] !== undefined && typeof v["body"] !== "string") return "body must be a string";
  if (!isOptionalCount(v["retryOf"])) return "retryOf must be the seq of a webhook-delivered entry";
  return v["error"] === undefined || typeof v["error"] === "string" ? undefined : "error must be a string";
}

function describeDeliveryClosedProblem(v: Record<string, unknown>): string | undefined {
  if (![v["actor"], v["webhook"], v["userId"], v["delivery"]].every((x) => typeof x === "string"))
    return "delivery-closed needs actor, webhook, userId and delivery";
  if (!(isCount(v["closes"]) && v["closes"] >= 1)) return "closes must be the seq of an earlier entry";
  return typeof v["reason"] === "string" && v["reason"].trim() !== ""
    ? undefined
    : "delivery-closed needs a reason";
}

function isModes(value: unknown): boolean {
  return (
    isRecord(value) &&
    Object.values(value).every((m) => m === "authoritative" || m === "additive" || m === "observe")
  );
}

function isGrantEnds(v: unknown): v is readonly GrantEndUpdate[] {
  return (
    Array.isArray(v) &&
    v.every(
      (u) =>
        isRecord(u) && typeof u["id"] === "string" && (u["until"] === null || typeof u["until"] === "string"),
    )
  );
}

function describeBodyProblem(v: Record<string, unknown>): string | undefined {
  switch (v["type"]) {
    case "delivery-closed":
      return describeDeliveryClosedProblem(v);
    case "drill":
      return describeDrillProblem(v);
    case "verdict-closed":
      return describeClosedProblem(v);
    case "apply-start":
      if (typeof v["actor"] !== "string") return "apply-start needs a string actor";
      if (v["commit"] !== undefined && typeof v["commit"] !== "string") return "commit must be a string";
      if (typeof v["planDigest"] !== "string" || typeof v["desiredDigest"] !== "string")
        return "apply-start needs planDigest and desiredDigest";
      if (!Array.isArray(v["providers"]) || !v["providers"].every((p) => typeof p === "string"))
        return "providers must be a list of names";
      if (v["modes"] !== undefined && !isModes(v["modes"]))
        return 'modes must map providers to "authoritative", "additive" or "observe"';
      if (v["overrides"] !== undefined && !isOverrides(v["overrides"]))
        return "overrides must say force, allowRemovals and the accepted refusals";
      if (v["approvals"] !== undefined && !isApprovals(v["approvals"]))
        return "approvals must name the repository and list commits";
      if (v["drill"] !== undefined && typeof v["drill"] !== "string") return "drill must be a user id";
      if (v["gatehouse"] !== undefined && !isBuild(v["gatehouse"]))
        return "gatehouse must give the version and build that made the run";
      if (v["grantEnds"] !== undefined && !isGrantEnds(v["grantEnds"]))
        return "grantEnds must list membership ids with an until (an instant, or null)";
      if (v["refused"] !== undefined && !isStringList(v["refused"]))
        return "refused must list the guard-rail refusals";
      if (v["adopts"] !== undefined && v["adopts"] !== true) return "adopts must be true";
      if (v["leftOut"] !== undefined && !isLeftOut(v["leftOut"]))
        return "leftOut must list providers, each with an optional error";
      return isCount(v["changes"]) ? undefined : "changes must be a count";
    case "change":
      if (!isCount(v["runSeq"]) || typeof v["provider"] !== "string" || typeof v["changeId"] !== "string")
        return "change needs runSeq, provider and changeId";
      if (!isChange(v["change"])) return "change is not a valid plan change";
      if (v["outcome"] !== "applied" && v["outcome"] !== "failed" && v["outcome"] !== "skipped")
        return 'outcome must be "applied", "failed" or "skipped"';
      if (v["confirmation"] !== undefined && typeof v["confirmation"] !== "string")
        return "confirmation must be a string";
      if (v["accountId"] !== undefined && typeof v["accountId"] !== "string")
        return "accountId must be a string";
      return v["error"] === undefined || typeof v["error"] === "string"
        ? undefined
        : "error must be a string";
    case "intent":
      if (!isCount(v["runSeq"]) || typeof v["provider"] !== "string")
        return "intent needs runSeq and provider";
      if (v["narrowingIds"] !== undefined && !isStringList(v["narrowingIds"]))
        return "narrowingIds must be a list of change addresses";
      return isStringList(v["changeIds"]) ? undefined : "changeIds must be a list of change addresses";
    case "adopted":
      if (!isCount(v["runSeq"]) || typeof v["provider"] !== "string" || typeof v["group"] !== "string")
        return "adopted needs runSeq, provider and group";
      if (!isStringList(v["members"])) return "members must be a list of account names";
      if (v["groupMembers"] !== undefined && !isStringList(v["groupMembers"]))
        return "groupMembers must be a list of group names";
      return v["late"] === undefined || v["late"] === true ? undefined : "late must be true";
    case "offboard-verified":
      return describeVerifiedProblem(v);
    case "webhook-delivered":
      return describeDeliveredProblem(v);
    case "apply-end":
      if (![v["runSeq"], v["applied"], v["failed"], v["durationMs"]].every(isCount))
        return "apply-end needs runSeq, applied, failed and durationMs counts";
      if (v["interrupted"] !== undefined && v["interrupted"] !== true) return "interrupted must be true";
      if (
        v["unconfirmed"] !== undefined &&
        !(Array.isArray(v["unconfirmed"]) && v["unconfirmed"].every((id) => typeof id === "string"))
      )
        return "unconfirmed must be a list of change addresses";
      if (v["offboardingCalls"] !== undefined && !isCalls(v["offboardingCalls"]))
        return "offboardingCalls must map providers to { reads, writes }";
      return isCalls(v["calls"]) ? undefined : "calls must map providers to { reads, writes }";
    default:
      return `unknown entry type ${typeof v["type"] === "string" ? JSON.stringify(v["type"]) : "(none)"}`;
  }
}

/** Why `value` is not a journal entry, or undefined when it is one. Extra fields are allowed. */
export function describeEntryProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return "not a JSON object";
  if (!isCount(value["seq"]) || value["seq"] < 1) return "seq must be a positive integer";
  if (typeof value["prevHash"] !== "string" || !HEX64.test(value["prevHash"]))
    return "prevHash must be 64 hex digits";
  if (typeof value["hash"] !== "string" || !HEX64.test(value["hash"])) return "hash must be 64 hex digits";
  if (!isInstant(value["at"])) return "at must be an ISO 8601 instant";
  return describeBodyProblem(value);
}

/** Whether `value` is an entry before sealing (no seq or hashes): what an apply sets aside. */
export function isNewJournalEntry(value: unknown): value is NewJournalEntry {
  return isRecord(value) && isInstant(value["at"]) && describeBodyProblem(value) === undefined;
}

export function isJournalEntry(value: unknown): value is JournalEntry {
  return describeEntryProblem(value) === undefined;
}

function isBuild(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Record<string, unknown>)["version"] === "string" &&
    typeof (value as Record<string, unknown>)["build"] === "string"
  );
}
