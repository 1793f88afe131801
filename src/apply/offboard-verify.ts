import { setTimeout as sleep } from "node:timers/promises";
import type { Change, Plan, UserChange } from "../plan/types.ts";
import type { User } from "../model/access.ts";
import { leavingOf, type LeaverEvent } from "../desired/desired-state.ts";
import { accountOf } from "../plan/addresses.ts";
import { nameFold } from "../plan/align-case.ts";
import type { LiveState, LiveUser } from "../model/state.ts";
import type { Capabilities, HeldOutside, Provider } from "../providers/types.ts";
import type { ChangeResult } from "./apply-plan.ts";
import type { AccountState, OffboardFindings, SessionsCheck } from "../audit/journal-entry.ts";
import { locateLeaver, lookUpIds, type IdLookup, type Located } from "./locate-leaver.ts";
import { messageOf } from "../errors.ts";

export type { AccountState, SessionsCheck };

/**
 * The offboarding check after an apply: each leaver's account that the run changed is read back from its
 * system, and what is left of their access (an enabled account, a group, an open session) is reported.
 * It only reads: nothing found here is removed (the next plan plans it, with its reason).
 */

/** A leaver's account in one system, as the run's changes (or an open verdict) name it. */
export interface LeaverAccount {
  readonly provider: string;
  readonly account: string;
  readonly userId?: string;
  /**
   * The journal entry (seq) of the earlier check of this account that found access left (an open
   * verdict), which this one re-checks; with that offboarding's trigger time and HR event, which the
   * re-check's entry keeps.
   */
  readonly recheckOf?: number;
  readonly triggeredAt?: string;
  readonly leaving?: string;
  /**
   * The system's stable id of the account (OpenLDAP entryUUID), which the check finds it by first: the
   * run's disable or delete gave it, or the open verdict re-checked kept it.
   */
  readonly accountId?: string;
  /**
   * Set for the re-check of an open verdict: what that verdict knew. `wasGone`: its check found no
   * account, and did check (no error), so finding none again is no sign of a rename. `nameGivenTo`: the
   * verdict names no person, and the files give its account name to this person now, who is no leaver.
   */
  readonly verdict?: {
    readonly wasGone: boolean;
    readonly nameGivenTo?: string;
    /** The verdict is a run's disable or delete of the account that the run never checked (OpenVerdict.unchecked). */
    readonly unchecked?: true;
  };
}

/**
 * Leaver accounts with an open verdict in one system the run reads, and what the plan's read of that
 * system held of them (a state under their names only, see liveOfAccounts): where the run changes nothing
 * of theirs and reads nothing back, they are checked on that read, which this run made anyway.
 */
export interface OpenRecheck {
  readonly leavers: readonly LeaverAccount[];
  /** Also under the names their stable ids were found under (`byId`). */
  readonly live: LiveState;
  /** What looking their stable ids up found when the plan read the system (see lookUpIds). */
  readonly byId?: IdLookup;
}

/** What the read-back found of one leaver's access in one system. */
export interface OffboardCheck extends LeaverAccount, OffboardFindings {}

/** Every leaver's account the changes touch (reason user-terminated), once each, in change order. */
export function leaverAccountsOf(changes: readonly Change[]): LeaverAccount[] {
  const out = new Map<string, LeaverAccount>();
  for (const change of changes) {
    if (change.reason !== "user-terminated") continue;
    const account = accountOf(change);
    if (account === undefined) continue;
    const key = `${change.provider}\n${account}`;
    const known = out.get(key);
    if (known === undefined || (known.userId === undefined && change.userId !== undefined))
      out.set(key, {
        provider: change.provider,
        account,
        ...(change.userId === undefined ? {} : { userId: change.userId }),
      });
  }
  return [...out.values()];
}

function stateOf(user: LiveUser | undefined): AccountState {
  if (user === undefined) return "absent";
  if (user.pending === true) return "pending";
  return user.enabled ? "enabled" : "disabled";
}

