/**
 * Incremental reads: after a full read, a later read lists only the DN and change stamps of every entry in
 * scope and reads again only the entries that are new, changed, or hold a reference the server may have
 * rewritten (OpenLDAP's refint overlay, AD's linked values); entries no longer listed are gone. Anything
 * unexpected falls back to a full read.
 * - OpenLDAP: stamps entryCSN and modifyTimestamp, identity entryUUID. Where the base DN carries
 *   contextCSN (syncprov), an unchanged contextCSN skips the listing.
 * - Active Directory (with a snapshot store, `readCache`): stamp uSNChanged, identity objectGUID. Update
 *   sequence numbers are counted per domain controller, so every read first asks the rootDSE which
 *   controller answers (dsServiceName, and the invocationId of its NTDS Settings) and its
 *   highestCommittedUSN: unchanged, nothing changed there and the listing is skipped; another
 *   controller, or one restored from a backup (new invocationId), and everything is read again.
 */
import type { NonPerson } from "./stranger-notes.ts";
import type { NameTaken } from "../../model/state.ts";
import type { AccountElsewhere } from "../../model/state.ts";
import { ProviderError } from "../../errors.ts";
import type { LdapClient } from "./client.ts";
import { escapeFilterValue, isDnUnder, normalizeDn } from "./dn.ts";
import type { LdapEntry } from "./map.ts";
import type { ReadScope } from "./queries.ts";
import { changeStampAttributes, entryDnFilter, readScopes } from "./queries.ts";
import { firstValue, valuesOf } from "./map.ts";
import type { LdapSettings } from "./settings.ts";
import type { OutsideLookup, Rechecks, ScopeRefresh, Snapshot } from "./snapshot.ts";
import {
  outsideDns,
  outsideIdentities,
  withOutside,
  allStamped,
  byNormalizedDn,
  danglingReferrers,
  identityOf,
  stampOf,
  entryHands,
  fetchedNamingChangedHands,
  keepUnsettled,
  namingChangedHands,
  refintSince,
  nextUnsettled,
  planRefresh,
  sameContextCsn,
  sameEntry,
} from "./snapshot.ts";
import { appendAll, plural } from "../../model/lists.ts";

/** Why a snapshot of Active Directory is not kept: its stamps come from two controllers. */
const LEFT_CONTROLLER = "the connection reached another domain controller during the read";

/** DNs per entryDN OR-filter when reading changed entries again. */
const FETCH_CHUNK = 200;

/**
 * How `count` entries of a scope of `total` are read again: by DN (one search per FETCH_CHUNK), or the
 * scope whole when that takes no more searches; and how many searches that takes.
 */
function readAgainPlan(
  count: number,
  total: number,
  pageSize: number,
): { readonly isWhole: boolean; readonly searches: number } {
  const byDn = Math.ceil(count / FETCH_CHUNK);
  const whole = Math.ceil(total / pageSize);
  return byDn >= whole ? { isWhole: true, searches: whole } : { isWhole: false, searches: byDn };
}

/** The entries of one read. */
export interface ReadEntries {
  readonly users: LdapEntry[];
  readonly groups: LdapEntry[];
}

/** Keeps a snapshot between processes (see snapshot-cache.ts). */
export interface SnapshotStore {
  /** The stored snapshot, or undefined (none, unreadable, too old, other settings). */
  load(): Promise<Snapshot | undefined>;
  save(snapshot: Snapshot): Promise<void>;
  /** Removes the stored snapshot: the next read is a full one. */
  clear(): Promise<void>;
}

/**
 * Which of some DNs outside the scopes read are user entries, and their account names, as looked up
 * under one stamp of the whole directory (contextCSN; AD: the controller and its highestCommittedUSN).
 * While the stamp is the same nothing changed anywhere, so the answer stands.
 */
export interface ElsewhereLookup {
  readonly stamp: readonly string[];
  readonly dns: readonly string[];
  readonly accounts: readonly AccountElsewhere[];
  /** The entries among `dns` that are computers or contacts (Active Directory), in `dns` order. */
  readonly nonPersons: readonly NonPerson[];
  /** Account names the userPrincipalNames of the user entries among `dns` take (upn.ts). */
  readonly namesTaken: readonly NameTaken[];
  /** When it was looked up (ms since the epoch): like a snapshot, it is not used after 24 hours. */
  readonly at: number;
}

export interface LdapReaderOptions {
  /** Provider name, for log lines. */
  readonly name: string;
  readonly settings: LdapSettings;
  readonly client: LdapClient;
  readonly log: (line: string) => void;
  readonly now: () => Date;
  /**
   * This host's clock now (ms): what Snapshot.unsettled's instants count on. Not `now`, the plan's instant,
   * which was taken when the process started (an apply may wait 10 minutes for the lock before it reads).
   * `now` when absent.
   */
  readonly clock?: () => number;
  /** Where snapshots outlive the process; without it they live as long as the provider. */
  readonly store?: SnapshotStore;
}

