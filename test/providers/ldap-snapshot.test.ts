import { describe, expect, it } from "vitest";
import type { ProviderConfig } from "../../src/model/access.ts";
import type { LdapEntry } from "../../src/providers/ldap/map.ts";
import { entryDnFilter, readScopes } from "../../src/providers/ldap/queries.ts";
import { parseLdapSettings } from "../../src/providers/ldap/settings.ts";
import { toLiveState } from "../../src/providers/ldap/live.ts";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  FileSnapshotStore,
  MAX_SNAPSHOT_AGE_MS,
  parseStoredSnapshot,
  serializeSnapshot,
  snapshotKey,
} from "../../src/providers/ldap/snapshot-cache.ts";
import {
  byNormalizedDn,
  csnAt,
  csnTime,
  danglingReferrers,
  namingChangedHands,
  entryHands,
  fetchedNamingChangedHands,
  refintSince,
  nextUnsettled,
  outsideDns,
  outsideIdentities,
  planRefresh,
  sameEntry,
  withOutside,
  referencedDns,
  sameContextCsn,
  stampOf,
} from "../../src/providers/ldap/snapshot.ts";

const REFINT_LAG_MS = 15 * 60_000;
const BASE = "dc=example,dc=com";
const PEOPLE = `ou=people,${BASE}`;
const GROUPS = `ou=groups,${BASE}`;
const PLACEHOLDER = `cn=empty-membership-placeholder,${BASE}`;

function config(settings: Record<string, unknown> = {}): ProviderConfig {
  return {
    name: "ldap",
    type: "ldap",
    mode: "authoritative",
    nesting: true,
    settings: {
      url: "ldap://127.0.0.1:389",
      baseDn: BASE,
      bindDn: `cn=gh,${BASE}`,
      passwordEnv: "PW",
      ...settings,
    },
    source: { file: "access/gatehouse.yaml", line: 4, column: 5 },
  };
}
const settings = parseLdapSettings(config(), "/repo");
const scopes = readScopes(settings, true);

function entry(dn: string, csn: string, uuid: string, attributes: Record<string, string[]> = {}): LdapEntry {
  const all: Record<string, string[]> = {
    entryCSN: [csn],
    modifyTimestamp: ["20260101000000Z"],
    entryUUID: [uuid],
    ...attributes,
  };
  return { dn, attributes: new Map(Object.entries(all).map(([k, v]) => [k.toLowerCase(), v])) };
}

const ada = entry(`uid=ada,${PEOPLE}`, "csn-1", "u-ada", { uid: ["ada"] });
const ben = entry(`uid=ben,${PEOPLE}`, "csn-2", "u-ben", { uid: ["ben"], manager: [`uid=ada,${PEOPLE}`] });
const team = entry(`cn=team,${GROUPS}`, "csn-3", "u-team", {
  cn: ["team"],
  member: [`UID=Ada, ${PEOPLE}`, `uid=ben,${PEOPLE}`, PLACEHOLDER],
});
/** What the listing returns: only DN and the stamps. */
const listed = (e: LdapEntry, csn?: string, uuid?: string): LdapEntry =>
  entry(
    e.dn,
    csn ?? e.attributes.get("entrycsn")?.[0] ?? "",
    uuid ?? e.attributes.get("entryuuid")?.[0] ?? "",
  );

const previous = [byNormalizedDn([ada, ben]), new Map<string, LdapEntry>(), byNormalizedDn([team])];

