/**
 * OpenLDAP's refint overlay rewrites references after its operation returned, through one queue, and changes
 * no stamp (entryCSN, modifyTimestamp, contextCSN) when it does. An incremental read that fetches an entry
 * (new or changed) naming a DN whose entry was just deleted and added again must read that entry again until
 * a read refint's lag later reads it the same as the read before: refint's later rewrite is otherwise never
 * seen, the read cache settles with the stale value, and the plan memo's stamp vouches for it. The
 * providers share a clock the tests move on; the directory's own writes are stamped with real time.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LiveState } from "../../src/model/state.ts";
import { startSlapd, type Slapd } from "../harness/slapd.ts";
import { asAdd, person, uid } from "./ldap-ldif.ts";
import {
  behindBusyRefint,
  cacheRuns,
  reCreatedManager,
  REFINT_LAG,
  REFINT_LDIF,
  waitForRefint,
} from "./ldap-refint-setup.ts";

const signal = (): AbortSignal => AbortSignal.timeout(60_000);
/** The instant every provider of a test reads at (see REFINT_LAG). */
let clock = Date.now();
/**
 * How long before its read a provider's plan instant (ProviderContext.now) was taken: gatehouse takes it
 * once, when the process starts, and `apply` then waits up to 10 minutes for another apply's lock before
 * it reads. The host clock at the read is `clock`.
 */
let planInstantBehind = 0;
const managerOf = (live: LiveState, account: string): unknown =>
  live.users.find((u) => u.account === account)?.manager;

/**
 * One batch: refint gets a long job (busy is in every big group), then `batch` (by default ben's manager
 * set to ada, whose entry is deleted and added again). refint's rewrite for the delete (ben's manager value
 * naming `gone` goes) waits behind the long job. `readRightAfter` runs at once; then this waits for refint
 * and checks that the read came before its rewrite (else the scenario did not happen).
 */
async function raceRefint<T>(
  server: Slapd,
  readRightAfter: () => Promise<T>,
  batch = reCreatedManager("ada"),
  gone = uid("ada"),
): Promise<T> {
  const t0 = performance.now();
  await behindBusyRefint(server, batch);
  const result = await readRightAfter();
  const readAt = performance.now() - t0;
  await waitForRefint(server, gone);
  expect(readAt).toBeLessThan(performance.now() - t0);
  return result;
}

describe("ldap read cache: refint rewrites after the read", { tags: ["slow"] }, () => {
  let server: Slapd;
  let cwd: string;
  // pageSize 1: reading ada again by DN is cheaper than the whole people scope (as at any real size).
  const { withProvider, read, stampNow, freshRead } = cacheRuns(
    () => ({ server, cwd }),
    () => clock,
    () => clock - planInstantBehind,
  );

  /**
   * Plans with nothing changed, each refint's lag after the one before, until the read cache is settled
   * and liveStamp gives a stamp.
   */
  async function settle(): Promise<string | undefined> {
    let stamp: string | undefined;
    for (let i = 0; i < 4 && stamp === undefined; i++) {
      clock += REFINT_LAG;
      await read();
      stamp = await stampNow();
    }
    return stamp;
  }

  /**
   * `first` was read before refint's rewrite (ben's manager is ada); once reads with nothing changed have
   * settled the read cache, the stamp vouches for the state the read returns, as a fresh read gives it
   * (ben has no manager). Returns the fresh read.
   */
  async function settlesAsRead(first: LiveState, manager = "ada"): Promise<LiveState> {
    expect(managerOf(first, "ben")).toBe(manager);
    const fresh = await freshRead();
    expect(managerOf(fresh, "ben")).toBeUndefined();
    const stamp = await settle();
    expect(stamp).toBeDefined();
    const cached = await read();
    expect(await stampNow()).toBe(stamp);
    expect(managerOf(cached, "ben")).toEqual(managerOf(fresh, "ben"));
    return fresh;
  }

  beforeEach(async () => {
    clock = Date.now();
    planInstantBehind = 0;
    server = await startSlapd({ ldif: REFINT_LDIF, syncprov: true });
    cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-ldap-refint-race-"));
  });
  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
    await server.stop();
  });

  it("an entry fetched as changed naming a DN deleted and added again is read until refint has rewritten it", async () => {
    expect(await settle()).toBeDefined(); // a full read, then one that settles

    // The plan right after: lists, reads ben and ada again.
    const fresh = await settlesAsRead(await raceRefint(server, read));
    // Also after something else changes (contextCSN moves) and the listing compares identities again.
    await server.ldapmodify(`dn: ${uid("ada")}\nchangetype: modify\nreplace: title\ntitle: CTO\n-\n`);
    await read();
    await read();
    expect(managerOf(await read(), "ben")).toEqual(managerOf(fresh, "ben"));
  }, 180_000);

  it("two reads inside refint's lag do not settle an entry naming a DN that changed hands", async () => {
    expect(await settle()).toBeDefined();
    // Both reads land before refint's rewrite, a second apart: the same stale entry twice proves nothing.
    const [first, second] = await raceRefint(server, async () => {
      const one = await read();
      clock += 1_000;
      return [one, await read()] as const;
    });
    expect(managerOf(second, "ben")).toBe("ada");
    expect(await stampNow()).toBeUndefined();
    // Nor does a third read, still inside the lag, now that refint is done: it reads ben anew.
    clock += 60_000;
    expect(managerOf(await read(), "ben")).toBeUndefined();
    expect(await stampNow()).toBeUndefined();
    await settlesAsRead(first);
  }, 180_000);

  it("a read whose plan instant was taken 10 minutes before it (apply waiting for the lock) still waits refint's lag from the read", async () => {
    expect(await settle()).toBeDefined();
    const [first, second] = await raceRefint(server, async () => {
      // An apply that started 10 minutes ago and waited for another apply's lock reads right after the write.
      planInstantBehind = 10 * 60_000;
      const one = await read();
      planInstantBehind = 0;
      // A plan 5 minutes after that read (and the write), refint still busy: inside refint's lag.
      clock += 5 * 60_000 + 1_000;
      return [one, await read()] as const;
    });
    expect(managerOf(second, "ben")).toBe("ada");
    expect(await stampNow()).toBeUndefined();
    await settlesAsRead(first);
  }, 180_000);

  it("without readCache, a second read in the same process does not keep a value read inside refint's lag", async () => {
    // One provider, two reads (schema: refintLagSeconds applies "with readCache or several reads in one
    // run"). The first is a full read right after ada was deleted and added again; the second comes after
    // refint is done and refint's lag has passed.
    await withProvider({ pageSize: 1 }, async (p) => {
      const first = await raceRefint(server, () => p.read(signal()));
      expect(managerOf(first, "ben")).toBe("ada");
      clock += REFINT_LAG + 1_000;
      expect(managerOf(await p.read(signal()), "ben")).toBeUndefined();
    });
  }, 180_000);

  it("an entry naming a DN new since the snapshot, deleted and added again before the read, is read until refint is done", async () => {
    expect(await settle()).toBeDefined();
    // carl is new since the snapshot: created, named as ben's manager, deleted and created again. The
    // snapshot cannot tell that from one creation, so a DN new since it counts as having changed hands.
    const batch = `${asAdd(person("carl"))}\n${reCreatedManager("carl")}`;
    await settlesAsRead(await raceRefint(server, read, batch, uid("carl")), "carl");
  }, 180_000);

  it("a full read right after a DN was deleted and added again reads the entries naming it until refint is done", async () => {
    // No read cache yet: the first read is a full read, with nothing earlier to compare identities with.
    await settlesAsRead(await raceRefint(server, read));
  }, 180_000);
});
