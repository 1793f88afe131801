/**
 * "Who had access to group X on date D": the journal replayed up to D. Every membership change a system
 * confirmed is there, with its run (commit, actor), reason and source line, so the answer says since
 * when, why and on whose change each member held the group. The members a group had before gatehouse
 * managed it are there as the run that took it on found them (`adopted` entries): held since before
 * then. Hand edits gatehouse later removed as drift were never recorded as held (held-outside.ts).
 */
import type { SourceLocation } from "../model/source.ts";
import type { MembershipChange, Reason } from "../plan/types.ts";
import { membershipOf, renamedGroupTo, renamedUserTo } from "../plan/addresses.ts";
import type { ApprovalsRecord } from "../pr/approval-record.ts";
import { FilesApprovals, type FilesApproval } from "./run-approval.ts";
import type { AdoptedData, ChainFields, GuardrailOverrides, JournalEntry } from "./journal-entry.ts";
import { eachEntry } from "./journal-lines.ts";
import { HeldOutside, type OutsideMembership } from "./held-outside.ts";
import { readRefusal, refusalNames } from "./refusals.ts";
import { StandingRefusals, type RefusalOfRun } from "./standing-refusals.ts";
import { heldThrough, type HeldThrough, type NestedGroup } from "./nested-access.ts";

/** Why a member held the group: the reason of gatehouse's add, or "adopted" (held before gatehouse). */
export type HeldReason = Reason | "adopted";

export interface HeldMembership {
  readonly member: string;
  readonly memberKind: "user" | "group";
  readonly userId?: string;
  /**
   * When the system confirmed the add; for an adopted member (`adopted`), when the run that took the
   * group on found it held: it was held since before then, from when the journal cannot tell.
   */
  readonly since: string;
  /** The journal entry of the add (of the `adopted` entry, for an adopted member). */
  readonly seq: number;
  readonly reason: HeldReason;
  /**
   * Held before gatehouse managed the group's members, and kept: the run that took the group on found it
   * there (`runSeq`, its apply-start) with no add by gatehouse on record. `late`: a gatehouse that did
   * not record adoptions had run the system before, so it may have been added by hand since then.
   */
  readonly adopted?: { readonly runSeq: number; readonly late?: true };
  readonly why: readonly string[];
  /** The end of the grant that gave it, for a time-bound grant. */
  readonly until?: string;
  readonly source?: SourceLocation;
  /** The run that added it: its access files' commit and who ran it. */
  readonly commit?: string;
  readonly actor?: string;
  /** That run's pull requests and approvals, when it recorded them (`apply --record-approvals`). */
  readonly approvals?: ApprovalsRecord;
  /**
   * That run applied no new commit: the run that first applied its commit, and what it recorded (a
   * joiner added on their start date came with that run's pull requests, not none).
   */
  readonly filesApprovedIn?: FilesApproval;
  /**
   * A later run found it missing and added it back as drift, at this instant: someone removed it outside
   * gatehouse at a time the journal cannot tell, between `since` and then, so it may not have been held
   * at the instant asked about.
   */
  readonly foundMissingAt?: string;
  /**
   * This membership is a re-add (drift): an earlier one, since this instant (journal entry `seq`), was
   * removed outside gatehouse at a time the journal cannot tell, before the re-add.
   */
  readonly earlier?: { readonly since: string; readonly seq: number };
  /**
   * A run started after `until` and no later than the instant asked about, and the membership stayed:
   * the grant was extended (by a journal older than the apply-start's grantEnds, which records only the
   * end it was added with) or its removal failed.
   */
  readonly keptPastUntil?: true;
  /**
   * The end was changed after the add, by an edit with nothing to apply, which a later run recorded (its
   * apply-start's grantEnds), no later than the instant asked about: the run (`at`, `seq` of its
   * apply-start) and the end before (`from`; absent when the line was lasting). `until` is then the end
   * recorded last, or absent when the grant was made lasting. `approvals`: that run's pull requests and
   * approvals, when it recorded them (the edit came in with one of its commits).
   */
  readonly endChanged?: {
    readonly at: string;
    readonly seq: number;
    readonly from?: string;
    readonly approvals?: ApprovalsRecord;
  };
}

/**
 * A membership a run announced (an `intent`) and never recorded an outcome for: the run was killed or
 * crashed between the write and its journal entries, so the system may well hold it (the next plan
 * finds it there and adds nothing, so no later entry confirms it either).
 */
