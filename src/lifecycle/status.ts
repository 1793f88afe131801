import type { User } from "../model/access.ts";

const DAY_MS = 86_400_000;

/** A grant holds while `now` is before `until`; at the instant itself it has expired. Malformed = expired. */
export function isGrantActive(until: string | undefined, now: Date): boolean {
  if (until === undefined) return true;
  const end = Date.parse(until);
  return Number.isFinite(end) && now.getTime() < end;
}

/** True when the grant ends within `days` days from now (and has not ended yet). */
export function expiresWithin(until: string | undefined, now: Date, days: number): boolean {
  if (until === undefined || !isGrantActive(until, now)) return false;
  return Date.parse(until) - now.getTime() <= days * DAY_MS;
}

/** Terminated by status, or past the end date (endDate is the last working day, inclusive, UTC). */
export function isTerminated(user: User, now: Date): boolean {
  if (user.status === "terminated") return true;
  if (user.endDate === undefined) return false;
  const end = Date.parse(`${user.endDate}T00:00:00Z`);
  return Number.isFinite(end) && now.getTime() >= end + DAY_MS;
}

/** Not yet started: before the start date, people get no access. */
export function hasNotStarted(user: User, now: Date): boolean {
  if (user.startDate === undefined) return false;
  const start = Date.parse(`${user.startDate}T00:00:00Z`);
  return Number.isFinite(start) && now.getTime() < start;
}
