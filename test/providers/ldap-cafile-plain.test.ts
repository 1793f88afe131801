import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import type { Slapd } from "../harness/slapd.ts";
import { ldapConfig, ldapContext, startSlapd } from "../harness/slapd.ts";

const signal = (): AbortSignal => AbortSignal.timeout(30_000);

describe("ldap:// on loopback with caFile set and startTls off", { tags: ["slow"] }, () => {
  let server: Slapd;
  beforeAll(async () => {
    server = await startSlapd({ tls: true });
  });
  afterAll(async () => server.stop());

  it("speaks plain LDAP to the plain port, as without caFile (not TLS, which the server resets)", async () => {
    const provider = createLdapProvider(
      ldapConfig(server, { startTls: false, caFile: server.caFile }),
      ldapContext(server.password),
    );
    const live = await provider.read(signal());
    expect(live.users).toEqual([]);
    await provider.close();
  });
});
