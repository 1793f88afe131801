/**
 * Two entries whose names differ only in letter case (a uid the directory matches whatever its case), or
 * two groups of one name in different OUs: apply must act on the entry the plan meant, or refuse. It used
 * to act on whichever entry the server returned last: it disabled the real person instead of the stray
 * entry, and removed the real person's membership instead of the stray one's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Change } from "../../src/plan/types.ts";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import type { Provider } from "../../src/providers/types.ts";
import { ldapConfig, ldapContext, rawValues, startSlapd, type Slapd } from "../harness/slapd.ts";

const signal = (): AbortSignal => AbortSignal.timeout(20_000);
const BASE = "dc=example,dc=com";
const REAL = `uid=ken,ou=people,${BASE}`;
const STRAY = `cn=stray,ou=people,${BASE}`;

const membership = (action: "add" | "remove", group: string, member: string): Change => ({
  id: `ldap:membership/${group}/${member}`,
  provider: "ldap",
  reason: action === "add" ? "added-in-config" : "drift",
  risk: action === "add" ? "broadens" : "narrows",
  kind: "membership",
  action,
  group,
  member,
  memberKind: "user",
});

describe("ldap entries whose names differ only in case", { tags: ["slow"] }, () => {
  let server: Slapd;
  let provider: Provider;

  beforeAll(async () => {
    server = await startSlapd();
    // The stray entry first, then the real one (as a restore would leave them): a search lists the stray
    // entry first or last depending on the server, so the order must not matter.
    await server.ldapmodify(
      [
        `dn: ${STRAY}\nobjectClass: inetOrgPerson\ncn: stray\nsn: Stray\nuid: KEN\n`,
        `dn: ${REAL}\nobjectClass: inetOrgPerson\ncn: Ken\nsn: Real\nuid: ken\n`,
        `dn: cn=team-a,ou=groups,${BASE}\nobjectClass: groupOfNames\ncn: team-a\nmember: ${REAL}\nmember: ${STRAY}\n`,
        `dn: cn=team-b,ou=groups,${BASE}\nobjectClass: groupOfNames\ncn: team-b\nmember: cn=empty-membership-placeholder,${BASE}\n`,
        `dn: ou=legacy,ou=groups,${BASE}\nobjectClass: organizationalUnit\nou: legacy\n`,
        `dn: cn=team-c,ou=groups,${BASE}\nobjectClass: groupOfNames\ncn: team-c\nmember: ${REAL}\n`,
        `dn: cn=team-c,ou=legacy,ou=groups,${BASE}\nobjectClass: groupOfNames\ncn: team-c\nmember: ${REAL}\n`,
      ].join("\n"),
      { add: true },
    );
    provider = createLdapProvider(ldapConfig(server), ldapContext(server.password));
    await provider.read(signal());
  });
  afterAll(async () => {
    await provider.close();
    await server.stop();
  });

  it("acts on the entry that holds the name exactly: the stray one is disabled and loses its membership", async () => {
    const outcomes = await provider.apply(
      [
        {
          id: "ldap:user/KEN",
          provider: "ldap",
          reason: "removed-from-config",
          risk: "narrows",
          kind: "user",
          action: "disable",
          account: "KEN",
        },
      ],
      signal(),
    );
    expect(outcomes.map((o) => o.status)).toEqual(["applied"]);
    for (const outcome of await provider.apply(
      [membership("remove", "team-a", "KEN"), membership("add", "team-b", "ken")],
      signal(),
    ))
      expect(outcome.status).toBe("applied");
    // The real person is where they were, in both groups; the stray entry is disabled and out of team-a.
    expect(await rawValues(server, REAL, "uid")).toEqual(["ken"]);
    expect(await rawValues(server, `cn=team-a,ou=groups,${BASE}`, "member")).toEqual([REAL]);
    expect(await rawValues(server, `cn=team-b,ou=groups,${BASE}`, "member")).toContain(REAL);
    expect(await rawValues(server, `cn=stray,ou=disabled,${BASE}`, "uid")).toEqual(["KEN"]);
  });

  it("says when an entry holds a second account name, which logins may accept", async () => {
    await server.ldapmodify(
      `dn: uid=ann,ou=people,${BASE}\nobjectClass: inetOrgPerson\ncn: Ann\nsn: A\nuid: ann\nuid: root2\n`,
      {
        add: true,
      },
    );
    const live = await provider.read(signal());
    expect(live.users.some((u) => u.account === "ann")).toBe(true);
    expect(live.unmanaged).toContain(
      `uid=ann,ou=people,${BASE} holds 2 values of uid (ann, root2): gatehouse manages it as "ann" and neither reads nor removes the others, which logins may accept`,
    );
  });

  it("refuses a name no entry holds exactly while several hold it in other cases, and a group name two OUs hold", async () => {
    await server.ldapmodify(
      `dn: cn=stray,ou=disabled,${BASE}\nchangetype: modrdn\nnewrdn: cn=stray\ndeleteoldrdn: 1\nnewsuperior: ou=people,${BASE}\n`,
    );
    const [user] = await provider.apply([membership("add", "team-b", "Ken")], signal());
    expect(user?.status).toBe("failed");
    expect(user?.status === "failed" ? user.error.message : "").toMatch(
      /2 entries hold the account "Ken" in letter cases the directory does not tell apart .*gatehouse does not guess/,
    );
    const [group] = await provider.apply([membership("remove", "team-c", "ken")], signal());
    expect(group?.status).toBe("failed");
    expect(group?.status === "failed" ? group.error.message : "").toMatch(
      /2 groups under ou=groups,dc=example,dc=com are named "team-c"/,
    );
    // Nothing was written to either team-c, and a plan says why instead of claiming a match.
    const live = await provider.read(signal());
    expect(live.unmanaged?.slice(0, 1)).toEqual([
      `2 groups are named "team-c" (cn=team-c,ou=groups,${BASE}; cn=team-c,ou=legacy,ou=groups,${BASE}): the plan reads only one of them, and apply writes only to the one spelled exactly as the files spell it, to neither when several are`,
    ]);
    expect(await rawValues(server, `cn=team-c,ou=groups,${BASE}`, "member")).toEqual([REAL]);
    expect(await rawValues(server, `cn=team-c,ou=legacy,ou=groups,${BASE}`, "member")).toEqual([REAL]);
  });
});
