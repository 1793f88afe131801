import type { User } from "../model/access.ts";
import type { AccountUse, SignIns } from "../model/account-use.ts";
import type { LiveState, LiveUser } from "../model/state.ts";
import { compareText } from "../model/lists.ts";
import type { ProviderPlanInput } from "../plan/context.ts";
import { asPlanned } from "../plan/compute-plan.ts";
import { nameFold } from "../plan/align-case.ts";
import { renamedUserTo, userAddress } from "../plan/addresses.ts";
import type { Change, Plan, Reason } from "../plan/types.ts";
import { afterDay, DAY_MS } from "./status.ts";
import { accountOwners, type OrphanKind, type OwnerOf } from "./account-owners.ts";

export type { OrphanKind } from "./account-owners.ts";

/**
 * Stale and orphaned accounts (`gatehouse accounts`): the live accounts of each system joined with the
 * people in the files, their sign-ins, and what the plan computed from the same reads does with them.
 * Pure: the engine reads, plans and asks each system for sign-ins; this only sorts what they found.
 */

/**
 * What a plan does with an account: a disable, delete, revocation of sessions or rename in place among its
 * user changes (or, in observe mode, one it would make).
 */
export interface PlannedChange {
  readonly action: Extract<Change, { kind: "user" }>["action"];
  readonly reason: Reason;
  /** An update that renames the account in place: its new name. */
  readonly renamedTo?: string;
  /** The person the plan takes the account for, where it names one. */
  readonly userId?: string;
}

/** An enabled account that no active person in the files holds. */
export interface OrphanedAccount {
  readonly account: string;
  readonly kind: OrphanKind;
  /** The person it is (or, for `person-removed`, was) the account of. */
  readonly userId?: string;
  /** Why it is orphaned, in words ("status: terminated", "in no access file"). */
  readonly detail: string;
  /** The live groups it is a member of, sorted. */
  readonly groups: readonly string[];
  /** The journal shows gatehouse created, updated or enabled it, and has not deleted it since. */
  readonly managed: boolean;
  readonly lastLogin?: string;
  /**
   * A leaver's account signed in after their `endDate` (this date): someone used it after they left
   * (re-enabled by hand, say, or never disabled here). Said loudest of all an orphan's facts.
   */
  readonly signedInAfterEnd?: string;
  /** The plan's user changes to it (none: the plan leaves it as it is). */
  readonly plan: readonly PlannedChange[];
}

/**
 * A leaver's disabled account that signed in after their `endDate`: the way this system disables does
 * not stop sign-ins (an LDAP `move` into another OU keeps the password and the bind), or it was re-enabled
 * and disabled again since.
 */
export interface DisabledSignIn {
  readonly account: string;
  readonly userId: string;
  /** Whose it is and why they count as gone, in words ("fay left: status: terminated"). */
  readonly detail: string;
  readonly endDate: string;
  readonly lastLogin: string;
  /** The live groups it is a member of, sorted. */
  readonly groups: readonly string[];
}

/** An active person's enabled account without a sign-in for `staleAfter` (or none since it was made). */
export interface StaleAccount {
  readonly account: string;
  readonly userId: string;
  /** Absent: no sign-in recorded; then `createdAt` is at least `staleAfter` ago. */
  readonly lastLogin?: string;
  readonly createdAt?: string;
  /** Days since the last sign-in (or since it was made, with none), one decimal. */
  readonly idleDays: number;
  readonly groups: readonly string[];
  readonly managed: boolean;
}

export interface SystemAccounts {
  readonly provider: string;
  readonly type: string;
  readonly mode: ProviderPlanInput["mode"];
  /** Enabled accounts the system holds in the scope read (pending invitations not counted). */
  readonly enabledAccounts: number;
  /** Where the sign-in times come from (`lastLogin`, `pwdLastSuccess`); absent when the system gives none. */
  readonly signIns?: string;
  /** Set when stale accounts were not checked here, saying why. */
  readonly staleNotChecked?: string;
  /** Set when the system's sign-ins could not be read: the error (the command then exits 1). */
  readonly signInsError?: string;
  /**
   * Why apply refuses this system's plan without an override (the guard rails), when it does: what the
   * plan would do to the accounts below waits for `--allow-removals` or `--force`.
   */
  readonly refusedBy?: readonly string[];
  /** Active people's accounts with no sign-in recorded and no creation time: their use is unknown. */
  readonly unjudged: readonly string[];
  readonly orphaned: readonly OrphanedAccount[];
  /** Leavers' disabled accounts that signed in after the leaver's `endDate`. */
  readonly disabledSignedIn: readonly DisabledSignIn[];
  /** Stale accounts of people whose employmentType is not `service`. */
  readonly stale: readonly StaleAccount[];
  /** Stale accounts of service accounts (employmentType: service), apart: they may never sign in. */
  readonly staleService: readonly StaleAccount[];
}

