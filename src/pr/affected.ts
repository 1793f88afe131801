/**
 * What a pull request changes about access: the access tree on the base branch against the tree the pull
 * request would merge, group by group. Pure: models and paths in, data out.
 */
import type { AccessModel, Group, MemberEntry, ProviderConfig, Role, User } from "../model/access.ts";
import { computeEffectiveMemberships, type EffectiveGroup } from "../desired/effective.ts";
import { accountNameFor } from "../desired/desired-state.ts";
import {
  afterDay,
  DAY_MS,
  hasNotStarted,
  isDisabledForLeave,
  isTerminated,
  utcMidnight,
} from "../lifecycle/status.ts";

export interface AffectedGroup {
  readonly name: string;
  /** Why the group needs its owners' approval, e.g. "alice gains access", "owners changed". */
  readonly reasons: readonly string[];
  /** Users who are effective members at head and not at base. */
  readonly gains: readonly string[];
  /** Users who are effective members at base and not at head. */
  readonly losses: readonly string[];
  /**
   * Users the pull request gives access to the group, or longer access: those who gain it, those whose
   * own entries in it are added or changed (a grant extended), those whose dates now hold it longer. None
   * of them approves it (approvals.ts): nobody approves their own access.
   */
  readonly beneficiaries: readonly string[];
  /** False for a group the pull request creates: nobody owns it yet, so admins approve it. */
  readonly existsOnBase: boolean;
  /** Privileged on the base branch or at head: a pull request cannot lower the bar for itself. */
  readonly isPrivileged: boolean;
}

export interface Affected {
  readonly groups: readonly AffectedGroup[];
  /** Changes that need the admins of the base branch (policy files, schemas, workflows, identities). */
  readonly adminReasons: readonly string[];
}

export interface AffectedInput {
  readonly base: AccessModel;
  readonly head: AccessModel;
  readonly now: Date;
  /** Paths the pull request changes, relative to the repository root. */
  readonly changedPaths: readonly string[];
  /** Path prefixes (folders end in "/") whose changes need admins; see DEFAULT_ADMIN_PATHS. */
  readonly adminPaths: readonly string[];
  /**
   * Look at every group and person, not only those the pull request can change (groupsToCompare): the
   * reference the narrow comparison is tested against. The answer is the same, slower.
   */
  readonly everyGroup?: boolean;
}

/** Files that decide how gatehouse itself behaves: configuration, schemas, CI and review rules. */
export function defaultAdminPaths(dir: string): string[] {
  const d = dir.replace(/\/+$/, "");
  // Both spellings the loader takes for the configuration file.
  return [
    `${d}/gatehouse.yaml`,
    `${d}/gatehouse.yml`,
    "schemas/",
    ".github/workflows/",
    ".github/CODEOWNERS",
  ];
}

const entryKey = (e: MemberEntry): string =>
  e.kind === "user" ? `user:${e.user}:${e.until ?? ""}` : `group:${e.group}`;

function listDiff(a: readonly string[], b: readonly string[]): { added: string[]; removed: string[] } {
  const sa = new Set(a);
  const sb = new Set(b);
  return { added: b.filter((x) => !sa.has(x)), removed: a.filter((x) => !sb.has(x)) };
}

function describeList(what: string, a: readonly string[], b: readonly string[]): string[] {
  const { added, removed } = listDiff(a, b);
  if (added.length === 0 && removed.length === 0) return [];
  const parts = [
    ...(added.length > 0 ? [`+${added.join(", +")}`] : []),
    ...(removed.length > 0 ? [`-${removed.join(", -")}`] : []),
  ];
  return [`${what} changed (${parts.join(" ")})`];
}

/** Entries that change without changing who is a member today (a longer `until`) still change access. */
function entriesChanged(base: Group, head: Group): boolean {
  const d = listDiff((base.members ?? []).map(entryKey), (head.members ?? []).map(entryKey));
  return d.added.length + d.removed.length > 0;
}

