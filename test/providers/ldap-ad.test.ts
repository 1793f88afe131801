import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { Attribute, Client, Change as LdapChange } from "ldapts";
import type { Change } from "../../src/plan/types.ts";
import type { Provider } from "../../src/providers/types.ts";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import type { SambaDc } from "../harness/samba.ts";
import { startSambaDc } from "../harness/samba.ts";
import { ldapConfig, ldapContext } from "../harness/slapd.ts";
import { describeProviderContract } from "./contract.ts";

/** One Samba DC for the whole file: it needs the fixed ports 389/636. */
let dc: Promise<SambaDc> | undefined;
const samba = (): Promise<SambaDc> => (dc ??= startSambaDc());
afterAll(async () => {
  if (dc) await (await dc).stop();
}, 60_000);

const PEOPLE = "OU=People,DC=example,DC=com";
const signal = (): AbortSignal => AbortSignal.timeout(60_000);

function adProvider(server: SambaDc, settings: Readonly<Record<string, unknown>> = {}): Provider {
  const config = ldapConfig(server, {
    flavour: "activeDirectory",
    caFile: server.caFile,
    people: { ou: "OU=People", upnSuffix: "example.com" },
    groups: { ou: "OU=Groups" },
    ...settings,
  });
  return createLdapProvider(config, ldapContext(server.password));
}

function change(partial: Record<string, unknown>): Change {
  return {
    id: JSON.stringify(partial),
    provider: "ad",
    reason: "added-in-config",
    risk: "broadens",
    ...partial,
  } as Change;
}

async function applyAll(provider: Provider, changes: Change[]): Promise<void> {
  for (const outcome of await provider.apply(changes, signal()))
    if (outcome.status === "failed") throw outcome.error;
}

