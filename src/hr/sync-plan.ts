/**
 * What an HR export changes in the access files, as data: joiners to append, users whose HR fields
 * change (movers and leavers), people the export does not have. Pure: the users come from the model,
 * the people from the export, `now` from the caller.
 */
import { userStatusOf, type User } from "../model/access.ts";
import { sortDiagnostics, type Diagnostic } from "../model/diagnostic.ts";
import { formatLocation, type SourceLocation } from "../model/source.ts";
import { hasNotStarted, isPastEndDate, isTerminated } from "../lifecycle/status.ts";
import { formerIdsOf, idNow } from "../desired/former-ids.ts";
import type { ExportPeople, HrPerson } from "./people.ts";
import {
  ENTRY_ORDER,
  type AbsentPerson,
  type FieldChange,
  type HrSyncPlan,
  type Joiner,
  type SkippedRow,
  type SyncedField,
  type SyncOptions,
  type UserUpdate,
} from "./sync-types.ts";

/** `base`, or `base-2`, `base-3`, ...: the first that is not taken. */
function freeId(taken: ReadonlySet<string>, base: string): string {
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base.slice(0, 60)}-${String(n)}`;
  return id;
}

/** The value a user's entry has for a field, as the sync compares it (defaults for status and type). */
function currentValue(user: User, field: SyncedField): string | undefined {
  return user[field];
}

function isSameValue(field: SyncedField, a: string | undefined, b: string | undefined): boolean {
  // E-mail addresses are compared without case: an HR system that capitalizes them changes nothing.
  if (field === "email" && a !== undefined && b !== undefined) return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

/** The user of `users` whose e-mail an address is (any case), where one alone has it. */
function onlyHolderOfEmail(users: readonly User[]): (email: string) => User | undefined {
  const byEmail = new Map<string, User | null>();
  for (const user of users) {
    const email = user.email?.toLowerCase();
    if (email !== undefined) byEmail.set(email, byEmail.has(email) ? null : user);
  }
  return (email) => byEmail.get(email.toLowerCase()) ?? undefined;
}

/**
 * HR systems mark someone terminated as soon as the termination is entered, with a last day still ahead
 * (Workday; BambooHR when it is entered early): they keep their access until that day is over. Such a row
 * gives the end date and leaves the status as the files have it (a joiner's is active), which makes them
 * a leaver the day after it, not today. Not "active": someone the files already have as terminated (cut
 * off early by security) would be let back in, and someone on leave re-enabled.
 */
function untilEndDate(person: HrPerson, now: Date): HrPerson {
  const endDate = person.fields.get("endDate");
  if (person.fields.get("status") !== "terminated" || endDate === undefined || isPastEndDate(endDate, now))
    return person;
  const fields = new Map(person.fields);
  fields.delete("status");
  return { ...person, fields };
}

export function planHrSync(users: readonly User[], exported: ExportPeople, options: SyncOptions): HrSyncPlan {
  const people = exported.people.map((p) => untilEndDate(p, options.now));
  const diagnostics: Diagnostic[] = [];
  const error = (code: string, at: SourceLocation, message: string): void => {
    diagnostics.push({ severity: "error", code, message, ...at });
  };
  const byNumber = new Map<string, User>();
  for (const user of users) {
    if (user.employeeNumber === undefined) continue;
    const other = byNumber.get(user.employeeNumber);
    if (other !== undefined)
      error(
        "HR020",
        user.source,
        `users ${other.id} and ${user.id} have the same employeeNumber "${user.employeeNumber}": hr sync cannot tell which one a row is`,
      );
    else byNumber.set(user.employeeNumber, user);
  }
  const byId = new Map(users.map((u) => [u.id, u]));
  // An export may still have the id someone had before (formerIds): that is them, under their id now.
  const formerIds = formerIdsOf(byId);
  const userOfId = (id: string): User | undefined => byId.get(idNow(formerIds, id));

  // Users with no employee number yet, by e-mail (without case), where one user alone has it.
  const unnumbered = onlyHolderOfEmail(users.filter((u) => u.employeeNumber === undefined));
  const unnumberedByEmail = (person: HrPerson): User | undefined =>
    unnumbered(person.fields.get("email") ?? "");

  // Who each row is: a user in the files (by employee number, else by id, else by e-mail), or a joiner.
  const matched = new Map<HrPerson, User>();
  const claimedBy = new Map<string, HrPerson>();
  const joinerRows: HrPerson[] = [];
  for (const person of people) {
    let user: User | undefined;
    if (exported.keyedBy === "employeeNumber") {
      user = byNumber.get(person.key);
      const sameId = person.id === undefined ? undefined : userOfId(person.id);
      // Files written before the sync have no employee numbers: the user of the same id is linked; failing
      // that, the one user of the same e-mail (an entry written by hand under a short id: `erik` for
      // erik.lund@...), who would otherwise be entered a second time as a joiner.
      const sameEmail = sameId === undefined ? unnumberedByEmail(person) : undefined;
      if (user === undefined && sameId !== undefined && sameId.employeeNumber === undefined) user = sameId;
      else if (user === undefined && sameEmail !== undefined) user = sameEmail;
      else if (user === undefined && sameId !== undefined && !person.isIdDerived) {
        const given = person.id ?? sameId.id;
        const id = given === sameId.id ? `id "${given}"` : `id "${given}" (${sameId.id}'s former id)`;
        error(
          "HR006",
          person.cellAt.get("id") ?? person.at,
          `${id} belongs to employee number ${String(sameId.employeeNumber)} in the files (${sameId.source.file}), not to ${person.key}`,
        );
      }
    } else user = userOfId(person.key);
    if (user === undefined) {
      joinerRows.push(person);
      continue;
    }
    const earlier = claimedBy.get(user.id);
    if (earlier !== undefined) {
      error("HR006", person.at, `this row and line ${String(earlier.at.line)} both match user ${user.id}`);
      continue;
    }
    claimedBy.set(user.id, person);
    matched.set(person, user);
  }

  // Joiners' ids, before anyone's manager is resolved (a manager may be a joiner too).
  const taken = new Set([...byId.keys(), ...formerIds.keys()]);
  const joinerIds = new Map<HrPerson, string>();
  const skipped: SkippedRow[] = [];
  for (const person of joinerRows) {
    const status = person.fields.get("status");
    const endDate = person.fields.get("endDate");
    const isGone = status === "terminated" || (endDate !== undefined && isPastEndDate(endDate, options.now));
    if (isGone) {
      skipped.push({
        key: person.key,
        at: person.at,
        reason: "terminated in HR and not in the access files: not added",
      });
      continue;
    }
    if (person.id === undefined) {
      error("HR003", person.at, "a new person needs an id: add an id column, or an e-mail to derive it from");
      continue;
    }
    const id = person.isIdDerived ? freeId(taken, person.id) : person.id;
    if (taken.has(id)) {
      error(
        "HR006",
        person.cellAt.get("id") ?? person.at,
        formerIds.has(id)
          ? `id "${id}" is ${idNow(formerIds, id)}'s former id (formerIds): an id belongs to one person`
          : `id "${id}" is already someone else's in the access files`,
      );
      continue;
    }
    taken.add(id);
    joinerIds.set(person, id);
  }
  const numbers = new Map(
    people.flatMap((p) => (p.employeeNumber === undefined ? [] : [[p.employeeNumber, p] as const])),
  );
  const rowsByEmail = new Map<string, HrPerson>();
  for (const p of people) {
    const email = p.fields.get("email")?.toLowerCase();
    if (email !== undefined && !rowsByEmail.has(email)) rowsByEmail.set(email, p);
  }
  const userOfEmail = onlyHolderOfEmail(users);
  /** A row's manager as a user id (none for oneself: the top of an HR system's chain often is); undefined: unknown. */
  const managerOf = (person: HrPerson): { value: string | undefined } | undefined => {
    const ref = person.fields.get("manager");
    const self = matched.get(person)?.id ?? joinerIds.get(person);
    if (ref === undefined || options.managerKey === "id") {
      const id = ref === undefined ? undefined : idNow(formerIds, ref);
      return { value: id === self ? undefined : id };
    }
    // By e-mail (any case): the export's row of that address first, else the one user in the files with it.
    const row = options.managerKey === "email" ? rowsByEmail.get(ref.toLowerCase()) : numbers.get(ref);
    const inFiles = options.managerKey === "email" ? userOfEmail(ref)?.id : byNumber.get(ref)?.id;
    const id = row === undefined ? inFiles : (matched.get(row)?.id ?? joinerIds.get(row));
    if (id !== undefined) return { value: id === self ? undefined : id };
    const why =
      row === undefined
        ? options.managerKey === "email"
          ? "is no e-mail address in the export or the access files (or several people's)"
          : "is no employee number in the export or the access files"
        : "is not in the access files";
    error("HR005", person.cellAt.get("manager") ?? person.at, `manager "${ref}" ${why}`);
    return undefined;
  };

  const joiners: Joiner[] = [];
  for (const [person, id] of joinerIds) {
    const manager = managerOf(person);
    if (manager === undefined) continue;
    const values = new Map<string, string | undefined>([
      ["id", id],
      ...[...person.fields].map(([f, v]) => [f, f === "manager" ? manager.value : v] as const),
      ["employeeNumber", person.employeeNumber],
    ]);
    if (!values.has("status")) values.set("status", "active");
    const fields = ENTRY_ORDER.flatMap((k) => {
      const v = values.get(k);
      return v === undefined ? [] : [[k, v] as const];
    });
    joiners.push({
      id,
      ...(person.employeeNumber === undefined ? {} : { employeeNumber: person.employeeNumber }),
      fields,
      at: person.at,
    });
  }

  const updates: UserUpdate[] = [];
  for (const [person, user] of matched) {
    const manager = managerOf(person);
    if (manager === undefined) continue;
    const changes: FieldChange[] = [];
    const wanted = new Map<SyncedField, string | undefined>(person.fields);
    if (wanted.has("manager")) wanted.set("manager", manager.value);
    if (isLaggingTermination(person, user)) {
      wanted.delete("status");
      skipped.push({
        key: person.key,
        at: person.at,
        reason: `${user.id} is terminated in the access files (${formatLocation(user.source)}) and active in HR with no new startDate: status not synced, they are not let back in (a rehire comes with a new start date; if HR took a termination back, set the status by hand)`,
      });
    }
    if (person.employeeNumber !== undefined && user.employeeNumber === undefined)
      wanted.set("employeeNumber", person.employeeNumber);
    for (const field of ENTRY_ORDER) {
      const f = field as SyncedField;
      if (!wanted.has(f)) continue;
      const before = currentValue(user, f);
      const after = wanted.get(f);
      if (!isSameValue(f, before, after))
        changes.push({
          field: f,
          ...(before === undefined ? {} : { before }),
          ...(after === undefined ? {} : { after }),
        });
    }
    if (changes.length > 0) updates.push({ ...updateOf(user, changes, false, options), row: person.at });
  }

  const absent: AbsentPerson[] = [];
  for (const user of users) {
    if (claimedBy.has(user.id) || user.employmentType === "service" || isTerminated(user, options.now))
      continue;
    const action =
      user.employeeNumber === undefined
        ? "unlinked"
        : options.absent === "terminate"
          ? "terminated"
          : "reported";
    absent.push({
      id: user.id,
      ...(user.employeeNumber === undefined ? {} : { employeeNumber: user.employeeNumber }),
      source: user.source,
      action,
      ...(user.startDate !== undefined && hasNotStarted(user, options.now)
        ? { startsOn: user.startDate }
        : {}),
    });
    if (action === "terminated")
      updates.push(
        updateOf(user, [{ field: "status", before: user.status, after: "terminated" }], true, options),
      );
  }
  const activePeople = users.filter(
    (u) => u.employmentType !== "service" && !isTerminated(u, options.now),
  ).length;
  // In the export's order (rows are checked as joiners first, then everyone's manager).
  return { joiners, updates, absent, skipped, activePeople, diagnostics: sortDiagnostics(diagnostics) };
}

