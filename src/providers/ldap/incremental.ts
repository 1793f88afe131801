/**
 * Incremental reads (OpenLDAP): after a full read, a later read lists only the DN and change stamps
 * (entryCSN, modifyTimestamp) of every entry in scope and reads again only the entries that are new, changed,
 * or hold a reference the refint overlay may have rewritten; entries no longer listed are gone. Where the
 * base DN carries contextCSN (syncprov), an unchanged contextCSN skips the listing. Anything unexpected falls
 * back to a full read. Active Directory is always read in full.
 */
import { ProviderError } from "../../errors.ts";
import type { LdapClient } from "./client.ts";
import { escapeFilterValue, normalizeDn } from "./dn.ts";
import type { LdapEntry } from "./map.ts";
import type { ReadScope } from "./queries.ts";
import { CHANGE_STAMP_ATTRIBUTES, entryDnFilter, readScopes } from "./queries.ts";
import type { LdapSettings } from "./settings.ts";
import type { ScopeRefresh, Snapshot } from "./snapshot.ts";
import {
  allStamped,
  byNormalizedDn,
  danglingReferrers,
  nextUnsettled,
  planRefresh,
  sameContextCsn,
} from "./snapshot.ts";
import { appendAll } from "../../model/lists.ts";

/** DNs per entryDN OR-filter when reading changed entries again. */
const FETCH_CHUNK = 200;

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
}

export interface LdapReaderOptions {
  /** Provider name, for log lines. */
  readonly name: string;
  readonly settings: LdapSettings;
  readonly client: LdapClient;
  readonly log: (line: string) => void;
  readonly now: () => Date;
  /** Where snapshots outlive the process; without it they live as long as the provider. */
  readonly store?: SnapshotStore;
}

/** Why an incremental read gave up; the caller reads everything instead. */
type Fallback = string;

function plural(count: number, one: string, many: string): string {
  return `${count.toLocaleString("en-US")} ${count === 1 ? one : many}`;
}

/** Reads the users and groups in scope: in full, or incrementally after a first read (OpenLDAP only). */
export class LdapReader {
  private readonly options: LdapReaderOptions;
  private readonly scopes: ReadScope[];
  private readonly incremental: boolean;
  private snapshot: Snapshot | undefined;
  private saidNoStamps = false;

  constructor(options: LdapReaderOptions) {
    this.options = options;
    this.incremental = options.settings.flavour === "openldap";
    this.scopes = readScopes(options.settings, this.incremental);
  }

  /** Every user entry (people and disabled OU) and group entry in scope, as a full read would return them. */
  async read(signal: AbortSignal): Promise<ReadEntries> {
    if (!this.incremental) return this.entriesOf(await this.searchAll(signal));
    const previous = this.snapshot ?? (await this.options.store?.load());
    const refreshed = previous ? await this.tryRefresh(previous, signal) : undefined;
    const next = refreshed ?? (await this.fullRead(previous, signal));
    const keep = allStamped(next.scopes.map((m) => m.values()));
    if (!keep && !this.saidNoStamps) {
      this.saidNoStamps = true;
      this.options.log(
        `${this.options.name}: ${this.options.settings.url} returned entries without entryCSN or entryUUID; every read is a full read`,
      );
    }
    this.snapshot = keep ? next : undefined;
    if (keep && next !== previous) await this.options.store?.save(next);
    return this.entriesOf(next.scopes);
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
    const shouldProbe = this.options.store !== undefined && previous?.contextCsn !== null;
    const contextCsn = shouldProbe ? await this.probe(signal) : undefined;
    return { scopes: await this.searchAll(signal), contextCsn, fullReadAt };
  }

