import path from "node:path";
import { deadline } from "../io/deadline.ts";
import type { AccessModel, ProviderConfig } from "../model/access.ts";
import { hasErrors, type Diagnostic } from "../model/diagnostic.ts";
import type { DesiredState, LiveState } from "../model/state.ts";
import { byAccountThenWhere } from "../model/lists.ts";
import { ConfigError, ProviderError, UsageError, messageOf, readFailureAt } from "../errors.ts";
import { validateAccessTree, type ValidatedTree } from "../validate/validate-tree.ts";
import { DEFAULT_CACHE_DIR, loadEnvOptions } from "../load/load-tree.ts";
import { computeEffectiveMemberships } from "../desired/effective.ts";
import { computeDesiredState } from "../desired/desired-state.ts";
import { computePlan, type ProviderPlanInput } from "../plan/compute-plan.ts";
import type { Change, Plan, PlanNote } from "../plan/types.ts";
import { accountOf } from "../plan/addresses.ts";
import { owedDeliveryNotes } from "./owed-deliveries.ts";
import { guardrailViolations, isGrantEnding, madeDespiteRefusal } from "../plan/safety.ts";
import { createProvider } from "../providers/registry.ts";
import type { Provider, ProviderContext } from "../providers/types.ts";
import { liveDigestOf } from "./live-digest.ts";
import { adoptionsOf, type Adoption } from "./adoptions.ts";
import { openEarlyProviders, startEarlyReads, type EarlyProvider } from "./early-reads.ts";
import { PlanInstant } from "../lifecycle/status.ts";
import { DEFAULT_JOURNAL_PATH } from "../audit/journal.ts";
import {
  foldJournal,
  type JournalFold,
  type OpenVerdict,
  type UndeliveredWebhook,
} from "../audit/journal-fold.ts";
import { describeAccessCommit, recordedCommit } from "../audit/git.ts";
import { protectedAccountsOf } from "./managed.ts";
import { formerIdsOf } from "../desired/former-ids.ts";
import { namesHeldBefore } from "./held-before.ts";
import { nameFold } from "../plan/align-case.ts";
import {
  leaverOfVerdict,
  openVerdictNotes,
  openVerdictsOf,
  unconfiguredVerdicts,
  type OpenVerdictNow,
} from "./open-verdicts.ts";
import { liveOfAccounts, type LeaverAccount, type OpenRecheck } from "../apply/offboard-verify.ts";
import { lookUpIds, type IdLookup } from "../apply/locate-leaver.ts";
import { lookUpGroupIds, lookUpLeaverIds } from "./stable-ids.ts";
import { appliedFilesOf, mayCorrectReasons } from "./applied-files.ts";
import { reasonCandidates, reasonsFromAppliedFiles } from "../plan/applied-files.ts";

/** How a plan note of a guard-rail refusal begins (apply shows it as accepted when overridden). */
export const GUARDRAIL_NOTE = "guard rails: apply refuses this plan without an override:";

/** How long the reads of live systems may take, unless EngineOptions.readTimeoutMs says otherwise. */
export const DEFAULT_READ_TIMEOUT_MS = 600_000;

