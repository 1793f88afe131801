import type { BigIntStats } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { ProviderError } from "../../errors.ts";
import { hasCode } from "../../io/file-lock.ts";
import { describeJsonSyntaxError } from "../../io/json-syntax.ts";
import type { EmploymentType } from "../../model/access.ts";

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
  const bytes = await readDirectoryBytes(path, provider, operation);
  return bytes === undefined ? emptyDirectory() : directoryFromBytes(bytes, path, provider, operation);
}

/** The directory a file's bytes hold; an error naming the file when they are not one. */
export function directoryFromBytes(
  bytes: Buffer,
  path: string,
  provider: string,
  operation: string,
): Directory {
  const parsed = parseDirectory(parseDirectoryJson(bytes.toString("utf8"), path, provider, operation));
  if (typeof parsed === "string") throw corrupt(provider, operation, path, parsed);
  return parsed;
}

/**
 * The bytes of the directory file, or undefined when there is no file (an empty directory). `opened`
 * learns the identity and times of the very file read (not of whatever the path names a moment later).
 */
export async function readDirectoryBytes(
  path: string,
  provider: string,
  operation: string,
  opened?: (stats: BigIntStats) => void,
): Promise<Buffer | undefined> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, "r");
    opened?.(await handle.stat({ bigint: true }));
    return await handle.readFile();
  } catch (error) {
    if (hasCode(error, "ENOENT")) return undefined;
    throw new ProviderError(provider, operation, `cannot read ${path}`, { cause: error });
  } finally {
    await handle?.close();
  }
}

/** `JSON.parse(text)`, or the error that names the file, line and column when it is not JSON. */
export function parseDirectoryJson(text: string, path: string, provider: string, operation: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const { line, column, reason } = describeJsonSyntaxError(text, error);
    const where = `${path}:${String(line)}:${String(column)}`;
    throw corrupt(provider, operation, where, `it is not valid JSON (${reason})`, error);
  }
}

/**
 * The error for a directory file that is not a valid directory: it names the file (with the line and
 * column, when known) and the problem.
 */
export function corrupt(
  provider: string,
  operation: string,
  path: string,
  problem: string,
  cause?: unknown,
): ProviderError {
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
    name: g.name,
    ...(g.description === undefined ? {} : { description: g.description }),
    members: [...g.members].sort(),
    groupMembers: [...g.groupMembers].sort(),
  }));
  const users = byKey(directory.users).map(inFileOrder);
  const file = { formatVersion: DIRECTORY_FORMAT_VERSION, users, groups };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * A user's fields in one order (the order the file is read in), whatever order the object was built in:
 * the same directory is always the same bytes, so its digest (what makes a saved plan stale) depends on
 * the content only, not on which apply phase created a record.
 */
