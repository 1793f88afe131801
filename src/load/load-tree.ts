import { existsSync } from "node:fs";
import { open, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { Diagnostic } from "../model/diagnostic.ts";
import { ConfigError, UsageError } from "../errors.ts";
import { discoverAccessFiles, displayPath, type DiscoveredFile } from "./discover.ts";
import { DEFAULT_LIMITS, parseAccessFile, type AccessDocument, type ParseLimits } from "./parse.ts";
import type { ClassifiedDocument } from "./build-model.ts";
import { SCHEMA_DIR, validateDocumentSchema, type DocumentKind } from "../validate/schema.ts";
import {
  decodeCacheEntry,
  encodeCacheEntry,
  pruneParseCache,
  cacheEntryExists,
  readCacheEntry,
  toCacheEntry,
  writeCacheEntry,
  type CachedFile,
} from "./parse-cache.ts";
import { fastLocator } from "./fast-locator.ts";
import type { ParseReply, ParseTask } from "./parse-task.ts";
import { runParsePool } from "./parse-pool.ts";
import { DigestCache } from "./digest-cache.ts";
import { appendAll } from "../model/lists.ts";

/** Where the CLI keeps its caches (parse cache, journal fold, connector snapshots), relative to cwd. */
export const DEFAULT_CACHE_DIR = ".gatehouse/cache";

export interface LoadOptions {
  /** Working directory: diagnostics show paths relative to it. */
  readonly cwd: string;
  readonly limits?: ParseLimits;
  /**
   * Folder for the per-file parse cache (keyed by the sha256 of each file's bytes), e.g.
   * `.gatehouse/cache`. Without it every file is parsed and schema-checked.
   */
  readonly cacheDir?: string;
  /**
   * Worker threads that parse files the cache does not hold: 0 never; n > 0 exactly n (at most one per
   * file), whatever the amount of YAML; unset: automatic, see PARALLEL_MIN_BYTES. The CLI takes it from
   * GATEHOUSE_PARSE_WORKERS (`parseWorkersOption`). Workers need the built `parse-worker.js` next to
   * this module: from the TypeScript sources (tests) every file is parsed on the main thread.
   */
  readonly parseWorkers?: number;
  /**
   * Whether the digest cache may stand in for reading a file whose identity and times are unchanged
   * (default true; GATEHOUSE_TRUST_FILE_TIMES=0 turns it off, for file systems whose ctime is not kept).
   */
  readonly trustFileTimes?: boolean;
}

export interface LoadedTree {
  readonly documents: readonly ClassifiedDocument[];
  readonly diagnostics: readonly Diagnostic[];
  /** sha256 over every file's path and content: a saved plan is stale when it changes. */
  readonly digest: string;
  readonly fileCount: number;
  /**
   * Access files that did not load (their errors are in `diagnostics`): whatever they define is missing
   * from the model, so a name used elsewhere may be defined there.
   */
  readonly unloadedFiles: readonly UnloadedFile[];
}

/** An access file that did not load, with its text when it was read and is not large. */
export interface UnloadedFile {
  /** The path shown in diagnostics. */
  readonly file: string;
  /** Its text (at most UNLOADED_TEXT_BYTES), to tell whether it names something at all. */
  readonly text?: string;
}

/** Above this, a file that did not load is kept by name only (it may define anything). */
const UNLOADED_TEXT_BYTES = 1024 * 1024;

/**
 * Uncached YAML below this many bytes is parsed on the main thread. Measured on the 100k-user benchmark
 * (52 MB, 201 files): the main thread parses and schema-checks about 35 ms/MB; a worker takes 0.25-0.35 s
 * to start (thread, modules, access schema), and each MB it reads costs about 5 ms to encode there and
 * 9 ms to decode on the main thread, plus garbage collection in every thread. That puts the break-even
 * of four workers on four free cores around 10-12 MB (an estimate: measured on two cores only).
 */
export const PARALLEL_MIN_BYTES = 16 * 1024 * 1024;

/**
 * With fewer cores the automatic choice stays on the main thread. On two cores, since the main thread
 * decodes cache entries and builds the model faster, two workers now pay: a cold plan of the 100k-user
 * benchmark took 6.1-6.7 s with two workers against 7.6-8.2 s on the main thread (three runs each,
 * alternating), with less memory (845 against 907 MB), because the main thread never holds the YAML
 * parser's garbage. Below PARALLEL_MIN_BYTES the workers' start-up costs more than it saves (10k users:
 * 1.44 s against 1.34 s).
 */
export const MIN_AUTO_CORES = 2;

/** At most this many workers: the main thread reads their replies, so more stop helping. */
const MAX_AUTO_WORKERS = 4;
/** Files read (or cache entries looked up) at the same time: enough to keep the disk busy, few descriptors. */
const READ_CONCURRENCY = 16;
/** Cache entries read ahead of the one being decoded. */
const ENTRIES_AHEAD = 4;
const MAX_WORKERS_SETTING = 16;
const CONFIG_FILE = /^gatehouse\.ya?ml$/;
const WORKER_SCRIPT = new URL("./parse-worker.js", import.meta.url);

export interface LoadedFile {
  readonly document?: ClassifiedDocument;
  readonly diagnostics: readonly Diagnostic[];
}

/** One access file found on disk. */
interface SourceFile {
  /** The path shown in diagnostics. */
  readonly file: string;
  readonly absPath: string;
  /** The path relative to the access directory, for the tree digest. */
  readonly relative: string;
  readonly size: number;
  /** The file's content; undefined when its digest came from the digest cache and it was not read. */
  readonly bytes: Uint8Array | undefined;
  readonly digest: string;
  readonly kind: DocumentKind;
}

/** A source file whose content was read. */
type ReadSource = SourceFile & { readonly bytes: Uint8Array };

/** Stores a parse-cache entry for a file (in the background); undefined without a cache. */
type SaveEntry = ((source: SourceFile, entry: Uint8Array) => void) | undefined;

/**
 * The `parseWorkers` load option from the environment (GATEHOUSE_PARSE_WORKERS): none when unset or
 * empty, otherwise a whole number from 0 to 16. Anything else is a usage error, not silently ignored.
 */
export function parseWorkersOption(
  env: Readonly<Record<string, string | undefined>>,
): Pick<LoadOptions, "parseWorkers"> {
  const raw = env["GATEHOUSE_PARSE_WORKERS"];
  if (raw === undefined || raw === "") return {};
  const n = /^\d{1,3}$/.test(raw) ? Number(raw) : Number.NaN;
  if (Number.isNaN(n) || n > MAX_WORKERS_SETTING)
    throw new UsageError(
      `GATEHOUSE_PARSE_WORKERS must be a whole number from 0 to ${String(MAX_WORKERS_SETTING)} (0: parse on the main thread only), not "${raw}"`,
    );
  return { parseWorkers: n };
}

/**
 * Whether GATEHOUSE_TRUST_FILE_TIMES=0 turns file times off, for those who must not throw on another
 * value (early reads, a provider's stamp): loadEnvOptions refuses it with a usage error in the run.
 */
export function isFileTimesOff(env: Readonly<Record<string, string | undefined>>): boolean {
  return env["GATEHOUSE_TRUST_FILE_TIMES"] === "0";
}

/** The load options the environment sets: GATEHOUSE_PARSE_WORKERS and GATEHOUSE_TRUST_FILE_TIMES. */
export function loadEnvOptions(
  env: Readonly<Record<string, string | undefined>>,
): Pick<LoadOptions, "parseWorkers" | "trustFileTimes"> {
  const raw = env["GATEHOUSE_TRUST_FILE_TIMES"];
  if (raw === undefined || raw === "") return parseWorkersOption(env);
  if (raw !== "0" && raw !== "1")
    throw new UsageError(
      `GATEHOUSE_TRUST_FILE_TIMES must be 0 or 1 (0: read and hash every file), not "${raw}"`,
    );
  return { ...parseWorkersOption(env), trustFileTimes: raw === "1" };
}

/** `fn` over every item with at most `limit` calls running at a time; results in the items' order. */
async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = [];
  let next = 0;
  const run = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      const item = items[i];
      if (item !== undefined) out[i] = await fn(item, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
}

/**
 * One access file's digest: from the digest cache when the file is unchanged since it was hashed (then it
 * is not read), otherwise read and hashed.
 */
async function findSource(found: DiscoveredFile, root: string, digests: DigestCache): Promise<SourceFile> {
  const stats = await stat(found.absPath, { bigint: true });
  const known = digests.lookup(found.absPath, stats);
  if (known === undefined) return readSource(found, root, digests);
  return { ...describeSource(found, root), size: Number(stats.size), bytes: undefined, digest: known };
}

function describeSource(
  found: DiscoveredFile,
  root: string,
): Pick<SourceFile, "file" | "absPath" | "relative" | "kind"> {
  const isConfig = CONFIG_FILE.test(path.basename(found.absPath)) && path.dirname(found.absPath) === root;
  return {
    file: found.displayPath,
    absPath: found.absPath,
    relative: path.relative(root, found.absPath),
    kind: isConfig ? "config" : "access",
  };
}

/** Reads and hashes one access file, and tells the digest cache. */
async function readSource(found: DiscoveredFile, root: string, digests: DigestCache): Promise<ReadSource> {
  // The wall clock, not the plan's `now`: it is compared with the file system's own times.
  // eslint-disable-next-line no-restricted-properties
  const readAtNs = BigInt(Date.now()) * 1_000_000n;
  const handle = await open(found.absPath, "r");
  let bytes: Uint8Array;
  try {
    const before = await handle.stat({ bigint: true });
    bytes = await handle.readFile();
    const after = await handle.stat({ bigint: true });
    const digest = createHash("sha256").update(bytes).digest("hex");
    digests.remember(found.absPath, before, after, readAtNs, digest);
    return { ...describeSource(found, root), size: bytes.length, bytes, digest };
  } finally {
    await handle.close();
  }
}

/** `source` with its content, read now if the digest cache stood in for it. */
async function withBytes(source: SourceFile, root: string, digests: DigestCache): Promise<ReadSource> {
  if (source.bytes !== undefined) return { ...source, bytes: source.bytes };
  return readSource({ absPath: source.absPath, displayPath: source.file }, root, digests);
}

/** A file that did not load, with its text when it is not large (read again if a cache stood in for it). */
async function unloadedFile(source: SourceFile, root: string, digests: DigestCache): Promise<UnloadedFile> {
  if (source.size > UNLOADED_TEXT_BYTES) return { file: source.file };
  const read = await withBytes(source, root, digests).catch(() => undefined);
  return read === undefined
    ? { file: source.file }
    : { file: source.file, text: Buffer.from(read.bytes).toString("utf8") };
}

/** A cached parse as the loader's result, with the same diagnostics (fields in the same order) as a fresh one. */
function fromCache(source: SourceFile, hit: CachedFile): LoadedFile {
  const { file, digest, kind } = source;
  const document: AccessDocument = {
    file,
    locator: fastLocator(hit.document),
    data: hit.document.data,
    digest,
  };
  const schema: Diagnostic[] = hit.schema.map((d) => ({
    severity: d.severity,
    code: d.code,
    message: d.message,
    ...(d.path === undefined ? {} : { path: d.path }),
    file,
    line: d.line,
    column: d.column,
  }));
  return {
    document: { document, kind, invalidPaths: schema.map((d) => d.path ?? "") },
    diagnostics: schema,
  };
}

/** Parses and schema-checks one file on this thread. */
function parseHere(source: ReadSource, limits: ParseLimits, save: SaveEntry): LoadedFile {
  const parsed = parseAccessFile(
    source.file,
    source.bytes,
    { ...limits, readsOnRepeatedKey: true },
    source.digest,
  );
  if (!parsed.document) return { diagnostics: parsed.diagnostics };
  const schema = validateDocumentSchema(parsed.document, source.kind);
  const entry = parsed.fast && encodeCacheEntry(toCacheEntry(parsed.fast, schema));
  if (entry) save?.(source, entry);
  return {
    document: { document: parsed.document, kind: source.kind, invalidPaths: schema.map((d) => d.path ?? "") },
    diagnostics: [...parsed.diagnostics, ...schema],
  };
}

/** A worker's reply as the loader's result; what the worker could not do is done here. */
function fromReply(reply: ParseReply, source: ReadSource, limits: ParseLimits, save: SaveEntry): LoadedFile {
  switch (reply.type) {
    case "entry": {
      const hit = decodeCacheEntry(reply.entry);
      if (!hit) return parseHere(source, limits, save);
      save?.(source, reply.entry);
      return fromCache(source, hit);
    }
    case "diagnostics":
      return { diagnostics: reply.diagnostics };
    case "full":
    case "failed":
      return parseHere(source, limits, save);
  }
}

/**
 * How many worker threads should parse `files` uncached files of `bytes` in all, given the `parseWorkers`
 * setting and the available cores; 0 means the main thread. Exported for tests.
 */
export function parseWorkerCount(
  bytes: number,
  files: number,
  setting: number | undefined,
  cores: number,
): number {
  if (setting !== undefined) return Math.min(setting, files);
  if (bytes < PARALLEL_MIN_BYTES || cores < MIN_AUTO_CORES) return 0;
  return Math.min(cores, MAX_AUTO_WORKERS, files);
}

function workerCount(sources: readonly SourceFile[], setting: number | undefined): number {
  if (setting === 0 || sources.length === 0 || !existsSync(fileURLToPath(WORKER_SCRIPT))) return 0;
  const bytes = sources.reduce((sum, s) => sum + s.size, 0);
  return parseWorkerCount(bytes, sources.length, setting, availableParallelism());
}

/**
 * One file read as `loadAccessTree` reads it, parse cache included (a miss is parsed and stored). For
 * gatehouse.yaml ahead of the tree: a warm run then neither parses it nor compiles its schema.
 */
export async function loadAccessFile(
  absPath: string,
  root: string,
  options: Pick<LoadOptions, "cwd" | "cacheDir" | "limits" | "trustFileTimes">,
): Promise<LoadedFile> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const found = { absPath, displayPath: displayPath(options.cwd, absPath) };
  const cacheDir = options.cacheDir === undefined ? undefined : path.resolve(options.cwd, options.cacheDir);
  // Only looked up: the load of the whole tree, which reads this file too, saves the digest cache.
  const digests = await openDigests(cacheDir, options);
  const source = await findSource(found, root, digests);
  if (cacheDir === undefined || source.size > limits.maxFileBytes)
    return parseHere(await withBytes(source, root, digests), limits, undefined);
  const writes: Promise<void>[] = [];
  const loaded = await fromEntryOrParse(
    source,
    await readCacheEntry(cacheDir, SCHEMA_DIR, source.digest, source.kind),
    { root, digests, limits },
    (s, e) => writes.push(writeCacheEntry(cacheDir, SCHEMA_DIR, s.digest, s.kind, e)),
  );
  await Promise.all(writes);
  return loaded;
}

