/**
 * Pure: what a read keeps for the next one (every entry by normalized DN, per read scope) and how a later
 * listing of DNs and change stamps decides which entries must be read again.
 */
import { exactDn, normalizeDn } from "./dn.ts";
import type { LdapEntry } from "./map.ts";
import { firstValue, stripUniqueMemberUid, valuesOf } from "./map.ts";
import type { ReadScope } from "./queries.ts";
import type { LdapSettings } from "./settings.ts";

/** The entries of one read, and what is needed to bring them up to date. */
export interface Snapshot {
  /** Entries by normalized DN, one map per read scope (same order as `readScopes`). */
  readonly scopes: readonly ReadonlyMap<string, LdapEntry>[];
  /**
   * contextCSN of the base DN, read before the entries were last brought up to date: `undefined` when not
   * asked yet, `null` when the server has none (no syncprov overlay, or the base DN is not a suffix).
   */
  readonly contextCsn: readonly string[] | null | undefined;
  /** When the last full read began (ms since the epoch); incremental reads keep it. */
  readonly fullReadAt: number;
  /**
   * Entries refint may still have been rewriting when they were read (it changes no stamp when it does), by
   * normalized DN, each with the instant (ms, this host's clock) from which a read may settle it. They are
   * read again on every later read until one that starts at or after that instant gives the same entry as
   * the read before it (`nextUnsettled`). An entry that a listing read read again naming a DN not held by
   * the same entry as before (changed hands, new, gone, outside and not vouched by two lookups:
   * `fetchedNamingChangedHands`) may settle once refint's lag (`refintLagMs`) has passed since that read,
   * since two reads inside the lag can both see the stale value. Under an unchanged contextCSN
   * (`refetchDangling`), an entry read again that had settled stays settled when it comes back the same,
   * and one that changed may settle at the next read.
   */
  readonly unsettled?: ReadonlyMap<string, number>;
  /**
   * A full read with no store and no earlier snapshot leaves `namingChangedHands` (from `since`) to the
   * next read of the same process, which needs it to know what to read again: most such processes read
   * once, and the walk over every member value costs about 2 s at 100k people. What it finds is unsettled
   * from `foundAt`, when the full read's searches ended, plus refint's lag.
   */
  readonly flagLater?: { readonly since: string; readonly foundAt: number };
  /**
   * The contextCSN under which the entries naming a DN outside the snapshot were last read again and came
   * back as they were: refint had finished with them. While contextCSN stays the same, nothing happened
   * that refint could follow, so they are not read again.
   */
  readonly danglingSettled?: readonly string[];
  /**
   * OpenLDAP: the identity (`identityOf`) of each DN outside the read scopes that entries of the snapshot
   * name, as last looked up (`outsideDns`, `outsideIdentities`, `withOutside`), by normalized DN; null when
   * no entry vouched for the DN then. A listing read that looks them up again trusts a DN held by the same
   * non-null identity both times (as `EntryHands.isSameEntry` does for DNs in scope); the entries it reads
   * again naming any other settle only refint's lag later (`fetchedNamingChangedHands`). Absent: never
   * looked up (after a full read, or when looking up was not worth it).
   */
  readonly outsideIds?: ReadonlyMap<string, string | null>;
  /**
   * The outside DNs (normalized) that the listing read which last looked them up trusted: held by the
   * same non-null identity at that lookup and the one before. While contextCSN stays the one probed before
   * that lookup, nothing was renamed, deleted or added since, so refint has nothing to rewrite in the
   * values naming them: the read under the same contextCSN (`danglingReferrers`) does not read the entries
   * naming them again for their sake. Absent: none.
   */
  readonly outsideVouched?: readonly string[];
}

/** What to do with one scope after listing its DNs and change stamps. */
export interface ScopeRefresh {
  /** Entries that are unchanged, by normalized DN. */
  readonly kept: Map<string, LdapEntry>;
  /** DNs, as the server wrote them, to read again: new, changed, or holding a reference refint may have rewritten. */
  readonly fetch: string[];
  /**
   * Normalized DNs read again that refint may still have been rewriting: unchanged stamps (a named DN
   * changed hands, or unsettled), or new stamps while a named DN changed hands.
   */
  readonly rechecked: string[];
  /** Entries gone since (deleted, renamed, moved out of scope, no longer matching the filter). */
  readonly removed: number;
  /** Entries in the scope now. */
  readonly total: number;
}

