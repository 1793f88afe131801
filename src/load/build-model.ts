import type { AccessConfig, AccessModel, Group, MemberEntry, Role, User } from "../model/access.ts";
import type { Diagnostic } from "../model/diagnostic.ts";
import type { SourceLocation } from "../model/source.ts";
import { formatLocation } from "../model/source.ts";
import type { AccessDocument } from "./parse.ts";
import { locate, type PathSegment } from "./locate.ts";
import { defined, isObj, list, obj, oneOrMany, str, strList, type Obj } from "./read-data.ts";
import { buildConfig, defaultConfig } from "./build-config.ts";

/** Every definition in the order found, duplicates included, for rules that look across files. */
export interface Definitions {
  readonly users: readonly User[];
  readonly groups: readonly Group[];
  readonly roles: readonly Role[];
}

export interface BuildResult {
  readonly model: AccessModel;
  readonly definitions: Definitions;
  readonly diagnostics: Diagnostic[];
}

export interface ClassifiedDocument {
  readonly document: AccessDocument;
  readonly kind: "access" | "config";
  /** JSON pointers with schema errors: items under them are left out of the model. */
  readonly invalidPaths: readonly string[];
}

function isInvalid(invalid: readonly string[], pointer: string): boolean {
  return invalid.some(
    (p) => p === pointer || p.startsWith(pointer + "/") || pointer.startsWith(p + "/") || p === "",
  );
}

function where(d: AccessDocument, path: readonly PathSegment[]): SourceLocation {
  return locate(d.file, d.locator, path);
}

/** Where each string entry of a list sits, index-aligned with `strList(o, key)`. */
function listSources(
  d: AccessDocument,
  o: Obj,
  path: readonly PathSegment[],
  key: string,
): SourceLocation[] | undefined {
  const raw = list(o, key);
  return raw?.flatMap((x, k) => (typeof x === "string" ? [where(d, [...path, key, k])] : []));
}

function keySource(
  d: AccessDocument,
  o: Obj,
  path: readonly PathSegment[],
  key: string,
): SourceLocation | undefined {
  return o[key] === undefined ? undefined : where(d, [...path, key]);
}

function buildUser(d: AccessDocument, o: Obj, path: PathSegment[], source: SourceLocation): User | undefined {
  const id = str(o, "id");
  const name = str(o, "name");
  if (id === undefined || name === undefined) return undefined;
  const accounts: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(o, "accounts") ?? {})) if (typeof v === "string") accounts[k] = v;
  const employmentType = str(o, "employmentType");
  const status = str(o, "status");
  return {
    id,
    name,
    ...defined({
      email: str(o, "email"),
      department: str(o, "department"),
      title: str(o, "title"),
      manager: str(o, "manager"),
      startDate: str(o, "startDate"),
      endDate: str(o, "endDate"),
    }),
    employmentType:
      employmentType === "contractor" || employmentType === "intern" || employmentType === "service"
        ? employmentType
        : "employee",
    status: status === "leave" || status === "terminated" ? status : "active",
    accounts,
    source,
    ...defined({
      managerSource: keySource(d, o, path, "manager"),
      startDateSource: keySource(d, o, path, "startDate"),
    }),
  };
}

function buildMembers(d: AccessDocument, raw: readonly unknown[], base: PathSegment[]): MemberEntry[] {
  const out: MemberEntry[] = [];
  raw.forEach((m, i) => {
    const source = where(d, [...base, i]);
    if (typeof m === "string") out.push({ kind: "user", user: m, source });
    else if (isObj(m)) {
      const user = str(m, "user");
      const group = str(m, "group");
      if (user !== undefined)
        out.push({
          kind: "user",
          user,
          source,
          ...defined({
            until: str(m, "until"),
            reason: str(m, "reason"),
            untilSource: keySource(d, m, [...base, i], "until"),
          }),
        });
      else if (group !== undefined) out.push({ kind: "group", group, source });
    }
  });
  return out;
}

