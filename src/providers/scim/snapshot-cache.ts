/**
 * Keeps a scim provider's index between runs (setting `readCache`): one JSON file per base URL, token
 * variable name and attribute mapping under `.gatehouse/cache/`, written atomically with mode 0600, used
 * for at most 24 hours after its last full read, and never trusted without the checks of an incremental
 * read (changed-since lists and totals). It holds the users and groups as a read maps them (ids, names,
 * mapped attributes, member ids, meta.lastModified) and whether the server filters on meta.lastModified;
 * never the bearer token (only the name of its environment variable is hashed into the file name).
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { readCacheFile, writeCacheFile } from "../../io/cache-file.ts";
import { USER_ATTRIBUTE_KEYS, type LiveUserAttributes } from "../../model/state.ts";
import type { ScimGroup, ScimUser } from "./map.ts";
import { isRecord } from "./map.ts";
import type { ScimIndex } from "./session.ts";
import { rememberGroup, rememberUser } from "./session.ts";
import type { ScimSettings } from "./settings.ts";
import { messageOf } from "../../errors.ts";

/**
 * Bump when the file layout changes, or what a read keeps (2: employmentType values outside gatehouse's
 * four, which older files left out): older files are then ignored.
 */
const FORMAT = "gatehouse-scim-snapshot-2";
/** A snapshot whose last full read is older than this is not used (nor a refusal of the filter older). */
export const MAX_SNAPSHOT_AGE_MS = 24 * 3_600_000;
const FILE_PATTERN = /^scim-[0-9a-f]{32}\.json$/;

/** What a file holds besides its format and key. */
export interface ScimSnapshot {
  /** When the last full read behind these users and groups was made (local clock, ms). */
  readonly fullReadAt: number;
  /** Whether the server filters on meta.lastModified, and since when that is known (ms). */
  readonly canFilterByLastModified: boolean | undefined;
  readonly filterCheckedAt: number | undefined;
  /** ScimIndex.changesSince after the read behind this snapshot (none: the next read is a full one). */
  readonly changesSince?: string | undefined;
  readonly users: readonly ScimUser[];
  readonly groups: readonly ScimGroup[];
}

/** sha256 of what decides what a read returns: base URL, token variable name, mapping. Never the token. */
export function snapshotKey(settings: ScimSettings): string {
  const relevant = {
    baseUrl: settings.baseUrl,
    tokenEnv: settings.tokenEnv,
    attributeMapping: settings.attributeMapping,
  };
  return createHash("sha256").update(FORMAT).update(JSON.stringify(relevant)).digest("hex").slice(0, 32);
}

const isString = (v: unknown): v is string => typeof v === "string";
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const optional = (v: unknown): boolean => v === undefined || isString(v);

function toAttributes(value: unknown): LiveUserAttributes | undefined {
  if (!isRecord(value)) return undefined;
  const out: { -readonly [K in keyof LiveUserAttributes]: LiveUserAttributes[K] } = {};
  // employmentType too: a read keeps a value outside gatehouse's four as the server sent it.
  for (const key of USER_ATTRIBUTE_KEYS) {
    const v = value[key];
    if (!optional(v)) return undefined;
    if (isString(v)) out[key] = v;
  }
  return out;
}

function toUser(value: unknown): ScimUser | undefined {
  if (!isRecord(value)) return undefined;
  const { id, userName, externalId, active, version, lastModified, emailPath } = value;
  const attributes = toAttributes(value["attributes"]);
  if (!isString(id) || !isString(userName) || typeof active !== "boolean" || attributes === undefined)
    return undefined;
  if (![externalId, version, lastModified, emailPath].every(optional)) return undefined;
  return {
    id,
    userName,
    active,
    attributes,
    ...(isString(externalId) ? { externalId } : {}),
    ...(isString(version) ? { version } : {}),
    ...(isString(lastModified) ? { lastModified } : {}),
    ...(isString(emailPath) ? { emailPath } : {}),
  };
}

function toGroup(value: unknown): ScimGroup | undefined {
  if (!isRecord(value)) return undefined;
  const { id, displayName, description, memberIds, groupMemberIds, version, lastModified } = value;
  if (!isString(id) || !isString(displayName) || !isStringList(groupMemberIds)) return undefined;
  if (memberIds !== undefined && !isStringList(memberIds)) return undefined;
  if (![description, version, lastModified].every(optional)) return undefined;
  return {
    id,
    displayName,
    memberIds,
    groupMemberIds,
    ...(isString(description) ? { description } : {}),
    ...(isString(version) ? { version } : {}),
    ...(isString(lastModified) ? { lastModified } : {}),
  };
}

function toList<T>(value: unknown, parse: (v: unknown) => T | undefined): T[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const items = value.map(parse);
  return items.every((i) => i !== undefined) ? items : undefined;
}

function toFlag(value: unknown): boolean | undefined | "bad" {
  if (value === "unknown") return undefined;
  return typeof value === "boolean" ? value : "bad";
}

