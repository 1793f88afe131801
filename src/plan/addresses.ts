import type { Change } from "./types.ts";

/** Stable change addresses: unique within a plan, readable in logs and the journal. */
export const userAddress = (provider: string, account: string): string => `${provider}:user/${account}`;
export const sessionsAddress = (provider: string, account: string): string =>
  `${provider}:user/${account}#sessions`;
export const groupAddress = (provider: string, group: string): string => `${provider}:group/${group}`;
/**
 * Joined rather than built with a template: join makes one flat string, where `+` makes a chain of
 * pieces that sorting and hashing flatten later (a first import makes two million of these).
 */
export const membershipAddress = (
  provider: string,
  group: string,
  member: string,
  memberKind: "user" | "group",
): string => [provider, ":membership/", group, "/", memberKind === "group" ? "group:" : "", member].join("");

/** The group and member of a membership change address (membershipAddress), or undefined for any other. */
export function membershipOf(
  id: string,
  provider: string,
): { group: string; member: string; memberKind: "user" | "group" } | undefined {
  const prefix = `${provider}:membership/`;
  if (!id.startsWith(prefix)) return undefined;
  const rest = id.slice(prefix.length);
  const slash = rest.indexOf("/");
  if (slash <= 0) return undefined;
  const group = rest.slice(0, slash);
  const member = rest.slice(slash + 1);
  return member.startsWith("group:")
    ? { group, member: member.slice("group:".length), memberKind: "group" }
    : { group, member, memberKind: "user" };
}

/** The new name a change gives a group, if it renames it. */
export function renamedGroupTo(change: Change): string | undefined {
  if (change.kind !== "group" || change.action !== "update") return undefined;
  const after = change.fields.find((f) => f.field === "name")?.after;
  return typeof after === "string" && after !== change.group ? after : undefined;
}

/**
 * The new name a change gives a user account, if it renames it in place: an update whose fields hold
 * `account` (the account name; `name` is the person's display name).
 */
export function renamedUserTo(change: Change): string | undefined {
  if (change.kind !== "user" || change.action !== "update") return undefined;
  const after = change.fields.find((f) => f.field === "account")?.after;
  return typeof after === "string" && after !== change.account ? after : undefined;
}

/** The user account a change concerns: the account of a user change, or the user member of a membership. */
export function accountOf(change: Change): string | undefined {
  if (change.kind === "user") return change.account;
  return change.kind === "membership" && change.memberKind === "user" ? change.member : undefined;
}
