/**
 * Memberships held outside gatehouse that the journal itself proves: a run removed a membership that no
 * change before it had given (a hand edit, a leaver put back by hand), so the system held it when that run
 * read it. Since when, the journal cannot say; it can say when it was last not held: a removal gatehouse
 * applied, the group made by gatehouse, an offboarding check that read the account in no such group, or
 * an earlier run of that system whose plan would have removed it had it been there (the member a leaver
 * then, whose memberships go in additive and authoritative mode alike; or the system authoritative,
 * where members the files do not give go as drift; additive mode keeps them, observe changes nothing).
 */
import type { ProviderMode } from "../model/access.ts";
import { renamedGroupTo, renamedUserTo } from "../plan/addresses.ts";
import type { Reason } from "../plan/types.ts";
import type { JournalEntry } from "./journal-entry.ts";

/** What shows the membership was not held at `NotHeldSince.at`. */
export type NotHeldEvidence =
  | "removed" // gatehouse removed it then
  | "group-created" // gatehouse made the group then
  | "group-deleted" // gatehouse deleted a group of that name then (one made later is empty)
  | "offboarding-check" // the offboarding check read the account back in no such group
  | "leaver-run" // a run read the system while the member was a leaver, and removed nothing of theirs there
  | "authoritative-run"; // a run read the system in authoritative mode, and removed nothing there

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
  /** When the system confirmed the removal: held until then. */
  readonly removedAt: string;
  /** The removal's journal entry. */
  readonly seq: number;
  /** `seq` of the apply-start of the run that found it and removed it. */
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

interface RunOfSystem {
  readonly seq: number;
  readonly at: string;
  readonly mode?: ProviderMode;
  /** The run recorded a change or an intent there: the system was not in observe mode. */
  changed: boolean;
  /** The run removed a member as drift there: the system was authoritative. */
  drift: boolean;
}

const keyOf = (...parts: readonly string[]): string => parts.join("\n");

/** Fed every journal entry in order (`note`), it finds the memberships held outside gatehouse. */
export class HeldOutside {
  /** provider\ngroup → memberKind\nmember: what the journal shows held, whenever. */
  readonly #held = new Map<string, Set<string>>();
  /** provider\naccount → groups it may hold (a superset), to move them on a rename in place. */
  readonly #groupsOfAccount = new Map<string, Set<string>>();
  readonly #runs = new Map<number, { at: string; commit?: string; actor: string }>();
  /** provider → its runs, in journal order; and provider\nrunSeq → that run. */
  readonly #runsOf = new Map<string, RunOfSystem[]>();
  readonly #runOf = new Map<string, RunOfSystem>();
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
          ...(entry.commit === undefined ? {} : { commit: entry.commit }),
        });
        for (const provider of entry.providers) {
          const mode =
            entry.modes !== undefined && Object.hasOwn(entry.modes, provider)
              ? entry.modes[provider]
              : undefined;
          const run: RunOfSystem = {
            seq: entry.seq,
            at: entry.at,
            ...(mode === undefined ? {} : { mode }),
            changed: false,
            drift: false,
          };
          let runs = this.#runsOf.get(provider);
          if (!runs) this.#runsOf.set(provider, (runs = []));
          runs.push(run);
          this.#runOf.set(keyOf(provider, String(entry.seq)), run);
        }
        return;
      case "intent": {
        const run = this.#runOf.get(keyOf(entry.provider, String(entry.runSeq)));
        if (run) run.changed = true;
        return;
      }
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
      case "delivery-closed":
      case "drill":
      case "verdict-closed":
      case "webhook-delivered":
        return;
    }
  }

  #change(entry: JournalEntry & { type: "change" }): void {
    const { change, provider } = entry;
    const run = this.#runOf.get(keyOf(provider, String(entry.runSeq)));
    if (run) run.changed = true;
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
        this.#held.delete(group);
        this.#found.delete(group); // a group made later under the name is another one
        this.#made.set(group, { at: entry.at, seq: entry.seq, evidence: "group-deleted" });
      }
      if (to !== undefined) {
        const held = this.#held.get(group);
        const found = this.#found.get(group);
        this.#held.delete(group);
        this.#found.delete(group);
        if (held !== undefined) this.#held.set(keyOf(provider, to), held);
        if (found !== undefined) this.#found.set(keyOf(provider, to), found);
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
      held.add(member);
      if (change.memberKind === "user") this.#holds(provider, change.member, change.group);
      return;
    }
    if (change.reason === "drift" && run) run.drift = true;
    const key = keyOf(provider, change.group, change.memberKind, change.member);
    // A value of an account's former name, removed as the account goes on under its new name: not a find.
    if (!held.has(member) && change.renamedTo === undefined) {
      const started = this.#runs.get(entry.runSeq);
      const notBefore = this.#notHeldBefore(
        provider,
        change.group,
        change.memberKind,
        change.member,
        entry.runSeq,
      );
      let found = this.#found.get(group);
      if (!found) this.#found.set(group, (found = []));
      found.push({
        member: change.member,
        memberKind: change.memberKind,
        ...(change.userId === undefined ? {} : { userId: change.userId }),
        removedAt: entry.at,
        seq: entry.seq,
        runSeq: entry.runSeq,
        seenAt: started?.at ?? entry.at,
        reason: change.reason,
        ...(started?.commit === undefined ? {} : { commit: started.commit }),
        ...(started === undefined ? {} : { actor: started.actor }),
        ...(notBefore === undefined ? {} : { notBefore }),
      });
    }
    held.delete(member);
    this.#removed.set(key, { at: entry.at, seq: entry.seq, evidence: "removed" });
  }

  /** The latest instant before run `runSeq` at which the journal shows the membership was not held. */
  #notHeldBefore(
    provider: string,
    group: string,
    memberKind: "user" | "group",
    member: string,
    runSeq: number,
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
    const runs = this.#runsOf.get(provider) ?? [];
    for (let i = runs.length - 1; i >= 0; i--) {
      const run = runs[i];
      if (run === undefined || run.seq >= runSeq || tried?.has(run.seq) === true) continue;
      if (best !== undefined && run.seq <= best.seq) break;
      const evidence = this.#wouldRemove(provider, memberKind, member, run);
      if (evidence !== undefined) {
        best = { at: run.at, seq: run.seq, evidence };
        break;
      }
    }
    return best;
  }

  /** Whether `run`'s plan would have removed the member from any group it read, had it been there. */
  #wouldRemove(
    provider: string,
    memberKind: "user" | "group",
    member: string,
    run: RunOfSystem,
  ): NotHeldEvidence | undefined {
    // Authoritative: a member the files do not give goes as drift (the files did not give this one
    // later, when a run removed it; the journal cannot tell what they gave in between).
    if (run.mode === "authoritative" || run.drift) return "authoritative-run";
    const isWriting = (run.mode !== undefined && run.mode !== "observe") || run.changed;
    if (memberKind !== "user" || !isWriting) return undefined;
    // A leaver's memberships go in additive and authoritative mode alike.
    const events = this.#leaver.get(keyOf(provider, member)) ?? [];
    let isLeaver = false;
    for (const e of events) if (e.runSeq <= run.seq) isLeaver = e.isLeaver;
    return isLeaver ? "leaver-run" : undefined;
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