function definitionReasons(base: Group, head: Group): string[] {
  const reasons = [
    ...describeList("owners", base.owners, head.owners),
    ...describeList("providers", base.providers ?? ["(all)"], head.providers ?? ["(all)"]),
  ];
  if (base.sensitivity !== head.sensitivity)
    reasons.push(`sensitivity changed (${base.sensitivity} → ${head.sensitivity})`);
  if ((base.members === undefined) !== (head.members === undefined))
    reasons.push(head.members === undefined ? "membership no longer managed" : "membership now managed");
  if ((base.description ?? "") !== (head.description ?? "")) reasons.push("description changed");
  // A former name renames (or, where a system cannot rename, replaces) the live group of that name.
  reasons.push(...describeList("formerNames", base.formerNames ?? [], head.formerNames ?? []));
  return reasons;
}

/**
 * Opening a review with less time than this to re-certify needs the owners' approval: otherwise a pull
 * request nobody approves could have \`review close\` revoke the members the next night.
 */
export const MIN_REVIEW_DAYS = 7;

/** Whether a review due on `due` leaves at least MIN_REVIEW_DAYS to re-certify from `now`. */
export function isReviewDueFarEnough(due: string, now: Date): boolean {
  const end = afterDay(due);
  return Number.isFinite(end) && end - now.getTime() >= MIN_REVIEW_DAYS * DAY_MS;
}

/**
 * Why a change to a group's access review needs its owners. Opening one, or adding names to the
 * pending list of one, gains nobody access and only asks the owners to decide: that needs nobody (unless
 * the review is due within MIN_REVIEW_DAYS; \`hr sync\` does both for movers). Every other change to it
 * is the owners' decision: names leaving \`pending\` (re-certified: the approval is the certification),
 * another due date, or a review closed while members it lists are still pending (which re-certifies them).
 */
function reviewReasons(base: Group, head: Group, now: Date): string[] {
  const [b, h] = [base.review, head.review];
  if (b === undefined && h === undefined) return [];
  const isFarEnough = (due: string): boolean => isReviewDueFarEnough(due, now);
  if (b === undefined)
    return h === undefined || isFarEnough(h.due)
      ? []
      : [`review opened due ${h.due}, less than ${String(MIN_REVIEW_DAYS)} days away`];
  if (h === undefined) {
    const listed = new Set((head.members ?? []).flatMap((e) => (e.kind === "user" ? [e.user] : [])));
    const kept = b.pending.filter((id) => listed.has(id));
    return kept.length === 0
      ? []
      : [`review closed with ${kept.join(", ")} still pending (re-certifies them)`];
  }
  const { added, removed } = listDiff(b.pending, h.pending);
  const out: string[] = [];
  if (removed.length > 0)
    out.push(`review: ${removed.join(", ")} re-certified or revoked (no longer pending)`);
  // Names added to a review due far enough ask the owners to decide; with less time, or with the due
  // day moved as well, the owners approve.
  if (added.length > 0 && b.due !== h.due) out.push(`review: ${added.join(", ")} added to pending`);
  else if (added.length > 0 && !isFarEnough(h.due))
    out.push(
      `review: ${added.join(", ")} added to pending, due ${h.due}, less than ${String(MIN_REVIEW_DAYS)} days away`,
    );
  if (b.due !== h.due) out.push(`review due changed (${b.due} → ${h.due})`);
  return out;
}

const roleKey = (r: Role): string => JSON.stringify([r.when, r.groups]);

/**
 * Who approves a change to each field of a user: the gate never lets a field through because it does
 * not know it. A field added to the model fails the typecheck here until someone decides.
 * - `groups`: it changes access through the groups (roles match it, dates end or start it), which the
 *   effective memberships and the lifecycle checks below turn into the groups' owners' approval;
 * - `identity`: it decides which accounts are this person's (identityChanged): admins;
 * - `admins`: a change needs the admins (legal hold decides whether a leaver's data is destroyed; the
 *   employee number decides which HR record `hr sync` applies to this person: a first one needs nobody);
 * - `nobody`: it grants nothing (a display name, a manager, where the text sits).
 */
export const USER_FIELDS = {
  id: "identity",
  name: "nobody",
  email: "identity",
  department: "groups",
  title: "groups",
  manager: "nobody",
  employmentType: "groups",
  isEmploymentTypeDefault: "groups",
  status: "groups",
  startDate: "groups",
  endDate: "groups",
  accounts: "identity",
  employeeNumber: "admins",
  formerIds: "identity",
  legalHold: "admins",
  source: "nobody",
  managerSource: "nobody",
  startDateSource: "nobody",
} as const satisfies Record<keyof User, "groups" | "identity" | "admins" | "nobody">;

