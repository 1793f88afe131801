/**
 * The `scim` provider: any SCIM 2.0 service provider (RFC 7643/7644) behind a base URL and a bearer
 * token. It reads the server's discovery documents first and adapts to what they say is supported.
 */
import path from "node:path";
import type { Change, MembershipChange } from "../../plan/types.ts";
import type { Capabilities, ChangeOutcome, Provider, ProviderFactory, ProviderStats } from "../types.ts";
import { ProviderError, messageOf } from "../../errors.ts";
import { createScimClient } from "./client.ts";
import type { ScimServerCapabilities } from "./discovery.ts";
import { discoverCapabilities, supportsGroupAttribute, supportsUserPath } from "./discovery.ts";
import { applyGroupChange, applyMembershipChanges } from "./groups.ts";
import type { ScimSession } from "./session.ts";
import { createIndex } from "./session.ts";
import { readLiveState } from "./incremental.ts";
import { parseScimSettings, readScimToken } from "./settings.ts";
import { ScimSnapshotStore } from "./snapshot-cache.ts";
import { applyUserChange } from "./users.ts";
import { appendAll } from "../../model/lists.ts";

/** Where `readCache` keeps snapshots, relative to the working directory (git-ignored, beside the parse cache). */
const CACHE_DIR = ".gatehouse/cache";

export interface ScimProviderStats extends ProviderStats {
  /** Requests sent again after a 429, a 5xx or a dropped connection (included in reads/writes). */
  readonly retries: number;
}

export interface ScimProvider extends Provider {
  stats(): ScimProviderStats;
  /** What discovery found; undefined before the first read or apply. */
  serverCapabilities(): ScimServerCapabilities | undefined;
}

const USER_FIELDS = ["name", "email", "title", "department", "manager", "employmentType"] as const;

export const createScimProvider: ProviderFactory = (config, context) =>
  createScimProviderWith(config, context);

export function createScimProviderWith(...[config, context]: Parameters<ProviderFactory>): ScimProvider {
  const settings = parseScimSettings(config);
  const token = readScimToken(config, settings, context.env);
  const log = context.log ?? (() => undefined);
  const client = createScimClient({
    provider: config.name,
    baseUrl: settings.baseUrl,
    token,
    tokenEnv: settings.tokenEnv,
    timeoutMs: settings.timeoutMs,
    concurrency: settings.concurrency,
    retry: settings.retry,
    fetch: context.fetch ?? fetch,
    log,
    now: context.now,
  });
  const index = createIndex();
  const cache = settings.readCache
    ? new ScimSnapshotStore(path.join(context.cwd, CACHE_DIR), settings, {
        name: config.name,
        log,
        now: context.now,
      })
    : undefined;
  let session: ScimSession | undefined;
  let discovering: Promise<ScimSession> | undefined;

  async function ready(signal: AbortSignal): Promise<ScimSession> {
    if (session) return session;
    discovering ??= discoverCapabilities(client, signal).then((caps) => {
      session = { name: config.name, client, settings, caps, index, log, ...(cache ? { cache } : {}) };
      return session;
    });
    try {
      return await discovering;
    } catch (error) {
      discovering = undefined; // a failed discovery is tried again on the next call
      throw error;
    }
  }

  function failure(error: unknown, operation: string): ChangeOutcome {
    if (error instanceof ProviderError) return { status: "failed", error };
    const message = messageOf(error);
    return { status: "failed", error: new ProviderError(config.name, operation, message, { cause: error }) };
  }

  async function applyOne(s: ScimSession, change: Exclude<Change, MembershipChange>, signal: AbortSignal) {
    const confirmation =
      change.kind === "user"
        ? await applyUserChange(s, change, signal)
        : await applyGroupChange(s, change, signal);
    return confirmation === undefined
      ? { status: "applied" as const }
      : { status: "applied" as const, confirmation };
  }

  return {
    name: config.name,
    type: "scim",
    get capabilities(): Capabilities {
      const caps = session?.caps;
      const mapping = settings.attributeMapping;
      return {
        nesting: false,
        disable: "disable",
        deleteLeavers: settings.deleteUsers,
        revokeSessions: false,
        maxMembersPerWrite: settings.maxMembersPerWrite,
        userAttributes: USER_FIELDS.filter((f) => {
          const path = mapping[f];
          return path !== null && (caps === undefined || supportsUserPath(caps, path));
        }),
        createUsers: true,
        groupDescription: caps !== undefined && supportsGroupAttribute(caps, "description"),
        // displayName is writable (PATCH replace, or PUT where PATCH is missing): rename in place.
        renameGroups: true,
        // userName is writable too: an account renamed keeps its id, and so its groups (members are ids).
        renameUsers: true,
        caseInsensitiveNames: true,
      };
    },
    async read(signal) {
      return readLiveState(await ready(signal), signal);
    },
    async apply(changes, signal) {
      let s: ScimSession;
      try {
        s = await ready(signal);
      } catch (error) {
        return changes.map(() => failure(error, "discover the SCIM server"));
      }
      const outcomes: ChangeOutcome[] = [];
      // Consecutive membership changes of one group go out together, in as few writes as allowed.
      let run: MembershipChange[] = [];
      const flush = async () => {
        if (run.length > 0) appendAll(outcomes, await applyMembershipChanges(s, run, signal));
        run = [];
      };
      for (const change of changes) {
        if (change.kind === "membership") {
          if (run.length > 0 && run[0]?.group !== change.group) await flush();
          run.push(change);
          continue;
        }
        await flush();
        try {
          outcomes.push(await applyOne(s, change, signal));
        } catch (error) {
          outcomes.push(failure(error, change.id));
        }
      }
      await flush();
      return outcomes;
    },
    stats: () => client.stats(),
    serverCapabilities: () => session?.caps,
    close: () => Promise.resolve(),
  };
}
