import { stat } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { ConfigError, GatehouseError, ProviderError, messageOf } from "../../errors.ts";
import { removeLeftoverTempFiles, writeFileAtomic } from "../../io/atomic-write.ts";
import { hasCode, withFileLock } from "../../io/file-lock.ts";
import { fileIdentity, settledFileStamp } from "../../load/digest-cache.ts";
import { isFileTimesOff } from "../../load/load-tree.ts";
import type { ProviderConfig } from "../../model/access.ts";
import { formatLocation } from "../../model/source.ts";
import { USER_ATTRIBUTE_KEYS, type LiveState } from "../../model/state.ts";
import type { Change } from "../../plan/types.ts";
import type { AccountUse, Capabilities, ChangeOutcome, ProviderFactory } from "../types.ts";
import { applyChangesToDirectory } from "./apply-changes.ts";
import {
  directoryFromBytes,
  emptyDirectory,
  loadDirectory,
  readDirectoryBytes,
  serializeDirectory,
  type Directory,
} from "./directory-file.ts";
import { readLiveDirectory } from "./live-directory.ts";

/** Where the embedded directory lives unless `path` says otherwise, relative to the working directory. */
export const DEFAULT_DIRECTORY_PATH = ".gatehouse/directory.json";
const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

export interface LocalSettings {
  /** Absolute path of the directory file. */
  readonly path: string;
  readonly lockTimeoutMs: number;
}

/** Keys the config loader may leave in `settings`; they are not the provider's own. */
const GENERAL_KEYS = new Set(["name", "type", "mode", "nesting"]);
const OWN_KEYS = new Set(["path", "lockTimeoutMs"]);

export function parseLocalSettings(config: ProviderConfig, cwd: string): LocalSettings {
  const where = `${formatLocation(config.source)} provider "${config.name}" (local)`;
  const { path = DEFAULT_DIRECTORY_PATH, lockTimeoutMs = DEFAULT_LOCK_TIMEOUT_MS } = config.settings;
  const unknown = Object.keys(config.settings).filter((k) => !OWN_KEYS.has(k) && !GENERAL_KEYS.has(k));
  if (unknown.length > 0) {
    throw new ConfigError(
      `${where}: unknown setting(s) ${unknown.join(", ")}; local accepts path, lockTimeoutMs`,
    );
  }
  if (typeof path !== "string" || path.trim() === "") {
    throw new ConfigError(`${where}: "path" must be a non-empty string (the directory JSON file)`);
  }
  if (typeof lockTimeoutMs !== "number" || !Number.isInteger(lockTimeoutMs) || lockTimeoutMs < 0) {
    throw new ConfigError(`${where}: "lockTimeoutMs" must be a whole number of milliseconds`);
  }
  return { path: isAbsolute(path) ? path : resolve(cwd, path), lockTimeoutMs };
}

/**
 * The embedded directory: one JSON file that behaves like a real directory (users with sessions and
 * tokens, groups with native nesting). Writes are atomic and serialised between processes by a lock.
 */
