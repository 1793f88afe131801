import { describe, expect, it } from "vitest";
import {
  applyMemberChanges,
  applyOpsLocally,
  buildMemberPatches,
  buildUserPatchOps,
  buildUserResource,
  eqFilter,
  parseListResponse,
  parseScimError,
  parseScimGroup,
  parseScimUser,
  toLiveUser,
} from "../../src/providers/scim/map.ts";
import { parseCapabilities, supportsUserPath } from "../../src/providers/scim/discovery.ts";
import { parseRetryAfter } from "../../src/io/retry-after.ts";
import { DEFAULT_MAPPING, ENTERPRISE_USER, parseScimSettings } from "../../src/providers/scim/settings.ts";
import { ConfigError } from "../../src/errors.ts";
import type { ProviderConfig } from "../../src/model/access.ts";

const wireUser = {
  schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER],
  id: "u-1",
  userName: "alice@example.com",
  externalId: "alice",
  displayName: "Alice Liddell",
  emails: [
    { value: "old@example.com", type: "home" },
    { value: "alice@example.com", type: "work", primary: true },
  ],
  title: "Staff Engineer",
  userType: "employee",
  active: true,
  [ENTERPRISE_USER]: { department: "ENG", manager: { value: "u-9" }, employeeNumber: "42" },
  meta: { version: 'W/"3"' },
};

describe("scim map: users", () => {
  it("reads mapped attributes, the primary email and the enterprise extension", () => {
    const user = parseScimUser(wireUser, DEFAULT_MAPPING);
    expect(user).toEqual({
      id: "u-1",
      userName: "alice@example.com",
      externalId: "alice",
      active: true,
      version: 'W/"3"',
      emailPath: "emails[primary eq true].value",
      attributes: {
        name: "Alice Liddell",
        email: "alice@example.com",
        title: "Staff Engineer",
        department: "ENG",
        manager: "u-9",
        employmentType: "employee",
      },
    });
  });

  it("turns the manager's SCIM id into the manager's account name", () => {
    const user = parseScimUser(wireUser, DEFAULT_MAPPING);
    expect(user && toLiveUser(user, new Map([["u-9", "carol@example.com"]]))).toMatchObject({
      account: "alice@example.com",
      enabled: true,
      manager: "carol@example.com",
    });
  });

  it("treats a missing active as enabled, keeps other user types as they are and rejects resources without id", () => {
    const user = parseScimUser({ id: "x", userName: "x@example.com", userType: "Robot" }, DEFAULT_MAPPING);
    // Not "none": a plan shows what it would overwrite.
    expect(user).toMatchObject({ active: true, attributes: { employmentType: "Robot" } });
    // Entra ID and Okta capitalise the type: it is the same type.
    for (const [sent, type] of [
      ["Contractor", "contractor"],
      ["EMPLOYEE", "employee"],
    ] as const)
      expect(
        parseScimUser({ id: "x", userName: "x@example.com", userType: sent }, DEFAULT_MAPPING)?.attributes
          .employmentType,
      ).toBe(type);
    expect(parseScimUser({ userName: "x" }, DEFAULT_MAPPING)).toBeUndefined();
    expect(parseScimUser("nope", DEFAULT_MAPPING)).toBeUndefined();
  });

  it("falls back to name.formatted when displayName is absent", () => {
    const user = parseScimUser({ id: "x", userName: "x", name: { formatted: "X Y" } }, DEFAULT_MAPPING);
    expect(user?.attributes.name).toBe("X Y");
  });

  it("builds a create body with externalId, emails, name and the enterprise extension", () => {
    const body = buildUserResource(
      {
        userName: "bob@example.com",
        userId: "bob",
        managerId: "u-9",
        attributes: {
          name: "Bob B",
          email: "bob@example.com",
          department: "OPS",
          employmentType: "contractor",
        },
      },
      { ...DEFAULT_MAPPING, userId: `${ENTERPRISE_USER}:employeeNumber` },
      [ENTERPRISE_USER],
    );
    expect(body).toEqual({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER],
      userName: "bob@example.com",
      active: true,
      externalId: "bob",
      displayName: "Bob B",
      name: { formatted: "Bob B" },
      emails: [{ value: "bob@example.com", type: "work", primary: true }],
      userType: "contractor",
      [ENTERPRISE_USER]: { department: "OPS", manager: { value: "u-9" }, employeeNumber: "bob" },
    });
  });

  it("patches only the changed fields, removing the ones that became empty", () => {
    const ops = buildUserPatchOps(
      { userName: "a", attributes: { title: "Director" }, managerId: "u-2" },
      ["title", "department", "manager"],
      DEFAULT_MAPPING,
    );
    expect(ops).toEqual([
      { op: "replace", path: "title", value: "Director" },
      { op: "remove", path: `${ENTERPRISE_USER}:department` },
      { op: "replace", path: `${ENTERPRISE_USER}:manager`, value: { value: "u-2" } },
    ]);
  });

  it("honours an attribute mapping override and null for fields the app does not hold", () => {
    const mapping = { ...DEFAULT_MAPPING, title: null, department: "division" };
    const body = buildUserResource(
      { userName: "a", attributes: { title: "T", department: "D" } },
      mapping,
      [],
    );
    expect(body).toMatchObject({ division: "D" });
    expect(body).not.toHaveProperty("title");
  });

  it("applies operations locally for servers that only take PUT, dropping meta", () => {
    const out = applyOpsLocally({ id: "1", title: "A", meta: { version: "1" } }, [
      { op: "replace", path: "title", value: "B" },
      { op: "replace", path: `${ENTERPRISE_USER}:department`, value: "D" },
      { op: "remove", path: "title" },
    ]);
    expect(out).toEqual({ id: "1", [ENTERPRISE_USER]: { department: "D" } });
  });
});

