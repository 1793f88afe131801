import type {
  AccessConfig,
  AccessModel,
  Group,
  GroupReview,
  MemberEntry,
  Role,
  RoleCondition,
  User,
} from "../model/access.ts";
import { employmentTypeOf, userStatusOf } from "../model/access.ts";
import type { Diagnostic } from "../model/diagnostic.ts";
import type { SourceLocation } from "../model/source.ts";
import { formatLocation } from "../model/source.ts";
import { ListPlaces, PlainUserMember } from "../model/member-entry.ts";
import type { AccessDocument } from "./parse.ts";
import { locate, type PathSegment } from "./locate.ts";
import { isObj, list, obj, oneOrMany, str, strList, type Obj } from "./read-data.ts";
import { buildConfig, defaultConfig } from "./build-config.ts";

/** Names of the items of each kind left out for their schema errors. */
export interface NamesWithErrors {
  readonly users: Set<string>;
  readonly groups: Set<string>;
  readonly roles: Set<string>;
}

/** Every definition in the order found, duplicates included, for rules that look across files. */
export interface Definitions {
  readonly users: readonly User[];
  readonly groups: readonly Group[];
  readonly roles: readonly Role[];
  /**
   * Ids of users and names of groups and roles whose items were left out for schema errors (already
   * reported): a reference to one of them is not to something undefined.
   */
  readonly withErrors?: NamesWithErrors;
}

export interface BuildResult {
  readonly model: AccessModel;
  readonly definitions: Definitions;
  readonly diagnostics: Diagnostic[];
  /** Whether a gatehouse.yaml was added (else `model.config` is the built-in default). */
  readonly hasConfig: boolean;
}

export interface ClassifiedDocument {
  readonly document: AccessDocument;
  readonly kind: "access" | "config";
  /** JSON pointers with schema errors: items under them are left out of the model. */
  readonly invalidPaths: readonly string[];
}

/** A model type under construction: optional fields are added one by one, only when defined. */
type Draft<T> = { -readonly [K in keyof T]: T[K] };

// The model is built for every user and member entry of a large organization (a million entries):
// objects are made whole in one literal or filled field by field, never through spreads or
// temporary copies, and locations come straight from the reader's position table.

/** Whether the invalid path `p` is at, under or above `pointer` (the whole document: ""). */
function touches(p: string, pointer: string): boolean {
  return p === pointer || p.startsWith(pointer + "/") || pointer.startsWith(p + "/") || p === "";
}

function isInvalid(invalid: readonly string[], pointer: string): boolean {
  return invalid.some((p) => touches(p, pointer));
}

/** Where child `key` of `container` (the value at `path` in `d`) sits. */
function where(
  d: AccessDocument,
  container: object,
  path: readonly PathSegment[],
  key: PathSegment,
): SourceLocation {
  return d.locator.locateChild(d.file, container, path, key);
}

/** Where each string entry of a list sits, index-aligned with `strList(o, key)`. */
function listSources(
  d: AccessDocument,
  o: Obj,
  path: readonly PathSegment[],
  key: string,
): SourceLocation[] | undefined {
  const raw = list(o, key);
  if (raw === undefined) return undefined;
  const out: SourceLocation[] = [];
  let listPath: PathSegment[] | undefined;
  for (let k = 0; k < raw.length; k++) {
    if (typeof raw[k] !== "string") continue;
    listPath ??= [...path, key];
    out.push(where(d, raw, listPath, k));
  }
  return out;
}

function accountsOf(o: Obj): Record<string, string> {
  const accounts: Record<string, string> = {};
  const raw = obj(o, "accounts");
  if (raw === undefined) return accounts;
  for (const k of Object.keys(raw)) {
    const v = raw[k];
    if (typeof v === "string") accounts[k] = v;
  }
  return accounts;
}

function buildUser(d: AccessDocument, o: Obj, path: PathSegment[], source: SourceLocation): User | undefined {
  const id = str(o, "id");
  const name = str(o, "name");
  if (id === undefined || name === undefined) return undefined;
  const status = str(o, "status");
  const employmentType = str(o, "employmentType");
  const user: Draft<User> = {
    id,
    name,
    employmentType: employmentTypeOf(employmentType),
    status: userStatusOf(status),
    ...(employmentType === undefined ? { isEmploymentTypeDefault: true as const } : {}),
    accounts: accountsOf(o),
    source,
  };
  const email = str(o, "email");
  if (email !== undefined) user.email = email;
  const department = str(o, "department");
  if (department !== undefined) user.department = department;
  const title = str(o, "title");
  if (title !== undefined) user.title = title;
  const manager = str(o, "manager");
  if (manager !== undefined) user.manager = manager;
  const startDate = str(o, "startDate");
  if (startDate !== undefined) user.startDate = startDate;
  const endDate = str(o, "endDate");
  if (endDate !== undefined) user.endDate = endDate;
  const employeeNumber = str(o, "employeeNumber");
  if (employeeNumber !== undefined) user.employeeNumber = employeeNumber;
  const formerIds = strList(o, "formerIds");
  if (formerIds !== undefined) user.formerIds = formerIds;
  if (o["legalHold"] === true) user.legalHold = true;
  if (o["manager"] !== undefined) user.managerSource = where(d, o, path, "manager");
  if (o["startDate"] !== undefined) user.startDateSource = where(d, o, path, "startDate");
  return user;
}

