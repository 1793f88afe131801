import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Change } from "../../src/plan/types.ts";
import type { Provider } from "../../src/providers/types.ts";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import type { Slapd } from "../harness/slapd.ts";
import { ldapConfig, ldapContext, rawValues, startSlapd } from "../harness/slapd.ts";

const signal = (): AbortSignal => AbortSignal.timeout(60_000);
const PEOPLE = "ou=people,dc=example,dc=com";
const GROUPS = "ou=groups,dc=example,dc=com";
function change(partial: Partial<Change> & Pick<Change, "kind" | "action">): Change {
  return {
    id: JSON.stringify(partial),
    provider: "ldap",
    reason: "added-in-config",
    risk: "broadens",
    ...partial,
  } as Change;
}
const member = (action: "add" | "remove", group: string, m: string): Change =>
  change({ kind: "membership", action, group, member: m, memberKind: "user" });

/**
 * An entry the apply looked up and then moved (disable by move) is not used again by the same apply: a
 * later member write finds the entry where it is now.
 */
describe("ldap apply after a lookup and a move of the same entry", { tags: ["slow"] }, () => {
  let server: Slapd;
  let provider: Provider;
  const log: string[] = [];
  beforeAll(async () => {
    server = await startSlapd();
    provider = createLdapProvider(ldapConfig(server, { pageSize: 500 }), ldapContext(server.password, log));
  });
  afterAll(async () => {
    await provider.close();
    await server.stop();
  });

  it("a leaver moved out of band (into a sub-OU) after the plan's read is disabled AND taken out of the group", async () => {
    for (const account of ["ann", "zed"])
      for (const o of await provider.apply(
        [change({ kind: "user", action: "create", account, after: { name: `${account} X` } })],
        signal(),
      ))
        if (o.status === "failed") throw o.error;
    await provider.apply([change({ kind: "group", action: "create", group: "team-stale" })], signal());
    await provider.apply([member("add", "team-stale", "ann"), member("add", "team-stale", "zed")], signal());
    await server.ldapmodify(
      `dn: ou=team,${PEOPLE}\nchangetype: add\nobjectClass: organizationalUnit\nou: team\n`,
    );

    await provider.read(signal()); // the plan's read: remembered for apply
    // An admin moves zed into a sub-OU between plan and apply; refint rewrites the group's value.
    await server.ldapmodify(
      `dn: uid=zed,${PEOPLE}\nchangetype: modrdn\nnewrdn: uid=zed\ndeleteoldrdn: 1\nnewsuperior: ou=team,${PEOPLE}\n`,
    );
    await new Promise((r) => setTimeout(r, 300));
    const outcomes = await provider.apply(
      [
        change({ kind: "user", action: "disable", account: "zed", risk: "narrows" }),
        member("remove", "team-stale", "zed"),
      ],
      signal(),
    );
    await new Promise((r) => setTimeout(r, 300));
    const members = await rawValues(server, `cn=team-stale,${GROUPS}`, "member");
    expect(outcomes.map((o) => o.status)).toEqual(["applied", "applied"]);
    expect(members).toEqual([`uid=ann,${PEOPLE}`]);
  });
});
