/**
 * The `github` provider: an organization's members (invite, remove), pending invitations, teams (create,
 * rename, nest under a parent, privacy) and team membership with roles. Accounts are pinned by numeric id.
 * See README.md beside this file for the mapping and the endpoints used.
 */
import type { LiveState } from "../../model/state.ts";
import type { Change } from "../../plan/types.ts";
import type { Capabilities, ChangeOutcome, Provider, ProviderFactory, ProviderStats } from "../types.ts";
import { createGithubClient, toProviderError } from "./client.ts";
import { etagCacheFile, loadEtagCache, saveEtagCache } from "./etag-cache.ts";
import { IdPins } from "./ids.ts";
import { applyGithubChange, operationOf } from "./apply.ts";
import { outsideCollaboratorAccess, readGithubState, readOutsideCollaborators } from "./read.ts";
import { readAccountsState } from "./read-accounts.ts";
import { normalizeLogin } from "./map.ts";
import type { GithubSession } from "./session.ts";
import { parseGithubSettings, readGithubToken } from "./settings.ts";

export interface GithubProviderStats extends ProviderStats {
  /** GETs answered 304 Not Modified (no rate-limit cost). */
  readonly notModified: number;
  /** Tries sent again after a rate limit, a 5xx or no answer (included in reads and writes). */
  readonly retries: number;
}

export interface GithubProvider extends Provider {
  stats(): GithubProviderStats;
  /**
   * What the last read found that the plan should say, one line each: renamed accounts, re-registered
   * logins, expired or failed invitations.
   */
  findings(): readonly string[];
}

export const createGithubProvider: ProviderFactory = (config, context) =>
  createGithubProviderWith(config, context);

export function createGithubProviderWith(...[config, context]: Parameters<ProviderFactory>): GithubProvider {
  const settings = parseGithubSettings(config, context.cwd);
  const token = readGithubToken(config, settings, context.env);
  const log = context.log ?? (() => undefined);
  const client = createGithubClient({
    provider: config.name,
    baseUrl: settings.baseUrl,
    token,
    fetch: context.fetch ?? fetch,
    log,
    maxRetries: settings.maxRetries,
    writeIntervalMs: settings.writeIntervalMs,
    clock: context.clock ?? (() => context.now().getTime()),
  });
  const session: GithubSession = {
    name: config.name,
    client,
    settings,
    nesting: config.nesting,
    pins: new IdPins(settings.idsFile),
    log,
    ids: new Map(),
    teams: new Map(),
    findings: [],
    logged: new Set(),
    isNotesShown: context.showsReadNotes === true,
    failedOnly: new Set(),
    leftOrg: new Set(),
    directMembers: new Map(),
  };
  const capabilities: Capabilities = {
    nesting: config.nesting,
    // GitHub has no disabled account: leaving the org is the only way off (apply maps disable to that).
    disable: "remove",
    revokeSessions: false,
    maxMembersPerWrite: 1,
    userAttributes: [],
    createUsers: false,
    // A create change invites the person by numeric id; pending invitations are read back as pending.
    invitesUsers: true,
    groupDescription: true,
    // PATCH /orgs/{org}/teams/{slug} with a new name renames the team in place.
    renameGroups: true,
    caseInsensitiveNames: true,
  };

  /** Those of `accounts` that are outside collaborators of the organization (one paged read). */
  const outsideAmong = async (accounts: readonly string[]): Promise<string[]> => {
    let outside: Set<string>;
    try {
      outside = await readOutsideCollaborators(session);
    } catch (error) {
      throw toProviderError(config.name, `list outside collaborators of ${settings.org}`, error);
    }
    return accounts.filter((a) => outside.has(normalizeLogin(a)));
  };

  const cacheFile = settings.readCache ? etagCacheFile(context.cwd, settings) : undefined;
  let seeded = false;
  const logCache = (line: string): void => {
    log(`${config.name}: ${line}`);
  };

  return {
    name: config.name,
    type: config.type,
    capabilities,
    read: (signal: AbortSignal): Promise<LiveState> =>
      client.withSignal(signal, async () => {
        if (cacheFile !== undefined && !seeded) {
          seeded = true;
          client.seed(await loadEtagCache(cacheFile, logCache));
        }
        let live: LiveState;
        const before = client.stats().reads;
        try {
          live = await readGithubState(session);
        } catch (error) {
          throw toProviderError(config.name, `read organization ${settings.org}`, error);
        }
        session.lastReadCalls = client.stats().reads - before;
        if (cacheFile !== undefined) await saveEtagCache(cacheFile, client.answersSent(), logCache);
        return { ...live, notes: [...session.findings] };
      }),
    apply: (changes: readonly Change[], signal: AbortSignal): Promise<ChangeOutcome[]> =>
      client.withSignal(signal, async () => {
        const outcomes: ChangeOutcome[] = [];
        // One at a time: GitHub asks for serial mutations, and the throttling plugin paces them.
        for (const change of changes) {
          try {
            const confirmation = await applyGithubChange(session, change);
            outcomes.push(
              confirmation === undefined ? { status: "applied" } : { status: "applied", confirmation },
            );
          } catch (error) {
            outcomes.push({
              status: "failed",
              error: toProviderError(config.name, operationOf(change), error),
            });
          }
        }
        return outcomes;
      }),
    // The offboarding check of a few leavers: a membership GET each, not the whole organization again.
    readAccounts: (accounts: readonly string[], signal: AbortSignal) =>
      client.withSignal(signal, async () => {
        try {
          return await readAccountsState(session, accounts);
        } catch (error) {
          throw toProviderError(config.name, `read the memberships of ${accounts.join(", ")}`, error);
        }
      }),
    accessBeyondRead: (accounts: readonly string[], signal: AbortSignal) =>
      client.withSignal(signal, async () => {
        const access = outsideCollaboratorAccess(session);
        return new Map((await outsideAmong(accounts)).map((a) => [a, access]));
      }),
    // After an apply, for its leavers: an outside collaborator still listed keeps repository access.
    groupsOutsideHolding: (accounts: readonly string[], signal: AbortSignal) =>
      client.withSignal(signal, async () => {
        const held = { outside: [outsideCollaboratorAccess(session)], unread: [] };
        return new Map((await outsideAmong(accounts)).map((a) => [a, held]));
      }),
    stats: () => {
      const s = client.stats();
      return { reads: s.reads, writes: s.writes, notModified: s.notModified, retries: s.retries };
    },
    findings: () => [...session.findings],
    close: () => Promise.resolve(),
  };
}
