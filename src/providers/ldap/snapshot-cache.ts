/**
 * Keeps an ldap provider's snapshot between runs (setting `readCache`): one JSON file per server, bind DN,
 * base DNs and settings under `.gatehouse/cache/`, written atomically, at most 24 hours old when used, and
 * never trusted without the checks of an incremental read. It holds the attributes a read asks for (never a
 * password: none is read) and only the name of the password's environment variable.
 */
import type { NonPerson } from "./stranger-notes.ts";
import { createHash } from "node:crypto";
import { unlink } from "node:fs/promises";
import path from "node:path";
import { hasCode } from "../../io/file-lock.ts";
import { readCacheFile, writeCacheFile } from "../../io/cache-file.ts";
import type { ElsewhereLookup, SnapshotStore } from "./incremental.ts";
import type { AccountElsewhere, NameTaken } from "../../model/state.ts";
import { rememberPositions, type LdapEntry } from "./map.ts";
import type { ReadScope } from "./queries.ts";
import { readScopes } from "./queries.ts";
import type { LdapSettings } from "./settings.ts";
import type { Snapshot } from "./snapshot.ts";
import { byNormalizedDn, sameContextCsn } from "./snapshot.ts";
import { isRecord } from "../../model/json.ts";
import { messageOf } from "../../errors.ts";

/**
 * Bump when the file layout changes: older files are then ignored. 3: the groups' member values listed
 * once (`values`), their lists holding positions in it. 4: each unsettled entry with the instant from
 * which it may settle. 5: the identities of the DNs outside the read scopes (`outsideIds`). 6: keys of
 * multi-valued RDNs normalized pair by pair (normalizeDn), so the stored keys of `unsettled`, `outsideIds`
 * and `outsideVouched` of older files may name other DNs. 7, 8: attributes Active Directory people are read
 * with (userPrincipalName, then accountExpires), which older files' entries lack.
 */
const FORMAT = "gatehouse-ldap-snapshot-8";
/** A snapshot older than this is not used: a full read picks up what no stamp shows (e.g. access rights). */
export const MAX_SNAPSHOT_AGE_MS = 24 * 3_600_000;

/** Whether something read at `at` is still young enough to stand in for a read at `now` (ms; not future). */
export function isWithinSnapshotAge(at: number, now: number): boolean {
  const age = now - at;
  return age >= 0 && age <= MAX_SNAPSHOT_AGE_MS;
}
const FILE_PATTERN = /^ldap-[0-9a-f]{32}\.json$/;
const ELSEWHERE_PATTERN = /^ldap-[0-9a-f]{32}-elsewhere\.json$/;
const ELSEWHERE_FORMAT = "gatehouse-ldap-elsewhere-4";
const SETTLED_PATTERN = /^ldap-[0-9a-f]{32}-settled\.json$/;
const SETTLED_FORMAT = "gatehouse-ldap-settled-1";

/**
 * What a stored snapshot says of the directory, read without the snapshot itself (tens of MB at 100k
 * people): the stamp (contextCSN; AD: the controller and its highestCommittedUSN) under which a read found
 * that nothing names a DN outside what it read and nothing is left for refint to rewrite. While the
 * directory keeps that stamp, a read returns that snapshot as it is (the two-search case), so the stamp
 * stands for the whole live state: the provider's liveStamp.
 */
export interface SettledStamp {
  readonly stamp: readonly string[];
  /** When the snapshot's full read was (ms): like the snapshot, the stamp is not used 24 hours on. */
  readonly fullReadAt: number;
}

/** The SettledStamp of `snapshot`, when it is settled under its own stamp. */
export function settledStampOf(snapshot: Snapshot): SettledStamp | undefined {
  const { contextCsn, danglingSettled, unsettled, fullReadAt } = snapshot;
  if (!Array.isArray(contextCsn) || contextCsn.length === 0 || danglingSettled === undefined)
    return undefined;
  if (!sameContextCsn(danglingSettled, contextCsn) || (unsettled?.size ?? 0) > 0) return undefined;
  return { stamp: contextCsn, fullReadAt };
}

