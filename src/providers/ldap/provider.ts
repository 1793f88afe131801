import { readFileSync } from "node:fs";
import { ConfigError, ProviderError } from "../../errors.ts";
import type { ProviderConfig } from "../../model/access.ts";
import { formatLocation } from "../../model/source.ts";
import type { LiveGroup, LiveState, LiveUser } from "../../model/state.ts";
import type { Change, MembershipChange } from "../../plan/types.ts";
import type {
  Capabilities,
  ChangeOutcome,
  Provider,
  ProviderContext,
  ProviderFactory,
  ProviderStats,
} from "../types.ts";
import { LdapClient } from "./client.ts";
import { Directory } from "./directory.ts";
import { isDnUnder, normalizeDn } from "./dn.ts";
import type { LdapEntry } from "./map.ts";
import { firstValue, toLiveGroup, toLiveUser } from "./map.ts";
import { groupFilter, groupReadAttributes, userFilter, userReadAttributes } from "./queries.ts";
import type { LdapSettings } from "./settings.ts";
import { parseLdapSettings } from "./settings.ts";

class LdapProvider implements Provider {
  readonly type = "ldap";
  readonly name: string;
  readonly capabilities: Capabilities;
  private readonly directory: Directory;

  private readonly settings: LdapSettings;
  private readonly client: LdapClient;
  private readonly log: (line: string) => void;

  constructor(
    config: ProviderConfig,
    settings: LdapSettings,
    client: LdapClient,
    log: (line: string) => void,
  ) {
    this.name = config.name;
    this.settings = settings;
    this.client = client;
    this.log = log;
    this.directory = new Directory(config.name, settings, client);
    this.capabilities = {
      nesting: config.nesting && settings.groups.flavour !== "posixGroup",
      disable: "disable",
      revokeSessions: false,
      maxMembersPerWrite: settings.maxMembersPerWrite,
      userAttributes: Object.keys(settings.users.attributes),
      createUsers: true,
      groupDescription: true,
      // modifyDN to a new cn under the same parent; members stay.
      renameGroups: true,
    };
  }

  async read(signal: AbortSignal): Promise<LiveState> {
    const s = this.settings;
    const userBases = [s.users.dn];
    if (s.disable.method === "move" && !isDnUnder(s.disable.dn, s.users.dn)) userBases.push(s.disable.dn);
    const userEntries = new Map<string, LdapEntry>();
    for (const base of userBases) {
      const entries = await this.client.search(
        { base, scope: "sub", filter: userFilter(s), attributes: userReadAttributes(s), paged: true },
        signal,
      );
      for (const entry of entries) userEntries.set(normalizeDn(entry.dn), entry);
    }
    const accountByDn = new Map<string, string>();
    for (const [dn, entry] of userEntries) {
      const account = firstValue(entry, s.users.accountAttribute);
      if (account !== undefined) accountByDn.set(dn, account);
    }
    const accountOfDn = (dn: string): string | undefined => accountByDn.get(normalizeDn(dn));
    const users: LiveUser[] = [];
    for (const entry of userEntries.values()) {
      const user = toLiveUser(entry, s, accountOfDn);
      if (user) users.push(user);
    }

    const groupEntries = await this.client.search(
      {
        base: s.groups.dn,
        scope: "sub",
        filter: groupFilter(s),
        attributes: groupReadAttributes(s),
        paged: true,
      },
      signal,
    );
    const groupByDn = new Map<string, string>();
    for (const entry of groupEntries) {
      const name = firstValue(entry, "cn");
      if (name !== undefined) groupByDn.set(normalizeDn(entry.dn), name);
    }
    const accounts = new Set(accountByDn.values());
    const resolver = {
      accountOfDn,
      groupOfDn: (dn: string) => groupByDn.get(normalizeDn(dn)),
      hasAccount: (account: string) => accounts.has(account),
    };
    const groups: LiveGroup[] = [];
    let unknownTotal = 0;
    for (const entry of groupEntries) {
      const mapped = toLiveGroup(entry, s, this.capabilities.nesting, resolver);
      if (!mapped) continue;
      groups.push(mapped.group);
      if (mapped.unknown.length > 0) {
        unknownTotal += mapped.unknown.length;
        this.log(
          `${this.name}: group "${mapped.group.name}" has ${mapped.unknown.length} member(s) that are not users under ${s.users.dn}` +
            `${this.capabilities.nesting ? "" : " (nested groups count here while nesting is off)"}; left out of its members`,
        );
      }
    }
    if (unknownTotal > 0)
      this.log(`${this.name}: ${unknownTotal} member value(s) in total are outside the managed scope`);
    users.sort((a, b) => a.account.localeCompare(b.account));
    groups.sort((a, b) => a.name.localeCompare(b.name));
    return { users, groups };
  }