/**
 * The entry's change stamp: entryCSN (unique per write) and modifyTimestamp (OpenLDAP), or uSNChanged
 * (Active Directory; comparable only between reads of one domain controller, which incremental.ts sees
 * to). Undefined when the server returned neither, or no identity (entryUUID, objectGUID), so changes to
 * the entry could not be noticed.
 */
export function stampOf(entry: LdapEntry): string | undefined {
  if (identityOf(entry) === undefined) return undefined;
  const csn = valuesOf(entry, "entryCSN");
  if (csn.length > 0) return `${[...csn].sort().join(",")}|${valuesOf(entry, "modifyTimestamp").join(",")}`;
  const usn = valuesOf(entry, "uSNChanged");
  return usn.length === 1 ? `usn:${usn[0] ?? ""}` : undefined;
}

/**
 * entryUUID (OpenLDAP) or objectGUID (AD, as hex): the same for an entry through renames and changes, new
 * for an entry deleted and added again. OpenLDAP: with createTimestamp, when the server gave it: an entry
 * deleted and added again with its old entryUUID (a restore with the Relax Rules control) is another entry
 * for refint, which took the values naming it out, so it must not count as the same one.
 */
export function identityOf(entry: LdapEntry): string | undefined {
  const uuid = firstValue(entry, "entryUUID");
  if (uuid === undefined) return firstValue(entry, "objectGUID")?.toLowerCase();
  const created = firstValue(entry, "createTimestamp");
  return `${uuid.toLowerCase()}${created === undefined ? "" : `@${created}`}`;
}

/** entryUUID by normalized DN, of entries already keyed so. */
function identitiesByKey(scopes: readonly ReadonlyMap<string, LdapEntry>[]): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const entries of scopes) for (const [key, e] of entries) out.set(key, identityOf(e));
  return out;
}

/** entryUUID by normalized DN. */
function identities(scopes: readonly Iterable<LdapEntry>[]): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const entries of scopes) for (const e of entries) out.set(normalizeDn(e.dn), identityOf(e));
  return out;
}

/** True when every entry carries a change stamp. */
export function allStamped(scopes: readonly Iterable<LdapEntry>[]): boolean {
  for (const entries of scopes) for (const entry of entries) if (stampOf(entry) === undefined) return false;
  return true;
}

/** Entries by normalized DN. */
export function byNormalizedDn(entries: readonly LdapEntry[]): Map<string, LdapEntry> {
  return new Map(entries.map((e) => [normalizeDn(e.dn), e]));
}

/**
 * The DN values of an entry that the refint overlay rewrites when the entry they name is renamed or
 * deleted (group members, the manager), normalized. refint changes neither entryCSN nor modifyTimestamp of
 * the entry it rewrites, so these are checked against the DNs that exist now. The empty-group placeholder is
 * left out: it names no entry and refint never rewrites it.
 */
export function referencedDns(
  entry: LdapEntry,
  kind: ReadScope["kind"],
  settings: LdapSettings,
): readonly string[] {
  const cached = referenceCache.get(entry);
  if (cached?.settings === settings && cached.kind === kind) return cached.dns;
  const dns = computeReferencedDns(entry, kind, settings);
  referenceCache.set(entry, { settings, kind, dns });
  return dns;
}

/** Entries are kept from read to read unchanged, so their normalized references are worked out once. */
const referenceCache = new WeakMap<
  LdapEntry,
  { readonly settings: LdapSettings; readonly kind: ReadScope["kind"]; readonly dns: readonly string[] }
>();

function computeReferencedDns(entry: LdapEntry, kind: ReadScope["kind"], settings: LdapSettings): string[] {
  const placeholder = normalizeDn(settings.groups.emptyMember);
  return referencedValues(entry, kind, settings)
    .map((v) => normalizeDn(v))
    .filter((dn) => dn !== placeholder);
}

/** The values behind `referencedDns`, as the entry holds them (the placeholder included). */
function referencedValues(entry: LdapEntry, kind: ReadScope["kind"], settings: LdapSettings): string[] {
  const s = settings;
  const values: string[] = [];
  if (kind === "groups" && s.groups.flavour !== "posixGroup")
    for (const v of valuesOf(entry, s.groups.memberAttribute)) values.push(stripUniqueMemberUid(v));
  const manager = s.users.attributes.manager;
  if (kind === "users" && manager !== undefined) values.push(...valuesOf(entry, manager));
  return values;
}