/** The digest cache in `cacheDir`, or one that remembers nothing (no cache folder, or file times not trusted). */
async function openDigests(
  cacheDir: string | undefined,
  options: Pick<LoadOptions, "trustFileTimes">,
): Promise<DigestCache> {
  return cacheDir === undefined || options.trustFileTimes === false
    ? DigestCache.none()
    : DigestCache.open(cacheDir);
}

interface ReadContext {
  readonly root: string;
  readonly digests: DigestCache;
  readonly limits: ParseLimits;
}

/**
 * A file from its cache entry's bytes; parsed (and saved) when it has none or they do not decode. A
 * file that was not read (its digest came from the digest cache) is read then, and must still have that
 * digest: the tree's digest was worked out from it.
 */
async function fromEntryOrParse(
  source: SourceFile,
  entry: Uint8Array | undefined,
  context: ReadContext,
  save: SaveEntry,
): Promise<LoadedFile> {
  const hit = entry && decodeCacheEntry(entry);
  if (hit) return fromCache(source, hit);
  const read = await withBytes(source, context.root, context.digests);
  if (read.digest !== source.digest)
    throw new ConfigError(
      `${source.file} changed while gatehouse was reading the access files; run it again`,
    );
  return parseHere(read, context.limits, save);
}

/** The load of one uncached file, by its index in the tree: parsed here, or a worker's reply. */
type ParseMiss = (index: number) => LoadedFile | Promise<LoadedFile>;

