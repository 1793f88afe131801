/** The `github` provider's settings from gatehouse.yaml, validated (schemas/providers/github.schema.json). */
import { isAbsolute, resolve } from "node:path";
import type { ProviderConfig } from "../../model/access.ts";
import { ConfigError, registerSecret } from "../../errors.ts";
import { formatLocation } from "../../model/source.ts";
import { credentialsInUrl, isLoopback } from "../loopback.ts";

export interface GithubSettings {
  /** Organization login. */
  readonly org: string;
  /** Environment variable holding the token (a PAT or an app installation token). */
  readonly tokenEnv: string;
  /** REST API root: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
  readonly baseUrl: string;
  /** "owners": group owners become team maintainers; "none": everyone is a plain member. */
  readonly maintainers: "owners" | "none";
  /** Removing an org owner must leave at least this many. */
  readonly minAdmins: number;
  /** Logins that must stay org owners: never removed. */
  readonly requiredAdmins: readonly string[];
  /** Absolute path of the file recording each login's numeric GitHub id. */
  readonly idsFile: string;
  /** Privacy of teams gatehouse creates (child teams are always "closed" on GitHub). */
  readonly teamPrivacy: "closed" | "secret";
  /** Expired or failed invitations: invite again on the next apply (true), or only report them (false). */
  readonly retryFailedInvitations: boolean;
  /** Most retries after a secondary rate limit or a 5xx, per request. */
  readonly maxRetries: number;
  /** Keep the ETag cache between runs in `.gatehouse/cache/` (a run with nothing changed is all 304s). */
  readonly readCache: boolean;
  /**
   * Least time between two writes (POST, PATCH, PUT, DELETE), in milliseconds; writes are always sent one at
   * a time. GitHub asks for at least a second on github.com; 0 (no pacing) suits GitHub Enterprise Server
   * with rate limiting off, or a test double.
   */
  readonly writeIntervalMs: number;
  /**
   * In authoritative mode, remove org owners who are in no access file (made by hand) like anyone else
   * (true); by default apply refuses (a leaver who is an owner, or one the files take out, is removed).
   */
  readonly removeUnlistedOwners: boolean;
}

const KEYS = [
  "org",
  "tokenEnv",
  "baseUrl",
  "maintainers",
  "minAdmins",
  "requiredAdmins",
  "idsFile",
  "teamPrivacy",
  "retryFailedInvitations",
  "maxRetries",
  "readCache",
  "writeInterval",
  "removeUnlistedOwners",
] as const;
/** Common provider keys gatehouse.schema.json declares; the loader normally strips them already. */
const COMMON_KEYS = ["type", "mode", "nesting", "accountName", "users", "description", "name"];

/** A GitHub login: 1 to 39 letters, digits or single hyphens, neither first nor last. */
export const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const LOGIN = GITHUB_LOGIN;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function fail(config: ProviderConfig, key: string, message: string): never {
  throw new ConfigError(`${formatLocation(config.source)} provider "${config.name}": ${key} ${message}`);
}

