/** Change builders shared by the SCIM test files: accounts are `<name>@example.com`, as the server wants. */
import type { Change } from "../../src/plan/types.ts";

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
