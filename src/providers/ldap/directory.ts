/** Lookups and writes against the directory, one gatehouse change at a time (or one group's members). */
import { randomInt } from "node:crypto";
import { ProviderError } from "../../errors.ts";
import type { GroupChange, MembershipChange, UserChange } from "../../plan/types.ts";
import type { LdapClient } from "./client.ts";
import { buildDn, escapeFilterValue, isDnUnder, movedDn, normalizeDn, parseDn, renamedDn } from "./dn.ts";
import type { LdapEntry } from "./map.ts";
import {
  enabledModifications,
  firstValue,
  memberModifications,
  newGroupEntry,
  newUserEntry,
  unicodePwdValue,
  userModifications,
  valuesOf,
} from "./map.ts";
import { groupFilter, groupReadAttributes, userFilter, userReadAttributes } from "./queries.ts";
import type { LdapSettings } from "./settings.ts";
import { appendAll } from "../../model/lists.ts";

/** Accounts per OR-filter when resolving many users at once. */
const LOOKUP_CHUNK = 200;

/** Result codes of a member modify that lost a race: no such attribute value (16), value exists (20). */
const RACED_MEMBER_CODES = new Set<number | string | undefined>([16, 20]);

const PASSWORD_CLASSES = [
  "ABCDEFGHJKLMNPQRSTUVWXYZ",
  "abcdefghijkmnopqrstuvwxyz",
  "23456789",
  "!#%+-.:=?@^_~",
];

/**
 * A random 32-character password with upper, lower, digit and symbol (AD complexity), which never contains
 * the account name. It is written once at creation and never logged, returned or stored.
 */
export function randomAdPassword(account: string): string {
  const all = PASSWORD_CLASSES.join("");
  for (;;) {
    const chars = PASSWORD_CLASSES.map((set) => set.charAt(randomInt(set.length)));
    while (chars.length < 32) chars.push(all.charAt(randomInt(all.length)));
    for (let i = chars.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [chars[i], chars[j]] = [chars[j] ?? "", chars[i] ?? ""];
    }
    const password = chars.join("");
    if (account.length < 3 || !password.toLowerCase().includes(account.toLowerCase())) return password;
  }
}

export class Directory {
  private readonly provider: string;
  private readonly settings: LdapSettings;
  private readonly client: LdapClient;
  /** Tail of the gidNumber allocations in progress, and the last number handed out. */
  private gidQueue: Promise<unknown> = Promise.resolve();
  private lastGidNumber: number | undefined;

  constructor(provider: string, settings: LdapSettings, client: LdapClient) {
    this.provider = provider;
    this.settings = settings;
    this.client = client;
  }

  private fail(operation: string, message: string): never {
    throw new ProviderError(this.provider, operation, message);
  }

  /**
   * Entries in the managed people OU (and the disabled OU), keyed by the lower-cased account name: account
   * attributes such as uid and sAMAccountName match case-insensitively. One read per 200 accounts.
   */
  async findUsers(accounts: readonly string[], signal: AbortSignal): Promise<Map<string, LdapEntry>> {
    const s = this.settings;
    const found = new Map<string, LdapEntry>();
    const unique = [...new Set(accounts.map((a) => a.toLowerCase()))];
    for (let i = 0; i < unique.length; i += LOOKUP_CHUNK) {
      const chunk = unique.slice(i, i + LOOKUP_CHUNK);
      const filters = chunk.map((a) => userFilter(s, a));
      const filter = filters.length === 1 ? (filters[0] ?? "") : `(|${filters.join("")})`;
      const entries = await this.client.search(
        { base: s.baseDn, scope: "sub", filter, attributes: userReadAttributes(s), paged: true },
        signal,
      );
      for (const entry of entries) {
        const inScope =
          isDnUnder(entry.dn, s.users.dn) ||
          (s.disable.method === "move" && isDnUnder(entry.dn, s.disable.dn));
        const account = firstValue(entry, s.users.accountAttribute);
        if (inScope && account !== undefined) found.set(account.toLowerCase(), entry);
      }
    }
    return found;
  }

