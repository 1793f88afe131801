/**
 * People as RFC 2307 posixAccounts against a real slapd (nis schema): a new entry gets the next free
 * uidNumber under the people OU, the configured primary gidNumber and a home directory, which the schema
 * requires (before, every create failed with LDAP 65, found in a trial of an RFC 2307 site). Settings
 * mistakes are refused at the provider's line.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.ts";
import type { Change } from "../../src/plan/types.ts";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import { BASE_DN, ldapConfig, ldapContext, rootSearch, startSlapd, type Slapd } from "../harness/slapd.ts";

const signal = (): AbortSignal => AbortSignal.timeout(30_000);
const servers: Slapd[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

/** A person already in the directory before gatehouse: the highest uidNumber under the people OU. */
const EXISTING = `
dn: uid=old,ou=people,${BASE_DN}
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: shadowAccount
uid: old
cn: Old Timer
sn: Timer
uidNumber: 10040
gidNumber: 100
homeDirectory: /home/old
`;

const POSIX_PEOPLE = {
  objectClasses: ["inetOrgPerson", "posixAccount", "shadowAccount"],
  gidNumber: 100,
  loginShell: "/bin/bash",
};

const create = (account: string, name: string): Change => ({
  provider: "ldap",
  id: `ldap:user/${account}`,
  kind: "user",
  action: "create",
  account,
  after: { name, email: `${account}@example.com` },
  reason: "added-in-config",
  risk: "broadens",
});

describe("ldap people as posixAccounts", () => {
  it("creates them with the next free uidNumbers, the primary gidNumber and a home directory", async () => {
    const server = await startSlapd({ ldif: EXISTING });
    servers.push(server);
    const provider = createLdapProvider(
      ldapConfig(server, { people: POSIX_PEOPLE, groups: { objectClass: "posixGroup" } }),
      ldapContext(server.password),
    );
    try {
      const outcomes = await provider.apply([create("kim", "Kim Park"), create("lee", "Lee Ho")], signal());
      expect(outcomes.map((o) => o.status)).toEqual(["applied", "applied"]);
    } finally {
      await provider.close();
    }
    const entries = await rootSearch(server, `ou=people,${BASE_DN}`, "(|(uid=kim)(uid=lee))", [
      "uid",
      "objectClass",
      "uidNumber",
      "gidNumber",
      "homeDirectory",
      "loginShell",
    ]);
    const seen = entries
      .map((e) => [
        e.values("uid")[0],
        e.values("uidNumber")[0],
        e.values("gidNumber")[0],
        e.values("homeDirectory")[0],
        e.values("loginShell")[0],
        e.values("objectClass").includes("posixAccount"),
      ])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    // One above the highest in use (10040), never one handed out twice in the same apply.
    expect(seen).toEqual([
      ["kim", "10041", "100", "/home/kim", "/bin/bash", true],
      ["lee", "10042", "100", "/home/lee", "/bin/bash", true],
    ]);
  });

  it("refuses posixAccount people without a gidNumber, and posix settings without posixAccount, at the line", () => {
    const server = { url: "ldap://127.0.0.1:1", baseDn: BASE_DN, bindDn: `cn=x,${BASE_DN}` };
    const context = ldapContext("secret");
    expect(() =>
      createLdapProvider(
        ldapConfig(server, { people: { objectClasses: ["inetOrgPerson", "posixAccount"] } }),
        context,
      ),
    ).toThrow(
      new ConfigError(
        'access/gatehouse.yaml:3:3 provider "ldap": setting "people.gidNumber" is required where people.objectClasses has posixAccount: the primary group of every account gatehouse creates (e.g. the gidNumber of a users group)',
      ),
    );
    expect(() => createLdapProvider(ldapConfig(server, { people: { gidNumber: 100 } }), context)).toThrow(
      /setting "people\.gidNumber" is for posixAccount entries; add posixAccount to people\.objectClasses/,
    );
    expect(() =>
      createLdapProvider(
        ldapConfig(server, { people: { ...POSIX_PEOPLE, homeDirectory: "home/{account}" } }),
        context,
      ),
    ).toThrow(/setting "people\.homeDirectory" must be an absolute path/);
  });
});
