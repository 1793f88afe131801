/**
 * The disable GH239 recommends for OpenLDAP: `disable: { method: attribute, attribute:
 * pwdAccountLockedTime, value: "000001010000Z" }` with the ppolicy overlay loaded. The leaver then cannot
 * bind; enabling them again lets them. Real slapd; binds as the person, not as gatehouse.
 */
import { Client } from "ldapts";
import { afterEach, describe, expect, it } from "vitest";
import type { Change } from "../../src/plan/types.ts";
import { slapdWithProvider } from "../harness/slapd.ts";
import { person, uid } from "./ldap-ldif.ts";

const signal = (): AbortSignal => AbortSignal.timeout(60_000);
const ldap = slapdWithProvider();
afterEach(ldap.stop);

const PASSWORD = "ann-Pass1";

async function bindsAs(url: string, dn: string): Promise<string> {
  const client = new Client({ url, timeout: 10_000 });
  try {
    await client.bind(dn, PASSWORD);
    return "bound";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

const userChange = (action: "disable" | "enable"): Change => ({
  id: `ldap:user/ann/${action}`,
  provider: "ldap",
  kind: "user",
  action,
  account: "ann",
  userId: "ann",
  reason: action === "disable" ? "user-terminated" : "drift",
  risk: action === "disable" ? "narrows" : "broadens",
});

describe("ldap disable by pwdAccountLockedTime (ppolicy)", { tags: ["slow"] }, () => {
  it("stops the leaver's binds, and enabling them lets them bind again", async () => {
    const { server, provider } = await ldap.start(
      { ldif: person("ann", { userPassword: PASSWORD }), ppolicy: true },
      { disable: { method: "attribute", attribute: "pwdAccountLockedTime", value: "000001010000Z" } },
    );
    expect(await bindsAs(server.url, uid("ann"))).toBe("bound");
    await provider.read(signal());
    expect(await provider.apply([userChange("disable")], signal())).toMatchObject([{ status: "applied" }]);
    expect(await bindsAs(server.url, uid("ann"))).toMatch(/invalid credentials|0x31/i);
    const read = await provider.read(signal());
    expect(read.users.find((u) => u.account === "ann")?.enabled).toBe(false);
    expect(await provider.apply([userChange("enable")], signal())).toMatchObject([{ status: "applied" }]);
    expect(await bindsAs(server.url, uid("ann"))).toBe("bound");
  });
});
