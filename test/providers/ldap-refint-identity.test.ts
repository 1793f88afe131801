/**
 * Which entry holds a DN, as the read cache tells it, against slapd with refint:
 * - two entries whose DNs normalizeDn mapped to one key (a multi-valued RDN `cn=x+uid=y` and a single-valued
 *   one whose cn is "x+uid=y"; or two DNs that differ only in the case of a naming attribute matched
 *   case-exactly, such as homeDirectory): the lookup by entryDN found the other entry, so a group naming
 *   the first kept naming it after it was deleted and refint took the value out;
 * - a quiet directory that never settles: two groups read again under one contextCSN, one of them
 *   rewritten by refint between two of those reads, alternate between unsettled and settled for ever, so
 *   liveStamp never vouches (the "phase lock");
 * - an entry deleted and restored with its entryUUID (ldapadd with the Relax Rules control, as a restore
 *   from slapcat's LDIF does): refint took it out of the group, but the same entryUUID at its DN vouched
 *   for the group's old value, in scope and outside.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { ADMIN_DN, BASE_DN, rawValues, startSlapd, type Slapd } from "../harness/slapd.ts";
import { group, person, uid } from "./ldap-ldif.ts";
import {
  behindBusyRefint,
  cacheRuns,
  groupNames,
  REFINT_LAG,
  REFINT_LDIF,
  shape,
  waitUntilTakenOut,
} from "./ldap-refint-setup.ts";
const SERVICES = `ou=services,${BASE_DN}`;
const SVC = uid("svc", SERVICES);
/** A multi-valued RDN, and an entry whose single cn value spells the same characters. */
const MULTI = `cn=x+uid=y,${SERVICES}`;
const SINGLE = `cn=x\\+uid\\=y,${SERVICES}`;
/** A DN outside the base DN (never looked up), which one group names. */
const EXT = "uid=ext,dc=elsewhere,dc=org";
const UUID = "11111111-2222-3333-4444-555555555555";
/** When svc was created, long ago (so that a restore in the same second cannot look the same). */
const CREATED = "20200101000000Z";

let clock = Date.now();

