/**
 * The access files gatehouse last applied (the journal's last commit), read from git, as the desired state
 * each provider had from them: what gives the true reason of a change the journal cannot explain
 * (plan/applied-files.ts). Read only when the plan has such a change.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { AccessModel, ProviderConfig } from "../model/access.ts";
import type { Change } from "../plan/types.ts";
import { readFileAt } from "../pr/git-tree.ts";
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

/** Past this many files to compare, the files at the commit are read whole anyway. */
const MAX_FILES_COMPARED = 20;

/**
 * Whether the files at the last applied commit may give a change of the plan another reason, judged from
 * the files its candidates (reasonCandidates) come from, as they are now and at that commit, before the
 * costly read of the whole tree then (at 100k people it doubles a plan). An add (or a create) is drift only
 * where the files then gave it too: not when the file of its line changed since (it came with the change).
 * A drift removal is removed from config only where the files then gave it: not when the group's file is as
 * it was (its members are the same lines). Where a file cannot be compared, or there are many, it may.
 */
export async function mayCorrectReasons(
  candidates: readonly Change[],
  model: AccessModel,
  options: { readonly cwd: string; readonly historyCwd: string; readonly lastCommit: string },
): Promise<boolean> {
  const fileOf = (c: Change): string | undefined =>
    c.kind === "membership" && c.action === "remove"
      ? model.groups.get(c.group)?.source.file
      : "source" in c
        ? c.source.file
        : undefined;
  const files = new Set(candidates.map(fileOf));
  if (files.has(undefined) || files.size > MAX_FILES_COMPARED) return true;
  const isSame = new Map<string, boolean>();
  for (const file of files) {
    if (file === undefined) continue;
    try {
      const [now, then] = await Promise.all([
        readFile(path.resolve(options.cwd, file)),
        readFileAt(options.historyCwd, options.lastCommit, file),
      ]);
      isSame.set(file, then !== undefined && now.equals(then));
    } catch {
      return true;
    }
  }
  return candidates.some((c) => {
    const same = isSame.get(fileOf(c) ?? "");
    return c.kind === "membership" && c.action === "remove" ? same !== true : same === true;
  });
}
