import type { AccessModel, Group, ProviderConfig, User } from "../model/access.ts";
import type { SourceLocation } from "../model/source.ts";
import { detailedEntries } from "../model/member-entry.ts";
import { filesSpelling } from "../plan/align-case.ts";
import type {
  AccountOfAnother,
  DesiredGroup,
  DesiredMember,
  DesiredMembers,
  DesiredState,
  DesiredUser,
  ExpiredGrant,
  Provenance,
  UserAttributes,
} from "../model/state.ts";
import {
  afterDay,
  DAY_MS,
  daysSince,
  hasNotStarted,
  isDisabledForLeave,
  isTerminated,
  lateAsOf,
  noteTimeBoundary,
} from "../lifecycle/status.ts";
import { provenanceAt, type EffectiveGroup } from "./effective.ts";
import { holdsPosition, unionPositions, userIndexOf, type UserIndex } from "./user-set.ts";
import { formerIdsOf, journalAccountsNow } from "./former-ids.ts";
import { compareText } from "../model/lists.ts";
import { sortRanks } from "./rank-sort.ts";

/** The account name of a user in one provider: explicit `accounts` entry, else id or e-mail. */
export function accountNameFor(user: User, provider: ProviderConfig): string | undefined {
  const explicit = user.accounts[provider.name] ?? user.accounts[provider.type];
  if (explicit !== undefined) return explicit;
  if (provider.users === "mapped") return undefined;
  return provider.accountName === "email" ? user.email : user.id;
}

export function groupIsInProvider(group: Group, provider: ProviderConfig): boolean {
  return group.providers === undefined || group.providers.includes(provider.name);
}

export interface DesiredOptions {
  readonly now: Date;
  /** Keep nested groups as members (the provider nests natively) instead of flattening. */
  readonly nativeNesting: boolean;
  /**
   * Accounts the journal saw changed for each user id in this provider (JournalFold.accounts, keyed
   * `${provider}\n${userId}`): a leaver whose mapping left the files is still found under them. Those of
   * an id someone lists in `formerIds` are taken as that person's (former-ids.ts).
   */
  readonly journalAccounts?: ReadonlyMap<string, readonly string[]>;
  /** The system ignores case in account names (ProviderCapabilities.caseInsensitiveNames). */
  readonly caseInsensitiveNames?: boolean;
}

function isEnabled(user: User, model: AccessModel, lifecycle: Lifecycle): boolean {
  if (lifecycle !== "active") return false;
  return !isDisabledForLeave(user, model.config.policy);
}

/** Where a person stands today: terminated people and people who have not started hold nothing. */
export type Lifecycle = "active" | "terminated" | "not-started";

/** The HR event that made someone a leaver ("status: terminated", "endDate … has passed"), and how late. */
export interface LeaverEvent {
  readonly leaving: string;
  /** Offboarded more than a day after the end date: how long ago it was ("3 days ago"). */
  readonly lateBy?: string;
}

/**
 * What made a leaver one, for the plan and the journal: the HR event behind the offboarding, with its
 * date where the files give one; and, a day after the end date, how long ago that was (`lateBy`).
 */
export function leavingOf(user: User, now: Date): LeaverEvent {
  const status = user.status === "terminated" ? "status: terminated" : undefined;
  const end = user.endDate === undefined ? undefined : `endDate ${user.endDate}`;
  if (status !== undefined) return { leaving: end === undefined ? status : `${status}, ${end}` };
  if (end === undefined || user.endDate === undefined) return { leaving: "terminated" };
  // Access ends when the end date does (midnight UTC after it): a day later, whatever is still there
  // is offboarded late, and the plan and the journal say by how long.
  const ended = afterDay(user.endDate);
  noteTimeBoundary(now, ended + LATE_LEAVER_MS + 1);
  const judgedAt = lateAsOf(now);
  return judgedAt.getTime() - ended > LATE_LEAVER_MS
    ? {
        leaving: `${end} has passed`,
        lateBy: `${daysSince(new Date(ended).toISOString(), judgedAt)} days ago`,
      }
    : { leaving: `${end} has passed` };
}