/** How long a read may start from the stamp currentStamp found, instead of asking for it again. */
const PROBE_REUSE_MS = 10_000;

/** The stamp currentStamp asked for, kept for the read that follows (see LdapReader.probed). */
interface Probe {
  readonly stamp: readonly string[];
  /** performance.now() when it was asked. */
  readonly at: number;
  /** OpenLDAP: whether an entry changed after it, when currentStamp asked that too. */
  readonly changedAfter?: boolean;
}

/** The newest of a contextCSN's values (one per server ID under multi-provider replication). */
function latestCsn(contextCsn: readonly string[]): string {
  return [...contextCsn].sort().at(-1) ?? "";
}

/** Why an incremental read gave up; the caller reads everything instead. */
type Fallback = string;

/** Reads the users and groups in scope: in full, or incrementally after a first read (AD: with a store). */
export class LdapReader {
  private readonly options: LdapReaderOptions;
  private readonly scopes: ReadScope[];
  private readonly incremental: boolean;
  private readonly isAd: boolean;
  private snapshot: Snapshot | undefined;
  /** See unchangedStamp. */
  private unchanged: readonly string[] | undefined;
  /**
   * The stamp currentStamp found, for the next read to start from instead of asking again (the read then
   * shows the directory as of that stamp, as a read shows it as of its own first search).
   */
  private probed: Probe | undefined;
  private saidNoStamps = false;
  /** When the read under way started (ms, clock): an unsettled entry may settle when it is at or after its instant. */
  private readAt = 0;
  /** Entries written since the last read (noteWrites), and whether that dropped the snapshot already. */
  private writtenSinceRead = 0;
  private isDropped = false;
  /** Entries worth writing before the snapshot is dropped: worked out once per read (noteWrites). */
  private worth: number | undefined;

  constructor(options: LdapReaderOptions) {
    this.options = options;
    this.isAd = options.settings.flavour === "activeDirectory";
    // AD only with a store: its stamps need the controller known from read to read (probeDc), which costs
    // three searches per read, worth it only when a snapshot outlives the process.
    this.incremental = !this.isAd || options.store !== undefined;
    this.scopes = readScopes(options.settings, this.incremental);
  }

  /**
   * The stamp of the whole directory probed for the last read (contextCSN; AD: the controller and its
   * highestCommittedUSN), or undefined (no snapshot kept, no contextCSN).
   */
  stamp(): readonly string[] | undefined {
    const csn = this.snapshot?.contextCsn;
    return Array.isArray(csn) && csn.length > 0 ? csn : undefined;
  }

  /**
   * The stamp under which the last read found nothing changed since the read before it (the two-search
   * case), or undefined when it listed or read anything: only then does what was looked up under that
   * stamp still stand (ElsewhereLookup). A contextCSN that stopped following changes never gives one.
   */
  unchangedStamp(): readonly string[] | undefined {
    return this.unchanged;
  }

  /**
   * The directory's stamp now (contextCSN; AD: the controller and its highestCommittedUSN) when it is
   * `expected` and can stand for the directory's content; undefined without incremental reads, when the
   * server gives none or another one, or (OpenLDAP) when an entry changed after it (syncprov off: it no
   * longer follows changes). It asks what a read with nothing changed starts by asking (two searches), and
   * the read that follows at once starts from those answers instead of asking again.
   */
  async currentStamp(
    signal: AbortSignal,
    expected: readonly string[],
  ): Promise<readonly string[] | undefined> {
    this.probed = undefined;
    if (!this.incremental) return undefined;
    const stamp = await this.probe(signal);
    if (stamp === null) return undefined;
    const at = performance.now();
    this.probed = { stamp, at };
    // Another stamp than expected: whether it still follows changes is for the read to ask, if it must.
    if (!sameContextCsn(stamp, expected)) return undefined;
    if (this.isAd) return isDcMarker(stamp) ? stamp : undefined;
    const changed = await this.changedAfter(stamp, signal);
    this.probed = { stamp, at, changedAfter: changed };
    return changed ? undefined : stamp;
  }

  /**
   * The entries (normalized DNs) the last read kept unsettled: refint may still have been rewriting them
   * (Snapshot.unsettled). Empty without a snapshot, and after a process's first full read without a store,
   * which leaves finding them to its next read.
   */
  unsettledKeys(): ReadonlySet<string> {
    return new Set(this.snapshot?.unsettled?.keys() ?? []);
  }