/** The snapshot in a parsed file, or a reason not to use it. */
export function parseStoredSnapshot(value: unknown, key: string, now: number): ScimSnapshot | string {
  if (!isRecord(value) || value["format"] !== FORMAT || value["key"] !== key)
    return "it is of another format or for other settings";
  const { fullReadAt, filterCheckedAt } = value;
  const flag = toFlag(value["canFilterByLastModified"]);
  const users = toList(value["users"], toUser);
  const groups = toList(value["groups"], toGroup);
  if (typeof fullReadAt !== "number" || flag === "bad" || users === undefined || groups === undefined)
    return "it is damaged";
  if (filterCheckedAt !== undefined && typeof filterCheckedAt !== "number") return "it is damaged";
  const { changesSince } = value;
  if (
    changesSince !== undefined &&
    (typeof changesSince !== "string" || Number.isNaN(Date.parse(changesSince)))
  )
    return "it is damaged";
  const age = now - fullReadAt;
  if (age < 0 || age > MAX_SNAPSHOT_AGE_MS) return "its last full read is over 24 hours old";
  const checkedAge = filterCheckedAt === undefined ? 0 : now - filterCheckedAt;
  const fresh = checkedAge >= 0 && checkedAge <= MAX_SNAPSHOT_AGE_MS;
  return {
    fullReadAt,
    canFilterByLastModified: fresh ? flag : undefined,
    filterCheckedAt: fresh ? filterCheckedAt : undefined,
    changesSince,
    users,
    groups,
  };
}

/** The file's JSON text for a snapshot. */
export function serializeSnapshot(snapshot: ScimSnapshot, key: string): string {
  return JSON.stringify({
    format: FORMAT,
    key,
    fullReadAt: snapshot.fullReadAt,
    canFilterByLastModified: snapshot.canFilterByLastModified ?? "unknown",
    ...(snapshot.filterCheckedAt === undefined ? {} : { filterCheckedAt: snapshot.filterCheckedAt }),
    ...(snapshot.changesSince === undefined ? {} : { changesSince: snapshot.changesSince }),
    users: snapshot.users,
    groups: snapshot.groups,
  });
}

export interface ScimSnapshotStoreOptions {
  /** Provider name, for log lines. */
  readonly name: string;
  readonly log: (line: string) => void;
  readonly now: () => Date;
}

/**
 * Snapshots in `<cwd>/.gatehouse/cache/scim-<key>.json`. Failures to read or write only cost a full read.
 * One store serves one provider instance: it remembers when the index's last full read was made.
 */
export class ScimSnapshotStore {
  /** The file this store reads and writes. */
  readonly file: string;
  private readonly key: string;
  private readonly options: ScimSnapshotStoreOptions;
  private loaded = false;
  private fullReadAt: number | undefined;
  private filterFlag: boolean | undefined;
  private filterCheckedAt: number | undefined;

  constructor(cacheDir: string, settings: ScimSettings, options: ScimSnapshotStoreOptions) {
    this.key = snapshotKey(settings);
    this.file = path.join(cacheDir, `scim-${this.key}.json`);
    this.options = options;
  }

  /**
   * Once per store: fills an empty, unloaded index from a valid snapshot (as if a full read had just
   * been made, so the next read goes the incremental way and its checks decide), or only the filter flag
   * when the server refuses the filter. True when users and groups were seeded.
   */
  async seed(index: ScimIndex): Promise<boolean> {
    if (this.loaded) return false;
    this.loaded = true;
    if (index.isLoaded || index.usersById.size > 0 || index.groupsById.size > 0) return false;
    const snapshot = await this.load();
    if (snapshot === undefined) return false;
    this.filterFlag = snapshot.canFilterByLastModified;
    this.filterCheckedAt = snapshot.filterCheckedAt;
    index.canFilterByLastModified = snapshot.canFilterByLastModified;
    if (snapshot.canFilterByLastModified === false) return false;
    for (const u of snapshot.users) rememberUser(index, u);
    for (const g of snapshot.groups) rememberGroup(index, g);
    index.isLoaded = true;
    index.changesSince = snapshot.changesSince;
    this.fullReadAt = snapshot.fullReadAt;
    return true;
  }

  /** Saves the index after a read; `full` says whether that read was a full one. */
  async save(index: ScimIndex, full: boolean): Promise<void> {
    const now = this.options.now().getTime();
    if (full || this.fullReadAt === undefined) this.fullReadAt = now;
    if (index.canFilterByLastModified !== this.filterFlag || this.filterCheckedAt === undefined) {
      this.filterFlag = index.canFilterByLastModified;
      this.filterCheckedAt = this.filterFlag === undefined ? undefined : now;
    }
    const refused = index.canFilterByLastModified === false;
    const snapshot: ScimSnapshot = {
      fullReadAt: this.fullReadAt,
      canFilterByLastModified: this.filterFlag,
      filterCheckedAt: this.filterCheckedAt,
      changesSince: index.changesSince,
      // A server that refuses the filter is read in full every time: its users and groups are not kept.
      users: refused ? [] : [...index.usersById.values()],
      groups: refused ? [] : [...index.groupsById.values()],
    };
    try {
      await writeCacheFile(this.file, serializeSnapshot(snapshot, this.key), FILE_PATTERN);
    } catch (error) {
      const reason = messageOf(error);
      this.options.log(`${this.options.name}: cannot write the read cache ${this.file}: ${reason}`);
    }
  }

  private async load(): Promise<ScimSnapshot | undefined> {
    const read = await readCacheFile(this.file);
    if (read === "unreadable") this.skip("it cannot be read");
    if (typeof read === "string") return undefined;
    const parsed = parseStoredSnapshot(read.value, this.key, this.options.now().getTime());
    if (typeof parsed !== "string") return parsed;
    this.skip(parsed);
    return undefined;
  }

  private skip(reason: string): void {
    this.options.log(
      `${this.options.name}: not using the read cache ${this.file}: ${reason}; reading everything`,
    );
  }
}
