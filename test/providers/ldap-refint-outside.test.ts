/**
 * The identities of DNs outside the read scopes (Snapshot.outsideIds): a listing read trusts such a DN,
 * and leaves the groups naming it alone, only when the same non-null entry held it at two lookups. Here the
 * outside entry (svc, in ou=services, a member of three groups) is renamed, moved into the people OU,
 * deleted, or deleted and added again, while refint is kept busy (ldap-refint-setup.ts) so that the reads
 * right after see the groups before refint rewrote them. Once refint is done and reads have settled, the
 * cached read equals a fresh full read, and liveStamp never vouches for a state a fresh read differs from.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LiveState } from "../../src/model/state.ts";
import { BASE_DN, startSlapd, type Slapd } from "../harness/slapd.ts";
import { asAdd, group, person, uid, PEOPLE } from "./ldap-ldif.ts";
import {
  behindBusyRefint,
  cacheRuns,
  groupNames,
  REFINT_LAG,
  REFINT_LDIF,
  shape,
} from "./ldap-refint-setup.ts";
const SERVICES = `ou=services,${BASE_DN}`;
const SVC = uid("svc", SERVICES);
const TEAMS = ["ops", "infra", "sre"];

const LDIF = [
  REFINT_LDIF,
  `dn: ${SERVICES}\nobjectClass: organizationalUnit\nou: services\n`,
  person("svc", {}, SERVICES),
  ...TEAMS.map((t) => group(t, [uid("ada"), SVC])),
].join("\n");

let clock = Date.now();

/** Whether any team still names `dn` (refint has not rewritten it yet). */
async function stillNamed(server: Slapd, dn: string): Promise<boolean> {
  for (const t of TEAMS) if (await groupNames(server, t, dn)) return true;
  return false;
}

