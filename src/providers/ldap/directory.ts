/** Lookups and writes against the directory, one gatehouse change at a time (or one group's members). */
import { randomInt } from "node:crypto";
import { ProviderError, messageOf } from "../../errors.ts";
import type { GroupChange, MembershipChange, UserChange } from "../../plan/types.ts";
import { renamedUserTo } from "../../plan/addresses.ts";
import type { LdapClient } from "./client.ts";
import {
  buildDn,
  escapeDnValue,
  escapeFilterValue,
  isDnUnder,
  movedDn,
  normalizeDn,
  parseAvas,
  parseDn,
  rawRdns,
  renamedDn,
} from "./dn.ts";
import type { LdapEntry } from "./map.ts";
import {
  accountExpiresOf,
  enabledModifications,
  firstValue,
  isUserDisabled,
  memberModifications,
  newGroupEntry,
  newUserEntry,
  newUserRdns,
  stripUniqueMemberUid,
  unicodePwdValue,
  userModifications,
  valuesOf,
} from "./map.ts";
import { groupFilter, groupReadAttributes, userFilter, userReadAttributes } from "./queries.ts";
import { danglingValuesNameAccounts, rdnIsAccount, type LdapSettings } from "./settings.ts";
import { appendAll } from "../../model/lists.ts";

/** Accounts per OR-filter when resolving many users at once. */
const LOOKUP_CHUNK = 200;

/**
 * How long after a read its entries serve apply's lookups; an apply still running then (or confirmed at a
 * prompt later) reads again (see LdapProvider.keepFresh) rather than search for each group.
 */
const REMEMBER_MS = 120_000;

/** Result codes of a member modify that lost a race: no such attribute value (16), value exists (20). */
const RACED_MEMBER_CODES = new Set<number | string | undefined>([16, 20]);

/**
 * Result codes that an entry remembered from the read may cause when the directory changed since: no such
 * object (32, moved or deleted meanwhile) and, for a member write, an object class violation (65: the
 * placeholder member of a groupOfNames worked out from old values). The entry is then looked up again.
 */
const STALE_ENTRY_CODES = new Set<number | string | undefined>([32, 65]);

/**
 * The attribute that names an entry for good, through renames and moves: OpenLDAP's entryUUID, AD's
 * objectGUID (the client gives its bytes as lower-case hex).
 */
export function stableIdAttribute(s: LdapSettings): "entryUUID" | "objectGUID" {
  return s.flavour === "activeDirectory" ? "objectGUID" : "entryUUID";
}

/** Entry already exists: a move whose target DN another entry holds. */
const TAKEN_CODES = new Set<number | string | undefined>([68]);

/**
 * `entry`'s DN under `parent` with the account attribute added to its RDN (`cn=Anna+uid=anna`), or
 * undefined when the RDN already holds that attribute or the entry has no account value.
 */
function accountRdnDn(entry: LdapEntry, s: LdapSettings, parent: string): string | undefined {
  // AD names an entry by one value only (no "cn=a+sAMAccountName=b"): there the error says what is in the way.
  if (s.flavour === "activeDirectory") return undefined;
  const attribute = s.users.accountAttribute;
  const account = firstValue(entry, attribute);
  const rdn = rawRdns(entry.dn)[0];
  if (account === undefined || rdn === undefined) return undefined;
  if ((parseAvas(entry.dn)[0] ?? []).some((ava) => ava.type.toLowerCase() === attribute.toLowerCase()))
    return undefined;
  return `${rdn}+${attribute}=${escapeDnValue(account)},${parent}`;
}

function hasStatus(error: unknown, codes: ReadonlySet<number | string | undefined>): boolean {
  return error instanceof ProviderError && codes.has(error.status);
}

/**
 * Entries by a lower-cased name, leaving out any name two entries share (a lookup then searches), and
 * the names shared.
 */
function uniqueByName(
  entries: Iterable<LdapEntry>,
  nameOf: (e: LdapEntry) => string | undefined,
): { byName: Map<string, LdapEntry>; shared: Set<string> } {
  const byName = new Map<string, LdapEntry>();
  const shared = new Set<string>();
  for (const entry of entries) {
    const name = nameOf(entry)?.toLowerCase();
    if (name === undefined) continue;
    if (byName.has(name)) shared.add(name);
    else byName.set(name, entry);
  }
  for (const name of shared) byName.delete(name);
  return { byName, shared };
}

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

/** An entry as written by an add, to be remembered. */
function asEntry(entry: { dn: string; attributes: Record<string, string[]> }): LdapEntry {
  const attributes = new Map<string, string[]>();
  for (const [name, values] of Object.entries(entry.attributes)) attributes.set(name.toLowerCase(), values);
  return { dn: entry.dn, attributes };
}