/** The same for a group's fields: each is compared by definitionReasons, reviewReasons or the members. */
export const GROUP_FIELDS = {
  name: "owners",
  description: "owners",
  owners: "owners",
  sensitivity: "owners",
  providers: "owners",
  formerNames: "owners",
  review: "owners",
  members: "owners",
  detailedMembers: "nobody",
  source: "nobody",
  ownerSources: "nobody",
  providerSources: "nobody",
} as const satisfies Record<keyof Group, "owners" | "nobody">;

const ADMIN_USER_FIELDS = (Object.keys(USER_FIELDS) as (keyof User)[]).filter(
  (k) => USER_FIELDS[k] === "admins",
);

/**
 * The user fields only admins may change, that differ between `a` and `b`. A first employee number (a
 * person linked to their HR record, as `hr sync` does for files written before it) is not a change: one
 * replaced or removed is.
 */
function adminFieldsChanged(a: User, b: User): string[] {
  return ADMIN_USER_FIELDS.filter(
    (k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]) && !(k === "employeeNumber" && a[k] === undefined),
  );
}

/**
 * Whether the accounts a user is known by change: an `accounts` entry, a former id, or the field a system names
 * the account after (`email` under `accountName: email`, the id otherwise), in any system on either
 * side. The account holds the memberships, so this moves them to whoever holds the new name.
 */
function identityChanged(a: User, b: User, providers: readonly ProviderConfig[]): boolean {
  const keys = (u: User) =>
    JSON.stringify([
      Object.entries(u.accounts).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
      // Former ids make the accounts the journal saw managed for those ids this person's.
      [...(u.formerIds ?? [])].sort(),
    ]);
  return keys(a) !== keys(b) || providers.some((p) => accountNameFor(a, p) !== accountNameFor(b, p));
}

function matchesPrefix(file: string, prefix: string): boolean {
  return prefix.endsWith("/") ? file.startsWith(prefix) : file === prefix;
}

/**
 * Whether `user` holds the access their memberships give, as the plan decides it: not terminated (by
 * status or a passed endDate), and not on leave where policy disables the accounts of people on leave.
 * People who have not started yet count as holding it: a joiner's access is approved with the pull
 * request that adds them, not on their first day.
 */
function holdsAccess(model: AccessModel, user: User | undefined, now: Date): boolean {
  if (user === undefined) return true; // a member no file defines: validation reports it
  if (isTerminated(user, now)) return false;
  return !isDisabledForLeave(user, model.config.policy);
}

/** An ISO date as a number for comparing (undefined: no date, which is open-ended). */
const dateValue = (date: string | undefined): number | undefined =>
  date === undefined ? undefined : utcMidnight(date);

/**
 * How a user's dates move their access later in time (an end date later or removed, a start date earlier
 * or removed), for people who hold access at head: the same kind of change as a longer `until`.
 */
function lifecycleExtensions(before: User, after: User, now: Date): string[] {
  const out: string[] = [];
  const [endBefore, endAfter] = [dateValue(before.endDate), dateValue(after.endDate)];
  if (endBefore !== undefined && (endAfter === undefined || endAfter > endBefore))
    out.push(`${after.id}'s endDate moved later (${before.endDate ?? ""} → ${after.endDate ?? "none"})`);
  const [startBefore, startAfter] = [dateValue(before.startDate), dateValue(after.startDate)];
  if (
    startBefore !== undefined &&
    hasNotStarted(before, now) &&
    (startAfter === undefined || startAfter < startBefore)
  )
    out.push(
      `${after.id}'s startDate moved earlier (${before.startDate ?? ""} → ${after.startDate ?? "none"})`,
    );
  return out;
}

/** Where a value sits (`source`, `ownerSources`, a review's `pendingSources`...): left out of comparisons. */
const isPositionKey = (key: string): boolean =>
  key === "source" || key.endsWith("Source") || key.endsWith("Sources");

/**
 * Equal values: the same primitive, or objects that serialize the same leaving out where their parts sit
 * (a different key order differs: the answer is then only slower).
 */
const sameValue = (a: unknown, b: unknown): boolean =>
  a === b ||
  (typeof a === "object" &&
    typeof b === "object" &&
    JSON.stringify(a, withoutPositions) === JSON.stringify(b, withoutPositions));

