import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { readCacheFile, writeCacheFile } from "../io/cache-file.ts";
import { isRecord } from "../model/json.ts";
import {
  accountOf,
  groupAddress,
  membershipAddress,
  renamedGroupTo,
  renamedUserTo,
  userAddress,
} from "../plan/addresses.ts";
import {
  isJournalEntry,
  type ChainFields,
  type ChangeData,
  type JournalEntry,
  type OffboardVerifiedData,
  type WebhookDeliveredData,
} from "./journal-entry.ts";
import type { Change } from "../plan/types.ts";
import { readSetAside } from "./set-aside.ts";
import { withoutDirty } from "./git.ts";
import { attributesDigest } from "../model/attributes-digest.ts";
import { JournalError } from "./journal-error.ts";
import { AddressSet } from "./address-set.ts";
import { eachLine, entryAtLine, LINE_CHUNK_BYTES, openJournal, tornJournalError } from "./journal-lines.ts";
import { describeLostAnchor } from "./anchor-lost.ts";

/**
 * What a plan needs of the journal, folded entry by entry as the file is read, keeping no entries:
 * the addresses gatehouse applied and has not removed since, and every account a change recorded with
 * a user id (so the guard rails know a protected user's accounts).
 *
 * A journal grows with every change applied: one apply of the 100k benchmark's plan adds 26k entries
 * (20 MB), and reading every entry into memory took 2.3 s at ten such applies, with no way past
 * V8's 512 MB string limit. The fold reads the file in chunks; with a cache folder it remembers where
 * it stopped and, while the line it stopped at is unchanged, reads only what was appended since.
 */
export interface JournalFold {
  /** Addresses gatehouse created or updated and has not removed since (see managedAddresses). */
  readonly managed: ReadonlySet<string>;
  /**
   * Accounts recorded by any change with a user id that was sent (applied or failed: a failed write may
   * still have taken effect), by `${provider}\n${userId}`. A skipped change was never sent: the account
   * it names is not the person's for it (a create skipped while the name was another person's account);
   * nor is the account of a failed create (isFailedCreate).
   * An account renamed in place is listed under its new name only, once the rename is applied.
   */
  readonly accounts: ReadonlyMap<string, readonly string[]>;
  /**
   * Names accounts were renamed away from (an applied rename in place), by `${provider}\n${account}` →
   * the user ids whose accounts they were. `accounts` forgets such a name (it is not the person's any
   * more), but values the rename's moves did not cover may still name it: a plan that gives it to
   * someone else has the system searched for them first (engine/held-before.ts).
   */
  readonly renamedAway: ReadonlyMap<string, readonly string[]>;
  /** Entries folded in all. */
  readonly entries: number;
  /** Addresses only an intent made managed so far (see MutableFold). */
  readonly provisional: ReadonlySet<string>;
  /** The commit of the access files the last run that knew one applied (without "+dirty"). */
  readonly lastCommit?: string;
  /** The run that applied lastCommit (see LastCommitRun). */
  readonly lastCommitRun?: LastCommitRun;
  /** User address → attributesDigest of what the last applied create or update of it wrote. */
  readonly written: ReadonlyMap<string, string>;
  /**
   * User addresses whose last applied enable, disable, create or delete was a disable: accounts gatehouse
   * itself disabled. Any other disabled account was disabled by someone else (drift).
   */
  readonly disabled: ReadonlySet<string>;
  /**
   * Membership addresses whose last applied add was a time-bound grant's, with the end it was added
   * with (MembershipChange.until): a removal when that end has passed ends the grant as it was applied
   * (plan/safety.ts). A later edit of the line (an extension, a shortening) is not here: only what the
   * journal recorded gatehouse applying.
   */
  readonly grantEnds: ReadonlyMap<string, string>;
  /**
   * User address → the last day gatehouse wrote as the account's expiry (a create's or update's
   * `endDate`, where the system expires accounts itself: AD's accountExpires), while it stands. An expiry
   * the files stop giving is cleared only where it is this one: any other was set by someone else.
   */
  readonly expiries: ReadonlyMap<string, string>;
  /**
   * User or group address → the system's stable id of its entry (OpenLDAP entryUUID), as the last applied
   * change of it that gave one recorded it (ChangeData.accountId: a create, update or enable), while the
   * address stands: a rename in place carries it to the new name, a delete or a disable drops it. A
   * plan finds a leaver's account, or a group, renamed by hand by it (engine/stable-ids.ts). Accounts and
   * groups no change gave an id for (journalled before ids were kept, adopted and never changed) are not
   * here.
   */
  readonly ids: ReadonlyMap<string, string>;
  /**
   * Open offboarding verdicts, by `${provider}\n${account}`: the latest `offboard-verified` entry of each
   * leaver account, where it found access left. A later clean verdict of the account closes it (the
   * entry is dropped), and so does a `verdict-closed` entry naming it (closed by hand). Whether the files
   * still make the person a leaver is for the caller to judge (engine/open-verdicts.ts): the journal does
   * not know the files. Each keeps the account's stable id (`accountId`) where the system gave one: an
   * entry written before the field existed takes it from its run's disable or delete of the account.
   */
  readonly verdicts: ReadonlyMap<string, OpenVerdict>;
  /**
   * Webhook deliveries still owed, by `${webhook}\n${userId}`: the latest `webhook-delivered` entry of
   * each, where it was rejected or failed (with the body, which the next apply sends again). A delivered
   * one drops it, and so does a `delivery-closed` entry naming it (closed by hand).
   */
  readonly undelivered: ReadonlyMap<string, UndeliveredWebhook>;
  /**
   * Groups whose holders before gatehouse the journal has on record, by `${provider}\n${group}` (its name
   * now): an `adopted` entry named them, or gatehouse made the group. An apply records the members of any
   * other group whose members it manages (engine/adoptions.ts). A rename moves it; a delete drops it.
   */
  readonly adopted: ReadonlySet<string>;
  /** Providers a run that records adoptions read (its apply-start's `adopts`), or an `adopted` entry names. */
  readonly adoptingProviders: ReadonlySet<string>;
  /** Providers any run's apply-start names: with no `adopted` entry, an older gatehouse managed them. */
  readonly providersRun: ReadonlySet<string>;
}