export interface UnconfirmedMembership {
  readonly member: string;
  readonly memberKind: "user" | "group";
  /** When the run announced it. */
  readonly since: string;
  /** `seq` of the run's apply-start entry. */
  readonly runSeq: number;
  readonly commit?: string;
  readonly actor?: string;
}

/**
 * A member the first run that took the group on found holding it, after the instant asked about: held since
 * before gatehouse, so possibly held then too; from when, the journal cannot tell.
 */
export interface AdoptedLater {
  readonly member: string;
  readonly memberKind: "user" | "group";
  /** When that run found it held (its start). */
  readonly foundAt: string;
  /** `seq` of the run's apply-start. */
  readonly runSeq: number;
  readonly late?: true;
}

export interface GroupAccessAt {
  readonly provider: string;
  /** The group's name on that date (it may have been renamed since). */
  readonly group: string;
  readonly members: readonly HeldMembership[];
  /** Members an interrupted run may have added: announced, never confirmed or refused. */
  readonly unconfirmed: readonly UnconfirmedMembership[];
  /**
   * Members held outside gatehouse (added by hand, a leaver put back by hand) that a later run found and
   * removed, and that the journal cannot show were gone at the instant asked about (or, for a window, at
   * every moment of it): since when, it cannot tell.
   */
  readonly outside: readonly OutsideMembership[];
  /** Whether the journal knew the group by then (a create, or any change to it). */
  readonly isKnown: boolean;
  /**
   * Guard-rail refusals standing then (or, for a window, at some moment of it): the last run that read
   * the system made only part of its plan, and refused a removal from this group or a group it nests, or
   * held back removals over the limit, which the journal does not list one by one. Empty when none.
   */
  readonly refused: readonly RefusalOfRun[];
  /**
   * The people holding the group through the groups it nests (`group:` member lines, where the system
   * nests natively), at any depth: each one's membership of a nested group gatehouse applied, with the way
   * there (nested-access.ts). Empty where the group nests none.
   */
  readonly through: readonly HeldThrough[];
  /** Every group nested in it then, at any depth, and whether the journal knew that group by then. */
  readonly nested: readonly NestedGroup[];
  /**
   * Members a run after the instant asked about found holding it when it took the group on (adopted),
   * that nothing shows were not held then. Empty when the group was on record by then, or none was found.
   */
  readonly adoptedLater: readonly AdoptedLater[];
}

export interface AccessAtResult {
  readonly at: string;
  readonly entries: number;
  readonly groups: readonly GroupAccessAt[];
  /** Whether any change in the journal, at any time, names the group (in `provider`, when given). */
  readonly isMentioned: boolean;
  /** Every provider the journal records a change for, at any time. */
  readonly providers: readonly string[];
  /**
   * With `from`: per provider, the instants after `from` and up to `at` at which a membership change of
   * the group (under any name it had then), or its deletion, was applied, in order.
   */
  readonly changedAt?: Readonly<Record<string, readonly string[]>>;
  /** With `from`: per provider, the removals of the group's members applied in the window, in order. */
  readonly removedIn?: Readonly<Record<string, readonly WindowRemoval[]>>;
  /**
   * With `from`: per provider, the names of every group nested in the group, at any depth, at any time up
   * to `at` (more, never fewer): their membership changes in the window are instants its answer changes.
   */
  readonly nestedNames?: Readonly<Record<string, readonly string[]>>;
}

/** A member's removal from the group, as the journal recorded it: why the stretch of a window ended. */
export interface WindowRemoval {
  readonly member: string;
  readonly memberKind: "user" | "group";
  readonly at: string;
  readonly seq: number;
  readonly reason: Reason;
  readonly why: readonly string[];
  /** The commit of the access files the run that removed it applied ("<sha>" or "<sha>+dirty"). */
  readonly commit?: string;
  /**
   * That run's pull requests and approvals, when it recorded them; for a run that applied no new commit,
   * those of the run that first applied its commit (FilesApprovals), whose commits took the member out.
   */
  readonly approvals?: ApprovalsRecord;
  /** The guard rails that run overrode (`--force`, `--allow-removals N`), as its apply-start says. */
  readonly overrides?: GuardrailOverrides;
}

/**
 * Names (of groups, or of accounts) as they were at some instant, from the renames made after it, fed in
 * journal order. Each name a rename gave maps to what its old name was then, so asking costs one lookup
 * whatever the number of renames (a mass rename of 100k accounts would cost 100k per question otherwise).
 * A name given up by a rename belongs to nothing of then until a rename gives it again: a group or an
 * account made later under it is another one.
 */