function optionalString(config: ProviderConfig, key: string): string | undefined {
  const value = config.settings[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") fail(config, key, "must be a non-empty string");
  return value;
}

function optionalInteger(
  config: ProviderConfig,
  key: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = config.settings[key];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    fail(config, key, `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function optionalBoolean(config: ProviderConfig, key: string, fallback: boolean): boolean {
  const value = config.settings[key];
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") fail(config, key, "must be true or false");
  return value;
}

function oneOf<T extends string>(config: ProviderConfig, key: string, allowed: readonly T[], fallback: T): T {
  const value = config.settings[key];
  if (value === undefined) return fallback;
  const found = allowed.find((a) => a === value);
  if (found === undefined) fail(config, key, `must be one of: ${allowed.join(", ")}`);
  return found;
}

function logins(config: ProviderConfig, key: string): string[] {
  const value = config.settings[key];
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(config, key, "must be a list of GitHub logins");
  return value.map((item: unknown) => {
    if (typeof item !== "string" || !LOGIN.test(item))
      fail(config, key, `has "${String(item)}", not a GitHub login`);
    return item;
  });
}

/** The most `writeInterval` may be: longer pacing than this is a mistake, not caution. */
const MAX_WRITE_INTERVAL_MS = 60_000;

/** `writeInterval`: 0, or a whole number of seconds or milliseconds ("1s", "250ms"); in milliseconds. */
function writeInterval(config: ProviderConfig): number {
  const value = config.settings["writeInterval"];
  if (value === undefined) return 1000;
  if (value === 0 || value === "0") return 0;
  const match = typeof value === "string" ? /^(\d+)(ms|s)$/.exec(value) : null;
  const ms = match?.[1] === undefined ? undefined : Number(match[1]) * (match[2] === "s" ? 1000 : 1);
  if (ms === undefined || ms > MAX_WRITE_INTERVAL_MS)
    fail(
      config,
      "writeInterval",
      `must be 0 or a duration such as 1s or 250ms, at most 60s; got ${JSON.stringify(value)}`,
    );
  return ms;
}

/** Where the login → account id pins are kept unless `idsFile` says otherwise. */
export const DEFAULT_IDS_FILE = ".gatehouse/github-ids.json";

/** Validates `config.settings`; throws ConfigError naming the key and the line of the provider. */
export function parseGithubSettings(config: ProviderConfig, cwd: string): GithubSettings {
  for (const key of Object.keys(config.settings)) {
    if (!KEYS.some((k) => k === key) && !COMMON_KEYS.includes(key)) {
      fail(config, key, `is not a github setting; use one of: ${KEYS.join(", ")}`);
    }
  }
  const org = optionalString(config, "org");
  if (org === undefined) fail(config, "org", "is required (the organization login)");
  if (!LOGIN.test(org)) fail(config, "org", `"${org}" is not a GitHub organization login`);
  const tokenEnv = optionalString(config, "tokenEnv") ?? "GITHUB_TOKEN";
  if (!ENV_NAME.test(tokenEnv)) fail(config, "tokenEnv", "must be the name of an environment variable");
  const baseUrl = (optionalString(config, "baseUrl") ?? "https://api.github.com").replace(/\/+$/, "");
  const credentials = credentialsInUrl(
    baseUrl,
    `gatehouse signs in with the token in ${tokenEnv} (tokenEnv)`,
  );
  if (credentials !== undefined) fail(config, "baseUrl", credentials);
  if (!/^https?:\/\/[^\s/]+/.test(baseUrl))
    fail(config, "baseUrl", `must be an http(s) URL; got "${baseUrl}"`);
  if (baseUrl.startsWith("http:") && !isLoopback(URL.canParse(baseUrl) ? new URL(baseUrl).hostname : ""))
    fail(
      config,
      "baseUrl",
      `must use https: the token would cross the network in clear (plain http is allowed only for localhost, 127.0.0.0/8 and ::1); got "${baseUrl}"`,
    );
  const idsFile = optionalString(config, "idsFile") ?? DEFAULT_IDS_FILE;
  return {
    org,
    tokenEnv,
    baseUrl,
    maintainers: oneOf(config, "maintainers", ["owners", "none"], "none"),
    minAdmins: optionalInteger(config, "minAdmins", 1, 1, 1000),
    requiredAdmins: logins(config, "requiredAdmins"),
    idsFile: isAbsolute(idsFile) ? idsFile : resolve(cwd, idsFile),
    teamPrivacy: oneOf(config, "teamPrivacy", ["closed", "secret"], "closed"),
    retryFailedInvitations: optionalBoolean(config, "retryFailedInvitations", false),
    maxRetries: optionalInteger(config, "maxRetries", 3, 0, 10),
    readCache: optionalBoolean(config, "readCache", false),
    writeIntervalMs: writeInterval(config),
    removeUnlistedOwners: optionalBoolean(config, "removeUnlistedOwners", false),
  };
}

/** The token from the environment; the message names the variable, never a value. */
export function readGithubToken(
  config: ProviderConfig,
  settings: GithubSettings,
  env: Readonly<Record<string, string | undefined>>,
): string {
  const token = env[settings.tokenEnv];
  if (token === undefined || token.trim() === "") {
    throw new ConfigError(
      `${formatLocation(config.source)} provider "${config.name}": environment variable ${settings.tokenEnv} is ${token === undefined ? "not set" : "empty"}; it must hold a GitHub token with admin:org scope`,
    );
  }
  registerSecret(token.trim());
  return token.trim();
}