/**
 * The entry a name stands for among those the directory matched to it (it ignores case): the only one,
 * or else the only one holding the name exactly as written; undefined when there is no such one.
 */
function theOneNamed(
  candidates: readonly LdapEntry[],
  name: string,
  attribute: string,
): LdapEntry | undefined {
  if (candidates.length <= 1) return candidates[0];
  const exact = candidates.filter((e) => firstValue(e, attribute) === name);
  return exact.length === 1 ? exact[0] : undefined;
}

/** Directory.findUsers: entries by the account asked for, and the accounts several entries hold. */
interface FoundUsers {
  readonly found: Map<string, LdapEntry>;
  readonly ambiguous: Map<string, readonly string[]>;
}

/** A group's member values to write, and an error per change that could not be resolved. */
interface MemberValues {
  readonly errors: (ProviderError | undefined)[];
  readonly adds: string[];
  readonly removes: string[];
}

/**
 * A rename in place that was made, while a write after it failed: the account is under its new name, so
 * the member moves waiting for it must still run (ChangeOutcome.accountMade), or the groups keep values
 * naming an entry that is gone and the person loses them.
 */
export class RenameMadeError extends ProviderError {}

export class Directory {
  private readonly provider: string;
  private readonly settings: LdapSettings;
  private readonly client: LdapClient;
  /** Tail of the gidNumber and uidNumber allocations in progress, and the last number each handed out. */
  private numberQueue: Promise<unknown> = Promise.resolve();
  private readonly lastNumber = new Map<"gidNumber" | "uidNumber", number>();
  /**
   * Users (by lower-cased account) and groups (by lower-cased cn) as the last read returned them, or as
   * this apply wrote them. Apply looks entries up here before it searches: the plan has just read all of
   * them. Any write that changes an entry drops it, so it is searched for when needed again; an entry that
   * changed on the server since the read fails its write (no such object) and is looked up again. They
   * serve for REMEMBER_MS after the read; the provider then reads again (isStale).
   */
  private seenUsers = new Map<string, LdapEntry>();
  private seenGroups = new Map<string, LdapEntry>();
  /** Lower-cased names that several entries of the read held (in different cases), users and groups. */
  private twinUsers = new Set<string>();
  private twinGroups = new Set<string>();
  private rememberedAt: number | undefined;
  /**
   * DNs (normalized) this apply moved, renamed or deleted. The server rewrites member values that name them
   * (refint, or AD itself) after the operation returns, so a remembered group holding one is read again.
   */
  private readonly movedDns = new Set<string>();
  /**
   * The DNs this apply moved or deleted user entries away from, by lower-cased account: values in groups
   * outside the scope may still name them while refint is at work, or for good without refint
   * (formerDnsOf).
   */
  private readonly formerDns = new Map<string, string[]>();
  /**
   * The stable id (stableIdAttribute) of each account this apply created, updated, enabled, disabled or deleted,
   * by lower-cased account: the entry stays the same one through a rename, which the offboarding check
   * follows (idOf), and by which a later plan finds a leaver's account renamed by hand (journalled with
   * the change).
   */
  private readonly actedIds = new Map<string, string>();
  /** The stable id of each group this apply created, updated or deleted, by lower-cased name. */
  private readonly groupIds = new Map<string, string>();

  /** Milliseconds, for the age of remembered entries. */
  private readonly clock: () => number;

  constructor(provider: string, settings: LdapSettings, client: LdapClient, clock: () => number) {
    this.provider = provider;
    this.settings = settings;
    this.client = client;
    this.clock = clock;
  }

  /** Drops every remembered entry: lookups search from here on. */
  forgetAll(): void {
    this.seenUsers.clear();
    this.seenGroups.clear();
    this.twinUsers.clear();
    this.twinGroups.clear();
    this.rememberedAt = undefined;
  }

  /** Whether entries were remembered from a read, and that read is too old to serve. */
  isStale(): boolean {
    return this.rememberedAt !== undefined && this.clock() - this.rememberedAt > REMEMBER_MS;
  }

  /** Remembers the entries of a read (users in the people and disabled OUs, groups). */
  remember(users: Iterable<LdapEntry>, groups: Iterable<LdapEntry>): void {
    const s = this.settings;
    const u = uniqueByName(users, (e) => firstValue(e, s.users.accountAttribute));
    const g = uniqueByName(groups, (e) => firstValue(e, "cn"));
    this.seenUsers = u.byName;
    this.seenGroups = g.byName;
    this.twinUsers = u.shared;
    this.twinGroups = g.shared;
    this.rememberedAt = this.clock();
  }