function plainMember(
  d: AccessDocument,
  raw: readonly unknown[],
  path: readonly PathSegment[],
  i: number,
  places: ListPlaces,
  user: string,
): MemberEntry {
  const { line, column } = where(d, raw, path, i);
  places.at[2 * i] = line;
  places.at[2 * i + 1] = column;
  return new PlainUserMember(user, places, i);
}

/** One `members` entry (item `i` of `raw`, the list at `path`), or undefined when it names nobody. */
function buildMember(
  d: AccessDocument,
  raw: readonly unknown[],
  path: readonly PathSegment[],
  i: number,
  places: ListPlaces,
): MemberEntry | undefined {
  const m = raw[i];
  if (typeof m === "string") return plainMember(d, raw, path, i, places, m);
  if (!isObj(m)) return undefined;
  const user = str(m, "user");
  if (user === undefined) {
    const group = str(m, "group");
    return group === undefined ? undefined : { kind: "group", group, source: where(d, raw, path, i) };
  }
  const until = str(m, "until");
  const reason = str(m, "reason");
  if (until === undefined && reason === undefined && m["until"] === undefined)
    return plainMember(d, raw, path, i, places, user);
  const entry: Draft<Extract<MemberEntry, { kind: "user" }>> = {
    kind: "user",
    user,
    source: where(d, raw, path, i),
  };
  if (until !== undefined) entry.until = until;
  if (reason !== undefined) entry.reason = reason;
  if (m["until"] !== undefined) entry.untilSource = where(d, m, [...path, i], "until");
  return entry;
}

function buildMembers(
  d: AccessDocument,
  raw: readonly unknown[],
  path: PathSegment[],
  skip: ReadonlySet<number> | undefined,
): { members: MemberEntry[]; detailed: readonly number[] } {
  const members: MemberEntry[] = [];
  const detailed: number[] = [];
  const places = new ListPlaces(d.file, raw.length);
  for (let i = 0; i < raw.length; i++) {
    if (skip?.has(i) === true) continue;
    const entry = buildMember(d, raw, path, i, places);
    if (entry === undefined) continue;
    if (!(entry instanceof PlainUserMember)) detailed.push(members.length);
    members.push(entry);
  }
  return { members, detailed: detailed.length === 0 ? NONE_DETAILED : detailed };
}

/** Shared by the many groups whose entries are all plain. */
const NONE_DETAILED: readonly number[] = Object.freeze([]);

function buildReview(
  d: AccessDocument,
  group: Obj,
  o: Obj,
  path: readonly PathSegment[],
): GroupReview | undefined {
  const due = str(o, "due");
  if (due === undefined) return undefined;
  const review: Draft<GroupReview> = {
    due,
    pending: strList(o, "pending") ?? [],
    source: where(d, group, path, "review"),
  };
  const pendingSources = listSources(d, o, [...path, "review"], "pending");
  if (pendingSources !== undefined) review.pendingSources = pendingSources;
  return review;
}

function buildGroup(
  d: AccessDocument,
  o: Obj,
  path: PathSegment[],
  source: SourceLocation,
  /** Member entries the schema refused (their errors are reported): left out, the group read on. */
  skipMembers?: ReadonlySet<number>,
): Group | undefined {
  const name = str(o, "name");
  if (name === undefined) return undefined;
  const group: Draft<Group> = {
    name,
    owners: strList(o, "owners") ?? [],
    sensitivity: str(o, "sensitivity") === "privileged" ? "privileged" : "normal",
    source,
  };
  const description = str(o, "description");
  if (description !== undefined) group.description = description;
  const providers = strList(o, "providers");
  if (providers !== undefined) group.providers = providers;
  const formerNames = strList(o, "formerNames");
  if (formerNames !== undefined) group.formerNames = formerNames;
  const review = obj(o, "review");
  if (review !== undefined) {
    const built = buildReview(d, o, review, path);
    if (built !== undefined) group.review = built;
  }
  const members = list(o, "members");
  if (members !== undefined) {
    const built = buildMembers(d, members, [...path, "members"], skipMembers);
    group.members = built.members;
    group.detailedMembers = built.detailed;
  }
  const ownerSources = listSources(d, o, path, "owners");
  if (ownerSources !== undefined) group.ownerSources = ownerSources;
  const providerSources = listSources(d, o, path, "providers");
  if (providerSources !== undefined) group.providerSources = providerSources;
  return group;
}

