/**
 * Pure translation between SCIM resources (RFC 7643) and gatehouse's live model, and from changes to
 * SCIM request bodies (RFC 7644). No I/O: everything here is unit-tested with plain inputs.
 */
import type { EmploymentType } from "../../model/access.ts";
import type { LiveUser, LiveUserAttributes, UserAttributes } from "../../model/state.ts";
import type { AttributeMapping, MappableField } from "./settings.ts";

export const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const CORE_PREFIX = "urn:ietf:params:scim:schemas:core:2.0:";

type Json = Record<string, unknown>;

export interface ScimUser {
  readonly id: string;
  readonly userName: string;
  readonly externalId?: string;
  readonly active: boolean;
  /** Mapped attributes; `manager` here is the manager's SCIM id, not yet an account name. */
  readonly attributes: LiveUserAttributes;
  readonly version?: string;
  /** meta.lastModified, by the server's clock. */
  readonly lastModified?: string;
  /**
   * Where the e-mail address was read, when the mapping points at a multi-valued attribute: a PATCH path
   * naming just that value (`emails[primary eq true].value`, `emails[type eq "work"].value`).
   */
  readonly emailPath?: string;
}

export interface ScimGroup {
  readonly id: string;
  readonly displayName: string;
  readonly description?: string;
  /** Ids of User members; undefined when the server left `members` out of the resource. */
  readonly memberIds: readonly string[] | undefined;
  readonly groupMemberIds: readonly string[];
  readonly version?: string;
  readonly lastModified?: string;
}

export interface ListPage {
  readonly totalResults: number;
  readonly resources: readonly unknown[];
}

export interface PatchOperation {
  readonly op: "add" | "remove" | "replace";
  readonly path?: string;
  readonly value?: unknown;
}

export interface PatchRequest {
  readonly schemas: readonly [typeof PATCH_OP];
  readonly Operations: readonly PatchOperation[];
}

const EMPLOYMENT_TYPES: readonly EmploymentType[] = ["employee", "contractor", "intern", "service"];

export function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** "title" → [undefined, ["title"]]; "<schema urn>:manager.value" → [urn, ["manager","value"]]. */
export function splitPath(path: string): { schema: string | undefined; parts: string[] } {
  if (path.startsWith("urn:")) {
    const cut = path.lastIndexOf(":");
    const schema = path.slice(0, cut);
    const parts = path.slice(cut + 1).split(".");
    return { schema: schema.startsWith(CORE_PREFIX) ? undefined : schema, parts };
  }
  return { schema: undefined, parts: path.split(".") };
}

export function readPath(resource: Json, path: string): unknown {
  const { schema, parts } = splitPath(path);
  let node: unknown = schema === undefined ? resource : resource[schema];
  for (const part of parts) node = isRecord(node) ? node[part] : undefined;
  return node;
}

function writePath(resource: Json, path: string, value: unknown): void {
  const { schema, parts } = splitPath(path);
  let node = resource;
  const chain = schema === undefined ? parts : [schema, ...parts];
  chain.forEach((part, i) => {
    if (i === chain.length - 1) {
      if (value === undefined) Reflect.deleteProperty(node, part);
      else node[part] = value;
      return;
    }
    const next = node[part];
    const child: Json = isRecord(next) ? { ...next } : {};
    node[part] = child;
    node = child;
  });
}

/**
 * Of a multi-valued attribute's items, the one that stands for our field: the `work` one where there is
 * one (a person's e-mail in the files is their work address: a primary home address beside it is theirs
 * to keep, not to overwrite), else the primary one, else the first.
 */
function chosenItem(items: readonly Json[]): { item: Json; by: "work" | "primary" | "first" } | undefined {
  const work = items.filter((i) => typeof i["type"] === "string" && i["type"].toLowerCase() === "work");
  if (work.length === 1 && work[0] !== undefined)
    return { item: work[0], by: work[0]["primary"] === true ? "primary" : "work" };
  const primary = items.find((i) => i["primary"] === true);
  if (primary) return { item: primary, by: "primary" };
  return items[0] === undefined ? undefined : { item: items[0], by: "first" };
}

