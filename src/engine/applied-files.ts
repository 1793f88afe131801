/**
 * The access files gatehouse last applied (the journal's last commit), read from git, as the desired state
 * each provider had from them: what gives the true reason of a change the journal cannot explain
 * (plan/applied-files.ts). Read only when the plan has such a change.
 */
import type { AccessModel, ProviderConfig } from "../model/access.ts";
import type { DesiredState } from "../model/state.ts";
import type { AppliedFiles } from "../plan/applied-files.ts";
import type { LastCommitRun } from "../audit/journal-fold.ts";
import type { ProviderPlanInput } from "../plan/context.ts";
import { accessFilesAt } from "../audit/files-at.ts";
import { computeEffectiveMemberships } from "../desired/effective.ts";
import { computeDesiredState } from "../desired/desired-state.ts";
import { messageOf } from "../errors.ts";
import { hasErrors } from "../model/diagnostic.ts";
import { validateAccessTree } from "../validate/validate-tree.ts";

export interface AppliedFilesOptions {
  /** Where git finds the history: the repository holding the access files. */
  readonly cwd: string;
  /** The access folder, relative to cwd. */
  readonly dir: string;
  /** The journal's last applied commit (JournalFold.lastCommit). */
  readonly lastCommit: string;
  /**
   * That run (JournalFold.lastCommitRun): the files are judged as of its start, as it judged them (a joiner
   * whose start date came since was not given an account then, and is added in config now).
   */
  readonly lastCommitRun: LastCommitRun;
  /** JournalFold.accounts and renamedAway: who the journal saw hold each account name. */
  readonly journalAccounts: ReadonlyMap<string, readonly string[]>;
  readonly renamedAway: ReadonlyMap<string, readonly string[]>;
  /** The commit of the files planned now, when they are committed and unchanged since ("+dirty": not). */
  readonly currentCommit?: string;
  /** The files planned now: what that run applied when it is the commit planned now. */
  readonly currentModel: AccessModel;
  /**
   * The parse cache (absolute; undefined: none): files the commit shares with those planned now are
   * not parsed again (keyed by content).
   */
  readonly cacheDir?: string;
  /** Why the files could not be read, for the log (the plan keeps the journal's reasons then). */
  readonly log?: (line: string) => void;
}

/**
 * Each planned provider's desired state from the files at the journal's last commit, as of that run's
 * start: the model planned now when that is the commit planned now; read from git otherwise. Undefined
 * when git cannot give them (no repository here, a shallow clone without that commit, files that no
 * longer load): the plan then keeps the reasons the journal gave, as before.
 */
export async function appliedFilesOf(
  options: AppliedFilesOptions,
  inputs: readonly ProviderPlanInput[],
  configs: readonly ProviderConfig[],
): Promise<AppliedFiles | undefined> {
  const { lastCommit } = options;
  const said = `the access files gatehouse last applied (${lastCommit})`;
  if (options.currentCommit === lastCommit) return desiredOf(options, options.currentModel, inputs, configs);
  let files;
  try {
    files = await accessFilesAt(options.cwd, options.dir, { revision: lastCommit });
  } catch (error) {
    options.log?.(`plan reasons: ${said} cannot be read: ${messageOf(error)}`);
    return undefined;
  }
  try {
    const tree = await validateAccessTree(files.dir, {
      cwd: files.cwd,
      now: new Date(options.lastCommitRun.at),
      ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
    });
    if (hasErrors(tree.diagnostics)) {
      options.log?.(`plan reasons: ${said} have errors now`);
      return undefined;
    }
    return desiredOf(options, tree.model, inputs, configs);
  } catch (error) {
    options.log?.(`plan reasons: ${said} do not load: ${messageOf(error)}`);
    return undefined;
  } finally {
    await files.dispose();
  }
}

/** The desired state `model` gives each planned provider as of the start of options.lastCommitRun. */
function desiredOf(
  options: AppliedFilesOptions,
  model: AccessModel,
  inputs: readonly ProviderPlanInput[],
  configs: readonly ProviderConfig[],
): AppliedFiles {
  const at = new Date(options.lastCommitRun.at);
  const effective = computeEffectiveMemberships(model, at);
  const desired = new Map<string, DesiredState>();
  for (const input of inputs) {
    const config = configs.find((c) => c.name === input.name);
    if (config === undefined) continue;
    desired.set(
      input.name,
      computeDesiredState(model, config, effective, {
        now: at,
        journalAccounts: options.journalAccounts,
        caseInsensitiveNames: input.capabilities.caseInsensitiveNames === true,
        nativeNesting: config.nesting && input.capabilities.nesting,
      }),
    );
  }
  return {
    commit: options.lastCommit,
    desired,
    isMade: options.lastCommitRun.isMade,
    journalHolders: holdersOf(options.journalAccounts, options.renamedAway),
  };
}

/** `${provider}\n${account}` (lower case) → the user ids the journal saw hold it, or rename it away. */
function holdersOf(
  accounts: ReadonlyMap<string, readonly string[]>,
  renamedAway: ReadonlyMap<string, readonly string[]>,
): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (key: string, userId: string): void => {
    const set = out.get(key);
    if (set) set.add(userId);
    else out.set(key, new Set([userId]));
  };
  for (const [key, names] of accounts) {
    const at = key.indexOf("\n");
    const provider = key.slice(0, at);
    for (const name of names) add(`${provider}\n${name.toLowerCase()}`, key.slice(at + 1));
  }
  // A name renamed away is no one's now: held by a user id no change can have.
  for (const [key] of renamedAway) add(key.toLowerCase(), "\0renamed away");
  return out;
}