  /** Every user entry (people and disabled OU) and group entry in scope, as a full read would return them. */
  async read(signal: AbortSignal): Promise<ReadEntries> {
    this.unchanged = undefined;
    this.readAt = this.clock();
    // Only a read that follows at once: the stamp says nothing of a directory some time later.
    const probed =
      this.probed !== undefined && performance.now() - this.probed.at <= PROBE_REUSE_MS
        ? this.probed
        : undefined;
    this.probed = undefined;
    this.writtenSinceRead = 0;
    this.isDropped = false;
    this.worth = undefined;
    if (!this.incremental) return this.entriesOf(await this.searchAll(signal));
    const kept = this.snapshot ?? (await this.options.store?.load());
    const previous = kept && this.withFlags(kept);
    const refreshed = previous ? await this.tryRefresh(previous, probed, signal) : undefined;
    const next = refreshed ?? (await this.fullRead(previous, signal));
    const isStamped = allStamped(next.scopes.map((m) => m.values()));
    // Said where incremental reads were asked for across runs (readCache): elsewhere a full read is what
    // every command makes anyway, and the line would only repeat itself (389 Directory Server keeps no entryCSN).
    if (!isStamped && !this.saidNoStamps && this.options.settings.readCache) {
      this.saidNoStamps = true;
      this.options.log(
        `${this.options.name}: ${this.options.settings.url} returned entries without ${this.missingStamp(next.scopes)}; every read is a full read, and readCache saves nothing`,
      );
    }
    // AD stamps mean nothing without the controller that gave them.
    const isPlaced = !this.isAd || isDcMarker(next.contextCsn);
    if (isStamped && !isPlaced)
      this.options.log(
        `${this.options.name}: the domain controller's rootDSE (dsServiceName, highestCommittedUSN) or its NTDS Settings (invocationId) could not be read, or another controller answered during the read; the next read is a full read`,
      );
    const keep = isStamped && isPlaced;
    this.snapshot = keep ? next : undefined;
    if (keep && next !== previous) await this.options.store?.save(next);
    return this.entriesOf(next.scopes);
  }

  /**
   * Counts the entries an apply wrote since the last read. Once reading them again after a listing would
   * take more searches than a full read (⌈written / 200⌉ against the one page and the ranged reads of
   * large groups that the listing spares), the snapshot is dropped, here and in the store: the next read,
   * usually the next run's plan, is a full one (after an initial import: 27 searches instead of 42).
   */
  async noteWrites(count: number): Promise<void> {
    if (count <= 0 || !this.incremental || this.isDropped) return;
    this.writtenSinceRead += count;
    // Once per read, not per apply batch: a large import calls this thousands of times.
    const worth = (this.worth ??= FETCH_CHUNK * (this.rangedGroups() + 1));
    if (this.writtenSinceRead <= worth) return;
    this.isDropped = true;
    this.snapshot = undefined;
    await this.options.store?.clear();
    this.options.log(
      `${this.options.name}: over ${String(worth)} entries written since the read: the next read is a full read (cheaper than listing and reading them again)`,
    );
  }

  /** This host's clock now (ms). */
  private clock(): number {
    return this.options.clock?.() ?? this.options.now().getTime();
  }

  /** AD: groups of the snapshot whose members a full read gets in more than one request. */
  private rangedGroups(): number {
    if (!this.isAd || this.snapshot === undefined) return 0;
    const { memberAttribute } = this.options.settings.groups;
    let count = 0;
    this.scopes.forEach((scope, i) => {
      if (scope.kind !== "groups") return;
      for (const entry of this.snapshot?.scopes[i]?.values() ?? [])
        if (valuesOf(entry, memberAttribute).length > this.options.settings.rangeSize) count++;
    });
    return count;
  }

  private entriesOf(scopes: readonly ReadonlyMap<string, LdapEntry>[]): ReadEntries {
    const users: LdapEntry[] = [];
    const groups: LdapEntry[] = [];
    this.scopes.forEach((scope, i) => {
      appendAll(scope.kind === "users" ? users : groups, scopes[i]?.values() ?? []);
    });
    return { users, groups };
  }

  private async searchScope(scope: ReadScope, signal: AbortSignal): Promise<LdapEntry[]> {
    const { base, filter, attributes } = scope;
    return this.options.client.search({ base, scope: "sub", filter, attributes, paged: true }, signal);
  }

  private async searchAll(signal: AbortSignal): Promise<Map<string, LdapEntry>[]> {
    const maps: Map<string, LdapEntry>[] = [];
    for (const scope of this.scopes) maps.push(byNormalizedDn(await this.searchScope(scope, signal)));
    return maps;
  }

