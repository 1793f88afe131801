import { stringify } from "yaml";
import type { AccessModel, ProviderConfig } from "../model/access.ts";
import type { LiveState } from "../model/state.ts";
import { accountNameFor } from "../desired/desired-state.ts";

const ID_CHARS = /[^a-z0-9._-]+/g;

/** A valid gatehouse user id from an account name ("Alice.L@Example.com" → "alice.l"). */
export function userIdFromAccount(account: string): string {
  const local = account.includes("@") ? (account.split("@")[0] ?? account) : account;
  const id = local
    .toLowerCase()
    .replace(ID_CHARS, "-")
    .replace(/^[^a-z0-9]+/, "");
  return id === "" ? "user" : id.slice(0, 64);
}

/** Live state → one access file (YAML text). Known people are referenced by their id, not redeclared. */
export function renderImport(
  live: LiveState,
  model: AccessModel,
  provider: ProviderConfig,
  schemaPath: string,
): { text: string; users: number; groups: number } {
  const idByAccount = new Map<string, string>();
  for (const user of model.users.values()) {
    const account = accountNameFor(user, provider);
    if (account !== undefined) idByAccount.set(account, user.id);
  }
  const taken = new Set(model.users.keys());
  const users: Record<string, unknown>[] = [];
  for (const u of [...live.users].sort((a, b) => (a.account < b.account ? -1 : 1))) {
    if (idByAccount.has(u.account)) continue;
    let id = userIdFromAccount(u.account);
    for (let n = 2; taken.has(id); n++) id = `${userIdFromAccount(u.account)}-${String(n)}`;
    taken.add(id);
    idByAccount.set(u.account, id);
    const entry: Record<string, unknown> = { id, name: u.name ?? u.account };
    if (u.email !== undefined) entry["email"] = u.email;
    if (u.department !== undefined) entry["department"] = u.department;
    if (u.title !== undefined) entry["title"] = u.title;
    if (u.employmentType !== undefined) entry["employmentType"] = u.employmentType;
    entry["status"] = u.enabled ? "active" : "terminated";
    if (id !== u.account) entry["accounts"] = { [provider.name]: u.account };
    users.push(entry);
  }
  const groups = [...live.groups]
    .filter((g) => !model.groups.has(g.name))
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((g) => ({
      name: g.name,
      ...(g.description === undefined ? {} : { description: g.description }),
      owners: [],
      providers: [provider.name],
      members: [
        ...[...g.members].sort().map((m) => idByAccount.get(m) ?? m),
        ...[...(g.groupMembers ?? [])].sort().map((group) => ({ group })),
      ],
    }));
  const body: Record<string, unknown> = {};
  if (users.length > 0) body["users"] = users;
  if (groups.length > 0) body["groups"] = groups;
  const header = `# yaml-language-server: $schema=${schemaPath}\n# Imported from ${provider.name} by gatehouse import. Add owners to every group, then review.\n`;
  return { text: header + stringify(body, { lineWidth: 0 }), users: users.length, groups: groups.length };
}