/** Whether the entry names a DN that `isTrusted` does not vouch for. */
export function hasDanglingReference(
  entry: LdapEntry,
  kind: ReadScope["kind"],
  settings: LdapSettings,
  isTrusted: (dn: string) => boolean,
): boolean {
  return referencedDns(entry, kind, settings).some((dn) => !isTrusted(dn));
}

/**
 * Compares the snapshot with a fresh listing of each scope (DN, change stamps, entryUUID) and says, per
 * scope, which entries stay and which must be read again: new and changed ones, and unchanged ones naming a
 * DN whose entry is not the same one (same entryUUID) in both the snapshot and the listing, since refint may
 * have rewritten that value without changing any stamp. Undefined when a listed entry has no change stamp.
 */
export function planRefresh(
  previous: readonly ReadonlyMap<string, LdapEntry>[],
  listed: readonly (readonly LdapEntry[])[],
  scopes: readonly ReadScope[],
  settings: LdapSettings,
  unsettled: ReadonlyMap<string, number> = new Map(),
  hands: EntryHands = entryHands(previous, listed),
): ScopeRefresh[] | undefined {
  if (!allStamped(listed)) return undefined;
  const isTrusted = hands.isSameEntry;
  return scopes.map((scope, i) => {
    const before = previous[i] ?? new Map<string, LdapEntry>();
    const kept = new Map<string, LdapEntry>();
    const fetch: string[] = [];
    const rechecked: string[] = [];
    let stillThere = 0;
    for (const current of listed[i] ?? []) {
      const key = normalizeDn(current.dn);
      const old = before.get(key);
      if (old === undefined) {
        fetch.push(current.dn);
        continue;
      }
      stillThere++;
      const isStamped = stampOf(old) === stampOf(current);
      const isDangling = hasDanglingReference(old, scope.kind, settings, isTrusted);
      const isSame = isStamped && !unsettled.has(key) && !isDangling;
      if (isSame) kept.set(key, old);
      else fetch.push(current.dn);
      // Read while refint may still be rewriting it: it names a DN that changed hands, or is unsettled.
      if (!isSame && (isStamped || isDangling)) rechecked.push(key);
    }
    return { kept, fetch, rechecked, removed: before.size - stillThere, total: listed[i]?.length ?? 0 };
  });
}

/** Which entry holds a DN in the snapshot and in a new listing (by entryUUID or objectGUID). */
export interface EntryHands {
  /**
   * Held by the same entry in both. Any other DN (held by another entry now, new, gone, outside the read
   * scopes) may have changed hands, or lost its holder, while refint could still be rewriting the values
   * naming it (`fetchedNamingChangedHands`).
   */
  readonly isSameEntry: (normalizedDn: string) => boolean;
}

export function entryHands(
  previous: readonly ReadonlyMap<string, LdapEntry>[],
  listed: readonly (readonly LdapEntry[])[],
): EntryHands {
  const before = identitiesByKey(previous);
  const now = identities(listed);
  return {
    isSameEntry: (dn) => {
      const id = before.get(dn);
      return id !== undefined && id === now.get(dn);
    },
  };
}

/** What a listing read found when it looked up the DNs outside the read scopes (see Snapshot.outsideIds). */
export interface OutsideLookup {
  /** Identity by normalized DN, as looked up by this read; null when no entry (or none with an identity). */
  readonly now: ReadonlyMap<string, string | null>;
  /** Snapshot.outsideIds of the snapshot read from (the previous lookup); empty when there was none. */
  readonly before: ReadonlyMap<string, string | null>;
}

/**
 * `hands` extended to the DNs outside the read scopes that were looked up (`lookup`): such a DN is the same
 * entry when it was held by the same non-null identity at the previous lookup and at this one. Nothing
 * else is: not a DN looked up for the first time (the entries naming it were read when another entry, or
 * none, may have held it; an entry given the DN by its parent's rename keeps its entryCSN, so no stamp
 * tells), nor one with no entry at either lookup (an entry may have held it between them, or left it just
 * before, and refint rewrites the values naming it later).
 */
export function withOutside(hands: EntryHands, lookup: OutsideLookup | undefined): EntryHands {
  if (lookup === undefined || lookup.now.size === 0) return hands;
  const { now, before } = lookup;
  return {
    isSameEntry: (dn) => {
      if (hands.isSameEntry(dn)) return true;
      const id = now.get(dn);
      return id !== undefined && id !== null && before.get(dn) === id;
    },
  };
}

