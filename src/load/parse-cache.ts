import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serialize } from "node:v8";
import type { Diagnostic, Severity } from "../model/diagnostic.ts";
import type { FastDocument } from "./fast-yaml.ts";
import { PositionTable } from "./position-table.ts";
import { isRecord } from "../model/json.ts";
import { decodeCacheRecord } from "../io/cache-file.ts";
import { hashFolder } from "../io/code-identity.ts";

/**
 * A per-file cache of parsed and schema-checked access files, keyed by the sha256 of the file's
 * bytes (and of the schemas and this format), stored with v8.serialize under `.gatehouse/cache/`.
 * Only files the fast reader took are cached; anything unexpected in an entry is a miss.
 */
export interface CachedFile {
  readonly document: FastDocument;
  /** Schema diagnostics of the file, without the file name (the same bytes may sit elsewhere). */
  readonly schema: readonly Omit<Diagnostic, "file">[];
}

/** Bump when the entry layout or the fast reader's output changes. */
const FORMAT = "gatehouse-parse-cache-2";

let salt: string | undefined;

/**
 * The code that makes an entry: the reader and loader (this folder) and the schema check's messages. A
 * new gatehouse that words a diagnostic differently, or reads YAML differently, must not be handed
 * entries an older one wrote.
 */
const LOADER_DIR = fileURLToPath(new URL(".", import.meta.url));
const SCHEMA_CHECK = fileURLToPath(
  new URL("../validate/schema" + path.extname(fileURLToPath(import.meta.url)), import.meta.url),
);

/**
 * The schemas and the code decide the cached documents and diagnostics: a changed schema folder, or a
 * different build of gatehouse, invalidates every entry.
 */
export function parseCacheSalt(schemaDir: string): string {
  if (salt !== undefined) return salt;
  const hash = createHash("sha256").update(FORMAT);
  hashFolder(hash, schemaDir, (name) => name.endsWith(".json"));
  hashFolder(hash, LOADER_DIR, (name) => /\.[jt]s$/.test(name));
  hash.update(readFileSync(SCHEMA_CHECK));
  salt = hash.digest("hex").slice(0, 16);
  return salt;
}

function entryPath(dir: string, schemaDir: string, digest: string, kind: string): string {
  return path.join(dir, `${kind}-${parseCacheSalt(schemaDir)}-${digest}.v8`);
}

/**
 * A parse-cache entry's temp file (see writeCacheEntry). Only these are removed: other caches in the
 * same folder (the journal fold, connector snapshots) write their own temp files at the same time.
 */
const ENTRY_TEMP = /\.v8\.[0-9a-f]+\.tmp$/;

/**
 * Keeps the cache bounded: the entries this run used stay, and so do the most recently written others
 * up to twice as many again (a couple of earlier versions, e.g. the base branch); the rest are removed,
 * as are temp files left by an interrupted write. Never throws: a cache that cannot be pruned still works.
 */
export async function pruneParseCache(
  dir: string,
  schemaDir: string,
  used: readonly { readonly digest: string; readonly kind: string }[],
): Promise<number> {
  const keep = new Set(used.map((u) => path.basename(entryPath(dir, schemaDir, u.digest, u.kind))));
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  const others = await Promise.all(
    names
      .filter((n) => !keep.has(n) && (n.endsWith(".v8") || ENTRY_TEMP.test(n)))
      .map(async (n) => ({
        name: n,
        mtime: (await stat(path.join(dir, n)).catch(() => undefined))?.mtimeMs ?? 0,
      })),
  );
  others.sort((a, b) => b.mtime - a.mtime);
  const budget = Math.max(64, keep.size * 2);
  const doomed = [
    ...others.filter((o) => ENTRY_TEMP.test(o.name)),
    ...others.filter((o) => o.name.endsWith(".v8")).slice(budget),
  ];
  await Promise.all(doomed.map((o) => unlink(path.join(dir, o.name)).catch(() => undefined)));
  return doomed.length;
}

