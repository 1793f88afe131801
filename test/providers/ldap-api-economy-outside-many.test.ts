/**
 * More DNs outside the read scopes than one lookup search takes (200): 250 service accounts in
 * ou=services, each a member of its own group. The lookup takes two searches; a listing read then trusts
 * all 250 and reads none of the groups again, and a rename of one of them (the 201st, in the second
 * search) has exactly its group read again. Counted with stats().reads against a real slapd.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveState } from "../../src/model/state.ts";
import type { Provider } from "../../src/providers/types.ts";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import type { Slapd } from "../harness/slapd.ts";
import { BASE_DN, ldapConfig, ldapContext, startSlapd } from "../harness/slapd.ts";
import { group, person, uid } from "./ldap-ldif.ts";

const signal = (): AbortSignal => AbortSignal.timeout(60_000);

const USERS = 230;
const SERVICES = 250;
const PAGE = 50;
const OU = `ou=services,${BASE_DN}`;
const LAG = 15 * 60_000;

const account = (i: number): string => `p${String(i).padStart(5, "0")}`;
const service = (i: number): string => `svc${String(i).padStart(3, "0")}`;
const team = (i: number): string => `team-${String(i).padStart(3, "0")}`;

function ldif(): string {
  const people = Array.from({ length: USERS }, (_, i) => person(account(i)));
  const services = Array.from({ length: SERVICES }, (_, i) => person(service(i), {}, OU));
  const teams = Array.from({ length: SERVICES }, (_, i) =>
    group(team(i), [uid(account(i % USERS)), uid(service(i), OU)]),
  );
  const ou = `dn: ${OU}\nobjectClass: organizationalUnit\nou: services\n`;
  return [ou, ...services, ...people, ...teams].join("\n");
}

let clock = Date.now();

describe(
  "ldap api economy: more DNs outside the read scopes than one lookup takes",
  { tags: ["slow"] },
  () => {
    let server: Slapd;
    beforeAll(async () => {
      server = await startSlapd({ ldif: ldif(), syncprov: true });
    });
    afterAll(async () => {
      await server.stop();
    });

    it("looks 250 DNs up in two searches, trusts them, and reads again only the group of the one renamed", async () => {
      clock = Date.now() + LAG + 60_000;
      const log: string[] = [];
      const p: Provider = createLdapProvider(ldapConfig(server, { pageSize: PAGE }), {
        ...ldapContext(server.password, log),
        clock: () => clock,
      });
      const read = async (): Promise<{ searches: number; live: LiveState; said: string | undefined }> => {
        const before = p.stats().reads;
        const live = await p.read(signal());
        const said = log.filter((l) => l.includes("incremental read")).at(-1);
        return { searches: p.stats().reads - before, live, said };
      };
      const touch = async (k: number): Promise<void> => {
        await server.ldapmodify(
          `dn: ${uid(account(k))}\nchangetype: modify\nreplace: title\ntitle: T${String(k)}\n`,
        );
        clock += 3_600_000;
      };
      // The full read, then two listing reads: the first records the 250 identities, the second trusts them.
      await read();
      await touch(0);
      await read();
      await touch(1);
      await read();
      await touch(2);
      // contextCSN, listing (5 people pages, 1 of the disabled OU, 5 group pages), the changed person, two
      // lookup searches of 200 and 50 DNs, and the two searches of the accounts held elsewhere (the same 250
      // DNs); each of those four returns its entries in pages of 50: 4 + 1 calls per lookup of 250 DNs.
      const steady = await read();
      expect(steady.said).toBe(
        `ldap: incremental read: 1 of ${String(USERS + SERVICES)} entries new or changed, 0 gone`,
      );
      expect(steady.searches).toBe(1 + 11 + 1 + 5 + 5);
      clock += 3_600_000;
      expect((await read()).searches).toBe(2);

      // svc200 (looked up by the second search) is renamed; refint rewrites its group's member value.
      await server.ldapmodify(
        `dn: ${uid(service(200), OU)}\nchangetype: modrdn\nnewrdn: uid=svc200b\ndeleteoldrdn: 1\n`,
      );
      const fresh = createLdapProvider(
        ldapConfig(server, { pageSize: PAGE }),
        ldapContext(server.password, []),
      );
      let full = await fresh.read(signal());
      for (let k = 0; k < 50 && !full.elsewhere?.some((a) => a.account === "svc200b"); k++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        full = await fresh.read(signal());
      }
      clock += 3_600_000;
      const after = await read();
      // Only the group naming the DN that changed hands is read again (with the person changed before).
      expect(after.said).toBe(
        `ldap: incremental read: 1 of ${String(USERS + SERVICES)} entries new or changed, 0 gone`,
      );
      expect(after.live.elsewhere?.some((a) => a.account === "svc200b")).toBe(true);
      expect(after.live.elsewhere?.some((a) => a.account === service(200))).toBe(false);
      // The state read equals a fresh full read's.
      expect(after.live.groups).toEqual(full.groups);
      expect(after.live.users).toEqual(full.users);
      expect(after.live.elsewhere).toEqual(full.elsewhere);
      await fresh.close();
      await p.close();
    }, 180_000);
  },
);