class NamesThen {
  readonly #then = new Map<string, string | null>(); // provider\nname now → name then (null: none)
  /** Names whose holder was deleted since: what holds such a name now was made later. */
  readonly #gone = new Set<string>();

  renamed(provider: string, from: string, to: string): void {
    const key = `${provider}\n${from}`;
    this.#gone.delete(`${provider}\n${to}`);
    if (this.#gone.has(key)) {
      // Made after the one of then was deleted: the new name is nothing of then either, and the old one
      // still names what was deleted under it.
      this.#then.set(`${provider}\n${to}`, null);
      return;
    }
    const then = this.of(provider, from);
    this.#then.set(key, null);
    this.#then.set(`${provider}\n${to}`, then ?? null);
  }

  /** What holds `name` now was deleted: a group or account made under that name later is another one. */
  deleted(provider: string, name: string): void {
    this.#gone.add(`${provider}\n${name}`);
  }

  /** `name` as it was then, the renames fed so far undone; undefined when it names nothing of then. */
  of(provider: string, name: string): string | undefined {
    const then = this.#then.get(`${provider}\n${name}`);
    return then === undefined ? name : (then ?? undefined);
  }
}

interface Pending {
  readonly provider: string;
  readonly group: string;
  readonly held: UnconfirmedMembership;
}

/** Granting membership changes announced and not yet answered, by run seq + change address and by group. */
class PendingIntents {
  readonly #byKey = new Map<string, Pending>();
  readonly #byGroup = new Map<string, Set<string>>(); // provider\ngroup → keys

  add(key: string, intent: Pending): void {
    this.#byKey.set(key, intent);
    const group = `${intent.provider}\n${intent.group}`;
    let keys = this.#byGroup.get(group);
    if (!keys) this.#byGroup.set(group, (keys = new Set<string>()));
    keys.add(key);
  }

  /** An outcome, whatever it is, answers the announcement. */
  answer(key: string): void {
    const intent = this.#byKey.get(key);
    if (intent === undefined) return;
    this.#byKey.delete(key);
    this.#byGroup.get(`${intent.provider}\n${intent.group}`)?.delete(key);
  }