function withoutPositions(key: string, value: unknown): unknown {
  return isPositionKey(key) ? undefined : value;
}

const USER_VALUE_FIELDS = (Object.keys(USER_FIELDS) as (keyof User)[]).filter((k) => !isPositionKey(k));
const GROUP_VALUE_FIELDS = (Object.keys(GROUP_FIELDS) as (keyof Group)[]).filter(
  (k) => !isPositionKey(k) && k !== "members",
);

/** Whether two versions of a user say the same in every field but where they sit in the files. */
function sameUser(a: User, b: User): boolean {
  return USER_VALUE_FIELDS.every((k) => sameValue(a[k], b[k]));
}

const sameEntry = (a: MemberEntry, b: MemberEntry): boolean =>
  a.kind === "user"
    ? b.kind === "user" && a.user === b.user && a.until === b.until && a.reason === b.reason
    : b.kind === "group" && a.group === b.group;

/** Whether two versions of a group say the same in every field but where they sit in the files. */
function sameGroup(a: Group, b: Group): boolean {
  if (!GROUP_VALUE_FIELDS.every((k) => sameValue(a[k], b[k]))) return false;
  const [x, y] = [a.members, b.members];
  if (x === undefined || y === undefined) return x === y;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    const [ex, ey] = [x[i], y[i]];
    if (ex === undefined || ey === undefined || !sameEntry(ex, ey)) return false;
  }
  return true;
}

/** The groups nesting each group (`group:` entries), on either side. */
function nestingParents(models: readonly AccessModel[]): Map<string, Set<string>> {
  const parents = new Map<string, Set<string>>();
  for (const model of models)
    for (const [name, group] of model.groups) {
      const entries = group.members ?? [];
      // Only detailed entries can nest a group: the million plain ones are not read.
      for (const i of group.detailedMembers ?? entries.keys()) {
        const entry = entries[i];
        if (entry?.kind !== "group") continue;
        let set = parents.get(entry.group);
        if (!set) parents.set(entry.group, (set = new Set()));
        set.add(name);
      }
    }
  return parents;
}

/** Whether a group nests itself, through any number of groups (validation refuses it). */
function hasNestingCycle(model: AccessModel): boolean {
  const parents = nestingParents([model]);
  const state = new Map<string, "open" | "done">();
  for (const start of parents.keys()) {
    if (state.has(start)) continue;
    // Walk up from `start` depth first; an "open" group met again closes a cycle.
    const stack: [string, Iterator<string>][] = [[start, (parents.get(start) ?? new Set()).values()]];
    state.set(start, "open");
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top === undefined) break;
      const next = top[1].next();
      if (next.done === true) {
        state.set(top[0], "done");
        stack.pop();
        continue;
      }
      const seen = state.get(next.value);
      if (seen === "open") return true;
      if (seen === undefined) {
        state.set(next.value, "open");
        stack.push([next.value, (parents.get(next.value) ?? new Set()).values()]);
      }
    }
  }
  return false;
}

/** Above this many changed people, every group is looked at (the check below would cost as much). */
const MAX_CHANGED_USERS_TO_TRACE = 1000;

/**
 * The groups whose entry in computeAffected can be anything but empty; every other group's definition, nested
 * groups, role baselines and members (and what holds or extends their access) are the same on both sides, so
 * the same members hold it and nothing about it changed. A group is looked at when:
 * - it exists on one side only, or differs in anything but where its lines sit;
 * - a role that gives it differs (or exists on one side only);
 * - a person who differs (or exists on one side only) is an effective member of it on either side: their
 *   dates, status, attributes (the roles they match) change whether and how long they hold it;
 * - it nests, through any number of groups, one of the above on either side.
 * Where the sides disagree on what decides holding access (the leave policy), or nesting has a cycle (whose
 * cut depends on the order groups are resolved in), every group is looked at.
 */
