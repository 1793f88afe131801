import { mkdtemp, rm } from "node:fs/promises";
import { createServer, connect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, ProviderError } from "../../src/errors.ts";
import type { Change } from "../../src/plan/types.ts";
import type { Provider } from "../../src/providers/types.ts";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import type { Slapd } from "../harness/slapd.ts";
import { findFreePort, ldapConfig, ldapContext, startSlapd } from "../harness/slapd.ts";

const signal = (): AbortSignal => AbortSignal.timeout(30_000);

/** The error's whole story: message, cause chain and enumerable fields. */
function everythingSaidBy(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    parts.push(
      current instanceof Error ? `${current.name}: ${current.message}` : JSON.stringify(current),
      JSON.stringify(current),
    );
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join("\n");
}

async function readError(provider: Provider): Promise<ProviderError> {
  const error: unknown = await provider.read(signal()).then(
    () => undefined,
    (e: unknown) => e,
  );
  await provider.close();
  if (!(error instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

async function createError(provider: Provider, after: Record<string, string>): Promise<ProviderError> {
  const create = {
    id: "u",
    provider: "ldap",
    reason: "added-in-config",
    risk: "broadens",
    kind: "user",
    action: "create",
  };
  const [outcome] = await provider.apply([{ ...create, account: "zed", after } as Change], signal());
  await provider.close();
  if (outcome?.status !== "failed") throw new Error("expected the create to fail");
  return outcome.error;
}

describe("ldap provider errors name the problem and never the password", { tags: ["slow"] }, () => {
  let server: Slapd;
  beforeAll(async () => {
    server = await startSlapd();
  });
  afterAll(async () => server.stop());

  it("refuses to create an Active Directory user over an unencrypted connection, writing nothing", async () => {
    const provider = createLdapProvider(
      ldapConfig(server, { flavour: "activeDirectory" }),
      ldapContext(server.password),
    );
    const error = await createError(provider, { name: "Zed Z" });
    expect(error.message).toContain("encrypted connection");
    expect(error.message).toContain("ldaps://");
    expect(provider.stats().writes).toBe(0);
    expect(everythingSaidBy(error)).not.toContain(server.password);
  });

  it("reports bad credentials with the bind DN and the variable name", async () => {
    const provider = createLdapProvider(ldapConfig(server), ldapContext("not-the-password-xyz"));
    const error = await readError(provider);
    expect(error.message).toContain("invalid credentials");
    expect(error.message).toContain("cn=gatehouse,dc=example,dc=com");
    expect(error.message).toContain("GATEHOUSE_TEST_LDAP_PASSWORD");
    expect(error.isTransient).toBe(false);
    expect(everythingSaidBy(error)).not.toContain("not-the-password-xyz");
  });

  it("binds once with a refused password, also where an incremental read would have fallen back to a full one", async () => {
    // Each failed bind counts towards a lockout policy (ppolicy's pwdMaxFailure, AD's threshold): one
    // refusal is the answer for the whole run. Connections (one per bind attempt) are counted on the way.
    let connections = 0;
    const relay = createServer((socket) => {
      connections += 1;
      const upstream = connect(Number(new URL(server.url).port), "127.0.0.1");
      socket.pipe(upstream).pipe(socket);
      const close = (): void => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on("error", close);
      upstream.on("error", close);
    });
    const port = await new Promise<number>((resolve) =>
      relay.listen(0, "127.0.0.1", () => {
        resolve((relay.address() as AddressInfo).port);
      }),
    );
    const cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-ldap-bind-"));
    try {
      const via = { ...server, url: `ldap://127.0.0.1:${String(port)}` };
      const run = (password: string): Provider =>
        createLdapProvider(ldapConfig(via, { readCache: true }), { ...ldapContext(password), cwd });
      const good = run(server.password);
      await good.read(signal()); // leaves a snapshot: the next run tries the incremental way first
      await good.close();
      connections = 0;
      const error = await readError(run("not-the-password-xyz"));
      expect(error.message).toContain("invalid credentials");
      expect(connections).toBe(1);

      connections = 0;
      const refused = run("not-the-password-xyz");
      const outcomes = await refused.apply(
        ["ann", "bob", "cy"].map((account) => ({
          id: `ldap:user/${account}`,
          provider: "ldap",
          reason: "added-in-config",
          risk: "broadens",
          kind: "user",
          action: "create",
          account,
          after: { name: account },
        })),
        signal(),
      );
      await refused.close();
      expect(outcomes.map((o) => o.status)).toEqual(["failed", "failed", "failed"]);
      expect(connections).toBe(1);
    } finally {
      await new Promise((resolve) => relay.close(resolve));
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it("reports an unreachable server as transient", async () => {
    const port = await findFreePort();
    const provider = createLdapProvider(
      ldapConfig({ ...server, url: `ldap://127.0.0.1:${port}` }),
      ldapContext(server.password),
    );
    const error = await readError(provider);
    expect(error.message).toContain(`cannot reach ldap://127.0.0.1:${port}`);
    expect(error.isTransient).toBe(true);
    expect(everythingSaidBy(error)).not.toContain(server.password);
  });

  it("reports a base DN that does not exist", async () => {
    const provider = createLdapProvider(
      ldapConfig({ ...server, baseDn: "dc=missing,dc=org" }),
      ldapContext(server.password),
    );
    const error = await readError(provider);
    expect(error.message).toContain('"ou=people,dc=missing,dc=org"');
    expect(error.message).toContain("no such object");
    expect(error.message).not.toMatch(/Code: 0x|: *$/); // no ldapts code suffix, no empty server text
    expect(error.message).toMatch(/check that the base DN \/ OU exists/);
    expect(everythingSaidBy(error)).not.toContain(server.password);
  });

  it("names the entry and the attribute of a schema violation", async () => {
    const provider = createLdapProvider(
      ldapConfig(server, { people: { objectClasses: ["person"] } }),
      ldapContext(server.password),
    );
    const error = await createError(provider, { name: "Zed Z" });
    expect(error.message).toContain("schema violation");
    expect(error.message).toContain('"uid=zed,ou=people,dc=example,dc=com"');
    expect(error.message).toMatch(/'uid' not allowed/);
    expect(everythingSaidBy(error)).not.toContain(server.password);
  });

  it("names an attribute the schema does not define", async () => {
    const provider = createLdapProvider(
      ldapConfig(server, { people: { attributes: { department: "costCenter" } } }),
      ldapContext(server.password),
    );
    const error = await createError(provider, { name: "Zed Z", department: "ENG" });
    expect(error.message).toContain("costCenter");
    expect(error.message).toContain("undefined attribute type");
  });

  it("refuses to start without the password variable, naming it", () => {
    expect(() => createLdapProvider(ldapConfig(server), { ...ldapContext(""), env: {} })).toThrow(
      ConfigError,
    );
    expect(() => createLdapProvider(ldapConfig(server), { ...ldapContext(""), env: {} })).toThrow(
      /GATEHOUSE_TEST_LDAP_PASSWORD \(setting "passwordEnv"\) is not set/,
    );
  });

  it("rejects an unknown setting, naming the provider and the key", () => {
    expect(() => createLdapProvider(ldapConfig(server, { groups: { kind: "x" } }), ldapContext("x"))).toThrow(
      /provider "ldap": setting "groups.kind" is unknown/,
    );
  });
});

describe("ldap provider over TLS", { tags: ["slow"] }, () => {
  let server: Slapd;
  beforeAll(async () => {
    server = await startSlapd({ tls: true });
  });
  afterAll(async () => server.stop());

  it("reads over ldap:// upgraded with StartTLS, trusting the CA file", async () => {
    const provider = createLdapProvider(
      ldapConfig(server, { startTls: true, caFile: server.caFile }),
      ldapContext(server.password),
    );
    const live = await provider.read(signal());
    expect(live.users).toEqual([]);
    await provider.close();
  });

  it("reads over ldaps://, trusting the CA file", async () => {
    const provider = createLdapProvider(
      ldapConfig({ ...server, url: server.ldapsUrl ?? "" }, { caFile: server.caFile }),
      ldapContext(server.password),
    );
    expect((await provider.read(signal())).groups).toEqual([]);
    await provider.close();
  });

  it("refuses a server certificate it cannot verify and points at caFile", async () => {
    const provider = createLdapProvider(
      ldapConfig({ ...server, url: server.ldapsUrl ?? "" }),
      ldapContext(server.password),
    );
    const error = await readError(provider);
    expect(error.message).toContain("TLS with ldaps://127.0.0.1");
    expect(error.message).toContain("caFile");
    expect(everythingSaidBy(error)).not.toContain(server.password);
  });

  it("refuses StartTLS without the CA as well", async () => {
    const provider = createLdapProvider(ldapConfig(server, { startTls: true }), ldapContext(server.password));
    const error = await readError(provider);
    expect(error.message).toContain("caFile");
  });
});