export interface EngineOptions {
  readonly cwd: string;
  /** The access directory (default "access"). */
  readonly dir: string;
  readonly now: Date;
  /**
   * For a plan of another instant than now (plan --at): now. Nothing is late before it (lateAsOf in
   * lifecycle/status.ts).
   */
  readonly previewFrom?: Date;
  /** This host's clock now (ms), for providers' timings between runs (ProviderContext.clock); not the plan's instant. */
  readonly clock?: () => number;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly journalPath?: string;
  /** Only these providers (by name); default all. */
  readonly only?: readonly string[];
  readonly log?: (line: string) => void;
  /** Warnings about the run itself (not progress): printed even when progress lines are not. */
  readonly warn?: (line: string) => void;
  readonly fetch?: typeof fetch;
  readonly readTimeoutMs?: number;
  /** Per-file parse cache, relative to cwd (default `.gatehouse/cache`); false turns it off. */
  readonly cacheDir?: string | false;
  /** Keep what the plan was computed from in PreparedPlan.planned (`gatehouse accounts` reads it). */
  readonly keepInputs?: boolean;
  /**
   * A system that cannot be read is left out of the plan (PreparedPlan.unreadable) instead of failing it,
   * as long as one can be read: apply then reconciles the others (a leaver's offboarding, a grant's end
   * must not wait for an unrelated system that is down). `plan` fails instead.
   */
  readonly skipUnreadable?: boolean;
  /**
   * The model as this plan should see it, in memory (the files are not edited): `gatehouse drill` plans
   * its canary as a leaver this way. Applied after validation.
   */
  readonly adjustModel?: (model: AccessModel) => AccessModel;
  /**
   * The git repository whose history holds the files gatehouse last applied (plan --files-history), where
   * the working directory has none (files extracted from a pull request); default: the working directory.
   */
  readonly filesHistory?: string;
}

export interface PreparedPlan {
  readonly plan: Plan;
  /**
   * The first instant (ms) after the plan's at which a rule of the plan or its validation would answer
   * differently (a grant ends, a start or end date passes); Infinity when none would.
   */
  readonly validUntil: number;
  readonly tree: ValidatedTree;
  readonly providers: ReadonlyMap<string, Provider>;
  /** Warnings left after validation (errors stop before this point). */
  readonly warnings: readonly Diagnostic[];
  /** Accounts of protected users per provider, for the guard rails. */
  readonly protectedAccounts: ReadonlyMap<string, ReadonlySet<string>>;
  /** What apply refuses without `--allow-removals` or `--force` (the guard rails), per provider; the plan notes them. */
  readonly refusals: readonly { readonly provider: string; readonly message: string }[];
  /** The access-file commit the journal's last run applied, if it knew one. */
  readonly lastAppliedCommit?: string;
  /**
   * Per provider read, the leaver accounts with an open offboarding verdict and what this plan's read of
   * the system holds of them (engine/open-verdicts.ts): apply checks them again without reading it again.
   */
  readonly openVerdicts: ReadonlyMap<string, OpenRecheck>;
  /** Webhook deliveries earlier runs failed (JournalFold.undelivered), which apply sends again. */
  readonly owedDeliveries: readonly UndeliveredWebhook[];
  /** With EngineOptions.skipUnreadable: the systems that could not be read, left out of the plan. */
  readonly unreadable: readonly ProviderError[];
  /**
   * The groups gatehouse manages the members of for the first time in each system read, with the members
   * found there that the journal has no add by gatehouse for: what apply records as held before it
   * (engine/adoptions.ts). A plan records nothing: worked out when apply asks (a lookup per live
   * membership of each such group, which a plan of a system no apply has taken on yet would pay every run).
   */
  readonly adoptions: () => readonly Adoption[];
  /** With EngineOptions.keepInputs: each provider's planner input (live state as read), and the journal's fold. */
  readonly planned?: { readonly inputs: readonly ProviderPlanInput[]; readonly journal: JournalFold };
}

export function journalPathOf(options: EngineOptions): string {
  return path.resolve(options.cwd, options.journalPath ?? DEFAULT_JOURNAL_PATH);
}

export function providerContextOf(options: EngineOptions): ProviderContext {
  return {
    env: options.env,
    cwd: options.cwd,
    now: () => new Date(options.now.getTime()),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.log ? { log: options.log } : {}),
  };
}

/**
 * Validates the files and stops with every problem when any is an error, except errors with a code in
 * `tolerated` (import tolerates references to groups it is about to write).
 */
