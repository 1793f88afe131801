/**
 * What the SCIM server says it supports (RFC 7644 section 4): /ServiceProviderConfig, /ResourceTypes and
 * /Schemas, read once and turned into a capabilities object that the provider adapts to.
 */
import type { ScimClient } from "./client.ts";
import { ScimHttpError } from "./client.ts";
import { GROUP_SCHEMA, USER_SCHEMA, isRecord, splitPath } from "./map.ts";

export interface ScimServerCapabilities {
  readonly patch: boolean;
  readonly bulk: { readonly supported: boolean; readonly maxOperations: number };
  readonly filter: boolean;
  /** Most resources the server returns per page (ServiceProviderConfig filter.maxResults). */
  readonly maxResults: number | undefined;
  readonly sort: boolean;
  readonly etag: boolean;
  readonly usersEndpoint: string;
  /** Undefined when the server has no Group resource type. */
  readonly groupsEndpoint: string | undefined;
  /** Schema extensions the User resource type declares (e.g. the enterprise extension). */
  readonly userExtensions: readonly string[];
  /** Attribute names per schema URN, from /Schemas; empty when the server does not publish them. */
  readonly attributes: ReadonlyMap<string, ReadonlySet<string>>;
}

/** What we assume of a server that publishes nothing: the RFC's mandatory core, no optional features. */
export const MINIMAL_CAPABILITIES: ScimServerCapabilities = {
  patch: false,
  bulk: { supported: false, maxOperations: 0 },
  filter: false,
  maxResults: undefined,
  sort: false,
  etag: false,
  usersEndpoint: "/Users",
  groupsEndpoint: "/Groups",
  userExtensions: [],
  attributes: new Map(),
};

function feature(spc: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = spc[key];
  return isRecord(value) ? value : {};
}

function listResources(raw: unknown): Record<string, unknown>[] {
  if (Array.isArray(raw)) return raw.filter(isRecord);
  if (isRecord(raw) && Array.isArray(raw["Resources"])) return raw["Resources"].filter(isRecord);
  return [];
}

/** Pure: the three discovery documents (undefined where the server had none) → capabilities. */
export function parseCapabilities(
  spc: unknown,
  resourceTypes: unknown,
  schemas: unknown,
): ScimServerCapabilities {
  let caps: ScimServerCapabilities = MINIMAL_CAPABILITIES;
  if (isRecord(spc)) {
    const filter = feature(spc, "filter");
    const bulk = feature(spc, "bulk");
    const maxResults = filter["maxResults"];
    caps = {
      ...caps,
      patch: feature(spc, "patch")["supported"] === true,
      bulk: {
        supported: bulk["supported"] === true,
        maxOperations: typeof bulk["maxOperations"] === "number" ? bulk["maxOperations"] : 0,
      },
      filter: filter["supported"] === true,
      maxResults: typeof maxResults === "number" && maxResults > 0 ? maxResults : undefined,
      sort: feature(spc, "sort")["supported"] === true,
      etag: feature(spc, "etag")["supported"] === true,
    };
  }
  const types = listResources(resourceTypes);
  if (types.length > 0) {
    const user = types.find((t) => t["schema"] === USER_SCHEMA);
    const group = types.find((t) => t["schema"] === GROUP_SCHEMA);
    const extensions = Array.isArray(user?.["schemaExtensions"])
      ? user["schemaExtensions"].filter(isRecord)
      : [];
    caps = {
      ...caps,
      usersEndpoint: typeof user?.["endpoint"] === "string" ? user["endpoint"] : "/Users",
      groupsEndpoint: typeof group?.["endpoint"] === "string" ? group["endpoint"] : undefined,
      userExtensions: extensions.flatMap((e) => (typeof e["schema"] === "string" ? [e["schema"]] : [])),
    };
  }
  const attributes = new Map<string, Set<string>>();
  for (const schema of listResources(schemas)) {
    const list = Array.isArray(schema["attributes"]) ? schema["attributes"].filter(isRecord) : [];
    if (typeof schema["id"] !== "string") continue;
    attributes.set(
      schema["id"],
      new Set(list.flatMap((a) => (typeof a["name"] === "string" ? [a["name"]] : []))),
    );
  }
  return { ...caps, attributes };
}

/** Whether a mapped User attribute path exists on this server, as far as it tells. */
export function supportsUserPath(caps: ScimServerCapabilities, path: string): boolean {
  const { schema, parts } = splitPath(path);
  const head = parts[0] ?? "";
  if (schema !== undefined && !caps.userExtensions.includes(schema)) return false;
  const known = caps.attributes.get(schema ?? USER_SCHEMA);
  return known === undefined || known.has(head);
}

export function supportsGroupAttribute(caps: ScimServerCapabilities, name: string): boolean {
  return caps.attributes.get(GROUP_SCHEMA)?.has(name) ?? false;
}

async function getOptional(client: ScimClient, path: string, signal: AbortSignal): Promise<unknown> {
  try {
    return (await client.request("GET", path, { operation: `discover ${path}` }, signal)).body;
  } catch (error) {
    // A server that does not publish a discovery document gets the conservative defaults.
    if (error instanceof ScimHttpError && (error.status === 404 || error.status === 501)) return undefined;
    throw error;
  }
}

export async function discoverCapabilities(
  client: ScimClient,
  signal: AbortSignal,
): Promise<ScimServerCapabilities> {
  const [spc, types, schemas] = await Promise.all([
    getOptional(client, "/ServiceProviderConfig", signal),
    getOptional(client, "/ResourceTypes", signal),
    getOptional(client, "/Schemas", signal),
  ]);
  return parseCapabilities(spc, types, schemas);
}
