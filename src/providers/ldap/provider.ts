import { readFileSync } from "node:fs";
import path from "node:path";
import { AndFilter, EqualityFilter, FilterParser, OrFilter, type Filter } from "ldapts";
import { ConfigError, ProviderError, registerSecret, messageOf } from "../../errors.ts";
import type { ProviderConfig } from "../../model/access.ts";
import { formatLocation } from "../../model/source.ts";
import type { AccountElsewhere, CannotCreate, LiveState } from "../../model/state.ts";
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
  SignIns,
} from "../types.ts";
import { LdapClient } from "./client.ts";
import { groupsOutsideHolding, stillNaming, type NamingContext } from "./still-naming.ts";
import { readSignIns } from "./sign-ins.ts";
import { Directory, RenameMadeError, stableIdAttribute } from "./directory.ts";
import { LdapReader, type ElsewhereLookup } from "./incremental.ts";
import { strangerDns, toLiveState, withNonPersons } from "./live.ts";
import { nonPersonKind, type NonPerson } from "./stranger-notes.ts";
import { claimsOn, nameClaimsFilter, namesTakenByUpn, UPN } from "./upn.ts";
import type { LdapEntry } from "./map.ts";
import { appendAll, byAccountThenWhere, compareText } from "../../model/lists.ts";
import { departmentOu, firstValue } from "./map.ts";
import { escapeFilterValue, normalizeDn } from "./dn.ts";
import { entryDnFilter, groupFilter, userFilter } from "./queries.ts";
import { sameContextCsn } from "./snapshot.ts";
import { FileSnapshotStore, isWithinSnapshotAge } from "./snapshot-cache.ts";
import type { LdapSettings } from "./settings.ts";
import { parseLdapSettings, rdnIsAccount } from "./settings.ts";
import { memberWrites } from "../../plan/member-writes.ts";

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
  /** What the searches for values still naming accounts use (still-naming.ts). */
  private readonly naming: NamingContext;
  /** Set unless `lastLoginAttribute: null` (Provider.signIns). */
  readonly signIns?: (signal: AbortSignal) => Promise<SignIns>;

  constructor(config: ProviderConfig, settings: LdapSettings, client: LdapClient, context: ProviderContext) {
    this.name = config.name;
    this.now = () => context.now().getTime();
    this.settings = settings;
    this.client = client;
    this.log = context.log ?? (() => undefined);
    // The host's clock, not the plan's instant: refint's lag is waited out on it, and what the read found
    // is reused for 2 minutes of real time (an apply confirmed at a prompt later reads again).
    const clock = (): number => context.clock?.() ?? context.now().getTime();
    this.directory = new Directory(config.name, settings, client, clock);
    this.naming = {
      settings,
      client,
      directory: this.directory,
      // Not on Active Directory, which knows no matching rule of that name.
      memberUidCase: { ignoreCase: settings.flavour !== "activeDirectory" },
      log: (line) => {
        this.log(`${config.name}: ${line}`);
      },
    };
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
    const lastLogin = settings.lastLoginAttribute;
    if (lastLogin !== undefined) this.signIns = (signal) => readSignIns(settings, lastLogin, client, signal);
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
      // AD has no refint lag: the offboarding check's second read would find what its first found.
      ...(settings.flavour === "activeDirectory" ? { settledOnWrite: true, expiresAccounts: true } : {}),
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
    const dns = [...new Set([...read.outside, ...strangerDns(read, this.settings)])].sort(compareText);
    const named = await this.lookUpNamed(dns, read.state, signal);
    const elsewhere = named.accounts;
    const kinds = new Map(named.nonPersons.map((n) => [normalizeDn(n.dn), n.kind]));
    const classified = withNonPersons(read, kinds, this.settings, this.capabilities.nesting);
    // In a fixed order (the lookup's entries come in the server's): the state is digested and compared.
    const namesTaken = [...(classified.namesTaken ?? []), ...named.namesTaken].sort(byAccountThenWhere);
    const state = {
      ...classified,
      ...(elsewhere.length > 0 ? { elsewhere } : {}),
      ...(namesTaken.length > 0 ? { namesTaken } : {}),
    };
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
   * with their account names, leaving out accounts read in scope; on Active Directory also the computers
   * and contacts among them (and among the member values under the people OU that the people filter left
   * out), which are no person's account. One search per 200 DNs, under the base DN with the people filter
   * (AD: or computer, or contact), so a group or a foreign principal is no account.
   */
  private async lookUpNamed(
    dns: readonly string[],
    live: LiveState,
    signal: AbortSignal,
  ): Promise<Pick<ElsewhereLookup, "accounts" | "nonPersons" | "namesTaken">> {
    if (dns.length === 0) return { accounts: [], nonPersons: [], namesTaken: [] };
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
      return last;
    const stamp = this.reader.stamp();
    const found = await this.searchNamed(dns, live, signal);
    if (stamp !== undefined) {
      this.lastElsewhere = { stamp, dns, ...found, at: this.now() };
      await this.store?.saveElsewhere(this.lastElsewhere);
    }
    return found;
  }

  private async searchNamed(
    dns: readonly string[],
    live: LiveState,
    signal: AbortSignal,
  ): Promise<Pick<ElsewhereLookup, "accounts" | "nonPersons" | "namesTaken">> {
    const s = this.settings;
    const isAd = s.flavour === "activeDirectory";
    const scopeFilter = isAd
      ? `(|${userFilter(s)}(objectClass=computer)(objectClass=contact))`
      : userFilter(s);
    const inScope = new Set(live.users.map((u) => u.account.toLowerCase()));
    const found = new Map<string, AccountElsewhere>();
    const nonPersons = new Map<string, NonPerson>();
    const people: LdapEntry[] = [];
    for (let i = 0; i < dns.length; i += ELSEWHERE_CHUNK) {
      const entries = await this.client.search(
        {
          base: s.baseDn,
          scope: "sub",
          filter: entryDnFilter(s, scopeFilter, dns.slice(i, i + ELSEWHERE_CHUNK)),
          attributes: isAd ? [s.users.accountAttribute, "objectClass", UPN] : [s.users.accountAttribute],
          paged: true,
        },
        signal,
      );
      for (const entry of entries) {
        const kind = isAd ? nonPersonKind(entry) : undefined;
        if (kind !== undefined) {
          nonPersons.set(normalizeDn(entry.dn), { dn: entry.dn, kind });
          continue;
        }
        people.push(entry);
        const account = firstValue(entry, s.users.accountAttribute);
        const key = account?.toLowerCase();
        if (account === undefined || key === undefined || inScope.has(key)) continue;
        const where = found.get(key)?.where;
        if (where === undefined || entry.dn < where) found.set(key, { account, where: entry.dn });
      }
    }
    return {
      accounts: [...found.values()].sort((a, b) =>
        a.account < b.account ? -1 : a.account > b.account ? 1 : 0,
      ),
      nonPersons: [...nonPersons.values()].sort((a, b) => compareText(a.dn, b.dn)),
      namesTaken: namesTakenByUpn(people, s, inScope),
    };
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
        // The entry's stable id, journalled with the change: a later plan finds the group renamed by hand by it.
        const groupId = this.directory.groupIdOf(change.group);
        return groupId === undefined ? { status: "applied" } : { status: "applied", accountId: groupId };
      }
      if (change.action === "create" || change.action === "update") {
        const name = change.action === "create" ? change.account : renamedUserTo(change);
        if (change.heldBefore === true && name !== undefined) await this.refuseIfNamed(name, change, signal);
      }
      await this.directory.applyUser(change, signal);
      // The entry's stable id, journalled with the change: the offboarding check follows a disabled or
      // deleted account by it, and a later plan finds a leaver's account renamed by hand by it.
      const id = this.directory.idOf(change.account);
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
    const left = (await stillNaming(this.naming, [name], signal)).get(name);
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
    const message = messageOf(error);
    return new ProviderError(this.name, operation, message, { cause: error });
  }

  groupsOutsideHolding(
    accounts: readonly string[],
    signal: AbortSignal,
    actedAs?: ReadonlyMap<string, string>,
  ): Promise<ReadonlyMap<string, HeldOutside>> {
    return groupsOutsideHolding(this.naming, accounts, signal, actedAs, true);
  }

  stillNaming(accounts: readonly string[], signal: AbortSignal): Promise<ReadonlyMap<string, StillNaming>> {
    return stillNaming(this.naming, accounts, signal);
  }

  /**
   * Active Directory: the entries anywhere in the domain, beyond the scope read, that hold or claim these
   * account names (sAMAccountName, userPrincipalName), which the plan would create: the add would fail.
   * One search per 200 names under the base DN; nothing on other servers, which hold no such rule. With
   * people.ouByDepartment, the OUs these accounts would be created in are looked up too (one base search
   * each): an account whose OU does not exist cannot be created (cannotCreate), which the plan says
   * instead of the add failing at apply.
   */
  async namesClaimedBeyondRead(
    accounts: readonly string[],
    signal: AbortSignal,
    departments?: ReadonlyMap<string, string>,
  ): Promise<Pick<LiveState, "elsewhere" | "namesTaken" | "cannotCreate">> {
    const s = this.settings;
    if (s.flavour !== "activeDirectory" || accounts.length === 0) return {};
    const cannotCreate = await this.missingOus(accounts, departments ?? new Map(), signal);
    const entries: LdapEntry[] = [];
    for (let i = 0; i < accounts.length; i += ELSEWHERE_CHUNK) {
      const found = await this.client.search(
        {
          base: s.baseDn,
          scope: "sub",
          filter: nameClaimsFilter(accounts.slice(i, i + ELSEWHERE_CHUNK), s),
          attributes: [...new Set(["sAMAccountName", s.users.accountAttribute, "objectClass", UPN])],
          paged: true,
        },
        signal,
      );
      appendAll(entries, found);
    }
    const claims = claimsOn(entries, accounts, s, new Set());
    return cannotCreate.length === 0 ? claims : { ...claims, cannotCreate };
  }

  /**
   * The accounts whose department's OU (people.ouByDepartment) does not exist: each OU these accounts
   * need is searched once at base scope, and one the server answers "no such object" is missing.
   */
  private async missingOus(
    accounts: readonly string[],
    departments: ReadonlyMap<string, string>,
    signal: AbortSignal,
  ): Promise<CannotCreate[]> {
    const byOu = new Map<string, { ou: string; department: string; accounts: string[] }>();
    for (const account of accounts) {
      const department = departments.get(account);
      const ou = departmentOu(this.settings.users, department);
      if (ou === undefined || department === undefined) continue;
      const key = normalizeDn(ou);
      const entry = byOu.get(key) ?? { ou, department, accounts: [] };
      entry.accounts.push(account);
      byOu.set(key, entry);
    }
    const out: CannotCreate[] = [];
    for (const { ou, department, accounts: waiting } of byOu.values()) {
      try {
        await this.client.search(
          { base: ou, scope: "base", filter: "(objectClass=*)", attributes: ["1.1"] },
          signal,
        );
      } catch (error) {
        if (!(error instanceof ProviderError) || error.status !== 32) throw error;
        for (const account of waiting)
          out.push({
            account,
            why: `the OU of department ${department} (people.ouByDepartment), ${ou}, does not exist. Create that OU in ${this.name}, or map the department to one that exists`,
          });
      }
    }
    return out;
  }

  /**
   * The user entries holding these stable ids (OpenLDAP entryUUID, AD objectGUID as hex), under the whole
   * base, id → account; one search per 200.
   */
  async accountsById(
    ids: readonly string[],
    signal: AbortSignal,
  ): Promise<ReadonlyMap<string, string> | undefined> {
    const s = this.settings;
    return this.namesById(ids, userFilter(s), s.users.accountAttribute, signal);
  }

  /** The groups holding these stable ids, under the whole base, id → cn; one search per 200. */
  async groupsById(
    ids: readonly string[],
    signal: AbortSignal,
  ): Promise<ReadonlyMap<string, string> | undefined> {
    return this.namesById(ids, groupFilter(this.settings), "cn", signal);
  }

  private async namesById(
    ids: readonly string[],
    filter: string,
    nameAttribute: string,
    signal: AbortSignal,
  ): Promise<Map<string, string>> {
    const s = this.settings;
    const idAttribute = stableIdAttribute(s);
    const out = new Map<string, string>();
    // An id that is no id of this kind (a journal written by hand) is looked for nowhere.
    const wanted = ids.filter((id) => s.flavour !== "activeDirectory" || /^[0-9a-f]{32}$/i.test(id));
    for (let i = 0; i < wanted.length; i += ELSEWHERE_CHUNK) {
      const entries = await this.client.search(
        {
          base: s.baseDn,
          scope: "sub",
          filter: idFilter(s, filter, wanted.slice(i, i + ELSEWHERE_CHUNK)),
          attributes: [nameAttribute, idAttribute],
          paged: true,
        },
        signal,
      );
      for (const entry of entries) {
        const id = firstValue(entry, idAttribute);
        const name = firstValue(entry, nameAttribute);
        if (id !== undefined && name !== undefined) out.set(id, name);
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
    // Member values name the same entries again and again (posixGroup memberUid: the same accounts).
    sharedValueAttributes: [settings.groups.memberAttribute],
  });
  return new LdapProvider(config, settings, client, context);
};

/**
 * `filter` and any of these stable ids. OpenLDAP: text, each entryUUID escaped. AD: objectGUID is bytes,
 * which a filter's text cannot carry through ldapts (it reads `\xx` escapes as characters and sends them
 * as UTF-8), so the filter is built with each id's 16 bytes as the value.
 */
function idFilter(s: LdapSettings, filter: string, ids: readonly string[]): string | Filter {
  if (s.flavour !== "activeDirectory")
    return `(&${filter}(|${ids.map((id) => `(entryUUID=${escapeFilterValue(id)})`).join("")}))`;
  return new AndFilter({
    filters: [
      FilterParser.parseString(filter),
      new OrFilter({
        filters: ids.map(
          (id) => new EqualityFilter({ attribute: "objectGUID", value: Buffer.from(id, "hex") }),
        ),
      }),
    ],
  });
}