describe("ldap read cache: which entry holds a DN", { tags: ["slow"] }, () => {
  let server: Slapd;
  let cwd: string;
  const {
    read,
    freshRead,
    readsToSettle: settled,
  } = cacheRuns(
    () => ({ server, cwd }),
    () => clock,
  );

  /** Reads a refint lag apart until liveStamp vouches; how many it took (undefined: never, in 8). */
  const readsToSettle = (): Promise<number | undefined> =>
    settled(() => {
      clock += REFINT_LAG + 1_000;
    });

  async function start(ldif: string): Promise<void> {
    clock = Date.now() + REFINT_LAG + 60_000;
    server = await startSlapd({ ldif, syncprov: true });
    cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-ldap-identity-"));
  }
  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
    await server.stop();
  });

  const retitle = (title: string): Promise<void> =>
    server.ldapmodify(`dn: ${uid("ada")}\nchangetype: modify\nreplace: title\ntitle: ${title}\n`);

  /**
   * The read cache settled, then two listing reads a lag apart (two lookups of `dn`, which agree: trusted
   * when outside the read scopes); then `dn`'s entry is deleted and refint takes it out of the group
   * `team` (no stamp of the group changes).
   */
  async function trustedThenDeleted(dn: string, exact = false): Promise<void> {
    await read();
    expect(await readsToSettle()).toBeDefined();
    for (const title of ["first", "second"]) {
      await retitle(title);
      clock += REFINT_LAG + 1_000;
      await read();
    }
    expect(await readsToSettle()).toBeDefined();
    await server.ldapmodify(`dn: ${dn}\nchangetype: delete\n`);
    await waitUntilTakenOut(server, "team", dn, exact);
  }

  /** `ldif` loaded, then trustedThenDeleted: the cached read after must equal a fresh one once liveStamp vouches. */
  async function deletedAfterTrusted(ldif: string, dn: string, exact = false): Promise<void> {
    await start(ldif);
    await trustedThenDeleted(dn, exact);
    clock += REFINT_LAG + 1_000;
    const cached = await read();
    expect(await readsToSettle()).toBeDefined();
    expect(shape(cached)).toEqual(shape(await freshRead()));
    expect(shape(await read())).toEqual(shape(await freshRead()));
  }

  it("a group naming a multi-valued RDN whose single-valued twin (same characters) lives beside it: the twin does not vouch for it", async () => {
    const ldif = [
      person("ada"),
      `dn: ${SERVICES}\nobjectClass: organizationalUnit\nou: services\n`,
      `dn: ${MULTI}\nobjectClass: inetOrgPerson\ncn: x\nuid: y\nsn: multi\n`,
      `dn: ${SINGLE}\nobjectClass: organizationalRole\ncn: x+uid=y\n`,
      group("team", [uid("ada"), MULTI]),
    ];
    await deletedAfterTrusted(ldif.join("\n"), MULTI);
  }, 240_000);

  it("a group naming an entry whose twin differs only in the case of a naming attribute matched case-exactly (homeDirectory): the twin does not vouch for it", async () => {
    const account = (home: string, name: string): string =>
      `dn: homeDirectory=${home},${SERVICES}\nobjectClass: account\nobjectClass: posixAccount\nuid: ${name}\ncn: ${name}\nuidNumber: 1001\ngidNumber: 1001\nhomeDirectory: ${home}\n`;
    const upper = `homeDirectory=/home/Svc,${SERVICES}`;
    const ldif = [
      person("ada"),
      `dn: ${SERVICES}\nobjectClass: organizationalUnit\nou: services\n`,
      account("/home/Svc", "svc1"),
      account("/home/svc", "svc2"),
      group("team", [uid("ada"), upper]),
    ];
    await deletedAfterTrusted(ldif.join("\n"), upper, true);
  }, 240_000);

  it("a quiet directory settles: a group refint rewrites between two reads under one contextCSN, and another that never changes", async () => {
    await start(
      [
        REFINT_LDIF,
        `dn: ${SERVICES}\nobjectClass: organizationalUnit\nou: services\n`,
        person("svc", {}, SERVICES),
        group("ops", [uid("ada"), SVC]),
        group("audit", [uid("ada"), EXT]),
      ].join("\n"),
    );
    await read();
    expect(await readsToSettle()).toBeDefined();
    // svc renamed behind refint's long job: a listing read, then a read under the same contextCSN, both
    // before refint rewrote ops.
    await behindBusyRefint(server, `dn: ${SVC}\nchangetype: modrdn\nnewrdn: uid=svc2\ndeleteoldrdn: 1\n`);
    clock += 1_000;
    await read();
    clock += 1_000;
    await read();
    expect(await groupNames(server, "ops", SVC)).toBe(true);
    await waitUntilTakenOut(server, "ops", SVC);
    // No write from here on: reads a lag apart must reach a state liveStamp vouches for.
    expect(await readsToSettle()).toBeDefined();
    expect(shape(await read())).toEqual(shape(await freshRead()));
  }, 240_000);

  for (const where of ["outside the read scopes", "in scope"] as const)
    it(`an entry ${where} deleted (refint takes it out of a group) and restored with its entryUUID`, async () => {
      const ou = where === "in scope" ? undefined : SERVICES;
      const dn = uid("svc", ou);
      await start(
        [
          person("ada"),
          `dn: ${SERVICES}\nobjectClass: organizationalUnit\nou: services\n`,
          person("svc", { entryUUID: UUID, createTimestamp: CREATED }, ou),
          group("team", [uid("ada"), dn]),
        ].join("\n"),
      );
      await trustedThenDeleted(dn);
      const file = path.join(cwd, "restore.ldif");
      const pw = path.join(cwd, "admin.pw");
      await writeFile(file, person("svc", { entryUUID: UUID }, ou));
      await writeFile(pw, server.password, { mode: 0o600 });
      const args = ["-x", "-H", server.url, "-D", ADMIN_DN, "-y", pw, "-e", "relax", "-a", "-f", file];
      await promisify(execFile)("ldapmodify", args);
      expect(await rawValues(server, dn, "entryUUID")).toEqual([UUID]);
      clock += REFINT_LAG + 1_000;
      const cached = await read();
      expect(await readsToSettle()).toBeDefined();
      expect(shape(cached)).toEqual(shape(await freshRead()));
    }, 240_000);
});
