/**
 * A directory where OpenLDAP's refint overlay lags on purpose, for the tests of the read cache's refint
 * rules (ldap-refint-*.test.ts), and the reads those tests make (`cacheRuns`). refint rewrites references after the
 * operation that caused them returned, through one queue, and changes no stamp when it does: renaming
 * `busy`, which 60 big groups outside the scope read hold, keeps that queue busy for about a second, so a
 * read right after a batch always lands before refint's rewrite for the batch.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "vitest";
import type { LiveState } from "../../src/model/state.ts";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import type { Provider } from "../../src/providers/types.ts";
import { BASE_DN, ldapConfig, ldapContext, rawValues, type Slapd } from "../harness/slapd.ts";
import { asAdd, cn, person, uid } from "./ldap-ldif.ts";

/** refint's lag by default (the ldap setting refintLagSeconds): reads this far apart may settle an entry. */
export const REFINT_LAG = 15 * 60_000;

const ELSEWHERE = `ou=elsewhere,${BASE_DN}`;
const BIG = `ou=big,${BASE_DN}`;
const BIG_GROUPS = 60;
const BIG_MEMBERS = 4000;
const BUSY = `cn=busy,${ELSEWHERE}`;

function bigGroups(): string {
  const filler = Array.from({ length: BIG_MEMBERS }, (_, i) => `member: cn=filler${i},${ELSEWHERE}`).join(
    "\n",
  );
  return Array.from(
    { length: BIG_GROUPS },
    (_, g) => `dn: cn=big${g},${BIG}\nobjectClass: groupOfNames\ncn: big${g}\nmember: ${BUSY}\n${filler}\n`,
  ).join("\n");
}

/** ada and ben in the people OU, and what keeps refint busy outside the scope read. */
export const REFINT_LDIF = [
  `dn: ${ELSEWHERE}\nobjectClass: organizationalUnit\nou: elsewhere\n`,
  `dn: ${BIG}\nobjectClass: organizationalUnit\nou: big\n`,
  `dn: ${BUSY}\nobjectClass: organizationalRole\ncn: busy\n`,
  person("ada"),
  person("ben"),
  bigGroups(),
].join("\n");

/** ben's manager is set to `account`, whose entry is then deleted and added again (same DN, new entryUUID). */
export const reCreatedManager = (account: string): string =>
  `dn: ${uid("ben")}\nchangetype: modify\nreplace: manager\nmanager: ${uid(account)}\n-\n\n` +
  `dn: ${uid(account)}\nchangetype: delete\n\n` +
  asAdd(person(account));

/** `batch` (default: ben's manager set to a re-created ada) behind a long job for refint, in one ldapmodify. */
export function behindBusyRefint(server: Slapd, batch = reCreatedManager("ada")): Promise<void> {
  return server.ldapmodify(`dn: ${BUSY}\nchangetype: modrdn\nnewrdn: cn=busy2\ndeleteoldrdn: 1\n\n` + batch);
}

/** Whether ben's entry still names `dn` as his manager (refint has not taken it out yet). */
export async function benStillNames(server: Slapd, dn: string): Promise<boolean> {
  return (await rawValues(server, uid("ben"), "manager")).some((v) => v.toLowerCase() === dn.toLowerCase());
}

/** Waits until refint has taken `dn` out of ben's manager (its placeholder in its place). */
export async function waitForRefint(server: Slapd, dn: string): Promise<void> {
  for (let i = 0; i < 200 && (await benStillNames(server, dn)); i++) await sleep(100);
  expect(await benStillNames(server, dn)).toBe(false);
}

const signal = (): AbortSignal => AbortSignal.timeout(60_000);