type Revoked = Extract<UserChange, { action: "revoke-sessions" }>;

function sessionsOf(
  user: LiveUser | undefined,
  caps: Capabilities,
  revoked: Revoked | undefined,
): SessionsCheck {
  const sessions = user?.sessions ?? 0;
  const tokens = user?.tokens ?? 0;
  if (sessions > 0 || tokens > 0) return { outcome: "left", sessions, tokens };
  if (revoked !== undefined)
    return { outcome: "revoked", sessions: revoked.sessions, tokens: revoked.tokens };
  return caps.revokeSessions ? { outcome: "none" } : { outcome: "not-possible" };
}

/** A live state under the leavers' names only: one pass over its users, groups and members. */
interface LeaverView {
  readonly users: ReadonlyMap<string, LiveUser>;
  /** Groups holding each name, as member or maintainer. */
  readonly groups: ReadonlyMap<string, readonly string[]>;
  readonly elsewhere: ReadonlyMap<string, string>;
}

function viewOf(live: LiveState, names: ReadonlySet<string>, fold: (s: string) => string): LeaverView {
  const users = new Map<string, LiveUser>();
  for (const user of live.users) {
    const name = fold(user.account);
    // Of accounts whose names fold alike, one that still grants access is the one reported.
    if (names.has(name) && users.get(name)?.enabled !== true) users.set(name, user);
  }
  const groups = new Map<string, string[]>();
  for (const group of live.groups) {
    const holders = new Set<string>();
    for (const member of [...group.members, ...(group.maintainers ?? [])]) {
      const name = fold(member);
      if (names.has(name)) holders.add(name);
    }
    for (const name of holders) {
      const list = groups.get(name);
      if (list) list.push(group.name);
      else groups.set(name, [group.name]);
    }
  }
  const elsewhere = new Map<string, string>();
  for (const entry of live.elsewhere ?? []) {
    const name = fold(entry.account);
    if (names.has(name) && !elsewhere.has(name)) elsewhere.set(name, entry.where);
  }
  return { users, groups, elsewhere };
}

/**
 * `live` under `accounts` only: their users, the groups that hold them (with only them as members and
 * maintainers) and their accounts elsewhere. What checkLeavers finds of them in it is what it finds in
 * `live`; a plan keeps this much of its read for the open verdicts' re-check, not the whole state.
 */
export function liveOfAccounts(live: LiveState, accounts: readonly string[], caps: Capabilities): LiveState {
  const fold = nameFold(caps);
  const names = new Set(accounts.map(fold));
  if (names.size === 0) return { users: [], groups: [] };
  const isNamed = (account: string): boolean => names.has(fold(account));
  const groups = live.groups.flatMap((group) => {
    const members = group.members.filter(isNamed);
    const maintainers = (group.maintainers ?? []).filter(isNamed);
    if (members.length === 0 && maintainers.length === 0) return [];
    return [{ name: group.name, members, ...(maintainers.length === 0 ? {} : { maintainers }) }];
  });
  const elsewhere = (live.elsewhere ?? []).filter((e) => isNamed(e.account));
  return {
    users: live.users.filter((u) => isNamed(u.account)),
    groups,
    ...(elsewhere.length === 0 ? {} : { elsewhere }),
  };
}

/**
 * What `live` (read after the run) holds of each leaver's access. `revoked`: this run's applied
 * revocations, `outside`: what else names them as members (Provider.groupsOutsideHolding), both by
 * `${provider}\n${account}`.
 */