interface MissParser {
  readonly parse: ParseMiss;
  /** Settles once every worker has ended (at once without workers). */
  readonly done: Promise<void>;
}

/**
 * Parses and schema-checks the files the cache does not hold (`missing`, indexes into `sources`): on
 * workers when it pays, which start at once and send replies that are decoded only when asked for (in
 * file order, so each document dies young); otherwise on this thread, when asked for.
 */
function parseMisses(
  sources: readonly SourceFile[],
  missing: readonly number[],
  options: LoadOptions,
  save: SaveEntry,
): MissParser {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const here: ParseMiss = (i) => parseHere(readSourceAt(sources, i), limits, save);
  const size = workerCount(
    missing.map((i) => readSourceAt(sources, i)),
    options.parseWorkers,
  );
  if (size === 0) return { parse: here, done: Promise.resolve() };
  const waiting = new Map<number, { resolve: (reply: ParseReply) => void; reject: (e: Error) => void }>();
  const replies = new Map<number, Promise<ParseReply>>();
  for (const i of missing) {
    const reply = new Promise<ParseReply>((resolve, reject) => waiting.set(i, { resolve, reject }));
    reply.catch(() => undefined); // awaited in file order; a load that stops early leaves the rest
    replies.set(i, reply);
  }
  const tasks: ParseTask[] = missing.map((i) => {
    const s = readSourceAt(sources, i);
    return { id: i, file: s.file, bytes: s.bytes, digest: s.digest, kind: s.kind };
  });
  const done = runParsePool(tasks, { script: WORKER_SCRIPT, size, limits }, (reply) => {
    const pending = waiting.get(reply.id);
    if (pending === undefined) throw new Error(`parse pool: a reply for unknown file #${String(reply.id)}`);
    waiting.delete(reply.id);
    pending.resolve(reply);
  }).catch((error: unknown) => {
    const failure = error instanceof Error ? error : new Error(String(error));
    for (const pending of waiting.values()) pending.reject(failure);
    throw failure;
  });
  done.catch(() => undefined); // the same failure reaches the loader through the replies
  return {
    parse: async (i) => {
      const reply = replies.get(i);
      if (reply === undefined) return here(i);
      replies.delete(i);
      return fromReply(await reply, readSourceAt(sources, i), limits, save);
    },
    done,
  };
}

