import type { AccessModel, MemberEntry, Role, User } from "../model/access.ts";
import type { ExpiredGrant, Provenance, RoleConditionMet } from "../model/state.ts";
import { isGrantActive } from "../lifecycle/status.ts";
import { memberPositions, unionPositions, userIndexOf, UserSet } from "./user-set.ts";

/** Effective members of one group: every user who holds it. `provenanceOf` tells how. */
export interface EffectiveGroup {
  /** Users holding the group now: listed lines, role baselines and nested groups. */
  readonly members: UserSet;
  /** Users holding it by its own lines and role baselines only (not through a nested group). */
  readonly own: UserSet;
  /** Grants that ran out (and are not held another way), by userId. */
  readonly expired: ReadonlyMap<string, ExpiredGrant>;
}

const ROLE_ATTRIBUTES = ["department", "title", "employmentType"] as const;

/**
 * Every condition that made the role match (the attributes it lists, each with the user's value), or
 * undefined when it does not: the match is roleMatches', so that explain and the memberships never
 * disagree. `attribute` and `value` repeat the first condition, for readers from before `conditions`.
 */
export function matchRole(role: Role, user: User): Provenance | undefined {
  if (!roleMatches(role, user)) return undefined;
  const conditions: RoleConditionMet[] = [];
  for (const attribute of ROLE_ATTRIBUTES) {
    const value = role.when[attribute] === undefined ? undefined : user[attribute];
    if (value !== undefined) conditions.push({ attribute, value });
  }
  const [first] = conditions;
  if (first === undefined) return undefined;
  return {
    kind: "role",
    role: role.name,
    attribute: first.attribute,
    value: first.value,
    conditions,
    source: role.source,
  };
}

/**
 * True when the role lists a condition and every listed one holds for the user. A role that lists none
 * (an empty `when`, which the schema refuses) matches nobody: matching everyone would give every person
 * in the files its groups.
 */
export function roleMatches(role: Role, user: User): boolean {
  let isConditioned = false;
  for (const attribute of ROLE_ATTRIBUTES) {
    const allowed: readonly string[] | undefined = role.when[attribute];
    if (allowed === undefined) continue;
    const value = user[attribute];
    if (value === undefined || !allowed.includes(value)) return false;
    isConditioned = true;
  }
  return isConditioned;
}

/**
 * The roles that can match a user, in model order: those naming the user's department, and those
 * with no department condition. roleMatches still decides; this only skips roles that cannot match.
 */
function rolesByDepartment(model: AccessModel): (department: string | undefined) => readonly Role[] {
  const all = [...model.roles.values()];
  const anyDepartment = all.filter((r) => r.when.department === undefined);
  const byDepartment = new Map<string, Role[]>();
  for (const role of all) {
    for (const department of role.when.department ?? []) {
      if (!byDepartment.has(department)) byDepartment.set(department, []);
    }
  }
  for (const [department, list] of byDepartment) {
    for (const role of all)
      if (role.when.department === undefined || role.when.department.includes(department)) list.push(role);
  }
  return (department) =>
    department === undefined ? anyDepartment : (byDepartment.get(department) ?? anyDepartment);
}

/** One computation per model and instant: validation (separation of duties) and planning share it. */
const computed = new WeakMap<
  AccessModel,
  { readonly at: number; readonly result: ReadonlyMap<string, EffectiveGroup> }
>();

/**
 * Effective membership of every group at `now`: direct entries, role baselines and nested groups,
 * with expired grants set aside. Cycles are cut (validation reports them); unknown names are skipped.
 * The model is read-only: the result is remembered for the same model and instant.
 */
export function computeEffectiveMemberships(
  model: AccessModel,
  now: Date,
): ReadonlyMap<string, EffectiveGroup> {
  const hit = computed.get(model);
  if (hit?.at === now.getTime()) return hit.result;
  const result = computeUncached(model, now);
  computed.set(model, { at: now.getTime(), result });
  return result;
}

