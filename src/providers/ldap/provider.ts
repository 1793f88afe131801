import { readFileSync } from "node:fs";
import path from "node:path";
import { ConfigError, ProviderError, registerSecret } from "../../errors.ts";
import type { ProviderConfig } from "../../model/access.ts";
import { formatLocation } from "../../model/source.ts";
import type { AccountElsewhere, LiveState } from "../../model/state.ts";
import type { StillNaming, UserRenameRewrites } from "../../plan/context.ts";
import type { Change, MembershipChange, UserChange } from "../../plan/types.ts";
import { renamedUserTo } from "../../plan/addresses.ts";
import type {
  Capabilities,
  ChangeOutcome,
  HeldOutside,
  Provider,
  ProviderContext,
  ProviderFactory,
  ProviderStats,
  UnreadMembership,
} from "../types.ts";
import { LdapClient } from "./client.ts";
import { Directory, RenameMadeError } from "./directory.ts";
import { LdapReader, type ElsewhereLookup } from "./incremental.ts";
import { toLiveState } from "./live.ts";
import { firstValue, stripUniqueMemberUid, valuesOf, type LdapEntry } from "./map.ts";
import { buildDn, escapeFilterValue, isDnUnder, normalizeDn } from "./dn.ts";
import {
  CASE_IGNORE_IA5,
  memberClauses,
  otherCaseValues,
  searchIgnoringCase,
  type MemberAttribute,
  type NamedLeaver,
} from "./member-clauses.ts";
import { entryDnFilter, userFilter } from "./queries.ts";
import { sameContextCsn } from "./snapshot.ts";
import { FileSnapshotStore, isWithinSnapshotAge } from "./snapshot-cache.ts";
import type { LdapSettings } from "./settings.ts";
import { danglingValuesNameAccounts, parseLdapSettings, rdnIsAccount } from "./settings.ts";
import { compareText } from "../../model/lists.ts";
import { memberWrites } from "../../plan/member-writes.ts";

/** Leavers per search for groups outside the scope read (three to seven filter clauses each). */
const OUTSIDE_SEARCH_BATCH = 100;

/**
 * The member attributes through which a group grants access, whichever one gatehouse manages: the entry's
 * DN in `member` (groupOfNames) and `uniqueMember` (groupOfUniqueNames), the account name in `memberUid`
 * (posixGroup, also beside `member` in an rfc2307bis group).
 */
const MEMBER_ATTRIBUTES: readonly MemberAttribute[] = [
  { name: "member", byDn: true },
  { name: "uniqueMember", byDn: true },
  { name: "memberUid", byDn: false },
];

/** A group an offboarding search found: its entry, and whether `read` returns it. */
interface ReadGroup {
  readonly dn: string;
  readonly entry: LdapEntry;
  readonly isRead: boolean;
}

/** Whether retrying a failed search may succeed (so it says nothing of the filter). */
const isTransientError = (error: unknown): boolean => error instanceof ProviderError && error.isTransient;