  async apply(changes: readonly Change[], signal: AbortSignal): Promise<ChangeOutcome[]> {
    const outcomes: ChangeOutcome[] = [];
    let i = 0;
    while (i < changes.length) {
      const change = changes[i];
      if (!change) break;
      if (change.kind === "membership") {
        const batch: MembershipChange[] = [change];
        for (let j = i + 1; j < changes.length && batch.length < this.settings.maxMembersPerWrite; j++) {
          const next = changes[j];
          if (next?.kind !== "membership" || next.group !== change.group) break;
          batch.push(next);
        }
        outcomes.push(...(await this.applyMembers(change.group, batch, signal)));
        i += batch.length;
        continue;
      }
      outcomes.push(await this.applyOne(change, signal));
      i++;
    }
    return outcomes;
  }

  private async applyOne(
    change: Exclude<Change, MembershipChange>,
    signal: AbortSignal,
  ): Promise<ChangeOutcome> {
    try {
      if (change.kind === "user") await this.directory.applyUser(change, signal);
      else await this.directory.applyGroup(change, signal);
      return { status: "applied" };
    } catch (error) {
      return { status: "failed", error: this.wrap(error, `${change.kind} ${change.action}`) };
    }
  }

  private async applyMembers(
    group: string,
    batch: readonly MembershipChange[],
    signal: AbortSignal,
  ): Promise<ChangeOutcome[]> {
    try {
      const errors = await this.directory.applyMembers(group, batch, signal);
      return errors.map((error) => (error ? { status: "failed", error } : { status: "applied" }));
    } catch (error) {
      const failure = this.wrap(error, "change members");
      return batch.map(() => ({ status: "failed", error: failure }));
    }
  }

  private wrap(error: unknown, operation: string): ProviderError {
    if (error instanceof ProviderError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new ProviderError(this.name, operation, message, { cause: error });
  }

  stats(): ProviderStats {
    return { reads: this.client.reads, writes: this.client.writes };
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** The `ldap` provider: OpenLDAP or Active Directory over ldapts. See README.md beside this file. */
export const createLdapProvider: ProviderFactory = (config, context: ProviderContext) => {
  const settings = parseLdapSettings(config, context.cwd);
  const where = `${formatLocation(config.source)} provider "${config.name}"`;
  const password = context.env[settings.passwordEnv];
  if (password === undefined || password === "") {
    throw new ConfigError(
      `${where}: environment variable ${settings.passwordEnv} (setting "passwordEnv") is not set`,
    );
  }
  let ca: string | undefined;
  if (settings.caFile !== undefined) {
    try {
      ca = readFileSync(settings.caFile, "utf8");
    } catch (error) {
      throw new ConfigError(`${where}: setting "caFile": cannot read ${settings.caFile}`, [], {
        cause: error,
      });
    }
  }
  const client = new LdapClient({
    provider: config.name,
    url: settings.url,
    startTls: settings.startTls,
    ...(ca === undefined ? {} : { ca }),
    bindDn: settings.bindDn,
    password,
    passwordEnv: settings.passwordEnv,
    timeoutMs: settings.timeoutMs,
    pageSize: settings.pageSize,
    rangeSize: settings.rangeSize,
  });
  return new LdapProvider(config, settings, client, context.log ?? (() => undefined));
};
