import { createHash } from "node:crypto";
import { deadline } from "../io/deadline.ts";
import { open, readFile } from "node:fs/promises";
import path from "node:path";
import { serialize } from "node:v8";
import type { Diagnostic } from "../model/diagnostic.ts";
import type { Plan } from "../plan/types.ts";
import type { Provider } from "../providers/types.ts";
import { decodeCacheRecord, writeCacheFile } from "../io/cache-file.ts";
import { codeIdentity } from "../io/code-identity.ts";
import { hasCode } from "../io/file-lock.ts";
import { accessTreeDigest, DEFAULT_CACHE_DIR, loadEnvOptions } from "../load/load-tree.ts";
import { SCHEMA_DIR } from "../validate/schema.ts";
import { setAsidePath } from "../audit/set-aside.ts";
import { foldCachePath } from "../audit/journal-fold.ts";
import { describeAccessCommit, recordedCommit } from "../audit/git.ts";
import { openEarlyProviders, type EarlyProvider } from "./early-reads.ts";
import {
  DEFAULT_READ_TIMEOUT_MS,
  journalPathOf,
  preparePlanWith,
  providerContextOf,
  type EngineOptions,
} from "./prepare-plan.ts";

/**
 * The plan memo: a plan kept with everything it was computed from, so that a run which finds all of it
 * unchanged shows that plan again instead of loading 100k people and reading every system.
 *
 * A plan is a function of the access files, gatehouse's own code, the journal, the live state of each
 * system and the clock. The memo's key holds the first four:
 * - the access files: the tree's digest (each file's sha256; the digest cache stands in for files whose
 *   identity and times are unchanged, as for every load);
 * - the code: a hash of every module and schema of this build, and the Node.js version;
 * - the journal: its size, the sha256 of its last 64 KiB (each entry holds the hash of the one before),
 *   of the entries set aside beside it, and of its fold cache (where the last fold stopped, which a plan
 *   checks the journal still holds);
 * - each system: its provider's `liveStamp`, a token that only the same live state gives. A system
 *   whose provider has none (or cannot tell now) makes every run compute its plan anew.
 * The clock is a window: every rule that compares the plan's instant with a time from the files noted
 * where its answer changes (PlanInstant), and the memo holds from its instant up to the first of those.
 *
 * The key's parts are taken before the plan is computed and again after, and the memo is written only
 * when both agree (but for the fold cache, which the plan's own fold brings up to date: the memo is of
 * the state after it), the plan was made from the same files, and through the very providers stamped: a
 * change made meanwhile is never vouched for. Only `plan` and the pull-request comment reuse plans: apply
 * (and prune) always read live state.
 */
const FORMAT = "gatehouse-plan-memo-2";
const FILE_PATTERN = /^plan-[0-9a-f]{16}\.v8$/;
const JOURNAL_TAIL_BYTES = 65_536;
/**
 * A memo older than this is not used, whatever its window says: a bound on anything time-dependent that
 * no rule noted. The hourly scheduled reconcile still reuses plans through a quiet day.
 */
const MAX_AGE_MS = 24 * 3_600_000;
/**
 * Plans with more changes than this are not kept: a first import (two million changes at 100k people)
 * would cost seconds and gigabytes to store, and is applied once. The steady state has a few thousand.
 */
const MAX_MEMO_CHANGES = 200_000;

/** A plan ready to show: computed now, or reused from a memo. */
export interface ShownPlan {
  readonly plan: Plan;
  readonly warnings: readonly Diagnostic[];
  /** To be closed by the caller (closeProviders). */
  readonly providers: ReadonlyMap<string, Provider>;
  /** When the plan was reused: the instant it was computed at. */
  readonly reusedFrom?: string;
}

interface MemoRecord {
  readonly key: string;
  /** The instant the plan was computed for (ms). */
  readonly at: number;
  /** The first instant it no longer holds (ms); Infinity when no time rule limits it. */
  readonly validUntil: number;
  readonly plan: Plan;
  readonly warnings: readonly Diagnostic[];
}

/** The key of the current state, and the tree digest within it; undefined when some system cannot say. */
interface MemoKey {
  readonly key: string;
  /** The key without the journal's fold cache, which a plan itself may bring up to date. */
  readonly withoutFold: string;
  readonly treeDigest: string;
}

/**
 * The plan of `options`: reused when its memo holds for the files, journal, live state and instant of
 * now, otherwise computed (and remembered). Without a cache folder, this is preparePlan.
 */
