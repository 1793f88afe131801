import { readFile } from "node:fs/promises";
import path from "node:path";
import { createHash } from "node:crypto";
import type { Diagnostic } from "../model/diagnostic.ts";
import { discoverAccessFiles } from "./discover.ts";
import { DEFAULT_LIMITS, parseAccessFile, type ParseLimits } from "./parse.ts";
import type { ClassifiedDocument } from "./build-model.ts";
import { validateDocumentSchema } from "../validate/schema.ts";

export interface LoadOptions {
  /** Working directory: diagnostics show paths relative to it. */
  readonly cwd: string;
  readonly limits?: ParseLimits;
}

export interface LoadedTree {
  readonly documents: readonly ClassifiedDocument[];
  readonly diagnostics: readonly Diagnostic[];
  /** sha256 over every file's path and content: a saved plan is stale when it changes. */
  readonly digest: string;
  readonly fileCount: number;
}

const CONFIG_FILE = /^gatehouse\.ya?ml$/;

/** Reads, parses and schema-checks every access file under `dir`. Never throws for bad input. */
export async function loadAccessTree(dir: string, options: LoadOptions): Promise<LoadedTree> {
  const root = path.resolve(options.cwd, dir);
  const { files, diagnostics: found } = await discoverAccessFiles(root, options.cwd);
  const diagnostics: Diagnostic[] = [...found];
  const documents: ClassifiedDocument[] = [];
  const hash = createHash("sha256");
  for (const file of files) {
    const bytes = await readFile(file.absPath);
    const { document, diagnostics: parsed } = parseAccessFile(
      file.displayPath,
      bytes,
      options.limits ?? DEFAULT_LIMITS,
    );
    diagnostics.push(...parsed);
    hash.update(
      `${path.relative(root, file.absPath)}\0${document?.digest ?? createHash("sha256").update(bytes).digest("hex")}\n`,
    );
    if (!document) continue;
    const kind =
      CONFIG_FILE.test(path.basename(file.absPath)) && path.dirname(file.absPath) === root
        ? "config"
        : "access";
    const schemaDiagnostics = validateDocumentSchema(document, kind);
    diagnostics.push(...schemaDiagnostics);
    documents.push({ document, kind, invalidPaths: schemaDiagnostics.map((d) => d.path ?? "") });
  }
  return { documents, diagnostics, digest: hash.digest("hex"), fileCount: files.length };
}
