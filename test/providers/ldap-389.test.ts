/**
 * The LDAP provider against a real 389 Directory Server (one throwaway instance for the whole file, see
 * test/harness/ds389.ts), set up as the LDAP README says for 389: `flavour: openldap`, groupOfNames, and
 * leavers locked with `nsAccountLock` rather than moved. The shared provider contract, a paged read past
 * the service account's size limit, then the CLI end to end: apply, "No changes", an account renamed in
 * place, a leaver locked and read back, and a locked account refused at bind.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "ldapts";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import type { Provider } from "../../src/providers/types.ts";
import { DS389_DISABLE, start389, type Ds389 } from "../harness/ds389.ts";
import {
  BASE_DN,
  PASSWORD_ENV,
  SIZE_LIMIT,
  ldapConfig,
  ldapContext,
  ldapProviderYaml,
  rawValues,
  rootSearch,
} from "../harness/slapd.ts";
import { createConnectorRepo, terminate, USERS_FILE } from "../e2e/connectors/workspace.ts";
import { describeProviderContract } from "./contract.ts";

let started: Promise<Ds389> | undefined;
/** The file's one instance, started by the first describe that needs it. */
const server = (): Promise<Ds389> => (started ??= start389());
// Started before any describe's hooks, with room for a loaded CI machine (dscreate takes ~6 s alone).
beforeAll(async () => {
  await server();
}, 180_000);
afterAll(async () => {
  await (await started)?.stop();
}, 60_000);

/** The provider tests keep to their own OUs, out of the CLI test's people and groups. */
const PROVIDER_OUS = { people: { ou: "ou=contract" }, groups: { ou: "ou=contract-groups" } };
const SETTINGS = {
  ...PROVIDER_OUS,
  groups: { ...PROVIDER_OUS.groups, objectClass: "groupOfNames" },
  disable: DS389_DISABLE,
};
let ousMade = false;
async function providerOn389(settings: Readonly<Record<string, unknown>>): Promise<{
  ds: Ds389;
  provider: Provider;
}> {
  const ds = await server();
  if (!ousMade) {
    ousMade = true;
    await ds.ldapmodify(
      ["contract", "contract-groups"]
        .map((ou) => `dn: ou=${ou},${BASE_DN}\nobjectClass: organizationalUnit\nou: ${ou}\n`)
        .join("\n"),
      { add: true },
    );
  }
  return { ds, provider: createLdapProvider(ldapConfig(ds, settings), ldapContext(ds.password)) };
}

describeProviderContract("ldap (389 Directory Server, groupOfNames, nesting, nsAccountLock)", async () => {
  const { provider } = await providerOn389(SETTINGS);
  // The instance is the file's, stopped by its afterAll.
  return { provider, close: () => Promise.resolve() };
});

const signal = (): AbortSignal => AbortSignal.timeout(60_000);

describe("ldap provider against 389 Directory Server", { tags: ["slow"] }, () => {
  let ds: Ds389;
  let provider: Provider;
  beforeAll(async () => {
    ({ ds, provider } = await providerOn389({ ...SETTINGS, pageSize: 400 }));
  }, 120_000);
  afterAll(async () => {
    await provider.close();
  });

  it("reads more people than the service account's size limit through paged results", async () => {
    const count = SIZE_LIMIT + 200;
    const ldif = Array.from({ length: count }, (_, i) => {
      const uid = `page${String(i).padStart(5, "0")}`;
      return `dn: uid=${uid},ou=contract,${BASE_DN}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: User ${String(i)}\nsn: ${String(i)}\n`;
    }).join("\n");
    await ds.ldapmodify(ldif, { add: true });
    const before = provider.stats().reads;
    const live = await provider.read(signal());
    expect(live.users.filter((u) => u.account.startsWith("page"))).toHaveLength(count);
    // 1,200 people at 400 a page: at least 3 pages of people, then the groups.
    expect(provider.stats().reads - before).toBeGreaterThanOrEqual(4);
  });

  it("reads a lock set by hand (nsAccountLock: TRUE) as a disabled account", async () => {
    await ds.ldapmodify(
      `dn: uid=page00001,ou=contract,${BASE_DN}\nchangetype: modify\nadd: nsAccountLock\nnsAccountLock: TRUE\n`,
    );
    const live = await provider.read(signal());
    expect(live.users.find((u) => u.account === "page00001")?.enabled).toBe(false);
    expect(live.users.find((u) => u.account === "page00002")?.enabled).toBe(true);
  });
});

