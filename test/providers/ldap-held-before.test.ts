/**
 * An account name another person held, made again in OpenLDAP (real slapd, no refint): what still names
 * it beyond the read is found in one search per 100 names (stillNaming), and a create the plan marked
 * heldBefore is refused right before the write when something names the name by then.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Change } from "../../src/plan/types.ts";
import { BASE_DN, rootSearch, slapdWithProvider } from "../harness/slapd.ts";
import { cn, group, PEOPLE, person, uid } from "./ldap-ldif.ts";

const signal = (): AbortSignal => AbortSignal.timeout(60_000);

const ldap = slapdWithProvider();
afterEach(ldap.stop);

const LEGACY = `ou=legacy,${BASE_DN}`;
/** What ada left: a POSIX group outside the groups OU, memberUid beside member in a group read, a report elsewhere. */
const LEFTOVERS = [
  `dn: ${LEGACY}\nobjectClass: organizationalUnit\nou: legacy\n`,
  `dn: cn=legacy-login,${LEGACY}\nobjectClass: posixGroup\ncn: legacy-login\ngidNumber: 30001\nmemberUid: ada\n`,
  `dn: uid=temp,${LEGACY}\nobjectClass: inetOrgPerson\nuid: temp\ncn: Temp\nsn: Temp\nmanager: ${uid("ada")}\n`,
  group("team-eng-write", [uid("ben")]).replace(
    "objectClass: groupOfNames\n",
    "objectClass: groupOfNames\nobjectClass: extensibleObject\n",
  ) + "memberUid: ada\n",
].join("\n");

const create = (account: string, heldBefore: boolean): Change => ({
  id: `ldap:user/${account}`,
  provider: "ldap",
  kind: "user",
  action: "create",
  account,
  userId: "ana",
  after: { name: "Ana Adams" },
  reason: "added-in-config",
  risk: "broadens",
  ...(heldBefore ? { heldBefore: true as const } : {}),
});

