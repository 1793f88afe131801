import { UsageError } from "../errors.ts";
import { DAY_MS, formatInstant, noDayIn } from "../lifecycle/status.ts";
import { parseDuration } from "../load/durations.ts";

/** Whether `text` is written as a day or an instant (parseAt), rather than something else (a git revision). */
export function looksLikeDate(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}(T|$)/.test(text);
}

/**
 * An instant, or a day: its end (UTC) by default, so that "on 2026-03-01" includes that day's changes;
 * its start for the beginning of a range (--since).
 */
export function parseAt(text: string, option = "at", edge: "start" | "end" = "end"): Date {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const start = Date.parse(`${text}T00:00:00Z`);
  const at = day ? new Date(edge === "start" ? start : start + 86_400_000 - 1) : new Date(Date.parse(text));
  const isInstant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text);
  // Date.parse rolls an impossible day over (2026-02-30 is read as 2026-03-02): refuse it instead.
  const noDay = noDayIn(text);
  if ((day || isInstant) && noDay !== undefined)
    throw new UsageError(`--${option} "${text}" is no day: ${noDay}`);
  if (Number.isNaN(at.getTime()) || (!day && !isInstant))
    throw new UsageError(
      `--${option} must be a day (2026-03-01) or an instant with a time zone (2026-03-01T12:00:00Z), not "${text}"`,
    );
  return at;
}

const UNTIL_FORMS =
  "a duration from now (8h, 7d, 2w, 30m), a day (2026-07-01: through its end, UTC) or an instant with a time zone (2026-07-01T18:00:00Z)";

/**
 * `request --until` as the instant to write: a duration counts from `now` (down to the whole minute), a
 * day means through its end (the next day's midnight UTC, since an until is exclusive), an instant is
 * taken as it is, written in UTC.
 */
export function resolveUntil(text: string, now: Date): string {
  const duration = parseDuration(text);
  if (duration !== undefined) {
    const end = now.getTime() + duration;
    return formatInstant(new Date(end - (end % 60_000)));
  }
  if (/^-\d/.test(text))
    throw new UsageError(
      `--until "${text}" counts back from now; a grant's end must be in the future: give ${UNTIL_FORMS}; nothing was written`,
    );
  const problem = new UsageError(`--until must be ${UNTIL_FORMS}, not "${text}"`);
  if (!looksLikeDate(text)) throw problem;
  let at: Date;
  try {
    at = parseAt(text, "until", "start");
  } catch {
    // A day that does not exist is said so; any other mistake gets every form there is.
    const noDay = noDayIn(text);
    throw noDay === undefined ? problem : new UsageError(`--until "${text}" is no day: ${noDay}`);
  }
  return formatInstant(/^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(at.getTime() + DAY_MS) : at);
}

/**
 * The `--since` and `--until` of a question about a period, checked: a day counts from its start, up to its
 * end; each absent when not given.
 */
export function windowOf(options: {
  readonly since?: string | undefined;
  readonly until?: string | undefined;
}): { since?: Date; until?: Date } {
  const since = options.since === undefined ? undefined : parseAt(options.since, "since", "start");
  const until = options.until === undefined ? undefined : parseAt(options.until, "until", "end");
  if (since !== undefined && until !== undefined && since > until)
    throw new UsageError(`--since (${since.toISOString()}) is after --until (${until.toISOString()})`);
  return { ...(since === undefined ? {} : { since }), ...(until === undefined ? {} : { until }) };
}