/** A rejected or failed webhook delivery, as the journal holds it. */
export type UndeliveredWebhook = WebhookDeliveredData & { readonly seq: number };

/**
 * The entry of an offboarding check that found access left, as the journal holds it; or, `unchecked`,
 * one the fold makes for a leaver's account a run disabled or deleted (`seq`: that change's entry), until
 * a check of the account is recorded: a run that ends before its check (killed, the journal failing)
 * leaves it open, and the next apply checks the account (and tells the webhooks) as for any open verdict.
 */
export type OpenVerdict = OffboardVerifiedData & { readonly seq: number; readonly unchecked?: true };

/** The `error` of an unchecked verdict (OpenVerdict.unchecked): what its notes and re-check say of it. */
export const UNCHECKED = "its run ended before checking it";

interface MutableFold {
  readonly managed: AddressSet;
  readonly accounts: Map<string, string[]>;
  readonly renamedAway: Map<string, string[]>;
  entries: number;
  /**
   * Addresses an intent entry made managed that were not before, while their run may still report
   * them: a failed or skipped outcome takes them back; a run that ends (or dies) without one leaves them.
   */
  readonly provisional: AddressSet;
  lastCommit?: string;
  lastCommitRun?: LastCommitRun;
  readonly written: Map<string, string>;
  readonly disabled: Set<string>;
  readonly grantEnds: Map<string, string>;
  readonly expiries: Map<string, string>;
  readonly ids: Map<string, string>;
  readonly verdicts: Map<string, OpenVerdict>;
  readonly undelivered: Map<string, UndeliveredWebhook>;
  readonly adopted: Set<string>;
  readonly adoptingProviders: Set<string>;
  readonly providersRun: Set<string>;
  /**
   * The stable ids the current run's disables and deletes recorded (ChangeData.accountId), by
   * `${provider}\n${account}`, until its next apply-start: an offboard-verified entry written before it
   * kept `accountId` itself is given its run's.
   */
  readonly runIds: Map<string, string>;
  /** The current run's apply-start: when it started, and whether it is a fire drill's. */
  run?: { readonly at: string; readonly isDrill: boolean };
}

/** The start every membership address of `group` shares: `<provider>:membership/<group>/`. */
function membersPrefix(provider: string, group: string): string {
  return membershipAddress(provider, group, "", "user");
}

/**
 * A group that is deleted takes its memberships with it, and a renamed group keeps them under its new
 * name: otherwise a later group of the old name would inherit memberships gatehouse never gave it (and
 * lose them in additive mode), and the renamed group's would look like someone else's.
 */
function moveMemberships(fold: MutableFold, provider: string, from: string, to: string | undefined): void {
  const prefix = membersPrefix(provider, from);
  fold.managed.moveGroup(prefix, to === undefined ? undefined : membersPrefix(provider, to));
  // A grant's end goes with its membership (a handful of grants: a scan of them is cheap).
  for (const [address, until] of [...fold.grantEnds]) {
    if (!address.startsWith(prefix)) continue;
    fold.grantEnds.delete(address);
    if (to !== undefined)
      fold.grantEnds.set(membersPrefix(provider, to) + address.slice(prefix.length), until);
  }
}

/**
 * An account renamed in place is the same account under its new name: gatehouse's, with its
 * memberships, and disabled by gatehouse if it was.
 */
function renameAccount(fold: MutableFold, provider: string, from: string, to: string): void {
  const before = userAddress(provider, from);
  const after = userAddress(provider, to);
  fold.managed.delete(before);
  fold.managed.add(after);
  fold.managed.moveMember(`${provider}:membership/`, from, to); // every group's, see membershipAddress
  fold.written.delete(before);
  if (fold.disabled.delete(before)) fold.disabled.add(after);
  const id = fold.ids.get(before);
  if (id !== undefined) {
    fold.ids.delete(before);
    fold.ids.set(after, id);
  }
  const expiry = fold.expiries.get(before);
  if (expiry !== undefined) {
    fold.expiries.delete(before);
    fold.expiries.set(after, expiry);
  }
}

/**
 * The expiry an applied user change wrote to the account at `address` (expiries): a create's endDate, or
 * an update's `endDate` field (set, moved, or cleared with null). Other changes leave it as it was.
 */
function recordExpiry(fold: MutableFold, address: string, c: Change): void {
  if (c.kind !== "user") return;
  if (c.action === "create") {
    if (c.endDate === undefined) fold.expiries.delete(address);
    else fold.expiries.set(address, c.endDate);
  } else if (c.action === "update") {
    const expiry = c.fields.find((f) => f.field === "endDate");
    if (expiry === undefined) return;
    if (expiry.after === null) fold.expiries.delete(address);
    else fold.expiries.set(address, expiry.after);
  } else if (c.action === "delete") fold.expiries.delete(address);
}

/**
 * A person's account renamed in place no longer holds its former name: the name is not theirs any more
 * (it may be given to someone else next, an e-mail address passed on), and their account is found under
 * its new name.
 */
