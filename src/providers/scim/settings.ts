import type { ProviderConfig } from "../../model/access.ts";
import { formatLocation } from "../../model/source.ts";
import { ConfigError, registerSecret } from "../../errors.ts";
import { credentialsInUrl, isLoopback } from "../loopback.ts";
import { isRecord } from "./map.ts";

export const ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/** Our fields that can be mapped onto SCIM attributes; `userId` is the gatehouse user id. */
export const MAPPABLE_FIELDS = [
  "name",
  "email",
  "title",
  "department",
  "manager",
  "employmentType",
  "userId",
] as const;
export type MappableField = (typeof MAPPABLE_FIELDS)[number];

/** Field → SCIM attribute path ("title", "name.formatted", "<schema urn>:department"); null: not written. */
export type AttributeMapping = Readonly<Record<MappableField, string | null>>;

export const DEFAULT_MAPPING: AttributeMapping = {
  name: "displayName",
  email: "emails",
  title: "title",
  department: `${ENTERPRISE_USER}:department`,
  manager: `${ENTERPRISE_USER}:manager`,
  employmentType: "userType",
  userId: null,
};

export interface RetrySettings {
  /** Further attempts after the first, for idempotent requests (and for 429 on any request). */
  readonly maxRetries: number;
  /** First backoff after a 5xx or a dropped connection; doubles each attempt. */
  readonly baseDelayMs: number;
  /** Cap on any single wait, including a server's Retry-After. */
  readonly maxDelayMs: number;
}

export interface ScimSettings {
  readonly baseUrl: string;
  readonly tokenEnv: string;
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly deleteUsers: boolean;
  readonly pageSize?: number;
  readonly maxMembersPerWrite: number;
  readonly attributeMapping: AttributeMapping;
  readonly retry: RetrySettings;
  /** Keep the index in `.gatehouse/cache/` so the next run's first read can be incremental. */
  readonly readCache: boolean;
  /**
   * How far before the last read began (by the server's Date) an incremental read looks, for clocks
   * that differ between the app's servers and changes committed a little after they were stamped.
   */
  readonly clockMarginMs: number;
}

type Settings = Readonly<Record<string, unknown>>;

function fail(config: ProviderConfig, message: string): never {
  throw new ConfigError(`${formatLocation(config.source)} provider "${config.name}" (scim): ${message}`);
}

function readInt(config: ProviderConfig, s: Settings, key: string, min: number, fallback: number): number {
  const value = s[key];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    fail(config, `"${key}" must be an integer of at least ${min}`);
  }
  return value;
}

function readString(config: ProviderConfig, s: Settings, key: string): string {
  const value = s[key];
  if (typeof value !== "string" || value === "") fail(config, `"${key}" is required and must be a string`);
  return value;
}

function readMapping(config: ProviderConfig, value: unknown): AttributeMapping {
  if (value === undefined) return DEFAULT_MAPPING;
  if (!isRecord(value)) fail(config, `"attributeMapping" must be an object`);
  const mapping: Record<MappableField, string | null> = { ...DEFAULT_MAPPING };
  for (const [key, path] of Object.entries(value)) {
    const field = MAPPABLE_FIELDS.find((f) => f === key);
    if (!field)
      fail(config, `"attributeMapping.${key}" is not a field; use one of ${MAPPABLE_FIELDS.join(", ")}`);
    if (path !== null && (typeof path !== "string" || path === "")) {
      fail(config, `"attributeMapping.${key}" must be a SCIM attribute path or null`);
    }
    mapping[field] = path;
  }
  return mapping;
}

function readRetry(config: ProviderConfig, value: unknown): RetrySettings {
  if (value !== undefined && !isRecord(value)) fail(config, `"retry" must be an object`);
  const r: Settings = value ?? {};
  return {
    maxRetries: readInt(config, r, "maxRetries", 0, 5),
    baseDelayMs: readInt(config, r, "baseDelayMs", 0, 250),
    maxDelayMs: readInt(config, r, "maxDelayMs", 0, 60_000),
  };
}

/** Validates a scim provider's settings from gatehouse.yaml (the JSON Schema mirrors these rules). */
export function parseScimSettings(config: ProviderConfig): ScimSettings {
  const s = config.settings;
  const baseUrl = readString(config, s, "baseUrl");
  const credentials = credentialsInUrl(
    baseUrl,
    "gatehouse sends the bearer token from the environment variable tokenEnv names",
  );
  if (credentials !== undefined) fail(config, `"baseUrl" ${credentials}`);
  if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) {
    fail(config, `"baseUrl" must be an http(s) URL, got "${baseUrl}"`);
  }
  const url = new URL(baseUrl);
  if (url.protocol === "http:" && !isLoopback(url.hostname)) {
    fail(
      config,
      `"baseUrl" must use https: the bearer token would cross the network in clear over http ` +
        `(plain http is allowed only for localhost, 127.0.0.0/8 and ::1), got "${baseUrl}"`,
    );
  }
  const tokenEnv = readString(config, s, "tokenEnv");
  const deleteUsers = s["deleteUsers"] ?? false;
  if (typeof deleteUsers !== "boolean") fail(config, `"deleteUsers" must be true or false`);
  const readCache = s["readCache"] ?? false;
  if (typeof readCache !== "boolean") fail(config, `"readCache" must be true or false`);
  const pageSize = s["pageSize"] === undefined ? undefined : readInt(config, s, "pageSize", 1, 100);
  return {
    baseUrl: baseUrl.replace(/\/+$/, ""),
    tokenEnv,
    timeoutMs: readInt(config, s, "timeoutMs", 1, 30_000),
    concurrency: readInt(config, s, "concurrency", 1, 4),
    deleteUsers,
    ...(pageSize === undefined ? {} : { pageSize }),
    maxMembersPerWrite: readInt(config, s, "maxMembersPerWrite", 1, 100),
    attributeMapping: readMapping(config, s["attributeMapping"]),
    retry: readRetry(config, s["retry"]),
    readCache,
    clockMarginMs: readInt(config, s, "clockMarginSeconds", 0, 60) * 1000,
  };
}

/** The bearer token, from the environment variable the settings name. Never echoed anywhere. */
export function readScimToken(
  config: ProviderConfig,
  settings: ScimSettings,
  env: Readonly<Record<string, string | undefined>>,
): string {
  const token = env[settings.tokenEnv];
  if (token === undefined || token === "") {
    fail(
      config,
      `environment variable ${settings.tokenEnv} (tokenEnv) is ${token === undefined ? "not set" : "empty"}; it must hold the bearer token`,
    );
  }
  registerSecret(token);
  return token;
}
