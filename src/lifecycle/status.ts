import type { Policy, User } from "../model/access.ts";

export const DAY_MS = 86_400_000;

/**
 * The instant a plan is computed for, which also learns how long its answers hold: every rule that
 * compares it with a time from the files (a grant's end, a start or end date, a policy's longest grant)
 * tells it, through `noteTimeBoundary`, the instant at which the comparison would first come out
 * differently. A plan computed at `now` is then the plan of every instant from `now` up to `validUntil`
 * (exclusive), which is what lets a run reuse it (engine/plan-memo.ts).
 */
export class PlanInstant extends Date {
  #validUntil = Number.POSITIVE_INFINITY;
  /** This host's clock when the plan was made, where the plan's instant lies after it (plan --at). */
  readonly #hostNow: number | undefined;

  /** `hostNow`: this host's clock (ms), for a plan made for another instant than now. */
  constructor(time: number, hostNow?: number) {
    super(time);
    this.#hostNow = hostNow !== undefined && hostNow < time ? hostNow : undefined;
  }

  /** The instant lateness is judged at (lateAsOf). */
  get lateAsOf(): Date {
    return this.#hostNow === undefined ? this : new Date(this.#hostNow);
  }

  /** The first instant after this one at which some rule that looked at it would answer differently. */
  get validUntil(): number {
    return this.#validUntil;
  }

  /** `at` is where a comparison with this instant flips: the answers hold until then at most. */
  note(at: number): void {
    const now = this.getTime();
    // Not a number (a malformed time) never flips; at or before now, the flip is behind us.
    if (at > now && at < this.#validUntil) this.#validUntil = at;
  }
}

/**
 * The instant at which a removal or an offboarding is judged late: the plan's, but for a plan previewed
 * for a later instant (plan --at), whose removals are not late: the scheduled reconcile has until then
 * to make them. Then it is now.
 */
export function lateAsOf(now: Date): Date {
  return now instanceof PlanInstant ? now.lateAsOf : now;
}

/** Tells `now`, when it is a PlanInstant, that an answer about it changes at `at` (ms). */
export function noteTimeBoundary(now: Date, at: number): void {
  if (now instanceof PlanInstant) now.note(at);
}

/** A grant holds while `now` is before `until`; at the instant itself it has expired. Malformed = expired. */
export function isGrantActive(until: string | undefined, now: Date): boolean {
  if (until === undefined) return true;
  const end = Date.parse(until);
  noteTimeBoundary(now, end);
  return Number.isFinite(end) && now.getTime() < end;
}

/** An instant as the access files write an until: UTC, in whole seconds unless it has a fraction. */
export function formatInstant(at: Date): string {
  return at.toISOString().replace(".000Z", "Z");
}

/** Days from `iso` to `now`, with one decimal ("6.7"). */
export function daysSince(iso: string, now: Date): string {
  const days = (now.getTime() - Date.parse(iso)) / DAY_MS;
  // The text changes where the rounding does: at the next odd multiple of 0.05 days. Noted a second
  // early, so that floating-point rounding near that point cannot carry the old text past it.
  const next = Date.parse(iso) + ((Math.floor(days * 10 + 0.5) + 0.5) / 10) * DAY_MS - 1000;
  noteTimeBoundary(now, Math.max(next, now.getTime() + 1));
  return days.toFixed(1);
}

/** True when the grant ends within `days` days from now (and has not ended yet). */
export function expiresWithin(until: string | undefined, now: Date, days: number): boolean {
  if (until === undefined || !isGrantActive(until, now)) return false;
  noteTimeBoundary(now, Date.parse(until) - days * DAY_MS);
  return Date.parse(until) - now.getTime() <= days * DAY_MS;
}

/** The number written with the decimal digits of `text` from `start` to `end`, or -1 for any other character. */
function digitsAt(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * Midnight UTC at the start of an ISO date (YYYY-MM-DD), in milliseconds: exactly what
 * `Date.parse(date + "T00:00:00Z")` answers (NaN when malformed), without building that string in
 * the common well-formed case. Date.parse rolls days 29-31 over into the next month as Date.UTC does.
 */
export function utcMidnight(date: string): number {
  if (date.length === 10 && date.charCodeAt(4) === 45 && date.charCodeAt(7) === 45) {
    const year = digitsAt(date, 0, 4);
    const month = digitsAt(date, 5, 7);
    const day = digitsAt(date, 8, 10);
    // Date.UTC reads years 0-99 as 1900-1999: those, and anything out of range, take Date.parse.
    if (year >= 100 && month >= 1 && month <= 12 && day >= 1 && day <= 31)
      return Date.UTC(year, month - 1, day);
  }
  return Date.parse(`${date}T00:00:00Z`);
}

/** The instant a day (YYYY-MM-DD, inclusive, UTC) is over: midnight UTC after it (NaN when malformed). */
export function afterDay(day: string): number {
  return utcMidnight(day) + DAY_MS;
}

/** Terminated by status, or past the end date (endDate is the last working day, inclusive, UTC). */
export function isTerminated(user: User, now: Date): boolean {
  if (user.status === "terminated") return true;
  return user.endDate !== undefined && isPastEndDate(user.endDate, now);
}

/** Whether a last working day (an endDate, inclusive, UTC) is over at `now`. */
export function isPastEndDate(endDate: string, now: Date): boolean {
  const end = afterDay(endDate);
  noteTimeBoundary(now, end);
  return Number.isFinite(end) && now.getTime() >= end;
}

/** Not yet started: before the start date, people get no access. */
export function hasNotStarted(user: User, now: Date): boolean {
  if (user.startDate === undefined) return false;
  const start = utcMidnight(user.startDate);
  noteTimeBoundary(now, start);
  return Number.isFinite(start) && now.getTime() < start;
}

/** On leave where policy disables the accounts of people on leave (their memberships are kept). */
export function isDisabledForLeave(user: User, policy: Policy): boolean {
  return user.status === "leave" && policy.leave === "disable";
}

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
] as const;

/**
 * Why the day `text` starts with (YYYY-MM-DD) is none of the calendar (2026-02-30: "February 2026 has 28
 * days"), or undefined.
 */
export function noDayIn(text: string): string | undefined {
  const [year, month, dayOfMonth] = text.slice(0, 10).split("-").map(Number) as [number, number, number];
  const name = MONTHS[month - 1];
  if (name === undefined) return "a month is 01 to 12";
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return dayOfMonth >= 1 && dayOfMonth <= days
    ? undefined
    : `${name} ${String(year)} has ${String(days)} days`;
}