function forgetFormerName(fold: MutableFold, key: string, from: string): void {
  const known = fold.accounts.get(key);
  const at = known?.indexOf(from) ?? -1;
  if (known !== undefined && at >= 0) known.splice(at, 1);
}

/**
 * The disable of an account the files give nobody (reason not-in-config), though the plan named whose
 * it seemed to be: the system's own record (a SCIM externalId naming them), or an account the journal
 * knew as theirs already. Disabling it is not gatehouse managing it for them: were it theirs for the
 * journal from then on, correcting the system's record (as the plan advises) would not make it someone
 * else's any more, and the person it belongs to would not get it.
 */
function isStrangersDisable(c: Change): boolean {
  return c.kind === "user" && c.action === "disable" && c.reason === "not-in-config";
}

/**
 * A create the system refused made the person no account: the name may be another person's account (the
 * create found it taken, and adopting it was refused). Recorded as the person's, that name would look
 * theirs to the next plan, which could then take the other person's account for their former one. (A
 * create that took effect despite its failure is the person's by name, and recorded by the next change
 * made to it.)
 */
function isFailedCreate(c: Change, outcome: ChangeData["outcome"]): boolean {
  return outcome === "failed" && c.kind === "user" && c.action === "create";
}

/**
 * The account a change entry disabled or deleted as a leaver's, if it did: it opens an unchecked verdict
 * (OpenVerdict) until a check of it is recorded.
 */
export function leaverAccountTaken(entry: Pick<ChangeData, "change" | "outcome">): string | undefined {
  const c = entry.change;
  const isTaken =
    entry.outcome === "applied" &&
    c.kind === "user" &&
    (c.action === "disable" || c.action === "delete") &&
    c.reason === "user-terminated";
  return isTaken ? c.account : undefined;
}

/** Actions that make an address gatehouse's once applied (and whose intent apply journals first). */
export const MANAGING_ACTIONS: ReadonlySet<string> = new Set(["create", "add", "enable", "update"]);

/**
 * The run that applied the journal's last commit: its apply-start's seq and `at`, whether the guard rails
 * refused any of it, and whether it made its whole plan (its apply-end counted nothing failed or
 * skipped, and it was not interrupted). Only then were the files of that commit in effect after it.
 */
export interface LastCommitRun {
  readonly seq: number;
  readonly at: string;
  readonly isRefused: boolean;
  readonly isMade: boolean;
}

function isLastCommitRun(value: unknown): value is LastCommitRun {
  return (
    isRecord(value) &&
    typeof value["seq"] === "number" &&
    typeof value["at"] === "string" &&
    typeof value["isRefused"] === "boolean" &&
    typeof value["isMade"] === "boolean"
  );
}

