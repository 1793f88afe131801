/**
 * A DN outside every read scope (a service account in ou=services, a member of many groups) is in neither
 * the snapshot nor the listing. Without more, every group naming it is read again on every listing read
 * (refint may have rewritten it); with the identity (entryUUID) of such DNs kept in the snapshot and looked
 * up again (one search per 200 DNs), a listing read trusts a DN held by the same entry at both lookups and
 * leaves the groups naming it alone. Counted with stats().reads against a real slapd.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Provider } from "../../src/providers/types.ts";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import type { Slapd } from "../harness/slapd.ts";
import { BASE_DN, ldapConfig, ldapContext, startSlapd } from "../harness/slapd.ts";
import { group, person, uid } from "./ldap-ldif.ts";

const signal = (): AbortSignal => AbortSignal.timeout(60_000);

const USERS = 230;
const PAGE = 50;
const SERVICES = `ou=services,${BASE_DN}`;
const SVC = uid("svc", SERVICES);
const LAG = 15 * 60_000;

const account = (i: number): string => `p${String(i).padStart(5, "0")}`;
const team = (i: number): string => `team-${String(i).padStart(3, "0")}`;

/**
 * USERS people, `groups` groups of three people each, the first `naming` of them naming `named` too (svc,
 * by default).
 */
function ldif(groups: number, naming: number, named = SVC): string {
  const people = Array.from({ length: USERS }, (_, i) => person(account(i)));
  const teams = Array.from({ length: groups }, (_, i) =>
    group(team(i), [
      ...[0, 1, 2].map((k) => uid(account((i * 3 + k) % USERS))),
      ...(i < naming ? [named] : []),
    ]),
  );
  const services = `dn: ${SERVICES}\nobjectClass: organizationalUnit\nou: services\n`;
  return [services, person("svc", {}, SERVICES), ...people, ...teams].join("\n");
}

/** The host clock every provider reads at; the tests move it on (an hour between reads, past refint's lag). */
let clock = Date.now();

function provider(server: Slapd, log: string[]): Provider {
  return createLdapProvider(ldapConfig(server, { pageSize: PAGE }), {
    ...ldapContext(server.password, log),
    clock: () => clock,
  });
}

async function readsOf(p: Provider): Promise<number> {
  const before = p.stats().reads;
  await p.read(signal());
  return p.stats().reads - before;
}

/**
 * Searches of each listing read after an unrelated change (one person's title), with a read under the
 * unchanged contextCSN after each (as a plan and an apply, or the next hourly run, would), an hour apart.
 */
async function listingReads(server: Slapd, p: Provider, log: string[], times: number) {
  const out: { searches: number; said: string | undefined; unchanged: number }[] = [];
  for (let k = 0; k < times; k++) {
    await server.ldapmodify(
      `dn: ${uid(account(k))}\nchangetype: modify\nreplace: title\ntitle: T${String(k)}\n`,
    );
    clock += 3_600_000;
    const searches = await readsOf(p);
    const said = log.filter((l) => l.includes("incremental read")).at(-1);
    clock += 3_600_000;
    out.push({ searches, said, unchanged: await readsOf(p) });
  }
  return out;
}