  /**
   * Everything, page by page. With a store, contextCSN is read first (one more search) unless the server is
   * known to have none, so that the next process can skip the listing when nothing changed.
   */
  private async fullRead(previous: Snapshot | undefined, signal: AbortSignal): Promise<Snapshot> {
    const fullReadAt = this.options.now().getTime();
    const shouldProbe = this.isAd || (this.options.store !== undefined && previous?.contextCsn !== null);
    const probed = shouldProbe ? await this.probe(signal) : undefined;
    const contextCsn = probed && !this.isAd && !(await this.isKeptBySyncprov(signal)) ? null : probed;
    const scopes = await this.searchAll(signal);
    if (await this.hasLeftController(contextCsn, signal)) return { scopes, contextCsn: null, fullReadAt }; // not kept: whose stamps they are is unknown
    // OpenLDAP: entries refint may still rewrite are read again by the reads that follow (snapshot.ts).
    // The server's clock is its contextCSN, even one that syncprov does not keep (then it is not trusted
    // to tell changes, but still tells the time).
    const { refintLagMs } = this.options.settings;
    const since = refintSince(this.readAt, probed, refintLagMs);
    // From the end of the searches: a write they found may have come after the read started.
    const foundAt = this.clock();
    // Without a store and an earlier snapshot, only a later read of this process could use the flags:
    // left to it (Snapshot.flagLater).
    const isLater = !this.isAd && this.options.store === undefined && previous === undefined;
    const flagged =
      this.isAd || isLater
        ? new Set<string>()
        : namingChangedHands(
            scopes,
            this.scopes,
            this.options.settings,
            previous ? { previous: previous.scopes } : { since },
          );
    const unsettled = new Map([...flagged].map((key) => [key, foundAt + refintLagMs]));
    // Entries the snapshot fallen back from still had unsettled stay so, as long as they had to: the full
    // read compares with that snapshot, which may already hold the DN's new holder, so it would not find
    // them again.
    if (!this.isAd)
      for (const [key, from] of previous?.unsettled ?? [])
        if (scopes.some((entries) => entries.has(key))) keepUnsettled(unsettled, key, from);
    return {
      scopes,
      contextCsn,
      fullReadAt,
      ...(unsettled.size > 0 ? { unsettled } : {}),
      ...(isLater ? { flagLater: { since, foundAt } } : {}),
    };
  }

  /** Which stamp the first entry without one lacks: its identity (entryUUID, objectGUID) or its change stamp. */
  private missingStamp(scopes: readonly ReadonlyMap<string, LdapEntry>[]): string {
    for (const scope of scopes)
      for (const entry of scope.values()) {
        if (stampOf(entry) !== undefined) continue;
        if (identityOf(entry) === undefined) return this.isAd ? "objectGUID" : "entryUUID";
        return this.isAd ? "uSNChanged" : "entryCSN (389 Directory Server keeps none)";
      }
    return "change stamps";
  }

  /** `snapshot` with the entries its full read left to flag (Snapshot.flagLater) flagged now. */
  private withFlags(snapshot: Snapshot): Snapshot {
    const { flagLater, ...rest } = snapshot;
    if (flagLater === undefined) return snapshot;
    const unsettled = new Map(snapshot.unsettled);
    const from = flagLater.foundAt + this.options.settings.refintLagMs;
    const { since } = flagLater;
    for (const key of namingChangedHands(snapshot.scopes, this.scopes, this.options.settings, { since }))
      keepUnsettled(unsettled, key, from);
    return { ...rest, ...(unsettled.size > 0 ? { unsettled } : {}) };
  }

  /**
   * contextCSN of the base DN (one search), or null when it has none or cannot be read there (no syncprov,
   * the base DN is not a database suffix, or access is denied): then the listing is never skipped.
   */
  private async probe(signal: AbortSignal): Promise<string[] | null> {
    if (this.isAd) return this.probeDc(signal);
    const request = {
      base: this.options.settings.baseDn,
      scope: "base",
      filter: "(objectClass=*)",
      attributes: ["contextCSN"],
    } as const;
    let entries: LdapEntry[];
    try {
      entries = await this.options.client.search(request, signal);
    } catch (error) {
      if (!this.mayProbeFail(error, signal)) throw error;
      return null;
    }
    const values = entries[0]?.attributes.get("contextcsn") ?? [];
    return values.length > 0 ? [...values] : null;
  }

  /**
   * OpenLDAP: whether the syncprov overlay serves the base DN (one search, with a critical Sync Request,
   * refreshOnly, which only syncprov answers). Without it, a contextCSN left from before it was switched
   * off (or on a replica without it) moves on no change, and a delete leaves no entry for changedAfter to
   * find: such a contextCSN counts as none until the next full read, and every read lists the entries.
   */
  private async isKeptBySyncprov(signal: AbortSignal): Promise<boolean> {
    const request = {
      base: this.options.settings.baseDn,
      scope: "base",
      filter: "(objectClass=*)",
      attributes: ["1.1"],
      syncRefresh: true,
    } as const;
    try {
      await this.options.client.search(request, signal);
      return true;
    } catch (error) {
      if (!this.mayProbeFail(error, signal)) throw error;
      this.options.log(
        `${this.options.name}: the base DN carries contextCSN, but syncprov does not serve it (a Sync Request is refused there): contextCSN does not follow every change, so every read lists the entries`,
      );
      return false;
    }
  }

  /**
   * AD: the domain controller answering (dsServiceName and the invocationId of its NTDS Settings, which a
   * restore from a backup renews) and its highestCommittedUSN, which every change made or replicated there
   * raises; two searches. Null when the rootDSE does not say (then nothing is kept, every read is full).
   */
  private async probeDc(signal: AbortSignal): Promise<string[] | null> {
    try {
      const service = await this.rootDseValue("dsServiceName", signal, ["highestCommittedUSN"]);
      if (service?.usn === undefined) return null;
      const request = {
        base: service.value,
        scope: "base",
        filter: "(objectClass=*)",
        attributes: ["invocationId"],
      } as const;
      const [ntds] = await this.options.client.search(request, signal);
      const invocation = ntds ? firstValue(ntds, "invocationId") : undefined;
      if (invocation === undefined) return null;
      return [`dc:${service.value}`, `invocation:${invocation}`, `usn:${service.usn}`];
    } catch (error) {
      if (!this.mayProbeFail(error, signal)) throw error;
      return null;
    }
  }