describe("ldap: a name another person held", { tags: ["slow"] }, () => {
  it("finds what still names it beyond the read, many names in one search each", async () => {
    const { provider } = await ldap.start({ refint: false, ldif: `${person("ben")}\n${LEFTOVERS}` });
    await provider.read(signal());
    const names = ["ada", ...Array.from({ length: 99 }, (_, i) => `nobody${String(i)}`)];
    const before = provider.stats().reads;
    const found = await provider.stillNaming?.(names, signal());
    expect(found && [...found]).toEqual([
      [
        "ada",
        {
          outside: [`cn=legacy-login,${LEGACY}`],
          unread: [{ group: cn("team-eng-write"), attribute: "memberUid" }],
          managerOf: [`uid=temp,${LEGACY}`],
        },
      ],
    ]);
    // 100 names: one lookup of their entries, one search of every member attribute (whose each group
    // is, and through which attribute, read off its values), one of managers; the same when none is found.
    expect(provider.stats().reads - before).toBe(3);
    const none = provider.stats().reads;
    expect((await provider.stillNaming?.(names.slice(1), signal()))?.size).toBe(0);
    expect(provider.stats().reads - none).toBe(3);
  });

  it("finds a value the directory matches in a spelling gatehouse does not normalize (the attribute's OID)", async () => {
    const { provider } = await ldap.start({
      refint: false,
      ldif: [
        person("ben"),
        `dn: ${LEGACY}\nobjectClass: organizationalUnit\nou: legacy\n`,
        `dn: cn=vpn,${LEGACY}\nobjectClass: groupOfNames\ncn: vpn\nmember: 0.9.2342.19200300.100.1.1=ada,${PEOPLE}\n`,
        `dn: uid=temp,${LEGACY}\nobjectClass: inetOrgPerson\nuid: temp\ncn: Temp\nsn: Temp\nmanager: 0.9.2342.19200300.100.1.1=ada,${PEOPLE}\n`,
      ].join("\n"),
    });
    await provider.read(signal());
    const found = await provider.stillNaming?.(["ada", "bob"], signal());
    expect(found && [...found]).toEqual([
      ["ada", { outside: [`cn=vpn,${LEGACY}`], unread: [], managerOf: [`uid=temp,${LEGACY}`] }],
    ]);
  });

  it("finds such a value in a group that names another of the names plainly too (one batch)", async () => {
    const { provider } = await ldap.start({
      refint: false,
      ldif: [
        person("ben"),
        `dn: ${LEGACY}\nobjectClass: organizationalUnit\nou: legacy\n`,
        `dn: cn=vpn,${LEGACY}\nobjectClass: groupOfNames\ncn: vpn\nmember: ${uid("bob")}\nmember: 0.9.2342.19200300.100.1.1=ada,${PEOPLE}\n`,
        `dn: uid=temp,${LEGACY}\nobjectClass: inetOrgPerson\nuid: temp\ncn: Temp\nsn: Temp\nmanager: ${uid("bob")}\nmanager: 0.9.2342.19200300.100.1.1=ada,${PEOPLE}\n`,
      ].join("\n"),
    });
    await provider.read(signal());
    // The search matches the group for both; bob's value is told apart by its DN, ada's only by asking.
    const found = await provider.stillNaming?.(["ada", "bob"], signal());
    expect(found && [...found]).toEqual([
      ["ada", { outside: [`cn=vpn,${LEGACY}`], unread: [], managerOf: [`uid=temp,${LEGACY}`] }],
      ["bob", { outside: [`cn=vpn,${LEGACY}`], unread: [], managerOf: [`uid=temp,${LEGACY}`] }],
    ]);
    const held = await provider.groupsOutsideHolding?.(["ada", "bob"], signal());
    expect(held?.get("ada")).toEqual({ outside: [`cn=vpn,${LEGACY}`], unread: [] });
  });

  it("refuses a create marked heldBefore while something names the name, and makes it once nothing does", async () => {
    const { server, provider } = await ldap.start({ refint: false, ldif: `${person("ben")}\n${LEFTOVERS}` });
    await provider.read(signal());
    const [refused] = await provider.apply([create("ada", true)], signal());
    expect(refused?.status).toBe("failed");
    expect(refused?.status === "failed" ? refused.error.message : "").toContain(
      `"ada" was not created: the name was another person's, and values they left still name it (group cn=legacy-login,${LEGACY}, memberUid of group ${cn("team-eng-write")}, the manager of uid=temp,${LEGACY})`,
    );
    expect(await rootSearch(server, PEOPLE, "(uid=ada)", ["1.1"])).toEqual([]);
    await server.ldapmodify(
      `dn: cn=legacy-login,${LEGACY}\nchangetype: modify\ndelete: memberUid\nmemberUid: ada\n\n` +
        `dn: ${cn("team-eng-write")}\nchangetype: modify\ndelete: memberUid\n\n` +
        `dn: uid=temp,${LEGACY}\nchangetype: modify\ndelete: manager\n`,
    );
    expect((await provider.apply([create("ada", true)], signal()))[0]?.status).toBe("applied");
    expect(await rootSearch(server, PEOPLE, "(uid=ada)", ["1.1"])).toHaveLength(1);
  });

  it("refuses a rename into a name marked heldBefore while something names it, leaving the account as it was", async () => {
    const { server, provider } = await ldap.start({ refint: false, ldif: `${person("ben")}\n${LEFTOVERS}` });
    await provider.read(signal());
    const rename: Change = {
      id: "ldap:user/ben",
      provider: "ldap",
      kind: "user",
      action: "update",
      account: "ben",
      userId: "ben",
      fields: [{ field: "account", before: "ben", after: "ada" }],
      after: {},
      heldBefore: true,
      reason: "added-in-config",
      risk: "neutral",
    };
    const [refused] = await provider.apply([rename], signal());
    expect(refused?.status === "failed" ? refused.error.message : "").toContain(
      `"ada" was not renamed from ben: the name was another person's`,
    );
    expect(refused).not.toHaveProperty("accountMade");
    expect(await rootSearch(server, PEOPLE, "(uid=ben)", ["1.1"])).toHaveLength(1);
    expect(await rootSearch(server, PEOPLE, "(uid=ada)", ["1.1"])).toEqual([]);
  });
});
