/**
 * The offboarding check finds memberUid values that name a leaver in another case (`memberUid: Ben` for
 * ben): memberUid compares case-exactly in the nis schema, while the account (uid) ignores case, so a
 * plain `(memberUid=ben)` missed them and the check called the leaver clean. Real slapd.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ChangeResult } from "../../src/apply/apply-plan.ts";
import { describeCheck } from "../../src/apply/describe-check.ts";
import { verifyOffboarding } from "../../src/apply/offboard-verify.ts";
import type { Change } from "../../src/plan/types.ts";
import { BASE_DN, slapdWithProvider } from "../harness/slapd.ts";
import { GROUPS, cn, group, person, uid } from "./ldap-ldif.ts";

const signal = (): AbortSignal => AbortSignal.timeout(60_000);

const ldap = slapdWithProvider();
afterEach(ldap.stop);

/** A posixGroup entry at `dn` holding `memberUids`. */
const posixGroup = (dn: string, name: string, gid: number, memberUids: readonly string[]): string =>
  [`dn: ${dn}`, "objectClass: posixGroup", `cn: ${name}`, `gidNumber: ${String(gid)}`]
    .concat(memberUids.map((m) => `memberUid: ${m}`))
    .join("\n")
    .concat("\n");

const VPN = `cn=vpn,ou=elsewhere,${BASE_DN}`;
const ELSEWHERE = `dn: ou=elsewhere,${BASE_DN}\nobjectClass: organizationalUnit\nou: elsewhere\n`;

const DISABLE_BEN: Change = {
  id: "ldap:user/ben",
  provider: "ldap",
  kind: "user",
  action: "disable",
  account: "ben",
  userId: "ben",
  reason: "user-terminated",
  risk: "narrows",
};

describe("ldap offboarding check, memberUid in another case", { tags: ["slow"] }, () => {
  it("finds a group outside the scope read whose memberUid names the leaver as Ben", async () => {
    const { provider } = await ldap.start({
      ldif: [person("ben"), ELSEWHERE, posixGroup(VPN, "vpn", 5001, ["Ben", "cleo"])].join("\n"),
    });
    const held = await provider.groupsOutsideHolding?.(["ben"], signal());
    expect(held?.get("ben")).toEqual({ outside: [VPN], unread: [] });
  });

  it("finds memberUid: BEN beside member in a group it reads and manages by member", async () => {
    const oncall = cn("oncall");
    const ldif = group("oncall", [uid("cleo")]).replace(
      "objectClass: groupOfNames\n",
      "objectClass: groupOfNames\nobjectClass: extensibleObject\nmemberUid: BEN\n",
    );
    const { provider } = await ldap.start({ ldif: [person("ben"), person("cleo"), ldif].join("\n") });
    const held = await provider.groupsOutsideHolding?.(["ben"], signal());
    expect(held?.get("ben")).toEqual({ outside: [], unread: [{ group: oncall, attribute: "memberUid" }] });
  });

  it("with posixGroups, reports a group it reads whose memberUid names the leaver only as Ben, with that value", async () => {
    const shell = `cn=shell,${GROUPS}`;
    const { provider } = await ldap.start(
      { ldif: [person("ben"), posixGroup(shell, "shell", 5002, ["Ben", "cleo"])].join("\n") },
      { groups: { objectClass: "posixGroup" } },
    );
    await provider.read(signal());
    const [outcome] = await provider.apply([DISABLE_BEN], signal());
    expect(outcome).toMatchObject({ status: "applied" });
    const result: ChangeResult = {
      change: DISABLE_BEN,
      outcome: "applied",
      at: new Date().toISOString(),
      attempts: 1,
    };
    const [check] = await verifyOffboarding([result], new Map([["ldap", provider]]), signal(), {
      afterMs: 0,
    });
    // The read maps only the exact value (Ben is a member it does not manage), so only the search finds it.
    expect(check).toMatchObject({
      account: "ben",
      clean: false,
      groups: [],
      unreadMemberships: [{ group: shell, attribute: "memberUid", value: "Ben" }],
    });
    expect(check && describeCheck(check)).toContain(
      `still named in groups gatehouse reads by a value in another case, which it does not manage: memberUid: Ben in ${shell}`,
    );
  });

  it("still calls a leaver clean whose name only another account's memberUid contains", async () => {
    const { provider } = await ldap.start({
      ldif: [person("ben"), ELSEWHERE, posixGroup(VPN, "vpn", 5001, ["Bennet", "xben"])].join("\n"),
    });
    expect((await provider.groupsOutsideHolding?.(["ben"], signal()))?.get("ben")).toBeUndefined();
  });
});
