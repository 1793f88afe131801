/**
 * "Who had access to group X on date D": the journal replayed up to D. Every membership change a system
 * confirmed is there, with its run (commit, actor), reason and source line, so the answer says since
 * when, why and on whose change each member held the group. What gatehouse never applied (memberships
 * from before it adopted a group, hand edits it later removed as drift) is not in the journal.
 */
import type { SourceLocation } from "../model/source.ts";
import type { MembershipChange, Reason } from "../plan/types.ts";
import { renamedGroupTo, renamedUserTo } from "../plan/addresses.ts";
import type { ApprovalsRecord } from "../pr/approval-record.ts";
import type { JournalEntry } from "./journal-entry.ts";
import { eachEntry } from "./journal-lines.ts";

export interface HeldMembership {
  readonly member: string;
  readonly memberKind: "user" | "group";
  readonly userId?: string;
  /** When the system confirmed the add. */
  readonly since: string;
  readonly seq: number;
  readonly reason: Reason;
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
   * the grant was extended (the journal records only the end it was added with) or its removal failed.
   */
  readonly keptPastUntil?: true;
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

export interface GroupAccessAt {
  readonly provider: string;
  /** The group's name on that date (it may have been renamed since). */
  readonly group: string;
  readonly members: readonly HeldMembership[];
  /** Members an interrupted run may have added: announced, never confirmed or refused. */
  readonly unconfirmed: readonly UnconfirmedMembership[];
  /** Whether the journal knew the group by then (a create, or any change to it). */
  readonly isKnown: boolean;
}

export interface AccessAtResult {
  readonly at: string;
  readonly entries: number;
  readonly groups: readonly GroupAccessAt[];
  /** Whether any change in the journal, at any time, names the group (in `provider`, when given). */
  readonly isMentioned: boolean;
  /** Every provider the journal records a change for, at any time. */
  readonly providers: readonly string[];
}

interface Rename {
  readonly provider: string;
  readonly from: string;
  readonly to: string;
  readonly at: string;
}

/**
 * The members of `group` (its name today) in each provider (or only `provider`) at the instant `at`, from
 * the journal at `journalPath`. Throws JournalError for a torn or unreadable line, as the fold does.
 */
export async function accessAt(
  journalPath: string,
  query: { readonly group: string; readonly at: Date; readonly provider?: string },
): Promise<AccessAtResult> {
  const until = query.at.toISOString();
  // provider → group → member key → membership
  const held = new Map<string, Map<string, Map<string, HeldMembership>>>();
  const known = new Set<string>(); // provider\ngroup, as known by then
  const runs = new Map<number, { commit?: string; actor: string; approvals?: ApprovalsRecord }>();
  const renames: Rename[] = [];
  const accountRenames: Rename[] = []; // accounts renamed in place (renameUsers)
  // Every provider and group any change names, whenever it was made: a name the journal never
  // mentions is more likely a typo than a group nobody held.
  const everProviders = new Set<string>();
  let isMentioned = false;
  // run seq + change address → a granting membership change announced and not yet answered
  const pending = new Map<string, { provider: string; group: string; held: UnconfirmedMembership }>();
  const dropPending = (provider: string, group: string, member?: string): void => {
    for (const [key, p] of pending)
      if (p.provider === provider && p.group === group && (member === undefined || p.held.member === member))
        pending.delete(key);
  };
  const groupsOf = (provider: string): Map<string, Map<string, HeldMembership>> => {
    let groups = held.get(provider);
    if (!groups) held.set(provider, (groups = new Map<string, Map<string, HeldMembership>>()));
    return groups;
  };
  const apply = (entry: JournalEntry): void => {
    if (entry.type === "apply-start") {
      if (entry.at <= until) starts.push(entry.at);
      runs.set(entry.seq, {
        actor: entry.actor,
        ...(entry.commit === undefined ? {} : { commit: entry.commit }),
        ...(entry.approvals === undefined ? {} : { approvals: entry.approvals }),
      });
      return;
    }
    if (entry.type === "intent") {
      if (entry.at > until) return;
      const run = runs.get(entry.runSeq);
      for (const id of entry.changeIds) {
        const address = membershipOf(id, entry.provider);
        if (address === undefined) continue;
        pending.set(`${String(entry.runSeq)}\n${id}`, {
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
    pending.delete(`${String(entry.runSeq)}\n${entry.changeId}`);
    if (entry.outcome !== "applied") return;
    const { change } = entry;
    const to = renamedGroupTo(change);
    if (to !== undefined && change.kind === "group")
      renames.push({ provider: entry.provider, from: change.group, to, at: entry.at });
    const userTo = renamedUserTo(change);
    if (userTo !== undefined && change.kind === "user")
      accountRenames.push({ provider: entry.provider, from: change.account, to: userTo, at: entry.at });
    if (entry.at > until) {
      if (change.kind === "membership") noteLater(entry.provider, change, entry.at);
      return;
    }
    const groups = groupsOf(entry.provider);
    if (change.kind === "user" && userTo !== undefined) {
      // Renamed in place: the account holds its groups on, since the add that gave each, under its new name.
      for (const members of groups.values()) {
        const membership = members.get(`user\n${change.account}`);
        if (membership === undefined) continue;
        members.delete(`user\n${change.account}`);
        members.set(`user\n${userTo}`, { ...membership, member: userTo });
      }
      return;
    }
    if (change.kind === "group") {
      known.add(`${entry.provider}\n${change.group}`);
      if (change.action === "delete") {
        groups.delete(change.group);
        dropPending(entry.provider, change.group);
      }
      if (to !== undefined) {
        const members = groups.get(change.group);
        groups.delete(change.group);
        if (members) groups.set(to, members);
        known.add(`${entry.provider}\n${to}`);
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
      dropPending(entry.provider, change.group, change.member);
      return;
    }
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
    });
  };

  // apply-starts up to `until`, in journal order: was there a run after a grant's end?
  const starts: string[] = [];
  const ranAfter = (grantEnd: string): boolean => {
    const end = Date.parse(grantEnd);
    return starts.some((at) => Date.parse(at) > end);
  };
  /** `name` (a group's or an account's) as it was at `until`: the renames made after it undone, latest first. */
  const nameAtUntil = (list: readonly Rename[], provider: string, name: string): string => {
    let then = name;
    for (const r of list.filter((x) => x.provider === provider && x.at > until).reverse())
      if (r.to === then) then = r.from;
    return then;
  };
  // Memberships held at `until` whose first later change is known ("provider\ngroup\nkey"): only that
  // one tells whether it was still held then.
  const settled = new Set<string>();
  /** A membership change after `until`: a drift re-add of a member held then shows it went missing. */
  function noteLater(provider: string, change: MembershipChange, at: string): void {
    const name = nameAtUntil(renames, provider, change.group);
    const member =
      change.memberKind === "user" ? nameAtUntil(accountRenames, provider, change.member) : change.member;
    const members = held.get(provider)?.get(name);
    const key = `${change.memberKind}\n${member}`;
    const membership = members?.get(key);
    if (members === undefined || membership === undefined || settled.has(`${provider}\n${name}\n${key}`))
      return;
    settled.add(`${provider}\n${name}\n${key}`);
    if (change.action === "add" && change.reason === "drift")
      members.set(key, { ...membership, foundMissingAt: at });
  }

  const entries = await eachEntry(journalPath, apply);

  const providers = [
    ...new Set([
      ...held.keys(),
      ...renames.map((r) => r.provider),
      ...[...pending.values()].map((p) => p.provider),
    ]),
  ]
    .filter((p) => query.provider === undefined || p === query.provider)
    .sort();
  const groups = providers.map((provider): GroupAccessAt => {
    // The name the group had on that date.
    const name = nameAtUntil(renames, provider, query.group);
    const members = [...(held.get(provider)?.get(name)?.values() ?? [])]
      .sort((a, b) => (a.member < b.member ? -1 : a.member > b.member ? 1 : 0))
      .map((m) => (m.until !== undefined && ranAfter(m.until) ? { ...m, keptPastUntil: true as const } : m));
    const confirmed = new Set(members.map((m) => `${m.memberKind}\n${m.member}`));
    const unconfirmed = [
      ...new Map(
        [...pending.values()]
          .filter((p) => p.provider === provider && p.group === name)
          .map((p) => [`${p.held.memberKind}\n${p.held.member}`, p.held] as const)
          .filter(([key]) => !confirmed.has(key)),
      ).values(),
    ].sort((a, b) => (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
    return { provider, group: name, members, unconfirmed, isKnown: known.has(`${provider}\n${name}`) };
  });
  return { at: until, entries, groups, isMentioned, providers: [...everProviders].sort() };
}

/** The group and member of a membership change address (membershipAddress), or undefined for any other. */
function membershipOf(
  id: string,
  provider: string,
): { group: string; member: string; memberKind: "user" | "group" } | undefined {
  const prefix = `${provider}:membership/`;
  if (!id.startsWith(prefix)) return undefined;
  const rest = id.slice(prefix.length);
  const slash = rest.indexOf("/");
  if (slash <= 0) return undefined;
  const group = rest.slice(0, slash);
  const member = rest.slice(slash + 1);
  return member.startsWith("group:")
    ? { group, member: member.slice("group:".length), memberKind: "group" }
    : { group, member, memberKind: "user" };
}