/**
 * The normalized DNs that entries of `previous` name which are neither in it nor in `listed` and that a
 * lookup could vouch for (`canVouch`; the others are `unvouched`), and per scope how many entries of
 * `previous` name one of those and no outside DN it could not (only such an entry can be spared reading
 * again). `named`: for each of `dns`, the values naming it as the entries hold them (they may differ in
 * letter case, which normalizeDn drops).
 */
export function outsideDns(
  previous: readonly ReadonlyMap<string, LdapEntry>[],
  listed: readonly (readonly LdapEntry[])[],
  scopes: readonly ReadScope[],
  settings: LdapSettings,
  canVouch: (normalizedDn: string) => boolean = () => true,
): {
  readonly dns: Set<string>;
  readonly unvouched: Set<string>;
  readonly referrers: number[];
  readonly named: Map<string, Set<string>>;
} {
  const inside = new Set<string>();
  for (const entries of previous) for (const key of entries.keys()) inside.add(key);
  for (const entries of listed) for (const e of entries) inside.add(normalizeDn(e.dn));
  const dns = new Set<string>();
  const unvouched = new Set<string>();
  const named = new Map<string, Set<string>>();
  const referrers = scopes.map((scope, i) => {
    let count = 0;
    for (const entry of previous[i]?.values() ?? []) {
      let names = false;
      let isSparable = true;
      for (const dn of referencedDns(entry, scope.kind, settings)) {
        if (inside.has(dn)) continue;
        if (canVouch(dn)) {
          dns.add(dn);
          names = true;
        } else {
          unvouched.add(dn);
          isSparable = false;
        }
      }
      if (names && isSparable) count++;
      if (names)
        for (const value of referencedValues(entry, scope.kind, settings)) {
          const dn = normalizeDn(value);
          if (dns.has(dn)) named.set(dn, (named.get(dn) ?? new Set()).add(value));
        }
    }
    return count;
  });
  return { dns, unvouched, referrers, named };
}

/**
 * The identity of each of `dns` (normalized) as a lookup found it in `entries`, null when none vouches:
 * no entry, two entries for one key, or an entry whose DN differs in letter case from a value naming it
 * (`named`: those values by DN). With a naming attribute matched case-exactly (homeDirectory),
 * "…=/home/Svc" and "…=/home/svc" are two entries that normalizeDn makes one: the other one's entryUUID
 * vouched for a value naming a deleted entry.
 */
export function outsideIdentities(
  dns: readonly string[],
  named: ReadonlyMap<string, ReadonlySet<string>>,
  entries: readonly LdapEntry[],
): Map<string, string | null> {
  const now = new Map<string, string | null>(dns.map((dn) => [dn, null]));
  const isExactly = (dn: string, entryDn: string): boolean => {
    const exact = exactDn(entryDn);
    return [...(named.get(dn) ?? [dn])].every((value) => exactDn(value) === exact);
  };
  const found = new Set<string>();
  for (const entry of entries) {
    const key = normalizeDn(entry.dn);
    if (!now.has(key)) continue;
    const isOnly = !found.has(key);
    found.add(key);
    now.set(key, isOnly && isExactly(key, entry.dn) ? (identityOf(entry) ?? null) : null);
  }
  return now;
}

/**
 * The normalized DNs of entries fetched by an incremental read whose content names a DN that `hands` does
 * not vouch for (`isSameEntry`: held by the same entry at the read before and now): one that changed
 * hands, is new, is gone from the listing, or is outside the read scopes and not held by the same entry
 * at two lookups. refint may not have rewritten that value yet (it works after its operation returned,
 * through one queue), and will not change the entry's stamps when it does, so they settle only once a
 * read refint's lag later reads them the same (`nextUnsettled`). A DN with no entry counts too: reading the
 * entry twice under one contextCSN (`refetchDangling`) can see the value refint is about to take out or
 * rewrite both times (an entry deleted, moved into scope, or renamed away from the DN just before).
 */
