/**
 * The member moves that follow an account renamed in place (userRenameRewrites), written by the LDAP
 * provider against a real slapd without refint: the removal takes out the DN the entry really had (also
 * in a sub-OU of the people OU), and a move's add and removal are one write whatever maxMembersPerWrite.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Change, MembershipChange } from "../../src/plan/types.ts";
import type { Provider } from "../../src/providers/types.ts";
import { rawValues, slapdWithProvider } from "../harness/slapd.ts";
import { cn, group, GROUPS, PEOPLE, person, uid } from "./ldap-ldif.ts";

const signal = (): AbortSignal => AbortSignal.timeout(60_000);

const ldap = slapdWithProvider();
afterEach(ldap.stop);

const base = { provider: "ldap", reason: "added-in-config", risk: "neutral" } as const;

function rename(from: string, to: string): Change {
  return {
    ...base,
    id: `ldap:user/${from}`,
    kind: "user",
    action: "update",
    account: from,
    userId: from,
    fields: [{ field: "account", before: from, after: to }],
    after: {},
  };
}

function member(
  action: "add" | "remove",
  groupName: string,
  account: string,
  move: Pick<MembershipChange, "renamedTo" | "renamedFrom"> = {},
): Change {
  return {
    ...base,
    id: `ldap:membership/${groupName}/${account}`,
    kind: "membership",
    action,
    group: groupName,
    member: account,
    memberKind: "user",
    ...move,
  };
}

async function applied(provider: Provider, changes: Change[]): Promise<string[]> {
  return (await provider.apply(changes, signal())).map((o) => o.status);
}

describe("ldap member moves after a rename in place", { tags: ["slow"] }, () => {
  it("removes the former DN of an entry in a sub-OU of the people OU, not one built under the people OU", async () => {
    const ENG = `ou=eng,${PEOPLE}`;
    const { server, provider } = await ldap.start(
      {
        refint: false,
        ldif: [
          `dn: ${ENG}\nobjectClass: organizationalUnit\nou: eng\n`,
          person("bea", {}, ENG),
          group("team-eng-write", [uid("bea", ENG)]),
        ].join("\n"),
      },
      {},
    );
    await provider.read(signal());
    expect(await applied(provider, [rename("bea", "bea.new")])).toEqual(["applied"]);
    const moves = [
      member("add", "team-eng-write", "bea.new", { renamedFrom: "bea" }),
      member("remove", "team-eng-write", "bea", { renamedTo: "bea.new" }),
    ];
    expect(await applied(provider, moves)).toEqual(["applied", "applied"]);
    // Only the entry's new DN: the value naming uid=bea,ou=eng (no entry now) is gone.
    expect(await rawValues(server, cn("team-eng-write"), "member")).toEqual([uid("bea.new", ENG)]);
  });

  it("writes a move's add and removal together with maxMembersPerWrite: 1, so they land or fail together", async () => {
    const { server, provider } = await ldap.start(
      {
        refint: false,
        ldif: [
          person("ann"),
          person("bob"),
          `dn: cn=legacy-login,${GROUPS}\nobjectClass: posixGroup\ncn: legacy-login\ngidNumber: 20001\nmemberUid: ann\n`,
        ].join("\n"),
      },
      { groups: { ou: "ou=groups", objectClass: "posixGroup" }, maxMembersPerWrite: 1 },
    );
    await provider.read(signal());
    // uid takes any UTF-8, memberUid only ASCII (IA5String): the new name's add is refused.
    expect(await applied(provider, [rename("ann", "zoé")])).toEqual(["applied"]);
    const statuses = await applied(provider, [
      member("remove", "legacy-login", "ann", { renamedTo: "zoé" }),
      member("add", "legacy-login", "bob"),
      member("add", "legacy-login", "zoé", { renamedFrom: "ann" }),
    ]);
    // Written apart, ann's value went while zoé's add failed: her access there gone, and no trace of it
    // left for the next plan to move. Together, both fail, and the next plan finds the move to make again.
    expect(statuses).toEqual(["failed", "applied", "failed"]);
    expect((await rawValues(server, cn("legacy-login"), "memberUid")).sort()).toEqual(["ann", "bob"]);
  });
});