  /**
   * The remembered user or group, while the read is recent enough. Where the read had several entries
   * of this name in different cases (a lookup then searches), only an entry holding it exactly (one this
   * apply created) is taken; otherwise the one entry of the name, whatever its case (`JSmith` for the
   * files' `jsmith`).
   */
  private seen(kind: "user" | "group", name: string): LdapEntry | undefined {
    if (this.rememberedAt === undefined || this.isStale()) {
      this.forgetAll();
      return undefined;
    }
    const key = name.toLowerCase();
    const entry = (kind === "user" ? this.seenUsers : this.seenGroups).get(key);
    if (entry === undefined || !(kind === "user" ? this.twinUsers : this.twinGroups).has(key)) return entry;
    const held = firstValue(entry, kind === "user" ? this.settings.users.accountAttribute : "cn");
    return held === name ? entry : undefined;
  }

  private forgetUser(account: string): void {
    this.seenUsers.delete(account.toLowerCase());
  }

  private noteFormerDn(account: string, dn: string): void {
    const key = account.toLowerCase();
    const list = this.formerDns.get(key);
    if (list === undefined) this.formerDns.set(key, [dn]);
    else if (!list.includes(dn)) list.push(dn);
  }

  private noteGroupId(group: string, entry: LdapEntry): void {
    const id = firstValue(entry, stableIdAttribute(this.settings));
    if (id !== undefined) this.groupIds.set(group.toLowerCase(), id);
  }

  private noteId(account: string, entry: LdapEntry): void {
    const id = firstValue(entry, stableIdAttribute(this.settings));
    if (id !== undefined) this.actedIds.set(account.toLowerCase(), id);
  }

  /**
   * The stable id the server gave the entry just added at `dn`, read back with one base search
   * (an add answers with no attributes), kept in `ids` under `name`. A failed read loses only the id (the
   * entry was made): the journal then has none for it, as before ids were kept.
   */
  private async noteCreatedId(
    ids: Map<string, string>,
    name: string,
    dn: string,
    signal: AbortSignal,
  ): Promise<string | undefined> {
    ids.delete(name.toLowerCase());
    const attribute = stableIdAttribute(this.settings);
    let id: string | undefined;
    try {
      const [read] = await this.client.search(
        { base: dn, scope: "base", filter: "(objectClass=*)", attributes: [attribute] },
        signal,
      );
      id = read === undefined ? undefined : firstValue(read, attribute);
    } catch (error) {
      if (signal.aborted) throw error;
    }
    if (id !== undefined) ids.set(name.toLowerCase(), id);
    return id;
  }

  /** The stable id of the group's entry, when this apply acted on it and knew it. */
  groupIdOf(group: string): string | undefined {
    return this.groupIds.get(group.toLowerCase());
  }

  /** The stable id of the account's entry, when this apply acted on it and knew it. */
  idOf(account: string): string | undefined {
    return this.actedIds.get(account.toLowerCase());
  }

  /** The DNs this apply moved the account's entry from or deleted it at, in the order it did. */
  formerDnsOf(account: string): readonly string[] {
    return this.formerDns.get(account.toLowerCase()) ?? [];
  }

  /** True when a member value of the group names a DN this apply moved, renamed or deleted. */
  private holdsMovedDn(group: LdapEntry): boolean {
    if (this.movedDns.size === 0 || this.settings.groups.flavour === "posixGroup") return false;
    return valuesOf(group, this.settings.groups.memberAttribute).some((v) =>
      this.movedDns.has(normalizeDn(stripUniqueMemberUid(v))),
    );
  }

  private forgetGroup(name: string): void {
    this.seenGroups.delete(name.toLowerCase());
  }

  private fail(operation: string, message: string): never {
    throw new ProviderError(this.provider, operation, message);
  }

