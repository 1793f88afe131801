import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Attribute, Client, Change as LdapChange } from "ldapts";
import type { ChangeResult } from "../../src/apply/apply-plan.ts";
import { verifyOffboarding } from "../../src/apply/offboard-verify.ts";
import type { Change } from "../../src/plan/types.ts";
import type { Provider, ProviderContext } from "../../src/providers/types.ts";
import { createLdapProvider } from "../../src/providers/ldap/provider.ts";
import type { SambaDc } from "../harness/samba.ts";
import { startSambaDc } from "../harness/samba.ts";
import { ldapConfig, ldapContext, PASSWORD_ENV } from "../harness/slapd.ts";
import { accountExpiresOf } from "../../src/providers/ldap/map.ts";
import { createConnectorRepo, noteMessages, USERS_FILE } from "../e2e/connectors/workspace.ts";
import { describeProviderContract } from "./contract.ts";

/** One Samba DC for the whole file: it needs the fixed ports 389/636. */
let dc: Promise<SambaDc> | undefined;
const samba = (): Promise<SambaDc> => (dc ??= startSambaDc());
afterAll(async () => {
  if (dc) await (await dc).stop();
}, 60_000);

const PEOPLE = "OU=People,DC=example,DC=com";
const signal = (): AbortSignal => AbortSignal.timeout(60_000);

