/**
 * Calls the ldap provider makes against a real slapd, as counted by stats(): a full read takes the minimum
 * number of paged searches; a read with nothing changed takes the listing (or one search with contextCSN);
 * the member changes of a group go out in one modify, however many members change.
 */
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planBatches } from "../../src/apply/batches.ts";
import type { Change, MembershipChange } from "../../src/plan/types.ts";
import type { Provider } from "../../src/providers/types.ts";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import type { Slapd } from "../harness/slapd.ts";
import { hostClock, hourlyRuns, ldapConfig, ldapContext, rawValues, startSlapd } from "../harness/slapd.ts";
import { PEOPLE, cn, group, person, uid } from "./ldap-ldif.ts";

const signal = (): AbortSignal => AbortSignal.timeout(60_000);

const USERS = 230;
const GROUPS = 60;
const PAGE = 50;
/** 230 people at 50 a page: 5 pages; the disabled OU (empty): 1; 60 groups: 2. */
const MINIMUM = Math.ceil(USERS / PAGE) + 1 + Math.ceil(GROUPS / PAGE);

/**
 * A first read right after the directory was loaded re-checks every entry naming one just written (all of
 * them): the groups, read again by DN in pages.
 */
const RECHECK_GROUPS = Math.ceil(GROUPS / PAGE);

const account = (i: number): string => `p${String(i).padStart(5, "0")}`;
const team = (i: number): string => `team-${String(i).padStart(3, "0")}`;

/** USERS people and GROUPS groups of three of them each. */
function bulkLdif(): string {
  const people = Array.from({ length: USERS }, (_, i) => person(account(i)));
  const teams = Array.from({ length: GROUPS }, (_, i) =>
    group(
      team(i),
      [0, 1, 2].map((k) => uid(account((i * 3 + k) % USERS))),
    ),
  );
  return [...people, ...teams].join("\n");
}

/** A provider with `readCache` in `cwd`, as a new `gatehouse plan` process creates it. */
const nextRun = hourlyRuns();

/** A provider for one run of gatehouse with the read cache, an hour after the run before. */
function cachingRun(server: Slapd, cwd: string, log: string[]): Provider {
  return createLdapProvider(ldapConfig(server, { pageSize: PAGE, readCache: true }), {
    ...ldapContext(server.password, log),
    cwd,
    ...nextRun(),
  });
}

/** Read calls one read makes. */
async function readsOf(provider: Provider): Promise<number> {
  const before = provider.stats().reads;
  await provider.read(signal());
  return provider.stats().reads - before;
}

function membership(action: "add" | "remove", groupName: string, member: string): MembershipChange {
  return {
    id: `ldap:membership/${groupName}/${member}`,
    provider: "ldap",
    kind: "membership",
    action,
    group: groupName,
    member,
    memberKind: "user",
    reason: action === "add" ? "added-in-config" : "removed-from-config",
    risk: action === "add" ? "broadens" : "narrows",
  };
}

function userChange(
  action: "update" | "disable",
  accountName: string,
  after: Readonly<Record<string, string>> = {},
): Change {
  const base = {
    id: `ldap:user/${accountName}`,
    provider: "ldap",
    kind: "user" as const,
    account: accountName,
    reason: "drift" as const,
    risk: action === "disable" ? ("narrows" as const) : ("neutral" as const),
  };
  if (action === "disable") return { ...base, action };
  const fields = Object.entries(after).map(([field, value]) => ({ field, before: null, after: value }));
  return { ...base, action, fields, after: { name: `${accountName} Person`, ...after } };
}

/** Searches made while applying the changes (after the provider's read). */
async function lookupsOf(provider: Provider, changes: readonly Change[]): Promise<number> {
  const before = provider.stats().reads;
  await writesOf(provider, changes);
  return provider.stats().reads - before;
}

/** Writes the changes as the apply engine does (batched per group) and returns the write calls made. */
async function writesOf(provider: Provider, changes: readonly Change[]): Promise<number> {
  const before = provider.stats().writes;
  for (const phase of planBatches(changes, provider.capabilities.maxMembersPerWrite))
    for (const batch of phase)
      for (const outcome of await provider.apply(batch, signal()))
        if (outcome.status === "failed") throw outcome.error;
  return provider.stats().writes - before;
}

