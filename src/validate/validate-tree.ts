import type { AccessModel } from "../model/access.ts";
import { sortDiagnostics, type Diagnostic } from "../model/diagnostic.ts";
import { buildAccessModel, type ClassifiedDocument, type Definitions } from "../load/build-model.ts";
import { loadAccessTree, type LoadOptions } from "../load/load-tree.ts";
import { RULES } from "./rules/index.ts";

export interface ValidateOptions extends LoadOptions {
  readonly now: Date;
}

export interface ValidatedTree {
  readonly model: AccessModel;
  readonly definitions: Definitions;
  readonly documents: readonly ClassifiedDocument[];
  /** Every problem found, sorted by file, line, column. */
  readonly diagnostics: readonly Diagnostic[];
  readonly digest: string;
  readonly fileCount: number;
}

/** load → schema → model → rules. Reports every problem in one run; throws only on bugs. */
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
    documents: loaded.documents,
    diagnostics: sortDiagnostics(diagnostics),
    digest: loaded.digest,
    fileCount: loaded.fileCount,
  };
}
