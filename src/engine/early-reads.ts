import { lstat } from "node:fs/promises";
import path from "node:path";
import type { ProviderConfig } from "../model/access.ts";
import { hasErrors, type Diagnostic } from "../model/diagnostic.ts";
import type { LiveState } from "../model/state.ts";
import { buildConfig } from "../load/build-config.ts";
import { isFileTimesOff, loadAccessFile } from "../load/load-tree.ts";
import { isObj } from "../load/read-data.ts";
import { createProvider } from "../providers/registry.ts";
import type { Provider, ProviderContext } from "../providers/types.ts";

/**
 * Live reads started before the access files are validated. gatehouse.yaml is read on its own first,
 * and each provider it names starts reading at once, so the wait on LDAP, SCIM or GitHub (and the local
 * directory's read) overlaps loading and checking a large access tree instead of following it.
 *
 * It only ever saves time: when gatehouse.yaml has any problem, a provider cannot be created, or the
 * validated configuration turns out different (the file changed meanwhile), the plan creates that
 * provider and reads after validation as before. When validation fails the early reads are aborted and
 * their providers closed; reads change nothing, so nothing is lost.
 */
export interface EarlyReads {
  /** The provider and read started for exactly this configuration, once; undefined otherwise. */
  take(
    config: ProviderConfig,
  ): { readonly provider: Provider; readonly live: Promise<LiveState> } | undefined;
  /** Aborts the reads nobody took, waits for them to stop, and closes their providers. */
  discard(): Promise<void>;
}

interface Started {
  readonly key: string;
  readonly provider: Provider;
  readonly live: Promise<LiveState>;
  /** Stops this read only: a read handed over must outlive the discarding of the others. */
  readonly stop: AbortController;
}

const CONFIG_NAMES = ["gatehouse.yaml", "gatehouse.yml"];

/** The provider configurations of `dir`'s gatehouse.yaml when it is free of errors, else undefined. */
async function readProviderConfigs(options: EarlyOptions): Promise<readonly ProviderConfig[] | undefined> {
  const found: string[] = [];
  for (const name of CONFIG_NAMES) {
    const absolute = path.resolve(options.cwd, options.dir, name);
    // lstat: a symlink (which the tree's discovery may refuse) never starts a read; validation decides.
    const entry = await lstat(absolute).catch(() => undefined);
    if (entry?.isFile() === true) found.push(absolute);
    else if (entry !== undefined) return undefined;
  }
  const only = found.length === 1 ? found[0] : undefined;
  if (only === undefined) return undefined;
  const loaded = await loadAccessFile(only, path.dirname(only), {
    cwd: options.cwd,
    // An unknown value stops the whole load with a usage error (loadEnvOptions).
    trustFileTimes: !isFileTimesOff(options.env),
    ...(options.cacheDir === false || options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
  });
  const document = loaded.document?.document;
  if (!document || hasErrors(loaded.diagnostics) || !isObj(document.data)) return undefined;
  const diagnostics: Diagnostic[] = [];
  const config = buildConfig(document, document.data, [], diagnostics);
  return hasErrors(diagnostics) ? undefined : config.providers;
}

interface EarlyOptions {
  readonly cwd: string;
  readonly dir: string;
  readonly only?: readonly string[];
  /** The parse cache (relative to cwd), as the tree's load uses it; false or unset: none. */
  readonly cacheDir?: string | false;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** A provider created from gatehouse.yaml alone, before validation. */
export interface EarlyProvider {
  readonly config: ProviderConfig;
  readonly provider: Provider;
}

/**
 * Creates each provider `only` selects (all when empty) in gatehouse.yaml, without reading. Undefined
 * when gatehouse.yaml has any problem or no provider could be created; never throws.
 */
export async function openEarlyProviders(
  options: EarlyOptions,
  context: ProviderContext,
): Promise<readonly EarlyProvider[] | undefined> {
  let configs: readonly ProviderConfig[] | undefined;
  try {
    configs = await readProviderConfigs(options);
  } catch {
    return undefined; // whatever it is, validation reports it
  }
  if (configs === undefined) return undefined;
  const only = options.only ?? [];
  const selected = only.length === 0 ? configs : configs.filter((c) => only.includes(c.name));
  const opened: EarlyProvider[] = [];
  for (const config of selected) {
    try {
      opened.push({ config, provider: await createProvider(config, context) });
    } catch {
      // created again after validation, where its error is reported in order
    }
  }
  return opened.length === 0 ? undefined : opened;
}

/** Starts a read for each provider opened early (openEarlyProviders). Never throws. */
export function startEarlyReads(
  opened: readonly EarlyProvider[] | undefined,
  signal: AbortSignal,
): EarlyReads | undefined {
  if (opened === undefined) return undefined;
  const started = new Map<string, Started>();
  for (const { config, provider } of opened) {
    const stop = new AbortController();
    const live = provider.read(AbortSignal.any([signal, stop.signal]));
    live.catch(() => undefined); // awaited by whoever takes it; a read nobody takes is aborted
    started.set(config.name, { key: JSON.stringify(config), provider, live, stop });
  }
  return {
    take(config) {
      const hit = started.get(config.name);
      if (hit?.key !== JSON.stringify(config)) return undefined;
      started.delete(config.name);
      return { provider: hit.provider, live: hit.live };
    },
    async discard() {
      if (started.size === 0) return;
      const left = [...started.values()];
      started.clear();
      for (const s of left) s.stop.abort(new Error("the early read is no longer needed"));
      await Promise.allSettled(left.map((s) => s.live));
      await Promise.allSettled(left.map((s) => s.provider.close()));
    },
  };
}
