import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serialize } from "node:v8";
import type { AccessModel, Group } from "../model/access.ts";
import { decodeCacheRecord, writeCacheFile } from "../io/cache-file.ts";
import { parseCacheSalt } from "../load/parse-cache.ts";
import { memberPositions, userIndexOf, usePositionsFrom } from "../desired/user-set.ts";
import { SCHEMA_DIR } from "./schema.ts";

/**
 * Where each group's member entries sit in the list of users (memberPositions), kept between runs.
 * Working them out is a million name lookups at 100k people (0.4 to 0.8 s on a CI runner), and the
 * answer for a group changes only when its file or the users change. So an entry is keyed by the sha256
 * of the group's file and the group's place in it, and the whole cache by a digest of every user id in
 * file order and of the code that builds the model: any other run works them out again.
 *
 * Like the parse cache, this is a cache of the repository's own files, trusted as such (never restore
 * into a trusted job what an untrusted one saved). memberPositions still spot-checks each hit.
 */
const FORMAT = "gatehouse-positions-1";
const FILE_NAME = "positions.bin";

/** Each file's sha256, by the path its definitions' `source.file` holds. */
export type FileDigests = ReadonlyMap<string, string>;

interface Stored {
  readonly users: string;
  readonly index: ReadonlyMap<string, number>;
  /** End of each entry's positions in `positions` (its start is the end of the one before). */
  readonly ends: Int32Array;
  readonly positions: Int32Array;
}

let codeDigest: string | undefined;

/** The code that decides positions: the loader and model builder (the parse cache's salt) and user-set. */
function codeOf(): string {
  if (codeDigest !== undefined) return codeDigest;
  const userSet = fileURLToPath(
    new URL("../desired/user-set" + path.extname(fileURLToPath(import.meta.url)), import.meta.url),
  );
  codeDigest = createHash("sha256")
    .update(`${FORMAT}\0${parseCacheSalt(SCHEMA_DIR)}\0`)
    .update(readFileSync(userSet))
    .digest("hex");
  return codeDigest;
}

const digestOfUsers = new WeakMap<AccessModel, string>();

/**
 * A digest of the code and of every user id in position order: positions hold only while it does.
 * Once per model: attach and save both ask (a 1.5 MB join and hash at 100k people).
 */
function usersDigest(model: AccessModel): string {
  const known = digestOfUsers.get(model);
  if (known !== undefined) return known;
  const { ids } = userIndexOf(model);
  const digest = createHash("sha256")
    .update(`${codeOf()}\0${String(ids.length)}\0`)
    .update(ids.join("\n"))
    .digest("hex");
  digestOfUsers.set(model, digest);
  return digest;
}

function keyOf(group: Group, files: FileDigests): string | undefined {
  const digest = files.get(group.source.file);
  return digest === undefined
    ? undefined
    : `${digest}:${String(group.source.line)}:${String(group.source.column)}`;
}

function decode(bytes: Uint8Array): Stored | undefined {
  const value = decodeCacheRecord(bytes, FORMAT);
  if (value === undefined) return undefined;
  const { users, keys, ends, positions } = value;
  if (typeof users !== "string" || !Array.isArray(keys)) return undefined;
  if (!(ends instanceof Int32Array) || !(positions instanceof Int32Array)) return undefined;
  if (ends.length !== keys.length) return undefined;
  const index = new Map<string, number>();
  let start = 0;
  for (let i = 0; i < keys.length; i++) {
    const key: unknown = keys[i];
    const end = ends[i] ?? -1;
    if (typeof key !== "string" || end < start || end > positions.length) return undefined;
    index.set(key, i);
    start = end;
  }
  return { users, index, ends, positions };
}

export class PositionCache {
  readonly #file: string | undefined;
  readonly #stored: Stored | undefined;
  /** What the attached model took from here, by key: saving skips writing when it took everything. */
  readonly #taken = new Map<string, Int32Array>();

  private constructor(file: string | undefined, stored: Stored | undefined) {
    this.#file = file;
    this.#stored = stored;
  }

  /** How many groups of the attached model took their positions from here so far. */
  get hits(): number {
    return this.#taken.size;
  }

  /** The cache kept in `cacheDir` (none without one); an unreadable or foreign file reads as empty. */
  static async open(cacheDir: string | undefined): Promise<PositionCache> {
    if (cacheDir === undefined) return new PositionCache(undefined, undefined);
    const file = path.join(cacheDir, FILE_NAME);
    const bytes = await readFile(file).catch(() => undefined);
    return new PositionCache(file, bytes === undefined ? undefined : decode(bytes));
  }

  /** Lets memberPositions of `model` take what this cache holds for the same files and users. */
  attach(model: AccessModel, files: FileDigests): void {
    const stored = this.#stored;
    if (stored?.users !== usersDigest(model)) return;
    usePositionsFrom(model, (group) => {
      const key = keyOf(group, files);
      if (key === undefined) return undefined;
      const i = stored.index.get(key);
      if (i === undefined) return undefined;
      const found = stored.positions.subarray(i === 0 ? 0 : (stored.ends[i - 1] ?? 0), stored.ends[i] ?? 0);
      this.#taken.set(key, found);
      return found;
    });
  }

  /**
   * Stores the positions of every group of `model` that has members, unless they are exactly what was
   * taken from here. Never throws: a cache that cannot be written only costs the next run the lookups.
   */
  async save(model: AccessModel, files: FileDigests): Promise<void> {
    if (this.#file === undefined) return;
    const keys: string[] = [];
    const lists: Int32Array[] = [];
    let total = 0;
    let isSame = this.#stored !== undefined;
    for (const group of model.groups.values()) {
      const key = keyOf(group, files);
      if (key === undefined || group.members === undefined) continue;
      const positions = memberPositions(model, group);
      if (this.#taken.get(key) !== positions) isSame = false;
      keys.push(key);
      lists.push(positions);
      total += positions.length;
    }
    if (isSame && keys.length === this.#stored?.index.size) return;
    const ends = new Int32Array(lists.length);
    const positions = new Int32Array(total);
    let at = 0;
    lists.forEach((list, i) => {
      positions.set(list, at);
      at += list.length;
      ends[i] = at;
    });
    const bytes = serialize({ format: FORMAT, users: usersDigest(model), keys, ends, positions });
    try {
      await writeCacheFile(this.#file, bytes, /^positions\.bin$/);
    } catch {
      // A read-only checkout or a full disk: the next run looks the names up again.
    }
  }
}