/** A stored ElsewhereLookup, or undefined when the value is not one (for these settings). */
export function parseStoredElsewhere(value: unknown, key: string): ElsewhereLookup | undefined {
  if (!isRecord(value) || value["format"] !== ELSEWHERE_FORMAT || value["key"] !== key) return undefined;
  const { stamp, dns, accounts, nonPersons, namesTaken, at } = value;
  if (
    !isStringList(stamp) ||
    !isStringList(dns) ||
    !Array.isArray(accounts) ||
    !Array.isArray(nonPersons) ||
    !Array.isArray(namesTaken) ||
    typeof at !== "number"
  )
    return undefined;
  const parsed: AccountElsewhere[] = [];
  for (const item of accounts as unknown[]) {
    if (!isRecord(item) || typeof item["account"] !== "string" || typeof item["where"] !== "string")
      return undefined;
    parsed.push({ account: item["account"], where: item["where"] });
  }
  const others: NonPerson[] = [];
  for (const item of nonPersons as unknown[]) {
    if (!isRecord(item) || typeof item["dn"] !== "string") return undefined;
    const kind = item["kind"];
    if (kind !== "computer" && kind !== "contact") return undefined;
    others.push({ dn: item["dn"], kind });
  }
  const taken: NameTaken[] = [];
  for (const item of namesTaken as unknown[]) {
    if (!isRecord(item)) return undefined;
    const { account, claim, holder, where } = item;
    if (typeof account !== "string" || typeof claim !== "string") return undefined;
    if (typeof holder !== "string" || typeof where !== "string") return undefined;
    taken.push({ account, claim, holder, where });
  }
  return { stamp, dns, accounts: parsed, nonPersons: others, namesTaken: taken, at };
}

/**
 * An entry's DN and attributes. The groups' member values are positions in StoredSnapshot.values: the two
 * million member values of a directory of 100k people name the same hundred thousand DNs, so the file
 * holds each DN once, and a read holds one string per DN instead of one per value (which every lookup of
 * a value would also have to hash again).
 */
interface StoredScope {
  readonly base: string;
  readonly entries: readonly (readonly [
    string,
    Readonly<Record<string, readonly number[] | readonly string[]>>,
  ])[];
}

interface StoredSnapshot {
  readonly format: string;
  readonly key: string;
  /** Every value of the groups' member attribute, once (the other attributes hold their values). */
  readonly values: readonly string[];
  readonly fullReadAt: number;
  /** "unknown": not asked yet; "none": the server has none. */
  readonly contextCsn: readonly string[] | "unknown" | "none";
  readonly scopes: readonly StoredScope[];
  /** Snapshot.unsettled as [normalized DN, instant] pairs; absent when empty. */
  readonly unsettled?: readonly (readonly [string, number])[];
  /** Snapshot.danglingSettled; absent when unset. */
  readonly danglingSettled?: readonly string[];
  /** Snapshot.outsideIds as [normalized DN, identity or null] pairs; absent when unset. */
  readonly outsideIds?: readonly (readonly [string, string | null])[];
  /** Snapshot.outsideVouched; absent when empty. */
  readonly outsideVouched?: readonly string[];
}

/** Snapshot.outsideIds from the file; null when damaged, undefined when absent. */
function toOutsideIds(value: unknown): Map<string, string | null> | undefined | null {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return null;
  const out = new Map<string, string | null>();
  for (const item of value as unknown[]) {
    if (!Array.isArray(item) || item.length !== 2) return null;
    const [dn, id] = item as unknown[];
    if (typeof dn !== "string" || (id !== null && typeof id !== "string") || id === "") return null;
    if (out.has(dn)) return null;
    out.set(dn, id);
  }
  return out;
}

function toUnsettled(value: unknown): Map<string, number> | undefined {
  if (!Array.isArray(value)) return undefined;
  const out = new Map<string, number>();
  for (const item of value as unknown[]) {
    if (!Array.isArray(item) || item.length !== 2) return undefined;
    const [dn, from] = item as unknown[];
    if (typeof dn !== "string" || typeof from !== "number" || !Number.isFinite(from)) return undefined;
    out.set(dn, from);
  }
  return out;
}

function toContextCsn(value: unknown): Snapshot["contextCsn"] | false {
  if (value === "unknown") return undefined;
  if (value === "none") return null;
  return isStringList(value) ? value : false;
}

