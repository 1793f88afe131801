import path from "node:path";
import type { AccessModel } from "../model/access.ts";
import { capDiagnostics, sortDiagnostics, type Diagnostic } from "../model/diagnostic.ts";
import { appendAll } from "../model/lists.ts";
import { ModelBuilder, type Definitions } from "../load/build-model.ts";
import { loadAccessTree, type LoadOptions } from "../load/load-tree.ts";
import { RULES } from "./rules/index.ts";
import { PositionCache } from "./position-cache.ts";

export interface ValidateOptions extends LoadOptions {
  readonly now: Date;
}

export interface ValidatedTree {
  readonly model: AccessModel;
  readonly definitions: Definitions;
  /** Every problem found, sorted by file, line, column. */
  readonly diagnostics: readonly Diagnostic[];
  readonly digest: string;
  readonly fileCount: number;
  /** Whether the tree has its own gatehouse.yaml (else the model holds the built-in default). */
  readonly hasConfig: boolean;
}

/**
 * load → schema → model → rules. Reports every problem in one run; throws only on bugs. Each parsed
 * document goes into the model as soon as it is read and is garbage right after.
 */
export async function validateAccessTree(dir: string, options: ValidateOptions): Promise<ValidatedTree> {
  const builder = new ModelBuilder();
  const files = new Map<string, string>();
  const positionCache = PositionCache.open(
    options.cacheDir === undefined ? undefined : path.resolve(options.cwd, options.cacheDir),
  );
  const loaded = await loadAccessTree(dir, options, (document) => {
    files.set(document.document.file, document.document.digest);
    builder.add(document);
  });
  const built = builder.finish();
  const positions = await positionCache;
  positions.attach(built.model, files);
  const diagnostics: Diagnostic[] = [];
  appendAll(diagnostics, loaded.diagnostics);
  appendAll(diagnostics, built.diagnostics);
  if (!built.hasConfig && loaded.fileCount > 0)
    diagnostics.push({
      severity: "warning",
      code: "GH019",
      message:
        `no gatehouse.yaml in ${dir}: checked with the built-in default (the local directory ` +
        ".gatehouse/directory.json, additive, default policy); plan, apply, prune, import, accounts and drill refuse to run without one. " +
        "Check --dir, or add gatehouse.yaml.",
      file: path.join(dir, "gatehouse.yaml"),
      line: 1,
      column: 1,
    });
  for (const rule of RULES)
    appendAll(
      diagnostics,
      rule.check({
        model: built.model,
        definitions: built.definitions,
        now: options.now,
        unloadedFiles: loaded.unloadedFiles,
      }),
    );
  await positions.save(built.model, files);
  return {
    model: built.model,
    definitions: built.definitions,
    diagnostics: capDiagnostics(sortDiagnostics(diagnostics)),
    digest: loaded.digest,
    fileCount: loaded.fileCount,
    hasConfig: built.hasConfig,
  };
}