async function rawValues(client: Client, dn: string, attribute: string): Promise<string[]> {
  const { searchEntries } = await client.search(dn, { scope: "base", attributes: [attribute] });
  const value = searchEntries[0]?.[attribute] ?? [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** "bound", or the server's answer to a simple bind as `dn`. */
async function simpleBind(server: SambaDc, dn: string, password: string): Promise<string> {
  const client = new Client({
    url: server.url,
    timeout: 10_000,
    tlsOptions: { ca: readFileSync(server.caFile) },
  });
  try {
    await client.bind(dn, password);
    return "bound";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

describeProviderContract(
  "ldap (Samba Active Directory)",
  async () => {
    const server = await samba();
    return { provider: adProvider(server), close: () => Promise.resolve() };
  },
  "ad",
);

describe("ldap provider against Samba Active Directory", { tags: ["slow"] }, () => {
  let server: SambaDc;
  let provider: Provider;
  beforeAll(async () => {
    server = await samba();
    provider = adProvider(server, { rangeSize: 100 });
  }, 180_000);
  afterAll(async () => provider.close());

  it("creates users with sAMAccountName and userPrincipalName and disables them with ACCOUNTDISABLE", async () => {
    await applyAll(provider, [
      change({
        kind: "user",
        action: "create",
        account: "kim",
        after: { name: "Kim Park", title: "Analyst" },
      }),
    ]);
    await server.admin(async (client) => {
      const dn = `CN=kim,${PEOPLE}`;
      expect(await rawValues(client, dn, "sAMAccountName")).toEqual(["kim"]);
      expect(await rawValues(client, dn, "userPrincipalName")).toEqual(["kim@example.com"]);
      await applyAll(provider, [
        change({ kind: "user", action: "disable", account: "kim", risk: "narrows" }),
      ]);
      expect(Number((await rawValues(client, dn, "userAccountControl"))[0]) & 0x2).toBe(0x2);
    });
    const live = await provider.read(signal());
    expect(live.users.find((u) => u.account === "kim")).toMatchObject({
      enabled: false,
      name: "Kim Park",
      title: "Analyst",
    });
  });

  it("creates users with a random password set and PASSWD_NOTREQD off, so an empty password cannot sign in", async () => {
    await applyAll(provider, [
      change({ kind: "user", action: "create", account: "pwd-lee", after: { name: "Lee Pwd" } }),
    ]);
    const dn = `CN=pwd-lee,${PEOPLE}`;
    await server.admin(async (client) => {
      const uac = Number((await rawValues(client, dn, "userAccountControl"))[0]);
      expect(uac & 0x20).toBe(0);
      expect(uac & 0x2).toBe(0);
      expect(Number((await rawValues(client, dn, "pwdLastSet"))[0])).toBeGreaterThan(0);
    });
    expect(await simpleBind(server, dn, "")).not.toBe("bound");
  });

  it("reads and rewrites a group whose members come back in several ranges", async () => {
    const accounts = Array.from({ length: 250 }, (_, i) => `rng${String(i).padStart(3, "0")}`);
    await server.admin(async (client) => {
      for (const a of accounts) {
        await client.add(`CN=${a},${PEOPLE}`, {
          objectClass: ["top", "person", "organizationalPerson", "user"],
          sAMAccountName: a,
          userAccountControl: "544",
        });
      }
      await client.add(`CN=app-range-read,OU=Groups,DC=example,DC=com`, {
        objectClass: ["top", "group"],
        sAMAccountName: "app-range-read",
        member: accounts.map((a) => `CN=${a},${PEOPLE}`),
      });
    });
    const before = provider.stats().reads;
    const live = await provider.read(signal());
    expect(live.groups.find((g) => g.name === "app-range-read")?.members).toEqual(accounts);
    // users (1 page) + groups (1 page) + ranges 100-199 and 200-299 of the big group.
    expect(provider.stats().reads - before).toBeGreaterThanOrEqual(4);
    const writes = provider.stats().writes;
    await applyAll(provider, [
      change({
        kind: "membership",
        action: "remove",
        group: "app-range-read",
        member: "rng249",
        memberKind: "user",
      }),
      change({
        kind: "membership",
        action: "add",
        group: "app-range-read",
        member: "kim",
        memberKind: "user",
      }),
    ]);
    expect(provider.stats().writes - writes).toBe(1);
    const after = (await provider.read(signal())).groups.find((g) => g.name === "app-range-read");
    expect(after?.members).toHaveLength(250);
    expect(after?.members).toContain("kim");
    expect(after?.members).not.toContain("rng249");
  });

  it("reports a group rename whose sAMAccountName write fails as failed, saying the DN was already renamed", async () => {
    await applyAll(provider, [change({ kind: "group", action: "create", group: "app-half-old" })]);
    // sAMAccountName is unique in the domain: a user already holds the new name.
    await server.admin(async (client) => {
      await client.add(`CN=holder,${PEOPLE}`, {
        objectClass: ["top", "person", "organizationalPerson", "user"],
        sAMAccountName: "app-half-new",
        userAccountControl: "514",
      });
    });
    const [outcome] = await provider.apply(
      [
        change({
          kind: "group",
          action: "update",
          group: "app-half-old",
          fields: [{ field: "name", before: "app-half-old", after: "app-half-new" }],
        }),
      ],
      signal(),
    );
    expect(outcome?.status).toBe("failed");
    const message = outcome?.status === "failed" ? outcome.error.message : "";
    expect(message).toContain("already renamed");
    expect(message).toContain("cn=app-half-new,OU=Groups,DC=example,DC=com");
    expect(message).toContain("sAMAccountName");
    expect(message).not.toContain(server.password);
  });

  it("sees a title changed directly in the directory (drift)", async () => {
    await server.admin(async (client) => {
      await client.modify(
        `CN=kim,${PEOPLE}`,
        new LdapChange({
          operation: "replace",
          modification: new Attribute({ type: "title", values: ["Domain Admin"] }),
        }),
      );
    });
    expect((await provider.read(signal())).users.find((u) => u.account === "kim")?.title).toBe(
      "Domain Admin",
    );
  });
});
