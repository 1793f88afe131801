/**
 * The read cache's refint rules where the reader itself takes another path: an incremental read that
 * falls back to a full read, and one that reads a scope whole instead of by DN. In both, an entry read
 * before refint's rewrite (ldap-refint-setup.ts) must not end up settled with the stale value, which the
 * settled stamp (and so the plan memo) would then vouch for.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ProviderError } from "../../src/errors.ts";
import { LdapClient, type SearchRequest } from "../../src/providers/ldap/client.ts";
import { LdapReader, type SnapshotStore } from "../../src/providers/ldap/incremental.ts";
import type { LdapEntry } from "../../src/providers/ldap/map.ts";
import { valuesOf } from "../../src/providers/ldap/map.ts";
import { parseLdapSettings } from "../../src/providers/ldap/settings.ts";
import { settledStampOf } from "../../src/providers/ldap/snapshot-cache.ts";
import type { Snapshot } from "../../src/providers/ldap/snapshot.ts";
import { ldapConfig, startSlapd, type Slapd } from "../harness/slapd.ts";
import { PEOPLE, uid } from "./ldap-ldif.ts";
import {
  behindBusyRefint,
  benStillNames,
  REFINT_LAG,
  REFINT_LDIF,
  waitForRefint,
} from "./ldap-refint-setup.ts";

const signal = (): AbortSignal => AbortSignal.timeout(60_000);
const ADA = uid("ada").toLowerCase();
/** The instant the reader reads at: moved on by refint's lag between the reads that settle. */
let clock = Date.now();

/** A client whose by-DN reads can fail on demand, and that can run a hook before reading the people OU whole. */
class StagedClient extends LdapClient {
  failByDn = false;
  beforePeopleRead: (() => Promise<void>) | undefined;
  override async search(request: SearchRequest, s: AbortSignal): Promise<LdapEntry[]> {
    if (this.failByDn && String(request.filter).toLowerCase().includes("entrydn"))
      throw new ProviderError("ldap", "search", "connection reset", { isTransient: true });
    const hook = this.beforePeopleRead;
    if (hook && request.base === PEOPLE && request.attributes.includes("manager")) {
      this.beforePeopleRead = undefined;
      await hook();
    }
    return super.search(request, s);
  }
}

describe("ldap read cache: refint rewrites and the reader's other paths", { tags: ["slow"] }, () => {
  let server: Slapd;
  let client: StagedClient;
  let reader: LdapReader;
  let stored: Snapshot | undefined;
  const log: string[] = [];

  function open(settings: Readonly<Record<string, unknown>>): void {
    const parsed = parseLdapSettings(ldapConfig(server, settings), "/repo");
    client = new StagedClient({
      provider: "ldap",
      url: server.url,
      startTls: false,
      bindDn: server.bindDn,
      password: server.password,
      passwordEnv: "PW",
      timeoutMs: 30_000,
      pageSize: parsed.pageSize,
      rangeSize: parsed.rangeSize,
    });
    const store: SnapshotStore = {
      load: () => Promise.resolve(stored),
      save: (s) => {
        stored = s;
        return Promise.resolve();
      },
      clear: () => {
        stored = undefined;
        return Promise.resolve();
      },
    };
    reader = new LdapReader({
      name: "ldap",
      settings: parsed,
      client,
      log: (line) => log.push(line),
      now: () => new Date(clock),
      clock: () => clock,
      store,
    });
  }

  const isSettled = (): boolean => stored !== undefined && settledStampOf(stored) !== undefined;

  async function managerOfBen(): Promise<string[]> {
    const { users } = await reader.read(signal());
    const ben = users.find((u) => u.dn.toLowerCase() === uid("ben").toLowerCase());
    return ben ? valuesOf(ben, "manager").map((v) => v.toLowerCase()) : [];
  }

  /**
   * After refint caught up: no read under a settled snapshot gives the stale value, and it does settle
   * (the reads refint's lag apart).
   */
  async function settlesWithoutAda(): Promise<void> {
    await waitForRefint(server, uid("ada"));
    for (let i = 0; i < 3; i++) {
      clock += REFINT_LAG;
      const manager = await managerOfBen();
      if (isSettled()) expect(manager).not.toContain(ADA);
    }
    expect(await managerOfBen()).not.toContain(ADA);
    expect(isSettled()).toBe(true);
  }

  beforeEach(async () => {
    clock = Date.now();
    server = await startSlapd({ ldif: REFINT_LDIF, syncprov: true });
    stored = undefined;
    log.length = 0;
  });
  afterEach(async () => {
    await client.close();
    await server.stop();
  });

  it("a full read after a failed incremental read keeps the unsettled entries of the snapshot before it", async () => {
    open({ readCache: true, pageSize: 1 });
    await reader.read(signal());
    await reader.read(signal());
    expect(isSettled()).toBe(true);

    await behindBusyRefint(server);
    // Incremental: ben read before refint's rewrite, kept unsettled (ada changed hands).
    expect(await managerOfBen()).toEqual([ADA]);
    expect(stored?.unsettled?.has(uid("ben").toLowerCase())).toBe(true);
    // The next incremental read fails (a transient error reading ben again): a full read instead. It
    // compares with a snapshot that already holds the new ada, so only the carried-over mark keeps ben.
    client.failByDn = true;
    expect(await managerOfBen()).toEqual([ADA]);
    client.failByDn = false;
    expect(log.some((l) => l.includes("reading everything"))).toBe(true);
    await settlesWithoutAda();
  }, 180_000);

  it("a scope read whole takes only the entries it was to read again, not a DN's new holder", async () => {
    // pageSize 500 (the default): two people are one page, so one changed entry reads the scope whole.
    open({ readCache: true });
    await reader.read(signal());
    await reader.read(signal());
    await reader.read(signal());
    expect(isSettled()).toBe(true);

    // ben's title changes: the next read lists, and reads the people OU whole. Between the listing and that
    // read, ben's manager is set to a re-created ada while refint is busy.
    await server.ldapmodify(`dn: ${uid("ben")}\nchangetype: modify\nreplace: title\ntitle: Eng\n-\n`);
    client.beforePeopleRead = () => behindBusyRefint(server);
    expect(await managerOfBen()).toEqual([ADA]);
    expect(client.beforePeopleRead).toBeUndefined();
    expect(await benStillNames(server, uid("ada"))).toBe(true); // the read came before refint's rewrite
    await settlesWithoutAda();
  }, 180_000);
});