export function checkLeavers(
  live: LiveState,
  leavers: readonly LeaverAccount[],
  caps: Capabilities,
  revoked: ReadonlyMap<string, Revoked> = new Map(),
  outside: ReadonlyMap<string, HeldOutside> = new Map(),
): OffboardCheck[] {
  const fold = nameFold(caps);
  const view = viewOf(live, new Set(leavers.map((l) => fold(l.account))), fold);
  return leavers.map((leaver) => {
    const key = `${leaver.provider}\n${leaver.account}`;
    const name = fold(leaver.account);
    const user = view.users.get(name);
    const groups = [...(view.groups.get(name) ?? [])].sort();
    const held = outside.get(key);
    const groupsOutside = held?.outside ?? [];
    const unreadMemberships = held?.unread ?? [];
    const accountState = stateOf(user);
    const sessions = sessionsOf(user, caps, revoked.get(key));
    // An account of that name the read does not return: outside its scope, or of another kind it does not read.
    const elsewhere = user === undefined ? (view.elsewhere.get(name) ?? held?.unreadEntry) : undefined;
    const clean =
      (accountState === "absent" || accountState === "disabled") &&
      groups.length === 0 &&
      groupsOutside.length === 0 &&
      unreadMemberships.length === 0 &&
      sessions.outcome !== "left" &&
      elsewhere === undefined;
    return {
      ...leaver,
      clean,
      accountState,
      groups,
      ...(groupsOutside.length === 0 ? {} : { groupsOutside }),
      ...(unreadMemberships.length === 0 ? {} : { unreadMemberships }),
      sessions,
      ...(elsewhere === undefined ? {} : { elsewhere }),
    };
  });
}

/**
 * What made each leaver of the plan one (the HR event, its date where the files give one, and whether
 * it is late), by user id, worked out at the plan's instant as the plan did.
 */
export function leaverEvents(plan: Plan, users: ReadonlyMap<string, User>): Map<string, LeaverEvent> {
  const out = new Map<string, LeaverEvent>();
  const at = new Date(plan.createdAt);
  for (const leaver of leaverAccountsOf(plan.changes)) {
    const user = leaver.userId === undefined ? undefined : users.get(leaver.userId);
    if (user !== undefined && !out.has(user.id)) out.set(user.id, leavingOf(user, at));
  }
  return out;
}

/** The revocations this run made, by provider and account. */
function revocationsOf(results: readonly ChangeResult[]): Map<string, Revoked> {
  const out = new Map<string, Revoked>();
  for (const r of results) {
    const c = r.change;
    if (r.outcome === "applied" && c.kind === "user" && c.action === "revoke-sessions")
      out.set(`${c.provider}\n${c.account}`, c);
  }
  return out;
}

/**
 * Of the run's disables and deletes of accounts, by provider and account: `ids`, the stable ids the
 * system gave of the accounts acted on; `unapplied`, those that did not apply (their action); `actedOn`,
 * every account one was sent for.
 */
function accountChangesOf(
  results: readonly ChangeResult[],
): Pick<RunContext, "ids" | "unapplied" | "actedOn"> {
  const ids = new Map<string, string>();
  const unapplied = new Map<string, string>();
  const actedOn = new Set<string>();
  for (const r of results) {
    const c = r.change;
    if (c.kind !== "user" || (c.action !== "disable" && c.action !== "delete")) continue;
    const key = `${c.provider}\n${c.account}`;
    if (r.accountId !== undefined) ids.set(key, r.accountId);
    if (r.outcome !== "skipped") actedOn.add(key);
    if (r.outcome !== "applied") unapplied.set(key, c.action);
  }
  return { ids, unapplied, actedOn };
}

/**
 * An account the plan found, that this run failed to disable or delete, and that the read-back finds under
 * no name: it was most likely renamed or moved meanwhile (where it may still grant access), not removed.
 * Read by name, the check cannot tell: not clean, and said so.
 */
function notFoundAfterFailure(check: OffboardCheck, unapplied: ReadonlyMap<string, string>): OffboardCheck {
  const action = unapplied.get(`${check.provider}\n${check.account}`);
  // Access found left beyond the read (groupsOutsideHolding: a GitHub outside collaborator) is what it says.
  if (action === undefined || check.accountState !== "absent" || !check.clean) return check;
  return {
    ...check,
    clean: false,
    error: `the run's ${action} of ${check.account} did not apply and no account of that name was read back: it may have been renamed or moved, so it could not be checked`,
  };
}