/** One entry into the fold: the single place that says what an entry means to a plan. */
export function foldEntry(fold: MutableFold, entry: JournalEntry): void {
  fold.entries++;
  if (entry.type === "apply-start" || entry.type === "apply-end") {
    fold.provisional.clear(); // the run before is over: what it may have granted stays gatehouse's
    if (entry.type === "apply-start") {
      for (const provider of entry.providers) {
        fold.providersRun.add(provider);
        if (entry.adopts === true) fold.adoptingProviders.add(provider);
      }
      fold.runIds.clear();
      fold.run = { at: entry.at, isDrill: entry.drill !== undefined };
    }
    if (entry.type === "apply-start" && entry.commit !== undefined) {
      fold.lastCommit = withoutDirty(entry.commit);
      fold.lastCommitRun = {
        seq: entry.seq,
        at: entry.at,
        isRefused: (entry.refused ?? []).length > 0,
        isMade: false,
      };
    }
    // Made whole: nothing refused, failed, skipped or cut short (a run with no apply-end was not).
    const run = fold.lastCommitRun;
    if (entry.type === "apply-end" && run?.seq === entry.runSeq)
      fold.lastCommitRun = {
        ...run,
        isMade:
          !run.isRefused && entry.failed === 0 && (entry.skipped ?? 0) === 0 && entry.interrupted !== true,
      };
    // The ends the files approved since the grants were added (Plan.grantEnds): a grant made lasting
    // leaves grantEnds, so a past end given to its line later is no grant ending as approved.
    if (entry.type === "apply-start")
      for (const { id, until } of entry.grantEnds ?? []) {
        if (until === null) fold.grantEnds.delete(id);
        else if (fold.grantEnds.has(id)) fold.grantEnds.set(id, until);
      }
    return;
  }
  if (entry.type === "intent") {
    for (const id of entry.changeIds) if (fold.managed.add(id)) fold.provisional.add(id);
    return;
  }
  // An offboarding check only read the systems: it makes nothing gatehouse's, nor takes anything away.
  // Its verdict is kept while it found access left, until a later check of the account finds none.
  if (entry.type === "offboard-verified") {
    // A drill's canary is no leaver: its check opens no verdict, and closes none (its restore gives it
    // its access back, which a re-check would take for access left).
    if (entry.drill === true) return;
    const key = `${entry.provider}\n${entry.account}`;
    // A re-check supersedes the verdict it names, under whatever name it found the account (renamedTo).
    const earlier = entry.recheckOf === undefined ? undefined : takeVerdict(fold, key, entry.recheckOf);
    if (entry.clean) fold.verdicts.delete(key);
    else {
      // Entries before accountId was kept: the run's change gave it, or the verdict re-checked kept it.
      const accountId =
        entry.accountId ?? (entry.recheckOf === undefined ? fold.runIds.get(key) : earlier?.accountId);
      fold.verdicts.set(key, {
        ...openVerdictOf(entry),
        ...(accountId === undefined ? {} : { accountId }),
      });
    }
    return;
  }
  // A webhook's delivery changed nothing gatehouse manages; a rejected or failed one is owed until one
  // is delivered, or it is closed by hand.
  if (entry.type === "webhook-delivered") {
    const key = `${entry.webhook}\n${entry.userId}`;
    if (entry.outcome === "delivered") fold.undelivered.delete(key);
    else fold.undelivered.set(key, undeliveredOf(entry));
    return;
  }
  // A drill's summary: its runs' entries said what they changed.
  if (entry.type === "drill") return;
  // The holders a run found before gatehouse managed the group's members: none of them gatehouse's.
  if (entry.type === "adopted") {
    fold.adopted.add(`${entry.provider}\n${entry.group}`);
    fold.adoptingProviders.add(entry.provider);
    return;
  }
  // Closed by hand: the owed delivery it names is owed no more (one attempted again since stays owed).
  if (entry.type === "delivery-closed") {
    const key = `${entry.webhook}\n${entry.userId}`;
    if (fold.undelivered.get(key)?.seq === entry.closes) fold.undelivered.delete(key);
    return;
  }
  // Closed by hand: the verdict it names is open no more (one a re-check superseded already stays so).
  if (entry.type === "verdict-closed") {
    takeVerdict(fold, `${entry.provider}\n${entry.account}`, entry.closes);
    return;
  }
  const c = entry.change;
  if (entry.accountId !== undefined && c.kind === "user" && (c.action === "disable" || c.action === "delete"))
    fold.runIds.set(`${entry.provider}\n${c.account}`, entry.accountId);
  // A leaver's account the run took away is open until the run's check of it is recorded (the check
  // entries follow the changes): a run that ends before it leaves the next apply to check it.
  const taken = fold.run?.isDrill === true ? undefined : leaverAccountTaken(entry);
  if (taken !== undefined)
    fold.verdicts.set(`${entry.provider}\n${taken}`, {
      type: "offboard-verified",
      at: entry.at,
      runSeq: entry.runSeq,
      triggeredAt: fold.run?.at ?? entry.at,
      provider: entry.provider,
      account: taken,
      ...(c.userId === undefined ? {} : { userId: c.userId }),
      clean: false,
      error: UNCHECKED,
      ...(entry.accountId === undefined ? {} : { accountId: entry.accountId }),
      seq: entry.seq,
      unchecked: true,
    });
  if (fold.provisional.delete(c.id) && entry.outcome !== "applied") fold.managed.delete(c.id);
  const userRenamedTo = renamedUserTo(c);
  if (
    c.userId !== undefined &&
    entry.outcome !== "skipped" &&
    !isFailedCreate(c, entry.outcome) &&
    !isStrangersDisable(c)
  ) {
    const key = `${entry.provider}\n${c.userId}`;
    // The name a rename gives is the person's only once the rename is made: a failed or skipped one
    // leaves that name to whoever holds it (the next plan would take it for the person's former account).
    const renamedAccount = entry.outcome === "applied" ? userRenamedTo : undefined;
    for (const account of [accountOf(c), renamedAccount]) {
      if (account === undefined) continue;
      const known = fold.accounts.get(key);
      if (known === undefined) fold.accounts.set(key, [account]);
      else if (!known.includes(account)) known.push(account);
    }
  }
  if (entry.outcome !== "applied") return;
  if (c.kind === "user" && c.action === "update" && userRenamedTo !== undefined) {
    renameAccount(fold, c.provider, c.account, userRenamedTo);
    if (entry.accountId !== undefined) fold.ids.set(userAddress(c.provider, userRenamedTo), entry.accountId);
    if (c.userId !== undefined) {
      forgetFormerName(fold, `${entry.provider}\n${c.userId}`, c.account);
      const key = `${entry.provider}\n${c.account}`;
      const held = fold.renamedAway.get(key);
      if (held === undefined) fold.renamedAway.set(key, [c.userId]);
      else if (!held.includes(c.userId)) held.push(c.userId);
    }
    const renamed = userAddress(c.provider, userRenamedTo);
    fold.written.set(renamed, attributesDigest(c.after));
    recordExpiry(fold, renamed, c);
    return;
  }
  if (c.kind === "group" && c.action === "delete") {
    moveMemberships(fold, c.provider, c.group, undefined);
    fold.adopted.delete(`${c.provider}\n${c.group}`);
  }
  // A group gatehouse made held no one before it: nothing to adopt there.
  if (c.kind === "group" && c.action === "create") fold.adopted.add(`${c.provider}\n${c.group}`);
  const renamedTo = renamedGroupTo(c);
  if (c.kind === "group" && renamedTo !== undefined) {
    moveMemberships(fold, c.provider, c.group, renamedTo);
    if (fold.adopted.delete(`${c.provider}\n${c.group}`)) fold.adopted.add(`${c.provider}\n${renamedTo}`);
    fold.managed.delete(c.id);
    fold.managed.add(groupAddress(c.provider, renamedTo));
    const id = entry.accountId ?? fold.ids.get(c.id);
    fold.ids.delete(c.id);
    if (id !== undefined) fold.ids.set(groupAddress(c.provider, renamedTo), id);
    return;
  }
  if (MANAGING_ACTIONS.has(c.action)) fold.managed.add(c.id);
  else if (c.action === "delete" || c.action === "remove") fold.managed.delete(c.id);
  if (c.kind === "user" && (c.action === "create" || c.action === "update"))
    fold.written.set(c.id, attributesDigest(c.after));
  else if (c.kind === "user" && c.action === "delete") fold.written.delete(c.id);
  recordExpiry(fold, c.id, c);
  // An account gatehouse disabled is offboarded: no plan needs to find it by its id (a leaver whose
  // entry was deleted by hand since would be looked for on every plan). An enable gives it back.
  if (
    ((c.kind === "user" || c.kind === "group") && c.action === "delete") ||
    (c.kind === "user" && c.action === "disable")
  )
    fold.ids.delete(c.id);
  else if (c.kind !== "membership" && c.action !== "revoke-sessions" && entry.accountId !== undefined)
    fold.ids.set(c.id, entry.accountId);
  if (c.kind === "membership" && c.action === "add") {
    const until = c.until ?? untilInWhy(c.why);
    if (until === undefined) fold.grantEnds.delete(c.id);
    else fold.grantEnds.set(c.id, until);
  } else if (c.kind === "membership" && c.action === "remove") fold.grantEnds.delete(c.id);
  if (c.kind === "user" && c.action === "disable") fold.disabled.add(c.id);
  else if (c.kind === "user" && (c.action === "enable" || c.action === "create" || c.action === "delete"))
    fold.disabled.delete(c.id);
}

