/**
 * The JSON Schemas under schemas/ and the example organization under access/: the schemas compile in
 * strict mode and document every property, every access file passes its schema and names it in its
 * modeline, bad files are rejected, and the example organization keeps the promises the demo relies on.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ValidateFunction } from "ajv/dist/2020.js";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { strictSchemas } from "./helpers/schemas.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SCHEMAS = path.join(ROOT, "schemas");
const ACCESS = path.join(ROOT, "access");
/** The example organization's dates are written relative to this day. */
const NOW = Date.parse("2026-11-25T00:00:00Z");
const DAY_MS = 86_400_000;

function listFiles(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(suffix))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

const schemaFiles = listFiles(SCHEMAS, ".schema.json");
const accessFiles = listFiles(ACCESS, ".yaml");
const rel = (file: string): string => path.relative(ROOT, file);
const readJson = (file: string): unknown => JSON.parse(readFileSync(file, "utf8"));
const readYaml = (file: string): unknown => parse(readFileSync(file, "utf8"));
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Shapes the example-organization checks read; the schema validator is their type guard. */
interface UserDoc {
  id: string;
  department?: string;
  title?: string;
  manager?: string;
  employmentType?: string;
  status?: string;
}
type MemberDoc = string | { user: string; until?: string } | { group: string };
interface GroupDoc {
  name: string;
  owners?: string[];
  sensitivity?: string;
  members?: MemberDoc[];
}
type Values = string | string[] | undefined;
interface RoleDoc {
  name: string;
  when: { department?: Values; title?: Values; employmentType?: Values };
  groups: string[];
}
interface AccessDoc {
  users?: UserDoc[];
  groups?: GroupDoc[];
  roles?: RoleDoc[];
}
interface ConfigDoc {
  providers: Record<string, { type: string }>;
  policy?: {
    groupNaming?: string;
    maxNestingDepth?: number;
    separationOfDuties?: string[][];
    guardrails?: { protectedUsers?: string[]; protectedGroups?: string[] };
    admins?: string[];
  };
}

let schemas: ReturnType<typeof strictSchemas> | undefined;
/** Compiled on first use, so that a broken schema fails its own test rather than the whole file. */
function validator<T>(name: string): ValidateFunction<T> {
  schemas ??= strictSchemas();
  return schemas.validator<T>(name);
}
const accessSchema = (): ValidateFunction<AccessDoc> => validator("access.schema.json");
const configSchema = (): ValidateFunction<ConfigDoc> => validator("gatehouse.schema.json");
const isConfigFile = (file: string): boolean => rel(file) === path.join("access", "gatehouse.yaml");

/** Paths (JSON pointers) of entries under any `properties` that lack a description. */
function undocumented(node: unknown, at: string): string[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => undocumented(item, `${at}/${String(i)}`));
  if (!isRecord(node)) return [];
  const missing: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === "properties" && isRecord(value)) {
      for (const [name, prop] of Object.entries(value)) {
        if (!isRecord(prop) || typeof prop["description"] !== "string" || prop["description"] === "") {
          missing.push(`${at}/properties/${name}`);
        }
      }
    }
    missing.push(...undocumented(value, `${at}/${key}`));
  }
  return missing;
}

describe("schemas", () => {
  it("finds the schema files", () => {
    expect(schemaFiles.map(rel)).toEqual(
      expect.arrayContaining(
        [
          "access",
          "gatehouse",
          "group",
          "role",
          "user",
          "providers/local",
          "providers/ldap",
          "providers/scim",
          "providers/github",
        ].map((n) => path.join("schemas", `${n}.schema.json`)),
      ),
    );
  });

  // No $id: an editor resolves the relative $refs (providers/ldap.schema.json) against the $id, so an $id
  // of a site nobody can reach left it without the provider schemas (no completion of their keys).
  it.each(schemaFiles.map(rel))("%s compiles in strict mode, and has no $id", (file) => {
    const schema = readJson(path.join(ROOT, file));
    expect(isRecord(schema) && Object.hasOwn(schema, "$id")).toBe(false);
    expect(() => validator(path.relative("schemas", file).split(path.sep).join("/"))).not.toThrow();
  });

  it.each(schemaFiles.map(rel))("%s describes every property", (file) => {
    const schema = readJson(path.join(ROOT, file));
    expect(isRecord(schema) && typeof schema["description"]).toBe("string");
    expect(undocumented(schema, "")).toEqual([]);
  });
});