/** Reads one of our fields from a resource through the mapping. */
function readField(resource: Json, field: MappableField, path: string): string | undefined {
  const raw = readPath(resource, path);
  if (Array.isArray(raw)) {
    const chosen = chosenItem(raw.filter(isRecord));
    return chosen ? str(chosen.item["value"]) : undefined;
  }
  if (field === "manager" && isRecord(raw)) return str(raw["value"]);
  return str(raw);
}

/** The PATCH path of the one value `readField` took from a multi-valued attribute, if it can be named. */
function valuePathOf(resource: Json, path: string): string | undefined {
  const raw = readPath(resource, path);
  if (!Array.isArray(raw)) return undefined;
  const chosen = chosenItem(raw.filter(isRecord));
  if (chosen?.by === "primary") return `${path}[primary eq true].value`;
  const type = chosen?.item["type"];
  return typeof type === "string" && type !== ""
    ? `${path}[type eq ${quoteFilterValue(type)}].value`
    : undefined;
}

/** The wire value of one of our fields (`manager` must already be the manager's SCIM id). */
function wireValue(field: MappableField, path: string, value: string): unknown {
  if (field === "manager") return { value };
  if (path === "emails") return [{ value, type: "work", primary: true }];
  return value;
}

export function parseScimUser(raw: unknown, mapping: AttributeMapping): ScimUser | undefined {
  if (!isRecord(raw)) return undefined;
  const id = str(raw["id"]);
  const userName = str(raw["userName"]);
  if (id === undefined || userName === undefined) return undefined;
  const attributes: Record<string, string> = {};
  for (const field of ["name", "email", "title", "department", "manager", "employmentType"] as const) {
    const path = mapping[field];
    const value = path === null ? undefined : readField(raw, field, path);
    if (value !== undefined) attributes[field] = value;
  }
  if (attributes["name"] === undefined) {
    const formatted = readPath(raw, "name.formatted");
    if (typeof formatted === "string" && formatted !== "") attributes["name"] = formatted;
  }
  // Apps send "Employee", "Contractor" (Entra ID, Okta): the value, not its case, is the type. Another
  // value ("Full-Time") stays as it is, so a plan shows what it would overwrite.
  const type = EMPLOYMENT_TYPES.find((t) => t === attributes["employmentType"]?.toLowerCase());
  const externalId = str(raw["externalId"]);
  const version = readPath(raw, "meta.version");
  const lastModified = readPath(raw, "meta.lastModified");
  const emailPath =
    mapping.email !== null && attributes["email"] !== undefined ? valuePathOf(raw, mapping.email) : undefined;
  return {
    id,
    userName,
    ...(emailPath === undefined ? {} : { emailPath }),
    ...(externalId === undefined ? {} : { externalId }),
    // RFC 7643: an absent `active` means the server does not track it; treat the account as usable.
    active: raw["active"] !== false,
    attributes: { ...attributes, ...(type === undefined ? {} : { employmentType: type }) },
    ...(typeof version === "string" ? { version } : {}),
    ...(typeof lastModified === "string" ? { lastModified } : {}),
  };
}

/** LiveUser from a SCIM User; `accountById` turns the manager's SCIM id into an account name. */
export function toLiveUser(user: ScimUser, accountById: ReadonlyMap<string, string>): LiveUser {
  const { manager, ...rest } = user.attributes;
  const managerAccount = manager === undefined ? undefined : (accountById.get(manager) ?? manager);
  return {
    account: user.userName,
    enabled: user.active,
    ...rest,
    ...(managerAccount === undefined ? {} : { manager: managerAccount }),
    ...(user.externalId === undefined || user.externalId === "" ? {} : { personId: user.externalId }),
  };
}

export interface UserWrite {
  readonly userName: string;
  readonly attributes: UserAttributes;
  /** The manager's SCIM id, resolved by the caller; undefined leaves the manager unset. */
  readonly managerId?: string;
  readonly userId?: string;
}

function fieldValues(write: UserWrite): [MappableField, string | undefined][] {
  const a = write.attributes;
  return [
    ["name", a.name],
    ["email", a.email],
    ["title", a.title],
    ["department", a.department],
    ["manager", write.managerId],
    ["employmentType", a.employmentType],
    ["userId", write.userId],
  ];
}