/**
 * Takes the open verdict whose entry is `seq` out of the fold, and returns it. Looked for beyond `key`
 * (its account) only when it is not there: one re-check per open verdict each apply.
 */
function takeVerdict(fold: MutableFold, key: string, seq: number): OpenVerdict | undefined {
  const here = fold.verdicts.get(key);
  if (here?.seq === seq) {
    fold.verdicts.delete(key);
    return here;
  }
  for (const [k, v] of fold.verdicts)
    if (v.seq === seq) {
      fold.verdicts.delete(k);
      return v;
    }
  return undefined;
}

/** A failed delivery without the chain fields (the seq stays). */
function undeliveredOf(entry: WebhookDeliveredData & ChainFields): UndeliveredWebhook {
  const owed: { -readonly [K in keyof ChainFields]?: ChainFields[K] } & UndeliveredWebhook = { ...entry };
  delete owed.prevHash;
  delete owed.hash;
  return owed;
}

/** An open verdict without the chain fields (the seq stays: notes and re-checks name the entry by it). */
function openVerdictOf(entry: OffboardVerifiedData & ChainFields): OpenVerdict {
  const verdict: { -readonly [K in keyof ChainFields]?: ChainFields[K] } & OpenVerdict = { ...entry };
  delete verdict.prevHash;
  delete verdict.hash;
  return verdict;
}

export function emptyFold(): MutableFold {
  return {
    managed: new AddressSet(),
    accounts: new Map(),
    renamedAway: new Map(),
    entries: 0,
    provisional: new AddressSet(),
    written: new Map(),
    disabled: new Set(),
    grantEnds: new Map(),
    expiries: new Map(),
    ids: new Map(),
    verdicts: new Map(),
    undelivered: new Map(),
    adopted: new Set(),
    adoptingProviders: new Set(),
    providersRun: new Set(),
    runIds: new Map(),
  };
}

/** Where a fold stopped: the offset after the last line folded, and that line's start and hash. */
interface FoldCache {
  readonly end: number;
  readonly lastLineStart: number;
  readonly lastLineHash: string;
  /** The last entry folded: an anchor that `journal verify` looks for. */
  readonly head: { readonly seq: number; readonly hash: string } | undefined;
  readonly fold: MutableFold;
  /**
   * A cache of another format (an older gatehouse): its fold is not used, but where it stopped is still
   * checked, so an upgrade does not drop the check for entries cut off the journal's end.
   */
  readonly isAnchorOnly?: true;
}

/** A cache file that is there but cannot be used at all: its check for a cut journal is lost. */
export const DAMAGED = "damaged";

/** The anchor of any format's cache (every format since the first kept these), or undefined. */
function anchorOf(value: Readonly<Record<string, unknown>>): FoldCache | undefined {
  const { end, lastLineStart, lastLineHash, entries, headSeq, headHash } = value;
  const isOffset = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
  if (!isOffset(end) || !isOffset(lastLineStart) || typeof lastLineHash !== "string" || !isOffset(entries))
    return undefined;
  const fold = emptyFold();
  fold.entries = entries;
  const head =
    isOffset(headSeq) && typeof headHash === "string" ? { seq: headSeq, hash: headHash } : undefined;
  return { end, lastLineStart, lastLineHash, head, fold, isAnchorOnly: true };
}

// 2: group deletes and renames carry their memberships (a fold made by 1 did not). 3: intents. 4: head.
// 5: disabled. 6: managed and provisional addresses by group, member names listed once (AddressSet).
// 7: accounts renamed in place carry their memberships (a fold made by 6 kept them under the old name).
// 8: a rename's new name is the person's account only once applied (7 recorded failed ones too), and
// then its former name is not theirs any more (7 kept it); a skipped change records no account.
// 9: a failed create records no account (8 recorded it as the person's).
// 10: renamedAway (9 forgot a name renamed away from altogether).
// 11: open offboarding verdicts (10 kept none).
// 12: a re-check closes the verdict it names (recheckOf) under any name (11 only the one of its account).
// 13: verdicts keep the account's stable id (accountId; 12 dropped it where the entry had none), and a
// verdict-closed entry closes the verdict it names (12 did not know the entry).
// 14: a drill's offboarding check opens no verdict (13 opened one where it found access left).
// 15: webhook deliveries still owed (14 kept none).
// 16: a delivery-closed entry closes the owed delivery it names, and a rejected one is owed (15 knew
// neither).
// 17: the disable of an account in no access file (not-in-config) records no account (16 recorded it as
// the person the system said it was, e.g. by its externalId).
// 18: grantEnds, the end each time-bound membership was added with (17 kept none).
// 19: grantEnds also of adds journalled before changes carried `until` (untilInWhy; 18 kept none of them).
// 20: an apply-start's grantEnds move or drop the ends its run's files approved (19 kept the first end).
// 21: expiries, the account expiry each user's last create or update wrote (20 kept none).
// 22: a leaver's account a run disabled or deleted is an open, unchecked verdict until its check is
// recorded, and the current run's start (21 opened none: a run that died before its check left the
// account unchecked, and its leaver unannounced, for good).
// 23: ids, the stable id of each account's and group's entry its changes recorded (22 kept none).
// 24: adopted, the groups whose holders before gatehouse are on record (and the providers that record
// them, and those any run named): 23 kept none, so every apply would record them again.
const FORMAT = "gatehouse journal fold 24";
const FILE_PATTERN = /^journal-[0-9a-f]{16}\.json$/;
/** Stands in for the chain fields an open verdict is kept without, to check it as an entry. */
const ZERO_HASH = "0".repeat(64);