/**
 * Terminated in the files (security cut them off, or a termination HR has not entered yet) and not in the
 * export, with no new start date to show a rehire: HR's record lags. Synced, the status would go back to
 * active and a person cut off would get their access back through a routine sync pull request.
 */
function isLaggingTermination(person: HrPerson, user: User): boolean {
  const status = person.fields.get("status");
  if (user.status !== "terminated" || status === undefined || status === "terminated") return false;
  const start = person.fields.get("startDate");
  const since = user.endDate ?? user.startDate;
  return start === undefined || since === undefined || start <= since;
}

function updateOf(
  user: User,
  changes: readonly FieldChange[],
  isAbsent: boolean,
  options: SyncOptions,
): UserUpdate {
  const { now } = options;
  const after = (field: "status" | "endDate" | "startDate"): string | undefined => {
    const change = changes.find((c) => c.field === field);
    return change === undefined ? user[field] : change.after;
  };
  const statusText = after("status");
  const status = userStatusOf(statusText);
  const endDate = after("endDate");
  const next: User = {
    id: user.id,
    name: user.name,
    employmentType: user.employmentType,
    status,
    accounts: user.accounts,
    source: user.source,
    ...(endDate === undefined ? {} : { endDate }),
  };
  const wasGone = isTerminated(user, now);
  const isGone = isTerminated(next, now);
  const isEndBroughtForward = endDate !== undefined && (user.endDate === undefined || endDate < user.endDate);
  const isLeaver = !wasGone && (isGone || isEndBroughtForward);
  // Access taken away without leaving: a start date moved past now for someone who had started (a
  // position's or contract's start mapped as startDate, a year typed wrong), or leave where it disables.
  const startDate = after("startDate");
  const startsLater =
    !hasNotStarted(user, now) && startDate !== undefined && hasNotStarted({ ...next, startDate }, now);
  const goesOnLeave = options.leave === "disable" && user.status !== "leave" && status === "leave";
  const losesAccess =
    isLeaver || wasGone || isGone
      ? undefined
      : startsLater
        ? "start-date-later"
        : goesOnLeave
          ? "leave"
          : undefined;
  return {
    id: user.id,
    ...(user.employeeNumber === undefined ? {} : { employeeNumber: user.employeeNumber }),
    source: user.source,
    changes,
    isLeaver,
    hasLeft: wasGone && isGone,
    isAbsent,
    ...(losesAccess === undefined ? {} : { losesAccess }),
  };
}
