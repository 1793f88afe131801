import type { AccessModel } from "../model/access.ts";
import type { Diagnostic } from "../model/diagnostic.ts";
import type { Definitions } from "../load/build-model.ts";
import type { UnloadedFile } from "../load/load-tree.ts";

/** What every semantic rule sees. Rules are pure: same input, same diagnostics. */
export interface RuleContext {
  readonly model: AccessModel;
  /** Every definition including duplicates, in file order. */
  readonly definitions: Definitions;
  /** The instant "now" for grant expiry and durations. */
  readonly now: Date;
  /** Access files that did not load (errors reported): a name not found may be defined there. */
  readonly unloadedFiles?: readonly UnloadedFile[];
}

export interface Rule {
  /** kebab-case name, e.g. "unknown-references". */
  readonly name: string;
  /** The diagnostic codes this rule can emit, documented in docs/diagnostics.md. */
  readonly codes: readonly string[];
  check(context: RuleContext): Diagnostic[];
}