/** How the read-back treats access that looked left (verifyOffboarding). */
export interface RecheckOptions {
  /**
   * How long after the read-back to read a system again where it found a leaver's access left (0: not
   * again): a system may still be carrying out what the run did (refint's asynchronous rewrites, GitHub's
   * lists catching up), and the verdict is recorded for good.
   */
  readonly afterMs: number;
  /** Waits `ms` (default: a timer that the signal cuts short). */
  readonly wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Ten seconds: what a directory's refint queue or GitHub's lists usually need after a small run. */
export const DEFAULT_RECHECK_MS = 10_000;

/** What verifyOffboarding knows of the run, by `${provider}\n${account}`. */
interface RunContext {
  readonly revoked: ReadonlyMap<string, Revoked>;
  readonly unapplied: ReadonlyMap<string, string>;
  /** The stable ids of the accounts the run disabled or deleted (ChangeResult.accountId). */
  readonly ids: ReadonlyMap<string, string>;
  /** Accounts the run sent a disable or delete for, applied or not. */
  readonly actedOn: ReadonlySet<string>;
}

/** A run that changed nothing: what the checks on a plan's read know of it. */
const NO_RUN: RunContext = { revoked: new Map(), unapplied: new Map(), ids: new Map(), actedOn: new Set() };

/** The stable id to find a leaver's account by: the run's, else the one its open verdict kept. */
const idOf = (l: LeaverAccount, context: RunContext): string | undefined =>
  context.ids.get(keyOf(l)) ?? l.accountId;

/**
 * Reads one system back and checks `mine`, its leavers. A system that cannot be read gives errors. A
 * leaver whose account the system finds by its stable id under another name (renamed since the run
 * disabled it, or since its open verdict) is checked under that name (`renamedTo`).
 */
async function readAndCheck(
  name: string,
  provider: Provider,
  mine: readonly LeaverAccount[],
  context: RunContext,
  signal: AbortSignal,
): Promise<OffboardCheck[]> {
  let live: LiveState;
  let lookup: IdLookup;
  try {
    // The leavers' accounts alone where the system can read them for less than itself whole (GitHub:
    // a membership GET each, not every team's members again): what the check finds is the same.
    live =
      (await provider.readAccounts?.(
        mine.map((l) => l.account),
        signal,
      )) ?? (await provider.read(signal));
    lookup = await lookUpIds(
      provider,
      mine.flatMap((l) => idOf(l, context) ?? []),
      signal,
    );
  } catch (error) {
    const message = messageOf(error);
    return mine.map((l) => ({ ...l, clean: false, error: `reading ${name} back failed: ${message}` }));
  }
  return checkLocated(name, provider, live, lookup, mine, context, `reading ${name} back failed`, signal);
}

/**
 * Checks `mine` on `live`, each where locateLeaver finds its account, with the search for what else
 * names them (Provider.groupsOutsideHolding; `failed` starts its error).
 */
async function checkLocated(
  name: string,
  provider: Provider,
  live: LiveState,
  lookup: IdLookup,
  mine: readonly LeaverAccount[],
  context: RunContext,
  failed: string,
  signal: AbortSignal,
): Promise<OffboardCheck[]> {
  const fold = nameFold(provider.capabilities);
  const named = new Set(live.users.map((u) => fold(u.account)));
  const located: Located[] = mine.map((l) =>
    locateLeaver(
      {
        account: l.account,
        accountId: idOf(l, context),
        verdict: l.verdict,
        isActedOn: context.actedOn.has(keyOf(l)),
      },
      lookup,
      (account) => named.has(fold(account)),
      fold,
    ),
  );
  const checkable = mine.flatMap((l, i) => {
    const at = located[i];
    return at === undefined || at.isUnchecked === true ? [] : [{ leaver: l, at }];
  });
  let outside: ReadonlyMap<string, HeldOutside>;
  try {
    // A leaver renamed since is asked about under their name now, and the name the run acted on (the DNs
    // it moved the entry from are still looked for).
    const actedAs = new Map(
      checkable.flatMap(({ leaver, at }) =>
        at.renamedTo === undefined ? [] : [[at.account, leaver.account] as const],
      ),
    );
    outside =
      checkable.length === 0
        ? new Map<string, HeldOutside>()
        : ((await provider.groupsOutsideHolding?.(
            checkable.map(({ at }) => at.account),
            signal,
            actedAs,
          )) ?? new Map<string, HeldOutside>());
  } catch (error) {
    const message = messageOf(error);
    return mine.map((l) => ({ ...l, clean: false, error: `${failed}: ${message}` }));
  }
  const outsideByKey = new Map([...outside].map(([account, held]) => [`${name}\n${account}`, held]));
  // Groups the system says its read may not show as they will be (Provider.unsettledGroups).
  const unsettled = new Set([...(provider.unsettledGroups?.() ?? [])].map(fold));
  const asNamedNow = mine.map((l, i) => ({ ...l, account: located[i]?.account ?? l.account }));
  return checkLeavers(live, asNamedNow, provider.capabilities, context.revoked, outsideByKey).map(
    (check, i) => {
      const leaver = mine[i] ?? check;
      const at = located[i] ?? { account: leaver.account };
      const id = idOf(leaver, context);
      const kept = { ...leaver, ...(id === undefined ? {} : { accountId: id }) };
      if (at.isUnchecked === true) return { ...kept, clean: false, error: at.error };
      const found: OffboardCheck = {
        ...check,
        ...kept,
        ...(at.renamedTo === undefined ? {} : { renamedTo: at.renamedTo }),
        ...(at.error === undefined ? {} : { clean: false, error: at.error }),
      };
      const checked = notFoundAfterFailure(found, context.unapplied);
      const mayChange = (checked.groups ?? []).filter((g) => unsettled.has(fold(g)));
      return mayChange.length === 0 ? checked : { ...checked, unsettled: mayChange };
    },
  );
}

const keyOf = (l: LeaverAccount): string => `${l.provider}\n${l.account}`;

const waitFor = (ms: number, signal: AbortSignal): Promise<void> => sleep(ms, undefined, { signal });

/**
 * Checks the open verdicts of one system on the plan's read of it (`open.live`, with what looking their
 * stable ids up found then), with the search for what else names them (batched as after a run): nothing
 * of theirs changed since, and no system is read again for them.
 */
function checkOnPlanRead(
  name: string,
  provider: Provider,
  open: OpenRecheck,
  leavers: readonly LeaverAccount[],
  signal: AbortSignal,
): Promise<OffboardCheck[]> {
  return checkLocated(
    name,
    provider,
    open.live,
    open.byId,
    leavers,
    NO_RUN,
    `searching ${name} failed`,
    signal,
  );
}

/**
 * The run's leavers, and the accounts with an open verdict (`open`, per provider) that the run changed
 * in any way: both are read back after the run. An account with an open verdict is marked as its
 * re-check (recheckOf).
 */
function readBackLeavers(
  results: readonly ChangeResult[],
  open: ReadonlyMap<string, OpenRecheck>,
  nameKey: (l: Pick<LeaverAccount, "provider" | "account">) => string,
): LeaverAccount[] {
  const openByKey = new Map(
    [...open.values()].flatMap((o) => o.leavers.map((l) => [nameKey(l), l] as const)),
  );
  const leavers = leaverAccountsOf(results.map((r) => r.change)).map((l): LeaverAccount => {
    const earlier = openByKey.get(nameKey(l));
    return earlier?.recheckOf === undefined ? l : { ...earlier, ...l, recheckOf: earlier.recheckOf };
  });
  const keys = new Set(leavers.map(nameKey));
  for (const r of results) {
    const account = accountOf(r.change);
    const key = account === undefined ? undefined : nameKey({ provider: r.change.provider, account });
    const touched = key === undefined ? undefined : openByKey.get(key);
    if (key !== undefined && touched !== undefined && !keys.has(key)) {
      keys.add(key);
      leavers.push(touched);
    }
  }
  return leavers;
}

/**
 * Reads back every system where the run changed a leaver's account (each once, with its normal read)
 * and checks each such account. A system that cannot be read gives a check with `error` per account.
 * Where access looked left, that system is read again `recheck.afterMs` later for those leavers only, and
 * their verdict is the second read's (`recheckedAfterMs`); one that cannot be read again, or a wait cut
 * short, keeps the first.
 *
 * `open`: the accounts with an open verdict in the systems the run reads (per provider), checked again
 * in every run, also one with nothing to change. In a system read back anyway they are checked on that
 * read; elsewhere on the plan's read (OpenRecheck.live), which the run made anyway. Either way only the
 * search for what else names them is added, batched with the others; and only what the run changed makes
 * a system be read again later.
 */
export async function verifyOffboarding(
  results: readonly ChangeResult[],
  providers: ReadonlyMap<string, Provider>,
  signal: AbortSignal,
  recheck: RecheckOptions = { afterMs: DEFAULT_RECHECK_MS },
  open: ReadonlyMap<string, OpenRecheck> = new Map(),
): Promise<OffboardCheck[]> {
  // Names as each system compares them: an open verdict of `Ben` is the run's leaver `ben` where case
  // does not matter (one check, not two).
  const nameKey = (l: Pick<LeaverAccount, "provider" | "account">): string => {
    const caps = providers.get(l.provider)?.capabilities;
    return `${l.provider}\n${caps === undefined ? l.account : nameFold(caps)(l.account)}`;
  };
  const leavers = readBackLeavers(results, open, nameKey);
  const readBack = new Set(leavers.map(nameKey));
  const names = [
    ...new Set([
      ...leavers.map((l) => l.provider),
      ...[...open].flatMap(([name, o]) => (o.leavers.length > 0 ? [name] : [])),
    ]),
  ];
  if (names.length === 0) return [];
  const context: RunContext = { revoked: revocationsOf(results), ...accountChangesOf(results) };
  const checked = await Promise.all(
    names.map(async (name): Promise<OffboardCheck[]> => {
      const ran = leavers.filter((l) => l.provider === name);
      const openHere = open.get(name);
      const untouched = (openHere?.leavers ?? []).filter((l) => !readBack.has(nameKey(l)));
      const provider = providers.get(name);
      if (provider === undefined)
        return [...ran, ...untouched].map((l) => ({
          ...l,
          clean: false,
          error: "the provider is not configured any more",
        }));
      if (ran.length === 0)
        return openHere === undefined ? [] : checkOnPlanRead(name, provider, openHere, untouched, signal);
      const mine = [...ran, ...untouched];
      const first = await readAndCheck(name, provider, mine, context, signal);
      // Only what looked left, and only what another read may tell better (not a failed read), of what
      // the run changed: an open verdict's leftovers were there before the run.
      const left = first.filter((c) => !c.clean && c.error === undefined && readBack.has(nameKey(c)));
      if (recheck.afterMs <= 0 || left.length === 0 || provider.capabilities.settledOnWrite === true)
        return first;
      try {
        await (recheck.wait ?? waitFor)(recheck.afterMs, signal);
      } catch {
        return first;
      }
      const leftKeys = new Set(left.map(keyOf));
      const leftLeavers = mine.filter((l) => leftKeys.has(keyOf(l)));
      const again = new Map(
        (await readAndCheck(name, provider, leftLeavers, context, signal)).map((c) => [keyOf(c), c]),
      );
      return first.map((check) => {
        const second = again.get(keyOf(check));
        if (second === undefined || second.error !== undefined || check.clean) return check;
        return { ...second, recheckedAfterMs: recheck.afterMs };
      });
    }),
  );
  return checked.flat();
}