describe("ldap snapshot (pure)", () => {
  it("reads three scopes: people, the disabled OU outside it, groups", () => {
    expect(scopes.map((s) => [s.kind, s.base])).toEqual([
      ["users", PEOPLE],
      ["users", `ou=disabled,${BASE}`],
      ["groups", GROUPS],
    ]);
    expect(scopes[0]?.attributes).toEqual(
      expect.arrayContaining(["uid", "entryCSN", "modifyTimestamp", "entryUUID"]),
    );
    expect(readScopes(settings, false)[0]?.attributes).not.toContain("entryCSN");
  });

  it("has no stamp without entryCSN or entryUUID", () => {
    expect(stampOf(ada)).toBe("csn-1|20260101000000Z");
    expect(stampOf({ dn: ada.dn, attributes: new Map([["entrycsn", ["x"]]]) })).toBeUndefined();
    expect(stampOf({ dn: ada.dn, attributes: new Map([["entryuuid", ["x"]]]) })).toBeUndefined();
  });

  it("lists the DN references refint may rewrite, without the placeholder", () => {
    expect(referencedDns(team, "groups", settings)).toEqual([`uid=ada,${PEOPLE}`, `uid=ben,${PEOPLE}`]);
    expect(referencedDns(ben, "users", settings)).toEqual([`uid=ada,${PEOPLE}`]);
    const posix = parseLdapSettings(config({ groups: { objectClass: "posixGroup" } }), "/repo");
    expect(referencedDns(entry(team.dn, "c", "u", { memberUid: ["ada"] }), "groups", posix)).toEqual([]);
  });

  it("keeps everything when nothing changed", () => {
    const plan = planRefresh(previous, [[listed(ada), listed(ben)], [], [listed(team)]], scopes, settings);
    expect(plan?.map((s) => [s.fetch, s.kept.size, s.removed, s.total])).toEqual([
      [[], 2, 0, 2],
      [[], 0, 0, 0],
      [[], 1, 0, 1],
    ]);
  });

  it("reads again what is new or has a new stamp, and counts what is gone", () => {
    const cat = entry(`uid=cat,${PEOPLE}`, "csn-9", "u-cat");
    const plan = planRefresh(
      previous,
      [[listed(ada, "csn-7"), listed(cat)], [], [listed(team)]],
      scopes,
      settings,
    );
    expect(plan?.[0]?.fetch).toEqual([ada.dn, cat.dn]);
    expect(plan?.[0]?.removed).toBe(1);
    // ben is gone, so the group naming him is read again (refint may have rewritten it, changing no stamp).
    expect(plan?.[2]?.fetch).toEqual([team.dn]);
  });

  it("reads again an entry naming a DN that now belongs to another entry (deleted and added again)", () => {
    const plan = planRefresh(
      previous,
      [[listed(ada, "csn-8", "u-ada-2"), listed(ben)], [], [listed(team)]],
      scopes,
      settings,
    );
    // ben names ada as manager and the group names ada as a member: both are read again.
    expect(plan?.[0]?.fetch).toEqual([ada.dn, ben.dn]);
    expect(plan?.[2]?.fetch).toEqual([team.dn]);
  });

  it("reads an entry naming a DN that changed hands again until a read refint's lag later reads it the same", () => {
    const LAG = 900_000;
    const key = team.dn.toLowerCase();
    const ada2 = entry(ada.dn, "csn-8", "u-ada-2", { uid: ["ada"] });
    const lists = [[listed(ada2), listed(ben)], [], [listed(team)]];
    // Read 1 (at 1 s), at once after ada was deleted and added again: the group still names her (refint
    // not done), and its stamps are unchanged.
    const hands1 = entryHands(previous, lists);
    const plan1 = planRefresh(previous, lists, scopes, settings, new Map(), hands1);
    expect(plan1?.[2]?.rechecked).toEqual([key]);
    const read1 = [byNormalizedDn([ada2, ben]), new Map<string, LdapEntry>(), byNormalizedDn([team])];
    const flagged1 = fetchedNamingChangedHands(plan1 ?? [], read1, scopes, settings, hands1);
    // ben names her too (as his manager).
    const benKey = ben.dn.toLowerCase();
    expect(flagged1).toEqual([benKey, key]);
    const snap0 = { scopes: previous, contextCsn: undefined, fullReadAt: 0 };
    const rechecked = (plan: ReturnType<typeof planRefresh>): string[] =>
      plan?.flatMap((p) => p.rechecked) ?? [];
    const unsettled1 = nextUnsettled(snap0, read1, {
      readAt: 1_000,
      lagMs: LAG,
      flagged: flagged1,
      rechecked: rechecked(plan1),
    });
    expect([...unsettled1]).toEqual([
      [benKey, 1_000 + LAG],
      [key, 1_000 + LAG],
    ]);
    // Read 2, a second later, reads the group the same (refint still busy): two reads inside refint's lag
    // prove nothing, so it stays unsettled, from the same instant.
    const snap1 = { scopes: read1, contextCsn: undefined, fullReadAt: 0, unsettled: unsettled1 };
    const plan2 = planRefresh(read1, lists, scopes, settings, unsettled1);
    expect(plan2?.[2]?.fetch).toEqual([team.dn]);
    const flagged2 = fetchedNamingChangedHands(
      plan2 ?? [],
      read1,
      scopes,
      settings,
      entryHands(read1, lists),
    );
    expect(flagged2).toEqual([]);
    const unsettled2 = nextUnsettled(snap1, read1, {
      readAt: 2_000,
      lagMs: LAG,
      flagged: flagged2,
      rechecked: rechecked(plan2),
    });
    expect([...unsettled2]).toEqual([...unsettled1]);
    // Read 3, after the lag: refint has removed ada from the group, which reads differently, so it stays
    // unsettled; ben reads as before and settles.
    const snap2 = { ...snap1, unsettled: unsettled2 };
    const cleaned = entry(team.dn, "csn-3", "u-team", { cn: ["team"], member: [`uid=ben,${PEOPLE}`] });
    const read3 = [read1[0] ?? new Map(), new Map<string, LdapEntry>(), byNormalizedDn([cleaned])];
    const after = { readAt: 1_000 + LAG, lagMs: LAG, flagged: [], rechecked: [] };
    const unsettled3 = nextUnsettled(snap2, read3, after);
    expect([...unsettled3]).toEqual([[key, 1_000 + LAG]]);
    // Read 4 reads it as read 3 did: settled.
    const snap3 = { scopes: read3, contextCsn: undefined, fullReadAt: 0, unsettled: unsettled3 };
    expect([...nextUnsettled(snap3, read3, { ...after, readAt: 2_000 + LAG })]).toEqual([]);
    // Had read 3 given the same entry as read 2, it would have settled it there.
    expect([...nextUnsettled(snap2, read1, after)]).toEqual([]);
    // An entry re-checked for another reason (it names a DN outside the snapshot) settles at the next read
    // that reads it the same, however soon.
    const first = nextUnsettled(snap0, read1, { readAt: 5_000, lagMs: LAG, flagged: [], rechecked: [key] });
    expect([...first]).toEqual([[key, 5_000]]);
    const next = { scopes: read1, contextCsn: undefined, fullReadAt: 0, unsettled: first };
    expect([
      ...nextUnsettled(next, read1, { readAt: 5_001, lagMs: LAG, flagged: [], rechecked: [key] }),
    ]).toEqual([]);
    // An unsettled entry written meanwhile (new stamps, not re-checked) stays unsettled: a write is no sign
    // that refint is done with it.
    const written = entry(team.dn, "csn-9", "u-team", {
      cn: ["team"],
      member: [ada.dn, `uid=ben,${PEOPLE}`],
    });
    const read2b = [read1[0] ?? new Map(), new Map<string, LdapEntry>(), byNormalizedDn([written])];
    expect(nextUnsettled(snap1, read2b, { ...after, readAt: 3_000 }).get(key)).toBe(1_000 + LAG);
    // Flagged again by a read whose instant is earlier than the one that flagged it before (a plan
    // instant taken before an apply's lock wait, a host clock stepped back): the later instant stands.
    const later = { ...snap1, unsettled: new Map([[key, 50_000 + LAG]]) };
    const again = { readAt: 40_000, lagMs: LAG, flagged: [key], rechecked: [] };
    expect(nextUnsettled(later, read1, again).get(key)).toBe(50_000 + LAG);
    expect(sameEntry(cleaned, team)).toBe(false);
    expect(
      sameEntry(
        team,
        entry(team.dn, "csn-3", "u-team", {
          cn: ["team"],
          member: [...(team.attributes.get("member") ?? [])],
        }),
      ),
    ).toBe(true);
  });

  it("also re-checks an entry with new stamps when a DN it names changed hands", () => {
    // A member added to the group (new stamp) while ada was deleted and added again: refint may rewrite later.
    const plan = planRefresh(
      previous,
      [[listed(ada, "csn-8", "u-ada-2"), listed(ben)], [], [listed(team, "csn-9")]],
      scopes,
      settings,
    );
    expect(plan?.[2]?.rechecked).toEqual([team.dn.toLowerCase()]);
    // A new stamp alone, every named DN as it was: nothing to re-check.
    const plain = planRefresh(
      previous,
      [[listed(ada), listed(ben)], [], [listed(team, "csn-9")]],
      scopes,
      settings,
    );
    expect(plain?.[2]?.fetch).toEqual([team.dn]);
    expect(plain?.[2]?.rechecked).toEqual([]);
  });

  it("gives up when a listed entry has no entryCSN", () => {
    const bare: LdapEntry = { dn: ada.dn, attributes: new Map() };
    expect(planRefresh(previous, [[bare], [], []], scopes, settings)).toBeUndefined();
  });

  it("finds entries naming DNs that are not in the snapshot", () => {
    const snapshot = { scopes: previous, contextCsn: null, fullReadAt: 0 };
    expect(danglingReferrers(snapshot, scopes, settings)).toEqual([[], [], []]);
    const lonely = {
      ...snapshot,
      scopes: [byNormalizedDn([ben]), new Map<string, LdapEntry>(), byNormalizedDn([team])],
    };
    expect(danglingReferrers(lonely, scopes, settings)).toEqual([[ben.dn], [], [team.dn]]);
  });

  it("after a full read, re-checks the entries naming a DN written since refint's lag began", () => {
    const at = Date.UTC(2026, 10, 26, 21, 43, 17, 38);
    expect(csnAt(at)).toBe("20261126214317.038000Z");
    expect(csnTime("20261126214317.038123Z#000000#000#000000")).toBe(at);
    expect(csnTime("csn-1")).toBeUndefined();
    // The earlier of this host's clock and the server's last write, less the lag.
    const serverBehind = ["20261126213000.000000Z#000000#000#000000"];
    expect(refintSince(at, serverBehind, REFINT_LAG_MS)).toBe(
      csnAt(Date.UTC(2026, 10, 26, 21, 30) - REFINT_LAG_MS),
    );
    expect(refintSince(at, null, REFINT_LAG_MS)).toBe(csnAt(at - REFINT_LAG_MS));
    // Multi-provider replication: one value per server ID; a provider that stopped writing in March does
    // not make every write since March recent (the newest value is the server's last write).
    const twoProviders = [
      "20261126214300.000000Z#000000#001#000000",
      "20260301000000.000000Z#000000#002#000000",
    ];
    expect(refintSince(at, twoProviders, REFINT_LAG_MS)).toBe(
      csnAt(Date.UTC(2026, 10, 26, 21, 43) - REFINT_LAG_MS),
    );

    const since = csnAt(at - REFINT_LAG_MS);
    const old = "20261126200000.000000Z#000000#000#000000";
    const recent = "20261126214000.000000Z#000000#000#000000";
    const withCsn = (e: LdapEntry, csn: string): LdapEntry => ({
      dn: e.dn,
      attributes: new Map([...e.attributes, ["entrycsn", [csn]]]),
    });
    const snapshotOf = (adaCsn: string): Map<string, LdapEntry>[] => [
      byNormalizedDn([withCsn(ada, adaCsn), withCsn(ben, old)]),
      new Map<string, LdapEntry>(),
      byNormalizedDn([withCsn(team, old)]),
    ];
    expect(namingChangedHands(snapshotOf(old), scopes, settings, { since })).toEqual(new Set());
    // ada was written within the lag: ben (manager) and the group (member) are read again; ada is not.
    expect(namingChangedHands(snapshotOf(recent), scopes, settings, { since })).toEqual(
      new Set([ben.dn, team.dn].map((dn) => dn.toLowerCase())),
    );
  });

  it("after a full read with an earlier snapshot, re-checks the entries naming a DN now held by another entry", () => {
    const now = (adaUuid: string): Map<string, LdapEntry>[] => [
      byNormalizedDn([entry(ada.dn, "csn-9", adaUuid, { uid: ["ada"] }), ben]),
      new Map<string, LdapEntry>(),
      byNormalizedDn([team]),
    ];
    // ada changed (new CSN) but is the same entry: nothing to re-check, however recent the write.
    expect(namingChangedHands(now("u-ada"), scopes, settings, { previous })).toEqual(new Set());
    // ada deleted and added again (new entryUUID): ben and the group name her.
    expect(namingChangedHands(now("u-ada-2"), scopes, settings, { previous })).toEqual(
      new Set([ben.dn, team.dn].map((dn) => dn.toLowerCase())),
    );
  });

  it("compares contextCSN values as sets", () => {
    expect(sameContextCsn(["b#1", "a#2"], ["a#2", "b#1"])).toBe(true);
    expect(sameContextCsn(["a#2"], ["a#3"])).toBe(false);
    expect(sameContextCsn(["a#2"], ["a#2", "b#1"])).toBe(false);
  });

  it("asks for entries by entryDN, escaping filter characters", () => {
    expect(entryDnFilter(settings, "(objectClass=x)", ["cn=a(1),dc=x"])).toBe(
      "(&(objectClass=x)(entryDN=cn=a\\281\\29,dc=x))",
    );
    expect(entryDnFilter(settings, "(objectClass=x)", ["cn=a", "cn=b*"])).toBe(
      "(&(objectClass=x)(|(entryDN=cn=a)(entryDN=cn=b\\2a)))",
    );
  });

  it("asks Active Directory for entries by distinguishedName, and stamps its entries with uSNChanged and objectGUID", () => {
    const ad = parseLdapSettings(config({ flavour: "activeDirectory" }), "/repo");
    expect(entryDnFilter(ad, "(objectClass=x)", ["CN=a(1),DC=x", "CN=b"])).toBe(
      "(&(objectClass=x)(|(distinguishedName=CN=a\\281\\29,DC=x)(distinguishedName=CN=b)))",
    );
    expect(readScopes(ad, true).every((s) => s.attributes.includes("uSNChanged"))).toBe(true);
    expect(readScopes(ad, true).every((s) => s.attributes.includes("objectGUID"))).toBe(true);
    const adEntry = (attributes: Record<string, string[]>): LdapEntry => ({
      dn: "CN=a,DC=x",
      attributes: new Map(Object.entries(attributes)),
    });
    expect(stampOf(adEntry({ usnchanged: ["4012"], objectguid: ["0a2b"] }))).toBe("usn:4012");
    // Without its identity, or with no single uSNChanged, an entry cannot be followed.
    expect(stampOf(adEntry({ usnchanged: ["4012"] }))).toBeUndefined();
    expect(stampOf(adEntry({ usnchanged: ["1", "2"], objectguid: ["0a2b"] }))).toBeUndefined();
    expect(stampOf(adEntry({ objectguid: ["0a2b"] }))).toBeUndefined();
  });
});

