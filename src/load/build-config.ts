import type {
  AccessConfig,
  Limit,
  OffboardingWebhook,
  Policy,
  ProviderConfig,
  ProviderMode,
} from "../model/access.ts";
import type { Diagnostic } from "../model/diagnostic.ts";
import type { AccessDocument } from "./parse.ts";
import { locate, locateAll } from "./locate.ts";
import { parseDuration } from "./durations.ts";
import { bool, defined, isObj, list, num, obj, str, strList, type Obj } from "./read-data.ts";

const COMMON_KEYS = new Set(["type", "mode", "nesting", "accountName", "users", "description"]);
const DEFAULT_USERS: Readonly<Record<string, ProviderConfig["users"]>> = {
  github: "mapped",
  scim: "members",
};

const DEFAULT_MAX_REMOVALS: Limit = { kind: "percent", value: 10 };

export const DEFAULT_POLICY: Policy = {
  maxNestingDepth: 2,
  separationOfDuties: [],
  privilegedApprovals: 2,
  leave: "keep",
  guardrails: { maxRemovals: DEFAULT_MAX_REMOVALS, protectedUsers: [], protectedGroups: [] },
  admins: [],
};

/** With no gatehouse.yaml: the embedded local directory and the default policy. */
export function defaultConfig(): AccessConfig {
  return {
    providers: [
      {
        name: "directory",
        type: "local",
        mode: "additive",
        nesting: false,
        settings: { path: ".gatehouse/directory.json" },
        source: { file: "(default)", line: 1, column: 1 },
      },
    ],
    policy: DEFAULT_POLICY,
  };
}

function parseMaxRemovals(value: unknown): Limit {
  if (typeof value === "number") return { kind: "count", value };
  if (typeof value === "string") {
    const m = /^(\d+(?:\.\d+)?)%$/.exec(value);
    if (m?.[1]) return { kind: "percent", value: Number(m[1]) };
  }
  return DEFAULT_MAX_REMOVALS;
}

function buildProvider(d: AccessDocument, name: string, o: Obj): ProviderConfig {
  const settings: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!COMMON_KEYS.has(k)) settings[k] = v;
  const mode = str(o, "mode");
  const type = str(o, "type") ?? "local";
  const accountNameText = str(o, "accountName");
  const accountName: ProviderConfig["accountName"] =
    accountNameText === "email" || accountNameText === "id" ? accountNameText : undefined;
  const usersText = str(o, "users");
  const users: ProviderConfig["users"] =
    usersText === "all" || usersText === "mapped" || usersText === "members"
      ? usersText
      : DEFAULT_USERS[type];
  return {
    name,
    type,
    mode: mode === "authoritative" || mode === "observe" ? mode : ("additive" satisfies ProviderMode),
    nesting: bool(o, "nesting") ?? false,
    settings,
    source: locate(d.file, d.locator, ["providers", name], "key"),
    ...defined({
      accountName,
      users,
    }),
  };
}

