/**
 * Sequences where an entry that names a DN gatehouse cannot vouch for is read before refint rewrote it,
 * and then settled under one contextCSN (two reads the same) so that liveStamp vouches for the stale value:
 * a DN outside the read scopes that changes hands before its first lookup (no entry then, or an entry
 * given the DN by its parent's rename, whose entryCSN stays old), a DN with no entry at two lookups that
 * an entry held for a while between them, an entry in scope deleted, and an outside entry moved into
 * scope just before a full read. refint is kept busy
 * (ldap-refint-setup.ts) so that the reads right after the batch see the groups before refint rewrote
 * them; once refint is done, a read that liveStamp vouches for must equal a fresh full read.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BASE_DN, startSlapd, type Slapd } from "../harness/slapd.ts";
import { group, person, uid, PEOPLE } from "./ldap-ldif.ts";
import {
  behindBusyRefint,
  cacheRuns,
  groupNames,
  REFINT_LAG,
  REFINT_LDIF,
  shape,
} from "./ldap-refint-setup.ts";
const SERVICES = `ou=services,${BASE_DN}`;
const STAGING = `ou=staging,${BASE_DN}`;
const SVC = uid("svc", SERVICES);
const TEAMS = ["ops", "infra", "sre"];
/** A DN no entry holds (loaded so, without refint), which one group names. */
const GHOST = uid("ghost", SERVICES);
/** An entryCSN long past: an entry written so is never "recent" (refintSince). */
const OLD_CSN = "20200101000000.000000Z#000000#000#000000";

/**
 * Every entry a group names, and the groups, written long ago (as in a directory in use): a full read then
 * counts none of them as recently written (`namingChangedHands`).
 */
const old = (ldif: string): string => ldif.replace(/\n$/, `\nentryCSN: ${OLD_CSN}\n`);
const LDIF = [
  REFINT_LDIF.replace(person("ada"), old(person("ada"))).replace(person("ben"), old(person("ben"))),
  old(`dn: ${SERVICES}\nobjectClass: organizationalUnit\nou: services\n`),
  old(person("svc", {}, SERVICES)),
  // Another uid=svc, written long ago, under an OU that the batch below renames to ou=services.
  `dn: ${STAGING}\nobjectClass: organizationalUnit\nou: staging\nentryCSN: ${OLD_CSN}\n`,
  person("svc", { entryCSN: OLD_CSN, title: "staging" }, STAGING),
  ...TEAMS.map((t) => old(group(t, [uid("ada"), SVC]))),
  old(group("audit", [uid("ada"), GHOST])),
  old(group("crew", [uid("ada"), uid("ben")])),
].join("\n");

let clock = Date.now();

async function stillNamed(server: Slapd, dn: string): Promise<boolean> {
  for (const t of [...TEAMS, "audit", "crew"]) if (await groupNames(server, t, dn)) return true;
  return false;
}