describe("ldap snapshot: DNs outside the read scopes (pure)", () => {
  const SVC = `uid=svc,ou=services,${BASE}`;
  const svcKey = SVC.toLowerCase();
  const ops = entry(`cn=ops,${GROUPS}`, "csn-4", "u-ops", {
    cn: ["ops"],
    member: [`uid=ada,${PEOPLE}`, SVC],
  });
  const before = [byNormalizedDn([ada, ben]), new Map<string, LdapEntry>(), byNormalizedDn([team, ops])];
  const lists = [[listed(ada), listed(ben)], [], [listed(team), listed(ops)]];
  const opsKey = ops.dn.toLowerCase();
  const hands = (
    now: ReadonlyMap<string, string | null>,
    was: ReadonlyMap<string, string | null> = new Map(),
  ) => withOutside(entryHands(before, lists), { now, before: was });
  const planWith = (h: ReturnType<typeof hands>) =>
    planRefresh(before, lists, scopes, settings, new Map(), h)?.[2]?.fetch;

  it("finds the DNs outside the snapshot and the listing, and counts the entries naming them", () => {
    const { dns, referrers } = outsideDns(before, lists, scopes, settings);
    expect([...dns]).toEqual([svcKey]);
    expect(referrers).toEqual([0, 0, 1]);
    // A DN in the listing is in scope (new there: the in-scope rules apply), not outside.
    const svcListed = [[listed(ada), listed(ben), entry(SVC, "c", "u-svc")], [], lists[2] ?? []];
    expect(outsideDns(before, svcListed, scopes, settings).dns.size).toBe(0);
    // A DN no lookup could vouch for (outside the base DN, or with no entry at the last lookup) is not
    // looked up, and an entry naming it cannot be spared reading again.
    const unvouchable = outsideDns(before, lists, scopes, settings, (dn) => dn !== svcKey);
    expect([...unvouchable.dns]).toEqual([]);
    expect([...unvouchable.unvouched]).toEqual([svcKey]);
    expect(unvouchable.referrers).toEqual([0, 0, 0]);
  });

  it("trusts an outside DN held by the same identity at two lookups, and nothing else", () => {
    // Today's rule (no lookup): the group naming it is read again on every listing.
    expect(planWith(hands(new Map()))).toEqual([ops.dn]);
    expect(planWith(hands(new Map([[svcKey, "u-svc"]]), new Map([[svcKey, "u-svc"]])))).toEqual([]);
    // Looked up for the first time: not trusted (the group was read when another entry may have held it).
    expect(planWith(hands(new Map([[svcKey, "u-svc"]])))).toEqual([ops.dn]);
    // Another identity, or none at either lookup: not trusted. Never null == null (an entry moved from
    // there into scope leaves values naming the old DN that refint rewrites later).
    expect(planWith(hands(new Map([[svcKey, "u-svc-2"]]), new Map([[svcKey, "u-svc"]])))).toEqual([ops.dn]);
    expect(planWith(hands(new Map([[svcKey, null]]), new Map([[svcKey, null]])))).toEqual([ops.dn]);
    expect(planWith(hands(new Map([[svcKey, null]]), new Map([[svcKey, "u-svc"]])))).toEqual([ops.dn]);
    expect(planWith(hands(new Map([[svcKey, "u-svc"]]), new Map([[svcKey, null]])))).toEqual([ops.dn]);
  });

  it("flags the entries naming an outside DN that no two lookups vouch for", () => {
    const read = [before[0] ?? new Map(), new Map<string, LdapEntry>(), byNormalizedDn([team, ops])];
    const flagged = (h: ReturnType<typeof hands>): string[] => {
      const plan = planRefresh(before, lists, scopes, settings, new Map(), h) ?? [];
      return fetchedNamingChangedHands(plan, read, scopes, settings, h);
    };
    // A -> B, and none -> B: changed hands.
    expect(flagged(hands(new Map([[svcKey, "u-svc-2"]]), new Map([[svcKey, "u-svc"]])))).toEqual([opsKey]);
    expect(flagged(hands(new Map([[svcKey, "u-svc"]]), new Map([[svcKey, null]])))).toEqual([opsKey]);
    // A -> none, and none -> none: an entry may have left the DN just before (or come and gone between the
    // lookups), and refint may still be rewriting the values naming it.
    expect(flagged(hands(new Map([[svcKey, null]]), new Map([[svcKey, "u-svc"]])))).toEqual([opsKey]);
    expect(flagged(hands(new Map([[svcKey, null]]), new Map([[svcKey, null]])))).toEqual([opsKey]);
    // Never looked up before: flagged, whenever its entry was written (a parent's rename gives an entry
    // a DN without writing it).
    expect(flagged(hands(new Map([[svcKey, "u-svc"]])))).toEqual([opsKey]);
    expect(flagged(hands(new Map([[svcKey, null]])))).toEqual([opsKey]);
    // Not looked up at all: flagged too.
    expect(flagged(entryHands(before, lists))).toEqual([opsKey]);
    // Same identity: neither read again nor flagged.
    expect(flagged(hands(new Map([[svcKey, "u-svc"]]), new Map([[svcKey, "u-svc"]])))).toEqual([]);
    // In-scope DNs keep their rules.
    const h = hands(new Map([[svcKey, "u-svc"]]), new Map([[svcKey, "u-svc"]]));
    expect(h.isSameEntry(`uid=ada,${PEOPLE}`)).toBe(true);
    expect(h.isSameEntry(`uid=nobody,${PEOPLE}`)).toBe(false);
  });

  it("takes a looked-up identity only from the one entry found with the DN exactly as the values name it", () => {
    const services = "ou=services,dc=example,dc=com";
    const upper = `homeDirectory=/home/Svc,${services}`;
    const key = upper.toLowerCase();
    const other = `uid=other,${services}`;
    const named = new Map([[key, new Set([upper])]]);
    const created = { createTimestamp: ["20200101000000Z"] };
    const found = (dn: string, uuid: string): LdapEntry => entry(dn, "c", uuid, created);
    // The entry with exactly that DN: its identity (entryUUID with createTimestamp).
    expect(outsideIdentities([key], named, [found(upper, "U-1")]).get(key)).toBe("u-1@20200101000000Z");
    // The same DN written with other optional spaces is the same DN.
    expect(
      outsideIdentities([key], named, [found(`homeDirectory=/home/Svc, ${services}`, "u-1")]).get(key),
    ).toBe("u-1@20200101000000Z");
    // Its case-exact twin, found by a server that matched the lower-cased DN: vouches for nothing.
    expect(
      outsideIdentities([key], named, [found(`homeDirectory=/home/svc,${services}`, "u-2")]).get(key),
    ).toBe(null);
    // Two entries for one key: neither vouches.
    const both = [found(upper, "u-1"), found(upper, "u-3")];
    expect(outsideIdentities([key], named, both).get(key)).toBe(null);
    // Values naming the DN in two letter cases: no entry has both.
    const twice = new Map([[key, new Set([upper, upper.replace("Svc", "SVC")])]]);
    expect(outsideIdentities([key], twice, [found(upper, "u-1")]).get(key)).toBe(null);
    // Not found, and entries not asked for, are none and ignored.
    const result = outsideIdentities([key, other], named, [found(`uid=stranger,${services}`, "u-9")]);
    expect([...result]).toEqual([
      [key, null],
      [other, null],
    ]);
  });
});

