import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeProviderContract } from "./contract.ts";
import { scimContext, scimProviderConfig, startScimServer } from "../harness/scim-server.ts";
import type { ScimServer } from "../harness/scim-server.ts";
import { createScimProviderWith } from "../../src/providers/scim/provider.ts";
import type { ScimProvider } from "../../src/providers/scim/provider.ts";
import type { Change } from "../../src/plan/types.ts";

describeProviderContract(
  "scim (Better Auth SCIM plugin)",
  async () => {
    const server = await startScimServer();
    const provider = createScimProviderWith(scimProviderConfig(server.baseUrl), scimContext(server.token));
    return { provider, close: () => server.close() };
  },
  "ct",
);

const signal = (): AbortSignal => AbortSignal.timeout(20_000);
const base = { provider: "saas", reason: "added-in-config", risk: "broadens" } as const;

/** Calls the server directly, as another admin or an earlier tool would have. */
async function scimCall(server: ScimServer, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.token}`, "content-type": "application/scim+json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(res.status).toBeLessThan(300);
  const text = await res.text();
  return text === "" ? undefined : (JSON.parse(text) as unknown);
}

describe("scim provider against Better Auth", { tags: ["slow"] }, () => {
  let server: ScimServer;
  let provider: ScimProvider;
  beforeAll(async () => {
    server = await startScimServer();
    provider = createScimProviderWith(scimProviderConfig(server.baseUrl), scimContext(server.token));
  });
  afterAll(async () => {
    await provider.close();
    await server.close();
  });

  it("adapts to what discovery says: PATCH and filters yes, ETags, bulk and sort no, pages of 100", async () => {
    await provider.read(signal());
    const caps = provider.serverCapabilities();
    expect(caps).toMatchObject({ patch: true, filter: true, etag: false, sort: false, maxResults: 100 });
    expect(caps?.bulk.supported).toBe(false);
    expect(caps?.userExtensions).toContain("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
    expect(provider.capabilities.userAttributes).toEqual(
      expect.arrayContaining(["name", "email", "title", "department", "manager", "employmentType"]),
    );
    expect(provider.capabilities.groupDescription).toBe(false);
  });

  it("adopts pre-existing accounts by userName, never by an externalId on another name", async () => {
    await scimCall(server, "POST", "/Users", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: "old-dana@example.com",
      externalId: "dana",
      displayName: "Dana Old",
    });
    await scimCall(server, "POST", "/Users", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: "erin@example.com",
      displayName: "Erin Pre",
      active: false,
    });
    const createDana: Change = {
      ...base,
      id: "u1",
      kind: "user",
      action: "create",
      account: "dana@example.com",
      userId: "dana",
      after: { name: "Dana Scully", email: "dana@example.com", department: "ENG" },
    };
    const outcomes = await provider.apply(
      [
        createDana,
        {
          ...base,
          id: "u2",
          kind: "user",
          action: "create",
          account: "erin@example.com",
          userId: "erin",
          after: { name: "Erin Brock", email: "erin@example.com", title: "Analyst" },
        },
      ],
      signal(),
    );
    // dana's externalId is on someone else's name: not taken over. Better Auth keeps externalIds unique,
    // so the create fails, saying what to do; erin is adopted by userName.
    expect(outcomes.map((o) => o.status)).toEqual(["failed", "applied"]);
    expect(outcomes[0]?.status === "failed" && outcomes[0].error.message).toContain(
      'the server refuses a second account with externalId "dana": "old-dana@example.com" has it. gatehouse does not take that account over',
    );
    expect(outcomes[1]?.status === "applied" && outcomes[1].confirmation).toMatch(/matched existing/);
    let live = await provider.read(signal());
    expect(live.users.map((u) => u.account).sort()).toEqual(["erin@example.com", "old-dana@example.com"]);
    expect(live.users.find((u) => u.account === "old-dana@example.com")).toMatchObject({ name: "Dana Old" });
    // Renamed back in the app, the account is dana's by name: adopted.
    const listed = await scimCall(
      server,
      "GET",
      `/Users?filter=${encodeURIComponent('userName eq "old-dana@example.com"')}`,
    );
    const oldId = (listed as { Resources: { id: string }[] }).Resources[0]?.id ?? "";
    await scimCall(server, "PATCH", `/Users/${oldId}`, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "replace", path: "userName", value: "dana@example.com" }],
    });
    await provider.read(signal());
    const again = await provider.apply([createDana], signal());
    expect(again[0]?.status === "applied" && again[0].confirmation).toMatch(/matched existing SCIM user/);
    live = await provider.read(signal());
    expect(live.users.map((u) => u.account).sort()).toEqual(["dana@example.com", "erin@example.com"]);
    expect(live.users.find((u) => u.account === "dana@example.com")).toMatchObject({
      name: "Dana Scully",
      department: "ENG",
      enabled: true,
    });
    expect(live.users.find((u) => u.account === "erin@example.com")).toMatchObject({
      title: "Analyst",
      enabled: true,
    });
  });

  it("adopts no account of the userName that carries another person's externalId: the create fails and leaves it be", async () => {
    // gwen's account (her externalId, her name) holds the address the files give to a newcomer, hal.
    const gwen = {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: "gwen@example.com",
      externalId: "gwen",
      displayName: "Gwen Old",
    };
    const createHal = (account: string): Change => ({
      ...base,
      id: `user/${account}`,
      kind: "user",
      action: "create",
      account,
      userId: "hal",
      after: { name: "Hal Newcomer", email: account },
    });
    const why =
      'an account "gwen@example.com" exists with externalId "gwen": it is another person\'s, not hal\'s. gatehouse does not hand it over';
    // Found by a fresh provider's look-up (no read yet), and after a read by the server's 409 (the account
    // was made after it).
    const fresh = createScimProviderWith(scimProviderConfig(server.baseUrl), scimContext(server.token));
    await provider.read(signal());
    await scimCall(server, "POST", "/Users", gwen);
    try {
      for (const [who, p] of [
        ["fresh", fresh],
        ["after a read", provider],
      ] as const) {
        const [outcome] = await p.apply([createHal("GWEN@example.com")], signal());
        expect(outcome?.status, who).toBe("failed");
        expect(outcome?.status === "failed" && outcome.error.message, who).toContain(why);
      }
    } finally {
      await fresh.close();
    }
    const listed = await scimCall(
      server,
      "GET",
      `/Users?filter=${encodeURIComponent('userName eq "gwen@example.com"')}`,
    );
    expect((listed as { Resources: unknown[] }).Resources).toEqual([
      expect.objectContaining({ userName: "gwen@example.com", externalId: "gwen", displayName: "Gwen Old" }),
    ]);
  });

  it("writes department, manager and employment type through the enterprise extension and reads them back", async () => {
    const changes: Change[] = [
      {
        ...base,
        id: "u3",
        kind: "user",
        action: "create",
        account: "frank@example.com",
        userId: "frank",
        after: {
          name: "Frank Poole",
          department: "OPS",
          manager: "dana@example.com",
          employmentType: "contractor",
        },
      },
    ];
    expect((await provider.apply(changes, signal()))[0]?.status).toBe("applied");
    const raw = await scimCall(
      server,
      "GET",
      `/Users?filter=${encodeURIComponent('userName eq "frank@example.com"')}`,
    );
    expect(raw).toMatchObject({
      Resources: [
        {
          externalId: "frank",
          userType: "contractor",
          "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { department: "OPS" },
        },
      ],
    });
    const live = await provider.read(signal());
    expect(live.users.find((u) => u.account === "frank@example.com")).toMatchObject({
      department: "OPS",
      manager: "dana@example.com",
      employmentType: "contractor",
    });
  });

  it("reads a userType outside gatehouse's four as the server holds it, one of them in another case as that type", async () => {
    for (const [userName, userType] of [
      ["gail@example.com", "Full-Time"],
      ["hank@example.com", "Contractor"],
    ])
      await scimCall(server, "POST", "/Users", {
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
        userName,
        displayName: userName,
        userType,
      });
    const live = await provider.read(signal());
    const typeOf = (account: string) => live.users.find((u) => u.account === account)?.employmentType;
    expect([typeOf("gail@example.com"), typeOf("hank@example.com")]).toEqual(["Full-Time", "contractor"]);
  });

  it("deactivates a leaver rather than deleting the account unless deleteUsers is set", async () => {
    const out = await provider.apply(
      [{ ...base, id: "d1", kind: "user", action: "delete", account: "erin@example.com", risk: "narrows" }],
      signal(),
    );
    expect(out[0]?.status === "applied" && out[0].confirmation).toMatch(/deactivated/);
    const live = await provider.read(signal());
    expect(live.users.find((u) => u.account === "erin@example.com")?.enabled).toBe(false);
  });

  it("deletes the account when deleteUsers is true", async () => {
    const deleting = createScimProviderWith(
      scimProviderConfig(server.baseUrl, { deleteUsers: true }),
      scimContext(server.token),
    );
    const out = await deleting.apply(
      [{ ...base, id: "d2", kind: "user", action: "delete", account: "erin@example.com", risk: "narrows" }],
      signal(),
    );
    expect(out[0]?.status).toBe("applied");
    const live = await provider.read(signal());
    expect(live.users.find((u) => u.account === "erin@example.com")).toBeUndefined();
  });

  it("renames a group in place and keeps its members", async () => {
    const p = provider;
    await p.apply([{ ...base, id: "g1", kind: "group", action: "create", group: "app-old-read" }], signal());
    await p.apply(
      [
        {
          ...base,
          id: "m1",
          kind: "membership",
          action: "add",
          group: "app-old-read",
          member: "dana@example.com",
          memberKind: "user",
        },
      ],
      signal(),
    );
    const out = await p.apply(
      [
        {
          ...base,
          id: "g2",
          kind: "group",
          action: "update",
          group: "app-old-read",
          fields: [{ field: "name", before: "app-old-read", after: "app-new-read" }],
        },
      ],
      signal(),
    );
    expect(out[0]?.status).toBe("applied");
    const live = await p.read(signal());
    expect(live.groups.find((g) => g.name === "app-old-read")).toBeUndefined();
    expect(live.groups.find((g) => g.name === "app-new-read")?.members).toEqual(["dana@example.com"]);
  });

  it("finds a user and a group the server spells in another case, and never adds and removes one user in one write", async () => {
    await scimCall(server, "POST", "/Users", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: "Heidi.Klum@example.com",
      displayName: "Heidi Klum",
    });
    await scimCall(server, "POST", "/Groups", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
      displayName: "Team-Ops",
    });
    const fresh = createScimProviderWith(scimProviderConfig(server.baseUrl), scimContext(server.token));
    try {
      expect(fresh.capabilities.caseInsensitiveNames).toBe(true);
      await fresh.read(signal());
      const add = {
        ...base,
        kind: "membership",
        action: "add",
        group: "team-ops",
        member: "heidi.klum@example.com",
        memberKind: "user",
      } as const;
      expect(await fresh.apply([{ ...add, id: "m1" }], signal())).toEqual([{ status: "applied" }]);
      let ops = (await fresh.read(signal())).groups.find((g) => g.name === "Team-Ops");
      expect(ops?.members).toEqual(["Heidi.Klum@example.com"]);

      // Two spellings of one account: an add of one and a remove of the other would, in one PATCH, remove.
      const out = await fresh.apply(
        [
          { ...add, id: "m2" },
          { ...add, id: "m3", action: "remove", member: "Heidi.Klum@example.com", risk: "narrows" },
        ],
        signal(),
      );
      expect(out.map((o) => o.status)).toEqual(["failed", "failed"]);
      expect(out[0]?.status === "failed" ? out[0].error.message : "").toMatch(/are the same SCIM user/);
      ops = (await fresh.read(signal())).groups.find((g) => g.name === "Team-Ops");
      expect(ops?.members).toEqual(["Heidi.Klum@example.com"]);

      // A create of the group under the files' spelling finds the existing one instead of a duplicate.
      const created = await fresh.apply(
        [{ ...base, id: "g1", kind: "group", action: "create", group: "team-ops" }],
        signal(),
      );
      expect(created[0]?.status).toBe("applied");
      const named = (await fresh.read(signal())).groups.filter((g) => g.name.toLowerCase() === "team-ops");
      expect(named.map((g) => g.name)).toEqual(["Team-Ops"]);
    } finally {
      await fresh.close();
    }
  });

  it("names the user and the server's complaint when a change is refused", async () => {
    const out = await provider.apply(
      [
        {
          ...base,
          id: "bad",
          kind: "user",
          action: "create",
          account: "not-an-email",
          after: { name: "No Mail" },
        },
      ],
      signal(),
    );
    expect(out[0]?.status).toBe("failed");
    const message = out[0]?.status === "failed" ? out[0].error.message : "";
    expect(message).toContain('create user "not-an-email"');
    expect(message).toMatch(/400 invalidValue: .*emails/);
    expect(message).not.toContain(server.token);
  });

  it("rejects a missing token variable with a message naming it, not a token", () => {
    expect(() =>
      createScimProviderWith(
        scimProviderConfig(server.baseUrl, { tokenEnv: "NOPE_TOKEN" }),
        scimContext(server.token),
      ),
    ).toThrow(/NOPE_TOKEN/);
  });
});