describe("ldap api economy: a DN outside the read scopes named by many groups", { tags: ["slow"] }, () => {
  let small: Slapd;
  let large: Slapd;
  let far: Slapd;
  let gone: Slapd;
  const SMALL_GROUPS = 60;
  const LARGE_GROUPS = 450;

  beforeAll(async () => {
    [small, large, far, gone] = await Promise.all([
      startSlapd({ ldif: ldif(SMALL_GROUPS, 30), syncprov: true }),
      startSlapd({ ldif: ldif(LARGE_GROUPS, LARGE_GROUPS), syncprov: true }),
      // A DN outside the base DN (another naming context), and one under it that no entry holds.
      startSlapd({ ldif: ldif(SMALL_GROUPS, 30, "uid=svc,dc=elsewhere,dc=org"), syncprov: true }),
      startSlapd({ ldif: ldif(SMALL_GROUPS, 30, uid("gone", SERVICES)), syncprov: true }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([small.stop(), large.stop(), far.stop(), gone.stop()]);
  });

  it("30 groups naming svc: from the second listing read on, they are not read again", async () => {
    clock = Date.now() + LAG + 60_000;
    const log: string[] = [];
    const p = provider(small, log);
    await readsOf(p); // full read
    clock += 3_600_000;
    // The first listing read after the full read: as before (the 30 groups read again), plus the lookup
    // that records svc's entryUUID: contextCSN, 8 listing pages, the groups, the lookup, svc as an account
    // held elsewhere.
    expect(await readsOf(p)).toBe(1 + 8 + 1 + 1 + 1);
    const reads = await listingReads(small, p, log, 4);
    // contextCSN, 8 listing pages, the changed person, the lookup, svc elsewhere: 12, as before the change
    // (which read the 30 groups again instead of the lookup). The first one also reads the groups again:
    // still unsettled from the read before (read again because svc was untrusted).
    expect(reads.map((r) => r.searches)).toEqual([13, 12, 12, 12]);
    expect(reads.map((r) => r.said)).toEqual([
      "ldap: incremental read: 31 of 290 entries new or changed, 0 gone",
      "ldap: incremental read: 1 of 290 entries new or changed, 0 gone",
      "ldap: incremental read: 1 of 290 entries new or changed, 0 gone",
      "ldap: incremental read: 1 of 290 entries new or changed, 0 gone",
    ]);
    // The read after each under the same contextCSN: 2 searches (before: 3, the groups read once more).
    expect(reads.map((r) => r.unchanged)).toEqual([2, 2, 2, 2]);
    await p.close();
  }, 120_000);

  it("a DN outside the base DN is never looked up: no search is added for it", async () => {
    clock = Date.now() + LAG + 60_000;
    const log: string[] = [];
    const p = provider(far, log);
    await readsOf(p);
    // contextCSN, 8 listing pages, the changed person, the 30 groups read again (their outside DN can be
    // vouched for by no lookup): 11, as without the lookups.
    const reads = await listingReads(far, p, log, 3);
    expect(reads.map((r) => r.searches)).toEqual([11, 11, 11]);
    expect(reads.at(-1)?.said).toBe("ldap: incremental read: 31 of 290 entries new or changed, 0 gone");
    await p.close();
  }, 120_000);

  it("a DN that no entry held at its lookup is not looked up again: one search, once", async () => {
    clock = Date.now() + LAG + 60_000;
    const log: string[] = [];
    const p = provider(gone, log);
    await readsOf(p);
    // The first listing read looks the DN up (13: the lookup, and gone's DN looked up as an account held
    // elsewhere too); no entry holds it, so the next ones do not (12), and read the 30 groups again.
    const reads = await listingReads(gone, p, log, 3);
    expect(reads.map((r) => r.searches)).toEqual([13, 12, 12]);
    expect(reads.at(-1)?.said).toBe("ldap: incremental read: 31 of 290 entries new or changed, 0 gone");
    await p.close();
  }, 120_000);

  it("450 groups naming svc: each listing read takes 8 searches fewer, the read after it 9 fewer", async () => {
    clock = Date.now() + LAG + 60_000;
    const log: string[] = [];
    const p = provider(large, log);
    await readsOf(p);
    clock += 3_600_000;
    await readsOf(p);
    const reads = await listingReads(large, p, log, 3);
    // contextCSN, the listing (5 + 1 + 9 pages), the changed person, one lookup, svc elsewhere: 19.
    // Before: 27 (the groups scope read again whole, 9 pages, instead of the lookup), and 11 for the read
    // after it under the same contextCSN (the groups read whole once more) instead of 2.
    expect(reads.map((r) => r.searches)).toEqual([28, 19, 19]);
    expect(reads.map((r) => r.unchanged)).toEqual([2, 2, 2]);
    expect(reads.at(-1)?.said).toBe("ldap: incremental read: 1 of 680 entries new or changed, 0 gone");
    await p.close();
  }, 120_000);
});
