import type { AccessModel } from "../model/access.ts";
import { sortDiagnostics, type Diagnostic } from "../model/diagnostic.ts";
import { buildAccessModel, type Definitions } from "../load/build-model.ts";
import { loadAccessTree, type LoadOptions } from "../load/load-tree.ts";
import { RULES } from "./rules/index.ts";

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
}

/**
 * load → schema → model → rules. Reports every problem in one run; throws only on bugs. The parsed
 * documents are not kept: once the model is built they are garbage (a third of the heap at 100k people).
 */
export async function validateAccessTree(dir: string, options: ValidateOptions): Promise<ValidatedTree> {
  const loaded = await loadAccessTree(dir, options);
  const built = buildAccessModel(loaded.documents);
  const diagnostics: Diagnostic[] = [...loaded.diagnostics, ...built.diagnostics];
  for (const rule of RULES) {
    diagnostics.push(...rule.check({ model: built.model, definitions: built.definitions, now: options.now }));
  }
  return {
    model: built.model,
    definitions: built.definitions,
    diagnostics: sortDiagnostics(diagnostics),
    digest: loaded.digest,
    fileCount: loaded.fileCount,
  };
}