function buildGroup(
  d: AccessDocument,
  o: Obj,
  path: PathSegment[],
  source: SourceLocation,
): Group | undefined {
  const name = str(o, "name");
  if (name === undefined) return undefined;
  const members = list(o, "members");
  const providers = strList(o, "providers");
  return {
    name,
    owners: strList(o, "owners") ?? [],
    sensitivity: str(o, "sensitivity") === "privileged" ? "privileged" : "normal",
    source,
    ...defined({
      description: str(o, "description"),
      providers,
      formerNames: strList(o, "formerNames"),
      members: members ? buildMembers(d, members, [...path, "members"]) : undefined,
      ownerSources: listSources(d, o, path, "owners"),
      providerSources: listSources(d, o, path, "providers"),
    }),
  };
}

function buildRole(d: AccessDocument, o: Obj, path: PathSegment[], source: SourceLocation): Role | undefined {
  const name = str(o, "name");
  const when = obj(o, "when");
  if (name === undefined || !when) return undefined;
  const employmentType = oneOrMany(when, "employmentType")?.filter(
    (t): t is User["employmentType"] =>
      t === "employee" || t === "contractor" || t === "intern" || t === "service",
  );
  return {
    name,
    when: defined({
      department: oneOrMany(when, "department"),
      title: oneOrMany(when, "title"),
      employmentType,
    }),
    groups: strList(o, "groups") ?? [],
    source,
    ...defined({ description: str(o, "description"), groupSources: listSources(d, o, path, "groups") }),
  };
}

function addUnique<T>(
  map: Map<string, T & { source: SourceLocation }>,
  key: string,
  item: T & { source: SourceLocation },
  what: string,
  code: string,
  diagnostics: Diagnostic[],
): void {
  const first = map.get(key);
  if (first) {
    diagnostics.push({
      severity: "error",
      code,
      message: `${what} "${key}" is defined twice; first at ${formatLocation(first.source)}. Keep one definition.`,
      ...item.source,
      related: [first.source],
    });
    return;
  }
  map.set(key, item);
}

/** Turns parsed, schema-checked documents into the access model. Items with schema errors are left out. */
export function buildAccessModel(documents: readonly ClassifiedDocument[]): BuildResult {
  const diagnostics: Diagnostic[] = [];
  const users = new Map<string, User>();
  const groups = new Map<string, Group>();
  const roles = new Map<string, Role>();
  const all = { users: [] as User[], groups: [] as Group[], roles: [] as Role[] };
  let config: AccessConfig | undefined;

  for (const { document: d, kind, invalidPaths } of documents) {
    if (!isObj(d.data)) continue;
    if (kind === "config") {
      if (config) {
        diagnostics.push({
          severity: "error",
          code: "GH102",
          message: "only one gatehouse.yaml is allowed",
          ...where(d, []),
        });
        continue;
      }
      config = buildConfig(d, d.data, invalidPaths, diagnostics);
      continue;
    }
    const data = d.data;
    const each = (
      section: string,
      fn: (o: Obj, path: PathSegment[], source: SourceLocation) => void,
    ): void => {
      (list(data, section) ?? []).forEach((item, i) => {
        if (!isObj(item) || isInvalid(invalidPaths, `/${section}/${String(i)}`)) return;
        fn(item, [section, i], where(d, [section, i]));
      });
    };
    each("users", (o, p, source) => {
      const u = buildUser(d, o, p, source);
      if (!u) return;
      all.users.push(u);
      addUnique(users, u.id, u, "user", "GH103", diagnostics);
    });
    each("groups", (o, p, source) => {
      const g = buildGroup(d, o, p, source);
      if (!g) return;
      all.groups.push(g);
      addUnique(groups, g.name, g, "group", "GH104", diagnostics);
    });
    each("roles", (o, p, source) => {
      const r = buildRole(d, o, p, source);
      if (!r) return;
      all.roles.push(r);
      addUnique(roles, r.name, r, "role", "GH105", diagnostics);
    });
  }
  return {
    model: { users, groups, roles, config: config ?? defaultConfig() },
    definitions: all,
    diagnostics,
  };
}