function cacheFileOf(cacheDir: string, journal: string): string {
  const id = createHash("sha256").update(path.resolve(journal)).digest("hex").slice(0, 16);
  return path.join(cacheDir, `journal-${id}.json`);
}

/** The cache in `file`: undefined when there is none, DAMAGED when there is one that cannot be used. */
async function readFoldCache(file: string): Promise<FoldCache | typeof DAMAGED | undefined> {
  const read = await readCacheFile(file);
  if (read === "missing") return undefined;
  if (read === "unreadable") return DAMAGED;
  const cache = foldCacheOf(read.value);
  return cache ?? (isRecord(read.value) ? (anchorOf(read.value) ?? DAMAGED) : DAMAGED);
}

/** A cache of this format, or undefined. */
function foldCacheOf(value: unknown): FoldCache | undefined {
  if (!isRecord(value) || value["format"] !== FORMAT) return undefined;
  const {
    end,
    lastLineStart,
    lastLineHash,
    entries,
    managed,
    accounts,
    renamedAway,
    provisional,
    headSeq,
    headHash,
    lastCommit,
    lastCommitRun,
    written,
    disabled,
    grantEnds,
    expiries,
    ids,
    verdicts,
    undelivered,
    runIds,
    run,
    adopted,
    adoptingProviders,
    providersRun,
  } = value;
  const isOffset = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
  if (!isOffset(end) || !isOffset(lastLineStart) || typeof lastLineHash !== "string") return undefined;
  if (!isOffset(headSeq) || typeof headHash !== "string") return undefined;
  const managedSet = AddressSet.fromJSON(managed);
  if (!isOffset(entries) || managedSet === undefined || !Array.isArray(accounts)) return undefined;
  const provisionalSet = AddressSet.fromJSON(provisional);
  if (provisionalSet === undefined) return undefined;
  const fold: MutableFold = { ...emptyFold(), managed: managedSet, provisional: provisionalSet };
  fold.entries = entries;
  // Absent from caches written before it was kept: the next apply-start folded sets it.
  if (typeof lastCommit === "string") fold.lastCommit = lastCommit;
  if (isLastCommitRun(lastCommitRun)) fold.lastCommitRun = lastCommitRun;
  // Absent from older caches too: plans then call such differences drift, as they did.
  if (Array.isArray(written))
    for (const pair of written)
      if (Array.isArray(pair) && typeof pair[0] === "string" && typeof pair[1] === "string")
        fold.written.set(pair[0], pair[1]);
  if (!Array.isArray(disabled)) return undefined;
  for (const id of disabled) if (typeof id === "string") fold.disabled.add(id);
  if (!Array.isArray(grantEnds)) return undefined;
  for (const pair of grantEnds)
    if (Array.isArray(pair) && typeof pair[0] === "string" && typeof pair[1] === "string")
      fold.grantEnds.set(pair[0], pair[1]);
  if (!Array.isArray(expiries)) return undefined;
  for (const pair of expiries)
    if (Array.isArray(pair) && typeof pair[0] === "string" && typeof pair[1] === "string")
      fold.expiries.set(pair[0], pair[1]);
  if (!Array.isArray(ids)) return undefined;
  for (const pair of ids)
    if (Array.isArray(pair) && typeof pair[0] === "string" && typeof pair[1] === "string")
      fold.ids.set(pair[0], pair[1]);
  if (!Array.isArray(verdicts)) return undefined;
  for (const verdict of verdicts) {
    // Kept as the journal had them, the chain fields aside: checked as entries are (an unchecked one
    // is marked beside the fields of an entry).
    const { unchecked, ...fields } = isRecord(verdict) ? verdict : {};
    const entry: unknown = isRecord(verdict)
      ? { ...fields, prevHash: ZERO_HASH, hash: ZERO_HASH }
      : undefined;
    if (!isJournalEntry(entry) || entry.type !== "offboard-verified") return undefined;
    fold.verdicts.set(`${entry.provider}\n${entry.account}`, {
      ...openVerdictOf(entry),
      ...(unchecked === true ? { unchecked: true as const } : {}),
    });
  }
  if (!Array.isArray(undelivered)) return undefined;
  for (const owed of undelivered) {
    const entry: unknown = isRecord(owed) ? { ...owed, prevHash: ZERO_HASH, hash: ZERO_HASH } : undefined;
    if (!isJournalEntry(entry) || entry.type !== "webhook-delivered") return undefined;
    fold.undelivered.set(`${entry.webhook}\n${entry.userId}`, undeliveredOf(entry));
  }
  if (isRecord(run) && typeof run["at"] === "string" && typeof run["isDrill"] === "boolean")
    fold.run = { at: run["at"], isDrill: run["isDrill"] };
  for (const [target, list] of [
    [fold.adopted, adopted],
    [fold.adoptingProviders, adoptingProviders],
    [fold.providersRun, providersRun],
  ] as const) {
    if (!Array.isArray(list)) return undefined;
    for (const key of list) if (typeof key === "string") target.add(key);
  }
  if (!Array.isArray(runIds)) return undefined;
  for (const pair of runIds)
    if (Array.isArray(pair) && typeof pair[0] === "string" && typeof pair[1] === "string")
      fold.runIds.set(pair[0], pair[1]);
  for (const [target, list] of [
    [fold.accounts, accounts],
    [fold.renamedAway, renamedAway],
  ] as const) {
    if (!Array.isArray(list)) return undefined;
    for (const pair of list) {
      if (!Array.isArray(pair) || typeof pair[0] !== "string" || !Array.isArray(pair[1])) return undefined;
      target.set(
        pair[0],
        pair[1].filter((a): a is string => typeof a === "string"),
      );
    }
  }
  return { end, lastLineStart, lastLineHash, head: { seq: headSeq, hash: headHash }, fold };
}