function buildCondition(when: Obj): RoleCondition {
  const condition: Draft<RoleCondition> = {};
  const department = oneOrMany(when, "department");
  if (department !== undefined) condition.department = department;
  const title = oneOrMany(when, "title");
  if (title !== undefined) condition.title = title;
  const employmentType = oneOrMany(when, "employmentType")?.filter(
    (t): t is User["employmentType"] =>
      t === "employee" || t === "contractor" || t === "intern" || t === "service",
  );
  if (employmentType !== undefined) condition.employmentType = employmentType;
  return condition;
}

function buildRole(d: AccessDocument, o: Obj, path: PathSegment[], source: SourceLocation): Role | undefined {
  const name = str(o, "name");
  const when = obj(o, "when");
  if (name === undefined || !when) return undefined;
  const role: Draft<Role> = {
    name,
    when: buildCondition(when),
    groups: strList(o, "groups") ?? [],
    source,
  };
  const description = str(o, "description");
  if (description !== undefined) role.description = description;
  const groupSources = listSources(d, o, path, "groups");
  if (groupSources !== undefined) role.groupSources = groupSources;
  return role;
}

/**
 * The definitions of one kind: the model's (the first schema-valid item of each name), and the names
 * an item left out for its schema errors defined first, with where. A name defined twice is reported in
 * the same run whichever of the two has schema errors, and points at the first definition of all.
 */
interface Kind<T extends { source: SourceLocation }> {
  readonly map: Map<string, T>;
  readonly firstLeftOut: Map<string, SourceLocation>;
  /** Every name of an item left out (Definitions.withErrors). */
  readonly leftOut: Set<string>;
  /** What the item's name is under (`id`, `name`), how it is called, and the code of a second definition. */
  readonly key: string;
  readonly what: string;
  readonly code: string;
}

/** Reports `key` at `source` when it was defined before; whether it was. */
function isDefinedTwice<T extends { source: SourceLocation }>(
  kind: Kind<T>,
  key: string,
  source: SourceLocation,
  diagnostics: Diagnostic[],
): boolean {
  const first = kind.firstLeftOut.get(key) ?? kind.map.get(key)?.source;
  if (first === undefined) return false;
  diagnostics.push({
    severity: "error",
    code: kind.code,
    message: `${kind.what} "${key}" is defined twice; first at ${formatLocation(first)}. Keep one definition.`,
    ...source,
    related: [first],
  });
  return true;
}

/** A schema-valid item: into the model, unless one of its name is there already. */
function addUnique<T extends { source: SourceLocation }>(
  kind: Kind<T>,
  key: string,
  item: T,
  diagnostics: Diagnostic[],
): void {
  isDefinedTwice(kind, key, item.source, diagnostics);
  // After an item left out, the first valid one is the model's, as it always was.
  if (!kind.map.has(key)) kind.map.set(key, item);
}

/** An item left out for its schema errors: never in the model, but its name counts as defined here. */
function addLeftOut<T extends { source: SourceLocation }>(
  kind: Kind<T>,
  key: string,
  source: SourceLocation,
  diagnostics: Diagnostic[],
): void {
  kind.leftOut.add(key);
  if (!isDefinedTwice(kind, key, source, diagnostics)) kind.firstLeftOut.set(key, source);
}

/** The model under construction: every definition in order, and the first of each name. */
interface Building {
  readonly users: Kind<User>;
  readonly groups: Kind<Group>;
  readonly roles: Kind<Role>;
  readonly all: {
    users: User[];
    groups: Group[];
    roles: Role[];
    withErrors: NamesWithErrors;
  };
  readonly diagnostics: Diagnostic[];
}

/**
 * Each schema-valid mapping of the list `section` in `d`, with its path and location; the path array
 * is the item's own, so builders may keep it or extend it. An item with schema errors goes only by its
 * name into `kind` (addLeftOut).
 */