/** Reads of one directory as separate runs make them, for the read-cache tests (see `cacheRuns`). */
export interface CacheRuns {
  /** `f` with a provider made for it (and closed after), with the ldap `settings` given. */
  readonly withProvider: <T>(
    settings: Readonly<Record<string, unknown>>,
    f: (p: Provider) => Promise<T>,
  ) => Promise<T>;
  /** A read through the read cache. */
  readonly read: () => Promise<LiveState>;
  /** What liveStamp says now (undefined: the read cache vouches for nothing). */
  readonly stampNow: () => Promise<string | undefined>;
  /** A full read, without the read cache. */
  readonly freshRead: () => Promise<LiveState>;
  /** A read through the read cache; when liveStamp then vouches for it, a fresh full read must give the same. */
  readonly checkedRead: () => Promise<LiveState>;
  /**
   * Reads through the read cache, `advance` (the tests move their clock by refint's lag) before each,
   * until liveStamp vouches: how many it took; undefined when `max` did not do.
   */
  readonly readsToSettle: (advance: () => void, max?: number) => Promise<number | undefined>;
}

/**
 * Reads of `at().server` through a provider made afresh for each (as separate runs of gatehouse are),
 * sharing the read cache in `at().cwd`, with `readCache` and `pageSize` 1 (reading an entry again by DN is
 * cheaper than its whole scope, as at any real size). The providers read this host's clock from `clock`,
 * and their plan instant from `planned` (by default the same).
 */
export function cacheRuns(
  at: () => { readonly server: Slapd; readonly cwd: string },
  clock: () => number,
  planned: () => number = clock,
): CacheRuns {
  const cached = { readCache: true, pageSize: 1 };
  const runs: CacheRuns = {
    withProvider: async (settings, f) => {
      const { server, cwd } = at();
      const plannedAt = planned();
      const context = { ...ldapContext(server.password), cwd, now: () => new Date(plannedAt), clock };
      const provider = createLdapProvider(ldapConfig(server, settings), context);
      try {
        return await f(provider);
      } finally {
        await provider.close();
      }
    },
    read: () => runs.withProvider(cached, (p) => p.read(signal())),
    stampNow: () => runs.withProvider(cached, async (p) => p.liveStamp?.(signal())),
    freshRead: () => runs.withProvider({}, (p) => p.read(signal())),
    readsToSettle: async (advance, max = 8) => {
      for (let i = 0; i < max; i++) {
        if ((await runs.stampNow()) !== undefined) return i;
        advance();
        await runs.read();
      }
      return (await runs.stampNow()) !== undefined ? max : undefined;
    },
    checkedRead: async () => {
      const live = await runs.read();
      if ((await runs.stampNow()) !== undefined) expect(shape(live)).toEqual(shape(await runs.freshRead()));
      return live;
    },
  };
  return runs;
}

/**
 * What a read says of the directory, without the notes (which count values, not state). `unmanaged`
 * names the member values that are no user in scope: without it, a group still naming a deleted or
 * moved-away DN would look like one refint has rewritten.
 */
export function shape(live: LiveState): unknown {
  const groups = live.groups.map((g) => ({ ...g, members: [...g.members].sort() }));
  return { users: live.users, groups, elsewhere: live.elsewhere ?? [], unmanaged: live.unmanaged ?? [] };
}

/** Whether group `name` still names `dn` (in any letter case, unless `exact`): refint has not rewritten it yet. */
export async function groupNames(server: Slapd, name: string, dn: string, exact = false): Promise<boolean> {
  const same = (v: string): boolean => (exact ? v === dn : v.toLowerCase() === dn.toLowerCase());
  return (await rawValues(server, cn(name), "member")).some(same);
}

/** Waits until refint has taken `dn` out of group `name` (see groupNames), and checks that it did. */
export async function waitUntilTakenOut(
  server: Slapd,
  name: string,
  dn: string,
  exact = false,
): Promise<void> {
  for (let i = 0; i < 300 && (await groupNames(server, name, dn, exact)); i++) await sleep(100);
  expect(await groupNames(server, name, dn, exact)).toBe(false);
}
