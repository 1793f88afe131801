/**
 * Two entries whose DNs differ only in the case of a naming attribute matched case-exactly (homeDirectory,
 * caseExactIA5Match): normalizeDn lower-cases both to one key, and the outside lookup by that DN found the
 * other one, whose entryUUID vouched for a group naming the first after it was deleted (refint took the
 * value out; liveStamp vouched for the cached group still naming it).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import type { LiveState } from "../../src/model/state.ts";
import type { Provider } from "../../src/providers/types.ts";
import { BASE_DN, ldapConfig, ldapContext, rawValues, startSlapd, type Slapd } from "../harness/slapd.ts";
import { cn, group, person, uid } from "./ldap-ldif.ts";
import { REFINT_LAG } from "./ldap-refint-setup.ts";

const signal = (): AbortSignal => AbortSignal.timeout(60_000);
const SERVICES = `ou=services,${BASE_DN}`;

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
