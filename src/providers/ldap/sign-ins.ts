/**
 * Last sign-ins for `gatehouse accounts`: one paged search of the people OU for the account, its
 * last-sign-in attribute and its creation time; and the pure parsing of LDAP's two kinds of time.
 */
import type { AccountUse, SignIns } from "../types.ts";
import type { LdapClient } from "./client.ts";
import { isDnUnder } from "./dn.ts";
import { firstValue, type LdapEntry } from "./map.ts";
import { userFilter } from "./queries.ts";
import type { LdapSettings } from "./settings.ts";

/** 100-nanosecond intervals from 1601-01-01 (Windows FILETIME's epoch) to 1970-01-01. */
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;
/** The largest FILETIME, which Active Directory writes for "never" (as it writes 0). */
const FILETIME_NEVER = 0x7fff_ffff_ffff_ffffn;

/**
 * A generalized time (RFC 4517 3.3.13: `20260301090000Z`, `20260301090000.5Z`, `202603010900+0100`, minutes
 * and seconds optional, a fraction of the last unit given) as an ISO 8601 instant in UTC; undefined when
 * the value is not one.
 */
export function parseGeneralizedTime(value: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?(?:[.,](\d+))?(Z|[+-]\d{2}(?:\d{2})?)$/.exec(value);
  if (!m) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = m;
  const num = (text: string | undefined): number => (text === undefined ? 0 : Number(text));
  if (num(month) < 1 || num(month) > 12 || num(day) < 1 || num(day) > 31) return undefined;
  if (num(hour) > 23 || num(minute) > 59 || num(second) > 60) return undefined;
  // A fraction belongs to the last unit written: of the hour, the minute or the second.
  const unitMs = second !== undefined ? 1_000 : minute !== undefined ? 60_000 : 3_600_000;
  const fractionMs = fraction === undefined ? 0 : Number(`0.${fraction}`) * unitMs;
  const local = Date.UTC(
    num(year),
    num(month) - 1,
    num(day),
    num(hour),
    num(minute),
    Math.min(num(second), 59),
  );
  // Date.UTC rolls 31 April over into May: a day the month does not have is no time.
  if (new Date(local).getUTCDate() !== num(day)) return undefined;
  let offsetMs = 0;
  if (zone !== undefined && zone !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const hours = Number(zone.slice(1, 3));
    const minutes = zone.length > 3 ? Number(zone.slice(3, 5)) : 0;
    if (hours > 23 || minutes > 59) return undefined;
    offsetMs = sign * (hours * 3_600_000 + minutes * 60_000);
  }
  return new Date(local + Math.floor(fractionMs) - offsetMs).toISOString();
}

/**
 * A Windows FILETIME (Active Directory's `lastLogonTimestamp`, `lastLogon`: 100-ns intervals since
 * 1601-01-01 UTC, as decimal text) as an ISO 8601 instant; undefined for 0 and the largest value (AD's
 * "never") and for anything that is not one.
 */
export function parseFileTime(value: string): string | undefined {
  if (!/^\d{1,19}$/.test(value)) return undefined;
  const ticks = BigInt(value);
  if (ticks === 0n || ticks >= FILETIME_NEVER || ticks < FILETIME_UNIX_EPOCH) return undefined;
  return new Date(Number((ticks - FILETIME_UNIX_EPOCH) / 10_000n)).toISOString();
}

/** An LDAP time of either kind as an ISO 8601 instant: a generalized time, else a FILETIME. */
export function parseLdapTime(value: string): string | undefined {
  return parseGeneralizedTime(value) ?? parseFileTime(value);
}

/** The operational attribute holding an entry's creation time. */
export function createdAttributeOf(settings: LdapSettings): string {
  return settings.flavour === "activeDirectory" ? "whenCreated" : "createTimestamp";
}

/** One entry's account and use, or undefined without an account. A value that is no time counts as none. */
export function accountUseOf(
  entry: LdapEntry,
  settings: LdapSettings,
  lastLoginAttribute: string,
): { account: string; use: AccountUse } | undefined {
  const account = firstValue(entry, settings.users.accountAttribute);
  if (account === undefined) return undefined;
  // Several values (a multi-valued attribute by mistake, or two servers' writes): the latest counts.
  const logins = (entry.attributes.get(lastLoginAttribute.toLowerCase()) ?? [])
    .map(parseLdapTime)
    .filter((t): t is string => t !== undefined)
    .sort();
  const lastLogin = logins.at(-1);
  const createdText = firstValue(entry, createdAttributeOf(settings));
  const createdAt = createdText === undefined ? undefined : parseGeneralizedTime(createdText);
  return {
    account,
    use: {
      ...(lastLogin === undefined ? {} : { lastLogin }),
      ...(createdAt === undefined ? {} : { createdAt }),
    },
  };
}

/**
 * The last sign-in and creation time of every account in the people OU (and `disable.ou` with `move`;
 * subtree, paged): one search of
 * three attributes per page. Read fresh each time: OpenLDAP's lastbind moves the entry's entryCSN, but a
 * read cache is only brought up to date by plans, and Active Directory's attribute lags anyway.
 */
export async function readSignIns(
  settings: LdapSettings,
  lastLoginAttribute: string,
  client: LdapClient,
  signal: AbortSignal,
): Promise<SignIns> {
  // Leavers moved out of the people OU still bind there (a move stops no bind): their sign-ins count too.
  const bases = [
    settings.users.dn,
    ...(settings.disable.method === "move" && !isDnUnder(settings.disable.dn, settings.users.dn)
      ? [settings.disable.dn]
      : []),
  ];
  const accounts = new Map<string, AccountUse>();
  for (const base of bases) {
    const entries = await client.search(
      {
        base,
        scope: "sub",
        filter: userFilter(settings),
        attributes: [settings.users.accountAttribute, lastLoginAttribute, createdAttributeOf(settings)],
        paged: true,
      },
      signal,
    );
    // The people OU's entry first: an account there is the one in use.
    for (const entry of entries) {
      const found = accountUseOf(entry, settings, lastLoginAttribute);
      if (found !== undefined && !accounts.has(found.account)) accounts.set(found.account, found.use);
    }
  }
  return { source: lastLoginAttribute, accounts };
}
