/**
 * Memberships held outside gatehouse that the journal itself proves: a run removed a membership that no
 * change before it had given (a hand edit, a leaver put back by hand), so the system held it when that run
 * read it. Since when, the journal cannot say; it can say when it was last not held: a removal gatehouse
 * applied, the group made by gatehouse, an offboarding check that read the account in no such group, or
 * an earlier run of that system whose plan would have removed it had it been there (the member a leaver
 * then, whose memberships go in additive and authoritative mode alike; or, for a member removed as drift
 * or with a group in no access file, the system authoritative and the access files the same, where
 * members the files do not give go as drift and such groups are deleted; additive mode keeps them,
 * observe changes nothing). Only a run that carried out its plan counts: not one the guard rails refused
 * (but for its leavers' offboarding, where it made it), a fire drill's, or one that died mid-apply.
 */
import type { ProviderMode } from "../model/access.ts";
import { membershipOf, renamedGroupTo, renamedUserTo } from "../plan/addresses.ts";
import type { MembershipChange, Reason } from "../plan/types.ts";
import type { JournalEntry } from "./journal-entry.ts";

/** What shows the membership was not held at `NotHeldSince.at`. */
export type NotHeldEvidence =
  | "removed" // gatehouse removed it then
  | "group-created" // gatehouse made the group then
  | "group-deleted" // gatehouse deleted a group of that name then (one made later is empty)
  | "offboarding-check" // the offboarding check read the account back in no such group
  | "leaver-run" // a run read the system while the member was a leaver, and removed nothing of theirs there
  | "authoritative-run"; // a run read the system in authoritative mode with the same access files as the drift removal, and removed nothing there

export interface NotHeldSince {
  /** The instant it was not held (for a run: when it started applying, having just read the system). */
  readonly at: string;
  /** The journal entry that shows it (for a run: its apply-start). */
  readonly seq: number;
  readonly evidence: NotHeldEvidence;
}

export interface OutsideMembership {
  readonly member: string;
  readonly memberKind: "user" | "group";
  readonly userId?: string;
  /**
   * When it was held until, at the latest: a removal the system confirmed then (`removedSeq`), or a run
   * that found it gone and added it then. Absent: every removal of it failed so far, so as far as the
   * journal shows it is still held.
   */
  readonly removedAt?: string;
  readonly removedSeq?: number;
  /** The journal entry of the removal that found it (the first, when that one did not succeed). */
  readonly seq: number;
  /** How that removal went: anything but "applied" left it in place. */
  readonly outcome: "applied" | "failed" | "skipped";
  /** `seq` of the apply-start of the run that found it. */
  readonly runSeq: number;
  /** When that run started applying: it read the system just before and found the member there. */
  readonly seenAt: string;
  readonly reason: Reason;
  readonly commit?: string;
  readonly actor?: string;
  /**
   * The latest instant before that run at which the journal shows it was not held; absent: none, it may
   * have been held since before the journal's first entry.
   */
  readonly notBefore?: NotHeldSince;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A removal that shows a membership held: a membership change, or a member of a group deleted. */
type FoundRemoval = Pick<MembershipChange, "group" | "member" | "memberKind" | "reason" | "userId">;

const keyOf = (...parts: readonly string[]): string => parts.join("\n");

/** Runs' seqs, ascending (a run's entries set aside and recorded later may add an earlier one). */
class Seqs {
  readonly #list: number[] = [];
  readonly #has = new Set<number>();