export type StaleAfterFrom = "--stale" | "policy.staleAfter" | "default";

/** `gatehouse accounts --format json`: plain data, versioned like the plan. */
export interface AccountsReport {
  readonly formatVersion: 1;
  /** The instant the report was made for. */
  readonly createdAt: string;
  /** The threshold in milliseconds; `staleAfter` is the same as text ("90d"). */
  readonly staleAfterMs: number;
  readonly staleAfter: string;
  /** Where the threshold comes from. */
  readonly staleAfterFrom: StaleAfterFrom;
  readonly systems: readonly SystemAccounts[];
  readonly summary: {
    readonly orphaned: number;
    /** SystemAccounts.disabledSignedIn, over every system. */
    readonly disabledSignedIn: number;
    readonly stale: number;
    readonly staleService: number;
    /** Systems whose sign-ins could not be read (SystemAccounts.signInsError): stale accounts unknown there. */
    readonly signInsFailed: number;
  };
}

/** One system: its planner input (live state as read) and, where it gives them, its sign-ins. */
export interface SystemToReview {
  readonly input: ProviderPlanInput;
  readonly signIns?: SignIns;
  /** Why the sign-ins could not be read, when they could not: orphans are still reported. */
  readonly signInsError?: string;
  /** The guard rails' refusals of this system's part of the plan (plan/safety.ts). */
  readonly refusedBy?: readonly string[];
}

export interface ReviewInput {
  readonly now: Date;
  readonly staleAfterMs: number;
  /** The threshold as text ("90d"), and where it comes from, for the report. */
  readonly staleAfter: string;
  readonly staleAfterFrom: StaleAfterFrom;
  /** The people in the files, by id. */
  readonly users: ReadonlyMap<string, User>;
  /** The plan computed from the same reads. */
  readonly plan: Plan;
  /** JournalFold.accounts: accounts the journal saw changed for each `${provider}\n${userId}`. */
  readonly journalAccounts: ReadonlyMap<string, readonly string[]>;
  readonly systems: readonly SystemToReview[];
}

export function reviewAccounts(input: ReviewInput): AccountsReport {
  const systems = input.systems.map((system) => reviewSystem(input, system));
  const count = (pick: (s: SystemAccounts) => readonly unknown[]): number =>
    systems.reduce((n, s) => n + pick(s).length, 0);
  return {
    formatVersion: 1,
    createdAt: input.now.toISOString(),
    staleAfterMs: input.staleAfterMs,
    staleAfter: input.staleAfter,
    staleAfterFrom: input.staleAfterFrom,
    systems,
    summary: {
      orphaned: count((s) => s.orphaned),
      disabledSignedIn: count((s) => s.disabledSignedIn),
      stale: count((s) => s.stale),
      staleService: count((s) => s.staleService),
      signInsFailed: systems.filter((s) => s.signInsError !== undefined).length,
    },
  };
}