/** sha256 of the settings (server URL, bind DN, base DNs, mappings, page size, ...); no secret is in them. */
export function snapshotKey(settings: LdapSettings): string {
  return createHash("sha256").update(FORMAT).update(JSON.stringify(settings)).digest("hex").slice(0, 32);
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

/**
 * `positioned`: the attribute (lower case) whose lists remember where their values sit in `table`
 * (rememberPositions): the group members, which toLiveGroup works out once per value of the table.
 */
function toEntry(
  value: unknown,
  table: readonly string[],
  positioned: string | undefined,
): LdapEntry | undefined {
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const pair: readonly unknown[] = value;
  const [dn, attributes] = pair;
  if (typeof dn !== "string" || !isRecord(attributes)) return undefined;
  const map = new Map<string, string[]>();
  for (const [name, positions] of Object.entries(attributes)) {
    if (isStringList(positions)) {
      map.set(name, positions);
      continue;
    }
    // Only the groups' member lists are written as positions.
    if (!Array.isArray(positions) || name !== positioned) return undefined;
    const list = positions as unknown[];
    const values: string[] = [];
    const at = new Int32Array(list.length);
    for (let k = 0; k < list.length; k++) {
      const i = list[k];
      const v = typeof i === "number" ? table[i] : undefined;
      if (v === undefined) return undefined;
      values.push(v);
      at[k] = i as number;
    }
    rememberPositions(values, table, at);
    map.set(name, values);
  }
  return { dn, attributes: map };
}

function toScope(
  value: unknown,
  scope: ReadScope | undefined,
  table: readonly string[],
  positioned: string | undefined,
): Map<string, LdapEntry> | undefined {
  if (!isRecord(value) || scope === undefined || value["base"] !== scope.base) return undefined;
  const list = value["entries"];
  if (!Array.isArray(list)) return undefined;
  const entries = list.map((e: unknown) =>
    toEntry(e, table, scope.kind === "groups" ? positioned : undefined),
  );
  if (entries.some((e) => e === undefined)) return undefined;
  return byNormalizedDn(entries.filter((e): e is LdapEntry => e !== undefined));
}

/** The snapshot in a parsed file, or a reason not to use it. */
export function parseStoredSnapshot(
  value: unknown,
  key: string,
  scopes: readonly ReadScope[],
  now: number,
  memberAttribute?: string,
): Snapshot | string {
  if (!isRecord(value) || value["format"] !== FORMAT || value["key"] !== key)
    return "it is of another format";
  const { fullReadAt, contextCsn, scopes: stored, values } = value;
  if (
    typeof fullReadAt !== "number" ||
    !Array.isArray(stored) ||
    stored.length !== scopes.length ||
    !isStringList(values)
  )
    return "it is damaged";
  const csn = toContextCsn(contextCsn);
  if (csn === false) return "it is damaged";
  if (!isWithinSnapshotAge(fullReadAt, now)) return "its last full read is over 24 hours old";
  const positioned = memberAttribute?.toLowerCase();
  const maps = stored.map((s, i) => toScope(s, scopes[i], values, positioned));
  if (maps.some((m) => m === undefined)) return "it is damaged";
  const unsettled = toUnsettled(value["unsettled"] ?? []);
  if (unsettled === undefined) return "it is damaged";
  const outsideIds = toOutsideIds(value["outsideIds"]);
  if (outsideIds === null) return "it is damaged";
  const vouched = value["outsideVouched"];
  if (vouched !== undefined && !isStringList(vouched)) return "it is damaged";
  // Vouched DNs are looked-up ones with an identity.
  if (vouched?.some((dn) => typeof outsideIds?.get(dn) !== "string")) return "it is damaged";
  const settled = value["danglingSettled"];
  const danglingSettled =
    Array.isArray(settled) && settled.every((v) => typeof v === "string") ? settled : undefined;
  return {
    ...(danglingSettled === undefined ? {} : { danglingSettled }),
    scopes: maps.filter((m): m is Map<string, LdapEntry> => m !== undefined),
    contextCsn: csn,
    fullReadAt,
    ...(unsettled.size > 0 ? { unsettled } : {}),
    ...(outsideIds === undefined ? {} : { outsideIds }),
    ...(vouched === undefined || vouched.length === 0 ? {} : { outsideVouched: vouched }),
  };
}

/** The file's JSON text for a snapshot. */
export function serializeSnapshot(
  snapshot: Snapshot,
  key: string,
  scopes: readonly ReadScope[],
  memberAttribute?: string,
): string {
  const listed = memberAttribute?.toLowerCase();
  const values: string[] = [];
  const positionOf = new Map<string, number>();
  const positions = (list: readonly string[]): number[] =>
    list.map((v) => {
      let i = positionOf.get(v);
      if (i === undefined) {
        i = values.length;
        positionOf.set(v, i);
        values.push(v);
      }
      return i;
    });
  const stored: StoredSnapshot = {
    format: FORMAT,
    key,
    fullReadAt: snapshot.fullReadAt,
    contextCsn: snapshot.contextCsn === null ? "none" : (snapshot.contextCsn ?? "unknown"),
    scopes: scopes.map((scope, i) => ({
      base: scope.base,
      entries: [...(snapshot.scopes[i]?.values() ?? [])].map((e) => {
        const attributes: Record<string, readonly number[] | readonly string[]> = {};
        for (const [name, list] of e.attributes)
          attributes[name] = scope.kind === "groups" && name === listed ? positions(list) : list;
        return [e.dn, attributes] as const;
      }),
    })),
    values,
    ...(snapshot.unsettled && snapshot.unsettled.size > 0 ? { unsettled: [...snapshot.unsettled] } : {}),
    ...(snapshot.danglingSettled === undefined ? {} : { danglingSettled: snapshot.danglingSettled }),
    ...(snapshot.outsideIds === undefined ? {} : { outsideIds: [...snapshot.outsideIds] }),
    ...(snapshot.outsideVouched && snapshot.outsideVouched.length > 0
      ? { outsideVouched: snapshot.outsideVouched }
      : {}),
  };
  return JSON.stringify(stored);
}

export interface SnapshotStoreOptions {
  /** Provider name, for log lines. */
  readonly name: string;
  readonly log: (line: string) => void;
  readonly now: () => Date;
}

/** Snapshots in `<cwd>/.gatehouse/cache/ldap-<key>.json`. Failures to read or write only cost a full read. */
export class FileSnapshotStore implements SnapshotStore {
  /** The file this store reads and writes. */
  readonly file: string;
  private readonly key: string;
  private readonly scopes: readonly ReadScope[];
  private readonly options: SnapshotStoreOptions;
  private readonly memberAttribute: string;

  constructor(cacheDir: string, settings: LdapSettings, options: SnapshotStoreOptions) {
    this.key = snapshotKey(settings);
    this.file = path.join(cacheDir, `ldap-${this.key}.json`);
    this.scopes = readScopes(settings, true);
    this.options = options;
    this.memberAttribute = settings.groups.memberAttribute;
  }

  async load(): Promise<Snapshot | undefined> {
    const read = await readCacheFile(this.file);
    if (typeof read === "string") return undefined;
    const parsed = parseStoredSnapshot(
      read.value,
      this.key,
      this.scopes,
      this.options.now().getTime(),
      this.memberAttribute,
    );
    if (typeof parsed !== "string") return parsed;
    this.options.log(`${this.options.name}: not using the read cache ${this.file}: ${parsed}`);
    return undefined;
  }

  async clear(): Promise<void> {
    await this.remove(this.settledFile);
    await this.remove(this.file);
  }

  private async remove(file: string): Promise<void> {
    try {
      await unlink(file);
    } catch (error) {
      if (hasCode(error, "ENOENT")) return;
      const reason = messageOf(error);
      this.options.log(`${this.options.name}: cannot remove the read cache ${file}: ${reason}`);
    }
  }

  async loadElsewhere(): Promise<ElsewhereLookup | undefined> {
    const read = await readCacheFile(this.elsewhereFile);
    return typeof read === "string" ? undefined : parseStoredElsewhere(read.value, this.key);
  }

  async saveElsewhere(lookup: ElsewhereLookup): Promise<void> {
    await this.write(this.elsewhereFile, ELSEWHERE_PATTERN, () =>
      JSON.stringify({ format: ELSEWHERE_FORMAT, key: this.key, ...lookup }),
    );
  }

  private get elsewhereFile(): string {
    return this.file.replace(/\.json$/, "-elsewhere.json");
  }

  async save(snapshot: Snapshot): Promise<void> {
    await this.write(this.file, FILE_PATTERN, () =>
      serializeSnapshot(snapshot, this.key, this.scopes, this.memberAttribute),
    );
    // After the snapshot; and one left from before goes: it says nothing of a directory stamped since.
    const settled = settledStampOf(snapshot);
    if (settled === undefined) await this.remove(this.settledFile);
    else
      await this.write(this.settledFile, SETTLED_PATTERN, () =>
        JSON.stringify({ format: SETTLED_FORMAT, key: this.key, settled }),
      );
  }

  /** The stored snapshot's SettledStamp, when it has one and is under 24 hours old. */
  async loadSettled(): Promise<SettledStamp | undefined> {
    const read = await readCacheFile(this.settledFile);
    if (typeof read === "string" || !isRecord(read.value)) return undefined;
    const { format, key, settled } = read.value;
    if (format !== SETTLED_FORMAT || key !== this.key || !isRecord(settled)) return undefined;
    const { stamp, fullReadAt } = settled;
    if (!isStringList(stamp) || stamp.length === 0 || typeof fullReadAt !== "number") return undefined;
    return isWithinSnapshotAge(fullReadAt, this.options.now().getTime()) ? { stamp, fullReadAt } : undefined;
  }

  private get settledFile(): string {
    return this.file.replace(/\.json$/, "-settled.json");
  }

  /** Writes a read-cache file; a failure only costs a full read (or lookup) next time, so it is logged. */
  private async write(file: string, family: RegExp, text: () => string): Promise<void> {
    try {
      await writeCacheFile(file, text(), family);
    } catch (error) {
      const reason = messageOf(error);
      this.options.log(`${this.options.name}: cannot write the read cache ${file}: ${reason}`);
    }
  }
}
