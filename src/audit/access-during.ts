/**
 * "Who had access to group X during a window" (a day, a quarter): everyone who held it at any moment from
 * `since` to `until`, each with the stretches the journal shows they held it. Made of answers at instants
 * (accessAt): at the window's start, and right after each change to the group's members inside it, so each
 * stretch keeps everything an answer at an instant says (why, the run, what is uncertain). The answers
 * inside the window replay only the group's part of the journal (entriesOfGroup), kept in memory, so the
 * journal is read twice however often the group changed.
 */
import {
  accessReplay,
  type AccessAtResult,
  type AccessReplay,
  type AdoptedLater,
  type HeldMembership,
  type UnconfirmedMembership,
  type WindowRemoval,
} from "./access-at.ts";
import { entriesOfGroup, GroupRenames } from "./group-entries.ts";
import type { OutsideMembership } from "./held-outside.ts";
import type { RefusalOfRun } from "./standing-refusals.ts";
import { throughKey, type HeldThrough, type NestedGroup } from "./nested-access.ts";
import { eachEntry } from "./journal-lines.ts";

/** A stretch of a membership gatehouse applied, as the last answer inside the window saw it. */
export type HeldStretch = HeldMembership & {
  /**
   * When it stopped being held inside the window: a removal gatehouse applied then, or (with
   * `foundMissingAt`) a later run put it back, so it went outside gatehouse at some time before. Absent:
   * still held at the window's end.
   */
  readonly to?: string;
  /**
   * The removal that ended it (with `to`), as the journal recorded it: its entry, reason and why, and the
   * commit (and approvals, when recorded) of the run that made it.
   */
  readonly endedBy?: StretchEnd;
};

export type StretchEnd = Omit<WindowRemoval, "member" | "memberKind" | "at">;

/**
 * A stretch of holding the group through nested groups (HeldThrough), as the last answer inside the
 * window saw it: `to`, when that way stopped inside the window (the person left the nested group, the
 * nested group left the group, or either was deleted; the nested group's own answer says which); absent:
 * still held at the window's end.
 */
export type HeldThroughStretch = HeldThrough & { readonly to?: string };

export interface GroupAccessDuring {
  readonly provider: string;
  /** The group's name at the window's end. */
  readonly group: string;
  /** Every name it had inside the window, in order, when it was renamed there. */
  readonly names: readonly string[];
  /** Each stretch of membership held at some moment of the window, by member, then by start. */
  readonly members: readonly HeldStretch[];
  readonly unconfirmed: readonly UnconfirmedMembership[];
  /** Held outside gatehouse at a time the journal cannot exclude from the window. */
  readonly outside: readonly OutsideMembership[];
  readonly isKnown: boolean;
  /** Guard-rail refusals standing at some moment of the window (GroupAccessAt.refused). */
  readonly refused: readonly RefusalOfRun[];
  /** Each stretch of holding it through nested groups at some moment of the window, by member, then by start. */
  readonly through: readonly HeldThroughStretch[];
  /** Every group nested in it at some moment of the window (at the instants answered), once per way. */
  readonly nested: readonly NestedGroup[];
  /** Members a run after the window found holding it when it took the group on (GroupAccessAt.adoptedLater). */
  readonly adoptedLater: readonly AdoptedLater[];
}

export interface AccessDuringResult {
  readonly since: string;
  readonly until: string;
  readonly entries: number;
  readonly groups: readonly GroupAccessDuring[];
  readonly isMentioned: boolean;
  readonly providers: readonly string[];
}

/**
 * The members of `group` (its name today) in each provider (or only `provider`) at any moment from `since`
 * to `until`. It reads the journal twice, whatever the number of changes to the group inside the window; each
 * of those costs a replay of the group's own entries (its membership changes and renames, every run's start,
 * its members' account renames and deletions) in memory.
 */
export async function accessDuring(
  journalPath: string,
  query: { readonly group: string; readonly since: Date; readonly until: Date; readonly provider?: string },
): Promise<AccessDuringResult> {
  const replayAt = (at: Date, from?: Date): AccessReplay =>
    accessReplay({
      group: query.group,
      at,
      ...(query.provider === undefined ? {} : { provider: query.provider }),
      ...(from === undefined ? {} : { from }),
    });
  // One read for the answer at the window's end (which says when the group changed inside it) and for the
  // names the group may have gone by, which only the whole journal tells.
  const atEnd = replayAt(query.until, query.since);
  const renames = new GroupRenames();
  const entries = await eachEntry(journalPath, (entry) => {
    atEnd.apply(entry);
    renames.note(entry);
  });
  const last = atEnd.answer(entries);
  const instants = [...new Set(Object.values(last.changedAt ?? {}).flat())]
    .filter((at) => at !== last.at)
    .sort();
  // A second read keeps the group's part of the journal, small beside the rest, to replay at each instant:
  // its own entries, and those of the groups nested in it (who holds it through them).
  const names = new Set(renames.namesOf(query.group));
  for (const inner of Object.values(last.nestedNames ?? {}).flat())
    for (const name of renames.namesOf(inner)) names.add(name);
  const own = await entriesOfGroup(journalPath, names, entries);
  const answerAt = (at: Date): AccessAtResult => {
    const replay = replayAt(at);
    for (const entry of own) replay.apply(entry);
    return replay.answer(entries);
  };
  return stretchesOf(query.since, [
    answerAt(query.since),
    ...instants.map((at) => answerAt(new Date(at))),
    last,
  ]);
}

