import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Change } from "../../src/plan/types.ts";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import type { Slapd } from "../harness/slapd.ts";
import { ldapConfig, ldapContext, startSlapd } from "../harness/slapd.ts";

// A leaver is disabled by moving the entry into ou=disabled, where an earlier leaver of the same name
// already sits: the account must still end up disabled, not stay enabled for want of a free DN.
const signal = (): AbortSignal => AbortSignal.timeout(60_000);
const BASE = "dc=example,dc=com";
const PEOPLE = `ou=people,${BASE}`;
const DISABLED = `ou=disabled,${BASE}`;

const person = (dn: string, uid: string, cn: string): string =>
  `dn: ${dn}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: ${cn}\nsn: ${cn.split(" ").pop() ?? cn}\n`;

const LDIF = [
  person(`cn=Dieter Koch,${PEOPLE}`, "dkoch", "Dieter Koch"),
  person(`cn=Dieter Koch,${DISABLED}`, "dkoch-1999", "Dieter Koch"),
  person(`uid=zed,${PEOPLE}`, "zed", "Zed One"),
  // A leftover of another kind (not a person gatehouse reads) at the DN zed would move to.
  `dn: uid=zed,${DISABLED}\nobjectClass: account\nuid: zed\n`,
].join("\n");

function change(action: "disable" | "enable", account: string): Change {
  return {
    id: `${action}-${account}`,
    provider: "ldap",
    reason: "user-terminated",
    risk: action === "disable" ? "narrows" : "broadens",
    kind: "user",
    action,
    account,
  };
}

describe("ldap disable by move when the target DN is taken", { tags: ["slow"] }, () => {
  let server: Slapd;
  beforeAll(async () => {
    server = await startSlapd({ ldif: LDIF });
  });
  afterAll(async () => server.stop());

  it("moves the leaver under an RDN that also holds the account (cn=…+uid=…), and back on enable", async () => {
    const provider = createLdapProvider(
      ldapConfig(server, {
        people: { rdnAttribute: "cn", accountAttribute: "uid" },
        disable: { method: "move", ou: "ou=disabled" },
      }),
      ldapContext(server.password),
    );
    try {
      const [outcome] = await provider.apply([change("disable", "dkoch")], signal());
      expect(outcome?.status).toBe("applied");
      const live = await provider.read(signal());
      expect(live.users.find((u) => u.account === "dkoch")?.enabled).toBe(false);
      // The earlier leaver is untouched.
      expect(live.users.find((u) => u.account === "dkoch-1999")?.enabled).toBe(false);
      const [back] = await provider.apply([change("enable", "dkoch")], signal());
      expect(back?.status).toBe("applied");
      expect((await provider.read(signal())).users.find((u) => u.account === "dkoch")?.enabled).toBe(true);
    } finally {
      await provider.close();
    }
  });

  it("names the DN in the way when the RDN already is the account attribute", async () => {
    const provider = createLdapProvider(
      ldapConfig(server, { disable: { method: "move", ou: "ou=disabled" } }),
      ldapContext(server.password),
    );
    try {
      const [outcome] = await provider.apply([change("disable", "zed")], signal());
      expect(outcome?.status).toBe("failed");
      const message = outcome?.status === "failed" ? outcome.error.message : "";
      expect(message).toContain(`"uid=zed,${DISABLED}"`);
      expect(message).toContain("was not disabled");
    } finally {
      await provider.close();
    }
  });
});