  /** Forgets the announcements for `group` (of `member` only, when given): it was removed or deleted since. */
  drop(provider: string, group: string, member?: string): void {
    for (const key of this.#byGroup.get(`${provider}\n${group}`) ?? [])
      if (member === undefined || this.#byKey.get(key)?.held.member === member) this.answer(key);
  }

  values(): IterableIterator<Pending> {
    return this.#byKey.values();
  }
}

export interface AccessAtQuery {
  readonly group: string;
  readonly at: Date;
  readonly provider?: string;
  readonly from?: Date;
}

/**
 * The members of `group` (its name today) in each provider (or only `provider`) at the instant `at`, from
 * the journal at `journalPath`. Throws JournalError for a torn or unreadable line, as the fold does.
 */
export async function accessAt(journalPath: string, query: AccessAtQuery): Promise<AccessAtResult> {
  const replay = accessReplay(query);
  return replay.answer(await eachEntry(journalPath, replay.apply));
}

/** accessAt's replay of the journal, fed entry by entry: one read of the journal can feed several. */
export interface AccessReplay {
  readonly apply: (entry: JournalEntry) => void;
  /** The answer once every entry was fed; `entries` is how many the journal holds. */
  readonly answer: (entries: number) => AccessAtResult;
}

/** The replay that answers `query`, empty: feed it the journal's entries in order, then ask for its answer. */
export function accessReplay(query: AccessAtQuery): AccessReplay {
  const until = query.at.toISOString();
  // Memberships held outside gatehouse are found over the whole journal: a removal after `at` may prove one.
  const outside = new HeldOutside();
  const filesApprovals = new FilesApprovals();
  // provider → group → member key → membership
  const held = new Map<string, Map<string, Map<string, HeldMembership>>>();
  const known = new Set<string>(); // provider\ngroup, as known by then
  const runs = new Map<
    number,
    {
      commit?: string;
      actor: string;
      approvals?: ApprovalsRecord;
      filesApprovedIn?: FilesApproval;
      overrides?: GuardrailOverrides;
    }
  >();
  // Names as they were at `until`: group and account (renameUsers) renames made after it, undone.
  const groupThen = new NamesThen();
  const accountThen = new NamesThen();
  const renamedIn = new Set<string>(); // providers with a group rename
  // With `from`: the window's membership changes (provider, group then, instant) and group renames.
  const windowStart = query.from?.toISOString();
  const windowChanges: { provider: string; group: string; at: string; removal?: WindowRemoval }[] = [];
  const windowRenames: { provider: string; from: string; to: string }[] = [];
  // Groups nested in others (provider\nparent → children) and group renames (provider\nname → names it
  // was renamed to or from), up to `until`: which groups' changes a window's answer depends on.
  const nestings = new Map<string, Set<string>>();
  const link = (map: Map<string, Set<string>>, key: string, name: string): void => {
    let names = map.get(key);
    if (!names) map.set(key, (names = new Set<string>()));
    names.add(name);
  };
  const renameLinks = new Map<string, Set<string>>();
  // Groups each account may hold (a superset): a rename in place moves only those, not every group.
  const groupsOfAccount = new Map<string, Set<string>>(); // provider\naccount → groups
  const holds = (provider: string, account: string, group: string): void => {
    const key = `${provider}\n${account}`;
    let groups = groupsOfAccount.get(key);
    if (!groups) groupsOfAccount.set(key, (groups = new Set<string>()));
    groups.add(group);
  };
  // Every provider and group any change names, whenever it was made: a name the journal never
  // mentions is more likely a typo than a group nobody held.
  const everProviders = new Set<string>();
  let isMentioned = false;
  // run seq + change address → a granting membership change announced and not yet answered
  const pending = new PendingIntents();
  const groupsOf = (provider: string): Map<string, Map<string, HeldMembership>> => {
    let groups = held.get(provider);
    if (!groups) held.set(provider, (groups = new Map<string, Map<string, HeldMembership>>()));
    return groups;
  };
  const standing = new StandingRefusals(windowStart ?? until, until);
  // provider\ngroup (its name at `until`) → the members the first run after `until` that took it on found.
  const foundLater = new Map<string, { runSeq: number; members: AdoptedLater[] }>();
  const apply = (entry: JournalEntry): void => {
    outside.note(entry);
    standing.note(entry);
    if (entry.type === "apply-start") {
      // A refusal that names the group is the journal naming it too.
      isMentioned ||= (entry.refused ?? []).some((message) =>
        refusalNames(readRefusal(message), {
          group: query.group,
          ...(query.provider === undefined ? {} : { provider: query.provider }),
        }),
      );
      if (entry.at <= until) {
        starts.push(entry.at);
        for (const { id, until: end } of entry.grantEnds ?? [])
          endChanged(id, end, entry.at, entry.seq, entry.approvals);
      }
      const filesApprovedIn = filesApprovals.note(entry);
      runs.set(entry.seq, {
        actor: entry.actor,
        ...(entry.commit === undefined ? {} : { commit: entry.commit }),
        ...(entry.approvals === undefined ? {} : { approvals: entry.approvals }),
        ...(filesApprovedIn === undefined ? {} : { filesApprovedIn }),
        ...(entry.overrides === undefined ? {} : { overrides: entry.overrides }),
      });
      return;
    }
    if (entry.type === "intent") {
      if (entry.at > until) return;
      const run = runs.get(entry.runSeq);
      for (const id of entry.changeIds) {
        const address = membershipOf(id, entry.provider);
        if (address === undefined) continue;
        pending.add(`${String(entry.runSeq)}\n${id}`, {
          provider: entry.provider,
          group: address.group,
          held: {
            member: address.member,
            memberKind: address.memberKind,
            since: entry.at,
            runSeq: entry.runSeq,
            ...(run?.commit === undefined ? {} : { commit: run.commit }),
            ...(run === undefined ? {} : { actor: run.actor }),
          },
        });
      }
      return;
    }
    if (entry.type === "adopted") {
      adopt(entry);
      return;
    }
    if (entry.type !== "change") return;
    everProviders.add(entry.provider);
    const c = entry.change;
    if (
      (c.kind === "group" || c.kind === "membership") &&
      (query.provider === undefined || entry.provider === query.provider) &&
      (c.group === query.group ||
        renamedGroupTo(c) === query.group ||
        // A group named only as nested in another (native nesting) is a group the journal knows too.
        (c.kind === "membership" && c.memberKind === "group" && c.member === query.group))
    )
      isMentioned = true;
    // An outcome, whatever it is, answers the announcement (an add confirmed later than `until` was
    // still in flight then, as good as not made).
    pending.answer(`${String(entry.runSeq)}\n${entry.changeId}`);
    if (entry.outcome !== "applied") return;
    const { change } = entry;
    const to = renamedGroupTo(change);
    const userTo = renamedUserTo(change);
    if (to !== undefined && change.kind === "group") renamedIn.add(entry.provider);
    if (windowStart !== undefined && entry.at > windowStart && entry.at <= until) {
      if (change.kind === "membership")
        windowChanges.push({
          provider: entry.provider,
          group: change.group,
          at: entry.at,
          ...(change.action === "remove"
            ? {
                removal: {
                  member: change.member,
                  memberKind: change.memberKind,
                  at: entry.at,
                  seq: entry.seq,
                  reason: change.reason,
                  why: change.why ?? [],
                  ...removingRun(runs.get(entry.runSeq)),
                },
              }
            : {}),
        });
      if (to !== undefined && change.kind === "group")
        windowRenames.push({ provider: entry.provider, from: change.group, to });
      // A group deleted takes its members with it: the instant their stretches end.
      if (change.kind === "group" && change.action === "delete")
        windowChanges.push({ provider: entry.provider, group: change.group, at: entry.at });
    }
    if (entry.at > until) {
      if (to !== undefined && change.kind === "group") groupThen.renamed(entry.provider, change.group, to);
      if (userTo !== undefined && change.kind === "user")
        accountThen.renamed(entry.provider, change.account, userTo);
      if (change.kind === "group" && change.action === "delete")
        groupThen.deleted(entry.provider, change.group);
      if (change.kind === "user" && change.action === "delete")
        accountThen.deleted(entry.provider, change.account);
      if (change.kind === "membership") noteLater(entry.provider, change, entry.at);
      return;
    }
    const groups = groupsOf(entry.provider);
    if (change.kind === "user" && userTo !== undefined) {
      // Renamed in place: the account holds its groups on, since the add that gave each, under its new name.
      const from = `${entry.provider}\n${change.account}`;
      for (const name of groupsOfAccount.get(from) ?? []) {
        const members = groups.get(name);
        const membership = members?.get(`user\n${change.account}`);
        if (members === undefined || membership === undefined) continue;
        members.delete(`user\n${change.account}`);
        members.set(`user\n${userTo}`, { ...membership, member: userTo });
        holds(entry.provider, userTo, name);
      }
      groupsOfAccount.delete(from);
      return;
    }
    if (change.kind === "group") {
      known.add(`${entry.provider}\n${change.group}`);
      if (change.action === "delete") {
        groups.delete(change.group);
        pending.drop(entry.provider, change.group);
      }
      if (to !== undefined) {
        const members = groups.get(change.group);
        groups.delete(change.group);
        if (members) groups.set(to, members);
        for (const m of members?.values() ?? [])
          if (m.memberKind === "user") holds(entry.provider, m.member, to);
        known.add(`${entry.provider}\n${to}`);
        link(renameLinks, `${entry.provider}\n${change.group}`, to);
        link(renameLinks, `${entry.provider}\n${to}`, change.group);
        // Renamed in place, it stays nested where it was: its parents list it under the new name.
        for (const parent of groups.values()) {
          const nesting = parent.get(`group\n${change.group}`);
          if (nesting === undefined) continue;
          parent.delete(`group\n${change.group}`);
          parent.set(`group\n${to}`, { ...nesting, member: to });
        }
      }
      return;
    }
    if (change.kind !== "membership") return;
    known.add(`${entry.provider}\n${change.group}`);
    let members = groups.get(change.group);
    if (!members) groups.set(change.group, (members = new Map<string, HeldMembership>()));
    const key = `${change.memberKind}\n${change.member}`;
    if (change.action === "remove") {
      members.delete(key);
      pending.drop(entry.provider, change.group, change.member);
      return;
    }
    // A member value moved to the new name of an account renamed in place: the rename above moved the
    // membership already, with the add that gave it.
    if (change.renamedFrom !== undefined && members.has(key)) return;
    if (change.memberKind === "user") holds(entry.provider, change.member, change.group);
    else link(nestings, `${entry.provider}\n${change.group}`, change.member);
    const run = runs.get(entry.runSeq);
    // Added back as drift while held: it went missing in between, when, the journal cannot say.
    const before = change.reason === "drift" ? members.get(key) : undefined;
    members.set(key, {
      ...(before === undefined
        ? {}
        : { earlier: before.earlier ?? { since: before.since, seq: before.seq } }),
      member: change.member,
      memberKind: change.memberKind,
      ...(change.userId === undefined ? {} : { userId: change.userId }),
      since: entry.at,
      seq: entry.seq,
      reason: change.reason,
      why: change.why ?? [],
      ...(change.until === undefined ? {} : { until: change.until }),
      ...(change.source === undefined ? {} : { source: change.source }),
      ...(run?.commit === undefined ? {} : { commit: run.commit }),
      ...(run === undefined ? {} : { actor: run.actor }),
      ...(run?.approvals === undefined ? {} : { approvals: run.approvals }),
      ...(run?.filesApprovedIn === undefined ? {} : { filesApprovedIn: run.filesApprovedIn }),
    });
  };

  /**
   * Members held before gatehouse, as the run that took the group on found them: held since then at the
   * latest. After `until`, the first such run's (per group) are members that may have held it then.
   */
  function adopt(entry: AdoptedData & ChainFields): void {
    everProviders.add(entry.provider);
    if (query.provider !== undefined && entry.provider !== query.provider) return;
    if (entry.group === query.group) isMentioned = true;
    const listed = [
      ...entry.members.map((member) => ({ member, memberKind: "user" as const })),
      ...(entry.groupMembers ?? []).map((member) => ({ member, memberKind: "group" as const })),
    ];
    if (entry.at > until) {
      const name = groupThen.of(entry.provider, entry.group);
      const key = `${entry.provider}\n${name ?? ""}`;
      if (name === undefined || known.has(key)) return;
      const first = foundLater.get(key);
      if (first !== undefined && first.runSeq !== entry.runSeq) return;
      const found = first ?? { runSeq: entry.runSeq, members: [] };
      foundLater.set(key, found);
      for (const m of listed) {
        const member = m.memberKind === "user" ? accountThen.of(entry.provider, m.member) : m.member;
        if (member === undefined) continue;
        found.members.push({
          member,
          memberKind: m.memberKind,
          foundAt: entry.at,
          runSeq: entry.runSeq,
          ...(entry.late === true ? { late: true as const } : {}),
        });
      }
      return;
    }
    known.add(`${entry.provider}\n${entry.group}`);
    if (windowStart !== undefined && entry.at > windowStart)
      windowChanges.push({ provider: entry.provider, group: entry.group, at: entry.at });
    const groups = groupsOf(entry.provider);
    let members = groups.get(entry.group);
    if (!members) groups.set(entry.group, (members = new Map<string, HeldMembership>()));
    const run = runs.get(entry.runSeq);
    for (const m of listed) {
      const key = `${m.memberKind}\n${m.member}`;
      if (members.has(key)) continue; // gatehouse's add is on record: it says more
      if (m.memberKind === "user") holds(entry.provider, m.member, entry.group);
      else link(nestings, `${entry.provider}\n${entry.group}`, m.member);
      members.set(key, {
        member: m.member,
        memberKind: m.memberKind,
        since: entry.at,
        seq: entry.seq,
        reason: "adopted",
        why: [],
        adopted: { runSeq: entry.runSeq, ...(entry.late === true ? { late: true as const } : {}) },
        ...(run?.commit === undefined ? {} : { commit: run.commit }),
        ...(run === undefined ? {} : { actor: run.actor }),
      });
    }
  }

  /** A held grant's end as a run recorded the files changed it (Plan.grantEnds): extended, shortened, made lasting. */
  function endChanged(
    id: string,
    end: string | null,
    at: string,
    seq: number,
    approvals: ApprovalsRecord | undefined,
  ): void {
    const provider = id.slice(0, id.indexOf(":"));
    const address = membershipOf(id, provider);
    if (address === undefined) return;
    const members = held.get(provider)?.get(address.group);
    const key = `${address.memberKind}\n${address.member}`;
    const membership = members?.get(key);
    if (members === undefined || membership === undefined || (membership.until ?? null) === end) return;
    const { until: from, ...rest } = membership;
    members.set(key, {
      ...rest,
      ...(end === null ? {} : { until: end }),
      endChanged: {
        at,
        seq,
        ...(from === undefined ? {} : { from }),
        ...(approvals === undefined ? {} : { approvals }),
      },
    });
    // Inside a window, an instant the member's line changes: a stretch that ends later in the window
    // keeps this end, not the one it was added with.
    if (windowStart !== undefined && at > windowStart)
      windowChanges.push({ provider, group: address.group, at });
  }

  // apply-starts up to `until`, in journal order: was there a run after a grant's end?
  const starts: string[] = [];
  const ranAfter = (grantEnd: string): boolean => {
    const end = Date.parse(grantEnd);
    return starts.some((at) => Date.parse(at) > end);
  };
  // Memberships held at `until` whose first later change is known ("provider\ngroup\nkey"): only that
  // one tells whether it was still held then.
  const settled = new Set<string>();
  /** A membership change after `until`: a drift re-add of a member held then shows it went missing. */
  function noteLater(provider: string, change: MembershipChange, at: string): void {
    const name = groupThen.of(provider, change.group);
    const member = change.memberKind === "user" ? accountThen.of(provider, change.member) : change.member;
    if (name === undefined || member === undefined) return; // about a group or account made since
    const members = held.get(provider)?.get(name);
    const key = `${change.memberKind}\n${member}`;
    const membership = members?.get(key);
    if (members === undefined || membership === undefined || settled.has(`${provider}\n${name}\n${key}`))
      return;
    settled.add(`${provider}\n${name}\n${key}`);
    if (change.action === "add" && change.reason === "drift")
      members.set(key, { ...membership, foundMissingAt: at });
  }

  return { apply, answer: (entries) => answerOf(entries) };

  function answerOf(entries: number): AccessAtResult {
    // Possibly held at some moment from `from` to `at`: not removed by then, not shown gone since.
    const from = (query.from ?? query.at).getTime();
    const outsideOf = (provider: string): readonly OutsideMembership[] =>
      outside
        .of(provider, query.group)
        .filter(
          (m) =>
            (m.removedAt === undefined || Date.parse(m.removedAt) > from) &&
            (m.notBefore === undefined || Date.parse(m.notBefore.at) < query.at.getTime()),
        );
    const providers = [
      ...new Set([
        ...held.keys(),
        ...renamedIn,
        ...[...pending.values()].map((p) => p.provider),
        ...outside.providers().filter((p) => outsideOf(p).length > 0),
        ...[...foundLater.keys()]
          .filter(
            (k) => k.slice(k.indexOf("\n") + 1) === groupThen.of(k.slice(0, k.indexOf("\n")), query.group),
          )
          .map((k) => k.slice(0, k.indexOf("\n"))),
        // A refusal that names the group (its name then) is an answer about it too.
        ...standing.providers().filter((p) => {
          const name = groupThen.of(p, query.group);
          return name !== undefined && standing.of(p, name).some((r) => r.changeId !== undefined);
        }),
      ]),
    ]
      .filter((p) => query.provider === undefined || p === query.provider)
      .sort();
    const groups = providers.map((provider): GroupAccessAt => {
      // The name the group had on that date; none when the name was taken since by a group made later.
      const name = groupThen.of(provider, query.group);
      if (name === undefined)
        return {
          provider,
          group: query.group,
          members: [],
          unconfirmed: [],
          outside: [],
          isKnown: false,
          refused: [],
          through: [],
          nested: [],
          adoptedLater: [],
        };
      const members = [...(held.get(provider)?.get(name)?.values() ?? [])]
        .sort((a, b) => (a.member < b.member ? -1 : a.member > b.member ? 1 : 0))
        .map((m) =>
          m.until !== undefined && ranAfter(m.until) ? { ...m, keptPastUntil: true as const } : m,
        );
      const confirmed = new Set(members.map((m) => `${m.memberKind}\n${m.member}`));
      const unconfirmed = [
        ...new Map(
          [...pending.values()]
            .filter((p) => p.provider === provider && p.group === name)
            .map((p) => [`${p.held.memberKind}\n${p.held.member}`, p.held] as const)
            .filter(([key]) => !confirmed.has(key)),
        ).values(),
      ].sort((a, b) => (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
      const { through, nested } = heldThrough(held.get(provider) ?? new Map(), name, (inner) =>
        known.has(`${provider}\n${inner}`),
      );
      return {
        provider,
        group: name,
        members,
        unconfirmed,
        outside: outsideOf(provider),
        isKnown: known.has(`${provider}\n${name}`),
        refused: standing.of(provider, name),
        through: through.map((t) =>
          t.until !== undefined && ranAfter(t.until) ? { ...t, keptPastUntil: true as const } : t,
        ),
        nested,
        // Only where the journal had no record of the group by then.
        adoptedLater: known.has(`${provider}\n${name}`)
          ? []
          : [...(foundLater.get(`${provider}\n${name}`)?.members ?? [])].sort((a, b) =>
              a.member < b.member ? -1 : a.member > b.member ? 1 : 0,
            ),
      };
    });
    /**
     * The groups nested in any of `names` (a system's), at any depth, at any time up to `until`, under
     * every name a rename gave them or took from them: more than were nested at any one instant, never fewer.
     */
    const nestedUnder = (provider: string, names: ReadonlySet<string>): Set<string> => {
      const found = new Set<string>();
      const queue = [...names];
      for (let name = queue.pop(); name !== undefined; name = queue.pop())
        for (const next of [
          ...(nestings.get(`${provider}\n${name}`) ?? []),
          ...(renameLinks.get(`${provider}\n${name}`) ?? []),
        ])
          if (!found.has(next) && !names.has(next)) {
            found.add(next);
            queue.push(next);
          }
      return found;
    };
    // The window's changes of each group, under every name it had there: from its name at the end back
    // through its renames.
    const namesOf = (g: GroupAccessAt): Set<string> => {
      const names = new Set([g.group]);
      for (const r of [...windowRenames].reverse())
        if (r.provider === g.provider && names.has(r.to)) names.add(r.from);
      return names;
    };
    const inWindow = (g: GroupAccessAt) => {
      const names = namesOf(g);
      return windowChanges.filter((c) => c.provider === g.provider && names.has(c.group));
    };
    const window =
      windowStart === undefined ? undefined : groups.map((g) => [g.provider, inWindow(g)] as const);
    // The groups nested in it: a change of their members is a change of who holds it through them.
    const nestedNames =
      windowStart === undefined
        ? undefined
        : Object.fromEntries(groups.map((g) => [g.provider, [...nestedUnder(g.provider, namesOf(g))]]));
    const changedAt =
      window === undefined
        ? undefined
        : Object.fromEntries(
            window.map(([provider, changes]) => {
              const inner = new Set(nestedNames?.[provider] ?? []);
              const theirs = windowChanges.filter((c) => c.provider === provider && inner.has(c.group));
              return [provider, [...new Set([...changes, ...theirs].map((c) => c.at))].sort()];
            }),
          );
    const removedIn =
      window === undefined
        ? undefined
        : Object.fromEntries(
            window.map(([provider, changes]) => [
              provider,
              changes.flatMap((c) => (c.removal === undefined ? [] : [c.removal])),
            ]),
          );
    return {
      at: until,
      entries,
      groups,
      isMentioned,
      providers: [...everProviders].sort(),
      ...(changedAt === undefined ? {} : { changedAt }),
      ...(removedIn === undefined ? {} : { removedIn }),
      ...(nestedNames === undefined ? {} : { nestedNames }),
    };
  }
}

/** The run's commit and approvals, as a removal it made carries them (WindowRemoval). */
function removingRun(
  run:
    | {
        readonly commit?: string;
        readonly approvals?: ApprovalsRecord;
        readonly filesApprovedIn?: FilesApproval;
        readonly overrides?: GuardrailOverrides;
      }
    | undefined,
): Pick<WindowRemoval, "commit" | "approvals" | "overrides"> {
  // A run that applied no new commit removes what the commits of the run that first applied it took out.
  const approvals = run?.filesApprovedIn?.approvals ?? run?.approvals;
  return {
    ...(run?.commit === undefined ? {} : { commit: run.commit }),
    ...(approvals === undefined ? {} : { approvals }),
    ...(run?.overrides === undefined ? {} : { overrides: run.overrides }),
  };
}

/** A group's later names: the renames gatehouse applied to it after an instant, in order. */
export interface LaterNames {
  /** The name it has now (the last rename's new name). */
  readonly now: string;
  readonly renames: readonly {
    readonly from: string;
    readonly to: string;
    readonly at: string;
    readonly seq: number;
  }[];
}

/**
 * The renames gatehouse applied to the group called `group` at `at` (in `provider`, or in any one), from
 * then on, followed name by name: an auditor asks with the name of their evidence, while accessAt takes
 * the group's name today. Undefined when it was not renamed since.
 */
export async function laterNamesOf(
  journalPath: string,
  query: { readonly group: string; readonly at: Date; readonly provider?: string },
): Promise<LaterNames | undefined> {
  const after = query.at.toISOString();
  let name = query.group;
  let provider = query.provider;
  const renames: { from: string; to: string; at: string; seq: number }[] = [];
  await eachEntry(journalPath, (entry) => {
    if (entry.type !== "change" || entry.outcome !== "applied" || entry.at <= after) return;
    if (provider !== undefined && entry.provider !== provider) return;
    const change = entry.change;
    const to = renamedGroupTo(change);
    if (to === undefined || change.kind !== "group" || change.group !== name) return;
    renames.push({ from: name, to, at: entry.at, seq: entry.seq });
    name = to;
    // The first rename found says in which system the name was this group's.
    provider ??= entry.provider;
  });
  return renames.length === 0 ? undefined : { now: name, renames };
}