export function fetchedNamingChangedHands(
  plan: readonly ScopeRefresh[],
  after: readonly ReadonlyMap<string, LdapEntry>[],
  scopes: readonly ReadScope[],
  settings: LdapSettings,
  hands: EntryHands,
): string[] {
  const isTrusted = hands.isSameEntry;
  const out: string[] = [];
  scopes.forEach((scope, i) => {
    for (const dn of plan[i]?.fetch ?? []) {
      const key = normalizeDn(dn);
      const entry = after[i]?.get(key);
      if (entry && hasDanglingReference(entry, scope.kind, settings, isTrusted)) out.push(key);
    }
  });
  return out;
}

/** The entryCSN of an instant, to compare with others as text (a CSN starts with its time, fixed width). */
export function csnAt(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-11-26T21:43:17.038Z
  return `${iso.slice(0, 19).replace(/[-:T]/g, "")}.${iso.slice(20, 23)}000Z`;
}

/** The instant (ms) an entryCSN or contextCSN value was written at; undefined when it is not one. */
export function csnTime(csn: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,6}))?Z/.exec(csn);
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const micros = Number((m[7] ?? "").padEnd(6, "0"));
  return Date.UTC(y, mo - 1, d, h, mi, sec, Math.floor(micros / 1000));
}

/**
 * The entryCSN from which a write counts as recent for `namingChangedHands`: refint's lag before now by
 * this host's clock, and before the server's last write (contextCSN) by its own, whichever is earlier (so a
 * clock running behind the server's counts more writes as recent, never fewer).
 */
export function refintSince(
  nowMs: number,
  contextCsn: readonly string[] | null | undefined,
  lagMs: number,
): string {
  // The server's last write is the newest value: under multi-provider replication there is one per server
  // ID, and a provider that stopped writing months ago keeps its old one.
  const server = (contextCsn ?? []).flatMap((csn) => csnTime(csn) ?? []);
  const times = [nowMs, ...(server.length > 0 ? [Math.max(...server)] : [])];
  return csnAt(Math.min(...times) - lagMs);
}

/**
 * After a full read: the normalized DNs of entries that name a DN which may just have changed hands, so that
 * refint may not yet have rewritten the references to its former holder (it changes no stamp when it does).
 * Those are read again until they read the same twice (`nextUnsettled`), as after an incremental read
 * (`fetchedNamingChangedHands`). With an earlier snapshot, a DN changed hands when another entry holds it
 * now (`entryHands`). Without one (the first read, or one after the snapshot was dropped), any DN whose
 * entry was written at or after `since` (an entryCSN, `refintSince`) may have: its CSN does not say what
 * kind of write it was, so a few more entries are read once. Entries without an entryCSN (Active
 * Directory, which needs none of this) never count. Either way, so does a DN with no entry in the snapshot
 * (outside the read scopes, or gone): nothing tells when its entry left it. This walks every member and
 * manager value on every full read (about 2 s at 100k people), as the read after it would anyway
 * (`danglingReferrers`).
 */
export function namingChangedHands(
  snapshot: readonly ReadonlyMap<string, LdapEntry>[],
  scopes: readonly ReadScope[],
  settings: LdapSettings,
  earlier: { readonly previous: readonly ReadonlyMap<string, LdapEntry>[] } | { readonly since: string },
): Set<string> {
  const suspects = new Set<string>();
  if ("previous" in earlier) {
    const before = identitiesByKey(earlier.previous);
    for (const entries of snapshot)
      // Held by another entry than before, or new since (see EntryHands.isSameEntry).
      for (const [key, entry] of entries) if (before.get(key) !== identityOf(entry)) suspects.add(key);
  } else {
    for (const entries of snapshot)
      for (const [key, entry] of entries)
        if (valuesOf(entry, "entryCSN").some((csn) => csn >= earlier.since)) suspects.add(key);
  }
  // A DN with no entry in the snapshot counts too: its entry (outside the read, or gone) may have left it
  // just before the read, and refint may still rewrite the values naming it (to an entry in scope, even).
  const naming = entriesNaming(
    snapshot,
    scopes,
    settings,
    (dn) => !suspects.has(dn) && snapshot.some((entries) => entries.has(dn)),
  );
  return new Set(naming.flatMap((entries) => entries.map(([key]) => key)));
}