function groupsToCompare(
  base: AccessModel,
  head: AccessModel,
  names: readonly string[],
  changedUsers: ReadonlySet<string>,
  effBase: ReadonlyMap<string, EffectiveGroup>,
  effHead: ReadonlyMap<string, EffectiveGroup>,
): ReadonlySet<string> {
  const all = new Set(names);
  if (base.config.policy.leave !== head.config.policy.leave) return all;
  if (changedUsers.size > MAX_CHANGED_USERS_TO_TRACE) return all;
  if (hasNestingCycle(base) || hasNestingCycle(head)) return all;
  const picked = new Set<string>();
  for (const name of names) {
    const [b, h] = [base.groups.get(name), head.groups.get(name)];
    if (!b || !h || !sameGroup(b, h)) picked.add(name);
  }
  for (const roleName of new Set([...base.roles.keys(), ...head.roles.keys()])) {
    const [b, h] = [base.roles.get(roleName), head.roles.get(roleName)];
    if (b && h && roleKey(b) === roleKey(h)) continue;
    for (const group of [...(b?.groups ?? []), ...(h?.groups ?? [])]) picked.add(group);
  }
  if (changedUsers.size > 0)
    for (const name of names) {
      if (picked.has(name)) continue;
      const [mb, mh] = [effBase.get(name)?.members, effHead.get(name)?.members];
      for (const id of changedUsers)
        if (mb?.has(id) === true || mh?.has(id) === true) {
          picked.add(name);
          break;
        }
    }
  const parents = nestingParents([base, head]);
  const queue = [...picked];
  for (let name = queue.pop(); name !== undefined; name = queue.pop())
    for (const parent of parents.get(name) ?? [])
      if (!picked.has(parent)) {
        picked.add(parent);
        queue.push(parent);
      }
  return picked;
}

/** Ids of the people who differ between the sides in anything but where their lines sit, or exist on one only. */
function changedUserIds(base: AccessModel, head: AccessModel): Set<string> {
  const changed = new Set<string>();
  for (const [id, user] of head.users) {
    const before = base.users.get(id);
    if (!before || !sameUser(before, user)) changed.add(id);
  }
  for (const id of base.users.keys()) if (!head.users.has(id)) changed.add(id);
  return changed;
}

