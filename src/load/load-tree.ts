import { readFile } from "node:fs/promises";
import path from "node:path";
import { createHash } from "node:crypto";
import type { Diagnostic } from "../model/diagnostic.ts";
import { discoverAccessFiles, type DiscoveredFile } from "./discover.ts";
import { DEFAULT_LIMITS, parseAccessFile, type AccessDocument, type ParseLimits } from "./parse.ts";
import type { ClassifiedDocument } from "./build-model.ts";
import { SCHEMA_DIR, validateDocumentSchema, type DocumentKind } from "../validate/schema.ts";
import {
  encodeCacheEntry,
  pruneParseCache,
  readCachedFile,
  toCacheEntry,
  writeCacheEntry,
  type CachedFile,
} from "./parse-cache.ts";
import { fastLocator } from "./fast-locator.ts";

export interface LoadOptions {
  /** Working directory: diagnostics show paths relative to it. */
  readonly cwd: string;
  readonly limits?: ParseLimits;
  /**
   * Folder for the per-file parse cache (keyed by the sha256 of each file's bytes), e.g.
   * `.gatehouse/cache`. Without it every file is parsed and schema-checked.
   */
  readonly cacheDir?: string;
}

export interface LoadedTree {
  readonly documents: readonly ClassifiedDocument[];
  readonly diagnostics: readonly Diagnostic[];
  /** sha256 over every file's path and content: a saved plan is stale when it changes. */
  readonly digest: string;
  readonly fileCount: number;
}

/** Files read (or cache entries looked up) at the same time: enough to keep the disk busy, few descriptors. */
const READ_CONCURRENCY = 16;
const CONFIG_FILE = /^gatehouse\.ya?ml$/;

interface LoadedFile {
  readonly document?: ClassifiedDocument;
  readonly diagnostics: readonly Diagnostic[];
}

/** One access file as read from disk. */
interface SourceFile {
  /** The path shown in diagnostics. */
  readonly file: string;
  /** The path relative to the access directory, for the tree digest. */
  readonly relative: string;
  readonly bytes: Uint8Array;
  readonly digest: string;
  readonly kind: DocumentKind;
}

/** Stores a parse-cache entry for a file (in the background); undefined without a cache. */
type SaveEntry = ((source: SourceFile, entry: Uint8Array) => void) | undefined;

/** `fn` over every item with at most `limit` calls running at a time; results in the items' order. */
async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = [];
  let next = 0;
  const run = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      const item = items[i];
      if (item !== undefined) out[i] = await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
}

async function readSource(found: DiscoveredFile, root: string): Promise<SourceFile> {
  const bytes = await readFile(found.absPath);
  const isConfig = CONFIG_FILE.test(path.basename(found.absPath)) && path.dirname(found.absPath) === root;
  return {
    file: found.displayPath,
    relative: path.relative(root, found.absPath),
    bytes,
    digest: createHash("sha256").update(bytes).digest("hex"),
    kind: isConfig ? "config" : "access",
  };
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
function parseHere(source: SourceFile, limits: ParseLimits, save: SaveEntry): LoadedFile {
  const parsed = parseAccessFile(source.file, source.bytes, limits, source.digest);
  if (!parsed.document) return { diagnostics: parsed.diagnostics };
  const schema = validateDocumentSchema(parsed.document, source.kind);
  if (parsed.fast) save?.(source, encodeCacheEntry(toCacheEntry(parsed.fast, schema)));
  return {
    document: { document: parsed.document, kind: source.kind, invalidPaths: schema.map((d) => d.path ?? "") },
    diagnostics: [...parsed.diagnostics, ...schema],
  };
}

/** Reads, parses and schema-checks every access file under `dir`. Never throws for bad input. */
export async function loadAccessTree(dir: string, options: LoadOptions): Promise<LoadedTree> {
  const root = path.resolve(options.cwd, dir);
  const { files, diagnostics: found } = await discoverAccessFiles(root, options.cwd);
  const limits = options.limits ?? DEFAULT_LIMITS;
  const cacheDir = options.cacheDir === undefined ? undefined : path.resolve(options.cwd, options.cacheDir);
  const sources = await mapBounded(files, READ_CONCURRENCY, (f) => readSource(f, root));
  const hash = createHash("sha256");
  for (const s of sources) hash.update(`${s.relative}\0${s.digest}\n`);

  const cached = await mapBounded(sources, READ_CONCURRENCY, async (s) => {
    if (cacheDir === undefined || s.bytes.length > limits.maxFileBytes) return undefined;
    const hit = await readCachedFile(cacheDir, SCHEMA_DIR, s.digest, s.kind);
    return hit && fromCache(s, hit);
  });
  const misses = sources.filter((_, i) => cached[i] === undefined);
  const writes: Promise<void>[] = [];
  const save: SaveEntry =
    cacheDir === undefined
      ? undefined
      : (s, entry) => writes.push(writeCacheEntry(cacheDir, SCHEMA_DIR, s.digest, s.kind, entry));
  const parsed = misses.map((s) => parseHere(s, limits, save));

  const diagnostics: Diagnostic[] = [...found];
  const documents: ClassifiedDocument[] = [];
  let next = 0;
  for (const hit of cached) {
    const loaded = hit ?? parsed[next++];
    if (loaded === undefined) throw new Error("loadAccessTree: a file was neither cached nor parsed");
    diagnostics.push(...loaded.diagnostics);
    if (loaded.document) documents.push(loaded.document);
  }
  await Promise.all(writes);
  if (cacheDir !== undefined)
    await pruneParseCache(
      cacheDir,
      SCHEMA_DIR,
      sources.map((s) => ({ digest: s.digest, kind: s.kind })),
    );
  return { documents, diagnostics, digest: hash.digest("hex"), fileCount: files.length };
}