/** Per scope, the entries of `snapshot` (with their keys) that name a DN `isTrusted` does not vouch for. */
function entriesNaming(
  snapshot: readonly ReadonlyMap<string, LdapEntry>[],
  scopes: readonly ReadScope[],
  settings: LdapSettings,
  isTrusted: (dn: string) => boolean,
): [string, LdapEntry][][] {
  return scopes.map((scope, i) => {
    const out: [string, LdapEntry][] = [];
    for (const [key, entry] of snapshot[i] ?? [])
      if (hasDanglingReference(entry, scope.kind, settings, isTrusted)) out.push([key, entry]);
    return out;
  });
}

/**
 * Per scope, the DNs of entries that name a DN not in the snapshot (see `referencedDns`), other than the
 * outside DNs the snapshot's listing read trusted (Snapshot.outsideVouched).
 */
export function danglingReferrers(
  snapshot: Snapshot,
  scopes: readonly ReadScope[],
  settings: LdapSettings,
): string[][] {
  const existing = new Set<string>(snapshot.outsideVouched ?? []);
  for (const entries of snapshot.scopes) for (const key of entries.keys()) existing.add(key);
  const naming = entriesNaming(snapshot.scopes, scopes, settings, (dn) => existing.has(dn));
  return naming.map((entries) => entries.map(([, entry]) => entry.dn));
}

/** True when both hold the same contextCSN values. */
export function sameContextCsn(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sortedB = [...b].sort();
  return [...a].sort().every((v, i) => v === sortedB[i]);
}

/** Same DN and the same values of every attribute, in any order of attributes. */
export function sameEntry(a: LdapEntry, b: LdapEntry): boolean {
  if (normalizeDn(a.dn) !== normalizeDn(b.dn) || a.attributes.size !== b.attributes.size) return false;
  for (const [name, values] of a.attributes) {
    const other = b.attributes.get(name);
    if (other?.length !== values.length || other.some((v, i) => v !== values[i])) return false;
  }
  return true;
}

/**
 * Marks `key` unsettled from `from` in `unsettled`, or keeps the later instant it has already: an entry
 * never becomes settleable earlier (reads need not come in the order of their clocks).
 */
export function keepUnsettled(unsettled: Map<string, number>, key: string, from: number): void {
  unsettled.set(key, Math.max(from, unsettled.get(key) ?? from));
}

/** What a read found about the entries refint may still be rewriting (see Snapshot.unsettled). */
export interface Rechecks {
  /** When the read started (ms, this host's clock). */
  readonly readAt: number;
  /** refint's lag (ms): entries in `flagged` may settle only this long after `foundAt`. */
  readonly lagMs: number;
  /**
   * When the read had listed what it found (ms, this host's clock; `readAt` when absent): a DN it found
   * changed hands may have done so after the read started.
   */
  readonly foundAt?: number;
  /** Normalized DNs of entries read that name a DN which changed hands. */
  readonly flagged: readonly string[];
  /** Normalized DNs of other entries read again because refint may have rewritten them. */
  readonly rechecked: readonly string[];
}

/**
 * The entries still unsettled after a read (Snapshot.unsettled): those `flagged` (from `readAt + lagMs`
 * on), those rechecked for the first time (from the next read on), and those unsettled before unless this
 * read started at or after their instant and gave the same entry as the read before it. An entry unsettled
 * before stays so when it was written meanwhile: a write is no sign that refint is done with it.
 */
export function nextUnsettled(
  before: Snapshot,
  after: readonly ReadonlyMap<string, LdapEntry>[],
  { readAt, lagMs, flagged, rechecked, foundAt = readAt }: Rechecks,
): Map<string, number> {
  const find = (scopes: readonly ReadonlyMap<string, LdapEntry>[], key: string): LdapEntry | undefined => {
    for (const entries of scopes) {
      const entry = entries.get(key);
      if (entry) return entry;
    }
    return undefined;
  };
  const out = new Map<string, number>();
  // Never earlier than an instant it had already (keepUnsettled).
  for (const key of flagged)
    if (find(after, key) !== undefined)
      out.set(key, Math.max(foundAt + lagMs, before.unsettled?.get(key) ?? -Infinity));
  const again = new Set([...rechecked, ...(before.unsettled?.keys() ?? [])]);
  for (const key of again) {
    const now = find(after, key);
    if (out.has(key) || now === undefined) continue;
    const from = before.unsettled?.get(key);
    if (from === undefined) out.set(key, readAt);
    else {
      const old = find(before.scopes, key);
      const isSettled = readAt >= from && old !== undefined && sameEntry(old, now);
      if (!isSettled) out.set(key, from);
    }
  }
  return out;
}