function buildPolicy(
  d: AccessDocument,
  o: Obj,
  invalidPaths: readonly string[],
  diagnostics: Diagnostic[],
): Policy {
  const grants = obj(o, "grants") ?? {};
  const guard = obj(o, "guardrails") ?? {};
  const durations: Record<string, number | undefined> = {};
  const texts: Record<string, string | undefined> = {};
  for (const key of ["maxDuration", "privilegedMaxDuration"]) {
    const text = str(grants, key);
    if (text === undefined) continue;
    const ms = parseDuration(text);
    // The schema's pattern already reported it (GH100): say it once.
    if (ms === undefined && !invalidPaths.includes(`/policy/grants/${key}`)) {
      diagnostics.push({
        severity: "error",
        code: "GH106",
        message: `policy.grants.${key} "${text}" is not a duration; write e.g. 90d, 12h, 30m or 2w`,
        ...locate(d.file, d.locator, ["policy", "grants", key]),
      });
    }
    durations[key] = ms;
    if (ms !== undefined) texts[key] = text;
  }
  const staleAfter = staleAfterOf(d, o, invalidPaths, diagnostics);
  const sod = (list(o, "separationOfDuties") ?? [])
    .filter(Array.isArray)
    .map((pair) => pair.filter((x) => typeof x === "string"));
  const leave = str(o, "leave");
  return {
    maxNestingDepth: num(o, "maxNestingDepth") ?? DEFAULT_POLICY.maxNestingDepth,
    separationOfDuties: sod,
    privilegedApprovals: num(grants, "privilegedApprovals") ?? DEFAULT_POLICY.privilegedApprovals,
    leave: leave === "disable" ? "disable" : "keep",
    guardrails: {
      maxRemovals: parseMaxRemovals(guard["maxRemovals"]),
      protectedUsers: strList(guard, "protectedUsers") ?? [],
      protectedGroups: strList(guard, "protectedGroups") ?? [],
    },
    admins: strList(o, "admins") ?? [],
    source: locate(d.file, d.locator, ["policy"], "key"),
    locations: locateAll(d.file, d.locator, ["policy"]),
    ...defined({
      // A pattern the schema rejected (not a regex) is reported there once; the rules never see it.
      groupNaming: invalidPaths.includes("/policy/groupNaming") ? undefined : str(o, "groupNaming"),
      maxGrantMs: durations["maxDuration"],
      privilegedMaxGrantMs: durations["privilegedMaxDuration"],
      maxGrantText: texts["maxDuration"],
      privilegedMaxGrantText: texts["privilegedMaxDuration"],
      codeowners: bool(o, "codeowners"),
      staleAfterMs: staleAfter,
      drillCanaries: strList(obj(o, "drills") ?? {}, "canaries"),
      drillAllowRemovals: num(obj(o, "drills") ?? {}, "allowRemovals"),
      offboardingWebhooks: webhooksOf(d, obj(o, "offboarding") ?? {}),
    }),
  };
}

/** `policy.offboarding.webhooks` as the schema checked them (an entry it rejected is left out). */
function webhooksOf(d: AccessDocument, o: Obj): OffboardingWebhook[] | undefined {
  const raw = list(o, "webhooks");
  if (raw === undefined) return undefined;
  return raw.flatMap((w, i) => {
    if (!isObj(w)) return [];
    const name = str(w, "name");
    const url = str(w, "url");
    if (name === undefined || url === undefined) return [];
    const secretEnv = str(w, "secretEnv");
    return [
      {
        name,
        url,
        timeoutSeconds: num(w, "timeoutSeconds") ?? 10,
        ...(secretEnv === undefined ? {} : { secretEnv }),
        source: locate(d.file, d.locator, ["policy", "offboarding", "webhooks", i, "name"]),
      },
    ];
  });
}

/**
 * `policy.staleAfter` in milliseconds. The schema's pattern reports a value that is no duration (GH100);
 * a duration of zero would call every account stale, and is GH106.
 */
function staleAfterOf(
  d: AccessDocument,
  o: Obj,
  invalidPaths: readonly string[],
  diagnostics: Diagnostic[],
): number | undefined {
  const text = str(o, "staleAfter");
  if (text === undefined || invalidPaths.includes("/policy/staleAfter")) return undefined;
  const ms = parseDuration(text);
  if (ms !== undefined && ms > 0) return ms;
  diagnostics.push({
    severity: "error",
    code: "GH106",
    message: `policy.staleAfter "${text}" is not a duration longer than zero; write e.g. 90d or 12w`,
    ...locate(d.file, d.locator, ["policy", "staleAfter"]),
  });
  return undefined;
}

export function buildConfig(
  d: AccessDocument,
  data: Obj,
  invalidPaths: readonly string[],
  diagnostics: Diagnostic[],
): AccessConfig {
  const providers: ProviderConfig[] = [];
  const invalidProviders: string[] = [];
  for (const [name, value] of Object.entries(obj(data, "providers") ?? {})) {
    if (
      !isObj(value) ||
      invalidPaths.some((p) => p === `/providers/${name}` || p.startsWith(`/providers/${name}/`))
    ) {
      invalidProviders.push(name);
      continue;
    }
    providers.push(buildProvider(d, name, value));
  }
  const policyData = obj(data, "policy");
  const fallback = defaultConfig();
  return {
    providers: providers.length > 0 || obj(data, "providers") ? providers : fallback.providers,
    policy: policyData ? buildPolicy(d, policyData, invalidPaths, diagnostics) : DEFAULT_POLICY,
    source: locate(d.file, d.locator, []),
    ...(invalidProviders.length > 0 ? { invalidProviders } : {}),
  };
}
