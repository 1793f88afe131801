import { randomBytes } from "node:crypto";
import { link, mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ExitCode, GatehouseError } from "../errors.ts";

export interface FileLockOptions {
  /** Called once, with the holder's pid when known, when the lock is held by another process. */
  readonly onWait?: (holderPid: number | undefined) => void;
  /** How long to wait for another process to release the lock (default 10 s). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A lock is taken when another gatehouse process holds `<target>.lock` for longer than the timeout. */
export class FileLockedError extends GatehouseError {
  readonly lockPath: string;
  readonly holderPid: number | undefined;
  constructor(lockPath: string, holderPid: number | undefined) {
    const holder = holderPid === undefined ? "another process" : `process ${String(holderPid)}`;
    super(
      "GH_LOCKED",
      `${lockPath} is held by ${holder}; wait for it to finish, or delete the lock file if no gatehouse process is running`,
      ExitCode.error,
    );
    this.lockPath = lockPath;
    this.holderPid = holderPid;
  }
}

/** A lock file whose content cannot be read is only taken over after this long (its writer may be mid-write). */
const UNREADABLE_LOCK_GRACE_MS = 2_000;
const RETRY_MS = 15;

/**
 * Runs `fn` while holding `<target>.lock`, an exclusive lock between processes. The lock file is created
 * with `wx` and holds the owner's pid; a lock left by a process that no longer runs is taken over.
 */
export async function withFileLock<T>(
  target: string,
  fn: () => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  // Callers in this process queue here first: the lock file guards against other processes, and two
  // callers of ours racing for it could each judge the other's half-written lock stale.
  const key = resolve(target);
  const previous = inProcessQueue.get(key) ?? Promise.resolve();
  let release = (): void => undefined;
  const mine = new Promise<void>((done) => {
    release = done;
  });
  const tail = previous.then(() => mine);
  inProcessQueue.set(key, tail);
  await previous;
  try {
    const lock = await acquireFileLock(target, options);
    try {
      return await fn();
    } finally {
      await releaseFileLock(lock);
    }
  } finally {
    release();
    if (inProcessQueue.get(key) === tail) inProcessQueue.delete(key);
  }
}

/** Per-path queue of this process's lock holders (see withFileLock). */
const inProcessQueue = new Map<string, Promise<void>>();

export interface HeldLock {
  readonly path: string;
  readonly content: string;
}

/** Lock files this process holds, so that a lock with our own pid left by an earlier process is seen as stale. */
const heldByThisProcess = new Set<string>();

export async function acquireFileLock(target: string, options: FileLockOptions = {}): Promise<HeldLock> {
  const lockPath = `${target}.lock`;
  const content = `${String(process.pid)}\n${randomBytes(8).toString("hex")}\n`;
  const deadline = performance.now() + (options.timeoutMs ?? 10_000);
  let saidWaiting = false;
  for (;;) {
    options.signal?.throwIfAborted();
    if (await tryCreate(lockPath, content)) {
      heldByThisProcess.add(content);
      return { path: lockPath, content };
    }
    const holder = await readHolder(lockPath);
    if (holder !== undefined && (await isStale(lockPath, holder))) {
      await takeOverStale(lockPath, holder.raw);
      continue;
    }
    if (performance.now() >= deadline) throw new FileLockedError(lockPath, holder?.pid);
    if (!saidWaiting) {
      saidWaiting = true;
      options.onWait?.(holder?.pid);
    }
    await sleep(RETRY_MS + Math.floor(Math.random() * RETRY_MS), undefined, { signal: options.signal });
  }
}

/** Removes the lock file, unless someone else has (wrongly) taken it over meanwhile. */
export async function releaseFileLock(lock: HeldLock): Promise<void> {
  heldByThisProcess.delete(lock.content);
  const current = await readFile(lock.path, "utf8").catch(() => undefined);
  if (current === lock.content) await unlink(lock.path).catch(ignoreMissing);
}

async function tryCreate(lockPath: string, content: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(lockPath, "wx").catch(async (error: unknown) => {
      // The folder is made only when it is missing: a journal takes a lock per append.
      if (!hasCode(error, "ENOENT")) throw error;
      await mkdir(dirname(lockPath), { recursive: true });
      return open(lockPath, "wx");
    });
  } catch (error) {
    if (hasCode(error, "EEXIST")) return false;
    throw error;
  }
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
  return true;
}

interface Holder {
  readonly raw: string;
  readonly pid: number | undefined;
}

async function readHolder(lockPath: string): Promise<Holder | undefined> {
  let raw: string;
  try {
    raw = await readFile(lockPath, "utf8");
  } catch (error) {
    if (hasCode(error, "ENOENT")) return undefined; // released meanwhile: retry at once
    throw error;
  }
  const first = raw.split("\n", 1)[0] ?? "";
  const pid = /^\d+$/.test(first) ? Number(first) : undefined;
  return { raw, pid };
}

async function isStale(lockPath: string, holder: Holder): Promise<boolean> {
  if (holder.pid !== undefined && holder.raw.endsWith("\n")) {
    // In a container every run may get the same pid: our pid on a lock we do not hold means a dead run.
    if (holder.pid === process.pid) return !heldByThisProcess.has(holder.raw);
    return !isProcessAlive(holder.pid);
  }
  const info = await stat(lockPath).catch(() => undefined);
  // The wall clock, never a run's clock (fixed at its start, or set by a test): it is compared with the
  // file system's own time, and a clock behind the file's would never let a dead writer's lock go.
  // eslint-disable-next-line no-restricted-properties
  return info !== undefined && Date.now() - info.mtimeMs > UNREADABLE_LOCK_GRACE_MS;
}

/**
 * Moves the stale lock aside atomically, so that of two processes taking it over at once only one wins.
 * If what we moved is not the stale lock we judged (another process took over first and wrote its own),
 * it is put back.
 */
async function takeOverStale(lockPath: string, staleContent: string): Promise<void> {
  const aside = `${lockPath}.stale-${String(process.pid)}-${randomBytes(4).toString("hex")}`;
  try {
    await rename(lockPath, aside);
  } catch (error) {
    if (hasCode(error, "ENOENT")) return;
    throw error;
  }
  const moved = await readFile(aside, "utf8").catch(() => "");
  if (moved !== staleContent) await link(aside, lockPath).catch(() => undefined);
  await unlink(aside).catch(ignoreMissing);
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return !hasCode(error, "ESRCH");
  }
}

export function hasCode(error: unknown, code: string): boolean {
  return error instanceof Error && "code" in error && error.code === code;
}

function ignoreMissing(error: unknown): void {
  if (!hasCode(error, "ENOENT")) throw error;
}
