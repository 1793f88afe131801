import { readFile } from "node:fs/promises";
import path from "node:path";
import { createHash } from "node:crypto";
import type { Diagnostic } from "../model/diagnostic.ts";
import { discoverAccessFiles } from "./discover.ts";
import { DEFAULT_LIMITS, parseAccessFile, type AccessDocument, type ParseLimits } from "./parse.ts";
import type { ClassifiedDocument } from "./build-model.ts";
import { SCHEMA_DIR, validateDocumentSchema } from "../validate/schema.ts";
import { pruneParseCache, readCachedFile, writeCachedFile } from "./parse-cache.ts";
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

const CONFIG_FILE = /^gatehouse\.ya?ml$/;

interface LoadedFile {
  readonly document?: ClassifiedDocument;
  readonly diagnostics: readonly Diagnostic[];
}

async function loadFile(
  file: string,
  bytes: Uint8Array,
  digest: string,
  kind: ClassifiedDocument["kind"],
  options: LoadOptions,
): Promise<LoadedFile> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const cacheDir = options.cacheDir === undefined ? undefined : path.resolve(options.cwd, options.cacheDir);
  if (cacheDir !== undefined && bytes.length <= limits.maxFileBytes) {
    const hit = await readCachedFile(cacheDir, SCHEMA_DIR, digest, kind);
    if (hit) {
      const { document: fast } = hit;
      const document: AccessDocument = { file, locator: fastLocator(fast), data: fast.data, digest };
      const schema = hit.schema.map((d) => ({ ...d, file }));
      return {
        document: { document, kind, invalidPaths: schema.map((d) => d.path ?? "") },
        diagnostics: schema,
      };
    }
  }
  const parsed = parseAccessFile(file, bytes, limits, digest);
  if (!parsed.document) return { diagnostics: parsed.diagnostics };
  const schema = validateDocumentSchema(parsed.document, kind);
  if (cacheDir !== undefined && parsed.fast) {
    const withoutFile = schema.map((d) => ({
      severity: d.severity,
      code: d.code,
      message: d.message,
      line: d.line,
      column: d.column,
      ...(d.path === undefined ? {} : { path: d.path }),
    }));
    await writeCachedFile(cacheDir, SCHEMA_DIR, digest, kind, { document: parsed.fast, schema: withoutFile });
  }
  return {
    document: { document: parsed.document, kind, invalidPaths: schema.map((d) => d.path ?? "") },
    diagnostics: [...parsed.diagnostics, ...schema],
  };
}

/** Reads, parses and schema-checks every access file under `dir`. Never throws for bad input. */
export async function loadAccessTree(dir: string, options: LoadOptions): Promise<LoadedTree> {
  const root = path.resolve(options.cwd, dir);
  const { files, diagnostics: found } = await discoverAccessFiles(root, options.cwd);
  const diagnostics: Diagnostic[] = [...found];
  const documents: ClassifiedDocument[] = [];
  const hash = createHash("sha256");
  const used: { digest: string; kind: string }[] = [];
  for (const file of files) {
    const bytes = await readFile(file.absPath);
    const digest = createHash("sha256").update(bytes).digest("hex");
    hash.update(`${path.relative(root, file.absPath)}\0${digest}\n`);
    const kind =
      CONFIG_FILE.test(path.basename(file.absPath)) && path.dirname(file.absPath) === root
        ? "config"
        : "access";
    used.push({ digest, kind });
    const loaded = await loadFile(file.displayPath, bytes, digest, kind, options);
    diagnostics.push(...loaded.diagnostics);
    if (loaded.document) documents.push(loaded.document);
  }
  if (options.cacheDir !== undefined)
    await pruneParseCache(path.resolve(options.cwd, options.cacheDir), SCHEMA_DIR, used);
  return { documents, diagnostics, digest: hash.digest("hex"), fileCount: files.length };
}