function eachItem<T extends { source: SourceLocation }>(
  d: AccessDocument,
  data: Obj,
  section: string,
  invalidPaths: readonly string[],
  fn: (o: Obj, path: PathSegment[], source: SourceLocation, skipMembers?: ReadonlySet<number>) => void,
  kind: Kind<T>,
  diagnostics: Diagnostic[],
): void {
  const items = list(data, section);
  if (items === undefined) return;
  const sectionPath: readonly PathSegment[] = [section];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!isObj(item)) continue;
    const pointer = `/${section}/${String(i)}`;
    if (invalidPaths.length > 0 && isInvalid(invalidPaths, pointer)) {
      // A group whose only errors are in member entries is read without those entries: its other
      // mistakes are found in the same run (the errors stop every write all the same).
      const skip = section === "groups" ? invalidMembers(invalidPaths, pointer) : undefined;
      if (skip !== undefined) {
        fn(item, [section, i], where(d, items, sectionPath, i), skip);
        continue;
      }
      const name = str(item, kind.key);
      if (name !== undefined) addLeftOut(kind, name, where(d, items, sectionPath, i), diagnostics);
      continue;
    }
    fn(item, [section, i], where(d, items, sectionPath, i));
  }
}

/**
 * The member entries (indices) the invalid paths touching `pointer` (a group) are all inside, or
 * undefined when any of them is elsewhere in the group (or is the group, or the whole members list).
 */
function invalidMembers(invalidPaths: readonly string[], pointer: string): Set<number> | undefined {
  const prefix = `${pointer}/members/`;
  const out = new Set<number>();
  for (const p of invalidPaths) {
    if (!touches(p, pointer)) continue;
    if (!p.startsWith(prefix)) return undefined;
    const index = Number(p.slice(prefix.length).split("/")[0]);
    if (!Number.isSafeInteger(index) || index < 0) return undefined;
    out.add(index);
  }
  return out.size === 0 ? undefined : out;
}

function addAccessDocument(b: Building, d: AccessDocument, data: Obj, invalidPaths: readonly string[]): void {
  eachItem(
    d,
    data,
    "users",
    invalidPaths,
    (o, p, source) => {
      const u = buildUser(d, o, p, source);
      if (!u) return;
      b.all.users.push(u);
      addUnique(b.users, u.id, u, b.diagnostics);
    },
    b.users,
    b.diagnostics,
  );
  eachItem(
    d,
    data,
    "groups",
    invalidPaths,
    (o, p, source, skipMembers) => {
      const g = buildGroup(d, o, p, source, skipMembers);
      if (!g) return;
      b.all.groups.push(g);
      addUnique(b.groups, g.name, g, b.diagnostics);
    },
    b.groups,
    b.diagnostics,
  );
  eachItem(
    d,
    data,
    "roles",
    invalidPaths,
    (o, p, source) => {
      const r = buildRole(d, o, p, source);
      if (!r) return;
      b.all.roles.push(r);
      addUnique(b.roles, r.name, r, b.diagnostics);
    },
    b.roles,
    b.diagnostics,
  );
}

function newBuilding(): Building {
  const withErrors: NamesWithErrors = { users: new Set(), groups: new Set(), roles: new Set() };
  const kind = <T extends { source: SourceLocation }>(
    leftOut: Set<string>,
    key: string,
    what: string,
    code: string,
  ): Kind<T> => ({ map: new Map(), firstLeftOut: new Map(), leftOut, key, what, code });
  return {
    users: kind(withErrors.users, "id", "user", "GH103"),
    groups: kind(withErrors.groups, "name", "group", "GH104"),
    roles: kind(withErrors.roles, "name", "role", "GH105"),
    all: { users: [], groups: [], roles: [], withErrors },
    diagnostics: [],
  };
}

/**
 * Builds the access model one document at a time, in file order (user positions are file order), so a
 * loader can hand each document over as soon as it is read and let it die young.
 */
export class ModelBuilder {
  readonly #b: Building = newBuilding();
  #config: AccessConfig | undefined;

  add({ document: d, kind, invalidPaths }: ClassifiedDocument): void {
    if (!isObj(d.data)) return;
    if (kind === "access") {
      addAccessDocument(this.#b, d, d.data, invalidPaths);
      return;
    }
    if (this.#config) {
      this.#b.diagnostics.push({
        severity: "error",
        code: "GH102",
        message: "only one gatehouse.yaml is allowed",
        ...locate(d.file, d.locator, []),
      });
      return;
    }
    this.#config = buildConfig(d, d.data, invalidPaths, this.#b.diagnostics);
  }

  finish(): BuildResult {
    const b = this.#b;
    return {
      model: {
        users: b.users.map,
        groups: b.groups.map,
        roles: b.roles.map,
        config: this.#config ?? defaultConfig(),
      },
      definitions: b.all,
      diagnostics: b.diagnostics,
      hasConfig: this.#config !== undefined,
    };
  }
}

/** Turns parsed, schema-checked documents into the access model. Items with schema errors are left out. */
export function buildAccessModel(documents: readonly ClassifiedDocument[]): BuildResult {
  const builder = new ModelBuilder();
  for (const document of documents) builder.add(document);
  return builder.finish();
}