/** `dns` without repeats (as the directory compares DNs), in order. */
function uniqueDns(dns: readonly string[]): string[] {
  const seen = new Set<string>();
  return dns.filter((dn) => {
    const key = normalizeDn(dn);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Where `readCache` keeps snapshots, relative to the working directory (git-ignored, beside the parse cache). */
const CACHE_DIR = ".gatehouse/cache";

/** DNs looked up per search for LiveState.elsewhere (a filter of 200 DNs stays well under server limits). */
const ELSEWHERE_CHUNK = 200;

/**
 * What names an account by its name here, so a rename in place must rewrite it: memberUid holds the
 * account; member, uniqueMember and manager hold the entry's DN, whose RDN is the account where
 * rdnAttribute is the account attribute (with `rdnAttribute: cn` the DN stays). The plan lists these
 * rewrites whether or not refint would make them: it cannot see the server's overlays, and a write
 * that refint made first changes nothing.
 */
function renameRewrites(s: LdapSettings): UserRenameRewrites {
  const dnNamesAccount = rdnIsAccount(s);
  return {
    members: s.groups.flavour === "posixGroup" || dnNamesAccount,
    manager: dnNamesAccount && s.users.attributes.manager !== undefined,
  };
}

class LdapProvider implements Provider {
  readonly type = "ldap";
  readonly name: string;
  readonly capabilities: Capabilities;
  private readonly directory: Directory;
  private readonly reader: LdapReader;

  private readonly settings: LdapSettings;
  private readonly client: LdapClient;
  private readonly log: (line: string) => void;
  /** gatehouse.yaml's `nesting`, which posixGroup cannot honour. */
  private readonly nestingAsked: boolean;
  /** Where the read cache lives (`readCache: true`). */
  private readonly store: FileSnapshotStore | undefined;
  /** The last lookup of accounts held elsewhere (accountsElsewhere). */
  private lastElsewhere: ElsewhereLookup | undefined;
  /** The clock (ms since the epoch). */
  private readonly now: () => number;

  constructor(config: ProviderConfig, settings: LdapSettings, client: LdapClient, context: ProviderContext) {
    this.name = config.name;
    this.now = () => context.now().getTime();
    this.settings = settings;
    this.memberUidCase = { ignoreCase: settings.flavour !== "activeDirectory" };
    this.client = client;
    this.log = context.log ?? (() => undefined);
    // The host's clock, not the plan's instant: refint's lag is waited out on it, and what the read found
    // is reused for 2 minutes of real time (an apply confirmed at a prompt later reads again).
    const clock = (): number => context.clock?.() ?? context.now().getTime();
    this.directory = new Directory(config.name, settings, client, clock);
    this.store = settings.readCache
      ? new FileSnapshotStore(path.join(context.cwd, CACHE_DIR), settings, {
          name: config.name,
          log: this.log,
          now: context.now,
        })
      : undefined;
    this.reader = new LdapReader({
      name: config.name,
      settings,
      client,
      log: this.log,
      now: context.now,
      clock,
      ...(this.store ? { store: this.store } : {}),
    });
    this.nestingAsked = config.nesting;
    this.capabilities = {
      nesting: config.nesting && settings.groups.flavour !== "posixGroup",
      disable: "disable",
      revokeSessions: false,
      maxMembersPerWrite: settings.maxMembersPerWrite,
      userAttributes: Object.keys(settings.users.attributes),
      createUsers: true,
      groupDescription: true,
      // modifyDN to a new cn under the same parent; members stay.
      renameGroups: true,
      // modifyDN to the new account (Directory.renameUser). Not on Active Directory: its CN and
      // userPrincipalName would have to follow the sAMAccountName, which no test here covers yet.
      renameUsers: settings.flavour !== "activeDirectory",
      userRenameRewrites: renameRewrites(settings),
      caseInsensitiveNames: true,
    };
  }

  async read(signal: AbortSignal): Promise<LiveState> {
    const stamped = this.stampForRead;
    this.stampForRead = undefined;
    this.stampOfRead = null;
    const { users, groups } = await this.reader.read(signal);
    const unchanged = this.reader.unchangedStamp();
    // A read that started from a stamp knows whether the state it returned is that stamp's; any other
    // read leaves the next liveStamp to ask the server.
    this.stampOfRead =
      stamped === undefined
        ? null
        : unchanged !== undefined && sameContextCsn(unchanged, stamped.stamp)
          ? stamped.text
          : undefined;
    this.directory.remember(users, groups);
    const unsettled = this.reader.unsettledKeys();
    this.unsettled = new Set(
      unsettled.size === 0
        ? []
        : groups.flatMap((g) => {
            const name = firstValue(g, "cn");
            return name !== undefined && unsettled.has(normalizeDn(g.dn)) ? [name] : [];
          }),
    );
    const read = toLiveState(users, groups, this.settings, this.capabilities.nesting);
    for (const note of read.notes) this.log(`${this.name}: ${note}`);
    const elsewhere = await this.accountsElsewhere(read.outside, read.state, signal);
    const state = elsewhere.length > 0 ? { ...read.state, elsewhere } : read.state;
    // Said in the plan, not only in a log line: the operator asked for nesting and does not get it.
    if (this.nestingAsked && !this.capabilities.nesting)
      return {
        ...state,
        notes: [
          ...(state.notes ?? []),
          `nesting: true does not apply: posixGroup cannot hold groups, so a nested group's members are listed in each group that nests it`,
        ],
      };
    return state;
  }

  /** The groups (by cn) the last read kept unsettled: refint may still be rewriting them. */
  private unsettled: ReadonlySet<string> = new Set();

  unsettledGroups(): ReadonlySet<string> {
    return this.unsettled;
  }

  /**
   * The directory's stamp, when the read cache holds a snapshot settled under exactly that stamp (see
   * SettledStamp): a read now would return that snapshot as it is, so the stamp stands for the live state.
   * Two searches (the ones such a read starts with). Undefined without `readCache`, without a settled
   * snapshot under 24 hours old, or when the server's stamp cannot vouch for its content.
   */
  async liveStamp(signal: AbortSignal): Promise<string | undefined> {
    // Right after a read: that read's stamp, without asking the server again (see read).
    if (this.stampOfRead !== null) {
      const stamp = this.stampOfRead;
      this.stampOfRead = null;
      return stamp;
    }
    const settled = await this.store?.loadSettled();
    if (settled === undefined) return undefined;
    const now = await this.reader.currentStamp(signal, settled.stamp);
    if (now === undefined) return undefined;
    this.stampForRead = { stamp: now, text: JSON.stringify([[...now].sort(), settled.fullReadAt]) };
    return this.stampForRead.text;
  }

  /** What liveStamp last found, for the read that follows it (which starts from that stamp). */
  private stampForRead: { readonly stamp: readonly string[]; readonly text: string } | undefined;
  /**
   * The liveStamp of the state the last read returned, for the next liveStamp call, when that read started
   * from the stamp liveStamp had found: that stamp when the read found nothing changed under it, else
   * undefined (the state moved on). Null: no such read since the last liveStamp.
   */
  private stampOfRead: string | undefined | null = null;

  /**
   * The user entries among `dns` (named by entries read, outside the scopes read: LiveState.elsewhere),
   * with their account names, leaving out accounts read in scope. One search per 200 DNs, under the base
   * DN with the people filter, so a group, a contact or a foreign principal is no account.
   */
  private async accountsElsewhere(
    dns: readonly string[],
    live: LiveState,
    signal: AbortSignal,
  ): Promise<readonly AccountElsewhere[]> {
    if (dns.length === 0) return [];
    // Looked up again unless this read found nothing changed since the stamp of the last lookup of the
    // same DNs: a read with nothing changed stays at its two searches.
    const unchanged = this.reader.unchangedStamp();
    this.lastElsewhere ??= await this.store?.loadElsewhere();
    const last = this.lastElsewhere;
    if (
      unchanged !== undefined &&
      last !== undefined &&
      isWithinSnapshotAge(last.at, this.now()) &&
      sameContextCsn(last.stamp, unchanged) &&
      last.dns.length === dns.length &&
      last.dns.every((dn, i) => dn === dns[i])
    )
      return last.accounts;
    const stamp = this.reader.stamp();
    const accounts = await this.lookUpElsewhere(dns, live, signal);
    if (stamp !== undefined) {
      this.lastElsewhere = { stamp, dns, accounts, at: this.now() };
      await this.store?.saveElsewhere(this.lastElsewhere);
    }
    return accounts;
  }

  private async lookUpElsewhere(
    dns: readonly string[],
    live: LiveState,
    signal: AbortSignal,
  ): Promise<AccountElsewhere[]> {
    const s = this.settings;
    const inScope = new Set(live.users.map((u) => u.account.toLowerCase()));
    const found = new Map<string, AccountElsewhere>();
    for (let i = 0; i < dns.length; i += ELSEWHERE_CHUNK) {
      const entries = await this.client.search(
        {
          base: s.baseDn,
          scope: "sub",
          filter: entryDnFilter(s, userFilter(s), dns.slice(i, i + ELSEWHERE_CHUNK)),
          attributes: [s.users.accountAttribute],
          paged: true,
        },
        signal,
      );
      for (const entry of entries) {
        const account = firstValue(entry, s.users.accountAttribute);
        const key = account?.toLowerCase();
        if (account === undefined || key === undefined || inScope.has(key)) continue;
        const where = found.get(key)?.where;
        if (where === undefined || entry.dn < where) found.set(key, { account, where: entry.dn });
      }
    }
    return [...found.values()].sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0));
  }

  /** The read in progress for keepFresh, shared by the batches that wait for it. */
  private refreshing: Promise<void> | undefined;

  /**
   * Reads again (incrementally where it can) when the entries remembered from the plan's read are too old
   * to serve apply's lookups: an apply confirmed at a prompt later, or one running for minutes. One read
   * instead of a search or more for each group still to write (thousands in a large import).
   */
  private async keepFresh(signal: AbortSignal): Promise<void> {
    if (!this.directory.isStale()) return;
    this.refreshing ??= (async () => {
      this.log(`${this.name}: the entries read for the plan are over 2 minutes old; reading again`);
      const { users, groups } = await this.reader.read(signal);
      this.directory.remember(users, groups);
    })().finally(() => {
      this.refreshing = undefined;
    });
    await this.refreshing;
  }

  async apply(changes: readonly Change[], signal: AbortSignal): Promise<ChangeOutcome[]> {
    // What a read before the writes vouched for is gone with them.
    this.stampOfRead = null;
    this.stampForRead = undefined;
    // A read that fails here leaves the lookups to search, as they do without remembered entries.
    await this.keepFresh(signal).catch((error: unknown) => {
      if (signal.aborted) throw error;
      this.directory.forgetAll();
    });
    const writesBefore = this.client.writes;
    try {
      return await this.applyAll(changes, signal);
    } finally {
      await this.reader.noteWrites(this.client.writes - writesBefore);
    }
  }

  private async applyAll(changes: readonly Change[], signal: AbortSignal): Promise<ChangeOutcome[]> {
    const outcomes: ChangeOutcome[] = [];
    let i = 0;
    while (i < changes.length) {
      const change = changes[i];
      if (!change) break;
      if (change.kind === "membership") {
        // The run of this group's membership changes, written as memberWrites splits it (a member move's
        // add and removal in one write); outcomes in the order the changes came.
        const run: MembershipChange[] = [change];
        for (let j = i + 1; j < changes.length; j++) {
          const next = changes[j];
          if (next?.kind !== "membership" || next.group !== change.group) break;
          run.push(next);
        }
        const byChange = new Map<MembershipChange, ChangeOutcome>();
        for (const write of memberWrites(run, this.settings.maxMembersPerWrite)) {
          const written = await this.applyMembers(change.group, write, signal);
          write.forEach((c, k) => {
            const outcome = written[k];
            if (outcome !== undefined) byChange.set(c, outcome);
          });
        }
        for (const c of run)
          outcomes.push(
            byChange.get(c) ?? {
              status: "failed",
              error: new ProviderError(this.name, "change members", "no outcome for this change"),
            },
          );
        i += run.length;
        continue;
      }
      outcomes.push(await this.applyOne(change, signal));
      i++;
    }
    return outcomes;
  }

  private async applyOne(
    change: Exclude<Change, MembershipChange>,
    signal: AbortSignal,
  ): Promise<ChangeOutcome> {
    try {
      if (change.kind === "group") {
        await this.directory.applyGroup(change, signal);
        return { status: "applied" };
      }
      if (change.action === "create" || change.action === "update") {
        const name = change.action === "create" ? change.account : renamedUserTo(change);
        if (change.heldBefore === true && name !== undefined) await this.refuseIfNamed(name, change, signal);
      }
      await this.directory.applyUser(change, signal);
      const id =
        change.action === "disable" || change.action === "delete"
          ? this.directory.idOf(change.account)
          : undefined;
      return id === undefined ? { status: "applied" } : { status: "applied", accountId: id };
    } catch (error) {
      const failed = this.wrap(error, `${change.kind} ${change.action}`);
      return error instanceof RenameMadeError
        ? { status: "failed", error: failed, accountMade: true }
        : { status: "failed", error: failed };
    }
  }

  /**
   * The re-check right before making an account under a name another person held (UserChange.heldBefore):
   * the plan found nothing still naming it, but values may have been added since. Throws, naming them.
   */
  private async refuseIfNamed(name: string, change: UserChange, signal: AbortSignal): Promise<void> {
    const left = (await this.stillNaming([name], signal)).get(name);
    if (left === undefined) return;
    const what = [
      ...left.outside.map((dn) => `group ${dn}`),
      ...left.unread.map((u) => `${u.attribute} of group ${u.group}`),
      ...left.managerOf.map((dn) => `the manager of ${dn}`),
    ];
    const made = change.action === "create" ? `created` : `renamed from ${change.account}`;
    throw new ProviderError(
      this.name,
      `user ${change.action}`,
      `"${name}" was not ${made}: the name was another person's, and values they left still name it (${what.join(", ")}); whoever holds ${name} would get that access. Remove ${name} from there, then run gatehouse again`,
    );
  }

  private async applyMembers(
    group: string,
    batch: readonly MembershipChange[],
    signal: AbortSignal,
  ): Promise<ChangeOutcome[]> {
    try {
      const errors = await this.directory.applyMembers(group, batch, signal);
      return errors.map((error) => (error ? { status: "failed", error } : { status: "applied" }));
    } catch (error) {
      const failure = this.wrap(error, "change members");
      return batch.map(() => ({ status: "failed", error: failure }));
    }
  }

  private wrap(error: unknown, operation: string): ProviderError {
    if (error instanceof ProviderError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new ProviderError(this.name, operation, message, { cause: error });
  }

  /**
   * What still names these accounts as members beyond what `read` maps: groups `read` does not return
   * (outside the groups OU, or of another object class) naming them by any member attribute, and groups it
   * returns naming them through a member attribute other than `groups.memberAttribute` (an rfc2307bis
   * group's `memberUid` beside `member`), which `read` never sees. An account is named by its entry's DN
   * (`member`, `uniqueMember`), the DNs this apply moved or deleted it from (refint may not have rewritten
   * the values yet, or there is no refint), and its account value (`memberUid`); an account with no entry
   * any more, also by the DN gatehouse would create it at, where a value naming that DN stands for it.
   * One search per 100 leavers, which returns the groups' member values to tell whose each group is.
   */
  async groupsOutsideHolding(
    accounts: readonly string[],
    signal: AbortSignal,
    actedAs?: ReadonlyMap<string, string>,
  ): Promise<ReadonlyMap<string, HeldOutside>> {
    const s = this.settings;
    const wanted = [...new Set(accounts)];
    const { found, ambiguous } = await this.directory.findUsers(wanted, signal, { fresh: true });
    // Where the RDN is not the account attribute (`cn`), `cn=bea` may be someone else's entry.
    const isAccountRdn = rdnIsAccount(s);
    const leavers = wanted.map((account): NamedLeaver => {
      const entry = found.get(account);
      const before = actedAs?.get(account);
      const dns = [
        ...(entry === undefined ? [] : [entry.dn]),
        ...this.directory.formerDnsOf(account),
        ...(before === undefined ? [] : this.directory.formerDnsOf(before)),
      ];
      // Gone: a value naming where gatehouse creates the account names whoever is created there next. Only
      // where the RDN is the account attribute, and not when several entries hold the name in other cases
      // (one of them would be that DN).
      if (entry === undefined && !ambiguous.has(account) && isAccountRdn && danglingValuesNameAccounts(s))
        for (const parent of [s.users.dn, ...(s.disable.method === "move" ? [s.disable.dn] : [])])
          dns.push(buildDn(s.users.rdnAttribute, account, parent));
      const name = (entry && firstValue(entry, s.users.accountAttribute)) ?? account;
      return { account, dns: uniqueDns(dns), name };
    });
    const out = new Map<string, HeldOutside>();
    // One search for many leavers (a mass offboarding is thousands), returning the groups' member values:
    // whose each group is, and through which attribute, is read off them, not searched for leaver by leaver.
    const managed = s.groups.memberAttribute.toLowerCase();
    for (let i = 0; i < leavers.length; i += OUTSIDE_SEARCH_BATCH) {
      const batch = leavers.slice(i, i + OUTSIDE_SEARCH_BATCH);
      const byDn = new Map<string, NamedLeaver>();
      const byName = new Map<string, NamedLeaver>();
      for (const leaver of batch) {
        for (const dn of leaver.dns) byDn.set(normalizeDn(dn), leaver);
        byName.set(leaver.name.toLowerCase(), leaver);
      }
      const groups = await this.groupsNaming(
        (ignoreCase) => batch.map((l) => memberClauses(l, MEMBER_ATTRIBUTES, ignoreCase)).join(""),
        signal,
      );
      const found = new Map<NamedLeaver, { outside: Set<string>; unread: UnreadMembership[] }>();
      const hold = (
        leaver: NamedLeaver,
        g: { dn: string; isRead: boolean },
        held: UnreadMembership,
      ): void => {
        let got = found.get(leaver);
        if (got === undefined) found.set(leaver, (got = { outside: new Set(), unread: [] }));
        if (!g.isRead) got.outside.add(g.dn);
        else if (
          !got.unread.some(
            (u) => u.group === held.group && u.attribute === held.attribute && u.value === held.value,
          )
        )
          got.unread.push(held);
      };
      for (const g of groups) {
        let isMatched = false;
        for (const attribute of MEMBER_ATTRIBUTES) {
          // A group `read` returns shows whom it names by the attribute it reads in `groups`: by DN, and by
          // an account value spelt as the account is. One in another case (posixGroup `memberUid: Ben` for
          // ben) the read maps to no one: a membership it neither shows nor removes.
          const isMapped = g.isRead && attribute.name.toLowerCase() === managed;
          for (const value of valuesOf(g.entry, attribute.name)) {
            // DNs as the directory compares them; account values whatever their case (the filter decided the
            // match, ignoring case where the server allows it).
            const leaver = attribute.byDn
              ? byDn.get(normalizeDn(stripUniqueMemberUid(value)))
              : byName.get(value.toLowerCase());
            if (leaver === undefined) continue;
            isMatched = true;
            if (isMapped && (attribute.byDn || otherCaseValues([value], leaver.name).length === 0)) continue;
            hold(
              leaver,
              g,
              isMapped
                ? { group: g.dn, attribute: attribute.name, value }
                : { group: g.dn, attribute: attribute.name },
            );
          }
        }
        // The server matched a value this did not tell apart (a DN spelt in a way normalizeDn does not
        // undo): the group is asked, leaver by leaver and attribute by attribute, rather than left out.
        if (!isMatched)
          for (const leaver of batch)
            for (const attribute of MEMBER_ATTRIBUTES) {
              if (g.isRead && attribute.name.toLowerCase() === managed) continue;
              const clauses = memberClauses(leaver, [attribute], this.memberUidCase.ignoreCase);
              if (clauses !== "" && (await this.namesIn(g.dn, clauses, signal)))
                hold(leaver, g, { group: g.dn, attribute: attribute.name });
            }
      }
      for (const [leaver, held] of found) {
        const unread = held.unread.sort(
          (a, b) => compareText(a.group, b.group) || compareText(a.attribute, b.attribute),
        );
        out.set(leaver.account, { outside: [...held.outside].sort(compareText), unread });
      }
    }
    return out;
  }

  /** Whether the entry at `dn` matches any of `clauses` (an OR of member filters). */
  private async namesIn(dn: string, clauses: string, signal: AbortSignal): Promise<boolean> {
    const entries = await this.client.search(
      { base: dn, scope: "base", filter: `(|${clauses})`, attributes: ["1.1"], paged: false },
      signal,
    );
    return entries.length > 0;
  }

  /**
   * What still names these account names (none of which has an entry here) beyond what `read` shows: the
   * groups groupsOutsideHolding finds (by the DN gatehouse would create each at, and by the account value),
   * and the entries outside the people and disabled OUs whose manager names that DN (`read` maps the
   * manager of the entries it reads; the plan judges those). One search per 100 names for the managers.
   */
  async stillNaming(
    accounts: readonly string[],
    signal: AbortSignal,
  ): Promise<ReadonlyMap<string, StillNaming>> {
    const s = this.settings;
    const groups = await this.groupsOutsideHolding(accounts, signal);
    const managers = new Map<string, string[]>();
    // Only where DNs name the account: with another RDN, the entry made under the name gets a DN of its own.
    if (rdnIsAccount(s)) {
      const attribute = s.users.attributes.manager ?? "manager";
      const read = [s.users.dn, ...(s.disable.method === "move" ? [s.disable.dn] : [])];
      for (let i = 0; i < accounts.length; i += OUTSIDE_SEARCH_BATCH) {
        const byDn = new Map(
          accounts
            .slice(i, i + OUTSIDE_SEARCH_BATCH)
            .map((account) => [normalizeDn(buildDn(s.users.rdnAttribute, account, s.users.dn)), account]),
        );
        const terms = [...byDn.keys()].map((dn) => `(${attribute}=${escapeFilterValue(dn)})`);
        const entries = await this.client.search(
          {
            base: s.baseDn,
            scope: "sub",
            filter: `(|${terms.join("")})`,
            attributes: [attribute],
            paged: true,
          },
          signal,
        );
        const manages = (account: string, dn: string): void => {
          const list = managers.get(account);
          if (list === undefined) managers.set(account, [dn]);
          else if (!list.includes(dn)) list.push(dn);
        };
        for (const entry of entries) {
          if (read.some((ou) => isDnUnder(entry.dn, ou))) continue;
          let isMatched = false;
          for (const value of valuesOf(entry, attribute)) {
            const account = byDn.get(normalizeDn(value));
            if (account === undefined) continue;
            isMatched = true;
            manages(account, entry.dn);
          }
          // Matched by the server in a spelling normalizeDn does not undo: asked name by name.
          if (!isMatched)
            for (const [dn, account] of byDn)
              if (await this.namesIn(entry.dn, `(${attribute}=${escapeFilterValue(dn)})`, signal))
                manages(account, entry.dn);
        }
      }
    }
    const out = new Map<string, StillNaming>();
    for (const account of new Set(accounts)) {
      const held = groups.get(account);
      const managerOf = (managers.get(account) ?? []).sort(compareText);
      if (held === undefined && managerOf.length === 0) continue;
      out.set(account, { outside: held?.outside ?? [], unread: held?.unread ?? [], managerOf });
    }
    return out;
  }

  /**
   * Whether account values are searched whatever their case (`memberUid:caseIgnoreIA5Match:=`), until a
   * server refuses it. Not on Active Directory, which knows no matching rule by that name.
   */
  private readonly memberUidCase: { ignoreCase: boolean };

  private refusedCaseIgnore(error: unknown): void {
    this.memberUidCase.ignoreCase = false;
    const message = error instanceof Error ? error.message : String(error);
    this.log(
      `${this.name}: the server refused the ${CASE_IGNORE_IA5} filter on memberUid (${message}); searches for groups naming an account (the offboarding check, and names passed on) match memberUid values as spelt from now on, so a group naming one in another case (Ben for ben) is not found`,
    );
  }

  /**
   * The groups naming any of the clauses `clausesOf` makes (an OR of member filters; with `ignoreCase`,
   * also account values in another case), by DN, sorted, with their member values (`entry`), and whether
   * `read` returns each. A server that refuses the case-ignoring clauses is asked without them
   * (searchIgnoringCase), and the log says so.
   */
  private async groupsNaming(
    clausesOf: (ignoreCase: boolean) => string,
    signal: AbortSignal,
  ): Promise<ReadGroup[]> {
    const plain = clausesOf(false);
    const withCase = clausesOf(true);
    const search = (ignoreCase: boolean): Promise<ReadGroup[]> =>
      this.searchGroups(
        `(|${ignoreCase ? withCase : plain})`,
        MEMBER_ATTRIBUTES.map((a) => a.name),
        signal,
      );
    // Nothing to ask ignoring case (DN clauses only): no second search if the server refuses this one.
    if (withCase === plain) return search(false);
    const onFallback = (error: unknown): void => {
      this.refusedCaseIgnore(error);
    };
    return searchIgnoringCase(this.memberUidCase, search, onFallback, isTransientError);
  }

  /** The groups `filter` finds under the base DN, sorted by DN, and whether `read` returns each. */
  private async searchGroups(
    filter: string,
    attributes: readonly string[],
    signal: AbortSignal,
  ): Promise<ReadGroup[]> {
    const s = this.settings;
    const groups = await this.client.search(
      { base: s.baseDn, scope: "sub", filter, attributes: ["objectClass", ...attributes], paged: true },
      signal,
    );
    // Only the groups `read` returns count as read: under the groups OU and of the groups' object class.
    // Another class there (a legacy posixGroup beside groupOfNames) is never read, and grants access too.
    const groupClass = s.groups.objectClass.toLowerCase();
    return groups
      .map((g) => ({
        dn: g.dn,
        entry: g,
        isRead:
          isDnUnder(g.dn, s.groups.dn) &&
          valuesOf(g, "objectClass").some((c) => c.toLowerCase() === groupClass),
      }))
      .sort((a, b) => compareText(a.dn, b.dn));
  }

  /** OpenLDAP: the user entries holding these entryUUIDs, under the whole base; one search per 200. */
  async accountsById(ids: readonly string[], signal: AbortSignal): Promise<ReadonlyMap<string, string>> {
    const s = this.settings;
    const out = new Map<string, string>();
    if (s.flavour === "activeDirectory") return out;
    for (let i = 0; i < ids.length; i += ELSEWHERE_CHUNK) {
      const terms = ids.slice(i, i + ELSEWHERE_CHUNK).map((id) => `(entryUUID=${escapeFilterValue(id)})`);
      const entries = await this.client.search(
        {
          base: s.baseDn,
          scope: "sub",
          filter: `(&${userFilter(s)}(|${terms.join("")}))`,
          attributes: [s.users.accountAttribute, "entryUUID"],
          paged: true,
        },
        signal,
      );
      for (const entry of entries) {
        const id = firstValue(entry, "entryUUID");
        const account = firstValue(entry, s.users.accountAttribute);
        if (id !== undefined && account !== undefined) out.set(id, account);
      }
    }
    return out;
  }

  stats(): ProviderStats {
    return { reads: this.client.reads, writes: this.client.writes };
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** The `ldap` provider: OpenLDAP or Active Directory over ldapts. See README.md beside this file. */
export const createLdapProvider: ProviderFactory = (config, context: ProviderContext) => {
  const settings = parseLdapSettings(config, context.cwd);
  const where = `${formatLocation(config.source)} provider "${config.name}"`;
  const password = context.env[settings.passwordEnv];
  if (password === undefined || password === "") {
    throw new ConfigError(
      `${where}: environment variable ${settings.passwordEnv} (setting "passwordEnv") is not set`,
    );
  }
  registerSecret(password);
  let ca: string | undefined;
  if (settings.caFile !== undefined) {
    try {
      ca = readFileSync(settings.caFile, "utf8");
    } catch (error) {
      throw new ConfigError(`${where}: setting "caFile": cannot read ${settings.caFile}`, [], {
        cause: error,
      });
    }
  }
  const client = new LdapClient({
    provider: config.name,
    url: settings.url,
    startTls: settings.startTls,
    ...(ca === undefined ? {} : { ca }),
    bindDn: settings.bindDn,
    password,
    passwordEnv: settings.passwordEnv,
    timeoutMs: settings.timeoutMs,
    pageSize: settings.pageSize,
    rangeSize: settings.rangeSize,
    isActiveDirectory: settings.flavour === "activeDirectory",
  });
  return new LdapProvider(config, settings, client, context);
};