  /**
   * The entry of each account in the managed people OU (and the disabled OU), keyed by the account as
   * asked; one search per 200 accounts. Account attributes such as uid and sAMAccountName match whatever
   * the case, so a search may return several entries for one name (`ken` and a second entry `KEN`): the
   * one that holds it exactly is taken, and when none or several do, the account is in `ambiguous` with
   * their DNs; acting on a guess would act on another person.
   */
  async findUsers(
    accounts: readonly string[],
    signal: AbortSignal,
    options: { fresh?: boolean } = {},
  ): Promise<FoundUsers> {
    const s = this.settings;
    const found = new Map<string, LdapEntry>();
    const ambiguous = new Map<string, readonly string[]>();
    const wanted = new Set<string>();
    for (const account of new Set(accounts)) {
      const seen = options.fresh ? undefined : this.seen("user", account);
      if (seen) found.set(account, seen);
      else wanted.add(account);
    }
    const byName = new Map<string, LdapEntry[]>();
    const names = [...new Set([...wanted].map((a) => a.toLowerCase()))];
    for (let i = 0; i < names.length; i += LOOKUP_CHUNK) {
      const chunk = names.slice(i, i + LOOKUP_CHUNK);
      const filters = chunk.map((a) => userFilter(s, a));
      const filter = filters.length === 1 ? (filters[0] ?? "") : `(|${filters.join("")})`;
      const entries = await this.client.search(
        // OpenLDAP: entryUUID too, which stays with the entry through renames (noteId).
        {
          base: s.baseDn,
          scope: "sub",
          filter,
          attributes: [...userReadAttributes(s), stableIdAttribute(s)],
          paged: true,
        },
        signal,
      );
      for (const entry of entries) {
        const inScope =
          isDnUnder(entry.dn, s.users.dn) ||
          (s.disable.method === "move" && isDnUnder(entry.dn, s.disable.dn));
        const account = firstValue(entry, s.users.accountAttribute);
        if (!inScope || account === undefined) continue;
        const key = account.toLowerCase();
        const list = byName.get(key);
        if (list) list.push(entry);
        else byName.set(key, [entry]);
      }
    }
    for (const account of wanted) {
      const candidates = byName.get(account.toLowerCase()) ?? [];
      const entry = theOneNamed(candidates, account, s.users.accountAttribute);
      if (entry) found.set(account, entry);
      else if (candidates.length > 1)
        ambiguous.set(
          account,
          candidates.map((e) => e.dn),
        );
    }
    return { found, ambiguous };
  }

  /** Why an account cannot be acted on: several entries hold it, in other cases than the one asked for. */
  private ambiguousAccount(operation: string, account: string, dns: readonly string[]): never {
    return this.fail(
      operation,
      `${String(dns.length)} entries hold the account "${account}" in letter cases the directory does not tell apart (${dns.join("; ")}), and not exactly one holds it as written; gatehouse does not guess which is meant. Rename or remove the extra entry`,
    );
  }

  async findUser(
    account: string,
    operation: string,
    signal: AbortSignal,
    options: { fresh?: boolean } = {},
  ): Promise<LdapEntry> {
    const { found, ambiguous } = await this.findUsers([account], signal, options);
    const dns = ambiguous.get(account);
    if (dns) this.ambiguousAccount(operation, account, dns);
    return (
      found.get(account) ??
      this.fail(operation, `user "${account}" not found under ${this.settings.users.dn}`)
    );
  }

  async findGroup(
    name: string,
    operation: string,
    signal: AbortSignal,
    options: { fresh?: boolean } = {},
  ): Promise<LdapEntry> {
    const s = this.settings;
    const seen = options.fresh ? undefined : this.seen("group", name);
    if (seen) return seen;
    const entries = await this.client.search(
      // OpenLDAP: entryUUID too, which stays with the entry through renames (noteGroupId).
      {
        base: s.groups.dn,
        scope: "sub",
        filter: groupFilter(s, name),
        attributes: [...groupReadAttributes(s), stableIdAttribute(s)],
      },
      signal,
    );
    // Several groups of this name (another case, or another OU below the groups OU): as for users.
    const entry = theOneNamed(entries, name, "cn");
    if (entry) return entry;
    if (entries.length > 1)
      this.fail(
        operation,
        `${String(entries.length)} groups under ${s.groups.dn} are named "${name}" in letter cases the directory does not tell apart or in different OUs (${entries.map((e) => e.dn).join("; ")}), and not exactly one as written; gatehouse does not guess which is meant. Rename or remove the extra group`,
      );
    return this.fail(operation, `group "${name}" not found under ${s.groups.dn}`);
  }

