import type { StillNaming } from "../../plan/context.ts";
import type { HeldOutside, UnreadMembership } from "../types.ts";
import { compareText } from "../../model/lists.ts";
import type { LdapClient } from "./client.ts";
import type { Directory } from "./directory.ts";
import { buildDn, escapeFilterValue, isDnUnder, normalizeDn } from "./dn.ts";
import { firstValue, stripUniqueMemberUid, valuesOf, type LdapEntry } from "./map.ts";
import type { LdapSettings } from "./settings.ts";
import {
  CASE_IGNORE_IA5,
  memberClauses,
  otherCaseValues,
  searchIgnoringCase,
  type MemberAttribute,
  type NamedLeaver,
} from "./member-clauses.ts";
import { ProviderError, messageOf } from "../../errors.ts";
import { danglingValuesNameAccounts, rdnIsAccount } from "./settings.ts";
import { userFilter } from "./queries.ts";

/**
 * What still names accounts in the directory beyond what the provider's read shows: for the offboarding
 * check (groupsOutsideHolding) and before an account name another person held is given out again
 * (stillNaming). Searches of the whole base DN, many names at a time.
 */

/** What these searches use of the provider. */
export interface NamingContext {
  readonly settings: LdapSettings;
  readonly client: LdapClient;
  readonly directory: Pick<Directory, "findUsers" | "formerDnsOf">;
  /**
   * Whether account values are searched whatever their case (`memberUid:caseIgnoreIA5Match:=`), until a
   * server refuses it (member-clauses.ts); shared by every search of the provider.
   */
  readonly memberUidCase: { ignoreCase: boolean };
  /** The provider's log (a line naming the provider is made of each message). */
  readonly log: (message: string) => void;
}

/** Leavers per search for groups outside the scope read (three to seven filter clauses each). */
const OUTSIDE_SEARCH_BATCH = 100;

/**
 * The member attributes through which a group grants access, whichever one gatehouse manages: the entry's
 * DN in `member` (groupOfNames) and `uniqueMember` (groupOfUniqueNames), the account name in `memberUid`
 * (posixGroup, also beside `member` in an rfc2307bis group).
 */
const MEMBER_ATTRIBUTES: readonly MemberAttribute[] = [
  { name: "member", byDn: true },
  { name: "uniqueMember", byDn: true },
  { name: "memberUid", byDn: false },
];