/** A leaver's access still there this long after their end date was not removed in time (hourly reconcile). */
const LATE_LEAVER_MS = DAY_MS;

export function lifecycleOf(user: User, now: Date): Lifecycle {
  if (isTerminated(user, now)) return "terminated";
  return hasNotStarted(user, now) ? "not-started" : "active";
}

function attributesOf(user: User, model: AccessModel, provider: ProviderConfig): UserAttributes {
  const manager = user.manager === undefined ? undefined : model.users.get(user.manager);
  const managerAccount = manager ? accountNameFor(manager, provider) : undefined;
  const out: { -readonly [K in keyof UserAttributes]: UserAttributes[K] } = { name: user.name };
  if (user.isEmploymentTypeDefault !== true) out.employmentType = user.employmentType;
  if (user.email !== undefined) out.email = user.email;
  if (user.department !== undefined) out.department = user.department;
  if (user.title !== undefined) out.title = user.title;
  if (managerAccount !== undefined) out.manager = managerAccount;
  return out;
}

/** Desired members given outright, with their provenance (small states built by hand). */
export function listedMembers(members: ReadonlyMap<string, DesiredMember>): DesiredMembers {
  return {
    size: members.size,
    has: (account) => members.has(account),
    accounts: () => members.keys(),
    compare: (live) => {
      const have = new Set(live);
      return {
        missing: [...members.keys()].filter((account) => !have.has(account)),
        extra: live.filter((account) => !members.has(account)),
      };
    },
    describe: (accounts) => describeListed(members, accounts),
    diff(live) {
      const { missing, extra } = this.compare(live);
      return { missing: describeListed(members, [...missing].sort()), extra };
    },
  };
}

function describeListed(
  members: ReadonlyMap<string, DesiredMember>,
  accounts: Iterable<string>,
): ReadonlyMap<string, DesiredMember> {
  const out = new Map<string, DesiredMember>();
  for (const account of accounts) {
    const member = members.get(account);
    if (member) out.set(account, member);
  }
  return out;
}

/** How the members at some positions (distinct) hold the group: one list per position, in order. */
type Explain = (positions: readonly number[]) => readonly (readonly Provenance[])[];

/** Members of one desired group: sorted user positions, account names by position, provenance on demand. */
class CompactMembers implements DesiredMembers {
  readonly #people: ProviderPeople;
  readonly #positions: Int32Array;
  readonly #explain: Explain;

  constructor(people: ProviderPeople, positions: Int32Array, explain: Explain) {
    this.#people = people;
    this.#positions = positions;
    this.#explain = explain;
  }

  get size(): number {
    return this.#positions.length;
  }