describe("scim map: groups and messages", () => {
  it("reads members, separating nested groups, and notices when members were left out", () => {
    const g = parseScimGroup({
      id: "g1",
      displayName: "team-a",
      members: [{ value: "u1" }, { value: "g2", type: "Group" }, { value: "u2", type: "User" }],
    });
    expect(g).toMatchObject({ memberIds: ["u1", "u2"], groupMemberIds: ["g2"] });
    expect(parseScimGroup({ id: "g1", displayName: "team-a" })?.memberIds).toBeUndefined();
  });

  it("writes membership as one add with a value array and one filtered remove per member, chunked", () => {
    const patches = buildMemberPatches(["u1", "u2", "u3"], ['u"4'], 2);
    expect(patches).toEqual([
      {
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        Operations: [{ op: "add", path: "members", value: [{ value: "u1" }, { value: "u2" }] }],
      },
      {
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        Operations: [
          { op: "add", path: "members", value: [{ value: "u3" }] },
          { op: "remove", path: 'members[value eq "u\\"4"]' },
        ],
      },
    ]);
  });

  it("rewrites a member list for PUT keeping group and unknown-type entries as they were, and removes ids holding quotes or backslashes", () => {
    const before = [
      { value: 'u"1', display: "Ann" },
      { value: "g1", type: "Group", display: "nested" },
      { value: "x1", type: "Device", $ref: "https://example.com/Devices/x1" },
      { value: "u\\2", type: "User" },
      { value: "u3" },
    ];
    expect(applyMemberChanges(before, ["u4", "u3", "g1"], ['u"1', "u\\2", "g1"])).toEqual([
      { value: "g1", type: "Group", display: "nested" },
      { value: "x1", type: "Device", $ref: "https://example.com/Devices/x1" },
      { value: "u3" },
      { value: "u4" },
    ]);
  });

  it("changes a read e-mail through a filtered path, adds one where none was read, and applies both locally for PUT keeping other addresses", () => {
    const wire = {
      id: "u1",
      userName: "ann@example.com",
      emails: [
        { value: "ann@example.com", type: "work", primary: true },
        { value: "ann@home.example", type: "home" },
      ],
    };
    const current = parseScimUser(wire, DEFAULT_MAPPING);
    const write = { userName: "ann@example.com", attributes: { email: "ann@new.example" } };
    const ops = buildUserPatchOps(write, ["email"], DEFAULT_MAPPING, current);
    expect(ops).toEqual([{ op: "replace", path: "emails[primary eq true].value", value: "ann@new.example" }]);
    expect(applyOpsLocally(wire, ops)["emails"]).toEqual([
      { value: "ann@new.example", type: "work", primary: true },
      { value: "ann@home.example", type: "home" },
    ]);
    const byType = parseScimUser(
      { ...wire, emails: [{ value: "a@x.example", type: 'we"ird' }] },
      DEFAULT_MAPPING,
    );
    expect(byType?.emailPath).toBe('emails[type eq "we\\"ird"].value');

    const bare = parseScimUser({ id: "u2", userName: "ben@example.com" }, DEFAULT_MAPPING);
    const added = buildUserPatchOps(write, ["email"], DEFAULT_MAPPING, bare);
    expect(added).toEqual([
      { op: "add", path: "emails", value: [{ value: "ann@new.example", type: "work", primary: true }] },
    ]);
    const home = {
      id: "u3",
      userName: "cy",
      emails: [{ value: "cy@home.example", type: "home", primary: true }],
    };
    expect(applyOpsLocally(home, added)["emails"]).toEqual([
      { value: "cy@home.example", type: "home", primary: false },
      { value: "ann@new.example", type: "work", primary: true },
    ]);
  });

  it("reads and writes the work address, not a primary home one beside it (which is the person's to keep)", () => {
    const wire = {
      id: "u4",
      userName: "eve@acme.test",
      emails: [
        { value: "eve@home.example", type: "home", primary: true },
        { value: "eve.old@acme.test", type: "work" },
      ],
    };
    const current = parseScimUser(wire, DEFAULT_MAPPING);
    expect(current?.attributes.email).toBe("eve.old@acme.test");
    expect(current?.emailPath).toBe('emails[type eq "work"].value');
    const write = { userName: "eve@acme.test", attributes: { email: "eve.evans@acme.test" } };
    const ops = buildUserPatchOps(write, ["email"], DEFAULT_MAPPING, current);
    expect(applyOpsLocally(wire, ops)["emails"]).toEqual([
      { value: "eve@home.example", type: "home", primary: true },
      { value: "eve.evans@acme.test", type: "work" },
    ]);
  });

  it("quotes filter values as JSON strings", () => {
    expect(eqFilter("userName", 'a"b\\c')).toBe('userName eq "a\\"b\\\\c"');
  });

  it("parses list responses and SCIM errors, tolerating junk", () => {
    expect(parseListResponse({ totalResults: 0 })).toEqual({ totalResults: 0, resources: [] });
    expect(parseListResponse({ Resources: [] })).toBeUndefined();
    expect(parseScimError({ status: "409", scimType: "uniqueness", detail: "taken" })).toEqual({
      scimType: "uniqueness",
      detail: "taken",
    });
    expect(parseScimError("<html>")).toEqual({});
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("2", now)).toBe(2000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
  });
});