/**
 * The window's answer from the group's members at its start, at each instant it changed inside it, and at
 * its end (`answers`, in that order; the last asked with the window's start, so it says what was removed
 * in it): each membership's stretches, the names the group went by, the uncertain members.
 */
export function stretchesOf(since: Date, answers: readonly AccessAtResult[]): AccessDuringResult {
  const last = answers.at(-1);
  if (last === undefined) throw new Error("stretchesOf needs at least the answer at the window's end");
  const groups = last.groups.map((end): GroupAccessDuring => {
    // The add's seq (with the member: one `adopted` entry holds many) → its latest view.
    const open = new Map<string, HeldMembership>();
    const keyOf = (m: HeldMembership): string => `${String(m.seq)}\n${m.memberKind}\n${m.member}`;
    const stretches: HeldStretch[] = [];
    const openThrough = new Map<string, HeldThrough>(); // throughKey → its latest view
    const throughStretches: HeldThroughStretch[] = [];
    const nested = new Map<string, NestedGroup>();
    const names: string[] = [];
    const unconfirmed = new Map<string, UnconfirmedMembership>();
    let isKnown = false;
    for (const answer of answers) {
      const g = answer.groups.find((x) => x.provider === end.provider);
      if (g === undefined) continue;
      isKnown ||= g.isKnown;
      if (g.isKnown && names.at(-1) !== g.group) names.push(g.group);
      const now = new Map(g.members.map((m) => [keyOf(m), m]));
      for (const [seq, m] of open)
        if (!now.has(seq)) {
          const removal = (last.removedIn?.[end.provider] ?? []).find(
            (r) => r.at === answer.at && r.member === m.member && r.memberKind === m.memberKind,
          );
          stretches.push({
            ...m,
            to: answer.at,
            ...(removal === undefined ? {} : { endedBy: stretchEnd(removal) }),
          });
          open.delete(seq);
        }
      for (const [seq, m] of now) open.set(seq, m);
      const nowThrough = new Map(g.through.map((t) => [throughKey(t), t]));
      for (const [key, t] of openThrough)
        if (!nowThrough.has(key)) {
          throughStretches.push({ ...t, to: answer.at });
          openThrough.delete(key);
        }
      for (const [key, t] of nowThrough) openThrough.set(key, t);
      for (const n of g.nested) nested.set([...n.within, n.group].join("\n"), n);
      for (const u of g.unconfirmed)
        if (!unconfirmed.has(`${u.memberKind}\n${u.member}`))
          unconfirmed.set(`${u.memberKind}\n${u.member}`, u);
    }
    stretches.push(...open.values());
    throughStretches.push(...openThrough.values());
    throughStretches.sort((a, b) =>
      a.member < b.member ? -1 : a.member > b.member ? 1 : Date.parse(a.since) - Date.parse(b.since),
    );
    stretches.sort((a, b) =>
      a.member < b.member ? -1 : a.member > b.member ? 1 : Date.parse(a.since) - Date.parse(b.since),
    );
    return {
      provider: end.provider,
      group: end.group,
      names,
      members: stretches,
      unconfirmed: [...unconfirmed.values()],
      outside: end.outside,
      isKnown,
      refused: end.refused,
      through: throughStretches,
      nested: [...nested.values()],
      adoptedLater: end.adoptedLater,
    };
  });
  return {
    since: since.toISOString(),
    until: last.at,
    entries: last.entries,
    groups,
    isMentioned: last.isMentioned,
    providers: last.providers,
  };
}

function stretchEnd(removal: WindowRemoval): StretchEnd {
  return {
    seq: removal.seq,
    reason: removal.reason,
    why: removal.why,
    ...(removal.commit === undefined ? {} : { commit: removal.commit }),
    ...(removal.approvals === undefined ? {} : { approvals: removal.approvals }),
    ...(removal.overrides === undefined ? {} : { overrides: removal.overrides }),
  };
}