  /** A value of the rootDSE (one search), with highestCommittedUSN when asked for too. */
  private async rootDseValue(
    attribute: string,
    signal: AbortSignal,
    more: readonly string[] = [],
  ): Promise<{ value: string; usn: string | undefined } | undefined> {
    const request = {
      base: "",
      scope: "base",
      filter: "(objectClass=*)",
      attributes: [attribute, ...more],
    } as const;
    const [root] = await this.options.client.search(request, signal);
    const value = root ? firstValue(root, attribute) : undefined;
    if (value === undefined || root === undefined) return undefined;
    return { value, usn: firstValue(root, "highestCommittedUSN") };
  }

  /**
   * AD: whether the controller that answers now is not the one `marker` names (one search); false off AD
   * and without a marker (nothing is asked). A connection opened again during a read may reach another
   * controller, whose stamps say nothing about the snapshot's.
   */
  private async hasLeftController(
    marker: readonly string[] | null | undefined,
    signal: AbortSignal,
  ): Promise<boolean> {
    if (!this.isAd || !marker) return false;
    try {
      const service = await this.rootDseValue("dsServiceName", signal);
      return service === undefined || !marker.includes(`dc:${service.value}`);
    } catch (error) {
      if (!this.mayFallBack(error, signal)) throw error;
      return true;
    }
  }

  /** What says whether anything changed: OpenLDAP's contextCSN, or the AD controller's highestCommittedUSN. */
  private get marker(): string {
    return this.isAd ? "highestCommittedUSN" : "contextCSN";
  }

  /**
   * Whether a failed probe (contextCSN, the controller's rootDSE) may count as "the server does not say":
   * as mayFallBack, and not when the server is unreachable or busy, which the read after it would meet
   * too (and which must not mark the server as having no contextCSN).
   */
  private mayProbeFail(error: unknown, signal: AbortSignal): error is ProviderError {
    return this.mayFallBack(error, signal) && !error.isTransient;
  }

  /**
   * Whether a failed search may be answered another way (no contextCSN, a full read): not when the run
   * was stopped, on a bug, or when the server refused the bind (nothing more is sent; it ends the read).
   */
  private mayFallBack(error: unknown, signal: AbortSignal): error is ProviderError {
    return !signal.aborted && error instanceof ProviderError && !this.options.client.isBindRefused;
  }

  /**
   * Whether an entry under the base DN changed after `contextCsn` (its entryCSN is later): then
   * contextCSN has stopped following the changes (syncprov switched off, the database restored) and
   * cannot stand for them. One search, for at most one entry's DN; a failure counts as "changed".
   */
  private async changedAfter(contextCsn: readonly string[], signal: AbortSignal): Promise<boolean> {
    const latest = latestCsn(contextCsn);
    const csn = escapeFilterValue(latest);
    const request = {
      base: this.options.settings.baseDn,
      scope: "sub",
      filter: `(&(entryCSN>=${csn})(!(entryCSN=${csn})))`,
      attributes: ["1.1"],
      sizeLimit: 1,
    } as const;
    let changed: boolean;
    try {
      changed = (await this.options.client.search(request, signal)).length > 0;
    } catch (error) {
      if (!this.mayFallBack(error, signal)) throw error;
      changed = true;
    }
    return changed;
  }

  /** changedAfter, answered from the probe currentStamp made when it asked already; said when true. */
  private async isChangedAfter(
    contextCsn: readonly string[],
    probed: Probe | undefined,
    signal: AbortSignal,
  ): Promise<boolean> {
    const changed = probed?.changedAfter ?? (await this.changedAfter(contextCsn, signal));
    if (changed)
      this.options.log(
        `${this.options.name}: entries changed after the base DN's contextCSN (${latestCsn(contextCsn)}), which no longer follows changes (is the syncprov overlay still on?): listing everything`,
      );
    return changed;
  }

  private async tryRefresh(
    previous: Snapshot,
    probed: Probe | undefined,
    signal: AbortSignal,
  ): Promise<Snapshot | undefined> {
    let result: Snapshot | Fallback;
    try {
      result = await this.refresh(previous, probed, signal);
    } catch (error) {
      if (!this.mayFallBack(error, signal)) throw error;
      result = `the incremental read failed (${error.message})`;
    }
    if (typeof result !== "string") return result;
    this.options.log(`${this.options.name}: ${result}; reading everything`);
    return undefined;
  }

