/**
 * Accounts held elsewhere (LiveState.elsewhere) against a real slapd: looked up again whenever the
 * directory may have changed, and reused only when a read found nothing changed since the lookup.
 */
import { describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import type { Provider } from "../../src/providers/types.ts";
import { BASE_DN, hourlyRuns, ldapConfig, ldapContext, startSlapd } from "../harness/slapd.ts";
import { group, person, uid } from "./ldap-ldif.ts";

const ELSEWHERE = `ou=elsewhere,${BASE_DN}`;
const PARKED = `cn=parked,${ELSEWHERE}`;
const LDIF = [
  `dn: ${ELSEWHERE}\nobjectClass: organizationalUnit\nou: elsewhere\n`,
  `dn: ${PARKED}\nobjectClass: inetOrgPerson\ncn: parked\nsn: P\nuid: bob\n`,
  person("ada"),
  group("team", [uid("ada"), PARKED]),
].join("\n");
const signal = (): AbortSignal => AbortSignal.timeout(30_000);

describe("ldap accounts held elsewhere, kept between runs", { tags: ["slow"] }, () => {
  for (const syncprov of [true, false])
    it(`names the parked entry by its account attribute as it is now (${syncprov ? "syncprov" : "a contextCSN that stopped moving"})`, async () => {
      const server = await startSlapd(
        syncprov
          ? { ldif: LDIF, syncprov: true }
          : { ldif: LDIF, contextCsn: "20200101000000.000000Z#000000#000#000000" },
      );
      const cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-ldap-elsewhere-"));
      try {
        const nextRun = hourlyRuns();
        const run = async (): Promise<{ elsewhere: unknown; reads: number }> => {
          const provider: Provider = createLdapProvider(ldapConfig(server, { readCache: true }), {
            ...ldapContext(server.password),
            cwd,
            ...nextRun(),
          });
          try {
            const live = await provider.read(signal());
            return { elsewhere: live.elsewhere, reads: provider.stats().reads };
          } finally {
            await provider.close();
          }
        };
        expect((await run()).elsewhere).toEqual([{ account: "bob", where: PARKED }]);
        if (syncprov) {
          // Learns contextCSN, then reads the group naming a DN outside once more (until settled), then
          // nothing changed: the two searches, the lookup reused.
          await run();
          await run();
          expect(await run()).toEqual({ elsewhere: [{ account: "bob", where: PARKED }], reads: 2 });
        }
        // The parked entry's account changes; its DN, and every value naming it, stay.
        await server.ldapmodify(`dn: ${PARKED}\nchangetype: modify\nreplace: uid\nuid: carol\n`);
        expect((await run()).elsewhere).toEqual([{ account: "carol", where: PARKED }]);
        expect((await run()).elsewhere).toEqual([{ account: "carol", where: PARKED }]);
      } finally {
        await rm(cwd, { recursive: true, force: true });
        await server.stop();
      }
    }, 60_000);
});
