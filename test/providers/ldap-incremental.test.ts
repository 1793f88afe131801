/**
 * Incremental reads against a real slapd: after changes made straight on the server (ldapmodify), a provider
 * that reads incrementally must report exactly what a fresh provider's full read reports.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveState } from "../../src/model/state.ts";
import type { Provider } from "../../src/providers/types.ts";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import type { Slapd } from "../harness/slapd.ts";
import { BASE_DN, EMPTY_MEMBER_DN, ldapConfig, ldapContext, startSlapd } from "../harness/slapd.ts";
import { DISABLED, PEOPLE, asAdd, cn, group, person, uid } from "./ldap-ldif.ts";

const signal = (): AbortSignal => AbortSignal.timeout(60_000);
const ELSEWHERE = `ou=elsewhere,${BASE_DN}`;

const INITIAL = [
  `dn: ${ELSEWHERE}\nobjectClass: organizationalUnit\nou: elsewhere\n`,
  `dn: cn=stranger,${ELSEWHERE}\nobjectClass: inetOrgPerson\ncn: stranger\nsn: Stranger\nuid: stranger\n`,
  person("ada", { title: "Manager" }),
  person("ben", { manager: uid("ada") }),
  person("cat", { manager: uid("ada") }),
  person("dan", { manager: uid("ben") }),
  person("eve"),
  person("fay", {}, DISABLED),
  group("team-core", [uid("ada"), uid("ben"), uid("cat")]),
  group("team-ops", [uid("dan"), uid("eve"), cn("team-core")]),
  group("team-odd", [uid("ada"), `cn=stranger,${ELSEWHERE}`]),
  group("team-empty", []),
  group("team-all", [uid("ada"), uid("ben"), uid("cat"), uid("dan"), uid("eve"), uid("fay", DISABLED)]),
].join("\n");

/** Steps of out-of-band changes, each an LDIF for ldapmodify (changetype records). */
const STEPS: readonly { readonly name: string; readonly ldif: string }[] = [
  {
    name: "adds a person and a group",
    ldif: `${asAdd(person("gus"))}\n${asAdd(group("team-new", [uid("gus")]))}`,
  },
  {
    name: "changes attributes of a person and a group",
    ldif:
      `dn: ${uid("ben")}\nchangetype: modify\nreplace: title\ntitle: Rogue Admin\n-\nreplace: mail\nmail: ben@evil.example\n\n` +
      `dn: ${cn("team-core")}\nchangetype: modify\nreplace: description\ndescription: the core team\n`,
  },
  {
    name: "adds and removes members",
    ldif:
      `dn: ${cn("team-core")}\nchangetype: modify\nadd: member\nmember: ${uid("eve")}\n-\ndelete: member\nmember: ${uid("cat")}\n\n` +
      `dn: ${cn("team-empty")}\nchangetype: modify\nadd: member\nmember: ${uid("dan")}\n-\ndelete: member\nmember: ${EMPTY_MEMBER_DN}\n`,
  },
  {
    name: "deletes a member who manages someone (refint rewrites groups and manager)",
    ldif: `dn: ${uid("ben")}\nchangetype: delete\n`,
  },
  {
    name: "renames a person (refint rewrites member values)",
    ldif: `dn: ${uid("dan")}\nchangetype: modrdn\nnewrdn: uid=daniel\ndeleteoldrdn: 1\n`,
  },
  {
    name: "disables a person by moving them to the disabled OU",
    ldif: `dn: ${uid("eve")}\nchangetype: modrdn\nnewrdn: uid=eve\ndeleteoldrdn: 1\nnewsuperior: ${DISABLED}\n`,
  },
  {
    name: "moves a person out of scope",
    ldif: `dn: ${uid("cat")}\nchangetype: modrdn\nnewrdn: uid=cat\ndeleteoldrdn: 1\nnewsuperior: ${ELSEWHERE}\n`,
  },
  {
    name: "moves a stranger into scope (a group's unknown member becomes a user)",
    ldif: `dn: cn=stranger,${ELSEWHERE}\nchangetype: modrdn\nnewrdn: cn=stranger\ndeleteoldrdn: 1\nnewsuperior: ${PEOPLE}\n`,
  },
  {
    name: "deletes a person and adds them again under the same DN",
    ldif: `dn: ${uid("ada")}\nchangetype: delete\n\n${asAdd(person("ada", { title: "Returner" }))}`,
  },
  {
    name: "renames a nested group and deletes another",
    ldif:
      `dn: ${cn("team-core")}\nchangetype: modrdn\nnewrdn: cn=team-kernel\ndeleteoldrdn: 1\n\n` +
      `dn: ${cn("team-odd")}\nchangetype: delete\n`,
  },
  {
    name: "re-enables a person by moving them back",
    ldif: `dn: ${uid("fay", DISABLED)}\nchangetype: modrdn\nnewrdn: uid=fay\ndeleteoldrdn: 1\nnewsuperior: ${PEOPLE}\n`,
  },
];

/** A full read by a provider that has never read before. */
async function fullRead(server: Slapd, settings: Readonly<Record<string, unknown>>): Promise<LiveState> {
  const fresh = createLdapProvider(ldapConfig(server, settings), ldapContext(server.password));
  try {
    return await fresh.read(signal());
  } finally {
    await fresh.close();
  }
}

/** Waits until two full reads a moment apart agree (refint rewrites references after its operation returns). */
async function settled(server: Slapd, settings: Readonly<Record<string, unknown>>): Promise<LiveState> {
  let last = await fullRead(server, settings);
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const next = await fullRead(server, settings);
    if (JSON.stringify(next) === JSON.stringify(last)) return next;
    last = next;
  }
  throw new Error("the directory did not settle");
}

for (const syncprov of [false, true]) {
  describe(
    `incremental reads equal full reads (OpenLDAP${syncprov ? " with syncprov" : ""})`,
    { tags: ["slow"] },
    () => {
      const settings = { pageSize: 3 };
      let server: Slapd;
      let provider: Provider;
      const log: string[] = [];

      beforeAll(async () => {
        server = await startSlapd({ ldif: INITIAL, syncprov });
        provider = createLdapProvider(ldapConfig(server, settings), ldapContext(server.password, log));
      });
      afterAll(async () => {
        await provider.close();
        await server.stop();
      });

      it("reads the same state as a full read, twice in a row", async () => {
        expect(await provider.read(signal())).toEqual(await settled(server, settings));
        expect(await provider.read(signal())).toEqual(await fullRead(server, settings));
        expect(log.some((l) => l.includes("incremental read:"))).toBe(true);
      });

      for (const step of STEPS) {
        it(`after a change made on the server: ${step.name}`, async () => {
          await server.ldapmodify(step.ldif);
          // Read at once, while refint may still be rewriting references, and again once it is done.
          await provider.read(signal());
          const expected = await settled(server, settings);
          expect(await provider.read(signal())).toEqual(expected);
          expect(await provider.read(signal())).toEqual(expected);
        });
      }

      it("never fell back to a full read, and skipped the listing only where contextCSN allows", () => {
        expect(log.filter((l) => l.includes("reading everything"))).toEqual([]);
        const skipped = log.filter((l) => l.includes("contextCSN unchanged"));
        expect(skipped.length > 0).toBe(syncprov);
      });
    },
  );
}