  async findUser(account: string, operation: string, signal: AbortSignal): Promise<LdapEntry> {
    const entry = (await this.findUsers([account], signal)).get(account.toLowerCase());
    return entry ?? this.fail(operation, `user "${account}" not found under ${this.settings.users.dn}`);
  }

  async findGroup(name: string, operation: string, signal: AbortSignal): Promise<LdapEntry> {
    const s = this.settings;
    const entries = await this.client.search(
      { base: s.groups.dn, scope: "sub", filter: groupFilter(s, name), attributes: groupReadAttributes(s) },
      signal,
    );
    return entries[0] ?? this.fail(operation, `group "${name}" not found under ${s.groups.dn}`);
  }

  private async managerDn(manager: string | undefined, signal: AbortSignal): Promise<string | undefined> {
    if (manager === undefined || manager === "") return undefined;
    return (await this.findUser(manager, "resolve manager", signal)).dn;
  }

  async applyUser(change: UserChange, signal: AbortSignal): Promise<void> {
    const s = this.settings;
    switch (change.action) {
      case "create": {
        const managerDn = s.users.attributes.manager
          ? await this.managerDn(change.after.manager, signal)
          : undefined;
        const entry = newUserEntry(change.account, change.after, s, managerDn);
        if (s.flavour !== "activeDirectory") {
          await this.client.add(entry.dn, entry.attributes);
          return;
        }
        // AD accepts unicodePwd only over an encrypted connection; without a password the account would
        // need PASSWD_NOTREQD, which lets Kerberos/NTLM accept a blank password.
        const encrypted = s.startTls || s.url.toLowerCase().startsWith("ldaps:");
        if (!encrypted) {
          this.fail(
            "create user",
            `cannot create "${change.account}": Active Directory takes the initial (random) password only over an encrypted connection; use ldaps:// or startTls: true`,
          );
        }
        const password = unicodePwdValue(randomAdPassword(change.account));
        await this.client.add(entry.dn, entry.attributes, { unicodePwd: [password] });
        return;
      }
      case "update": {
        const entry = await this.findUser(change.account, "update user", signal);
        const touchesManager = change.fields.some((f) => f.field === "manager");
        const managerDn = touchesManager ? await this.managerDn(change.after.manager, signal) : undefined;
        await this.client.modify(
          entry.dn,
          userModifications(change.account, change.fields, change.after, s, managerDn),
        );
        return;
      }
      case "enable":
      case "disable":
        await this.setEnabled(change.account, change.action === "enable", signal);
        return;
      case "delete": {
        const entry = await this.findUser(change.account, "delete user", signal);
        await this.client.del(entry.dn);
        return;
      }
      case "revoke-sessions":
        this.fail("revoke sessions", "an LDAP directory holds no sessions or tokens gatehouse can revoke");
    }
  }

  private async setEnabled(account: string, enabled: boolean, signal: AbortSignal): Promise<void> {
    const s = this.settings;
    const operation = enabled ? "enable user" : "disable user";
    const entry = await this.findUser(account, operation, signal);
    if (s.disable.method !== "move") {
      await this.client.modify(entry.dn, enabledModifications(entry, s, enabled));
      return;
    }
    if (parseDn(entry.dn).length === 0) return this.fail(operation, `cannot parse DN "${entry.dn}"`);
    const target = enabled ? s.users.dn : s.disable.dn;
    const isInTarget = isDnUnder(entry.dn, s.disable.dn) === !enabled;
    if (isInTarget) return;
    // refint rewrites member values that point at the old DN, so memberships follow the move.
    await this.client.modifyDn(entry.dn, movedDn(entry.dn, target));
  }

  /** AD: sAMAccountName follows a rename; a second write, so its failure leaves the group half-renamed. */
  private async renameAccountName(oldName: string, dn: string, newName: string): Promise<void> {
    try {
      await this.client.modify(dn, [
        { operation: "replace", attribute: "sAMAccountName", values: [newName] },
      ]);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ProviderError(
        this.provider,
        "rename group",
        `group "${oldName}" is only half renamed: its DN was already renamed to "${dn}", but setting sAMAccountName to "${newName}" failed (${reason}); set sAMAccountName by hand`,
        { cause: error },
      );
    }
  }