function toSchemaDiagnostic(value: unknown): Omit<Diagnostic, "file"> | undefined {
  if (!isRecord(value)) return undefined;
  const { severity, code, message, line, column, path: pointer } = value;
  const isSeverity = (s: unknown): s is Severity => s === "error" || s === "warning";
  if (!isSeverity(severity) || typeof code !== "string" || typeof message !== "string") return undefined;
  if (typeof line !== "number" || typeof column !== "number") return undefined;
  return { severity, code, message, line, column, ...(typeof pointer === "string" ? { path: pointer } : {}) };
}

/** Whether a file's entry is stored (it may still turn out unreadable or foreign when read). */
export async function cacheEntryExists(
  dir: string,
  schemaDir: string,
  digest: string,
  kind: string,
): Promise<boolean> {
  try {
    return (await stat(entryPath(dir, schemaDir, digest, kind))).isFile();
  } catch {
    return false;
  }
}

/** The stored bytes of a file's entry (for `decodeCacheEntry`), or undefined (missing, unreadable). */
export async function readCacheEntry(
  dir: string,
  schemaDir: string,
  digest: string,
  kind: string,
): Promise<Uint8Array | undefined> {
  try {
    return await readFile(entryPath(dir, schemaDir, digest, kind));
  } catch {
    return undefined;
  }
}

/** The entry of a file the fast reader took: its schema diagnostics without the file name. */
export function toCacheEntry(document: FastDocument, schema: readonly Diagnostic[]): CachedFile {
  return {
    document,
    schema: schema.map((d) => ({
      severity: d.severity,
      code: d.code,
      message: d.message,
      line: d.line,
      column: d.column,
      ...(d.path === undefined ? {} : { path: d.path }),
    })),
  };
}

/**
 * An entry's bytes: what `writeCacheEntry` stores, and what a parse worker sends back. Undefined for a
 * document whose position table cannot be packed (see PositionTable.packed): it is then not cached.
 */
export function encodeCacheEntry(entry: CachedFile): Uint8Array | undefined {
  const { data, positions, line, column } = entry.document;
  const places = positions.packed(data);
  if (places === undefined) return undefined;
  return serialize({ format: FORMAT, data, places, line, column, schema: entry.schema });
}

/** The parse an entry's bytes hold, or undefined when they are not one of this format. */
export function decodeCacheEntry(bytes: Uint8Array): CachedFile | undefined {
  const value = decodeCacheRecord(bytes, FORMAT);
  if (value === undefined) return undefined;
  const { data, places, line, column, schema } = value;
  if (!(places instanceof Int32Array) || typeof line !== "number" || typeof column !== "number")
    return undefined;
  if (!Array.isArray(schema)) return undefined;
  const diagnostics = schema.map(toSchemaDiagnostic);
  const checked = diagnostics.filter((d): d is Omit<Diagnostic, "file"> => d !== undefined);
  if (checked.length !== diagnostics.length) return undefined;
  let positions: PositionTable | undefined;
  try {
    positions = PositionTable.unpack(data, places);
  } catch {
    // Data that refers to itself (v8 keeps cycles) or is nested past the stack: not an entry gatehouse
    // wrote, so a miss, like bytes that do not deserialize.
    return undefined;
  }
  if (positions === undefined) return undefined;
  return { document: { data, positions, line, column }, schema: checked };
}

/**
 * Stores an entry's bytes (from `encodeCacheEntry`) under a temp name, then renames it into place, so a
 * reader never sees half an entry. Never throws: a failure to write only costs the next run a re-parse.
 */
export async function writeCacheEntry(
  dir: string,
  schemaDir: string,
  digest: string,
  kind: string,
  bytes: Uint8Array,
): Promise<void> {
  const target = entryPath(dir, schemaDir, digest, kind);
  const temp = `${target}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(temp, bytes);
    await rename(temp, target);
  } catch {
    // A read-only checkout or a full disk: run without the cache.
  }
}