export async function planOrReuse(
  options: EngineOptions & {
    readonly fresh?: boolean;
    /** False: neither reuse a memo nor keep one (a plan for another instant than now, `plan --at`). */
    readonly remember?: boolean;
  },
): Promise<ShownPlan> {
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  const opened = await openEarlyProviders({ ...options, cacheDir }, providerContextOf(options));
  if (cacheDir === false || opened === undefined || options.remember === false)
    return shown(await preparePlanWith(options, opened));
  const file = memoFileOf(options, cacheDir);
  // Whatever fails here (a journal path that is a folder, an unreadable file) fails again in the plan
  // itself, which says so properly: the memo is then neither used nor written.
  const before = await currentKey(options, cacheDir, opened).catch(() => undefined);
  const memo = before === undefined || options.fresh === true ? undefined : await readMemo(file, before.key);
  const now = options.now.getTime();
  if (memo !== undefined && memo.at <= now && now < memo.validUntil && now - memo.at <= MAX_AGE_MS) {
    const commit = await describeAccessCommit(options.cwd, options.dir);
    const providers = new Map(opened.map((o) => [o.config.name, o.provider]));
    const at = new Date(memo.at).toISOString();
    options.log?.(
      `plan: the access files, the journal and the live state of ${[...providers.keys()].join(", ")} are as they were for the plan computed at ${at}: showing it again (gatehouse plan --fresh reads everything)`,
    );
    const old = memo.plan;
    const plan: Plan = {
      formatVersion: old.formatVersion,
      createdAt: options.now.toISOString(),
      desiredDigest: old.desiredDigest,
      ...(commit ? { desiredCommit: recordedCommit(commit) } : {}),
      // What this run called: the stamps only, where they call the system at all.
      providers: old.providers.map((p) => ({ ...p, readCalls: providers.get(p.name)?.stats().reads ?? 0 })),
      changes: old.changes,
      notes: old.notes,
      summary: old.summary,
    };
    return { plan, warnings: memo.warnings, providers, reusedFrom: at };
  }
  const prepared = await preparePlanWith(options, opened);
  // Kept only for the files stamped, and the providers stamped: the plan read through those very ones
  // (gatehouse.yaml did not change in between).
  const isSameProviders =
    prepared.providers.size === opened.length &&
    opened.every((o) => prepared.providers.get(o.config.name) === o.provider);
  const isKeepable = prepared.plan.changes.length + prepared.plan.notes.length <= MAX_MEMO_CHANGES;
  if (isKeepable && isSameProviders && prepared.plan.desiredDigest === before?.treeDigest) {
    // The plan's own fold may have brought the fold cache up to date: the memo is of the state after it.
    const after = await currentKey(options, cacheDir, opened).catch(() => undefined);
    if (after?.withoutFold === before.withoutFold)
      await writeMemo(file, {
        key: after.key,
        at: options.now.getTime(),
        validUntil: prepared.validUntil,
        plan: prepared.plan,
        warnings: prepared.warnings,
      }).catch(() => undefined); // an unwritable cache only costs the next run the work
  }
  return shown(prepared);
}

function shown(prepared: {
  readonly plan: Plan;
  readonly warnings: readonly Diagnostic[];
  readonly providers: ReadonlyMap<string, Provider>;
}): ShownPlan {
  return { plan: prepared.plan, warnings: prepared.warnings, providers: prepared.providers };
}

/** One memo file per working directory, access folder, journal and provider selection. */
function memoFileOf(options: EngineOptions, cacheDir: string): string {
  const id = createHash("sha256")
    .update(
      JSON.stringify([
        path.resolve(options.cwd),
        path.resolve(options.cwd, options.dir),
        journalPathOf(options),
        options.only ?? [],
      ]),
    )
    .digest("hex")
    .slice(0, 16);
  return path.resolve(options.cwd, cacheDir, `plan-${id}.v8`);
}

/**
 * Everything a plan depends on but the clock, as one sha256; undefined when a provider cannot give a
 * stamp (or fails to).
 */
async function currentKey(
  options: EngineOptions,
  cacheDir: string,
  opened: readonly EarlyProvider[],
): Promise<MemoKey | undefined> {
  const signal = deadline(options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS).signal;
  const stamps = await Promise.all(
    opened.map(async ({ config, provider }) => {
      const stamp = await provider.liveStamp?.(signal).catch(() => undefined);
      return stamp === undefined ? undefined : [config.name, JSON.stringify(config), stamp];
    }),
  );
  if (stamps.some((s) => s === undefined)) return undefined;
  const journalPath = journalPathOf(options);
  const [treeDigest, journal] = await Promise.all([
    accessTreeDigest(options.dir, { cwd: options.cwd, cacheDir, ...loadEnvOptions(options.env) }),
    journalStamp(journalPath, foldCachePath(journalPath, path.resolve(options.cwd, cacheDir))),
  ]);
  const withoutFold = sha256Text(
    JSON.stringify([
      FORMAT,
      codeIdentity(SCHEMA_DIR),
      path.resolve(options.cwd),
      path.resolve(options.cwd, options.dir),
      options.only ?? [],
      journalPath,
      journal.file,
      treeDigest,
      stamps,
    ]),
  );
  return { key: sha256Text(`${withoutFold}\0${journal.fold}`), withoutFold, treeDigest };
}