function reviewSystem(review: ReviewInput, system: SystemToReview): SystemAccounts {
  // The live state and journal as the planner saw them: names in the files' spelling where case is ignored.
  const input = asPlanned(system.input);
  const { name: provider, live } = input;
  const fold = nameFold(input.capabilities);
  const planned = plannedChanges(review.plan, provider);
  const { ownerOf, asAccountOf } = accountOwners(input, review.users, review.journalAccounts);
  const enabled = live.users.filter((u) => u.enabled && u.pending !== true);
  const isManaged = (account: string): boolean => input.managed?.has(userAddress(provider, account)) === true;
  const uses = new Map<string, AccountUse>();
  for (const [account, use] of system.signIns?.accounts ?? []) uses.set(fold(account), use);
  const signInsOf = (user: LiveUser): AccountUse | undefined => uses.get(fold(user.account));

  const orphaned: Omit<OrphanedAccount, "groups">[] = [];
  const active: { user: LiveUser; owner: Extract<OwnerOf, { kind: "active" }> }[] = [];
  for (const user of enabled) {
    const plan = planned.get(user.account) ?? [];
    const owner = ownerOf(user);
    // The plan takes the account away whatever the files seem to say (it knows renames, claims): orphaned,
    // as the account of the person the plan names where it names another.
    const narrowed = plan.find((c) => c.action === "disable" || c.action === "delete");
    const theirs =
      narrowed?.userId === undefined || narrowed.userId === owner.userId
        ? undefined
        : asAccountOf(narrowed.userId, user.account);
    const found: OwnerOf =
      owner.kind !== "active" || narrowed === undefined
        ? owner
        : theirs !== undefined && theirs.kind !== "active" && theirs.kind !== "kept"
          ? theirs
          : ownerOfReason(narrowed.reason, owner.userId);
    if (found.kind === "active") {
      active.push({ user, owner: found });
      continue;
    }
    // On leave with policy.leave: keep; or a former account the plan renames to the person's new name.
    if (found.kind === "kept" || plan.some((c) => c.renamedTo !== undefined)) continue;
    const lastLogin = signInsOf(user)?.lastLogin;
    const endDate = found.kind === "leaver" ? review.users.get(found.userId ?? "")?.endDate : undefined;
    // endDate is their last working day (inclusive): a sign-in from the day after on is someone's after they left.
    const isAfterEnd =
      endDate !== undefined && lastLogin !== undefined && Date.parse(lastLogin) >= afterDay(endDate);
    orphaned.push({
      account: user.account,
      kind: found.kind,
      ...(found.userId === undefined ? {} : { userId: found.userId }),
      detail: found.detail,
      managed: isManaged(user.account),
      ...(lastLogin === undefined ? {} : { lastLogin }),
      ...(isAfterEnd ? { signedInAfterEnd: endDate } : {}),
      plan,
    });
  }

  const disabledSignedIn: Omit<DisabledSignIn, "groups">[] = [];
  for (const user of live.users) {
    if (user.enabled || user.pending === true) continue;
    const owner = ownerOf(user);
    if (owner.kind !== "leaver" || owner.userId === undefined) continue;
    const lastLogin = signInsOf(user)?.lastLogin;
    const endDate = review.users.get(owner.userId)?.endDate;
    // endDate is their last working day (inclusive), as for an enabled leaver's account above.
    if (endDate === undefined || lastLogin === undefined || Date.parse(lastLogin) < afterDay(endDate))
      continue;
    disabledSignedIn.push({
      account: user.account,
      userId: owner.userId,
      detail: owner.detail,
      endDate,
      lastLogin,
    });
  }

  const checked: ReturnType<typeof staleCheck> =
    system.signInsError === undefined
      ? staleCheck(system.signIns, enabled, signInsOf)
      : { isChecked: false, why: `its sign-ins could not be read (${system.signInsError})` };
  const stale: Omit<StaleAccount, "groups">[] = [];
  const staleService: Omit<StaleAccount, "groups">[] = [];
  const unjudged: string[] = [];
  if (checked.isChecked)
    for (const { user, owner } of active) {
      const use = signInsOf(user);
      const since = use?.lastLogin ?? use?.createdAt;
      const at = since === undefined ? Number.NaN : Date.parse(since);
      if (!Number.isFinite(at)) {
        unjudged.push(user.account);
        continue;
      }
      const idleMs = review.now.getTime() - at;
      // Stale once staleAfter has passed: at exactly 90 days, as a grant ends at its `until`.
      if (idleMs < review.staleAfterMs) continue;
      const entry = {
        account: user.account,
        userId: owner.userId,
        ...(use?.lastLogin === undefined ? {} : { lastLogin: use.lastLogin }),
        ...(use?.createdAt === undefined ? {} : { createdAt: use.createdAt }),
        idleDays: Math.floor((idleMs / DAY_MS) * 10) / 10,
        managed: isManaged(user.account),
      };
      if (owner.employmentType === "service") staleService.push(entry);
      else stale.push(entry);
    }

  const groupsOf = groupsOfAccounts(live, [...orphaned, ...disabledSignedIn, ...stale, ...staleService]);
  const withGroups = <T extends { readonly account: string }>(list: T[]): (T & { groups: string[] })[] =>
    list
      .map((entry) => ({ ...entry, groups: groupsOf.get(entry.account) ?? [] }))
      .sort((a, b) => compareText(a.account, b.account));
  return {
    provider,
    type: input.type,
    mode: input.mode,
    enabledAccounts: enabled.length,
    ...(system.signIns === undefined ? {} : { signIns: system.signIns.source }),
    ...(checked.isChecked ? {} : { staleNotChecked: checked.why }),
    ...(system.signInsError === undefined ? {} : { signInsError: system.signInsError }),
    ...((system.refusedBy ?? []).length === 0 ? {} : { refusedBy: system.refusedBy }),
    unjudged: unjudged.sort(compareText),
    orphaned: withGroups(orphaned),
    disabledSignedIn: withGroups(disabledSignedIn),
    stale: withGroups(stale),
    staleService: withGroups(staleService),
  };
}