describe(
  "ldap read cache: outside DNs that change hands before their first lookup",
  { tags: ["slow"] },
  () => {
    let server: Slapd;
    let cwd: string;
    const { read, stampNow, freshRead, checkedRead } = cacheRuns(
      () => ({ server, cwd }),
      () => clock,
    );

    async function settle(): Promise<void> {
      await read();
      for (let i = 0; i < 5 && (await stampNow()) === undefined; i++) {
        clock += REFINT_LAG + 1_000;
        await read();
      }
      expect(await stampNow()).toBeDefined();
    }

    beforeEach(async () => {
      clock = Date.now() + REFINT_LAG + 60_000;
      server = await startSlapd({ ldif: LDIF, syncprov: true });
      cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-ldap-outside-holes-"));
    });
    afterEach(async () => {
      await rm(cwd, { recursive: true, force: true });
      await server.stop();
    });

    /**
     * A full read settled (svc's DN never looked up), `before`, `batch` behind refint's long job, then
     * `reads` (each a listing read after a change of ada's title, or a read under the unchanged contextCSN),
     * all before refint's rewrite of `gone`; then, once refint is done, cached reads checked against fresh
     * ones.
     */
    async function run(
      batch: string,
      reads: readonly ("listing" | "same")[],
      gone = SVC,
      before?: () => Promise<void>,
    ): Promise<void> {
      await read();
      await settle();
      await before?.();
      await behindBusyRefint(server, batch);
      let k = 0;
      for (const kind of reads) {
        if (kind === "listing" && k > 0)
          await server.ldapmodify(
            `dn: ${uid("ada")}\nchangetype: modify\nreplace: title\ntitle: T${String(k)}\n`,
          );
        k++;
        clock += 1_000;
        await checkedRead();
      }
      // The reads above came before refint's rewrite (else the scenario did not happen).
      expect(await stillNamed(server, gone)).toBe(true);
      for (let i = 0; i < 300 && (await stillNamed(server, gone)); i++) await sleep(100);
      expect(await stillNamed(server, gone)).toBe(false);
      clock += 1_000;
      await checkedRead();
      clock += 1_000;
      await checkedRead();
      await settle();
      const fresh = await freshRead();
      expect(shape(await read())).toEqual(shape(fresh));
    }

    it("svc moved into the people OU just before its DN was first looked up (no entry at the first lookup), then a read under the same contextCSN", async () => {
      const batch = `dn: ${SVC}\nchangetype: modrdn\nnewrdn: uid=svc\ndeleteoldrdn: 1\nnewsuperior: ${PEOPLE}\n`;
      await run(batch, ["listing", "same"]);
    }, 240_000);

    it("ou=services renamed away and ou=staging (an older uid=svc) renamed to ou=services before the first lookup: the new holder's entryCSN is old", async () => {
      const batch =
        `dn: ${SERVICES}\nchangetype: modrdn\nnewrdn: ou=oldservices\ndeleteoldrdn: 1\n\n` +
        `dn: ${STAGING}\nchangetype: modrdn\nnewrdn: ou=services\ndeleteoldrdn: 1\n`;
      await run(batch, ["listing", "listing", "same"]);
    }, 240_000);

    it("a DN with no entry at two lookups, where an entry is added and renamed away between them", async () => {
      // Two lookups (no entry at either), a refint lag apart, and reads until settled. (Reads under one
      // contextCSN settle only when every entry read again is in the same phase: see the report.)
      const firstLookup = async (): Promise<void> => {
        for (const title of ["first", "second"]) {
          await server.ldapmodify(`dn: ${uid("ada")}\nchangetype: modify\nreplace: title\ntitle: ${title}\n`);
          clock += REFINT_LAG + 1_000;
          await read();
        }
        await settle();
      };
      const batch =
        `dn: ${GHOST}\nchangetype: add\nobjectClass: inetOrgPerson\nuid: ghost\ncn: ghost\nsn: ghost\n\n` +
        `dn: ${GHOST}\nchangetype: modrdn\nnewrdn: uid=ghost2\ndeleteoldrdn: 1\n`;
      await run(batch, ["listing", "same"], GHOST, firstLookup);
    }, 240_000);

    it("(not about outside DNs) ben, in scope, deleted: a read after the listing read, under the same contextCSN", async () => {
      await run(`dn: ${uid("ben")}\nchangetype: delete\n`, ["listing", "same"], uid("ben"));
    }, 240_000);

    // A full read flagged only the entries naming a DN written within refint's lag (namingChangedHands);
    // the groups name svc's old DN, which has no entry, so reads under the same contextCSN settled them
    // before refint's rewrite.
    it("svc moved into the people OU just before a full read: reads after it, under the same contextCSN", async () => {
      const batch = `dn: ${SVC}\nchangetype: modrdn\nnewrdn: uid=svc\ndeleteoldrdn: 1\nnewsuperior: ${PEOPLE}\n`;
      await behindBusyRefint(server, batch);
      await checkedRead();
      clock += 1_000;
      await checkedRead();
      clock += 1_000;
      await checkedRead();
      expect(await stillNamed(server, SVC)).toBe(true);
      for (let i = 0; i < 300 && (await stillNamed(server, SVC)); i++) await sleep(100);
      expect(await stillNamed(server, SVC)).toBe(false);
      clock += 1_000;
      await checkedRead();
      await settle();
      expect(shape(await read())).toEqual(shape(await freshRead()));
    }, 240_000);
  },
);