/** Positions of the users each group gets from role baselines, ascending (users are visited in order). */
function roleMembers(model: AccessModel): Map<string, number[]> {
  const candidates = rolesByDepartment(model);
  const fromRoles = new Map<string, number[]>();
  userIndexOf(model).users.forEach((user, position) => {
    for (const role of candidates(user.department)) {
      if (!roleMatches(role, user)) continue;
      for (const group of role.groups) {
        if (!model.groups.has(group)) continue;
        let list = fromRoles.get(group);
        if (!list) fromRoles.set(group, (list = []));
        if (list[list.length - 1] !== position) list.push(position);
      }
    }
  });
  return fromRoles;
}

function computeUncached(model: AccessModel, now: Date): ReadonlyMap<string, EffectiveGroup> {
  const index = userIndexOf(model);
  const fromRoles = roleMembers(model);
  const memo = new Map<string, EffectiveGroup>();
  const visiting = new Set<string>();
  const none = new UserSet(index, UserSet.EMPTY_POSITIONS);
  const empty: EffectiveGroup = { members: none, own: none, expired: new Map() };

  const resolve = (name: string): EffectiveGroup => {
    const done = memo.get(name);
    if (done) return done;
    const group = model.groups.get(name);
    if (!group || visiting.has(name)) return empty;
    visiting.add(name);
    const direct: number[] = [];
    const nested: Int32Array[] = [];
    const expired = new Map<string, ExpiredGrant>();
    const positions = memberPositions(model, group);
    const entries = group.members ?? [];
    const detailed = group.detailedMembers;
    let next = 0; // the next detailed entry
    for (let i = 0; i < entries.length; i++) {
      // A plain entry (no until, no nesting) is its position: the entry itself is not read.
      if (detailed !== undefined && detailed[next] !== i) {
        const position = positions[i] ?? -1;
        if (position >= 0) direct.push(position);
        continue;
      }
      next++;
      const entry = entries[i];
      if (entry === undefined) continue;
      if (entry.kind === "user") {
        const position = positions[i] ?? -1;
        if (position < 0) continue;
        if (isGrantActive(entry.until, now)) direct.push(position);
        else if (entry.until !== undefined)
          expired.set(entry.user, { userId: entry.user, until: entry.until, source: entry.source });
      } else {
        const inner = resolve(entry.group);
        nested.push(inner.members.positions);
        for (const [userId, grant] of inner.expired) if (!expired.has(userId)) expired.set(userId, grant);
      }
    }
    const own = unionPositions([direct, fromRoles.get(name) ?? []]);
    const members = nested.length === 0 ? own : unionPositions([own, ...nested]);
    const result: EffectiveGroup = {
      members: new UserSet(index, members),
      own: new UserSet(index, own),
      expired,
    };
    for (const userId of [...expired.keys()]) if (result.members.has(userId)) expired.delete(userId);
    visiting.delete(name);
    memo.set(name, result);
    return result;
  };

  for (const name of model.groups.keys()) resolve(name);
  return memo;
}

function directProvenance(entry: Extract<MemberEntry, { kind: "user" }>): Provenance {
  return entry.until === undefined && entry.reason === undefined
    ? { kind: "direct", source: entry.source }
    : {
        kind: "direct",
        source: entry.source,
        ...(entry.until === undefined ? {} : { until: entry.until }),
        ...(entry.reason === undefined ? {} : { reason: entry.reason }),
      };
}

/** Roles by the groups they give, in model order (a role listing a group twice counts twice). */
const rolesByGroup = new WeakMap<AccessModel, ReadonlyMap<string, readonly Role[]>>();

function rolesGiving(model: AccessModel, group: string): readonly Role[] {
  let byGroup = rolesByGroup.get(model);
  if (!byGroup) {
    const map = new Map<string, Role[]>();
    for (const role of model.roles.values())
      for (const name of role.groups) {
        const list = map.get(name);
        if (list) list.push(role);
        else map.set(name, [role]);
      }
    rolesByGroup.set(model, (byGroup = map));
  }
  return byGroup.get(group) ?? [];
}

/**
 * Every way each of `userIds` holds `group` at `now`, in the order the plan and `explain` show them:
 * the group's lines in file order (a nested group's ways wrapped in "via"), then role baselines in
 * model order. Computed on demand, for the few memberships a plan or an explanation shows; one pass
 * over the group's lines serves every user asked about. Users who do not hold the group get [].
 */