const sha256Text = (text: string): string => createHash("sha256").update(text).digest("hex");

/**
 * The journal as a plan depends on it: its size and the sha256 of its last 64 KiB (every entry carries
 * the hash of the one before, so an equal tail means an equal chain up to it), of what an apply set aside
 * beside it, and of the fold cache, which holds where the last fold stopped: a plan refuses a journal cut
 * back from there, and with the cache gone folds the whole journal (so an edit before the tail counts).
 */
async function journalStamp(
  journalPath: string,
  foldCache: string,
): Promise<{ readonly file: string; readonly fold: string }> {
  const hash = createHash("sha256");
  const handle = await open(journalPath, "r").catch((error: unknown) => {
    if (hasCode(error, "ENOENT")) return undefined;
    throw error;
  });
  let size = -1;
  if (handle !== undefined) {
    try {
      size = (await handle.stat()).size;
      const tail = Buffer.alloc(Math.min(size, JOURNAL_TAIL_BYTES));
      const { bytesRead } = await handle.read(tail, 0, tail.length, size - tail.length);
      hash.update(tail.subarray(0, bytesRead));
    } finally {
      await handle.close();
    }
  }
  const aside = await readIfExists(setAsidePath(journalPath));
  hash.update(aside === undefined ? "\0none" : "\0aside\0").update(aside ?? "");
  const fold = await readIfExists(foldCache);
  const file = `${String(size)}:${hash.digest("hex")}`;
  return { file, fold: fold === undefined ? "none" : createHash("sha256").update(fold).digest("hex") };
}

/** A file's bytes, or undefined when there is none (any other failure throws). */
async function readIfExists(file: string): Promise<Buffer | undefined> {
  return readFile(file).catch((error: unknown) => {
    if (hasCode(error, "ENOENT")) return undefined;
    throw error;
  });
}

/**
 * A memo file starts with its format and key in plain text (`memoHeader`), then the record as
 * v8.serialize wrote it: a memo of other files or another live state (every run after a change) is told
 * apart by its first bytes, without reading and decoding a plan of thousands of changes.
 */
const memoHeader = (key: string): Buffer => Buffer.from(`${FORMAT} ${key}\n`, "latin1");

async function readMemo(file: string, key: string): Promise<MemoRecord | undefined> {
  const bytes = await readMemoBytes(file, memoHeader(key)).catch(() => undefined);
  const record = bytes === undefined ? undefined : decodeCacheRecord(bytes, FORMAT);
  if (record?.["key"] !== key) return undefined;
  const { at, validUntil, plan, warnings } = record;
  if (typeof at !== "number" || typeof validUntil !== "number" || !Array.isArray(warnings)) return undefined;
  // Written by this very build (the key holds its identity) and read back whole: a plan as it was.
  return { key, at, validUntil, plan: plan as Plan, warnings: warnings as Diagnostic[] };
}

/** The record after `header` in `file`; undefined when the file does not start with exactly `header`. */
async function readMemoBytes(file: string, header: Buffer): Promise<Buffer | undefined> {
  const handle = await open(file, "r");
  try {
    const start = Buffer.alloc(header.length);
    const { bytesRead } = await handle.read(start, 0, start.length, 0);
    if (bytesRead !== header.length || !start.equals(header)) return undefined;
    const { size } = await handle.stat();
    const body = Buffer.alloc(Math.max(0, size - header.length));
    let at = 0;
    while (at < body.length) {
      const { bytesRead: n } = await handle.read(body, at, body.length - at, header.length + at);
      if (n === 0) return undefined; // cut short meanwhile: not the memo that was written
      at += n;
    }
    return body;
  } finally {
    await handle.close();
  }
}

async function writeMemo(file: string, memo: MemoRecord): Promise<void> {
  const record = serialize({ format: FORMAT, ...memo });
  await writeCacheFile(file, Buffer.concat([memoHeader(memo.key), record]), FILE_PATTERN);
}
