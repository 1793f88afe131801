/**
 * The part of loading one file that a worker thread can do (see parse-pool.ts and parse-worker.ts): the
 * same checks and the same fast reader as on the main thread, then the schema check, answered with the
 * bytes of a parse-cache entry so the main thread reads it back exactly as it reads a cache hit.
 */
import type { Diagnostic } from "../model/diagnostic.ts";
import { validateDocumentSchema, type DocumentKind } from "../validate/schema.ts";
import { encodeCacheEntry, toCacheEntry } from "./parse-cache.ts";
import { DEFAULT_LIMITS, parseAccessFileFast, type ParseLimits } from "./parse.ts";
import { messageOf } from "../errors.ts";

/** One file to parse and schema-check. */
export interface ParseTask {
  readonly id: number;
  /** The path shown in diagnostics. */
  readonly file: string;
  readonly bytes: Uint8Array;
  /** sha256 of `bytes`, hex. */
  readonly digest: string;
  readonly kind: DocumentKind;
}

/**
 * What became of a task: `entry`, the file read and schema-checked (encoded as a cache entry);
 * `diagnostics`, the file was refused before any YAML was read (size, binary, encoding); `full`, the file
 * needs the `yaml` package, which runs on the main thread only; `failed`, the worker threw or went away,
 * and the main thread parses the file itself.
 */
export type ParseReply =
  | { readonly id: number; readonly type: "entry"; readonly entry: Uint8Array }
  | { readonly id: number; readonly type: "diagnostics"; readonly diagnostics: readonly Diagnostic[] }
  | { readonly id: number; readonly type: "full" }
  | { readonly id: number; readonly type: "failed"; readonly message: string };

/** Reads and schema-checks one file as `loadAccessTree` does on the main thread. Never throws. */
export function runParseTask(task: ParseTask, limits: ParseLimits = DEFAULT_LIMITS): ParseReply {
  const { id } = task;
  try {
    const parsed = parseAccessFileFast(task.file, task.bytes, limits, task.digest);
    if (parsed === undefined) return { id, type: "full" };
    if (!parsed.document) return { id, type: "diagnostics", diagnostics: parsed.diagnostics };
    // Only a clean fast read fits in an entry; anything else is left to the main thread, to stay exact.
    if (!parsed.fast || parsed.diagnostics.length > 0) return { id, type: "full" };
    const schema = validateDocumentSchema(parsed.document, task.kind);
    const entry = encodeCacheEntry(toCacheEntry(parsed.fast, schema));
    return entry === undefined ? { id, type: "full" } : { id, type: "entry", entry };
  } catch (error) {
    return { id, type: "failed", message: messageOf(error) };
  }
}