describe("access files", () => {
  it("finds the example organization", () => {
    expect(accessFiles.length).toBeGreaterThan(10);
    expect(accessFiles.some(isConfigFile)).toBe(true);
  });

  it.each(accessFiles.map(rel))("%s passes its schema", (file) => {
    const validate = isConfigFile(file) ? configSchema() : accessSchema();
    validate(readYaml(path.join(ROOT, file)));
    expect(validate.errors ?? []).toEqual([]);
  });

  it.each(accessFiles.map(rel))(
    "%s starts with a yaml-language-server modeline naming its schema",
    (file) => {
      const first = readFileSync(path.join(ROOT, file), "utf8").split("\n", 1)[0] ?? "";
      const match = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
      expect(match, first).not.toBeNull();
      const target = path.resolve(path.dirname(path.join(ROOT, file)), match?.[1] ?? "");
      expect(existsSync(target), target).toBe(true);
      expect(path.basename(target)).toBe(isConfigFile(file) ? "gatehouse.schema.json" : "access.schema.json");
    },
  );
});

const config = (provider: Record<string, unknown>): unknown => ({ providers: { p: provider } });
const errorsOf = (validate: ValidateFunction, data: unknown): { keyword: string; params: unknown }[] =>
  validate(data) ? [] : (validate.errors ?? []).map(({ keyword, params }) => ({ keyword, params }));
const providerTypes = ["local", "ldap", "scim", "github"];
const isPlaceholder = (type: string): boolean => {
  const schema = readJson(path.join(SCHEMAS, "providers", `${type}.schema.json`));
  return isRecord(schema) && String(schema["description"]).startsWith("PLACEHOLDER");
};

describe("rejected files", () => {
  it.each([
    ["an unknown top-level key", { users: [], teams: [] }, "additionalProperties"],
    ["an empty file", {}, "minProperties"],
    ["an uppercase user id", { users: [{ id: "Alice", name: "Alice" }] }, "pattern"],
    ["an unknown user key", { users: [{ id: "alice", name: "Alice", shoeSize: 9 }] }, "additionalProperties"],
    ["a bad endDate", { users: [{ id: "alice", name: "Alice", endDate: "31/01/2027" }] }, "format"],
    [
      "a member with both user and group",
      { groups: [{ name: "g", members: [{ user: "a", group: "b" }] }] },
      "oneOf",
    ],
    [
      "a grant with a bare date",
      { groups: [{ name: "g", members: [{ user: "a", until: "2027-01-15" }] }] },
      "format",
    ],
    ["a role without conditions", { roles: [{ name: "r", when: {}, groups: ["g"] }] }, "minProperties"],
    ["a role with no groups", { roles: [{ name: "r", when: { department: "X" }, groups: [] }] }, "minItems"],
  ])("rejects %s in an access file", (_name, data, keyword) => {
    expect(errorsOf(accessSchema(), data).map((e) => e.keyword)).toContain(keyword);
  });

  it.each([
    [
      "an unknown top-level key",
      { providers: { d: { type: "local" } }, policies: {} },
      "additionalProperties",
    ],
    ["an unknown provider type", config({ type: "okta" }), "enum"],
    ["a provider without a type", config({ path: "x.json" }), "required"],
    [
      "a bad duration",
      { providers: { d: { type: "local" } }, policy: { grants: { maxDuration: "3 months" } } },
      "pattern",
    ],
    [
      "a bad maxRemovals",
      { providers: { d: { type: "local" } }, policy: { guardrails: { maxRemovals: "ten" } } },
      "oneOf",
    ],
    [
      "a bad groupNaming regex",
      { providers: { d: { type: "local" } }, policy: { groupNaming: "^(dept" } },
      "format",
    ],
  ])("rejects %s in gatehouse.yaml", (_name, data, keyword) => {
    expect(errorsOf(configSchema(), data).map((e) => e.keyword)).toContain(keyword);
  });

  it("accepts every common key together with a type's own settings", () => {
    const provider = {
      type: "local",
      mode: "observe",
      nesting: true,
      accountName: "email",
      users: "all",
      description: "d",
      path: "x.json",
    };
    expect(errorsOf(configSchema(), config(provider))).toEqual([]);
  });

  it.each(providerTypes.filter((t) => !isPlaceholder(t)))(
    "rejects an unknown key inside a %s provider",
    (type) => {
      expect(errorsOf(configSchema(), config({ type, bogusKey: 1 }))).toContainEqual({
        keyword: "unevaluatedProperties",
        params: { unevaluatedProperty: "bogusKey" },
      });
    },
  );

  it("rejects a key of another provider type", () => {
    expect(errorsOf(configSchema(), config({ type: "local", baseDn: "dc=example,dc=com" }))).toContainEqual({
      keyword: "unevaluatedProperties",
      params: { unevaluatedProperty: "baseDn" },
    });
  });
});