async function writeFoldCache(file: string, cache: FoldCache): Promise<void> {
  const text = JSON.stringify({
    format: FORMAT,
    end: cache.end,
    lastLineStart: cache.lastLineStart,
    lastLineHash: cache.lastLineHash,
    ...(cache.head === undefined ? {} : { headSeq: cache.head.seq, headHash: cache.head.hash }),
    entries: cache.fold.entries,
    managed: cache.fold.managed.toJSON(),
    accounts: [...cache.fold.accounts],
    renamedAway: [...cache.fold.renamedAway],
    provisional: cache.fold.provisional.toJSON(),
    ...(cache.fold.lastCommit === undefined ? {} : { lastCommit: cache.fold.lastCommit }),
    ...(cache.fold.lastCommitRun === undefined ? {} : { lastCommitRun: cache.fold.lastCommitRun }),
    written: [...cache.fold.written],
    disabled: [...cache.fold.disabled],
    grantEnds: [...cache.fold.grantEnds],
    expiries: [...cache.fold.expiries],
    ids: [...cache.fold.ids],
    verdicts: [...cache.fold.verdicts.values()],
    undelivered: [...cache.fold.undelivered.values()],
    runIds: [...cache.fold.runIds],
    adopted: [...cache.fold.adopted],
    adoptingProviders: [...cache.fold.adoptingProviders],
    providersRun: [...cache.fold.providersRun],
    ...(cache.fold.run === undefined ? {} : { run: cache.fold.run }),
  });
  await writeCacheFile(file, text, FILE_PATTERN).catch(() => undefined); // only costs a full read later
}

/**
 * How many entries the plan's fold last read from this journal on this machine (its cache), and the
 * last of them, if it did: an anchor for `journal verify`, which cannot tell from the file alone that
 * entries were cut off its end, or that the chain was rewritten up to there.
 */
export async function foldedHead(
  journalPath: string,
  cacheDir: string,
): Promise<
  | {
      readonly entries: number;
      readonly seq: number;
      readonly hash: string;
      /** Bytes of the journal read up to the end of that entry's line. */
      readonly end: number;
    }
  | typeof DAMAGED
  | undefined
> {
  const cache = await readFoldCache(cacheFileOf(cacheDir, journalPath));
  if (cache === DAMAGED) return DAMAGED;
  return cache?.head && { entries: cache.fold.entries, end: cache.end, ...cache.head };
}

/** Where the fold cache of `journalPath` in `cacheDir` is, for messages. */
export function foldCachePath(journalPath: string, cacheDir: string): string {
  return cacheFileOf(cacheDir, journalPath);
}

/**
 * The journal no longer holds what a fold read from it here: refuse to plan on it, and keep the anchor,
 * so that the next run (an hourly plan) does not wipe the evidence. `opened` is the journal, when there
 * is one: what became of the last entry read is said when it can be told.
 */
async function anchorLost(
  journalPath: string,
  cacheFile: string,
  cache: FoldCache,
  opened: { readonly handle: FileHandle; readonly size: number } | undefined,
): Promise<JournalError> {
  const anchor = { ...cache, entries: cache.fold.entries };
  const what =
    opened === undefined
      ? `is gone, but gatehouse read ${String(cache.fold.entries)} entries${cache.head === undefined ? "" : ` (up to seq ${String(cache.head.seq)})`} from it on this machine`
      : await describeLostAnchor(opened.handle, opened.size, anchor);
  return new JournalError(
    `${journalPath} ${what}. Nothing was read or changed. Run \`gatehouse journal verify\` and find out what happened; ` +
      `if the journal was restored on purpose, delete ${cacheFile} to accept it as it is now`,
  );
}

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

/** The fold a cache holds, when the line it stopped at is still where it was and unchanged. */
async function resumable(
  handle: FileHandle,
  size: number,
  cache: FoldCache | undefined,
): Promise<FoldCache | undefined> {
  if (cache === undefined || cache.end > size || cache.lastLineStart >= cache.end) return undefined;
  const line = Buffer.alloc(cache.end - cache.lastLineStart);
  const { bytesRead } = await handle.read(line, 0, line.length, cache.lastLineStart);
  if (bytesRead !== line.length || line[line.length - 1] !== 0x0a) return undefined;
  if (cache.lastLineStart > 0) {
    const before = Buffer.alloc(1);
    await handle.read(before, 0, 1, cache.lastLineStart - 1);
    if (before[0] !== 0x0a) return undefined;
  }
  return sha256(line) === cache.lastLineHash ? cache : undefined;
}