  /** `probed`: the stamp currentStamp found just before this read, which the read then starts from. */
  private async refresh(
    previous: Snapshot,
    probed: Probe | undefined,
    signal: AbortSignal,
  ): Promise<Snapshot | Fallback> {
    const contextCsn =
      probed !== undefined
        ? [...probed.stamp]
        : previous.contextCsn === null && !this.isAd
          ? null
          : await this.probe(signal);
    if (this.isAd) {
      if (!isDcMarker(contextCsn) || !isDcMarker(previous.contextCsn))
        return "the domain controller did not give its highestCommittedUSN";
      if (dcOf(contextCsn) !== dcOf(previous.contextCsn))
        return "another domain controller answered than last time, or it was restored from a backup (update sequence numbers are counted per controller)";
    }
    if (
      contextCsn !== null &&
      previous.contextCsn &&
      sameContextCsn(contextCsn, previous.contextCsn) &&
      // AD's highestCommittedUSN is the controller's own count: it cannot stop following changes.
      (this.isAd || !(await this.isChangedAfter(contextCsn, probed, signal)))
    ) {
      const kept = await this.refetchDangling(previous, contextCsn, signal);
      if (typeof kept !== "string") this.unchanged = contextCsn;
      return kept;
    }
    const listed: LdapEntry[][] = [];
    for (const scope of this.scopes) {
      const { base, filter } = scope;
      const request = {
        base,
        scope: "sub",
        filter,
        attributes: changeStampAttributes(this.options.settings),
        paged: true,
      } as const;
      listed.push(await this.options.client.search(request, signal));
    }
    const inScope = entryHands(previous.scopes, listed);
    const plan0 = planRefresh(
      previous.scopes,
      listed,
      this.scopes,
      this.options.settings,
      previous.unsettled,
      inScope,
    );
    if (!plan0) return "an entry was listed without change stamps";
    const outside = await this.lookUpOutside(previous, listed, plan0, signal);
    const hands = withOutside(inScope, outside);
    const plan =
      outside === undefined
        ? plan0
        : planRefresh(previous.scopes, listed, this.scopes, this.options.settings, previous.unsettled, hands);
    if (!plan) return "an entry was listed without change stamps";
    const scopes: Map<string, LdapEntry>[] = [];
    for (const [i, scope] of this.scopes.entries()) {
      const step = plan[i];
      const refreshed = step ? await this.applyRefresh(scope, step, signal) : "a read scope went missing";
      if (typeof refreshed === "string") return refreshed;
      scopes.push(refreshed);
    }
    if (await this.hasLeftController(contextCsn, signal)) return LEFT_CONTROLLER;
    const foundAt = this.clock();
    // Not looked up this time: the last lookup's identities still say who held each DN then (but vouch
    // for none: that takes two lookups that agree, the later one under this contextCSN).
    const outsideIds = outside?.now ?? previous.outsideIds;
    const vouched =
      outside === undefined ? [] : [...outside.now.keys()].filter((dn) => hands.isSameEntry(dn));
    this.sayRefreshed(plan);
    const unsettled = this.unsettledAfter(previous, scopes, {
      flagged: fetchedNamingChangedHands(plan, scopes, this.scopes, this.options.settings, hands),
      rechecked: plan.flatMap((step) => step.rechecked),
      foundAt,
    });
    return {
      scopes,
      contextCsn,
      fullReadAt: previous.fullReadAt,
      unsettled,
      ...(outsideIds === undefined ? {} : { outsideIds }),
      ...(vouched.length > 0 ? { outsideVouched: vouched } : {}),
    };
  }