  async applyGroup(change: GroupChange, signal: AbortSignal): Promise<void> {
    const s = this.settings;
    switch (change.action) {
      case "create": {
        const gid = s.groups.flavour === "posixGroup" ? await this.nextGidNumber(signal) : undefined;
        const entry = newGroupEntry(change.group, change.description, s, gid);
        await this.client.add(entry.dn, entry.attributes);
        return;
      }
      case "update": {
        const newName = change.fields.find((f) => f.field === "name")?.after;
        const isRename = typeof newName === "string" && newName !== change.group;
        const isDescribed = change.fields.some((f) => f.field === "description");
        if (!isRename && !isDescribed) return;
        const entry = await this.findGroup(change.group, "update group", signal);
        let dn = entry.dn;
        if (isRename) {
          // Same parent, new cn; refint (OpenLDAP) or the server itself (AD) follows the DN in member values.
          dn = renamedDn(entry.dn, "cn", newName);
          await this.client.modifyDn(entry.dn, dn);
          if (s.groups.flavour === "group") await this.renameAccountName(change.group, dn, newName);
        }
        if (isDescribed) {
          const values = change.description ? [change.description] : [];
          await this.client.modify(dn, [{ operation: "replace", attribute: "description", values }]);
        }
        return;
      }
      case "delete": {
        const entry = await this.findGroup(change.group, "delete group", signal);
        await this.client.del(entry.dn);
        return;
      }
    }
  }

  /**
   * The next free gidNumber. Allocations are serialised within this provider (a promise chain) and never
   * hand out a number twice, even before the group that got the previous one has been added.
   */
  private nextGidNumber(signal: AbortSignal): Promise<number> {
    const next = this.gidQueue.then(() => this.allocateGidNumber(signal));
    this.gidQueue = next.catch(() => undefined);
    return next;
  }

  private async allocateGidNumber(signal: AbortSignal): Promise<number> {
    const s = this.settings;
    const entries = await this.client.search(
      {
        base: s.groups.dn,
        scope: "sub",
        filter: "(objectClass=posixGroup)",
        attributes: ["gidNumber"],
        paged: true,
      },
      signal,
    );
    let highest = s.groups.gidNumberStart - 1;
    for (const e of entries) highest = Math.max(highest, Number(firstValue(e, "gidNumber") ?? "0") || 0);
    if (this.lastGidNumber !== undefined) highest = Math.max(highest, this.lastGidNumber);
    this.lastGidNumber = highest + 1;
    return highest + 1;
  }

  /**
   * All membership changes of one group in one modify. Returns an error per change that could not be
   * resolved (unknown user or group); the rest are written together, so they succeed or fail together.
   */
  async applyMembers(
    group: string,
    changes: readonly MembershipChange[],
    signal: AbortSignal,
  ): Promise<(ProviderError | undefined)[]> {
    const entry = await this.findGroup(group, "change members", signal);
    const accounts = changes.filter((c) => c.memberKind === "user").map((c) => c.member);
    const users = accounts.length > 0 ? await this.findUsers(accounts, signal) : new Map<string, LdapEntry>();
    const errors: (ProviderError | undefined)[] = [];
    const adds: string[] = [];
    const removes: string[] = [];
    const aliases: string[] = [];
    for (const change of changes) {
      let value: string | undefined;
      try {
        value = await this.memberValue(change, users, signal);
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        errors.push(error);
        continue;
      }
      errors.push(undefined);
      if (change.action === "add") adds.push(value);
      else {
        removes.push(value);
        const alias = this.alias(value);
        if (alias !== undefined) aliases.push(alias);
      }
    }
    const taken = await this.existingUserDns(aliases, signal);
    appendAll(
      removes,
      aliases.filter((a) => !taken.has(normalizeDn(a))),
    );
    await this.writeMembers(group, entry, adds, removes, signal);
    return errors;
  }