/**
 * Folds the journal at `journalPath` (an empty fold when there is none), reading `chunkBytes` at a time.
 * Throws JournalError, naming the line, on a torn last line or a line that is not an entry, as reading
 * the whole journal does. Only the chain's last folded line is checked again when resuming: `gatehouse
 * journal verify` is what checks the whole chain.
 */
export async function foldJournal(
  journalPath: string,
  cacheDir?: string,
  chunkBytes: number = LINE_CHUNK_BYTES,
  warn: (message: string) => void = () => undefined,
): Promise<JournalFold> {
  const fold = await foldJournalFile(journalPath, cacheDir, chunkBytes, warn);
  // Changes a run made while the journal could not take them: until the next apply records them, a
  // plan reads them from where that run set them aside (not cached: the cache follows the journal).
  const aside = await readSetAside(journalPath);
  if (aside.length === 0) return fold;
  const more: MutableFold = {
    managed: new AddressSet(fold.managed),
    accounts: new Map([...fold.accounts].map(([k, v]) => [k, [...v]])),
    renamedAway: new Map([...fold.renamedAway].map(([k, v]) => [k, [...v]])),
    entries: fold.entries,
    provisional: new AddressSet(fold.provisional),
    ...(fold.lastCommit === undefined ? {} : { lastCommit: fold.lastCommit }),
    ...(fold.lastCommitRun === undefined ? {} : { lastCommitRun: fold.lastCommitRun }),
    written: new Map(fold.written),
    disabled: new Set(fold.disabled),
    grantEnds: new Map(fold.grantEnds),
    expiries: new Map(fold.expiries),
    ids: new Map(fold.ids),
    verdicts: new Map(fold.verdicts),
    undelivered: new Map(fold.undelivered),
    adopted: new Set(fold.adopted),
    adoptingProviders: new Set(fold.adoptingProviders),
    providersRun: new Set(fold.providersRun),
    runIds: new Map(),
  };
  for (const entry of aside) foldEntry(more, { ...entry, seq: 0, prevHash: "", hash: "" });
  return more;
}

async function foldJournalFile(
  journalPath: string,
  cacheDir: string | undefined,
  chunkBytes: number,
  warn: (message: string) => void,
): Promise<JournalFold> {
  const cacheFile = cacheDir === undefined ? undefined : cacheFileOf(cacheDir, journalPath);
  const read = cacheFile === undefined ? undefined : await readFoldCache(cacheFile);
  if (read === DAMAGED)
    warn(
      `warning: ${cacheFile ?? ""} is damaged: it was where gatehouse checks that ${journalPath} still holds what it read before, so entries cut off the journal since then would go unnoticed; run \`gatehouse journal verify\` (this run reads the whole journal and writes a new one)`,
    );
  const cached = read === DAMAGED ? undefined : read;
  const opened = await openJournal(journalPath);
  if (opened === undefined) {
    if (cached !== undefined && cacheFile !== undefined && cached.fold.entries > 0)
      throw await anchorLost(journalPath, cacheFile, cached, undefined);
    return emptyFold();
  }
  const { handle, size } = opened;
  try {
    const found = await resumable(handle, size, cached);
    if (cached !== undefined && cacheFile !== undefined && found === undefined && cached.fold.entries > 0)
      throw await anchorLost(journalPath, cacheFile, cached, opened);
    // An older format's cache only vouched for the journal: fold it all again.
    const resumed = found?.isAnchorOnly === true ? undefined : found;
    if (resumed?.end === size) return resumed.fold;
    const fold = resumed?.fold ?? emptyFold();
    let lastLineStart = resumed?.lastLineStart ?? 0;
    let lastLine: Uint8Array | undefined; // hashed once, at the end
    let head = resumed?.head;
    const offset = await eachLine(
      handle,
      resumed?.end ?? 0,
      size,
      (line) => {
        if (line.isTorn) throw tornJournalError(journalPath);
        const entry = entryAtLine(journalPath, fold.entries + 1, line.text);
        foldEntry(fold, entry);
        head = { seq: entry.seq, hash: entry.hash };
        lastLineStart = line.start;
        lastLine = line.bytes;
      },
      chunkBytes,
    );
    const lastLineHash = lastLine === undefined ? resumed?.lastLineHash : sha256(lastLine);
    if (cacheFile !== undefined && lastLineHash !== undefined && head !== undefined)
      await writeFoldCache(cacheFile, { end: offset, lastLineStart, lastLineHash, head, fold });
    return fold;
  } finally {
    await handle.close();
  }
}

/** A grant's way to a membership as every version of gatehouse has written it into `why`. */
const GRANT_WHY = /^listed at \S+:\d+ until (\d{4}-\d\d-\d\dT[^\s()]+)(?: \(.*\))?$/;

/**
 * The end a membership add was made with, for adds journalled before changes carried `until` (gatehouse
 * before 2026-11-26): read back from its `why`, where each way to the membership is described. Only when
 * every way is a grant with an end (as MembershipChange.until is set); the latest of them. Anything else
 * (a role, a lasting line, a text of another shape) is no grant end: the removal is then an ordinary one.
 */
function untilInWhy(why: readonly string[] | undefined): string | undefined {
  if (why === undefined || why.length === 0) return undefined;
  let latest: string | undefined;
  for (const line of why) {
    const until = GRANT_WHY.exec(line)?.[1];
    if (until === undefined || Number.isNaN(Date.parse(until))) return undefined;
    if (latest === undefined || Date.parse(until) > Date.parse(latest)) latest = until;
  }
  return latest;
}