  add(seq: number): void {
    if (this.#has.has(seq)) return;
    this.#has.add(seq);
    let i = this.#list.length;
    while (i > 0 && (this.#list[i - 1] ?? 0) > seq) i--;
    this.#list.splice(i, 0, seq);
  }

  /** The latest below `limit` and at least `floor`, not in `skip`, and that `accept` takes (default: any). */
  latest(
    limit: number,
    floor: number,
    skip?: ReadonlySet<number>,
    accept: (seq: number) => boolean = () => true,
  ): number | undefined {
    let lo = 0;
    let hi = this.#list.length; // first index whose seq is >= limit
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.#list[mid] ?? 0) < limit) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0; i--) {
      const seq = this.#list[i] ?? 0;
      if (seq < floor) return undefined;
      if (skip?.has(seq) !== true && accept(seq)) return seq;
    }
    return undefined;
  }
}

const seqsOf = (map: Map<string, Seqs>, provider: string): Seqs => {
  let seqs = map.get(provider);
  if (!seqs) map.set(provider, (seqs = new Seqs()));
  return seqs;
};

/** Fed every journal entry in order (`note`), it finds the memberships held outside gatehouse. */
export class HeldOutside {
  /** provider\ngroup → memberKind\nmember: what the journal shows held, whenever. */
  readonly #held = new Map<string, Set<string>>();
  /**
   * Adds an interrupted run announced (intent) and no outcome answered yet (runSeq\nchange id → the
   * membership): gatehouse may have made them, so one removed later is no find (journal access lists it
   * as unconfirmed until then).
   */
  readonly #announced = new Map<string, { group: string; member: string }>();
  /** provider\naccount → groups it may hold (a superset), to move them on a rename in place. */
  readonly #groupsOfAccount = new Map<string, Set<string>>();
  readonly #runs = new Map<number, { at: string; commit?: string; actor: string; desiredDigest: string }>();
  /**
   * Runs that did not carry out their whole plan, so that what they did not remove proves nothing: a fire
   * drill's (only the canary's changes), one that died before its end (`interrupted`: it may have stopped
   * before any removal).
   */
  readonly #incomplete = new Set<number>();
  /**
   * Runs the guard rails refused (`refused`), nothing overriding them: they made only grant endings and
   * the leavers' offboarding that passed the guard rails on its own (all leavers' or none).
   */
  readonly #refused = new Set<number>();
  /** Runs that made a leaver's change (user-terminated): a refused one among them offboarded its leavers. */
  readonly #offboarded = new Set<number>();
  /** provider → the runs that read it in authoritative mode (its `modes`, or a drift removal it made). */
  readonly #authoritative = new Map<string, Seqs>();
  /** provider → the runs that could write to it (not observe: its `modes`, or a change it recorded there). */
  readonly #writing = new Map<string, Seqs>();
  /** provider\ngroup\nmemberKind\nmember → the runs that tried to remove it and did not (it was there). */
  readonly #triedToRemove = new Map<string, Set<number>>();
  /** provider\ngroup\nmemberKind\nmember → its latest removal gatehouse applied. */
  readonly #removed = new Map<string, NotHeldSince>();
  /** provider\ngroup → when gatehouse made it. */
  readonly #made = new Map<string, NotHeldSince>();
  /** provider\naccount → the latest offboarding check that read it, and the groups it found. */
  readonly #checked = new Map<string, { since: NotHeldSince; groups: ReadonlySet<string> }>();
  /** provider\naccount → whether each run (seq) left it a leaver (true) or took it back (false), in order. */
  readonly #leaver = new Map<string, { runSeq: number; isLeaver: boolean }[]>();
  /** provider\ngroup (its name now) → what it held outside gatehouse. */
  readonly #found = new Map<string, OutsideMembership[]>();
  /** provider\ngroup (its name now) → memberKind\nmember → a find whose removal has not succeeded yet. */
  readonly #open = new Map<string, Map<string, Mutable<OutsideMembership>>>();

  /** The memberships `group` (its name now) in `provider` was found holding outside gatehouse. */
  of(provider: string, group: string): readonly OutsideMembership[] {
    return this.#found.get(keyOf(provider, group)) ?? [];
  }

  /** The providers where anything was found. */
  providers(): readonly string[] {
    return [...new Set([...this.#found.keys()].map((k) => k.slice(0, k.indexOf("\n"))))];
  }

  note(entry: JournalEntry): void {
    switch (entry.type) {
      case "apply-start":
        this.#runs.set(entry.seq, {
          at: entry.at,
          actor: entry.actor,
          desiredDigest: entry.desiredDigest,
          ...(entry.commit === undefined ? {} : { commit: entry.commit }),
        });
        if ((entry.refused?.length ?? 0) > 0) this.#refused.add(entry.seq);
        if (entry.drill !== undefined) this.#incomplete.add(entry.seq);
        for (const provider of entry.providers) {
          const mode: ProviderMode | undefined =
            entry.modes !== undefined && Object.hasOwn(entry.modes, provider)
              ? entry.modes[provider]
              : undefined;
          if (mode === "authoritative") seqsOf(this.#authoritative, provider).add(entry.seq);
          if (mode === "authoritative" || mode === "additive") seqsOf(this.#writing, provider).add(entry.seq);
        }
        return;
      case "intent":
        seqsOf(this.#writing, entry.provider).add(entry.runSeq);
        for (const id of entry.changeIds) {
          const address = membershipOf(id, entry.provider);
          if (address === undefined) continue;
          const group = keyOf(entry.provider, address.group);
          const member = keyOf(address.memberKind, address.member);
          let held = this.#held.get(group);
          if (!held) this.#held.set(group, (held = new Set<string>()));
          if (held.has(member)) continue;
          held.add(member);
          this.#announced.set(keyOf(String(entry.runSeq), id), { group, member });
        }
        return;
      case "offboard-verified":
        if (entry.error === undefined && entry.groups !== undefined)
          this.#checked.set(keyOf(entry.provider, entry.account), {
            since: { at: entry.at, seq: entry.seq, evidence: "offboarding-check" },
            groups: new Set([...entry.groups, ...(entry.groupsOutside ?? [])]),
          });
        return;
      case "change":
        this.#change(entry);
        return;
      case "apply-end":
        if (entry.interrupted === true) this.#incomplete.add(entry.runSeq);
        return;
      case "adopted": {
        // Held before gatehouse, and on record: a later removal of one of them is no find.
        const group = keyOf(entry.provider, entry.group);
        let held = this.#held.get(group);
        if (!held) this.#held.set(group, (held = new Set<string>()));
        for (const member of entry.members) {
          held.add(keyOf("user", member));
          this.#holds(entry.provider, member, entry.group);
        }
        for (const member of entry.groupMembers ?? []) held.add(keyOf("group", member));
        return;
      }
      case "delivery-closed":
      case "drill":
      case "verdict-closed":
      case "webhook-delivered":
        return;
    }
  }

  #change(entry: JournalEntry & { type: "change" }): void {
    const { change, provider } = entry;
    seqsOf(this.#writing, provider).add(entry.runSeq);
    if (change.reason === "user-terminated") this.#offboarded.add(entry.runSeq);
    // An announced add answered: not made, it is not held (made, the add below keeps it).
    const announced = this.#announced.get(keyOf(String(entry.runSeq), entry.changeId));
    if (announced !== undefined) {
      this.#announced.delete(keyOf(String(entry.runSeq), entry.changeId));
      if (entry.outcome !== "applied") this.#held.get(announced.group)?.delete(announced.member);
    }
    const account =
      change.kind === "user"
        ? change.account
        : change.kind === "membership" && change.memberKind === "user"
          ? change.member
          : undefined;
    if (change.kind === "membership" && change.action === "remove" && entry.outcome !== "applied") {
      const key = keyOf(provider, change.group, change.memberKind, change.member);
      let runs = this.#triedToRemove.get(key);
      if (!runs) this.#triedToRemove.set(key, (runs = new Set<number>()));
      runs.add(entry.runSeq);
      // The run found it there and could not remove it: a find that is still held.
      const [group, member] = [keyOf(provider, change.group), keyOf(change.memberKind, change.member)];
      if (this.#held.get(group)?.has(member) !== true && this.#open.get(group)?.has(member) !== true)
        this.#find(entry, change);
    }
    if (entry.outcome !== "applied") return;
    if (account !== undefined) {
      const isLeaver =
        change.reason === "user-terminated"
          ? true
          : // Taken back (rehired), or given a group: no leaver's plan does that.
            (change.kind === "user" && (change.action === "create" || change.action === "enable")) ||
              (change.kind === "membership" && change.action === "add")
            ? false
            : undefined;
      if (isLeaver !== undefined) {
        let events = this.#leaver.get(keyOf(provider, account));
        if (!events) this.#leaver.set(keyOf(provider, account), (events = []));
        events.push({ runSeq: entry.runSeq, isLeaver });
      }
    }
    if (change.kind === "user") {
      const to = renamedUserTo(change);
      if (to !== undefined) this.#renameAccount(provider, change.account, to);
      return;
    }
    if (change.kind === "group") {
      const group = keyOf(provider, change.group);
      const to = renamedGroupTo(change);
      if (change.action === "create")
        this.#made.set(group, { at: entry.at, seq: entry.seq, evidence: "group-created" });
      if (change.action === "delete") {
        const held = this.#held.get(group);
        this.#held.delete(group);
        // Its finds stay, for the time before; those still held end here. A group made later under the name
        // is another one: the finds, all removed by then, are not named at its instants.
        for (const found of this.#open.get(group)?.values() ?? []) {
          found.removedAt = entry.at;
          found.removedSeq = entry.seq;
        }
        this.#open.delete(group);
        // What it held that no change gave (a group made or renamed by hand): the run found it there.
        const removed = { group: change.group, reason: change.reason };
        for (const member of change.members ?? [])
          if (held?.has(keyOf("user", member)) !== true)
            this.#find(entry, { ...removed, member, memberKind: "user" });
        for (const member of change.groupMembers ?? [])
          if (held?.has(keyOf("group", member)) !== true)
            this.#find(entry, { ...removed, member, memberKind: "group" });
        this.#made.set(group, { at: entry.at, seq: entry.seq, evidence: "group-deleted" });
      }
      if (to !== undefined) {
        const held = this.#held.get(group);
        const found = this.#found.get(group);
        const open = this.#open.get(group);
        this.#held.delete(group);
        this.#found.delete(group);
        this.#open.delete(group);
        if (held !== undefined) this.#held.set(keyOf(provider, to), held);
        if (found !== undefined) this.#found.set(keyOf(provider, to), found);
        if (open !== undefined) this.#open.set(keyOf(provider, to), open);
        for (const m of held ?? [])
          if (m.startsWith("user\n")) this.#holds(provider, m.slice("user\n".length), to);
      }
      return;
    }
    const group = keyOf(provider, change.group);
    const member = keyOf(change.memberKind, change.member);
    let held = this.#held.get(group);
    if (!held) this.#held.set(group, (held = new Set<string>()));
    if (change.action === "add") {
      // A run found it missing and added it: a find still open was gone by then.
      this.#close(group, member, entry);
      held.add(member);
      if (change.memberKind === "user") this.#holds(provider, change.member, change.group);
      return;
    }
    if (change.reason === "drift") seqsOf(this.#authoritative, provider).add(entry.runSeq);
    const key = keyOf(provider, change.group, change.memberKind, change.member);
    // A value of an account's former name, removed as the account goes on under its new name: not a find.
    if (!held.has(member) && change.renamedTo === undefined && !this.#close(group, member, entry))
      this.#find(entry, change);
    held.delete(member);
    this.#removed.set(key, { at: entry.at, seq: entry.seq, evidence: "removed" });
  }

  /** A removal of a membership the journal did not show held: the run found it there. */
  #find(entry: JournalEntry & { type: "change" }, change: FoundRemoval): void {
    const group = keyOf(entry.provider, change.group);
    const started = this.#runs.get(entry.runSeq);
    const notBefore = this.#notHeldBefore(
      entry.provider,
      change.group,
      change.memberKind,
      change.member,
      entry.runSeq,
      change.reason,
    );
    const found: Mutable<OutsideMembership> = {
      member: change.member,
      memberKind: change.memberKind,
      ...(change.userId === undefined ? {} : { userId: change.userId }),
      ...(entry.outcome === "applied" ? { removedAt: entry.at, removedSeq: entry.seq } : {}),
      seq: entry.seq,
      outcome: entry.outcome,
      runSeq: entry.runSeq,
      seenAt: started?.at ?? entry.at,
      reason: change.reason,
      ...(started?.commit === undefined ? {} : { commit: started.commit }),
      ...(started === undefined ? {} : { actor: started.actor }),
      ...(notBefore === undefined ? {} : { notBefore }),
    };
    let list = this.#found.get(group);
    if (!list) this.#found.set(group, (list = []));
    list.push(found);
    if (entry.outcome === "applied") return;
    let open = this.#open.get(group);
    if (!open) this.#open.set(group, (open = new Map<string, Mutable<OutsideMembership>>()));
    open.set(keyOf(change.memberKind, change.member), found);
  }

  /** Ends a find still open of `member` in `group` at `entry` (an applied change): whether there was one. */
  #close(group: string, member: string, entry: JournalEntry & { type: "change" }): boolean {
    if (entry.outcome !== "applied") return false;
    const found = this.#open.get(group)?.get(member);
    if (found === undefined) return false;
    found.removedAt = entry.at;
    found.removedSeq = entry.seq;
    this.#open.get(group)?.delete(member);
    return true;
  }

  /** The latest instant before run `runSeq` at which the journal shows the membership was not held. */
  #notHeldBefore(
    provider: string,
    group: string,
    memberKind: "user" | "group",
    member: string,
    runSeq: number,
    reason: Reason,
  ): NotHeldSince | undefined {
    const key = keyOf(provider, group, memberKind, member);
    const check = memberKind === "user" ? this.#checked.get(keyOf(provider, member)) : undefined;
    let best = [
      this.#removed.get(key),
      this.#made.get(keyOf(provider, group)),
      check !== undefined && !check.groups.has(group) ? check.since : undefined,
    ]
      .filter((s): s is NotHeldSince => s !== undefined && s.seq < runSeq)
      .reduce<NotHeldSince | undefined>((a, b) => (a === undefined || b.seq > a.seq ? b : a), undefined);
    const tried = this.#triedToRemove.get(key);
    const floor = best === undefined ? 0 : best.seq + 1;
    // Authoritative: a member the files do not give goes as drift. The files did not give this one when
    // the run at `runSeq` removed it as drift; a run before counts only if it applied the same access
    // files: files that differed may have given the member then (a role baseline, a line since removed,
    // a person since made a leaver), and a member the files give and the system holds already makes no
    // change, so the journal cannot tell. The same holds for the members of a group in no access file
    // (`not-in-config`, a group made or renamed by hand) that a run deleted: a run before with the same
    // files would have deleted it too, had it been there.
    const byFiles = reason === "drift" || reason === "not-in-config";
    const digest = byFiles ? this.#runs.get(runSeq)?.desiredDigest : undefined;
    const sameFiles = (seq: number): boolean =>
      digest !== undefined &&
      !this.#incomplete.has(seq) &&
      !this.#refused.has(seq) &&
      this.#runs.get(seq)?.desiredDigest === digest;
    const candidates: { seq: number | undefined; evidence: NotHeldEvidence }[] = [
      {
        seq: this.#authoritative.get(provider)?.latest(runSeq, floor, tried, sameFiles),
        evidence: "authoritative-run",
      },
      ...(memberKind === "user"
        ? [
            {
              seq: this.#latestLeaverRun(provider, member, runSeq, floor, tried),
              evidence: "leaver-run" as const,
            },
          ]
        : []),
    ];
    for (const { seq, evidence } of candidates) {
      const at = seq === undefined ? undefined : this.#runs.get(seq)?.at;
      if (seq !== undefined && at !== undefined && (best === undefined || seq > best.seq))
        best = { at, seq, evidence };
    }
    return best;
  }

  /**
   * The latest run below `limit` (and at least `floor`) that could write to `provider` while `account` was
   * a leaver there: its plan removed every membership of theirs it found, in additive and authoritative
   * mode alike.
   */
  #latestLeaverRun(
    provider: string,
    account: string,
    limit: number,
    floor: number,
    skip: ReadonlySet<number> | undefined,
  ): number | undefined {
    const events = this.#leaver.get(keyOf(provider, account)) ?? [];
    const writing = this.#writing.get(provider);
    let end = limit; // runs from a leaver event up to the next event (exclusive) left them a leaver
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i];
      if (e === undefined) continue;
      if (e.runSeq < limit && e.isLeaver) {
        const seq = writing?.latest(end, Math.max(e.runSeq, floor), skip, (s) => this.#offboardsLeavers(s));
        if (seq !== undefined) return seq;
      }
      end = Math.min(end, e.runSeq);
      if (end <= floor) return undefined;
    }
    return undefined;
  }

  /**
   * Whether run `seq` took every leaver's memberships it found away: a whole plan, or a refused one whose
   * leavers' offboarding passed the guard rails (all leavers' or none: it made a leaver's change). A drill
   * offboards only its canary, and a run that died may have stopped before a leaver's removals.
   */
  #offboardsLeavers(seq: number): boolean {
    return !this.#incomplete.has(seq) && (!this.#refused.has(seq) || this.#offboarded.has(seq));
  }

  #holds(provider: string, account: string, group: string): void {
    const key = keyOf(provider, account);
    let groups = this.#groupsOfAccount.get(key);
    if (!groups) this.#groupsOfAccount.set(key, (groups = new Set<string>()));
    groups.add(group);
  }

  /** An account renamed in place holds its groups on under its new name. */
  #renameAccount(provider: string, from: string, to: string): void {
    const key = keyOf(provider, from);
    for (const group of this.#groupsOfAccount.get(key) ?? []) {
      const held = this.#held.get(keyOf(provider, group));
      if (held?.delete(keyOf("user", from)) !== true) continue;
      held.add(keyOf("user", to));
      this.#holds(provider, to, group);
    }
    this.#groupsOfAccount.delete(key);
  }
}