  /**
   * contextCSN of the base DN (one search), or null when it has none or cannot be read there (no syncprov,
   * the base DN is not a database suffix, or access is denied): then the listing is never skipped.
   */
  private async probe(signal: AbortSignal): Promise<string[] | null> {
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
      if (!this.mayFallBack(error, signal)) throw error;
      return null;
    }
    const values = entries[0]?.attributes.get("contextcsn") ?? [];
    return values.length > 0 ? [...values] : null;
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
    const latest = [...contextCsn].sort().at(-1) ?? "";
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
    if (changed)
      this.options.log(
        `${this.options.name}: entries changed after the base DN's contextCSN (${latest}), which no longer follows changes (is the syncprov overlay still on?): listing everything`,
      );
    return changed;
  }

  private async tryRefresh(previous: Snapshot, signal: AbortSignal): Promise<Snapshot | undefined> {
    let result: Snapshot | Fallback;
    try {
      result = await this.refresh(previous, signal);
    } catch (error) {
      if (!this.mayFallBack(error, signal)) throw error;
      result = `the incremental read failed (${error.message})`;
    }
    if (typeof result !== "string") return result;
    this.options.log(`${this.options.name}: ${result}; reading everything`);
    return undefined;
  }

  private async refresh(previous: Snapshot, signal: AbortSignal): Promise<Snapshot | Fallback> {
    const contextCsn = previous.contextCsn === null ? null : await this.probe(signal);
    if (
      contextCsn !== null &&
      previous.contextCsn &&
      sameContextCsn(contextCsn, previous.contextCsn) &&
      !(await this.changedAfter(contextCsn, signal))
    )
      return this.refetchDangling(previous, contextCsn, signal);
    const listed: LdapEntry[][] = [];
    for (const scope of this.scopes) {
      const { base, filter } = scope;
      const request = {
        base,
        scope: "sub",
        filter,
        attributes: CHANGE_STAMP_ATTRIBUTES,
        paged: true,
      } as const;
      listed.push(await this.options.client.search(request, signal));
    }
    const plan = planRefresh(previous.scopes, listed, this.scopes, this.options.settings, previous.unsettled);
    if (!plan) return "an entry was listed without entryCSN or entryUUID";
    const scopes: Map<string, LdapEntry>[] = [];
    for (const [i, scope] of this.scopes.entries()) {
      const step = plan[i];
      const refreshed = step ? await this.applyRefresh(scope, step, signal) : "a read scope went missing";
      if (typeof refreshed === "string") return refreshed;
      scopes.push(refreshed);
    }
    this.sayRefreshed(plan);
    const unsettled = nextUnsettled(
      previous,
      plan.flatMap((step) => step.rechecked),
      scopes,
    );
    return { scopes, contextCsn, fullReadAt: previous.fullReadAt, unsettled };
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
        `${this.options.name}: contextCSN unchanged: nothing changed since the last read (entries naming a DN outside it were read again under this contextCSN already)`,
      );
      return previous;
    }
    const referrers = danglingReferrers(previous, this.scopes, this.options.settings).map((dns, i) => {
      // Entries still unsettled are read again too: refint changes no CSN, contextCSN included.
      const again = [...(previous.unsettled ?? [])].flatMap((key) => {
        const entry = previous.scopes[i]?.get(key);
        return entry ? [entry.dn] : [];
      });
      return [...new Set([...dns, ...again])];
    });
    const count = referrers.reduce((n, dns) => n + dns.length, 0);
    const what =
      count === 0
        ? "nothing changed since the last read"
        : `reading again ${plural(count, "entry that names", "entries that name")} a DN outside what was read`;
    this.options.log(`${this.options.name}: contextCSN unchanged: ${what}`);
    if (count === 0) return previous;
    const scopes: Map<string, LdapEntry>[] = [];
    for (const [i, scope] of this.scopes.entries()) {
      const merged = new Map(previous.scopes[i]);
      const dns = referrers[i] ?? [];
      const fetched =
        dns.length > 0 ? await this.fetchByDn(scope, dns, signal) : new Map<string, LdapEntry>();
      if (typeof fetched === "string") return fetched;
      for (const [key, entry] of fetched) merged.set(key, entry);
      scopes.push(merged);
    }
    const rechecked = referrers.flat().map((dn) => normalizeDn(dn));
    const unsettled = nextUnsettled(previous, rechecked, scopes);
    // None unsettled: each entry read again had been read before and came back the same (nextUnsettled),
    // so refint is done with them under this contextCSN.
    return {
      scopes,
      contextCsn,
      fullReadAt: previous.fullReadAt,
      unsettled,
      ...(unsettled.size === 0 ? { danglingSettled: contextCsn } : {}),
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
    const pagesForAll = Math.ceil(step.total / this.options.settings.pageSize);
    if (Math.ceil(step.fetch.length / FETCH_CHUNK) >= pagesForAll) {
      const all = await this.searchScope(scope, signal);
      return allStamped([all]) ? byNormalizedDn(all) : "an entry was read without entryCSN or entryUUID";
    }
    const fetched = await this.fetchByDn(scope, step.fetch, signal);
    if (typeof fetched === "string") return fetched;
    const merged = new Map(step.kept);
    for (const [key, entry] of fetched) merged.set(key, entry);
    return merged;
  }

  /** These entries of a scope, in full, by entryDN (one search per 200); every one must come back. */
  private async fetchByDn(
    scope: ReadScope,
    dns: readonly string[],
    signal: AbortSignal,
  ): Promise<Map<string, LdapEntry> | Fallback> {
    const found = new Map<string, LdapEntry>();
    for (let i = 0; i < dns.length; i += FETCH_CHUNK) {
      const filter = entryDnFilter(scope.filter, dns.slice(i, i + FETCH_CHUNK));
      const { base, attributes } = scope;
      const entries = await this.options.client.search(
        { base, scope: "sub", filter, attributes, paged: true },
        signal,
      );
      for (const entry of entries) found.set(normalizeDn(entry.dn), entry);
    }
    const missing = dns.find((dn) => !found.has(normalizeDn(dn)));
    if (missing !== undefined) return `entry "${missing}" was renamed or deleted while it was being read`;
    return allStamped([found.values()]) ? found : "an entry was read without entryCSN or entryUUID";
  }
}
