/**
 * The offboarding check's search for groups outside the scope read, while refint still rewrites: a
 * leaver moved into the disabled OU is still named at their old DN by a group outside the scope until
 * refint gets to it, and a search for the new DN alone read clean. Real slapd, refint kept busy.
 */
import { afterEach, describe, expect, it } from "vitest";
import { BASE_DN, rawValues, slapdWithProvider } from "../harness/slapd.ts";
import { DISABLED, uid } from "./ldap-ldif.ts";
import { REFINT_LDIF } from "./ldap-refint-setup.ts";

const VPN = `cn=vpn,ou=elsewhere,${BASE_DN}`;
const signal = (): AbortSignal => AbortSignal.timeout(60_000);

const ldap = slapdWithProvider();
afterEach(ldap.stop);

describe("ldap offboarding check with refint at work", { tags: ["slow"] }, () => {
  it("finds a group outside the scope that still names a leaver at the DN the apply moved them from", async () => {
    const { server: s, provider: p } = await ldap.start(
      { ldif: `${REFINT_LDIF}\ndn: ${VPN}\nobjectClass: groupOfNames\ncn: vpn\nmember: ${uid("ben")}\n` },
      { disable: { method: "move", ou: "ou=disabled" } },
    );
    await p.read(signal());
    // refint gets a long job (busy is in 60 big groups), then ben is moved: the rewrite of vpn's value
    // waits behind it.
    await s.ldapmodify(
      `dn: cn=busy,ou=elsewhere,${BASE_DN}\nchangetype: modrdn\nnewrdn: cn=busy2\ndeleteoldrdn: 1\n`,
    );
    const [outcome] = await p.apply(
      [
        {
          id: "ldap:user/ben",
          provider: "ldap",
          kind: "user",
          action: "disable",
          account: "ben",
          reason: "user-terminated",
          risk: "narrows",
        },
      ],
      signal(),
    );
    expect(outcome).toMatchObject({ status: "applied" });
    const held = await p.groupsOutsideHolding?.(["ben"], signal());
    // The scenario happened: vpn still named the old DN when the check searched.
    const afterSearch = await rawValues(s, VPN, "member");
    expect(held?.get("ben")).toEqual({ outside: [VPN], unread: [] });
    expect(afterSearch.map((v) => v.toLowerCase())).toContain(uid("ben").toLowerCase());
    // Once refint has rewritten it, the search finds it at the new DN.
    for (let i = 0; i < 300; i++) {
      const members = await rawValues(s, VPN, "member");
      if (members.some((v) => v.toLowerCase() === uid("ben", DISABLED).toLowerCase())) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await p.groupsOutsideHolding?.(["ben"], signal()))?.get("ben")).toEqual({
      outside: [VPN],
      unread: [],
    });
  });
});