/**
 * 389's role-based lock, as `dsidm role lock` (or ns-inactivate.pl) sets it up: members of a managed role
 * nested in cn=nsDisabledRole get a virtual `nsAccountLock: true` from a class of service, not a value on
 * their entry.
 */
/** A DN as the value of an RDN: its commas and equals signs escaped. */
const rdnValue = (dn: string): string => dn.replaceAll("=", "\\3D").replaceAll(",", "\\2C");

function roleLockLdif(base: string, member: string): string {
  return `dn: cn=nsManagedDisabledRole,${base}
objectClass: top
objectClass: LDAPsubentry
objectClass: nsRoleDefinition
objectClass: nsSimpleRoleDefinition
objectClass: nsManagedRoleDefinition
cn: nsManagedDisabledRole

dn: cn=nsDisabledRole,${base}
objectClass: top
objectClass: LDAPsubentry
objectClass: nsRoleDefinition
objectClass: nsComplexRoleDefinition
objectClass: nsNestedRoleDefinition
nsRoleDN: cn=nsManagedDisabledRole,${base}
cn: nsDisabledRole

dn: cn=nsAccountInactivationTmp,${base}
objectClass: top
objectClass: nsContainer
cn: nsAccountInactivationTmp

dn: cn=${rdnValue(`cn=nsDisabledRole,${base}`)},cn=nsAccountInactivationTmp,${base}
objectClass: top
objectClass: extensibleObject
objectClass: cosTemplate
objectClass: LDAPsubentry
cosPriority: 1
nsAccountLock: true

dn: cn=nsAccountInactivation_cos,${base}
objectClass: top
objectClass: LDAPsubentry
objectClass: cosSuperDefinition
objectClass: cosClassicDefinition
cosTemplateDn: cn=nsAccountInactivationTmp,${base}
cosSpecifier: nsRole
cosAttribute: nsAccountLock operational

dn: ${member}
changetype: modify
add: nsRoleDN
nsRoleDN: cn=nsManagedDisabledRole,${base}
`;
}

describe("ldap provider against 389's role-based lock", { tags: ["slow"] }, () => {
  it("fails an enable that leaves the account locked by a role, instead of calling it applied", async () => {
    const { ds, provider } = await providerOn389(SETTINGS);
    try {
      await ds.ldapmodify(
        `dn: uid=roled,ou=contract,${BASE_DN}\nobjectClass: inetOrgPerson\nuid: roled\ncn: Roled\nsn: Roled\n`,
        { add: true },
      );
      await ds.ldapmodify(roleLockLdif(BASE_DN, `uid=roled,ou=contract,${BASE_DN}`), { add: true });
      const roled = async () =>
        (await provider.read(signal())).users.find((u) => u.account === "roled")?.enabled;
      expect(await roled()).toBe(false);
      const [outcome] = await provider.apply(
        [
          {
            id: "enable-roled",
            provider: "ldap",
            reason: "drift",
            risk: "broadens",
            kind: "user",
            action: "enable",
            account: "roled",
          },
        ],
        signal(),
      );
      expect(outcome?.status).toBe("failed");
      expect(outcome?.status === "failed" ? outcome.error.message : "").toMatch(/nsAccountLock.*role/);
      expect(await roled()).toBe(false);
    } finally {
      await provider.close();
    }
  });
});

