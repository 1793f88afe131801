import { readFile } from "node:fs/promises";
import { ProviderError } from "../../errors.ts";
import { hasCode } from "../../io/file-lock.ts";
import type { EmploymentType } from "../../model/access.ts";
import type { LiveGroup, LiveState, LiveUser } from "../../model/state.ts";

/** An open session or a personal access token, as the directory keeps it (no secret material). */
export interface StoredCredential {
  id: string;
  /** ISO 8601 instant. */
  createdAt: string;
}

/** A user as stored in the directory file. In memory the objects are mutable working copies. */
export interface StoredUser {
  account: string;
  name?: string;
  email?: string;
  department?: string;
  title?: string;
  manager?: string;
  employmentType?: EmploymentType;
  enabled: boolean;
  createdAt?: string;
  lastLogin?: string;
  sessions: StoredCredential[];
  tokens: StoredCredential[];
}

export interface StoredGroup {
  name: string;
  description?: string;
  /** Account names. */
  members: string[];
  /** Nested groups (native nesting). */
  groupMembers: string[];
}

export interface Directory {
  readonly users: Map<string, StoredUser>;
  readonly groups: Map<string, StoredGroup>;
}

export const DIRECTORY_FORMAT_VERSION = 1;

export function emptyDirectory(): Directory {
  return { users: new Map(), groups: new Map() };
}

/**
 * Reads the directory file. A missing file is an empty directory; a file that is not valid JSON or not a
 * directory is an error that names the file, never an empty directory.
 */
export async function loadDirectory(path: string, provider: string, operation: string): Promise<Directory> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (hasCode(error, "ENOENT")) return emptyDirectory();
    throw new ProviderError(provider, operation, `cannot read ${path}`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw corrupt(provider, operation, path, "it is not valid JSON", error);
  }
  const parsed = parseDirectory(value);
  if (typeof parsed === "string") throw corrupt(provider, operation, path, parsed);
  return parsed;
}

function corrupt(provider: string, operation: string, path: string, problem: string, cause?: unknown) {
  return new ProviderError(
    provider,
    operation,
    `${path} is not a valid directory file: ${problem}. Restore it from a backup or fix it by hand ` +
      `(delete it to start from an empty directory); gatehouse did not change it`,
    { status: "corrupt", cause },
  );
}

export function serializeDirectory(directory: Directory): string {
  const byKey = <T>(map: Map<string, T>): T[] =>
    [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  const groups = byKey(directory.groups).map((g) => ({
    ...g,
    members: [...g.members].sort(),
    groupMembers: [...g.groupMembers].sort(),
  }));
  const file = { formatVersion: DIRECTORY_FORMAT_VERSION, users: byKey(directory.users), groups };
  return `${JSON.stringify(file, null, 2)}\n`;
}

export function toLiveState(directory: Directory, isNesting: boolean): LiveState {
  const users: LiveUser[] = [...directory.users.values()]
    .map(({ sessions, tokens, ...rest }) => {
      const live = { ...rest, sessions: sessions.length, tokens: tokens.length };
      delete live.createdAt; // the directory's own bookkeeping, not part of the live state
      return live;
    })
    .sort((a, b) => compare(a.account, b.account));
  const groups: LiveGroup[] = [...directory.groups.values()]
    .map(({ groupMembers, members, ...rest }) => ({
      ...rest,
      members: [...members].sort(),
      ...(isNesting ? { groupMembers: [...groupMembers].sort() } : {}),
    }))
    .sort((a, b) => compare(a.name, b.name));
  return { users, groups };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- shape validation: the file is external data ----

const EMPLOYMENT_TYPES: readonly EmploymentType[] = ["employee", "contractor", "intern", "service"];
const TEXT_ATTRIBUTES = [
  "name",
  "email",
  "department",
  "title",
  "manager",
  "createdAt",
  "lastLogin",
] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseStrings(value: unknown, where: string): string[] | string {
  if (!Array.isArray(value)) return `${where} must be a list`;
  const out: string[] = [];
  for (const item of value) {
    if (typeof item !== "string") return `${where} must hold only strings`;
    out.push(item);
  }
  return out;
}

function parseCredentials(value: unknown, where: string): StoredCredential[] | string {
  if (!Array.isArray(value)) return `${where} must be a list`;
  const out: StoredCredential[] = [];
  for (const item of value) {
    if (!isRecord(item) || typeof item["id"] !== "string" || typeof item["createdAt"] !== "string") {
      return `${where} entries need a string id and createdAt`;
    }
    out.push({ id: item["id"], createdAt: item["createdAt"] });
  }
  return out;
}

function parseUser(value: unknown, index: number): StoredUser | string {
  const where = `users[${String(index)}]`;
  if (!isRecord(value) || typeof value["account"] !== "string" || value["account"] === "") {
    return `${where} needs a non-empty string "account"`;
  }
  if (typeof value["enabled"] !== "boolean") return `${where}.enabled must be true or false`;
  const sessions = parseCredentials(value["sessions"] ?? [], `${where}.sessions`);
  if (typeof sessions === "string") return sessions;
  const tokens = parseCredentials(value["tokens"] ?? [], `${where}.tokens`);
  if (typeof tokens === "string") return tokens;
  const user: StoredUser = { account: value["account"], enabled: value["enabled"], sessions, tokens };
  for (const key of TEXT_ATTRIBUTES) {
    const text = value[key];
    if (text === undefined) continue;
    if (typeof text !== "string") return `${where}.${key} must be a string`;
    user[key] = text;
  }
  const type = value["employmentType"];
  if (type !== undefined) {
    const known = EMPLOYMENT_TYPES.find((t) => t === type);
    if (known === undefined) return `${where}.employmentType must be one of ${EMPLOYMENT_TYPES.join(", ")}`;
    user.employmentType = known;
  }
  return user;
}

function parseGroup(value: unknown, index: number): StoredGroup | string {
  const where = `groups[${String(index)}]`;
  if (!isRecord(value) || typeof value["name"] !== "string" || value["name"] === "") {
    return `${where} needs a non-empty string "name"`;
  }
  const members = parseStrings(value["members"] ?? [], `${where}.members`);
  if (typeof members === "string") return members;
  const groupMembers = parseStrings(value["groupMembers"] ?? [], `${where}.groupMembers`);
  if (typeof groupMembers === "string") return groupMembers;
  const group: StoredGroup = { name: value["name"], members, groupMembers };
  const description = value["description"];
  if (description !== undefined) {
    if (typeof description !== "string") return `${where}.description must be a string`;
    group.description = description;
  }
  return group;
}

/** The directory in `value`, or a sentence saying what is wrong with it. */
export function parseDirectory(value: unknown): Directory | string {
  if (!isRecord(value)) return "the top level must be an object with users and groups";
  if (value["formatVersion"] !== DIRECTORY_FORMAT_VERSION) {
    return `formatVersion must be ${String(DIRECTORY_FORMAT_VERSION)}`;
  }
  if (!Array.isArray(value["users"]) || !Array.isArray(value["groups"]))
    return "users and groups must be lists";
  const directory = emptyDirectory();
  for (const [index, item] of value["users"].entries()) {
    const user = parseUser(item, index);
    if (typeof user === "string") return user;
    if (directory.users.has(user.account)) return `user "${user.account}" appears twice`;
    directory.users.set(user.account, user);
  }
  for (const [index, item] of value["groups"].entries()) {
    const group = parseGroup(item, index);
    if (typeof group === "string") return group;
    if (directory.groups.has(group.name)) return `group "${group.name}" appears twice`;
    directory.groups.set(group.name, group);
  }
  return directory;
}
