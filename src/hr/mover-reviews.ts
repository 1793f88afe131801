/**
 * The second half of the mover promise: when `hr sync` changes what roles match on (department, title,
 * employment type) or the manager (a move to another team), the groups a mover holds by a line of their own that the roles of their new
 * attributes do not give are put to the group's owners, through an access review: the mover is added
 * to its `pending` list (a review is opened when the group has none). Pure: model and plan in, data out.
 */
import { employmentTypeOf, userStatusOf, type AccessModel, type Group, type User } from "../model/access.ts";
import { roleMatches } from "../desired/effective.ts";
import { DAY_MS, isTerminated, utcMidnight } from "../lifecycle/status.ts";
import { directUsers } from "../validate/rules/access-reviews.ts";
import type { FieldChange, SyncedField, UserUpdate } from "./sync-types.ts";

/** How long a mover's owners have to re-approve a grant, by default. */
export const DEFAULT_MOVER_REVIEW_DAYS = 14;

/**
 * The fields that make someone a mover whose grants are a question (PRODUCT.md: "when department, title
 * or manager changes"): those role rules match on, and the manager, who stands for the team.
 */
const MOVER_FIELDS: ReadonlySet<SyncedField> = new Set(["department", "title", "employmentType", "manager"]);

/**
 * Whether a change moves someone. Department, title and employment type: any change, since roles match
 * on them (a title filled in can make someone a lead). The manager stands for the team only when one
 * replaces another: a manager filled in where the files had none (the first sync that maps the manager
 * column puts nobody's grants to review for it), or emptied (HR has no value now), moves nobody.
 */
function isMove(change: FieldChange): boolean {
  if (!MOVER_FIELDS.has(change.field)) return false;
  if (change.field !== "manager") return true;
  return change.before !== undefined && change.after !== undefined && change.before !== change.after;
}

/** One mover put to the owners of one group. */
export interface MoverFlag {
  readonly id: string;
  readonly group: string;
  /** The file defining the group, as the model names it. */
  readonly file: string;
  /** The review's due day: a new one's, or that of the review open already. */
  readonly due: string;
  /** True: the group has no review, one is opened; false: the name is appended to the open one. */
  readonly opensReview: boolean;
}

/** The user as the update leaves them, for what roles match on. */
function moved(user: User, update: UserUpdate): User {
  const after = (field: "department" | "title" | "employmentType"): string | undefined => {
    const change = update.changes.find((c) => c.field === field);
    return change === undefined ? user[field] : change.after;
  };
  const type = after("employmentType");
  // An absent type is the default, as the loader reads it.
  const next: { -readonly [K in keyof User]: User[K] } = {
    ...user,
    employmentType: employmentTypeOf(type),
  };
  const department = after("department");
  const title = after("title");
  if (department === undefined) delete next.department;
  else next.department = department;
  if (title === undefined) delete next.title;
  else next.title = title;
  // Whether they are still (or again) here: status and endDate as the update leaves them.
  const status = update.changes.find((c) => c.field === "status");
  if (status !== undefined) next.status = userStatusOf(status.after);
  const end = update.changes.find((c) => c.field === "endDate");
  if (end !== undefined) {
    if (end.after === undefined) delete next.endDate;
    else next.endDate = end.after;
  }
  return next;
}

/** Each group's nesting groups: those listing it as a member. */
function nestersOf(model: AccessModel): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const group of model.groups.values())
    for (const entry of group.members ?? [])
      if (entry.kind === "group") out.set(entry.group, [...(out.get(entry.group) ?? []), group.name]);
  return out;
}

/** The groups the roles matching `user` give, with every group that nests one of them (transitively). */
function baselineOf(
  model: AccessModel,
  nesters: ReadonlyMap<string, readonly string[]>,
  user: User,
): Set<string> {
  const given = new Set<string>();
  const queue: string[] = [];
  for (const role of model.roles.values()) if (roleMatches(role, user)) queue.push(...role.groups);
  for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
    if (given.has(name)) continue;
    given.add(name);
    queue.push(...(nesters.get(name) ?? []));
  }
  return given;
}

/** `now`'s day (UTC) plus `days`, as YYYY-MM-DD. */
export function dueAfter(now: Date, days: number): string {
  const today = utcMidnight(now.toISOString().slice(0, 10));
  return new Date(today + days * DAY_MS).toISOString().slice(0, 10);
}

/**
 * The movers (not leavers) whose department, title, employment type or manager the sync changes (isMove), with each
 * group that lists them directly (a member line or a grant) and that the roles of their new attributes
 * do not give them; in update order, then model order. A name pending already is left out.
 */
export function planMoverReviews(
  model: AccessModel,
  updates: readonly UserUpdate[],
  now: Date,
  days: number,
): MoverFlag[] {
  const newDue = dueAfter(now, days);
  const movers: { user: User; update: UserUpdate }[] = [];
  for (const update of updates) {
    const user = model.users.get(update.id);
    if (update.isLeaver || user === undefined) continue;
    // A rehire (a leaver in the files, active in the export) gets back every line still naming them: the
    // owners decide on each, whatever job they come back to.
    const isRehire = isTerminated(user, now) && !isTerminated(moved(user, update), now);
    if (isRehire || (!isTerminated(user, now) && update.changes.some(isMove))) movers.push({ user, update });
  }
  if (movers.length === 0) return [];
  // One pass over the member lines: the groups listing each mover directly, in model order.
  const listing = new Map<string, Group[]>(movers.map((m) => [m.user.id, []]));
  for (const group of model.groups.values())
    for (const id of directUsers(group)) listing.get(id)?.push(group);
  const nesters = nestersOf(model);
  const out: MoverFlag[] = [];
  for (const { user, update } of movers) {
    const groups = listing.get(user.id) ?? [];
    if (groups.length === 0) continue;
    const baseline = baselineOf(model, nesters, moved(user, update));
    for (const group of groups) {
      if (baseline.has(group.name) || group.review?.pending.includes(user.id) === true) continue;
      out.push({
        id: user.id,
        group: group.name,
        file: group.source.file,
        due: group.review?.due ?? newDue,
        opensReview: group.review === undefined,
      });
    }
  }
  return out;
}