  /**
   * The one modify for a group's member values. When the member list changed between reading and writing
   * (refint rewrites values of a renamed or moved user after that operation returns), the server refuses a
   * value that is already gone (16) or already there (20): the group is read again and what is still needed
   * written once more.
   */
  private async writeMembers(
    group: string,
    entry: LdapEntry,
    adds: readonly string[],
    removes: readonly string[],
    signal: AbortSignal,
  ): Promise<void> {
    const s = this.settings;
    const mods = memberModifications(valuesOf(entry, s.groups.memberAttribute), adds, removes, s);
    try {
      await this.client.modify(entry.dn, mods);
    } catch (error) {
      if (!(error instanceof ProviderError) || !RACED_MEMBER_CODES.has(error.status)) throw error;
      const fresh = await this.findGroup(group, "change members", signal);
      const again = memberModifications(valuesOf(fresh, s.groups.memberAttribute), adds, removes, s);
      await this.client.modify(fresh.dn, again);
    }
  }

  /**
   * With disable by move, refint rewrites member values to a moved user's new DN in the background, so a
   * removal right after a disable may still find the old DN: the same RDN under the other OU. The caller
   * removes it only if no entry lives at that DN (with rdnAttribute ≠ accountAttribute it may be someone else).
   */
  private alias(value: string): string | undefined {
    const s = this.settings;
    if (s.disable.method !== "move" || s.groups.flavour === "posixGroup") return undefined;
    const rdn = parseDn(value)[0];
    if (!rdn) return undefined;
    const inDisabled = isDnUnder(value, s.disable.dn);
    const inPeople = isDnUnder(value, s.users.dn);
    if (!inDisabled && !inPeople) return undefined;
    return movedDn(value, inDisabled ? s.users.dn : s.disable.dn);
  }

  /**
   * Which of these DNs are entries of some user (normalized). When the RDN is the account attribute, an
   * entry at the alias DN would be the same account, so nothing needs looking up.
   */
  private async existingUserDns(dns: readonly string[], signal: AbortSignal): Promise<Set<string>> {
    const s = this.settings;
    const found = new Set<string>();
    if (dns.length === 0 || s.users.rdnAttribute.toLowerCase() === s.users.accountAttribute.toLowerCase())
      return found;
    const wanted = new Set(dns.map((dn) => normalizeDn(dn)));
    const values = [...new Set(dns.map((dn) => parseDn(dn)[0]?.value ?? ""))];
    for (let i = 0; i < values.length; i += LOOKUP_CHUNK) {
      const filters = values
        .slice(i, i + LOOKUP_CHUNK)
        .map((v) => `(${s.users.rdnAttribute}=${escapeFilterValue(v)})`);
      const entries = await this.client.search(
        { base: s.baseDn, scope: "sub", filter: `(|${filters.join("")})`, attributes: ["1.1"], paged: true },
        signal,
      );
      for (const entry of entries) {
        const dn = normalizeDn(entry.dn);
        if (wanted.has(dn)) found.add(dn);
      }
    }
    return found;
  }

  private async memberValue(
    change: MembershipChange,
    users: ReadonlyMap<string, LdapEntry>,
    signal: AbortSignal,
  ): Promise<string> {
    const s = this.settings;
    const operation = change.action === "add" ? "add member" : "remove member";
    if (change.memberKind === "group") {
      if (s.groups.flavour === "posixGroup") this.fail(operation, "posixGroup cannot hold groups as members");
      return (await this.findGroup(change.member, operation, signal)).dn;
    }
    const user = users.get(change.member.toLowerCase());
    if (!user) {
      // A removal of an account with no entry takes out the value that names it, if any is left: the
      // reader reports such a dangling value as a member by that name.
      if (change.action === "remove" && s.groups.flavour === "posixGroup") return change.member;
      if (
        change.action === "remove" &&
        s.users.rdnAttribute.toLowerCase() === s.users.accountAttribute.toLowerCase()
      )
        return buildDn(s.users.rdnAttribute, change.member, s.users.dn);
      return this.fail(operation, `user "${change.member}" not found under ${s.users.dn}`);
    }
    if (s.groups.flavour !== "posixGroup") return user.dn;
    return firstValue(user, s.users.accountAttribute) ?? change.member;
  }
}