describe("ldap read cache file (pure parts)", () => {
  const snapshot = {
    scopes: previous,
    contextCsn: ["20260101000000.000000Z#000000#000#000000"],
    fullReadAt: 1_000,
  };
  const key = snapshotKey(settings);
  const roundTrip = (value: string, now = 2_000): unknown =>
    parseStoredSnapshot(JSON.parse(value), key, scopes, now, "member");

  it("maps groups read back from the file as it maps them read from the server, each member value worked out once", () => {
    const carl = entry(`uid=carl,${PEOPLE}`, "csn-4", "u-carl", {
      uid: ["carl"],
      manager: [`uid=zed,ou=gone,${BASE}`],
    });
    const ops = entry(`cn=ops,${GROUPS}`, "csn-5", "u-ops", {
      cn: ["ops"],
      member: [
        `uid=carl,${PEOPLE}`,
        `UID=Ada, ${PEOPLE}`, // the same DN as another spelling, in another group too
        `cn=team,${GROUPS}`, // a nested group
        `uid=ghost,${PEOPLE}`, // dangling: no entry, right under the people OU
        `cn=stranger,${BASE}`, // outside what is read
        PLACEHOLDER,
      ],
    });
    const withOps = [
      byNormalizedDn([ada, ben, carl]),
      new Map<string, LdapEntry>(),
      byNormalizedDn([team, ops]),
    ];
    const stored = parseStoredSnapshot(
      JSON.parse(serializeSnapshot({ ...snapshot, scopes: withOps }, key, scopes, "member")),
      key,
      scopes,
      2_000,
      "member",
    );
    if (typeof stored === "string") throw new Error(stored);
    const mapped = (maps: readonly ReadonlyMap<string, LdapEntry>[], nesting: boolean) =>
      toLiveState(
        [...(maps[0]?.values() ?? []), ...(maps[1]?.values() ?? [])],
        [...(maps[2]?.values() ?? [])],
        settings,
        nesting,
      );
    for (const nesting of [true, false]) {
      const fromServer = mapped(withOps, nesting);
      const fromFile = mapped(stored.scopes, nesting);
      expect(fromFile).toEqual(fromServer);
      expect(fromFile.state.groups.find((g) => g.name === "ops")?.members).toEqual(["ada", "carl", "ghost"]);
    }
  });

  it("reads back what it wrote, all three contextCSN states included", () => {
    expect(roundTrip(serializeSnapshot(snapshot, key, scopes))).toEqual(snapshot);
    for (const contextCsn of [null, undefined]) {
      const other = { ...snapshot, contextCsn };
      expect(roundTrip(serializeSnapshot(other, key, scopes))).toEqual(other);
    }
    const settled = { ...snapshot, danglingSettled: snapshot.contextCsn };
    expect(roundTrip(serializeSnapshot(settled, key, scopes))).toEqual(settled);
    const unsettled = {
      ...snapshot,
      unsettled: new Map([[`cn=eng,${BASE}`.toLowerCase(), 1_700_000_000_000]]),
    };
    expect(roundTrip(serializeSnapshot(unsettled, key, scopes))).toEqual(unsettled);
    const outside = {
      ...snapshot,
      outsideIds: new Map<string, string | null>([
        [`uid=svc,ou=services,${BASE}`, "u-svc"],
        [`uid=gone,ou=services,${BASE}`, null],
      ]),
    };
    expect(roundTrip(serializeSnapshot(outside, key, scopes))).toEqual(outside);
  });

  it("refuses damaged identities of outside DNs", () => {
    const text = serializeSnapshot(
      { ...snapshot, outsideIds: new Map([[`uid=svc,ou=services,${BASE}`, "u-svc"]]) },
      key,
      scopes,
    );
    const value = JSON.parse(text) as Record<string, unknown>;
    for (const outsideIds of [
      "x",
      [["a"]],
      [["a", 7]],
      [[7, "u"]],
      [["a", ""]],
      [
        ["a", "u"],
        ["a", "v"],
      ],
    ])
      expect(parseStoredSnapshot({ ...value, outsideIds }, key, scopes, 2_000)).toBe("it is damaged");
    expect(text).toContain("gatehouse-ldap-snapshot-8");
  });

  it("holds only the settings' password variable name and the attributes read", () => {
    const text = serializeSnapshot(snapshot, key, scopes);
    expect(text).not.toContain("PW");
    expect(text).not.toMatch(/password/i);
    expect(snapshotKey(settings)).toMatch(/^[0-9a-f]{32}$/);
  });

  it("is keyed by the settings: another server, bind DN or base gives another key", () => {
    const other = (s: Record<string, unknown>): string => snapshotKey(parseLdapSettings(config(s), "/repo"));
    const keys = new Set([
      key,
      other({ url: "ldap://127.0.0.2:389" }),
      other({ bindDn: `cn=other,${BASE}` }),
      other({ people: { ou: "ou=staff" } }),
      other({ pageSize: 10 }),
    ]);
    expect(keys.size).toBe(5);
    expect(other({})).toBe(key);
  });

  it("refuses a file of another format or key, a damaged one, and one over 24 hours old or from the future", () => {
    const text = serializeSnapshot(snapshot, key, scopes);
    const value: unknown = JSON.parse(text);
    expect(parseStoredSnapshot(value, "other-key", scopes, 2_000)).toBe("it is of another format");
    expect(parseStoredSnapshot({ ...(value as object), format: "x" }, key, scopes, 2_000)).toBe(
      "it is of another format",
    );
    expect(parseStoredSnapshot({ ...(value as object), scopes: [] }, key, scopes, 2_000)).toBe(
      "it is damaged",
    );
    expect(roundTrip(text.replace('"entrycsn":["csn-1"]', '"entrycsn":"csn-1"'))).toBe("it is damaged");
    // Member values are positions in the file's list of values: a position past it, or a list mixing
    // positions and strings, is damage.
    const listed = serializeSnapshot(snapshot, key, scopes, "member");
    expect(listed).toMatch(/"member":\[\d+,\d+,\d+\]/);
    expect(roundTrip(listed)).toEqual(snapshot);
    expect(roundTrip(listed.replace(/"member":\[\d+,/, '"member":[99999,'))).toBe("it is damaged");
    expect(roundTrip(listed.replace(/"member":\[\d+,/, '"member":["x",'))).toBe("it is damaged");
    expect(roundTrip(listed.replace(/"values":\[/, '"values":[7,'))).toBe("it is damaged");
    // Positions stand only for the groups' member values.
    expect(roundTrip(listed.replace('"entrycsn":["csn-1"]', '"entrycsn":[0]'))).toBe("it is damaged");
    expect(roundTrip(text, 1_000 + MAX_SNAPSHOT_AGE_MS + 1)).toBe("its last full read is over 24 hours old");
    expect(roundTrip(text, 999)).toBe("its last full read is over 24 hours old");
    const moved = readScopes(parseLdapSettings(config({ groups: { ou: "ou=teams" } }), "/repo"), true);
    expect(parseStoredSnapshot(value, key, moved, 2_000)).toBe("it is damaged");
  });
});

describe("the stored lookup of accounts held elsewhere", () => {
  it("comes back as saved, for the same settings only, and not when damaged", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "gh-elsewhere-"));
    try {
      const log: string[] = [];
      const store = new FileSnapshotStore(dir, settings, {
        name: "ldap",
        log: (l) => log.push(l),
        now: () => new Date(),
      });
      expect(await store.loadElsewhere()).toBeUndefined();
      const lookup = {
        stamp: ["20260101000000.000000Z#000000#000#000000"],
        dns: [`uid=ada,ou=parked,${BASE}`, `uid=zed,ou=parked,${BASE}`],
        accounts: [{ account: "ada", where: `uid=ada,ou=parked,${BASE}` }],
        nonPersons: [{ dn: `uid=zed,ou=parked,${BASE}`, kind: "computer" as const }],
        namesTaken: [
          {
            account: "ann",
            claim: "userPrincipalName ann@example.com",
            holder: "ada",
            where: `uid=ada,ou=parked,${BASE}`,
          },
        ],
        at: 1_000,
      };
      await store.saveElsewhere(lookup);
      expect(await store.loadElsewhere()).toEqual(lookup);
      const other = new FileSnapshotStore(dir, parseLdapSettings(config({ pageSize: 10 }), "/repo"), {
        name: "ldap",
        log: (l) => log.push(l),
        now: () => new Date(),
      });
      expect(await other.loadElsewhere()).toBeUndefined();
      const [file] = (await readdir(dir)).filter((f) => f.endsWith("-elsewhere.json"));
      const text = await readFile(path.join(dir, file ?? ""), "utf8");
      await writeFile(path.join(dir, file ?? ""), text.replace('"account":"ada"', '"account":7'));
      expect(await store.loadElsewhere()).toBeUndefined();
      await writeFile(path.join(dir, file ?? ""), text.replace('"kind":"computer"', '"kind":"printer"'));
      expect(await store.loadElsewhere()).toBeUndefined();
      expect(log).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
