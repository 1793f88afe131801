/**
 * (Second review, continued.) Two entries whose DNs differ only in the case of a case-exact naming
 * attribute (homeDirectory, caseExactIA5Match): normalizeDn lower-cases both to one key, the lookup by
 * entryDN finds the other one, and vouched for a group naming the first after it was deleted.
 *
 * Second review of the read cache's outside-DN rules, against slapd with refint:
 * - two entries whose DNs normalizeDn maps to one key (a multi-valued RDN `cn=x+uid=y` and a single-valued
 *   one whose cn is "x+uid=y"): the lookup by entryDN finds the other entry, so a group naming the first
 *   kept naming it after it was deleted and refint took the value out;
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
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import type { LiveState } from "../../src/model/state.ts";
import type { Provider } from "../../src/providers/types.ts";
import { ADMIN_DN, BASE_DN, ldapConfig, ldapContext, rawValues, startSlapd, type Slapd } from "../harness/slapd.ts";
import { cn, group, person, uid } from "./ldap-ldif.ts";
import { behindBusyRefint, REFINT_LAG, REFINT_LDIF } from "./ldap-refint-setup.ts";

const signal = (): AbortSignal => AbortSignal.timeout(60_000);
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

async function withProvider<T>(
  server: Slapd,
  cwd: string,
  settings: Readonly<Record<string, unknown>>,
  f: (p: Provider) => Promise<T>,
): Promise<T> {
  const context = { ...ldapContext(server.password), cwd, now: () => new Date(clock), clock: () => clock };
  const provider = createLdapProvider(ldapConfig(server, settings), context);
  try {
    return await f(provider);
  } finally {
    await provider.close();
  }
}

function shape(live: LiveState): unknown {
  const groups = live.groups.map((g) => ({ ...g, members: [...g.members].sort() }));
  return { users: live.users, groups, elsewhere: live.elsewhere ?? [], unmanaged: live.unmanaged ?? [] };
}

async function names(server: Slapd, name: string, dn: string): Promise<boolean> {
  return (await rawValues(server, cn(name), "member")).some((v) => v === dn);
}

describe("ldap read cache: case-exact twins", { tags: ["slow"] }, () => {
  let server: Slapd;
  let cwd: string;
  const settings = { readCache: true, pageSize: 1 };
  const read = (): Promise<LiveState> => withProvider(server, cwd, settings, (p) => p.read(signal()));
  const stampNow = (): Promise<string | undefined> =>
    withProvider(server, cwd, settings, async (p) => p.liveStamp?.(signal()));
  const freshRead = (): Promise<LiveState> => withProvider(server, cwd, {}, (p) => p.read(signal()));

  async function readsToSettle(max = 8): Promise<number | undefined> {
    for (let i = 0; i < max; i++) {
      if ((await stampNow()) !== undefined) return i;
      clock += REFINT_LAG + 1_000;
      await read();
    }
    return (await stampNow()) !== undefined ? max : undefined;
  }
  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
    await server.stop();
  });

  const account = (home: string, name: string): string =>
    `dn: homeDirectory=${home},${SERVICES}\nobjectClass: account\nobjectClass: posixAccount\nuid: ${name}\ncn: ${name}\nuidNumber: 1001\ngidNumber: 1001\nhomeDirectory: ${home}\n`;
  const UPPER = `homeDirectory=/home/Svc,${SERVICES}`;

  it("a group naming an entry whose case-exact twin lives beside it: the twin does not vouch for it", async () => {
    clock = Date.now() + REFINT_LAG + 60_000;
    server = await startSlapd({
      syncprov: true,
      ldif: [
        person("ada"),
        `dn: ${SERVICES}\nobjectClass: organizationalUnit\nou: services\n`,
        account("/home/Svc", "svc1"),
        account("/home/svc", "svc2"),
        group("team", [uid("ada"), UPPER]),
      ].join("\n"),
    });
    cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-ldap-case-exact-"));
    await read();
    expect(await readsToSettle()).toBeDefined();
    for (const title of ["first", "second"]) {
      await server.ldapmodify(`dn: ${uid("ada")}\nchangetype: modify\nreplace: title\ntitle: ${title}\n`);
      clock += REFINT_LAG + 1_000;
      await read();
    }
    expect(await readsToSettle()).toBeDefined();
    await server.ldapmodify(`dn: ${UPPER}\nchangetype: delete\n`);
    for (let i = 0; i < 100 && (await names(server, "team", UPPER)); i++) await sleep(100);
    expect(await names(server, "team", UPPER)).toBe(false);
    clock += REFINT_LAG + 1_000;
    const cached = await read();
    expect(await readsToSettle()).toBeDefined();
    expect(shape(cached)).toEqual(shape(await freshRead()));
  }, 240_000);
});