export function provenanceOf(
  model: AccessModel,
  group: string,
  userIds: Iterable<string>,
  now: Date,
): Map<string, Provenance[]> {
  const { position } = userIndexOf(model);
  const out = new Map<string, Provenance[]>();
  const asked: number[] = [];
  const known: string[] = [];
  for (const userId of userIds) {
    if (out.has(userId)) continue;
    out.set(userId, []);
    const p = position.get(userId);
    if (p === undefined) continue;
    asked.push(p);
    known.push(userId);
  }
  const ways = provenanceAt(model, group, asked, now);
  known.forEach((userId, i) => out.set(userId, ways[i] ?? []));
  return out;
}

/**
 * provenanceOf for users given by position (distinct), as one list per position in the same order:
 * what a plan explaining two million new memberships asks, without a map of user ids. A role that
 * matches many people gives them one shared Provenance object per attribute value.
 */
export function provenanceAt(
  model: AccessModel,
  group: string,
  asked: readonly number[],
  now: Date,
  visiting: ReadonlySet<string> = new Set(),
): Provenance[][] {
  const out = asked.map((): Provenance[] => []);
  const def = model.groups.get(group);
  if (!def || visiting.has(group) || asked.length === 0) return out;
  const inside = new Set(visiting).add(group);
  // The group's lines are scanned as positions (a typed array), and only the lines of the users asked
  // about are read.
  const slot = new Map<number, number>();
  asked.forEach((p, i) => slot.set(p, i));
  const members = def.members ?? [];
  const positions = memberPositions(model, def);
  for (let i = 0; i < members.length; i++) {
    const p = positions[i] ?? -1;
    // A user line of a known user (p >= 0), or a nested group or an unknown user (-1).
    const at = p >= 0 ? slot.get(p) : undefined;
    if (p >= 0 && at === undefined) continue;
    const entry = members[i];
    if (entry === undefined) continue;
    if (entry.kind === "user") {
      if (at !== undefined && isGrantActive(entry.until, now)) out[at]?.push(directProvenance(entry));
    } else {
      const inner = provenanceAt(model, entry.group, asked, now, inside);
      inner.forEach((ways, k) => {
        for (const way of ways)
          out[k]?.push({ kind: "nested", via: entry.group, source: entry.source, inner: way });
      });
    }
  }
  const { users } = userIndexOf(model);
  for (const role of rolesGiving(model, group)) {
    // A role always names the same attributes (its conditions), so their values tell its ways apart.
    const byValue = new Map<string, Provenance>();
    asked.forEach((p, k) => {
      const user = users[p];
      const way = user ? matchRole(role, user) : undefined;
      if (way?.kind !== "role") return;
      const key = way.conditions.length === 1 ? way.value : way.conditions.map((c) => c.value).join("\n");
      const same = byValue.get(key);
      if (same === undefined) byValue.set(key, way);
      out[k]?.push(same ?? way);
    });
  }
  return out;
}

/** The end of one way to a membership: its grant's, through nested groups; undefined when lasting. */
export function wayUntil(way: Provenance): string | undefined {
  if (way.kind === "nested") return wayUntil(way.inner);
  return way.kind === "direct" ? way.until : undefined;
}

const roleTexts = new WeakMap<Provenance, string>();

/**
 * One line per provenance, for plans and `explain`: "role platform-engineer (department=ENG-PLATFORM)",
 * "role sre (department=ENG, title=Site Reliability Engineer)" (every condition the role lists).
 */
export function describeProvenance(p: Provenance): string {
  switch (p.kind) {
    case "role": {
      // Role ways are shared by everyone a role gives the group (provenanceAt): one text for all of them.
      let text = roleTexts.get(p);
      if (text === undefined) {
        const met = p.conditions.map((c) => `${c.attribute}=${c.value}`).join(", ");
        text = `role ${p.role} (${met}) at ${p.source.file}:${String(p.source.line)}`;
        roleTexts.set(p, text);
      }
      return text;
    }
    case "direct":
      // Joined into one flat string: a first import's plan holds a million of these.
      return [
        "listed at ",
        p.source.file,
        ":",
        String(p.source.line),
        p.until ? ` until ${p.until}` : "",
        p.reason ? ` (${p.reason})` : "",
      ].join("");
    case "nested":
      return `via group ${p.via} (${p.source.file}:${String(p.source.line)}) ← ${describeProvenance(p.inner)}`;
  }
}