function adProvider(
  server: SambaDc,
  settings: Readonly<Record<string, unknown>> = {},
  context: ProviderContext = ldapContext(server.password),
): Provider {
  const config = ldapConfig(server, {
    flavour: "activeDirectory",
    caFile: server.caFile,
    people: { ou: "OU=People", upnSuffix: "example.com" },
    groups: { ou: "OU=Groups" },
    ...settings,
  });
  return createLdapProvider(config, context);
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

  it("reads a group whose cn was renamed by hand with its sAMAccountName as its other name, and renames it back keeping the object", async () => {
    await applyAll(provider, [change({ kind: "group", action: "create", group: "hand-ops" })]);
    await applyAll(provider, [
      change({ kind: "membership", action: "add", group: "hand-ops", member: "kim", memberKind: "user" }),
    ]);
    const GROUPS_OU = "OU=Groups,DC=example,DC=com";
    const guid = async (dn: string): Promise<string> =>
      server.admin(async (client) => {
        const { searchEntries } = await client.search(dn, {
          scope: "base",
          attributes: ["objectGUID"],
          explicitBufferAttributes: ["objectGUID"],
        });
        const value = searchEntries[0]?.["objectGUID"];
        return Buffer.isBuffer(value) ? value.toString("hex") : "";
      });
    const before = await guid(`CN=hand-ops,${GROUPS_OU}`);
    // An admin renames the group in ADUC: the cn changes, the sAMAccountName (and SID) stay.
    await server.admin((client) => client.modifyDN(`CN=hand-ops,${GROUPS_OU}`, `CN=Hand Ops,${GROUPS_OU}`));
    const read = await provider.read(signal());
    expect(read.groups.find((g) => g.name === "Hand Ops")).toMatchObject({
      otherName: "hand-ops",
      members: ["kim"],
    });
    await applyAll(provider, [
      change({
        kind: "group",
        action: "update",
        group: "Hand Ops",
        fields: [{ field: "name", before: "Hand Ops", after: "hand-ops" }],
      }),
    ]);
    expect(await guid(`CN=hand-ops,${GROUPS_OU}`)).toBe(before);
    const after = (await provider.read(signal())).groups.find((g) => g.name === "hand-ops");
    expect(after?.members).toEqual(["kim"]);
    expect(after).not.toHaveProperty("otherName");
  });

  it("explains an 'already exists' answer in AD's terms: a name taken somewhere in the domain", async () => {
    // The user "holder" (above) holds the sAMAccountName app-half-new.
    const [outcome] = await provider.apply(
      [change({ kind: "group", action: "create", group: "app-half-new" })],
      signal(),
    );
    const message = outcome?.status === "failed" ? outcome.error.message : "";
    expect(message).toContain("(LDAP 68); another object in the domain holds this DN or this sAMAccountName");
    expect(message).not.toContain("groupOfNames");
  });

  it("names an account moved out of the people OU by hand by its sAMAccountName, as its groups and reports still name it", async () => {
    const away = "OU=Parked,DC=example,DC=com";
    const GROUP = "CN=parked-team,OU=Groups,DC=example,DC=com";
    await applyAll(provider, [
      change({ kind: "user", action: "create", account: "parked", after: { name: "Parked Person" } }),
      change({
        kind: "user",
        action: "create",
        account: "report",
        after: { name: "Report", manager: "parked" },
      }),
      change({ kind: "user", action: "create", account: "annx", after: { name: "Ann Old" } }),
      change({ kind: "group", action: "create", group: "parked-team" }),
    ]);
    await applyAll(provider, [
      change({
        kind: "membership",
        action: "add",
        group: "parked-team",
        member: "parked",
        memberKind: "user",
      }),
      change({ kind: "membership", action: "add", group: "parked-team", member: "annx", memberKind: "user" }),
    ]);
    try {
      await server.admin(async (client) => {
        await client.add(away, { objectClass: ["top", "organizationalUnit"], ou: "Parked" });
        await client.modifyDN(`CN=parked,${PEOPLE}`, `CN=parked,${away}`);
        // Someone else's old entry, renamed to free the name and parked: its cn is no account name.
        await client.modify(
          `CN=annx,${PEOPLE}`,
          new LdapChange({
            operation: "replace",
            modification: new Attribute({ type: "sAMAccountName", values: ["annx.old"] }),
          }),
        );
        await client.modifyDN(`CN=annx,${PEOPLE}`, `CN=annx,${away}`);
        // A built-in account and a built-in group outside the OUs, put into the group by hand.
        for (const member of [
          "CN=Administrator,CN=Users,DC=example,DC=com",
          "CN=Domain Admins,CN=Users,DC=example,DC=com",
        ])
          await client.modify(
            GROUP,
            new LdapChange({
              operation: "add",
              modification: new Attribute({ type: "member", values: [member] }),
            }),
          );
      });
      const read = await provider.read(signal());
      expect(read.users.map((u) => u.account)).not.toContain("parked");
      expect(read.users.find((u) => u.account === "report")).not.toHaveProperty("manager");
      expect(read.elsewhere).toEqual([
        { account: "Administrator", where: "CN=Administrator,CN=Users,DC=example,DC=com" },
        { account: "annx.old", where: `CN=annx,${away}` },
        { account: "parked", where: `CN=parked,${away}` },
      ]);
      // What the plan would otherwise do: create it again, which AD refuses (the sAMAccountName is in use).
      const [outcome] = await provider.apply(
        [change({ kind: "user", action: "create", account: "parked", after: { name: "Parked Person" } })],
        signal(),
      );
      expect(outcome?.status).toBe("failed");
    } finally {
      // Gone again, so that no later read meets entries naming a DN outside the scope.
      await server.admin(async (client) => {
        for (const dn of [`CN=report,${PEOPLE}`, GROUP, `CN=parked,${away}`, `CN=annx,${away}`, away])
          await client.del(dn).catch(() => undefined);
      });
    }
  });

  it("reads a user whose sAMAccountName was changed by hand with the cn of its entry as its other name", async () => {
    await applyAll(provider, [
      change({ kind: "user", action: "create", account: "mei", after: { name: "Mei Silva" } }),
    ]);
    await server.admin((client) =>
      client.modify(
        `CN=mei,${PEOPLE}`,
        new LdapChange({
          operation: "replace",
          modification: new Attribute({ type: "sAMAccountName", values: ["mei.x"] }),
        }),
      ),
    );
    const users = (await provider.read(signal())).users;
    expect(users.find((u) => u.account === "mei.x")).toMatchObject({ otherName: "mei", name: "Mei Silva" });
    expect(users.find((u) => u.account === "mei")).toBeUndefined();
    // Accounts whose cn is their sAMAccountName (as gatehouse creates them) have no other name.
    expect(users.find((u) => u.account === "kim")).not.toHaveProperty("otherName");
  });

  it("gives the objectGUID of an account and a group it creates, and finds them by it once renamed by hand", async () => {
    const [made] = await provider.apply(
      [change({ kind: "user", action: "create", account: "guid-ann", after: { name: "Guid Ann" } })],
      signal(),
    );
    const [group] = await provider.apply(
      [change({ kind: "group", action: "create", group: "guid-team" })],
      signal(),
    );
    const id = made?.status === "applied" ? made.accountId : undefined;
    const groupId = group?.status === "applied" ? group.accountId : undefined;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(groupId).toMatch(/^[0-9a-f]{32}$/);
    // Renamed by hand: a new cn and a new sAMAccountName, for the account and for the group.
    await server.admin(async (client) => {
      await client.modifyDN(`CN=guid-ann,${PEOPLE}`, `CN=ann.guid,${PEOPLE}`);
      await client.modify(
        `CN=ann.guid,${PEOPLE}`,
        new LdapChange({
          operation: "replace",
          modification: new Attribute({ type: "sAMAccountName", values: ["ann.guid"] }),
        }),
      );
    });
    expect(await provider.accountsById?.([id ?? "", "00".repeat(16), "not-a-guid"], signal())).toEqual(
      new Map([[id, "ann.guid"]]),
    );
    expect(await provider.groupsById?.([groupId ?? ""], signal())).toEqual(new Map([[groupId, "guid-team"]]));
  });

  it("creates the account of a person with an endDate to expire when that day ends (accountExpires)", async () => {
    await applyAll(provider, [
      change({
        kind: "user",
        action: "create",
        account: "exp-joe",
        after: { name: "Joe Temp" },
        endDate: "2026-12-31",
      }),
    ]);
    await server.admin(async (client) => {
      expect(await rawValues(client, `CN=exp-joe,${PEOPLE}`, "accountExpires")).toEqual([
        "134432352000000000",
      ]);
    });
    // Read back as the same last day (no difference on the next plan); a new endDate moves it.
    const endOf = async () =>
      (await provider.read(signal())).users.find((u) => u.account === "exp-joe")?.endDate;
    expect(await endOf()).toBe("2026-12-31");
    await applyAll(provider, [
      change({
        kind: "user",
        action: "update",
        account: "exp-joe",
        fields: [{ field: "endDate", before: "2026-12-31", after: "2027-03-31" }],
        after: { name: "Joe Temp" },
        risk: "neutral",
      }),
    ]);
    expect(await endOf()).toBe("2027-03-31");
    // Cleared (the files no longer give an endDate gatehouse wrote): never, as AD makes a new account.
    await applyAll(provider, [
      change({
        kind: "user",
        action: "update",
        account: "exp-joe",
        fields: [{ field: "endDate", before: "2027-03-31", after: null }],
        after: { name: "Joe Temp" },
        risk: "neutral",
      }),
    ]);
    await server.admin(async (client) => {
      expect(await rawValues(client, `CN=exp-joe,${PEOPLE}`, "accountExpires")).toEqual([
        "9223372036854775807",
      ]);
    });
    expect(await endOf()).toBeUndefined();
  });

  it("creates a new account in its department's OU (people.ouByDepartment), where the read finds it", async () => {
    const ENG = `OU=Eng,${PEOPLE}`;
    await server.admin((client) =>
      client.add(ENG, { objectClass: ["top", "organizationalUnit"], ou: "Eng" }),
    );
    const placed = adProvider(server, {
      people: {
        ou: "OU=People",
        upnSuffix: "example.com",
        ouByDepartment: { Engineering: "OU=Eng", Sales: "OU=Sales" },
      },
    });
    try {
      // The plan asks before it creates: an OU that does not exist (Sales) is found now, not at apply.
      const reads = placed.stats().reads;
      const claims = await placed.namesClaimedBeyondRead?.(
        ["dept-dan", "dept-lee", "dept-sue", "dept-sam"],
        signal(),
        new Map([
          ["dept-dan", "engineering"],
          ["dept-lee", "Legal"],
          ["dept-sue", "Sales"],
          ["dept-sam", "SALES "],
        ]),
      );
      expect(claims?.cannotCreate).toEqual(
        ["dept-sue", "dept-sam"].map((account) => ({
          account,
          why: `the OU of department Sales (people.ouByDepartment), OU=Sales,${PEOPLE}, does not exist. Create that OU in ${placed.name}, or map the department to one that exists`,
        })),
      );
      // The name search, and one search for each OU needed (Eng, Sales).
      expect(placed.stats().reads - reads).toBe(3);
      await applyAll(placed, [
        change({ kind: "user", action: "create", account: "dept-dan", after: { department: "Engineering" } }),
        change({ kind: "user", action: "create", account: "dept-lee", after: { department: "Legal" } }),
        change({ kind: "group", action: "create", group: "dept-team" }),
      ]);
      await applyAll(placed, [
        change({
          kind: "membership",
          action: "add",
          group: "dept-team",
          member: "dept-dan",
          memberKind: "user",
        }),
      ]);
      await server.admin(async (client) => {
        expect(await rawValues(client, `CN=dept-dan,${ENG}`, "sAMAccountName")).toEqual(["dept-dan"]);
        expect(await rawValues(client, `CN=dept-lee,${PEOPLE}`, "sAMAccountName")).toEqual(["dept-lee"]);
        expect(await rawValues(client, `CN=dept-team,OU=Groups,DC=example,DC=com`, "member")).toEqual([
          `CN=dept-dan,${ENG}`,
        ]);
      });
      const live = await placed.read(signal());
      expect(live.users.find((u) => u.account === "dept-dan")).toMatchObject({ department: "Engineering" });
    } finally {
      await placed.close();
      await server.admin(async (client) => {
        for (const dn of [
          `CN=dept-team,OU=Groups,DC=example,DC=com`,
          `CN=dept-dan,${ENG}`,
          `CN=dept-lee,${PEOPLE}`,
          ENG,
        ])
          await client.del(dn).catch(() => undefined);
      });
    }
  });

  it("searches a leaver once when it disables them and takes them out of their groups", async () => {
    const groups = ["lv-a", "lv-b", "lv-c"];
    await applyAll(provider, [
      change({ kind: "user", action: "create", account: "lea", after: { name: "Lea Leaver" } }),
      ...groups.map((group) => change({ kind: "group", action: "create", group })),
    ]);
    await applyAll(
      provider,
      groups.map((group) =>
        change({ kind: "membership", action: "add", group, member: "lea", memberKind: "user" }),
      ),
    );
    await provider.read(signal()); // as a plan does: the apply starts from the entries it read
    const before = provider.stats().reads;
    await applyAll(provider, [
      change({ kind: "user", action: "disable", account: "lea", risk: "narrows" }),
      ...groups.map((group) =>
        change({
          kind: "membership",
          action: "remove",
          group,
          member: "lea",
          memberKind: "user",
          risk: "narrows",
        }),
      ),
    ]);
    // The flags are read right before they are written; the three member writes use that entry.
    expect(provider.stats().reads - before).toBe(1);
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

/**
 * Groups holding computers and contacts (normal in AD: GPO filtering, certificate enrolment): the read looks
 * the member entries it did not read up once, batched with the lookup of accounts elsewhere, and tells them
 * from a person's account parked outside the people OU. Computers and contacts are an info note, so
 * `plan --detailed-exitcode` no longer exits 2 for them; the parked account stays unmanaged.
 */
describe("Active Directory groups holding computers and contacts", { tags: ["slow"] }, () => {
  const BASE = "DC=example,DC=com";
  const GROUP = `CN=workstation-admins,OU=Groups,${BASE}`;
  const COMPUTER_OUT = `CN=WS001,CN=Computers,${BASE}`;
  const COMPUTER_IN = `CN=WS002,${PEOPLE}`;
  const CONTACT = `CN=Vendor Contact,${PEOPLE}`;
  const STRAY = `CN=Stray Person,CN=Users,${BASE}`;
  let server: SambaDc;
  let cwd: string;
  const aboutGroup = (notes: readonly string[] | undefined): string[] =>
    (notes ?? []).filter((n) => n.startsWith("group workstation-admins "));

  beforeAll(async () => {
    server = await samba();
    cwd = await mkdtemp(join(tmpdir(), "gatehouse-ad-strangers-"));
    await server.admin(async (client) => {
      for (const [dn, name] of [
        [COMPUTER_OUT, "WS001$"],
        [COMPUTER_IN, "WS002$"],
      ] as const)
        await client.add(dn, {
          objectClass: ["top", "person", "organizationalPerson", "user", "computer"],
          sAMAccountName: name,
          userAccountControl: "4096",
        });
      await client.add(CONTACT, {
        objectClass: ["top", "person", "organizationalPerson", "contact"],
        displayName: "Vendor Contact",
      });
      await client.add(STRAY, {
        objectClass: ["top", "person", "organizationalPerson", "user"],
        sAMAccountName: "stray",
        userAccountControl: "514",
      });
      await client.add(`CN=wsa-member,${PEOPLE}`, {
        objectClass: ["top", "person", "organizationalPerson", "user"],
        sAMAccountName: "wsa-member",
        userAccountControl: "514",
      });
      await client.add(GROUP, {
        objectClass: ["top", "group"],
        sAMAccountName: "workstation-admins",
        member: [COMPUTER_OUT, COMPUTER_IN, CONTACT, `CN=wsa-member,${PEOPLE}`],
      });
    });
  }, 180_000);
  afterAll(async () => {
    await server.admin(async (client) => {
      for (const dn of [GROUP, COMPUTER_OUT, COMPUTER_IN, CONTACT, STRAY, `CN=wsa-member,${PEOPLE}`])
        await client.del(dn).catch(() => undefined);
    });
    await rm(cwd, { recursive: true, force: true });
  });

  it("notes computers and contacts as info, not as access gatehouse does not manage, in one search more", async () => {
    const members = (operation: "add" | "delete") =>
      server.admin((client) =>
        client.modify(
          GROUP,
          new LdapChange({
            operation,
            modification: new Attribute({ type: "member", values: [COMPUTER_OUT, COMPUTER_IN, CONTACT] }),
          }),
        ),
      );
    // What the read costs without them: the users and the groups.
    await members("delete");
    const plain = adProvider(server);
    await plain.read(signal());
    await plain.close();
    await members("add");
    const provider = adProvider(server);
    try {
      const live = await provider.read(signal());
      const group = live.groups.find((g) => g.name === "workstation-admins");
      expect(group).toMatchObject({ members: ["wsa-member"], unmanagedMembers: 3 });
      expect(aboutGroup(live.unmanaged)).toEqual([]);
      expect(aboutGroup(live.notes)).toEqual([
        `group workstation-admins holds 2 computers and 1 contact (${COMPUTER_OUT}, ${COMPUTER_IN}, ${CONTACT}): no person's account, so gatehouse neither manages nor removes them, and they do not count as a difference`,
      ]);
      // With them: one lookup of the three member entries more.
      expect(provider.stats().reads - plain.stats().reads).toBe(1);
    } finally {
      await provider.close();
    }
  });

  it("keeps a person's account outside the people OU as access it does not manage, beside the computers", async () => {
    await server.admin((client) =>
      client.modify(
        GROUP,
        new LdapChange({
          operation: "add",
          modification: new Attribute({ type: "member", values: [STRAY] }),
        }),
      ),
    );
    const log: string[] = [];
    const provider = adProvider(server, { readCache: true }, { ...ldapContext(server.password, log), cwd });
    try {
      const live = await provider.read(signal());
      expect(aboutGroup(live.unmanaged)).toEqual([
        expect.stringMatching(
          /^group workstation-admins holds 1 member that gatehouse does not manage \(not users under OU=People,DC=example,DC=com\): CN=Stray Person,CN=Users,DC=example,DC=com; for a person's account, move it/,
        ),
      ]);
      expect(live.elsewhere).toContainEqual({ account: "stray", where: STRAY });
      expect(aboutGroup(live.notes)).toEqual([expect.stringContaining("holds 2 computers and 1 contact")]);
      // With the read cache, once settled (AD rewrites values naming DNs out of scope without a new
      // uSNChanged, so the group is read once more), a read with nothing changed reuses the lookup: the two
      // stamp searches only.
      expect(await provider.read(signal())).toEqual(live);
      const before = provider.stats().reads;
      expect(await provider.read(signal())).toEqual(live);
      expect(provider.stats().reads - before).toBe(2);
    } finally {
      await provider.close();
    }
  });
});

/**
 * The offboarding check on AD: a leaver still held by a group outside the groups OU is access left at once,
 * and stays so; AD has no refint lag, so no second read `--offboard-recheck` seconds later.
 */
describe("offboarding check against Active Directory", { tags: ["slow"] }, () => {
  const LEGACY_OU = "OU=Legacy Groups,DC=example,DC=com";
  const LEGACY = `CN=legacy-vpn,${LEGACY_OU}`;
  let server: SambaDc;

  beforeAll(async () => {
    server = await samba();
  }, 180_000);
  afterAll(async () => {
    await server.admin(async (client) => {
      for (const dn of [LEGACY, LEGACY_OU, `CN=ofb-leaver,${PEOPLE}`])
        await client.del(dn).catch(() => undefined);
    });
  });

  it("reports the access left from its first read, without waiting to read again", async () => {
    const provider = adProvider(server);
    try {
      await applyAll(provider, [
        change({ kind: "user", action: "create", account: "ofb-leaver", after: { name: "Ofb Leaver" } }),
      ]);
      await server.admin(async (client) => {
        await client.add(LEGACY_OU, { objectClass: ["top", "organizationalUnit"], ou: "Legacy Groups" });
        await client.add(LEGACY, {
          objectClass: ["top", "group"],
          sAMAccountName: "legacy-vpn",
          member: [`CN=ofb-leaver,${PEOPLE}`],
        });
      });
      await provider.read(signal());
      const disable = change({
        kind: "user",
        action: "disable",
        account: "ofb-leaver",
        userId: "ofb-leaver",
        reason: "user-terminated",
        risk: "narrows",
      });
      await applyAll(provider, [disable]);
      const result: ChangeResult = {
        change: disable,
        outcome: "applied",
        at: new Date().toISOString(),
        attempts: 1,
      };
      const waits: number[] = [];
      const [check] = await verifyOffboarding([result], new Map([["ad", provider]]), signal(), {
        afterMs: 10_000,
        wait: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
      });
      expect(check).toMatchObject({ account: "ofb-leaver", clean: false, groupsOutside: [LEGACY] });
      expect(check).not.toHaveProperty("recheckedAfterMs");
      expect(waits).toEqual([]);
    } finally {
      await provider.close();
    }
  });
});

/**
 * A userPrincipalName held by another account: a new account under that name fails at apply (constraint
 * violation). The read finds such names in the entries it reads (the people OU) and in the entries it
 * looks up outside it, without another search.
 */
describe("Active Directory userPrincipalName clashes", { tags: ["slow"] }, () => {
  const BASE = "DC=example,DC=com";
  const INSIDE = `CN=Tina Other,${PEOPLE}`;
  const OUTSIDE = `CN=Zed Out,CN=Users,${BASE}`;
  const GROUP = `CN=upn-team,OU=Groups,${BASE}`;
  let server: SambaDc;

  beforeAll(async () => {
    server = await samba();
    await server.admin(async (client) => {
      await client.add(INSIDE, {
        objectClass: ["top", "person", "organizationalPerson", "user"],
        sAMAccountName: "tother",
        userPrincipalName: "Tina.Klein@example.com",
        userAccountControl: "514",
      });
      // Outside the people OU, named by a group gatehouse reads: looked up with the accounts elsewhere.
      await client.add(OUTSIDE, {
        objectClass: ["top", "person", "organizationalPerson", "user"],
        sAMAccountName: "zout",
        userPrincipalName: "zed.upn@example.com",
        userAccountControl: "514",
      });
      await client.add(GROUP, {
        objectClass: ["top", "group"],
        sAMAccountName: "upn-team",
        member: [OUTSIDE],
      });
    });
  }, 180_000);
  afterAll(async () => {
    await server.admin(async (client) => {
      for (const dn of [GROUP, INSIDE, OUTSIDE]) await client.del(dn).catch(() => undefined);
    });
  });

  it("reports the account names other accounts' userPrincipalNames take, inside and outside the people OU", async () => {
    const provider = adProvider(server);
    try {
      const baseline = adProvider(server);
      await server.admin((client) => client.del(GROUP));
      await baseline.read(signal());
      await baseline.close();
      await server.admin((client) =>
        client.add(GROUP, { objectClass: ["top", "group"], sAMAccountName: "upn-team", member: [OUTSIDE] }),
      );
      const live = await provider.read(signal());
      // (mei.x, renamed by hand above, kept the userPrincipalName mei@example.com: mei is taken too.)
      expect(live.namesTaken?.filter((n) => ["tother", "zout"].includes(n.holder))).toEqual([
        {
          account: "Tina.Klein",
          claim: "userPrincipalName Tina.Klein@example.com",
          holder: "tother",
          where: INSIDE,
        },
        {
          account: "zed.upn",
          claim: "userPrincipalName zed.upn@example.com",
          holder: "zout",
          where: OUTSIDE,
        },
      ]);
      // Only the lookup of the outside member, which finds zout as an account elsewhere too.
      expect(provider.stats().reads - baseline.stats().reads).toBe(1);
      // What the plan now avoids: the create fails on the server.
      const [outcome] = await provider.apply(
        [change({ kind: "user", action: "create", account: "tina.klein", after: { name: "Tina Klein" } })],
        signal(),
      );
      expect(outcome?.status === "failed" ? outcome.error.message : "").toContain("userPrincipalName");
    } finally {
      await provider.close();
    }
  });
});

/**
 * New accounts named as an AD admin names them (`people.entryName: name`): `CN=<display name>`, the next
 * name where two people share one, givenName and sn from the name; read back with no difference (no
 * otherName, as for an account renamed by hand).
 */
describe("Active Directory accounts named by their display name", { tags: ["slow"] }, () => {
  let server: SambaDc;
  let provider: Provider;

  beforeAll(async () => {
    server = await samba();
    provider = adProvider(server, {
      people: { ou: "OU=People", upnSuffix: "example.com", entryName: "name" },
    });
  }, 180_000);
  afterAll(async () => {
    await provider.close();
    await server.admin(async (client) => {
      for (const dn of [
        `CN=Nora Quist,${PEOPLE}`,
        `CN=Nora Quist (nquist2),${PEOPLE}`,
        `CN=Prince,${PEOPLE}`,
      ])
        await client.del(dn).catch(() => undefined);
    });
  });

  it("creates CN=<name> with givenName and sn, then CN=<name> (<account>) for a second person of that name", async () => {
    await applyAll(provider, [
      change({ kind: "user", action: "create", account: "nquist", after: { name: "Nora Quist" } }),
      change({ kind: "user", action: "create", account: "nquist2", after: { name: "Nora Quist" } }),
      change({ kind: "user", action: "create", account: "prince", after: { name: "Prince" } }),
    ]);
    await server.admin(async (client) => {
      const first = `CN=Nora Quist,${PEOPLE}`;
      expect(await rawValues(client, first, "sAMAccountName")).toEqual(["nquist"]);
      expect(await rawValues(client, first, "givenName")).toEqual(["Nora"]);
      expect(await rawValues(client, first, "sn")).toEqual(["Quist"]);
      expect(await rawValues(client, first, "userPrincipalName")).toEqual(["nquist@example.com"]);
      expect(await rawValues(client, `CN=Nora Quist (nquist2),${PEOPLE}`, "sAMAccountName")).toEqual([
        "nquist2",
      ]);
      expect(await rawValues(client, `CN=Prince,${PEOPLE}`, "givenName")).toEqual([]);
    });
    const users = (await provider.read(signal())).users.filter((u) =>
      ["nquist", "nquist2", "prince"].includes(u.account),
    );
    expect(users).toEqual([
      expect.objectContaining({ account: "nquist", name: "Nora Quist", enabled: true }),
      expect.objectContaining({ account: "nquist2", name: "Nora Quist", enabled: true }),
      expect.objectContaining({ account: "prince", name: "Prince", enabled: true }),
    ]);
    for (const user of users) expect(user).not.toHaveProperty("otherName");
  });

  it("rewrites givenName and sn with the name, finding the entry by its sAMAccountName", async () => {
    await applyAll(provider, [
      change({
        kind: "user",
        action: "update",
        account: "nquist",
        fields: [{ field: "name", before: "Nora Quist", after: "Nora Lind-Quist" }],
        after: { name: "Nora Lind-Quist" },
      }),
    ]);
    await server.admin(async (client) => {
      const dn = `CN=Nora Quist,${PEOPLE}`;
      expect(await rawValues(client, dn, "givenName")).toEqual(["Nora"]);
      expect(await rawValues(client, dn, "sn")).toEqual(["Lind-Quist"]);
      expect(await rawValues(client, dn, "displayName")).toEqual(["Nora Lind-Quist"]);
    });
    // Its cn is a display name, never an account name: no sign of an account renamed by hand.
    const user = (await provider.read(signal())).users.find((u) => u.account === "nquist");
    expect(user).toMatchObject({ name: "Nora Lind-Quist" });
    expect(user).not.toHaveProperty("otherName");
  });
});

/**
 * Incremental reads with `readCache` (uSNChanged, objectGUID, the controller's highestCommittedUSN): after
 * each change made straight on the server, the provider that reads incrementally must report exactly what
 * a fresh provider's full read reports, and a read with nothing changed costs the two rootDSE searches.
 */
describe("incremental reads of Samba Active Directory", { tags: ["slow"] }, () => {
  const USERS = "CN=Users,DC=example,DC=com";
  const GROUPS = "OU=Groups,DC=example,DC=com";
  const settings = { rangeSize: 100, pageSize: 5, readCache: true };
  let server: SambaDc;
  let cwd: string;
  const log: string[] = [];
  let provider: Provider;

  const cachedProvider = (): Provider =>
    adProvider(server, settings, { ...ldapContext(server.password, log), cwd });
  const fullRead = async (): Promise<unknown> => {
    const fresh = adProvider(server, { rangeSize: 100, pageSize: 5 });
    try {
      return await fresh.read(signal());
    } finally {
      await fresh.close();
    }
  };
  const person = (name: string, extra: Record<string, string | string[]> = {}) => ({
    objectClass: ["top", "person", "organizationalPerson", "user"],
    sAMAccountName: name,
    ...extra,
  });
  const modify = (dn: string, operation: "add" | "delete" | "replace", type: string, values: string[]) =>
    server.admin((client) =>
      client.modify(dn, new LdapChange({ operation, modification: new Attribute({ type, values }) })),
    );
  const reads = (): number => provider.stats().reads;

  beforeAll(async () => {
    server = await samba();
    cwd = await mkdtemp(join(tmpdir(), "gatehouse-ad-cache-"));
    await server.admin(async (client) => {
      for (const name of ["inc-ada", "inc-ben", "inc-cat", "inc-dan"])
        await client.add(`CN=${name},${PEOPLE}`, person(name, { title: "Engineer" }));
      await client.add(`CN=inc-team,${GROUPS}`, {
        objectClass: ["top", "group"],
        sAMAccountName: "inc-team",
        member: [`CN=inc-ada,${PEOPLE}`, `CN=inc-ben,${PEOPLE}`, `CN=inc-cat,${PEOPLE}`],
      });
    });
    provider = cachedProvider();
  }, 180_000);
  afterAll(async () => {
    await provider.close();
    await rm(cwd, { recursive: true, force: true });
  });

  it("reads what a full read reads, then nothing changed costs two searches, also in a new process", async () => {
    const fresh = adProvider(server, { rangeSize: 100, pageSize: 5 });
    const expected = await fresh.read(signal());
    const minimum = fresh.stats().reads;
    await fresh.close();
    expect(await provider.read(signal())).toEqual(expected);
    // The first read: the minimum, the rootDSE and NTDS Settings before it, and the rootDSE again after.
    expect(reads()).toBe(minimum + 3);
    const before = reads();
    expect(await provider.read(signal())).toEqual(await fullRead());
    expect(reads() - before).toBe(2);
    expect(log.at(-1)).toBe("ldap: highestCommittedUSN unchanged: nothing changed since the last read");
    await provider.close();
    provider = cachedProvider(); // a new run: the snapshot comes from .gatehouse/cache
    expect(await provider.read(signal())).toEqual(await fullRead());
    expect(reads()).toBe(2);
  });

  const STEPS: readonly { readonly name: string; readonly run: () => Promise<unknown> }[] = [
    {
      name: "adds a person and a group",
      run: () =>
        server.admin(async (client) => {
          await client.add(`CN=inc-eve,${PEOPLE}`, person("inc-eve"));
          await client.add(`CN=inc-new,${GROUPS}`, {
            objectClass: ["top", "group"],
            sAMAccountName: "inc-new",
            member: [`CN=inc-eve,${PEOPLE}`],
          });
        }),
    },
    {
      name: "changes a title",
      run: () => modify(`CN=inc-ben,${PEOPLE}`, "replace", "title", ["Rogue Admin"]),
    },
    {
      name: "adds and removes members",
      run: async () => {
        await modify(`CN=inc-team,${GROUPS}`, "add", "member", [`CN=inc-dan,${PEOPLE}`]);
        await modify(`CN=inc-team,${GROUPS}`, "delete", "member", [`CN=inc-cat,${PEOPLE}`]);
      },
    },
    {
      // AD drops the member value without a new uSNChanged on the group: found by its dangling reference.
      name: "deletes a member",
      run: () => server.admin((client) => client.del(`CN=inc-ben,${PEOPLE}`)),
    },
    {
      // The group's member value follows the new DN, again without a new uSNChanged on the group.
      name: "renames a member",
      run: () => server.admin((client) => client.modifyDN(`CN=inc-dan,${PEOPLE}`, `CN=inc-daniel,${PEOPLE}`)),
    },
    {
      name: "moves a member out of scope",
      run: () => server.admin((client) => client.modifyDN(`CN=inc-ada,${PEOPLE}`, `CN=inc-ada,${USERS}`)),
    },
    {
      name: "deletes a person and adds another under the same DN",
      run: () =>
        server.admin(async (client) => {
          await client.del(`CN=inc-eve,${PEOPLE}`);
          await client.add(`CN=inc-eve,${PEOPLE}`, person("inc-eve2"));
        }),
    },
    {
      name: "renames a group",
      run: () =>
        server.admin((client) => client.modifyDN(`CN=inc-new,${GROUPS}`, `CN=inc-renamed,${GROUPS}`)),
    },
  ];
  for (const step of STEPS) {
    it(`after a change made on the server: ${step.name}`, async () => {
      await step.run();
      const expected = await fullRead();
      expect(await provider.read(signal())).toEqual(expected);
      expect(await provider.read(signal())).toEqual(expected);
    });
  }

  it("gives a live stamp (the plan memo's) once settled, which a change on the server ends; a read after it asks nothing more", async () => {
    await provider.read(signal());
    await provider.read(signal()); // settled under the controller's stamp
    const before = reads();
    const stamp = await provider.liveStamp?.(signal());
    expect(stamp).toEqual(expect.stringContaining("usn:"));
    expect(reads() - before).toBe(2); // the rootDSE and the controller's NTDS Settings
    expect(await provider.read(signal())).toEqual(await fullRead());
    expect(reads() - before).toBe(2); // the read started from those answers
    expect(await provider.liveStamp?.(signal())).toBe(stamp); // the stamp of what that read returned
    expect(reads() - before).toBe(2);
    await modify(`CN=inc-cat,${PEOPLE}`, "replace", "title", ["Stamped"]);
    expect(await provider.liveStamp?.(signal())).toBeUndefined(); // highestCommittedUSN moved
    expect(await provider.read(signal())).toEqual(await fullRead());
  });

  it("never fell back to a full read", () => {
    expect(log.filter((l) => l.includes("reading everything"))).toEqual([]);
    expect(log.some((l) => l.includes("incremental read:"))).toBe(true);
  });

  it("reads everything again when another controller answers (update sequence numbers are per controller)", async () => {
    await provider.close();
    // The stored snapshot now says another controller gave its stamps.
    const dir = join(cwd, ".gatehouse", "cache");
    let edited = 0;
    for (const file of await readdir(dir)) {
      if (!/^ldap-[0-9a-f]{32}\.json$/.test(file)) continue; // the snapshot, not the lookup beside it
      const text = await readFile(join(dir, file), "utf8");
      if (!text.includes("dc:CN=NTDS Settings")) continue;
      await writeFile(
        join(dir, file),
        text.replaceAll("dc:CN=NTDS Settings,CN=", "dc:CN=NTDS Settings,CN=OTHER"),
      );
      edited++;
    }
    expect(edited).toBe(1);
    const seen = log.length;
    provider = cachedProvider();
    expect(await provider.read(signal())).toEqual(await fullRead());
    expect(log.slice(seen).join("\n")).toContain("another domain controller answered");
    // inc-team names inc-ada, moved out of scope: it is read again once (AD rewrites such values without a
    // new uSNChanged), and the rootDSE asked once more (the same controller answered); then a read with
    // nothing changed is the two searches again.
    let before = reads();
    expect(await provider.read(signal())).toEqual(await fullRead());
    expect(reads() - before).toBe(4);
    before = reads();
    expect(await provider.read(signal())).toEqual(await fullRead());
    expect(reads() - before).toBe(2);
  });
});

/**
 * An endDate removed from the files (a contract made permanent), through the CLI: the expiry gatehouse
 * wrote is cleared, as the journal says it wrote it; one moved by hand since is someone else's, kept and
 * noted. The organization lives in OUs of its own, so its authoritative runs touch nothing else here.
 */
/** The provider entry (under its name in gatehouse.yaml) of this server, in the OUs of adYaml's tests. */
function adYaml(server: SambaDc): string {
  return `    type: ldap
    mode: authoritative
    nesting: true
    flavour: activeDirectory
    url: ${server.url}
    bindDn: ${server.bindDn}
    passwordEnv: ${PASSWORD_ENV}
    baseDn: ${server.baseDn}
    caFile: ${server.caFile}
    people: { ou: OU=ExpiryPeople, upnSuffix: example.com }
    groups: { ou: OU=ExpiryGroups }
`;
}

describe("Active Directory accounts through the CLI", { tags: ["slow"] }, () => {
  const BASE = "DC=example,DC=com";
  const OUS = [`OU=ExpiryPeople,${BASE}`, `OU=ExpiryGroups,${BASE}`];
  let server: SambaDc;

  beforeAll(async () => {
    server = await samba();
    await server.admin(async (client) => {
      for (const dn of OUS)
        await client.add(dn, {
          objectClass: ["top", "organizationalUnit"],
          ou: dn.slice(3, dn.indexOf(",")),
        });
    });
  }, 180_000);

  // Each test's organization leaves no account behind: AD's account names are unique in the domain.
  afterEach(async () => {
    await server.admin(async (client) => {
      for (const ou of OUS) {
        const { searchEntries } = await client.search(ou, { scope: "one", attributes: ["dn"] });
        for (const entry of searchEntries) await client.del(entry.dn);
      }
    });
  });

  it("clears the expiry gatehouse wrote and leaves one set by hand", async () => {
    const repo = await createConnectorRepo({
      provider: {
        name: "ad",
        yaml: adYaml(server),
      },
      env: { [PASSWORD_ENV]: server.password },
    });
    const expires = (account: string) =>
      server.admin((client) => rawValues(client, `CN=${account},${OUS[0] ?? ""}`, "accountExpires"));
    try {
      // ben and cleo are contractors until next year.
      await repo.edit(
        USERS_FILE,
        "    startDate: 2021-03-01\n",
        "    startDate: 2021-03-01\n    endDate: 2027-06-30\n",
      );
      await repo.edit(
        USERS_FILE,
        "    startDate: 2022-05-02\n",
        "    startDate: 2022-05-02\n    endDate: 2027-03-31\n",
      );
      await repo.commit("ben and cleo on fixed-term contracts");
      expect((await repo.run(["apply", "--yes"])).code).toBe(0);
      expect(await expires("ben")).toEqual([accountExpiresOf("2027-06-30")]);
      expect(await expires("cleo")).toEqual([accountExpiresOf("2027-03-31")]);
      // cleo's expiry moved by hand in ADUC: no longer the one gatehouse wrote.
      await server.admin((client) =>
        client.modify(
          `CN=cleo,${OUS[0] ?? ""}`,
          new LdapChange({
            operation: "replace",
            modification: new Attribute({
              type: "accountExpires",
              values: [accountExpiresOf("2027-02-28") ?? ""],
            }),
          }),
        ),
      );
      // Both made permanent.
      await repo.edit(USERS_FILE, "    endDate: 2027-06-30\n", "");
      await repo.edit(USERS_FILE, "    endDate: 2027-03-31\n", "");
      await repo.commit("ben and cleo made permanent");
      const plan = await repo.run(["plan", "--format", "json"]);
      const changes = (JSON.parse(plan.stdout) as { changes: Change[] }).changes;
      expect(
        changes.map((c) => (c.kind === "user" && c.action === "update" ? [c.account, c.fields] : c.id)),
      ).toEqual([["ben", [{ field: "endDate", before: "2027-06-30", after: null }]]]);
      expect(noteMessages(plan.stdout)).toEqual([
        expect.stringMatching(
          /^account cleo of cleo in ad expires when 2027-02-28 ends \(set in ad, not by gatehouse\)/,
        ),
      ]);
      expect((await repo.run(["apply", "--yes"])).code).toBe(0);
      expect(await expires("ben")).toEqual(["9223372036854775807"]);
      expect(await expires("cleo")).toEqual([accountExpiresOf("2027-02-28")]);
      // Nothing left to change: ben's account reads back as never expiring.
      expect(JSON.parse((await repo.run(["plan", "--format", "json"])).stdout)).toMatchObject({
        changes: [],
      });
    } finally {
      await repo.remove();
    }
  });

  it("asks the domain only about names it would create: a legacy account of a joiner's name is not said to be theirs before they start", async () => {
    const legacy = `CN=Devi Legacy,CN=Users,${BASE}`;
    await server.admin(async (client) => {
      await client.add(legacy, {
        objectClass: ["top", "person", "organizationalPerson", "user"],
        sAMAccountName: "devi",
      });
    });
    const repo = await createConnectorRepo({
      provider: { name: "ad", yaml: adYaml(server) },
      env: { [PASSWORD_ENV]: server.password },
    });
    try {
      // devi starts next year and has no account here: the plan creates none for her yet, so the legacy
      // account that holds her name is not said to be hers (nor to be disabled by hand).
      await repo.edit(USERS_FILE, "    startDate: 2023-02-13\n", "    startDate: 2099-02-13\n");
      await repo.commit("devi joins later");
      const plan = await repo.run(["plan", "--format", "json"]);
      expect(plan.code).toBe(0);
      expect(noteMessages(plan.stdout).filter((m) => m.includes(legacy))).toEqual([]);
    } finally {
      await repo.remove();
      await server.admin((client) => client.del(legacy).catch(() => undefined));
    }
  });

  it("creates no account whose name an entry elsewhere in the domain holds or claims, and says which", async () => {
    const USERS = `CN=Users,${BASE}`;
    const claimants: [string, Record<string, string | string[]>][] = [
      // devi's name as a legacy account's sAMAccountName, eli's as a group's; cleo's as another's UPN.
      [
        `CN=Devi Legacy,${USERS}`,
        {
          objectClass: ["top", "person", "organizationalPerson", "user"],
          sAMAccountName: "devi",
          userAccountControl: "514",
        },
      ],
      [`CN=eli-team,${USERS}`, { objectClass: ["top", "group"], sAMAccountName: "eli" }],
      [
        `CN=Cleo Other,${USERS}`,
        {
          objectClass: ["top", "person", "organizationalPerson", "user"],
          sAMAccountName: "cother",
          userPrincipalName: "cleo@example.com",
          userAccountControl: "514",
        },
      ],
    ];
    await server.admin(async (client) => {
      for (const [dn, attributes] of claimants) await client.add(dn, attributes);
    });
    const repo = await createConnectorRepo({
      provider: { name: "ad", yaml: adYaml(server) },
      env: { [PASSWORD_ENV]: server.password },
    });
    try {
      const plan = await repo.run(["plan", "--format", "json"]);
      expect(plan.code).toBe(0);
      const created = (JSON.parse(plan.stdout) as { changes: Change[] }).changes.flatMap((c) =>
        c.kind === "user" && c.action === "create" ? [c.account] : [],
      );
      expect(created.sort()).toEqual(["ada", "ben", "gatehouse-bot"]);
      const notes = noteMessages(plan.stdout);
      expect(notes).toEqual(
        expect.arrayContaining([
          expect.stringContaining(
            `account devi (devi) is in ad outside the scope gatehouse reads, at CN=Devi Legacy,${USERS}`,
          ),
          expect.stringContaining(
            `account eli (eli) cannot be created in ad: its sAMAccountName eli is already used by account eli, a group (CN=eli-team,${USERS})`,
          ),
          expect.stringContaining(
            `account cleo (cleo) cannot be created in ad: its userPrincipalName cleo@example.com is already used by account cother (CN=Cleo Other,${USERS})`,
          ),
        ]),
      );
      // Nothing fails at apply: the adds AD would refuse are not made.
      const applied = await repo.run(["apply", "--yes"]);
      expect(applied.stdout).toMatch(/Apply complete: .*0 failed/);
      expect(applied.code).toBe(0);
    } finally {
      await repo.remove();
      await server.admin(async (client) => {
        for (const [dn] of claimants) await client.del(dn).catch(() => undefined);
      });
    }
  });
});
