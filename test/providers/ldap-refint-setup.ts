/**
 * A directory where OpenLDAP's refint overlay lags on purpose, for the tests of the read cache's refint
 * rules (ldap-refint-race.test.ts, ldap-refint-reader.test.ts). refint rewrites references after the
 * operation that caused them returned, through one queue, and changes no stamp when it does: renaming
 * `busy`, which 60 big groups outside the scope read hold, keeps that queue busy for about a second, so a
 * read right after a batch always lands before refint's rewrite for the batch.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "vitest";
import { BASE_DN, rawValues, type Slapd } from "../harness/slapd.ts";
import { asAdd, person, uid } from "./ldap-ldif.ts";

/** refint's lag by default (the ldap setting refintLagSeconds): reads this far apart may settle an entry. */
export const REFINT_LAG = 15 * 60_000;

const ELSEWHERE = `ou=elsewhere,${BASE_DN}`;
const BIG = `ou=big,${BASE_DN}`;
const BIG_GROUPS = 60;
const BIG_MEMBERS = 4000;
const BUSY = `cn=busy,${ELSEWHERE}`;

function bigGroups(): string {
  const filler = Array.from({ length: BIG_MEMBERS }, (_, i) => `member: cn=filler${i},${ELSEWHERE}`).join(
    "\n",
  );
  return Array.from(
    { length: BIG_GROUPS },
    (_, g) => `dn: cn=big${g},${BIG}\nobjectClass: groupOfNames\ncn: big${g}\nmember: ${BUSY}\n${filler}\n`,
  ).join("\n");
}

/** ada and ben in the people OU, and what keeps refint busy outside the scope read. */
export const REFINT_LDIF = [
  `dn: ${ELSEWHERE}\nobjectClass: organizationalUnit\nou: elsewhere\n`,
  `dn: ${BIG}\nobjectClass: organizationalUnit\nou: big\n`,
  `dn: ${BUSY}\nobjectClass: organizationalRole\ncn: busy\n`,
  person("ada"),
  person("ben"),
  bigGroups(),
].join("\n");

/** ben's manager is set to `account`, whose entry is then deleted and added again (same DN, new entryUUID). */
export const reCreatedManager = (account: string): string =>
  `dn: ${uid("ben")}\nchangetype: modify\nreplace: manager\nmanager: ${uid(account)}\n-\n\n` +
  `dn: ${uid(account)}\nchangetype: delete\n\n` +
  asAdd(person(account));

/** `batch` (default: ben's manager set to a re-created ada) behind a long job for refint, in one ldapmodify. */
export function behindBusyRefint(server: Slapd, batch = reCreatedManager("ada")): Promise<void> {
  return server.ldapmodify(`dn: ${BUSY}\nchangetype: modrdn\nnewrdn: cn=busy2\ndeleteoldrdn: 1\n\n` + batch);
}

/** Whether ben's entry still names `dn` as his manager (refint has not taken it out yet). */
export async function benStillNames(server: Slapd, dn: string): Promise<boolean> {
  return (await rawValues(server, uid("ben"), "manager")).some((v) => v.toLowerCase() === dn.toLowerCase());
}

/** Waits until refint has taken `dn` out of ben's manager (its placeholder in its place). */
export async function waitForRefint(server: Slapd, dn: string): Promise<void> {
  for (let i = 0; i < 200 && (await benStillNames(server, dn)); i++) await sleep(100);
  expect(await benStillNames(server, dn)).toBe(false);
}