describe("ldap api economy", { tags: ["slow"] }, () => {
  let plain: Slapd;
  let withSyncprov: Slapd;

  beforeAll(async () => {
    [plain, withSyncprov] = await Promise.all([
      startSlapd({ ldif: bulkLdif() }),
      startSlapd({ ldif: bulkLdif(), syncprov: true }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([plain.stop(), withSyncprov.stop()]);
  });

  it("without contextCSN: a full read takes the minimum, a read with nothing changed as many (listing) pages", async () => {
    const log: string[] = [];
    const provider = createLdapProvider(
      ldapConfig(plain, { pageSize: PAGE }),
      ldapContext(plain.password, log),
    );
    expect(MINIMUM).toBe(8);
    expect(await readsOf(provider)).toBe(MINIMUM);
    // The first incremental read also asks for contextCSN (one search) and learns there is none.
    expect(await readsOf(provider)).toBe(1 + MINIMUM);
    expect(await readsOf(provider)).toBe(MINIMUM);
    expect(log.at(-1)).toBe("ldap: incremental read: 0 of 290 entries new or changed, 0 gone");
    await plain.ldapmodify(`dn: ${uid(account(7))}\nchangetype: modify\nreplace: title\ntitle: Changed\n`);
    // The listing, plus one search for the changed entry.
    expect(await readsOf(provider)).toBe(MINIMUM + 1);
    expect(log.at(-1)).toBe("ldap: incremental read: 1 of 290 entries new or changed, 0 gone");
    await provider.close();
  });

  it("with contextCSN (syncprov): a read with nothing changed takes two searches", async () => {
    const log: string[] = [];
    const server = withSyncprov;
    const provider = createLdapProvider(
      ldapConfig(server, { pageSize: PAGE }),
      ldapContext(server.password, log),
    );
    expect(await readsOf(provider)).toBe(MINIMUM);
    // The first incremental read learns contextCSN (one search) and lists; later ones only ask contextCSN
    // and whether any entry changed after it (a contextCSN that stopped moving stands for nothing).
    expect(await readsOf(provider)).toBe(1 + MINIMUM);
    expect(await readsOf(provider)).toBe(2);
    expect(log.at(-1)).toBe("ldap: contextCSN unchanged: nothing changed since the last read");
    // That read found no entry naming a DN outside it: the next one under the same contextCSN skips the
    // walk over every member value.
    expect(await readsOf(provider)).toBe(2);
    expect(log.at(-1)).toBe(
      "ldap: contextCSN unchanged: nothing changed since the last read (the entries naming a DN outside it were checked under this contextCSN already)",
    );
    await server.ldapmodify(
      `dn: ${cn(team(7))}\nchangetype: modify\nadd: member\nmember: ${uid(account(100))}\n`,
    );
    // contextCSN, the listing, and one search for the changed group (memberof leaves the user's stamps alone).
    expect(await readsOf(provider)).toBe(1 + MINIMUM + 1);
    expect(log.at(-1)).toBe("ldap: incremental read: 1 of 290 entries new or changed, 0 gone");
    expect(await readsOf(provider)).toBe(2);
    await provider.close();
  });

  it("with readCache, a later run reads only what changed: one search with contextCSN, the listing without", async () => {
    // With syncprov the full read also asks whether syncprov serves the base DN (a Sync Request).
    for (const [server, unchanged, full] of [
      [withSyncprov, 2, 2 + MINIMUM],
      [plain, MINIMUM, 1 + MINIMUM],
    ] as const) {
      const cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-ldap-cache-"));
      const log: string[] = [];
      const run = (): Provider => cachingRun(server, cwd, log);
      try {
        const first = run();
        // With a store, the full read asks for contextCSN first, for the next run to compare with.
        expect(await readsOf(first)).toBe(full);
        await first.close();
        const [file, ...others] = await readdir(path.join(cwd, ".gatehouse", "cache"));
        expect(others).toEqual([]);
        const stored = path.join(cwd, ".gatehouse", "cache", file ?? "");
        expect((await stat(stored)).mode & 0o777).toBe(0o600);
        expect(await readFile(stored, "utf8")).not.toContain(server.password);

        const second = run();
        // The full read came within refint's lag of the writes that loaded the directory (and with no
        // read before it to compare with): the entries naming those entries, the groups, are read once
        // more (snapshot.ts, namingChangedHands), then no more.
        expect(await readsOf(second)).toBe(unchanged + RECHECK_GROUPS);
        expect(await readsOf(second)).toBe(unchanged);
        await second.close();

        await server.ldapmodify(`dn: ${uid(account(8))}\nchangetype: delete\n`);
        const third = run();
        const fresh = createLdapProvider(ldapConfig(server), ldapContext(server.password));
        const live = await third.read(signal());
        expect(live).toEqual(await fresh.read(signal()));
        expect(live.users.some((u) => u.account === account(8))).toBe(false);
        await fresh.close();
        await third.close();
        expect(log.filter((l) => l.includes("reading everything") || l.includes("read cache"))).toEqual([]);
      } finally {
        await rm(cwd, { recursive: true, force: true });
      }
    }
  });

  it("after an apply that wrote more entries than re-reading them is worth, the next run reads in full", async () => {
    const server = await startSlapd({ ldif: bulkLdif(), syncprov: true });
    const cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-ldap-cache-"));
    const log: string[] = [];
    const run = (): Provider => cachingRun(server, cwd, log);
    const cacheFiles = async (): Promise<string[]> => readdir(path.join(cwd, ".gatehouse", "cache"));
    try {
      // A small apply keeps the snapshot: the next run lists and reads the one changed entry again.
      const first = run();
      await first.read(signal());
      await writesOf(first, [userChange("update", account(1), { title: "One" })]);
      await first.close();
      expect(await cacheFiles()).toHaveLength(1);
      const second = run();
      // The listing, the changed entry, and the groups once more (see the test above).
      expect(await readsOf(second)).toBe(1 + MINIMUM + 1 + RECHECK_GROUPS);
      // A large one (every person: 230 entries, more than 200) drops it: contextCSN and a full read,
      // instead of contextCSN, the listing and the people OU read whole once more.
      await writesOf(
        second,
        Array.from({ length: USERS }, (_, i) => userChange("update", account(i), { title: "Renamed" })),
      );
      await second.close();
      expect(await cacheFiles()).toEqual([]);
      expect(log).toContain(
        "ldap: over 200 entries written since the read: the next read is a full read (cheaper than listing and reading them again)",
      );
      const third = run();
      expect(await readsOf(third)).toBe(2 + MINIMUM); // contextCSN, the Sync Request, the scopes
      const fresh = createLdapProvider(ldapConfig(server), ldapContext(server.password));
      expect(await third.read(signal())).toEqual(await fresh.read(signal()));
      await fresh.close();
      await third.close();
    } finally {
      await rm(cwd, { recursive: true, force: true });
      await server.stop();
    }
  });

  it("writes one modify per changed group, whatever the number of members changed", async () => {
    const provider = createLdapProvider(ldapConfig(plain, { pageSize: PAGE }), ldapContext(plain.password));
    // team-010 gets 150 people added and its 3 removed; team-011 gets 2 added; the changes interleave.
    const big = Array.from({ length: 150 }, (_, i) => membership("add", team(10), account(40 + i)));
    const changes: Change[] = [
      ...[30, 31, 32].map((i) => membership("remove", team(10), account(i))),
      membership("add", team(11), account(200)),
      ...big,
      membership("add", team(11), account(201)),
    ];
    expect(await writesOf(provider, changes)).toBe(2);
    const live = await provider.read(signal());
    expect(live.groups.find((g) => g.name === team(10))?.members).toHaveLength(150);
    expect(live.groups.find((g) => g.name === team(11))?.members).toHaveLength(5);
    await provider.close();
  });

  it("an apply right after the read searches for nothing: the read has every entry it writes to", async () => {
    const provider = createLdapProvider(ldapConfig(plain, { pageSize: PAGE }), ldapContext(plain.password));
    await provider.read(signal());
    // team-020 holds p00060-62, team-021 p00063-65.
    const changes: Change[] = [
      membership("remove", team(20), account(60)),
      ...[150, 151, 152].map((i) => membership("add", team(20), account(i))),
      membership("add", team(21), account(153)),
      userChange("update", account(120), { title: "Lead", manager: account(121) }),
    ];
    expect(await lookupsOf(provider, changes)).toBe(0);
    const live = await provider.read(signal());
    expect(live.groups.find((g) => g.name === team(20))?.members).toEqual(
      [61, 62, 150, 151, 152].map(account),
    );
    const updated = live.users.find((u) => u.account === account(120));
    expect([updated?.title, updated?.manager]).toEqual(["Lead", account(121)]);
    await provider.close();
  });

  it("takes a remembered entry whose name the files spell in another case, when no other entry has it", async () => {
    const provider = createLdapProvider(ldapConfig(plain, { pageSize: PAGE }), ldapContext(plain.password));
    await provider.read(signal());
    // The files say P00070 where the directory holds p00070 (as AD's JSmith for the files' jsmith).
    const changes = [membership("add", team(24), account(70).toUpperCase())];
    expect(await lookupsOf(provider, changes)).toBe(0);
    const live = await provider.read(signal());
    expect(live.groups.find((g) => g.name === team(24))?.members).toContain(account(70));
    await provider.close();
  });

  it("an apply that starts (or runs on) past 2 minutes after the read reads again once, instead of searching per group", async () => {
    const log: string[] = [];
    // The host's clock, as ldapContext's (the plan's instant stays where the run began).
    let clock = hostClock();
    const provider = createLdapProvider(ldapConfig(plain, { pageSize: PAGE }), {
      ...ldapContext(plain.password, log),
      clock: () => clock,
    });
    await provider.read(signal());
    clock += 3 * 60_000; // confirmed at a prompt three minutes later, or the apply's later batches
    // Ten groups to write, each gaining one member: per-group lookups would take 2 searches each.
    const changes = Array.from({ length: 10 }, (_, i) => membership("add", team(30 + i), account(200 + i)));
    // The read again: a contextCSN probe (none here), then the listing pages; nothing had changed, so no
    // entry is fetched again. Looking each group and member up would take 20 searches.
    expect(await lookupsOf(provider, changes)).toBe(1 + MINIMUM);
    expect(log.filter((l) => l.includes("over 2 minutes old; reading again"))).toHaveLength(1);
    const live = await provider.read(signal());
    for (let i = 0; i < 10; i++)
      expect(live.groups.find((g) => g.name === team(30 + i))?.members).toContain(account(200 + i));
    await provider.close();
  });

  it("looks an entry up again when the directory moved it after the read, or this apply did", async () => {
    const provider = createLdapProvider(ldapConfig(plain, { pageSize: PAGE }), ldapContext(plain.password));
    await provider.read(signal());
    // Someone renames p00130's entry (uid stays) after the read: the remembered DN is gone.
    await plain.ldapmodify(
      `dn: ${uid(account(130))}\nchangetype: modrdn\nnewrdn: cn=Moved 130\ndeleteoldrdn: 0\n`,
    );
    const before = provider.stats().reads;
    await writesOf(provider, [userChange("update", account(130), { title: "Moved" })]);
    // The write to the old DN fails (no such object); one search finds the entry, a second write lands.
    expect(provider.stats().reads - before).toBe(1);
    expect(await rawValues(plain, `cn=Moved 130,${PEOPLE}`, "title")).toEqual(["Moved"]);

    // This apply disables p00123 (moved to the disabled OU; refint rewrites team-041's value) and takes
    // it out of team-041: the user and the group are searched for again, not taken from the read. refint
    // rewrites in the background, so the member write may still meet the old value and retry once
    // (the group and its members looked up again).
    const changes = [userChange("disable", account(123)), membership("remove", team(41), account(123))];
    const lookups = await lookupsOf(provider, changes);
    expect(lookups).toBeGreaterThanOrEqual(2);
    expect(lookups).toBeLessThanOrEqual(4);
    const live = await provider.read(signal());
    expect(live.groups.find((g) => g.name === team(41))?.members).toEqual([124, 125].map(account));
    expect(live.users.find((u) => u.account === account(123))?.enabled).toBe(false);

    // Someone renames p00140's entry after the read; refint rewrites team-046's value to the new DN. The
    // removal must take out the value that is there now, not look for the DN the read saw.
    await provider.read(signal());
    await plain.ldapmodify(
      `dn: ${uid(account(140))}\nchangetype: modrdn\nnewrdn: cn=Moved 140\ndeleteoldrdn: 0\n`,
    );
    const movedDn = `cn=Moved 140,${PEOPLE}`;
    for (let i = 0; i < 100; i++) {
      const values = await rawValues(plain, cn(team(46)), "member");
      if (values.some((v) => v.toLowerCase() === movedDn.toLowerCase())) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await writesOf(provider, [membership("remove", team(46), account(140))]);
    expect((await rawValues(plain, cn(team(46)), "member")).map((v) => v.toLowerCase())).toEqual(
      [uid(account(138)), uid(account(139))].map((v) => v.toLowerCase()),
    );
    await provider.close();
  });

  // Last: it leaves the syncprov server with a group naming a DN outside what is read.
  it("does not trust a contextCSN that changes no longer move (syncprov switched off): it lists everything", async () => {
    const frozen = await startSlapd({
      ldif: bulkLdif(),
      contextCsn: "20200101000000.000000Z#000000#000#000000",
    });
    const cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-ldap-frozen-"));
    try {
      const log: string[] = [];
      const run = (): Provider =>
        createLdapProvider(ldapConfig(frozen, { pageSize: PAGE, readCache: true }), {
          ...ldapContext(frozen.password, log),
          cwd,
        });
      const first = run();
      await first.read(signal());
      await first.close();
      // A member added by hand: contextCSN stays as it was, the entry's own entryCSN moves.
      await frozen.ldapmodify(
        `dn: cn=${team(5)},ou=groups,${frozen.baseDn}\nchangetype: modify\nadd: member\nmember: uid=${account(199)},ou=people,${frozen.baseDn}\n`,
      );
      const second = run();
      const live = await second.read(signal());
      await second.close();
      expect(live.groups.find((g) => g.name === team(5))?.members).toContain(account(199));
      expect(
        log.some((l) => l.includes("syncprov does not serve it (a Sync Request is refused there)")),
      ).toBe(true);
      // A delete moves no entryCSN, so only the listing every read makes without contextCSN finds it.
      await frozen.ldapmodify(`dn: cn=${team(6)},ou=groups,${frozen.baseDn}\nchangetype: delete\n`);
      const third = run();
      const after = await third.read(signal());
      await third.close();
      expect(after.groups.some((g) => g.name === team(6))).toBe(false);
    } finally {
      await rm(cwd, { recursive: true, force: true });
      await frozen.stop();
    }
  });

  it("with contextCSN: entries naming a DN outside the read are read again until settled, then not", async () => {
    const server = withSyncprov;
    await server.ldapmodify(
      `dn: ${cn("team-foreign")}\nchangetype: add\nobjectClass: groupOfNames\ncn: team-foreign\n` +
        `member: ${uid(account(1))}\nmember: cn=stranger,${server.baseDn}\n`,
    );
    const log: string[] = [];
    let clock = hostClock();
    const provider = createLdapProvider(ldapConfig(server, { pageSize: PAGE }), {
      ...ldapContext(server.password, log),
      clock: () => clock,
    });
    // The stranger is looked up once more: is it an account held elsewhere (LiveState.elsewhere)?
    expect(await readsOf(provider)).toBe(MINIMUM + 1);
    // contextCSN learnt, the listing, and the group read again: it names a DN outside the read, which
    // refint may still be rewriting; the stranger looked up under the contextCSN now known.
    // One more search: the stranger's entryUUID looked up, for the next listing read to trust it when it
    // is held by the same entry (Snapshot.outsideIds; it has none, so it never is).
    expect(await readsOf(provider)).toBe(1 + MINIMUM + 1 + 1 + 1);
    // contextCSN unchanged (and nothing changed after it): the group is read once more. The stranger's
    // DN has no entry, so it may have lost one just before the listing read, and refint may still take
    // it out of the group: the group settles only refint's lag after that read.
    expect(await readsOf(provider)).toBe(3);
    const said = (): string | undefined => log.filter((l) => l.includes("contextCSN")).at(-1);
    expect(said()).toContain(
      "reading again 1 entry that names a DN outside what was read, or that refint may still rewrite",
    );
    clock += 15 * 60_000 + 1_000;
    expect(await readsOf(provider)).toBe(3);
    // From then on contextCSN (and that nothing changed after it) tells that nothing changed.
    expect(await readsOf(provider)).toBe(2);
    expect(said()).toContain("contextCSN unchanged: nothing changed since the last read");
    expect(await readsOf(provider)).toBe(2);
    // A change anywhere moves contextCSN: the group is checked again.
    await server.ldapmodify(`dn: ${uid(account(9))}\nchangetype: modify\nreplace: title\ntitle: X\n`);
    expect(await readsOf(provider)).toBeGreaterThan(2);
    await provider.close();
  });

  it("splits a group's member changes only at maxMembersPerWrite", async () => {
    const settings = { pageSize: PAGE, maxMembersPerWrite: 100 };
    const provider = createLdapProvider(ldapConfig(plain, settings), ldapContext(plain.password));
    const changes = Array.from({ length: 150 }, (_, i) => membership("remove", team(10), account(40 + i)));
    expect(await writesOf(provider, changes)).toBe(2);
    await provider.close();
  });
});