  /**
   * OpenLDAP: the identities of the DNs outside the read scopes that entries of the snapshot name (one
   * search per 200 under the base DN, by entryDN as the entries name it, for entryUUID and
   * createTimestamp: `outsideIdentities`), when that takes no more searches than reading again the
   * entries naming them would spare (`plan`: the plan trusting none of
   * them); undefined when not looked up (Active Directory: its linked values need none of this, and
   * `plan` stands). Looked up after the listing, before the entries are read again: a DN that changes
   * hands after the lookup shows at the next read's lookup, whose identity differs from this one's (or is
   * none).
   */
  private async lookUpOutside(
    previous: Snapshot,
    listed: readonly (readonly LdapEntry[])[],
    plan: readonly ScopeRefresh[],
    signal: AbortSignal,
  ): Promise<OutsideLookup | undefined> {
    if (this.isAd) return undefined;
    const { settings } = this.options;
    // Not looked up: a DN outside the base DN (no search under it finds one), and one that had no entry
    // at the last lookup (none is trusted without an entry at two lookups; its entries are read again as
    // before). Both stay untrusted; the lookups after the next full read start afresh.
    const canVouch = (dn: string): boolean =>
      isDnUnder(dn, settings.baseDn) && previous.outsideIds?.get(dn) !== null;
    const { dns, unvouched, referrers, named } = outsideDns(
      previous.scopes,
      listed,
      this.scopes,
      settings,
      canVouch,
    );
    if (dns.size === 0) return undefined;
    // Entries still unsettled count among the referrers too: they are read again this time anyway, but a
    // lookup now lets the next reads trust the DNs (two lookups that agree), and vouch for them under this
    // contextCSN. Left out, the lookup was skipped while they were unsettled, which kept them unsettled.
    // Searches the re-reads take with the entries naming them, and at best without (an estimate: an
    // entry naming one may also have changed).
    const searches = (step: ScopeRefresh, fetch: number): number =>
      fetch <= 0 ? 0 : readAgainPlan(fetch, step.total, settings.pageSize).searches;
    const spared = plan.reduce(
      (n, step, i) =>
        n + searches(step, step.fetch.length) - searches(step, step.fetch.length - (referrers[i] ?? 0)),
      0,
    );
    const lookups = Math.ceil(dns.size / FETCH_CHUNK);
    // At equal searches the lookup still wins: it carries one identity per DN, not whole groups.
    if (spared === 0 || lookups > spared) return undefined;
    const list = [...dns];
    // Each DN is searched as an entry names it (see outsideIdentities).
    const asNamed = (dn: string): string => named.get(dn)?.values().next().value ?? dn;
    const found: LdapEntry[] = [];
    for (let i = 0; i < list.length; i += FETCH_CHUNK) {
      const filter = entryDnFilter(settings, "(objectClass=*)", list.slice(i, i + FETCH_CHUNK).map(asNamed));
      const request = {
        base: settings.baseDn,
        scope: "sub",
        filter,
        attributes: ["entryUUID", "createTimestamp"],
        paged: true,
      } as const;
      appendAll(found, await this.options.client.search(request, signal));
    }
    const now = outsideIdentities(list, named, found);
    const before = previous.outsideIds ?? new Map<string, string | null>();
    // The DNs that had no entry at the last lookup are kept as such, so that they are not looked up again.
    for (const dn of unvouched) if (before.get(dn) === null) now.set(dn, null);
    return { now, before };
  }

  /**
   * nextUnsettled, for OpenLDAP, whose refint overlay rewrites references after its operation returned. AD
   * keeps linked values (member, manager) as links and gives each its current DN when read: a value read
   * once is current, and nothing stays unsettled.
   */
  private unsettledAfter(
    previous: Snapshot,
    scopes: readonly ReadonlyMap<string, LdapEntry>[],
    found: Pick<Rechecks, "flagged" | "rechecked" | "foundAt">,
  ): Map<string, number> {
    if (this.isAd) return new Map();
    const { readAt } = this;
    return nextUnsettled(previous, scopes, { ...found, readAt, lagMs: this.options.settings.refintLagMs });
  }

  private sayRefreshed(plan: readonly ScopeRefresh[]): void {
    const sum = (f: (s: ScopeRefresh) => number): number => plan.reduce((n, s) => n + f(s), 0);
    const total = sum((s) => s.total);
    const read = sum((s) => s.fetch.length);
    this.options.log(
      `${this.options.name}: incremental read: ${read.toLocaleString("en-US")} of ${plural(total, "entry", "entries")} new or changed, ${sum((s) => s.removed).toLocaleString("en-US")} gone`,
    );
  }

