import type { AccessModel, Role, User } from "../model/access.ts";
import type { ExpiredGrant, Provenance } from "../model/state.ts";
import { isGrantActive } from "../lifecycle/status.ts";

/** Effective members of one group: every user who holds it, and how. */
export interface EffectiveGroup {
  /** userId → every way the user holds the group (direct line, role rule, nesting). */
  readonly members: ReadonlyMap<string, readonly Provenance[]>;
  /** Grants that ran out (and are not held another way), by userId. */
  readonly expired: ReadonlyMap<string, ExpiredGrant>;
}

const ROLE_ATTRIBUTES = ["department", "title", "employmentType"] as const;

/** Which attribute made the role match, or undefined when it does not. Every listed condition must hold. */
export function matchRole(role: Role, user: User): Provenance | undefined {
  let first: Provenance | undefined;
  for (const attribute of ROLE_ATTRIBUTES) {
    const allowed: readonly string[] | undefined = role.when[attribute];
    if (allowed === undefined) continue;
    const value = user[attribute];
    if (value === undefined || !allowed.includes(value)) return undefined;
    first ??= { kind: "role", role: role.name, attribute, value, source: role.source };
  }
  return first;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * The roles that can match a user, in model order: those naming the user's department, and those
 * with no department condition. matchRole still decides; this only skips roles that cannot match.
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

function computeUncached(model: AccessModel, now: Date): ReadonlyMap<string, EffectiveGroup> {
  const candidates = rolesByDepartment(model);
  const fromRoles = new Map<string, Map<string, Provenance[]>>();
  for (const user of model.users.values()) {
    for (const role of candidates(user.department)) {
      const provenance = matchRole(role, user);
      if (!provenance) continue;
      for (const group of role.groups) {
        if (!model.groups.has(group)) continue;
        let members = fromRoles.get(group);
        if (!members) fromRoles.set(group, (members = new Map<string, Provenance[]>()));
        push(members, user.id, provenance);
      }
    }
  }

  const memo = new Map<string, EffectiveGroup>();
  const visiting = new Set<string>();
  const empty: EffectiveGroup = { members: new Map(), expired: new Map() };

  const resolve = (name: string): EffectiveGroup => {
    const done = memo.get(name);
    if (done) return done;
    const group = model.groups.get(name);
    if (!group || visiting.has(name)) return empty;
    visiting.add(name);
    const members = new Map<string, Provenance[]>();
    const expired = new Map<string, ExpiredGrant>();
    for (const entry of group.members ?? []) {
      if (entry.kind === "user") {
        if (!model.users.has(entry.user)) continue;
        if (isGrantActive(entry.until, now)) {
          push(
            members,
            entry.user,
            entry.until === undefined && entry.reason === undefined
              ? { kind: "direct", source: entry.source }
              : {
                  kind: "direct",
                  source: entry.source,
                  ...(entry.until === undefined ? {} : { until: entry.until }),
                  ...(entry.reason === undefined ? {} : { reason: entry.reason }),
                },
          );
        } else if (entry.until !== undefined) {
          expired.set(entry.user, { userId: entry.user, until: entry.until, source: entry.source });
        }
      } else {
        const inner = resolve(entry.group);
        for (const [userId, provenances] of inner.members) {
          for (const p of provenances)
            push(members, userId, { kind: "nested", via: entry.group, source: entry.source, inner: p });
        }
        for (const [userId, grant] of inner.expired) if (!expired.has(userId)) expired.set(userId, grant);
      }
    }
    // Role provenance lists belong to this group alone: adopt them rather than copy them.
    for (const [userId, provenances] of fromRoles.get(name) ?? []) {
      const list = members.get(userId);
      if (list) list.push(...provenances);
      else members.set(userId, provenances);
    }
    if (expired.size > 0) for (const userId of members.keys()) expired.delete(userId);
    visiting.delete(name);
    const result: EffectiveGroup = { members, expired };
    memo.set(name, result);
    return result;
  };

  for (const name of model.groups.keys()) resolve(name);
  return memo;
}

/** One line per provenance, for plans and `explain`: "role platform-engineer (department=ENG-PLATFORM)". */
export function describeProvenance(p: Provenance): string {
  switch (p.kind) {
    case "direct":
      return (
        `listed at ${p.source.file}:${String(p.source.line)}` +
        (p.until ? ` until ${p.until}` : "") +
        (p.reason ? ` (${p.reason})` : "")
      );
    case "role":
      return `role ${p.role} (${p.attribute}=${p.value}) at ${p.source.file}:${String(p.source.line)}`;
    case "nested":
      return `via group ${p.via} (${p.source.file}:${String(p.source.line)}) ← ${describeProvenance(p.inner)}`;
  }
}