/** Groups whose access changes, with who gains and loses, and the changes that need admins. */
export function computeAffected(input: AffectedInput): Affected {
  const { base, head, now } = input;
  // Who holds the access their memberships give on each side: a terminated person's (or, where
  // policy disables them, someone on leave's) memberships stay in the files but give nothing, so
  // reactivating them gains access like adding them (the plan enables the account and adds them back).
  // Once per person and side: a person is a member of dozens of groups.
  const memo = (model: AccessModel) => {
    const known = new Map<string, boolean>();
    return (id: string): boolean => {
      let holds = known.get(id);
      if (holds === undefined) known.set(id, (holds = holdsAccess(model, model.users.get(id), now)));
      return holds;
    };
  };
  const holdsAtBase = memo(base);
  const holdsAtHead = memo(head);
  const effBase = computeEffectiveMemberships(base, now);
  const effHead = computeEffectiveMemberships(head, now);
  // People who differ in anything but where their lines sit: only their dates can move access later.
  const changedUsers = changedUserIds(base, head);
  const extensions = new Map<string, string[]>();
  const extensionsOf = (id: string, was: User, is: User): string[] => {
    let out = extensions.get(id);
    if (out === undefined) extensions.set(id, (out = lifecycleExtensions(was, is, now)));
    return out;
  };
  const reasons = new Map<string, string[]>();
  const add = (group: string, reason: string) => {
    const list = reasons.get(group);
    if (list) {
      if (!list.includes(reason)) list.push(reason);
    } else reasons.set(group, [reason]);
  };

  const allNames = [...new Set([...base.groups.keys(), ...head.groups.keys()])].sort();
  // Only groups the pull request can change (groupsToCompare says why the others have nothing to say).
  const everyGroup = input.everyGroup === true;
  const toCompare = everyGroup
    ? new Set(allNames)
    : groupsToCompare(base, head, allNames, changedUsers, effBase, effHead);
  const names = allNames.filter((name) => toCompare.has(name));
  const gains = new Map<string, string[]>();
  const losses = new Map<string, string[]>();
  const benefits = new Map<string, Set<string>>();
  for (const name of names) {
    const b = base.groups.get(name);
    const h = head.groups.get(name);
    if (!b) add(name, "new group");
    else if (!h) add(name, "group removed");
    else for (const r of [...definitionReasons(b, h), ...reviewReasons(b, h, now)]) add(name, r);
    // Leavers' losses need nobody's approval (offboarding must not wait for owners); gains always do.
    const inBase = [...(effBase.get(name)?.members ?? [])];
    const after = [...(effHead.get(name)?.members ?? [])].filter(holdsAtHead);
    const before = inBase.filter(holdsAtBase);
    const d = listDiff(before, after);
    const leaving = new Set(inBase.filter((id) => !holdsAtHead(id)));
    d.removed = d.removed.filter((id) => !leaving.has(id));
    if (d.added.length > 0) add(name, `${d.added.join(", ")} gain${d.added.length === 1 ? "s" : ""} access`);
    if (d.removed.length > 0)
      add(name, `${d.removed.join(", ")} lose${d.removed.length === 1 ? "s" : ""} access`);
    if (d.added.length + d.removed.length === 0 && b && h && entriesChanged(b, h))
      add(name, "member entries changed");
    const benefit = new Set(d.added);
    for (const id of after) {
      if (!everyGroup && !changedUsers.has(id)) continue; // the same dates: nothing longer
      const [was, is] = [base.users.get(id), head.users.get(id)];
      const longer = was && is ? extensionsOf(id, was, is) : [];
      for (const why of longer) add(name, why);
      if (longer.length > 0) benefit.add(id);
    }
    // A user entry of the group's own that is new or changed at head (a grant extended, a line added
    // back for someone who held the group anyway): that person's access, which they do not approve.
    if (b && h)
      for (const key of listDiff((b.members ?? []).map(entryKey), (h.members ?? []).map(entryKey)).added)
        if (key.startsWith("user:")) benefit.add(key.slice("user:".length, key.indexOf(":", "user:".length)));
    benefits.set(name, benefit);
    gains.set(name, d.added.sort());
    losses.set(name, d.removed.sort());
  }

  for (const roleName of new Set([...base.roles.keys(), ...head.roles.keys()])) {
    const b = base.roles.get(roleName);
    const h = head.roles.get(roleName);
    if (b && h && roleKey(b) === roleKey(h)) continue;
    for (const group of new Set([...(b?.groups ?? []), ...(h?.groups ?? [])]))
      if (base.groups.has(group) || head.groups.has(group)) add(group, `role ${roleName} changed`);
  }

  const adminReasons: string[] = [];
  for (const [name, group] of head.groups) {
    // A new former name takes over a live group the files do not define, whoever held it: the group's
    // own owners cannot approve that alone.
    const taken = listDiff(base.groups.get(name)?.formerNames ?? [], group.formerNames ?? []).added;
    if (taken.length > 0 && base.groups.has(name))
      adminReasons.push(`group ${name} takes over the live group(s) ${taken.join(", ")} (formerNames)`);
  }
  for (const file of input.changedPaths) {
    if (input.adminPaths.some((p) => matchesPrefix(file, p))) adminReasons.push(`${file} changed`);
  }
  const providers = [...base.config.providers, ...head.config.providers];
  for (const [id, user] of head.users) {
    // Someone who says the same on both sides changes no account, field or status.
    if (!everyGroup && !changedUsers.has(id)) continue;
    const before = base.users.get(id);
    // Account names decide who a GitHub review belongs to, and which account a system grants: admins approve.
    if (before && identityChanged(before, user, providers))
      adminReasons.push(`accounts of user ${id} changed`);
    for (const field of before ? adminFieldsChanged(before, user) : [])
      adminReasons.push(`${field} of user ${id} changed`);
    // A new person gets accounts (in every system that gives everyone one), which may be accounts that
    // exist already, a leaver's among them: admins approve, whatever groups the person joins.
    if (!before && !isTerminated(user, now))
      adminReasons.push(`new user ${id} (accounts are created, or taken over, for them)`);
    // The plan enables a leaver's accounts again, groups or not: admins approve.
    if (before && isTerminated(before, now) && !isTerminated(user, now))
      adminReasons.push(`user ${id} is no longer terminated (their accounts are enabled again)`);
  }

  const groups: AffectedGroup[] = [...reasons]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, why]) => ({
      name,
      reasons: why,
      gains: gains.get(name) ?? [],
      losses: losses.get(name) ?? [],
      beneficiaries: [...(benefits.get(name) ?? [])].sort(),
      existsOnBase: base.groups.has(name),
      isPrivileged:
        base.groups.get(name)?.sensitivity === "privileged" ||
        head.groups.get(name)?.sensitivity === "privileged",
    }));
  return { groups, adminReasons };
}
