import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import { ldapConfig, ldapContext, startSlapd } from "../harness/slapd.ts";
import { describeProviderContract } from "./contract.ts";
import type { ContractHarness } from "./contract.ts";

async function openldap(
  settings: Readonly<Record<string, unknown>>,
  nesting = true,
): Promise<ContractHarness> {
  const server = await startSlapd();
  const provider = createLdapProvider(
    ldapConfig(server, settings, { nesting }),
    ldapContext(server.password),
  );
  return { provider, close: () => server.stop() };
}

describeProviderContract("ldap (OpenLDAP, groupOfNames, nesting, disable by move)", () =>
  openldap({ groups: { objectClass: "groupOfNames" }, disable: { method: "move", ou: "ou=disabled" } }),
);

describeProviderContract(
  "ldap (OpenLDAP, groupOfUniqueNames, flattened)",
  () => openldap({ groups: { objectClass: "groupOfUniqueNames" } }, false),
  "gu",
);

describeProviderContract(
  "ldap (OpenLDAP, posixGroup memberUid, disable by attribute)",
  () =>
    openldap({
      people: { objectClasses: ["inetOrgPerson", "shadowAccount"] },
      groups: { objectClass: "posixGroup" },
      disable: { method: "attribute", attribute: "shadowExpire", value: "1" },
    }),
  "px",
);
