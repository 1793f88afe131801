import type { BigIntStats } from "node:fs";
import path from "node:path";
import { readCacheFile, writeCacheFile } from "../io/cache-file.ts";
import { isRecord } from "../model/json.ts";

/**
 * The sha256 of each access file, remembered with the file's identity and times, so that a run whose
 * files did not change neither reads nor hashes them (52 MB at 100k people): git's index does the
 * same. An entry is used only when device, inode, size, mtime and ctime (in nanoseconds) are all
 * unchanged. ctime cannot be set back by hand: any write or rename moves it to the present.
 *
 * A change made within the same clock tick as the read (the "racily clean" case) would leave every time
 * unchanged, so a file is remembered only when its last change is at least RACY_MARGIN_NS older than
 * the read, and only when the file did not change during the read.
 */
const FORMAT = "gatehouse-digests-1";
const FILE_NAME = "digests.json";
const RACY_MARGIN_NS = 2_000_000_000n;
const SHA256_HEX = /^[0-9a-f]{64}$/;

type Identity = readonly [dev: string, ino: string, size: string, mtimeNs: string, ctimeNs: string];

function identityOf(stats: BigIntStats): Identity {
  return [
    stats.dev.toString(),
    stats.ino.toString(),
    stats.size.toString(),
    stats.mtimeNs.toString(),
    stats.ctimeNs.toString(),
  ];
}

function sameIdentity(a: Identity, b: Identity): boolean {
  return a.every((part, i) => part === b[i]);
}

function isIdentity(value: unknown): value is Identity {
  return (
    Array.isArray(value) && value.length === 5 && value.every((p) => typeof p === "string" && /^\d+$/.test(p))
  );
}

/**
 * A file's identity and times as one string, when its last change is at least RACY_MARGIN_NS older than
 * `atNs` (the wall clock when `stats` were taken, in ns): any later write then shows in it, so an equal
 * string later means the same content. Undefined for a file changed too shortly before to tell.
 */
export function settledFileStamp(stats: BigIntStats, atNs: bigint): string | undefined {
  const isSettled = stats.ctimeNs + RACY_MARGIN_NS <= atNs && stats.mtimeNs + RACY_MARGIN_NS <= atNs;
  return isSettled ? fileIdentity(stats) : undefined;
}

/** A file's device, inode, size, mtime and ctime (ns) as one string. */
export function fileIdentity(stats: BigIntStats): string {
  return identityOf(stats).join(":");
}

interface Entry {
  readonly identity: Identity;
  readonly digest: string;
}

export class DigestCache {
  readonly #file: string | undefined;
  readonly #entries: Map<string, Entry>;
  #isChanged = false;

  private constructor(file: string | undefined, entries: Map<string, Entry>) {
    this.#file = file;
    this.#entries = entries;
  }

  /** A cache that remembers nothing (no cache folder). */
  static none(): DigestCache {
    return new DigestCache(undefined, new Map());
  }

  /** The cache kept in `cacheDir`; an unreadable or foreign file reads as empty. */
  static async open(cacheDir: string): Promise<DigestCache> {
    const file = path.join(cacheDir, FILE_NAME);
    const read = await readCacheFile(file);
    const entries = new Map<string, Entry>();
    const value = typeof read === "object" ? read.value : undefined;
    if (isRecord(value) && value["format"] === FORMAT && isRecord(value["files"])) {
      for (const [abs, item] of Object.entries(value["files"])) {
        if (!Array.isArray(item) || item.length !== 2) continue;
        const identity: unknown = item[0];
        const digest: unknown = item[1];
        if (isIdentity(identity) && typeof digest === "string" && SHA256_HEX.test(digest))
          entries.set(abs, { identity, digest });
      }
    }
    return new DigestCache(file, entries);
  }

  /** The remembered digest of the file at `absPath` when `stats` (taken now) show it unchanged. */
  lookup(absPath: string, stats: BigIntStats): string | undefined {
    const entry = this.#entries.get(absPath);
    return entry && sameIdentity(entry.identity, identityOf(stats)) ? entry.digest : undefined;
  }

  /**
   * Remembers the digest of bytes read from `absPath` between the `before` and `after` stats of the
   * open file, at `readAtNs` (wall clock, ns). Nothing is remembered for a file that changed while it
   * was read or too shortly before (see RACY_MARGIN_NS); a stale entry is dropped.
   */
  remember(absPath: string, before: BigIntStats, after: BigIntStats, readAtNs: bigint, digest: string): void {
    const identity = identityOf(before);
    const isSettled =
      sameIdentity(identity, identityOf(after)) && settledFileStamp(before, readAtNs) !== undefined;
    const old = this.#entries.get(absPath);
    if (!isSettled) {
      if (old) this.#isChanged = this.#entries.delete(absPath);
      return;
    }
    if (old?.digest === digest && sameIdentity(old.identity, identity)) return;
    this.#entries.set(absPath, { identity, digest });
    this.#isChanged = true;
  }

  /**
   * Writes the entries of `keep` (the files of this run) when anything changed. Never throws: a cache
   * that cannot be written only costs the next run the reads.
   */
  async save(keep: ReadonlySet<string>): Promise<void> {
    for (const abs of this.#entries.keys()) {
      if (!keep.has(abs)) this.#isChanged = this.#entries.delete(abs) || this.#isChanged;
    }
    if (this.#file === undefined || !this.#isChanged) return;
    const files: Record<string, [Identity, string]> = Object.create(null) as Record<
      string,
      [Identity, string]
    >;
    for (const [abs, entry] of this.#entries) files[abs] = [entry.identity, entry.digest];
    try {
      await writeCacheFile(this.#file, JSON.stringify({ format: FORMAT, files }), /^digests\.json$/);
      this.#isChanged = false;
    } catch {
      // A read-only checkout or a full disk: the next run reads the files again.
    }
  }
}