  has(account: string): boolean {
    return holderIn(this.#people, account, this.#positions) !== undefined;
  }

  *accounts(): IterableIterator<string> {
    for (const p of this.#positions) {
      const account = this.#people.activeAccount[p];
      if (account !== undefined) yield account;
    }
  }

  compare(live: readonly string[]): {
    readonly missing: readonly string[];
    readonly extra: readonly string[];
  } {
    const { missing, extra } = this.#merge(live);
    return { missing: missing.map(([account]) => account), extra };
  }

  diff(live: readonly string[]): {
    readonly missing: ReadonlyMap<string, DesiredMember>;
    readonly extra: readonly string[];
  } {
    const { missing, extra } = this.#merge(live);
    return { missing: this.#described(missing), extra };
  }

  describe(accounts: Iterable<string>): ReadonlyMap<string, DesiredMember> {
    const wanted: [string, number][] = [];
    const seen = new Set<string>();
    for (const account of accounts) {
      if (seen.has(account)) continue;
      seen.add(account);
      const p = holderIn(this.#people, account, this.#positions);
      if (p !== undefined) wanted.push([account, p]);
    }
    return this.#described(wanted);
  }

  /** Members given as [account, position] pairs (distinct positions), with their provenance. */
  #described(members: readonly (readonly [string, number])[]): ReadonlyMap<string, DesiredMember> {
    const ways = this.#explain(members.map(([, p]) => p));
    const { ids } = this.#people.index;
    const out = new Map<string, DesiredMember>();
    members.forEach(([account, p], i) => {
      const userId = ids[p];
      if (userId !== undefined) out.set(account, { userId, provenance: ways[i] ?? [] });
    });
    return out;
  }

  /**
   * The desired members missing from `live` as [account, position] in account order, and the live
   * accounts that are not desired. A merge of two sorted lists: no hashing of the live names, which come
   * fresh from every read.
   */
  #merge(live: readonly string[]): {
    readonly missing: [string, number][];
    readonly extra: string[];
  } {
    const { byRank } = accountOrder(this.#people);
    const { ranks: wantedRanks, positions: wantedPositions } = inRankOrder(this.#people, this.#positions);
    const have = isSorted(live) ? live : [...live].sort(compareText);
    const missing: [string, number][] = [];
    const extra: string[] = [];
    let i = 0;
    let j = 0;
    while (i < wantedRanks.length || j < have.length) {
      const mine = i < wantedRanks.length ? byRank[wantedRanks[i] ?? 0] : undefined;
      const theirs = have[j];
      if (mine !== undefined && mine === theirs) {
        i++;
        while (have[j] === mine) j++;
      } else if (mine !== undefined && (theirs === undefined || mine < theirs)) {
        missing.push([mine, wantedPositions[i] ?? -1]);
        i++;
      } else if (theirs !== undefined) {
        extra.push(theirs);
        j++;
      }
    }
    return { missing, extra };
  }
}

/**
 * The distinct ranks (account order) of the people at `positions` who hold an account here, ascending,
 * each with the position standing for it: for an account several people share (validation refuses it,
 * GH227), the first of them in `positions`, as holderIn picks.
 */
function inRankOrder(
  people: ProviderPeople,
  positions: Int32Array,
): { ranks: Int32Array; positions: Int32Array } {
  const order = accountOrder(people);
  const { rankOf, positionOfRank } = order;
  if (positionOfRank === undefined) return inRankOrderShared(people, positions);
  let ranks = new Int32Array(positions.length);
  let n = 0;
  const total = positionOfRank.length;
  if (positions.length * 16 >= total) {
    // A large group: marking its ranks and reading them in order (one pass over every account) is
    // quicker than sorting them.
    const marks = (order.marks ??= new Uint8Array(total));
    for (const p of positions) {
      const rank = rankOf[p] ?? -1;
      if (rank >= 0) marks[rank] = 1;
    }
    for (let rank = 0; rank < total; rank++)
      if (marks[rank] === 1) {
        marks[rank] = 0;
        ranks[n++] = rank;
      }
  } else {
    for (const p of positions) {
      const rank = rankOf[p] ?? -1;
      if (rank >= 0) ranks[n++] = rank;
    }
    ranks = ranks.subarray(0, n);
    sortRanks(ranks, total);
    // Each rank once, as the marks give it (positions are distinct, so this only guards the contract).
    let kept = 0;
    for (let i = 0; i < n; i++) if (i === 0 || ranks[i] !== ranks[i - 1]) ranks[kept++] = ranks[i] ?? 0;
    n = kept;
  }
  ranks = ranks.subarray(0, n);
  const at = new Int32Array(n);
  for (let i = 0; i < n; i++) at[i] = positionOfRank[ranks[i] ?? 0] ?? -1;
  return { ranks, positions: at };
}

/** inRankOrder where several people share an account: one numeric sort of rank × scale + position. */
function inRankOrderShared(
  people: ProviderPeople,
  positions: Int32Array,
): { ranks: Int32Array; positions: Int32Array } {
  const { rankOf } = accountOrder(people);
  const scale = people.activeAccount.length;
  const keys = new Float64Array(positions.length);
  let n = 0;
  for (const p of positions) {
    const rank = rankOf[p] ?? -1;
    if (rank >= 0) keys[n++] = rank * scale + p;
  }
  const sorted = keys.subarray(0, n).sort();
  const ranks: number[] = [];
  const at: number[] = [];
  for (const key of sorted) {
    const rank = Math.floor(key / scale);
    if (ranks[ranks.length - 1] === rank) continue;
    ranks.push(rank);
    at.push(key - rank * scale);
  }
  return { ranks: Int32Array.from(ranks), positions: Int32Array.from(at) };
}

function isSorted(list: readonly string[]): boolean {
  for (let i = 1; i < list.length; i++) if ((list[i - 1] ?? "") > (list[i] ?? "")) return false;
  return true;
}

/** A position in `positions` of someone holding `account` here, or undefined. */
function holderIn(people: ProviderPeople, account: string, positions: Int32Array): number | undefined {
  const shared = people.sharedBy.get(account);
  if (shared) return shared.find((p) => holdsPosition(positions, p));
  const p = people.positionOf.get(account);
  return p !== undefined && holdsPosition(positions, p) ? p : undefined;
}

/**
 * Distinct active account names in sorted order, and each position's rank in it (-1: none; people
 * sharing an account share its rank). Built once per provider.
 */
function accountOrder(people: ProviderPeople): AccountOrder {
  if (people.order) return people.order;
  // The default sort of strings is by UTF-16 code units, as compareText; positionOf holds each
  // active account once.
  const sorted = [...people.positionOf.keys()].sort();
  const rankOf = new Int32Array(people.activeAccount.length).fill(-1);
  const isShared = people.sharedBy.size > 0;
  const positionOfRank = isShared ? undefined : new Int32Array(sorted.length);
  sorted.forEach((account, rank) => {
    const first = people.positionOf.get(account) ?? -1;
    if (positionOfRank) positionOfRank[rank] = first;
    for (const p of people.sharedBy.get(account) ?? [first]) if (p >= 0) rankOf[p] = rank;
  });
  // Fresh copies, laid out in memory in rank order: compare reads them in that order, and at 100k
  // people that is a third faster than reading the originals scattered over the heap.
  const byRank = JSON.parse(JSON.stringify(sorted)) as string[];
  people.order = { byRank, rankOf, ...(positionOfRank ? { positionOfRank } : {}) };
  return people.order;
}

/** Active accounts in sorted order (accountOrder). */
interface AccountOrder {
  readonly byRank: readonly string[];
  /** Each position's rank (-1: no active account). */
  readonly rankOf: Int32Array;
  /** The position holding each rank, when no account is shared. */
  readonly positionOfRank?: Int32Array;
  /** Scratch marks by rank for inRankOrder, all 0 between uses. */
  marks?: Uint8Array;
}

/** Who has an account in one provider, by user position. */
interface ProviderPeople {
  readonly index: UserIndex;
  /** Account name by position (undefined: no account here). */
  readonly account: readonly (string | undefined)[];
  /** Account name by position for people who may hold memberships (not terminated, started). */
  readonly activeAccount: readonly (string | undefined)[];
  /** 1 where activeAccount is set: a compact mask for the two million membership checks. */
  readonly isActive: Uint8Array;
  /** Position by account name, for people who may hold memberships (the first, if several share it). */
  readonly positionOf: ReadonlyMap<string, number>;
  /** Every position of an account several people share (validation refuses that, GH227). */
  readonly sharedBy: ReadonlyMap<string, number[]>;
  readonly lifecycle: readonly Lifecycle[];
  /** Filled by accountOrder on first use. */
  order?: AccountOrder;
}

function providerPeople(model: AccessModel, provider: ProviderConfig, now: Date): ProviderPeople {
  const index = userIndexOf(model);
  const account: (string | undefined)[] = [];
  const activeAccount: (string | undefined)[] = [];
  const positionOf = new Map<string, number>();
  const sharedBy = new Map<string, number[]>();
  const lifecycle: Lifecycle[] = [];
  const isActive = new Uint8Array(index.users.length);
  index.users.forEach((user, p) => {
    const name = accountNameFor(user, provider);
    account.push(name);
    // People on leave keep their memberships (policy may still disable the account).
    const stands = lifecycleOf(user, now);
    lifecycle.push(stands);
    const active = name !== undefined && stands === "active";
    activeAccount.push(active ? name : undefined);
    if (!active) return;
    isActive[p] = 1;
    const first = positionOf.get(name);
    if (first === undefined) positionOf.set(name, p);
    else sharedBy.set(name, [...(sharedBy.get(name) ?? [first]), p]);
  });
  return { index, account, activeAccount, isActive, positionOf, sharedBy, lifecycle };
}

const NONE: ReadonlyMap<string, never> = new Map<string, never>();
const NO_OWNERS: ReadonlyMap<number, never> = new Map<number, never>();
const NO_NAMES: ReadonlySet<string> = new Set<string>();

/**
 * One desired group's members, explained on demand. Built in a function of its own so that each of 20k
 * groups keeps only what the explanation needs (shared empties in most), not the loop's working sets.
 */
function explainedMembers(
  model: AccessModel,
  groupName: string,
  people: ProviderPeople,
  positions: Int32Array,
  ownerOnly: ReadonlyMap<number, SourceLocation>,
  nestedHere: ReadonlySet<string>,
  now: Date,
): CompactMembers {
  return new CompactMembers(people, positions, (asked) => {
    const plain = ownerOnly.size === 0 ? asked : asked.filter((p) => !ownerOnly.has(p));
    const found = provenanceAt(model, groupName, plain, now);
    let next = 0;
    return asked.map((p): readonly Provenance[] => {
      const owners = ownerOnly.get(p);
      if (owners !== undefined)
        return [{ kind: "direct", source: owners, reason: "group owner, maintainer" }];
      const ways = found[next++] ?? [];
      return nestedHere.size === 0
        ? ways
        : ways.filter((way) => !(way.kind === "nested" && nestedHere.has(way.via)));
    });
  });
}

/** The positions of `positions` whose people may hold memberships here (the same array when all may). */
function activeOnly(people: ProviderPeople, positions: Int32Array): Int32Array {
  const { isActive } = people;
  let kept = 0;
  for (const p of positions) kept += isActive[p] ?? 0;
  if (kept === positions.length) return positions;
  const out = new Int32Array(kept);
  let at = 0;
  for (const p of positions) if (isActive[p] === 1) out[at++] = p;
  return out;
}

/**
 * What one provider should hold: its users (enabled or not), its groups and their members by account
 * name, with provenance on demand. Terminated people and people who have not started hold no membership.
 */
export function computeDesiredState(
  model: AccessModel,
  provider: ProviderConfig,
  effective: ReadonlyMap<string, EffectiveGroup>,
  options: DesiredOptions,
): DesiredState {
  const { now } = options;
  const people = providerPeople(model, provider, now);
  // The journal as the files name people: a former id's accounts are the person's under their id now.
  const journalAccounts = journalInFilesSpelling(
    options,
    options.journalAccounts === undefined
      ? undefined
      : journalAccountsNow(options.journalAccounts, formerIdsOf(model.users)),
    provider.name,
    people,
  );
  const isMembersOnly = provider.users === "members";
  const holdsAny = isMembersOnly ? new Uint8Array(people.index.users.length) : undefined;

  const groups = new Map<string, DesiredGroup>();
  const groupsElsewhere = new Map<string, readonly string[]>();
  for (const group of model.groups.values()) {
    if (!groupIsInProvider(group, provider)) {
      groupsElsewhere.set(group.name, group.providers ?? []);
      continue;
    }
    const eff = effective.get(group.name);
    const groupMembers = new Map<string, SourceLocation>();
    const expired = new Map<string, ExpiredGrant>();
    const nestedHere = new Set<string>();
    if (options.nativeNesting) {
      for (const [, entry] of detailedEntries(group)) {
        const inner = entry.kind === "group" ? model.groups.get(entry.group) : undefined;
        if (entry.kind === "group" && inner && groupIsInProvider(inner, provider)) {
          groupMembers.set(entry.group, entry.source);
          nestedHere.add(entry.group);
        }
      }
    }
    // With native nesting, membership that comes only through a nested group stays in that group.
    const held =
      nestedHere.size === 0
        ? (eff?.members.positions ?? new Int32Array(0))
        : unionPositions([
            eff?.own.positions ?? [],
            ...detailedEntries(group).flatMap(([, e]) =>
              e.kind === "group" && !nestedHere.has(e.group)
                ? [effective.get(e.group)?.members.positions ?? []]
                : [],
            ),
          ]);
    let positions = activeOnly(people, held);
    const maintainers = new Set<string>();
    const ownerOnly = new Map<number, SourceLocation>(); // position → owners line, for owners added as members
    if (provider.settings["maintainers"] === "owners") {
      const added: number[] = [];
      group.owners.forEach((owner, i) => {
        const p = people.index.position.get(owner);
        const account = p === undefined ? undefined : people.activeAccount[p];
        if (p === undefined || account === undefined) return;
        maintainers.add(account);
        if (holdsPosition(positions, p)) return;
        added.push(p);
        ownerOnly.set(p, group.ownerSources?.[i] ?? group.source);
      });
      if (added.length > 0) positions = unionPositions([positions, added]);
    }
    if (holdsAny) for (const p of positions) holdsAny[p] = 1;
    const members = explainedMembers(
      model,
      group.name,
      people,
      positions,
      ownerOnly.size === 0 ? NO_OWNERS : ownerOnly,
      nestedHere.size === 0 ? NO_NAMES : nestedHere,
      now,
    );
    // With native nesting, a grant that expired in a nested group is that group's business, not ours.
    const ownLines =
      nestedHere.size === 0
        ? undefined
        : new Set((group.members ?? []).map((e) => `${e.source.file}:${String(e.source.line)}`));
    for (const [userId, grant] of eff?.expired ?? []) {
      const p = people.index.position.get(userId);
      const account = p === undefined ? undefined : people.account[p];
      if (account === undefined || members.has(account)) continue;
      if (ownLines && !ownLines.has(`${grant.source.file}:${String(grant.source.line)}`)) continue;
      expired.set(account, grant);
    }
    groups.set(group.name, {
      name: group.name,
      source: group.source,
      managesMembers: group.members !== undefined,
      members,
      // Most of 20k groups have neither: one shared empty map instead of two each.
      groupMembers: groupMembers.size === 0 ? NONE : groupMembers,
      expired: expired.size === 0 ? NONE : expired,
      ...(maintainers.size > 0 ? { maintainers } : {}),
      ...(group.formerNames === undefined ? {} : { formerNames: group.formerNames }),
      ...(group.description === undefined ? {} : { description: group.description }),
      ...(group.sensitivity === "privileged" ? { isPrivileged: true as const } : {}),
    });
  }

  const users = new Map<string, DesiredUser>();
  const withoutAccess = new Map<string, string>();
  people.index.users.forEach((user, p) => {
    const account = people.account[p];
    if (account === undefined) return;
    const stands = people.lifecycle[p] ?? "active";
    if (holdsAny && holdsAny[p] !== 1 && stands !== "terminated") {
      withoutAccess.set(account, user.id);
      return;
    }
    users.set(account, desiredUserOf(user, account, stands));
  });
  // Accounts the journal saw gatehouse manage as someone's, which nobody in the files holds now.
  const formerOf = (user: User): string[] =>
    (journalAccounts?.get(`${provider.name}\n${user.id}`) ?? []).filter(
      (former) => !users.has(former) && !withoutAccess.has(former) && !people.positionOf.has(former),
    );
  // Accounts the files give to someone while the journal saw them as another's: several others, and
  // whose the account is now the journal cannot say (it is renamed for none of them, as formerAccounts).
  const othersOfSeveral = new Set<string>();
  const accountsOfOthers = othersAccounts(
    people,
    (account) => users.get(account)?.userId ?? withoutAccess.get(account),
    provider.name,
    journalAccounts,
    (user, p, account) => desiredUserOf(user, account, people.lifecycle[p] ?? "active"),
    othersOfSeveral,
  );
  const passedToNoGroup = withoutAccessOfOthers(accountsOfOthers, users, withoutAccess);
  const accountsOfPeopleGone = peopleGoneAccounts(people, users, provider.name, journalAccounts);
  // A leaver keeps no account anywhere: also under an account the files no longer name for them (an HR
  // export that dropped the mapping or the e-mail), when the journal saw gatehouse manage it as theirs.
  for (const [p, user] of people.index.users.entries()) {
    if (people.lifecycle[p] !== "terminated") continue;
    for (const former of formerOf(user)) users.set(former, desiredUserOf(user, former, "terminated"));
  }
  // Someone still here under another account: the accounts the journal saw as theirs before, also one
  // the files give to someone else now (it is still theirs until it is renamed away).
  const formerAccounts = new Map<string, string>();
  const ofSeveral = new Set<string>(othersOfSeveral);
  const passedOn = new Map<string, string[]>(); // user id → their accounts the files give to others
  for (const [account, { owner }] of [...accountsOfOthers, ...passedToNoGroup]) {
    const list = passedOn.get(owner.userId);
    if (list) list.push(account);
    else passedOn.set(owner.userId, [account]);
  }
  const formerOrPassedOn = (user: User): string[] => [...formerOf(user), ...(passedOn.get(user.id) ?? [])];
  if (journalAccounts !== undefined && journalAccounts.size > 0)
    for (const [p, user] of people.index.users.entries())
      if (people.lifecycle[p] !== "terminated" && people.account[p] !== undefined)
        for (const former of passedOn.size === 0 ? formerOf(user) : formerOrPassedOn(user)) {
          const known = formerAccounts.get(former);
          if (known !== undefined && known !== user.id) ofSeveral.add(former);
          formerAccounts.set(former, user.id);
        }
  return {
    provider: provider.name,
    users,
    groups,
    ...(groupsElsewhere.size > 0 ? { groupsElsewhere } : {}),
    ...(withoutAccess.size > 0 ? { withoutAccess } : {}),
    ...(formerAccounts.size > 0 ? { formerAccounts } : {}),
    ...(ofSeveral.size > 0 ? { formerAccountsOfSeveral: ofSeveral } : {}),
    ...(accountsOfOthers.size > 0 ? { accountsOfOthers } : {}),
    ...(accountsOfPeopleGone.size > 0 ? { accountsOfPeopleGone } : {}),
    personInFiles,
  };

  function personInFiles(userId: string, account: string): AccountOfAnother | undefined {
    const p = people.index.position.get(userId);
    const user = p === undefined ? undefined : people.index.users[p];
    if (p === undefined || user === undefined) return undefined;
    const ownerAccount = people.account[p];
    return {
      owner: desiredUserOf(user, account, people.lifecycle[p] ?? "active"),
      ...(ownerAccount === undefined ? {} : { ownerAccount }),
    };
  }

  function desiredUserOf(user: User, account: string, stands: Lifecycle): DesiredUser {
    return {
      userId: user.id,
      account,
      status: stands === "terminated" ? "terminated" : user.status,
      ...(stands === "terminated" ? leavingOf(user, now) : {}),
      ...(stands === "not-started" && user.startDate !== undefined ? { startsOn: user.startDate } : {}),
      enabled: isEnabled(user, model, stands),
      ...(user.legalHold === true ? { legalHold: true as const } : {}),
      ...(user.endDate === undefined ? {} : { endDate: user.endDate }),
      attributes: attributesOf(user, model, provider),
      source: user.source,
    };
  }
}

/**
 * The journal's accounts of this provider in the files' spelling, where the system ignores case
 * (filesSpelling): compared exactly, `Bea.Old`, bea's in the journal, would not be the `bea.old` the files
 * give ann, and the live account would be handed to ann by name. The same map when nothing is spelt otherwise.
 */
function journalInFilesSpelling(
  options: DesiredOptions,
  journal: ReadonlyMap<string, readonly string[]> | undefined,
  provider: string,
  people: ProviderPeople,
): ReadonlyMap<string, readonly string[]> | undefined {
  if (options.caseInsensitiveNames !== true || journal === undefined || journal.size === 0) return journal;
  const prefix = `${provider}\n`;
  const names = [...journal].flatMap(([key, accounts]) => (key.startsWith(prefix) ? accounts : []));
  if (names.length === 0) return journal;
  const filesAccounts = new Set<string>();
  for (const account of people.account) if (account !== undefined) filesAccounts.add(account);
  const renames = filesSpelling(names, filesAccounts);
  if (renames.size === 0) return journal;
  const out = new Map(journal);
  for (const [key, accounts] of journal)
    if (key.startsWith(prefix) && accounts.some((a) => renames.has(a)))
      out.set(key, [...new Set(accounts.map((a) => renames.get(a) ?? a))]);
  return out;
}

/**
 * DesiredState.accountsOfPeopleGone: each account the files give to someone (in `users`) that the journal
 * saw gatehouse manage for a user id no longer in the files at all, and never for them (`journalAccounts`
 * has a former id's accounts under the person's id now: formerIds). One pass over the journal's accounts
 * of this provider.
 */
function peopleGoneAccounts(
  people: ProviderPeople,
  users: ReadonlyMap<string, DesiredUser>,
  provider: string,
  journalAccounts: ReadonlyMap<string, readonly string[]> | undefined,
): Map<string, string> {
  const out = new Map<string, string>();
  if (journalAccounts === undefined || journalAccounts.size === 0) return out;
  const prefix = `${provider}\n`;
  for (const [key, accounts] of journalAccounts) {
    if (!key.startsWith(prefix)) continue;
    const id = key.slice(prefix.length);
    if (people.index.position.has(id)) continue;
    for (const account of accounts) {
      const holder = users.get(account)?.userId;
      if (holder === undefined || out.has(account)) continue;
      if (journalAccounts.get(`${prefix}${holder}`)?.includes(account) !== true) out.set(account, id);
    }
  }
  return out;
}

/**
 * Takes out of `accountsOfOthers` the accounts the files give to someone who holds none of this system's
 * groups (users: members), and returns them. That person gets no account, so nothing is handed to them;
 * but the live account of the name is still the other person's, not the account of someone without
 * access (`withoutAccess`, disabled as theirs): a leaver's is their entry in `users` (what a leaver is
 * due applies to it), anyone else's their former account (DesiredState.formerAccounts).
 */
function withoutAccessOfOthers(
  accountsOfOthers: Map<string, AccountOfAnother>,
  users: Map<string, DesiredUser>,
  withoutAccess: Map<string, string>,
): Map<string, AccountOfAnother> {
  const out = new Map<string, AccountOfAnother>();
  for (const [account, passed] of accountsOfOthers) {
    if (!withoutAccess.has(account)) continue;
    accountsOfOthers.delete(account);
    withoutAccess.delete(account);
    if (passed.owner.status === "terminated") users.set(account, passed.owner);
    else out.set(account, passed);
  }
  return out;
}

/**
 * DesiredState.accountsOfOthers: each account the files give to someone (`holderOf` gives their user id:
 * in `users`, or in `withoutAccess`) that the journal saw gatehouse manage for another person in the
 * files, and never for them. `entryOf` gives that other person's entry for the account; one the journal
 * saw as several others' is added to `ofSeveral` (the first of them is kept). One pass over the
 * journal's accounts of this provider.
 */
function othersAccounts(
  people: ProviderPeople,
  holderOf: (account: string) => string | undefined,
  provider: string,
  journalAccounts: ReadonlyMap<string, readonly string[]> | undefined,
  entryOf: (user: User, position: number, account: string) => DesiredUser,
  ofSeveral: Set<string>,
): Map<string, AccountOfAnother> {
  const out = new Map<string, AccountOfAnother>();
  if (journalAccounts === undefined || journalAccounts.size === 0) return out;
  const prefix = `${provider}\n`;
  for (const [key, accounts] of journalAccounts) {
    if (!key.startsWith(prefix)) continue;
    const p = people.index.position.get(key.slice(prefix.length));
    const user = p === undefined ? undefined : people.index.users[p];
    const ownerAccount = p === undefined ? undefined : people.account[p];
    if (p === undefined || user === undefined) continue;
    for (const account of accounts) {
      const holder = holderOf(account);
      if (holder === undefined || holder === user.id || account === ownerAccount) continue;
      if (journalAccounts.get(`${prefix}${holder}`)?.includes(account) === true) continue;
      if (out.has(account)) ofSeveral.add(account);
      else
        out.set(account, {
          owner: entryOf(user, p, account),
          ...(ownerAccount === undefined ? {} : { ownerAccount }),
        });
    }
  }
  return out;
}