function inFileOrder(u: StoredUser): StoredUser {
  const out: StoredUser = { account: u.account, enabled: u.enabled, sessions: u.sessions, tokens: u.tokens };
  if (u.name !== undefined) out.name = u.name;
  if (u.email !== undefined) out.email = u.email;
  if (u.department !== undefined) out.department = u.department;
  if (u.title !== undefined) out.title = u.title;
  if (u.manager !== undefined) out.manager = u.manager;
  if (u.createdAt !== undefined) out.createdAt = u.createdAt;
  if (u.lastLogin !== undefined) out.lastLogin = u.lastLogin;
  if (u.employmentType !== undefined) out.employmentType = u.employmentType;
  return out;
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

/** A JSON object (not null, not a list). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/*
 * The checks below say what is wrong as the end of a sentence ("must be a list"); the caller names the
 * place (`users[3].sessions`), built only when there is a problem: most files have none.
 */

/** The list at `value` if it holds only strings (the same array, not a copy), or what is wrong with it. */
export function stringList(value: unknown): readonly string[] | string {
  if (!Array.isArray(value)) return "must be a list";
  const list: readonly unknown[] = value;
  return isStringList(list) ? list : "must hold only strings";
}

function isStringList(list: readonly unknown[]): list is readonly string[] {
  for (const item of list) if (typeof item !== "string") return false;
  return true;
}

/** Reads a user's sessions or tokens in the form the caller keeps them (copied, or only counted). */
export type CredentialReader<C> = (value: unknown) => C | string;

const CREDENTIAL_PROBLEM = "entries need a string id and createdAt";

function isCredential(item: unknown): item is StoredCredential {
  return isRecord(item) && typeof item["id"] === "string" && typeof item["createdAt"] === "string";
}

/** Copies of the credential entries (the directory keeps them). */
export const copyCredentials: CredentialReader<StoredCredential[]> = (value) => {
  if (!Array.isArray(value)) return "must be a list";
  const out: StoredCredential[] = [];
  for (const item of value) {
    if (!isCredential(item)) return CREDENTIAL_PROBLEM;
    out.push({ id: item.id, createdAt: item.createdAt });
  }
  return out;
};

/** The number of credential entries, each checked as copyCredentials checks it (the live state counts them). */
export const countCredentials: CredentialReader<number> = (value) => {
  if (!Array.isArray(value)) return "must be a list";
  for (const item of value) if (!isCredential(item)) return CREDENTIAL_PROBLEM;
  return value.length;
};

const userAt = (index: number): string => `users[${String(index)}]`;
const groupAt = (index: number): string => `groups[${String(index)}]`;

function employmentTypeOf(value: unknown): EmploymentType | undefined {
  for (const type of EMPLOYMENT_TYPES) if (type === value) return type;
  return undefined;
}

type TextAttribute = (typeof TEXT_ATTRIBUTES)[number];

/** A user record of the file, checked, with its credentials in the form `C`. */
export type UserRecord<C> = Partial<Record<TextAttribute, string>> & {
  account: string;
  enabled: boolean;
  employmentType?: EmploymentType;
  sessions: C;
  tokens: C;
};

/**
 * Checks the user record at `index` and copies its fields into a new object, or says what is wrong with
 * it. `createdAt` is checked but only kept when `keepsCreatedAt` (it is the directory's own bookkeeping).
 */
export function parseUserRecord<C>(
  value: unknown,
  index: number,
  credentials: CredentialReader<C>,
  keepsCreatedAt: boolean,
): UserRecord<C> | string {
  if (!isRecord(value) || typeof value["account"] !== "string" || value["account"] === "") {
    return `${userAt(index)} needs a non-empty string "account"`;
  }
  if (typeof value["enabled"] !== "boolean") return `${userAt(index)}.enabled must be true or false`;
  const sessions = credentials(value["sessions"] ?? []);
  if (typeof sessions === "string") return `${userAt(index)}.sessions ${sessions}`;
  const tokens = credentials(value["tokens"] ?? []);
  if (typeof tokens === "string") return `${userAt(index)}.tokens ${tokens}`;
  for (const key of TEXT_ATTRIBUTES) {
    const text = value[key];
    if (text !== undefined && typeof text !== "string") return `${userAt(index)}.${key} must be a string`;
  }
  const type = value["employmentType"];
  const employmentType = employmentTypeOf(type);
  if (type !== undefined && employmentType === undefined) {
    return `${userAt(index)}.employmentType must be one of ${EMPLOYMENT_TYPES.join(", ")}`;
  }
  const user: UserRecord<C> = { account: value["account"], enabled: value["enabled"], sessions, tokens };
  // One named store per attribute, in the file's order: much faster than stores by a variable key.
  const { name, email, department, title, manager, createdAt, lastLogin } = value;
  if (typeof name === "string") user.name = name;
  if (typeof email === "string") user.email = email;
  if (typeof department === "string") user.department = department;
  if (typeof title === "string") user.title = title;
  if (typeof manager === "string") user.manager = manager;
  if (typeof createdAt === "string" && keepsCreatedAt) user.createdAt = createdAt;
  if (typeof lastLogin === "string") user.lastLogin = lastLogin;
  if (employmentType !== undefined) user.employmentType = employmentType;
  return user;
}

/** A group record of the file, checked; its lists are the arrays of `value` itself, not copies. */
export interface GroupRecord {
  name: string;
  description?: string;
  members: readonly string[];
  groupMembers: readonly string[];
}

/** Checks the group record at `index`, or says what is wrong with it. */
export function parseGroupRecord(value: unknown, index: number): GroupRecord | string {
  if (!isRecord(value) || typeof value["name"] !== "string" || value["name"] === "") {
    return `${groupAt(index)} needs a non-empty string "name"`;
  }
  const members = stringList(value["members"] ?? []);
  if (typeof members === "string") return `${groupAt(index)}.members ${members}`;
  const groupMembers = stringList(value["groupMembers"] ?? []);
  if (typeof groupMembers === "string") return `${groupAt(index)}.groupMembers ${groupMembers}`;
  const group: GroupRecord = { name: value["name"], members, groupMembers };
  const description = value["description"];
  if (description !== undefined) {
    if (typeof description !== "string") return `${groupAt(index)}.description must be a string`;
    group.description = description;
  }
  return group;
}

function parseGroup(value: unknown, index: number): StoredGroup | string {
  const group = parseGroupRecord(value, index);
  if (typeof group === "string") return group;
  // Copies: the directory is a mutable working copy, and `value` belongs to the caller.
  return { ...group, members: [...group.members], groupMembers: [...group.groupMembers] };
}

/** The directory in `value`, or a sentence saying what is wrong with it. */
export function parseDirectory(value: unknown): Directory | string {
  const lists = directoryLists(value);
  if (typeof lists === "string") return lists;
  const directory = emptyDirectory();
  for (const [index, item] of lists.users.entries()) {
    const user = parseUserRecord(item, index, copyCredentials, true);
    if (typeof user === "string") return user;
    if (directory.users.has(user.account)) return `user "${user.account}" appears twice`;
    directory.users.set(user.account, user);
  }
  for (const [index, item] of lists.groups.entries()) {
    const group = parseGroup(item, index);
    if (typeof group === "string") return group;
    if (directory.groups.has(group.name)) return `group "${group.name}" appears twice`;
    directory.groups.set(group.name, group);
  }
  return directory;
}

/** The user and group lists of a directory file's top level, or what is wrong with it. */
export function directoryLists(
  value: unknown,
): { users: readonly unknown[]; groups: readonly unknown[] } | string {
  if (!isRecord(value)) return "the top level must be an object with users and groups";
  if (value["formatVersion"] !== DIRECTORY_FORMAT_VERSION) {
    return `formatVersion must be ${String(DIRECTORY_FORMAT_VERSION)}`;
  }
  const users = value["users"];
  const groups = value["groups"];
  if (!Array.isArray(users) || !Array.isArray(groups)) return "users and groups must be lists";
  return { users, groups };
}