/** The body of POST /Users (and of PUT, merged over the current resource by the caller). */
export function buildUserResource(
  write: UserWrite,
  mapping: AttributeMapping,
  schemas: readonly string[],
): Json {
  const body: Json = { schemas: [USER_SCHEMA, ...schemas], userName: write.userName, active: true };
  if (write.userId !== undefined) body["externalId"] = write.userId;
  for (const [key, value] of fieldValues(write)) {
    const path = mapping[key];
    if (path === null || value === undefined) continue;
    writePath(body, path, wireValue(key, path, value));
    if (key === "name" && path === "displayName") writePath(body, "name.formatted", value);
  }
  return body;
}

/**
 * PATCH operations setting `fields` to their values in `write` (absent values are removed). With `current`
 * (the user as read), an e-mail in a multi-valued attribute is changed in place by a filtered path, or
 * added when there was none, so the user's other addresses stay (a `replace` of `emails` would drop them).
 */
export function buildUserPatchOps(
  write: UserWrite,
  fields: readonly string[],
  mapping: AttributeMapping,
  current?: ScimUser,
): PatchOperation[] {
  const ops: PatchOperation[] = [];
  for (const [key, value] of fieldValues(write)) {
    const path = mapping[key];
    if (path === null || !fields.includes(key)) continue;
    if (value === undefined) {
      // The server-owned email derived from userName cannot be removed; leaving it is harmless.
      if (key !== "email") ops.push({ op: "remove", path });
      continue;
    }
    if (key === "email" && current !== undefined && Array.isArray(wireValue(key, path, value))) {
      if (current.emailPath !== undefined) ops.push({ op: "replace", path: current.emailPath, value });
      else ops.push({ op: "add", path, value: wireValue(key, path, value) });
      continue;
    }
    ops.push({ op: "replace", path, value: wireValue(key, path, value) });
    if (key === "name" && path === "displayName") ops.push({ op: "replace", path: "name.formatted", value });
  }
  return ops;
}

export function buildPatch(ops: readonly PatchOperation[]): PatchRequest {
  return { schemas: [PATCH_OP], Operations: ops };
}

/** `emails[type eq "work"].value` → its parts; undefined for a path without a value filter. */
function splitFilteredPath(
  path: string,
): { attribute: string; key: string; literal: unknown; sub: string } | undefined {
  const m = /^([^[\]]+)\[(\w+) eq (.+)\]\.(\w+)$/.exec(path);
  if (!m?.[1] || !m[2] || !m[3] || !m[4]) return undefined;
  try {
    return { attribute: m[1], key: m[2], literal: JSON.parse(m[3]), sub: m[4] };
  } catch {
    return undefined;
  }
}

/**
 * Applies PATCH operations to a copy of a resource, for servers without PATCH (then PUT): replace/remove
 * of plain paths, replace of `attr[key eq literal].sub` in the matching values, and `add` of values to a
 * multi-valued attribute (a new primary value demotes the old one).
 */
export function applyOpsLocally(resource: Json, ops: readonly PatchOperation[]): Json {
  const copy: Json = { ...resource };
  Reflect.deleteProperty(copy, "meta");
  for (const op of ops) {
    if (op.path === undefined) {
      if (isRecord(op.value)) Object.assign(copy, op.value);
      continue;
    }
    const filtered = splitFilteredPath(op.path);
    const existing = filtered ? readPath(copy, filtered.attribute) : readPath(copy, op.path);
    if (filtered && Array.isArray(existing)) {
      const { attribute, key, literal, sub } = filtered;
      const updated = existing.map((item: unknown) =>
        isRecord(item) && item[key] === literal
          ? op.op === "remove"
            ? Object.fromEntries(Object.entries(item).filter(([k]) => k !== sub))
            : { ...item, [sub]: op.value }
          : item,
      );
      writePath(copy, attribute, updated);
    } else if (op.op === "add" && Array.isArray(existing) && Array.isArray(op.value)) {
      const added: unknown[] = op.value;
      const newPrimary = added.some((v) => isRecord(v) && v["primary"] === true);
      const kept = existing.map((item: unknown) =>
        newPrimary && isRecord(item) && item["primary"] === true ? { ...item, primary: false } : item,
      );
      writePath(copy, op.path, [...kept, ...added]);
    } else {
      writePath(copy, op.path, op.op === "remove" ? undefined : op.value);
    }
  }
  return copy;
}