describe("ldap read cache: DNs outside the read scopes, trusted by identity", { tags: ["slow"] }, () => {
  let server: Slapd;
  let cwd: string;
  const { read, stampNow, freshRead, checkedRead } = cacheRuns(
    () => ({ server, cwd }),
    () => clock,
  );

  /** An unrelated change (ada's title) and a read an hour later; then one more under the same contextCSN. */
  async function unrelatedChange(k: number): Promise<void> {
    await server.ldapmodify(`dn: ${uid("ada")}\nchangetype: modify\nreplace: title\ntitle: T${String(k)}\n`);
    clock += 3_600_000;
    await checkedRead();
    clock += 3_600_000;
    await checkedRead();
  }

  /** Reads a refint lag apart until liveStamp vouches; returns the cached read then. */
  async function settle(): Promise<LiveState> {
    let live = await checkedRead();
    for (let i = 0; i < 5 && (await stampNow()) === undefined; i++) {
      clock += REFINT_LAG + 1_000;
      live = await checkedRead();
    }
    expect(await stampNow()).toBeDefined();
    return live;
  }

  /**
   * The directory read, svc's identity recorded and then trusted (a full read, then listing reads after
   * unrelated changes). `batch` then runs behind a long job for refint, two reads follow at once (both
   * before refint's rewrite), then refint finishes (`gone` no longer named), and reads settle: the cached
   * read must equal a fresh one.
   */
  async function scenario(
    batch: string,
    gone: string,
  ): Promise<{ first: LiveState; cached: LiveState; fresh: LiveState }> {
    await read();
    for (let k = 0; k < 3; k++) await unrelatedChange(k);
    const t0 = performance.now();
    await behindBusyRefint(server, batch);
    const first = await checkedRead();
    clock += 1_000;
    await checkedRead();

    const readAt = performance.now() - t0;
    for (let i = 0; i < 300 && (await stillNamed(server, gone)); i++) await sleep(100);
    expect(await stillNamed(server, gone)).toBe(false);
    // The reads above came before refint's rewrite (else the scenario did not happen).
    expect(readAt).toBeLessThan(performance.now() - t0);
    const fresh = await freshRead();
    clock += 1_000;
    await checkedRead();
    const cached = await settle();
    expect(shape(cached)).toEqual(shape(fresh));
    // And after something else changes, listing reads (which look svc's DN up again) stay right.
    await unrelatedChange(10);
    await unrelatedChange(11);
    expect(shape(await settle())).toEqual(shape(await freshRead()));
    return { first, cached, fresh };
  }

  beforeEach(async () => {
    clock = Date.now() + REFINT_LAG + 60_000;
    server = await startSlapd({ ldif: LDIF, syncprov: true });
    cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-ldap-outside-"));
  });
  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
    await server.stop();
  });

  const members = (live: LiveState, team: string): readonly string[] =>
    [...(live.groups.find((g) => g.name === team)?.members ?? [])].sort();

  it("svc renamed within ou=services", async () => {
    const batch = `dn: ${SVC}\nchangetype: modrdn\nnewrdn: uid=svc2\ndeleteoldrdn: 1\n`;
    const { fresh } = await scenario(batch, SVC);
    expect(members(fresh, "ops")).toEqual(["ada"]);
  }, 240_000);

  it("svc moved into the people OU (its old DN has no entry at any later lookup: never trusted)", async () => {
    const batch = `dn: ${SVC}\nchangetype: modrdn\nnewrdn: uid=svc\ndeleteoldrdn: 1\nnewsuperior: ${PEOPLE}\n`;
    const { first, fresh } = await scenario(batch, SVC);
    // The read right after saw the group before refint's rewrite (svc not yet a member under its new DN).
    expect(members(first, "ops")).toEqual(["ada"]);
    expect(members(fresh, "ops")).toEqual(["ada", "svc"]);
  }, 240_000);

  it("svc deleted", async () => {
    const { fresh } = await scenario(`dn: ${SVC}\nchangetype: delete\n`, SVC);
    expect(members(fresh, "ops")).toEqual(["ada"]);
  }, 240_000);

  it("svc deleted and added again under the same DN (another identity: changed hands)", async () => {
    const batch = `dn: ${SVC}\nchangetype: delete\n\n${asAdd(person("svc", {}, SERVICES))}`;
    // refint removes the values naming the deleted entry; the new one is in no group.
    const { fresh } = await scenario(batch, SVC);
    expect(members(fresh, "ops")).toEqual(["ada"]);
  }, 240_000);

  /**
   * `batch` behind refint's long job before svc's DN was ever looked up (a full read settled under an
   * unchanged contextCSN, no listing read yet); then two listing reads (an unrelated change between them)
   * both before refint's rewrite, which look svc's DN up for the first and second time. Once refint is
   * done, listing reads must find what it rewrote.
   */
  async function beforeFirstLookup(batch: string, inOps: readonly string[]): Promise<void> {
    await read();
    await settle();
    await behindBusyRefint(server, batch);
    await server.ldapmodify(`dn: ${uid("ada")}\nchangetype: modify\nreplace: title\ntitle: X\n`);
    const first = await checkedRead();
    await server.ldapmodify(`dn: ${uid("ada")}\nchangetype: modify\nreplace: title\ntitle: Y\n`);
    clock += 1_000;
    await checkedRead();
    const stale = (await stillNamed(server, SVC)) ? members(first, "ops") : undefined;
    for (let i = 0; i < 300 && (await stillNamed(server, SVC)); i++) await sleep(100);
    expect(await stillNamed(server, SVC)).toBe(false);
    // The reads above came before refint's rewrite (else the scenario did not happen).
    expect(stale).toEqual(["ada"]);
    for (let k = 0; k < 3; k++) await unrelatedChange(20 + k);
    const fresh = await freshRead();
    expect(members(fresh, "ops")).toEqual(inOps);
    expect(shape(await settle())).toEqual(shape(fresh));
  }

  it("svc moved into the people OU before its old DN was ever looked up: no entry at two lookups is never trusted", async () => {
    const batch = `dn: ${SVC}\nchangetype: modrdn\nnewrdn: uid=svc\ndeleteoldrdn: 1\nnewsuperior: ${PEOPLE}\n`;
    await beforeFirstLookup(batch, ["ada", "svc"]);
  }, 240_000);

  it("svc deleted and added again just before its DN was first looked up: a first lookup vouches for nothing, so the groups wait refint's lag", async () => {
    const batch = `dn: ${SVC}\nchangetype: delete\n\n${asAdd(person("svc", {}, SERVICES))}`;
    await beforeFirstLookup(batch, ["ada"]);
  }, 240_000);
});