  /**
   * contextCSN is unchanged, so no entry was added, changed, renamed or deleted; only refint's rewrites of
   * references (which change no CSN) can have happened, and only to entries that name a DN not in the
   * snapshot. Those are read again; with none, the snapshot is current as it is.
   */
  private async refetchDangling(
    previous: Snapshot,
    contextCsn: string[],
    signal: AbortSignal,
  ): Promise<Snapshot | Fallback> {
    const isSettled =
      previous.danglingSettled !== undefined &&
      sameContextCsn(previous.danglingSettled, contextCsn) &&
      (previous.unsettled?.size ?? 0) === 0;
    if (isSettled) {
      this.options.log(
        `${this.options.name}: ${this.marker} unchanged: nothing changed since the last read (the entries naming a DN outside it were checked under this ${this.marker} already)`,
      );
      return previous;
    }
    const referrers = danglingReferrers(previous, this.scopes, this.options.settings).map((dns, i) => {
      // Entries still unsettled are read again too: refint changes no CSN, contextCSN included.
      const again = [...(previous.unsettled?.keys() ?? [])].flatMap((key) => {
        const entry = previous.scopes[i]?.get(key);
        return entry ? [entry.dn] : [];
      });
      return [...new Set([...dns, ...again])];
    });
    const count = referrers.reduce((n, dns) => n + dns.length, 0);
    const what =
      count === 0
        ? "nothing changed since the last read"
        : `reading again ${plural(count, "entry that names", "entries that name")} a DN outside what was read${this.isAd ? "" : ", or that refint may still rewrite"}`;
    this.options.log(`${this.options.name}: ${this.marker} unchanged: ${what}`);
    // Nothing names a DN outside it: so it stays while the stamp does, and the next read under this
    // stamp skips the walk over every reference (two million member values at 100k people).
    if (count === 0) return { ...previous, danglingSettled: contextCsn };
    const scopes: ReadonlyMap<string, LdapEntry>[] = [];
    for (const [i, scope] of this.scopes.entries()) {
      const before = previous.scopes[i] ?? new Map<string, LdapEntry>();
      const dns = referrers[i] ?? [];
      const merged = dns.length > 0 ? await this.readAgain(scope, before, dns, before.size, signal) : before;
      if (typeof merged === "string") return merged;
      scopes.push(merged);
    }
    if (await this.hasLeftController(contextCsn, signal)) return LEFT_CONTROLLER;
    // An entry read again that was settled (not unsettled) and comes back as it was stays settled: it
    // settled under this contextCSN (every entry naming a DN outside the snapshot was flagged or read
    // again by the read that listed under it), and nothing refint follows happened since. Marking it
    // unsettled again made two such entries alternate for ever, one settling as the other was marked
    // (one rewritten by refint between two reads of the lag): liveStamp never vouched for a quiet
    // directory. One that changed is unsettled again, as before.
    const rechecked = referrers.flatMap((dns, i) =>
      dns.flatMap((dn) => {
        const key = normalizeDn(dn);
        const old = previous.scopes[i]?.get(key);
        const now = scopes[i]?.get(key);
        const isKept =
          !previous.unsettled?.has(key) && old !== undefined && now !== undefined && sameEntry(old, now);
        return isKept ? [] : [key];
      }),
    );
    const unsettled = this.unsettledAfter(previous, scopes, { flagged: [], rechecked });
    // None unsettled: each entry read again had been read before and came back the same (nextUnsettled),
    // so refint is done with them under this contextCSN.
    return {
      scopes,
      contextCsn,
      fullReadAt: previous.fullReadAt,
      unsettled,
      ...(unsettled.size === 0 ? { danglingSettled: contextCsn } : {}),
      // Under the same contextCSN nothing was renamed, deleted or added: the identities stand.
      ...(previous.outsideIds === undefined ? {} : { outsideIds: previous.outsideIds }),
      ...(previous.outsideVouched === undefined ? {} : { outsideVouched: previous.outsideVouched }),
    };
  }

  /**
   * Brings one scope up to date: reads the listed DNs again, or the whole scope when that takes no more
   * searches than reading the changed entries by DN would.
   */
  private async applyRefresh(
    scope: ReadScope,
    step: ScopeRefresh,
    signal: AbortSignal,
  ): Promise<Map<string, LdapEntry> | Fallback> {
    if (step.fetch.length === 0) return step.kept;
    return this.readAgain(scope, step.kept, step.fetch, step.total, signal);
  }

  /**
   * `kept` with the entries `dns` read again: by DN, or the whole scope (`total` entries) when that takes
   * no more searches than reading them by DN would.
   */
  private async readAgain(
    scope: ReadScope,
    kept: ReadonlyMap<string, LdapEntry>,
    dns: readonly string[],
    total: number,
    signal: AbortSignal,
  ): Promise<Map<string, LdapEntry> | Fallback> {
    const { isWhole } = readAgainPlan(dns.length, total, this.options.settings.pageSize);
    const found = isWhole
      ? byNormalizedDn(await this.searchScope(scope, signal))
      : await this.searchByDn(scope, dns, signal);
    // Only `dns` are taken, also from a scope read whole: the others stay as listed (or as under the
    // unchanged contextCSN). An entry written since (a DN that changed hands) must reach the snapshot
    // through the next listing, which compares identities, not unnoticed through this read.
    const merged = new Map(kept);
    const taken: LdapEntry[] = [];
    for (const dn of dns) {
      const key = normalizeDn(dn);
      const entry = found.get(key);
      if (entry === undefined) return `entry "${dn}" was renamed or deleted while it was being read`;
      merged.set(key, entry);
      taken.push(entry);
    }
    return allStamped([taken]) ? merged : "an entry was read without change stamps";
  }

  /** These entries of a scope, in full, by entryDN (one search per 200), by normalized DN. */
  private async searchByDn(
    scope: ReadScope,
    dns: readonly string[],
    signal: AbortSignal,
  ): Promise<Map<string, LdapEntry>> {
    const found = new Map<string, LdapEntry>();
    for (let i = 0; i < dns.length; i += FETCH_CHUNK) {
      const filter = entryDnFilter(this.options.settings, scope.filter, dns.slice(i, i + FETCH_CHUNK));
      const { base, attributes } = scope;
      const entries = await this.options.client.search(
        { base, scope: "sub", filter, attributes, paged: true },
        signal,
      );
      for (const entry of entries) found.set(normalizeDn(entry.dn), entry);
    }
    return found;
  }
}

/** An AD controller marker of probeDc (not OpenLDAP's contextCSN, nor none). */
function isDcMarker(marker: readonly string[] | null | undefined): marker is readonly string[] {
  return marker?.some((v) => v.startsWith("usn:")) === true;
}

/** The controller a marker of probeDc names, without its highestCommittedUSN. */
function dcOf(marker: readonly string[]): string {
  return marker
    .filter((v) => !v.startsWith("usn:"))
    .sort()
    .join("\n");
}