describe("scim discovery", () => {
  it("assumes nothing optional of a server that publishes no discovery documents", () => {
    const caps = parseCapabilities(undefined, undefined, undefined);
    expect(caps).toMatchObject({ patch: false, filter: false, etag: false, usersEndpoint: "/Users" });
    expect(supportsUserPath(caps, "title")).toBe(true);
    expect(supportsUserPath(caps, `${ENTERPRISE_USER}:department`)).toBe(false);
  });

  it("reads features, endpoints, extensions and attribute names", () => {
    const caps = parseCapabilities(
      { patch: { supported: true }, filter: { supported: true, maxResults: 200 }, etag: { supported: true } },
      {
        Resources: [
          {
            schema: "urn:ietf:params:scim:schemas:core:2.0:User",
            endpoint: "/people",
            schemaExtensions: [{ schema: ENTERPRISE_USER, required: false }],
          },
        ],
      },
      {
        Resources: [{ id: "urn:ietf:params:scim:schemas:core:2.0:User", attributes: [{ name: "userName" }] }],
      },
    );
    expect(caps).toMatchObject({
      patch: true,
      filter: true,
      maxResults: 200,
      etag: true,
      usersEndpoint: "/people",
    });
    expect(caps.groupsEndpoint).toBeUndefined();
    expect(supportsUserPath(caps, "title")).toBe(false);
    expect(supportsUserPath(caps, `${ENTERPRISE_USER}:department`)).toBe(true);
  });
});

describe("scim settings", () => {
  const config = (settings: Record<string, unknown>): ProviderConfig => ({
    name: "saas",
    type: "scim",
    mode: "authoritative",
    nesting: false,
    settings,
    source: { file: "access/gatehouse.yaml", line: 4, column: 3 },
  });

  it("fills defaults: deactivate leavers, 4 at a time, 30 s timeouts", () => {
    expect(
      parseScimSettings(config({ baseUrl: "https://app.example/scim/v2/", tokenEnv: "T" })),
    ).toMatchObject({
      baseUrl: "https://app.example/scim/v2",
      deleteUsers: false,
      concurrency: 4,
      timeoutMs: 30_000,
      attributeMapping: DEFAULT_MAPPING,
    });
  });

  it.each([
    "http://127.0.0.1:8080/scim/v2",
    "http://127.10.0.1/scim",
    "http://localhost:3000/",
    "http://[::1]:99/scim",
  ])("accepts plain http for the loopback address %s", (baseUrl) => {
    expect(parseScimSettings(config({ baseUrl, tokenEnv: "T" })).baseUrl).toBe(baseUrl.replace(/\/+$/, ""));
  });

  it.each(["http://app.example.com/scim/v2", "http://10.0.0.5/scim", "http://127.0.0.1.evil.example/scim"])(
    "refuses plain http to %s, naming the provider and baseUrl, so the bearer token never crosses a network in clear",
    (baseUrl) => {
      const parse = () => parseScimSettings(config({ baseUrl, tokenEnv: "T" }));
      expect(parse).toThrow(ConfigError);
      expect(parse).toThrow(/provider "saas" \(scim\): "baseUrl" must use https/);
    },
  );

  it.each([
    [{ tokenEnv: "T" }, /"baseUrl" is required/],
    [{ baseUrl: "ftp://x", tokenEnv: "T" }, /http\(s\) URL/],
    [
      { baseUrl: "https://x", tokenEnv: "T", concurrency: 0 },
      /"concurrency" must be an integer of at least 1/,
    ],
    [
      { baseUrl: "https://x", tokenEnv: "T", attributeMapping: { shoeSize: "x" } },
      /attributeMapping.shoeSize/,
    ],
  ])("refuses bad settings %j with a located message", (settings, message) => {
    expect(() => parseScimSettings(config(settings))).toThrow(ConfigError);
    expect(() => parseScimSettings(config(settings))).toThrow(message);
    expect(() => parseScimSettings(config(settings))).toThrow(/access\/gatehouse.yaml:4:3 provider "saas"/);
  });
});