/** A file parsed on a miss: every such file was read before the parse started. */
function readSourceAt(sources: readonly SourceFile[], i: number): ReadSource {
  const source = sourceAt(sources, i);
  if (source.bytes === undefined) throw new Error(`loadAccessTree: file #${String(i)} was not read`);
  return { ...source, bytes: source.bytes };
}

/**
 * Reads the cache entries of a tree in file order, a few ahead of the one asked for: reads overlap the
 * decoding, and only a handful of entries' bytes are held at any time.
 */
class EntryReader {
  readonly #cacheDir: string;
  /** The file at each index whose entry is to be read; undefined for the others. */
  readonly #wanted: readonly (SourceFile | undefined)[];
  readonly #reads = new Map<number, Promise<Uint8Array | undefined>>();
  #next = 0;

  constructor(cacheDir: string, wanted: readonly (SourceFile | undefined)[]) {
    this.#cacheDir = cacheDir;
    this.#wanted = wanted;
  }

  /** The bytes of entry `i` (undefined: gone or unreadable since it was found). */
  async take(i: number): Promise<Uint8Array | undefined> {
    this.#next = Math.max(this.#next, i);
    while (this.#next < this.#wanted.length && this.#reads.size < ENTRIES_AHEAD) this.#start(this.#next++);
    if (!this.#reads.has(i)) this.#start(i);
    const read = this.#reads.get(i);
    this.#reads.delete(i);
    return read;
  }

  #start(i: number): void {
    const source = this.#wanted[i];
    if (source === undefined || this.#reads.has(i)) return;
    this.#reads.set(i, readCacheEntry(this.#cacheDir, SCHEMA_DIR, source.digest, source.kind));
  }
}

function sourceAt<S extends SourceFile>(sources: readonly S[], i: number): S {
  const source = sources[i];
  if (source === undefined) throw new Error(`loadAccessTree: no file #${String(i)}`);
  return source;
}

/**
 * Reads, parses and schema-checks every access file under `dir`. Never throws for bad input.
 *
 * With `onDocument`, each document goes there in file order as soon as it is read and the result's
 * `documents` stays empty: a caller that builds as it goes never holds every parsed file at once (a
 * third of the heap at 100k people), and the documents die young instead of being copied into the old
 * generation.
 */
export async function loadAccessTree(
  dir: string,
  options: LoadOptions,
  onDocument?: (document: ClassifiedDocument) => void,
): Promise<LoadedTree> {
  const root = path.resolve(options.cwd, dir);
  const { files, diagnostics: found } = await discoverAccessFiles(root, options.cwd);
  const limits = options.limits ?? DEFAULT_LIMITS;
  const cacheDir = options.cacheDir === undefined ? undefined : path.resolve(options.cwd, options.cacheDir);
  const digests = await openDigests(cacheDir, options);
  const context: ReadContext = { root, digests, limits };
  const cacheable = (s: SourceFile): boolean => cacheDir !== undefined && s.size <= limits.maxFileBytes;
  const found0 = await mapBounded(files, READ_CONCURRENCY, (f) => findSource(f, root, digests));
  // Which files have a cache entry: each is read only when its turn comes (a few ahead), so that the
  // entries' 60 MB at 100k people are never all held at once.
  const hasEntry = await mapBounded(found0, READ_CONCURRENCY, async (s) =>
    cacheable(s) && cacheDir !== undefined ? cacheEntryExists(cacheDir, SCHEMA_DIR, s.digest, s.kind) : false,
  );
  // Files without an entry are parsed, so they are read now if the digest cache stood in for them.
  const sources = await mapBounded(found0, READ_CONCURRENCY, async (s, i) =>
    hasEntry[i] === true ? s : withBytes(s, root, digests),
  );
  const digest = treeDigestOf(sources);

  const writes: Promise<void>[] = [];
  const save: SaveEntry =
    cacheDir === undefined
      ? undefined
      : (s, entry) => writes.push(writeCacheEntry(cacheDir, SCHEMA_DIR, s.digest, s.kind, entry));
  const missing = sources.flatMap((_, i) => (hasEntry[i] === true ? [] : [i]));
  const misses = parseMisses(sources, missing, options, save);
  const entries =
    cacheDir === undefined
      ? undefined
      : new EntryReader(
          cacheDir,
          sources.map((s, i) => (hasEntry[i] === true ? s : undefined)),
        );

  const diagnostics: Diagnostic[] = [...found];
  const documents: ClassifiedDocument[] = [];
  const unloadedFiles: UnloadedFile[] = [];
  for (let i = 0; i < sources.length; i++) {
    const source = sourceAt(sources, i);
    const loaded =
      hasEntry[i] === true
        ? await fromEntryOrParse(source, await entries?.take(i), context, save)
        : await misses.parse(i);
    appendAll(diagnostics, loaded.diagnostics);
    if (loaded.document === undefined && source.kind === "access")
      unloadedFiles.push(await unloadedFile(source, root, digests));
    if (loaded.document === undefined) continue;
    if (onDocument) onDocument(loaded.document);
    else documents.push(loaded.document);
  }
  await misses.done;
  await Promise.all(writes);
  await digests.save(new Set(sources.map((s) => s.absPath)));
  if (cacheDir !== undefined)
    await pruneParseCache(
      cacheDir,
      SCHEMA_DIR,
      sources.map((s) => ({ digest: s.digest, kind: s.kind })),
    );
  return { documents, diagnostics, digest, fileCount: files.length, unloadedFiles };
}

/** sha256 over every file's path (relative to the access directory) and content digest. */
function treeDigestOf(sources: readonly SourceFile[]): string {
  const hash = createHash("sha256");
  for (const s of sources) hash.update(`${s.relative}\0${s.digest}\n`);
  return hash.digest("hex");
}

/**
 * The `digest` loadAccessTree would give the tree under `dir` now, without parsing anything: each file's
 * digest comes from the digest cache when its identity and times are unchanged, else from reading it.
 */
export async function accessTreeDigest(
  dir: string,
  options: Pick<LoadOptions, "cwd" | "cacheDir" | "trustFileTimes">,
): Promise<string> {
  const root = path.resolve(options.cwd, dir);
  const { files } = await discoverAccessFiles(root, options.cwd);
  const cacheDir = options.cacheDir === undefined ? undefined : path.resolve(options.cwd, options.cacheDir);
  const digests = await openDigests(cacheDir, options);
  return treeDigestOf(await mapBounded(files, READ_CONCURRENCY, (f) => findSource(f, root, digests)));
}
