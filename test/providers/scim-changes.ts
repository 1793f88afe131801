/** Change builders shared by the SCIM test files: accounts are `<name>@example.com`, as the server wants. */
import { expect } from "vitest";
import type { Change } from "../../src/plan/types.ts";
import type { ScimServer } from "../harness/scim-server.ts";

const base = { provider: "saas", reason: "added-in-config", risk: "broadens" } as const;

export const userCreate = (name: string): Change => ({
  ...base,
  id: `user/${name}`,
  kind: "user",
  action: "create",
  account: `${name}@example.com`,
  userId: name,
  after: { name: `${name} Example`, email: `${name}@example.com`, title: "Engineer" },
});

export const groupCreate = (group: string): Change => ({
  ...base,
  id: `group/${group}`,
  kind: "group",
  action: "create",
  group,
});

export const memberChange = (group: string, name: string, action: "add" | "remove"): Change => ({
  ...base,
  id: `membership/${group}/${name}`,
  kind: "membership",
  action,
  group,
  member: `${name}@example.com`,
  memberKind: "user",
  risk: action === "add" ? "broadens" : "narrows",
});

/**
 * Calls `server()` directly, as another admin would (each call asserts a 2xx answer), and finds a
 * resource's id by `attribute eq value`. `server` is asked at each call: tests start a new one per test.
 */
export function scimAdmin(server: () => ScimServer) {
  const direct = async (method: string, resource: string, body?: unknown) => {
    const { baseUrl, token } = server();
    const res = await fetch(`${baseUrl}${resource}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/scim+json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(res.status, `${method} ${resource}`).toBeLessThan(300);
    return res.status === 204
      ? undefined
      : ((await res.json()) as { id?: string; Resources?: { id: string }[] });
  };
  const idOf = async (endpoint: string, attribute: string, value: string): Promise<string> => {
    const filter = encodeURIComponent(`${attribute} eq "${value}"`);
    const id = (await direct("GET", `${endpoint}?filter=${filter}`))?.Resources?.[0]?.id;
    expect(id, `${endpoint} ${value}`).toBeDefined();
    return id ?? "";
  };
  const userId = (name: string) => idOf("/Users", "userName", `${name}@example.com`);
  const groupId = (name: string) => idOf("/Groups", "displayName", name);
  /**
   * What another admin changes between two reads: kim added, ben's title, dee into alpha, eve out of beta.
   * Each is what an incremental read must see.
   */
  const editByHand = async (): Promise<void> => {
    const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    await direct("POST", "/Users", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: "kim@example.com",
      displayName: "kim Example",
      emails: [{ value: "kim@example.com", primary: true }],
      active: true,
    });
    await direct("PATCH", `/Users/${await userId("ben")}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "replace", path: "title", value: "Manager" }],
    });
    await direct("PATCH", `/Groups/${await groupId("alpha")}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "add", path: "members", value: [{ value: await userId("dee") }] }],
    });
    await direct("PATCH", `/Groups/${await groupId("beta")}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "remove", path: `members[value eq "${await userId("eve")}"]` }],
    });
  };
  return { direct, idOf, userId, groupId, editByHand };
}