/**
 * Whether stale accounts can be judged here. Not without sign-in times; nor when no enabled account has
 * a sign-in recorded at all: the system keeps none (OpenLDAP without olcLastBind), and calling every
 * account older than the threshold stale would only be noise.
 */
function staleCheck(
  signIns: SignIns | undefined,
  enabled: readonly LiveUser[],
  signInsOf: (user: LiveUser) => AccountUse | undefined,
): { readonly isChecked: true } | { readonly isChecked: false; readonly why: string } {
  if (signIns === undefined) return { isChecked: false, why: "no sign-in times" };
  if (enabled.length > 0 && !enabled.some((u) => signInsOf(u)?.lastLogin !== undefined))
    return {
      isChecked: false,
      why: `no enabled account has a sign-in recorded (${signIns.source}): the system may not record them`,
    };
  return { isChecked: true };
}

/** The orphan kind a narrowing change's reason stands for, where the files alone seemed to say otherwise. */
function ownerOfReason(reason: Reason, userId: string): OwnerOf {
  switch (reason) {
    case "user-terminated":
      return { kind: "leaver", userId, detail: `the plan finds it a leaver's (${userId})` };
    case "user-on-leave":
      return { kind: "on-leave", userId, detail: `the plan finds it the account of ${userId}, on leave` };
    case "not-started":
      return { kind: "not-started", userId, detail: `the plan finds ${userId} not started yet` };
    case "holds-no-group":
      return {
        kind: "holds-no-group",
        userId,
        detail: `${userId} holds none of this system's groups (users: members)`,
      };
    case "not-in-config":
    case "removed-from-config":
    case "added-in-config":
    case "role-baseline":
    case "grant-expired":
    case "drift":
      // The plan does not take it for the account of the person the files give its name to.
      return { kind: "no-person", detail: `not ${userId}'s account, as the plan finds (${reason})` };
  }
}

/** The user changes of one system's plan (and of its observe-mode notes), by account. */
function plannedChanges(plan: Plan, provider: string): Map<string, PlannedChange[]> {
  const out = new Map<string, PlannedChange[]>();
  const add = (change: Change | undefined): void => {
    if (change?.provider !== provider || change.kind !== "user") return;
    // What becomes of the account: taken away, its sessions ended, or renamed; not its attributes.
    const renamedTo = renamedUserTo(change);
    if (change.action !== "disable" && change.action !== "delete" && change.action !== "revoke-sessions")
      if (renamedTo === undefined) return;
    const list = out.get(change.account) ?? [];
    if (!list.some((c) => c.action === change.action))
      list.push({
        action: change.action,
        reason: change.reason,
        ...(renamedTo === undefined ? {} : { renamedTo }),
        ...(change.userId === undefined ? {} : { userId: change.userId }),
      });
    out.set(change.account, list);
  };
  for (const change of plan.changes) add(change);
  for (const note of plan.notes) if (note.provider === provider && note.kind === "observed") add(note.change);
  return out;
}

/** The live groups each of `entries`' accounts is a member of, sorted: one pass over the groups. */
function groupsOfAccounts(
  live: LiveState,
  entries: readonly { readonly account: string }[],
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (entries.length === 0) return out;
  for (const { account } of entries) out.set(account, []);
  for (const group of live.groups)
    for (const member of new Set(group.members)) out.get(member)?.push(group.name);
  for (const list of out.values()) list.sort(compareText);
  return out;
}