export const createLocalProvider: ProviderFactory = (config, context) => {
  const settings = parseLocalSettings(config, context.cwd);
  const capabilities: Capabilities = {
    nesting: config.nesting,
    disable: "disable",
    revokeSessions: true,
    maxMembersPerWrite: 1000,
    // One file: every change of a phase is written in one atomic rewrite.
    applyWholePhase: true,
    userAttributes: [...USER_ATTRIBUTE_KEYS],
    createUsers: true,
    groupDescription: true,
    renameGroups: true,
  };
  let reads = 0;
  let writes = 0;
  /** The identity of the file the last read read (null: there was none); undefined before any read. */
  let lastRead: string | null | undefined;
  /** The content digest of each live state `read` returned (see contentDigest). */
  const digests = new WeakMap<LiveState, string>();

  /**
   * The directory this provider last wrote (or read unchanged), with the file's bytes: the next phase of
   * an apply reuses it while the file still has exactly those bytes (one compare, no 65 MB parse at
   * 100k people). Any other writer changes the bytes, and the file is read anew.
   */
  let known: { readonly bytes: Buffer; readonly directory: Directory } | undefined;

  const applyLocked = async (changes: readonly Change[], signal: AbortSignal): Promise<ChangeOutcome[]> => {
    const removed = await removeLeftoverTempFiles(settings.path);
    if (removed.length > 0) context.log?.(`${config.name}: removed ${removed.join(", ")} left by a crash`);
    const bytes = await readDirectoryBytes(settings.path, config.name, "apply");
    const directory =
      known !== undefined && bytes?.equals(known.bytes) === true
        ? known.directory
        : bytes === undefined
          ? emptyDirectory()
          : directoryFromBytes(bytes, settings.path, config.name, "apply");
    known = undefined; // changed in place below: only a successful write makes it known again
    const result = applyChangesToDirectory(directory, changes, {
      provider: config.name,
      isNesting: config.nesting,
      now: context.now,
    });
    if (result.isChanged) {
      signal.throwIfAborted();
      const written = Buffer.from(serializeDirectory(directory), "utf8");
      await writeFileAtomic(settings.path, written);
      writes += 1;
      known = { bytes: written, directory };
    } else if (bytes !== undefined) known = { bytes, directory };
    return result.outcomes;
  };

  return {
    name: config.name,
    type: "local",
    capabilities,
    async read(signal) {
      signal.throwIfAborted();
      reads += 1;
      let opened: string | null = null;
      lastRead = undefined;
      const { live, digest } = await readLiveDirectory(
        settings.path,
        config.name,
        config.nesting,
        (stats) => {
          opened = fileIdentity(stats);
        },
      );
      lastRead = opened;
      digests.set(live, digest);
      return live;
    },
    liveDigest: (live) => digests.get(live),
    // The file's identity and times, once they are old enough that any later write would show in them.
    // Off where file times are not trusted (GATEHOUSE_TRUST_FILE_TIMES=0), as for the access files.
    async liveStamp(signal) {
      signal.throwIfAborted();
      if (isFileTimesOff(context.env)) return undefined;
      // The wall clock, not the plan's `now`: it is compared with the file system's own times.
      // eslint-disable-next-line no-restricted-properties
      const atNs = BigInt(Date.now()) * 1_000_000n;
      const stats = await stat(settings.path, { bigint: true }).catch((error: unknown) => {
        if (hasCode(error, "ENOENT")) return null;
        throw new ProviderError(config.name, "read", `cannot read ${settings.path}`, { cause: error });
      });
      const file = stats === null ? "absent" : settledFileStamp(stats, atNs);
      // After a read: only the very file it read (a path swapped to another file and back is not).
      if (file === undefined || (lastRead !== undefined && lastRead !== (stats && fileIdentity(stats))))
        return undefined;
      return JSON.stringify([settings.path, config.nesting, file]);
    },
    async apply(changes, signal) {
      if (changes.length === 0) return [];
      try {
        return await withFileLock(settings.path, () => applyLocked(changes, signal), {
          timeoutMs: settings.lockTimeoutMs,
          signal,
        });
      } catch (error) {
        // Nothing was written: the file is replaced in one rename, after every change was decided.
        const failure = toProviderError(config.name, error);
        return changes.map((): ChangeOutcome => ({ status: "failed", error: failure }));
      }
    },
    // The file's lastLogin (recordLogin sets it) and createdAt (apply sets it on create), as stored.
    async signIns(signal) {
      signal.throwIfAborted();
      reads += 1;
      const directory = await loadDirectory(settings.path, config.name, "read sign-ins");
      const accounts = new Map<string, AccountUse>();
      for (const { account, lastLogin, createdAt } of directory.users.values())
        accounts.set(account, {
          ...(lastLogin === undefined ? {} : { lastLogin }),
          ...(createdAt === undefined ? {} : { createdAt }),
        });
      return { source: "lastLogin", accounts };
    },
    stats: () => ({ reads, writes }),
    close: () => Promise.resolve(),
  };
};

function toProviderError(provider: string, error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof GatehouseError && error.code === "GH_LOCKED") {
    return new ProviderError(provider, "apply", error.message, {
      status: "locked",
      isTransient: true,
      cause: error,
    });
  }
  const message = messageOf(error);
  return new ProviderError(provider, "apply", `the directory file was not changed: ${message}`, {
    isTransient: true,
    cause: error,
  });
}