export async function loadValidModel(
  options: EngineOptions,
  tolerated: ReadonlySet<string> = new Set(),
  /** False for commands that only read the files (explain, codeowners): the built-in default will do. */
  requireConfig = true,
): Promise<ValidatedTree> {
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  const tree = await validateAccessTree(options.dir, {
    cwd: options.cwd,
    now: options.now,
    ...(cacheDir === false ? {} : { cacheDir }),
    ...loadEnvOptions(options.env),
  });
  if (requireConfig && !tree.hasConfig) {
    // A mistyped --dir (access/users) is a valid tree of its own; with the built-in default it would
    // plan against the same local directory under another policy and account naming.
    throw new ConfigError(
      `no gatehouse.yaml in ${options.dir}: plan, apply, prune, import, accounts and drill need one to know which systems to read ` +
        "(check --dir; the quick start's is access/gatehouse.yaml); nothing was changed",
    );
  }
  if (hasErrors(tree.diagnostics.filter((d) => !tolerated.has(d.code)))) {
    // Reads started early from gatehouse.yaml are stopped; nothing is written.
    throw new ConfigError("the access files have errors; nothing was changed", tree.diagnostics);
  }
  return tree;
}

export function selectProviders(model: AccessModel, only: readonly string[] | undefined): ProviderConfig[] {
  const all = model.config.providers;
  if (!only || only.length === 0) return [...all];
  const unknown = only.filter((n) => !all.some((p) => p.name === n));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown provider ${unknown.join(", ")}; gatehouse.yaml defines: ${all.map((p) => p.name).join(", ")}`,
    );
  }
  return all.filter((p) => only.includes(p.name));
}

export { liveDigestOf } from "./live-digest.ts";

/** What the planner needs of one provider, once its live state is read. */
export function providerPlanInput(
  config: ProviderConfig,
  provider: Provider,
  desired: DesiredState,
  live: LiveState,
  managed?: ReadonlySet<string>,
): ProviderPlanInput {
  return {
    name: config.name,
    type: config.type,
    mode: config.mode,
    capabilities: provider.capabilities,
    desired,
    live,
    liveDigest: liveDigestOf(live, provider),
    readCalls: provider.stats().reads,
    ...(managed === undefined ? {} : { managed }),
  };
}

/**
 * files → model → live state of every provider → desired → plan. Changes nothing. The live reads start
 * from gatehouse.yaml alone, while the rest of the files are loaded and checked (early-reads.ts).
 */
export async function preparePlan(options: EngineOptions): Promise<PreparedPlan> {
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  return preparePlanWith(
    options,
    await openEarlyProviders({ ...options, cacheDir }, providerContextOf(options)),
  );
}

/**
 * preparePlan, with the providers gatehouse.yaml alone gave (openEarlyProviders) already created: their
 * reads start at once. Those the validated configuration does not take are closed.
 */
export async function preparePlanWith(
  given: EngineOptions,
  opened: readonly EarlyProvider[] | undefined,
): Promise<PreparedPlan> {
  // Every rule that compares the plan's instant with a time from the files notes where its answer
  // would change: the plan holds until the first such instant (validUntil).
  const now = new PlanInstant(given.now.getTime(), given.previewFrom?.getTime());
  const options: EngineOptions = { ...given, now };
  // Every read stops on the timeout, or at once when the plan fails on the way (nothing outlives it).
  const stopReads = new AbortController();
  const readDeadline = deadline(options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS, stopReads.signal);
  const { signal } = readDeadline;
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  const context = providerContextOf(options);
  const early = startEarlyReads(opened, signal);
  const commitLookup = describeAccessCommit(options.cwd, options.dir);
  const journalRead = foldJournal(
    journalPathOf(options),
    cacheDir === false ? undefined : path.resolve(options.cwd, cacheDir),
    undefined,
    (message) => options.warn?.(message),
  );
  journalRead.catch(() => undefined); // awaited below, after validation, whose errors come first
  const providers = new Map<string, Provider>();
  const reads = new Map<string, Promise<LiveState>>();
  try {
    const loaded = await loadValidModel(options);
    const tree =
      options.adjustModel === undefined ? loaded : { ...loaded, model: options.adjustModel(loaded.model) };
    const configs = selectProviders(tree.model, options.only);
    const unreadable: ProviderError[] = [];
    for (const config of configs) {
      const taken = early?.take(config);
      const provider = taken?.provider ?? (await createOrSkip(config, context, options, unreadable));
      if (provider === undefined) continue;
      providers.set(config.name, provider);
      if (taken) reads.set(config.name, taken.live);
    }
    await early?.discard();
    const journal = await journalRead;
    const managed = journal.managed;
    const protectedAccounts = protectedAccountsOf(tree.model, configs, journal);
    const effective = computeEffectiveMemberships(tree.model, options.now);
    const openVerdicts = new Map<string, OpenRecheck>();
    const openFound = new Map<string, readonly OpenVerdictNow[]>();
    const read: (ProviderPlanInput | undefined)[] = await Promise.all(
      configs.map(async (config) => {
        const provider = providers.get(config.name);
        // Left out of the run: it could not be set up here (createOrSkip said why).
        if (!provider && unreadable.some((e) => e.provider === config.name)) return undefined;
        if (!provider) throw new ConfigError(`provider ${config.name} could not be created`);
        let read = reads.get(config.name);
        if (read === undefined) {
          read = provider.read(signal);
          reads.set(config.name, read);
        }
        /** The system is left out of the run (apply) when it fails to answer; anything else fails. */
        const leaveOut = (error: unknown): undefined => {
          const located = readFailureAt(error, config.source);
          // Only a system's own failure to answer (or to answer in time) is skipped: anything else fails.
          if (options.skipUnreadable !== true || !(located instanceof ProviderError)) throw located;
          unreadable.push(located);
          openVerdicts.delete(config.name);
          openFound.delete(config.name);
          return undefined;
        };
        const live = await read.catch(leaveOut);
        if (live === undefined) return undefined;
        const open = openVerdictsOf(
          journal.verdicts,
          tree.model.users,
          config,
          provider.capabilities,
          options.now,
        );
        if (open.length > 0) {
          openFound.set(config.name, open);
          const leavers = open.map(leaverOfVerdict);
          // Their accounts are found by their stable ids, where they have them, under the names they
          // have now: the plan's read is kept under those names too.
          const byId = await lookUpOpenIds(provider, leavers, signal);
          const names = [
            ...leavers.map((l) => l.account),
            ...(byId && "found" in byId ? byId.found.values() : []),
          ];
          openVerdicts.set(config.name, {
            leavers,
            live: liveOfAccounts(live, names, provider.capabilities),
            ...(byId === undefined ? {} : { byId }),
          });
        }
        const desired = computeDesiredState(tree.model, config, effective, {
          now: options.now,
          journalAccounts: journal.accounts,
          caseInsensitiveNames: provider.capabilities.caseInsensitiveNames === true,
          nativeNesting: config.nesting && provider.capabilities.nesting,
        });
        // The searches beyond the read are the system's to answer as the read is: one that fails leaves
        // this system out of an apply, not every system (a leaver's offboarding elsewhere must not wait).
        const beyondRead = await leaversBeyondRead(provider, desired, live, signal).catch(leaveOut);
        if (beyondRead === undefined) return undefined;
        const claimed = await withNamesClaimed(provider, desired, live, signal);
        // Leavers' accounts and groups renamed by hand: found by the stable id the journal keeps of the entry.
        const leaverIds = await lookUpLeaverIds(provider, desired, live, journal.ids, signal);
        const groupIds = await lookUpGroupIds(provider, desired, live, journal.ids, signal);
        const input = {
          ...providerPlanInput(config, provider, desired, claimed, managed),
          written: journal.written,
          disabledByGatehouse: journal.disabled,
          grantEnds: journal.grantEnds,
          expiries: journal.expiries,
          ...(beyondRead.size > 0 ? { beyondRead } : {}),
          ...(leaverIds === undefined ? {} : { leaverIds }),
          ...(groupIds === undefined ? {} : { groupIds }),
        };
        // Names another person held, given to someone now: what they left that still names the name is
        // looked for before the plan decides to make the account (plan/held-before.ts).
        if (provider.stillNaming === undefined) return input;
        const heldBefore = namesHeldBefore(
          desired,
          claimed,
          config.name,
          journal,
          provider.capabilities.caseInsensitiveNames === true,
          formerIdsOf(tree.model.users),
        );
        if (heldBefore.size === 0) return input;
        const stillNaming = await provider.stillNaming([...heldBefore.keys()], signal).catch(leaveOut);
        if (stillNaming === undefined) return undefined;
        return { ...input, heldBefore, ...(stillNaming.size > 0 ? { stillNaming } : {}) };
      }),
    );
    const inputs = read.filter((input): input is ProviderPlanInput => input !== undefined);
    let adopted: readonly Adoption[] | undefined;
    const adoptions = (): readonly Adoption[] =>
      (adopted ??= inputs.flatMap((input) => adoptionsOf(input, journal)));
    // Nothing could be read: nothing to reconcile, and the first failure says why.
    if (inputs.length === 0 && unreadable[0] !== undefined) throw unreadable[0];
    // In the order of gatehouse.yaml, as the plan lists the systems; then those of systems it no longer
    // has, which no apply checks (noted when every system is planned, not with --provider).
    const openNotes = [
      ...configs.flatMap((c) => openVerdictNotes(c.name, openFound.get(c.name) ?? [])),
      ...((options.only ?? []).length === 0 ? unconfiguredNotes(journal.verdicts, tree, options.now) : []),
    ];
    const commit = await commitLookup;
    const planned = computePlan({
      now: options.now,
      desiredDigest: tree.digest,
      providers: inputs,
      ...(commit ? { desiredCommit: recordedCommit(commit) } : {}),
    });
    // Reasons the journal cannot give (what an import adopted it never wrote), from the files it last applied.
    const candidates = reasonCandidates(planned);
    const applied =
      journal.lastCommit === undefined ||
      journal.lastCommitRun === undefined ||
      candidates.length === 0 ||
      !(await mayCorrectReasons(candidates, tree.model, {
        cwd: options.cwd,
        historyCwd: options.filesHistory ?? options.cwd,
        lastCommit: journal.lastCommit,
      }))
        ? undefined
        : await appliedFilesOf(
            {
              cwd: options.filesHistory ?? options.cwd,
              dir: options.dir,
              lastCommit: journal.lastCommit,
              lastCommitRun: journal.lastCommitRun,
              currentModel: tree.model,
              ...(commit === undefined || commit.isDirty ? {} : { currentCommit: commit.commit }),
              journalAccounts: journal.accounts,
              renamedAway: journal.renamedAway,
              ...(options.cacheDir === false
                ? {}
                : { cacheDir: path.resolve(options.cwd, options.cacheDir ?? DEFAULT_CACHE_DIR) }),
              ...(options.log ? { log: options.log } : {}),
            },
            inputs,
            configs,
          );
    const computed = applied === undefined ? planned : reasonsFromAppliedFiles(planned, applied);
    // What apply will refuse without --allow-removals or --force, said where reviewers read the plan.
    const refusals = guardrailViolations(computed, tree.model.config.policy, { protectedAccounts });
    // ... all but the grants that end as they were approved, which apply makes all the same.
    // ... and the leavers' offboarding where it passes them on its own.
    const endings =
      refusals.length === 0
        ? undefined
        : madeDespiteRefusal(computed, tree.model.config.policy, { protectedAccounts })?.plan;
    // Deliveries earlier applies owe downstream systems: said before an apply sends them again.
    const owedNotes = owedDeliveryNotes(
      [...journal.undelivered.values()],
      tree.model.config.policy.offboardingWebhooks ?? [],
    );
    const plan: Plan =
      refusals.length === 0 && openNotes.length === 0 && owedNotes.length === 0
        ? computed
        : {
            ...computed,
            notes: [
              ...computed.notes,
              // Offboarding checks that found access left, until a check finds it gone: no plan shows
              // what is outside the scope gatehouse reads, so the plan says that it is still open.
              ...openNotes,
              ...refusals.map((v): PlanNote => ({
                provider: v.provider,
                kind: "info",
                message: `${GUARDRAIL_NOTE} ${v.message}`,
              })),
              ...[...new Set(endings?.changes.map((c) => c.provider) ?? [])].map((provider): PlanNote => ({
                provider,
                kind: "info",
                message: `guard rails: without an override, apply still ${stillMade(endings?.changes.filter((c) => c.provider === provider) ?? [])}, and nothing else of this plan`,
              })),
              ...owedNotes,
            ],
          };
    return {
      plan,
      validUntil: now.validUntil,
      tree,
      providers,
      warnings: tree.diagnostics,
      protectedAccounts,
      refusals,
      ...(journal.lastCommit === undefined ? {} : { lastAppliedCommit: journal.lastCommit }),
      openVerdicts,
      owedDeliveries: [...journal.undelivered.values()],
      unreadable,
      adoptions,
      ...(options.keepInputs === true ? { planned: { inputs, journal } } : {}),
    };
  } catch (error) {
    stopReads.abort(error);
    await early?.discard();
    await Promise.allSettled(reads.values());
    await closeProviders(providers);
    throw error;
  } finally {
    readDeadline.clear();
  }
}

/**
 * What apply still makes of one system's part of a refused plan, in words: "makes the 2 grant ending(s)
 * here (grants that end as they were approved)", "offboards the 1 leaver(s) here (...)", or both.
 */
function stillMade(changes: readonly Change[]): string {
  const endings = changes.filter(isGrantEnding).length;
  const leavers = new Set(
    changes.filter((c) => !isGrantEnding(c)).map((c) => c.userId ?? accountOf(c) ?? c.id),
  ).size;
  return [
    ...(leavers > 0
      ? [
          `offboards the ${String(leavers)} leaver(s) here (their kill chain passes the guard rails on its own)`,
        ]
      : []),
    ...(endings > 0
      ? [`makes the ${String(endings)} grant ending(s) here (grants that end as they were approved)`]
      : []),
  ].join(" and ");
}

/**
 * The provider for `config`. Where the run may leave out systems it cannot read (apply), one that cannot
 * be set up on this machine (its secret's environment variable not set, its CA file missing: the files
 * were validated, so what fails here is the environment) is left out as an unreadable one is, and
 * undefined returned: a variable missing from the scheduled workflow must not keep every leaver
 * elsewhere from being offboarded.
 */
async function createOrSkip(
  config: ProviderConfig,
  context: ProviderContext,
  options: EngineOptions,
  unreadable: ProviderError[],
): Promise<Provider | undefined> {
  try {
    return await createProvider(config, context);
  } catch (error) {
    if (options.skipUnreadable !== true || !(error instanceof ConfigError)) throw error;
    unreadable.push(
      new ProviderError(config.name, "set up", error.message, { cause: error, configuredAt: config.source }),
    );
    return undefined;
  }
}

/**
 * What the system still grants leavers who have no account its read returns (Provider.accessBeyondRead: a
 * GitHub outside collaborator), asked only when the system can say and there are such leavers.
 */
async function leaversBeyondRead(
  provider: Provider,
  desired: DesiredState,
  live: LiveState,
  signal: AbortSignal,
): Promise<ReadonlyMap<string, string>> {
  if (provider.accessBeyondRead === undefined) return new Map();
  const fold = nameFold(provider.capabilities);
  const accounts = new Set(live.users.map((u) => fold(u.account)));
  const leavers = [...desired.users.values()]
    .filter((u) => u.status === "terminated" && !accounts.has(fold(u.account)))
    .map((u) => u.account);
  if (leavers.length === 0) return new Map();
  return provider.accessBeyondRead(leavers, signal);
}

/**
 * `live` with what the system holds beyond its read against the account names the plan would create
 * (Provider.namesClaimedBeyondRead): those of people with no account read, that no entry read holds or
 * claims already, with their departments (where the system places a new account by it). The plan then
 * makes no account the system would refuse, and says which entry holds the name, or why not. As it was when there are no such names, or the system has no such rule.
 */
export async function withNamesClaimed(
  provider: Provider,
  desired: DesiredState,
  live: LiveState,
  signal: AbortSignal,
): Promise<LiveState> {
  if (provider.namesClaimedBeyondRead === undefined) return live;
  const fold = nameFold(provider.capabilities);
  const known = new Set(
    [
      ...live.users.map((u) => u.account),
      ...(live.elsewhere ?? []).map((e) => e.account),
      ...(live.namesTaken ?? []).map((n) => n.account),
    ].map(fold),
  );
  // Only people the plan would make an account for now: not a leaver, nor someone not started yet (or
  // away), whose name held elsewhere would be taken for their account moved out of scope, to disable.
  const creates = [...desired.users.values()].filter(
    (u) => u.enabled && u.status !== "terminated" && !known.has(fold(u.account)),
  );
  if (creates.length === 0) return live;
  const names = creates.map((u) => u.account);
  const departments = new Map(
    creates.flatMap((u) =>
      u.attributes.department === undefined ? [] : [[u.account, u.attributes.department]],
    ),
  );
  let found: Pick<LiveState, "elsewhere" | "namesTaken" | "cannotCreate">;
  try {
    found = await provider.namesClaimedBeyondRead(names, signal, departments);
  } catch (error) {
    // The read itself succeeded: a failed lookup must not hold up this system's run (a leaver's
    // offboarding), nor the others'. The plan is made as before the lookup existed, and says so.
    if (signal.aborted) throw error;
    const why = error instanceof Error ? error.message : String(error);
    return {
      ...live,
      notes: [
        ...(live.notes ?? []),
        `the search for the ${String(names.length)} account name(s) to create held elsewhere in the system failed (${why}): an account or claim outside the scope read is found only when the create fails`,
      ],
    };
  }
  const elsewhere = [...(live.elsewhere ?? []), ...(found.elsewhere ?? [])].sort(byAccountThenWhere);
  const namesTaken = [...(live.namesTaken ?? []), ...(found.namesTaken ?? [])].sort(byAccountThenWhere);
  const cannotCreate = [...(live.cannotCreate ?? []), ...(found.cannotCreate ?? [])];
  return {
    ...live,
    ...(elsewhere.length > 0 ? { elsewhere } : {}),
    ...(namesTaken.length > 0 ? { namesTaken } : {}),
    ...(cannotCreate.length > 0 ? { cannotCreate } : {}),
  };
}

/** The open verdicts' stable ids looked up (lookUpIds); a failed lookup is kept as such, not thrown. */
async function lookUpOpenIds(
  provider: Provider,
  leavers: readonly LeaverAccount[],
  signal: AbortSignal,
): Promise<IdLookup> {
  try {
    return await lookUpIds(
      provider,
      leavers.flatMap((l) => l.accountId ?? []),
      signal,
    );
  } catch (error) {
    return { error: messageOf(error) };
  }
}

/** Notes of the open verdicts of systems gatehouse.yaml no longer has, per system in journal order. */
function unconfiguredNotes(
  verdicts: ReadonlyMap<string, OpenVerdict>,
  tree: ValidatedTree,
  now: Date,
): PlanNote[] {
  const configured = new Set(tree.model.config.providers.map((p) => p.name));
  const byProvider = new Map<string, OpenVerdict[]>();
  for (const v of unconfiguredVerdicts(verdicts, tree.model.users, configured, now)) {
    const list = byProvider.get(v.provider);
    if (list) list.push(v);
    else byProvider.set(v.provider, [v]);
  }
  return [...byProvider].flatMap(([name, list]) => openVerdictNotes(name, list, true));
}

export async function closeProviders(providers: ReadonlyMap<string, Provider>): Promise<void> {
  await Promise.allSettled([...providers.values()].map((p) => p.close()));
}