  /**
   * Runs `act` on the user's or group's entry: the one remembered from the read first, and when that fails
   * as stale (moved or deleted since), on the entry searched for now. The entry is forgotten afterwards:
   * `act` changes it.
   */
  private async withEntry(
    kind: "user" | "group",
    name: string,
    operation: string,
    signal: AbortSignal,
    act: (entry: LdapEntry) => Promise<void>,
  ): Promise<void> {
    const seen = this.seen(kind, name);
    if (kind === "user") this.forgetUser(name);
    else this.forgetGroup(name);
    if (seen) {
      try {
        await act(seen);
        return;
      } catch (error) {
        if (!hasStatus(error, STALE_ENTRY_CODES)) throw error;
      }
    }
    const fresh = { fresh: true };
    await act(
      kind === "user"
        ? await this.findUser(name, operation, signal, fresh)
        : await this.findGroup(name, operation, signal, fresh),
    );
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
        const uid = s.users.posix === undefined ? undefined : await this.nextNumber("uidNumber", signal);
        // AD: a person's last day (Capabilities.expiresAccounts) as accountExpires.
        const expires = change.endDate === undefined ? undefined : accountExpiresOf(change.endDate);
        const build = (rdn?: string) => {
          const made = newUserEntry(change.account, change.after, s, managerDn, uid, rdn);
          if (s.flavour === "activeDirectory" && expires !== undefined)
            made.attributes["accountExpires"] = [expires];
          return made;
        };
        let entry = build();
        if (s.flavour !== "activeDirectory") await this.client.add(entry.dn, entry.attributes);
        else {
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
          // Named by the display name (people.entryName: name): where another entry in the OU has that
          // cn (two people of one name), the next name, `<name> (<account>)`.
          const rdns = newUserRdns(change.account, change.after, s);
          for (const [i, rdn] of rdns.entries()) {
            entry = build(rdn);
            try {
              await this.client.add(entry.dn, entry.attributes, { unicodePwd: [password] });
              break;
            } catch (error) {
              // 68: the DN or the sAMAccountName is taken; under the next name only the latter fails again.
              const isTaken = error instanceof ProviderError && error.status === 68;
              if (!isTaken || i === rdns.length - 1) throw error;
            }
          }
        }
        const id = await this.noteCreatedId(this.actedIds, change.account, entry.dn, signal);
        const made =
          id === undefined ? entry.attributes : { ...entry.attributes, [stableIdAttribute(s)]: [id] };
        this.seenUsers.set(change.account.toLowerCase(), asEntry({ dn: entry.dn, attributes: made }));
        return;
      }
      case "update": {
        const touchesManager = change.fields.some((f) => f.field === "manager");
        const managerDn = touchesManager ? await this.managerDn(change.after.manager, signal) : undefined;
        const to = renamedUserTo(change);
        if (to !== undefined) {
          await this.withEntry("user", change.account, "rename user", signal, async (entry) => {
            this.noteId(change.account, entry);
            const dn = await this.renameUser(entry, change.account, to, signal);
            const mods = userModifications(to, change.fields, change.after, s, managerDn, dn);
            await this.afterRename(change.account, to, () => this.client.modify(dn, mods));
          });
          return;
        }
        await this.withEntry("user", change.account, "update user", signal, async (entry) => {
          await this.client.modify(
            entry.dn,
            userModifications(change.account, change.fields, change.after, s, managerDn, entry.dn),
          );
          this.noteId(change.account, entry);
        });
        return;
      }
      case "enable":
      case "disable":
        await this.setEnabled(change.account, change.action === "enable", signal);
        return;
      case "delete":
        await this.withEntry("user", change.account, "delete user", signal, async (entry) => {
          await this.client.del(entry.dn);
          this.noteId(change.account, entry);
          this.movedDns.add(normalizeDn(entry.dn));
          this.noteFormerDn(change.account, entry.dn);
        });
        return;
      case "revoke-sessions":
        this.fail("revoke sessions", "an LDAP directory holds no sessions or tokens gatehouse can revoke");
    }
  }

  /**
   * Renames a user's account in place, keeping the entry (its password, other attributes and history):
   * where the account attribute is in the RDN (`uid=bea.old`), a modifyDN to the new value under the same
   * parent, with deleteoldrdn so the old value goes; otherwise a replace of the account attribute. Returns
   * the entry's DN now. The directory does not keep the account attribute unique (only DNs are), so an
   * entry already holding the new name anywhere under the base DN fails the rename, naming it, before
   * anything is written. Member values naming the old DN or account are the plan's to move (membership
   * changes after this one); refint, where configured, may get there first, which those writes allow for.
   */
  private async renameUser(entry: LdapEntry, from: string, to: string, signal: AbortSignal): Promise<string> {
    const s = this.settings;
    const holders = await this.client.search(
      { base: s.baseDn, scope: "sub", filter: userFilter(s, to), attributes: ["1.1"], paged: true },
      signal,
    );
    const other = holders.find((h) => normalizeDn(h.dn) !== normalizeDn(entry.dn));
    if (other !== undefined) this.nameTaken(from, to, other.dn);
    const attribute = s.users.accountAttribute.toLowerCase();
    const rdn = parseAvas(entry.dn)[0] ?? [];
    const isInRdn = rdn.some((ava) => ava.type.toLowerCase() === attribute);
    // The plan moved member and manager values only if the settings say that DNs name the account
    // (userRenameRewrites): an entry named otherwise by hand is not renamed behind the plan's back.
    if (isInRdn && !rdnIsAccount(s))
      this.fail(
        "rename user",
        `cannot rename the account "${from}" to "${to}": its entry "${entry.dn}" is named by ${s.users.accountAttribute}, although people.rdnAttribute is ${s.users.rdnAttribute}, so the plan did not move the group values that name its DN; rename the entry by hand, or set rdnAttribute: ${s.users.accountAttribute}`,
      );
    if (!isInRdn) {
      await this.client.modify(entry.dn, [
        { operation: "replace", attribute: s.users.accountAttribute, values: [to] },
      ]);
      return entry.dn;
    }
    const newRdn = rdn
      .map((ava) => `${ava.type}=${escapeDnValue(ava.type.toLowerCase() === attribute ? to : ava.value)}`)
      .join("+");
    const dn = [newRdn, ...rawRdns(entry.dn).slice(1)].join(",");
    try {
      await this.client.modifyDn(entry.dn, dn);
    } catch (error) {
      // Made between the check above and now, or outside what the bind account may search.
      if (hasStatus(error, TAKEN_CODES)) this.nameTaken(from, to, dn, error);
      throw error;
    }
    // Groups remembered from the read that hold the old DN are read again before their member writes.
    this.movedDns.add(normalizeDn(entry.dn));
    // The DN the member moves take out (memberValue): the entry's own, also in a sub-OU of the people OU.
    this.noteFormerDn(from, entry.dn);
    return dn;
  }

  private nameTaken(from: string, to: string, holder: string, cause?: unknown): never {
    throw new ProviderError(
      this.provider,
      "rename user",
      `cannot rename the account "${from}" to "${to}": the entry "${holder}" already holds that name, so ${from} was left as it was (and its groups with it); rename or remove that entry, then run gatehouse again`,
      { status: 68, ...(cause === undefined ? {} : { cause }) },
    );
  }

  /**
   * The attribute write after a rename: its failure says that the rename itself was made (the next
   * plan finds the account under its new name), and is never taken for a stale entry to retry.
   */
  private async afterRename(from: string, to: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      const reason = messageOf(error);
      throw new RenameMadeError(
        this.provider,
        "rename user",
        `the account "${from}" was renamed to "${to}", but writing its other attributes failed (${reason}); the next plan writes them again`,
        { cause: error },
      );
    }
  }

  private async setEnabled(account: string, enabled: boolean, signal: AbortSignal): Promise<void> {
    const s = this.settings;
    const operation = enabled ? "enable user" : "disable user";
    if (s.disable.method === "userAccountControl") {
      // The new value is worked out from the flags the entry has now: read them right before writing.
      this.forgetUser(account);
      const entry = await this.findUser(account, operation, signal, { fresh: true });
      await this.client.modify(entry.dn, enabledModifications(entry, s, enabled));
      // The DN stays: the groups a leaver leaves next write with this entry instead of searching again
      // (only while the read is remembered; its flags are read afresh before any later write of them).
      if (this.rememberedAt !== undefined && !this.isStale())
        this.seenUsers.set(account.toLowerCase(), entry);
      return;
    }
    await this.withEntry("user", account, operation, signal, async (entry) => {
      this.noteId(account, entry);
      if (s.disable.method !== "move") {
        await this.client.modify(entry.dn, enabledModifications(entry, s, enabled));
        if (enabled) await this.checkEnabled(entry.dn, operation, signal);
        return;
      }
      if (parseDn(entry.dn).length === 0) return this.fail(operation, `cannot parse DN "${entry.dn}"`);
      const target = enabled ? s.users.dn : s.disable.dn;
      const isInTarget = isDnUnder(entry.dn, s.disable.dn) === !enabled;
      if (isInTarget) return;
      // refint rewrites member values that point at the old DN, so memberships follow the move.
      await this.moveOrSidestep(entry, target, operation);
      this.movedDns.add(normalizeDn(entry.dn));
      this.noteFormerDn(account, entry.dn);
    });
  }

  /**
   * After an enable that removed the disable attribute's value, reads the entry again: a server that
   * computes the value (389 Directory Server's account-lock roles give their members a virtual
   * `nsAccountLock: true` through a class of service) accepts the write and changes nothing, and the
   * account must not be called enabled.
   */
  private async checkEnabled(dn: string, operation: string, signal: AbortSignal): Promise<void> {
    const disable = this.settings.disable;
    if (disable.method !== "attribute") return;
    const [after] = await this.client.search(
      { base: dn, scope: "base", filter: "(objectClass=*)", attributes: [disable.attribute, "nsRoleDN"] },
      signal,
    );
    if (after === undefined || !isUserDisabled(after, this.settings)) return;
    const roles = valuesOf(after, "nsRoleDN");
    this.fail(
      operation,
      `"${dn}" still reads ${disable.attribute}: ${disable.value} after the write removed it: the value is not ` +
        `the entry's own but computed by the server (389 Directory Server: an account-lock role through a ` +
        `class of service${roles.length > 0 ? `; the entry's nsRoleDN: ${roles.join("; ")}` : ""}), so the ` +
        `account was not enabled; unlock it there (take it out of the locked role), then run gatehouse again`,
    );
  }

  /**
   * Moves a user's entry under `target` keeping its RDN. When another entry already has that DN (an
   * earlier leaver of the same name in the disabled OU, `cn=Anna Schmidt`), the RDN takes the account
   * attribute as a second value (`cn=Anna Schmidt+uid=aschmidt`), which no other managed account holds; the
   * account must not stay enabled for want of a free name. Where that is not possible, or is taken too, the
   * error names the DN in the way.
   */
  private async moveOrSidestep(entry: LdapEntry, target: string, operation: string): Promise<void> {
    const wanted = movedDn(entry.dn, target);
    try {
      await this.client.modifyDn(entry.dn, wanted);
      return;
    } catch (error) {
      if (!hasStatus(error, TAKEN_CODES)) throw error;
      const unique = accountRdnDn(entry, this.settings, target);
      if (unique === undefined) throw this.dnTaken(operation, entry.dn, wanted, error);
      try {
        await this.client.modifyDn(entry.dn, unique);
      } catch (again) {
        if (!hasStatus(again, TAKEN_CODES)) throw again;
        throw this.dnTaken(operation, entry.dn, unique, again);
      }
    }
  }

  private dnTaken(operation: string, from: string, to: string, cause: unknown): ProviderError {
    return new ProviderError(
      this.provider,
      operation,
      `cannot move "${from}" to "${to}": another entry already has that DN (an earlier leaver of the same ` +
        `name?), so this account was not ${operation.startsWith("enable") ? "enabled" : "disabled"}; rename ` +
        `or remove the entry at "${to}", then run gatehouse again`,
      { status: 68, cause },
    );
  }

  /** AD: sAMAccountName follows a rename; a second write, so its failure leaves the group half-renamed. */
  private async renameAccountName(oldName: string, dn: string, newName: string): Promise<void> {
    try {
      await this.client.modify(dn, [
        { operation: "replace", attribute: "sAMAccountName", values: [newName] },
      ]);
    } catch (error) {
      const reason = messageOf(error);
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
        const gid =
          s.groups.flavour === "posixGroup" ? await this.nextNumber("gidNumber", signal) : undefined;
        const entry = newGroupEntry(change.group, change.description, s, gid);
        await this.client.add(entry.dn, entry.attributes);
        const id = await this.noteCreatedId(this.groupIds, change.group, entry.dn, signal);
        const made =
          id === undefined ? entry.attributes : { ...entry.attributes, [stableIdAttribute(s)]: [id] };
        this.seenGroups.set(change.group.toLowerCase(), asEntry({ dn: entry.dn, attributes: made }));
        return;
      }
      case "update": {
        const newName = change.fields.find((f) => f.field === "name")?.after;
        const isRename = typeof newName === "string" && newName !== change.group;
        const isDescribed = change.fields.some((f) => f.field === "description");
        if (!isRename && !isDescribed) return;
        await this.withEntry("group", change.group, "update group", signal, async (entry) => {
          this.noteGroupId(change.group, entry);
          let dn = entry.dn;
          if (isRename) {
            // Same parent, new cn; refint (OpenLDAP) or the server itself (AD) follows the DN in member values.
            dn = renamedDn(entry.dn, "cn", newName);
            await this.client.modifyDn(entry.dn, dn);
            this.movedDns.add(normalizeDn(entry.dn));
            if (s.groups.flavour === "group") await this.renameAccountName(change.group, dn, newName);
          }
          if (isDescribed) {
            const values = change.description ? [change.description] : [];
            await this.client.modify(dn, [{ operation: "replace", attribute: "description", values }]);
          }
        });
        return;
      }
      case "delete":
        await this.withEntry("group", change.group, "delete group", signal, async (entry) => {
          await this.client.del(entry.dn);
          this.noteGroupId(change.group, entry);
          this.movedDns.add(normalizeDn(entry.dn));
        });
        return;
    }
  }

  /**
   * The next free gidNumber of a posixGroup, or uidNumber of a posixAccount: one above the highest under
   * the groups (people) OU, at least the configured start. Allocations are serialised within this provider
   * (a promise chain) and never hand out a number twice, even before the entry that got the previous one
   * has been added.
   */
  private nextNumber(attribute: "gidNumber" | "uidNumber", signal: AbortSignal): Promise<number> {
    const next = this.numberQueue.then(() => this.allocateNumber(attribute, signal));
    this.numberQueue = next.catch(() => undefined);
    return next;
  }

  private async allocateNumber(attribute: "gidNumber" | "uidNumber", signal: AbortSignal): Promise<number> {
    const s = this.settings;
    const isGroup = attribute === "gidNumber";
    const entries = await this.client.search(
      {
        base: isGroup ? s.groups.dn : s.users.dn,
        scope: "sub",
        filter: isGroup ? "(objectClass=posixGroup)" : "(objectClass=posixAccount)",
        attributes: [attribute],
        paged: true,
      },
      signal,
    );
    const start = isGroup ? s.groups.gidNumberStart : (s.users.posix?.uidNumberStart ?? 1);
    let highest = start - 1;
    for (const e of entries) highest = Math.max(highest, Number(firstValue(e, attribute) ?? "0") || 0);
    highest = Math.max(highest, this.lastNumber.get(attribute) ?? highest);
    this.lastNumber.set(attribute, highest + 1);
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
    const seen = this.seen("group", group);
    if (seen && this.holdsMovedDn(seen)) this.forgetGroup(group);
    const remembered = this.seen("group", group) !== undefined;
    const entry = await this.findGroup(group, "change members", signal);
    const resolve = (fresh: boolean): Promise<MemberValues> => this.memberValues(changes, fresh, signal);
    const first = await resolve(false);
    // The member values change: a later batch for this group reads them again.
    this.forgetGroup(group);
    const written = await this.writeMembers(group, entry, first, remembered, () => resolve(true), signal);
    return written.errors;
  }

  /** The values to add and remove for these changes, and an error per change that cannot be resolved. */
  private async memberValues(
    changes: readonly MembershipChange[],
    fresh: boolean,
    signal: AbortSignal,
  ): Promise<MemberValues> {
    const accounts = changes.filter((c) => c.memberKind === "user").map((c) => c.member);
    const users =
      accounts.length > 0
        ? await this.findUsers(accounts, signal, { fresh })
        : { found: new Map(), ambiguous: new Map() };
    const errors: (ProviderError | undefined)[] = [];
    const adds: string[] = [];
    const removes: string[] = [];
    const aliases: string[] = [];
    for (const change of changes) {
      let value: string | undefined;
      try {
        value = await this.memberValue(change, users, fresh, signal);
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
    return { errors, adds, removes };
  }

  /**
   * The one modify for a group's member values. When the member list changed between reading and writing
   * (refint rewrites values of a renamed or moved user after that operation returns), the server refuses a
   * value that is already gone (16) or already there (20): the group is read again and what is still needed
   * written once more. So it is when the values came from the read (`remembered`) and the group changed since.
   */
  private async writeMembers(
    group: string,
    entry: LdapEntry,
    values: MemberValues,
    remembered: boolean,
    again: () => Promise<MemberValues>,
    signal: AbortSignal,
  ): Promise<MemberValues> {
    const s = this.settings;
    const mods = memberModifications(
      valuesOf(entry, s.groups.memberAttribute),
      values.adds,
      values.removes,
      s,
    );
    try {
      await this.client.modify(entry.dn, mods);
      return values;
    } catch (error) {
      const stale = remembered && hasStatus(error, STALE_ENTRY_CODES);
      if (!stale && !hasStatus(error, RACED_MEMBER_CODES)) throw error;
      // The members' DNs may be what changed (a user renamed or moved since the read): look them up now
      // too, or a removal would look for the old DN, find nothing, and leave the member in.
      const now = await again();
      const fresh = await this.findGroup(group, "change members", signal, { fresh: true });
      const mods2 = memberModifications(valuesOf(fresh, s.groups.memberAttribute), now.adds, now.removes, s);
      await this.client.modify(fresh.dn, mods2);
      return now;
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
    if (dns.length === 0 || rdnIsAccount(s)) return found;
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
    users: FoundUsers,
    fresh: boolean,
    signal: AbortSignal,
  ): Promise<string> {
    const s = this.settings;
    const operation = change.action === "add" ? "add member" : "remove member";
    if (change.memberKind === "group") {
      if (s.groups.flavour === "posixGroup") this.fail(operation, "posixGroup cannot hold groups as members");
      return (await this.findGroup(change.member, operation, signal, { fresh })).dn;
    }
    const dns = users.ambiguous.get(change.member);
    if (dns) this.ambiguousAccount(operation, change.member, dns);
    const user = users.found.get(change.member);
    if (!user) {
      // A removal of an account with no entry takes out the value that names it, if any is left: the
      // reader reports such a dangling value as a member by that name.
      if (change.action === "remove" && s.groups.flavour === "posixGroup") return change.member;
      // The former name of an account this apply renamed: the DN its entry had (not necessarily directly
      // under the people OU, where the value below would be built).
      const former = change.renamedTo === undefined ? undefined : this.formerDnsOf(change.member).at(-1);
      if (change.action === "remove" && former !== undefined) return former;
      if (change.action === "remove" && danglingValuesNameAccounts(s))
        return buildDn(s.users.rdnAttribute, change.member, s.users.dn);
      return this.fail(operation, `user "${change.member}" not found under ${s.users.dn}`);
    }
    if (s.groups.flavour !== "posixGroup") return user.dn;
    return firstValue(user, s.users.accountAttribute) ?? change.member;
  }
}