/** `dns` without repeats (as the directory compares DNs), in order. */
function uniqueDns(dns: readonly string[]): string[] {
  const seen = new Set<string>();
  return dns.filter((dn) => {
    const key = normalizeDn(dn);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * What still names these accounts as members beyond what `read` maps: groups `read` does not return
 * (outside the groups OU, or of another object class) naming them by any member attribute, and groups it
 * returns naming them through a member attribute other than `groups.memberAttribute` (an rfc2307bis
 * group's `memberUid` beside `member`), which `read` never sees. An account is named by its entry's DN
 * (`member`, `uniqueMember`), the DNs this apply moved or deleted it from (refint may not have rewritten
 * the values yet, or there is no refint), and its account value (`memberUid`); an account with no entry
 * any more, also by the DN gatehouse would create it at, where a value naming that DN stands for it.
 * One search per 100 leavers, which returns the groups' member values to tell whose each group is.
 */
export async function groupsOutsideHolding(
  ctx: NamingContext,
  accounts: readonly string[],
  signal: AbortSignal,
  actedAs?: ReadonlyMap<string, string>,
  /** Also look for entries of theirs the people filter does not match (HeldOutside.unreadEntry): the offboarding check. */
  withUnreadEntries = false,
): Promise<ReadonlyMap<string, HeldOutside>> {
  const s = ctx.settings;
  const wanted = [...new Set(accounts)];
  const { found, ambiguous } = await ctx.directory.findUsers(wanted, signal, { fresh: true });
  // Leavers of whom the people filter finds no entry: an entry of theirs of another class may still sign in.
  const entryless = new Set(
    withUnreadEntries ? wanted.filter((a) => !found.has(a) && !ambiguous.has(a)) : [],
  );
  // Where the RDN is not the account attribute (`cn`), `cn=bea` may be someone else's entry.
  const isAccountRdn = rdnIsAccount(s);
  const leavers = wanted.map((account): NamedLeaver => {
    const entry = found.get(account);
    const before = actedAs?.get(account);
    const dns = [
      ...(entry === undefined ? [] : [entry.dn]),
      ...ctx.directory.formerDnsOf(account),
      ...(before === undefined ? [] : ctx.directory.formerDnsOf(before)),
    ];
    // Gone: a value naming where gatehouse creates the account names whoever is created there next. Only
    // where the RDN is the account attribute, and not when several entries hold the name in other cases
    // (one of them would be that DN).
    if (entry === undefined && !ambiguous.has(account) && isAccountRdn && danglingValuesNameAccounts(s))
      for (const parent of [s.users.dn, ...(s.disable.method === "move" ? [s.disable.dn] : [])])
        dns.push(buildDn(s.users.rdnAttribute, account, parent));
    const name = (entry && firstValue(entry, s.users.accountAttribute)) ?? account;
    return { account, dns: uniqueDns(dns), name };
  });
  const out = new Map<string, HeldOutside>();
  // One search for many leavers (a mass offboarding is thousands), returning the groups' member values:
  // whose each group is, and through which attribute, is read off them, not searched for leaver by leaver.
  const managed = s.groups.memberAttribute.toLowerCase();
  for (let i = 0; i < leavers.length; i += OUTSIDE_SEARCH_BATCH) {
    const batch = leavers.slice(i, i + OUTSIDE_SEARCH_BATCH);
    const byDn = new Map<string, NamedLeaver>();
    const byName = new Map<string, NamedLeaver>();
    for (const leaver of batch) {
      for (const dn of leaver.dns) byDn.set(normalizeDn(dn), leaver);
      byName.set(leaver.name.toLowerCase(), leaver);
    }
    const groups = await groupsNaming(
      ctx,
      (ignoreCase) => batch.map((l) => memberClauses(l, MEMBER_ATTRIBUTES, ignoreCase)).join(""),
      signal,
    );
    const found = new Map<NamedLeaver, { outside: Set<string>; unread: UnreadMembership[] }>();
    const hold = (leaver: NamedLeaver, g: { dn: string; isRead: boolean }, held: UnreadMembership): void => {
      let got = found.get(leaver);
      if (got === undefined) found.set(leaver, (got = { outside: new Set(), unread: [] }));
      if (!g.isRead) got.outside.add(g.dn);
      else if (
        !got.unread.some(
          (u) => u.group === held.group && u.attribute === held.attribute && u.value === held.value,
        )
      )
        got.unread.push(held);
    };
    for (const g of groups) {
      // Leavers a value of this group was told to name, and whether a value told nobody apart may name
      // one in a spelling not undone here.
      const named = new Set<NamedLeaver>();
      let isOddlySpelt = false;
      for (const attribute of MEMBER_ATTRIBUTES) {
        // A group `read` returns shows whom it names by the attribute it reads in `groups`: by DN, and by an
        // account value spelt as the account is. One in another case (posixGroup `memberUid: Ben` for ben)
        // the read maps to no one: a membership it neither shows nor removes.
        const isMapped = g.isRead && attribute.name.toLowerCase() === managed;
        for (const value of valuesOf(g.entry, attribute.name)) {
          // DNs as the directory compares them; account values whatever their case (the filter decided the
          // match, ignoring case where the server allows it).
          const leaver = attribute.byDn
            ? byDn.get(normalizeDn(stripUniqueMemberUid(value)))
            : byName.get(value.toLowerCase());
          if (leaver === undefined) {
            isOddlySpelt ||= isOddSpelling(attribute, value);
            continue;
          }
          named.add(leaver);
          if (isMapped && (attribute.byDn || otherCaseValues([value], leaver.name).length === 0)) continue;
          hold(
            leaver,
            g,
            isMapped
              ? { group: g.dn, attribute: attribute.name, value }
              : { group: g.dn, attribute: attribute.name },
          );
        }
      }
      // The server matched a value this did not tell apart (a DN spelt in a way normalizeDn does not
      // undo): the group is asked, leaver by leaver and attribute by attribute, rather than left out. Also
      // where other values named other leavers plainly: the group matched for them too, and one such value
      // beside theirs may name one more of the batch.
      if (named.size === 0 || isOddlySpelt) {
        const rest = batch.filter((l) => !named.has(l));
        const attributes = MEMBER_ATTRIBUTES.filter((a) => !g.isRead || a.name.toLowerCase() !== managed);
        const clausesOf = (leavers: readonly NamedLeaver[], of: readonly MemberAttribute[]): string =>
          leavers.map((l) => memberClauses(l, of, ctx.memberUidCase.ignoreCase)).join("");
        // One search first: values spelt oddly mostly name other people, and then that is all it costs.
        const all = clausesOf(rest, attributes);
        if (all !== "" && (await namesIn(ctx, g.dn, all, signal)))
          for (const leaver of rest)
            for (const attribute of attributes) {
              const clauses = clausesOf([leaver], [attribute]);
              if (clauses !== "" && (await namesIn(ctx, g.dn, clauses, signal)))
                hold(leaver, g, { group: g.dn, attribute: attribute.name });
            }
      }
    }
    for (const [leaver, held] of found) {
      const unread = held.unread.sort(
        (a, b) => compareText(a.group, b.group) || compareText(a.attribute, b.attribute),
      );
      out.set(leaver.account, { outside: [...held.outside].sort(compareText), unread });
    }
    const unfound = batch.filter((l) => entryless.has(l.account));
    for (const [account, dn] of await entriesOutsideFilter(ctx, unfound, signal)) {
      const held = out.get(account);
      out.set(account, { ...(held ?? { outside: [], unread: [] }), unreadEntry: dn });
    }
  }
  return out;
}

/**
 * Entries under the base DN that hold these leavers' account names but that the people filter does not
 * match (NIS-migrated `account` entries, a class the filter's last object class leaves out): by account,
 * the first DN in DN order. Not on Active Directory, whose filter matches every user; groups (by the groups
 * OU) are no account. One search per batch.
 */
async function entriesOutsideFilter(
  ctx: NamingContext,
  leavers: readonly NamedLeaver[],
  signal: AbortSignal,
): Promise<ReadonlyMap<string, string>> {
  const s = ctx.settings;
  if (leavers.length === 0 || s.flavour === "activeDirectory") return new Map();
  const attribute = s.users.accountAttribute;
  const byName = new Map(leavers.map((l) => [l.name.toLowerCase(), l.account]));
  const clauses = [...byName.keys()].map((n) => `(${attribute}=${escapeFilterValue(n)})`);
  const entries = await ctx.client.search(
    {
      base: s.baseDn,
      scope: "sub",
      filter: `(&(|${clauses.join("")})(!${userFilter(s)}))`,
      attributes: [attribute],
      paged: true,
    },
    signal,
  );
  const out = new Map<string, string>();
  for (const entry of [...entries].sort((a, b) => compareText(a.dn, b.dn))) {
    if (isDnUnder(entry.dn, s.groups.dn)) continue;
    const value = firstValue(entry, attribute);
    const account = value === undefined ? undefined : byName.get(value.toLowerCase());
    if (account !== undefined && !out.has(account)) out.set(account, entry.dn);
  }
  return out;
}

/**
 * Whether a member value that names none of the leavers as compared here may still name one as the
 * directory compares it: a DN with an attribute type spelt as an OID (`0.9.2342.19200300.100.1.1=ada`)
 * or a value in BER (`uid=#0403…`), an account value with spaces the directory's matching ignores.
 */
function isOddSpelling(attribute: MemberAttribute, value: string): boolean {
  if (!attribute.byDn) return value !== value.trim() || value.includes("  ");
  // A regular expression, not a parse: a found group's values are all looked at, and may be 100,000.
  // An escaped comma or plus before a digit counts too; that costs one search of the group, no more.
  return ODD_DN.test(value);
}

/** An attribute type starting with a digit (an OID), or a value in BER (`#…`), in any RDN. */
const ODD_DN = /(?:^|[,+;])\s*(?:\d|[^,+;=]*=\s*#)/;

/** Whether the entry at `dn` matches any of `clauses` (an OR of member filters). */
async function namesIn(
  ctx: NamingContext,
  dn: string,
  clauses: string,
  signal: AbortSignal,
): Promise<boolean> {
  const entries = await ctx.client.search(
    { base: dn, scope: "base", filter: `(|${clauses})`, attributes: ["1.1"], paged: false },
    signal,
  );
  return entries.length > 0;
}

/**
 * What still names these account names (none of which has an entry here) beyond what `read` shows: the
 * groups groupsOutsideHolding finds (by the DN gatehouse would create each at, and by the account value),
 * and the entries outside the people and disabled OUs whose manager names that DN (`read` maps the
 * manager of the entries it reads; the plan judges those). One search per 100 names for the managers.
 */
export async function stillNaming(
  ctx: NamingContext,
  accounts: readonly string[],
  signal: AbortSignal,
): Promise<ReadonlyMap<string, StillNaming>> {
  const s = ctx.settings;
  const groups = await groupsOutsideHolding(ctx, accounts, signal);
  const managers = new Map<string, string[]>();
  // Only where DNs name the account: with another RDN, the entry made under the name gets a DN of its own.
  if (rdnIsAccount(s)) {
    const attribute = s.users.attributes.manager ?? "manager";
    const read = [s.users.dn, ...(s.disable.method === "move" ? [s.disable.dn] : [])];
    for (let i = 0; i < accounts.length; i += OUTSIDE_SEARCH_BATCH) {
      const byDn = new Map(
        accounts
          .slice(i, i + OUTSIDE_SEARCH_BATCH)
          .map((account) => [normalizeDn(buildDn(s.users.rdnAttribute, account, s.users.dn)), account]),
      );
      const terms = [...byDn.keys()].map((dn) => `(${attribute}=${escapeFilterValue(dn)})`);
      const entries = await ctx.client.search(
        {
          base: s.baseDn,
          scope: "sub",
          filter: `(|${terms.join("")})`,
          attributes: [attribute],
          paged: true,
        },
        signal,
      );
      const manages = (account: string, dn: string): void => {
        const list = managers.get(account);
        if (list === undefined) managers.set(account, [dn]);
        else if (!list.includes(dn)) list.push(dn);
      };
      for (const entry of entries) {
        if (read.some((ou) => isDnUnder(entry.dn, ou))) continue;
        const named = new Set<string>();
        let isOddlySpelt = false;
        for (const value of valuesOf(entry, attribute)) {
          const account = byDn.get(normalizeDn(value));
          if (account === undefined) isOddlySpelt ||= isOddSpelling({ name: attribute, byDn: true }, value);
          else {
            named.add(account);
            manages(account, entry.dn);
          }
        }
        // Matched by the server in a spelling normalizeDn does not undo: asked name by name (also beside
        // a value naming another of the names plainly).
        if (named.size === 0 || isOddlySpelt)
          for (const [dn, account] of byDn)
            if (
              !named.has(account) &&
              (await namesIn(ctx, entry.dn, `(${attribute}=${escapeFilterValue(dn)})`, signal))
            )
              manages(account, entry.dn);
      }
    }
  }
  const out = new Map<string, StillNaming>();
  for (const account of new Set(accounts)) {
    const held = groups.get(account);
    const managerOf = (managers.get(account) ?? []).sort(compareText);
    if (held === undefined && managerOf.length === 0) continue;
    out.set(account, { outside: held?.outside ?? [], unread: held?.unread ?? [], managerOf });
  }
  return out;
}

/** Whether retrying a failed search may succeed (so it says nothing of the filter). */
const isTransientError = (error: unknown): boolean => error instanceof ProviderError && error.isTransient;

/** A group a search found: its entry with its member values, and whether `read` returns it. */
interface FoundGroup {
  readonly dn: string;
  readonly entry: LdapEntry;
  readonly isRead: boolean;
}

/**
 * The groups naming any of the clauses `clausesOf` makes (an OR of member filters; with `ignoreCase`,
 * also account values in another case), by DN, sorted, with their member values (`entry`), and whether
 * `read` returns each. A server that refuses the case-ignoring clauses is asked without them
 * (searchIgnoringCase), and the log says so.
 */
async function groupsNaming(
  ctx: NamingContext,
  clausesOf: (ignoreCase: boolean) => string,
  signal: AbortSignal,
): Promise<FoundGroup[]> {
  const plain = clausesOf(false);
  const withCase = clausesOf(true);
  const search = (ignoreCase: boolean): Promise<FoundGroup[]> =>
    searchGroups(ctx, `(|${ignoreCase ? withCase : plain})`, signal);
  // Nothing to ask ignoring case (DN clauses only): no second search if the server refuses this one.
  if (withCase === plain) return search(false);
  const onFallback = (error: unknown): void => {
    const message = messageOf(error);
    ctx.log(
      `the server refused the ${CASE_IGNORE_IA5} filter on memberUid (${message}); searches for groups naming an account (the offboarding check, and names passed on) match memberUid values as spelt from now on, so a group naming one in another case (Ben for ben) is not found`,
    );
  };
  return searchIgnoringCase(ctx.memberUidCase, search, onFallback, isTransientError);
}

/** The groups `filter` finds under the base DN, with their member values, sorted by DN. */
async function searchGroups(ctx: NamingContext, filter: string, signal: AbortSignal): Promise<FoundGroup[]> {
  const s = ctx.settings;
  const groups = await ctx.client.search(
    {
      base: s.baseDn,
      scope: "sub",
      filter,
      attributes: ["objectClass", ...MEMBER_ATTRIBUTES.map((a) => a.name)],
      paged: true,
    },
    signal,
  );
  // Only the groups `read` returns count as read: under the groups OU and of the groups' object class.
  // Another class there (a legacy posixGroup beside groupOfNames) is never read, and grants access too.
  const groupClass = s.groups.objectClass.toLowerCase();
  return groups
    .map((g) => ({
      dn: g.dn,
      entry: g,
      isRead:
        isDnUnder(g.dn, s.groups.dn) &&
        valuesOf(g, "objectClass").some((c) => c.toLowerCase() === groupClass),
    }))
    .sort((a, b) => compareText(a.dn, b.dn));
}