describe("the example organization", () => {
  let users = new Map<string, UserDoc>();
  let groups = new Map<string, GroupDoc>();
  let roles: RoleDoc[] = [];
  let policy: NonNullable<ConfigDoc["policy"]> = {};
  let grants: { group: GroupDoc; until: number }[] = [];

  beforeAll(() => {
    const validate = accessSchema();
    const docs = accessFiles
      .filter((f) => !isConfigFile(f))
      .map(readYaml)
      .filter((d): d is AccessDoc => validate(d));
    users = new Map(docs.flatMap((d) => d.users ?? []).map((u) => [u.id, u]));
    groups = new Map(docs.flatMap((d) => d.groups ?? []).map((g) => [g.name, g]));
    roles = docs.flatMap((d) => d.roles ?? []);
    const configData = readYaml(path.join(ACCESS, "gatehouse.yaml"));
    if (configSchema()(configData)) policy = configData.policy ?? {};
    grants = [...groups.values()].flatMap((g) =>
      (g.members ?? []).flatMap((m) =>
        typeof m !== "string" && "user" in m && m.until !== undefined
          ? [{ group: g, until: Date.parse(m.until) }]
          : [],
      ),
    );
  });

  const status = (id: string): string => users.get(id)?.status ?? "active";
  const listOf = (v: Values): string[] => (v === undefined ? [] : typeof v === "string" ? [v] : v);
  const matches = (v: Values, actual: string | undefined): boolean =>
    v === undefined || listOf(v).includes(actual ?? "");

  /** Direct, role-derived and nested members of a group, ignoring expired grants. */
  function effective(name: string, seen: readonly string[] = []): Set<string> {
    const out = new Set<string>();
    for (const role of roles.filter((r) => r.groups.includes(name))) {
      for (const u of users.values()) {
        const { department, title, employmentType } = role.when;
        if (
          matches(department, u.department) &&
          matches(title, u.title) &&
          matches(employmentType, u.employmentType ?? "employee")
        )
          out.add(u.id);
      }
    }
    for (const m of groups.get(name)?.members ?? []) {
      if (typeof m === "string") out.add(m);
      else if ("user" in m) {
        if (m.until === undefined || Date.parse(m.until) > NOW) out.add(m.user);
      } else if (!seen.includes(m.group)) for (const u of effective(m.group, [...seen, name])) out.add(u);
    }
    return out;
  }
  function depth(name: string): number {
    const nested = (groups.get(name)?.members ?? []).flatMap((m) =>
      typeof m !== "string" && "group" in m ? [m.group] : [],
    );
    return Math.max(0, ...nested.map((g) => 1 + depth(g)));
  }
  it("has about 40 people in at least 5 departments, one contractor, one on leave and one terminated", () => {
    expect(users.size).toBeGreaterThanOrEqual(35);
    expect(new Set([...users.values()].map((u) => u.department)).size).toBeGreaterThanOrEqual(5);
    expect([...users.values()].filter((u) => u.employmentType === "contractor")).toHaveLength(1);
    expect([...users.values()].filter((u) => u.status === "leave")).toHaveLength(1);
    expect([...users.values()].filter((u) => u.status === "terminated")).toHaveLength(1);
  });

  it("has a manager chain from everyone up to one CEO", () => {
    const roots = [...users.values()].filter((u) => u.manager === undefined).map((u) => u.id);
    expect(roots).toHaveLength(1);
    for (const u of users.values()) {
      const chain = [u.id];
      for (let m = u.manager; m !== undefined; m = users.get(m)?.manager) {
        expect(users.has(m), `${u.id}'s manager ${m}`).toBe(true);
        expect(chain, "manager cycle").not.toContain(m);
        chain.push(m);
      }
      expect(chain.at(-1)).toBe(roots[0]);
    }
  });

  it("refers only to defined users and groups, and every group has active owners", () => {
    const userRefs = [...groups.values()].flatMap((g) => [
      ...(g.owners ?? []),
      ...(g.members ?? []).flatMap((m) => (typeof m === "string" ? [m] : "user" in m ? [m.user] : [])),
    ]);
    const groupRefs = [
      ...roles.flatMap((r) => r.groups),
      ...(policy.separationOfDuties ?? []).flat(),
      ...(policy.guardrails?.protectedGroups ?? []),
    ];
    for (const g of groups.values())
      for (const m of g.members ?? []) if (typeof m !== "string" && "group" in m) groupRefs.push(m.group);
    expect(userRefs.filter((id) => !users.has(id))).toEqual([]);
    expect(
      [...(policy.admins ?? []), ...(policy.guardrails?.protectedUsers ?? [])].filter((id) => !users.has(id)),
    ).toEqual([]);
    expect(groupRefs.filter((name) => !groups.has(name))).toEqual([]);
    for (const g of groups.values()) {
      expect(g.owners?.length, g.name).toBeGreaterThan(0);
      expect(
        (g.owners ?? []).filter((o) => status(o) !== "active"),
        g.name,
      ).toEqual([]);
    }
  });

  it("follows the naming policy and the nesting limit", () => {
    const naming = new RegExp(policy.groupNaming ?? "");
    expect([...groups.keys()].filter((n) => !naming.test(n))).toEqual([]);
    expect(groups.size).toBeGreaterThanOrEqual(18);
    const deepest = Math.max(...[...groups.keys()].map(depth));
    expect(deepest).toBeGreaterThanOrEqual(1);
    expect(deepest).toBeLessThanOrEqual(policy.maxNestingDepth ?? 2);
  });

  it("violates no separation-of-duties pair in effective membership", () => {
    expect(policy.separationOfDuties?.length).toBeGreaterThan(0);
    for (const set of policy.separationOfDuties ?? []) {
      const counts = new Map<string, number>();
      for (const g of set) for (const u of effective(g)) counts.set(u, (counts.get(u) ?? 0) + 1);
      expect(
        [...counts].filter(([, n]) => n > 1),
        set.join(" / "),
      ).toEqual([]);
    }
  });

  it("has a few grants within 90 days, exactly one expired, and none on a privileged group", () => {
    expect(grants.filter((g) => g.until <= NOW)).toHaveLength(1);
    const running = grants.filter((g) => g.until > NOW);
    expect(running.length).toBeGreaterThanOrEqual(3);
    expect(running.filter((g) => g.until - NOW > 90 * DAY_MS)).toEqual([]);
    const privileged = [...groups.values()].filter((g) => g.sensitivity === "privileged");
    expect(privileged.length).toBeGreaterThanOrEqual(1);
    expect(grants.filter((g) => g.group.sensitivity === "privileged")).toEqual([]);
  });
});