export function parseScimGroup(raw: unknown): ScimGroup | undefined {
  if (!isRecord(raw)) return undefined;
  const id = str(raw["id"]);
  const displayName = str(raw["displayName"]);
  if (id === undefined || displayName === undefined) return undefined;
  const members = Array.isArray(raw["members"]) ? raw["members"].filter(isRecord) : undefined;
  const isGroup = (m: Json): boolean => typeof m["type"] === "string" && m["type"].toLowerCase() === "group";
  const ids = (list: Json[]): string[] => list.flatMap((m) => str(m["value"]) ?? []);
  const description = str(raw["description"]);
  const version = readPath(raw, "meta.version");
  const lastModified = readPath(raw, "meta.lastModified");
  return {
    id,
    displayName,
    ...(description === undefined ? {} : { description }),
    memberIds: members === undefined ? undefined : ids(members.filter((m) => !isGroup(m))),
    groupMemberIds: members === undefined ? [] : ids(members.filter(isGroup)),
    ...(typeof version === "string" ? { version } : {}),
    ...(typeof lastModified === "string" ? { lastModified } : {}),
  };
}

export function buildGroupResource(name: string, description: string | undefined): Json {
  return {
    schemas: [GROUP_SCHEMA],
    displayName: name,
    ...(description === undefined ? {} : { description }),
  };
}

/**
 * Membership PATCH requests, at most `maxPerRequest` members each, in the shapes servers accept:
 * one `add` with a value array, and one `remove` per member with a `members[value eq "…"]` filter path.
 */
export function buildMemberPatches(
  adds: readonly string[],
  removes: readonly string[],
  maxPerRequest: number,
): PatchRequest[] {
  const all = [...adds.map((id) => ({ id, add: true })), ...removes.map((id) => ({ id, add: false }))];
  const requests: PatchRequest[] = [];
  for (let i = 0; i < all.length; i += Math.max(1, maxPerRequest)) {
    const chunk = all.slice(i, i + Math.max(1, maxPerRequest));
    const added = chunk.filter((m) => m.add).map((m) => ({ value: m.id }));
    const ops: PatchOperation[] = added.length > 0 ? [{ op: "add", path: "members", value: added }] : [];
    for (const m of chunk) {
      if (!m.add) ops.push({ op: "remove", path: `members[value eq ${quoteFilterValue(m.id)}]` });
    }
    requests.push(buildPatch(ops));
  }
  return requests;
}

/**
 * A group's `members` with user ids added and removed, for servers without PATCH (then PUT). Every entry
 * not named by a removal is kept exactly as the server gave it (Group members, unknown types, extra keys);
 * removals match user entries by `value`, whatever characters the id holds.
 */
export function applyMemberChanges(
  members: readonly unknown[],
  adds: readonly string[],
  removes: readonly string[],
): unknown[] {
  const isUserEntry = (m: unknown): m is Json =>
    isRecord(m) && !(typeof m["type"] === "string" && m["type"].toLowerCase() === "group");
  const gone = new Set(removes);
  const kept = members.filter(
    (m) => !(isUserEntry(m) && typeof m["value"] === "string" && gone.has(m["value"])),
  );
  const present = new Set(
    kept.flatMap((m) => (isUserEntry(m) && typeof m["value"] === "string" ? [m["value"]] : [])),
  );
  for (const id of adds) {
    if (gone.has(id) || present.has(id)) continue;
    present.add(id);
    kept.push({ value: id });
  }
  return kept;
}

/** A SCIM filter string literal (RFC 7644 3.4.2.2 uses JSON string syntax). */
export function quoteFilterValue(value: string): string {
  return JSON.stringify(value);
}

export function eqFilter(attribute: string, value: string, operator: "eq" | "ge" = "eq"): string {
  return `${attribute} ${operator} ${quoteFilterValue(value)}`;
}

export function parseListResponse(raw: unknown): ListPage | undefined {
  if (!isRecord(raw)) return undefined;
  const total = raw["totalResults"];
  const resources = raw["Resources"] ?? [];
  if (typeof total !== "number" || !Array.isArray(resources)) return undefined;
  return { totalResults: total, resources };
}

export function parseScimError(raw: unknown): { scimType?: string; detail?: string } {
  if (!isRecord(raw)) return {};
  const scimType = str(raw["scimType"]);
  const detail = str(raw["detail"]);
  return { ...(scimType === undefined ? {} : { scimType }), ...(detail === undefined ? {} : { detail }) };
}