describe("gatehouse CLI against 389 Directory Server", { tags: ["slow"] }, () => {
  const PEOPLE = `ou=people,${BASE_DN}`;
  const GROUPS = `ou=groups,${BASE_DN}`;
  const uid = (account: string): string => `uid=${account},${PEOPLE}`;

  it("applies, plans no changes, renames an account in place, locks a leaver whose read-back says so, and converges", async () => {
    const ds = await server();
    const repo = await createConnectorRepo({
      provider: {
        name: "ldap",
        yaml: ldapProviderYaml(ds, {
          disable: `{ method: attribute, attribute: nsAccountLock, value: "true" }`,
        }),
      },
      env: { [PASSWORD_ENV]: ds.password },
    });
    try {
      const applied = await repo.run(["apply", "--yes"]);
      expect(applied.stderr).not.toContain("error");
      expect(applied.stdout).toMatch(/Apply complete: \d+ applied, 0 failed, 0 skipped/);
      expect(applied.code).toBe(0);
      const members = async (group: string): Promise<string[]> =>
        (await rootSearch(ds, GROUPS, `(cn=${group})`, ["member"]))[0]?.values("member") ?? [];
      expect(await members("team-oncall-write")).toEqual([uid("ben"), uid("cleo")]);
      // 389's memberOf plugin follows gatehouse's writes.
      expect(await rawValues(ds, uid("ben"), "memberOf")).toContain(`cn=team-oncall-write,${GROUPS}`);
      const again = await repo.run(["plan", "--detailed-exitcode"]);
      expect(again.stdout).toContain("No changes.");
      expect(again.code).toBe(0);

      // ada's account renamed in place: one modifyDN, her groups and reports follow.
      await repo.edit(
        USERS_FILE,
        "accounts: { github: ada-l }",
        "accounts: { github: ada-l, ldap: ada.lovelace }",
      );
      await repo.commit("ada's LDAP account is ada.lovelace");
      const renamed = await repo.run(["apply", "--yes"]);
      expect(renamed.stdout).toMatch(/Apply complete: \d+ applied, 0 failed, 0 skipped/);
      expect(renamed.code).toBe(0);
      expect(await rootSearch(ds, PEOPLE, "(uid=ada)", ["uid"])).toEqual([]);
      expect(await members("team-eng-write")).toContain(uid("ada.lovelace"));
      const [ben] = await rootSearch(ds, PEOPLE, "(uid=ben)", ["manager"]);
      expect(ben?.values("manager")).toEqual([uid("ada.lovelace")]);
      expect((await repo.run(["plan", "--detailed-exitcode"])).stdout).toContain("No changes.");

      // ben leaves: locked by nsAccountLock (not moved), out of every group, and the read-back says so.
      await ds.ldapmodify(
        `dn: ${uid("ben")}\nchangetype: modify\nreplace: userPassword\nuserPassword: ben-Passw0rd\n`,
      );
      await terminate(repo, "ben");
      const left = await repo.run(["apply", "--yes"]);
      expect(left.stdout).toContain(
        "Offboarding verified: 1 leaver account(s) read back, 1 with no access left.\n" +
          "  clean ldap: ben: account disabled, in no group, sessions: cannot be revoked or checked here\n",
      );
      expect(left.code).toBe(0);
      expect((await rawValues(ds, uid("ben"), "nsAccountLock")).map((v) => v.toLowerCase())).toEqual([
        "true",
      ]);
      expect(await rawValues(ds, uid("ben"), "memberOf")).toEqual([]);
      // 389 refuses the locked account's bind (53, "Account inactivated").
      const client = new Client({ url: ds.url, timeout: 10_000 });
      await expect(client.bind(uid("ben"), "ben-Passw0rd")).rejects.toThrow(/inactivated/i);
      await client.unbind();
      const after = await repo.run(["plan", "--detailed-exitcode"]);
      expect(after.stdout).toContain("No changes.");
      expect(after.code).toBe(0);
      expect(repo.runs.map((r) => r.stdout + r.stderr).join("")).not.toContain(ds.password);
    } finally {
      await repo.remove();
    }
  });
});
